//! Design challenges as data: a story, requirements with thresholds, constraints, a fixed
//! set of clients and a network, and the student's design that meets them.
//!
//! A challenge file (format in `docs/formats.md`) fixes everything but the design: the
//! clients (where they sit, what they do), the regions and the latency and loss between
//! them, the faults of every grading run and the grading seeds. A [`Design`] is what the
//! student chooses: the protocol and its parameters, the replicas and where they sit, and
//! which links exist. [`Challenge::scenario`] joins the two into an ordinary scenario, with
//! every link's latency, loss and ordering taken from the challenge's network (so a design
//! cannot buy speed by typing a smaller latency), and names every constraint the design
//! breaks. `crate::grade` runs that scenario over the grading seeds and scores it.

use crate::fault::FaultSpec;
use crate::protocols::ProtocolConfig;
use crate::scenario::{is_valid_id, LinkSpec, NodeSpec, Scenario, SCENARIO_VERSION};
use crate::sweep::FaultProfile;
use crate::topology::{Direction, LatencyModel, NodeKind, Ordering};
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The challenge format version this build reads.
pub const CHALLENGE_VERSION: u32 = 1;
/// Largest challenge document read, checked before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Longest title or story, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Most grading seeds: enough to see a rare failure, few enough to grade in seconds.
pub const MAX_SEEDS: u64 = 50;
/// Most replicas a design (or a scaling run) may have.
pub const MAX_REPLICAS: u32 = 15;
/// Most clients a challenge (or a scaling run) may have.
pub const MAX_CLIENTS: u32 = 200;
/// The longest a replica of a rolling restart stays down, and the longest gap between two.
pub const MAX_RESTART_MS: f64 = 60_000.0;
/// The event budget of a graded run.
pub const GRADED_MAX_EVENTS: u64 = 5_000_000;

/// A challenge file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// Format version; must equal [`CHALLENGE_VERSION`].
    pub version: u32,
    /// Stable name, used in addresses (`?challenge=ID`).
    pub id: String,
    pub title: String,
    /// The situation and what the service must do, in a paragraph.
    pub story: String,
    /// The characteristic the challenge is mainly about, for the index.
    pub about: Characteristic,
    /// How much virtual time each graded run covers.
    pub duration_ms: f64,
    /// The quiet end of each run (as the scenario's `quiet_ms`). Default 3000.
    #[serde(default = "default_quiet_ms")]
    pub quiet_ms: f64,
    /// Named areas of the canvas; a node belongs to the region it sits in. Empty: one
    /// place, every link alike.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// What every link of a design is like.
    pub network: Network,
    /// The clients, fixed: the design links them to replicas but cannot move or change them.
    pub clients: Vec<FixedClient>,
    pub constraints: Constraints,
    /// The design the challenge opens with.
    pub start: Design,
    /// Faults every graded run gets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Faults drawn per grading seed, as in a sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_profile: Option<FaultProfile>,
    pub grading: Grading,
    pub requirements: Vec<Requirement>,
}

fn default_quiet_ms() -> f64 {
    3_000.0
}

/// The non-functional characteristics the seed names, plus consistency and latency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Characteristic {
    Consistency,
    Availability,
    Reliability,
    Latency,
    Scalability,
    FaultTolerance,
    Maintainability,
}

impl Characteristic {
    pub const ALL: [Characteristic; 7] = [
        Characteristic::Consistency,
        Characteristic::Availability,
        Characteristic::Reliability,
        Characteristic::Latency,
        Characteristic::Scalability,
        Characteristic::FaultTolerance,
        Characteristic::Maintainability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Characteristic::Consistency => "Consistency",
            Characteristic::Availability => "Availability",
            Characteristic::Reliability => "Reliability",
            Characteristic::Latency => "Latency",
            Characteristic::Scalability => "Scalability",
            Characteristic::FaultTolerance => "Fault tolerance",
            Characteristic::Maintainability => "Maintainability",
        }
    }
}

/// A named rectangle of the canvas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    /// What the page writes on it, e.g. "Europe".
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Region {
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x && x <= self.x + self.width && y >= self.y && y <= self.y + self.height
    }
}

/// How a link behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    pub latency: LatencyModel,
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub duplicate: f64,
    #[serde(default)]
    pub ordering: Ordering,
}

/// The links between two regions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionLink {
    /// Region ids; the order does not matter.
    pub a: String,
    pub b: String,
    pub latency: LatencyModel,
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub duplicate: f64,
    #[serde(default)]
    pub ordering: Ordering,
}

impl LinkSettings {
    /// A two-way link between `a` and `b` with these settings.
    pub fn link(&self, a: &str, b: &str) -> LinkSpec {
        LinkSpec {
            a: a.to_string(),
            b: b.to_string(),
            direction: Direction::Both,
            latency: self.latency,
            loss: self.loss,
            duplicate: self.duplicate,
            ordering: self.ordering,
        }
    }
}

impl RegionLink {
    /// What a link between the two regions is like.
    pub fn settings(&self) -> LinkSettings {
        LinkSettings {
            latency: self.latency,
            loss: self.loss,
            duplicate: self.duplicate,
            ordering: self.ordering,
        }
    }
}

/// Every link of a design: `between` for a link across two regions named there, `local`
/// for the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub local: LinkSettings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub between: Vec<RegionLink>,
}

/// A client the challenge places.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedClient {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub workload: WorkloadSpec,
}

impl FixedClient {
    /// The client as a scenario node.
    pub fn node(&self) -> NodeSpec {
        NodeSpec {
            id: self.id.clone(),
            kind: NodeKind::Client,
            x: self.x,
            y: self.y,
            workload: Some(self.workload.clone()),
        }
    }
}

/// What is wrong with link settings, each as `field: sentence`: the scenario loader's
/// checks, on a link between two replicas with these settings.
fn settings_problems(settings: &LinkSettings) -> Vec<String> {
    let node = |id: &str| NodeSpec {
        id: id.into(),
        kind: NodeKind::Replica,
        x: 0.0,
        y: 0.0,
        workload: None,
    };
    let probe = Scenario {
        version: SCENARIO_VERSION,
        name: "link settings".into(),
        description: String::new(),
        seed: 1,
        duration_ms: 1_000.0,
        max_events: 1_000,
        protocol: ProtocolConfig::Eventual(Default::default()),
        nodes: vec![node("a"), node("b")],
        links: vec![settings.link("a", "b")],
        faults: Vec::new(),
        quiet_ms: 0.0,
        operations: Vec::new(),
        fault_profile: None,
    };
    match probe.compile() {
        Err(crate::LoadError::Invalid(problems)) => problems
            .into_iter()
            .map(|problem| {
                format!(
                    "{}: {}",
                    problem.path.trim_start_matches("links[0]."),
                    problem.message
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What a design may be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    #[serde(default = "one")]
    pub replicas_min: u32,
    pub replicas_max: u32,
    /// The protocol kinds a design may choose. Default: eventual, causal, sequential,
    /// strict and bft.
    #[serde(default = "all_models")]
    pub models: Vec<String>,
}

fn one() -> u32 {
    1
}

/// The protocols a design may choose from, in the palette's order.
pub const MODELS: [&str; 5] = ["eventual", "causal", "sequential", "strict", "bft"];

fn all_models() -> Vec<String> {
    MODELS.iter().map(|model| model.to_string()).collect()
}

/// Which seeds grade a design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    #[serde(default = "first_seed")]
    pub first_seed: u64,
    pub seeds: u64,
}

fn first_seed() -> u64 {
    1
}

impl Grading {
    pub fn seeds(&self) -> std::ops::Range<u64> {
        self.first_seed..self.first_seed.saturating_add(self.seeds)
    }
}

/// A measurable requirement with its threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Requirement {
    /// No grading seed's history violates `model` (a checker model name, e.g.
    /// `linearizable`, `sequential`, `causal`, `eventual`).
    Consistency { model: String },
    /// At least `min_percent` of the operations begun in the window succeed.
    Availability { min_percent: f64, during: Window },
    /// No acknowledged write is lost: every key ends with that write or one not over
    /// before it began.
    Reliability {},
    /// The p99 latency of successful operations of kind `op` is at most `max_ms`.
    Latency { op: OpKind, max_ms: f64 },
    /// A figure grows by at most `max_growth` times from `from` to `to` replicas or clients.
    Scalability {
        axis: Axis,
        from: u32,
        to: u32,
        figure: ScaleFigure,
        max_growth: f64,
    },
    /// With `crashes` replicas crashed at once, operations still succeed at least
    /// `min_percent` of the time, the consistency requirement (if any) holds and no
    /// acknowledged write is lost. The grader raises the number of crashes until one of
    /// these breaks and reports the largest survived.
    FaultTolerance { crashes: u32, min_percent: f64 },
    /// A rolling restart (each replica down for `down_ms`, one after another, `gap_ms`
    /// apart, as in an upgrade) keeps availability over it at least `min_percent`.
    Maintainability {
        min_percent: f64,
        down_ms: f64,
        gap_ms: f64,
    },
}

impl Requirement {
    pub fn characteristic(&self) -> Characteristic {
        match self {
            Requirement::Consistency { .. } => Characteristic::Consistency,
            Requirement::Availability { .. } => Characteristic::Availability,
            Requirement::Reliability {} => Characteristic::Reliability,
            Requirement::Latency { .. } => Characteristic::Latency,
            Requirement::Scalability { .. } => Characteristic::Scalability,
            Requirement::FaultTolerance { .. } => Characteristic::FaultTolerance,
            Requirement::Maintainability { .. } => Characteristic::Maintainability,
        }
    }

    /// The requirement in a sentence, for the requirements panel.
    pub fn describe(&self) -> String {
        match self {
            Requirement::Consistency { model } => {
                format!("No run breaks {model} consistency.")
            }
            Requirement::Availability { min_percent, during } => format!(
                "At least {min_percent} % of operations succeed {}.",
                during.describe()
            ),
            Requirement::Reliability {} => "No acknowledged write is lost.".into(),
            Requirement::Latency { op, max_ms } => {
                format!("The p99 latency of {} is at most {max_ms} ms.", op.plural())
            }
            Requirement::Scalability {
                axis,
                from,
                to,
                figure,
                max_growth,
            } => format!(
                "From {from} to {to} {}, {} grows at most {max_growth}×.",
                axis.plural(),
                figure.describe()
            ),
            Requirement::FaultTolerance {
                crashes,
                min_percent,
            } => format!(
                "With {crashes} replica{} crashed at once, at least {min_percent} % of operations still succeed, nothing acknowledged is lost and consistency holds.",
                if *crashes == 1 { "" } else { "s" }
            ),
            Requirement::Maintainability {
                min_percent,
                down_ms,
                gap_ms,
            } => format!(
                "A rolling restart (each replica down {} s, {} s apart) keeps at least {min_percent} % of operations succeeding.",
                down_ms / 1_000.0,
                gap_ms / 1_000.0
            ),
        }
    }
}

/// When availability is measured.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Over the whole workload of every grading run.
    Always,
    /// While one replica (a different one for each seed, in turn) is crashed.
    OneReplicaDown,
    /// While the regions are cut from each other (without regions: one replica is cut off).
    Partition,
}

impl Window {
    pub fn describe(self) -> &'static str {
        match self {
            Window::Always => "over every run",
            Window::OneReplicaDown => "while any one replica is down",
            Window::Partition => "while the regions are partitioned",
        }
    }
}

/// Which operations a latency requirement measures.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Read,
    Write,
    Any,
}

impl OpKind {
    pub fn plural(self) -> &'static str {
        match self {
            OpKind::Read => "reads",
            OpKind::Write => "writes",
            OpKind::Any => "operations",
        }
    }

    /// Whether an operation named `name` (`read`, `write`, `cas`) counts.
    pub fn matches(self, name: &str) -> bool {
        match self {
            OpKind::Read => name == "read",
            OpKind::Write => name == "write" || name == "cas",
            OpKind::Any => true,
        }
    }
}

/// What grows in a scaling requirement.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    Replicas,
    Clients,
}

impl Axis {
    pub fn plural(self) -> &'static str {
        match self {
            Axis::Replicas => "replicas",
            Axis::Clients => "clients",
        }
    }
}

/// The figure a scaling requirement follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleFigure {
    MessagesPerOp,
    LatencyP99,
}

impl ScaleFigure {
    pub fn describe(self) -> &'static str {
        match self {
            ScaleFigure::MessagesPerOp => "the number of messages per operation",
            ScaleFigure::LatencyP99 => "the p99 latency",
        }
    }
}

/// What the student chooses: the protocol, the replicas and the links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub protocol: ProtocolConfig,
    pub replicas: Vec<Place>,
    /// Pairs of node ids (replicas or the challenge's clients).
    pub links: Vec<[String; 2]>,
}

/// A replica and where it sits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: String,
    pub x: f64,
    pub y: f64,
}

impl Design {
    /// The design a scenario shows: its protocol, replicas and links. The scenario's
    /// clients, faults and link settings are the challenge's business, not the design's.
    pub fn from_scenario(scenario: &Scenario) -> Design {
        Design {
            protocol: scenario.protocol.clone(),
            replicas: scenario
                .nodes
                .iter()
                .filter(|node| node.kind == NodeKind::Replica)
                .map(|node| Place {
                    id: node.id.clone(),
                    x: node.x,
                    y: node.y,
                })
                .collect(),
            links: scenario
                .links
                .iter()
                .map(|link| [link.a.clone(), link.b.clone()])
                .collect(),
        }
    }

    /// One line for a list of attempts, e.g. `strict · 3 replicas · 5 links`.
    pub fn summary(&self) -> String {
        format!(
            "{} · {} replica{} · {} link{}",
            self.protocol.kind(),
            self.replicas.len(),
            if self.replicas.len() == 1 { "" } else { "s" },
            self.links.len(),
            if self.links.len() == 1 { "" } else { "s" }
        )
    }
}

impl Challenge {
    /// Parses and checks a challenge file, naming every problem found.
    pub fn from_json(text: &str) -> Result<Challenge, String> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the challenge file is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                text.len()
            ));
        }
        let challenge: Challenge = serde_json::from_str(text).map_err(|err| err.to_string())?;
        let problems = challenge.problems();
        if problems.is_empty() {
            Ok(challenge)
        } else {
            Err(problems.join("\n"))
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.version != CHALLENGE_VERSION {
            problems.push(format!(
                "version: this build reads challenge version {CHALLENGE_VERSION}, not {}",
                self.version
            ));
        }
        if !is_valid_id(&self.id) {
            problems.push(format!(
                "id: `{}` must be 1 to 32 letters, digits, `-`, `_` or `.`",
                self.id
            ));
        }
        for (path, value) in [("title", &self.title), ("story", &self.story)] {
            if value.trim().is_empty() {
                problems.push(format!("{path}: must not be empty"));
            } else if value.chars().count() > MAX_TEXT_CHARS {
                problems.push(format!("{path}: longer than {MAX_TEXT_CHARS} characters"));
            }
        }
        let mut region_ids = BTreeSet::new();
        for (index, region) in self.regions.iter().enumerate() {
            if !is_valid_id(&region.id) || !region_ids.insert(region.id.as_str()) {
                problems.push(format!(
                    "regions[{index}].id: `{}` must be a unique id of letters, digits, `-`, `_` or `.`",
                    region.id
                ));
            }
            let sizes = [region.x, region.y, region.width, region.height];
            if sizes.iter().any(|value| !value.is_finite())
                || region.width <= 0.0
                || region.height <= 0.0
            {
                problems.push(format!(
                    "regions[{index}]: needs a finite position and a width and height above 0"
                ));
            }
        }
        problems.extend(
            settings_problems(&self.network.local)
                .into_iter()
                .map(|problem| format!("network.local.{problem}")),
        );
        let mut pairs = BTreeSet::new();
        for (index, link) in self.network.between.iter().enumerate() {
            for (side, id) in [("a", &link.a), ("b", &link.b)] {
                if !region_ids.contains(id.as_str()) {
                    problems.push(format!(
                        "network.between[{index}].{side}: no region is called `{id}`"
                    ));
                }
            }
            let pair = if link.a <= link.b {
                (&link.a, &link.b)
            } else {
                (&link.b, &link.a)
            };
            if link.a == link.b {
                problems.push(format!(
                    "network.between[{index}]: a link between `{}` and itself is `local`",
                    link.a
                ));
            } else if !pairs.insert(pair) {
                problems.push(format!(
                    "network.between[{index}]: `{}` and `{}` are given twice",
                    link.a, link.b
                ));
            }
            problems.extend(
                settings_problems(&link.settings())
                    .into_iter()
                    .map(|problem| format!("network.between[{index}].{problem}")),
            );
        }
        let mut client_ids = BTreeSet::new();
        for (index, client) in self.clients.iter().enumerate() {
            if !is_valid_id(&client.id) || !client_ids.insert(client.id.as_str()) {
                problems.push(format!(
                    "clients[{index}].id: `{}` must be a unique id of letters, digits, `-`, `_` or `.`",
                    client.id
                ));
            }
            if !self.regions.is_empty() && self.region_of(client.x, client.y).is_none() {
                problems.push(format!(
                    "clients[{index}]: `{}` sits outside every region",
                    client.id
                ));
            }
            if client.workload.rate_per_s <= 0.0 {
                problems.push(format!(
                    "clients[{index}].workload.rate_per_s: a challenge's clients run a workload of their own"
                ));
            }
        }
        if self.clients.is_empty() || self.clients.len() > MAX_CLIENTS as usize {
            problems.push(format!(
                "clients: a challenge has 1 to {MAX_CLIENTS} clients, got {}",
                self.clients.len()
            ));
        }
        let constraints = &self.constraints;
        if constraints.replicas_min < 1
            || constraints.replicas_min > constraints.replicas_max
            || constraints.replicas_max > MAX_REPLICAS
        {
            problems.push(format!(
                "constraints: need 1 ≤ replicas_min ≤ replicas_max ≤ {MAX_REPLICAS}, got {} and {}",
                constraints.replicas_min, constraints.replicas_max
            ));
        }
        if constraints.models.is_empty() {
            problems.push("constraints.models: name at least one protocol".into());
        }
        for model in &constraints.models {
            if !MODELS.contains(&model.as_str()) {
                problems.push(format!(
                    "constraints.models: `{model}` is not one of {}",
                    MODELS.join(", ")
                ));
            }
        }
        if self.grading.seeds == 0 || self.grading.seeds > MAX_SEEDS {
            problems.push(format!(
                "grading.seeds: between 1 and {MAX_SEEDS}, got {}",
                self.grading.seeds
            ));
        } else if self
            .grading
            .first_seed
            .checked_add(self.grading.seeds)
            .is_none()
        {
            problems.push(format!(
                "grading.first_seed: {} leaves no room for {} seeds below 2^64",
                self.grading.first_seed, self.grading.seeds
            ));
        }
        if self.requirements.is_empty() {
            problems.push("requirements: name at least one".into());
        }
        let percent = |value: f64| value.is_finite() && (0.0..=100.0).contains(&value);
        for (index, requirement) in self.requirements.iter().enumerate() {
            let path = format!("requirements[{index}]");
            match requirement {
                Requirement::Consistency { model } => {
                    if let Err(message) = model.parse::<dsplay_check::Model>() {
                        problems.push(format!("{path}.model: {message}"));
                    }
                }
                Requirement::Availability { min_percent, .. } => {
                    if !percent(*min_percent) {
                        problems.push(format!(
                            "{path}.min_percent: a percentage from 0 to 100, got {min_percent}"
                        ));
                    }
                }
                Requirement::FaultTolerance {
                    min_percent,
                    crashes,
                } => {
                    if !percent(*min_percent) {
                        problems.push(format!(
                            "{path}.min_percent: a percentage from 0 to 100, got {min_percent}"
                        ));
                    }
                    // With every replica crashed nothing can succeed: at most one fewer.
                    if *crashes >= constraints.replicas_max {
                        problems.push(format!(
                            "{path}.crashes: no design of at most {} replicas survives {crashes} crashes",
                            constraints.replicas_max
                        ));
                    }
                }
                Requirement::Maintainability {
                    min_percent,
                    down_ms,
                    gap_ms,
                } => {
                    if !percent(*min_percent) {
                        problems.push(format!(
                            "{path}.min_percent: a percentage from 0 to 100, got {min_percent}"
                        ));
                    }
                    if !(down_ms.is_finite()
                        && *down_ms > 0.0
                        && *down_ms <= MAX_RESTART_MS
                        && gap_ms.is_finite()
                        && (0.0..=MAX_RESTART_MS).contains(gap_ms))
                    {
                        problems.push(format!(
                            "{path}: down_ms must be above 0 and gap_ms at least 0, both at most {MAX_RESTART_MS}"
                        ));
                    }
                }
                Requirement::Reliability {} => {}
                Requirement::Latency { max_ms, .. } => {
                    if !(max_ms.is_finite() && *max_ms > 0.0) {
                        problems.push(format!(
                            "{path}.max_ms: a positive number of milliseconds, got {max_ms}"
                        ));
                    }
                }
                Requirement::Scalability {
                    axis,
                    from,
                    to,
                    max_growth,
                    ..
                } => {
                    let limit = match axis {
                        Axis::Replicas => MAX_REPLICAS,
                        Axis::Clients => MAX_CLIENTS,
                    };
                    if !(1 <= *from && from < to && *to <= limit) {
                        problems.push(format!(
                            "{path}: need 1 ≤ from < to ≤ {limit}, got {from} and {to}"
                        ));
                    }
                    if !(max_growth.is_finite() && *max_growth >= 1.0) {
                        problems.push(format!(
                            "{path}.max_growth: a factor of at least 1, got {max_growth}"
                        ));
                    }
                }
            }
        }
        // The replicas are the student's, so fixed faults can only name clients; faults on
        // replicas come from the profile, drawn over whatever replicas the design has.
        for (index, fault) in self.faults.iter().enumerate() {
            let mut fault = fault.fault.clone();
            for name in fault.node_names_mut() {
                if !client_ids.contains(name.as_str()) {
                    problems.push(format!(
                        "faults[{index}]: `{name}` is not one of the challenge's clients (faults on replicas belong in fault_profile)"
                    ));
                }
            }
        }
        if let Some(profile) = &self.fault_profile {
            for problem in profile.problems() {
                problems.push(format!("fault_profile.{}", problem));
            }
        }
        if problems.is_empty() {
            if let Err(design_problems) = self.scenario(&self.start, self.grading.first_seed) {
                problems.extend(
                    design_problems
                        .into_iter()
                        .map(|problem| format!("start: {problem}")),
                );
            }
        }
        problems
    }

    /// The region whose rectangle holds `(x, y)`; the first, where regions overlap.
    pub fn region_of(&self, x: f64, y: f64) -> Option<&Region> {
        self.regions.iter().find(|region| region.contains(x, y))
    }

    /// The settings of a link between nodes at these two places.
    fn link_settings(&self, a: (f64, f64), b: (f64, f64)) -> LinkSettings {
        let region_a = self.region_of(a.0, a.1).map(|region| region.id.as_str());
        let region_b = self.region_of(b.0, b.1).map(|region| region.id.as_str());
        if let (Some(region_a), Some(region_b)) = (region_a, region_b) {
            if region_a != region_b {
                if let Some(link) = self.network.between.iter().find(|link| {
                    (link.a == region_a && link.b == region_b)
                        || (link.a == region_b && link.b == region_a)
                }) {
                    return link.settings();
                }
            }
        }
        self.network.local.clone()
    }

    /// A two-way link between `a` and `b`, at these places, with the network's settings.
    fn priced_link(&self, a: &str, b: &str, at_a: (f64, f64), at_b: (f64, f64)) -> LinkSpec {
        self.link_settings(at_a, at_b).link(a, b)
    }

    /// Everything the design breaks of the constraints, each as a sentence.
    pub fn design_problems(&self, design: &Design) -> Vec<String> {
        let mut problems = Vec::new();
        let kind = design.protocol.kind();
        if !self.constraints.models.iter().any(|model| model == kind) {
            problems.push(format!(
                "This challenge allows the {} protocols, not {kind}.",
                self.constraints.models.join(", ")
            ));
        }
        let count = design.replicas.len();
        let (min, max) = (
            self.constraints.replicas_min as usize,
            self.constraints.replicas_max as usize,
        );
        if count < min || count > max {
            problems.push(if min == max {
                format!("The design must have {min} replicas; it has {count}.")
            } else {
                format!("The design must have {min} to {max} replicas; it has {count}.")
            });
        }
        let clients: BTreeSet<&str> = self
            .clients
            .iter()
            .map(|client| client.id.as_str())
            .collect();
        let mut replicas = BTreeSet::new();
        for place in &design.replicas {
            if !is_valid_id(&place.id) {
                problems.push(format!(
                    "The replica name `{}` must be 1 to 32 letters, digits, `-`, `_` or `.`.",
                    place.id
                ));
            } else if clients.contains(place.id.as_str()) || !replicas.insert(place.id.as_str()) {
                problems.push(format!("Two nodes are called `{}`.", place.id));
            }
            if !(place.x.is_finite() && place.y.is_finite()) {
                problems.push(format!(
                    "Replica `{}` has no place on the canvas.",
                    place.id
                ));
            } else if !self.regions.is_empty() && self.region_of(place.x, place.y).is_none() {
                problems.push(format!(
                    "Replica `{}` sits outside every region: drag it into one.",
                    place.id
                ));
            }
        }
        let mut pairs = BTreeSet::new();
        let mut linked_clients = BTreeSet::new();
        for [a, b] in &design.links {
            let known = |id: &str| replicas.contains(id) || clients.contains(id);
            if !known(a) || !known(b) {
                let missing = if known(a) { b } else { a };
                problems.push(format!(
                    "A link names `{missing}`, which is not in the design."
                ));
                continue;
            }
            if a == b {
                problems.push(format!("A link joins `{a}` to itself."));
                continue;
            }
            if clients.contains(a.as_str()) && clients.contains(b.as_str()) {
                problems.push(format!(
                    "The link between clients `{a}` and `{b}` carries nothing: clients talk to replicas."
                ));
                continue;
            }
            let pair = if a < b { (a, b) } else { (b, a) };
            if !pairs.insert(pair) {
                problems.push(format!("`{a}` and `{b}` are linked twice."));
            }
            for end in [a, b] {
                if clients.contains(end.as_str()) {
                    linked_clients.insert(end.as_str());
                }
            }
        }
        for client in &self.clients {
            if !linked_clients.contains(client.id.as_str()) {
                problems.push(format!(
                    "Client `{}` has no link to a replica, so every request it makes fails.",
                    client.id
                ));
            }
        }
        problems
    }

    /// The scenario a design makes under this challenge, with the grading seed `seed`:
    /// the challenge's clients, network, faults and timing around the design's protocol,
    /// replicas and links. Every constraint the design breaks, or the scenario's own
    /// problems, come back as sentences.
    pub fn scenario(&self, design: &Design, seed: u64) -> Result<Scenario, Vec<String>> {
        let problems = self.design_problems(design);
        if !problems.is_empty() {
            return Err(problems);
        }
        let scenario = self.assemble(design, &self.clients, seed);
        match scenario.compile() {
            Ok(_) => Ok(scenario),
            Err(crate::LoadError::Invalid(problems)) => Err(problems
                .into_iter()
                .map(|problem| format!("{}: {}", problem.path, problem.message))
                .collect()),
            Err(other) => Err(vec![other.to_string()]),
        }
    }

    /// A scenario edited freely in the playground, brought back under the challenge's
    /// rules: the challenge's clients, where they belong and doing what they do (a client
    /// moved snaps back, a client removed returns, one added goes), and every link's
    /// settings from the network. Replicas, links, the protocol, the seed and faults
    /// injected to explore stay as the student left them; links, faults and typed
    /// operations that name a client that is gone go with it. The design's constraints are
    /// not checked here ([`Challenge::design_problems`] says what breaks them), so a
    /// student can try a design the challenge would refuse and see why.
    pub fn conform(&self, scenario: &Scenario) -> Scenario {
        let mut shaped = scenario.clone();
        let fixed = |id: &str| self.clients.iter().find(|client| client.id == id);
        shaped
            .nodes
            .retain(|node| node.kind == NodeKind::Replica || fixed(&node.id).is_some());
        for node in &mut shaped.nodes {
            if let Some(client) = fixed(&node.id) {
                node.kind = NodeKind::Client;
                node.x = client.x;
                node.y = client.y;
                node.workload = Some(client.workload.clone());
            }
        }
        for client in &self.clients {
            if !shaped.nodes.iter().any(|node| node.id == client.id) {
                shaped.nodes.push(client.node());
            }
        }
        let place = |id: &str| {
            shaped
                .nodes
                .iter()
                .find(|node| node.id == id)
                .map(|node| (node.x, node.y))
        };
        let links: Vec<LinkSpec> = shaped
            .links
            .iter()
            .filter_map(|link| {
                Some(self.priced_link(&link.a, &link.b, place(&link.a)?, place(&link.b)?))
            })
            .collect();
        shaped.links = links;
        let known: BTreeSet<String> = shaped.nodes.iter().map(|node| node.id.clone()).collect();
        shaped.faults.retain(|fault| {
            let mut fault = fault.fault.clone();
            fault
                .node_names_mut()
                .iter()
                .all(|name| known.contains(name.as_str()))
        });
        shaped
            .operations
            .retain(|operation| known.contains(&operation.client));
        shaped
    }

    /// The scenario of `design` with `clients` (the challenge's, or more for a scaling
    /// run), without checking the constraints.
    pub fn assemble(&self, design: &Design, clients: &[FixedClient], seed: u64) -> Scenario {
        let mut nodes: Vec<NodeSpec> = design
            .replicas
            .iter()
            .map(|place| NodeSpec {
                id: place.id.clone(),
                kind: NodeKind::Replica,
                x: place.x,
                y: place.y,
                workload: None,
            })
            .collect();
        nodes.extend(clients.iter().map(FixedClient::node));
        let place = |id: &str| {
            nodes
                .iter()
                .find(|node| node.id == id)
                .map(|node| (node.x, node.y))
        };
        let links = design
            .links
            .iter()
            .filter_map(|[a, b]| Some(self.priced_link(a, b, place(a)?, place(b)?)))
            .collect();
        Scenario {
            version: SCENARIO_VERSION,
            name: self.title.clone(),
            description: format!("A design for the challenge \"{}\".", self.title),
            seed,
            duration_ms: self.duration_ms,
            max_events: GRADED_MAX_EVENTS,
            protocol: design.protocol.clone(),
            nodes,
            links,
            faults: self.faults.clone(),
            quiet_ms: self.quiet_ms,
            operations: Vec::new(),
            fault_profile: self.fault_profile.clone(),
        }
    }

    /// The protocol kind whose guarantee is the consistency requirement's model, so the
    /// playground's live verdict judges what the challenge grades (`None`: no consistency
    /// requirement, or a model no protocol promises, such as causal memory).
    pub fn judged_kind(&self) -> Option<&'static str> {
        self.requirements
            .iter()
            .find_map(|requirement| match requirement {
                Requirement::Consistency { model } => match model.as_str() {
                    "linearizable" => Some("strict"),
                    "sequential" => Some("sequential"),
                    "causal" => Some("causal"),
                    "eventual" => Some("eventual"),
                    _ => None,
                },
                _ => None,
            })
    }

    /// When the clients' workload ends in each run.
    pub fn workload_end_ms(&self) -> f64 {
        self.duration_ms - self.quiet_ms.clamp(0.0, self.duration_ms)
    }
}
