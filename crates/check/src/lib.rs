//! dsplay's history checker: did a history of register operations honour a consistency
//! model, and if not, which operations show it and why.
//!
//! A [`History`] comes from the dsplay engine (built with [`History::push_invoke`] and
//! [`History::complete`]) or from a Jepsen EDN file ([`parse_edn`]). [`check`] judges it
//! against a [`Model`] within a [`Budget`] of search steps and returns a [`Verdict`]: valid,
//! violated, or unknown, with a sentence a student can follow and the operations to
//! highlight.
//!
//! **Architecture Invariant:** the checker observes histories; it knows nothing of how they
//! were made, nor of the browser. It reads no clock (`Instant` panics in wasm) and starts no
//! thread: a search is bounded by counting its steps, never by time, so the same history and
//! budget give the same verdict natively and in WebAssembly.

mod causal;
mod edn;
mod eventual;
mod explain;
mod history;
mod linearizable;
mod memo;
mod prepared;
mod sequential;

pub use edn::{parse_edn, to_edn, ParseError, MAX_DEPTH, MAX_INPUT_BYTES, MAX_OPERATIONS};
pub use explain::format_seconds;
pub use history::{Call, Event, EventKind, History, OpId, Operation, Outcome, F};

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A consistency model a history can be checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Every operation takes effect at one instant between its invocation and completion.
    Linearizable,
    /// One order of all operations that keeps each process's own order; real time ignored.
    Sequential,
    /// Causal consistency (CC, Bouajjani et al.): each process sees writes in an order that
    /// respects causality, and may change its mind about concurrent ones.
    Causal,
    /// Causal memory (CM): as causal, but a process never changes its mind about the order
    /// of writes it has seen.
    CausalMemory,
    /// Causal convergence (CCv): as causal, with one order of conflicting writes that every
    /// process agrees on.
    CausalConvergence,
    /// Replicas converge: final reads of a key agree on a value that was written.
    Eventual,
}

impl Model {
    /// Every model, strongest first.
    pub const ALL: [Model; 6] = [
        Model::Linearizable,
        Model::Sequential,
        Model::CausalMemory,
        Model::CausalConvergence,
        Model::Causal,
        Model::Eventual,
    ];

    /// The model's name as the CLI and JSON write it, e.g. `causal-convergence`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Linearizable => "linearizable",
            Model::Sequential => "sequential",
            Model::Causal => "causal",
            Model::CausalMemory => "causal-memory",
            Model::CausalConvergence => "causal-convergence",
            Model::Eventual => "eventual",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|model| model.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Model::ALL.iter().map(|model| model.name()).collect();
                format!(
                    "unknown model {text:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// How much work a check may do, in search steps; there is no wall clock in this crate.
///
/// A step is one move of a search (trying an operation, or undoing one) or one unit of
/// graph work in the causal checks; a step costs tens of nanoseconds natively. Judging the
/// history may use up to `steps`; minimising the explanation of a violation may use as many
/// again. When the judging runs out, the verdict is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The step limit. Default: [`Budget::DEFAULT_STEPS`].
    pub steps: u64,
}

impl Budget {
    /// The default step limit: about a tenth of a second natively. The memo keeps about
    /// one state per step (tens of bytes each), so the budget also bounds memory.
    pub const DEFAULT_STEPS: u64 = 2_000_000;

    /// A budget of `steps` steps.
    pub fn steps(steps: u64) -> Self {
        Budget { steps }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::steps(Budget::DEFAULT_STEPS)
    }
}

/// What a check concluded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `Some(true)` valid, `Some(false)` violated, `None` unknown or not applicable.
    pub valid: Option<bool>,
    /// The model checked.
    pub model: Model,
    /// One or a few sentences: why the history is valid, what went wrong, or why there is
    /// no answer.
    pub explanation: String,
    /// The operations that show a violation (a minimal set, where it could be minimised),
    /// in the history's order; empty when valid or unknown.
    pub ops: Vec<OpId>,
    /// Steps spent, judging and explaining.
    pub steps: u64,
}

/// Judges `history` against `model` within `budget`.
pub fn check(history: &History, model: Model, budget: Budget) -> Verdict {
    let mut verdict = match model {
        Model::Linearizable => explain::linearizable(history, budget),
        Model::Sequential => explain::sequential(history, budget),
        Model::Causal | Model::CausalMemory | Model::CausalConvergence => {
            causal::check(history, model, budget)
        }
        Model::Eventual => eventual::check(history),
    };
    verdict.ops.sort_unstable();
    verdict.ops.dedup();
    debug_assert!(verdict.valid != Some(false) || !verdict.ops.is_empty());
    verdict
}

/// The result of one search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Search {
    Valid,
    Violation,
    Exhausted,
}

/// A step counter with a limit.
#[derive(Debug)]
pub(crate) struct Steps {
    used: u64,
    limit: u64,
}

impl Steps {
    pub(crate) fn new(limit: u64) -> Self {
        Steps { used: 0, limit }
    }

    /// Spends one step; false if none was left.
    #[inline]
    pub(crate) fn tick(&mut self) -> bool {
        self.charge(1)
    }

    /// Spends `count` steps; false if fewer were left (and then spends them all).
    #[inline]
    pub(crate) fn charge(&mut self, count: u64) -> bool {
        if self.limit - self.used < count {
            self.used = self.limit;
            return false;
        }
        self.used += count;
        true
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.limit - self.used
    }

    pub(crate) fn used(&self) -> u64 {
        self.used
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.used >= self.limit
    }
}

/// The verdict for a search that ran out of steps.
pub(crate) fn unknown(model: Model, steps: u64) -> Verdict {
    Verdict {
        valid: None,
        model,
        explanation: format!("unknown (budget exhausted after {steps} steps)"),
        ops: Vec::new(),
        steps,
    }
}
