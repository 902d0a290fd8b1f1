//! Running child processes and timing the steps of `cargo xtask test`.

use std::process::{Command, Stdio};
use std::time::Instant;

/// What every xtask action returns: the error is a message for the person at the terminal.
pub type Outcome = Result<(), String>;

/// A named step of a longer run.
pub type Step<'a> = (&'a str, &'a dyn Fn() -> Outcome);

/// Runs `command` with inherited stdout and stderr; a non-zero exit becomes an error
/// that names the command line.
pub fn run(command: &mut Command) -> Outcome {
    let command_line = describe(command);
    eprintln!("$ {command_line}");
    let status = command
        .status()
        .map_err(|err| format!("could not start `{command_line}`: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{command_line}` failed ({status})"))
    }
}

/// The trimmed stdout of `program args`, or `None` when the program is missing or fails.
/// Used to ask tools for their versions, so nothing is printed.
pub fn stdout_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    output.status.success().then_some(stdout)
}

/// Runs the steps in order, printing each name and duration, and stops at the first
/// failure with an error that names the failing step.
pub fn run_steps(steps: &[Step<'_>]) -> Outcome {
    let started = Instant::now();
    for (name, body) in steps {
        eprintln!("\n==> {name}");
        let step_started = Instant::now();
        let outcome = body();
        let elapsed_s = step_started.elapsed().as_secs_f64();
        if let Err(message) = outcome {
            return Err(format!(
                "step `{name}` failed after {elapsed_s:.1} s: {message}"
            ));
        }
        eprintln!("==> {name}: ok in {elapsed_s:.1} s");
    }
    let total_s = started.elapsed().as_secs_f64();
    eprintln!("\n==> all {} steps passed in {total_s:.1} s", steps.len());
    Ok(())
}

fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let args = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned());
    std::iter::once(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}
