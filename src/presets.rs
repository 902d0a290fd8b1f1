//! The scenarios shipped with the page, the blank canvas, and the model picker's list.

use dsplay_sim::protocols::ProtocolConfig;
use dsplay_sim::Scenario;

/// A scenario the page offers in its picker.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Stable name, used in tests and (later) in links.
    pub id: &'static str,
    /// What the picker shows.
    pub label: &'static str,
    pub json: &'static str,
}

/// Every preset, in picker order; the first opens by default.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "gossip-ring",
        label: "Gossip and heartbeats on a ring",
        json: include_str!("../scenarios/gossip-ring.json"),
    },
    Preset {
        id: "eventual-dns",
        label: "Eventual — DNS records",
        json: include_str!("../scenarios/eventual-dns.json"),
    },
    Preset {
        id: "causal-comments",
        label: "Causal — a comment thread",
        json: include_str!("../scenarios/causal-comments.json"),
    },
    Preset {
        id: "sequential-feed",
        label: "Sequential — a news feed",
        json: include_str!("../scenarios/sequential-feed.json"),
    },
    Preset {
        id: "strict-password",
        label: "Strict (Raft) — a password update",
        json: include_str!("../scenarios/strict-password.json"),
    },
    Preset {
        id: "byzantine",
        label: "Byzantine (PBFT) — a traitor among four",
        json: include_str!("../scenarios/byzantine.json"),
    },
    Preset {
        id: "fail-stop",
        label: "Fault: fail-stop of the leader",
        json: include_str!("../scenarios/fail-stop.json"),
    },
    Preset {
        id: "crash-recovery",
        label: "Fault: crash and recovery",
        json: include_str!("../scenarios/crash-recovery.json"),
    },
    Preset {
        id: "omission",
        label: "Fault: omission",
        json: include_str!("../scenarios/omission.json"),
    },
    Preset {
        id: "temporal",
        label: "Fault: temporal (slow node, lagging clock)",
        json: include_str!("../scenarios/temporal.json"),
    },
    Preset {
        id: "partition",
        label: "Fault: partition",
        json: include_str!("../scenarios/partition.json"),
    },
    Preset {
        id: "partition-tradeoff",
        label: "Trade-off: strict or eventual under a partition",
        json: include_str!("../scenarios/partition-tradeoff.json"),
    },
    Preset {
        id: "stress-grid",
        label: "Scale: 100 replicas, 5,000 messages in the air",
        json: include_str!("../scenarios/stress-grid.json"),
    },
];

/// What the page's address asks for: `?preset=ID&speed=X`.
#[derive(Clone, Debug, PartialEq)]
pub struct StartOptions {
    /// The picker entry to open (a preset id, or [`EMPTY`]).
    pub preset: String,
    /// The playback speed, if one of [`crate::player::SPEEDS`] was asked for.
    pub speed: Option<f64>,
    /// What was wrong with the address, said once on the page; the rest still applies.
    pub problem: Option<String>,
}

impl StartOptions {
    /// Adds a sentence about the address to what the page says once.
    pub fn add_problem(&mut self, problem: String) {
        self.problem = Some(match self.problem.take() {
            Some(earlier) => format!("{earlier} {problem}"),
            None => problem,
        });
    }
}

/// The name and value of each pair of a query string (with or without its leading `?`),
/// in order; a bare `name` has the value "".
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The pairs of a query string as written, without those named in `dropped`.
pub fn pairs_without<'a>(query: &'a str, dropped: &'a [&str]) -> impl Iterator<Item = &'a str> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(move |pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
            !dropped.contains(&name)
        })
}

/// Reads the page's query string (with or without its leading `?`). Unknown parameters
/// are ignored; a bad preset or speed falls back to the default and says so.
pub fn start_options(query: &str) -> StartOptions {
    let mut options = StartOptions {
        preset: PRESETS[0].id.to_string(),
        speed: None,
        problem: None,
    };
    let mut problems = Vec::new();
    for (name, value) in query_pairs(query) {
        // Ids and speeds are plain ASCII: anything percent-encoded is not one of them.
        let shown: String = value.chars().take(40).collect();
        match name {
            "preset" if value == EMPTY || find(value).is_some() => {
                options.preset = value.to_string();
            }
            "preset" => problems.push(format!("there is no scenario called \"{shown}\"")),
            "speed" => match value.parse::<f64>() {
                Ok(speed) if crate::player::SPEEDS.contains(&speed) => options.speed = Some(speed),
                _ => problems.push(format!(
                    "\"{shown}\" is not a speed the page offers (0.1 to 100)"
                )),
            },
            _ => {}
        }
    }
    if !problems.is_empty() {
        options.problem = Some(format!(
            "The address asks for something the page cannot show: {}. Showing the default instead.",
            problems.join("; ")
        ));
    }
    options
}

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.id == id)
}

/// The id of the blank canvas in the picker.
pub const EMPTY: &str = "empty";
/// The id of the scenario a share link opened, in the picker.
pub const SHARED: &str = "shared";

/// A blank canvas to build a system on: no nodes yet, the sequential model, seed 1.
/// (Not a valid scenario until it has a replica, so it is built without validation.)
pub fn empty() -> Scenario {
    serde_json::from_str(
        r#"{"version": 1, "name": "Your system",
            "description": "Add replicas and clients, link them, pick a model, then break it.",
            "seed": 1, "duration_ms": 30000, "protocol": {"kind": "sequential"}, "nodes": [], "links": []}"#,
    )
    .expect("the blank scenario parses")
}

/// The scenario for a picker entry: a preset, or the blank canvas.
pub fn scenario(id: &str) -> Scenario {
    if id == EMPTY {
        return empty();
    }
    let preset = find(id).unwrap_or(&PRESETS[0]);
    Scenario::from_json(preset.json).expect("every preset is valid (tested)")
}

/// The consistency models the model picker offers, strongest first, with their labels.
pub const MODELS: &[(&str, &str)] = &[
    ("bft", "Byzantine fault tolerant (PBFT)"),
    ("strict", "Strict / linearizable (Raft)"),
    ("sequential", "Sequential (sequencer)"),
    ("causal", "Causal (COPS)"),
    ("eventual", "Eventual (Dynamo)"),
    ("gossip", "Gossip counter"),
];

/// The models of [`MODELS`] this build's engine knows, with their default parameters.
pub fn known_models() -> Vec<(&'static str, &'static str, ProtocolConfig)> {
    MODELS
        .iter()
        .filter_map(|&(kind, label)| {
            let config = serde_json::from_value(serde_json::json!({ "kind": kind })).ok()?;
            Some((kind, label, config))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads_and_ids_are_unique() {
        for preset in PRESETS {
            Scenario::from_json(preset.json).unwrap_or_else(|err| panic!("{}: {err}", preset.id));
            assert_eq!(
                PRESETS.iter().filter(|other| other.id == preset.id).count(),
                1
            );
            assert_ne!(preset.id, EMPTY);
        }
        assert_eq!(
            find("sequential-feed").map(|preset| preset.id),
            Some("sequential-feed")
        );
    }

    #[test]
    fn the_address_picks_a_preset_and_a_speed_and_says_what_it_cannot() {
        let options = start_options("?preset=strict-password&speed=1&other=x");
        assert_eq!(
            (options.preset.as_str(), options.speed, options.problem),
            ("strict-password", Some(1.0), None)
        );
        assert_eq!(start_options("").preset, PRESETS[0].id);
        assert_eq!(start_options("preset=empty").preset, EMPTY);
        let bad = start_options("?preset=<script>&speed=3");
        assert_eq!(bad.preset, PRESETS[0].id);
        assert_eq!(bad.speed, None);
        assert_eq!(
            bad.problem.as_deref(),
            Some("The address asks for something the page cannot show: there is no scenario called \"<script>\"; \"3\" is not a speed the page offers (0.1 to 100). Showing the default instead.")
        );
    }

    #[test]
    fn the_stress_preset_has_a_hundred_nodes_and_thousands_of_messages_in_the_air() {
        let scenario = scenario("stress-grid");
        assert_eq!(scenario.nodes.len(), 100);
        let mut player = crate::player::Player::new(scenario).unwrap();
        let mut in_flight = Vec::new();
        for ms in (4_000..20_000).step_by(500) {
            player.seek(dsplay_sim::Time::from_ms(ms));
            in_flight.push(player.status().in_flight);
        }
        let mean = in_flight.iter().sum::<u64>() / in_flight.len() as u64;
        assert!(
            (4_000..=6_500).contains(&mean),
            "{mean} in flight on average: {in_flight:?}"
        );
    }

    #[test]
    fn the_blank_canvas_has_no_nodes_and_the_model_picker_knows_the_built_models() {
        assert!(scenario(EMPTY).nodes.is_empty());
        let kinds: Vec<&str> = known_models().iter().map(|(kind, _, _)| *kind).collect();
        for expected in [
            "bft",
            "strict",
            "eventual",
            "causal",
            "sequential",
            "gossip",
        ] {
            assert!(kinds.contains(&expected), "{expected} is offered");
        }
        for (kind, _, config) in known_models() {
            assert_eq!(config.kind(), kind);
        }
    }
}
