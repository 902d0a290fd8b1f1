//! Share links: the whole scenario (topology with positions, model and parameters,
//! workloads, the fault schedule with live injections, typed operations, seed) and the
//! time cursor, in the page address's fragment, so opening the link shows the same run at
//! the same moment.
//!
//! The fragment reads `#v2/<milliseconds>/<scenario in base64url>`, where the scenario
//! is its JSON made compact (fields at their defaults left out, whole numbers written
//! without a fraction, a link's latency left out when it repeats the link before) and
//! deflated (raw DEFLATE, RFC 1951), so every shipped scenario's
//! link stays under 2 KB. The leading version keeps older links opening: each format has
//! a step that turns its body into scenario JSON (format 1 was the JSON itself,
//! uncompressed). Decoding never trusts the link: every step has a limit (the fragment's
//! length, and the inflated size, so a small link cannot unpack into something huge) and
//! a sentence for what went wrong, and the scenario goes through the engine's own
//! validation. Plain Rust, tested natively.

use dsplay_sim::{Scenario, Time};

/// The link format this build writes.
pub const LINK_VERSION: u32 = 2;
/// The longest fragment accepted, in bytes: far above any real scenario's link.
pub const MAX_FRAGMENT_BYTES: usize = 512 * 1024;
/// The most a link's scenario may inflate to: the engine's own limit on a scenario file.
pub const MAX_INFLATED_BYTES: usize = dsplay_sim::scenario::MAX_DOCUMENT_BYTES;

/// What a link holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub scenario: Scenario,
    /// The time the sharer was looking at.
    pub time: Time,
}

/// The fragment (without `#`) for `scenario` shown at `time`.
pub fn to_fragment(scenario: &Scenario, time: Time) -> String {
    let json = serde_json::to_string(&compact(scenario)).expect("a scenario always serialises");
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 10);
    format!(
        "v{LINK_VERSION}/{}/{}",
        time.as_us() / 1_000,
        base64url_encode(&packed)
    )
}

/// The scenario's JSON without what the loader fills in by itself: link and node fields
/// at their defaults, and fractions of whole numbers. It loads as the same scenario.
fn compact(scenario: &Scenario) -> serde_json::Value {
    let mut value = serde_json::to_value(scenario).expect("a scenario always serialises");
    // What the loader gives a link or a node that names only what it must.
    fn defaults<T: serde::de::DeserializeOwned + serde::Serialize>(
        minimal: serde_json::Value,
    ) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_value::<T>(minimal)
            .ok()
            .and_then(|loaded| match serde_json::to_value(loaded) {
                Ok(serde_json::Value::Object(fields)) => Some(fields),
                _ => None,
            })
            .unwrap_or_default()
    }
    let link_defaults = defaults::<dsplay_sim::scenario::LinkSpec>(
        serde_json::json!({ "a": "a", "b": "b", "latency": { "kind": "constant", "ms": 1.0 } }),
    );
    let node_defaults = defaults::<dsplay_sim::scenario::NodeSpec>(
        serde_json::json!({ "id": "a", "kind": "replica" }),
    );
    // The fields every link or node names anyway.
    const NAMED: [&str; 5] = ["a", "b", "latency", "id", "kind"];
    for (kind, defaults) in [("links", &link_defaults), ("nodes", &node_defaults)] {
        if let Some(items) = value[kind].as_array_mut() {
            for item in items
                .iter_mut()
                .filter_map(serde_json::Value::as_object_mut)
            {
                item.retain(|key, field| {
                    NAMED.contains(&key.as_str()) || defaults.get(key) != Some(field)
                });
            }
        }
    }
    // A link with the same latency as the link before it leaves it out (see
    // `inherit_latencies`): grids and rings repeat one latency many times.
    if let Some(links) = value["links"].as_array_mut() {
        let mut previous: Option<serde_json::Value> = None;
        for link in links
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            let latency = link.get("latency").cloned();
            if latency.is_some() && latency == previous {
                link.remove("latency");
            }
            previous = latency;
        }
    }
    whole_numbers(&mut value);
    value
}

/// Gives each link that leaves out its latency the latency of the link before it, as
/// [`compact`] left it out. Text that is not a scenario object is handed on as it is, for
/// the loader to refuse with its own sentence.
fn inherit_latencies(json: String) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&json) else {
        return json;
    };
    let Some(links) = value
        .get_mut("links")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return json;
    };
    let mut previous: Option<serde_json::Value> = None;
    for link in links
        .iter_mut()
        .filter_map(serde_json::Value::as_object_mut)
    {
        match (link.get("latency"), &previous) {
            (Some(latency), _) => previous = Some(latency.clone()),
            (None, Some(latency)) => {
                link.insert("latency".into(), latency.clone());
            }
            (None, None) => {}
        }
    }
    value.to_string()
}

/// Writes every whole floating-point number as an integer (`120` for `120.0`), which
/// reads back as the same `f64`.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                if float.fract() == 0.0 && float.abs() < 9.0e15 {
                    *number = serde_json::Number::from(float as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Reads a fragment (with or without `#`); `Ok(None)` when the address has none.
pub fn from_fragment(fragment: &str) -> Result<Option<Shared>, String> {
    let fragment = fragment.trim_start_matches('#');
    if fragment.is_empty() {
        return Ok(None);
    }
    if fragment.len() > MAX_FRAGMENT_BYTES {
        return Err(format!(
            "This link is {} KB long; share links are limited to {} KB.",
            fragment.len() / 1024,
            MAX_FRAGMENT_BYTES / 1024
        ));
    }
    let mut parts = fragment.splitn(3, '/');
    let (version, time, body) = (parts.next(), parts.next(), parts.next());
    let version = version.unwrap_or_default();
    let version = match version.strip_prefix('v').and_then(|number| number.parse::<u32>().ok()) {
        Some(version @ 1..=LINK_VERSION) => version,
        Some(other) if other > LINK_VERSION => {
            return Err(format!(
                "This link was made by a newer dsplay (link format {other}; this page reads formats 1 to {LINK_VERSION})."
            ))
        }
        _ => {
            return Err(format!(
                "This is not a dsplay scenario link: it should start with #v{LINK_VERSION}/."
            ))
        }
    };
    let (Some(time), Some(body)) = (time, body) else {
        return Err("This link is cut short: it has no scenario in it.".to_string());
    };
    let time_ms: u64 = time.parse().map_err(|_| {
        format!(
            "This link's time, \"{}\", is not a number of milliseconds.",
            shorten(time)
        )
    })?;
    let bytes = base64url_decode(body)
        .ok_or_else(|| "This link is damaged: its scenario is not valid base64url.".to_string())?;
    // Each format's step to the scenario's JSON text.
    let bytes = match version {
        1 => bytes,
        _ => miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_INFLATED_BYTES)
            .map_err(|error| match error.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => format!(
                    "This link unpacks to more than {} MB; share links are limited to that.",
                    MAX_INFLATED_BYTES >> 20
                ),
                _ => "This link is damaged: its scenario does not unpack.".to_string(),
            })?,
    };
    let json = String::from_utf8(bytes)
        .map_err(|_| "This link is damaged: its scenario is not text.".to_string())?;
    let json = match version {
        1 => json,
        _ => inherit_latencies(json),
    };
    let scenario = Scenario::from_json(&json)
        .map_err(|error| format!("This link's scenario cannot be opened: {error}"))?;
    // A time past the run's end shows its end (and never overflows the clock).
    let end = Time::from_ms_f64(scenario.duration_ms);
    let time = if time_ms >= end.as_us() / 1_000 {
        end
    } else {
        Time::from_ms(time_ms)
    };
    Ok(Some(Shared { scenario, time }))
}

/// At most 40 characters of untrusted text, for error messages.
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 with the URL-safe alphabet and no padding (RFC 4648, section 5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (index, &byte)| {
            word | u32::from(byte) << (16 - 8 * index)
        });
        for index in 0..=chunk.len() {
            out.push(char::from(
                ALPHABET[(word >> (18 - 6 * index)) as usize & 63],
            ));
        }
    }
    out
}

/// The bytes of unpadded base64url text; `None` for any other character, or a length
/// no encoder produces.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let value = |byte: u8| ALPHABET.iter().position(|&letter| letter == byte);
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.as_bytes().chunks(4) {
        let mut word = 0u32;
        for (index, &byte) in chunk.iter().enumerate() {
            word |= (value(byte)? as u32) << (18 - 6 * index);
        }
        for index in 0..chunk.len() - 1 {
            out.push((word >> (16 - 8 * index)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_rfc_vectors_both_ways() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).unwrap(), plain.as_bytes());
        }
        let every_byte: Vec<u8> = (0..=255).collect();
        let encoded = base64url_encode(&every_byte);
        assert!(!encoded.contains(['+', '/', '=']));
        assert_eq!(base64url_decode(&encoded).unwrap(), every_byte);
        assert_eq!(base64url_decode("Zm9v!"), None);
        assert_eq!(base64url_decode("Z"), None);
    }

    #[test]
    fn every_preset_with_live_faults_round_trips_through_a_link() {
        for preset in crate::presets::PRESETS {
            let mut player =
                crate::player::Player::new(crate::presets::scenario(preset.id)).unwrap();
            player.seek(Time::from_ms(1_500));
            let node = player.scenario().nodes[0].id.clone();
            player
                .inject(
                    dsplay_sim::fault::FaultKindSpec::Slow {
                        node,
                        delay_ms: 120.0,
                    },
                    Some(2_000.0),
                )
                .unwrap();
            let fragment = to_fragment(player.scenario(), player.cursor());
            let shared = from_fragment(&format!("#{fragment}")).unwrap().unwrap();
            assert_eq!(&shared.scenario, player.scenario(), "{}", preset.id);
            assert_eq!(shared.time, Time::from_ms(1_500));
            let mut opened = crate::player::Player::new(shared.scenario).unwrap();
            opened.seek(shared.time);
            assert_eq!(
                opened.status().fingerprint,
                player.status().fingerprint,
                "{}",
                preset.id
            );
        }
    }

    #[test]
    fn every_presets_link_is_under_two_kilobytes() {
        for preset in crate::presets::PRESETS {
            let scenario = crate::presets::scenario(preset.id);
            let link = format!(
                "https://dsplay.example/#{}",
                to_fragment(&scenario, Time::from_ms(12_345))
            );
            assert!(link.len() < 2_048, "{}: {} bytes", preset.id, link.len());
            let shared = from_fragment(link.split('#').nth(1).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(shared.scenario, scenario, "{}", preset.id);
        }
    }

    /// Random variations of every preset: positions with fractions, seeds, latencies that
    /// repeat or not, losses, directions, a live fault, any time.
    #[test]
    fn any_scenario_round_trips_through_a_link() {
        use dsplay_sim::topology::{Direction, LatencyModel};
        let mut rng = dsplay_sim::rng::Rng::from_seed(2026);
        for case in 0..300 {
            let preset = &crate::presets::PRESETS[case % crate::presets::PRESETS.len()];
            let mut scenario = crate::presets::scenario(preset.id);
            scenario.seed = rng.next_u64();
            for node in &mut scenario.nodes {
                node.x = rng.uniform(-1e4, 1e4);
                if rng.chance(0.5) {
                    node.y = node.y.round();
                }
            }
            let shared_latency = LatencyModel::Uniform {
                min_ms: rng.uniform(0.0, 50.0),
                max_ms: 60.0,
            };
            for link in &mut scenario.links {
                link.latency = match rng.below(3) {
                    0 => shared_latency,
                    1 => LatencyModel::Constant {
                        ms: rng.below(500) as f64,
                    },
                    _ => LatencyModel::LongTail {
                        min_ms: rng.uniform(1.0, 9.0),
                        tail_ms: 0.1,
                    },
                };
                link.loss = if rng.chance(0.3) {
                    rng.unit_f64() * 0.5
                } else {
                    0.0
                };
                if rng.chance(0.1) {
                    link.direction = Direction::OneWay;
                }
            }
            let time = Time::from_ms(rng.below(30_000));
            let fragment = to_fragment(&scenario, time);
            let shared = from_fragment(&fragment)
                .unwrap_or_else(|err| panic!("case {case} ({}): {err}", preset.id))
                .unwrap();
            assert_eq!(shared.scenario, scenario, "case {case} ({})", preset.id);
            let end = Time::from_ms_f64(scenario.duration_ms);
            assert_eq!(shared.time, time.min(end), "case {case}");
        }
    }

    /// Random text, random bytes, and good links with bytes flipped, cut or added: each is
    /// opened or refused with a sentence, never a panic. `cargo xtask fuzz` runs a million.
    pub(crate) fn fuzz_links(cases: u64, seed: u64) {
        let mut rng = dsplay_sim::rng::Rng::from_seed(seed);
        let good = to_fragment(&crate::presets::scenario("partition"), Time::ZERO);
        let letters: Vec<char> = "ABCxyz019-_/v#%é".chars().collect();
        for case in 0..cases {
            let fragment = match case % 3 {
                0 => (0..rng.below(200))
                    .map(|_| letters[rng.below(letters.len() as u64) as usize])
                    .collect::<String>(),
                1 => {
                    let bytes: Vec<u8> =
                        (0..rng.below(400)).map(|_| rng.below(256) as u8).collect();
                    format!("v2/0/{}", base64url_encode(&bytes))
                }
                _ => {
                    let mut chars: Vec<char> = good.chars().collect();
                    for _ in 0..=rng.below(4) {
                        let at = rng.below(chars.len() as u64) as usize;
                        match rng.below(3) {
                            0 => chars[at] = char::from(ALPHABET[rng.below(64) as usize]),
                            1 => chars.truncate(at.max(6)),
                            _ => chars.insert(at, char::from(ALPHABET[rng.below(64) as usize])),
                        }
                    }
                    chars.into_iter().collect()
                }
            };
            if let Err(sentence) = from_fragment(&fragment) {
                assert!(
                    sentence.ends_with('.') || sentence.contains(": "),
                    "seed {seed} case {case}: {sentence}"
                );
            }
        }
    }

    #[test]
    fn mangled_links_are_refused_without_a_panic() {
        fuzz_links(2_000, 8);
    }

    /// `cargo xtask fuzz`: `DSPLAY_FUZZ_CASES` cases (default a million).
    #[test]
    #[ignore = "long: run by `cargo xtask fuzz`"]
    fn fuzz_share_links() {
        fuzz_links(crate::files::fuzz_cases(), 20_261_203);
    }

    #[test]
    fn links_of_format_one_keep_opening() {
        // As session 2's pages wrote them: the scenario's JSON itself, uncompressed.
        let scenario = crate::presets::scenario("sequential-feed");
        let json = serde_json::to_string(&scenario).unwrap();
        let old = format!("#v1/2500/{}", base64url_encode(json.as_bytes()));
        let shared = from_fragment(&old).unwrap().unwrap();
        assert_eq!(shared.scenario, scenario);
        assert_eq!(shared.time, Time::from_ms(2_500));
        assert!(to_fragment(&scenario, Time::ZERO).starts_with("v2/0/"));
    }

    #[test]
    fn a_small_link_that_unpacks_into_something_huge_is_refused() {
        // Five megabytes of spaces deflate to a few kilobytes.
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; 5 << 20], 10);
        let fragment = format!("#v2/0/{}", base64url_encode(&bomb));
        assert!(fragment.len() < 16 * 1024, "{} bytes", fragment.len());
        assert!(from_fragment(&fragment)
            .unwrap_err()
            .contains("unpacks to more than 4 MB"));
        let not_deflate = base64url_encode(b"\xff\xff\xff definitely not deflate");
        assert!(from_fragment(&format!("#v2/0/{not_deflate}"))
            .unwrap_err()
            .contains("does not unpack"));
    }

    #[test]
    fn hostile_or_broken_links_are_refused_with_a_sentence() {
        let good = to_fragment(&crate::presets::scenario("sequential-feed"), Time::ZERO);
        let body = good.rsplit('/').next().unwrap();
        let refused = |fragment: &str| from_fragment(fragment).unwrap_err();
        assert_eq!(from_fragment("").unwrap(), None);
        assert_eq!(from_fragment("#").unwrap(), None);
        assert!(refused("#hello").starts_with("This is not a dsplay scenario link"));
        assert!(refused("#v9/0/abc").starts_with("This link was made by a newer dsplay"));
        assert!(refused("#v1/0").starts_with("This link is cut short"));
        assert!(refused("#v1/soon/abc").contains("\"soon\", is not a number"));
        assert!(refused("#v1/0/%%%").contains("not valid base64url"));
        let cut = refused(&format!("#v2/0/{}", &body[..body.len() / 2 / 4 * 4]));
        assert!(cut.contains("does not unpack"), "{cut}");
        let old_json = serde_json::to_string(&crate::presets::scenario("sequential-feed")).unwrap();
        let old_body = base64url_encode(old_json.as_bytes());
        assert!(
            refused(&format!("#v1/0/{}", &old_body[..old_body.len() / 2]))
                .starts_with("This link's scenario cannot be opened")
        );
        let script = base64url_encode(b"<script>alert(1)</script>");
        assert!(refused(&format!("#v1/0/{script}"))
            .starts_with("This link's scenario cannot be opened"));
        let not_text = base64url_encode(&[0xff, 0xfe, 0x00]);
        assert!(refused(&format!("#v1/0/{not_text}")).contains("not text"));
        let huge = format!("#v1/0/{}", "A".repeat(MAX_FRAGMENT_BYTES + 1));
        assert!(refused(&huge).contains("share links are limited to"));
        // A scenario that parses but breaks the engine's rules is refused by the engine.
        let mut bad = crate::presets::scenario("sequential-feed");
        bad.nodes[0].id = "a b".into();
        let json = serde_json::to_string(&bad).unwrap();
        let link = format!("#v1/0/{}", base64url_encode(json.as_bytes()));
        assert!(refused(&link).starts_with("This link's scenario cannot be opened"));
        // A time beyond the run is brought back to its end.
        for late in ["99999999", "18446744073709551615"] {
            let shared = from_fragment(&format!("#v2/{late}/{body}"))
                .unwrap()
                .unwrap();
            assert_eq!(shared.time, Time::from_ms_f64(shared.scenario.duration_ms));
        }
    }
}
