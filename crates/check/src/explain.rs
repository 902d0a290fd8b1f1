//! Verdicts for the search-based models, and the words of every explanation.
//!
//! A violation is explained by a set of operations that shows it, small enough to read:
//! no operation in it can be removed (weakened, see `prepared`) without the violation
//! disappearing, which [`minimize`] establishes by re-running the search on smaller
//! restrictions (delta debugging: chunks first, then one operation at a time). For
//! linearizability the common shapes (a stale read, a read of nil after a write, a read
//! of a value nobody wrote, a read before its write began) get a dedicated sentence; any
//! other violation, such as a puzzle of cas operations, is told as the list of operations
//! in the minimal set.

use crate::history::History;
use crate::linearizable;
use crate::prepared::{Kind, POp, Prepared, Val, NIL};
use crate::sequential;
use crate::{unknown, Budget, Model, Search, Steps, Verdict};

/// Formats nanoseconds as seconds with three decimals: `1_204_000_000` → `"1.204 s"`.
pub fn format_seconds(time_ns: u64) -> String {
    let ms = time_ns / 1_000_000 + u64::from(time_ns % 1_000_000 >= 500_000);
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// Words for operations of one prepared history.
pub(crate) struct Describe<'p, 'h> {
    prepared: &'p Prepared<'h>,
}

impl<'p, 'h> Describe<'p, 'h> {
    pub(crate) fn new(prepared: &'p Prepared<'h>) -> Self {
        Describe { prepared }
    }

    fn history(&self) -> &History {
        self.prepared.history
    }

    /// "nil" or the integer.
    pub(crate) fn value(&self, value: Val) -> String {
        match self.prepared.value(value) {
            Some(value) => value.to_string(),
            None => "nil".to_string(),
        }
    }

    /// "x", or "the register" for a history without keys.
    pub(crate) fn key_name(&self, op: &POp) -> String {
        match &self.prepared.keys[op.key as usize] {
            Some(key) => key.clone(),
            None => "the register".to_string(),
        }
    }

    /// "x = 1", or just "1" for a history without keys.
    pub(crate) fn assign(&self, op: &POp, value: Val) -> String {
        match &self.prepared.keys[op.key as usize] {
            Some(key) => format!("{key} = {}", self.value(value)),
            None => self.value(value),
        }
    }

    /// What the operation read or wrote, as `assign` puts it.
    pub(crate) fn assign_op(&self, op: &POp) -> String {
        match op.kind {
            Kind::Read(value) | Kind::Write(value) | Kind::Cas(_, value) => self.assign(op, value),
        }
    }

    /// The value the operation read or wrote.
    pub(crate) fn value_of_op(&self, op: &POp) -> String {
        match op.kind {
            Kind::Read(value) | Kind::Write(value) | Kind::Cas(_, value) => self.value(value),
        }
    }

    /// "Process 3".
    pub(crate) fn process(&self, op: &POp) -> String {
        format!("Process {}", op.process)
    }

    /// "wrote x = 1", "read x = nil", "swapped x from 1 to 2".
    pub(crate) fn action(&self, op: &POp) -> String {
        match op.kind {
            Kind::Read(value) => format!("read {}", self.assign(op, value)),
            Kind::Write(value) => format!("wrote {}", self.assign(op, value)),
            Kind::Cas(expected, new) => format!(
                "swapped {} from {} to {}",
                self.key_name(op),
                self.value(expected),
                self.value(new)
            ),
        }
    }

    /// "process 0's write x = 1", "process 2's read x = nil", "process 1's cas x from 1 to 2".
    pub(crate) fn noun(&self, op: &POp) -> String {
        let what = match op.kind {
            Kind::Read(value) => format!("read {}", self.assign(op, value)),
            Kind::Write(value) => format!("write {}", self.assign(op, value)),
            Kind::Cas(expected, new) => format!(
                "cas {} from {} to {}",
                self.key_name(op),
                self.value(expected),
                self.value(new)
            ),
        };
        format!("process {}'s {what}", op.process)
    }

    /// When the operation was invoked: "1.204 s", or "event 12" in an untimed history.
    pub(crate) fn invoked(&self, op: &POp) -> String {
        let operation = self.history().op(op.origin);
        self.when(operation.invoke_ns, operation.invoke_seq)
    }

    /// When the operation completed, if it did.
    pub(crate) fn completed(&self, op: &POp) -> String {
        let operation = self.history().op(op.origin);
        match (operation.complete_ns, operation.complete_seq) {
            (Some(time_ns), Some(seq)) => self.when(time_ns, seq),
            _ => "never".to_string(),
        }
    }

    fn when(&self, time_ns: u64, seq: u64) -> String {
        if self.history().is_timed() {
            format_seconds(time_ns)
        } else {
            format!("event {seq}")
        }
    }

    /// "process 0 wrote x = 1 (0.100 s to 0.200 s)", with "outcome unknown" when indeterminate.
    pub(crate) fn with_interval(&self, op: &POp) -> String {
        let interval = if op.determinate {
            format!("{} to {}", self.invoked(op), self.completed(op))
        } else {
            format!("invoked at {}, outcome unknown", self.invoked(op))
        };
        format!("process {} {} ({interval})", op.process, self.action(op))
    }
}

/// Shrinks `initial` (ascending indices into `base`) while the restriction to it still
/// violates: chunks first, then single operations. Returns the set and whether it is
/// 1-minimal (false if the budget ran out first). `violates` must say `Violation` for the
/// restriction to `initial`.
pub(crate) fn minimize(
    base: &Prepared,
    initial: Vec<usize>,
    steps: &mut Steps,
    violates: &mut dyn FnMut(&Prepared, &mut Steps) -> Search,
) -> (Vec<usize>, bool) {
    let mut kept = initial;
    let mut chunk = (kept.len() / 2).max(1);
    loop {
        let mut start = 0;
        while start < kept.len() {
            let end = (start + chunk).min(kept.len());
            let candidate: Vec<usize> = kept[..start].iter().chain(&kept[end..]).copied().collect();
            if candidate.is_empty() {
                start = end;
                continue;
            }
            match violates(&base.restrict(&candidate), steps) {
                Search::Violation => kept = candidate,
                Search::Valid => start = end,
                Search::Exhausted => return (kept, false),
            }
        }
        // Weakening is monotone (removing more never brings a violation back), so one
        // pass at single operations leaves every remaining operation necessary.
        if chunk == 1 {
            return (kept, true);
        }
        chunk /= 2;
    }
}

/// The shortest prefix, in invocation order, whose restriction still violates.
fn failing_prefix(
    base: &Prepared,
    steps: &mut Steps,
    violates: &mut dyn FnMut(&Prepared, &mut Steps) -> Search,
) -> usize {
    let order: Vec<usize> = {
        let mut order: Vec<usize> = (0..base.ops.len()).collect();
        order.sort_by_key(|&index| base.ops[index].call_seq);
        order
    };
    let prefix = |length: usize| -> Vec<usize> {
        let mut indices = order[..length].to_vec();
        indices.sort_unstable();
        indices
    };
    let (mut low, mut high) = (1, base.ops.len());
    while low < high {
        let middle = low + (high - low) / 2;
        match violates(&base.restrict(&prefix(middle)), steps) {
            Search::Violation => high = middle,
            Search::Valid => low = middle + 1,
            Search::Exhausted => return high,
        }
    }
    high
}

/// Judges linearizability, key by key, and explains a violation.
pub(crate) fn linearizable(history: &History, budget: Budget) -> Verdict {
    let model = Model::Linearizable;
    let prepared = Prepared::new(history);
    let mut steps = Steps::new(budget.steps);
    let mut partitions = prepared.partitions();
    // Small keys first: they are quick, and a violation anywhere settles the verdict.
    partitions.sort_by_key(Vec::len);
    let mut exhausted = false;
    for partition in &partitions {
        let key = prepared.subset(partition);
        match linearizable::search(&key.ops, &mut steps) {
            Search::Valid => {}
            Search::Exhausted => exhausted = true,
            Search::Violation => return explain_linearizable(&key, steps.used(), budget),
        }
    }
    if exhausted {
        return unknown(model, steps.used());
    }
    let keys = partitions.iter().filter(|partition| !partition.is_empty()).count();
    Verdict {
        valid: Some(true),
        model,
        explanation: format!(
            "Linearizable: each of the {} operations that took effect (or may have) can be placed at one instant between its invocation and its completion, {}so that every read returns the latest write.",
            prepared.ops.len(),
            if keys > 1 { format!("key by key ({keys} keys), ") } else { String::new() }
        ),
        ops: Vec::new(),
        steps: steps.used(),
    }
}

fn lin_violates(restricted: &Prepared, steps: &mut Steps) -> Search {
    let mut outcome = Search::Valid;
    for partition in restricted.partitions() {
        match linearizable::search(&restricted.subset(&partition).ops, steps) {
            Search::Valid => {}
            other => outcome = other,
        }
        if outcome == Search::Violation {
            break;
        }
    }
    outcome
}

fn explain_linearizable(key: &Prepared, judged: u64, budget: Budget) -> Verdict {
    let mut steps = Steps::new(budget.steps);
    let describe = Describe::new(key);
    let prefix = failing_prefix(key, &mut steps, &mut lin_violates);
    let mut explained = None;
    for (set, sentence) in stale_patterns(key, prefix, &describe) {
        if lin_violates(&key.restrict(&set), &mut steps) != Search::Violation {
            continue;
        }
        let (kept, minimal) = minimize(key, set.clone(), &mut steps, &mut lin_violates);
        if kept == set && minimal {
            explained = Some((set, sentence, true));
            break;
        }
        if steps.exhausted() {
            break;
        }
    }
    let (kept, explanation, minimal) = match explained {
        Some(found) => found,
        None => {
            let initial: Vec<usize> = {
                let mut order: Vec<usize> = (0..key.ops.len()).collect();
                order.sort_by_key(|&index| key.ops[index].call_seq);
                order.truncate(prefix);
                order.sort_unstable();
                order
            };
            let (kept, minimal) = minimize(key, initial, &mut steps, &mut lin_violates);
            let listed: Vec<String> = kept.iter().map(|&index| describe.with_interval(&key.ops[index])).collect();
            let sentence = format!(
                "No linearizable order exists for these {} operations on {}: {}. Each must take effect at one instant between its invocation and its completion (or, if its outcome is unknown, at any instant after its invocation, or never), and no choice of instants makes every operation see the value the previous one left.",
                kept.len(),
                describe.key_name(&key.ops[kept[0]]),
                listed.join("; ")
            );
            (kept, sentence, minimal)
        }
    };
    let mut explanation = explanation;
    if !minimal {
        explanation.push_str(" (The set of operations was not fully minimised within the budget.)");
    }
    Verdict {
        valid: Some(false),
        model: Model::Linearizable,
        explanation,
        ops: kept.iter().map(|&index| key.ops[index].origin).collect(),
        steps: judged + steps.used(),
    }
}

/// Candidate explanations of the common shapes, for reads in the failing prefix (latest
/// first, since the prefix's last operation takes part in the violation).
fn stale_patterns(key: &Prepared, prefix: usize, describe: &Describe) -> Vec<(Vec<usize>, String)> {
    let ops = &key.ops;
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&index| ops[index].call_seq);
    order.truncate(prefix);
    let mut candidates = Vec::new();
    let sorted = |mut set: Vec<usize>| {
        set.sort_unstable();
        set.dedup();
        set
    };
    for &read in order.iter().rev() {
        let op = &ops[read];
        let Kind::Read(value) = op.kind else {
            continue;
        };
        let Some(read_ret) = op.ret_seq else {
            continue;
        };
        let writers: Vec<usize> = (0..ops.len())
            .filter(|&index| ops[index].kind.written() == Some(value))
            .collect();
        if value != NIL && writers.is_empty() {
            candidates.push((
                vec![read],
                format!(
                    "{} read {} (invoked at {}), but no operation ever wrote {} to {}; a read can only return a value that was written.",
                    describe.process(op),
                    describe.assign_op(op),
                    describe.invoked(op),
                    describe.value(value),
                    describe.key_name(op)
                ),
            ));
            continue;
        }
        if value != NIL && writers.iter().all(|&writer| ops[writer].call_seq > read_ret) {
            let sentence = if let [writer] = writers[..] {
                format!(
                    "{} read {}, completing at {}, but {} was invoked only at {}, after the read had completed; a read cannot return a value before anybody starts writing it.",
                    describe.process(op),
                    describe.assign_op(op),
                    describe.completed(op),
                    describe.noun(&ops[writer]),
                    describe.invoked(&ops[writer])
                )
            } else {
                format!(
                    "{} read {}, completing at {}, but every operation that wrote {} was invoked after the read had completed; a read cannot return a value before anybody starts writing it.",
                    describe.process(op),
                    describe.assign_op(op),
                    describe.completed(op),
                    describe.value(value)
                )
            };
            candidates.push((sorted([vec![read], writers.clone()].concat()), sentence));
            continue;
        }
        let done_before_read = |index: usize| {
            let other = &ops[index];
            other.determinate && other.ret_seq.is_some_and(|ret| ret < op.call_seq)
        };
        if value == NIL {
            // The first write that had certainly taken effect before the read began.
            if let Some(writer) = (0..ops.len())
                .filter(|&index| ops[index].kind.written().is_some() && done_before_read(index))
                .min_by_key(|&index| ops[index].ret_seq)
            {
                candidates.push((
                    sorted(vec![writer, read]),
                    format!(
                        "{} read {} (invoked at {}), but {} had already completed at {}; once written, the register is never unset again, so a linearizable store must return a written value.",
                        describe.process(op),
                        describe.assign_op(op),
                        describe.invoked(op),
                        describe.noun(&ops[writer]),
                        describe.completed(&ops[writer])
                    ),
                ));
            }
            continue;
        }
        let [first] = writers[..] else {
            continue;
        };
        let first_op = &ops[first];
        if !first_op.determinate {
            continue;
        }
        // The latest overwrite that began after the first write completed and ended
        // before the read began.
        let overwrite = (0..ops.len())
            .filter(|&index| {
                let other = &ops[index];
                other.determinate
                    && other.kind.written().is_some_and(|written| written != value)
                    && first_op.ret_seq.is_some_and(|ret| ret < other.call_seq)
                    && done_before_read(index)
            })
            .max_by_key(|&index| ops[index].ret_seq);
        let Some(second) = overwrite else {
            continue;
        };
        let second_op = &ops[second];
        let overwrote = match second_op.kind {
            Kind::Cas(..) => format!("{} and that cas", describe.action(second_op)),
            _ => format!("{} and that write", describe.action(second_op)),
        };
        candidates.push((
            sorted(vec![first, second, read]),
            format!(
                "{} read {} (invoked at {}), but after {} completed ({}), process {} {} completed at {}; a linearizable store must return {} or a later value.",
                describe.process(op),
                describe.assign_op(op),
                describe.invoked(op),
                describe.noun(first_op),
                describe.completed(first_op),
                second_op.process,
                overwrote,
                describe.completed(second_op),
                describe.value_of_op(second_op)
            ),
        ));
    }
    candidates
}

/// Judges sequential consistency over all keys at once, and explains a violation.
pub(crate) fn sequential(history: &History, budget: Budget) -> Verdict {
    let model = Model::Sequential;
    let prepared = Prepared::new(history);
    let mut steps = Steps::new(budget.steps);
    match sequential::search(&prepared, &mut steps) {
        Search::Valid => {
            return Verdict {
                valid: Some(true),
                model,
                explanation: format!(
                    "Sequentially consistent: one order of all {} operations that took effect (or may have) keeps every process's own order and has every read return the latest write.",
                    prepared.ops.len()
                ),
                ops: Vec::new(),
                steps: steps.used(),
            }
        }
        Search::Exhausted => return unknown(model, steps.used()),
        Search::Violation => {}
    }
    let judged = steps.used();
    let mut explain_steps = Steps::new(budget.steps);
    let mut violates = |restricted: &Prepared, steps: &mut Steps| sequential::search(restricted, steps);
    let prefix = failing_prefix(&prepared, &mut explain_steps, &mut violates);
    let initial: Vec<usize> = {
        let mut order: Vec<usize> = (0..prepared.ops.len()).collect();
        order.sort_by_key(|&index| prepared.ops[index].call_seq);
        order.truncate(prefix);
        order.sort_unstable();
        order
    };
    let (kept, minimal) = minimize(&prepared, initial, &mut explain_steps, &mut violates);
    let describe = Describe::new(&prepared);
    // Group by process, each in its own order, processes in order of first appearance.
    let mut processes: Vec<u64> = Vec::new();
    for &index in &kept {
        if !processes.contains(&prepared.ops[index].process) {
            processes.push(prepared.ops[index].process);
        }
    }
    let groups: Vec<String> = processes
        .iter()
        .map(|&process| {
            let actions: Vec<String> = kept
                .iter()
                .map(|&index| &prepared.ops[index])
                .filter(|op| op.process == process)
                .map(|op| {
                    let action = describe.action(op);
                    if op.determinate {
                        action
                    } else {
                        format!("{action} (outcome unknown)")
                    }
                })
                .collect();
            format!("process {process} {}", actions.join(", then "))
        })
        .collect();
    let mut explanation = format!(
        "No single order of these {} operations keeps each process's own order and has every read return the latest write: {}.",
        kept.len(),
        groups.join("; ")
    );
    if !minimal {
        explanation.push_str(" (The set of operations was not fully minimised within the budget.)");
    }
    Verdict {
        valid: Some(false),
        model,
        explanation,
        ops: kept.iter().map(|&index| prepared.ops[index].origin).collect(),
        steps: judged + explain_steps.used(),
    }
}

#[cfg(test)]
mod tests {
    use super::format_seconds;

    #[test]
    fn seconds_have_three_decimals_rounded_to_the_millisecond() {
        assert_eq!(format_seconds(1_204_000_000), "1.204 s");
        assert_eq!(format_seconds(950_000_000), "0.950 s");
        assert_eq!(format_seconds(0), "0.000 s");
        assert_eq!(format_seconds(999_500_000), "1.000 s");
        assert_eq!(format_seconds(1_499_999), "0.001 s");
    }
}
