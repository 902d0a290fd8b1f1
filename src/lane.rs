//! The fault lane under the scrubber: where each scheduled fault sits, stacked in rows
//! so overlapping faults stay visible, and where a drag or an arrow key moves one.
//!
//! Plain Rust, tested natively; the timeline component only turns these into elements.

use crate::commands::describe_fault;
use dsplay_sim::fault::FaultKindSpec;
use dsplay_sim::Scenario;

/// A fault drawn in the lane.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneMark {
    /// Index of the fault in the scenario's schedule.
    pub fault: usize,
    /// Where it starts and ends, as fractions of the run.
    pub start: f64,
    pub end: f64,
    /// Which row of the lane it sits in (0 is the top).
    pub row: usize,
    pub at_ms: f64,
    /// E.g. "r1 crashed for 3.0 s, at 2.5 s".
    pub label: String,
    /// What it does to, for its colour: `node`, `link` or `heal`.
    pub family: &'static str,
}

/// How far one press of an arrow key moves a fault, and with Shift held.
pub const KEY_STEP_MS: f64 = 100.0;
pub const KEY_STEP_SHIFT_MS: f64 = 1_000.0;
/// Faults move in steps of this many milliseconds when dragged.
pub const DRAG_GRID_MS: f64 = 10.0;

/// The lane's marks for `scenario`'s fault schedule.
pub fn marks(scenario: &Scenario) -> Vec<LaneMark> {
    let total_ms = scenario.duration_ms.max(1.0);
    // Rows: each fault goes in the first row whose last fault ended before it starts.
    let mut order: Vec<usize> = (0..scenario.faults.len()).collect();
    order.sort_by(|&a, &b| {
        scenario.faults[a]
            .at_ms
            .total_cmp(&scenario.faults[b].at_ms)
    });
    let mut row_ends: Vec<f64> = Vec::new();
    let mut rows = vec![0; scenario.faults.len()];
    for index in order {
        let fault = &scenario.faults[index];
        let end_ms = end_ms(fault, total_ms);
        let row = match row_ends.iter().position(|&end| end <= fault.at_ms) {
            Some(row) => row,
            None => {
                row_ends.push(0.0);
                row_ends.len() - 1
            }
        };
        row_ends[row] = end_ms.max(fault.at_ms);
        rows[index] = row;
    }
    scenario
        .faults
        .iter()
        .enumerate()
        .map(|(index, fault)| {
            let end_ms = end_ms(fault, total_ms);
            let lasting = fault.until_ms.map(|until| until - fault.at_ms);
            LaneMark {
                fault: index,
                start: (fault.at_ms / total_ms).clamp(0.0, 1.0),
                end: (end_ms / total_ms).clamp(0.0, 1.0),
                row: rows[index],
                at_ms: fault.at_ms,
                label: format!(
                    "{}, at {:.1} s",
                    describe_fault(&fault.fault, lasting),
                    fault.at_ms / 1_000.0
                ),
                family: family(&fault.fault),
            }
        })
        .collect()
}

/// Where a fault's mark ends: at its end, at the end of the run if it has none, or a
/// sliver after its start for an instantaneous one (so it can be seen and grabbed).
fn end_ms(fault: &dsplay_sim::fault::FaultSpec, total_ms: f64) -> f64 {
    let end = match fault.until_ms {
        Some(until_ms) => until_ms,
        None if is_instant(&fault.fault) => fault.at_ms + total_ms * INSTANT_SHARE,
        None => total_ms,
    };
    end.min(total_ms)
}

/// The share of the lane an instantaneous fault's mark takes.
const INSTANT_SHARE: f64 = 0.006;

/// How many rows the lane needs.
pub fn row_count(marks: &[LaneMark]) -> usize {
    marks.iter().map(|mark| mark.row + 1).max().unwrap_or(1)
}

/// Faults that happen at one moment and have no duration: heals and restarts.
pub fn is_instant(fault: &FaultKindSpec) -> bool {
    matches!(
        fault,
        FaultKindSpec::HealAll {} | FaultKindSpec::HealLink { .. } | FaultKindSpec::Restart { .. }
    )
}

/// What a fault acts on, for its colour: `node`, `link` or `heal`.
pub fn family(fault: &FaultKindSpec) -> &'static str {
    match fault {
        FaultKindSpec::HealAll {}
        | FaultKindSpec::HealLink { .. }
        | FaultKindSpec::Restart { .. } => "heal",
        FaultKindSpec::CutLink { .. }
        | FaultKindSpec::Partition { .. }
        | FaultKindSpec::LinkChange { .. } => "link",
        _ => "node",
    }
}

/// Where a fault that started at `at_ms` lands when dragged by `dx_fraction` of the
/// lane's width: on a 10 ms grid, inside the run.
pub fn dragged_at_ms(at_ms: f64, dx_fraction: f64, duration_ms: f64) -> f64 {
    let moved = at_ms + dx_fraction * duration_ms;
    clamp_start((moved / DRAG_GRID_MS).round() * DRAG_GRID_MS, duration_ms)
}

/// Where a fault lands after an arrow key: `steps` of [`KEY_STEP_MS`] (or
/// [`KEY_STEP_SHIFT_MS`]) either way, inside the run.
pub fn stepped_at_ms(at_ms: f64, steps: i32, shift: bool, duration_ms: f64) -> f64 {
    let step = if shift {
        KEY_STEP_SHIFT_MS
    } else {
        KEY_STEP_MS
    };
    clamp_start(at_ms + f64::from(steps) * step, duration_ms)
}

/// A fault starts at 0 or later, and before the run ends.
fn clamp_start(at_ms: f64, duration_ms: f64) -> f64 {
    at_ms.clamp(0.0, (duration_ms - DRAG_GRID_MS).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::fault::FaultSpec;

    fn scenario_with(faults: Vec<FaultSpec>) -> Scenario {
        let mut scenario = crate::presets::scenario("sequential-feed");
        scenario.duration_ms = 10_000.0;
        scenario.faults = faults;
        scenario
    }

    fn crash(node: &str, at_ms: f64, until_ms: Option<f64>) -> FaultSpec {
        FaultSpec {
            at_ms,
            until_ms,
            fault: FaultKindSpec::Crash { node: node.into() },
        }
    }

    #[test]
    fn overlapping_faults_stack_in_rows_and_later_ones_reuse_free_rows() {
        let scenario = scenario_with(vec![
            crash("r1", 1_000.0, Some(4_000.0)),
            crash("r2", 2_000.0, Some(3_000.0)),
            crash("r3", 5_000.0, Some(6_000.0)),
            crash("r1", 3_500.0, None),
        ]);
        let marks = marks(&scenario);
        let rows: Vec<usize> = marks.iter().map(|mark| mark.row).collect();
        assert_eq!(rows, [0, 1, 0, 1]);
        assert_eq!(row_count(&marks), 2);
        assert_eq!((marks[0].start, marks[0].end), (0.1, 0.4));
        assert_eq!(marks[3].end, 1.0, "a crash with no end lasts to the end");
        assert_eq!(marks[0].label, "r1 crashed for 3.0 s, at 1.0 s");
        assert_eq!(marks[0].family, "node");
        let healed = scenario_with(vec![FaultSpec {
            at_ms: 5_000.0,
            until_ms: None,
            fault: FaultKindSpec::HealAll {},
        }]);
        let heal = &super::marks(&healed)[0];
        assert!(
            heal.end - heal.start < 0.01,
            "an instant is a sliver: {heal:?}"
        );
        assert_eq!(heal.family, "heal");
    }

    #[test]
    fn drags_and_arrow_keys_stay_inside_the_run_on_a_grid() {
        assert_eq!(dragged_at_ms(1_000.0, 0.1234, 10_000.0), 2_230.0);
        assert_eq!(dragged_at_ms(1_000.0, -0.5, 10_000.0), 0.0);
        assert_eq!(dragged_at_ms(1_000.0, 2.0, 10_000.0), 9_990.0);
        assert_eq!(stepped_at_ms(1_000.0, 1, false, 10_000.0), 1_100.0);
        assert_eq!(stepped_at_ms(1_000.0, -1, true, 10_000.0), 0.0);
    }
}
