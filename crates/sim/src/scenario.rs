//! The scenario document: everything needed to reproduce a run, as versioned JSON.
//!
//! A scenario names nodes by string id; [`Scenario::compile`] checks every field and turns
//! the document into index-based [`Topology`], [`Fault`] schedule and protocol settings.
//! Loading never panics: a bad document yields every problem found, each with its path.
//! `docs/formats.md` documents the format field by field.

use crate::fault::{compile_fault, lookup, Fault, FaultContext, ScheduledFault, Strategy};
pub use crate::fault::{FaultKindSpec, FaultSpec};

/// Why a protocol refuses the equivocation strategy.
pub const NO_EQUIVOCATION: &str =
    "this protocol does not model equivocation (the sequential and bft protocols do): \
     choose lie, replay or silent";
use crate::protocols::ProtocolConfig;
use crate::time::Time;
use crate::topology::{
    Direction, LatencyModel, Link, LinkId, Node, NodeId, NodeKind, Ordering, Topology,
};
use crate::workload::{OperationSpec, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The scenario format version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

/// Hard limits that keep a hostile or mistaken file from exhausting memory.
pub const MAX_NODES: usize = 2_000;
pub const MAX_LINKS: usize = 20_000;
pub const MAX_FAULTS: usize = 10_000;
pub const MAX_DURATION_MS: f64 = 24.0 * 3_600_000.0;
pub const MAX_EVENTS_LIMIT: u64 = 1_000_000_000;
pub const DEFAULT_MAX_EVENTS: u64 = 5_000_000;
/// Most typed operations a scenario may hold.
pub const MAX_OPERATIONS: usize = 10_000;
/// Largest scenario document read, checked before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 4 << 20;

/// Node ids appear in trace lines and share links, so they are kept to a plain alphabet.
pub fn is_valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must equal [`SCENARIO_VERSION`].
    pub version: u32,
    /// A short title for the UI.
    pub name: String,
    /// What the scenario shows, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// The one seed every random choice of the run derives from.
    pub seed: u64,
    /// How much virtual time the run covers, in milliseconds.
    pub duration_ms: f64,
    /// The event budget: a run that processes this many events stops with an error.
    #[serde(default = "default_max_events")]
    pub max_events: u64,
    /// The replication protocol every replica runs, with its parameters.
    pub protocol: ProtocolConfig,
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// Faults applied during the run, in any order.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// For scenarios with clients: the workload stops this long before the end, every
    /// fault heals then (fail-stopped nodes stay down), and at the end every replica's
    /// value of every key is read into the history, so convergence can be judged from the
    /// history alone. Default 2000 ms.
    #[serde(default = "default_quiet_ms")]
    pub quiet_ms: f64,
    /// Operations typed by hand on clients, with their times, so a replay repeats them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationSpec>,
    /// For sweeps: how many faults of each kind every seed's run gets, drawn from the
    /// seed (`dsplay sweep`; `dsplay run --seed S` reproduces the same draw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_profile: Option<crate::sweep::FaultProfile>,
}

fn default_quiet_ms() -> f64 {
    2_000.0
}

fn default_max_events() -> u64 {
    DEFAULT_MAX_EVENTS
}

/// A node of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique name, used by links, faults and the trace.
    pub id: String,
    pub kind: NodeKind,
    /// Canvas position (the engine ignores it).
    #[serde(default)]
    pub x: f64,
    #[serde(default)]
    pub y: f64,
    /// For a client: what it does by itself. A client without one runs only operations
    /// asked for by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
}

/// A link of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub a: String,
    pub b: String,
    #[serde(default)]
    pub direction: Direction,
    pub latency: LatencyModel,
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub duplicate: f64,
    #[serde(default)]
    pub ordering: Ordering,
}

/// One thing wrong with a scenario, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// A path into the document, such as `links[2].b`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a scenario could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The text is not JSON of the expected shape.
    Syntax(String),
    /// The document was written for another format version.
    Version { found: String },
    /// The document parsed but some fields are invalid.
    Invalid(Vec<Problem>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Syntax(detail) => write!(f, "invalid scenario JSON: {detail}"),
            LoadError::Version { found } => write!(
                f,
                "unsupported scenario version {found} (this build reads version {SCENARIO_VERSION})"
            ),
            LoadError::Invalid(problems) => {
                write!(f, "invalid scenario: ")?;
                for (index, problem) in problems.iter().enumerate() {
                    if index > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A client in the engine's form.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSpec {
    pub node: NodeId,
    pub workload: WorkloadSpec,
    /// The replicas it is linked to, in link order: its first choice and its fail-overs.
    pub replicas: Vec<NodeId>,
}

/// A validated scenario in the engine's index-based form.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    pub topology: Topology,
    pub protocol: ProtocolConfig,
    pub faults: Vec<ScheduledFault>,
    pub clients: Vec<ClientSpec>,
    /// Typed operations: when, which client, what.
    pub operations: Vec<(Time, NodeId, crate::sim::ClientOp)>,
    pub seed: u64,
    pub duration: Time,
    /// When the workload stops and faults heal (scenarios with clients).
    pub quiet_from: Time,
    pub max_events: u64,
}

impl Scenario {
    /// Parses and validates a scenario. The version is checked before the rest, so a file
    /// from a newer build gets a version error rather than a confusing field error.
    pub fn from_json(text: &str) -> Result<Scenario, LoadError> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(LoadError::Syntax(format!(
                "the document is {} bytes; scenarios are limited to {MAX_DOCUMENT_BYTES} bytes",
                text.len()
            )));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|err| LoadError::Syntax(err.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(LoadError::Syntax(
                "the document must be a JSON object".into(),
            ));
        };
        match object.get("version") {
            None => return Err(LoadError::Syntax("missing field `version`".into())),
            Some(version)
                if version.as_f64() == Some(f64::from(SCENARIO_VERSION))
                    && version.as_u64().is_none() =>
            {
                return Err(LoadError::Syntax(format!(
                    "`version` must be the integer {SCENARIO_VERSION}, got {version}"
                )));
            }
            Some(version) if version.as_u64() != Some(u64::from(SCENARIO_VERSION)) => {
                return Err(LoadError::Version {
                    found: version.to_string(),
                });
            }
            Some(_) => {}
        }
        let scenario: Scenario =
            serde_json::from_str(text).map_err(|err| LoadError::Syntax(err.to_string()))?;
        scenario.compile()?;
        Ok(scenario)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serializes")
    }

    /// Checks every field and builds the engine's form, or reports every problem found.
    pub fn compile(&self) -> Result<Compiled, LoadError> {
        let mut problems = Vec::new();
        let mut report = |path: String, message: String| problems.push(Problem { path, message });

        if self.version != SCENARIO_VERSION {
            return Err(LoadError::Version {
                found: self.version.to_string(),
            });
        }
        if !(self.duration_ms.is_finite()
            && Time::from_ms_f64(self.duration_ms) > Time::ZERO
            && self.duration_ms <= MAX_DURATION_MS)
        {
            report(
                "duration_ms".into(),
                format!("must be a number of milliseconds above 0 and at most {MAX_DURATION_MS}, got {}", self.duration_ms),
            );
        }
        if self.max_events == 0 || self.max_events > MAX_EVENTS_LIMIT {
            report(
                "max_events".into(),
                format!(
                    "must be between 1 and {MAX_EVENTS_LIMIT}, got {}",
                    self.max_events
                ),
            );
        }
        let replica_count = self
            .nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Replica)
            .count();
        if let Some(profile) = &self.fault_profile {
            for problem in profile.problems() {
                report(format!("fault_profile.{}", problem.path), problem.message);
            }
        }
        for problem in self.protocol.validate(replica_count) {
            report(format!("protocol.{}", problem.path), problem.message);
        }
        let replica_count = self
            .nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Replica)
            .count();
        for problem in self.protocol.replica_problems(replica_count) {
            let path = match problem.path.as_str() {
                "" => "protocol".to_string(),
                field => format!("protocol.{field}"),
            };
            report(path, problem.message);
        }

        let ids = self.node_ids(&mut report);
        let links = self.compile_links(&ids, &mut report);
        let faults = self.compile_faults(&ids, &links, &mut report);
        for fault in &faults {
            if matches!(
                fault.fault,
                Fault::Byzantine {
                    strategy: Strategy::Equivocate,
                    ..
                }
            ) && !self.protocol.can_equivocate()
            {
                report(
                    format!("faults[{}].fault.strategy", fault.origin),
                    NO_EQUIVOCATION.to_string(),
                );
            }
        }
        let clients = self.compile_clients(&links, &mut report);
        let operations = self.compile_operations(&ids, &mut report);

        if !problems.is_empty() {
            return Err(LoadError::Invalid(problems));
        }
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(index, spec)| Node {
                id: NodeId(index as u32),
                name: spec.id.clone(),
                kind: spec.kind,
                x: spec.x,
                y: spec.y,
            })
            .collect();
        Ok(Compiled {
            topology: Topology { nodes, links },
            protocol: self.protocol.clone(),
            faults,
            clients,
            operations,
            seed: self.seed,
            duration: Time::from_ms_f64(self.duration_ms),
            quiet_from: Time::from_ms_f64(
                self.duration_ms - self.quiet_ms.clamp(0.0, self.duration_ms),
            ),
            max_events: self.max_events,
        })
    }

    fn compile_operations(
        &self,
        ids: &BTreeMap<&str, NodeId>,
        report: &mut impl FnMut(String, String),
    ) -> Vec<(Time, NodeId, crate::sim::ClientOp)> {
        if self.operations.len() > MAX_OPERATIONS {
            report(
                "operations".into(),
                format!(
                    "at most {MAX_OPERATIONS} typed operations, got {}",
                    self.operations.len()
                ),
            );
        }
        let mut operations = Vec::new();
        for (index, spec) in self.operations.iter().enumerate() {
            let path = format!("operations[{index}]");
            let key = spec.op.key();
            if key.is_empty() || key.len() > 32 {
                report(
                    format!("{path}.op.key"),
                    "a key is a non-empty name of at most 32 bytes".into(),
                );
            }
            let Some(client) = lookup(ids, &spec.client, &format!("{path}.client"), report) else {
                continue;
            };
            if self.nodes[client.index()].kind != NodeKind::Client {
                report(
                    format!("{path}.client"),
                    format!(
                        "\"{}\" is a replica; operations run on clients",
                        spec.client
                    ),
                );
                continue;
            }
            operations.push((Time::from_ms(spec.at_ms), client, spec.op.to_client_op()));
        }
        operations
    }

    fn compile_clients(
        &self,
        links: &[Link],
        report: &mut impl FnMut(String, String),
    ) -> Vec<ClientSpec> {
        let mut clients = Vec::new();
        for (index, node) in self.nodes.iter().enumerate() {
            let path = format!("nodes[{index}]");
            let id = NodeId(index as u32);
            if node.kind == NodeKind::Replica {
                if node.workload.is_some() {
                    report(
                        format!("{path}.workload"),
                        "only clients have a workload".into(),
                    );
                }
                continue;
            }
            let workload = node.workload.clone().unwrap_or_else(WorkloadSpec::manual);
            for problem in workload.problems() {
                report(format!("{path}.workload.{}", problem.path), problem.message);
            }
            let replicas: Vec<NodeId> = links
                .iter()
                .filter(|link| {
                    (link.a == id || link.b == id) && link.carries(id, link.other_end(id))
                })
                .map(|link| link.other_end(id))
                .filter(|&other| self.nodes[other.index()].kind == NodeKind::Replica)
                .collect();
            if replicas.is_empty() {
                report(
                    path,
                    format!(
                        "client \"{}\" is linked to no replica, so its requests could go nowhere",
                        node.id
                    ),
                );
            }
            clients.push(ClientSpec {
                node: id,
                workload,
                replicas,
            });
        }
        // The quiet period only exists where clients do.
        let quiet_ok =
            self.quiet_ms.is_finite() && self.quiet_ms >= 0.0 && self.quiet_ms < self.duration_ms;
        if !clients.is_empty() && !quiet_ok {
            report(
                "quiet_ms".into(),
                format!(
                    "must be at least 0 and shorter than duration_ms ({}), got {}",
                    self.duration_ms, self.quiet_ms
                ),
            );
        }
        clients
    }

    fn node_ids(&self, report: &mut impl FnMut(String, String)) -> BTreeMap<&str, NodeId> {
        let mut ids = BTreeMap::new();
        if self.nodes.is_empty() {
            report("nodes".into(), "a scenario needs at least one node".into());
        }
        if self.nodes.len() > MAX_NODES {
            report(
                "nodes".into(),
                format!("at most {MAX_NODES} nodes, got {}", self.nodes.len()),
            );
        }
        if !self.nodes.iter().any(|node| node.kind == NodeKind::Replica) && !self.nodes.is_empty() {
            report(
                "nodes".into(),
                "a scenario needs at least one replica".into(),
            );
        }
        for (index, node) in self.nodes.iter().enumerate() {
            let path = format!("nodes[{index}]");
            if !is_valid_id(&node.id) {
                report(
                    format!("{path}.id"),
                    format!(
                        "\"{}\" is not a valid id: use 1 to 32 letters, digits, '_', '-' or '.'",
                        node.id.escape_debug()
                    ),
                );
            }
            for (field, value) in [("x", node.x), ("y", node.y)] {
                if !value.is_finite() {
                    report(
                        format!("{path}.{field}"),
                        format!("must be a finite number, got {value}"),
                    );
                }
            }
            if ids.insert(node.id.as_str(), NodeId(index as u32)).is_some() {
                report(
                    format!("{path}.id"),
                    format!("duplicate node id \"{}\"", node.id),
                );
            }
        }
        ids
    }

    fn compile_links(
        &self,
        ids: &BTreeMap<&str, NodeId>,
        report: &mut impl FnMut(String, String),
    ) -> Vec<Link> {
        if self.links.len() > MAX_LINKS {
            report(
                "links".into(),
                format!("at most {MAX_LINKS} links, got {}", self.links.len()),
            );
        }
        let mut links = Vec::new();
        let mut seen = BTreeMap::new();
        for (index, spec) in self.links.iter().enumerate() {
            let path = format!("links[{index}]");
            let a = lookup(ids, &spec.a, &format!("{path}.a"), report);
            let b = lookup(ids, &spec.b, &format!("{path}.b"), report);
            for (field, value) in spec.latency.parameters() {
                if !(value.is_finite() && value >= 0.0) {
                    report(
                        format!("{path}.latency.{field}"),
                        format!("latency must be a finite, non-negative number of milliseconds, got {value}"),
                    );
                }
            }
            if let LatencyModel::Uniform { min_ms, max_ms } = spec.latency {
                if min_ms > max_ms {
                    report(
                        format!("{path}.latency"),
                        format!("min_ms ({min_ms}) is above max_ms ({max_ms})"),
                    );
                }
            }
            for (field, value) in [("loss", spec.loss), ("duplicate", spec.duplicate)] {
                if !(0.0..=1.0).contains(&value) {
                    report(
                        format!("{path}.{field}"),
                        format!("a probability must be between 0 and 1, got {value}"),
                    );
                }
            }
            let (Some(a), Some(b)) = (a, b) else { continue };
            if a == b {
                report(
                    path,
                    format!(
                        "a link must join two different nodes, both ends are \"{}\"",
                        spec.a
                    ),
                );
                continue;
            }
            let key = (a.min(b), a.max(b));
            if let Some(first) = seen.insert(key, index) {
                report(path, format!("duplicate link between \"{}\" and \"{}\" (links[{first}] joins them already)", spec.a, spec.b));
                continue;
            }
            links.push(Link {
                id: LinkId(links.len() as u32),
                a,
                b,
                direction: spec.direction,
                latency: spec.latency,
                loss: spec.loss,
                duplicate: spec.duplicate,
                ordering: spec.ordering,
            });
        }
        links
    }

    fn compile_faults(
        &self,
        ids: &BTreeMap<&str, NodeId>,
        links: &[Link],
        report: &mut impl FnMut(String, String),
    ) -> Vec<ScheduledFault> {
        if self.faults.len() > MAX_FAULTS {
            report(
                "faults".into(),
                format!("at most {MAX_FAULTS} faults, got {}", self.faults.len()),
            );
        }
        let context = FaultContext {
            ids,
            links,
            node_count: self.nodes.len(),
        };
        self.faults
            .iter()
            .enumerate()
            .filter_map(|(index, spec)| {
                compile_fault(
                    spec,
                    index as u32,
                    &format!("faults[{index}]"),
                    &context,
                    report,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "version": 1, "name": "t", "seed": 1, "duration_ms": 1000,
        "protocol": {"kind": "gossip"},
        "nodes": [{"id": "a", "kind": "replica"}, {"id": "b", "kind": "replica"}],
        "links": [{"a": "a", "b": "b", "latency": {"kind": "constant", "ms": 5}}]
    }"#;

    fn error_of(text: &str) -> String {
        Scenario::from_json(text)
            .expect_err("the scenario should be rejected")
            .to_string()
    }

    #[test]
    fn a_good_scenario_loads_and_round_trips() {
        let scenario = Scenario::from_json(GOOD).expect("valid");
        let again = Scenario::from_json(&scenario.to_json_pretty()).expect("round trip");
        assert_eq!(scenario, again);
        assert_eq!(scenario.compile().unwrap().topology.links.len(), 1);
    }

    #[test]
    fn unknown_node_in_a_link_is_named_with_its_path() {
        let text = GOOD.replace(r#""b": "b""#, r#""b": "n9""#);
        assert_eq!(
            error_of(&text),
            "invalid scenario: links[0].b: unknown node \"n9\""
        );
    }

    #[test]
    fn negative_latency_and_bad_probabilities_are_all_reported() {
        let text = GOOD.replace(
            r#""ms": 5}"#,
            r#""ms": -5}, "loss": 1.5, "duplicate": -0.1"#,
        );
        let message = error_of(&text);
        assert!(
            message.contains("links[0].latency.ms: latency must be a finite, non-negative"),
            "{message}"
        );
        assert!(
            message.contains("links[0].loss: a probability must be between 0 and 1, got 1.5"),
            "{message}"
        );
        assert!(
            message.contains("links[0].duplicate: a probability must be between 0 and 1, got -0.1"),
            "{message}"
        );
    }

    #[test]
    fn unsupported_version_is_reported_before_anything_else() {
        let text = GOOD.replace(r#""version": 1"#, r#""version": 7, "future_field": true"#);
        assert_eq!(
            error_of(&text),
            "unsupported scenario version 7 (this build reads version 1)"
        );
    }

    #[test]
    fn syntax_errors_and_unknown_fields_are_reported() {
        assert!(error_of("{").starts_with("invalid scenario JSON: "));
        assert!(error_of("[1, 2]").contains("must be a JSON object"));
        let text = GOOD.replace(r#""seed": 1"#, r#""seed": 1, "sed": 2"#);
        assert!(error_of(&text).contains("unknown field `sed`"));
    }

    #[test]
    fn faults_are_checked_for_nodes_links_and_order() {
        let text = GOOD.replace(
            r#""links""#,
            r#""faults": [
                {"at_ms": 500, "until_ms": 100, "fault": {"kind": "crash", "node": "a"}},
                {"at_ms": 10, "fault": {"kind": "crash", "node": "zz"}},
                {"at_ms": 10, "fault": {"kind": "cut_link", "a": "b", "b": "b"}}
            ], "links""#,
        );
        let message = error_of(&text);
        assert!(
            message.contains(
                "faults[0].until_ms: the end (100 ms) must come after the start (500 ms)"
            ),
            "{message}"
        );
        assert!(
            message.contains("faults[1].fault.node: unknown node \"zz\""),
            "{message}"
        );
        assert!(
            message.contains("faults[2].fault: there is no link from \"b\" to \"b\" to cut"),
            "{message}"
        );
    }

    #[test]
    fn duplicate_ids_and_self_links_are_rejected() {
        let text = GOOD
            .replace(
                r#"{"id": "b", "kind": "replica"}"#,
                r#"{"id": "a", "kind": "replica"}"#,
            )
            .replace(r#""b": "b""#, r#""b": "a""#);
        let message = error_of(&text);
        assert!(
            message.contains("nodes[1].id: duplicate node id \"a\""),
            "{message}"
        );
        assert!(
            message.contains("links[0]: a link must join two different nodes"),
            "{message}"
        );
    }

    #[test]
    fn ids_versions_and_sub_microsecond_intervals_are_checked_exactly() {
        let spaced = GOOD.replace(
            r#"{"id": "b", "kind": "replica"}"#,
            r#"{"id": "b c", "kind": "replica"}"#,
        );
        assert!(error_of(&spaced).contains("nodes[1].id: \"b c\" is not a valid id"));
        let float_version = GOOD.replace(r#""version": 1"#, r#""version": 1.0"#);
        assert_eq!(
            error_of(&float_version),
            "invalid scenario JSON: `version` must be the integer 1, got 1.0"
        );
        let blink = GOOD.replace(
            r#""links""#,
            r#""faults": [{"at_ms": 1.0001, "until_ms": 1.0004, "fault": {"kind": "crash", "node": "a"}}], "links""#,
        );
        assert!(error_of(&blink).contains(
            "faults[0].until_ms: the end (1.0004 ms) must come after the start (1.0001 ms)"
        ));
        let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(error_of(&huge).contains("scenarios are limited to"));
    }

    #[test]
    fn partitions_must_cut_something_and_list_each_node_once() {
        let twice = GOOD.replace(
            r#""links""#,
            r#""faults": [{"at_ms": 1, "fault": {"kind": "partition", "groups": [["a", "a"]]}}], "links""#,
        );
        assert!(error_of(&twice)
            .contains("faults[0].fault.groups[0][1]: node \"a\" is listed twice in this group"));
        let nothing = GOOD.replace(
            r#""links""#,
            r#""faults": [{"at_ms": 1, "fault": {"kind": "partition", "groups": [["a", "b"]]}}], "links""#,
        );
        assert!(error_of(&nothing).contains("faults[0].fault: this partition cuts no link"));
    }
}
