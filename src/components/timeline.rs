//! The timeline: play, step, restart, jumps to the next fault or violation, speed, a
//! scrubber over virtual time, and the lane of scheduled faults under it, whose marks can
//! be dragged (or moved with the arrow keys) to another time, or removed.

use crate::commands::Command;
use crate::editor::Edit;
use crate::lane::{dragged_at_ms, row_count, stepped_at_ms, LaneMark};
use crate::player::{Status, SPEEDS};
use dsplay_sim::Time;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Height of one row of the fault lane, in CSS pixels.
const ROW_PX: usize = 16;
/// A pointer must move this far before a press on a mark becomes a drag.
const DRAG_SLOP_PX: f64 = 3.0;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub status: Status,
    pub duration: Time,
    pub speed: f64,
    pub faults: Vec<LaneMark>,
    pub on_command: Callback<Command>,
    pub on_edit: Callback<Edit>,
}

/// A press on a fault mark: where it began, and whether it has become a drag.
#[derive(Clone, Debug)]
struct Press {
    fault: usize,
    at_ms: f64,
    start_x: f64,
    lane_width: f64,
    moved: bool,
}

#[component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let lane_ref = use_node_ref();
    let press = use_mut_ref(|| None::<Press>);
    // The fault being dragged and where it would land, drawn there until released.
    let preview = use_state(|| None::<(usize, f64)>);
    let send = |command: Command| {
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| on_command.emit(command.clone()))
    };
    let on_scrub = {
        let on_command = props.on_command.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
            {
                if let Ok(ms) = input.value().parse::<f64>() {
                    on_command.emit(Command::Seek(Time::from_ms_f64(ms)));
                }
            }
        })
    };
    let on_speed = {
        let on_command = props.on_command.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlSelectElement>().ok())
            {
                if let Ok(speed) = select.value().parse::<f64>() {
                    on_command.emit(Command::Speed(speed));
                }
            }
        })
    };
    let status = &props.status;
    let duration_ms = props.duration.as_ms_f64();
    let rows = row_count(&props.faults);
    let cursor_percent = if duration_ms > 0.0 {
        (status.time.as_ms_f64() / duration_ms * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    };
    html! {
        <section class="timeline" aria-label="Timeline">
            <div class="timeline-controls">
                <button id="play" class="primary" onclick={send(Command::TogglePlay)}
                    aria-label={ if status.playing { "Pause the simulation (Space)" } else { "Play the simulation (Space)" } }>
                    { if status.playing { "Pause" } else { "Play" } }
                </button>
                <button id="step" onclick={send(Command::StepEvent)} aria-label="Step to the next event (Right arrow)">{ "Step" }</button>
                <button id="restart" onclick={send(Command::Restart)} aria-label="Restart from time zero">{ "Restart" }</button>
                <button id="next-fault" onclick={send(Command::NextFault)} aria-label="Jump to the next moment a scheduled fault begins or ends">{ "Next fault" }</button>
                <button id="next-violation" onclick={send(Command::NextViolation)} aria-label="Jump to the moment the checker finds the guarantee broken">{ "Next violation" }</button>
                <label class="speed">{ "Speed " }
                    <select id="speed" onchange={on_speed} aria-label="Playback speed">
                        { for SPEEDS.iter().map(|&option| html! {
                            <option value={option.to_string()} selected={option == props.speed}>{ format!("{option}×") }</option>
                        }) }
                    </select>
                </label>
                <span class="clock" aria-hidden="true">{ format!("{} / {}", status.time, props.duration) }</span>
            </div>
            <input id="scrubber" type="range" min="0" max={duration_ms.to_string()} step="10"
                value={status.time.as_ms_f64().to_string()} oninput={on_scrub}
                aria-label="Virtual time" aria-valuetext={status.time.to_string()} />
            <div class="fault-lane" ref={lane_ref.clone()} role="group"
                aria-label="Scheduled faults: drag one, or focus it and press the arrow keys, to move it in time; Delete removes it"
                style={format!("height:{}px", rows.max(1) * ROW_PX + 2)}>
                <span class="lane-cursor" aria-hidden="true" style={format!("left:{cursor_percent:.3}%")}></span>
                if props.faults.is_empty() {
                    <span class="lane-empty">{ "No faults scheduled: break a node or a link to add one." }</span>
                }
                { for props.faults.iter().map(|mark| lane_mark(mark, props, &lane_ref, &press, &preview, duration_ms)) }
            </div>
        </section>
    }
}

/// One fault in the lane: a button that a click seeks to, a drag or an arrow key moves,
/// and Delete removes.
fn lane_mark(
    mark: &LaneMark,
    props: &TimelineProps,
    lane_ref: &NodeRef,
    press: &Rc<RefCell<Option<Press>>>,
    preview: &UseStateHandle<Option<(usize, f64)>>,
    duration_ms: f64,
) -> Html {
    let fault = mark.fault;
    let at_ms = mark.at_ms;
    let shown_at_ms = match **preview {
        Some((dragged, to_ms)) if dragged == fault => to_ms,
        _ => at_ms,
    };
    let shift = (shown_at_ms - at_ms) / duration_ms.max(1.0);
    let left = (mark.start + shift).clamp(0.0, 1.0) * 100.0;
    let width = ((mark.end - mark.start) * 100.0).max(0.6);
    let on_pointer_down = {
        let (press, lane_ref) = (press.clone(), lane_ref.clone());
        Callback::from(move |event: PointerEvent| {
            if event.button() != 0 {
                return;
            }
            let lane_width = lane_ref
                .cast::<HtmlElement>()
                .map_or(1.0, |lane| f64::from(lane.client_width()).max(1.0));
            if let Some(target) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            {
                let _ = target.set_pointer_capture(event.pointer_id());
            }
            *press.borrow_mut() = Some(Press {
                fault,
                at_ms,
                start_x: f64::from(event.client_x()),
                lane_width,
                moved: false,
            });
        })
    };
    let on_pointer_move = {
        let (press, preview) = (press.clone(), preview.clone());
        Callback::from(move |event: PointerEvent| {
            let mut current = press.borrow_mut();
            if event.buttons() == 0 {
                // The press ended somewhere this mark was not told of: forget it.
                if current.take().is_some() {
                    preview.set(None);
                }
                return;
            }
            let Some(pressed) = current.as_mut().filter(|pressed| pressed.fault == fault) else {
                return;
            };
            let dx = f64::from(event.client_x()) - pressed.start_x;
            if dx.abs() >= DRAG_SLOP_PX {
                pressed.moved = true;
            }
            if pressed.moved {
                let to_ms = dragged_at_ms(pressed.at_ms, dx / pressed.lane_width, duration_ms);
                preview.set(Some((fault, to_ms)));
            }
        })
    };
    let on_pointer_up = {
        let (press, preview, on_edit, on_command) = (
            press.clone(),
            preview.clone(),
            props.on_edit.clone(),
            props.on_command.clone(),
        );
        Callback::from(move |event: PointerEvent| {
            let Some(pressed) = press.borrow_mut().take() else {
                return;
            };
            preview.set(None);
            if pressed.moved {
                let dx = f64::from(event.client_x()) - pressed.start_x;
                let to_ms = dragged_at_ms(pressed.at_ms, dx / pressed.lane_width, duration_ms);
                if to_ms != pressed.at_ms {
                    on_edit.emit(Edit::MoveFault {
                        fault: pressed.fault,
                        at_ms: to_ms,
                    });
                }
            } else {
                on_command.emit(Command::Seek(Time::from_ms_f64(pressed.at_ms)));
            }
        })
    };
    // A cancelled press (or capture lost to something else) moves nothing.
    let on_cancel = {
        let (press, preview) = (press.clone(), preview.clone());
        Callback::from(move |_: PointerEvent| {
            if press.borrow_mut().take().is_some() {
                preview.set(None);
            }
        })
    };
    let on_key = {
        let (on_edit, on_command) = (props.on_edit.clone(), props.on_command.clone());
        Callback::from(move |event: KeyboardEvent| {
            let steps = match event.key().as_str() {
                "ArrowLeft" => -1,
                "ArrowRight" => 1,
                "Delete" | "Backspace" => {
                    event.prevent_default();
                    on_edit.emit(Edit::RemoveFault { fault });
                    return;
                }
                "Enter" | " " => {
                    event.prevent_default();
                    on_command.emit(Command::Seek(Time::from_ms_f64(at_ms)));
                    return;
                }
                _ => return,
            };
            event.prevent_default();
            let to_ms = stepped_at_ms(at_ms, steps, event.shift_key(), duration_ms);
            if to_ms != at_ms {
                on_edit.emit(Edit::MoveFault {
                    fault,
                    at_ms: to_ms,
                });
            }
        })
    };
    let dragging = matches!(**preview, Some((dragged, _)) if dragged == fault);
    html! {
        <button key={fault} type="button"
            class={classes!("fault-mark", mark.family, dragging.then_some("dragging"))}
            data-fault={fault.to_string()} data-at-ms={at_ms.to_string()}
            title={mark.label.clone()}
            aria-label={format!("{}. Arrow keys move it, Delete removes it.", mark.label)}
            style={format!("left:{left:.3}%;width:{width:.3}%;top:{}px", mark.row * ROW_PX + 1)}
            onpointerdown={on_pointer_down} onpointermove={on_pointer_move} onpointerup={on_pointer_up}
            onpointercancel={on_cancel.clone()} onlostpointercapture={on_cancel}
            onkeydown={on_key}>
        </button>
    }
}
