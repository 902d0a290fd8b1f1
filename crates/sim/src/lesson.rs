//! Lessons as data: steps through scenarios, with questions whose answers the run works out.
//!
//! A lesson file (format in `docs/formats.md`) is a list of [`Step`]s. Each step says
//! which scenario it shows (a scenario by id, or the previous step's, changed: another
//! model, another seed, more faults) and at which moment it opens, and it may ask the
//! reader to predict something before they see it ([`Question`]). The answer is never
//! stored in the file: [`answer`] runs the step's scenario and reads it off the history,
//! the trace or the checker, so a lesson can never tell a reader something its run does
//! not show. The choices a question offers are fixed by its kind ([`choices`]), so they
//! give nothing away either.
//!
//! Scenarios are named by id and found through a resolver the caller gives (the page's
//! presets, or the CLI's `scenarios/` directory), so this module reads no files.

use crate::compare::scenario_with_model;
use crate::fault::FaultSpec;
use crate::history::{is_stale, operations, Operation, Outcome};
use crate::protocol::Op;
use crate::scenario::{is_valid_id, Scenario};
use crate::time::Time;
use crate::topology::NodeKind;
use crate::{build, Engine};
use serde::{Deserialize, Serialize};

/// The lesson format version this build reads.
pub const LESSON_VERSION: u32 = 1;
/// Most steps in one lesson.
pub const MAX_STEPS: usize = 40;
/// Longest title, text or prompt, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Largest lesson document read, checked before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// How far past a question's moment the run is taken to see an operation end: longer
/// than any client timeout the presets use.
const OUTCOME_HORIZON_MS: f64 = 60_000.0;

/// A lesson file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Format version; must equal [`LESSON_VERSION`].
    pub version: u32,
    /// Stable name, used in addresses (`?lesson=ID`).
    pub id: String,
    pub title: String,
    /// What the reader will see, in a sentence, for the lessons index.
    pub summary: String,
    /// Which group of the index the lesson belongs to.
    pub topic: Topic,
    pub steps: Vec<Step>,
}

/// The groups of the lessons index.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// A consistency model.
    Model,
    /// A kind of failure.
    Failure,
    /// A trade-off between characteristics.
    TradeOff,
}

impl Topic {
    /// The index's heading for the group.
    pub fn heading(self) -> &'static str {
        match self {
            Topic::Model => "Consistency models",
            Topic::Failure => "Failures",
            Topic::TradeOff => "Trade-offs",
        }
    }
}

/// One step of a lesson: a text, a scenario at a moment, and perhaps a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    /// What the reader is told; plain text, paragraphs separated by blank lines.
    pub text: String,
    /// The scenario shown, by id; `None` keeps the previous step's (the first step must
    /// name one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Runs the scenario under another model (protocol kind, default parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Runs the scenario with another seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Drops the scenario's fault schedule before `add_faults` are added.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_faults: bool,
    /// Faults added to the scenario's schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_faults: Vec<FaultSpec>,
    /// The moment the step opens at, paused, in milliseconds of virtual time.
    #[serde(default)]
    pub at_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
}

/// "Predict before you see": a prompt, and what the run is asked to find out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub prompt: String,
    pub ask: Ask,
}

/// What a question asks of the run. The choices and the answer follow from the kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ask {
    /// What `client`'s first read (of `key`, if given) begun at or after `after_ms`
    /// returns: the latest value, an older one, or none.
    Read {
        client: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        after_ms: f64,
    },
    /// How `client`'s first operation (of kind `op`, if given) begun at or after
    /// `after_ms` ends: it succeeds, fails, or gets no answer.
    Outcome {
        client: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op: Option<OpKind>,
        after_ms: f64,
    },
    /// Whether the checker finds the model's guarantee kept by the history up to
    /// `until_ms`.
    Verdict { until_ms: f64 },
    /// Which replica holds `role` (as the inspector names roles: `leader`, `primary`,
    /// `sequencer`) at `at_ms`, if any.
    Role { role: String, at_ms: f64 },
    /// What share of the operations begun and ended between `from_ms` and `until_ms`
    /// succeed.
    Availability { from_ms: f64, until_ms: f64 },
    /// Whether any read completed between `from_ms` and `until_ms` is stale.
    StaleReads { from_ms: f64, until_ms: f64 },
}

/// A kind of client operation, as a question names it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Read,
    Write,
    Cas,
}

impl OpKind {
    fn matches(self, op: &Op) -> bool {
        matches!(
            (self, op),
            (OpKind::Read, Op::Read { .. })
                | (OpKind::Write, Op::Write { .. })
                | (OpKind::Cas, Op::Cas { .. })
        )
    }

    fn name(self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::Cas => "cas",
        }
    }
}

/// The read question's choices, in order.
const READ_LATEST: usize = 0;
const READ_STALE: usize = 1;
const READ_NONE: usize = 2;
const READ_INVENTED: usize = 3;

/// What the run shows: the choice that is right, a sentence saying why, and the moment
/// the reader can see it happen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Index into [`choices`].
    pub choice: usize,
    /// The choice's words.
    pub label: String,
    /// What happened, with the operations, values and times that show it.
    pub detail: String,
    /// When it can be seen, in milliseconds of virtual time.
    pub at_ms: f64,
}

impl Ask {
    /// The moment the question is about: from here on the answer may show.
    pub fn from_ms(&self) -> f64 {
        match self {
            Ask::Read { after_ms, .. } | Ask::Outcome { after_ms, .. } => *after_ms,
            Ask::Verdict { until_ms } => *until_ms,
            Ask::Role { at_ms, .. } => *at_ms,
            Ask::Availability { from_ms, .. } | Ask::StaleReads { from_ms, .. } => *from_ms,
        }
    }

    fn times_ms(&self) -> Vec<f64> {
        match self {
            Ask::Read { after_ms, .. } | Ask::Outcome { after_ms, .. } => vec![*after_ms],
            Ask::Verdict { until_ms } => vec![*until_ms],
            Ask::Role { at_ms, .. } => vec![*at_ms],
            Ask::Availability { from_ms, until_ms } | Ask::StaleReads { from_ms, until_ms } => {
                vec![*from_ms, *until_ms]
            }
        }
    }
}

/// The choices a question offers, in the order shown. They depend on the question's kind
/// (and, for a role, on the scenario's replicas), never on the run.
pub fn choices(ask: &Ask, scenario: &Scenario) -> Vec<String> {
    let words = |list: &[&str]| list.iter().map(|word| (*word).to_string()).collect();
    match ask {
        Ask::Read { .. } => words(&[
            "the latest value",
            "an older value (a stale read)",
            "no value: the read fails or gets no answer",
            "a value no client ever wrote",
        ]),
        Ask::Outcome { .. } => words(&[
            "it succeeds",
            "it fails: the system refuses it",
            "no answer before the client gives up",
        ]),
        Ask::Verdict { .. } => words(&["the guarantee holds", "the checker finds a violation"]),
        Ask::Role { .. } => {
            let mut replicas: Vec<String> = scenario
                .nodes
                .iter()
                .filter(|node| node.kind == NodeKind::Replica)
                .map(|node| node.id.clone())
                .collect();
            replicas.push("no replica".to_string());
            replicas
        }
        Ask::Availability { .. } => words(&["90 % or more", "from 50 % to 90 %", "under 50 %"]),
        Ask::StaleReads { .. } => words(&["no stale read", "at least one stale read"]),
    }
}

impl Lesson {
    /// Reads a lesson file, or says what is wrong with it (every problem found, one per
    /// line). Scenarios are not looked up here: see [`Lesson::step_scenarios`].
    pub fn from_json(text: &str) -> Result<Lesson, String> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the lesson file is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                text.len()
            ));
        }
        let lesson: Lesson = serde_json::from_str(text).map_err(|err| err.to_string())?;
        let problems = lesson.problems();
        if problems.is_empty() {
            Ok(lesson)
        } else {
            Err(problems.join("\n"))
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.version != LESSON_VERSION {
            problems.push(format!(
                "version: this build reads lesson version {LESSON_VERSION}, not {}",
                self.version
            ));
        }
        if !is_valid_id(&self.id) {
            problems.push(format!(
                "id: `{}` must be 1 to 32 letters, digits, `-`, `_` or `.`",
                self.id
            ));
        }
        let mut text = |path: String, value: &str| {
            if value.trim().is_empty() {
                problems.push(format!("{path}: must not be empty"));
            } else if value.chars().count() > MAX_TEXT_CHARS {
                problems.push(format!("{path}: longer than {MAX_TEXT_CHARS} characters"));
            }
        };
        text("title".into(), &self.title);
        text("summary".into(), &self.summary);
        for (index, step) in self.steps.iter().enumerate() {
            text(format!("steps[{index}].title"), &step.title);
            text(format!("steps[{index}].text"), &step.text);
            if let Some(question) = &step.question {
                text(format!("steps[{index}].question.prompt"), &question.prompt);
            }
        }
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            problems.push(format!(
                "steps: a lesson has 1 to {MAX_STEPS} steps, not {}",
                self.steps.len()
            ));
        }
        if self
            .steps
            .first()
            .is_some_and(|step| step.scenario.is_none())
        {
            problems.push("steps[0].scenario: the first step must name a scenario".into());
        }
        for (index, step) in self.steps.iter().enumerate() {
            let mut times = vec![step.at_ms];
            if let Some(question) = &step.question {
                times.extend(question.ask.times_ms());
                if question.ask.from_ms() < step.at_ms {
                    problems.push(format!(
                        "steps[{index}].question: it asks about {} ms, before the step opens at {} ms, so the reader would already see the answer",
                        question.ask.from_ms(),
                        step.at_ms
                    ));
                }
                if let Ask::Availability { from_ms, until_ms }
                | Ask::StaleReads { from_ms, until_ms } = question.ask
                {
                    if from_ms >= until_ms {
                        problems.push(format!(
                            "steps[{index}].question.ask: from_ms must be before until_ms"
                        ));
                    }
                }
            }
            if times.iter().any(|ms| !(ms.is_finite() && *ms >= 0.0)) {
                problems.push(format!(
                    "steps[{index}]: times must be non-negative numbers of milliseconds"
                ));
            }
        }
        problems
    }

    /// The scenario each step shows, in order: its own by id (found by `resolve`) or the
    /// previous step's, then its model, seed and faults applied. Fails with a sentence
    /// naming the step when a scenario is unknown or does not run, a moment is past the
    /// scenario's end, or a question names a client that is not there.
    pub fn step_scenarios(
        &self,
        resolve: &dyn Fn(&str) -> Option<Scenario>,
    ) -> Result<Vec<Scenario>, String> {
        let mut scenarios: Vec<Scenario> = Vec::with_capacity(self.steps.len());
        for (index, step) in self.steps.iter().enumerate() {
            let number = index + 1;
            let mut scenario = match (&step.scenario, scenarios.last()) {
                (Some(id), _) => resolve(id)
                    .ok_or_else(|| format!("step {number}: there is no scenario `{id}`"))?,
                (None, Some(previous)) => previous.clone(),
                (None, None) => {
                    return Err(format!(
                        "step {number}: the first step must name a scenario"
                    ))
                }
            };
            if let Some(model) = &step.model {
                scenario = scenario_with_model(&scenario, model)
                    .map_err(|err| format!("step {number}: {err}"))?;
            }
            if let Some(seed) = step.seed {
                scenario.seed = seed;
            }
            if step.clear_faults {
                scenario.faults.clear();
            }
            scenario.faults.extend(step.add_faults.iter().cloned());
            scenario
                .compile()
                .map_err(|err| format!("step {number}: the scenario does not run: {err}"))?;
            let mut times = vec![step.at_ms];
            if let Some(question) = &step.question {
                times.extend(question.ask.times_ms());
                check_ask(&question.ask, &scenario)
                    .map_err(|err| format!("step {number}: {err}"))?;
            }
            if let Some(late) = times.iter().find(|ms| **ms > scenario.duration_ms) {
                return Err(format!(
                    "step {number}: {late} ms is past the scenario's end at {} ms",
                    scenario.duration_ms
                ));
            }
            scenarios.push(scenario);
        }
        Ok(scenarios)
    }
}

/// Whether `ask` can be asked of `scenario`: the client it names is a client there, the
/// model has a guarantee to check.
pub fn check_ask(ask: &Ask, scenario: &Scenario) -> Result<(), String> {
    match ask {
        Ask::Read { client, .. } | Ask::Outcome { client, .. } => {
            let known = scenario
                .nodes
                .iter()
                .any(|node| node.id == *client && node.kind == NodeKind::Client);
            if !known {
                return Err(format!(
                    "the question names `{client}`, which is not a client of the scenario"
                ));
            }
        }
        Ask::Verdict { .. } => {
            if let Some(reason) = crate::verdict::nothing_to_look_for(scenario.protocol.kind()) {
                return Err(reason);
            }
        }
        Ask::Role { .. } | Ask::Availability { .. } | Ask::StaleReads { .. } => {}
    }
    Ok(())
}

/// Runs `scenario` and reads the answer to `ask` off it. The same scenario always gives
/// the same answer (the run is deterministic), which is what lets the page work it out
/// in a worker while it animates the same run.
pub fn answer(ask: &Ask, scenario: &Scenario) -> Result<Answer, String> {
    check_ask(ask, scenario)?;
    let mut engine = build(scenario).map_err(|err| err.to_string())?;
    let end = engine.duration();
    let run_to = |engine: &mut Box<dyn Engine>, ms: f64| {
        engine
            .run_until(Time::from_ms_f64(ms).min(end))
            .map_err(|err| err.to_string())
    };
    let names: Vec<&str> = scenario.nodes.iter().map(|node| node.id.as_str()).collect();
    let labels = choices(ask, scenario);
    let pick = |choice: usize, detail: String, at: Time| Answer {
        choice,
        label: labels[choice].clone(),
        detail,
        at_ms: at.as_ms_f64(),
    };
    match ask {
        Ask::Read {
            client,
            key,
            after_ms,
        } => {
            run_to(&mut engine, after_ms + OUTCOME_HORIZON_MS)?;
            let ops = operations(engine.history_log());
            let after = Time::from_ms_f64(*after_ms);
            let read = first_op(&ops, &names, client, after, |op| {
                matches!(op, Op::Read { .. }) && key.as_ref().is_none_or(|key| op.key() == key)
            })
            .ok_or_else(|| {
                format!(
                    "{client} begins no read{} after {after} in this run",
                    key.as_ref()
                        .map(|key| format!(" of {key}"))
                        .unwrap_or_default()
                )
            })?;
            let begun = format!(
                "{client}'s read of {} began at {}",
                read.op.key(),
                read.invoke
            );
            Ok(match &read.complete {
                Some((done, Outcome::Ok(value))) => {
                    let got = value.map_or(
                        "nothing (that replica had no value for it yet)".to_string(),
                        |value| value.shown.to_string(),
                    );
                    let served = format!(
                        "{begun} and returned {got} at {done}, served by {}.",
                        names[read.replica.index()]
                    );
                    // The client operation that wrote the value read, if one did.
                    let source = value.and_then(|value| {
                        ops.iter().find(|op| {
                            !op.final_read
                                && op.op.key() == read.op.key()
                                && op.written().is_some_and(|written| written.id == value.id)
                        })
                    });
                    let written_by_someone = value.is_none() || source.is_some();
                    let latest = latest_acknowledged(&ops, read);
                    let latest_words = match latest {
                        Some(write) => format!(
                            "The latest write acknowledged before it began was {}'s at {}, of {}",
                            names[write.client.index()],
                            write
                                .complete
                                .as_ref()
                                .map_or(write.invoke, |(time, _)| *time),
                            write.written().map_or(0, |value| value.shown),
                        ),
                        None => "No write to it had been acknowledged before it began".to_string(),
                    };
                    let same_as_latest = match (latest.and_then(Operation::written), value) {
                        (Some(latest), Some(value)) => latest.id == value.id,
                        (None, None) => true,
                        _ => false,
                    };
                    if !written_by_someone {
                        pick(
                            READ_INVENTED,
                            format!("{served} No client ever wrote {got} to {}: the replica made it up.", read.op.key()),
                            *done,
                        )
                    } else if is_stale(read, &ops) {
                        pick(
                            READ_STALE,
                            format!("{served} {latest_words}: the read missed it."),
                            *done,
                        )
                    } else if same_as_latest {
                        pick(READ_LATEST, format!("{served} {latest_words}."), *done)
                    } else {
                        // The value read came from a write the client never saw
                        // acknowledged, or from one that overlapped the latest
                        // acknowledged write (writes that overlap may take effect in
                        // either order): either way the read missed nothing certain.
                        let why = match source.and_then(Operation::outcome) {
                            Some(Outcome::Ok(_)) | None => format!(
                                "the write of {got} overlapped it in time, so either counts as the latest"
                            ),
                            Some(Outcome::Fail(_)) => {
                                format!("the write of {got} was reported failed, yet it took effect")
                            }
                            Some(Outcome::Info) => format!(
                                "the write of {got} got no answer, so its client never learned that it took effect"
                            ),
                        };
                        pick(
                            READ_LATEST,
                            format!("{served} {latest_words}; {why}."),
                            *done,
                        )
                    }
                }
                Some((done, Outcome::Fail(reason))) => pick(
                    READ_NONE,
                    format!("{begun} and failed at {done}: {reason}."),
                    *done,
                ),
                Some((done, Outcome::Info)) => pick(
                    READ_NONE,
                    format!("{begun} and got no answer; the client gave up at {done}."),
                    *done,
                ),
                None => pick(
                    READ_NONE,
                    format!("{begun} and was still waiting for an answer when the run ended."),
                    engine.now(),
                ),
            })
        }
        Ask::Outcome {
            client,
            op,
            after_ms,
        } => {
            run_to(&mut engine, after_ms + OUTCOME_HORIZON_MS)?;
            let ops = operations(engine.history_log());
            let after = Time::from_ms_f64(*after_ms);
            let found = first_op(&ops, &names, client, after, |candidate| {
                op.is_none_or(|kind| kind.matches(candidate))
            })
            .ok_or_else(|| {
                format!(
                    "{client} begins no {} after {after} in this run",
                    op.map_or("operation", OpKind::name)
                )
            })?;
            let begun = format!(
                "{client}'s {} began at {}",
                describe_op(&found.op),
                found.invoke
            );
            Ok(match &found.complete {
                Some((done, Outcome::Ok(_))) => pick(
                    0,
                    format!("{begun} and succeeded at {done}, answered by {}.", names[found.replica.index()]),
                    *done,
                ),
                Some((done, Outcome::Fail(reason))) => {
                    pick(1, format!("{begun} and failed at {done}: {reason}."), *done)
                }
                Some((done, Outcome::Info)) => pick(
                    2,
                    format!("{begun} and got no answer; the client gave up at {done}, not knowing whether it happened."),
                    *done,
                ),
                None => pick(
                    2,
                    format!("{begun} and was still waiting for an answer when the run ended."),
                    engine.now(),
                ),
            })
        }
        Ask::Verdict { until_ms } => {
            run_to(&mut engine, *until_ms)?;
            let verdict = crate::report::VerdictSummary::judge(
                engine.as_ref(),
                scenario.protocol.kind(),
                dsplay_check::Budget::default(),
            );
            let at = Time::from_ms_f64(*until_ms).min(end);
            match verdict.valid {
                Some(true) => Ok(pick(
                    0,
                    format!(
                        "The checker finds the history up to {at} {}: {}",
                        verdict.model, verdict.explanation
                    ),
                    at,
                )),
                Some(false) => Ok(pick(
                    1,
                    format!(
                        "The history up to {at} is not {}: {}",
                        verdict.model, verdict.explanation
                    ),
                    at,
                )),
                None => Err(format!(
                    "the checker could not decide within its budget: {}",
                    verdict.explanation
                )),
            }
        }
        Ask::Role { role, at_ms } => {
            run_to(&mut engine, *at_ms)?;
            let at = Time::from_ms_f64(*at_ms).min(end);
            let holder = engine
                .topology()
                .replicas()
                .into_iter()
                .find(|node| engine.is_up(*node) && engine.role(*node) == role);
            let replicas = &labels[..labels.len() - 1];
            Ok(match holder {
                Some(node) => {
                    let name = names[node.index()];
                    let choice = replicas
                        .iter()
                        .position(|replica| replica == name)
                        .expect("every replica is a choice");
                    pick(choice, format!("At {at} {name} is the {role}."), at)
                }
                None => pick(
                    labels.len() - 1,
                    format!("At {at} no replica that is up is the {role}."),
                    at,
                ),
            })
        }
        Ask::Availability { from_ms, until_ms } => {
            run_to(&mut engine, *until_ms)?;
            let ops = operations(engine.history_log());
            let (from, until) = (Time::from_ms_f64(*from_ms), Time::from_ms_f64(*until_ms));
            let ended: Vec<&Operation> = ops
                .iter()
                .filter(|op| !op.final_read && op.invoke >= from)
                .filter(|op| op.complete.as_ref().is_some_and(|(done, _)| *done <= until))
                .collect();
            if ended.is_empty() {
                return Err(format!(
                    "no operation begins and ends between {from} and {until}"
                ));
            }
            let ok = ended.iter().filter(|op| op.is_ok()).count();
            let share = ok as f64 / ended.len() as f64;
            let choice = if share >= 0.9 {
                0
            } else if share >= 0.5 {
                1
            } else {
                2
            };
            Ok(pick(
                choice,
                format!(
                    "Of the {} operations that began and ended between {from} and {until}, {ok} succeeded: {:.1} %.",
                    ended.len(),
                    share * 100.0
                ),
                until,
            ))
        }
        Ask::StaleReads { from_ms, until_ms } => {
            run_to(&mut engine, *until_ms)?;
            let ops = operations(engine.history_log());
            let (from, until) = (Time::from_ms_f64(*from_ms), Time::from_ms_f64(*until_ms));
            let reads: Vec<&Operation> = ops
                .iter()
                .filter(|op| !op.final_read && matches!(op.op, Op::Read { .. }))
                .filter(|op| {
                    op.complete
                        .as_ref()
                        .is_some_and(|(done, _)| *done >= from && *done <= until)
                })
                .collect();
            let stale: Vec<&&Operation> =
                reads.iter().filter(|read| is_stale(read, &ops)).collect();
            Ok(match stale.first() {
                None => pick(
                    0,
                    format!(
                        "None of the {} reads completed between {from} and {until} is stale.",
                        reads.len()
                    ),
                    until,
                ),
                Some(first) => {
                    let (done, value) = match &first.complete {
                        Some((done, Outcome::Ok(value))) => (*done, *value),
                        _ => (until, None),
                    };
                    pick(
                        1,
                        format!(
                            "{} of the {} reads completed between {from} and {until} are stale. The first: {} read {} as {} at {done}, from {}, after a newer write had been acknowledged.",
                            stale.len(),
                            reads.len(),
                            names[first.client.index()],
                            first.op.key(),
                            value.map_or("nothing".to_string(), |value| value.shown.to_string()),
                            names[first.replica.index()],
                        ),
                        until,
                    )
                }
            })
        }
    }
}

/// `client`'s first operation begun at or after `after` for which `wanted` holds.
fn first_op<'a>(
    ops: &'a [Operation],
    names: &[&str],
    client: &str,
    after: Time,
    wanted: impl Fn(&Op) -> bool,
) -> Option<&'a Operation> {
    ops.iter().find(|op| {
        !op.final_read && op.invoke >= after && names[op.client.index()] == client && wanted(&op.op)
    })
}

/// The write to `read`'s key acknowledged last before `read` began.
fn latest_acknowledged<'a>(ops: &'a [Operation], read: &Operation) -> Option<&'a Operation> {
    ops.iter()
        .filter(|op| !op.final_read && op.op.key() == read.op.key() && op.written().is_some())
        .filter_map(|op| match &op.complete {
            Some((done, Outcome::Ok(_))) if *done < read.invoke => Some((*done, op)),
            _ => None,
        })
        .max_by_key(|(done, _)| *done)
        .map(|(_, op)| op)
}

pub(crate) fn describe_op(op: &Op) -> String {
    match op {
        Op::Read { key } => format!("read of {key}"),
        Op::Write { key, value } => format!("write of {} to {key}", value.shown),
        Op::Cas { key, old, new } => format!("cas of {key} from {old} to {}", new.shown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> Option<Scenario> {
        let text = match name {
            "strict-password" => include_str!("../../../scenarios/strict-password.json"),
            "partition-tradeoff" => include_str!("../../../scenarios/partition-tradeoff.json"),
            "byzantine" => include_str!("../../../scenarios/byzantine.json"),
            _ => return None,
        };
        Some(Scenario::from_json(text).expect("the preset loads"))
    }

    fn lesson(steps: &str) -> Result<Lesson, String> {
        Lesson::from_json(&format!(
            r#"{{"version": 1, "id": "t", "title": "T", "summary": "S", "topic": "model", "steps": {steps}}}"#
        ))
    }

    #[test]
    fn a_lesson_names_every_problem_in_its_file() {
        let err = Lesson::from_json(
            r#"{"version": 2, "id": "no spaces", "title": "", "summary": "S", "topic": "model",
                "steps": [{"title": "A", "text": "B", "at_ms": 500,
                           "question": {"prompt": "?", "ask": {"kind": "verdict", "until_ms": 100}}}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("version"), "{err}");
        assert!(err.contains("id:"), "{err}");
        assert!(err.contains("title: must not be empty"), "{err}");
        assert!(err.contains("first step must name a scenario"), "{err}");
        assert!(err.contains("before the step opens"), "{err}");
        assert!(Lesson::from_json("{").is_err());
        assert!(lesson(r#"[]"#).unwrap_err().contains("1 to 40 steps"));
    }

    #[test]
    fn later_steps_keep_the_scenario_and_apply_their_changes() {
        let lesson = lesson(
            r#"[{"title": "A", "text": "a", "scenario": "partition-tradeoff"},
                {"title": "B", "text": "b", "model": "eventual", "seed": 9},
                {"title": "C", "text": "c", "clear_faults": true,
                 "add_faults": [{"at_ms": 100, "fault": {"kind": "crash", "node": "n1"}}]}]"#,
        )
        .unwrap();
        let scenarios = lesson.step_scenarios(&scenario).unwrap();
        assert_eq!(scenarios[0].protocol.kind(), "strict");
        assert_eq!(scenarios[1].protocol.kind(), "eventual");
        assert_eq!(scenarios[1].seed, 9);
        assert_eq!(scenarios[1].faults, scenarios[0].faults);
        assert_eq!(scenarios[2].protocol.kind(), "eventual");
        assert_eq!(scenarios[2].faults.len(), 1);
    }

    #[test]
    fn steps_that_cannot_be_shown_are_named() {
        let unknown = lesson(r#"[{"title": "A", "text": "a", "scenario": "nope"}]"#).unwrap();
        assert_eq!(
            unknown.step_scenarios(&scenario).unwrap_err(),
            "step 1: there is no scenario `nope`"
        );
        let late = lesson(
            r#"[{"title": "A", "text": "a", "scenario": "strict-password", "at_ms": 99000}]"#,
        )
        .unwrap();
        assert!(late
            .step_scenarios(&scenario)
            .unwrap_err()
            .contains("past the scenario's end"));
        let stranger = lesson(
            r#"[{"title": "A", "text": "a", "scenario": "strict-password",
                 "question": {"prompt": "?", "ask": {"kind": "read", "client": "n1", "after_ms": 0}}}]"#,
        )
        .unwrap();
        assert!(stranger
            .step_scenarios(&scenario)
            .unwrap_err()
            .contains("not a client"));
        let model = lesson(
            r#"[{"title": "A", "text": "a", "scenario": "strict-password", "model": "paxos"}]"#,
        )
        .unwrap();
        assert!(model
            .step_scenarios(&scenario)
            .unwrap_err()
            .contains("no consistency model called"));
    }

    #[test]
    fn a_strict_read_during_the_partition_on_the_cut_off_side_gets_no_value() {
        let strict = scenario("strict-password").unwrap();
        let ask = Ask::Read {
            client: "alice".into(),
            key: None,
            after_ms: 9_000.0,
        };
        let answer = answer(&ask, &strict).unwrap();
        assert_eq!(answer.choice, 2, "{answer:?}");
        assert_eq!(answer.label, choices(&ask, &strict)[2]);
        assert!(
            answer
                .detail
                .starts_with("alice's read of password began at 9."),
            "{answer:?}"
        );
        assert!(answer.at_ms > 9_000.0);
    }

    #[test]
    fn answers_come_from_the_run_and_change_with_it() {
        let strict = scenario("partition-tradeoff").unwrap();
        let eventual = scenario_with_model(&strict, "eventual").unwrap();
        let ask = Ask::Availability {
            from_ms: 6_000.0,
            until_ms: 14_000.0,
        };
        let (strict_answer, eventual_answer) = (
            answer(&ask, &strict).unwrap(),
            answer(&ask, &eventual).unwrap(),
        );
        assert_ne!(
            strict_answer.choice, eventual_answer.choice,
            "{strict_answer:?} {eventual_answer:?}"
        );
        assert_eq!(eventual_answer.choice, 0, "{eventual_answer:?}");
        let stale = Ask::StaleReads {
            from_ms: 0.0,
            until_ms: 20_000.0,
        };
        assert_eq!(answer(&stale, &strict).unwrap().choice, 0);
        assert_eq!(answer(&stale, &eventual).unwrap().choice, 1);
        let verdict = Ask::Verdict { until_ms: 20_000.0 };
        assert_eq!(answer(&verdict, &strict).unwrap().choice, 0);
        // Asking twice gives the same answer: the run is deterministic.
        assert_eq!(answer(&ask, &strict).unwrap(), strict_answer);
    }

    #[test]
    fn a_read_of_a_value_no_client_wrote_is_called_made_up_not_latest() {
        let mut lying = scenario_with_model(&scenario("byzantine").unwrap(), "strict")
            .unwrap_or_else(|err| panic!("{err}"));
        lying.faults = vec![serde_json::from_str(
            r#"{"at_ms": 10000, "fault": {"kind": "byzantine", "node": "r3", "strategy": "lie"}}"#,
        )
        .unwrap()];
        let ask = Ask::Read {
            client: "bob".into(),
            key: None,
            after_ms: 10_500.0,
        };
        let found = answer(&ask, &lying).unwrap();
        assert_eq!(found.choice, READ_INVENTED, "{found:?}");
        assert!(found.detail.contains("No client ever wrote"), "{found:?}");
        assert_eq!(choices(&ask, &lying)[READ_INVENTED], found.label);
    }

    #[test]
    fn the_role_question_names_the_leader_or_no_one() {
        let strict = scenario("strict-password").unwrap();
        let ask = Ask::Role {
            role: "leader".into(),
            at_ms: 5_000.0,
        };
        let found = answer(&ask, &strict).unwrap();
        assert_eq!(found.label, "n1", "{found:?}");
        assert_eq!(
            answer(
                &Ask::Role {
                    role: "leader".into(),
                    at_ms: 0.0
                },
                &strict
            )
            .unwrap()
            .label,
            "no replica"
        );
    }

    #[test]
    fn questions_about_what_is_not_there_get_a_sentence() {
        let strict = scenario("strict-password").unwrap();
        let no_ops = Ask::Outcome {
            client: "alice".into(),
            op: Some(OpKind::Cas),
            after_ms: 19_999.0,
        };
        assert!(answer(&no_ops, &strict)
            .unwrap_err()
            .contains("begins no cas"));
        let mut gossip = strict.clone();
        gossip = scenario_with_model(&gossip, "gossip").unwrap_or(gossip);
        if gossip.protocol.kind() == "gossip" {
            assert!(answer(&Ask::Verdict { until_ms: 1_000.0 }, &gossip).is_err());
        }
    }
}
