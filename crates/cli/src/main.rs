//! `dsplay`: run a scenario headless and print what happened.
//!
//! Usage: `dsplay run SCENARIO.json [--seed N] [--until-ms T] [--trace FILE] [--json]`.
//! Bad input (missing file, invalid JSON or scenario, unknown flag) prints one line on
//! stderr and exits with status 2; a run that exhausts its event budget exits with 1.

use dsplay_sim::report::report;
use dsplay_sim::{build, Engine, Scenario, Time};
use std::process::ExitCode;

const USAGE: &str =
    "usage: dsplay run SCENARIO.json [--seed N] [--until-ms T] [--trace FILE] [--json]";

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
    json: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match execute(&args) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
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

fn execute(args: &[String]) -> Result<String, Failure> {
    match args.first().map(String::as_str) {
        Some("run") => run(&parse_run_args(&args[1..])?),
        Some("--help" | "-h" | "help") => Ok(format!("{USAGE}\n")),
        Some(other) => Err(Failure::BadInput(format!(
            "unknown command `{other}`; {USAGE}"
        ))),
        None => Err(Failure::BadInput(USAGE.to_string())),
    }
}

fn parse_run_args(args: &[String]) -> Result<RunArgs, Failure> {
    let mut parsed = RunArgs::default();
    let mut rest = args.iter();
    let bad = |message: String| Failure::BadInput(message);
    while let Some(arg) = rest.next() {
        let mut value = |flag: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| bad(format!("{flag} needs a value; {USAGE}")))
        };
        match arg.as_str() {
            "--seed" => {
                let text = value("--seed")?;
                let seed = text.parse().map_err(|_| {
                    bad(format!("--seed must be an unsigned integer, got `{text}`"))
                })?;
                parsed.seed = Some(seed);
            }
            "--until-ms" => {
                let text = value("--until-ms")?;
                let until: f64 = text
                    .parse()
                    .map_err(|_| bad(format!("--until-ms must be a number, got `{text}`")))?;
                if !(until.is_finite() && until >= 0.0) {
                    return Err(bad(format!(
                        "--until-ms must be a non-negative number, got `{text}`"
                    )));
                }
                parsed.until_ms = Some(until);
            }
            "--trace" => parsed.trace_path = Some(value("--trace")?),
            "--json" => parsed.json = true,
            flag if flag.starts_with('-') => {
                return Err(bad(format!("unknown option `{flag}`; {USAGE}")))
            }
            path if parsed.scenario_path.is_empty() => parsed.scenario_path = path.to_string(),
            extra => return Err(bad(format!("unexpected argument `{extra}`; {USAGE}"))),
        }
    }
    if parsed.scenario_path.is_empty() {
        return Err(bad(format!("missing the scenario file; {USAGE}")));
    }
    Ok(parsed)
}

fn run(args: &RunArgs) -> Result<String, Failure> {
    let text = std::fs::read_to_string(&args.scenario_path)
        .map_err(|err| Failure::BadInput(format!("cannot read {}: {err}", args.scenario_path)))?;
    let mut scenario = Scenario::from_json(&text)
        .map_err(|err| Failure::BadInput(format!("{}: {err}", args.scenario_path)))?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let mut engine = build(&scenario).map_err(|err| Failure::BadInput(err.to_string()))?;
    let limit = args.until_ms.map_or(engine.duration(), Time::from_ms_f64);
    let outcome = engine.run_until(limit);
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

fn summary_json(scenario: &Scenario, engine: &dyn Engine, limit: Time) -> String {
    let mut summary = serde_json::to_value(report(engine)).expect("a report always serializes");
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
