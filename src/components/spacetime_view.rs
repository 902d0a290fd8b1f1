//! The space-time diagram's view: zoom and export buttons, the diagram as SVG, and a
//! detail line for the event pointed at or chosen with the keys (with its vector clock).
//!
//! The diagram comes computed (`spacetime::SpaceTimeIndex::diagram`); this component only
//! turns it into elements and keeps which event is current. Its markup is written by the
//! same functions as the SVG export. Arrows and dots go in keyed blocks of markup rather
//! than one element each: a refresh while playing then compares a few strings and
//! re-creates only the blocks that changed, where thousands of virtual elements would take
//! most of a frame. So no dot has listeners of its own: the dots' group listens for them
//! (reading `data-event`), and it is also the one element the keyboard focuses; the arrow
//! keys move the current event, which a ring marks and the detail line (a live region)
//! reads out.

use crate::spacetime::{
    self, axis_markup, backdrop_markup, frame_markup, ms_attribute, overlay_markup, span_label,
    zoom_in, zoom_out, Block, Diagram, EventDetail, Towards, DEFAULT_SPAN_MS, SPANS_MS,
};
use dsplay_sim::Time;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Ctrl or Cmd + wheel zooms one step per this much scrolling (a mouse's notch; a
/// trackpad's pinch sends many small deltas, which add up).
const WHEEL_STEP: f64 = 100.0;

#[derive(Properties, PartialEq)]
pub struct SpaceTimeViewProps {
    pub diagram: Rc<Diagram>,
    /// Moves the cursor to an event's time (a click, or Enter on the current event).
    pub on_seek: Callback<Time>,
    /// Asks for another span of the window, in milliseconds.
    pub on_zoom: Callback<u64>,
}

#[component(SpaceTimeView)]
pub fn spacetime_view(props: &SpaceTimeViewProps) -> Html {
    // The current dot (pointed at or chosen with the keys), by its first event, which
    // stays the same while the window slides.
    let current = use_state(|| None::<usize>);
    let keyboard = use_state(|| false);
    let refusal = use_state(|| None::<String>);
    // A dot's detail never changes while the index is not rebuilt: computed once.
    let cached = use_mut_ref(|| None::<(usize, u64, Rc<EventDetail>)>);
    let wheel = use_mut_ref(|| 0.0_f64);
    let diagram = props.diagram.clone();
    let span_ms = diagram.span_ms;

    let zoom_to = |span: u64| {
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: MouseEvent| on_zoom.emit(span))
    };
    let on_wheel = {
        let (on_zoom, wheel) = (props.on_zoom.clone(), wheel.clone());
        Callback::from(move |event: WheelEvent| {
            if !(event.ctrl_key() || event.meta_key()) {
                return;
            }
            // The page would zoom itself otherwise.
            event.prevent_default();
            let mut scrolled = wheel.borrow_mut();
            *scrolled += event.delta_y();
            if scrolled.abs() >= WHEEL_STEP {
                let next = if *scrolled < 0.0 {
                    zoom_in(span_ms)
                } else {
                    zoom_out(span_ms)
                };
                *scrolled = 0.0;
                if next != span_ms {
                    on_zoom.emit(next);
                }
            }
        })
    };
    let on_export = {
        let (diagram, refusal) = (diagram.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| {
            let svg = spacetime::to_svg(&diagram);
            refusal.set(
                crate::download::save_text("dsplay-spacetime.svg", "image/svg+xml", &svg).err(),
            );
        })
    };
    let on_over = {
        let current = current.clone();
        Callback::from(move |event: MouseEvent| {
            if let Some(dot) = dot_event(event.target()) {
                if *current != Some(dot) {
                    current.set(Some(dot));
                }
            }
        })
    };
    let on_click = {
        let (diagram, on_seek, current) = (diagram.clone(), props.on_seek.clone(), current.clone());
        Callback::from(move |event: MouseEvent| {
            let dot = dot_event(event.target()).and_then(|event| diagram.dot_position(event));
            if let Some(position) = dot {
                current.set(Some(diagram.dots[position].event));
                on_seek.emit(diagram.dots[position].time);
            }
        })
    };
    let on_focus = {
        let (diagram, current, keyboard) = (diagram.clone(), current.clone(), keyboard.clone());
        Callback::from(move |_: FocusEvent| {
            keyboard.set(true);
            let shown = current.is_some_and(|event| diagram.dot_position(event).is_some());
            if !shown {
                // The latest event, nearest the cursor, is where the keys start.
                current.set(diagram.dots.last().map(|dot| dot.event));
            }
        })
    };
    let on_blur = {
        let keyboard = keyboard.clone();
        Callback::from(move |_: FocusEvent| keyboard.set(false))
    };
    let on_key = {
        let (diagram, on_seek, current) = (diagram.clone(), props.on_seek.clone(), current.clone());
        Callback::from(move |event: KeyboardEvent| {
            let position = current.and_then(|event| diagram.dot_position(event));
            let next = match (event.key().as_str(), position) {
                ("Home", _) => Some(0),
                ("End", _) | ("ArrowUp" | "ArrowDown" | "ArrowLeft" | "ArrowRight", None) => {
                    diagram.dots.len().checked_sub(1)
                }
                ("ArrowUp", Some(here)) => diagram.neighbour(here, Towards::Earlier),
                ("ArrowDown", Some(here)) => diagram.neighbour(here, Towards::Later),
                ("ArrowLeft", Some(here)) => diagram.neighbour(here, Towards::Left),
                ("ArrowRight", Some(here)) => diagram.neighbour(here, Towards::Right),
                ("Enter" | " ", Some(here)) => {
                    event.prevent_default();
                    on_seek.emit(diagram.dots[here].time);
                    return;
                }
                ("Escape", _) => {
                    current.set(None);
                    return;
                }
                _ => return,
            };
            event.prevent_default();
            if let Some(next) = next.and_then(|next| diagram.dots.get(next)) {
                current.set(Some(next.event));
            }
        })
    };

    let detail = current.and_then(|event| {
        let generation = diagram.generation();
        let mut cache = cached.borrow_mut();
        match &*cache {
            Some((known, made_in, detail)) if *known == event && *made_in == generation => {
                Some(detail.clone())
            }
            _ => {
                let detail = Rc::new(diagram.detail(event)?);
                *cache = Some((event, generation, detail.clone()));
                Some(detail)
            }
        }
    });
    let ring = current
        .and_then(|event| diagram.dot_position(event))
        .map(|position| &diagram.dots[position]);
    let offset = format!("translate(0 {:.1})", diagram.content_offset_px);
    let raw = |markup: String| Html::from_html_unchecked(AttrValue::from(markup));
    let (width, height) = (diagram.size.width_px, diagram.size.height_px);

    html! {
        <section class="spacetime" aria-label="Space-time diagram">
            <div class="spacetime-controls" role="toolbar" aria-label="Space-time diagram: zoom and export">
                <button id="spacetime-zoom-in" onclick={zoom_to(zoom_in(span_ms))} disabled={span_ms <= SPANS_MS[0]}
                    aria-label="Zoom in: show less time (Ctrl or Cmd and the wheel)">{ "+" }</button>
                <span class="spacetime-span" title="The span of virtual time shown">{ span_label(span_ms) }</span>
                <button id="spacetime-zoom-out" onclick={zoom_to(zoom_out(span_ms))} disabled={span_ms >= SPANS_MS[SPANS_MS.len() - 1]}
                    aria-label="Zoom out: show more time">{ "−" }</button>
                <button id="spacetime-zoom-reset" onclick={zoom_to(DEFAULT_SPAN_MS)} disabled={span_ms == DEFAULT_SPAN_MS}
                    aria-label={format!("Reset the zoom to {}", span_label(DEFAULT_SPAN_MS))}>{ "Reset" }</button>
                <button id="spacetime-export" onclick={on_export}
                    aria-label="Export the diagram as an SVG file">{ "Export SVG" }</button>
            </div>
            <svg class="spacetime-svg" xmlns="http://www.w3.org/2000/svg"
                viewBox={format!("0 0 {width:.0} {height:.0}")} preserveAspectRatio="xMinYMin meet"
                role="group" aria-label={diagram.caption()}
                data-window-start-ms={ms_attribute(diagram.window.start)}
                data-window-end-ms={ms_attribute(diagram.window.end)}
                data-arrows-total={diagram.arrows_total.to_string()}
                onwheel={on_wheel}>
                { raw(frame_markup(&diagram)) }
                <g clip-path="url(#st-clip-axis)"><g transform={offset.clone()}>{ raw(axis_markup(&diagram)) }</g></g>
                <g clip-path="url(#st-clip)">
                    <g transform={offset}>
                        { raw(backdrop_markup(&diagram)) }
                        <g class="arrows">
                            { for diagram.arrow_blocks.iter().map(block) }
                        </g>
                        <g class="events" tabindex="0" role="application"
                            aria-label="Events: the arrow keys move along a node's line and across to the next, Home and End go to the first and last, Enter moves the cursor to the event; the line below the diagram describes it"
                            onmouseover={on_over} onclick={on_click} onkeydown={on_key} onfocus={on_focus} onblur={on_blur}>
                            { for diagram.dot_blocks.iter().map(block) }
                        </g>
                        <g class="st-current" aria-hidden="true">
                            if let Some(dot) = ring {
                                <circle class={classes!("st-ring", keyboard.then_some("keyboard"))}
                                    cx={format!("{:.1}", dot.x)} cy={format!("{:.1}", dot.y)} r={format!("{:.1}", dot.r + 3.5)} />
                            }
                        </g>
                    </g>
                </g>
                { raw(overlay_markup(&diagram)) }
            </svg>
            <p id="spacetime-detail" class="spacetime-detail" aria-live="polite">
                { match detail {
                    Some(detail) => html! {
                        <>
                            <strong>{ detail.heading.clone() }</strong>{ ": " }{ detail.what.clone() }
                            <span class="spacetime-state">{ format!(" · state: {}", detail.state) }</span>
                            <span class="spacetime-clock">{ " · vector clock " }<code>{ detail.clock.clone() }</code></span>
                        </>
                    },
                    None => html! { "Point at an event (or Tab to the diagram and use the arrow keys) to see what happened, the node's state then and its vector clock; click it, or press Enter, to move the cursor there." },
                } }
            </p>
            if let Some(sentence) = &*refusal {
                <p class="spacetime-error" role="alert">{ sentence.clone() }</p>
            }
        </section>
    }
}

/// A block of arrows or dots, keyed by its place in the run. The markup is shared with the
/// diagram (no copy), and a block whose markup is unchanged is left alone.
fn block(block: &Block) -> Html {
    html! {
        <g key={block.key}>{ Html::from_html_unchecked(AttrValue::from(block.markup.clone())) }</g>
    }
}

/// The event of the dot a pointer event happened on, read from its `data-event`.
fn dot_event(target: Option<web_sys::EventTarget>) -> Option<usize> {
    target?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .get_attribute("data-event")?
        .parse()
        .ok()
}
