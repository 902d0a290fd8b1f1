//! Eventual consistency, judged by the history's final reads: after a quiet period, every
//! replica's read of a key returns the same value, and that value was written.
//!
//! The dsplay engine marks those reads (`final_read`), one per key per replica. An imported
//! history has none; then the last completed read of each key by each process stands in.
//! A final read of nil is wrong only if some write to the key certainly took effect (a
//! write with an unknown outcome may never have happened).

use crate::history::{Call, History, OpId, Operation};
use crate::{Model, Verdict};
use std::collections::{BTreeMap, BTreeSet};

/// One key's verdict.
struct KeyProblem {
    sentence: String,
    ops: Vec<OpId>,
}

pub(crate) fn check(history: &History) -> Verdict {
    let model = Model::Eventual;
    let ops = history.ops();
    let marked: Vec<&Operation> = ops
        .iter()
        .filter(|op| op.final_read && op.read_value().is_some())
        .collect();
    let stand_in = marked.is_empty();
    let reads: Vec<&Operation> = if stand_in {
        // The last completed read of each key by each process.
        let mut last: BTreeMap<(Option<&str>, u64), &Operation> = BTreeMap::new();
        for op in ops.iter().filter(|op| op.read_value().is_some()) {
            let slot = last.entry((op.key.as_deref(), op.process)).or_insert(op);
            if op.complete_seq > slot.complete_seq {
                *slot = op;
            }
        }
        let mut reads: Vec<&Operation> = last.into_values().collect();
        reads.sort_by_key(|op| op.id);
        reads
    } else {
        marked
    };
    let which = if stand_in {
        "last reads"
    } else {
        "final reads"
    };
    if reads.is_empty() {
        return Verdict {
            valid: None,
            model,
            explanation:
                "not applicable: the history has no completed reads to judge convergence by."
                    .to_string(),
            ops: Vec::new(),
            steps: 0,
        };
    }

    let mut by_key: BTreeMap<Option<&str>, Vec<&Operation>> = BTreeMap::new();
    for &read in &reads {
        by_key.entry(read.key.as_deref()).or_default().push(read);
    }
    let mut problems = Vec::new();
    for (&key, key_reads) in &by_key {
        let key_name = key.map_or("the register".to_string(), |key| format!("key {key}"));
        let writes: Vec<&Operation> = ops
            .iter()
            .filter(|op| op.key.as_deref() == key && !op.is_failed() && op.call != Call::Read)
            .collect();
        let written: BTreeSet<i64> = writes.iter().filter_map(|op| op.call.written()).collect();
        let certain_write = writes.iter().find(|op| op.is_ok());

        for read in key_reads {
            let value = read.read_value().expect("only completed reads are judged");
            match value {
                Some(value) if !written.contains(&value) => problems.push(KeyProblem {
                    sentence: format!(
                        "{} returned {value} for {key_name} in its {}, but no operation wrote {value} there.",
                        replica(read),
                        singular(which)
                    ),
                    ops: vec![read.id],
                }),
                None => {
                    if let Some(write) = certain_write {
                        problems.push(KeyProblem {
                            sentence: format!(
                                "{} returned nil for {key_name} in its {}, although process {}'s write of {} had taken effect.",
                                replica(read),
                                singular(which),
                                write.process,
                                write.call.written().expect("a write writes")
                            ),
                            ops: vec![write.id, read.id],
                        });
                    }
                }
                Some(_) => {}
            }
        }

        let mut by_value: BTreeMap<Option<i64>, Vec<&Operation>> = BTreeMap::new();
        for &read in key_reads {
            by_value
                .entry(read.read_value().expect("only completed reads are judged"))
                .or_default()
                .push(read);
        }
        if by_value.len() > 1 {
            let groups: Vec<String> = by_value
                .iter()
                .map(|(value, readers)| {
                    let names: Vec<String> = readers.iter().map(|op| replica(op)).collect();
                    let value = value.map_or("nil".to_string(), |value| {
                        history.shown_value(value).to_string()
                    });
                    format!("{} read {value}", join_names(&names))
                })
                .collect();
            problems.push(KeyProblem {
                sentence: format!(
                    "{key_name} did not converge: in their {which}, {}.",
                    groups.join(", while ")
                ),
                // One read per distinct value shows the divergence.
                ops: by_value.values().map(|readers| readers[0].id).collect(),
            });
        }
    }

    if problems.is_empty() {
        return Verdict {
            valid: Some(true),
            model,
            explanation: format!(
                "Converged: the {which} of {} agree, each on a value that was written.",
                if by_key.len() == 1 {
                    "the one key".to_string()
                } else {
                    format!("all {} keys", by_key.len())
                }
            ),
            ops: Vec::new(),
            steps: 0,
        };
    }
    let mut explanation = problems
        .iter()
        .map(|problem| capitalise(&problem.sentence))
        .collect::<Vec<_>>()
        .join(" ");
    if stand_in {
        explanation.push_str(
            " (The history has no final reads, so each process's last read of a key stands in.)",
        );
    }
    Verdict {
        valid: Some(false),
        model,
        explanation,
        ops: problems
            .into_iter()
            .flat_map(|problem| problem.ops)
            .collect(),
        steps: 0,
    }
}

/// "replica n1", or "process 3" when the engine did not say which replica served it.
fn replica(op: &Operation) -> String {
    match &op.node {
        Some(node) => format!("replica {node}"),
        None => format!("process {}", op.process),
    }
}

fn singular(which: &str) -> &str {
    which.strip_suffix('s').unwrap_or(which)
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
