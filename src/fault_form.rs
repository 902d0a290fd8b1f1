//! What the inspector's Break buttons inject: the fields a user typed (duration, percent,
//! delay, clock rate, factor) turned into a fault, or a sentence saying what is wrong.
//!
//! Plain Rust, tested natively. An empty field takes its default, shown as the field's
//! placeholder; anything else must parse and lie in range, or the click injects nothing.

use dsplay_sim::fault::{FaultKindSpec, StrategyName};

/// The durations offered, in milliseconds; `None` lasts until healed (or restarted).
pub const DURATIONS: [(Option<f64>, &str); 5] = [
    (Some(1_000.0), "1 s"),
    (Some(3_000.0), "3 s"),
    (Some(5_000.0), "5 s"),
    (Some(10_000.0), "10 s"),
    (None, "until healed"),
];

/// The duration picked by default: 3 s, long enough to watch, short enough to recover.
pub const DEFAULT_DURATION: usize = 1;

/// Defaults of the typed fields, shown as placeholders.
pub const DEFAULT_OMISSION_PERCENT: f64 = 50.0;
pub const DEFAULT_SLOW_MS: f64 = 300.0;
pub const DEFAULT_CLOCK_RATE: f64 = 0.5;
pub const DEFAULT_LOSS_PERCENT: f64 = 30.0;
pub const DEFAULT_DELAY_FACTOR: f64 = 5.0;

/// The fields as typed (text, possibly empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultFields {
    /// Index into [`DURATIONS`].
    pub duration: usize,
    pub omission_percent: String,
    /// `both`, `send` or `receive`.
    pub omission_side: String,
    pub slow_ms: String,
    pub clock_rate: String,
    /// `lie`, `replay`, `silent` or `equivocate`.
    pub strategy: String,
    pub loss_percent: String,
    pub delay_factor: String,
}

/// A button on a node's Break panel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeAction {
    Crash,
    FailStop,
    Restart,
    Omission,
    Slow,
    ClockSkew,
    Byzantine,
    /// Cut every link of the node: a partition with the node alone on one side.
    Isolate,
}

/// A button on a link's panel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LinkAction {
    Cut,
    Heal,
    Loss,
    Delay,
}

/// A fault and how long it lasts (`None`: until healed, or instantaneous).
pub type Injection = (FaultKindSpec, Option<f64>);

/// The fault a node button injects on `node`.
pub fn node_fault(
    action: NodeAction,
    node: &str,
    fields: &FaultFields,
) -> Result<Injection, String> {
    let node = node.to_string();
    let lasting = duration(fields)?;
    Ok(match action {
        NodeAction::Crash => (FaultKindSpec::Crash { node }, lasting),
        NodeAction::FailStop => (FaultKindSpec::FailStop { node }, None),
        NodeAction::Restart => (FaultKindSpec::Restart { node }, None),
        NodeAction::Omission => {
            let share = number(
                &fields.omission_percent,
                DEFAULT_OMISSION_PERCENT,
                "Omission",
                (1.0, 100.0),
                "%",
            )? / 100.0;
            let (send, receive) = match fields.omission_side.as_str() {
                "send" => (share, 0.0),
                "receive" => (0.0, share),
                _ => (share, share),
            };
            (
                FaultKindSpec::Omission {
                    node,
                    send,
                    receive,
                },
                lasting,
            )
        }
        NodeAction::Slow => {
            let delay_ms = number(
                &fields.slow_ms,
                DEFAULT_SLOW_MS,
                "The slow delay",
                (1.0, 60_000.0),
                "ms",
            )?;
            (FaultKindSpec::Slow { node, delay_ms }, lasting)
        }
        NodeAction::ClockSkew => {
            let rate = number(
                &fields.clock_rate,
                DEFAULT_CLOCK_RATE,
                "The clock rate",
                (0.01, 100.0),
                "×",
            )?;
            if rate == 1.0 {
                return Err(
                    "A clock rate of 1 is real time: pick a rate below 1 (a lagging clock) or above 1 (a racing one)."
                        .into(),
                );
            }
            (
                FaultKindSpec::ClockSkew {
                    node,
                    rate,
                    offset_ms: 0.0,
                },
                lasting,
            )
        }
        NodeAction::Isolate => (
            FaultKindSpec::Partition {
                groups: vec![vec![node]],
            },
            lasting,
        ),
        NodeAction::Byzantine => {
            let strategy = match fields.strategy.as_str() {
                "replay" => StrategyName::Replay,
                "silent" => StrategyName::Silent,
                "equivocate" => StrategyName::Equivocate,
                _ => StrategyName::Lie,
            };
            (
                FaultKindSpec::Byzantine {
                    node,
                    strategy,
                    toward: Vec::new(),
                },
                lasting,
            )
        }
    })
}

/// The fault a link button injects on the link `a`–`b`.
pub fn link_fault(
    action: LinkAction,
    a: &str,
    b: &str,
    fields: &FaultFields,
) -> Result<Injection, String> {
    let (a, b) = (a.to_string(), b.to_string());
    let lasting = duration(fields)?;
    let change = |a, b, latency_factor, loss| FaultKindSpec::LinkChange {
        a,
        b,
        latency_factor,
        loss,
        duplicate: None,
    };
    Ok(match action {
        LinkAction::Cut => (
            FaultKindSpec::CutLink {
                a,
                b,
                one_way: false,
            },
            lasting,
        ),
        LinkAction::Heal => (FaultKindSpec::HealLink { a, b }, None),
        LinkAction::Loss => {
            let loss = number(
                &fields.loss_percent,
                DEFAULT_LOSS_PERCENT,
                "Loss",
                (1.0, 100.0),
                "%",
            )? / 100.0;
            (change(a, b, None, Some(loss)), lasting)
        }
        LinkAction::Delay => {
            let factor = number(
                &fields.delay_factor,
                DEFAULT_DELAY_FACTOR,
                "The delay factor",
                (1.1, 100.0),
                "×",
            )?;
            (change(a, b, Some(factor), None), lasting)
        }
    })
}

fn duration(fields: &FaultFields) -> Result<Option<f64>, String> {
    DURATIONS
        .get(fields.duration)
        .map(|(ms, _)| *ms)
        .ok_or_else(|| "Pick how long the fault lasts.".to_string())
}

/// Parses a typed number; empty text takes `default`.
fn number(
    text: &str,
    default: f64,
    what: &str,
    (low, high): (f64, f64),
    unit: &str,
) -> Result<f64, String> {
    let text = text.trim().trim_end_matches(unit).trim();
    if text.is_empty() {
        return Ok(default);
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (low..=high).contains(&value) => Ok(value),
        _ => Err(format!(
            "{what} must be a number from {low} to {high} {unit}; \"{text}\" is not."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::fault::{compile_live, FaultSpec};

    fn fields() -> FaultFields {
        FaultFields {
            duration: DEFAULT_DURATION,
            ..FaultFields::default()
        }
    }

    #[test]
    fn empty_fields_take_the_defaults_shown_as_placeholders() {
        let (fault, lasting) = node_fault(NodeAction::Omission, "r1", &fields()).unwrap();
        assert_eq!(lasting, Some(3_000.0));
        assert_eq!(
            fault,
            FaultKindSpec::Omission {
                node: "r1".into(),
                send: 0.5,
                receive: 0.5
            }
        );
        let (fault, _) = link_fault(LinkAction::Delay, "r1", "r2", &fields()).unwrap();
        assert!(matches!(
            fault,
            FaultKindSpec::LinkChange {
                latency_factor: Some(factor),
                ..
            } if factor == DEFAULT_DELAY_FACTOR
        ));
    }

    #[test]
    fn typed_values_and_durations_are_used() {
        let typed = FaultFields {
            duration: 4,
            omission_percent: "20 %".into(),
            omission_side: "receive".into(),
            slow_ms: "1200".into(),
            clock_rate: "2".into(),
            strategy: "silent".into(),
            loss_percent: "75".into(),
            delay_factor: "10".into(),
        };
        assert_eq!(
            node_fault(NodeAction::Omission, "r2", &typed).unwrap(),
            (
                FaultKindSpec::Omission {
                    node: "r2".into(),
                    send: 0.0,
                    receive: 0.2
                },
                None
            )
        );
        assert_eq!(
            node_fault(NodeAction::Slow, "r2", &typed).unwrap().0,
            FaultKindSpec::Slow {
                node: "r2".into(),
                delay_ms: 1_200.0
            }
        );
        assert!(matches!(
            node_fault(NodeAction::Byzantine, "r2", &typed).unwrap().0,
            FaultKindSpec::Byzantine {
                strategy: StrategyName::Silent,
                ..
            }
        ));
        assert!(matches!(
            link_fault(LinkAction::Loss, "a", "b", &typed).unwrap().0,
            FaultKindSpec::LinkChange { loss: Some(loss), .. } if loss == 0.75
        ));
        assert_eq!(
            node_fault(NodeAction::FailStop, "r2", &typed).unwrap().1,
            None,
            "fail-stop has no end"
        );
    }

    #[test]
    fn out_of_range_or_garbled_fields_are_refused_with_a_sentence() {
        let bad = FaultFields {
            omission_percent: "150".into(),
            slow_ms: "soon".into(),
            clock_rate: "1".into(),
            delay_factor: "0.5".into(),
            ..fields()
        };
        assert_eq!(
            node_fault(NodeAction::Omission, "r1", &bad).unwrap_err(),
            "Omission must be a number from 1 to 100 %; \"150\" is not."
        );
        assert_eq!(
            node_fault(NodeAction::Slow, "r1", &bad).unwrap_err(),
            "The slow delay must be a number from 1 to 60000 ms; \"soon\" is not."
        );
        assert!(node_fault(NodeAction::ClockSkew, "r1", &bad)
            .unwrap_err()
            .starts_with("A clock rate of 1 is real time"));
        assert!(link_fault(LinkAction::Delay, "a", "b", &bad).is_err());
        let no_duration = FaultFields {
            duration: 99,
            ..fields()
        };
        assert!(node_fault(NodeAction::Crash, "r1", &no_duration).is_err());
    }

    #[test]
    fn every_fault_the_buttons_make_is_valid_for_the_engine() {
        let scenario = crate::presets::scenario("sequential-feed");
        let engine = dsplay_sim::build(&scenario).unwrap();
        let nodes = [
            NodeAction::Crash,
            NodeAction::FailStop,
            NodeAction::Restart,
            NodeAction::Omission,
            NodeAction::Slow,
            NodeAction::ClockSkew,
            NodeAction::Byzantine,
            NodeAction::Isolate,
        ]
        .map(|action| node_fault(action, "r1", &fields()).unwrap());
        let links = [
            LinkAction::Cut,
            LinkAction::Heal,
            LinkAction::Loss,
            LinkAction::Delay,
        ]
        .map(|action| link_fault(action, "r1", "r2", &fields()).unwrap());
        for (fault, lasting) in nodes.into_iter().chain(links) {
            let spec = FaultSpec {
                at_ms: 1_000.0,
                until_ms: lasting.map(|ms| 1_000.0 + ms),
                fault,
            };
            compile_live(&spec, 0, engine.topology())
                .unwrap_or_else(|problems| panic!("{spec:?}: {problems:?}"));
        }
    }
}
