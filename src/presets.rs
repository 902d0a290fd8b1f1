//! The scenarios shipped with the page, one or more per consistency model.

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
        id: "sequential-feed",
        label: "Sequential — a news feed",
        json: include_str!("../scenarios/sequential-feed.json"),
    },
];

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::Scenario;

    #[test]
    fn every_preset_loads_and_ids_are_unique() {
        for preset in PRESETS {
            Scenario::from_json(preset.json).unwrap_or_else(|err| panic!("{}: {err}", preset.id));
            assert_eq!(
                PRESETS.iter().filter(|other| other.id == preset.id).count(),
                1
            );
        }
        assert_eq!(
            find("sequential-feed").map(|preset| preset.id),
            Some("sequential-feed")
        );
    }
}
