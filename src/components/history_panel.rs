//! The history view: a lane per client, a bar per operation, the checker's verdict on top;
//! a click on a bar asks the page to show that operation. A table of the same history
//! serves screen readers (and anyone who asks for it).

use crate::history_view::{Bar, HistoryView};
use std::rc::Rc;
use yew::prelude::*;

/// The drawing's width in SVG units; it scales to the panel.
const WIDTH: f64 = 1_000.0;
/// The width of a compact drawing (side by side with others), so its text stays legible.
const COMPACT_WIDTH: f64 = 450.0;
const ROW_HEIGHT: f64 = 26.0;
const AXIS_HEIGHT: f64 = 22.0;

#[derive(Properties, PartialEq)]
pub struct HistoryPanelProps {
    pub view: Rc<HistoryView>,
    /// The operation last picked, drawn with an outline.
    pub selected: Option<u32>,
    /// Asks the page to show an operation (by engine index).
    pub on_pick: Callback<u32>,
    /// Drawn narrow, for views side by side.
    #[prop_or(false)]
    pub compact: bool,
}

fn describe(bar: &Bar) -> String {
    let mut text = format!(
        "{}: {} at {:.0} ms, {} ",
        bar.client, bar.label, bar.invoke_ms, bar.outcome
    );
    if bar.outcome != "waiting" {
        text.push_str(&format!("after {:.0} ms ", bar.end_ms - bar.invoke_ms));
    }
    text.push_str(&format!("(replica {})", bar.replica));
    if bar.stale {
        text.push_str(", stale");
    }
    if bar.violating {
        text.push_str(", part of the violation");
    }
    text
}

#[component(HistoryPanel)]
pub fn history_panel(props: &HistoryPanelProps) -> Html {
    let show_table = use_state(|| false);
    let view = &props.view;
    let (width, label_width) = if props.compact {
        (COMPACT_WIDTH, 96.0)
    } else {
        (WIDTH, 120.0)
    };
    let offsets = view.lane_offsets();
    let height = AXIS_HEIGHT + ROW_HEIGHT * view.total_rows().max(1) as f64 + 4.0;
    let plot = width - label_width - 8.0;
    let x = |ms: f64| label_width + ms / view.end_ms * plot;
    let row_y = |bar: &Bar| AXIS_HEIGHT + ROW_HEIGHT * (offsets[bar.lane] + bar.row) as f64;
    // Round ticks, as the metrics charts have; those past the axis's end are left out.
    let (_, mut ticks) = crate::metrics::nice_ticks(view.end_ms, if props.compact { 4 } else { 8 });
    ticks.retain(|&ms| ms <= view.end_ms);
    // Where the next bar of the same row begins: a label goes after its bar only if it
    // fits before that one.
    let mut next_start = vec![f64::INFINITY; view.bars.len()];
    let mut later: std::collections::BTreeMap<(usize, usize), f64> = Default::default();
    for (index, bar) in view.bars.iter().enumerate().rev() {
        if let Some(&start) = later.get(&(bar.lane, bar.row)) {
            next_start[index] = start;
        }
        later.insert((bar.lane, bar.row), bar.invoke_ms);
    }
    let verdict = match &view.verdict {
        Some(verdict) => match verdict.valid {
            Some(true) => html! {
                <p class="history-verdict holds" data-field="history-verdict">
                    <strong>{ format!("{}: ", verdict.model) }</strong>
                    { if props.compact { "holds over the whole run." } else { "holds for the history so far." } }
                </p>
            },
            Some(false) => html! {
                <p class="history-verdict violated" data-field="history-verdict">
                    <strong>{ format!("Not {}: ", verdict.model) }</strong>{ verdict.explanation.clone() }
                </p>
            },
            None => html! {
                <p class="history-verdict unknown" data-field="history-verdict">{ verdict.explanation.clone() }</p>
            },
        },
        None => {
            html! { <p class="history-verdict unknown" data-field="history-verdict">{ "No run yet." }</p> }
        }
    };
    let right_edge = width;
    let bars = view.bars.iter().enumerate().map(|(index, bar)| {
        let (left, right) = (x(bar.invoke_ms), x(bar.end_ms));
        let bar_width = (right - left).max(3.0);
        let y = row_y(bar) + 3.0;
        let op = bar.op;
        let pick = props.on_pick.reform(move |_: MouseEvent| op);
        let on_key = {
            let on_pick = props.on_pick.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Enter" || event.key() == " " {
                    event.prevent_default();
                    on_pick.emit(op);
                }
            })
        };
        let class = classes!(
            "op-bar",
            bar.outcome,
            bar.stale.then_some("stale"),
            bar.violating.then_some("violating"),
            (props.selected == Some(op)).then_some("selected"),
            bar.final_read.then_some("final-read"),
        );
        // Labels go inside the bar when they fit, else after it when there is room before
        // the next bar (or the right edge), else only in the tooltip and the table.
        let text_width = 6.5 * bar.label.chars().count() as f64;
        let label_fits = bar_width > text_width + 6.0;
        let room_after = x(next_start[index]).min(right_edge) - (left + bar_width);
        let label = (label_fits || room_after > text_width + 6.0).then(|| html! {
            <text class={classes!("op-label", (!label_fits).then_some("outside"))}
                x={(if label_fits { left + 4.0 } else { left + bar_width + 3.0 }).to_string()}
                y={(y + ROW_HEIGHT / 2.0 - 3.0).to_string()}>{ bar.label.clone() }</text>
        });
        html! {
            <g key={op} {class} data-op={op.to_string()} data-invoke-ms={bar.invoke_ms.to_string()}
                tabindex="0" role="button" aria-label={describe(bar)} onclick={pick} onkeydown={on_key}>
                <title>{ describe(bar) }</title>
                <rect x={left.to_string()} y={y.to_string()} width={bar_width.to_string()} height={(ROW_HEIGHT - 6.0).to_string()} rx="3" />
                { for label }
            </g>
        }
    });
    let on_toggle_table = {
        let show_table = show_table.clone();
        Callback::from(move |_| show_table.set(!*show_table))
    };
    html! {
        <div class="history-panel">
            <div class="panel-head">
                { verdict }
                if !props.compact {
                <button class="table-toggle" aria-pressed={show_table.to_string()} onclick={on_toggle_table}>
                    { if *show_table { "Hide table" } else { "Show as table" } }
                </button>
                }
            </div>
            <svg class="history-chart" viewBox={format!("0 0 {width} {height}")} role="img"
                aria-label={format!("History: {} operations in {} lanes, {} of them marked as the violation; the table below lists them", view.bars.len(), view.lanes.len(), view.violating().count())}
                data-end-ms={view.end_ms.to_string()}>
                { for ticks.iter().map(|&ms| html! {
                    <g class="tick">
                        <line x1={x(ms).to_string()} x2={x(ms).to_string()} y1={(AXIS_HEIGHT - 4.0).to_string()} y2={height.to_string()} />
                        <text x={x(ms).to_string()} y={(AXIS_HEIGHT - 8.0).to_string()}>{ crate::metrics::duration_label(ms) }</text>
                    </g>
                }) }
                { for view.lanes.iter().enumerate().map(|(index, lane)| {
                    let top = AXIS_HEIGHT + ROW_HEIGHT * offsets[index] as f64;
                    html! {
                        <g class="lane">
                            <rect class={classes!("lane-band", (index % 2 == 1).then_some("odd"))} x="0" y={top.to_string()}
                                width={width.to_string()} height={(ROW_HEIGHT * lane.rows as f64).to_string()} />
                            <text class="lane-name" x="6" y={(top + ROW_HEIGHT / 2.0 + 4.0).to_string()}>{ lane.name.clone() }</text>
                        </g>
                    }
                }) }
                { for bars }
                <line class="history-cursor" x1={x(view.cursor_ms).to_string()} x2={x(view.cursor_ms).to_string()}
                    y1={(AXIS_HEIGHT - 4.0).to_string()} y2={height.to_string()} />
            </svg>
            <table class={classes!("history-table", (!*show_table).then_some("visually-hidden"))}>
                <caption>{ "Every operation, in the order clients invoked them" }</caption>
                <thead>
                    <tr><th scope="col">{ "Client" }</th><th scope="col">{ "Operation" }</th><th scope="col">{ "Invoked (ms)" }</th>
                        <th scope="col">{ "Completed (ms)" }</th><th scope="col">{ "Outcome" }</th><th scope="col">{ "Replica" }</th><th scope="col">{ "Note" }</th></tr>
                </thead>
                <tbody>
                    { for view.bars.iter().map(|bar| html! {
                        <tr key={bar.op} class={classes!(bar.violating.then_some("violating"))}>
                            <td>{ bar.client.clone() }</td>
                            <td>{ bar.label.clone() }</td>
                            <td>{ format!("{:.1}", bar.invoke_ms) }</td>
                            <td>{ if bar.outcome == "waiting" { "—".to_string() } else { format!("{:.1}", bar.end_ms) } }</td>
                            <td>{ bar.outcome }</td>
                            <td>{ bar.replica.clone() }</td>
                            <td>{ match (bar.violating, bar.stale) {
                                (true, _) => "part of the violation",
                                (false, true) => "stale read",
                                _ => "",
                            } }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
