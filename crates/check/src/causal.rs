//! Causal consistency of read/write registers, by the bad patterns of Bouajjani, Enea,
//! Guerraoui and Hamza, "On Verifying Causal Consistency" (POPL 2017).
//!
//! When every value is written at most once per key, each read names the write it read
//! from, and the causal order CO is the transitive closure of program order (each
//! process's own order) and read-from. The paper shows that a history is then
//!
//! - **CC** (causal consistency) iff it has none of *ThinAirRead* (a read of a value
//!   nobody wrote), *CyclicCO* (CO has a cycle), *WriteCOInitRead* (a read of the initial
//!   value after a write to the key that causally precedes it) and *WriteCORead* (a read
//!   from `w1` although `w1 → w2 → read` in CO with `w2` writing the same key);
//! - **CCv** (causal convergence) iff CC and not *CyclicCF*: writes `w1`, `w2` to one key
//!   are in conflict order `w1 CF w2` when `w1` causally precedes a read from `w2`, and
//!   CO ∪ CF must be acyclic (one order of conflicting writes everyone agrees on);
//! - **CM** (causal memory) iff CC and neither *WriteHBInitRead* nor *CyclicHB*, where a
//!   process's happens-before adds to CO the orders its own reads imply (a write it had
//!   seen before reading from another write of that key comes before that write).
//!
//! CO is kept as vector clocks over per-process chains, which makes CC and CCv checks
//! O(n · processes); CM's happens-before is a fixpoint over bit sets, budgeted by steps.
//! An operation with an unknown outcome is included only if some read returned its value
//! (then it happened); it follows its process's earlier operations but is not held before
//! the later ones. Histories with cas, or with a value written twice to a key, are outside
//! the theorem: they get "not applicable", never a guess.

use crate::explain::{minimize, Describe};
use crate::prepared::{Kind, POp, Prepared, NIL};
use crate::{unknown, History, Model, Search, Steps, Verdict};
use std::collections::{BTreeMap, VecDeque};

const NONE: u32 = u32::MAX;

/// How one operation leads to the next on a causal path or cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    /// Same process, later.
    Program,
    /// The next operation read what this one wrote.
    ReadFrom,
    /// This write must come before the next (a write to the same key) because `read`
    /// read the next one after having causally seen this one.
    Conflict { read: u32 },
    /// As `Conflict`, in one process's happens-before.
    HappensBefore { read: u32 },
}

/// A bad pattern, over node indices.
#[derive(Clone, Debug)]
enum Finding {
    ThinAirRead {
        read: u32,
    },
    CyclicCo {
        cycle: Vec<(u32, Edge)>,
    },
    WriteCoInitRead {
        path: Vec<(u32, Edge)>,
    },
    WriteCoRead {
        first_path: Vec<(u32, Edge)>,
        second_path: Vec<(u32, Edge)>,
    },
    CyclicCf {
        cycle: Vec<(u32, Edge)>,
    },
    WriteHbInitRead {
        write: u32,
        read: u32,
        support: Vec<u32>,
    },
    CyclicHb {
        cycle: Vec<(u32, Edge)>,
    },
}

impl Finding {
    /// Every node the finding mentions.
    fn nodes(&self, graph: &Graph) -> Vec<u32> {
        let mut nodes = Vec::new();
        let add_path = |path: &[(u32, Edge)], nodes: &mut Vec<u32>| {
            for &(node, edge) in path {
                nodes.push(node);
                if let Edge::Conflict { read } | Edge::HappensBefore { read } = edge {
                    nodes.push(read);
                }
            }
        };
        match self {
            Finding::ThinAirRead { read } => nodes.push(*read),
            Finding::CyclicCo { cycle } | Finding::CyclicHb { cycle } => {
                add_path(cycle, &mut nodes)
            }
            Finding::CyclicCf { cycle } => {
                add_path(cycle, &mut nodes);
                // A conflict edge holds because its first write causally precedes its read.
                for &(node, edge) in cycle {
                    if let Edge::Conflict { read } = edge {
                        for (on_path, _) in graph.co_path(node, read) {
                            nodes.push(on_path);
                        }
                    }
                }
            }
            Finding::WriteCoInitRead { path } => add_path(path, &mut nodes),
            Finding::WriteCoRead {
                first_path,
                second_path,
            } => {
                add_path(first_path, &mut nodes);
                add_path(second_path, &mut nodes);
            }
            Finding::WriteHbInitRead {
                write,
                read,
                support,
            } => {
                nodes.push(*write);
                nodes.push(*read);
                nodes.extend_from_slice(support);
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }
}

/// Judges a history against CC, CM or CCv.
pub(crate) fn check(history: &History, model: Model, budget: crate::Budget) -> Verdict {
    let prepared = Prepared::new(history);
    if let Some(reason) = not_applicable(&prepared) {
        return Verdict {
            valid: None,
            model,
            explanation: format!("not applicable: {reason}"),
            ops: Vec::new(),
            steps: 0,
        };
    }
    let mut steps = Steps::new(budget.steps);
    let (graph, finding) = match analyse(&prepared, model, &mut steps) {
        Err(Exhausted) => return unknown(model, steps.used()),
        Ok((_, None)) => {
            return Verdict {
                valid: Some(true),
                model,
                explanation: format!(
                    "{}: none of the bad patterns of {} occurs among the {} operations that took effect (or were read from).",
                    model_title(model),
                    pattern_list(model),
                    prepared.ops.len()
                ),
                ops: Vec::new(),
                steps: steps.used(),
            }
        }
        Ok((graph, Some(finding))) => (graph, finding),
    };
    let judged = steps.used();

    // Shrink the finding's operations while the restricted history still violates. The
    // finding's own operations usually suffice; a happens-before finding may need more of
    // the history, and then the search starts from all of it.
    let mut explain_steps = Steps::new(budget.steps);
    let mut violates =
        |restricted: &Prepared, steps: &mut Steps| match analyse(restricted, model, steps) {
            Ok((_, found)) => Search::from_violation(found.is_some()),
            Err(Exhausted) => Search::Exhausted,
        };
    let mut initial: Vec<usize> = finding
        .nodes(&graph)
        .into_iter()
        .map(|node| graph.nodes[node as usize])
        .collect();
    initial.sort_unstable();
    if violates(&prepared.restrict(&initial), &mut explain_steps) != Search::Violation {
        initial = (0..prepared.ops.len()).collect();
    }
    let (kept, minimal) = minimize(&prepared, initial, &mut explain_steps, &mut violates);
    let restricted = prepared.restrict(&kept);
    let reanalysed = analyse(&restricted, model, &mut Steps::new(budget.steps));
    let (graph, finding) = match reanalysed {
        Ok((graph, Some(finding))) => (graph, finding),
        // The minimisation keeps only sets that still violate, so this does not happen;
        // if it did, the original finding still stands.
        _ => (graph, finding),
    };
    let describe = Describe::new(graph.prepared);
    let mut explanation = narrate(&finding, &graph, &describe);
    if !minimal {
        explanation.push_str(" (The set of operations was not fully minimised within the budget.)");
    }
    let ops = finding
        .nodes(&graph)
        .into_iter()
        .map(|node| graph.prepared.ops[graph.nodes[node as usize]].origin)
        .chain(kept.iter().map(|&index| prepared.ops[index].origin))
        .collect();
    Verdict {
        valid: Some(false),
        model,
        explanation,
        ops,
        steps: judged + explain_steps.used(),
    }
}

fn model_title(model: Model) -> &'static str {
    match model {
        Model::CausalMemory => "Causal memory holds",
        Model::CausalConvergence => "Causal convergence holds",
        _ => "Causally consistent",
    }
}

fn pattern_list(model: Model) -> &'static str {
    match model {
        Model::CausalMemory => {
            "CM (ThinAirRead, CyclicCO, WriteCOInitRead, WriteCORead, WriteHBInitRead, CyclicHB)"
        }
        Model::CausalConvergence => {
            "CCv (ThinAirRead, CyclicCO, WriteCOInitRead, WriteCORead, CyclicCF)"
        }
        _ => "CC (ThinAirRead, CyclicCO, WriteCOInitRead, WriteCORead)",
    }
}

/// Why the bad-pattern theorem does not apply, if it does not.
fn not_applicable(prepared: &Prepared) -> Option<String> {
    let describe = Describe::new(prepared);
    if let Some(op) = prepared
        .ops
        .iter()
        .find(|op| matches!(op.kind, Kind::Cas(..)))
    {
        return Some(format!(
            "the history has compare-and-set operations ({}), and the causal checks cover read/write registers only",
            describe.noun(op)
        ));
    }
    let mut writers: BTreeMap<(u32, u32), &POp> = BTreeMap::new();
    for op in &prepared.ops {
        if let Kind::Write(value) = op.kind {
            if let Some(first) = writers.insert((op.key, value), op) {
                return Some(format!(
                    "{} and {} wrote the same value; the causal checks need each value written at most once per key, so that every read names the write it read from",
                    describe.noun(first),
                    describe.noun(op)
                ));
            }
        }
    }
    None
}

/// The budget ran out.
struct Exhausted;

/// Finds a bad pattern of `model`, if any, with the graph it is stated in.
fn analyse<'p, 'h>(
    prepared: &'p Prepared<'h>,
    model: Model,
    steps: &mut Steps,
) -> Result<(Graph<'p, 'h>, Option<Finding>), Exhausted> {
    let (graph, early) = Graph::build(prepared, steps)?;
    if early.is_some() {
        return Ok((graph, early));
    }
    let finding = match graph.cc_patterns(steps)? {
        Some(finding) => Some(finding),
        None => match model {
            Model::CausalConvergence => graph.cyclic_cf(steps)?,
            Model::CausalMemory => graph.cm_patterns(steps)?,
            _ => None,
        },
    };
    Ok((graph, finding))
}

/// Program order and read-from over the operations that matter, with vector clocks.
struct Graph<'p, 'h> {
    prepared: &'p Prepared<'h>,
    /// Node → index into `prepared.ops`.
    nodes: Vec<usize>,
    /// Per node: its chain (a process, or a chain of its own) and position in it.
    chain: Vec<u32>,
    position: Vec<u32>,
    chains: usize,
    /// Per node: the previous operation of its process that it follows, or NONE.
    program_prev: Vec<u32>,
    /// Per read: the write it read from; NONE for a read of nil and for writes.
    source: Vec<u32>,
    /// Per node, then per chain: how many of the chain's operations causally precede it,
    /// itself included.
    clocks: Vec<u32>,
    /// Per key, per chain: (position, node) of the writes, by position.
    writes: Vec<BTreeMap<u32, Vec<(u32, u32)>>>,
    /// Nodes in an order compatible with CO.
    topological: Vec<u32>,
}

impl<'p, 'h> Graph<'p, 'h> {
    /// Builds the graph, with the ThinAirRead or CyclicCO that stops the analysis short
    /// (then without clocks).
    fn build(
        prepared: &'p Prepared<'h>,
        steps: &mut Steps,
    ) -> Result<(Self, Option<Finding>), Exhausted> {
        let ops = &prepared.ops;
        let mut writer_of: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        for (index, op) in ops.iter().enumerate() {
            if let Kind::Write(value) = op.kind {
                // Determinate writes win over free copies of the same write.
                let entry = writer_of.entry((op.key, value)).or_insert(index);
                if ops[*entry].free && !op.free {
                    *entry = index;
                }
            }
        }
        let mut read_from = vec![false; ops.len()];
        for op in ops {
            if let Kind::Read(value) = op.kind {
                if value != NIL {
                    if let Some(&writer) = writer_of.get(&(op.key, value)) {
                        read_from[writer] = true;
                    }
                }
            }
        }
        let included: Vec<usize> = (0..ops.len())
            .filter(|&index| {
                let op = &ops[index];
                match op.kind {
                    Kind::Read(_) => true,
                    _ => (op.determinate && !op.free) || read_from[index],
                }
            })
            .collect();
        let count = included.len();
        let mut node_of = vec![NONE; ops.len()];
        for (node, &index) in included.iter().enumerate() {
            node_of[index] = node as u32;
        }

        // Chains: one per process for operations that certainly happened, in invocation
        // order; one each for the others.
        let mut by_process: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for (node, &index) in included.iter().enumerate() {
            let op = &ops[index];
            if op.determinate && !op.free {
                by_process.entry(op.process).or_default().push(node as u32);
            }
        }
        let mut chain = vec![NONE; count];
        let mut position = vec![0u32; count];
        let mut program_prev = vec![NONE; count];
        let mut chains = 0usize;
        let mut process_chain: BTreeMap<u64, usize> = BTreeMap::new();
        for (&process, members) in &mut by_process {
            members.sort_by_key(|&node| ops[included[node as usize]].call_seq);
            for (at, &node) in members.iter().enumerate() {
                chain[node as usize] = chains as u32;
                position[node as usize] = at as u32;
                if at > 0 {
                    program_prev[node as usize] = members[at - 1];
                }
            }
            process_chain.insert(process, chains);
            chains += 1;
        }
        for node in 0..count {
            if chain[node] != NONE {
                continue;
            }
            chain[node] = chains as u32;
            chains += 1;
            let op = &ops[included[node]];
            if !op.free {
                if let Some(members) = by_process.get(&op.process) {
                    let before = members.partition_point(|&member| {
                        ops[included[member as usize]].call_seq < op.call_seq
                    });
                    if before > 0 {
                        program_prev[node] = members[before - 1];
                    }
                }
            }
        }

        let mut source = vec![NONE; count];
        let mut thin_air = None;
        for (node, &index) in included.iter().enumerate() {
            if let Kind::Read(value) = ops[index].kind {
                if value != NIL {
                    match writer_of.get(&(ops[index].key, value)) {
                        Some(&writer) => source[node] = node_of[writer],
                        None => {
                            thin_air.get_or_insert(Finding::ThinAirRead { read: node as u32 });
                        }
                    }
                }
            }
        }

        // Kahn's algorithm over program order and read-from.
        let mut successors: Vec<Vec<u32>> = vec![Vec::new(); count];
        let mut indegree = vec![0u32; count];
        for node in 0..count {
            for pred in [program_prev[node], source[node]] {
                if pred != NONE {
                    successors[pred as usize].push(node as u32);
                    indegree[node] += 1;
                }
            }
        }
        let mut ready: VecDeque<u32> = (0..count as u32)
            .filter(|&node| indegree[node as usize] == 0)
            .collect();
        let mut topological = Vec::with_capacity(count);
        while let Some(node) = ready.pop_front() {
            topological.push(node);
            for &next in &successors[node as usize] {
                indegree[next as usize] -= 1;
                if indegree[next as usize] == 0 {
                    ready.push_back(next);
                }
            }
        }
        if !steps.charge(count as u64 + 1) {
            return Err(Exhausted);
        }
        let mut graph = Graph {
            prepared,
            nodes: included,
            chain,
            position,
            chains,
            program_prev,
            source,
            clocks: Vec::new(),
            writes: Vec::new(),
            topological,
        };
        if thin_air.is_some() {
            return Ok((graph, thin_air));
        }
        if graph.topological.len() < count {
            let remaining: Vec<bool> = indegree.iter().map(|&degree| degree > 0).collect();
            let start = remaining
                .iter()
                .position(|&left| left)
                .expect("a node is left") as u32;
            let cycle = find_cycle(start, &remaining, |node| graph.co_preds(node));
            return Ok((graph, Some(Finding::CyclicCo { cycle })));
        }

        // Vector clocks in topological order.
        // A step of the searches costs some tens of nanoseconds; graph work is charged at
        // about that rate: a step per 32 clock entries, per 16 chains scanned, per 32 words.
        if !steps.charge((count as u64).saturating_mul(chains as u64) / 32 + 1) {
            return Err(Exhausted);
        }
        let width = chains;
        let mut clocks = vec![0u32; count.checked_mul(width).ok_or(Exhausted)?];
        for &node in &graph.topological {
            let node = node as usize;
            for pred in [graph.program_prev[node], graph.source[node]] {
                if pred != NONE {
                    let (from, to) = (pred as usize * width, node * width);
                    for offset in 0..width {
                        clocks[to + offset] = clocks[to + offset].max(clocks[from + offset]);
                    }
                }
            }
            clocks[node * width + graph.chain[node] as usize] = graph.position[node] + 1;
        }
        graph.clocks = clocks;

        let mut writes: Vec<BTreeMap<u32, Vec<(u32, u32)>>> =
            vec![BTreeMap::new(); prepared.keys.len()];
        for node in 0..count {
            let op = &ops[graph.nodes[node]];
            if matches!(op.kind, Kind::Write(_)) {
                writes[op.key as usize]
                    .entry(graph.chain[node])
                    .or_default()
                    .push((graph.position[node], node as u32));
            }
        }
        graph.writes = writes;
        Ok((graph, None))
    }

    fn op(&self, node: u32) -> &POp {
        &self.prepared.ops[self.nodes[node as usize]]
    }

    /// The edges into `node` in program order ∪ read-from.
    fn co_preds(&self, node: u32) -> impl Iterator<Item = (u32, Edge)> {
        let node = node as usize;
        [
            (self.program_prev[node], Edge::Program),
            (self.source[node], Edge::ReadFrom),
        ]
        .into_iter()
        .filter(|&(pred, _)| pred != NONE)
    }

    /// `a` precedes `b` in CO, or is `b`.
    fn co_le(&self, a: u32, b: u32) -> bool {
        self.clocks[b as usize * self.chains + self.chain[a as usize] as usize]
            > self.position[a as usize]
    }

    /// `a` strictly precedes `b` in CO.
    fn co_lt(&self, a: u32, b: u32) -> bool {
        a != b && self.co_le(a, b)
    }

    /// The last write to `key` on `chain` that precedes `node` in CO, or is `node`.
    fn latest_write_before(&self, key: u32, chain: u32, node: u32) -> Option<u32> {
        let writes = self.writes[key as usize].get(&chain)?;
        let limit = self.clocks[node as usize * self.chains + chain as usize];
        let count = writes.partition_point(|&(position, _)| position < limit);
        count.checked_sub(1).map(|at| writes[at].1)
    }

    /// A path from `a` to `b` in program order ∪ read-from with as few read-from hops as
    /// possible, keeping only `a`, `b` and the ends of each read-from hop (program order is
    /// transitive, so the operations between are not needed). Each node comes with the
    /// edge that leaves it; the last one's edge is unused.
    fn co_path(&self, a: u32, b: u32) -> Vec<(u32, Edge)> {
        debug_assert!(self.co_le(a, b));
        // 0-1 breadth-first search backwards from b, through nodes that a precedes.
        let count = self.nodes.len();
        let mut distance = vec![u32::MAX; count];
        let mut towards_b = vec![(NONE, Edge::Program); count];
        let mut queue = VecDeque::new();
        distance[b as usize] = 0;
        queue.push_back(b);
        while let Some(node) = queue.pop_front() {
            if node == a {
                break;
            }
            for (pred, edge) in self.co_preds(node) {
                if !self.co_le(a, pred) {
                    continue;
                }
                let cost = distance[node as usize] + u32::from(edge == Edge::ReadFrom);
                if cost < distance[pred as usize] {
                    distance[pred as usize] = cost;
                    towards_b[pred as usize] = (node, edge);
                    if edge == Edge::ReadFrom {
                        queue.push_back(pred);
                    } else {
                        queue.push_front(pred);
                    }
                }
            }
        }
        let mut full = vec![(a, Edge::Program)];
        let mut node = a;
        while node != b {
            let (next, edge) = towards_b[node as usize];
            assert!(next != NONE, "a path exists because a precedes b");
            full.last_mut().expect("the path has a start").1 = edge;
            full.push((next, Edge::Program));
            node = next;
        }
        let last = full.len() - 1;
        let mut path: Vec<(u32, Edge)> = Vec::new();
        for (index, &(node, edge)) in full.iter().enumerate() {
            let entered_by_read = index > 0 && full[index - 1].1 == Edge::ReadFrom;
            if index == 0 || index == last || edge == Edge::ReadFrom || entered_by_read {
                path.push((node, edge));
            }
        }
        path
    }

    /// ThinAirRead and CyclicCO were ruled out by `build`; WriteCOInitRead, WriteCORead.
    fn cc_patterns(&self, steps: &mut Steps) -> Result<Option<Finding>, Exhausted> {
        for node in 0..self.nodes.len() as u32 {
            let op = self.op(node);
            let Kind::Read(value) = op.kind else {
                continue;
            };
            let writes = &self.writes[op.key as usize];
            if !steps.charge(writes.len() as u64 / 16 + 1) {
                return Err(Exhausted);
            }
            if value == NIL {
                for (&chain, chain_writes) in writes {
                    let (_, write) = chain_writes[0];
                    if self.clocks[node as usize * self.chains + chain as usize]
                        > self.position[write as usize]
                    {
                        return Ok(Some(Finding::WriteCoInitRead {
                            path: self.co_path(write, node),
                        }));
                    }
                }
                continue;
            }
            let first = self.source[node as usize];
            for &chain in writes.keys() {
                let Some(second) = self.latest_write_before(op.key, chain, node) else {
                    continue;
                };
                if second != first && self.co_lt(first, second) {
                    return Ok(Some(Finding::WriteCoRead {
                        first_path: self.co_path(first, second),
                        second_path: self.co_path(second, node),
                    }));
                }
            }
        }
        Ok(None)
    }

    /// CyclicCF: CO ∪ CF has a cycle.
    fn cyclic_cf(&self, steps: &mut Steps) -> Result<Option<Finding>, Exhausted> {
        let count = self.nodes.len();
        let mut conflicts: Vec<Vec<(u32, Edge)>> = vec![Vec::new(); count];
        for node in 0..count as u32 {
            let op = self.op(node);
            let Kind::Read(value) = op.kind else {
                continue;
            };
            if value == NIL {
                continue;
            }
            let second = self.source[node as usize];
            let writes = &self.writes[op.key as usize];
            if !steps.charge(writes.len() as u64 / 16 + 1) {
                return Err(Exhausted);
            }
            // Earlier writes of a chain reach `second` through the latest one, so the
            // latest write per chain is enough.
            for &chain in writes.keys() {
                if let Some(first) = self.latest_write_before(op.key, chain, node) {
                    if first != second && !self.co_lt(first, second) {
                        conflicts[second as usize].push((first, Edge::Conflict { read: node }));
                    }
                }
            }
        }
        let preds = |node: u32| {
            self.co_preds(node)
                .chain(conflicts[node as usize].iter().copied())
                .collect::<Vec<_>>()
        };
        Ok(kahn_cycle(count, &preds, steps)?.map(|cycle| Finding::CyclicCf { cycle }))
    }

    /// WriteHBInitRead and CyclicHB, one process at a time.
    fn cm_patterns(&self, steps: &mut Steps) -> Result<Option<Finding>, Exhausted> {
        let mut process_chains: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for node in 0..self.nodes.len() as u32 {
            let op = self.op(node);
            if op.determinate && !op.free {
                process_chains
                    .entry(self.chain[node as usize])
                    .or_default()
                    .push(node);
            }
        }
        for members in process_chains.values() {
            let last = *members
                .iter()
                .max_by_key(|&&node| self.position[node as usize])
                .expect("a chain has members");
            if let Some(finding) = self.happens_before(last, members, steps)? {
                return Ok(Some(finding));
            }
        }
        Ok(None)
    }

    /// The happens-before of the process whose last operation is `last`.
    fn happens_before(
        &self,
        last: u32,
        members: &[u32],
        steps: &mut Steps,
    ) -> Result<Option<Finding>, Exhausted> {
        let past: Vec<u32> = self
            .topological
            .iter()
            .copied()
            .filter(|&node| self.co_le(node, last))
            .collect();
        let size = past.len();
        let mut local = vec![NONE; self.nodes.len()];
        for (at, &node) in past.iter().enumerate() {
            local[node as usize] = at as u32;
        }
        let words = size.div_ceil(64);
        let mut extra: Vec<Vec<(u32, Edge)>> = vec![Vec::new(); size];
        let reads: Vec<u32> = members
            .iter()
            .copied()
            .filter(|&node| matches!(self.op(node).kind, Kind::Read(_)))
            .collect();
        loop {
            let preds = |at: u32| -> Vec<(u32, Edge)> {
                self.co_preds(past[at as usize])
                    .map(|(pred, edge)| (local[pred as usize], edge))
                    .chain(extra[at as usize].iter().copied())
                    .collect()
            };
            let order = match kahn_order(size, &preds, steps)? {
                Ok(order) => order,
                Err(cycle) => {
                    let cycle = cycle
                        .into_iter()
                        .map(|(at, edge)| (past[at as usize], globalise(edge, &past)))
                        .collect();
                    return Ok(Some(Finding::CyclicHb { cycle }));
                }
            };
            if !steps.charge((size * words) as u64 / 32 + 1) {
                return Err(Exhausted);
            }
            let mut ancestors = vec![0u64; size * words];
            for &at in &order {
                for (pred, _) in preds(at) {
                    let (from, to) = (pred as usize * words, at as usize * words);
                    for word in 0..words {
                        ancestors[to + word] |= ancestors[from + word];
                    }
                    ancestors[to + pred as usize / 64] |= 1 << (pred % 64);
                }
            }
            let has = |ancestors: &[u64], at: u32, of: u32| {
                ancestors[at as usize * words + of as usize / 64] & (1 << (of % 64)) != 0
            };
            let mut added = false;
            for &read in &reads {
                let at = local[read as usize];
                let op = self.op(read);
                let Kind::Read(value) = op.kind else { continue };
                let second = self.source[read as usize];
                let writes = self.writes[op.key as usize].values().flatten();
                for &(_, write) in writes {
                    let write_at = local[write as usize];
                    if write_at == NONE || write == second || !has(&ancestors, at, write_at) {
                        continue;
                    }
                    if value == NIL {
                        let support = past
                            .iter()
                            .copied()
                            .filter(|&node| has(&ancestors, at, local[node as usize]))
                            .collect();
                        return Ok(Some(Finding::WriteHbInitRead {
                            write,
                            read,
                            support,
                        }));
                    }
                    let second_at = local[second as usize];
                    if !has(&ancestors, second_at, write_at) {
                        extra[second_at as usize]
                            .push((write_at, Edge::HappensBefore { read: at }));
                        added = true;
                    }
                }
                if !steps.charge(1) {
                    return Err(Exhausted);
                }
            }
            if !added {
                return Ok(None);
            }
        }
    }
}

/// Maps a local edge's read back to a node.
fn globalise(edge: Edge, past: &[u32]) -> Edge {
    match edge {
        Edge::HappensBefore { read } => Edge::HappensBefore {
            read: past[read as usize],
        },
        other => other,
    }
}

/// A topological order of `count` nodes, or a cycle.
#[allow(
    clippy::type_complexity,
    reason = "an order or a cycle, under a budget"
)]
fn kahn_order(
    count: usize,
    preds: &dyn Fn(u32) -> Vec<(u32, Edge)>,
    steps: &mut Steps,
) -> Result<Result<Vec<u32>, Vec<(u32, Edge)>>, Exhausted> {
    let mut successors: Vec<Vec<u32>> = vec![Vec::new(); count];
    let mut indegree = vec![0u32; count];
    for node in 0..count as u32 {
        for (pred, _) in preds(node) {
            successors[pred as usize].push(node);
            indegree[node as usize] += 1;
        }
    }
    if !steps.charge(count as u64 + 1) {
        return Err(Exhausted);
    }
    let mut ready: VecDeque<u32> = (0..count as u32)
        .filter(|&node| indegree[node as usize] == 0)
        .collect();
    let mut order = Vec::with_capacity(count);
    while let Some(node) = ready.pop_front() {
        order.push(node);
        for &next in &successors[node as usize] {
            indegree[next as usize] -= 1;
            if indegree[next as usize] == 0 {
                ready.push_back(next);
            }
        }
    }
    if order.len() == count {
        return Ok(Ok(order));
    }
    let remaining: Vec<bool> = indegree.iter().map(|&degree| degree > 0).collect();
    let start = remaining
        .iter()
        .position(|&left| left)
        .expect("a node is left") as u32;
    Ok(Err(find_cycle(start, &remaining, preds)))
}

fn kahn_cycle(
    count: usize,
    preds: &dyn Fn(u32) -> Vec<(u32, Edge)>,
    steps: &mut Steps,
) -> Result<Option<Vec<(u32, Edge)>>, Exhausted> {
    Ok(kahn_order(count, preds, steps)?.err())
}

/// Walks predecessors among `remaining` nodes (each has one there) until a node repeats;
/// returns the cycle in forward order, each node with the edge that leaves it.
fn find_cycle<I>(start: u32, remaining: &[bool], preds: impl Fn(u32) -> I) -> Vec<(u32, Edge)>
where
    I: IntoIterator<Item = (u32, Edge)>,
{
    let mut walk: Vec<(u32, Edge)> = Vec::new();
    let mut seen_at = BTreeMap::new();
    let mut node = start;
    loop {
        if let Some(&at) = seen_at.get(&node) {
            // walk[i] = (node, edge from walk[i + 1] into it): reverse to go forward.
            let cycle: Vec<(u32, Edge)> = walk[at..]
                .iter()
                .rev()
                .map(|&(pred, edge)| (pred, edge))
                .collect();
            return cycle;
        }
        seen_at.insert(node, walk.len());
        let (pred, edge) = preds(node)
            .into_iter()
            .find(|&(pred, _)| remaining[pred as usize])
            .expect("a node left by Kahn's algorithm has a predecessor left too");
        // Record the predecessor with the edge it takes into `node`.
        walk.push((pred, edge));
        node = pred;
    }
}

/// Tells the finding as sentences.
fn narrate(finding: &Finding, graph: &Graph, describe: &Describe) -> String {
    let op = |node: u32| graph.op(node);
    match finding {
        Finding::ThinAirRead { read } => format!(
            "{} read {}, but no operation ever wrote {} to {} (ThinAirRead: a value out of thin air).",
            describe.process(op(*read)),
            describe.assign_op(op(*read)),
            describe.value_of_op(op(*read)),
            describe.key_name(op(*read)),
        ),
        Finding::WriteCoInitRead { path } => {
            let read = op(path.last().expect("a path has an end").0);
            format!(
                "{} read {}, yet a write to {} causally precedes that read: {}. Once a write is visible to a process, the initial value cannot come back (WriteCOInitRead).",
                describe.process(read),
                describe.assign_op(read),
                describe.key_name(read),
                narrate_path(path, graph, describe),
            )
        }
        Finding::WriteCoRead {
            first_path,
            second_path,
        } => {
            let second = op(second_path[0].0);
            let read = op(second_path.last().expect("a path has an end").0);
            format!(
                "{} read {}, but that value had been causally overwritten by {} before the read: {}; {}. A causally consistent store cannot return a value older than one the reader has already seen (WriteCORead).",
                describe.process(read),
                describe.assign_op(read),
                describe.noun(second),
                narrate_path(first_path, graph, describe),
                narrate_path(second_path, graph, describe),
            )
        }
        Finding::CyclicCo { cycle } => format!(
            "The causal order has a cycle: {}, and so on around. Each of these operations would have to happen before itself (CyclicCO).",
            narrate_cycle(cycle, graph, describe)
        ),
        Finding::CyclicCf { cycle } => format!(
            "The writes cannot be put in one order that every process agrees on: {}. Causal convergence needs a single order of conflicting writes (CyclicCF).",
            narrate_cycle(cycle, graph, describe)
        ),
        Finding::WriteHbInitRead { write, read, .. } => format!(
            "{} read {}, although by its own earlier reads it had already seen {} (WriteHBInitRead: causal memory lets no process go back to the initial value).",
            describe.process(op(*read)),
            describe.assign_op(op(*read)),
            describe.noun(op(*write)),
        ),
        Finding::CyclicHb { cycle } => format!(
            "The reads of one process force an order of writes that contradicts itself: {} (CyclicHB: in causal memory a process never changes its mind about the order of writes it has seen).",
            narrate_cycle(cycle, graph, describe)
        ),
    }
}

/// "process 0 wrote x = 1, then wrote y = 1; process 1 read y = 1, then read x = nil".
fn narrate_path(path: &[(u32, Edge)], graph: &Graph, describe: &Describe) -> String {
    let mut text = String::new();
    let mut previous: Option<u64> = None;
    for &(node, _) in path {
        let op = graph.op(node);
        match previous {
            Some(process) if process == op.process => text.push_str(", then "),
            Some(_) => {
                text.push_str("; ");
                text.push_str(&describe.process(op).to_lowercase());
                text.push(' ');
            }
            None => {
                text.push_str(&describe.process(op).to_lowercase());
                text.push(' ');
            }
        }
        text.push_str(&describe.action(op));
        previous = Some(op.process);
    }
    text
}

fn narrate_cycle(cycle: &[(u32, Edge)], graph: &Graph, describe: &Describe) -> String {
    let mut parts = Vec::new();
    for (index, &(node, edge)) in cycle.iter().enumerate() {
        let next = cycle[(index + 1) % cycle.len()].0;
        let (from, to) = (graph.op(node), graph.op(next));
        parts.push(match edge {
            Edge::Program => format!(
                "{} {}, then {}",
                describe.process(from).to_lowercase(),
                describe.action(from),
                describe.action(to)
            ),
            Edge::ReadFrom => format!(
                "{} read what {} wrote",
                describe.process(to).to_lowercase(),
                describe.process(from).to_lowercase()
            ),
            Edge::Conflict { read } | Edge::HappensBefore { read } => {
                let reader = graph.op(read);
                format!(
                    "{} must come before {} because {} read {} after it had (causally) seen {}",
                    describe.assign_op(from),
                    describe.assign_op(to),
                    describe.process(reader).to_lowercase(),
                    describe.assign_op(to),
                    describe.assign_op(from)
                )
            }
        });
    }
    parts.join("; ")
}

impl Search {
    fn from_violation(violated: bool) -> Search {
        if violated {
            Search::Violation
        } else {
            Search::Valid
        }
    }
}
