//! `cargo xtask`: the one entry point for serving, testing, benchmarking and building dsplay.
//!
//! CI runs `.ci/run`, which runs `cargo xtask test` on a fresh machine, so every
//! install step lives in `tools.rs` rather than in a CI script or a README.

mod process;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use process::{run, run_steps, Outcome};

const USAGE: &str = "\
usage: cargo xtask <command> [args...]

commands:
  serve [args]  install missing tools, then `trunk serve` on http://127.0.0.1:8080
  test          install missing tools and Chromium, then run fmt, clippy, native
                tests, wasm tests, the release build and the end-to-end tests,
                stopping at the first failure
  bench [args]  `cargo bench` of the engine and the checker (args go to criterion), then
                the page's benchmarks in headless Chromium: start-up, gzipped sizes,
                and frame work for 100 nodes and 5,000 messages in flight, and the
                engine's cases in wasm (target/bench/report.json); `bench page` runs
                only the page's
  dist          install missing tools, then build the release site into dist/
  sweep [args]  the protocols' seed sweeps with DSPLAY_SWEEP_SEEDS seeds (default 10000)
  fuzz          the share-link decoder, the scenario-file importer and the EDN parser
                with DSPLAY_FUZZ_CASES random and mutated inputs each (default 1000000)
  long-run      an hour of virtual time in the page's player: snapshots kept, memory held,
                scrubbing back and forth gives the straight run
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let outcome = prepare(&root).and_then(|()| match args.first().map(String::as_str) {
        Some("serve") => serve(&root, &args[1..]),
        Some("test") => test(&root),
        Some("bench") => bench(&root, &args[1..]),
        Some("dist") => dist(&root),
        Some("sweep") => sweep(&args[1..]),
        Some("fuzz") => fuzz(),
        Some("long-run") => long_run(),
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask is always built from its own checkout, so the
/// compile-time manifest path is the right anchor wherever cargo was invoked.
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask/ sits in the workspace root")
        .to_path_buf()
}

/// Runs every later command from the repo root, with the tool directories on PATH.
fn prepare(root: &Path) -> Outcome {
    std::env::set_current_dir(root)
        .map_err(|err| format!("cannot enter {}: {err}", root.display()))?;
    tools::prepend_tool_dirs_to_path(root)
}

fn serve(root: &Path, extra_args: &[String]) -> Outcome {
    tools::ensure_build_tools(root)?;
    run(trunk(&["serve", "--address", "127.0.0.1", "--port", "8080"]).args(extra_args))
}

fn dist(root: &Path) -> Outcome {
    tools::ensure_build_tools(root)?;
    // A relative public URL lets dist/ be hosted under any path, e.g. GitHub Pages.
    run(&mut trunk(&["build", "--release", "--public-url", "./"]))?;
    content_security_policy(root)
}

/// Puts the page's Content-Security-Policy into `dist/index.html` (see `xtask/csp.mjs`).
fn content_security_policy(root: &Path) -> Outcome {
    run(Command::new("node")
        .arg(root.join("xtask/csp.mjs"))
        .arg(root.join("dist")))
}

/// The decoders that take untrusted input, fed `DSPLAY_FUZZ_CASES` random and mutated
/// inputs each (default a million): share links and scenario files (the web crate's
/// logic, natively, in release mode for speed) and Jepsen EDN (the checker). Each input is
/// read or refused with a sentence; a panic fails the run and prints its seed and case.
fn fuzz() -> Outcome {
    let cases = std::env::var("DSPLAY_FUZZ_CASES").unwrap_or_else(|_| "1000000".into());
    println!("fuzzing with {cases} cases per decoder (set DSPLAY_FUZZ_CASES to change)");
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "dsplay-web",
            "fuzz_",
            "--",
            "--ignored",
        ])
        .env("DSPLAY_FUZZ_CASES", &cases))?;
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "dsplay-check",
            "--test",
            "check",
            "fuzz_",
            "--",
            "--ignored",
        ])
        .env("DSPLAY_FUZZ_CASES", &cases))
}

/// An hour of virtual time played, scrubbed back and forward in the page's player (in
/// release: a debug build takes minutes), printing what the run holds.
fn long_run() -> Outcome {
    run(Command::new("cargo").args([
        "test",
        "--release",
        "-p",
        "dsplay-web",
        "an_hour_long_run",
        "--",
        "--ignored",
        "--nocapture",
    ]))
}

/// The protocols' seed sweeps, with far more seeds than `test` runs: every protocol's
/// safety properties over `DSPLAY_SWEEP_SEEDS` seeds (default 10,000) with random faults.
fn sweep(extra_args: &[String]) -> Outcome {
    let seeds = std::env::var("DSPLAY_SWEEP_SEEDS").unwrap_or_else(|_| "10000".into());
    println!("sweeping {seeds} seeds per case (set DSPLAY_SWEEP_SEEDS to change)");
    run(Command::new("cargo")
        .args(["test", "-p", "dsplay-sim"])
        .args([
            "--test",
            "strict",
            "--test",
            "sequential",
            "--test",
            "bft",
            "--test",
            "causal",
            "--test",
            "eventual",
            // And outside tolerance: faults each protocol does not model break it.
            "--test",
            "tolerance",
        ])
        .args(extra_args)
        .env("DSPLAY_SWEEP_SEEDS", seeds))
}

fn bench(root: &Path, extra_args: &[String]) -> Outcome {
    if extra_args.first().map(String::as_str) != Some("page") {
        // Named bench targets only: the libraries' own test harnesses reject criterion's
        // flags.
        run(Command::new("cargo")
            .args(["bench", "-p", "dsplay-sim", "--bench", "engine", "--"])
            .args(extra_args))?;
        run(Command::new("cargo")
            .args(["bench", "-p", "dsplay-check", "--bench", "checker", "--"])
            .args(extra_args))?;
    }
    page_bench(root)
}

/// The page's own figures, measured in headless Chromium against the release build:
/// start-up, gzipped sizes, and the frame budget of the stress preset.
fn page_bench(root: &Path) -> Outcome {
    tools::ensure_bench_tools(root)?;
    run(&mut trunk(&["build", "--release"]))?;
    run(Command::new("node")
        .arg(root.join("e2e/bench-frames.mjs"))
        .arg(root.join("target/bench/frames.json"))
        .env("DSPLAY_DIST", root.join("dist")))
}

fn test(root: &Path) -> Outcome {
    run_steps(&[
        ("install missing tools", &|| tools::ensure_test_tools(root)),
        ("cargo fmt --check", &|| {
            run(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))
        }),
        ("cargo clippy", &|| {
            run(Command::new("cargo").args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        }),
        ("native tests", &|| {
            run(Command::new("cargo").args(["test", "--workspace"]))
        }),
        ("wasm tests in headless Chromium", &|| wasm_tests(root)),
        ("trunk build --release", &|| {
            run(&mut trunk(&["build", "--release"]))?;
            // The end-to-end tests run under the policy the site ships with.
            content_security_policy(root)
        }),
        ("end-to-end tests", &|| e2e_tests(root)),
    ])
}

/// Trunk without its update check, so that a build never waits on the network.
fn trunk(args: &[&str]) -> Command {
    let mut command = Command::new("trunk");
    command.args(args).env("TRUNK_SKIP_VERSION_CHECK", "true");
    command
}

/// The engine's wasm tests, run by wasm-bindgen-test-runner (the cargo runner for
/// wasm32 in `.cargo/config.toml`) through chromedriver.
fn wasm_tests(root: &Path) -> Outcome {
    run(Command::new("cargo")
        .args(["test", "-p", "dsplay-sim", "--target", tools::WASM_TARGET])
        .args(["--test", "wasm"])
        // Run in the browser even if the test file does not say `run_in_browser`.
        .env("WASM_BINDGEN_USE_BROWSER", "1")
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        // Chromium's binary and flags (headless, no sandbox as root) live in this
        // file; an absolute path keeps it independent of the runner's working dir.
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            root.join("crates/sim/webdriver.json"),
        )
        // The default 20 s is tight for seed sweeps on a two-core CI machine.
        .env(
            "WASM_BINDGEN_TEST_TIMEOUT",
            std::env::var("WASM_BINDGEN_TEST_TIMEOUT").unwrap_or_else(|_| "120".into()),
        ))
}

/// The Playwright tests in `e2e/`, against the site `trunk build` left in `dist/`.
fn e2e_tests(root: &Path) -> Outcome {
    // Files are listed explicitly because `node --test <dir>` searches the directory
    // on Node 20 but treats the argument as a glob pattern from Node 21 on.
    let test_files = e2e_test_files(&root.join("e2e"))?;
    // The determinism test compares the page with the native CLI.
    run(Command::new("cargo").args(["build", "-p", "dsplay-cli"]))?;
    run(Command::new("node")
        .arg("--test")
        .args(test_files)
        .env("DSPLAY_DIST", root.join("dist"))
        .env("DSPLAY_CLI", root.join("target/debug/dsplay")))
}

fn e2e_test_files(e2e_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(e2e_dir)
        .map_err(|err| format!("cannot list {}: {err}", e2e_dir.display()))?;
    let mut test_files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    test_files.sort();
    if test_files.is_empty() {
        return Err(format!("no *.test.mjs files in {}", e2e_dir.display()));
    }
    Ok(test_files)
}
