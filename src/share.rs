//! Share links: the whole scenario (topology with positions, model and parameters,
//! workloads, the fault schedule with live injections, typed operations, seed) and the
//! time cursor, in the page address's fragment, so opening the link shows the same run at
//! the same moment.
//!
//! The fragment reads `#v1/<milliseconds>/<scenario JSON in base64url>`. The leading
//! version lets later formats (compressed ones) keep opening these links. Decoding never
//! trusts the link: every step has a limit and a sentence for what went wrong, and the
//! scenario goes through the engine's own validation. Plain Rust, tested natively.

use dsplay_sim::{Scenario, Time};

/// The link format this build writes.
pub const LINK_VERSION: u32 = 1;
/// The longest fragment accepted, in bytes: far above any real scenario's link.
pub const MAX_FRAGMENT_BYTES: usize = 512 * 1024;

/// What a link holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub scenario: Scenario,
    /// The time the sharer was looking at.
    pub time: Time,
}

/// The fragment (without `#`) for `scenario` shown at `time`.
pub fn to_fragment(scenario: &Scenario, time: Time) -> String {
    let json = serde_json::to_string(scenario).expect("a scenario always serialises");
    format!(
        "v{LINK_VERSION}/{}/{}",
        time.as_us() / 1_000,
        base64url_encode(json.as_bytes())
    )
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
    match version.strip_prefix('v').and_then(|number| number.parse::<u32>().ok()) {
        Some(LINK_VERSION) => {}
        Some(other) if other > LINK_VERSION => {
            return Err(format!(
                "This link was made by a newer dsplay (link format {other}; this page reads format {LINK_VERSION})."
            ))
        }
        _ => {
            return Err(
                "This is not a dsplay scenario link: it should start with #v1/.".to_string(),
            )
        }
    }
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
    let json = String::from_utf8(bytes)
        .map_err(|_| "This link is damaged: its scenario is not text.".to_string())?;
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
        assert!(refused(&format!("#v1/0/{}", &body[..body.len() / 2]))
            .starts_with("This link's scenario cannot be opened"));
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
            let shared = from_fragment(&format!("#v1/{late}/{body}"))
                .unwrap()
                .unwrap();
            assert_eq!(shared.time, Time::from_ms_f64(shared.scenario.duration_ms));
        }
    }
}
