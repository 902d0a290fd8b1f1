//! The lessons the page offers, where a reader is in one, and what they predicted.
//!
//! Lesson files are data (`lessons/ID.json`, read by `dsplay_sim::lesson`); the page
//! builds them in, finds each step's scenario among its presets, and keeps a reader's
//! [`Prediction`] for the step they are on: the choice they picked, then the answer the
//! run gives (worked out in the worker), shown only once the run has played to the moment
//! it happens.

use crate::presets;
use dsplay_sim::lesson::{Answer, Lesson, Topic};
use dsplay_sim::Scenario;
use std::rc::Rc;

/// Every lesson file, in the index's order within each topic.
pub const LESSON_FILES: &[(&str, &str)] = &[
    ("eventual-dns", include_str!("../lessons/eventual-dns.json")),
    (
        "causal-comments",
        include_str!("../lessons/causal-comments.json"),
    ),
    (
        "sequential-feed",
        include_str!("../lessons/sequential-feed.json"),
    ),
    (
        "strict-password",
        include_str!("../lessons/strict-password.json"),
    ),
    ("fail-stop", include_str!("../lessons/fail-stop.json")),
    ("crash", include_str!("../lessons/crash.json")),
    ("omission", include_str!("../lessons/omission.json")),
    ("temporal", include_str!("../lessons/temporal.json")),
    ("byzantine", include_str!("../lessons/byzantine.json")),
    (
        "partition-tradeoff",
        include_str!("../lessons/partition-tradeoff.json"),
    ),
];

/// The index's groups, in order.
pub const TOPICS: [Topic; 3] = [Topic::Model, Topic::Failure, Topic::TradeOff];

/// Every lesson that reads. (The native tests make sure that is all of them.)
pub fn catalogue() -> Vec<Lesson> {
    LESSON_FILES
        .iter()
        .filter_map(|(_, text)| Lesson::from_json(text).ok())
        .collect()
}

/// A scenario a lesson names: one of the page's presets.
pub fn resolve(id: &str) -> Option<Scenario> {
    presets::PRESETS
        .iter()
        .find(|preset| preset.id == id)
        .and_then(|preset| Scenario::from_json(preset.json).ok())
}

/// A lesson being walked through: the lesson, each step's scenario, and the step shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub lesson: Rc<Lesson>,
    pub scenarios: Rc<Vec<Scenario>>,
    /// Index of the step shown (0-based; addresses count from 1).
    pub step: usize,
}

impl Walk {
    pub fn steps(&self) -> usize {
        self.lesson.steps.len()
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenarios[self.step]
    }

    pub fn at(&self, step: usize) -> Walk {
        Walk {
            step: step.min(self.steps() - 1),
            ..self.clone()
        }
    }

    /// The address of this step: `?lesson=ID&step=N`, keeping an embedded player's options.
    pub fn query(&self, query: &str) -> String {
        let mut pairs: Vec<String> =
            presets::pairs_without(query, &["lesson", "step", "preset", "lessons"])
                .map(str::to_string)
                .collect();
        pairs.push(format!("lesson={}", self.lesson.id));
        pairs.push(format!("step={}", self.step + 1));
        format!("?{}", pairs.join("&"))
    }
}

/// The lesson an address asks for (`lesson=ID`, `step=N` counted from 1), or the sentence
/// saying why it cannot be opened. `Ok(None)`: the address asks for no lesson.
pub fn from_query(query: &str) -> Result<Option<Walk>, String> {
    let value = |name: &str| {
        query
            .trim_start_matches('?')
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    let Some(id) = value("lesson") else {
        return Ok(None);
    };
    let text = LESSON_FILES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, text)| *text)
        .ok_or_else(|| {
            format!(
                "There is no lesson called \"{}\"; the lessons index lists them all.",
                id.chars().take(40).collect::<String>()
            )
        })?;
    let lesson =
        Lesson::from_json(text).map_err(|err| format!("The lesson cannot be read: {err}"))?;
    let scenarios = lesson
        .step_scenarios(&resolve)
        .map_err(|err| format!("The lesson cannot be shown: {err}"))?;
    let steps = lesson.steps.len();
    let step = match value("step") {
        None => 0,
        Some(step) => match step.parse::<usize>() {
            Ok(number) if (1..=steps).contains(&number) => number - 1,
            _ => {
                return Err(format!(
                    "The lesson \"{}\" has steps 1 to {steps}, not \"{}\".",
                    lesson.title,
                    step.chars().take(20).collect::<String>()
                ))
            }
        },
    };
    Ok(Some(Walk {
        lesson: Rc::new(lesson),
        scenarios: Rc::new(scenarios),
        step,
    }))
}

/// Whether an address asks for the lessons index.
pub fn wants_index(query: &str) -> bool {
    presets::query_pairs(query).any(|(name, _)| name == "lessons")
}

/// A reader's prediction on one step's question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prediction {
    /// The choice picked, if any.
    pub picked: Option<usize>,
    /// Whether the reader asked to see (with or without a guess).
    pub asked: bool,
    /// The run's answer, once the worker has it.
    pub answer: Option<Answer>,
    /// Why the run could not answer, if it could not.
    pub problem: Option<String>,
}

/// What the question area shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    /// Waiting for the reader to pick and ask.
    Asking,
    /// Asked: the answer is being worked out, or the run is playing to its moment.
    Watching,
    /// The run has reached the answer: it, and whether the guess was right.
    Revealed {
        answer: Answer,
        /// `None` when the reader asked without guessing.
        right: Option<bool>,
    },
    /// The run cannot answer (the reader changed the scenario so that it no longer can).
    Problem(String),
}

/// What happens to a prediction: the reader picks or asks, the worker answers or cannot.
#[derive(Clone, Debug, PartialEq)]
pub enum Said {
    Pick(usize),
    /// The reader asks to see, after a guess or without one.
    Ask {
        guessed: bool,
    },
    Answered(Answer),
    Failed(String),
}

impl Prediction {
    pub fn pick(&mut self, choice: usize) {
        if !self.asked {
            self.picked = Some(choice);
        }
    }

    /// The prediction after `said`.
    pub fn hear(&mut self, said: Said) {
        match said {
            Said::Pick(choice) => self.pick(choice),
            Said::Ask { guessed } => {
                if !guessed {
                    self.picked = None;
                }
                self.asked = true;
                self.problem = None;
            }
            Said::Answered(answer) => self.answer = Some(answer),
            Said::Failed(problem) => self.problem = Some(problem),
        }
    }

    /// What to show with the cursor at `cursor_ms`: the answer only once the run has
    /// played to the moment it can be seen.
    pub fn shown(&self, cursor_ms: f64) -> Shown {
        if let Some(problem) = &self.problem {
            return Shown::Problem(problem.clone());
        }
        match (&self.answer, self.asked) {
            (Some(answer), true) if cursor_ms >= answer.at_ms => Shown::Revealed {
                answer: answer.clone(),
                right: self.picked.map(|picked| picked == answer.choice),
            },
            (_, true) => Shown::Watching,
            (_, false) => Shown::Asking,
        }
    }
}

impl yew::Reducible for Prediction {
    type Action = Said;

    fn reduce(self: Rc<Self>, said: Said) -> Rc<Self> {
        let mut next = (*self).clone();
        next.hear(said);
        Rc::new(next)
    }
}

/// The sentence that goes with a revealed answer.
pub fn verdict_words(right: Option<bool>, picked: Option<&str>, answer: &Answer) -> String {
    match (right, picked) {
        (Some(true), _) => format!("Right: {}.", answer.label),
        (Some(false), Some(picked)) => {
            format!("You predicted {picked}; the run shows {}.", answer.label)
        }
        _ => format!("The run shows {}.", answer.label),
    }
}

/// Paragraphs of a step's text (separated by blank lines).
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::lesson::choices;

    #[test]
    fn every_lesson_file_reads_and_every_step_has_a_scenario_the_page_offers() {
        assert_eq!(catalogue().len(), LESSON_FILES.len());
        for (id, text) in LESSON_FILES {
            let lesson = Lesson::from_json(text).unwrap_or_else(|err| panic!("{id}: {err}"));
            assert_eq!(lesson.id, *id, "the file name and the id agree");
            lesson
                .step_scenarios(&resolve)
                .unwrap_or_else(|err| panic!("{id}: {err}"));
        }
    }

    #[test]
    fn every_topic_has_lessons_and_every_model_and_failure_has_one() {
        let lessons = catalogue();
        for topic in TOPICS {
            assert!(
                lessons.iter().any(|lesson| lesson.topic == topic),
                "{topic:?}"
            );
        }
        let scenarios: Vec<String> = lessons
            .iter()
            .flat_map(|lesson| lesson.step_scenarios(&resolve).unwrap())
            .map(|scenario| scenario.protocol.kind().to_string())
            .collect();
        for model in ["eventual", "causal", "sequential", "strict", "bft"] {
            assert!(scenarios.iter().any(|kind| kind == model), "{model}");
        }
    }

    #[test]
    fn an_address_opens_a_lesson_at_a_step_or_says_why_not() {
        let walk = from_query("?lesson=strict-password&step=2")
            .unwrap()
            .unwrap();
        assert_eq!((walk.lesson.id.as_str(), walk.step), ("strict-password", 1));
        assert_eq!(
            from_query("?lesson=strict-password").unwrap().unwrap().step,
            0
        );
        assert_eq!(from_query("?preset=omission").unwrap(), None);
        let unknown = from_query("?lesson=%3Cscript%3E").unwrap_err();
        assert!(
            unknown.starts_with("There is no lesson called"),
            "{unknown}"
        );
        for bad in ["0", "99", "two", ""] {
            let err = from_query(&format!("?lesson=strict-password&step={bad}")).unwrap_err();
            assert!(err.contains("has steps 1 to"), "{err}");
        }
        assert!(wants_index("?lessons") && wants_index("?embed&lessons=1"));
        assert!(!wants_index("?lesson=crash"));
    }

    #[test]
    fn a_steps_address_keeps_the_embed_options_and_replaces_the_rest() {
        let walk = from_query("?lesson=crash").unwrap().unwrap().at(2);
        assert_eq!(walk.query(""), "?lesson=crash&step=3");
        assert_eq!(
            walk.query("?embed&controls=min&lesson=crash&step=1&preset=x"),
            "?embed&controls=min&lesson=crash&step=3"
        );
        assert_eq!(walk.at(99).step, walk.steps() - 1);
    }

    #[test]
    fn the_answer_shows_only_once_asked_and_once_the_run_reaches_it() {
        let scenario = resolve("strict-password").unwrap();
        let ask = dsplay_sim::lesson::Ask::Read {
            client: "alice".into(),
            key: None,
            after_ms: 9_000.0,
        };
        let answer = dsplay_sim::lesson::answer(&ask, &scenario).unwrap();
        let mut prediction = Prediction::default();
        assert_eq!(prediction.shown(0.0), Shown::Asking);
        prediction.hear(Said::Pick(0));
        prediction.hear(Said::Answered(answer.clone()));
        assert_eq!(
            prediction.shown(20_000.0),
            Shown::Asking,
            "not before asking"
        );
        prediction.hear(Said::Ask { guessed: true });
        prediction.hear(Said::Pick(1));
        assert_eq!(prediction.picked, Some(0), "a guess is final once asked");
        assert_eq!(prediction.shown(answer.at_ms - 10.0), Shown::Watching);
        let Shown::Revealed { right, .. } = prediction.shown(answer.at_ms) else {
            panic!("revealed at the moment");
        };
        assert_eq!(right, Some(answer.choice == 0));
        let labels = choices(&ask, &scenario);
        let words = verdict_words(right, Some(&labels[0]), &answer);
        assert!(words.contains(&answer.label), "{words}");
        assert_eq!(
            verdict_words(None, None, &answer),
            format!("The run shows {}.", answer.label)
        );
    }

    #[test]
    fn asking_without_a_guess_forgets_the_pick_and_a_failure_is_shown() {
        let mut prediction = Prediction::default();
        prediction.hear(Said::Pick(1));
        prediction.hear(Said::Ask { guessed: false });
        assert_eq!(prediction.picked, None);
        assert_eq!(prediction.shown(0.0), Shown::Watching);
        prediction.hear(Said::Failed("no client".into()));
        assert_eq!(prediction.shown(0.0), Shown::Problem("no client".into()));
    }

    #[test]
    fn text_splits_into_paragraphs_at_blank_lines() {
        assert_eq!(
            paragraphs("One.\n\n Two,\nstill two. \n\n\n"),
            vec!["One.", "Two,\nstill two."]
        );
    }
}
