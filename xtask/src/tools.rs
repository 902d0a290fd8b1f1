//! Installs the tools the build needs, skipping each one already present at the right version.
//!
//! CI starts from a fresh machine with none of these tools, so every install lives here.
//! Installing Trunk and wasm-bindgen from source takes about twelve minutes on two cores,
//! which is why each install is skipped when the right version already answers on PATH.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::{run, stdout_of, Outcome};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const TRUNK_VERSION: &str = "0.21.14";

/// Puts `node_modules/.bin` (wasm-opt from npm binaryen) and cargo's bin directory
/// (Trunk, wasm-bindgen) first on PATH for this process and every child, so a tool
/// installed a moment ago is found even where the shell's PATH lacks these dirs.
pub fn prepend_tool_dirs_to_path(root: &Path) -> Outcome {
    let inherited = env::var_os("PATH").unwrap_or_default();
    let tool_dirs = [root.join("node_modules/.bin"), cargo_home().join("bin")];
    let dirs = tool_dirs.into_iter().chain(env::split_paths(&inherited));
    let path = env::join_paths(dirs).map_err(|err| format!("cannot build PATH: {err}"))?;
    // Single-threaded at this point, so changing the environment races with nothing.
    env::set_var("PATH", path);
    Ok(())
}

/// What `serve` and `dist` need: the wasm target, Trunk, wasm-bindgen and wasm-opt.
pub fn ensure_build_tools(root: &Path) -> Outcome {
    ensure_wasm_target()?;
    ensure_version("trunk", TRUNK_VERSION, || {
        run(Command::new("cargo").args([
            "install",
            "--locked",
            "trunk",
            "--version",
            TRUNK_VERSION,
        ]))
    })?;
    let wasm_bindgen_version = checked_wasm_bindgen_version(root)?;
    // Deliberately without --locked, unlike Trunk: this is the project's chosen install
    // line for the CLI. Its version alone must match the library in Cargo.lock.
    ensure_version("wasm-bindgen", &wasm_bindgen_version, || {
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wasm_bindgen_version,
        ]))
    })?;
    ensure_node_modules(root)
}

/// What the page benchmarks need: the build tools and Chromium.
pub fn ensure_bench_tools(root: &Path) -> Outcome {
    ensure_build_tools(root)?;
    ensure_chromium()
}

/// What `test` needs: the build tools, rustfmt and clippy, and Chromium with chromedriver.
pub fn ensure_test_tools(root: &Path) -> Outcome {
    ensure_build_tools(root)?;
    ensure_rust_components()?;
    ensure_chromium()
}

fn ensure_wasm_target() -> Outcome {
    let installed = stdout_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_rust_components() -> Outcome {
    let installed = stdout_of("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    let has = |component: &str| installed.lines().any(|line| line.starts_with(component));
    if has("rustfmt") && has("clippy") {
        return Ok(());
    }
    run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))
}

/// Runs `install` unless `tool --version` already reports `wanted`, then checks that it does.
fn ensure_version(tool: &str, wanted: &str, install: impl FnOnce() -> Outcome) -> Outcome {
    let found = tool_version(tool);
    if found.as_deref() == Some(wanted) {
        return Ok(());
    }
    let found = found.unwrap_or_else(|| "none".into());
    eprintln!("xtask: {tool}: want {wanted}, found {found}; installing");
    install()?;
    match tool_version(tool) {
        Some(version) if version == wanted => Ok(()),
        other => Err(format!(
            "after installing, `{tool} --version` reports {other:?}, not {wanted}; \
             is an older {tool} earlier on PATH?"
        )),
    }
}

/// The second word of `tool --version`: "trunk 0.21.14" gives "0.21.14".
fn tool_version(tool: &str) -> Option<String> {
    let output = stdout_of(tool, &["--version"])?;
    output.split_whitespace().nth(1).map(str::to_owned)
}

/// The wasm-bindgen version in Cargo.lock, after checking Trunk.toml asks Trunk for the
/// same one: the CLI must match the library exactly, and Trunk runs offline.
fn checked_wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let locked = locked_version(root, "wasm-bindgen")?;
    let trunk_toml = read(&root.join("Trunk.toml"))?;
    let configured = toml_string(&trunk_toml, "tools", "wasm_bindgen");
    if configured.as_deref() != Some(locked.as_str()) {
        let configured = configured.unwrap_or_else(|| "missing".into());
        return Err(format!(
            "Trunk.toml [tools] wasm_bindgen is {configured} but Cargo.lock has \
             wasm-bindgen {locked}; set wasm_bindgen = \"{locked}\" in Trunk.toml"
        ));
    }
    Ok(locked)
}

fn locked_version(root: &Path, package: &str) -> Result<String, String> {
    let lock_path = root.join("Cargo.lock");
    if !lock_path.exists() {
        run(Command::new("cargo").arg("generate-lockfile"))?;
    }
    let versions = package_versions(&read(&lock_path)?, package);
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => Err(format!("Cargo.lock has no `{package}` package")),
        several => Err(format!(
            "Cargo.lock has several `{package}` versions: {several:?}"
        )),
    }
}

/// The versions of `package` in a Cargo.lock, where each `[[package]]` entry has a
/// `name = "..."` line directly followed by its `version = "..."` line.
fn package_versions(lock: &str, package: &str) -> Vec<String> {
    let mut lines = lock.lines();
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if toml_line_value(line, "name").as_deref() == Some(package) {
            versions.extend(
                lines
                    .next()
                    .and_then(|next| toml_line_value(next, "version")),
            );
        }
    }
    versions
}

/// The string value of `key` in `[section]` of a simple TOML file.
fn toml_string(toml: &str, section: &str, key: &str) -> Option<String> {
    let header = format!("[{section}]");
    let mut in_section = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == header;
        } else if in_section {
            if let Some(value) = toml_line_value(line, key) {
                return Some(value);
            }
        }
    }
    None
}

/// The quoted string in a `key = "value"  # comment` line, or `None` for any other line.
fn toml_line_value(line: &str, key: &str) -> Option<String> {
    let (left, right) = line.split_once('=')?;
    if left.trim() != key {
        return None;
    }
    let quoted = right.trim().strip_prefix('"')?;
    quoted.split('"').next().map(str::to_owned)
}

/// npm binaryen gives Trunk its wasm-opt; playwright-core drives the end-to-end tests.
fn ensure_node_modules(root: &Path) -> Outcome {
    let modules = root.join("node_modules");
    if modules.join(".bin/wasm-opt").exists() && modules.join("playwright-core").exists() {
        return Ok(());
    }
    run(Command::new("npm").arg("ci"))
}

/// Debian's Chromium and its matching chromedriver: both the wasm tests and the
/// end-to-end tests drive this browser, never one that Playwright downloads.
fn ensure_chromium() -> Outcome {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    run(&mut apt_get(&["update"]))?;
    let install = ["install", "-y", "chromium", "chromium-driver"];
    // A mirror mid-sync fails now and then; one retry rides that out.
    run(&mut apt_get(&install)).or_else(|first_error| {
        eprintln!("xtask: {first_error}; retrying once");
        run(&mut apt_get(&install))
    })
}

/// apt-get that never waits for an answer: CI gives it no stdin.
fn apt_get(args: &[&str]) -> Command {
    let mut command = Command::new("apt-get");
    command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    command
}

fn cargo_home() -> PathBuf {
    match env::var_os("CARGO_HOME") {
        Some(cargo_home) => PathBuf::from(cargo_home),
        None => PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.130"
"#;

    #[test]
    fn lock_versions_match_the_exact_package_name_only() {
        assert_eq!(package_versions(LOCK, "wasm-bindgen"), ["0.2.130"]);
        assert!(package_versions(LOCK, "wasm").is_empty());
    }

    #[test]
    fn toml_string_reads_only_the_named_section() {
        let toml = "[build]\nwasm_bindgen = \"no\"\n\n[tools]\nwasm_opt = \"version_132\"\n\
                    wasm_bindgen = \"0.2.130\" # pinned\n";
        assert_eq!(
            toml_string(toml, "tools", "wasm_bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(toml_string(toml, "tools", "sass"), None);
    }

    #[test]
    fn line_value_ignores_other_keys_and_unquoted_values() {
        assert_eq!(
            toml_line_value("version = \"1.2.3\"", "version").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(toml_line_value("versions = \"1\"", "version"), None);
        assert_eq!(toml_line_value("version = 1", "version"), None);
    }
}
