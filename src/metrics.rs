//! Metrics of a run over virtual time: the figures the charts under the stage draw, in
//! time buckets, and the charts' geometry in SVG units.
//!
//! Plain Rust with no browser types, tested natively. [`MetricsTracker`] keeps what is
//! costly to recount between the page's refreshes (message sends) and hands
//! back a [`MetricSeries`]: per bucket, availability, latency percentiles per operation
//! type, throughput, stale reads and messages per operation, with `None` where a bucket
//! has nothing to measure. [`charts`] names what each chart shows, and [`plot`] lays one
//! out: scales, round ticks with units, polylines broken at gaps, fault bands, violations
//! and the cursor.

use crate::lane::{family, is_instant};
use dsplay_sim::fault::{FaultKindSpec, FaultSpec};
use dsplay_sim::history::{stale_reads, Operation, Outcome};
use dsplay_sim::report::VerdictSummary;
use dsplay_sim::{Engine, NodeKind, Scenario, Time, TraceEvent};
use std::fmt::Write as _;
use std::rc::Rc;

/// Operation types in the order their latency charts appear.
pub const OP_KINDS: [&str; 3] = ["read", "write", "cas"];

/// A run gets about this many buckets: enough to show a dip that lasts a second in a
/// 20 s run, few enough that each bucket holds several operations of a typical workload.
const BUCKETS_AIMED: f64 = 80.0;

/// The time buckets a run's figures are counted in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Buckets {
    /// Every bucket is this wide: a round number of milliseconds (1, 2, 2.5 or 5 times a
    /// power of ten), so bucket boundaries read well on the time axis.
    pub width_us: u64,
    /// How many buckets cover the whole run.
    pub total: usize,
    /// The run's length (the last bucket may end after it).
    pub duration: Time,
}

impl Buckets {
    /// The round bucket width nearest to a run's duration over [`BUCKETS_AIMED`], which
    /// gives between about 55 and 115 buckets (250 ms for a 20 s run).
    pub fn for_duration(duration: Time) -> Buckets {
        let aimed_ms = (duration.as_ms_f64() / BUCKETS_AIMED).max(1.0);
        let width_us = (nice_nearest(aimed_ms) * 1_000.0).round() as u64;
        let total = duration.as_us().div_ceil(width_us).max(1) as usize;
        Buckets {
            width_us,
            total,
            duration,
        }
    }

    pub fn width_ms(&self) -> f64 {
        self.width_us as f64 / 1_000.0
    }

    /// The bucket `time` falls in; the run's very last instant counts in the last bucket.
    pub fn index(&self, time: Time) -> usize {
        ((time.as_us() / self.width_us) as usize).min(self.total - 1)
    }

    /// How many buckets have begun before `cursor`: the ones that have figures so far.
    pub fn begun_before(&self, cursor: Time) -> usize {
        (cursor.as_us().div_ceil(self.width_us) as usize).min(self.total)
    }

    pub fn start(&self, index: usize) -> Time {
        Time::from_us(index as u64 * self.width_us)
    }
}

/// The number of the form 1, 2, 2.5 or 5 times a power of ten nearest to `value` (> 0),
/// by ratio, so that neither neighbour is more than √2 away: a bucket width.
pub fn nice_nearest(value: f64) -> f64 {
    let value = positive_or_one(value);
    nice_candidates(value, &[1.0, 2.0, 2.5, 5.0, 10.0])
        .into_iter()
        .min_by(|a, b| (a / value).ln().abs().total_cmp(&(b / value).ln().abs()))
        .unwrap_or(1.0)
}

/// The smallest number of the form 1, 2 or 5 times a power of ten at or above `value`
/// (> 0): a tick step. Steps of 2.5 are left out: their ticks need a decimal more.
pub fn nice_at_least(value: f64) -> f64 {
    let value = positive_or_one(value);
    nice_candidates(value, &[1.0, 2.0, 5.0, 10.0])
        .into_iter()
        .filter(|candidate| *candidate >= value * (1.0 - 1e-9))
        .fold(f64::INFINITY, f64::min)
}

fn positive_or_one(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        1.0
    }
}

fn nice_candidates(value: f64, mantissas: &[f64]) -> Vec<f64> {
    let power = 10f64.powi(value.log10().floor() as i32);
    mantissas.iter().map(|mantissa| mantissa * power).collect()
}

/// A scheduled fault as the charts shade it.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultInterval {
    /// A few words, e.g. `partition`, `crash r2`, `cut n1–n3`.
    pub label: String,
    /// The fault's kind as scenario files name it (`partition`, `crash`, `cut_link`).
    pub kind: &'static str,
    /// What it acts on, coloured as in the fault lane: `node`, `link` or `heal`.
    pub family: &'static str,
    pub start_ms: f64,
    /// When it ends: its `until_ms`, or the quiet period or a scheduled heal-all that
    /// ends it first, or the end of the run. `None` for an instant (restart, heal).
    pub end_ms: Option<f64>,
    /// Which line of labels it takes, so labels of overlapping faults stay apart.
    pub row: usize,
}

/// Labels of overlapping faults stack in at most this many lines.
const LABEL_ROWS: usize = 3;

/// The fault schedule of `scenario` as bands over a run of `duration_ms`.
///
/// A fault with no `until_ms` lasts until something heals it: a scheduled heal-all, the
/// quiet period that scenarios with clients end with (every fault but a fail-stop heals
/// then), or the end of the run. Restarts and heals have only a beginning: they are
/// instants. The faults a scenario's fault profile draws for its seed are included, as
/// the run applies them.
pub fn fault_intervals(scenario: &Scenario) -> Vec<FaultInterval> {
    let run = dsplay_sim::sweep::scenario_for_seed(scenario, scenario.seed);
    let duration_ms = run.duration_ms.max(0.0);
    let mut heals_ms: Vec<f64> = run
        .faults
        .iter()
        .filter(|fault| matches!(fault.fault, FaultKindSpec::HealAll {}))
        .map(|fault| fault.at_ms)
        .chain(quiet_from_ms(&run))
        .collect();
    heals_ms.sort_by(f64::total_cmp);
    let mut intervals: Vec<FaultInterval> = run
        .faults
        .iter()
        .map(|fault| {
            let end_ms = (!is_instant(&fault.fault)).then(|| {
                let healed_ms = match fault.fault {
                    FaultKindSpec::FailStop { .. } => None,
                    _ => heals_ms.iter().copied().find(|&heal| heal > fault.at_ms),
                };
                fault
                    .until_ms
                    .unwrap_or(duration_ms)
                    .min(healed_ms.unwrap_or(f64::INFINITY))
                    .min(duration_ms)
                    .max(fault.at_ms)
            });
            FaultInterval {
                label: short_label(&fault.fault),
                kind: kind_name(&fault.fault),
                family: family(&fault.fault),
                start_ms: fault.at_ms,
                end_ms,
                row: 0,
            }
        })
        .collect();
    assign_label_rows(&mut intervals, duration_ms);
    intervals
}

/// When the quiet period begins (workloads stop, faults heal), for scenarios with clients.
pub fn quiet_from_ms(scenario: &Scenario) -> Option<f64> {
    let has_clients = scenario
        .nodes
        .iter()
        .any(|node| node.kind == NodeKind::Client);
    has_clients
        .then(|| scenario.duration_ms - scenario.quiet_ms.clamp(0.0, scenario.duration_ms.max(0.0)))
}

/// Greedy rows by start: a label goes in the first row whose last fault has ended. An
/// instant holds its row for a short while, as its label does.
fn assign_label_rows(intervals: &mut [FaultInterval], duration_ms: f64) {
    let instant_ms = duration_ms * 0.08;
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by(|&a, &b| intervals[a].start_ms.total_cmp(&intervals[b].start_ms));
    let mut row_ends_ms: Vec<f64> = Vec::new();
    for index in order {
        let interval = &mut intervals[index];
        let end_ms = interval
            .end_ms
            .unwrap_or(interval.start_ms + instant_ms)
            .max(interval.start_ms + instant_ms);
        let row = row_ends_ms
            .iter()
            .position(|&row_end| row_end <= interval.start_ms)
            .unwrap_or_else(|| {
                row_ends_ms.push(0.0);
                row_ends_ms.len() - 1
            });
        row_ends_ms[row] = end_ms;
        interval.row = row % LABEL_ROWS;
    }
}

fn kind_name(fault: &FaultKindSpec) -> &'static str {
    match fault {
        FaultKindSpec::Crash { .. } => "crash",
        FaultKindSpec::FailStop { .. } => "fail_stop",
        FaultKindSpec::Restart { .. } => "restart",
        FaultKindSpec::Omission { .. } => "omission",
        FaultKindSpec::Slow { .. } => "slow",
        FaultKindSpec::ClockSkew { .. } => "clock_skew",
        FaultKindSpec::Byzantine { .. } => "byzantine",
        FaultKindSpec::CutLink { .. } => "cut_link",
        FaultKindSpec::Partition { .. } => "partition",
        FaultKindSpec::HealAll {} => "heal_all",
        FaultKindSpec::HealLink { .. } => "heal_link",
        FaultKindSpec::LinkChange { .. } => "link_change",
    }
}

/// The few words a band is labelled with.
fn short_label(fault: &FaultKindSpec) -> String {
    match fault {
        FaultKindSpec::Crash { node } => format!("crash {node}"),
        FaultKindSpec::FailStop { node } => format!("fail-stop {node}"),
        FaultKindSpec::Restart { node } => format!("restart {node}"),
        FaultKindSpec::Omission { node, .. } => format!("omission {node}"),
        FaultKindSpec::Slow { node, .. } => format!("slow {node}"),
        FaultKindSpec::ClockSkew { node, .. } => format!("clock skew {node}"),
        FaultKindSpec::Byzantine { node, .. } => format!("byzantine {node}"),
        FaultKindSpec::CutLink { a, b, .. } => format!("cut {a}–{b}"),
        FaultKindSpec::Partition { .. } => "partition".to_string(),
        FaultKindSpec::HealAll {} => "heal all".to_string(),
        FaultKindSpec::HealLink { a, b } => format!("heal {a}–{b}"),
        FaultKindSpec::LinkChange { a, b, .. } => format!("link {a}–{b} changed"),
    }
}

/// Latency percentiles of one operation type, per bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencySeries {
    /// `read`, `write` or `cas`.
    pub op: &'static str,
    pub p50_ms: Vec<Option<f64>>,
    pub p95_ms: Vec<Option<f64>>,
    pub p99_ms: Vec<Option<f64>>,
}

/// A run's figures per time bucket, from the start up to the cursor. Every vector has one
/// entry per bucket begun so far; `None` is a gap (nothing to measure in that bucket),
/// which a chart leaves blank rather than drawing as zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricSeries {
    pub bucket_ms: f64,
    /// The whole run: the time axis spans it, so the charts fill up as the run plays.
    pub duration_ms: f64,
    /// The cursor the figures were counted up to; the last bucket may end after it.
    pub until_ms: f64,
    /// Of client operations completing in the bucket (final reads excluded), the share
    /// that succeeded; `None` when none completed.
    pub availability_percent: Vec<Option<f64>>,
    /// One per operation type the workloads issue or the history holds, in [`OP_KINDS`]
    /// order: percentiles of the successful operations completing in the bucket.
    pub latency: Vec<LatencySeries>,
    /// Successful operations completing in the bucket per second of it (a bucket still
    /// under way counts only the part before the cursor).
    pub throughput_per_s: Vec<Option<f64>>,
    /// Stale reads (see `dsplay_sim::history::is_stale`) among successful reads
    /// completing in the bucket; `None` when no read succeeded.
    pub stale_read_percent: Vec<Option<f64>>,
    /// Messages sent in the bucket over operations invoked in it; `None` when none was.
    pub messages_per_op: Vec<Option<f64>>,
    pub faults: Vec<FaultInterval>,
    /// When the quiet period begins, if the run has one: new operations stop there.
    pub quiet_from_ms: Option<f64>,
}

impl MetricSeries {
    /// How many buckets have figures.
    pub fn bucket_count(&self) -> usize {
        self.availability_percent.len()
    }

    /// Where bucket `index` starts and ends, in milliseconds (the last one ends at the
    /// cursor if that comes first).
    pub fn bucket_span_ms(&self, index: usize) -> (f64, f64) {
        let start_ms = index as f64 * self.bucket_ms;
        let end_ms = (start_ms + self.bucket_ms)
            .min(self.duration_ms)
            .min(self.until_ms.max(start_ms));
        (start_ms, end_ms)
    }
}

/// What the figures of a run are computed from: its operations, which reads are stale,
/// and how many messages each bucket's sends count.
#[derive(Debug)]
pub struct Counts<'a> {
    pub operations: &'a [Operation],
    /// Whether each operation (position by position) is a stale read.
    pub stale: &'a [bool],
    /// Messages sent per bucket.
    pub sends: &'a [u64],
    /// Operation types to give latency series, besides those the history holds.
    pub op_kinds: &'a [&'static str],
}

/// What one bucket collects before it becomes figures.
#[derive(Clone, Debug, Default)]
struct Tally {
    completed: u32,
    ok: u32,
    invoked: u32,
    reads_ok: u32,
    reads_stale: u32,
    /// Latencies of successful operations in microseconds, per [`OP_KINDS`] entry.
    latency_us: [Vec<u64>; 3],
}

/// The figures of a run up to `cursor`, bucket by bucket.
pub fn compute(counts: &Counts<'_>, buckets: Buckets, cursor: Time) -> MetricSeries {
    let begun = buckets.begun_before(cursor);
    let mut tallies = vec![Tally::default(); begun];
    let mut kinds_seen = OP_KINDS.map(|kind| counts.op_kinds.contains(&kind));
    for (position, op) in counts.operations.iter().enumerate() {
        if op.final_read {
            continue;
        }
        let kind = kind_index(op.op.name());
        kinds_seen[kind] = true;
        if op.invoke < cursor {
            tallies[buckets.index(op.invoke)].invoked += 1;
        }
        let Some((done, outcome)) = &op.complete else {
            continue;
        };
        // A completion at the cursor itself may fall in a bucket that has not begun (a
        // cursor on a bucket's edge); the next refresh counts it.
        if *done >= cursor && begun < buckets.total {
            continue;
        }
        let tally = &mut tallies[buckets.index(*done).min(begun - 1)];
        tally.completed += 1;
        if let Outcome::Ok(_) = outcome {
            tally.ok += 1;
            tally.latency_us[kind].push(done.since_us(op.invoke));
            if op.read_value().is_some() {
                tally.reads_ok += 1;
                if counts.stale.get(position).copied().unwrap_or(false) {
                    tally.reads_stale += 1;
                }
            }
        }
    }
    let mut series = MetricSeries {
        bucket_ms: buckets.width_ms(),
        duration_ms: buckets.duration.as_ms_f64(),
        until_ms: cursor.as_ms_f64(),
        ..MetricSeries::default()
    };
    series.latency = OP_KINDS
        .iter()
        .zip(kinds_seen)
        .filter(|(_, seen)| *seen)
        .map(|(&op, _)| LatencySeries {
            op,
            ..LatencySeries::default()
        })
        .collect();
    for (index, tally) in tallies.iter_mut().enumerate() {
        let covered_s = cursor
            .min(buckets.start(index + 1))
            .since_us(buckets.start(index)) as f64
            / 1_000_000.0;
        series
            .availability_percent
            .push(ratio(tally.ok, tally.completed).map(|share| share * 100.0));
        series
            .throughput_per_s
            .push((covered_s > 0.0).then(|| f64::from(tally.ok) / covered_s));
        series
            .stale_read_percent
            .push(ratio(tally.reads_stale, tally.reads_ok).map(|share| share * 100.0));
        let sent = counts.sends.get(index).copied().unwrap_or(0);
        series
            .messages_per_op
            .push((tally.invoked > 0).then(|| sent as f64 / f64::from(tally.invoked)));
        for latency in &mut series.latency {
            let values = &mut tally.latency_us[kind_index(latency.op)];
            values.sort_unstable();
            let at = |fraction| percentile_ms(values, fraction);
            latency.p50_ms.push(at(0.5));
            latency.p95_ms.push(at(0.95));
            latency.p99_ms.push(at(0.99));
        }
    }
    series
}

fn kind_index(name: &str) -> usize {
    OP_KINDS.iter().position(|&kind| kind == name).unwrap_or(0)
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds: the same definition
/// the run summary uses (`dsplay_sim::history::metrics`), so the figures agree.
fn percentile_ms(sorted_us: &[u64], fraction: f64) -> Option<f64> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = (fraction * sorted_us.len() as f64).ceil() as usize;
    Some(sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1_000.0)
}

/// Operation types a scenario's workloads issue (a type with weight and a rate above 0).
pub fn workload_op_kinds(scenario: &Scenario) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    for workload in scenario
        .nodes
        .iter()
        .filter_map(|node| node.workload.as_ref())
        .filter(|workload| workload.rate_per_s > 0.0)
    {
        for (kind, weight) in OP_KINDS
            .iter()
            .zip([workload.read, workload.write, workload.cas])
        {
            if weight > 0.0 && !kinds.contains(kind) {
                kinds.push(*kind);
            }
        }
    }
    kinds
}

/// Keeps a run's figures up to date between refreshes, cheaply.
///
/// Operations are few (thousands at most) and are bucketed afresh on every update (stale
/// reads too, in O(n log n) by `stale_reads`), but the trace may hold hundreds of
/// thousands of events, so sends are counted only once: the tracker remembers how much
/// of the trace it has read. A trace that got shorter, or whose last event read is no
/// longer where it was, belongs to a run that was rewound (a scrub back restores a
/// snapshot and cuts the trace) or rebuilt: then the sends are counted again.
#[derive(Debug, Default)]
pub struct MetricsTracker {
    buckets: Option<Buckets>,
    /// Sends per bucket among the first `trace_read` events of the trace.
    sends: Vec<u64>,
    trace_read: usize,
    /// The last event counted, to recognise the same run at the next update.
    last_read: Option<TraceEvent>,
    /// What the bands were made from, to redo them only when that changes.
    faults_of: Option<FaultsKey>,
    faults: Vec<FaultInterval>,
    quiet_from_ms: Option<f64>,
    /// When each operation (by index) completed, or was invoked if it has not.
    op_moments: Vec<Time>,
    /// What the latest series was counted from: trace length, history length, cursor.
    counted_at: Option<(usize, usize, Time)>,
    latest: Rc<MetricSeries>,
}

impl MetricsTracker {
    /// The figures of the run `engine` is playing, up to `cursor`. Hands back the same
    /// series (the same `Rc`) when nothing changed since the last call.
    pub fn update(
        &mut self,
        engine: &dyn Engine,
        scenario: &Scenario,
        cursor: Time,
    ) -> Rc<MetricSeries> {
        let buckets = Buckets::for_duration(engine.duration());
        // Positions count from the run's first event; a long run's player keeps only the
        // recent trace (sends let go before they were read go uncounted).
        let total = engine.trace_end();
        let same_run = self.buckets == Some(buckets)
            && total >= self.trace_read
            && (self.trace_read == 0
                || engine.trace_event(self.trace_read - 1) == self.last_read.as_ref());
        if !same_run {
            *self = MetricsTracker {
                buckets: Some(buckets),
                sends: vec![0; buckets.total],
                faults_of: self.faults_of.take(),
                faults: std::mem::take(&mut self.faults),
                quiet_from_ms: self.quiet_from_ms,
                ..MetricsTracker::default()
            };
        }
        for event in engine.trace_since(self.trace_read) {
            if let TraceEvent::Sent { time, .. } = event {
                self.sends[buckets.index(*time)] += 1;
            }
        }
        self.trace_read = total;
        self.last_read = engine.trace().last().copied();
        let faults_changed = self.refresh_faults(scenario);
        let counted_at = (total, engine.history_log().len(), cursor);
        if same_run && !faults_changed && self.counted_at == Some(counted_at) {
            return self.latest.clone();
        }
        let operations = engine.operations();
        self.op_moments = operations
            .iter()
            .map(|op| op.complete.as_ref().map_or(op.invoke, |(done, _)| *done))
            .collect();
        let mut series = compute(
            &Counts {
                operations: &operations,
                stale: &stale_reads(&operations),
                sends: &self.sends,
                op_kinds: &workload_op_kinds(scenario),
            },
            buckets,
            cursor,
        );
        series.faults = self.faults.clone();
        series.quiet_from_ms = self.quiet_from_ms;
        self.counted_at = Some(counted_at);
        self.latest = Rc::new(series);
        self.latest.clone()
    }

    /// Redoes the fault bands if the schedule (or what it depends on) changed.
    fn refresh_faults(&mut self, scenario: &Scenario) -> bool {
        let drawn_from = FaultsKey {
            faults: scenario.faults.clone(),
            profile: scenario.fault_profile.clone(),
            seed: scenario.seed,
            duration_ms: scenario.duration_ms,
            quiet_from_ms: quiet_from_ms(scenario),
        };
        if self.faults_of.as_ref() == Some(&drawn_from) {
            return false;
        }
        self.faults = fault_intervals(scenario);
        self.quiet_from_ms = quiet_from_ms(scenario);
        self.faults_of = Some(drawn_from);
        true
    }

    /// When the checker's verdict shows the guarantee broken: the moment the last of the
    /// operations it names completed (or was invoked, for one still unanswered), which is
    /// when the history first held the violation. Empty when the verdict holds.
    pub fn violations_ms(&self, verdict: Option<&VerdictSummary>) -> Vec<f64> {
        violation_moments_ms(verdict, &self.op_moments)
    }
}

/// Everything a run's fault bands depend on: its schedule, the faults a profile draws
/// for its seed, its length and its quiet period.
#[derive(Clone, Debug, PartialEq)]
struct FaultsKey {
    faults: Vec<FaultSpec>,
    profile: Option<dsplay_sim::sweep::FaultProfile>,
    seed: u64,
    duration_ms: f64,
    quiet_from_ms: Option<f64>,
}

/// See [`MetricsTracker::violations_ms`]; `op_moments` by operation index.
pub fn violation_moments_ms(verdict: Option<&VerdictSummary>, op_moments: &[Time]) -> Vec<f64> {
    let Some(verdict) = verdict.filter(|verdict| verdict.valid == Some(false)) else {
        return Vec::new();
    };
    verdict
        .ops
        .iter()
        .filter_map(|&index| op_moments.get(index as usize))
        .max()
        .map(|moment| vec![moment.as_ms_f64()])
        .unwrap_or_default()
}

/// The unit a chart's values are in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    Percent,
    Milliseconds,
    PerSecond,
    /// Messages per operation: a ratio.
    PerOperation,
    Count,
}

impl Unit {
    /// The unit as a caption writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Milliseconds => "ms",
            Unit::PerSecond => "ops/s",
            Unit::PerOperation => "msgs/op",
            Unit::Count => "",
        }
    }

    /// A value for reading: `87.5 %`, `12 ms`, `4.2 ms`, `14 ops/s`, `0 ops/s`.
    pub fn format(self, value: f64) -> String {
        let decimals = match self {
            Unit::Count => 0,
            _ if value.abs() >= 100.0 => 0,
            Unit::Milliseconds | Unit::PerSecond if value.abs() >= 10.0 => 0,
            _ => 1,
        };
        let number = trimmed(value, decimals);
        match self {
            Unit::Count => number,
            _ => format!("{number} {}", self.symbol()),
        }
    }

    /// A tick label, short enough for the axis: `100 %`, `40 ms`, `12/s`, `0.5`.
    fn tick(self, value: f64, step: f64) -> String {
        let number = trimmed(value, decimals_for(step));
        match self {
            Unit::Percent => format!("{number} %"),
            Unit::Milliseconds => format!("{number} ms"),
            Unit::PerSecond => format!("{number}/s"),
            Unit::PerOperation | Unit::Count => number,
        }
    }
}

/// How many decimals a multiple of `step` needs (0.25 needs 2, 2.5 needs 1, 5 none).
fn decimals_for(step: f64) -> usize {
    (0..4)
        .find(|&decimals| {
            let scaled = step * 10f64.powi(decimals as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(3)
}

/// `value` with at most `decimals` decimals, without trailing zeros: `5`, `5.25`.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A moment for reading, in seconds to the millisecond: `5 s`, `5.25 s`, `9.125 s`.
pub fn time_label(ms: f64) -> String {
    format!("{} s", trimmed(ms / 1_000.0, 3))
}

/// A length of time for reading: `250 ms` under a second, `2.5 s` from one on.
pub fn duration_label(ms: f64) -> String {
    if ms < 1_000.0 {
        format!("{} ms", trimmed(ms, 3))
    } else {
        time_label(ms)
    }
}

/// A moment on the time axis: seconds once ticks are a second or more apart, otherwise
/// milliseconds (a run shorter than a few seconds).
fn time_tick(ms: f64, step_ms: f64) -> String {
    if step_ms >= 1_000.0 {
        format!(
            "{} s",
            trimmed(ms / 1_000.0, decimals_for(step_ms / 1_000.0))
        )
    } else {
        format!("{} ms", trimmed(ms, decimals_for(step_ms)))
    }
}

/// How one chart's lines are drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Straight lines between bucket midpoints, with a dot on each: for percentiles,
    /// whose buckets are often sparse.
    Line,
    /// Flat across each bucket, with a jump at its edge: a bucket's figure holds for the
    /// whole bucket, and a few operations per bucket would make a line zigzag.
    Steps,
}

/// Which end of a chart's range is the bad one, for the summary.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Worse {
    Lower,
    Higher,
}

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSpec<'a> {
    /// `value`, or `p50`, `p95`, `p99`: the line's CSS class and legend entry.
    pub name: &'static str,
    pub values: std::borrow::Cow<'a, [Option<f64>]>,
}

/// What one chart shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec<'a> {
    /// The figure's `data-chart`: `availability`, `latency`, `throughput`,
    /// `stale-reads`, `messages-per-op`, `violations`.
    pub id: &'static str,
    /// Unique among the charts (one latency chart per operation type).
    pub key: String,
    /// The operation type a latency chart is about.
    pub op: Option<&'static str>,
    pub title: String,
    /// One sentence on what is counted, for the caption.
    pub about: &'static str,
    pub unit: Unit,
    pub lines: Vec<LineSpec<'a>>,
    pub shape: Shape,
    /// Whether the area under the line is shaded, so that a dip reads as a notch.
    pub area: bool,
    /// A fixed top of the value axis (100 for percentages); otherwise it fits the data,
    /// and is at least `axis_min_top`.
    pub fixed_top: Option<f64>,
    pub axis_min_top: f64,
    pub worse: Worse,
    /// Said in the chart while it has nothing to draw.
    pub empty_note: &'static str,
}

/// The charts of a series, in the order the page shows them: availability, latency per
/// operation type, throughput, stale reads, messages per operation, and violations over
/// time when the checker has found any.
pub fn charts<'a>(series: &'a MetricSeries, violations_ms: &[f64]) -> Vec<ChartSpec<'a>> {
    let one = |name, values: &'a [Option<f64>]| {
        vec![LineSpec {
            name,
            values: values.into(),
        }]
    };
    let mut charts = vec![ChartSpec {
        id: "availability",
        key: "availability".into(),
        op: None,
        title: "Availability".into(),
        about: "Share of the operations completing in each bucket that succeeded.",
        unit: Unit::Percent,
        lines: one("value", &series.availability_percent),
        shape: Shape::Steps,
        area: true,
        fixed_top: Some(100.0),
        axis_min_top: 100.0,
        worse: Worse::Lower,
        empty_note: "No operation has completed yet",
    }];
    for latency in &series.latency {
        charts.push(ChartSpec {
            id: "latency",
            key: format!("latency-{}", latency.op),
            op: Some(latency.op),
            title: format!("Latency of {}", plural(latency.op)),
            about: "Percentiles of successful operations completing in each bucket.",
            unit: Unit::Milliseconds,
            lines: vec![
                LineSpec {
                    name: "p50",
                    values: latency.p50_ms.as_slice().into(),
                },
                LineSpec {
                    name: "p95",
                    values: latency.p95_ms.as_slice().into(),
                },
                LineSpec {
                    name: "p99",
                    values: latency.p99_ms.as_slice().into(),
                },
            ],
            shape: Shape::Line,
            area: false,
            fixed_top: None,
            axis_min_top: 10.0,
            worse: Worse::Higher,
            empty_note: "None has succeeded yet",
        });
    }
    charts.extend([
        ChartSpec {
            id: "throughput",
            key: "throughput".into(),
            op: None,
            title: "Throughput".into(),
            about: "Successful operations per second.",
            unit: Unit::PerSecond,
            lines: one("value", &series.throughput_per_s),
            shape: Shape::Steps,
            area: true,
            fixed_top: None,
            axis_min_top: 1.0,
            worse: Worse::Lower,
            empty_note: "The run has not started",
        },
        ChartSpec {
            id: "stale-reads",
            key: "stale-reads".into(),
            op: None,
            title: "Stale reads".into(),
            about: "Share of successful reads that missed a write completed before they began.",
            unit: Unit::Percent,
            lines: one("value", &series.stale_read_percent),
            shape: Shape::Steps,
            area: true,
            fixed_top: Some(100.0),
            axis_min_top: 100.0,
            worse: Worse::Higher,
            empty_note: "No read has succeeded yet",
        },
        ChartSpec {
            id: "messages-per-op",
            key: "messages-per-op".into(),
            op: None,
            title: "Messages per operation".into(),
            about: "Messages sent in each bucket over operations invoked in it.",
            unit: Unit::PerOperation,
            lines: one("value", &series.messages_per_op),
            shape: Shape::Steps,
            area: false,
            fixed_top: None,
            axis_min_top: 1.0,
            worse: Worse::Higher,
            empty_note: "No operation has been invoked yet",
        },
    ]);
    if !violations_ms.is_empty() {
        let counted = (0..series.bucket_count())
            .map(|index| {
                let (_, end_ms) = series.bucket_span_ms(index);
                Some(violations_ms.iter().filter(|&&at| at < end_ms).count() as f64)
            })
            .collect::<Vec<_>>();
        charts.push(ChartSpec {
            id: "violations",
            key: "violations".into(),
            op: None,
            title: "Checker violations".into(),
            about: "Violations of the guarantee found so far.",
            unit: Unit::Count,
            lines: vec![LineSpec {
                name: "value",
                values: counted.into(),
            }],
            shape: Shape::Steps,
            area: false,
            fixed_top: None,
            axis_min_top: 1.0,
            worse: Worse::Higher,
            empty_note: "",
        });
    }
    charts
}

fn plural(op: &str) -> &'static str {
    match op {
        "read" => "reads",
        "write" => "writes",
        _ => "cas operations",
    }
}

/// A chart's drawing area in SVG user units: the `viewBox` is `width × height`, and the
/// plot sits inside the margins (room for tick labels left and below, fault labels on top).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

/// The height of one line of fault labels above the plot.
const LABEL_ROW_HEIGHT: f64 = 11.0;

impl Frame {
    /// The plot inside a `width × height` chart, below `label_rows` lines of fault labels.
    pub fn new(width: f64, height: f64, label_rows: usize) -> Frame {
        Frame {
            width,
            height,
            left: 46.0,
            right: width - 14.0,
            top: 6.0 + label_rows as f64 * LABEL_ROW_HEIGHT,
            bottom: height - 20.0,
        }
    }
}

/// The size of every chart's `viewBox`. Charts are 300 to 420 CSS pixels wide in the
/// page's grid, so one SVG unit is close to a pixel and 10-unit text stays legible.
pub const CHART_WIDTH: f64 = 360.0;
pub const CHART_HEIGHT: f64 = 150.0;

/// A linear map from values to positions.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Scale {
    pub from: (f64, f64),
    pub to: (f64, f64),
}

impl Scale {
    pub fn at(&self, value: f64) -> f64 {
        let span = self.from.1 - self.from.0;
        let share = if span == 0.0 {
            0.0
        } else {
            (value - self.from.0) / span
        };
        self.to.0 + share * (self.to.1 - self.to.0)
    }

    /// The value at a position (the inverse of [`Scale::at`]).
    pub fn value_at(&self, position: f64) -> f64 {
        let span = self.to.1 - self.to.0;
        let share = if span == 0.0 {
            0.0
        } else {
            (position - self.to.0) / span
        };
        self.from.0 + share * (self.from.1 - self.from.0)
    }
}

/// A tick on an axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub value: f64,
    /// Where it sits along its axis, in SVG units.
    pub position: f64,
    pub label: String,
}

/// Round tick values from 0 to at least `top` (about `count` steps of 1, 2, 2.5 or 5
/// times a power of ten), and the axis top they end at.
pub fn nice_ticks(top: f64, count: usize) -> (f64, Vec<f64>) {
    let top = if top.is_finite() && top > 0.0 {
        top
    } else {
        1.0
    };
    let step = nice_at_least(top / count.max(1) as f64);
    let steps = (top / step - 1e-9).ceil().max(1.0) as usize;
    let values = (0..=steps).map(|index| index as f64 * step).collect();
    (steps as f64 * step, values)
}

/// One bucket's value, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotPoint {
    pub x: f64,
    pub y: f64,
    /// The bucket's span, in milliseconds (its end is the cursor if that comes first).
    pub start_ms: f64,
    pub end_ms: f64,
    pub value: f64,
    /// Alone between gaps: drawn as a dot, since a line needs two points.
    pub lone: bool,
}

/// A line placed: `points` attribute strings, one per run of buckets without a gap.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotLine {
    pub name: &'static str,
    pub segments: Vec<String>,
    /// For a chart with a shaded area: each segment closed down to the time axis.
    pub areas: Vec<String>,
    pub points: Vec<PlotPoint>,
    /// Whether the points are drawn (on a line) or only carry the data (on steps).
    pub dots: bool,
}

/// A fault's band (or an instant's rule) placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotBand {
    pub x: f64,
    /// Zero for an instant.
    pub width: f64,
    pub label: String,
    pub kind: &'static str,
    pub family: &'static str,
    pub start_ms: f64,
    pub end_ms: Option<f64>,
    /// Where the label's baseline sits (above the plot, one line per row), and whether it
    /// reads leftwards from `label_x`
    /// (near the plot's right edge).
    pub label_x: f64,
    pub label_y: f64,
    pub label_leftwards: bool,
}

/// A chart laid out in SVG units.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartPlot {
    pub frame: Frame,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub lines: Vec<PlotLine>,
    pub bands: Vec<PlotBand>,
    /// The quiet period's start and width, if the run has one.
    pub quiet: Option<(f64, f64)>,
    pub violations_x: Vec<f64>,
    pub cursor_x: f64,
    pub time: Scale,
}

/// Lays `chart` out in a `width × height` box.
pub fn plot(
    chart: &ChartSpec<'_>,
    series: &MetricSeries,
    violations_ms: &[f64],
    cursor_ms: f64,
    width: f64,
    height: f64,
) -> ChartPlot {
    let label_rows = series
        .faults
        .iter()
        .map(|fault| fault.row + 1)
        .max()
        .unwrap_or(0);
    let frame = Frame::new(width, height, label_rows);
    let duration_ms = series.duration_ms.max(1.0);
    let time = Scale {
        from: (0.0, duration_ms),
        to: (frame.left, frame.right),
    };
    let data_top = chart
        .lines
        .iter()
        .flat_map(|line| line.values.iter().flatten().copied())
        .fold(chart.axis_min_top, f64::max);
    let (axis_top, y_values) = match (chart.fixed_top, chart.unit) {
        (Some(top), _) => nice_ticks(top, 2),
        // A count has no fractions: one tick per whole number up to 3.
        (None, Unit::Count) => nice_ticks(data_top.max(3.0), 3),
        (None, _) => nice_ticks(data_top, 3),
    };
    let value = Scale {
        from: (0.0, axis_top),
        to: (frame.bottom, frame.top),
    };
    let y_step = y_values.get(1).copied().unwrap_or(axis_top);
    let y_ticks = y_values
        .iter()
        .map(|&tick| Tick {
            value: tick,
            position: value.at(tick),
            label: chart.unit.tick(tick, y_step),
        })
        .collect();
    let (_, x_values) = nice_ticks(duration_ms, 5);
    let x_step = x_values.get(1).copied().unwrap_or(duration_ms);
    let x_ticks = x_values
        .iter()
        .filter(|&&tick| tick <= duration_ms + 1e-9)
        .map(|&tick| Tick {
            value: tick,
            position: time.at(tick),
            label: time_tick(tick, x_step),
        })
        .collect();
    let lines = chart
        .lines
        .iter()
        .map(|line| place_line(line, chart, series, time, value))
        .collect();
    let clamp_x = |x: f64| x.clamp(frame.left, frame.right);
    let bands = series
        .faults
        .iter()
        .map(|fault| {
            let x = clamp_x(time.at(fault.start_ms));
            let end_x = fault.end_ms.map_or(x, |end| clamp_x(time.at(end)));
            // Labels near the right edge read leftwards so they stay inside the chart.
            let label_leftwards = x > frame.left + (frame.right - frame.left) * 0.8;
            PlotBand {
                x,
                width: end_x - x,
                label: fault.label.clone(),
                kind: fault.kind,
                family: fault.family,
                start_ms: fault.start_ms,
                end_ms: fault.end_ms,
                label_x: if label_leftwards { x - 3.0 } else { x + 3.0 },
                label_y: frame.top - 4.0 - (label_rows - 1 - fault.row) as f64 * LABEL_ROW_HEIGHT,
                label_leftwards,
            }
        })
        .collect();
    let quiet = series.quiet_from_ms.map(|from_ms| {
        let x = clamp_x(time.at(from_ms));
        (x, frame.right - x)
    });
    ChartPlot {
        frame,
        x_ticks,
        y_ticks,
        lines,
        bands,
        quiet,
        violations_x: violations_ms
            .iter()
            .map(|&at| clamp_x(time.at(at)))
            .collect(),
        cursor_x: clamp_x(time.at(cursor_ms)),
        time,
    }
}

fn place_line(
    line: &LineSpec<'_>,
    chart: &ChartSpec<'_>,
    series: &MetricSeries,
    time: Scale,
    value: Scale,
) -> PlotLine {
    let baseline_y = value.at(0.0);
    let mut placed = PlotLine {
        name: line.name,
        segments: Vec::new(),
        areas: Vec::new(),
        points: Vec::new(),
        dots: chart.shape == Shape::Line,
    };
    // The vertices of the run of buckets being drawn, and where its first point is.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut run_start = 0;
    let finish = |run: &mut Vec<(f64, f64)>, placed: &mut PlotLine, from: usize| {
        let (Some(&(first_x, _)), Some(&(last_x, _))) = (run.first(), run.last()) else {
            return;
        };
        if chart.shape == Shape::Line && run.len() == 1 {
            placed.points[from].lone = true;
        }
        let vertices = run
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ");
        if chart.area {
            placed.areas.push(format!(
                "{vertices} {last_x:.1},{baseline_y:.1} {first_x:.1},{baseline_y:.1}"
            ));
        }
        placed.segments.push(vertices);
        run.clear();
    };
    for (index, entry) in line.values.iter().enumerate() {
        let (start_ms, end_ms) = series.bucket_span_ms(index);
        let Some(measured) = *entry else {
            finish(&mut run, &mut placed, run_start);
            continue;
        };
        if run.is_empty() {
            run_start = placed.points.len();
        }
        let y = value.at(measured);
        let middle_x = time.at((start_ms + end_ms) / 2.0);
        match chart.shape {
            Shape::Line => run.push((middle_x, y)),
            Shape::Steps => {
                run.push((time.at(start_ms), y));
                run.push((time.at(end_ms), y));
            }
        }
        placed.points.push(PlotPoint {
            x: middle_x,
            y,
            start_ms,
            end_ms,
            value: measured,
            lone: false,
        });
    }
    finish(&mut run, &mut placed, run_start);
    placed
}

/// The moment under a click `fraction` of the way across a chart (the SVG scales
/// uniformly, so a fraction of its CSS width is the same fraction of its `viewBox`):
/// within the run, in whole milliseconds.
pub fn time_at_fraction(frame: Frame, time: Scale, fraction: f64) -> Time {
    let x = fraction.clamp(0.0, 1.0) * frame.width;
    let ms = time.value_at(x).clamp(0.0, time.from.1);
    Time::from_ms(ms.round() as u64)
}

/// Each line's latest value, formatted (`12 ms`), or `None` while it has none.
pub fn latest_by_line(chart: &ChartSpec<'_>) -> Vec<(&'static str, Option<String>)> {
    chart
        .lines
        .iter()
        .map(|line| {
            let latest = line.values.iter().rev().flatten().next();
            (line.name, latest.map(|value| chart.unit.format(*value)))
        })
        .collect()
}

/// The latest value of each line in one phrase: `87.5 %`, `p50 12 ms · p99 40 ms`.
pub fn latest_values(chart: &ChartSpec<'_>) -> Option<String> {
    let parts: Vec<String> = latest_by_line(chart)
        .into_iter()
        .filter_map(|(name, latest)| match name {
            "value" => latest,
            name => latest.map(|latest| format!("{name} {latest}")),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// A sentence or two on a chart, for its `aria-label`: what it shows, the latest and the
/// worst values with their times, the faults and the violations.
pub fn summary(chart: &ChartSpec<'_>, series: &MetricSeries, violations_ms: &[f64]) -> String {
    let unit = match chart.unit.symbol() {
        "" => String::new(),
        symbol => format!(" ({symbol})"),
    };
    let mut text = format!(
        "{}{unit} over virtual time, in buckets of {}, up to {}.",
        chart.title,
        duration_label(series.bucket_ms),
        time_label(series.until_ms),
    );
    // The headline line: the only one, or the tail (p99) of a latency chart.
    let headline = chart.lines.last();
    match headline.map(|line| (line, worst(&line.values, chart.worse))) {
        Some((line, Some((index, worst_value)))) => {
            let named = if chart.lines.len() > 1 {
                format!("{} ", line.name)
            } else {
                String::new()
            };
            if let Some(latest) = latest_values(chart) {
                let _ = write!(text, " Latest: {latest}.");
            }
            let (start_ms, _) = series.bucket_span_ms(index);
            let _ = write!(
                text,
                " {} {named}{} at {}.",
                match chart.worse {
                    Worse::Lower => "Lowest",
                    Worse::Higher => "Highest",
                },
                chart.unit.format(worst_value),
                time_label(start_ms)
            );
        }
        _ => {
            let _ = write!(text, " {}.", chart.empty_note);
        }
    }
    if !series.faults.is_empty() {
        let faults: Vec<String> = series
            .faults
            .iter()
            .map(|fault| match fault.end_ms {
                Some(end_ms) => format!(
                    "{} from {} to {}",
                    fault.label,
                    time_label(fault.start_ms),
                    time_label(end_ms)
                ),
                None => format!("{} at {}", fault.label, time_label(fault.start_ms)),
            })
            .collect();
        let _ = write!(text, " Faults: {}.", faults.join("; "));
    }
    if !violations_ms.is_empty() {
        let moments: Vec<String> = violations_ms.iter().map(|&at| time_label(at)).collect();
        let _ = write!(text, " Violation at {}.", moments.join(", "));
    }
    text
}

/// The bucket with the worst value and the value.
fn worst(values: &[Option<f64>], worse: Worse) -> Option<(usize, f64)> {
    values
        .iter()
        .enumerate()
        .filter_map(|(index, value)| value.map(|value| (index, value)))
        .reduce(|best, next| {
            let better = match worse {
                Worse::Lower => next.1 < best.1,
                Worse::Higher => next.1 > best.1,
            };
            if better {
                next
            } else {
                best
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Player;
    use dsplay_sim::protocol::{Op, Value};
    use dsplay_sim::NodeId;

    fn partition() -> Scenario {
        Scenario::from_json(include_str!("../scenarios/partition.json")).unwrap()
    }

    fn op(
        index: u32,
        operation: Op,
        invoke_ms: u64,
        complete: Option<(u64, Outcome)>,
    ) -> Operation {
        Operation {
            index,
            process: u64::from(index),
            client: NodeId(9),
            replica: NodeId(0),
            op: operation,
            invoke: Time::from_ms(invoke_ms),
            complete: complete.map(|(ms, outcome)| (Time::from_ms(ms), outcome)),
            final_read: false,
        }
    }

    fn read(index: u32, seen: Option<i64>, invoke_ms: u64, done_ms: u64) -> Operation {
        op(
            index,
            Op::Read { key: "x".into() },
            invoke_ms,
            Some((done_ms, Outcome::Ok(seen.map(Value::unique)))),
        )
    }

    fn write(index: u32, value: i64, invoke_ms: u64, done: Option<(u64, Outcome)>) -> Operation {
        op(
            index,
            Op::Write {
                key: "x".into(),
                value: Value::unique(value),
            },
            invoke_ms,
            done,
        )
    }

    /// A 10 s run in 100 ms buckets.
    fn ten_seconds() -> Buckets {
        Buckets {
            width_us: 100_000,
            total: 100,
            duration: Time::from_ms(10_000),
        }
    }

    fn series_of(operations: &[Operation], cursor_ms: u64) -> MetricSeries {
        let stale = stale_reads(operations);
        compute(
            &Counts {
                operations,
                stale: &stale,
                sends: &[],
                op_kinds: &[],
            },
            ten_seconds(),
            Time::from_ms(cursor_ms),
        )
    }

    /// The mean of the values of buckets starting in `[from_ms, to_ms)`.
    fn mean_between(
        series: &MetricSeries,
        values: &[Option<f64>],
        from_ms: f64,
        to_ms: f64,
    ) -> f64 {
        let inside: Vec<f64> = values
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                let (start_ms, _) = series.bucket_span_ms(*index);
                (from_ms..to_ms).contains(&start_ms)
            })
            .filter_map(|(_, value)| *value)
            .collect();
        assert!(
            !inside.is_empty(),
            "some buckets in {from_ms}..{to_ms} have a value"
        );
        inside.iter().sum::<f64>() / inside.len() as f64
    }

    #[test]
    fn the_bucket_is_a_round_width_giving_fifty_to_a_hundred_and_twenty_buckets() {
        assert_eq!(
            Buckets::for_duration(Time::from_ms(20_000)).width_us,
            250_000
        );
        for duration_ms in [900, 3_000, 10_000, 20_000, 30_000, 45_000, 60_000, 600_000] {
            let buckets = Buckets::for_duration(Time::from_ms(duration_ms));
            assert!(
                (50..=120).contains(&buckets.total),
                "{duration_ms} ms: {buckets:?}"
            );
            let mantissa =
                buckets.width_ms() / 10f64.powi(buckets.width_ms().log10().floor() as i32);
            assert!(
                [1.0, 2.0, 2.5, 5.0].contains(&mantissa),
                "{duration_ms} ms: {buckets:?}"
            );
        }
    }

    #[test]
    fn availability_dips_while_a_partition_cuts_off_the_leader() {
        let mut player = Player::new(partition()).unwrap();
        player.seek(Time::from_ms(4_900));
        let leader_before = (0..5)
            .map(NodeId)
            .find(|&node| player.engine().role(node) == "leader")
            .map(|node| player.engine().topology().name(node).to_string());
        assert!(
            matches!(leader_before.as_deref(), Some("n1" | "n2")),
            "the leader sits on the side the partition cuts off: {leader_before:?}"
        );
        player.seek(Time::from_ms(20_000));
        let mut tracker = MetricsTracker::default();
        let series = tracker.update(player.engine(), player.scenario(), player.cursor());
        assert_eq!(series.bucket_ms, 250.0);
        assert_eq!(series.bucket_count(), 80);
        let partition = &series.faults[0];
        assert_eq!(
            (
                partition.label.as_str(),
                partition.start_ms,
                partition.end_ms
            ),
            ("partition", 5_000.0, Some(12_000.0))
        );
        let before = mean_between(&series, &series.availability_percent, 1_000.0, 5_000.0);
        let during = mean_between(&series, &series.availability_percent, 5_000.0, 12_000.0);
        assert!(
            during < before - 3.0,
            "during the partition: {during:.1} %, before: {before:.1} %"
        );
        // Before it, the only failures are cas operations that found another value, so
        // no bucket drops below half; during it, whole buckets of Alice's operations fail
        // or time out on the cut-off side.
        let lowest = |from_ms: f64, to_ms: f64| {
            (0..series.bucket_count())
                .filter(|&index| (from_ms..to_ms).contains(&series.bucket_span_ms(index).0))
                .filter_map(|index| series.availability_percent[index])
                .fold(100.0_f64, f64::min)
        };
        assert!(lowest(0.0, 5_000.0) >= 50.0);
        assert_eq!(lowest(5_000.0, 12_000.0), 0.0);
        assert!(
            lowest(12_500.0, 20_000.0) >= 50.0,
            "it recovers after the heal"
        );
    }

    #[test]
    fn buckets_without_completions_are_gaps() {
        let operations = vec![
            read(0, None, 10, 50),
            op(
                1,
                Op::Read { key: "x".into() },
                60,
                Some((250, Outcome::Info)),
            ),
            // Invoked in bucket 3, never answered: it counts nowhere but its invocation.
            op(2, Op::Read { key: "x".into() }, 300, None),
            read(3, None, 520, 560),
        ];
        let series = series_of(&operations, 650);
        assert_eq!(series.bucket_count(), 7, "buckets begun before 650 ms");
        assert_eq!(
            series.availability_percent,
            [Some(100.0), None, Some(0.0), None, None, Some(100.0), None]
        );
        assert_eq!(
            series.stale_read_percent,
            [Some(0.0), None, None, None, None, Some(0.0), None]
        );
        assert_eq!(series.throughput_per_s[1], Some(0.0), "zero, not a gap");
        assert_eq!(series.latency[0].p50_ms[1], None);
        let specs = charts(&series, &[]);
        let plotted = plot(&specs[0], &series, &[], 650.0, CHART_WIDTH, CHART_HEIGHT);
        let steps = &plotted.lines[0];
        assert_eq!(
            steps.segments.len(),
            3,
            "each run of values is its own polyline"
        );
        assert_eq!(steps.areas.len(), 3, "and its own shaded area");
        assert_eq!(steps.points.len(), 3);
        assert!(
            !steps.dots,
            "steps show a bucket's value across it, without a dot"
        );
        // Percentiles are lines between bucket midpoints: a bucket alone is a dot.
        let latency = plot(&specs[1], &series, &[], 650.0, CHART_WIDTH, CHART_HEIGHT);
        assert!(latency.lines[0].dots);
        assert!(latency.lines[0].points.iter().all(|point| point.lone));
    }

    #[test]
    fn latency_percentiles_are_per_operation_type() {
        // Ten reads of 1..10 ms and two writes of 40 and 80 ms, all completing in bucket 2.
        let mut operations: Vec<Operation> = (1..=10)
            .map(|ms| read(ms as u32 - 1, None, 200, 200 + ms))
            .collect();
        operations.push(write(10, 1, 210, Some((250, Outcome::Ok(None)))));
        operations.push(write(11, 2, 210, Some((290, Outcome::Ok(None)))));
        // A failed write says nothing about how long successes take.
        operations.push(write(12, 3, 200, Some((299, Outcome::Fail("no".into())))));
        let series = series_of(&operations, 1_000);
        let kinds: Vec<&str> = series.latency.iter().map(|latency| latency.op).collect();
        assert_eq!(kinds, ["read", "write"], "only the types the history holds");
        let reads = &series.latency[0];
        assert_eq!(
            (reads.p50_ms[2], reads.p95_ms[2], reads.p99_ms[2]),
            (Some(5.0), Some(10.0), Some(10.0))
        );
        let writes = &series.latency[1];
        assert_eq!(
            (writes.p50_ms[2], writes.p99_ms[2]),
            (Some(40.0), Some(80.0))
        );
        assert_eq!(writes.p50_ms[1], None);
        let specs = charts(&series, &[]);
        let latency_charts: Vec<&str> = specs
            .iter()
            .filter(|spec| spec.id == "latency")
            .map(|spec| spec.title.as_str())
            .collect();
        assert_eq!(latency_charts, ["Latency of reads", "Latency of writes"]);
        let names: Vec<&str> = specs[1].lines.iter().map(|line| line.name).collect();
        assert_eq!(names, ["p50", "p95", "p99"]);
        // A workload that issues cas gets its chart before the first cas completes.
        let stale = vec![false; operations.len()];
        let with_cas = compute(
            &Counts {
                operations: &operations,
                stale: &stale,
                sends: &[],
                op_kinds: &["cas"],
            },
            ten_seconds(),
            Time::from_ms(1_000),
        );
        assert_eq!(with_cas.latency.len(), 3);
        assert_eq!(workload_op_kinds(&partition()), ["read", "write", "cas"]);
    }

    #[test]
    fn stale_reads_are_counted_among_reads() {
        let operations = vec![
            write(0, 1, 0, Some((10, Outcome::Ok(None)))),
            write(1, 2, 20, Some((30, Outcome::Ok(None)))),
            // Bucket 1: one stale read (it saw 1 after 2 was written), one fresh.
            read(2, Some(1), 110, 120),
            read(3, Some(2), 130, 140),
            // A read that timed out is not among successful reads.
            op(
                4,
                Op::Read { key: "x".into() },
                150,
                Some((190, Outcome::Info)),
            ),
            // Bucket 2: writes only, no reads: a gap.
            write(5, 3, 200, Some((210, Outcome::Ok(None)))),
        ];
        let series = series_of(&operations, 300);
        assert_eq!(series.stale_read_percent, [None, Some(50.0), None]);
        let available = series.availability_percent[1].unwrap();
        assert!((available - 200.0 / 3.0).abs() < 1e-9, "{available}");
    }

    #[test]
    fn messages_per_operation_counts_sends_in_the_bucket() {
        let mut player = Player::new(partition()).unwrap();
        player.seek(Time::from_ms(8_000));
        let mut tracker = MetricsTracker::default();
        let series = tracker.update(player.engine(), player.scenario(), player.cursor());
        let bucket = 10; // 2.5 s to 2.75 s
        let (from, to) = (Time::from_ms(2_500), Time::from_ms(2_750));
        let sent = player
            .engine()
            .trace()
            .iter()
            .filter(
                |event| matches!(event, TraceEvent::Sent { time, .. } if (from..to).contains(time)),
            )
            .count();
        let invoked = player
            .engine()
            .operations()
            .iter()
            .filter(|op| !op.final_read && (from..to).contains(&op.invoke))
            .count();
        assert!(
            sent > 0 && invoked > 0,
            "{sent} sends, {invoked} invocations"
        );
        assert_eq!(
            series.messages_per_op[bucket],
            Some(sent as f64 / invoked as f64)
        );
    }

    #[test]
    fn throughput_counts_successes_per_second_of_the_bucket_so_far() {
        let operations = vec![
            read(0, None, 0, 20),
            read(1, None, 30, 40),
            read(2, None, 120, 140),
        ];
        let series = series_of(&operations, 150);
        // Two in the whole first bucket (0.1 s); one in the first 50 ms of the second.
        let rates: Vec<f64> = series.throughput_per_s.iter().flatten().copied().collect();
        assert_eq!(rates.len(), 2);
        assert!(
            rates.iter().all(|rate| (rate - 20.0).abs() < 1e-9),
            "{rates:?}"
        );
    }

    #[test]
    fn a_rewound_run_recounts_its_messages() {
        let mut player = Player::new(partition()).unwrap();
        let mut tracker = MetricsTracker::default();
        player.seek(Time::from_ms(9_000));
        tracker.update(player.engine(), player.scenario(), player.cursor());
        player.seek(Time::from_ms(3_000));
        let rewound = tracker.update(player.engine(), player.scenario(), player.cursor());
        let mut fresh = MetricsTracker::default();
        let straight = fresh.update(player.engine(), player.scenario(), player.cursor());
        assert_eq!(rewound, straight);
        assert_eq!(rewound.bucket_count(), 12);
        // A run replaced by another one (a fault moved in the lane rebuilds it from zero)
        // is noticed even when its trace is longer than what was read of the old one.
        let mut moved = partition();
        moved.faults[0].at_ms = 1_000.0;
        let mut other = Player::new(moved).unwrap();
        other.seek(Time::from_ms(9_000));
        let replaced = tracker.update(other.engine(), other.scenario(), other.cursor());
        let straight =
            MetricsTracker::default().update(other.engine(), other.scenario(), other.cursor());
        assert_eq!(replaced, straight);
        assert_eq!(replaced.faults[0].start_ms, 1_000.0);
    }

    #[test]
    fn nothing_new_hands_back_the_same_series() {
        let mut player = Player::new(partition()).unwrap();
        player.seek(Time::from_ms(2_000));
        let mut tracker = MetricsTracker::default();
        let first = tracker.update(player.engine(), player.scenario(), player.cursor());
        let again = tracker.update(player.engine(), player.scenario(), player.cursor());
        assert!(Rc::ptr_eq(&first, &again));
        player.seek(Time::from_ms(2_100));
        let later = tracker.update(player.engine(), player.scenario(), player.cursor());
        assert!(!Rc::ptr_eq(&first, &later));
    }

    #[test]
    fn ticks_are_round_numbers_with_units() {
        assert_eq!(nice_ticks(37.0, 3), (40.0, vec![0.0, 20.0, 40.0]));
        assert_eq!(nice_ticks(100.0, 2), (100.0, vec![0.0, 50.0, 100.0]));
        assert_eq!(nice_ticks(3.2, 3).1, [0.0, 2.0, 4.0]);
        assert_eq!(nice_ticks(0.0, 3).1, [0.0, 0.5, 1.0]);
        let series = MetricSeries {
            bucket_ms: 250.0,
            duration_ms: 20_000.0,
            until_ms: 500.0,
            availability_percent: vec![Some(100.0), Some(50.0)],
            latency: vec![LatencySeries {
                op: "read",
                p50_ms: vec![Some(12.0), None],
                p95_ms: vec![Some(30.0), None],
                p99_ms: vec![Some(37.0), None],
            }],
            throughput_per_s: vec![Some(12.0), Some(2.0)],
            stale_read_percent: vec![None, None],
            messages_per_op: vec![Some(7.5), None],
            ..MetricSeries::default()
        };
        let labels = |chart: &ChartSpec<'_>| -> (Vec<String>, Vec<String>) {
            let plotted = plot(chart, &series, &[], 500.0, CHART_WIDTH, CHART_HEIGHT);
            (
                plotted.x_ticks.into_iter().map(|tick| tick.label).collect(),
                plotted.y_ticks.into_iter().map(|tick| tick.label).collect(),
            )
        };
        let specs = charts(&series, &[400.0]);
        let (time_ticks, percent_ticks) = labels(&specs[0]);
        assert_eq!(time_ticks, ["0 s", "5 s", "10 s", "15 s", "20 s"]);
        assert_eq!(percent_ticks, ["0 %", "50 %", "100 %"]);
        assert_eq!(labels(&specs[1]).1, ["0 ms", "20 ms", "40 ms"]);
        assert_eq!(labels(&specs[2]).1, ["0/s", "5/s", "10/s", "15/s"]);
        assert_eq!(labels(&specs[4]).1, ["0", "5", "10"]);
        assert_eq!(
            labels(&specs[5]).1,
            ["0", "1", "2", "3"],
            "violations are counted whole"
        );
        let short = MetricSeries {
            duration_ms: 900.0,
            ..series.clone()
        };
        let plotted = plot(&specs[0], &short, &[], 0.0, CHART_WIDTH, CHART_HEIGHT);
        let short_ticks: Vec<&str> = plotted
            .x_ticks
            .iter()
            .map(|tick| tick.label.as_str())
            .collect();
        assert_eq!(
            short_ticks,
            ["0 ms", "200 ms", "400 ms", "600 ms", "800 ms"]
        );
        assert_eq!(Unit::Percent.format(200.0 / 3.0), "66.7 %");
        assert_eq!(Unit::Milliseconds.format(4.25), "4.2 ms");
        assert_eq!(Unit::PerSecond.format(14.2), "14 ops/s");
        assert_eq!(Unit::PerSecond.format(0.0), "0 ops/s");
        assert_eq!(Unit::Percent.format(100.0), "100 %");
        assert_eq!(time_label(5_250.0), "5.25 s");
        assert_eq!(duration_label(250.0), "250 ms");
        assert_eq!(nice_ticks(0.0, 3).1, [0.0, 0.5, 1.0]);
        assert_eq!(Unit::Count.tick(0.5, 0.5), "0.5");
        assert_eq!(Unit::Count.tick(1.0, 0.5), "1");
    }

    #[test]
    fn points_and_bands_sit_inside_the_plot_where_their_times_are() {
        let mut player = Player::new(partition()).unwrap();
        player.seek(Time::from_ms(10_000));
        let series =
            MetricsTracker::default().update(player.engine(), player.scenario(), player.cursor());
        let specs = charts(&series, &[9_000.0]);
        let plotted = plot(
            &specs[0],
            &series,
            &[9_000.0],
            10_000.0,
            CHART_WIDTH,
            CHART_HEIGHT,
        );
        let frame = plotted.frame;
        for point in &plotted.lines[0].points {
            assert!((frame.left..=frame.right).contains(&point.x), "{point:?}");
            assert!((frame.top..=frame.bottom).contains(&point.y), "{point:?}");
            assert!(point.end_ms <= 10_000.0);
        }
        let x_of = |ms: f64| frame.left + (frame.right - frame.left) * ms / 20_000.0;
        assert!((plotted.cursor_x - x_of(10_000.0)).abs() < 1e-9);
        assert!((plotted.violations_x[0] - x_of(9_000.0)).abs() < 1e-9);
        let band = &plotted.bands[0];
        assert_eq!((band.kind, band.family), ("partition", "link"));
        assert!((band.x - x_of(5_000.0)).abs() < 1e-9);
        assert!((band.x + band.width - x_of(12_000.0)).abs() < 1e-9);
        let (quiet_x, quiet_width) = plotted.quiet.unwrap();
        assert!((quiet_x - x_of(18_000.0)).abs() < 1e-9);
        assert!((quiet_x + quiet_width - frame.right).abs() < 1e-9);
        assert_eq!(specs.last().unwrap().id, "violations");
        // A click halfway across the plot lands at 10 s.
        let fraction = x_of(10_000.0) / frame.width;
        let at = |fraction| time_at_fraction(plotted.frame, plotted.time, fraction);
        assert_eq!(at(fraction), Time::from_ms(10_000));
        assert_eq!(at(0.0), Time::ZERO);
        assert_eq!(at(1.0), Time::from_ms(20_000));
    }

    #[test]
    fn open_ended_faults_last_until_healed_and_restarts_are_instants() {
        let mut scenario = partition();
        let crash = |node: &str| FaultKindSpec::Crash { node: node.into() };
        scenario.faults = vec![
            FaultSpec {
                at_ms: 2_000.0,
                until_ms: Some(4_000.0),
                fault: crash("n2"),
            },
            FaultSpec {
                at_ms: 3_000.0,
                until_ms: None,
                fault: crash("n3"),
            },
            FaultSpec {
                at_ms: 6_000.0,
                until_ms: None,
                fault: FaultKindSpec::Restart { node: "n3".into() },
            },
            FaultSpec {
                at_ms: 7_000.0,
                until_ms: None,
                fault: FaultKindSpec::FailStop { node: "n4".into() },
            },
            FaultSpec {
                at_ms: 8_000.0,
                until_ms: None,
                fault: FaultKindSpec::CutLink {
                    a: "n1".into(),
                    b: "n5".into(),
                    one_way: false,
                },
            },
        ];
        let bands = fault_intervals(&scenario);
        let shown: Vec<(&str, f64, Option<f64>, usize)> = bands
            .iter()
            .map(|band| (band.label.as_str(), band.start_ms, band.end_ms, band.row))
            .collect();
        assert_eq!(
            shown,
            [
                ("crash n2", 2_000.0, Some(4_000.0), 0),
                // No end given: the quiet period (from 18 s) heals it.
                ("crash n3", 3_000.0, Some(18_000.0), 1),
                ("restart n3", 6_000.0, None, 0),
                // Fail-stop is permanent: it lasts to the end of the run.
                ("fail-stop n4", 7_000.0, Some(20_000.0), 2),
                ("cut n1–n5", 8_000.0, Some(18_000.0), 0),
            ]
        );
        // A scheduled heal-all ends what came before it.
        scenario.faults.push(FaultSpec {
            at_ms: 10_000.0,
            until_ms: None,
            fault: FaultKindSpec::HealAll {},
        });
        let healed = fault_intervals(&scenario);
        assert_eq!(healed[1].end_ms, Some(10_000.0));
        assert_eq!(healed[3].end_ms, Some(20_000.0), "but not a fail-stop");
    }

    #[test]
    fn violations_are_placed_when_the_last_named_operation_completed() {
        let verdict = VerdictSummary {
            model: "linearizable".into(),
            valid: Some(false),
            explanation: "a stale read".into(),
            ops: vec![0, 2],
        };
        let moments = [Time::from_ms(100), Time::from_ms(900), Time::from_ms(400)];
        assert_eq!(violation_moments_ms(Some(&verdict), &moments), [400.0]);
        let holds = VerdictSummary {
            valid: Some(true),
            ..verdict
        };
        assert!(violation_moments_ms(Some(&holds), &moments).is_empty());
        assert!(violation_moments_ms(None, &moments).is_empty());
    }

    #[test]
    fn the_summary_names_the_latest_and_worst_values_the_faults_and_violations() {
        let mut player = Player::new(partition()).unwrap();
        player.seek(Time::from_ms(14_000));
        let series =
            MetricsTracker::default().update(player.engine(), player.scenario(), player.cursor());
        let specs = charts(&series, &[]);
        let said = summary(&specs[0], &series, &[9_125.0]);
        assert!(
            said.starts_with(
                "Availability (%) over virtual time, in buckets of 250 ms, up to 14 s. Latest: "
            ),
            "{said}"
        );
        assert!(said.contains(" Lowest "), "{said}");
        assert!(
            said.ends_with(" Faults: partition from 5 s to 12 s. Violation at 9.125 s."),
            "{said}"
        );
        let empty = MetricSeries {
            bucket_ms: 250.0,
            duration_ms: 20_000.0,
            ..MetricSeries::default()
        };
        let said = summary(&charts(&empty, &[])[0], &empty, &[]);
        assert!(said.ends_with("No operation has completed yet."), "{said}");
    }
}
