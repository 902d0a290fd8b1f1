//! Charts of the run over virtual time: availability, latency per operation type,
//! throughput, stale reads and messages per operation, with faults shaded, violations
//! marked and the cursor drawn; a click on a chart moves the run to the time under it.
//!
//! The figures and every coordinate come from `metrics`; this component only turns them
//! into SVG. Each chart is a `<figure>` whose `aria-label` sums it up, with its buckets
//! in a visually hidden table for screen readers.

use crate::metrics::{
    self, duration_label, time_label, ChartPlot, ChartSpec, MetricSeries, PlotBand, PlotLine,
    CHART_HEIGHT, CHART_WIDTH,
};
use dsplay_sim::Time;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MetricsViewProps {
    /// The run's figures, computed outside (see `metrics::MetricsTracker`).
    pub series: Rc<MetricSeries>,
    /// Where the cursor line is drawn.
    pub cursor_ms: f64,
    /// When the checker found the guarantee broken, marked on every chart.
    #[prop_or_default]
    pub violations_ms: Vec<f64>,
    /// Asked for with the time under a click on a chart.
    #[prop_or_default]
    pub on_seek: Callback<Time>,
}

#[component(MetricsView)]
pub fn metrics_view(props: &MetricsViewProps) -> Html {
    let specs = metrics::charts(&props.series, &props.violations_ms);
    html! {
        <section class="metrics" aria-label="Metrics of the run over virtual time">
            <div class="metrics-grid">
                { for specs.iter().map(|spec| chart(spec, props)) }
            </div>
        </section>
    }
}

/// One chart: caption, SVG and the hidden table of its buckets.
fn chart(spec: &ChartSpec<'_>, props: &MetricsViewProps) -> Html {
    let series = &props.series;
    let plot = metrics::plot(
        spec,
        series,
        &props.violations_ms,
        props.cursor_ms,
        CHART_WIDTH,
        CHART_HEIGHT,
    );
    let on_click = {
        let (on_seek, frame, time) = (props.on_seek.clone(), plot.frame, plot.time);
        Callback::from(move |event: MouseEvent| {
            // Everything inside the SVG ignores the pointer (see metrics.css), so the
            // offset is measured from the SVG's own edge.
            let Some(svg) = event
                .current_target()
                .and_then(|target| target.dyn_into::<Element>().ok())
            else {
                return;
            };
            let width = f64::from(svg.client_width());
            if width > 0.0 {
                let fraction = f64::from(event.offset_x()) / width;
                on_seek.emit(metrics::time_at_fraction(frame, time, fraction));
            }
        })
    };
    let has_points = plot.lines.iter().any(|line| !line.points.is_empty());
    let frame = plot.frame;
    html! {
        <figure key={spec.key.clone()} class="metric-chart" data-chart={spec.id} data-op={spec.op}
            aria-label={metrics::summary(spec, series, &props.violations_ms)}>
            <figcaption>
                <span class="metric-title" title={spec.about}>{ spec.title.clone() }</span>
                if spec.lines.len() == 1 {
                    <span class="metric-latest">{ metrics::latest_values(spec).unwrap_or_else(|| "—".into()) }</span>
                } else {
                    // Each line's swatch, name and latest value: the legend and the reading.
                    <span class="metric-legend">
                        { for metrics::latest_by_line(spec).into_iter().map(|(name, latest)| html! {
                            <span class={classes!("legend-entry", format!("series-{name}"))}>
                                <span class="legend-swatch" aria-hidden="true"></span>
                                { name }<span class="metric-latest">{ latest.unwrap_or_else(|| "—".into()) }</span>
                            </span>
                        }) }
                    </span>
                }
            </figcaption>
            <svg class="metric-svg" viewBox={format!("0 0 {} {}", frame.width, frame.height)}
                aria-hidden="true" focusable="false" onclick={on_click}>
                <rect class="plot-area" x={num(frame.left)} y={num(frame.top)}
                    width={num(frame.right - frame.left)} height={num(frame.bottom - frame.top)} />
                { quiet_band(&plot) }
                { for plot.bands.iter().map(|band| fault_band(band, &plot)) }
                { axes(&plot) }
                { for plot.lines.iter().map(line) }
                if !has_points && !spec.empty_note.is_empty() {
                    <text class="empty-note" x={num((frame.left + frame.right) / 2.0)}
                        y={num((frame.top + frame.bottom) / 2.0 + 4.0)}>{ spec.empty_note }</text>
                }
                { for plot.violations_x.iter().map(|&x| violation(x, &plot)) }
                <line class="cursor" x1={num(plot.cursor_x)} x2={num(plot.cursor_x)}
                    y1={num(frame.top)} y2={num(frame.bottom)} />
            </svg>
            { table(spec, series) }
        </figure>
    }
}

/// An SVG coordinate, to a tenth of a unit.
fn num(value: f64) -> String {
    format!("{value:.1}")
}

fn quiet_band(plot: &ChartPlot) -> Html {
    let Some((x, width)) = plot.quiet else {
        return Html::default();
    };
    let frame = plot.frame;
    html! {
        <g class="quiet-band">
            <rect x={num(x)} y={num(frame.top)} width={num(width)} height={num(frame.bottom - frame.top)} />
            <text x={num(frame.right - 3.0)} y={num(frame.bottom - 4.0)} text-anchor="end">{ "quiet" }</text>
        </g>
    }
}

fn fault_band(band: &PlotBand, plot: &ChartPlot) -> Html {
    let frame = plot.frame;
    let anchor = if band.label_leftwards { "end" } else { "start" };
    let shape = if band.end_ms.is_some() {
        html! { <rect x={num(band.x)} y={num(frame.top)} width={num(band.width.max(1.0))} height={num(frame.bottom - frame.top)} /> }
    } else {
        html! { <line x1={num(band.x)} x2={num(band.x)} y1={num(frame.top)} y2={num(frame.bottom)} /> }
    };
    html! {
        <g class={classes!("fault-band", band.family, band.end_ms.is_none().then_some("instant"))}
            data-fault={band.kind} data-start-ms={band.start_ms.to_string()}
            data-end-ms={band.end_ms.map(|end| end.to_string())}>
            { shape }
            <text x={num(band.label_x)} y={num(band.label_y)} text-anchor={anchor}>{ band.label.clone() }</text>
        </g>
    }
}

fn axes(plot: &ChartPlot) -> Html {
    let frame = plot.frame;
    html! {
        <g class="axes">
            { for plot.y_ticks.iter().map(|tick| html! {
                <g class="tick y">
                    <line class="grid" x1={num(frame.left)} x2={num(frame.right)} y1={num(tick.position)} y2={num(tick.position)} />
                    <text x={num(frame.left - 5.0)} y={num(tick.position + 3.5)} text-anchor="end">{ tick.label.clone() }</text>
                </g>
            }) }
            <line class="axis" x1={num(frame.left)} x2={num(frame.right)} y1={num(frame.bottom)} y2={num(frame.bottom)} />
            { for plot.x_ticks.iter().map(|tick| html! {
                <g class="tick x">
                    <line x1={num(tick.position)} x2={num(tick.position)} y1={num(frame.bottom)} y2={num(frame.bottom + 3.0)} />
                    <text x={num(tick.position)} y={num(frame.bottom + 13.0)} text-anchor="middle">{ tick.label.clone() }</text>
                </g>
            }) }
        </g>
    }
}

/// A line, its shaded area and its points. On steps the points are not drawn (radius 0)
/// but still carry each bucket's time and value.
fn line(line: &PlotLine) -> Html {
    let radius = |lone: bool| match (line.dots, lone) {
        (false, _) => "0",
        (true, true) => "2.4",
        (true, false) => "1.3",
    };
    html! {
        <g class={classes!("series", format!("series-{}", line.name))} data-line={line.name}>
            { for line.areas.iter().map(|points| html! { <polygon class="area" points={points.clone()} /> }) }
            { for line.segments.iter().map(|points| html! { <polyline points={points.clone()} /> }) }
            { for line.points.iter().map(|point| html! {
                <circle class={classes!("point", point.lone.then_some("lone"))}
                    cx={num(point.x)} cy={num(point.y)} r={radius(point.lone)}
                    data-t-ms={point.start_ms.to_string()} data-end-ms={point.end_ms.to_string()}
                    data-value={point.value.to_string()} />
            }) }
        </g>
    }
}

fn violation(x: f64, plot: &ChartPlot) -> Html {
    let frame = plot.frame;
    let leftwards = x > frame.left + (frame.right - frame.left) * 0.8;
    html! {
        <g class="violation">
            <line x1={num(x)} x2={num(x)} y1={num(frame.top)} y2={num(frame.bottom)} />
            <text x={num(if leftwards { x - 3.0 } else { x + 3.0 })} y={num(frame.bottom - 4.0)}
                text-anchor={if leftwards { "end" } else { "start" }}>{ "violation" }</text>
        </g>
    }
}

/// The chart's buckets as a table, for screen readers (hidden from sight).
fn table(spec: &ChartSpec<'_>, series: &MetricSeries) -> Html {
    let heading = |name: &str| match name {
        "value" => match spec.unit.symbol() {
            "" => spec.title.clone(),
            symbol => format!("{} ({symbol})", spec.title),
        },
        percentile => percentile.to_string(),
    };
    let rows = (0..series.bucket_count()).map(|index| {
        let (start_ms, _) = series.bucket_span_ms(index);
        html! {
            <tr>
                <th scope="row">{ time_label(start_ms) }</th>
                { for spec.lines.iter().map(|line| html! {
                    <td>{ line.values.get(index).copied().flatten().map_or_else(|| "no data".to_string(), |value| spec.unit.format(value)) }</td>
                }) }
            </tr>
        }
    });
    html! {
        <table class="visually-hidden">
            <caption>{ format!("{}, per bucket of {} from its start", spec.title, duration_label(series.bucket_ms)) }</caption>
            <thead>
                <tr>
                    <th scope="col">{ "From" }</th>
                    { for spec.lines.iter().map(|line| html! { <th scope="col">{ heading(line.name) }</th> }) }
                </tr>
            </thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}
