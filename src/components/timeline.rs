//! The timeline: play, step, restart, speed, a scrubber over virtual time, and the lane of
//! scheduled faults under it.

use crate::commands::Command;
use crate::player::{Status, SPEEDS};
use dsplay_sim::Time;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// A fault drawn in the lane: where it starts and ends as fractions of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneMark {
    pub start: f64,
    pub end: f64,
    pub label: String,
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub status: Status,
    pub duration: Time,
    pub speed: f64,
    pub faults: Vec<LaneMark>,
    pub on_command: Callback<Command>,
}

#[component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
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
    html! {
        <section class="timeline" aria-label="Timeline">
            <div class="timeline-controls">
                <button id="play" class="primary" onclick={send(Command::TogglePlay)}
                    aria-label={ if status.playing { "Pause the simulation (Space)" } else { "Play the simulation (Space)" } }>
                    { if status.playing { "Pause" } else { "Play" } }
                </button>
                <button id="step" onclick={send(Command::StepEvent)} aria-label="Step to the next event (Right arrow)">{ "Step" }</button>
                <button id="restart" onclick={send(Command::Restart)} aria-label="Restart from time zero">{ "Restart" }</button>
                <button id="next-fault" onclick={send(Command::NextFault)} aria-label="Jump to the next scheduled fault">{ "Next fault" }</button>
                <label class="speed">{ "Speed " }
                    <select id="speed" onchange={on_speed} aria-label="Playback speed">
                        { for SPEEDS.iter().map(|&option| html! {
                            <option value={option.to_string()} selected={option == props.speed}>{ format!("{option}×") }</option>
                        }) }
                    </select>
                </label>
                <input id="scrubber" type="range" min="0" max={duration_ms.to_string()} step="10"
                    value={status.time.as_ms_f64().to_string()} oninput={on_scrub}
                    aria-label="Virtual time" aria-valuetext={status.time.to_string()} />
            </div>
            <div class="fault-lane" aria-label="Scheduled faults">
                { for props.faults.iter().map(|mark| {
                    let width = ((mark.end - mark.start) * 100.0).max(0.6);
                    html! {
                        <span class="fault-mark" title={mark.label.clone()}
                            style={format!("left:{:.2}%;width:{:.2}%", mark.start * 100.0, width)}>
                            <span class="visually-hidden">{ mark.label.clone() }</span>
                        </span>
                    }
                }) }
            </div>
        </section>
    }
}
