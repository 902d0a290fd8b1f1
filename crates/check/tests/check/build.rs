//! A small notation for hand-built histories: operations with intervals in milliseconds.

use dsplay_check::{Call, History, OpId, Outcome};

/// One operation of a hand-built history.
#[derive(Clone, Debug)]
pub struct Op {
    process: u64,
    call: Call,
    key: &'static str,
    invoke_ms: u64,
    completion: Option<(u64, Outcome)>,
    node: Option<&'static str>,
    final_read: bool,
}

/// `process` wrote `key = value` between `from_ms` and `to_ms`.
pub fn w(process: u64, key: &'static str, value: i64, from_ms: u64, to_ms: u64) -> Op {
    op(
        process,
        Call::Write(value),
        key,
        from_ms,
        Some((to_ms, Outcome::Ok(None))),
    )
}

/// `process` read `key = value` (None: nil) between `from_ms` and `to_ms`.
pub fn r(process: u64, key: &'static str, value: Option<i64>, from_ms: u64, to_ms: u64) -> Op {
    op(
        process,
        Call::Read,
        key,
        from_ms,
        Some((to_ms, Outcome::Ok(value))),
    )
}

/// `process` swapped `key` from `expected` to `new` between `from_ms` and `to_ms`.
pub fn cas(
    process: u64,
    key: &'static str,
    expected: i64,
    new: i64,
    from_ms: u64,
    to_ms: u64,
) -> Op {
    op(
        process,
        Call::Cas { expected, new },
        key,
        from_ms,
        Some((to_ms, Outcome::Ok(None))),
    )
}

fn op(
    process: u64,
    call: Call,
    key: &'static str,
    invoke_ms: u64,
    completion: Option<(u64, Outcome)>,
) -> Op {
    Op {
        process,
        call,
        key,
        invoke_ms,
        completion,
        node: None,
        final_read: false,
    }
}

impl Op {
    /// The operation ended `:info` instead, at the same time.
    pub fn info(mut self) -> Op {
        self.completion = self.completion.map(|(at, _)| (at, Outcome::Info));
        self
    }

    /// The operation ended `:fail` instead.
    pub fn fail(mut self) -> Op {
        self.completion = self.completion.map(|(at, _)| (at, Outcome::Fail));
        self
    }

    /// The operation never completed.
    pub fn pending(mut self) -> Op {
        self.completion = None;
        self
    }

    /// A final read served by `node`.
    pub fn final_at(mut self, node: &'static str) -> Op {
        self.final_read = true;
        self.node = Some(node);
        self
    }
}

/// Builds the history (events in time order; at a tie, completions first) and returns the
/// ids of `ops` in the order given.
pub fn history(ops: &[Op]) -> (History, Vec<OpId>) {
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        events.push((op.invoke_ms, true, index));
        if let Some((at, _)) = op.completion {
            assert!(
                at > op.invoke_ms,
                "an operation completes after it is invoked"
            );
            events.push((at, false, index));
        }
    }
    events.sort();
    let mut history = History::new();
    let mut ids = vec![OpId(u32::MAX); ops.len()];
    for (at_ms, invokes, index) in events {
        let op = &ops[index];
        let at_ns = at_ms * 1_000_000;
        if invokes {
            ids[index] = history.push_invoke(op.process, op.call, Some(op.key), at_ns);
            history.set_final_read(ids[index], op.final_read);
        } else {
            history.complete(ids[index], op.completion.expect("a completion").1, at_ns);
            if let Some(node) = op.node {
                history.set_node(ids[index], node);
            }
        }
    }
    (history, ids)
}
