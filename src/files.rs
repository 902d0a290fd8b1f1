//! Files in and out of the page: a scenario saved as JSON and opened again (by the Open
//! button or dropped on the page), the run's history as Jepsen EDN, and the page's own
//! autosave in the browser's storage. Plain Rust, tested natively.
//!
//! A file is never trusted: one over the loader's size limit is refused before it is
//! read, and its text goes through the engine's own loader, which refuses anything that
//! is not a valid scenario with a sentence. The autosave is a share link's fragment, so
//! it is compact, versioned, and read back with the share link's checks.

use crate::share;
use dsplay_sim::scenario::MAX_DOCUMENT_BYTES;
use dsplay_sim::{Engine, Scenario, Time};

/// The key the page's autosave lives under in `localStorage`.
pub const AUTOSAVE_KEY: &str = "dsplay.autosave";

/// Where the work is saved: the playground's own key, or one per design challenge, so
/// working on a challenge never overwrites the playground's work (or another challenge's).
pub fn save_key(challenge: Option<&str>) -> String {
    match challenge {
        Some(id) => format!("dsplay.challenge.{id}"),
        None => AUTOSAVE_KEY.to_string(),
    }
}

/// Refuses a file by its size before reading it.
pub fn check_size(name: &str, bytes: f64) -> Result<(), String> {
    if bytes > MAX_DOCUMENT_BYTES as f64 {
        return Err(format!(
            "{} is {:.1} MB; scenario files are limited to {} MB.",
            shorten(name),
            bytes / (1024.0 * 1024.0),
            MAX_DOCUMENT_BYTES >> 20
        ));
    }
    Ok(())
}

/// The scenario in a file's text, or a sentence naming the file and what is wrong.
pub fn open_scenario(name: &str, text: &str) -> Result<Scenario, String> {
    check_size(name, text.len() as f64)?;
    let scenario = Scenario::from_json(text)
        .map_err(|error| format!("{} cannot be opened: {error}", shorten(name)))?;
    scenario
        .compile()
        .map_err(|error| format!("{} cannot run as it is: {error}", shorten(name)))?;
    Ok(scenario)
}

/// The scenario as a file, in the format `docs/formats.md` describes.
pub fn scenario_file(scenario: &Scenario) -> String {
    let mut text = scenario.to_json_pretty();
    text.push('\n');
    text
}

/// A file name for the scenario: its name in lowercase words joined by dashes.
pub fn file_name(scenario: &Scenario, extension: &str) -> String {
    let words: Vec<String> = scenario
        .name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect();
    let stem = if words.is_empty() {
        "dsplay-scenario".to_string()
    } else {
        words.join("-")
    };
    format!("{stem}.{extension}")
}

/// The run's history so far as Jepsen EDN, as `dsplay run --history` writes it.
pub fn history_edn(engine: &dyn Engine) -> String {
    let (history, _) = dsplay_sim::verdict::checker_history(engine);
    dsplay_check::to_edn(&history)
}

/// What the autosave keeps: the scenario and the moment, as a share fragment.
pub fn autosave(scenario: &Scenario, time: Time) -> String {
    share::to_fragment(scenario, time)
}

/// The work an autosave holds; `None` for nothing saved or a save that cannot be read
/// (it is then simply not offered, as a fresh page would be).
pub fn restore(saved: Option<&str>) -> Option<share::Shared> {
    share::from_fragment(saved?).ok().flatten()
}

/// How many cases a long fuzz run tries: `DSPLAY_FUZZ_CASES`, else a million.
#[cfg(test)]
pub fn fuzz_cases() -> u64 {
    std::env::var("DSPLAY_FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000)
}

/// At most 60 characters of a file name, for messages.
fn shorten(name: &str) -> String {
    let short: String = name.chars().take(60).collect();
    if short.is_empty() {
        "The file".to_string()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_scenario_opens_as_the_same_scenario() {
        for preset in crate::presets::PRESETS {
            let scenario = crate::presets::scenario(preset.id);
            let text = scenario_file(&scenario);
            assert_eq!(
                open_scenario("saved.json", &text).unwrap(),
                scenario,
                "{}",
                preset.id
            );
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_sentence_naming_them() {
        let refused = |text: &str| open_scenario("mine.json", text).unwrap_err();
        assert!(refused("").starts_with("mine.json cannot be opened"));
        assert!(refused("<script>alert(1)</script>").starts_with("mine.json cannot be opened"));
        assert!(refused("{\"version\": 99}").starts_with("mine.json cannot be opened"));
        let nested = "[".repeat(100_000);
        assert!(refused(&nested).starts_with("mine.json cannot be opened"));
        let huge = " ".repeat(MAX_DOCUMENT_BYTES + 1);
        assert!(refused(&huge).contains("limited to 4 MB"));
        assert!(check_size("big.json", 5.0 * 1024.0 * 1024.0)
            .unwrap_err()
            .starts_with("big.json is 5.0 MB"));
        // Valid JSON of a scenario that cannot run: a client linked to nothing.
        let mut lonely = crate::presets::scenario("sequential-feed");
        lonely
            .links
            .retain(|link| link.a != "editor" && link.b != "editor");
        let text = scenario_file(&lonely);
        assert!(
            refused(&text).starts_with("mine.json cannot"),
            "{}",
            refused(&text)
        );
    }

    /// Scenario files with random edits: a byte flipped, a span cut, a span repeated, a
    /// number made huge or negative. Each opens or is refused with a sentence naming the
    /// file, never a panic.
    fn fuzz_files(cases: u64, seed: u64) {
        let mut rng = dsplay_sim::rng::Rng::from_seed(seed);
        let originals: Vec<String> = crate::presets::PRESETS
            .iter()
            .map(|preset| preset.json.to_string())
            .collect();
        let junk = [
            "1e309",
            "-1",
            "null",
            "[]",
            "{}",
            "\"\\u0000\"",
            "18446744073709551616",
            "\"<script>\"",
        ];
        for case in 0..cases {
            let mut bytes = originals[rng.below(originals.len() as u64) as usize]
                .clone()
                .into_bytes();
            for _ in 0..=rng.below(3) {
                let at = rng.below(bytes.len() as u64) as usize;
                match rng.below(4) {
                    0 => bytes[at] = rng.below(128) as u8,
                    1 => bytes.truncate(at),
                    2 => {
                        let end = (at + rng.below(200) as usize).min(bytes.len());
                        let span = bytes[at..end].to_vec();
                        bytes.splice(at..at, span);
                    }
                    _ => {
                        let word = junk[rng.below(junk.len() as u64) as usize];
                        bytes.splice(at..at, word.bytes());
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Err(sentence) = open_scenario("fuzzed.json", &text) {
                assert!(
                    sentence.starts_with("fuzzed.json"),
                    "seed {seed} case {case}: {sentence}"
                );
            }
        }
    }

    #[test]
    fn mangled_files_are_refused_without_a_panic() {
        fuzz_files(300, 4);
    }

    /// `cargo xtask fuzz`: `DSPLAY_FUZZ_CASES` cases (default a million).
    #[test]
    #[ignore = "long: run by `cargo xtask fuzz`"]
    fn fuzz_scenario_files() {
        fuzz_files(fuzz_cases(), 20_261_203);
    }

    #[test]
    fn the_history_exports_as_edn_the_checker_reads_back() {
        let mut player =
            crate::player::Player::new(crate::presets::scenario("sequential-feed")).unwrap();
        player.seek(Time::from_ms(5_000));
        let edn = history_edn(player.engine());
        let history = dsplay_check::parse_edn(&edn).unwrap();
        let (expected, _) = dsplay_sim::verdict::checker_history(player.engine());
        assert_eq!(history.ops().len(), expected.ops().len());
        assert!(edn.contains(":invoke") && edn.contains(":ok"));
    }

    #[test]
    fn the_autosave_restores_the_work_and_ignores_what_it_cannot_read() {
        let scenario = crate::presets::scenario("partition");
        let saved = autosave(&scenario, Time::from_ms(4_200));
        let restored = restore(Some(&saved)).unwrap();
        assert_eq!(restored.scenario, scenario);
        assert_eq!(restored.time, Time::from_ms(4_200));
        assert_eq!(restore(None), None);
        assert_eq!(restore(Some("v2/0/garbage!")), None);
    }

    #[test]
    fn file_names_come_from_the_scenario_name() {
        let mut scenario = crate::presets::scenario("partition");
        scenario.name = "Partition: the minority side!".into();
        assert_eq!(
            file_name(&scenario, "json"),
            "partition-the-minority-side.json"
        );
        scenario.name = "***".into();
        assert_eq!(file_name(&scenario, "edn"), "dsplay-scenario.edn");
    }
}
