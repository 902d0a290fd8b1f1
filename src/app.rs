//! The page: toolbar, canvas, timeline, inspector and status bar around a [`Player`].
//!
//! The player and the frame loop live outside Yew's state: every frame advances the
//! player and paints the canvas directly, and only the figures the DOM shows go through
//! Yew state, at most ten times a second and only when they change, so the component tree
//! is not re-rendered per frame. Controls send [`Command`]s, carried out by
//! `commands::apply`.

use crate::animation::AnimationLoop;
use crate::commands::{self, Command};
use crate::components::inspector::Inspector;
use crate::components::status_bar::StatusBar;
use crate::components::timeline::{LaneMark, Timeline};
use crate::draw;
use crate::inspect::node_view;
use crate::player::Player;
use crate::presets;
use crate::scene::{self, Point};
use dsplay_sim::{NodeId, NodeKind};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

/// How often the DOM's figures are refreshed while playing, in wall-clock milliseconds.
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
    let selected = use_state(|| None::<NodeId>);
    let painted_selection = use_mut_ref(|| Rc::new(Cell::new(None::<NodeId>)));
    let announcement = use_state(String::new);
    let error = use_state(|| None::<String>);
    painted_selection.borrow().set(*selected);

    {
        let (player, canvas_ref, status) = (player.clone(), canvas_ref.clone(), status.setter());
        let selection = painted_selection.borrow().clone();
        use_effect_with((), move |_| {
            let mut since_status_ms = STATUS_INTERVAL_MS;
            let mut shown = None;
            let frame_loop = AnimationLoop::start(move |elapsed_ms| {
                let mut player = player.borrow_mut();
                player.advance(elapsed_ms);
                paint(&canvas_ref, &player, selection.get());
                since_status_ms += elapsed_ms;
                if since_status_ms >= STATUS_INTERVAL_MS {
                    since_status_ms = 0.0;
                    let now = player.status();
                    if shown.as_ref() != Some(&now) {
                        shown = Some(now.clone());
                        status.set(now);
                    }
                }
            });
            move || drop(frame_loop)
        });
    }

    let on_command = {
        let (player, status, announcement, error) = (
            player.clone(),
            status.clone(),
            announcement.clone(),
            error.clone(),
        );
        Callback::from(move |command: Command| {
            let mut player = player.borrow_mut();
            match commands::apply(&mut player, command) {
                Ok(Some(sentence)) => {
                    announcement.set(sentence);
                    error.set(None);
                }
                Ok(None) => {}
                Err(message) => error.set(Some(message)),
            }
            status.set(player.status());
        })
    };

    // Space plays or pauses, the right arrow steps, unless the user is typing.
    {
        let on_command = on_command.clone();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |event: KeyboardEvent| {
                let typing = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|element| {
                        matches!(
                            element.tag_name().as_str(),
                            "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                        )
                    });
                if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                match event.key().as_str() {
                    " " => {
                        event.prevent_default();
                        on_command.emit(Command::TogglePlay);
                    }
                    "ArrowRight" => {
                        event.prevent_default();
                        on_command.emit(Command::StepEvent);
                    }
                    _ => {}
                }
            });
            let document = web_sys::window().and_then(|window| window.document());
            if let Some(document) = &document {
                let _ = document
                    .add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(document) = document {
                    let _ = document.remove_event_listener_with_callback(
                        "keydown",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    let on_canvas_click = {
        let (player, selected, canvas_ref) = (player.clone(), selected.clone(), canvas_ref.clone());
        Callback::from(move |event: MouseEvent| {
            let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
                return;
            };
            let (width, height) = (
                f64::from(canvas.client_width()),
                f64::from(canvas.client_height()),
            );
            let frame = scene::build(&player.borrow(), width, height, None);
            let point = Point {
                x: f64::from(event.offset_x()),
                y: f64::from(event.offset_y()),
            };
            selected.set(scene::node_at(&frame, point));
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

    let borrowed = player.borrow();
    let scenario = borrowed.scenario();
    let engine = borrowed.engine();
    let kinds: Vec<&'static str> = borrowed.flights().kinds().to_vec();
    let duration = engine.duration();
    let lane: Vec<LaneMark> = scenario
        .faults
        .iter()
        .map(|fault| {
            let total = duration.as_ms_f64().max(1.0);
            let end = fault.until_ms.unwrap_or(total).min(total);
            LaneMark {
                start: (fault.at_ms / total).clamp(0.0, 1.0),
                end: (end / total).clamp(0.0, 1.0),
                label: format!(
                    "{} at {:.1} s",
                    commands::describe_fault(&fault.fault, None),
                    fault.at_ms / 1_000.0
                ),
            }
        })
        .collect();
    let view = selected.map(|node| {
        let keys = scenario
            .nodes
            .get(node.index())
            .and_then(|spec| spec.workload.as_ref())
            .map(|workload| workload.keys.clone())
            .unwrap_or_default();
        node_view(engine, node, &keys)
    });
    let nodes: Vec<(NodeId, String)> = engine
        .topology()
        .nodes
        .iter()
        .map(|node| {
            let kind = if node.kind == NodeKind::Replica {
                "Replica"
            } else {
                "Client"
            };
            let role = if node.kind == NodeKind::Replica {
                engine.role(node.id)
            } else {
                "client"
            };
            let up = if engine.is_up(node.id) { "up" } else { "down" };
            (node.id, format!("{kind} {}, {role}, {up}", node.name))
        })
        .collect();
    html! {
        <div class="app">
            <header class="toolbar">
                <h1 class="brand">{ "dsplay" }<span class="tagline">{ "distributed systems playground" }</span></h1>
                <label class="picker">{ "Scenario " }
                    <select id="preset" onchange={on_preset} aria-label="Scenario and consistency model">
                        { for presets::PRESETS.iter().map(|preset| html! {
                            <option value={preset.id} selected={preset.id == props.preset}>{ preset.label }</option>
                        }) }
                    </select>
                </label>
            </header>
            <main class="workspace">
                <section class="stage-area">
                    <div class="scenario-info">
                        <h2>{ scenario.name.clone() }</h2>
                        <p>{ scenario.description.clone() }</p>
                    </div>
                    <canvas id="stage" ref={canvas_ref} onclick={on_canvas_click} role="img"
                        aria-label={ format!("{}: nodes, links and messages in flight; select nodes in the list beside", scenario.name) }></canvas>
                    <ul class="legend" aria-label="Message kinds">
                        { for kinds.iter().enumerate().map(|(index, kind)| html! {
                            <li key={*kind}><span class="swatch" style={format!("background:{}", scene::kind_colour(index))}></span>{ *kind }</li>
                        }) }
                        <li><span class="mark-cross" aria-hidden="true">{ "×" }</span>{ "dropped" }</li>
                    </ul>
                    <Timeline status={(*status).clone()} {duration} speed={borrowed.speed()} faults={lane} on_command={on_command.clone()} />
                </section>
                <aside class="side-panel">
                    <Inspector {view} on_command={on_command.clone()} />
                    <section class="node-list" aria-label="Nodes">
                        <h2>{ "Nodes" }</h2>
                        <ul>
                            { for nodes.into_iter().map(|(id, label)| {
                                let selected_handle = selected.clone();
                                let is_selected = *selected == Some(id);
                                html! {
                                    <li key={id.0}>
                                        <button class={classes!("node-button", is_selected.then_some("selected"))}
                                            aria-pressed={is_selected.to_string()}
                                            onclick={Callback::from(move |_: MouseEvent| selected_handle.set(Some(id)))}>
                                            { label }
                                        </button>
                                    </li>
                                }
                            }) }
                        </ul>
                    </section>
                </aside>
            </main>
            if let Some(message) = &*error {
                <p class="error-banner" role="alert">{ message.clone() }</p>
            }
            if let Some(message) = &status.error {
                <p class="error-banner" role="alert">{ message.clone() }</p>
            }
            <p class="announcer" aria-live="polite" data-field="announcement">{ (*announcement).clone() }</p>
            <StatusBar status={(*status).clone()} />
        </div>
    }
}

/// Sizes the canvas to its box (in device pixels) and paints the current frame.
fn paint(canvas_ref: &NodeRef, player: &Player, selected: Option<NodeId>) {
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
    let frame = scene::build(player, width, height, selected);
    draw::paint(
        &ctx,
        &frame,
        width,
        height,
        pixel_ratio,
        if dark { &draw::DARK } else { &draw::LIGHT },
    );
}
