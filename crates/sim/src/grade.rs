//! Grading a design against a challenge: runs over the grading seeds, one row per
//! requirement with the measured figure beside its threshold, and for a miss the seed
//! that shows it worst, as a scenario that replays that run exactly.
//!
//! Every run is an ordinary scenario: the challenge's clients, network and faults around
//! the design (`Challenge::scenario`), the seed's drawn faults written out, plus what the
//! requirement adds (a replica crashed, the regions partitioned, a rolling restart, more
//! replicas). The grader only reads histories and counters, so a run it reports loads in
//! the playground and shows the same thing.
//!
//! Windows are fractions of the workload (the run before its quiet end): faults a
//! requirement adds start at a quarter of it, so the system has settled, and a single
//! replica crash or a partition lasts until three quarters, so recovery is measured too.

use crate::challenge::{
    Axis, Challenge, Characteristic, Design, FixedClient, Place, Requirement, ScaleFigure, Window,
};
use crate::fault::{FaultKindSpec, FaultSpec};
use crate::history::{lost_writes, HistoryEvent, Operation, Outcome};
use crate::lesson::describe_op;
use crate::scenario::Scenario;
use crate::sweep::scenario_for_seed;
use crate::time::Time;
use crate::verdict::checker_history_of;
use dsplay_check::{Budget, Model};
use serde::{Deserialize, Serialize};

/// The grade of one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The challenge's id.
    pub challenge: String,
    /// The design in one line (`Design::summary`).
    pub design: String,
    pub seeds: u64,
    /// How many runs the grading took.
    pub runs: u64,
    pub rows: Vec<Row>,
    /// Whether every requirement is met.
    pub passed: bool,
}

/// One requirement, graded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub characteristic: Characteristic,
    /// The requirement in a sentence.
    pub requirement: String,
    pub met: bool,
    /// The figure measured, in the unit of `figure` (percent, milliseconds, a count, a
    /// growth factor), for comparing attempts.
    pub measured: f64,
    /// The figure as the scorecard shows it, e.g. `97.5 % (1.6 nines)`.
    pub figure: String,
    /// The threshold as the scorecard shows it, e.g. `≥ 99 % (2 nines)`.
    pub threshold: String,
    /// How it was measured, or what went wrong, in a sentence or two.
    pub detail: String,
    /// For a miss: the run that shows it worst.
    pub worst: Option<Evidence>,
}

/// A run that shows a requirement missed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub seed: u64,
    /// The scenario as graded, faults written out: it replays the run exactly.
    pub scenario: Scenario,
    /// What the run shows, naming operations and times (for consistency, the checker's
    /// explanation).
    pub explanation: String,
    /// The moment to look at, when there is one.
    pub moment_ms: Option<f64>,
}

/// Why there is no scorecard.
#[derive(Clone, Debug, PartialEq)]
pub enum GradeError {
    /// The design breaks the challenge's constraints (or does not form a valid scenario).
    Design(Vec<String>),
    /// The progress callback asked to stop.
    Cancelled,
}

/// A graded run: the scenario as run, and what the grader reads of it.
struct Run {
    seed: u64,
    scenario: Scenario,
    names: Vec<String>,
    log: Vec<HistoryEvent>,
    ops: Vec<Operation>,
    messages_sent: u64,
    /// Why the run stopped early (its event budget), if it did.
    error: Option<String>,
}

impl Run {
    fn client_ops(&self) -> impl Iterator<Item = &Operation> {
        self.ops.iter().filter(|op| !op.final_read)
    }

    fn evidence(&self, explanation: String, moment_ms: Option<f64>) -> Evidence {
        Evidence {
            seed: self.seed,
            scenario: self.scenario.clone(),
            explanation,
            moment_ms,
        }
    }

    /// An operation in words: `alice's write of 3 to x (begun at 2.100 s via us)`.
    fn describe(&self, op: &Operation) -> String {
        format!(
            "{}'s {} (begun at {} via {})",
            self.names[op.client.index()],
            describe_op(&op.op),
            seconds(op.invoke),
            self.names[op.replica.index()]
        )
    }
}

fn seconds(time: Time) -> String {
    format!("{:.3} s", time.as_ms_f64() / 1_000.0)
}

/// Runs `scenario` with `seed` (its profile's faults drawn and written out) to its end.
fn run(scenario: &Scenario, seed: u64) -> Run {
    let scenario = scenario_for_seed(scenario, seed);
    let mut run = Run {
        seed,
        scenario,
        names: Vec::new(),
        log: Vec::new(),
        ops: Vec::new(),
        messages_sent: 0,
        error: None,
    };
    match crate::build(&run.scenario) {
        Err(err) => run.error = Some(err.to_string()),
        Ok(mut engine) => {
            if let Err(err) = engine.run_until(engine.duration()) {
                run.error = Some(format!("the run stopped early: {err}"));
            }
            run.names = crate::verdict::node_names(engine.as_ref());
            run.log = engine.history_log().to_vec();
            run.ops = engine.operations();
            run.messages_sent = engine.stats().messages_sent;
        }
    }
    run
}

/// Successful over begun operations among those begun in `[from, until)`; `None` when
/// none began then.
fn availability(run: &Run, from: Time, until: Time) -> (u64, u64) {
    let window: Vec<&Operation> = run
        .client_ops()
        .filter(|op| op.invoke >= from && op.invoke < until)
        .collect();
    let ok = window.iter().filter(|op| op.is_ok()).count() as u64;
    (ok, window.len() as u64)
}

fn percent(ok: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        ok as f64 * 100.0 / total as f64
    }
}

/// A percentage with its nines: 99.9 % is three nines.
fn with_nines(percent: f64) -> String {
    if percent >= 100.0 {
        return "100 % (every operation)".into();
    }
    // Adding 0 turns the -0 of 0 % into 0.
    let nines = (-libm::log10(1.0 - percent / 100.0)).max(0.0) + 0.0;
    let nines = format!("{nines:.1}");
    format!(
        "{} % ({} nines)",
        trim(percent),
        nines.trim_end_matches(".0")
    )
}

/// A figure with at most two decimals; `f64::MAX` stands for a figure over any bound.
fn trim(value: f64) -> String {
    if value >= f64::MAX {
        return "over any bound".into();
    }
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The first failed or unanswered operation of a window, for an availability miss.
fn first_failure(run: &Run, from: Time, until: Time) -> Option<&Operation> {
    run.client_ops()
        .find(|op| op.invoke >= from && op.invoke < until && !op.is_ok())
}

fn failure_sentence(run: &Run, op: &Operation) -> String {
    let how = match op.outcome() {
        Some(Outcome::Fail(reason)) => format!("failed ({reason})"),
        Some(Outcome::Info) => "got no answer before its timeout".into(),
        _ => "was still waiting at the end".into(),
    };
    format!("The first to miss: {} {how}.", run.describe(op))
}

/// Grades `design` under `challenge`. `progress(done, total)` is told after each run;
/// returning `false` cancels.
pub fn grade(
    challenge: &Challenge,
    design: &Design,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<Scorecard, GradeError> {
    let base = challenge
        .scenario(design, challenge.grading.first_seed)
        .map_err(GradeError::Design)?;
    let mut grader = Grader {
        challenge,
        design,
        base,
        progress,
        done: 0,
        total: 0,
        base_runs: Vec::new(),
    };
    grader.total = grader.planned_runs();
    let mut rows = Vec::new();
    for requirement in &challenge.requirements {
        rows.push(grader.row(requirement)?);
    }
    Ok(Scorecard {
        challenge: challenge.id.clone(),
        design: design.summary(),
        seeds: challenge.grading.seeds,
        runs: grader.done,
        passed: rows.iter().all(|row| row.met),
        rows,
    })
}

struct Grader<'a> {
    challenge: &'a Challenge,
    design: &'a Design,
    /// The design's scenario under the challenge (its seed is set per run).
    base: Scenario,
    progress: &'a mut dyn FnMut(u64, u64) -> bool,
    done: u64,
    total: u64,
    /// The runs with only the challenge's faults, one per grading seed, made once.
    base_runs: Vec<Run>,
}

impl Grader<'_> {
    fn seeds(&self) -> std::ops::Range<u64> {
        self.challenge.grading.seeds()
    }

    fn replicas(&self) -> Vec<String> {
        self.design
            .replicas
            .iter()
            .map(|place| place.id.clone())
            .collect()
    }

    /// The most runs grading can take (fault tolerance may stop early).
    fn planned_runs(&self) -> u64 {
        let seeds = self.challenge.grading.seeds;
        let replicas = self.design.replicas.len() as u64;
        let mut total = 0;
        let mut base = false;
        for requirement in &self.challenge.requirements {
            total += match requirement {
                Requirement::Consistency { .. }
                | Requirement::Reliability {}
                | Requirement::Latency { .. }
                | Requirement::Availability {
                    during: Window::Always,
                    ..
                } => {
                    base = true;
                    0
                }
                Requirement::Availability { .. } | Requirement::Maintainability { .. } => seeds,
                Requirement::FaultTolerance { .. } => {
                    // No crash at all is the base runs; then 1 up to every replica.
                    base = true;
                    seeds * replicas
                }
                Requirement::Scalability { .. } => 2 * seeds,
            };
        }
        total + if base { seeds } else { 0 }
    }

    fn tick(&mut self) -> Result<(), GradeError> {
        self.done += 1;
        self.total = self.total.max(self.done);
        if (self.progress)(self.done, self.total) {
            Ok(())
        } else {
            Err(GradeError::Cancelled)
        }
    }

    fn run(&mut self, scenario: &Scenario, seed: u64) -> Result<Run, GradeError> {
        let run = run(scenario, seed);
        self.tick()?;
        Ok(run)
    }

    fn ensure_base_runs(&mut self) -> Result<(), GradeError> {
        if self.base_runs.is_empty() {
            let base = self.base.clone();
            for seed in self.seeds() {
                let run = self.run(&base, seed)?;
                self.base_runs.push(run);
            }
        }
        Ok(())
    }

    /// The base scenario with `faults` added after the challenge's own.
    fn with_faults(&self, faults: Vec<FaultSpec>) -> Scenario {
        let mut scenario = self.base.clone();
        scenario.faults.extend(faults);
        scenario
    }

    /// When faults a requirement adds start, and when a passing one ends.
    fn window(&self) -> (f64, f64) {
        let end = self.challenge.workload_end_ms();
        ((end * 0.25).round(), (end * 0.75).round())
    }

    /// The model of the challenge's consistency requirement, if it has one.
    fn consistency_model(&self) -> Option<Model> {
        self.challenge
            .requirements
            .iter()
            .find_map(|requirement| match requirement {
                Requirement::Consistency { model } => model.parse().ok(),
                _ => None,
            })
    }

    fn row(&mut self, requirement: &Requirement) -> Result<Row, GradeError> {
        let mut row = match requirement {
            Requirement::Consistency { model } => {
                self.ensure_base_runs()?;
                let model: Model = model.parse().unwrap_or(Model::Eventual);
                consistency_row(&self.base_runs, model)
            }
            Requirement::Reliability {} => {
                self.ensure_base_runs()?;
                reliability_row(&self.base_runs)
            }
            Requirement::Latency { op, max_ms } => {
                self.ensure_base_runs()?;
                latency_row(&self.base_runs, *op, *max_ms)
            }
            Requirement::Availability {
                min_percent,
                during,
            } => self.availability_row(*min_percent, *during)?,
            Requirement::FaultTolerance {
                crashes,
                min_percent,
            } => self.fault_tolerance_row(*crashes, *min_percent)?,
            Requirement::Maintainability {
                min_percent,
                down_ms,
                gap_ms,
            } => self.maintainability_row(*min_percent, *down_ms, *gap_ms)?,
            Requirement::Scalability {
                axis,
                from,
                to,
                figure,
                max_growth,
            } => self.scalability_row(*axis, *from, *to, *figure, *max_growth)?,
        };
        row.characteristic = requirement.characteristic();
        row.requirement = requirement.describe();
        Ok(row)
    }

    fn availability_row(&mut self, min_percent: f64, during: Window) -> Result<Row, GradeError> {
        let end_ms = self.challenge.workload_end_ms();
        let (from_ms, until_ms) = match during {
            Window::Always => (0.0, end_ms),
            _ => self.window(),
        };
        let (from, until) = (Time::from_ms_f64(from_ms), Time::from_ms_f64(until_ms));
        let runs = match during {
            Window::Always => {
                self.ensure_base_runs()?;
                None
            }
            _ => {
                let replicas = self.replicas();
                let mut runs = Vec::new();
                for (turn, seed) in self.seeds().enumerate() {
                    let fault = match during {
                        Window::OneReplicaDown => Some(FaultKindSpec::Crash {
                            node: replicas[turn % replicas.len()].clone(),
                        }),
                        // A partition that would cut no link (a replica linked to nothing,
                        // regions no link crosses) leaves the run as it is.
                        _ => {
                            let groups = self.partition_groups(&replicas[turn % replicas.len()]);
                            self.cuts_a_link(&groups)
                                .then_some(FaultKindSpec::Partition { groups })
                        }
                    };
                    let scenario = self.with_faults(
                        fault
                            .into_iter()
                            .map(|fault| FaultSpec {
                                at_ms: from_ms,
                                until_ms: Some(until_ms),
                                fault,
                            })
                            .collect(),
                    );
                    runs.push(self.run(&scenario, seed)?);
                }
                Some(runs)
            }
        };
        let runs = runs.as_deref().unwrap_or(&self.base_runs);
        let what = match during {
            Window::Always => "over the whole workload of every seed".to_string(),
            Window::OneReplicaDown => format!(
                "while one replica (each seed another, in turn) was crashed from {} s to {} s",
                from_ms / 1_000.0,
                until_ms / 1_000.0
            ),
            Window::Partition => format!(
                "while {} from {} s to {} s",
                if self.occupied_regions() >= 2 {
                    "the regions were cut from each other"
                } else {
                    "one replica (each seed another) was cut off"
                },
                from_ms / 1_000.0,
                until_ms / 1_000.0
            ),
        };
        Ok(availability_figures(runs, from, until, min_percent, &what))
    }

    fn occupied_regions(&self) -> usize {
        let mut regions: Vec<&str> = self
            .base
            .nodes
            .iter()
            .filter_map(|node| self.challenge.region_of(node.x, node.y))
            .map(|region| region.id.as_str())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        regions.len()
    }

    /// Whether some link of the design joins nodes on different sides of `groups` (nodes
    /// in no group form one more side).
    fn cuts_a_link(&self, groups: &[Vec<String>]) -> bool {
        let side = |id: &str| {
            groups
                .iter()
                .position(|group| group.iter().any(|node| node == id))
        };
        self.base
            .links
            .iter()
            .any(|link| side(&link.a) != side(&link.b))
    }

    /// The sides of a partition: every occupied region on its own, or, with fewer than
    /// two regions in use, `isolated` cut off from the rest.
    fn partition_groups(&self, isolated: &str) -> Vec<Vec<String>> {
        if self.occupied_regions() < 2 {
            return vec![vec![isolated.to_string()]];
        }
        self.challenge
            .regions
            .iter()
            .map(|region| {
                self.base
                    .nodes
                    .iter()
                    .filter(|node| {
                        self.challenge
                            .region_of(node.x, node.y)
                            .is_some_and(|found| found.id == region.id)
                    })
                    .map(|node| node.id.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|group| !group.is_empty())
            .collect()
    }

    fn fault_tolerance_row(&mut self, required: u32, min_percent: f64) -> Result<Row, GradeError> {
        self.ensure_base_runs()?;
        let model = self.consistency_model();
        let (from_ms, _) = self.window();
        let from = Time::from_ms_f64(from_ms);
        let until = Time::from_ms_f64(self.challenge.workload_end_ms());
        let replicas = self.replicas();
        let mut broken: Option<(usize, Evidence)> = None;
        let mut crashes = 0;
        // Crashing every replica is tried too, so a design that survives everything short
        // of that still shows where it ends.
        while crashes <= replicas.len() {
            let mut failure = None;
            if crashes == 0 {
                for run in &self.base_runs {
                    if let Some(why) = survival_failure(run, model, from, until, min_percent) {
                        failure = Some(why);
                        break;
                    }
                }
            } else {
                for (turn, seed) in self.seeds().enumerate() {
                    let faults = (0..crashes)
                        .map(|offset| FaultSpec {
                            at_ms: from_ms,
                            until_ms: None,
                            fault: FaultKindSpec::Crash {
                                node: replicas[(turn + offset) % replicas.len()].clone(),
                            },
                        })
                        .collect();
                    let scenario = self.with_faults(faults);
                    let run = self.run(&scenario, seed)?;
                    if let Some(why) = survival_failure(&run, model, from, until, min_percent) {
                        failure = Some(why);
                        break;
                    }
                }
            }
            if let Some(evidence) = failure {
                broken = Some((crashes, evidence));
                break;
            }
            crashes += 1;
        }
        let survived = match &broken {
            Some((failed_at, _)) => *failed_at as f64 - 1.0,
            None => replicas.len() as f64,
        };
        let met = survived >= f64::from(required);
        let figure = match survived as i64 {
            -1 => "survives none (fails without a crash)".to_string(),
            0 => "survives 0 crashes".to_string(),
            1 => "survives 1 crash".to_string(),
            n => format!("survives {n} crashes at once"),
        };
        let detail = match &broken {
            Some((failed_at, evidence)) => format!(
                "Crashing {failed_at} replica{} at {} s broke it in seed {}: {}",
                if *failed_at == 1 { "" } else { "s" },
                from_ms / 1_000.0,
                evidence.seed,
                evidence.explanation
            ),
            None => format!(
                "It survived every number of crashes, up to all {} replicas at once.",
                replicas.len()
            ),
        };
        Ok(Row {
            met,
            measured: survived,
            figure,
            threshold: format!("≥ {required}"),
            detail,
            worst: if met {
                None
            } else {
                broken.map(|(_, evidence)| evidence)
            },
            ..Row::blank()
        })
    }

    fn maintainability_row(
        &mut self,
        min_percent: f64,
        down_ms: f64,
        gap_ms: f64,
    ) -> Result<Row, GradeError> {
        let replicas = self.replicas();
        let start_ms = (self.challenge.workload_end_ms() * 0.15).round();
        let step_ms = down_ms + gap_ms;
        let end_ms = start_ms + step_ms * replicas.len() as f64;
        let mut scenario = self.with_faults(
            replicas
                .iter()
                .enumerate()
                .map(|(index, node)| FaultSpec {
                    at_ms: start_ms + step_ms * index as f64,
                    until_ms: Some(start_ms + step_ms * index as f64 + down_ms),
                    fault: FaultKindSpec::Crash { node: node.clone() },
                })
                .collect(),
        );
        // A long rolling restart gets a longer run, so the workload covers all of it.
        let needed_ms = end_ms + 1_000.0 + scenario.quiet_ms;
        if needed_ms > scenario.duration_ms {
            scenario.duration_ms = needed_ms;
        }
        let mut runs = Vec::new();
        for seed in self.seeds() {
            runs.push(self.run(&scenario, seed)?);
        }
        let what = format!(
            "over a rolling restart from {} s to {} s: {}, each down {} s, {} s apart",
            start_ms / 1_000.0,
            end_ms / 1_000.0,
            replicas.join(", "),
            down_ms / 1_000.0,
            gap_ms / 1_000.0
        );
        Ok(availability_figures(
            &runs,
            Time::from_ms_f64(start_ms),
            Time::from_ms_f64(end_ms),
            min_percent,
            &what,
        ))
    }

    fn scalability_row(
        &mut self,
        axis: Axis,
        from: u32,
        to: u32,
        figure: ScaleFigure,
        max_growth: f64,
    ) -> Result<Row, GradeError> {
        let mut sizes = Vec::new();
        for count in [from, to] {
            let scenario = self.scaled(axis, count);
            let mut runs = Vec::new();
            for seed in self.seeds() {
                runs.push(self.run(&scenario, seed)?);
            }
            sizes.push(runs);
        }
        let unit = match figure {
            ScaleFigure::MessagesPerOp => "messages per operation",
            ScaleFigure::LatencyP99 => "ms p99",
        };
        let threshold = format!("≤ ×{}", trim(max_growth));
        if let Some(run) = sizes.iter().flatten().find(|run| run.error.is_some()) {
            let error = run.error.clone().unwrap_or_default();
            return Ok(Row {
                measured: f64::MAX,
                figure: "could not run".into(),
                threshold,
                detail: format!(
                    "The design scaled for seed {} did not run: {error}",
                    run.seed
                ),
                worst: Some(run.evidence(error, None)),
                ..Row::blank()
            });
        }
        let value = |runs: &[Run]| scale_figure(runs, figure);
        let (small, large) = (value(&sizes[0]), value(&sizes[1]));
        // A figure over any bound (too many operations failed) cannot be said to scale.
        let factor = if small == f64::MAX || large == f64::MAX {
            f64::MAX
        } else {
            growth(small, large)
        };
        let met = factor <= max_growth;
        let worst = (!met)
            .then(|| {
                // Each seed's figures with both sizes, worked out once.
                sizes[0]
                    .iter()
                    .zip(&sizes[1])
                    .map(|(small_run, large_run)| {
                        let small = value(std::slice::from_ref(small_run));
                        let large = value(std::slice::from_ref(large_run));
                        (large_run, small, large, growth(small, large))
                    })
                    .max_by(|a, b| a.3.total_cmp(&b.3))
                    .map(|(large_run, small, large, factor)| {
                        large_run.evidence(
                            format!(
                                "With {to} {} this seed needs {} {unit}, against {} with {from}: ×{}.",
                                axis.plural(),
                                trim(large),
                                trim(small),
                                trim(factor)
                            ),
                            None,
                        )
                    })
            })
            .flatten();
        Ok(Row {
            met,
            measured: factor,
            figure: format!("×{} ({} → {} {unit})", trim(factor), trim(small), trim(large)),
            threshold,
            detail: format!(
                "Measured on a clean network (no faults) over every grading seed, with {from} and with {to} {}. {}",
                axis.plural(),
                match axis {
                    Axis::Replicas => "The scaled designs keep the protocol and every client's links, and join all replicas pairwise; added replicas sit beside the ones they copy.",
                    Axis::Clients => "Added clients copy the challenge's clients in turn, with the same workload and links.",
                }
            ),
            worst,
            ..Row::blank()
        })
    }

    /// The base scenario with `count` replicas or clients, without faults.
    fn scaled(&self, axis: Axis, count: u32) -> Scenario {
        let count = count as usize;
        let mut design = self.design.clone();
        let mut clients = self.challenge.clients.clone();
        let is_replica =
            |design: &Design, id: &str| design.replicas.iter().any(|place| place.id == id);
        match axis {
            Axis::Replicas => {
                let originals = design.replicas.clone();
                let mut replicas: Vec<Place> = originals.iter().take(count).cloned().collect();
                let mut copy = 0;
                while replicas.len() < count {
                    let template = &originals[copy % originals.len()];
                    let round = copy / originals.len() + 1;
                    let id = unique_id(&format!("{}.{round}", template.id), &replicas, &clients);
                    let (x, y) = (template.x, template.y + 14.0 * round as f64);
                    let y = if self.challenge.regions.is_empty()
                        || self.challenge.region_of(x, y)
                            == self.challenge.region_of(template.x, template.y)
                    {
                        y
                    } else {
                        template.y
                    };
                    replicas.push(Place { id, x, y });
                    copy += 1;
                }
                let kept: Vec<String> = replicas.iter().map(|place| place.id.clone()).collect();
                let mut links: Vec<[String; 2]> = Vec::new();
                for (index, a) in kept.iter().enumerate() {
                    for b in &kept[index + 1..] {
                        links.push([a.clone(), b.clone()]);
                    }
                }
                for (index, client) in clients.iter().enumerate() {
                    let mut linked = false;
                    for [a, b] in &design.links {
                        let other = if *a == client.id {
                            b
                        } else if *b == client.id {
                            a
                        } else {
                            continue;
                        };
                        if kept.contains(other) {
                            links.push([client.id.clone(), other.clone()]);
                            linked = true;
                        }
                    }
                    if !linked {
                        links.push([client.id.clone(), kept[index % kept.len()].clone()]);
                    }
                }
                design.replicas = replicas;
                design.links = links;
            }
            Axis::Clients => {
                let originals = clients.clone();
                clients.truncate(count);
                let mut copy = 0;
                while clients.len() < count {
                    let template = &originals[copy % originals.len()];
                    let round = copy / originals.len() + 1;
                    let id = unique_id(
                        &format!("{}.{round}", template.id),
                        &design.replicas,
                        &clients,
                    );
                    let client_links: Vec<[String; 2]> = design
                        .links
                        .iter()
                        .filter_map(|[a, b]| {
                            if *a == template.id && is_replica(&design, b) {
                                Some([id.clone(), b.clone()])
                            } else if *b == template.id && is_replica(&design, a) {
                                Some([id.clone(), a.clone()])
                            } else {
                                None
                            }
                        })
                        .collect();
                    design.links.extend(client_links);
                    clients.push(FixedClient {
                        id,
                        ..template.clone()
                    });
                    copy += 1;
                }
                let kept: Vec<&str> = clients.iter().map(|client| client.id.as_str()).collect();
                let replica_ids: Vec<String> = design
                    .replicas
                    .iter()
                    .map(|place| place.id.clone())
                    .collect();
                design.links.retain(|[a, b]| {
                    (replica_ids.contains(a) || kept.contains(&a.as_str()))
                        && (replica_ids.contains(b) || kept.contains(&b.as_str()))
                });
            }
        }
        let mut scenario =
            self.challenge
                .assemble(&design, &clients, self.challenge.grading.first_seed);
        scenario.faults.clear();
        scenario.fault_profile = None;
        scenario
    }
}

/// `wanted`, or a variant of it no replica or client has yet.
fn unique_id(wanted: &str, replicas: &[Place], clients: &[FixedClient]) -> String {
    let taken = |id: &str| {
        replicas.iter().any(|place| place.id == id) || clients.iter().any(|client| client.id == id)
    };
    let mut candidate: String = wanted.chars().take(32).collect();
    let mut index = 0;
    while taken(&candidate) {
        index += 1;
        candidate = format!("n{index}-{}", wanted.chars().take(24).collect::<String>());
    }
    candidate
}

impl Row {
    fn blank() -> Row {
        Row {
            characteristic: Characteristic::Consistency,
            requirement: String::new(),
            met: false,
            measured: 0.0,
            figure: String::new(),
            threshold: String::new(),
            detail: String::new(),
            worst: None,
        }
    }
}

fn growth(small: f64, large: f64) -> f64 {
    if small <= 0.0 {
        if large <= 0.0 {
            1.0
        } else {
            f64::MAX
        }
    } else {
        large / small
    }
}

fn scale_figure(runs: &[Run], figure: ScaleFigure) -> f64 {
    match figure {
        ScaleFigure::MessagesPerOp => {
            let messages: u64 = runs.iter().map(|run| run.messages_sent).sum();
            let ops: usize = runs.iter().map(|run| run.client_ops().count()).sum();
            if ops == 0 {
                0.0
            } else {
                messages as f64 / ops as f64
            }
        }
        ScaleFigure::LatencyP99 => {
            // Failed and unanswered operations count as slower than any answer.
            p99_counting_failures(runs.iter().flat_map(Run::client_ops))
                .map_or(f64::MAX, |us| us as f64 / 1_000.0)
        }
    }
}

/// The pooled availability of `runs` over `[from, until)` against `min_percent`.
fn availability_figures(
    runs: &[Run],
    from: Time,
    until: Time,
    min_percent: f64,
    what: &str,
) -> Row {
    let threshold = format!("≥ {}", with_nines(min_percent));
    if let Some(run) = runs.iter().find(|run| run.error.is_some()) {
        let error = run.error.clone().unwrap_or_default();
        return Row {
            figure: "could not run".into(),
            threshold,
            detail: format!("Seed {} did not run: {error}", run.seed),
            worst: Some(run.evidence(error, None)),
            ..Row::blank()
        };
    }
    let counts: Vec<(u64, u64)> = runs
        .iter()
        .map(|run| availability(run, from, until))
        .collect();
    let ok: u64 = counts.iter().map(|(ok, _)| ok).sum();
    let total: u64 = counts.iter().map(|(_, total)| total).sum();
    let measured = percent(ok, total);
    let met = measured >= min_percent;
    let worst = (!met)
        .then(|| {
            runs.iter()
                .zip(&counts)
                .min_by(|(_, a), (_, b)| percent(a.0, a.1).total_cmp(&percent(b.0, b.1)))
                .map(|(run, (ok, total))| {
                    let first = first_failure(run, from, until);
                    run.evidence(
                        format!(
                            "In seed {}, {ok} of {total} operations begun between {} and {} succeeded ({}).{}",
                            run.seed,
                            seconds(from),
                            seconds(until),
                            with_nines(percent(*ok, *total)),
                            first
                                .map(|op| format!(" {}", failure_sentence(run, op)))
                                .unwrap_or_default()
                        ),
                        first.map(|op| op.invoke.as_ms_f64()),
                    )
                })
        })
        .flatten();
    Row {
        met,
        measured,
        figure: with_nines(measured),
        threshold,
        detail: format!("{ok} of {total} operations succeeded {what}."),
        worst,
        ..Row::blank()
    }
}

fn consistency_row(runs: &[Run], model: Model) -> Row {
    let mut violating = 0;
    let mut undecided = Vec::new();
    let mut worst = None;
    for run in runs {
        if let Some(error) = &run.error {
            undecided.push(run.seed);
            worst.get_or_insert_with(|| run.evidence(error.clone(), None));
            continue;
        }
        let (history, engine_index) = checker_history_of(&run.names, &run.log);
        let verdict = dsplay_check::check(&history, model, Budget::default());
        match verdict.valid {
            Some(true) => {}
            Some(false) => {
                violating += 1;
                if worst
                    .as_ref()
                    .is_none_or(|evidence: &Evidence| evidence.moment_ms.is_none())
                {
                    let moment = verdict
                        .ops
                        .iter()
                        .filter_map(|id| engine_index.get(id.index()))
                        .filter_map(|index| run.ops.iter().find(|op| op.index == *index))
                        .map(|op| op.complete.as_ref().map_or(op.invoke, |(done, _)| *done))
                        .max();
                    worst = Some(
                        run.evidence(verdict.explanation, moment.map(|time| time.as_ms_f64())),
                    );
                }
            }
            None => undecided.push(run.seed),
        }
    }
    let met = violating == 0 && undecided.is_empty();
    let mut detail = format!(
        "The checker judged each grading seed's history against {model}: {violating} of {} break it.",
        runs.len()
    );
    if !undecided.is_empty() {
        detail.push_str(&format!(
            " It could not decide seed{} {} (the run stopped early or the check ran out of steps), which counts against the design.",
            if undecided.len() == 1 { "" } else { "s" },
            undecided.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    Row {
        met,
        measured: violating as f64,
        figure: format!(
            "{violating} of {} seeds break it{}",
            runs.len(),
            if undecided.is_empty() {
                String::new()
            } else {
                format!(", {} undecided", undecided.len())
            }
        ),
        threshold: "0 seeds".into(),
        detail,
        worst: if met { None } else { worst },
        ..Row::blank()
    }
}

fn lost_sentence(run: &Run, lost: &crate::history::LostWrite) -> String {
    let write = &run.ops[lost.write];
    let acknowledged = write
        .complete
        .as_ref()
        .map(|(done, _)| seconds(*done))
        .unwrap_or_default();
    let instead = match lost.kept {
        Some(kept) => format!(
            "the replicas ended with the value of {}, which was over before it began",
            run.describe(&run.ops[kept])
        ),
        None => "no replica ended with it or anything newer".into(),
    };
    format!(
        "{} was acknowledged at {acknowledged}, but {instead}.",
        run.describe(write)
    )
}

fn reliability_row(runs: &[Run]) -> Row {
    let mut lost_total = 0;
    let mut worst: Option<(usize, Evidence)> = None;
    for run in runs {
        if let Some(error) = &run.error {
            return Row {
                figure: "could not run".into(),
                threshold: "0 lost".into(),
                detail: format!("Seed {} did not run: {error}", run.seed),
                worst: Some(run.evidence(error.clone(), None)),
                ..Row::blank()
            };
        }
        let lost = lost_writes(&run.ops);
        lost_total += lost.len();
        if let Some(first) = lost.first() {
            if worst.as_ref().is_none_or(|(count, _)| lost.len() > *count) {
                let moment = run.ops[first.write]
                    .complete
                    .as_ref()
                    .map(|(done, _)| done.as_ms_f64());
                worst = Some((lost.len(), run.evidence(lost_sentence(run, first), moment)));
            }
        }
    }
    let acknowledged: usize = runs
        .iter()
        .map(|run| {
            run.client_ops()
                .filter(|op| op.is_ok() && op.written().is_some())
                .count()
        })
        .sum();
    Row {
        met: lost_total == 0,
        measured: lost_total as f64,
        figure: format!("{lost_total} lost"),
        threshold: "0 lost".into(),
        detail: format!(
            "{lost_total} of {acknowledged} acknowledged writes over every grading seed were lost: the replicas ended with an older value than theirs, or none."
        ),
        worst: worst.map(|(_, evidence)| evidence),
        ..Row::blank()
    }
}

/// The p99 latency in microseconds of `ops`, where an operation that failed or got no
/// answer counts as slower than any that succeeded (`None` when the p99 is one of those):
/// a design that answers nothing must not look fast.
fn p99_counting_failures<'a>(ops: impl Iterator<Item = &'a Operation>) -> Option<u64> {
    let mut latencies: Vec<Option<u64>> = ops
        .map(|op| op.is_ok().then(|| op.latency_us().unwrap_or(0)))
        .collect();
    if latencies.is_empty() {
        return Some(0);
    }
    // `None` sorts first: reverse the order so failures come last.
    latencies.sort_unstable_by(|a, b| match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let rank = (0.99 * latencies.len() as f64).ceil() as usize;
    latencies[rank.clamp(1, latencies.len()) - 1]
}

fn latency_row(runs: &[Run], op_kind: crate::challenge::OpKind, max_ms: f64) -> Row {
    let threshold = format!("≤ {} ms", trim(max_ms));
    if let Some(run) = runs.iter().find(|run| run.error.is_some()) {
        let error = run.error.clone().unwrap_or_default();
        return Row {
            measured: f64::MAX,
            figure: "could not run".into(),
            threshold,
            detail: format!("Seed {} did not run: {error}", run.seed),
            worst: Some(run.evidence(error, None)),
            ..Row::blank()
        };
    }
    let of_kind = |run: &Run| -> Vec<Operation> {
        run.client_ops()
            .filter(|op| op_kind.matches(op.op.name()))
            .cloned()
            .collect()
    };
    let pooled: Vec<Operation> = runs.iter().flat_map(of_kind).collect();
    let failed = pooled.iter().filter(|op| !op.is_ok()).count();
    let p99_us = p99_counting_failures(pooled.iter());
    let to_ms = |us: u64| us as f64 / 1_000.0;
    let met = p99_us.is_some_and(|us| to_ms(us) <= max_ms);
    let worst = (!met)
        .then(|| {
            // Each seed's operations and p99 (failures slowest), worked out once.
            runs.iter()
                .map(|run| {
                    let ops = of_kind(run);
                    let p99 = p99_counting_failures(ops.iter()).map_or(f64::MAX, to_ms);
                    (run, ops, p99)
                })
                .max_by(|a, b| a.2.total_cmp(&b.2))
                .and_then(|(run, ops, p99)| {
                    let (sentence, moment) = match ops.iter().find(|op| !op.is_ok()) {
                        Some(missed) if p99 == f64::MAX => (
                            format!(
                                "In seed {} more than 1 % of {} failed or got no answer, so their p99 is over any bound. {}",
                                run.seed,
                                op_kind.plural(),
                                failure_sentence(run, missed)
                            ),
                            missed.invoke.as_ms_f64(),
                        ),
                        _ => {
                            let slowest = ops
                                .iter()
                                .filter(|op| op.is_ok())
                                .max_by_key(|op| op.latency_us())?;
                            (
                                format!(
                                    "In seed {} the p99 of {} is {} ms; the slowest, {}, took {} ms.",
                                    run.seed,
                                    op_kind.plural(),
                                    trim(p99),
                                    run.describe(slowest),
                                    trim(to_ms(slowest.latency_us().unwrap_or(0)))
                                ),
                                slowest.invoke.as_ms_f64(),
                            )
                        }
                    };
                    Some(run.evidence(sentence, Some(moment)))
                })
        })
        .flatten();
    let (measured, figure) = match p99_us {
        Some(us) => (to_ms(us), format!("{} ms", trim(to_ms(us)))),
        None => (f64::MAX, "over any bound".to_string()),
    };
    Row {
        met,
        measured,
        figure,
        threshold,
        detail: format!(
            "The p99 over {} {} of every grading seed, {failed} of which failed or got no answer and count as slower than any that succeeded.",
            pooled.len(),
            op_kind.plural()
        ),
        worst,
        ..Row::blank()
    }
}

/// Why a run with crashes was not survived: availability after the crash below
/// `min_percent`, the consistency model broken, or an acknowledged write lost.
fn survival_failure(
    run: &Run,
    model: Option<Model>,
    from: Time,
    until: Time,
    min_percent: f64,
) -> Option<Evidence> {
    if let Some(error) = &run.error {
        return Some(run.evidence(error.clone(), None));
    }
    let (ok, total) = availability(run, from, until);
    if percent(ok, total) < min_percent {
        let first = first_failure(run, from, until);
        return Some(run.evidence(
            format!(
                "only {ok} of {total} operations begun after the crash succeeded ({}, below {min_percent} %).{}",
                with_nines(percent(ok, total)),
                first.map(|op| format!(" {}", failure_sentence(run, op))).unwrap_or_default()
            ),
            first.map(|op| op.invoke.as_ms_f64()),
        ));
    }
    if let Some(lost) = lost_writes(&run.ops).first() {
        return Some(
            run.evidence(
                lost_sentence(run, lost),
                run.ops[lost.write]
                    .complete
                    .as_ref()
                    .map(|(done, _)| done.as_ms_f64()),
            ),
        );
    }
    if let Some(model) = model {
        let (history, _) = checker_history_of(&run.names, &run.log);
        let verdict = dsplay_check::check(&history, model, Budget::default());
        if verdict.valid != Some(true) {
            return Some(run.evidence(
                if verdict.valid == Some(false) {
                    verdict.explanation
                } else {
                    format!("the checker could not decide whether it stays {model}.")
                },
                None,
            ));
        }
    }
    None
}
