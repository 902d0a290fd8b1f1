//! What the page's controls ask of the player, and what to announce afterwards.
//!
//! Components send a [`Command`]; [`apply`] carries it out on the [`Player`] and returns a
//! sentence for the page's live region (or an error to show). Plain Rust, tested natively.

use crate::player::Player;
use dsplay_sim::fault::FaultKindSpec;
use dsplay_sim::workload::ClientOpSpec;
use dsplay_sim::{NodeId, Time};

/// One thing a control asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    TogglePlay,
    StepEvent,
    /// Jump to the next moment a scheduled fault begins or ends.
    NextFault,
    /// Jump to the moment the checker first finds the guarantee broken.
    NextViolation,
    Restart,
    Seek(Time),
    Speed(f64),
    /// Inject a fault at the cursor, lasting this many milliseconds if given.
    Inject(FaultKindSpec, Option<f64>),
    /// Run a typed operation on a client at the cursor.
    Operation(NodeId, ClientOpSpec),
}

/// Carries out `command`; `Ok(Some(text))` is a sentence worth announcing.
pub fn apply(player: &mut Player, command: Command) -> Result<Option<String>, String> {
    match command {
        Command::TogglePlay => {
            player.toggle();
            Ok(None)
        }
        Command::StepEvent => {
            player.step_event();
            Ok(None)
        }
        Command::NextFault => match player.next_fault_time() {
            Some(time) => {
                player.pause();
                player.seek(time);
                Ok(Some(format!(
                    "Moved to {time}, where a scheduled fault begins or ends."
                )))
            }
            None => Err("No scheduled fault begins or ends after this point.".into()),
        },
        #[cfg(any(test, not(target_arch = "wasm32")))]
        Command::NextViolation => {
            let (time, verdict) = player.seek_next_violation()?;
            Ok(Some(format!(
                "Moved to {time}, where the run stops being {}: {}",
                verdict.model, verdict.explanation
            )))
        }
        // The page sends this search to its worker (`app.rs`) and never gets here.
        #[cfg(all(not(test), target_arch = "wasm32"))]
        Command::NextViolation => {
            Err("Next violation is searched for in the background worker.".into())
        }
        Command::Restart => {
            player.restart();
            Ok(Some("Restarted from time zero with the same seed.".into()))
        }
        Command::Seek(time) => {
            player.seek(time);
            Ok(None)
        }
        Command::Speed(speed) => {
            player.set_speed(speed);
            Ok(None)
        }
        Command::Inject(fault, duration_ms) => {
            let sentence = describe_fault(&fault, duration_ms);
            player.inject(fault, duration_ms)?;
            Ok(Some(format!("{sentence} at {}.", player.cursor())))
        }
        Command::Operation(client, op) => {
            let name = player.engine().topology().name(client).to_string();
            let sentence = match &op {
                ClientOpSpec::Read { key } => format!("{name} reads {key}"),
                ClientOpSpec::Write { key, value } => format!("{name} writes {key} = {value}"),
                ClientOpSpec::Cas { key, old, new } => {
                    format!("{name} sets {key} from {old} to {new}")
                }
            };
            player.run_operation(client, op)?;
            Ok(Some(format!("{sentence} at {}.", player.cursor())))
        }
    }
}

/// A sentence for a fault, as the live region announces it.
pub fn describe_fault(fault: &FaultKindSpec, duration_ms: Option<f64>) -> String {
    let lasting = duration_ms
        .map(|ms| format!(" for {:.1} s", ms / 1_000.0))
        .unwrap_or_default();
    match fault {
        FaultKindSpec::Crash { node } => format!("{node} crashed{lasting}"),
        FaultKindSpec::FailStop { node } => {
            format!("{node} stopped for good, and its peers were told")
        }
        FaultKindSpec::Restart { node } => format!("{node} restarted"),
        FaultKindSpec::Omission {
            node,
            send,
            receive,
        } => {
            format!("{node} now drops {:.0} % of what it sends and {:.0} % of what it receives{lasting}", send * 100.0, receive * 100.0)
        }
        FaultKindSpec::Slow { node, delay_ms } => {
            format!("{node} handles every message {delay_ms} ms late{lasting}")
        }
        FaultKindSpec::ClockSkew { node, rate, .. } => {
            format!("{node}'s clock runs at {rate}× real time{lasting}")
        }
        FaultKindSpec::Byzantine { node, strategy, .. } => {
            format!("{node} turned byzantine ({strategy:?}){lasting}").to_lowercase()
        }
        FaultKindSpec::CutLink { a, b, .. } => format!("the link {a}–{b} was cut{lasting}"),
        FaultKindSpec::HealAll {} => "every fault healed".to_string(),
        FaultKindSpec::HealLink { a, b } => format!("the link {a}–{b} healed"),
        FaultKindSpec::Partition { groups } => {
            let sides: Vec<String> = groups.iter().map(|group| group.join(", ")).collect();
            format!(
                "the network split into {{{}}} and the rest{lasting}",
                sides.join("} and {")
            )
        }
        FaultKindSpec::LinkChange { a, b, .. } => format!("the link {a}–{b} changed{lasting}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::Scenario;

    fn feed_player() -> Player {
        Player::new(
            Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn injecting_announces_what_happened_and_when() {
        let mut player = feed_player();
        apply(&mut player, Command::Seek(Time::from_ms(2_500))).unwrap();
        let said = apply(
            &mut player,
            Command::Inject(FaultKindSpec::Crash { node: "r1".into() }, Some(3_000.0)),
        )
        .unwrap();
        assert_eq!(said.as_deref(), Some("r1 crashed for 3.0 s at 2.500 s."));
        assert_eq!(player.scenario().faults.len(), 1);
    }

    #[test]
    fn a_refused_command_leaves_the_scenario_untouched() {
        let mut player = feed_player();
        let before = player.scenario().clone();
        let error = apply(
            &mut player,
            Command::Inject(
                FaultKindSpec::Crash {
                    node: "nobody".into(),
                },
                None,
            ),
        )
        .unwrap_err();
        assert!(error.contains("unknown node \"nobody\""), "{error}");
        assert_eq!(player.scenario(), &before);
    }

    #[test]
    fn fault_sentences_read_naturally() {
        let partition = FaultKindSpec::Partition {
            groups: vec![vec!["r1".into(), "r2".into()]],
        };
        assert_eq!(
            describe_fault(&partition, None),
            "the network split into {r1, r2} and the rest"
        );
        let omission = FaultKindSpec::Omission {
            node: "r3".into(),
            send: 0.3,
            receive: 0.0,
        };
        assert_eq!(
            describe_fault(&omission, Some(2_000.0)),
            "r3 now drops 30 % of what it sends and 0 % of what it receives for 2.0 s"
        );
    }

    #[test]
    fn next_fault_jumps_to_each_scheduled_change_in_turn() {
        let scenario =
            Scenario::from_json(crate::presets::find("crash-recovery").unwrap().json).unwrap();
        let mut player = Player::new(scenario).unwrap();
        let said = apply(&mut player, Command::NextFault).unwrap();
        assert_eq!(player.cursor(), Time::from_ms(4_000));
        assert_eq!(
            said.as_deref(),
            Some("Moved to 4.000 s, where a scheduled fault begins or ends.")
        );
        apply(&mut player, Command::NextFault).unwrap();
        assert_eq!(player.cursor(), Time::from_ms(9_000));
        assert!(
            apply(&mut player, Command::NextFault).is_err(),
            "nothing after the restart"
        );
    }
}
