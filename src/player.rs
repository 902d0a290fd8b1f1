//! Playback of a run: a cursor in virtual time that the engine catches up with, and the
//! index of message flights the animation draws.
//!
//! Plain Rust with no browser types, so it is tested natively. What is drawn at time `t`
//! is a function of the trace and `t` alone: [`FlightIndex`] only reorganises the trace for
//! fast lookup, which is what makes scrubbing and replay exact.

use dsplay_sim::fault::{FaultKindSpec, FaultSpec};
use dsplay_sim::history::{metrics, OpMetrics};
use dsplay_sim::report::VerdictSummary;
use dsplay_sim::trace::DropReason;
use dsplay_sim::workload::{ClientOpSpec, OperationSpec};
use dsplay_sim::{
    build, Engine, EngineSnapshot, Fingerprint, LoadError, MsgId, NodeId, Scenario, Time,
    TraceEvent,
};

/// One copy of a message crossing one link.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Flight {
    pub msg: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    /// When it left `from`.
    pub start: Time,
    /// When it would reach `to`.
    pub arrive: Time,
    /// When it stops being drawn: `arrive`, or earlier for a copy lost on the way.
    pub end: Time,
    /// Index of its kind in [`FlightIndex::kinds`].
    pub kind: usize,
    pub duplicate: bool,
    /// Held up well beyond the link's usual latency (a delay fault, FIFO hold-back, a
    /// long tail): drawn with a tail so the user sees it lag.
    pub delayed: bool,
}

/// A copy counts as delayed when its hop takes longer than this many times the link's
/// mean latency (and at least [`DELAYED_MIN_US`] longer).
pub const DELAYED_FACTOR: u64 = 2;
const DELAYED_MIN_US: u64 = 1_000;

impl Flight {
    /// How far along the link the copy is at `time`, from 0 at `from` to 1 at `to`.
    pub fn progress(&self, time: Time) -> f64 {
        let total_us = self.arrive.since_us(self.start);
        if total_us == 0 {
            return 1.0;
        }
        (time.since_us(self.start) as f64 / total_us as f64).clamp(0.0, 1.0)
    }
}

/// Where a dropped copy ended.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum DropPlace {
    /// At a node (it was down, the link was cut on arrival, or nothing led onwards),
    /// reached from `from` when it got there over a link.
    Node { node: NodeId, from: Option<NodeId> },
    /// On the link between two nodes, `progress` of the way from the first.
    OnLink {
        from: NodeId,
        to: NodeId,
        progress: f64,
    },
}

/// A copy that was lost, to be marked where it ended.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct DropMark {
    pub time: Time,
    pub place: DropPlace,
    pub reason: DropReason,
}

/// The trace's hops and drops, organised for drawing. Fed incrementally as the run grows.
#[derive(Clone, Debug, Default)]
pub struct FlightIndex {
    flights: Vec<Flight>,
    drops: Vec<DropMark>,
    /// How many trace events have been read.
    consumed: usize,
    /// The longest flight so far, which bounds how far back an active flight can start.
    longest_us: u64,
    kinds: Vec<&'static str>,
}

impl FlightIndex {
    pub fn new(kinds: Vec<&'static str>) -> FlightIndex {
        FlightIndex {
            kinds,
            ..FlightIndex::default()
        }
    }

    pub fn kinds(&self) -> &[&'static str] {
        &self.kinds
    }

    /// Reads the trace events the index has not seen yet.
    pub fn update(&mut self, engine: &dyn Engine) {
        if engine.trace_end() < self.consumed {
            // The run went back to a snapshot: rebuild from the trace kept.
            *self = FlightIndex::new(std::mem::take(&mut self.kinds));
        }
        for event in engine.trace_since(self.consumed) {
            match *event {
                TraceEvent::Hop {
                    time,
                    msg,
                    from,
                    to,
                    link,
                    arrive,
                    duplicate,
                    ..
                } => {
                    let usual_us = engine.topology().links[link.index()].latency.mean_us();
                    let took_us = arrive.since_us(time);
                    let delayed = took_us > usual_us.saturating_mul(DELAYED_FACTOR)
                        && took_us > usual_us + DELAYED_MIN_US;
                    let kind_name = engine.message_kind(msg);
                    let kind = self
                        .kinds
                        .iter()
                        .position(|&known| known == kind_name)
                        .unwrap_or(0);
                    self.longest_us = self.longest_us.max(arrive.since_us(time));
                    self.flights.push(Flight {
                        msg,
                        from,
                        to,
                        start: time,
                        arrive,
                        end: arrive,
                        kind,
                        duplicate,
                        delayed,
                    });
                }
                TraceEvent::Dropped {
                    time,
                    msg,
                    node,
                    reason,
                } => self.record_drop(time, msg, node, reason),
                _ => {}
            }
        }
        self.consumed = engine.trace_end();
        self.forget_old(engine.now());
    }

    /// Lets go of flights and drops older than the trace a player keeps (a long run would
    /// otherwise hold every hop of the run), when that is at least half of them.
    fn forget_old(&mut self, now: Time) {
        let cutoff_us = now.as_us().saturating_sub(TRACE_KEPT_US + self.longest_us);
        let old = self
            .flights
            .partition_point(|flight| flight.start.as_us() < cutoff_us);
        if old > 4_096 && old * 2 >= self.flights.len() {
            self.flights.drain(..old);
        }
        let old = self
            .drops
            .partition_point(|drop| drop.time.as_us() < cutoff_us);
        if old > 4_096 && old * 2 >= self.drops.len() {
            self.drops.drain(..old);
        }
    }

    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        (self.flights.len(), self.drops.len())
    }

    fn record_drop(&mut self, time: Time, msg: MsgId, node: NodeId, reason: DropReason) {
        let place = if reason == DropReason::Loss {
            // The copy vanished on its way to `node`: cut its flight short there.
            let flight = self.flights.iter_mut().rev().find(|flight| {
                flight.msg == msg
                    && flight.to == node
                    && flight.end == flight.arrive
                    && flight.start <= time
            });
            match flight {
                Some(flight) => {
                    flight.end = time;
                    DropPlace::OnLink {
                        from: flight.from,
                        to: flight.to,
                        progress: flight.progress(time),
                    }
                }
                None => DropPlace::Node { node, from: None },
            }
        } else {
            // Where it came from, if it arrived over a link: the mark sits on that side.
            let from = self
                .flights
                .iter()
                .rev()
                .take_while(|flight| flight.start.as_us() + self.longest_us >= time.as_us())
                .find(|flight| flight.msg == msg && flight.to == node && flight.arrive <= time)
                .map(|flight| flight.from);
            DropPlace::Node { node, from }
        };
        self.drops.push(DropMark {
            time,
            place,
            reason,
        });
    }

    /// Copies on a link at `time`.
    pub fn active(&self, time: Time) -> impl Iterator<Item = &Flight> + '_ {
        let upto = self.flights.partition_point(|flight| flight.start <= time);
        let earliest = Time::from_us(time.as_us().saturating_sub(self.longest_us));
        let from = self.flights[..upto].partition_point(|flight| flight.start < earliest);
        self.flights[from..upto]
            .iter()
            .filter(move |flight| time < flight.end)
    }

    /// Drops that happened in `(time - window_us, time]`, newest last.
    pub fn recent_drops(&self, time: Time, window_us: u64) -> &[DropMark] {
        let upto = self.drops.partition_point(|drop| drop.time <= time);
        let earliest = time.as_us().saturating_sub(window_us);
        let from = self.drops[..upto].partition_point(|drop| drop.time.as_us() <= earliest);
        &self.drops[from..upto]
    }
}

/// Speeds offered to the user, in virtual milliseconds per wall-clock millisecond.
pub const SPEEDS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0];
/// The default speed: slow enough to follow single messages.
pub const DEFAULT_SPEED: f64 = 0.25;
/// A frame longer than this (a hidden tab, a debugger pause) advances only this much.
const MAX_FRAME_MS: f64 = 100.0;

/// What the status bar shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub time: Time,
    pub events: u64,
    pub in_flight: u64,
    pub fingerprint: Fingerprint,
    pub playing: bool,
    pub finished: bool,
    pub error: Option<String>,
    /// Client operations so far: succeeded, failed, indeterminate.
    pub ops_ok: u64,
    pub ops_fail: u64,
    pub ops_info: u64,
    /// Successful operations over all invoked ones (1 when there were none).
    pub availability: f64,
    /// The checker's verdict on the protocol's guarantee for the history so far.
    pub verdict: Option<VerdictSummary>,
    /// Whether a newer verdict is still being worked out (in the page's worker).
    pub checking: bool,
}

/// What a client's latest operation shows next to it on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultLabel {
    /// E.g. `r x→5 · 12 ms`.
    pub text: String,
    pub tone: Tone,
}

/// How a result label is marked.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    /// A read of a value already overwritten before it began.
    Stale,
    /// Timed out (outcome unknown) or failed.
    Bad,
    /// Among the operations the checker names in a violation.
    Violation,
    Waiting,
}

/// The latest verdict and what it was computed over.
#[derive(Clone, Debug)]
struct CachedVerdict {
    log_len: usize,
    checked_at: Time,
    verdict: VerdictSummary,
}

/// Checks while playing at most once per this much virtual time; a pause checks at once.
const VERDICT_EVERY_US: u64 = 1_000_000;
/// Checks made here (natively) stay small, as the page's were before they moved to the
/// worker.
#[cfg(any(test, not(target_arch = "wasm32")))]
const VERDICT_BUDGET_STEPS: u64 = 300_000;

/// A search the user asked for (the next violation) may take longer per check.
#[cfg(any(test, not(target_arch = "wasm32")))]
const SEARCH_BUDGET_STEPS: u64 = 3_000_000;

/// An engine for the player: the scenario's, keeping [`TRACE_KEPT_US`] of trace.
fn start_engine(scenario: &Scenario) -> Result<Box<dyn Engine>, LoadError> {
    let mut engine = build(scenario)?;
    engine.set_trace_retention(Some(TRACE_KEPT_US));
    Ok(engine)
}

/// Virtual time between the snapshots kept for scrubbing back.
pub const SNAPSHOT_EVERY_US: u64 = 500_000;

impl Status {
    /// The status of a scenario that cannot run yet.
    pub fn idle() -> Status {
        Status {
            time: Time::ZERO,
            events: 0,
            in_flight: 0,
            fingerprint: Fingerprint(0),
            playing: false,
            finished: false,
            error: None,
            ops_ok: 0,
            ops_fail: 0,
            ops_info: 0,
            availability: 1.0,
            verdict: None,
            checking: false,
        }
    }
}

/// How much virtual time of trace a player keeps behind the newest event (and of flights
/// behind the newest hop): two minutes, more than any preset lasts, so only long runs let
/// go of anything. Scrubbing back further replays from a snapshot, and the views show the
/// trace from there on.
pub const TRACE_KEPT_US: u64 = 120_000_000;

/// How far before a moment a rewind starts when the trace there is gone: longer than any
/// copy stays on a link in the presets.
const FLIGHT_LEAD_US: u64 = 5_000_000;

/// Snapshots within this much virtual time of the newest one are all kept (every
/// [`SNAPSHOT_EVERY_US`]): scrubbing near the frontier replays at most half a second.
pub const DENSE_SNAPSHOTS_US: u64 = 30_000_000;
/// Up to this age one snapshot per [`MEDIUM_SNAPSHOT_EVERY_US`] is kept; older, one per
/// [`SPARSE_SNAPSHOT_EVERY_US`].
pub const MEDIUM_SNAPSHOTS_US: u64 = 600_000_000;
pub const MEDIUM_SNAPSHOT_EVERY_US: u64 = 10_000_000;
pub const SPARSE_SNAPSHOT_EVERY_US: u64 = 60_000_000;

/// The retention policy for snapshots: whether the one taken at `key` stays when the
/// newest was taken at `newest`. Every half second for the last 30 s, every 10 s for the
/// last 10 minutes, every minute before that, so an hour holds about 180 snapshots and a
/// seek anywhere replays at most a minute of virtual time (the presets, 20 s long, keep
/// them all).
pub fn keeps_snapshot(key: Time, newest: Time) -> bool {
    let age_us = newest.since_us(key);
    let on = |every_us: u64| key.as_us().is_multiple_of(every_us);
    age_us <= DENSE_SNAPSHOTS_US
        || (age_us <= MEDIUM_SNAPSHOTS_US && on(MEDIUM_SNAPSHOT_EVERY_US))
        || on(SPARSE_SNAPSHOT_EVERY_US)
}

/// A run being played back.
///
/// The engine has processed every event up to its *frontier*; the cursor is the time
/// shown, never behind the frontier. Going forward runs the engine on; going back
/// restores the latest snapshot at or before the cursor and runs on from there, which
/// reproduces the run exactly. Faults and operations injected at the cursor are written
/// into the scenario as well, so a restart or a shared link replays them.
pub struct Player {
    scenario: Scenario,
    engine: Box<dyn Engine>,
    /// `None` until the first event (at time zero) has been processed.
    frontier: Option<Time>,
    /// Snapshots by frontier, oldest first; the first is the fresh engine (key `None`).
    snapshots: Vec<(Option<Time>, EngineSnapshot)>,
    cursor: Time,
    playing: bool,
    speed: f64,
    flights: FlightIndex,
    error: Option<String>,
    /// The checker's latest verdict (recomputed lazily as the history grows).
    verdict: std::cell::RefCell<Option<CachedVerdict>>,
    /// Result labels by client node, with the history length they were computed at.
    labels: std::cell::RefCell<(usize, Vec<(NodeId, ResultLabel)>)>,
    /// The status bar's operation counts, with the history length they were computed at:
    /// the page asks ten times a second, and counting walks the whole history, which
    /// grows without end in a long run.
    op_counts: std::cell::RefCell<(usize, OpMetrics)>,
    /// Whether the verdict comes from elsewhere (the page's worker, through
    /// [`Player::check_request`] and [`Player::accept_check`]) instead of being computed
    /// here when it is asked for.
    background_checks: bool,
    /// Where playing stops by itself (a lesson plays a run to the moment of its answer).
    stop_at: Option<Time>,
    /// The protocol kind whose guarantee the verdict judges, when not the scenario's own
    /// (a design challenge judges its consistency requirement's model).
    judged_as: Option<&'static str>,
}

/// A verdict the player wants: on the history of `log_len` events, at `at`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CheckRequest {
    pub log_len: usize,
    pub at: Time,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("scenario", &self.scenario.name)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl Player {
    /// A player at time zero, playing.
    pub fn new(scenario: Scenario) -> Result<Player, LoadError> {
        let engine = start_engine(&scenario)?;
        let flights = FlightIndex::new(engine.message_kinds());
        let snapshots = vec![(None, engine.snapshot())];
        let mut player = Player {
            scenario,
            engine,
            frontier: None,
            snapshots,
            cursor: Time::ZERO,
            playing: true,
            speed: DEFAULT_SPEED,
            flights,
            error: None,
            verdict: std::cell::RefCell::new(None),
            labels: std::cell::RefCell::new((usize::MAX, Vec::new())),
            op_counts: std::cell::RefCell::new((usize::MAX, OpMetrics::default())),
            background_checks: false,
            judged_as: None,
            stop_at: None,
        };
        player.catch_up();
        Ok(player)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    pub fn flights(&self) -> &FlightIndex {
        &self.flights
    }

    pub fn cursor(&self) -> Time {
        self.cursor
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Takes new node positions from an edited copy of the scenario (the run ignores
    /// positions, so it goes on undisturbed).
    pub fn set_positions(&mut self, edited: &Scenario) {
        for (node, moved) in self.scenario.nodes.iter_mut().zip(&edited.nodes) {
            node.x = moved.x;
            node.y = moved.y;
        }
    }

    pub fn set_speed(&mut self, speed: f64) {
        if speed.is_finite() && speed > 0.0 {
            self.speed = speed;
        }
    }

    /// Moves the cursor by `wall_ms` of real time at the current speed, if playing.
    pub fn advance(&mut self, wall_ms: f64) {
        if !self.playing || !wall_ms.is_finite() || wall_ms <= 0.0 {
            return;
        }
        let virtual_us = (wall_ms.min(MAX_FRAME_MS) * self.speed * 1_000.0) as u64;
        let target = self.cursor.plus_us(virtual_us);
        match self.stop_at {
            Some(stop) if target >= stop => {
                self.move_cursor(stop.max(self.cursor));
                self.pause();
            }
            _ => self.move_cursor(target),
        }
    }

    /// Plays from the cursor and pauses at `time` (at once if the cursor is there).
    pub fn play_until(&mut self, time: Time) {
        if self.error.is_some() {
            return;
        }
        if self.cursor >= time {
            self.pause();
            return;
        }
        self.playing = true;
        self.stop_at = Some(time);
    }

    /// Moves the cursor to `time` (clamped to the run), forward or back.
    pub fn seek(&mut self, time: Time) {
        self.stop_at = None;
        self.move_cursor(time);
    }

    fn move_cursor(&mut self, time: Time) {
        let time = time.min(self.engine.duration());
        if self.frontier.is_some_and(|frontier| time < frontier) {
            self.rewind_to(time);
        }
        self.cursor = time;
        self.catch_up();
    }

    /// The next time after the cursor at which a scheduled fault begins or ends.
    pub fn next_fault_time(&self) -> Option<Time> {
        self.scenario
            .faults
            .iter()
            .flat_map(|fault| std::iter::once(fault.at_ms).chain(fault.until_ms))
            .map(Time::from_ms_f64)
            .filter(|&time| time > self.cursor)
            .min()
    }

    /// Moves to the moment the checker first finds the protocol's guarantee broken, if
    /// that comes after the cursor, and pauses there; returns the moment and the verdict.
    ///
    /// A prefix of a history that breaks linearizability, sequential or causal
    /// consistency breaks it however the history goes on, so the moment is found by a
    /// binary search over the times operations complete: each probe shows the run at
    /// that time (from a snapshot) and asks the checker. The checker names the first
    /// violation it finds, so once the guarantee is broken there is no "next" one.
    #[cfg(any(test, not(target_arch = "wasm32")))]
    pub fn seek_next_violation(&mut self) -> Result<(Time, VerdictSummary), String> {
        if let Some(sentence) = dsplay_sim::verdict::nothing_to_look_for(self.judged_kind()) {
            return Err(sentence);
        }
        let (start, was_playing) = (self.cursor, self.playing);
        let give_up = |player: &mut Player, message: String| {
            player.seek(start);
            player.playing = was_playing;
            Err(message)
        };
        self.playing = false;
        self.seek(self.engine.duration());
        // The history log is append-only, so the history at any earlier moment is a prefix
        // of it: the search judges prefixes and runs nothing again.
        let (moment, found) = match dsplay_sim::verdict::first_violation(
            self.engine.as_ref(),
            self.judged_kind(),
            dsplay_check::Budget::steps(SEARCH_BUDGET_STEPS),
            &mut |_, _| true,
        ) {
            dsplay_sim::verdict::FirstViolation::Found { time, verdict } => (time, verdict),
            dsplay_sim::verdict::FirstViolation::NotFound(whole) => {
                let duration = self.engine.duration();
                return give_up(
                    self,
                    match whole.valid {
                        Some(true) => format!(
                            "The checker finds no violation of {} in the whole run (to {duration}).",
                            whole.model
                        ),
                        _ => format!("No violation to jump to: {}", whole.explanation),
                    },
                );
            }
            dsplay_sim::verdict::FirstViolation::NoGuarantee(message) => {
                return give_up(self, message)
            }
            dsplay_sim::verdict::FirstViolation::Cancelled => {
                return give_up(self, "The search was cancelled.".into())
            }
        };
        if moment <= start {
            return give_up(self, format!(
                "The run has not been {} since {moment}, before this point (the checker names the first violation it finds): {}",
                found.model, found.explanation
            ));
        }
        self.show_violation(moment, found.clone());
        Ok((moment, found))
    }

    /// Pauses at `moment` and shows `verdict` there, as a search (here or in the page's
    /// worker) found it, without asking the checker again.
    pub fn show_violation(&mut self, moment: Time, verdict: VerdictSummary) {
        self.playing = false;
        self.seek(moment);
        self.verdict.replace(Some(CachedVerdict {
            log_len: self.engine.history_log().len(),
            checked_at: moment,
            verdict,
        }));
        self.labels.replace((usize::MAX, Vec::new()));
    }

    /// The checker's verdict on the history so far, with the larger budget of a search
    /// the user asked for.
    #[cfg(test)]
    fn judge_now(&self) -> VerdictSummary {
        VerdictSummary::judge(
            self.engine.as_ref(),
            self.judged_kind(),
            dsplay_check::Budget::steps(SEARCH_BUDGET_STEPS),
        )
    }

    /// Moves to the time of the next event, processing every event due then.
    pub fn step_event(&mut self) {
        self.playing = false;
        let next = self.engine.next_event_time();
        match next {
            Some(next) if next <= self.engine.duration() => self.seek(next.max(self.cursor)),
            _ => self.seek(self.engine.duration()),
        }
    }

    /// Restores the latest snapshot at or before `time`.
    fn rewind_to(&mut self, time: Time) {
        let latest_at_or_before = |time: Time| {
            self.snapshots
                .partition_point(|(key, _)| key.is_none_or(|key| key <= time))
                .max(1)
                - 1
        };
        let mut index = latest_at_or_before(time);
        // A snapshot older than the trace kept starts the trace again there, and copies
        // already in the air then would not be drawn: start a little earlier.
        // (Equal: the trace was started again at this very snapshot by an earlier rewind.)
        if self.snapshots[index].1.trace_len() <= self.engine.trace_start() {
            let lead_us = FLIGHT_LEAD_US.max(self.flights.longest_us);
            index = latest_at_or_before(Time::from_us(time.as_us().saturating_sub(lead_us)));
        }
        let (key, snapshot) = &self.snapshots[index];
        if !self.engine.can_restore(snapshot) {
            // The run has let go of messages the snapshot's future touches (and so of
            // every earlier snapshot's): run again from the start instead.
            self.rebuild();
        } else if self.engine.restore(snapshot).is_ok() {
            self.frontier = *key;
            self.error = None;
            self.forget_history_views();
        }
    }

    /// Drops what was worked out from the history: after a rewind the history is cut back
    /// and may grow again differently (a fault added live), so its length no longer names
    /// its contents.
    fn forget_history_views(&self) {
        self.labels.replace((usize::MAX, Vec::new()));
        self.op_counts.replace((usize::MAX, OpMetrics::default()));
    }

    /// A fresh engine for the scenario at time zero, with only its first snapshot; the
    /// cursor stays, and [`Player::catch_up`] runs the new engine up to it. `false` (and
    /// nothing changed) if the scenario no longer builds.
    fn rebuild(&mut self) -> bool {
        let Ok(engine) = start_engine(&self.scenario) else {
            return false;
        };
        self.snapshots = vec![(None, engine.snapshot())];
        self.engine = engine;
        self.flights = FlightIndex::new(self.engine.message_kinds());
        self.frontier = None;
        self.error = None;
        self.forget_history_views();
        true
    }

    /// Runs the engine up to the cursor, taking a snapshot at every boundary it passes.
    fn catch_up(&mut self) {
        while self.frontier.is_none_or(|frontier| frontier < self.cursor) {
            let latest = self.snapshots.last().and_then(|(key, _)| *key);
            // The next snapshot boundary after the frontier (time zero first).
            let boundary = self.frontier.map_or(Time::ZERO, |frontier| {
                Time::from_us((frontier.as_us() / SNAPSHOT_EVERY_US + 1) * SNAPSHOT_EVERY_US)
            });
            let target = if self.frontier.is_none_or(|frontier| frontier < boundary) {
                boundary.min(self.cursor)
            } else {
                self.cursor
            };
            if let Err(error) = self.engine.run_until(target) {
                self.error = Some(error.to_string());
                self.playing = false;
                break;
            }
            self.frontier = Some(target);
            // A long seek passes many boundaries; a snapshot the policy would drop once
            // the run reaches the cursor is not taken at all (each copies the state).
            let last_boundary_us = self.cursor.as_us() / SNAPSHOT_EVERY_US * SNAPSHOT_EVERY_US;
            if target == boundary
                && latest.is_none_or(|key| key < boundary)
                && keeps_snapshot(boundary, Time::from_us(last_boundary_us))
            {
                self.snapshots
                    .push((Some(boundary), self.engine.snapshot()));
                self.thin_snapshots();
            }
        }
        self.flights.update(self.engine.as_ref());
        if self.cursor >= self.engine.duration() {
            self.playing = false;
            self.stop_at = None;
        }
    }

    /// Keeps the snapshots [`keeps_snapshot`] keeps, so a long run holds a bounded number
    /// of them: each copies the run's state, which itself grows with the run (a Raft log),
    /// and one every half second for an hour would hold gigabytes.
    fn thin_snapshots(&mut self) {
        let Some(newest) = self.snapshots.last().and_then(|(key, _)| *key) else {
            return;
        };
        let engine = &self.engine;
        // The first (time zero) stays, so there is always one; the others go when the
        // policy drops them or the run has let go of messages they need.
        self.snapshots.retain(|(key, snapshot)| {
            key.is_none_or(|key| keeps_snapshot(key, newest) && engine.can_restore(snapshot))
        });
    }

    #[cfg(test)]
    fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// The time a live injection at the cursor gets: the cursor, or the first microsecond
    /// after it that no scheduled fault or operation holds, so two interventions never
    /// share a time and every replay orders them the same way.
    fn injection_time(&mut self) -> Time {
        let taken = |time: Time| {
            self.scenario
                .faults
                .iter()
                .any(|fault| Time::from_ms_f64(fault.at_ms) == time)
                || self
                    .scenario
                    .operations
                    .iter()
                    .any(|op| Time::from_ms(op.at_ms) == time)
        };
        let mut at = self.cursor;
        while taken(at) {
            at = at.plus_us(1);
        }
        self.seek(at);
        at
    }

    /// Forgets snapshots taken after `time`: they lack what was just injected.
    fn drop_snapshots_after(&mut self, time: Time) {
        self.snapshots
            .retain(|(key, _)| key.is_none_or(|key| key <= time));
    }

    /// Injects a fault at the cursor, lasting `duration_ms` if given, and records it in
    /// the scenario. The run on from here is recomputed, exactly as a replay shows it.
    pub fn inject(&mut self, fault: FaultKindSpec, duration_ms: Option<f64>) -> Result<(), String> {
        let at = self.injection_time();
        let at_ms = at.as_ms_f64();
        let spec = FaultSpec {
            at_ms,
            until_ms: duration_ms.map(|duration| at_ms + duration),
            fault,
        };
        self.engine.inject(&spec)?;
        self.scenario.faults.push(spec);
        self.drop_snapshots_after(at);
        self.apply_due();
        Ok(())
    }

    /// Runs a typed operation on `client` at the cursor and records it in the scenario.
    pub fn run_operation(&mut self, client: NodeId, op: ClientOpSpec) -> Result<(), String> {
        let name = self.engine.topology().name(client).to_string();
        if self.engine.is_waiting(client) {
            return Err(format!(
                "{name} is still waiting for its previous operation"
            ));
        }
        let at = self.injection_time();
        // Operations are scheduled at whole milliseconds, as scenarios record them.
        let at_ms = at.as_us().div_ceil(1_000);
        let at = Time::from_ms(at_ms);
        self.engine.schedule_op(at, client, op.to_client_op())?;
        self.scenario.operations.push(OperationSpec {
            at_ms,
            client: name,
            op,
        });
        self.drop_snapshots_after(at);
        if at > self.cursor {
            self.seek(at);
        } else {
            self.apply_due();
        }
        Ok(())
    }

    /// Applies what was just scheduled at the frontier (the engine has passed it already).
    fn apply_due(&mut self) {
        if let Some(frontier) = self.frontier {
            if let Err(error) = self.engine.run_until(frontier) {
                self.error = Some(error.to_string());
                self.playing = false;
            }
        }
        self.flights.update(self.engine.as_ref());
    }

    pub fn is_finished(&self) -> bool {
        self.cursor >= self.engine.duration()
    }

    pub fn play(&mut self) {
        if self.is_finished() || self.error.is_some() {
            self.restart();
        }
        self.playing = self.error.is_none();
    }

    pub fn pause(&mut self) {
        self.playing = false;
        self.stop_at = None;
    }

    /// Play or pause; playing a finished run starts it again from zero.
    pub fn toggle(&mut self) {
        if self.playing {
            self.pause();
        } else {
            self.play();
        }
    }

    /// Back to time zero with the same scenario and seed.
    pub fn restart(&mut self) {
        if self.rebuild() {
            self.cursor = Time::ZERO;
            self.stop_at = None;
            self.verdict.replace(None);
            self.labels.replace((usize::MAX, Vec::new()));
            self.catch_up();
        }
    }

    pub fn status(&self) -> Status {
        let stats = self.engine.stats();
        let log_len = self.engine.history_log().len();
        if self.op_counts.borrow().0 != log_len {
            self.op_counts
                .replace((log_len, metrics(&self.engine.operations())));
        }
        let counts = self.op_counts.borrow();
        let ops = &counts.1;
        Status {
            time: self.cursor,
            events: stats.events,
            in_flight: stats.in_flight,
            fingerprint: self.engine.fingerprint(),
            playing: self.playing,
            finished: self.is_finished(),
            error: self.error.clone(),
            ops_ok: ops.ops_ok,
            ops_fail: ops.ops_fail,
            ops_info: ops.ops_info,
            availability: ops.availability,
            verdict: Some(self.verdict()),
            checking: self.is_checking(),
        }
    }

    /// Each client's latest operation as a label, recomputed only when the history grew.
    pub fn result_labels(&self) -> Vec<(NodeId, ResultLabel)> {
        let log_len = self.engine.history_log().len();
        let mut cache = self.labels.borrow_mut();
        if cache.0 != log_len {
            let ops = self.engine.operations();
            let flagged = self
                .verdict
                .borrow()
                .as_ref()
                .map(|cached| cached.verdict.ops.clone())
                .unwrap_or_default();
            let mut latest: std::collections::BTreeMap<NodeId, &dsplay_sim::history::Operation> =
                std::collections::BTreeMap::new();
            for op in ops.iter().filter(|op| !op.final_read) {
                latest.insert(op.client, op);
            }
            let labels = latest
                .into_iter()
                .map(|(client, op)| {
                    let line = crate::inspect::op_line(op, &ops);
                    let tone = if flagged.contains(&op.index) {
                        Tone::Violation
                    } else if line.stale {
                        Tone::Stale
                    } else {
                        match line.outcome {
                            "ok" => Tone::Ok,
                            "waiting" => Tone::Waiting,
                            _ => Tone::Bad,
                        }
                    };
                    let text = match (line.outcome, line.latency_ms) {
                        ("ok", Some(ms)) => format!("{} · {ms:.0} ms", line.label),
                        ("waiting", _) => format!("{} …", line.label),
                        ("unknown", _) => format!("{} · timed out", line.label),
                        (outcome, _) => format!("{} · {outcome}", line.label),
                    };
                    (client, ResultLabel { text, tone })
                })
                .collect();
            *cache = (log_len, labels);
        }
        cache.1.clone()
    }

    /// Whether the cached verdict still describes the history at the cursor: the history
    /// has not grown since, or the run is playing and checked less than a second of virtual
    /// time ago.
    fn verdict_is_fresh(&self) -> bool {
        let log_len = self.engine.history_log().len();
        self.verdict.borrow().as_ref().is_some_and(|cached| {
            (cached.log_len == log_len && cached.checked_at <= self.cursor)
                || (self.playing
                    && self.cursor >= cached.checked_at
                    && self.cursor.since_us(cached.checked_at) < VERDICT_EVERY_US)
        })
    }

    /// A verdict on the guarantee that is not in (yet), saying why.
    fn undecided(&self, explanation: &str) -> VerdictSummary {
        VerdictSummary {
            model: dsplay_sim::verdict::guarantee(self.judged_kind())
                .name()
                .to_string(),
            valid: None,
            explanation: explanation.into(),
            ops: Vec::new(),
        }
    }

    /// The checker's verdict on the history so far, worked out here (native callers: the
    /// tests and tools; the page asks its worker instead).
    #[cfg(any(test, not(target_arch = "wasm32")))]
    fn judge_here(&self) -> VerdictSummary {
        VerdictSummary::judge(
            self.engine.as_ref(),
            self.judged_kind(),
            dsplay_check::Budget::steps(VERDICT_BUDGET_STEPS),
        )
    }

    /// In the browser the checker never runs on the page's thread (its code is not even
    /// in the page's wasm): without background checks there is no verdict to give.
    #[cfg(all(not(test), target_arch = "wasm32"))]
    fn judge_here(&self) -> VerdictSummary {
        self.undecided("The page checks histories in its background worker.")
    }

    /// Judges the guarantee of protocol kind `kind` (`None`: the scenario's own) from now
    /// on; the verdict so far is worked out again. A protocol that promises no model the
    /// checker can test (gossip) keeps saying so.
    pub fn set_judged_as(&mut self, kind: Option<&'static str>) {
        if self.judged_as != kind {
            self.judged_as = kind;
            self.verdict.replace(None);
            self.labels.replace((usize::MAX, Vec::new()));
        }
    }

    /// The protocol kind whose guarantee is judged instead of the scenario's own, if any.
    pub fn judged_as(&self) -> Option<&'static str> {
        self.judged_as
            .filter(|_| dsplay_sim::verdict::has_guarantee(self.scenario.protocol.kind()))
    }

    /// The protocol kind whose guarantee the verdict judges.
    pub fn judged_kind(&self) -> &'static str {
        self.judged_as().unwrap_or(self.scenario.protocol.kind())
    }

    /// Has the verdict come from elsewhere (see [`Player::check_request`]) instead of
    /// being computed on demand.
    pub fn set_background_checks(&mut self, background: bool) {
        self.background_checks = background;
    }

    /// The verdict the player needs, when its cached one no longer describes the cursor.
    pub fn check_request(&self) -> Option<CheckRequest> {
        let testable = dsplay_sim::verdict::has_guarantee(self.judged_kind());
        (testable && !self.verdict_is_fresh()).then(|| CheckRequest {
            log_len: self.engine.history_log().len(),
            at: self.cursor,
        })
    }

    /// Takes the verdict on the history of `request` (computed elsewhere), unless the run
    /// has since been rewound before it.
    pub fn accept_check(&mut self, request: CheckRequest, verdict: VerdictSummary) {
        if request.at > self.cursor {
            return;
        }
        self.verdict.replace(Some(CachedVerdict {
            log_len: request.log_len,
            checked_at: request.at,
            verdict,
        }));
        self.labels.replace((usize::MAX, Vec::new()));
    }

    /// Whether a verdict is still being worked out for the cursor (background checks only).
    pub fn is_checking(&self) -> bool {
        self.check_request().is_some() && self.background_checks
    }

    /// The verdict on the guarantee for the history up to the cursor, recomputed when the
    /// history has grown and a second of virtual time has passed (or the run stands still).
    /// With background checks, the latest verdict that came in, unless it describes a
    /// later moment than the cursor (then one that says it is still checking).
    pub fn verdict(&self) -> VerdictSummary {
        // A protocol without a guarantee needs no checker: its verdict says so at once.
        let testable = dsplay_sim::verdict::has_guarantee(self.judged_kind());
        if self.background_checks && testable {
            let cached = self.verdict.borrow();
            return match cached.as_ref() {
                Some(cached) if cached.checked_at <= self.cursor => cached.verdict.clone(),
                _ => self.undecided("The checker is still working on the history up to here."),
            };
        }
        if !self.verdict_is_fresh() {
            let verdict = self.judge_here();
            *self.verdict.borrow_mut() = Some(CachedVerdict {
                log_len: self.engine.history_log().len(),
                checked_at: self.cursor,
                verdict,
            });
        }
        self.verdict
            .borrow()
            .as_ref()
            .map(|cached| cached.verdict.clone())
            .expect("just computed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Scenario {
        Scenario::from_json(crate::DEFAULT_SCENARIO).unwrap()
    }

    #[test]
    fn advancing_runs_the_engine_up_to_the_cursor() {
        let mut player = Player::new(ring()).unwrap();
        player.advance(1_000.0); // clamped to 100 ms of wall time: 25 ms virtual at 0.25x
        assert_eq!(player.cursor(), Time::from_ms(25));
        player.set_speed(10.0);
        for _ in 0..10 {
            player.advance(50.0);
        }
        assert_eq!(player.cursor(), Time::from_ms(5_025));
        assert!(player.engine().now() <= player.cursor());
        assert!(player
            .engine()
            .next_event_time()
            .is_some_and(|next| next > player.cursor()));
    }

    #[test]
    fn paused_players_stand_still_and_finished_runs_restart_on_play() {
        let mut player = Player::new(ring()).unwrap();
        player.toggle();
        player.advance(50.0);
        assert_eq!(player.cursor(), Time::ZERO);
        player.toggle();
        player.seek(Time::from_ms(60_000));
        assert!(player.is_finished());
        assert!(!player.status().playing);
        player.toggle();
        assert_eq!(player.cursor(), Time::ZERO);
        assert!(player.status().playing);
    }

    #[test]
    fn active_flights_are_exactly_the_hops_in_the_air() {
        let mut player = Player::new(ring()).unwrap();
        player.seek(Time::from_ms(6_000));
        let trace = player.engine().trace().to_vec();
        for probe_ms in [150, 1_000, 2_345, 4_100, 5_999] {
            let time = Time::from_ms(probe_ms);
            let active: Vec<Flight> = player.flights().active(time).copied().collect();
            // Recompute from the trace directly: hops that left by `time` and have not
            // arrived or vanished.
            let expected = trace
                .iter()
                .filter_map(|event| match *event {
                    TraceEvent::Hop { time: start, msg, to, arrive, lost, .. } if start <= time && time < arrive => {
                        let vanished = lost
                            && trace.iter().any(|later| {
                                matches!(*later, TraceEvent::Dropped { msg: m, node, time: t, reason: DropReason::Loss }
                                    if m == msg && node == to && t <= time && t >= start)
                            });
                        (!vanished).then_some(msg)
                    }
                    _ => None,
                })
                .count();
            assert_eq!(active.len(), expected, "at {time}");
            assert!(active
                .iter()
                .all(|flight| (0.0..=1.0).contains(&flight.progress(time))));
        }
    }

    #[test]
    fn lost_copies_end_midway_with_a_mark_on_the_link() {
        let mut player = Player::new(ring()).unwrap();
        player.seek(Time::from_ms(20_000));
        let lost: Vec<&DropMark> = player
            .flights()
            .recent_drops(Time::from_ms(20_000), 20_000_000)
            .iter()
            .filter(|drop| drop.reason == DropReason::Loss)
            .collect();
        assert!(!lost.is_empty(), "the lossy link n4–n5 loses some messages");
        for drop in lost {
            let DropPlace::OnLink { progress, .. } = drop.place else {
                panic!("a lost copy ends on its link")
            };
            assert!(
                (0.3..=0.7).contains(&progress),
                "lost halfway, got {progress}"
            );
        }
        let down: Vec<&DropMark> = player
            .flights()
            .recent_drops(Time::from_ms(7_000), 3_000_000)
            .iter()
            .filter(|drop| drop.reason == DropReason::NodeDown)
            .collect();
        assert!(
            down.iter().all(|drop| matches!(
                drop.place,
                DropPlace::Node {
                    node: NodeId(2),
                    ..
                }
            )),
            "n3 is the node that is down"
        );
        assert!(!down.is_empty());
    }

    #[test]
    fn the_status_reports_the_engines_figures_at_the_cursor() {
        let mut player = Player::new(ring()).unwrap();
        player.seek(Time::from_ms(3_000));
        let status = player.status();
        let mut engine = build(&ring()).unwrap();
        engine.run_until(Time::from_ms(3_000)).unwrap();
        assert_eq!(status.time, Time::from_ms(3_000));
        assert_eq!(status.events, engine.stats().events);
        assert_eq!(status.fingerprint, engine.fingerprint());
        assert_eq!(
            status.in_flight as usize,
            player.flights().active(Time::from_ms(3_000)).count()
        );
    }

    fn feed() -> Scenario {
        Scenario::from_json(crate::presets::find("sequential-feed").unwrap().json).unwrap()
    }

    #[test]
    fn scrubbing_back_and_forth_shows_exactly_the_straight_run() {
        let mut straight = Player::new(feed()).unwrap();
        straight.seek(Time::from_ms(7_300));
        let mut scrubbed = Player::new(feed()).unwrap();
        scrubbed.seek(Time::from_ms(12_000));
        scrubbed.seek(Time::from_ms(2_250));
        scrubbed.seek(Time::from_ms(9_100));
        scrubbed.seek(Time::from_ms(7_300));
        assert_eq!(scrubbed.status().fingerprint, straight.status().fingerprint);
        assert_eq!(scrubbed.engine().trace(), straight.engine().trace());
        let active = |player: &Player| {
            player
                .flights()
                .active(Time::from_ms(7_300))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(active(&scrubbed), active(&straight));
    }

    #[test]
    fn snapshots_thin_out_with_age_and_keep_every_minute() {
        let newest = Time::from_ms(3_600_000);
        assert!(keeps_snapshot(newest, newest));
        assert!(
            keeps_snapshot(Time::from_ms(3_580_500), newest),
            "the last 30 s, all"
        );
        assert!(!keeps_snapshot(Time::from_ms(3_560_500), newest));
        assert!(
            keeps_snapshot(Time::from_ms(3_560_000), newest),
            "every 10 s to 10 min"
        );
        assert!(!keeps_snapshot(Time::from_ms(2_000_000 + 10_000), newest));
        assert!(
            keeps_snapshot(Time::from_ms(60_000), newest),
            "every minute before"
        );
    }

    /// The process's peak resident memory so far, where the system says (Linux).
    fn peak_memory() -> String {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmHWM:"))
                    .map(|value| format!("peak resident memory so far {}", value.trim()))
            })
            .unwrap_or_else(|| "peak resident memory not known here".into())
    }

    /// Slow in a debug build (a minute and a half): `cargo xtask long-run` runs it in
    /// release and prints what the run holds.
    #[test]
    #[ignore = "long: run by cargo xtask long-run"]
    fn an_hour_long_run_keeps_few_snapshots_and_scrubs_back_exactly() {
        let mut hour =
            Scenario::from_json(include_str!("../scenarios/strict-password.json")).unwrap();
        hour.duration_ms = 3_600_000.0;
        hour.max_events = 100_000_000;
        let mut player = Player::new(hour.clone()).unwrap();
        player.pause();
        player.seek(Time::from_ms(3_600_000));
        let end_fingerprint = player.engine().fingerprint();
        let trace_bytes = std::mem::size_of_val(player.engine().trace());
        println!(
            "an hour of the strict preset: {} events, {} snapshots, trace kept {} events ({:.1} MB) of {}, messages kept {} of {}, {} flights held, {} operations; {}",
            player.engine().stats().events,
            player.snapshot_count(),
            player.engine().trace().len(),
            trace_bytes as f64 / 1e6,
            player.engine().trace_end(),
            player.engine().messages_kept(),
            player.engine().stats().messages_sent,
            player.flights().held().0,
            player.engine().history_log().len() / 2,
            peak_memory(),
        );
        assert!(
            player.snapshot_count() < 200,
            "{} snapshots for an hour",
            player.snapshot_count()
        );
        // Two minutes of trace, give or take the batching: about 2 % of the hour's.
        assert!(player.engine().trace_start() > 0);
        assert!(
            player.engine().trace().len() < 400_000,
            "{}",
            player.engine().trace().len()
        );
        assert!(
            player.flights().held().0 < 400_000,
            "{:?}",
            player.flights().held()
        );
        // The messages a byzantine replay can reach, and those the kept trace names.
        assert!(
            player.engine().messages_kept() < 100_000,
            "{} messages kept",
            player.engine().messages_kept()
        );
        // Back to the middle and forward again: exactly the straight run.
        player.seek(Time::from_ms(1_800_250));
        let hour_again = hour.clone();
        let mut straight = Player::new(hour).unwrap();
        straight.pause();
        straight.seek(Time::from_ms(1_800_250));
        assert_eq!(
            player.engine().fingerprint(),
            straight.engine().fingerprint()
        );
        assert_eq!(player.status(), straight.status());
        // The copies in the air there are drawn as in the straight run, though the trace
        // before that moment had been let go.
        let moment = Time::from_ms(1_800_250);
        let in_air = |player: &Player| player.flights().active(moment).copied().collect::<Vec<_>>();
        assert!(!in_air(&straight).is_empty());
        assert_eq!(in_air(&player), in_air(&straight));
        // Again, just after the snapshot that rewind started the trace at.
        let moment = Time::from_ms(1_740_010);
        player.seek(moment);
        let mut straight = Player::new(hour_again).unwrap();
        straight.pause();
        straight.seek(moment);
        let in_air = |player: &Player| player.flights().active(moment).copied().collect::<Vec<_>>();
        assert_eq!(in_air(&player), in_air(&straight));
        player.seek(Time::from_ms(3_600_000));
        assert_eq!(player.engine().fingerprint(), end_fingerprint);
        println!(
            "at the end of the test (three players have run): {}",
            peak_memory()
        );
    }

    #[test]
    fn playing_until_a_moment_pauses_exactly_there() {
        let mut player = Player::new(ring()).unwrap();
        player.pause();
        player.seek(Time::from_ms(100));
        player.play_until(Time::from_ms(400));
        assert!(player.is_playing());
        player.advance(100.0);
        assert!(player.is_playing() && player.cursor() < Time::from_ms(400));
        for _ in 0..20 {
            player.advance(100.0);
        }
        assert!(!player.is_playing());
        assert_eq!(player.cursor(), Time::from_ms(400));
        // Played again, it goes on past the old stop.
        player.play();
        player.advance(100.0);
        assert!(player.cursor() > Time::from_ms(400));
        // A stop behind the cursor only pauses.
        player.play_until(Time::from_ms(100));
        assert!(!player.is_playing());
    }

    #[test]
    fn stepping_moves_to_the_next_event() {
        let mut player = Player::new(feed()).unwrap();
        player.seek(Time::from_ms(1_000));
        let next = player.engine().next_event_time().unwrap();
        let events = player.status().events;
        player.step_event();
        assert_eq!(player.cursor(), next);
        assert!(player.status().events > events);
        assert!(!player.status().playing);
    }

    #[test]
    fn a_fault_injected_after_scrubbing_back_replays_from_the_scenario() {
        let mut player = Player::new(feed()).unwrap();
        let counts = |player: &Player| {
            let status = player.status();
            (status.ops_ok, status.ops_fail, status.ops_info)
        };
        player.seek(Time::from_ms(9_000));
        let at_nine_seconds = counts(&player);
        player.seek(Time::from_ms(4_000));
        let mut fresh = Player::new(feed()).unwrap();
        fresh.seek(Time::from_ms(4_000));
        assert_eq!(
            counts(&player),
            counts(&fresh),
            "counted again after the rewind"
        );
        assert_ne!(counts(&player), at_nine_seconds);
        let crash = FaultKindSpec::Crash { node: "r1".into() };
        player.inject(crash, Some(2_000.0)).unwrap();
        player.seek(Time::from_ms(15_000));
        let mut replay = Player::new(player.scenario().clone()).unwrap();
        replay.seek(Time::from_ms(15_000));
        assert_eq!(player.status().fingerprint, replay.status().fingerprint);
        assert_eq!(
            counts(&player),
            counts(&replay),
            "the counts are of this history"
        );
        assert_eq!(player.scenario().faults.len(), 1);
        assert_eq!(player.scenario().faults[0].until_ms, Some(6_000.0));
        // Going back before the injection and forward again still shows it.
        player.seek(Time::from_ms(3_000));
        player.seek(Time::from_ms(15_000));
        assert_eq!(player.status().fingerprint, replay.status().fingerprint);
        let bad = player
            .inject(FaultKindSpec::Crash { node: "zz".into() }, None)
            .unwrap_err();
        assert_eq!(bad, "fault.fault.node: unknown node \"zz\"");
    }

    #[test]
    fn a_typed_operation_runs_on_the_client_and_is_recorded() {
        let mut player = Player::new(feed()).unwrap();
        player.seek(Time::from_ms(2_000));
        let editor = NodeId(4);
        // The editor's workload may be mid-operation; wait until it is free.
        while player.engine().is_waiting(editor) {
            player.step_event();
        }
        let write = ClientOpSpec::Write {
            key: "feed".into(),
            value: 42,
        };
        player.run_operation(editor, write.clone()).unwrap();
        assert_eq!(player.scenario().operations.len(), 1);
        assert!(player.engine().is_waiting(editor));
        let busy = player.run_operation(editor, write).unwrap_err();
        assert_eq!(busy, "editor is still waiting for its previous operation");
        player.seek(Time::from_ms(4_000));
        let typed = player
            .engine()
            .operations()
            .into_iter()
            .filter(|op| matches!(op.op, dsplay_sim::Op::Write { value, .. } if value.shown == 42))
            .count();
        assert_eq!(typed, 1);
        let mut replay = Player::new(player.scenario().clone()).unwrap();
        replay.seek(Time::from_ms(4_000));
        assert_eq!(replay.status().fingerprint, player.status().fingerprint);
    }

    #[test]
    fn with_background_checks_the_player_asks_for_a_verdict_and_shows_the_answer() {
        let mut player = Player::new(feed()).unwrap();
        player.set_background_checks(true);
        player.pause();
        player.seek(Time::from_ms(6_000));
        let request = player.check_request().expect("nothing checked yet");
        assert_eq!(request.at, Time::from_ms(6_000));
        assert_eq!(request.log_len, player.engine().history_log().len());
        assert!(player.status().checking);
        assert_eq!(
            player.status().verdict.unwrap().valid,
            None,
            "no answer yet"
        );
        // The answer, computed elsewhere as the worker does.
        let answer = VerdictSummary::judge(
            player.engine(),
            "sequential",
            dsplay_check::Budget::default(),
        );
        player.accept_check(request, answer.clone());
        assert_eq!(player.check_request(), None);
        let status = player.status();
        assert!(!status.checking);
        assert_eq!(status.verdict, Some(answer));
        // Going back before the checked moment asks again, and shows no later verdict.
        player.seek(Time::from_ms(3_000));
        assert!(player.check_request().is_some());
        assert_eq!(player.status().verdict.unwrap().valid, None);
        // An answer for a moment after the cursor (the run rewound meanwhile) is dropped.
        player.accept_check(
            request,
            VerdictSummary::judge(
                player.engine(),
                "sequential",
                dsplay_check::Budget::default(),
            ),
        );
        assert!(player.check_request().is_some());
    }

    #[test]
    fn a_protocol_without_a_guarantee_never_asks_for_a_check() {
        let mut player = Player::new(ring()).unwrap();
        player.set_background_checks(true);
        player.seek(Time::from_ms(2_000));
        assert_eq!(player.check_request(), None);
        assert!(!player.status().checking);
        assert_eq!(player.status().verdict.unwrap().valid, None);
    }

    #[test]
    fn the_status_carries_the_checkers_verdict_on_the_guarantee() {
        let mut player = Player::new(feed()).unwrap();
        player.seek(Time::from_ms(6_000));
        player.pause();
        let verdict = player.status().verdict.unwrap();
        assert_eq!(
            (verdict.model.as_str(), verdict.valid),
            ("sequential", Some(true))
        );
        let liar = FaultKindSpec::Byzantine {
            node: "r3".into(),
            strategy: dsplay_sim::fault::StrategyName::Lie,
            toward: vec![],
        };
        player.inject(liar, None).unwrap();
        player.seek(Time::from_ms(9_000));
        let verdict = player.status().verdict.unwrap();
        assert_eq!(
            verdict.valid,
            Some(false),
            "reads of values nobody wrote: {}",
            verdict.explanation
        );
        // Values are named as the page shows them, never by the engine's internal ids.
        assert!(
            !verdict
                .explanation
                .split(|c: char| !c.is_ascii_digit())
                .any(|digits| digits.len() > 6),
            "{}",
            verdict.explanation
        );
        assert!(!verdict.ops.is_empty());
    }

    #[test]
    fn each_client_shows_its_latest_result() {
        let mut player = Player::new(feed()).unwrap();
        player.seek(Time::from_ms(6_000));
        let labels = player.result_labels();
        let names: Vec<&str> = labels
            .iter()
            .map(|(node, _)| player.engine().topology().name(*node))
            .collect();
        assert_eq!(names, ["editor", "reader1", "reader2"]);
        let reader = &labels[1].1;
        assert!(reader.text.starts_with("r feed→"), "{}", reader.text);
        assert!(matches!(
            reader.tone,
            Tone::Ok | Tone::Stale | Tone::Waiting
        ));
        assert_eq!(
            player.result_labels(),
            labels,
            "cached until the history grows"
        );
    }

    #[test]
    fn next_violation_stops_where_the_checker_first_finds_the_guarantee_broken() {
        let mut scenario = feed();
        scenario.faults = vec![dsplay_sim::fault::FaultSpec {
            at_ms: 4_000.0,
            until_ms: None,
            fault: FaultKindSpec::Byzantine {
                node: "r3".into(),
                strategy: dsplay_sim::fault::StrategyName::Lie,
                toward: vec![],
            },
        }];
        let mut player = Player::new(scenario.clone()).unwrap();
        player.seek(Time::from_ms(1_000));
        let (moment, verdict) = player.seek_next_violation().unwrap();
        assert_eq!(player.cursor(), moment);
        assert!(!player.status().playing, "paused at the violation");
        assert_eq!(verdict.valid, Some(false), "{}", verdict.explanation);
        assert!(
            moment > Time::from_ms(4_000),
            "the liar starts at 4 s: {moment}"
        );
        assert_eq!(player.status().verdict.unwrap().valid, Some(false));
        // Just before that moment the history still holds: a fresh run agrees.
        let mut before = Player::new(scenario).unwrap();
        before.seek(Time::from_us(moment.as_us() - 1));
        before.pause();
        assert_ne!(before.judge_now().valid, Some(false));
        // From past the violation, there is no next one, and the cursor stays put.
        player.seek(moment.plus_us(500_000));
        let cursor = player.cursor();
        let said = player.seek_next_violation().unwrap_err();
        assert!(
            said.starts_with("The run has not been sequential since"),
            "{said}"
        );
        assert_eq!(player.cursor(), cursor);
        // A run that keeps its guarantee says so.
        let mut calm = Player::new(feed()).unwrap();
        let said = calm.seek_next_violation().unwrap_err();
        assert!(
            said.starts_with("The checker finds no violation of sequential"),
            "{said}"
        );
        assert_eq!(calm.cursor(), Time::ZERO);
    }

    #[test]
    fn a_fault_injected_at_time_zero_applies_at_once() {
        let mut player = Player::new(feed()).unwrap();
        player.pause();
        player
            .inject(FaultKindSpec::Crash { node: "r1".into() }, Some(3_000.0))
            .unwrap();
        assert!(!player.engine().is_up(NodeId(0)), "r1 is down at 0 s");
        let mut replay = Player::new(player.scenario().clone()).unwrap();
        replay.pause();
        assert!(!replay.engine().is_up(NodeId(0)), "and so in a replay");
        assert_eq!(player.status().fingerprint, replay.status().fingerprint);
    }

    #[test]
    fn an_injection_lands_at_the_cursor_even_after_scrubbing_back() {
        let mut player = Player::new(feed()).unwrap();
        player.pause();
        player.seek(Time::from_ms(5_000));
        let crash = |node: &str| FaultKindSpec::Crash { node: node.into() };
        player.inject(crash("r2"), Some(1_000.0)).unwrap();
        player.inject(crash("r3"), Some(1_000.0)).unwrap();
        player.seek(Time::from_ms(1_000));
        player.inject(crash("r4"), Some(1_000.0)).unwrap();
        let starts: Vec<f64> = player.scenario().faults.iter().map(|f| f.at_ms).collect();
        assert_eq!(starts, [5_000.0, 5_000.001, 1_000.0]);
        assert_eq!(player.cursor(), Time::from_ms(1_000));
        let mut replay = Player::new(player.scenario().clone()).unwrap();
        replay.seek(Time::from_ms(8_000));
        player.seek(Time::from_ms(8_000));
        assert_eq!(player.status().fingerprint, replay.status().fingerprint);
    }
}
