//! Faults as data: what can go wrong, and when.
//!
//! A scenario's `faults` are [`FaultSpec`]s naming nodes by id; [`compile_fault`] checks
//! one against the topology and turns it into a [`ScheduledFault`] of index-based
//! [`Fault`]s. The run applies them from a schedule kept beside its event queue, so a run
//! with faults replays exactly from its scenario, and a live injection from the UI (the
//! same spec, compiled the same way) lands in the same schedule.
//!
//! The kinds follow the seed's order of severity: fail-stop, crash, omission, temporal
//! (slow nodes, slow links, skewed clocks) and byzantine, plus the network's own faults
//! (cuts, partitions, changes of loss, delay and duplication).

use crate::scenario::Problem;
use crate::time::{ms_to_us, Time};
use crate::topology::{LatencyModel, Link, LinkId, NodeId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One entry of a scenario's fault schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// When the fault starts, in milliseconds of virtual time.
    pub at_ms: f64,
    /// When it ends (restart, heal, back to normal), if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<f64>,
    pub fault: FaultKindSpec,
}

/// What goes wrong, naming nodes by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKindSpec {
    /// The node halts silently; `until_ms` restarts it.
    Crash { node: String },
    /// The node halts for good and the other nodes are told.
    FailStop { node: String },
    /// A halted node comes back with its durable state.
    Restart { node: String },
    /// The node fails to send (`send`) and/or receive (`receive`) each message with the
    /// given probability.
    Omission {
        node: String,
        #[serde(default)]
        send: f64,
        #[serde(default)]
        receive: f64,
    },
    /// The node is correct but late: it handles every message `delay_ms` after it arrives.
    Slow { node: String, delay_ms: f64 },
    /// The node's clock runs at `rate` times real time (0.5: half speed, so its timeouts
    /// fire late; 2: double, so they fire early) and jumps by `offset_ms` when the skew
    /// starts. When the fault ends the clock is corrected to real time.
    ClockSkew {
        node: String,
        #[serde(default = "one")]
        rate: f64,
        #[serde(default)]
        offset_ms: f64,
    },
    /// The node turns byzantine with the named strategy.
    Byzantine {
        node: String,
        strategy: StrategyName,
        /// For `silent`: the nodes it stops talking to (empty: everyone).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        toward: Vec<String>,
    },
    /// The link between `a` and `b` stops carrying messages (only `a → b` when `one_way`).
    CutLink {
        a: String,
        b: String,
        #[serde(default)]
        one_way: bool,
    },
    /// Every link between nodes of different groups is cut; nodes in no group form one more.
    Partition { groups: Vec<Vec<String>> },
    /// Everything heals at once: cuts and link changes end, crashed nodes restart (not
    /// fail-stopped ones), node faults stop. Instantaneous, so it takes no `until_ms`.
    HealAll {},
    /// The link between `a` and `b` heals: every cut of it (by `cut_link` or a partition)
    /// and every change of its settings ends now. Instantaneous, so it takes no `until_ms`.
    HealLink { a: String, b: String },
    /// The link between `a` and `b` changes: its latency is multiplied by
    /// `latency_factor`, and its loss and duplication probabilities are replaced.
    LinkChange {
        a: String,
        b: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_factor: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate: Option<f64>,
    },
}

fn one() -> f64 {
    1.0
}

impl FaultKindSpec {
    /// Every node id the fault names, for renaming and removing nodes in an editor.
    pub fn node_names_mut(&mut self) -> Vec<&mut String> {
        match self {
            FaultKindSpec::Crash { node }
            | FaultKindSpec::FailStop { node }
            | FaultKindSpec::Restart { node }
            | FaultKindSpec::Omission { node, .. }
            | FaultKindSpec::Slow { node, .. }
            | FaultKindSpec::ClockSkew { node, .. } => vec![node],
            FaultKindSpec::Byzantine { node, toward, .. } => {
                std::iter::once(node).chain(toward.iter_mut()).collect()
            }
            FaultKindSpec::CutLink { a, b, .. }
            | FaultKindSpec::LinkChange { a, b, .. }
            | FaultKindSpec::HealLink { a, b } => vec![a, b],
            FaultKindSpec::Partition { groups } => groups.iter_mut().flatten().collect(),
            FaultKindSpec::HealAll {} => Vec::new(),
        }
    }
}

/// How a byzantine node misbehaves.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// It lies to clients: acknowledges writes it never carries out and answers reads
    /// with values nobody wrote.
    Lie,
    /// It tells different peers different things where the protocol lets one node order
    /// requests for others (a sequencer or primary).
    Equivocate,
    /// It sends old messages of its own again (authentic, but stale).
    Replay,
    /// It stops talking to chosen peers, sending and forwarding nothing to them.
    Silent,
}

/// A byzantine strategy in the engine's form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Lie,
    Equivocate,
    Replay,
    /// Silent toward these nodes (all others when empty).
    Silent {
        toward: Vec<NodeId>,
    },
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Lie => "lie",
            Strategy::Equivocate => "equivocate",
            Strategy::Replay => "replay",
            Strategy::Silent { .. } => "silent",
        }
    }

    /// Whether a silent node withholds messages for `peer`.
    pub fn silences(&self, peer: NodeId) -> bool {
        matches!(self, Strategy::Silent { toward } if toward.is_empty() || toward.contains(&peer))
    }
}

/// One direction of one link, cut.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkCut {
    pub link: LinkId,
    /// The end the cut direction starts from.
    pub from: NodeId,
}

impl LinkCut {
    /// Both directions of `link` (one only, for a one-way link).
    pub fn both_ways(link: &Link) -> Vec<LinkCut> {
        let mut cuts = vec![LinkCut {
            link: link.id,
            from: link.a,
        }];
        if link.carries(link.b, link.a) {
            cuts.push(LinkCut {
                link: link.id,
                from: link.b,
            });
        }
        cuts
    }
}

/// A change of a link's settings (unset fields stay as they are).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct LinkChange {
    pub link: LinkId,
    pub latency_factor: Option<f64>,
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
}

impl LinkChange {
    /// The link's settings with the change applied.
    pub fn apply(&self, base: &Link) -> Link {
        let mut changed = base.clone();
        if let Some(factor) = self.latency_factor {
            changed.latency = base.latency.scaled(factor);
        }
        if let Some(loss) = self.loss {
            changed.loss = loss;
        }
        if let Some(duplicate) = self.duplicate {
            changed.duplicate = duplicate;
        }
        changed
    }
}

/// A fault in the engine's index-based form.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The node halts silently; nobody is told.
    Crash(NodeId),
    /// The node halts for good, and every other replica gets a failure notice.
    FailStop(NodeId),
    /// A halted node comes back: durable state kept, volatile state rebuilt.
    Restart(NodeId),
    /// The node drops messages it sends or receives with these probabilities.
    Omission {
        node: NodeId,
        send: f64,
        receive: f64,
    },
    /// The node handles each message this long after it arrives.
    Slow { node: NodeId, delay_us: u64 },
    /// The node's clock runs at `rate_ppm` millionths of real time, and jumps by `offset_us`.
    ClockSkew {
        node: NodeId,
        rate_ppm: u64,
        offset_us: i64,
    },
    /// The node turns byzantine.
    Byzantine { node: NodeId, strategy: Strategy },
    /// These link directions stop carrying messages until healed.
    Cut(Vec<LinkCut>),
    /// A link's latency, loss or duplication changes until the fault ends.
    Link(LinkChange),
    /// Every fault heals at once.
    HealAll,
    /// Every cut and change of one link ends.
    HealLink(LinkId),
}

impl Fault {
    /// A short verb for the trace and the UI.
    pub fn verb(&self) -> &'static str {
        match self {
            Fault::Crash(_) => "crash",
            Fault::FailStop(_) => "fail-stop",
            Fault::Restart(_) => "restart",
            Fault::Omission { .. } => "omission",
            Fault::Slow { .. } => "slow",
            Fault::ClockSkew { .. } => "clock skew",
            Fault::Byzantine { .. } => "byzantine",
            Fault::Cut(_) => "cut",
            Fault::Link(_) => "link change",
            Fault::HealAll => "heal all",
            Fault::HealLink(_) => "heal link",
        }
    }

    /// The node the fault is about, for node faults.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Fault::Crash(node) | Fault::FailStop(node) | Fault::Restart(node) => Some(*node),
            Fault::Omission { node, .. }
            | Fault::Slow { node, .. }
            | Fault::ClockSkew { node, .. }
            | Fault::Byzantine { node, .. } => Some(*node),
            Fault::Cut(_) | Fault::Link(_) | Fault::HealAll | Fault::HealLink(_) => None,
        }
    }
}

/// What node faults do to one node right now: what the page draws on it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeCondition {
    /// Halted for good by a fail-stop.
    pub stopped_for_good: bool,
    /// Drops some of what it sends or receives.
    pub omission: bool,
    /// Handles messages late.
    pub slow: bool,
    /// Its clock is off real time.
    pub clock_skewed: bool,
    /// Its byzantine strategy, if it has one.
    pub byzantine: Option<&'static str>,
}

/// A fault with its place in time.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledFault {
    pub at: Time,
    /// When the fault is undone (restart, heal, back to normal), if ever.
    pub until: Option<Time>,
    pub fault: Fault,
    /// Index of the scenario's fault entry this came from.
    pub origin: u32,
}

/// Whether a fault event begins its fault or ends it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FaultPhase {
    Begin,
    End,
}

/// The largest clock rate and latency factor a fault may set.
pub const MAX_FACTOR: f64 = 100.0;

/// What compiling a fault needs to know of the scenario.
#[derive(Debug)]
pub struct FaultContext<'a> {
    pub ids: &'a BTreeMap<&'a str, NodeId>,
    pub links: &'a [Link],
    pub node_count: usize,
}

/// Checks one fault entry against the topology; reports problems under `path`.
pub fn compile_fault(
    spec: &FaultSpec,
    origin: u32,
    path: &str,
    context: &FaultContext<'_>,
    report: &mut impl FnMut(String, String),
) -> Option<ScheduledFault> {
    if !(spec.at_ms.is_finite() && spec.at_ms >= 0.0) {
        report(
            format!("{path}.at_ms"),
            format!(
                "must be a non-negative number of milliseconds, got {}",
                spec.at_ms
            ),
        );
    }
    if let Some(until_ms) = spec.until_ms {
        // Compared as microseconds, the resolution the run uses.
        if !(until_ms.is_finite() && Time::from_ms_f64(until_ms) > Time::from_ms_f64(spec.at_ms)) {
            report(
                format!("{path}.until_ms"),
                format!(
                    "the end ({until_ms} ms) must come after the start ({} ms)",
                    spec.at_ms
                ),
            );
        }
    }
    let fault_path = format!("{path}.fault");
    let node_at = |name: &str, report: &mut dyn FnMut(String, String)| {
        lookup(
            context.ids,
            name,
            &format!("{fault_path}.node"),
            &mut |p, m| report(p, m),
        )
    };
    let fault = match &spec.fault {
        FaultKindSpec::Crash { node } => node_at(node, report).map(Fault::Crash),
        FaultKindSpec::FailStop { node } | FaultKindSpec::Restart { node } => {
            if spec.until_ms.is_some() {
                report(
                    format!("{path}.until_ms"),
                    "this fault has no end: fail-stop is permanent and a restart is instantaneous"
                        .into(),
                );
            }
            let restart = matches!(spec.fault, FaultKindSpec::Restart { .. });
            node_at(node, report).map(|id| {
                if restart {
                    Fault::Restart(id)
                } else {
                    Fault::FailStop(id)
                }
            })
        }
        FaultKindSpec::Omission {
            node,
            send,
            receive,
        } => {
            check_probability(&fault_path, "send", *send, report);
            check_probability(&fault_path, "receive", *receive, report);
            if *send == 0.0 && *receive == 0.0 {
                report(
                    fault_path.clone(),
                    "an omission needs a send or receive probability above 0".into(),
                );
            }
            node_at(node, report).map(|node| Fault::Omission {
                node,
                send: *send,
                receive: *receive,
            })
        }
        FaultKindSpec::Slow { node, delay_ms } => {
            if !(delay_ms.is_finite() && *delay_ms > 0.0 && *delay_ms <= 60_000.0) {
                report(
                    format!("{fault_path}.delay_ms"),
                    format!("must be above 0 and at most 60000 milliseconds, got {delay_ms}"),
                );
            }
            node_at(node, report).map(|node| Fault::Slow {
                node,
                delay_us: ms_to_us(*delay_ms),
            })
        }
        FaultKindSpec::ClockSkew {
            node,
            rate,
            offset_ms,
        } => {
            if !(rate.is_finite() && (0.01..=MAX_FACTOR).contains(rate)) {
                report(
                    format!("{fault_path}.rate"),
                    format!("a clock rate must be between 0.01 and {MAX_FACTOR}, got {rate}"),
                );
            }
            if !(offset_ms.is_finite() && offset_ms.abs() <= 3_600_000.0) {
                report(
                    format!("{fault_path}.offset_ms"),
                    format!("must be within an hour either way, got {offset_ms}"),
                );
            }
            if *rate == 1.0 && *offset_ms == 0.0 {
                report(
                    fault_path.clone(),
                    "a clock skew needs a rate other than 1 or a non-zero offset".into(),
                );
            }
            let rate_ppm = (rate.clamp(0.01, MAX_FACTOR) * 1_000_000.0).round() as u64;
            let offset_us = (offset_ms.clamp(-3_600_000.0, 3_600_000.0) * 1_000.0).round() as i64;
            node_at(node, report).map(|node| Fault::ClockSkew {
                node,
                rate_ppm,
                offset_us,
            })
        }
        FaultKindSpec::Byzantine {
            node,
            strategy,
            toward,
        } => {
            let mut targets = Vec::new();
            for (index, name) in toward.iter().enumerate() {
                if let Some(id) = lookup(
                    context.ids,
                    name,
                    &format!("{fault_path}.toward[{index}]"),
                    report,
                ) {
                    targets.push(id);
                }
            }
            if !toward.is_empty() && *strategy != StrategyName::Silent {
                report(
                    format!("{fault_path}.toward"),
                    "only the silent strategy takes `toward`".into(),
                );
            }
            let strategy = match strategy {
                StrategyName::Lie => Strategy::Lie,
                StrategyName::Equivocate => Strategy::Equivocate,
                StrategyName::Replay => Strategy::Replay,
                StrategyName::Silent => Strategy::Silent { toward: targets },
            };
            node_at(node, report).map(|node| Fault::Byzantine { node, strategy })
        }
        FaultKindSpec::CutLink { a, b, one_way } => {
            let a_id = lookup(context.ids, a, &format!("{fault_path}.a"), report);
            let b_id = lookup(context.ids, b, &format!("{fault_path}.b"), report);
            let (a_id, b_id) = (a_id?, b_id?);
            let cuts = cuts_between(context.links, a_id, b_id, *one_way);
            if cuts.is_empty() {
                report(
                    fault_path.clone(),
                    format!("there is no link from \"{a}\" to \"{b}\" to cut"),
                );
            }
            Some(Fault::Cut(cuts))
        }
        FaultKindSpec::HealAll {} => {
            refuse_an_end_for_a_heal(spec, path, report);
            Some(Fault::HealAll)
        }
        FaultKindSpec::HealLink { a, b } => {
            refuse_an_end_for_a_heal(spec, path, report);
            let a_id = lookup(context.ids, a, &format!("{fault_path}.a"), report);
            let b_id = lookup(context.ids, b, &format!("{fault_path}.b"), report);
            let ends = (a_id?, a.as_str(), b_id?, b.as_str());
            let link = named_link(context.links, ends, &fault_path, " to heal", report)?;
            Some(Fault::HealLink(link))
        }
        FaultKindSpec::Partition { groups } => Some(Fault::Cut(partition_cuts(
            groups,
            &fault_path,
            context,
            report,
        ))),
        FaultKindSpec::LinkChange {
            a,
            b,
            latency_factor,
            loss,
            duplicate,
        } => {
            let a_id = lookup(context.ids, a, &format!("{fault_path}.a"), report);
            let b_id = lookup(context.ids, b, &format!("{fault_path}.b"), report);
            if let Some(factor) = latency_factor {
                if !(factor.is_finite() && *factor > 0.0 && *factor <= MAX_FACTOR) {
                    report(
                        format!("{fault_path}.latency_factor"),
                        format!("must be above 0 and at most {MAX_FACTOR}, got {factor}"),
                    );
                }
            }
            for (field, value) in [("loss", loss), ("duplicate", duplicate)] {
                if let Some(value) = value {
                    check_probability(&fault_path, field, *value, report);
                }
            }
            if latency_factor.is_none() && loss.is_none() && duplicate.is_none() {
                report(
                    fault_path.clone(),
                    "a link change needs latency_factor, loss or duplicate".into(),
                );
            }
            let ends = (a_id?, a.as_str(), b_id?, b.as_str());
            let link = named_link(context.links, ends, &fault_path, "", report)?;
            Some(Fault::Link(LinkChange {
                link,
                latency_factor: *latency_factor,
                loss: *loss,
                duplicate: *duplicate,
            }))
        }
    }?;
    Some(ScheduledFault {
        at: Time::from_ms_f64(spec.at_ms),
        until: spec.until_ms.map(Time::from_ms_f64),
        fault,
        origin,
    })
}

/// The link joining nodes `a` and `b` (by id and name), in either direction; without
/// one, the report `there is no link between "a" and "b"` followed by `tail`.
fn named_link(
    links: &[Link],
    (a, a_name, b, b_name): (NodeId, &str, NodeId, &str),
    fault_path: &str,
    tail: &str,
    report: &mut impl FnMut(String, String),
) -> Option<LinkId> {
    let found = links
        .iter()
        .find(|link| (link.a, link.b) == (a, b) || (link.a, link.b) == (b, a));
    if found.is_none() {
        report(
            fault_path.to_string(),
            format!("there is no link between \"{a_name}\" and \"{b_name}\"{tail}"),
        );
    }
    found.map(|link| link.id)
}

/// Healing is instantaneous: a heal with an end is reported.
fn refuse_an_end_for_a_heal(spec: &FaultSpec, path: &str, report: &mut impl FnMut(String, String)) {
    if spec.until_ms.is_some() {
        report(
            format!("{path}.until_ms"),
            "healing is instantaneous: it takes no end".into(),
        );
    }
}

fn check_probability(path: &str, field: &str, value: f64, report: &mut impl FnMut(String, String)) {
    if !(0.0..=1.0).contains(&value) {
        report(
            format!("{path}.{field}"),
            format!("a probability must be between 0 and 1, got {value}"),
        );
    }
}

fn partition_cuts(
    groups: &[Vec<String>],
    fault_path: &str,
    context: &FaultContext<'_>,
    report: &mut impl FnMut(String, String),
) -> Vec<LinkCut> {
    let mut group_of = vec![usize::MAX; context.node_count];
    for (group_index, group) in groups.iter().enumerate() {
        for (member_index, name) in group.iter().enumerate() {
            let member_path = format!("{fault_path}.groups[{group_index}][{member_index}]");
            let Some(id) = lookup(context.ids, name, &member_path, report) else {
                continue;
            };
            if group_of[id.index()] == group_index {
                report(
                    member_path,
                    format!("node \"{name}\" is listed twice in this group"),
                );
            } else if group_of[id.index()] != usize::MAX {
                report(
                    member_path,
                    format!("node \"{name}\" is in more than one group"),
                );
            }
            group_of[id.index()] = group_index;
        }
    }
    if groups.iter().all(Vec::is_empty) {
        report(
            fault_path.to_string(),
            "a partition needs at least one non-empty group".into(),
        );
        return Vec::new();
    }
    let cuts: Vec<LinkCut> = context
        .links
        .iter()
        .filter(|link| group_of[link.a.index()] != group_of[link.b.index()])
        .flat_map(LinkCut::both_ways)
        .collect();
    if cuts.is_empty() {
        report(
            fault_path.to_string(),
            "this partition cuts no link: every link stays inside one group".into(),
        );
    }
    cuts
}

/// Looks a node up by id, reporting an unknown one at `path`.
pub(crate) fn lookup(
    ids: &BTreeMap<&str, NodeId>,
    name: &str,
    path: &str,
    report: &mut impl FnMut(String, String),
) -> Option<NodeId> {
    let found = ids.get(name).copied();
    if found.is_none() {
        report(path.to_string(), format!("unknown node \"{name}\""));
    }
    found
}

/// The directed cuts that stop traffic from `a` to `b` (and back, unless `one_way`).
fn cuts_between(links: &[Link], a: NodeId, b: NodeId, one_way: bool) -> Vec<LinkCut> {
    links
        .iter()
        .filter(|link| (link.a == a && link.b == b) || (link.a == b && link.b == a))
        .flat_map(|link| {
            let mut cuts = Vec::new();
            if link.carries(a, b) {
                cuts.push(LinkCut {
                    link: link.id,
                    from: a,
                });
            }
            if !one_way && link.carries(b, a) {
                cuts.push(LinkCut {
                    link: link.id,
                    from: b,
                });
            }
            cuts
        })
        .collect()
}

/// Compiles one fault against a built topology (for live injection), or explains why not.
pub fn compile_live(
    spec: &FaultSpec,
    origin: u32,
    topology: &crate::topology::Topology,
) -> Result<ScheduledFault, Vec<Problem>> {
    let ids: BTreeMap<&str, NodeId> = topology
        .nodes
        .iter()
        .map(|node| (node.name.as_str(), node.id))
        .collect();
    let context = FaultContext {
        ids: &ids,
        links: &topology.links,
        node_count: topology.nodes.len(),
    };
    let mut problems = Vec::new();
    let compiled = compile_fault(spec, origin, "fault", &context, &mut |path, message| {
        problems.push(Problem { path, message })
    });
    match compiled {
        Some(fault) if problems.is_empty() => Ok(fault),
        _ => Err(problems),
    }
}

impl LatencyModel {
    /// The same distribution with every delay multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> LatencyModel {
        match *self {
            LatencyModel::Constant { ms } => LatencyModel::Constant { ms: ms * factor },
            LatencyModel::Uniform { min_ms, max_ms } => LatencyModel::Uniform {
                min_ms: min_ms * factor,
                max_ms: max_ms * factor,
            },
            LatencyModel::Normal { mean_ms, jitter_ms } => LatencyModel::Normal {
                mean_ms: mean_ms * factor,
                jitter_ms: jitter_ms * factor,
            },
            LatencyModel::LongTail { min_ms, tail_ms } => LatencyModel::LongTail {
                min_ms: min_ms * factor,
                tail_ms: tail_ms * factor,
            },
        }
    }
}
