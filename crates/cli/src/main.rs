//! `dsplay`: run a scenario headless, or check a history, and print what happened.
//!
//! Usage: `dsplay run SCENARIO.json [--seed N] [--until-ms T] [--trace FILE]
//! [--history FILE.edn] [--json]`, `dsplay check FILE.edn --model MODEL [--json]`,
//! `dsplay sweep SCENARIO.json --seeds A..B [--shard I/N] [--json]` and
//! `dsplay compare SCENARIO.json --models strict,eventual[,...] [--seed N] [--until-ms T]
//! [--json]`, `dsplay lesson LESSON.json [--scenarios DIR] [--json]` and
//! `dsplay challenge CHALLENGE.json [--design DESIGN.json] [--json]`.
//! Bad input (missing file, invalid JSON, scenario or EDN, unknown flag) prints one line
//! on stderr and exits with status 2; a run that exhausts its event budget exits with 1;
//! `check` exits with 0 when the history is valid, 1 on a violation, 3 when unknown;
//! `sweep` exits with 1 when some seed breaks the guarantee; `compare` exits with 0
//! whatever the verdicts (a model that cannot run the scenario says why in its row);
//! `lesson` exits with 0 when every question's answer could be worked out; `challenge`
//! exits with 0 when the design meets every requirement and 1 when it misses one.

use dsplay_sim::compare::CompareRow;
use dsplay_sim::report::report;
use dsplay_sim::{build, Engine, Scenario, Time};
use std::process::ExitCode;

mod args;
mod sweep;

use args::Args;

const USAGE: &str = "usage: dsplay run SCENARIO.json [--seed N] [--until-ms T] [--trace FILE] [--history FILE.edn] [--json]
       dsplay check FILE.edn --model linearizable|sequential|causal|causal-memory|causal-convergence|eventual [--json]
       dsplay sweep SCENARIO.json --seeds A..B [--shard I/N] [--json]
       dsplay compare SCENARIO.json --models strict,eventual[,...] [--seed N] [--until-ms T] [--json]
       dsplay lesson LESSON.json [--scenarios DIR] [--json]
       dsplay challenge CHALLENGE.json [--design DESIGN.json] [--json]";

/// A failure with the exit status it maps to.
#[derive(Debug)]
enum Failure {
    /// The input was wrong: status 2.
    BadInput(String),
    /// The run itself failed: status 1.
    Run(String),
}

/// What `dsplay run` was asked to do.
#[derive(Debug, Default)]
struct RunArgs {
    scenario_path: String,
    seed: Option<u64>,
    until_ms: Option<f64>,
    trace_path: Option<String>,
    history_path: Option<String>,
    json: bool,
}

/// What a command printed, and the status it exits with.
#[derive(Debug)]
struct Done {
    output: String,
    status: u8,
}

impl Done {
    fn ok(output: String) -> Done {
        Done { output, status: 0 }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match execute(&args) {
        Ok(done) => {
            print!("{}", done.output);
            ExitCode::from(done.status)
        }
        Err(Failure::BadInput(message)) => {
            eprintln!("dsplay: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("dsplay: {message}");
            ExitCode::from(1)
        }
    }
}

fn execute(args: &[String]) -> Result<Done, Failure> {
    match args.first().map(String::as_str) {
        Some("run") => run(&parse_run_args(&args[1..])?).map(Done::ok),
        Some("check") => check(&args[1..]),
        Some("sweep") => sweep(&args[1..]),
        Some("compare") => compare(&args[1..]).map(Done::ok),
        Some("lesson") => lesson(&args[1..]).map(Done::ok),
        Some("challenge") => challenge(&args[1..]),
        Some("--help" | "-h" | "help") => Ok(Done::ok(format!("{USAGE}\n"))),
        Some(other) => Err(Failure::BadInput(format!(
            "unknown command `{other}`; see `dsplay --help`"
        ))),
        None => Err(Failure::BadInput(
            "missing a command (run, check, sweep, compare, lesson or challenge); see `dsplay --help`"
                .to_string(),
        )),
    }
}

fn parse_run_args(args: &[String]) -> Result<RunArgs, Failure> {
    let args = Args::parse(
        args,
        &["--seed", "--until-ms", "--trace", "--history"],
        &["--json"],
    )?;
    Ok(RunArgs {
        scenario_path: args.file("scenario file")?,
        seed: args.parsed("--seed", "an unsigned integer")?,
        until_ms: until_ms(&args)?,
        trace_path: args.value("--trace").map(str::to_string),
        history_path: args.value("--history").map(str::to_string),
        json: args.switch("--json"),
    })
}

/// `--until-ms T`: a non-negative number of milliseconds, if given.
fn until_ms(args: &Args) -> Result<Option<f64>, Failure> {
    let until_ms: Option<f64> = args.parsed("--until-ms", "a number")?;
    if let Some(until) = until_ms.filter(|until| !(until.is_finite() && *until >= 0.0)) {
        return Err(Failure::BadInput(format!(
            "--until-ms must be a non-negative number, got `{until}`"
        )));
    }
    Ok(until_ms)
}

/// Reads and loads the scenario at `path`, with its seed replaced by `seed` if given.
fn load_scenario(path: &str, seed: Option<u64>) -> Result<Scenario, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| Failure::BadInput(format!("cannot read {path}: {err}")))?;
    let mut scenario =
        Scenario::from_json(&text).map_err(|err| Failure::BadInput(format!("{path}: {err}")))?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

fn run(args: &RunArgs) -> Result<String, Failure> {
    let scenario = load_scenario(&args.scenario_path, args.seed)?;
    let mut engine = build(&scenario).map_err(|err| Failure::BadInput(err.to_string()))?;
    let limit = args.until_ms.map_or(engine.duration(), Time::from_ms_f64);
    let outcome = engine.run_until(limit);
    if let Some(path) = &args.history_path {
        let (history, _) = dsplay_sim::verdict::checker_history(engine.as_ref());
        std::fs::write(path, dsplay_check::to_edn(&history))
            .map_err(|err| Failure::BadInput(format!("cannot write {path}: {err}")))?;
    }
    if let Some(path) = &args.trace_path {
        std::fs::write(path, engine.trace_text())
            .map_err(|err| Failure::BadInput(format!("cannot write {path}: {err}")))?;
    }
    outcome.map_err(|err| Failure::Run(err.to_string()))?;
    Ok(if args.json {
        summary_json(&scenario, engine.as_ref(), limit)
    } else {
        summary_text(&scenario, engine.as_ref(), limit)
    })
}

/// `dsplay check FILE.edn --model MODEL [--json]`.
fn check(args: &[String]) -> Result<Done, Failure> {
    let bad = |message: String| Failure::BadInput(message);
    let args = Args::parse(args, &["--model"], &["--json"])?;
    let path = args.file("history file")?;
    let model: dsplay_check::Model = match args.value("--model") {
        Some(name) => name.parse().map_err(bad)?,
        None => return Err(bad("missing --model; see `dsplay --help`".to_string())),
    };
    let json = args.switch("--json");
    let text =
        std::fs::read_to_string(&path).map_err(|err| bad(format!("cannot read {path}: {err}")))?;
    let history = dsplay_check::parse_edn(&text).map_err(|err| bad(format!("{path}: {err}")))?;
    let started = std::time::Instant::now();
    let verdict = dsplay_check::check(&history, model, dsplay_check::Budget::default());
    let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let status = match verdict.valid {
        Some(true) => 0,
        Some(false) => 1,
        None => 3,
    };
    let output = if json {
        let summary = serde_json::json!({
            "valid": verdict.valid,
            "model": verdict.model.name(),
            "explanation": verdict.explanation,
            "ops": verdict.ops,
            "steps": verdict.steps,
            "elapsed_ms": elapsed_ms,
        });
        format!("{summary}\n")
    } else {
        let word = match verdict.valid {
            Some(true) => "valid",
            Some(false) => "violation",
            None => "unknown",
        };
        let ops: Vec<String> = verdict.ops.iter().map(|op| op.0.to_string()).collect();
        format!(
            "model        {}\nverdict      {word}\noperations   {}\nexplanation  {}\n",
            verdict.model.name(),
            if ops.is_empty() {
                "-".to_string()
            } else {
                ops.join(", ")
            },
            verdict.explanation
        )
    };
    Ok(Done { output, status })
}

/// `dsplay sweep SCENARIO.json --seeds A..B [--shard I/N] [--json]`: runs every seed of
/// the range (or of this shard of it) on every core, with faults from the scenario's
/// fault profile, and checks each run against its protocol's guarantee.
fn sweep(args: &[String]) -> Result<Done, Failure> {
    let bad = |message: String| Failure::BadInput(message);
    let args = Args::parse(args, &["--seeds", "--shard"], &["--json"])?;
    let path = args.file("scenario file")?;
    let json = args.switch("--json");
    let text = args
        .value("--seeds")
        .ok_or_else(|| bad("missing --seeds A..B; see `dsplay --help`".to_string()))?;
    let seeds = match text
        .split_once("..")
        .map(|(low, high)| (low.parse::<u64>(), high.parse::<u64>()))
    {
        Some((Ok(low), Ok(high))) if low < high => low..high,
        _ => {
            return Err(bad(format!(
                "--seeds must be A..B with whole numbers A < B, got `{text}`"
            )))
        }
    };
    let shard = match args.value("--shard") {
        None => (0, 1),
        Some(text) => match text
            .split_once('/')
            .map(|(index, count)| (index.parse::<u64>(), count.parse::<u64>()))
        {
            Some((Ok(index), Ok(count))) if count > 0 && index < count => (index, count),
            _ => {
                return Err(bad(format!(
                    "--shard must be I/N with 0 <= I < N, got `{text}`"
                )))
            }
        },
    };
    let text =
        std::fs::read_to_string(&path).map_err(|err| bad(format!("cannot read {path}: {err}")))?;
    let scenario = Scenario::from_json(&text).map_err(|err| bad(format!("{path}: {err}")))?;
    let mine: Vec<u64> = seeds.filter(|seed| seed % shard.1 == shard.0).collect();
    let report = sweep::run_sweep(&scenario, &path, &mine);
    let status = u8::from(!report.violations.is_empty());
    let output = if json {
        format!(
            "{}\n",
            serde_json::to_string(&report).expect("a sweep report serializes")
        )
    } else {
        let mut text = format!(
            "ran {} seeds: {} violations, {} unknown\n",
            report.seeds,
            report.violations.len(),
            report.unknown.len()
        );
        for violation in &report.violations {
            text.push_str(&format!(
                "seed {}: {}: {}\n  reproduce: {}\n",
                violation.seed, violation.model, violation.explanation, violation.reproduce
            ));
        }
        text
    };
    Ok(Done { output, status })
}

/// `dsplay compare SCENARIO.json --models A,B[,...] [--seed N] [--until-ms T] [--json]`:
/// runs the scenario once under each model, with the same topology, workload, faults and
/// seed, and prints one row of figures per model.
fn compare(args: &[String]) -> Result<String, Failure> {
    let args = Args::parse(args, &["--models", "--seed", "--until-ms"], &["--json"])?;
    let path = args.file("scenario file")?;
    let models: Vec<String> = args
        .value("--models")
        .ok_or_else(|| {
            Failure::BadInput(
                "missing --models, e.g. --models strict,eventual; see `dsplay --help`".into(),
            )
        })?
        .split(',')
        .map(|model| model.trim().to_string())
        .collect();
    let until = until_ms(&args)?.map(Time::from_ms_f64);
    let scenario = load_scenario(&path, args.parsed("--seed", "an unsigned integer")?)?;
    let rows =
        dsplay_sim::compare::compare(&scenario, &models, until).map_err(Failure::BadInput)?;
    let time_ms = until
        .unwrap_or(Time::from_ms_f64(scenario.duration_ms))
        .as_ms_f64();
    Ok(if args.switch("--json") {
        let summary = serde_json::json!({
            "scenario": scenario.name,
            "seed": scenario.seed,
            "time_ms": time_ms,
            "rows": rows,
        });
        format!("{summary}\n")
    } else {
        compare_text(&scenario, time_ms, &rows)
    })
}

/// `dsplay lesson`: each step's scenario and, for each question, its choices and the
/// answer the run gives, as the page works them out. Scenarios are looked up by id in
/// `--scenarios DIR` (default: `scenarios/` beside the lesson's folder).
fn lesson(args: &[String]) -> Result<String, Failure> {
    use dsplay_sim::lesson::{answer, choices, Lesson};
    let args = Args::parse(args, &["--scenarios"], &["--json"])?;
    let path = args.file("lesson file")?;
    let text = std::fs::read_to_string(&path)
        .map_err(|err| Failure::BadInput(format!("cannot read {path}: {err}")))?;
    let lesson =
        Lesson::from_json(&text).map_err(|err| Failure::BadInput(format!("{path}: {err}")))?;
    let directory = match args.value("--scenarios") {
        Some(directory) => std::path::PathBuf::from(directory),
        None => std::path::Path::new(&path)
            .parent()
            .and_then(std::path::Path::parent)
            .unwrap_or(std::path::Path::new("."))
            .join("scenarios"),
    };
    let resolve = |id: &str| -> Option<Scenario> {
        if !dsplay_sim::scenario::is_valid_id(id) {
            return None;
        }
        let text = std::fs::read_to_string(directory.join(format!("{id}.json"))).ok()?;
        Scenario::from_json(&text).ok()
    };
    let scenarios = lesson
        .step_scenarios(&resolve)
        .map_err(|err| Failure::BadInput(format!("{path}: {err}")))?;
    let mut steps = Vec::new();
    for (index, (step, scenario)) in lesson.steps.iter().zip(&scenarios).enumerate() {
        let question = match &step.question {
            Some(question) => {
                let found = answer(&question.ask, scenario)
                    .map_err(|err| Failure::Run(format!("{path}: step {}: {err}", index + 1)))?;
                serde_json::json!({
                    "prompt": question.prompt,
                    "choices": choices(&question.ask, scenario),
                    "answer": found,
                })
            }
            None => serde_json::Value::Null,
        };
        steps.push(serde_json::json!({
            "step": index + 1,
            "title": step.title,
            "scenario": scenario.name,
            "model": scenario.protocol.kind(),
            "seed": scenario.seed,
            "at_ms": step.at_ms,
            "question": question,
        }));
    }
    if args.switch("--json") {
        let summary = serde_json::json!({
            "lesson": lesson.id,
            "title": lesson.title,
            "steps": steps,
        });
        return Ok(format!("{summary}\n"));
    }
    let mut text = format!("{} ({} steps)\n", lesson.title, lesson.steps.len());
    for step in &steps {
        text.push_str(&format!(
            "{}. {} [{}, {}, seed {}, at {} ms]\n",
            step["step"],
            step["title"].as_str().unwrap_or_default(),
            step["scenario"].as_str().unwrap_or_default(),
            step["model"].as_str().unwrap_or_default(),
            step["seed"],
            step["at_ms"]
        ));
        if let Some(question) = step["question"].as_object() {
            text.push_str(&format!(
                "   Q: {}\n   A: {} ({} ms): {}\n",
                question["prompt"].as_str().unwrap_or_default(),
                question["answer"]["label"].as_str().unwrap_or_default(),
                question["answer"]["at_ms"],
                question["answer"]["detail"].as_str().unwrap_or_default(),
            ));
        }
    }
    Ok(text)
}

/// `dsplay challenge`: grades a design (a design file, or a scenario such as the page
/// saves; default: the challenge's starting design) over the challenge's grading seeds and
/// prints the scorecard.
fn challenge(args: &[String]) -> Result<Done, Failure> {
    use dsplay_sim::challenge::{Challenge, Design};
    use dsplay_sim::grade::{grade, GradeError};
    let args = Args::parse(args, &["--design"], &["--json"])?;
    let path = args.file("challenge file")?;
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map_err(|err| Failure::BadInput(format!("cannot read {path}: {err}")))
    };
    let challenge = Challenge::from_json(&read(&path)?)
        .map_err(|err| Failure::BadInput(format!("{path}: {err}")))?;
    let design = match args.value("--design") {
        None => challenge.start.clone(),
        Some(design_path) => {
            let text = read(design_path)?;
            match serde_json::from_str::<Design>(&text) {
                Ok(design) => design,
                Err(design_error) => match Scenario::from_json(&text) {
                    Ok(scenario) => Design::from_scenario(&scenario),
                    Err(scenario_error) => {
                        return Err(Failure::BadInput(format!(
                            "{design_path} is neither a design ({design_error}) nor a scenario ({scenario_error})"
                        )))
                    }
                },
            }
        }
    };
    let scorecard = match grade(&challenge, &design, &mut |_, _| true) {
        Ok(scorecard) => scorecard,
        Err(GradeError::Design(problems)) => {
            return Err(Failure::BadInput(format!(
                "the design breaks the challenge's constraints: {}",
                problems.join(" ")
            )))
        }
        Err(GradeError::Cancelled) => return Err(Failure::Run("grading was cancelled".into())),
    };
    let status = u8::from(!scorecard.passed);
    if args.switch("--json") {
        let json = serde_json::to_string(&scorecard)
            .map_err(|err| Failure::Run(format!("cannot write the scorecard: {err}")))?;
        return Ok(Done {
            output: format!("{json}\n"),
            status,
        });
    }
    let mut text = format!(
        "{} — {} ({} seeds, {} runs): {}\n",
        challenge.title,
        scorecard.design,
        scorecard.seeds,
        scorecard.runs,
        if scorecard.passed {
            "every requirement met"
        } else {
            "some requirement missed"
        }
    );
    for row in &scorecard.rows {
        text.push_str(&format!(
            "{} {}: {} (needs {})\n   {}\n",
            if row.met { "met " } else { "MISS" },
            row.characteristic.name(),
            row.figure,
            row.threshold,
            row.detail
        ));
        if let Some(worst) = &row.worst {
            text.push_str(&format!(
                "   worst seed {}: {}\n",
                worst.seed, worst.explanation
            ));
        }
    }
    Ok(Done {
        output: text,
        status,
    })
}

/// The comparison as an aligned table, then a line for each model that could not run or
/// broke its guarantee.
fn compare_text(scenario: &Scenario, time_ms: f64, rows: &[CompareRow]) -> String {
    let model_width = rows.iter().map(|row| row.model.len()).fold(5, usize::max);
    let guarantee_width = rows
        .iter()
        .map(|row| row.guarantee.len())
        .fold(9, usize::max);
    let mut text = format!(
        "{} (seed {}, {} of virtual time)\n{:model_width$}  {:guarantee_width$}  availability  p99 ms  stale reads  violations  msgs/op\n",
        scenario.name,
        scenario.seed,
        Time::from_ms_f64(time_ms),
        "model",
        "guarantee",
    );
    for row in rows {
        let figures = if row.problem.is_some() {
            format!(
                "{:>12}  {:>6}  {:>11}  {:>10}  {:>7}",
                "-", "-", "-", "-", "-"
            )
        } else {
            format!(
                "{:>10.1} %  {:>6.1}  {:>11}  {:>10}  {:>7.1}",
                row.availability * 100.0,
                row.latency_ms_p99,
                row.stale_reads,
                row.violations,
                row.messages_per_op
            )
        };
        text.push_str(&format!(
            "{:model_width$}  {:guarantee_width$}  {figures}\n",
            row.model, row.guarantee
        ));
    }
    for row in rows {
        if let Some(problem) = &row.problem {
            text.push_str(&format!("{}: {problem}\n", row.model));
        } else if row.violations > 0 {
            text.push_str(&format!(
                "{} is not {}: {}\n",
                row.model, row.guarantee, row.explanation
            ));
        }
    }
    text
}

fn summary_json(scenario: &Scenario, engine: &dyn Engine, limit: Time) -> String {
    let mut summary = serde_json::to_value(report(engine, scenario.protocol.kind()))
        .expect("a report always serializes");
    let header = serde_json::json!({
        "scenario": scenario.name,
        "protocol": scenario.protocol.kind(),
        "seed": scenario.seed,
        "time_ms": limit.as_ms_f64(),
        "last_event_ms": Time::from_us(engine.stats().time_us).as_ms_f64(),
    });
    if let (Some(fields), serde_json::Value::Object(header)) = (summary.as_object_mut(), header) {
        fields.extend(header);
    }
    format!("{summary}\n")
}

fn summary_text(scenario: &Scenario, engine: &dyn Engine, limit: Time) -> String {
    let stats = engine.stats();
    let topology = engine.topology();
    format!(
        "scenario     {} ({}, {} nodes, {} links)\n\
         seed         {}\n\
         time         {} (last event at {})\n\
         events       {}\n\
         messages     {} sent, {} delivered, {} dropped, {} in flight\n\
         fingerprint  {}\n",
        scenario.name,
        scenario.protocol.kind(),
        topology.nodes.len(),
        topology.links.len(),
        scenario.seed,
        limit,
        Time::from_us(stats.time_us),
        stats.events,
        stats.messages_sent,
        stats.messages_delivered,
        stats.messages_dropped,
        stats.in_flight,
        engine.fingerprint(),
    )
}
