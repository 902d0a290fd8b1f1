//! Running a sweep's seeds on every core, with a progress bar on a terminal.

use dsplay_sim::sweep::{check_seed, SweepReport};
use dsplay_sim::Scenario;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Checks every seed in `seeds`, spread over the machine's cores; results come back in
/// seed order whatever order the workers finish in.
pub fn run_sweep(scenario: &Scenario, scenario_path: &str, seeds: &[u64]) -> SweepReport {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(seeds.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let found = Mutex::new(SweepReport {
        seeds: seeds.len() as u64,
        ..SweepReport::default()
    });
    let started = Instant::now();
    let show_progress = std::io::stderr().is_terminal();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(&seed) = seeds.get(index) else { break };
                let outcome = check_seed(scenario, seed, scenario_path);
                let mut report = found
                    .lock()
                    .expect("no worker panics while holding the lock");
                match outcome {
                    Ok(Some(violation)) => report.violations.push(violation),
                    Ok(None) => {}
                    Err(seed) => report.unknown.push(seed),
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if show_progress {
                    progress(finished, seeds.len(), report.violations.len(), started);
                }
            });
        }
    });
    if show_progress {
        eprintln!();
    }
    let mut report = found.into_inner().expect("the workers are done");
    report.violations.sort_by_key(|violation| violation.seed);
    report.unknown.sort_unstable();
    report
}

/// One line, redrawn in place: a bar, seeds done, violations so far, time left.
fn progress(done: usize, total: usize, violations: usize, started: Instant) {
    let fraction = done as f64 / total.max(1) as f64;
    let width = 30;
    let filled = (fraction * width as f64).round() as usize;
    let elapsed = started.elapsed().as_secs_f64();
    let left = if done == 0 {
        0.0
    } else {
        elapsed / done as f64 * (total - done) as f64
    };
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "\r[{}{}] {done}/{total} seeds, {violations} violations, about {left:.0} s left ",
        "#".repeat(filled),
        "-".repeat(width - filled)
    );
    let _ = stderr.flush();
}
