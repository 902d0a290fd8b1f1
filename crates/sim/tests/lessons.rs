//! The shipped lessons (`lessons/*.json`) read, run, and give the answers their prose relies on.
//!
//! A lesson never stores its answers: the page and `dsplay lesson` work them out by running
//! each step's scenario. The text of a step, though, often explains what the previous
//! step's run showed, so the answers are pinned here: if a change to a scenario or the
//! engine moves one, this test names the lesson and step whose words have gone stale.

use dsplay_sim::lesson::{answer, Lesson, Topic};
use dsplay_sim::Scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Every lesson the page lists, with its topic.
const LESSONS: [(&str, Topic); 10] = [
    ("eventual-dns", Topic::Model),
    ("causal-comments", Topic::Model),
    ("sequential-feed", Topic::Model),
    ("strict-password", Topic::Model),
    ("fail-stop", Topic::Failure),
    ("crash", Topic::Failure),
    ("omission", Topic::Failure),
    ("temporal", Topic::Failure),
    ("byzantine", Topic::Failure),
    ("partition-tradeoff", Topic::TradeOff),
];

const LATEST: &str = "the latest value";
const STALE: &str = "an older value (a stale read)";
const NO_VALUE: &str = "no value: the read fails or gets no answer";
const SUCCEEDS: &str = "it succeeds";
const NO_ANSWER: &str = "no answer before the client gives up";
const HOLDS: &str = "the guarantee holds";
const VIOLATION: &str = "the checker finds a violation";
const MOST: &str = "90 % or more";
const SOME: &str = "from 50 % to 90 %";
const NO_STALE: &str = "no stale read";
const SOME_STALE: &str = "at least one stale read";

/// Every question of every lesson: (lesson id, step number from 1, the answer's label).
const EXPECTED: &[(&str, usize, &str)] = &[
    // A lookup at ns4 right after an update misses it; the cut-off ns4 keeps answering
    // with the old record; after the heal it catches up; the run converges.
    ("eventual-dns", 1, STALE),
    ("eventual-dns", 2, STALE),
    ("eventual-dns", 3, LATEST),
    ("eventual-dns", 4, HOLDS),
    // Causal allows stale reads; asia holds Bob's reply back until its comment arrives,
    // then shows both; under eventual Carol gets the reply at once and misses its comment.
    ("causal-comments", 1, SOME_STALE),
    ("causal-comments", 2, STALE),
    ("causal-comments", 3, LATEST),
    ("causal-comments", 4, LATEST),
    ("causal-comments", 5, STALE),
    // A far reader lags, the editor sees her own post, the run is sequential; under
    // strict the same reader gets the newest post.
    ("sequential-feed", 1, STALE),
    ("sequential-feed", 2, LATEST),
    ("sequential-feed", 3, HOLDS),
    ("sequential-feed", 4, LATEST),
    // A check after a change sees it; the majority elects n3; the cut-off alice gets no
    // value under strict and an old password under eventual.
    ("strict-password", 1, LATEST),
    ("strict-password", 2, "n3"),
    ("strict-password", 3, NO_VALUE),
    ("strict-password", 4, STALE),
    // Told of the halt, n3 leads within 200 ms and serves bob; alice, asking n1, is not told.
    ("fail-stop", 1, "n3"),
    ("fail-stop", 2, SUCCEEDS),
    ("fail-stop", 3, NO_ANSWER),
    // Nobody leads 200 ms after a silent crash; bob is redirected to the dead n1; the
    // restarted n1 follows n3.
    ("crash", 1, "no replica"),
    ("crash", 2, NO_ANSWER),
    ("crash", 3, "n3"),
    // bob's request is lost at n3; no read is stale; after the fault bob gets through.
    ("omission", 1, NO_ANSWER),
    ("omission", 2, NO_STALE),
    ("omission", 3, SUCCEEDS),
    // 400 ms late is still an answer; the skewed clock's writes are lost; 1.5 s late is
    // past the client's timeout.
    ("temporal", 1, SUCCEEDS),
    ("temporal", 2, STALE),
    ("temporal", 3, NO_ANSWER),
    // PBFT changes view to r2 and outvotes r4's lies; Raft passes r3's lies on.
    ("byzantine", 1, "r2"),
    ("byzantine", 2, LATEST),
    ("byzantine", 3, VIOLATION),
    // Strict: the minority times out, availability drops, no read is stale. Eventual:
    // everything succeeds, and Europe reads an old cart.
    ("partition-tradeoff", 1, NO_ANSWER),
    ("partition-tradeoff", 2, SOME),
    ("partition-tradeoff", 3, NO_STALE),
    ("partition-tradeoff", 4, MOST),
    ("partition-tradeoff", 5, STALE),
];

fn repo_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name)
}

/// Every lesson file, parsed, by id (checked to match the file name).
fn lessons() -> &'static BTreeMap<String, Lesson> {
    static LESSONS: OnceLock<BTreeMap<String, Lesson>> = OnceLock::new();
    LESSONS.get_or_init(|| {
        let dir = repo_dir("lessons");
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        let mut lessons = BTreeMap::new();
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.extension().and_then(|ext| ext.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let lesson =
                Lesson::from_json(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let stem = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default();
            assert_eq!(
                lesson.id,
                stem,
                "{}: the id must be the file name",
                path.display()
            );
            lessons.insert(lesson.id.clone(), lesson);
        }
        lessons
    })
}

fn scenario(id: &str) -> Option<Scenario> {
    let text = std::fs::read_to_string(repo_dir("scenarios").join(format!("{id}.json"))).ok()?;
    Some(Scenario::from_json(&text).unwrap_or_else(|err| panic!("scenario {id}: {err}")))
}

/// Every question's answer, worked out by running its step: (lesson id, step number from
/// 1) to the answer's label. The lessons run in parallel, each on its own thread.
fn answers() -> &'static BTreeMap<(String, usize), String> {
    static ANSWERS: OnceLock<BTreeMap<(String, usize), String>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        std::thread::scope(|scope| {
            let handles: Vec<_> = lessons()
                .values()
                .map(|lesson| {
                    scope.spawn(move || {
                        let scenarios = lesson
                            .step_scenarios(&scenario)
                            .unwrap_or_else(|err| panic!("{}: {err}", lesson.id));
                        let mut found = Vec::new();
                        for (index, step) in lesson.steps.iter().enumerate() {
                            let Some(question) = &step.question else {
                                continue;
                            };
                            let got =
                                answer(&question.ask, &scenarios[index]).unwrap_or_else(|err| {
                                    panic!("{} step {}: no answer: {err}", lesson.id, index + 1)
                                });
                            found.push(((lesson.id.clone(), index + 1), got.label));
                        }
                        found
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("a lesson's answers"))
                .collect()
        })
    })
}

#[test]
fn the_lessons_are_exactly_the_ten_the_page_lists_each_under_its_topic() {
    let found: BTreeSet<&str> = lessons().keys().map(String::as_str).collect();
    let wanted: BTreeSet<&str> = LESSONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(found, wanted);
    for (id, topic) in LESSONS {
        assert_eq!(lessons()[id].topic, topic, "{id}: topic");
    }
}

#[test]
fn every_lesson_has_three_to_eight_steps_and_at_least_two_questions() {
    for lesson in lessons().values() {
        let steps = lesson.steps.len();
        assert!((3..=8).contains(&steps), "{}: {steps} steps", lesson.id);
        let questions = lesson
            .steps
            .iter()
            .filter(|step| step.question.is_some())
            .count();
        assert!(questions >= 2, "{}: {questions} questions", lesson.id);
    }
}

#[test]
fn lesson_text_is_plain_text_never_html() {
    for lesson in lessons().values() {
        let mut texts = vec![
            ("title".to_string(), &lesson.title),
            ("summary".to_string(), &lesson.summary),
        ];
        for (index, step) in lesson.steps.iter().enumerate() {
            let number = index + 1;
            texts.push((format!("step {number} title"), &step.title));
            texts.push((format!("step {number} text"), &step.text));
            if let Some(question) = &step.question {
                texts.push((format!("step {number} prompt"), &question.prompt));
            }
        }
        for (place, text) in texts {
            assert!(
                !text.contains('<') && !text.contains('>'),
                "{} {place}: plain text only, no '<' or '>': {text}",
                lesson.id
            );
        }
    }
}

#[test]
fn every_lesson_question_gets_the_answer_its_text_relies_on() {
    let answers = answers();
    let mut pinned = BTreeMap::new();
    for (id, step, label) in EXPECTED {
        let previous = pinned.insert((id.to_string(), *step), *label);
        assert!(previous.is_none(), "{id} step {step} is pinned twice");
    }
    for ((id, step), label) in answers {
        let expected = pinned
            .get(&(id.clone(), *step))
            .unwrap_or_else(|| panic!("{id} step {step} asks a question the table does not pin (the run answers `{label}`)"));
        assert_eq!(
            label, expected,
            "{id} step {step}: the run's answer changed"
        );
    }
    for (id, step) in pinned.keys() {
        assert!(
            answers.contains_key(&(id.clone(), *step)),
            "{id} step {step} is pinned, but the lesson asks no question there"
        );
    }
}

#[test]
fn no_lesson_gives_the_same_answer_to_every_question() {
    let mut labels: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for ((id, _), label) in answers() {
        labels
            .entry(id.as_str())
            .or_default()
            .insert(label.as_str());
    }
    for id in lessons().keys() {
        let distinct = labels.get(id.as_str()).map_or(0, BTreeSet::len);
        assert!(
            distinct >= 2,
            "{id}: every answer is the same, so the lesson teaches nothing"
        );
    }
}
