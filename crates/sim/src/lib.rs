//! dsplay's engine: a deterministic discrete-event simulation of a distributed system.
//!
//! A [`Scenario`] (topology, links, protocol, faults, seed) compiles into a
//! [`Simulation`], which runs protocol plug-ins ([`Protocol`]) over a simulated network in
//! virtual time and records every event in a trace. The same scenario and seed give the
//! same trace, natively and in WebAssembly; the trace's hash, the run's [`Fingerprint`],
//! proves it.
//!
//! **Architecture invariant:** this crate knows nothing of the browser, the terminal or
//! the wall clock. It depends on std, serde and libm, and never iterates a `HashMap`.

pub mod challenge;
pub mod compare;
pub mod engine;
pub mod fault;
pub mod grade;
pub mod hash;
pub mod history;
pub mod lesson;
pub mod network;
pub mod protocol;
pub mod protocols;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod time;
pub mod topology;
pub mod trace;
pub mod verdict;
pub mod workload;

pub use engine::{build, build_compiled, Engine, EngineSnapshot};
pub use protocol::{
    Command, Ctx, Key, Op, OpResult, Protocol, RequestId, SessionToken, TimerId, Value,
};
pub use scenario::{LoadError, Scenario};
pub use sim::{ClientOp, RunStats, SimError, Simulation, Snapshot};
pub use time::Time;
pub use topology::{LinkId, NodeId, NodeKind, Topology};
pub use trace::{Fingerprint, MsgId, TraceEvent};
