//! The page: canvas, controls, legend and status bar around a [`Player`].
//!
//! The player and the frame loop live outside Yew's state: every frame advances the
//! player and paints the canvas directly, and only the status bar's figures go through a
//! Yew state, at most ten times a second, so the component tree is not re-rendered per
//! frame.

use crate::animation::AnimationLoop;
use crate::draw;
use crate::player::{Player, Status, SPEEDS};
use crate::presets;
use crate::scene;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

/// How often the status bar is refreshed while playing, in wall-clock milliseconds.
const STATUS_INTERVAL_MS: f64 = 100.0;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The preset shown at start (an id from `presets::PRESETS`).
    pub preset: AttrValue,
}

#[component(App)]
pub fn app(props: &AppProps) -> Html {
    let preset = use_state(|| props.preset.to_string());
    let loaded = use_memo((*preset).clone(), |id| {
        let json = presets::find(id).map_or(presets::PRESETS[0].json, |preset| preset.json);
        dsplay_sim::Scenario::from_json(json)
            .and_then(Player::new)
            .map(|player| Rc::new(RefCell::new(player)))
    });
    let on_pick = {
        let preset = preset.clone();
        Callback::from(move |id: String| preset.set(id))
    };
    match loaded.as_ref() {
        // Keyed by preset, so a new pick mounts a new playground with its own frame loop.
        Ok(player) => html! {
            <Playground key={(*preset).clone()} player={PlayerHandle(Rc::clone(player))}
                preset={(*preset).clone()} {on_pick} />
        },
        Err(error) => html! {
            <main class="error-panel" role="alert">
                <h1>{ "This scenario cannot be shown" }</h1>
                <p>{ error.to_string() }</p>
            </main>
        },
    }
}

/// A shared player; equal when it is the same player.
#[derive(Clone, Debug)]
pub struct PlayerHandle(pub Rc<RefCell<Player>>);

impl PartialEq for PlayerHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct PlaygroundProps {
    player: PlayerHandle,
    /// The id of the preset shown.
    preset: String,
    on_pick: Callback<String>,
}

#[component(Playground)]
fn playground(props: &PlaygroundProps) -> Html {
    let player = props.player.0.clone();
    let canvas_ref = use_node_ref();
    let status = use_state(|| player.borrow().status());

    {
        let player = player.clone();
        let canvas_ref = canvas_ref.clone();
        let status = status.setter();
        use_effect_with((), move |_| {
            let mut since_status_ms = 0.0;
            let frame_loop = AnimationLoop::start(move |elapsed_ms| {
                let mut player = player.borrow_mut();
                player.advance(elapsed_ms);
                paint(&canvas_ref, &player);
                since_status_ms += elapsed_ms;
                if since_status_ms >= STATUS_INTERVAL_MS || !player.status().playing {
                    since_status_ms = 0.0;
                    status.set(player.status());
                }
            });
            move || drop(frame_loop)
        });
    }

    let on_play = {
        let player = player.clone();
        let status = status.clone();
        Callback::from(move |_| {
            let mut player = player.borrow_mut();
            player.toggle();
            status.set(player.status());
        })
    };
    let on_restart = {
        let player = player.clone();
        let status = status.clone();
        Callback::from(move |_| {
            let mut player = player.borrow_mut();
            player.restart();
            status.set(player.status());
        })
    };
    let on_preset = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlSelectElement>().ok())
            {
                on_pick.emit(select.value());
            }
        })
    };
    let on_speed = {
        let player = player.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlSelectElement>().ok())
            {
                if let Ok(speed) = select.value().parse::<f64>() {
                    player.borrow_mut().set_speed(speed);
                }
            }
        })
    };

    let borrowed = player.borrow();
    let scenario = borrowed.scenario();
    let kinds: Vec<&'static str> = borrowed.flights().kinds().to_vec();
    let speed = borrowed.speed();
    html! {
        <div class="app">
            <header class="toolbar">
                <h1 class="brand">{ "dsplay" }<span class="tagline">{ "distributed systems playground" }</span></h1>
                <div class="controls">
                    <label class="picker">{ "Scenario " }
                        <select id="preset" onchange={on_preset} aria-label="Scenario and consistency model">
                            { for presets::PRESETS.iter().map(|preset| html! {
                                <option value={preset.id} selected={preset.id == props.preset}>{ preset.label }</option>
                            }) }
                        </select>
                    </label>
                    <button id="play" class="primary" onclick={on_play}
                        aria-label={ if status.playing { "Pause the simulation" } else { "Play the simulation" } }>
                        { if status.playing { "Pause" } else { "Play" } }
                    </button>
                    <button id="restart" onclick={on_restart} aria-label="Restart from time zero">{ "Restart" }</button>
                    <label class="speed">{ "Speed " }
                        <select id="speed" onchange={on_speed} aria-label="Playback speed">
                            { for SPEEDS.iter().map(|&option| html! {
                                <option value={option.to_string()} selected={option == speed}>{ format!("{option}×") }</option>
                            }) }
                        </select>
                    </label>
                </div>
            </header>
            <main class="stage-area">
                <section class="scenario-info" aria-label="Scenario">
                    <h2>{ scenario.name.clone() }</h2>
                    <p>{ scenario.description.clone() }</p>
                </section>
                <canvas id="stage" ref={canvas_ref} role="img"
                    aria-label={ format!("{}: nodes, links and messages in flight", scenario.name) }></canvas>
                <ul class="legend" aria-label="Message kinds">
                    { for kinds.iter().enumerate().map(|(index, kind)| html! {
                        <li key={*kind}><span class="swatch" style={format!("background:{}", scene::kind_colour(index))}></span>{ *kind }</li>
                    }) }
                    <li><span class="mark-cross" aria-hidden="true">{ "×" }</span>{ "dropped" }</li>
                </ul>
                if let Some(error) = &status.error {
                    <p class="run-error" role="alert">{ error.clone() }</p>
                }
            </main>
            <StatusBar status={(*status).clone()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StatusBarProps {
    status: Status,
}

#[component(StatusBar)]
fn status_bar(props: &StatusBarProps) -> Html {
    let status = &props.status;
    let state = if status.error.is_some() {
        "stopped"
    } else if status.finished {
        "finished"
    } else if status.playing {
        "playing"
    } else {
        "paused"
    };
    // role=status would announce every tick; the figures change ten times a second, so
    // the live region is switched off and screen readers read the bar on demand.
    html! {
        <footer class="status-bar" role="status" aria-live="off">
            <span class="field">{ "Time " }<strong data-field="time">{ status.time.to_string() }</strong></span>
            <span class="field">{ "Events " }<strong data-field="events">{ status.events }</strong></span>
            <span class="field">{ "In flight " }<strong data-field="in-flight">{ status.in_flight }</strong></span>
            <span class="field">{ "Ops " }
                <strong data-field="ops-ok" title="succeeded">{ status.ops_ok }</strong>{ " ok · " }
                <strong data-field="ops-fail" title="failed for certain">{ status.ops_fail }</strong>{ " failed · " }
                <strong data-field="ops-info" title="timed out: outcome unknown">{ status.ops_info }</strong>{ " unknown" }
            </span>
            <span class="field">{ "Availability " }<strong data-field="availability">{ format!("{:.1} %", status.availability * 100.0) }</strong></span>
            <span class="field" data-field="state">{ state }</span>
            <span class="field fingerprint" data-field="fingerprint">{ format!("Fingerprint {}", status.fingerprint) }</span>
        </footer>
    }
}

/// Sizes the canvas to its box (in device pixels) and paints the current frame.
fn paint(canvas_ref: &NodeRef, player: &Player) {
    let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
        return;
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let pixel_ratio = window.device_pixel_ratio().max(1.0);
    let (width, height) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    if width <= 0.0 || height <= 0.0 {
        return;
    }
    let (device_width, device_height) =
        ((width * pixel_ratio) as u32, (height * pixel_ratio) as u32);
    if canvas.width() != device_width || canvas.height() != device_height {
        canvas.set_width(device_width);
        canvas.set_height(device_height);
    }
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|context| context.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let dark = window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    let frame = scene::build(player, width, height);
    draw::paint(
        &ctx,
        &frame,
        width,
        height,
        pixel_ratio,
        if dark { &draw::DARK } else { &draw::LIGHT },
    );
}
