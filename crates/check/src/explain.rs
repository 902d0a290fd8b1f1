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
            Some(value) => self.history().shown_value(value).to_string(),
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
/// 1-minimal. Each re-check may use a few times the steps the check of `initial` took;
/// a re-check that needs more counts as "no violation found" and leaves its operations
/// in, so the set is always a proven violation, but then it may not be minimal. `initial`
/// itself must violate.
pub(crate) fn minimize(
    base: &Prepared,
    initial: Vec<usize>,
    steps: &mut Steps,
    violates: &mut dyn FnMut(&Prepared, &mut Steps) -> Search,
) -> (Vec<usize>, bool) {
    let mut first = Steps::new(steps.remaining());
    let outcome = violates(&base.restrict(&initial), &mut first);
    steps.charge(first.used());
    debug_assert!(outcome != Search::Valid, "the initial set violates");
    if outcome != Search::Violation {
        return (initial, false);
    }
    let cap_steps = first.used().saturating_mul(8).saturating_add(20_000);
    let mut proven = true;
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
            // Building a restriction is linear in the history: charge for it too, so the
            // budget bounds the work even when every re-check is quick.
            if !steps.charge(1 + base.ops.len() as u64 / 16) {
                return (kept, false);
            }
            let mut check = Steps::new(cap_steps.min(steps.remaining()));
            let outcome = violates(&base.restrict(&candidate), &mut check);
            steps.charge(check.used());
            match outcome {
                Search::Violation => kept = candidate,
                Search::Valid => start = end,
                Search::Exhausted if steps.exhausted() => return (kept, false),
                Search::Exhausted => {
                    proven &= chunk > 1;
                    start = end;
                }
            }
        }
        // Weakening is monotone (removing more never brings a violation back), so one
        // pass at single operations leaves every remaining operation necessary.
        if chunk == 1 {
            return (kept, proven);
        }
        chunk /= 2;
    }
}

/// The earliest point of the history (a cut, see [`Prepared::cut`]) at which it already
/// violates: the event position and the prefix.
fn failing_cut<'h>(
    base: &Prepared<'h>,
    steps: &mut Steps,
    violates: &mut dyn FnMut(&Prepared, &mut Steps) -> Search,
) -> (u64, Prepared<'h>) {
    // A search fails at a return, so the cuts worth trying are just after returns.
    let mut cuts: Vec<u64> = base
        .ops
        .iter()
        .filter_map(|op| op.ret_seq.map(|ret| ret + 1))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(u64::MAX);
    let (mut low, mut high) = (0, cuts.len() - 1);
    while low < high {
        let middle = low + (high - low) / 2;
        match violates(&base.cut(cuts[middle]), steps) {
            Search::Violation => high = middle,
            Search::Valid => low = middle + 1,
            Search::Exhausted => break,
        }
    }
    (cuts[high], base.cut(cuts[high]))
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
    let keys = partitions
        .iter()
        .filter(|partition| !partition.is_empty())
        .count();
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

fn explain_linearizable(whole: &Prepared, judged: u64, budget: Budget) -> Verdict {
    let mut steps = Steps::new(budget.steps);
    let (cut_seq, prefix) = failing_cut(whole, &mut steps, &mut lin_violates);
    // The common shapes are looked for among the reads before the cut, with the whole
    // history's writes (a write invoked after the cut may be the one a read returned).
    let describe = Describe::new(whole);
    for (set, sentence) in stale_patterns(whole, cut_seq, &describe) {
        if lin_violates(&whole.restrict(&set), &mut steps) != Search::Violation {
            continue;
        }
        let (kept, minimal) = minimize(whole, set.clone(), &mut steps, &mut lin_violates);
        if kept == set && minimal {
            return Verdict {
                valid: Some(false),
                model: Model::Linearizable,
                explanation: sentence,
                ops: set.iter().map(|&index| whole.ops[index].origin).collect(),
                steps: judged + steps.used(),
            };
        }
        if steps.exhausted() {
            break;
        }
    }
    // Otherwise: the failing prefix, shrunk to a minimal set, told as a list.
    let key = &prefix;
    let describe = Describe::new(key);
    let initial: Vec<usize> = (0..key.ops.len()).collect();
    let (kept, minimal) = minimize(key, initial, &mut steps, &mut lin_violates);
    let listed: Vec<String> = kept
        .iter()
        .map(|&index| describe.with_interval(&key.ops[index]))
        .collect();
    let mut explanation = format!(
        "No linearizable order exists for these {} operations on {}: {}. Each must take effect at one instant between its invocation and its completion (or, if its outcome is unknown, at any instant after its invocation, or never), and no choice of instants makes every operation see the value the previous one left.",
        kept.len(),
        describe.key_name(&key.ops[kept[0]]),
        listed.join("; ")
    );
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

/// Candidate explanations of the common shapes, for reads that completed before `cut_seq`
/// (latest first, since the violation shows where the failing prefix ends).
fn stale_patterns(key: &Prepared, cut_seq: u64, describe: &Describe) -> Vec<(Vec<usize>, String)> {
    let ops = &key.ops;
    let mut order: Vec<usize> = (0..ops.len())
        .filter(|&index| ops[index].ret_seq.is_some_and(|ret| ret < cut_seq))
        .collect();
    order.sort_by_key(|&index| ops[index].call_seq);
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
        if value != NIL
            && writers
                .iter()
                .all(|&writer| ops[writer].call_seq > read_ret)
        {
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
        // A stale read: some operation `evidence` (a write of another value, or a read of
        // one) ended before the read began and began after every write of the value had
        // completed, except writes that began only after the read completed.
        let before_evidence = |evidence: &POp| {
            writers.iter().all(|&writer| {
                let writer = &ops[writer];
                writer.call_seq > read_ret
                    || (writer.determinate
                        && writer.ret_seq.is_some_and(|ret| ret < evidence.call_seq))
            })
        };
        let is_write = |index: usize| ops[index].kind.written().is_some();
        let evidence = (0..ops.len())
            .filter(|&index| {
                let other = &ops[index];
                let other_value = match other.kind {
                    Kind::Read(seen) => seen,
                    Kind::Write(written) | Kind::Cas(_, written) => written,
                };
                index != read
                    && other_value != value
                    && done_before_read(index)
                    && before_evidence(other)
            })
            // Writes make the plainer story; then the latest evidence.
            .max_by_key(|&index| (is_write(index), ops[index].ret_seq));
        let Some(evidence) = evidence else {
            continue;
        };
        let evidence_op = &ops[evidence];
        let earlier: Vec<usize> = writers
            .iter()
            .copied()
            .filter(|&writer| ops[writer].call_seq <= read_ret)
            .collect();
        let Some(&last_earlier) = earlier.iter().max_by_key(|&&writer| ops[writer].ret_seq) else {
            continue;
        };
        let completed_before = match earlier[..] {
            [only] => format!(
                "after {} completed ({})",
                describe.noun(&ops[only]),
                describe.completed(&ops[only])
            ),
            _ => format!(
                "after every write of {} had completed (the last at {})",
                describe.assign_op(op),
                describe.completed(&ops[last_earlier])
            ),
        };
        let (what_happened, conclusion) = match evidence_op.kind {
            Kind::Read(_) => (
                format!(
                    "process {} read {} (completed at {})",
                    evidence_op.process,
                    describe.assign_op(evidence_op),
                    describe.completed(evidence_op)
                ),
                format!(
                    "a linearizable store cannot return {} again",
                    describe.value(value)
                ),
            ),
            Kind::Write(_) | Kind::Cas(..) => (
                format!(
                    "process {} {} and that {} completed at {}",
                    evidence_op.process,
                    describe.action(evidence_op),
                    if matches!(evidence_op.kind, Kind::Cas(..)) {
                        "cas"
                    } else {
                        "write"
                    },
                    describe.completed(evidence_op)
                ),
                format!(
                    "a linearizable store must return {} or a later value",
                    describe.value_of_op(evidence_op)
                ),
            ),
        };
        let later_note = if earlier.len() < writers.len() {
            format!(
                " (the other writes of {} began only after the read had completed)",
                describe.value(value)
            )
        } else {
            String::new()
        };
        candidates.push((
            sorted([vec![read, evidence], writers.clone()].concat()),
            format!(
                "{} read {} (invoked at {}), but {completed_before}, {what_happened}{later_note}; {conclusion}.",
                describe.process(op),
                describe.assign_op(op),
                describe.invoked(op),
            ),
        ));
    }
    candidates
}

/// True if every process's operations that took effect follow one another in real time.
fn one_at_a_time(prepared: &Prepared) -> bool {
    let mut last_return: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    let mut determinate: Vec<&POp> = prepared.ops.iter().filter(|op| op.determinate).collect();
    determinate.sort_by_key(|op| op.call_seq);
    determinate.iter().all(|op| {
        let ret = op.ret_seq.expect("a determinate operation completed");
        let previous = last_return.insert(op.process, ret);
        previous.is_none_or(|previous| previous < op.call_seq)
    })
}

/// Judges sequential consistency over all keys at once, and explains a violation.
pub(crate) fn sequential(history: &History, budget: Budget) -> Verdict {
    let model = Model::Sequential;
    let prepared = Prepared::new(history);
    let mut steps = Steps::new(budget.steps);
    // A linearizable history whose processes each ran one operation at a time is
    // sequentially consistent: its linearization keeps every process's order. That check
    // is compositional and fast, so it goes first; the search is for the rest.
    if one_at_a_time(&prepared) {
        let partitions = prepared.partitions();
        let mut linearizable = true;
        for partition in &partitions {
            let mut key_steps = Steps::new(steps.remaining() / 2);
            let outcome = linearizable::search(&prepared.subset(partition).ops, &mut key_steps);
            steps.charge(key_steps.used());
            if outcome != Search::Valid {
                linearizable = false;
                break;
            }
        }
        if linearizable {
            return Verdict {
                valid: Some(true),
                model,
                explanation: format!(
                    "Sequentially consistent: the {} operations that took effect (or may have) are even linearizable, and each process ran one operation at a time, so one order keeps every process's own order and has every read return the latest write.",
                    prepared.ops.len()
                ),
                ops: Vec::new(),
                steps: steps.used(),
            };
        }
    }
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
    let mut violates =
        |restricted: &Prepared, steps: &mut Steps| sequential::search(restricted, steps);
    // Real time means nothing here, so there is no failing prefix to start from.
    let initial: Vec<usize> = (0..prepared.ops.len()).collect();
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
        ops: kept
            .iter()
            .map(|&index| prepared.ops[index].origin)
            .collect(),
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
