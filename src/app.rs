//! The page: toolbar, canvas, timeline, inspector and status bar around a [`Workbench`].
//!
//! The workbench (scenario being edited plus its run) and the frame loop live outside
//! Yew's state: every frame advances the run and paints the canvas directly, and only
//! the figures the DOM shows go through Yew state, at most ten times a second and only
//! when they change, so the component tree is not re-rendered per frame. Controls send
//! [`Command`]s (to the run) or [`Edit`]s (to the scenario).

use crate::animation::AnimationLoop;
use crate::commands::{self, Command};
use crate::components::analysis::Analysis;
use crate::components::challenge_panel::ChallengePanel;
use crate::components::history_panel::HistoryPanel;
use crate::components::inspector::Inspector;
use crate::components::lesson_panel::LessonPanel;
use crate::components::node_list::NodeList;
use crate::components::seed_field::SeedField;
use crate::components::spacetime_view::SpaceTimeView;
use crate::components::status_bar::StatusBar;
use crate::components::timeline::Timeline;
use crate::draw;
use crate::editor::Edit;
use crate::inspect::{node_view, static_view};
use crate::player::Status;
use crate::presets;
use crate::scene::{self, Point};
use crate::workbench::Workbench;
use dsplay_sim::{NodeId, NodeKind};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, HtmlCanvasElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

/// How often the DOM's figures are refreshed while playing, in wall-clock milliseconds.
const STATUS_INTERVAL_MS: f64 = 100.0;
/// How often the work is saved in the browser's storage, in wall-clock milliseconds.
const AUTOSAVE_INTERVAL_MS: f64 = 1_000.0;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The picker entry shown at start (a preset id, or `presets::EMPTY`).
    pub preset: AttrValue,
    /// The playback speed the address asked for.
    #[prop_or_default]
    pub speed: Option<f64>,
    /// Whether a scenario starts playing as it opens (not for reduced motion).
    #[prop_or(true)]
    pub autoplay: bool,
    /// What was wrong with the address, shown once as an error.
    #[prop_or_default]
    pub notice: Option<AttrValue>,
    /// The scenario and moment a share link opened, offered as the picker's
    /// `presets::SHARED` entry.
    #[prop_or_default]
    pub shared: Option<Rc<crate::share::Shared>>,
    /// How the picker names that entry (a link's scenario, or the work saved last time).
    #[prop_or(AttrValue::Static("The shared link's scenario"))]
    pub shared_label: AttrValue,
    /// The compact player for an iframe, when the address says `?embed`.
    #[prop_or_default]
    pub embed: Option<crate::embed::EmbedOptions>,
    /// The address's query string (for the embedded player's link to the playground).
    #[prop_or_default]
    pub query: AttrValue,
    /// The lesson the address opened, at its step.
    #[prop_or_default]
    pub lesson: Option<crate::lessons::Walk>,
    /// The design challenge the address opened.
    #[prop_or_default]
    pub challenge: Option<Rc<dsplay_sim::challenge::Challenge>>,
}

#[component(App)]
pub fn app(props: &AppProps) -> Html {
    let preset = use_state(|| props.preset.to_string());
    // What was wrong with the address is said once: the next pick clears it.
    let notice = use_state(|| props.notice.clone());
    let (speed, autoplay, shared) = (props.speed, props.autoplay, props.shared.clone());
    let embed_theme = props.embed.as_ref().and_then(|embed| embed.theme);
    // The lesson being walked through, and how many times a step was opened: opening a
    // step again (after the reader changed its scenario) gives a fresh run.
    let walk = use_state(|| props.lesson.clone());
    let visits = use_state(|| 0_u32);
    let step = (*walk).as_ref().map(|walk| walk.step);
    let lesson_scenario = (*walk).clone();
    // The challenge being worked on; picking a scenario leaves it.
    let challenge = use_state(|| props.challenge.clone());
    let taken = (*challenge).clone();
    let challenge_id = taken.as_ref().map(|challenge| challenge.id.clone());
    let bench = use_memo(
        ((*preset).clone(), step, *visits, challenge_id.clone()),
        |(id, _, _, _)| {
            let opened = shared.as_ref().filter(|_| id == presets::SHARED);
            let mut workbench = Workbench::new(match (&lesson_scenario, &taken, opened) {
                (Some(walk), _, _) => walk.scenario().clone(),
                (None, Some(challenge), opened) => crate::challenges::opening_scenario(
                    challenge,
                    opened.map(|shared| &shared.scenario),
                ),
                (None, None, Some(shared)) => shared.scenario.clone(),
                (None, None, None) => presets::scenario(id),
            });
            if lesson_scenario.is_none() {
                workbench.set_challenge(taken.clone());
            }
            if let Some(speed) = speed {
                workbench.set_speed(speed);
            }
            // The live verdict is worked out in a worker, so a long check never holds a frame.
            workbench.set_background_checks(true);
            if let Some(theme) = embed_theme {
                workbench.dark = Some(theme == crate::embed::Theme::Dark);
            }
            if let (Some(shared), Some(player)) = (opened, workbench.player_mut()) {
                // A shared run opens at the moment it was shared, paused there.
                player.seek(shared.time);
                player.pause();
            }
            if !autoplay {
                if let Some(player) = workbench.player_mut() {
                    player.pause();
                }
            }
            if let (Some(walk), Some(player)) = (&lesson_scenario, workbench.player_mut()) {
                // A lesson's step opens paused at its moment: the reader predicts, then plays,
                // in real time unless the address asked for another speed.
                if speed.is_none() {
                    player.set_speed(1.0);
                }
                let at = walk.lesson.steps[walk.step].at_ms;
                player.seek(dsplay_sim::Time::from_ms_f64(at));
                player.pause();
            }
            BenchHandle(Rc::new(RefCell::new(workbench)))
        },
    );
    let on_pick = {
        let (preset, notice, walk) = (preset.clone(), notice.clone(), walk.clone());
        let challenge = challenge.clone();
        Callback::from(move |id: String| {
            notice.set(None);
            // The address no longer describes what is shown: drop its share fragment, and
            // a lesson's step or a challenge (picking a scenario leaves them).
            forget_fragment();
            if walk.is_some() || challenge.is_some() {
                replace_query("");
                walk.set(None);
                challenge.set(None);
            }
            preset.set(id);
        })
    };
    let on_step = {
        let (walk, visits) = (walk.clone(), visits.clone());
        let query = props.query.clone();
        Callback::from(move |step: usize| {
            if let Some(current) = &*walk {
                let next = current.at(step);
                replace_query(&next.query(&query));
                walk.set(Some(next));
                visits.set(*visits + 1);
            }
        })
    };
    // Keyed by preset and lesson step, so each mounts a new playground with its own frame
    // loop.
    let key = format!(
        "{}/{}/{}/{}",
        *preset,
        step.map_or(String::new(), |step| step.to_string()),
        *visits,
        challenge_id.unwrap_or_default()
    );
    let challenge = (*walk).is_none().then(|| (*challenge).clone()).flatten();
    html! { <Playground {key} bench={(*bench).clone()} preset={(*preset).clone()} {on_pick} notice={(*notice).clone()} has_shared={props.shared.is_some()} shared_label={props.shared_label.clone()}
    embed={props.embed.clone()} query={props.query.clone()} lesson={(*walk).clone()} {on_step} {challenge} /> }
}

/// Puts `query` in the address bar in place of the current one, without reloading or
/// adding history (the share fragment goes too).
fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    let address = if query.is_empty() || query == "?" {
        path
    } else {
        format!("{path}{query}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
}

/// A shared workbench; equal when it is the same one.
#[derive(Clone, Debug)]
pub struct BenchHandle(pub Rc<RefCell<Workbench>>);

impl PartialEq for BenchHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What a pointer is doing on the canvas.
#[derive(Clone, Debug, PartialEq)]
enum Gesture {
    /// Drawing a lasso: the nodes it encloses are partitioned off.
    Lasso { points: Vec<Point> },
    /// Dragging empty canvas: the view pans.
    Pan { last: Point },
    /// Dragging a node (by its index); `moved` once it has moved.
    Drag { node: usize, moved: bool },
    /// Drawing a link from a node to the pointer.
    Link { from: usize, pointer: Point },
    /// Two fingers on the canvas: the view follows their midpoint and spread.
    Pinch { centre: Point, spread: f64 },
}

/// The midpoint and distance of the first two pointers down, if two are.
fn two_fingers(pointers: &std::collections::BTreeMap<i32, Point>) -> Option<(Point, f64)> {
    let mut points = pointers.values();
    let (a, b) = (*points.next()?, *points.next()?);
    Some((a.lerp(b, 0.5), (a.x - b.x).hypot(a.y - b.y)))
}

#[derive(Properties, PartialEq)]
struct PlaygroundProps {
    bench: BenchHandle,
    preset: String,
    on_pick: Callback<String>,
    notice: Option<AttrValue>,
    /// Whether the picker offers the scenario a share link opened.
    has_shared: bool,
    shared_label: AttrValue,
    embed: Option<crate::embed::EmbedOptions>,
    query: AttrValue,
    /// The lesson step shown beside the run, if a lesson is being walked through.
    lesson: Option<crate::lessons::Walk>,
    on_step: Callback<usize>,
    /// The design challenge beside the canvas, if one is being worked on.
    challenge: Option<Rc<dsplay_sim::challenge::Challenge>>,
}

#[component(Playground)]
fn playground(props: &PlaygroundProps) -> Html {
    let bench = props.bench.0.clone();
    let canvas_ref = use_node_ref();
    let status = use_state(|| current_status(&bench.borrow()));
    let selected = use_state(|| None::<NodeId>);
    let selected_message = use_state(|| None::<dsplay_sim::MsgId>);
    let selected_link = use_state(|| None::<usize>);
    let painted_selection = use_mut_ref(|| Rc::new(Cell::new(None::<NodeId>)));
    let gesture = use_mut_ref(|| Rc::new(RefCell::new(None::<Gesture>)));
    // Pointers (fingers, pens, the mouse) currently down on the canvas, by id.
    let pointers = use_mut_ref(std::collections::BTreeMap::<i32, Point>::new);
    let link_mode = use_state(|| false);
    let lasso_mode = use_state(|| false);
    let announcement = use_state(String::new);
    let error = use_state(|| props.notice.as_ref().map(ToString::to_string));
    // Asked for after edits so the DOM (inspector, node list) shows the edited scenario.
    let refresh = use_force_update();
    painted_selection.borrow().set(*selected);

    // A violation found by the checker is announced once, as it appears (unless the
    // page just said so, as a jump to the violation does).
    {
        let announcement = announcement.clone();
        let violation = status
            .verdict
            .as_ref()
            .filter(|verdict| verdict.valid == Some(false))
            .map(|verdict| (verdict.model.clone(), verdict.explanation.clone()));
        use_effect_with(violation, move |violation| {
            if let Some((model, explanation)) = violation {
                if !announcement.contains(explanation.as_str()) {
                    announcement.set(format!("The run is no longer {model}: {explanation}"));
                }
            }
        });
    }

    // The worker that checks the live verdict, and the check it is working on.
    let live_check = use_mut_ref(LiveCheck::default);
    {
        let (bench, canvas_ref, status) = (bench.clone(), canvas_ref.clone(), status.setter());
        let selection = painted_selection.borrow().clone();
        let gesture = gesture.borrow().clone();
        let (live_check, shared_bench) = (live_check.clone(), bench.clone());
        let embedded = props.embed.is_some();
        use_effect_with((), move |_| {
            let mut since_status_ms = STATUS_INTERVAL_MS;
            let mut shown = None;
            // The canvas width the view was last fitted to: the view fits again when the
            // canvas gets wider or narrower (a window resized, a tablet turned), but not
            // when banners come and go above it and change only its height, which would
            // move the nodes under the user's pointer.
            let mut fitted_width = None::<i32>;
            let mut frames = crate::frames::FrameLog::default();
            // The work is saved in the browser about once a second, when it changed.
            let (mut since_save_ms, mut last_saved) = (0.0, None::<String>);
            let mut painter = draw::Painter::default();
            let frame_loop = AnimationLoop::start(move |elapsed_ms| {
                let started_ms = crate::frames::now_ms();
                let mut bench = bench.borrow_mut();
                if let Some(player) = bench.player_mut() {
                    player.advance(elapsed_ms);
                }
                let width = canvas_ref
                    .cast::<HtmlCanvasElement>()
                    .map(|canvas| canvas.client_width());
                if width != fitted_width && fit_once(&canvas_ref, &mut bench) {
                    fitted_width = width;
                }
                let (drawn_nodes, in_flight) = paint(
                    &mut painter,
                    &canvas_ref,
                    &bench,
                    selection.get(),
                    gesture.borrow().as_ref(),
                );
                since_status_ms += elapsed_ms;
                if since_status_ms >= STATUS_INTERVAL_MS {
                    since_status_ms = 0.0;
                    ask_for_verdict(&bench, &shared_bench, &live_check, &status);
                    let now = current_status(&bench);
                    if shown.as_ref() != Some(&now) {
                        if embedded {
                            report_to_parent(&now);
                        }
                        shown = Some(now.clone());
                        status.set(now);
                    }
                }
                since_save_ms += elapsed_ms;
                // An embedded player never touches the reader's own saved work.
                if !embedded && since_save_ms >= AUTOSAVE_INTERVAL_MS {
                    since_save_ms = 0.0;
                    save_work(&bench, &mut last_saved);
                }
                // The status refresh (with the checker) is part of this frame's work.
                frames.record(started_ms, crate::frames::now_ms(), drawn_nodes, in_flight);
            });
            move || drop(frame_loop)
        });
    }

    // The Next violation search running in the worker, if one is.
    let search = use_mut_ref(|| None::<crate::background::Background>);

    // A lesson step's prediction, and the worker working out the run's answer.
    let prediction = use_reducer(crate::lessons::Prediction::default);
    let answering = use_mut_ref(|| None::<crate::background::Background>);
    let on_lesson_pick = {
        let prediction = prediction.clone();
        use_callback((), move |choice: usize, _| {
            prediction.dispatch(crate::lessons::Said::Pick(choice));
        })
    };
    let on_lesson_ask = {
        let (bench, status, prediction, answering) = (
            bench.clone(),
            status.clone(),
            prediction.clone(),
            answering.clone(),
        );
        let ask = props
            .lesson
            .as_ref()
            .and_then(|walk| walk.lesson.steps[walk.step].question.clone())
            .map(|question| question.ask);
        use_callback((), move |guessed: bool, _| {
            let Some(ask) = ask.clone() else { return };
            prediction.dispatch(crate::lessons::Said::Ask { guessed });
            // The question is put to the run on screen: if the reader changed the
            // scenario (a fault injected, a node moved), the answer is about their run.
            let (job, asked_about) = {
                let mut bench = bench.borrow_mut();
                let Some(player) = bench.player_mut() else {
                    prediction.dispatch(crate::lessons::Said::Failed(
                        "The system cannot run yet; fix the problem shown above first.".into(),
                    ));
                    return;
                };
                player.pause();
                let job = dsplay_worker::Job::Answer {
                    scenario: player.scenario().to_json_pretty(),
                    ask,
                };
                (job, player.scenario().clone())
            };
            status.set(current_status(&bench.borrow()));
            let (playing, shown, heard, finished) = (
                bench.clone(),
                status.clone(),
                prediction.clone(),
                answering.clone(),
            );
            let started = crate::background::Background::start(&job, move |reply| {
                use dsplay_worker::Reply;
                match reply {
                    Reply::Answered { answer } => {
                        let mut bench = playing.borrow_mut();
                        match bench.player_mut() {
                            // The answer is about the run as it was asked about.
                            Some(player) if *player.scenario() == asked_about => {
                                // Now the run plays to the moment that answers the question.
                                player.play_until(dsplay_sim::Time::from_ms_f64(answer.at_ms));
                                heard.dispatch(crate::lessons::Said::Answered(answer));
                            }
                            _ => heard.dispatch(crate::lessons::Said::Failed(
                                "The run changed while its answer was being worked out; open the step again to ask about it.".into(),
                            )),
                        }
                        shown.set(current_status(&bench));
                    }
                    Reply::Failed { message } => {
                        heard.dispatch(crate::lessons::Said::Failed(message));
                    }
                    _ => return,
                }
                let finished = finished.clone();
                yew::platform::spawn_local(async move {
                    finished.borrow_mut().take();
                });
            });
            match started {
                Ok(handle) => *answering.borrow_mut() = Some(handle),
                Err(message) => prediction.dispatch(crate::lessons::Said::Failed(message)),
            }
        })
    };

    // A design challenge's evaluation in the worker, and the attempts graded so far.
    let work = use_reducer(crate::challenges::Work::default);
    let grading = use_mut_ref(|| None::<crate::background::Background>);
    let on_challenge_evaluate = {
        let (bench, work, grading) = (bench.clone(), work.clone(), grading.clone());
        let challenge = props.challenge.clone();
        use_callback((), move |(), _| {
            use crate::challenges::Step;
            let Some(text) = challenge
                .as_ref()
                .and_then(|challenge| crate::challenges::file_text(&challenge.id))
            else {
                return;
            };
            // The design on the canvas is graded, even one that cannot run yet: the
            // grader names what is wrong with it.
            let scenario = bench.borrow().scenario().clone();
            let job = dsplay_worker::Job::Grade {
                challenge: text.into(),
                design: scenario.to_json_pretty(),
            };
            work.dispatch(Step::Started);
            let (heard, finished) = (work.clone(), grading.clone());
            let started = crate::background::Background::start(&job, move |reply| {
                use dsplay_worker::Reply;
                match reply {
                    Reply::Ready => return,
                    Reply::Progress { done, total } => {
                        heard.dispatch(Step::Progress { done, total });
                        return;
                    }
                    Reply::Graded { scorecard } => {
                        heard.dispatch(Step::Graded(Box::new(scenario.clone()), scorecard))
                    }
                    Reply::Refused { problems } => heard.dispatch(Step::Refused(problems)),
                    Reply::Failed { message } => heard.dispatch(Step::Failed(message)),
                    _ => heard.dispatch(Step::Failed(
                        "The background worker answered with something other than a scorecard."
                            .into(),
                    )),
                }
                // Let go of the worker once it has answered (not from inside its handler).
                let finished = finished.clone();
                yew::platform::spawn_local(async move {
                    finished.borrow_mut().take();
                });
            });
            match started {
                Ok(handle) => *grading.borrow_mut() = Some(handle),
                Err(message) => work.dispatch(Step::Failed(message)),
            }
        })
    };
    let on_challenge_cancel = {
        let (work, grading) = (work.clone(), grading.clone());
        use_callback((), move |(), _| {
            // Dropping the handle terminates the worker mid-evaluation.
            grading.borrow_mut().take();
            work.dispatch(crate::challenges::Step::Cancelled);
        })
    };

    // An embedded player's diagram, when its address asks for one instead of the canvas.
    let embed_spacetime = use_mut_ref(crate::spacetime::SpaceTimeIndex::new);
    let embed_span = use_state(|| crate::spacetime::DEFAULT_SPAN_MS);
    // An embedded player takes play, pause and seek from the course page around it.
    {
        let (bench, status) = (bench.clone(), status.setter());
        let embedded = props.embed.is_some();
        use_effect_with((), move |_| {
            let window = web_sys::window();
            let listener = embedded.then(|| {
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |event: web_sys::MessageEvent| {
                        let data = event.data();
                        let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
                        let asked = crate::embed::request(
                            field("type").and_then(|kind| kind.as_string()).as_deref(),
                            field("time_ms").and_then(|ms| ms.as_f64()),
                        );
                        let Some(asked) = asked else { return };
                        let mut bench = bench.borrow_mut();
                        if let Some(player) = bench.player_mut() {
                            match asked {
                                crate::embed::Request::Play => player.play(),
                                crate::embed::Request::Pause => player.pause(),
                                crate::embed::Request::Seek(ms) => {
                                    player.pause();
                                    player.seek(dsplay_sim::Time::from_ms_f64(ms));
                                }
                            }
                        }
                        status.set(current_status(&bench));
                    },
                )
            });
            if let (Some(window), Some(listener)) = (&window, &listener) {
                let _ = window
                    .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
            }
            move || {
                if let (Some(window), Some(listener)) = (window, listener) {
                    let _ = window.remove_event_listener_with_callback(
                        "message",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // The callbacks children get are made once and stay the same, so a child whose data
    // did not change skips the page's ten-a-second refresh (a new callback each render
    // would count as a change). They only ever set state, never read it, so a handle
    // from the first render serves as well as a fresh one; what they need to read lives
    // in the workbench or in `painted_selection`.
    let on_command = {
        let (bench, status, announcement, error) = (
            bench.clone(),
            status.clone(),
            announcement.clone(),
            error.clone(),
        );
        let search = search.clone();
        use_callback((), move |command: Command, _| {
            if command == Command::NextViolation {
                // The search judges the whole history: it runs in the worker.
                search_next_violation(&bench, &search, &status, &announcement, &error);
                return;
            }
            let mut bench = bench.borrow_mut();
            let Some(player) = bench.player_mut() else {
                error.set(Some(
                    "The system cannot run yet; fix the problem shown above first.".into(),
                ));
                return;
            };
            match commands::apply(player, command) {
                Ok(Some(sentence)) => {
                    announcement.set(sentence);
                    error.set(None);
                }
                Ok(None) => {}
                Err(message) => error.set(Some(message)),
            }
            status.set(current_status(&bench));
        })
    };
    let on_edit = {
        let (bench, status, error, refresh, selected) = (
            bench.clone(),
            status.clone(),
            error.clone(),
            refresh.clone(),
            selected.clone(),
        );
        use_callback((), move |edit: Edit, _| {
            let mut bench = bench.borrow_mut();
            match bench.edit(&edit) {
                Ok(()) => {
                    error.set(None);
                    if let Edit::RemoveNode { .. } = edit {
                        selected.set(None);
                    }
                    if let Edit::AddNode { .. } = edit {
                        selected.set(Some(NodeId(bench.scenario().nodes.len() as u32 - 1)));
                    }
                }
                Err(message) => error.set(Some(message)),
            }
            status.set(current_status(&bench));
            refresh.force_update();
        })
    };
    let on_history = {
        let (bench, status, refresh, selected) = (
            bench.clone(),
            status.clone(),
            refresh.clone(),
            selected.clone(),
        );
        let shown_selection = painted_selection.borrow().clone();
        use_callback((), move |redo: bool, _| {
            let mut bench = bench.borrow_mut();
            let changed = if redo { bench.redo() } else { bench.undo() };
            if changed {
                if shown_selection
                    .get()
                    .is_some_and(|node| node.index() >= bench.scenario().nodes.len())
                {
                    selected.set(None);
                }
                status.set(current_status(&bench));
                refresh.force_update();
            }
        })
    };
    let on_select = {
        let selected = selected.clone();
        use_callback((), move |node: Option<NodeId>, _| selected.set(node))
    };

    // Keyboard: Space plays or pauses, the right arrow steps, Delete removes the selected
    // node, Ctrl+Z undoes and Ctrl+Shift+Z redoes, unless the user is typing.
    {
        let (on_command, on_edit, on_history, selected) = (
            on_command.clone(),
            on_edit.clone(),
            on_history.clone(),
            selected.clone(),
        );
        use_effect_with(*selected, move |_| {
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
                if typing || event.alt_key() {
                    return;
                }
                let control = event.ctrl_key() || event.meta_key();
                match (event.key().as_str(), control) {
                    (" ", false) => on_command.emit(Command::TogglePlay),
                    ("ArrowRight", false) => on_command.emit(Command::StepEvent),
                    ("Delete" | "Backspace", false) => match *selected {
                        Some(node) => on_edit.emit(Edit::RemoveNode { node: node.index() }),
                        None => return,
                    },
                    ("z" | "Z", true) => on_history.emit(event.shift_key()),
                    ("y", true) => on_history.emit(true),
                    _ => return,
                }
                event.prevent_default();
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

    // Pointer gestures on the canvas: press a node to select and drag it (or, in link
    // mode or with Shift, to draw a link to another node); double-click empty space to
    // add a replica there.
    let pointer_point = |event: &PointerEvent| Point {
        x: f64::from(event.offset_x()),
        y: f64::from(event.offset_y()),
    };
    let hit = {
        let bench = bench.clone();
        move |point: Point| {
            let bench = bench.borrow();
            let frame = scene::build(
                bench.scenario(),
                bench.player(),
                &bench.view,
                None,
                &bench.highlight,
            );
            scene::node_at(&frame, point)
        }
    };
    let on_pointer_down = {
        let (bench, gesture, selected, link_mode, hit, selected_message, selected_link) = (
            bench.clone(),
            gesture.borrow().clone(),
            selected.clone(),
            link_mode.clone(),
            hit.clone(),
            selected_message.clone(),
            selected_link.clone(),
        );
        let lasso_mode = lasso_mode.clone();
        let pointers = pointers.clone();
        Callback::from(move |event: PointerEvent| {
            // Only the primary button (a finger, a pen tip, the left mouse button) builds:
            // a right click opens the context menu, and its release may never arrive.
            if event.button() != 0 {
                return;
            }
            let point = pointer_point(&event);
            if let Some(target) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            {
                let _ = target.set_pointer_capture(event.pointer_id());
            }
            let fingers = {
                let mut pointers = pointers.borrow_mut();
                pointers.insert(event.pointer_id(), point);
                two_fingers(&pointers)
            };
            if let Some((centre, spread)) = fingers {
                // A second finger turns whatever the first began into a pinch.
                *gesture.borrow_mut() = Some(Gesture::Pinch { centre, spread });
                return;
            }
            if *lasso_mode {
                *gesture.borrow_mut() = Some(Gesture::Lasso {
                    points: vec![point],
                });
                return;
            }
            let node = hit(point);
            selected.set(node);
            // Not on a node: perhaps on a message in flight (the inspector shows its
            // payload), or on a link (the inspector opens its settings).
            let (message, link) = match node {
                Some(_) => (None, None),
                None => {
                    let bench = bench.borrow();
                    let frame = scene::build(
                        bench.scenario(),
                        bench.player(),
                        &bench.view,
                        None,
                        &bench.highlight,
                    );
                    let message = scene::message_at(&frame, point);
                    let link = message
                        .is_none()
                        .then(|| scene::link_at(&frame, point))
                        .flatten();
                    (message, link)
                }
            };
            selected_message.set(message);
            selected_link.set(link);
            let Some(node) = node else {
                if message.is_none() && link.is_none() {
                    *gesture.borrow_mut() = Some(Gesture::Pan { last: point });
                }
                return;
            };
            *gesture.borrow_mut() = Some(if *link_mode || event.shift_key() {
                Gesture::Link {
                    from: node.index(),
                    pointer: point,
                }
            } else {
                Gesture::Drag {
                    node: node.index(),
                    moved: false,
                }
            });
        })
    };
    let on_pointer_move = {
        let (bench, gesture, pointers) =
            (bench.clone(), gesture.borrow().clone(), pointers.clone());
        Callback::from(move |event: PointerEvent| {
            let point = pointer_point(&event);
            let fingers = {
                let mut pointers = pointers.borrow_mut();
                if let Some(known) = pointers.get_mut(&event.pointer_id()) {
                    *known = point;
                }
                two_fingers(&pointers)
            };
            let mut current = gesture.borrow_mut();
            match current.as_mut() {
                Some(Gesture::Pinch { centre, spread }) => {
                    if let Some((new_centre, new_spread)) = fingers {
                        let mut bench = bench.borrow_mut();
                        bench.view = bench
                            .view
                            .pinched((*centre, *spread), (new_centre, new_spread));
                        (*centre, *spread) = (new_centre, new_spread);
                    }
                }
                Some(Gesture::Drag { node, moved }) => {
                    let mut bench = bench.borrow_mut();
                    if !*moved {
                        // One undo step per drag, taken when it really moves (a click
                        // that only selects leaves nothing to undo).
                        bench.checkpoint();
                    }
                    let world = bench.view.invert(point);
                    if bench.drag(*node, world.x.round(), world.y.round()).is_ok() {
                        *moved = true;
                    }
                }
                Some(Gesture::Link { pointer, .. }) => *pointer = point,
                // A point every few pixels is enough for the loop.
                Some(Gesture::Lasso { points })
                    if points
                        .last()
                        .is_none_or(|last| (last.x - point.x).hypot(last.y - point.y) > 4.0) =>
                {
                    points.push(point);
                }
                Some(Gesture::Pan { last }) => {
                    let mut bench = bench.borrow_mut();
                    bench.view = bench.view.panned(point.x - last.x, point.y - last.y);
                    *last = point;
                }
                Some(Gesture::Lasso { .. }) | None => {}
            }
        })
    };
    let on_pointer_up = {
        let (gesture, on_edit, hit, refresh) = (
            gesture.borrow().clone(),
            on_edit.clone(),
            hit.clone(),
            refresh.clone(),
        );
        let (bench, on_command, pointers) = (bench.clone(), on_command.clone(), pointers.clone());
        Callback::from(move |event: PointerEvent| {
            let others_down = {
                let mut pointers = pointers.borrow_mut();
                pointers.remove(&event.pointer_id());
                !pointers.is_empty()
            };
            if others_down && matches!(*gesture.borrow(), Some(Gesture::Pinch { .. })) {
                // One finger lifted: the pinch ends, and the other finger does nothing
                // until it is lifted too.
                *gesture.borrow_mut() = None;
                return;
            }
            let finished = gesture.borrow_mut().take();
            match finished {
                Some(Gesture::Link { from, .. }) => {
                    if let Some(to) = hit(pointer_point(&event)).filter(|to| to.index() != from) {
                        on_edit.emit(Edit::Link {
                            a: from,
                            b: to.index(),
                        });
                    }
                }
                Some(Gesture::Drag { moved: true, .. }) => refresh.force_update(),
                Some(Gesture::Lasso { points }) => {
                    // The enclosed nodes become one side of a partition, until Heal all.
                    let bench = bench.borrow();
                    let nodes = &bench.scenario().nodes;
                    let enclosed: Vec<String> = nodes
                        .iter()
                        .filter(|node| {
                            let at = bench.view.apply(Point {
                                x: node.x,
                                y: node.y,
                            });
                            scene::inside(&points, at)
                        })
                        .map(|node| node.id.clone())
                        .collect();
                    let everyone = nodes.len();
                    drop(bench);
                    if !enclosed.is_empty() && enclosed.len() < everyone {
                        on_command.emit(Command::Inject(
                            dsplay_sim::fault::FaultKindSpec::Partition {
                                groups: vec![enclosed],
                            },
                            None,
                        ));
                    }
                }
                _ => {}
            }
        })
    };
    // A gesture the browser cancels (palm rejection, a system swipe) is dropped, never
    // finished: no lasso becomes a partition and no link is drawn to where it stopped.
    let on_pointer_cancel = {
        let (gesture, pointers, refresh) =
            (gesture.borrow().clone(), pointers.clone(), refresh.clone());
        Callback::from(move |event: PointerEvent| {
            pointers.borrow_mut().remove(&event.pointer_id());
            if let Some(Gesture::Drag { moved: true, .. }) = gesture.borrow_mut().take() {
                // The node stays where the drag left it, as one undo step.
                refresh.force_update();
            }
        })
    };
    // The wheel zooms around the pointer.
    let on_wheel = {
        let bench = bench.clone();
        Callback::from(move |event: WheelEvent| {
            event.prevent_default();
            let point = Point {
                x: f64::from(event.offset_x()),
                y: f64::from(event.offset_y()),
            };
            let factor = if event.delta_y() < 0.0 {
                1.15
            } else {
                1.0 / 1.15
            };
            let mut bench = bench.borrow_mut();
            bench.view = bench.view.zoomed_at(point, factor);
        })
    };
    let on_double_click = {
        let (bench, on_edit, hit) = (bench.clone(), on_edit.clone(), hit.clone());
        Callback::from(move |event: MouseEvent| {
            let point = Point {
                x: f64::from(event.offset_x()),
                y: f64::from(event.offset_y()),
            };
            if hit(point).is_some() {
                return;
            }
            let world = bench.borrow().view.invert(point);
            on_edit.emit(Edit::AddNode {
                kind: NodeKind::Replica,
                x: world.x.round(),
                y: world.y.round(),
            });
        })
    };
    let add = |kind: NodeKind| {
        let (bench, on_edit) = (bench.clone(), on_edit.clone());
        Callback::from(move |_: MouseEvent| {
            let bench_ref = bench.borrow();
            let count = bench_ref.scenario().nodes.len() as f64;
            // Place new nodes on a spiral around the middle, so they don't pile up.
            let centre = bench_ref.view.invert(Point { x: 400.0, y: 260.0 });
            let angle = count * 2.4;
            let radius = 60.0 + 18.0 * count;
            drop(bench_ref);
            on_edit.emit(Edit::AddNode {
                kind,
                x: (centre.x + radius * angle.cos()).round(),
                y: (centre.y + radius * angle.sin()).round(),
            });
        })
    };
    let on_toggle_lasso = {
        let lasso_mode = lasso_mode.clone();
        Callback::from(move |_: MouseEvent| lasso_mode.set(!*lasso_mode))
    };
    let on_heal_all = {
        let on_command = on_command.clone();
        Callback::from(move |_: MouseEvent| {
            on_command.emit(Command::Inject(
                dsplay_sim::fault::FaultKindSpec::HealAll {},
                None,
            ))
        })
    };
    let on_toggle_link = {
        let link_mode = link_mode.clone();
        Callback::from(move |_: MouseEvent| link_mode.set(!*link_mode))
    };
    let on_delete = {
        let (on_edit, selected) = (on_edit.clone(), selected.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(node) = *selected {
                on_edit.emit(Edit::RemoveNode { node: node.index() });
            }
        })
    };
    let on_arrange = {
        let (bench, on_edit, canvas_ref) = (bench.clone(), on_edit.clone(), canvas_ref.clone());
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            let choice = select.value();
            select.set_value("");
            // Around the middle of what the canvas shows, sized to fit it.
            let (width, height) =
                canvas_ref
                    .cast::<HtmlCanvasElement>()
                    .map_or((800.0, 560.0), |canvas| {
                        (
                            f64::from(canvas.client_width()),
                            f64::from(canvas.client_height()),
                        )
                    });
            let bench_ref = bench.borrow();
            let centre = bench_ref.view.invert(Point {
                x: width / 2.0,
                y: height / 2.0,
            });
            let corner = bench_ref.view.invert(Point { x: 0.0, y: 0.0 });
            drop(bench_ref);
            let room = ((centre.x - corner.x).min(centre.y - corner.y) * 2.0 - 120.0).max(200.0);
            let (centre_x, centre_y) = (centre.x.round(), centre.y.round());
            let edit = match choice.as_str() {
                "circle" => Edit::CircleLayout {
                    centre_x,
                    centre_y,
                    radius: (room / 2.0).round(),
                },
                "force" => Edit::ForceLayout {
                    centre_x,
                    centre_y,
                    size: room.round(),
                },
                _ => return,
            };
            on_edit.emit(edit);
        })
    };
    let on_fit = {
        let (bench, canvas_ref) = (bench.clone(), canvas_ref.clone());
        Callback::from(move |_: MouseEvent| {
            fit_once(&canvas_ref, &mut bench.borrow_mut());
        })
    };
    // The model by kind, with its default parameters: the toolbar's picker and a
    // challenge's palette both set it this way.
    let set_model = {
        let on_edit = on_edit.clone();
        use_callback((), move |kind: String, _| {
            if let Some((_, _, config)) = presets::known_models()
                .into_iter()
                .find(|(known, _, _)| *known == kind)
            {
                on_edit.emit(Edit::SetProtocol(config));
            }
        })
    };
    let on_model = {
        let set_model = set_model.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|target| target.dyn_into::<HtmlSelectElement>().ok())
            {
                set_model.emit(select.value());
            }
        })
    };
    // A challenge's worst seed shown as graded, and an attempt put back; the panel hands
    // over what it shows, so these stay the same from render to render.
    let on_show_worst = {
        let (bench, work, status) = (bench.clone(), work.clone(), status.clone());
        use_callback(
            (),
            move |(characteristic, worst): (
                dsplay_sim::challenge::Characteristic,
                dsplay_sim::grade::Evidence,
            ),
                  _| {
                use crate::challenges::Step;
                // The run is shown as it was graded: the rules would take away what a
                // requirement added (a scaled design's extra replicas and clients).
                let mut borrowed = bench.borrow_mut();
                if let Err(message) = borrowed.show_as_graded(worst.scenario.clone()) {
                    work.dispatch(Step::Failed(format!(
                        "Seed {} could not be shown: {message}",
                        worst.seed
                    )));
                    return;
                }
                if let Some(player) = borrowed.player_mut() {
                    if let Some(moment_ms) = worst.moment_ms {
                        player.seek(dsplay_sim::Time::from_ms_f64(moment_ms));
                    }
                    player.pause();
                }
                status.set(current_status(&borrowed));
                work.dispatch(Step::Showing(format!(
                    "Showing seed {} of the {} miss, as graded{}: {} Restore an attempt below to go back to your design.",
                    worst.seed,
                    characteristic.name().to_lowercase(),
                    worst
                        .moment_ms
                        .map(|ms| format!(", paused at {}", dsplay_sim::Time::from_ms_f64(ms)))
                        .unwrap_or_default(),
                    worst.explanation
                )));
            },
        )
    };
    let on_restore = {
        let on_edit = on_edit.clone();
        // An edit ends the show of a graded run and brings the rules back.
        use_callback((), move |scenario: dsplay_sim::Scenario, _| {
            on_edit.emit(Edit::Replace(Box::new(scenario)));
        })
    };
    let on_seed_error = {
        let error = error.clone();
        use_callback((), move |message: String, _| error.set(Some(message)))
    };
    let on_moved = {
        let (bench, status) = (bench.clone(), status.clone());
        use_callback((), move |(), _| status.set(current_status(&bench.borrow())))
    };
    let on_announce = {
        let announcement = announcement.clone();
        use_callback((), move |sentence: String, _| announcement.set(sentence))
    };
    let undo = {
        let on_history = on_history.clone();
        Callback::from(move |_: MouseEvent| on_history.emit(false))
    };
    let redo = {
        let on_history = on_history.clone();
        Callback::from(move |_: MouseEvent| on_history.emit(true))
    };
    // Files: a scenario opened from the Open button or dropped on the page replaces the
    // one shown (one undo step); a bad file is refused with a sentence and changes nothing.
    let on_file_text = {
        let (on_edit, error, announcement) = (on_edit.clone(), error.clone(), announcement.clone());
        use_callback((), move |read: Result<(String, String), String>, _| {
            let opened = read.and_then(|(name, text)| {
                crate::files::open_scenario(&name, &text).map(|scenario| (name, scenario))
            });
            match opened {
                Ok((name, scenario)) => {
                    let title = scenario.name.clone();
                    on_edit.emit(Edit::Replace(Box::new(scenario)));
                    announcement.set(format!("Opened {name}: {title}. Undo goes back."));
                }
                Err(message) => error.set(Some(message)),
            }
        })
    };
    let file_input = use_node_ref();
    let on_open_file = {
        let on_file_text = on_file_text.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read_file(file, on_file_text.clone());
            }
            // The same file can be chosen again.
            input.set_value("");
        })
    };
    let on_drag_over = Callback::from(|event: DragEvent| event.prevent_default());
    let on_drop = {
        let on_file_text = on_file_text.clone();
        Callback::from(move |event: DragEvent| {
            let file = event
                .data_transfer()
                .and_then(|transfer| transfer.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                event.prevent_default();
                read_file(file, on_file_text.clone());
            }
        })
    };
    let on_file_menu = {
        let (bench, file_input, error, announcement) = (
            bench.clone(),
            file_input.clone(),
            error.clone(),
            announcement.clone(),
        );
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            let choice = select.value();
            select.set_value("");
            let bench = bench.borrow();
            let scenario = bench.scenario();
            let saved = match choice.as_str() {
                "open" => {
                    if let Some(input) = file_input.cast::<web_sys::HtmlElement>() {
                        input.click();
                    }
                    return;
                }
                "save" => {
                    let name = crate::files::file_name(scenario, "json");
                    crate::download::save_text(
                        &name,
                        "application/json",
                        &crate::files::scenario_file(scenario),
                    )
                    .map(|()| format!("Saved the scenario as {name}."))
                }
                "history" => match bench.player() {
                    Some(player) => {
                        let name = crate::files::file_name(scenario, "edn");
                        crate::download::save_text(
                            &name,
                            "application/edn",
                            &crate::files::history_edn(player.engine()),
                        )
                        .map(|()| format!("Saved the history so far as {name} (Jepsen EDN)."))
                    }
                    None => Err("The system cannot run yet, so it has no history to save.".into()),
                },
                _ => return,
            };
            match saved {
                Ok(sentence) => announcement.set(sentence),
                Err(message) => error.set(Some(message)),
            }
        })
    };
    let shared_link = use_state(|| None::<String>);
    let on_share = {
        let (bench, shared_link, announcement, error) = (
            bench.clone(),
            shared_link.clone(),
            announcement.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let bench = bench.borrow();
            let player = match running_player(&bench, "shared") {
                Ok(player) => player,
                Err(message) => return error.set(Some(message)),
            };
            let fragment = crate::share::to_fragment(player.scenario(), player.cursor());
            let Some(window) = web_sys::window() else {
                return;
            };
            // The address bar shows the link too, and a reload reopens it.
            let _ = window.location().set_hash(&fragment);
            let link = window.location().href().unwrap_or_default();
            copy_where_allowed(&window, &link);
            announcement.set(format!(
                "Link made: it opens this run at {} with its faults and operations (in the address bar and above; copied where the browser allows).",
                player.cursor()
            ));
            error.set(None);
            shared_link.set(Some(link));
        })
    };
    let embed_code = use_state(|| None::<String>);
    let challenge_id = props
        .challenge
        .as_ref()
        .map(|challenge| challenge.id.clone());
    let on_embed_code = {
        let (bench, embed_code, announcement, error) = (
            bench.clone(),
            embed_code.clone(),
            announcement.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let bench = bench.borrow();
            let player = match running_player(&bench, "embedded") {
                Ok(player) => player,
                Err(message) => return error.set(Some(message)),
            };
            let Some(window) = web_sys::window() else {
                return;
            };
            let location = window.location();
            let page = format!(
                "{}{}",
                location.origin().unwrap_or_default(),
                location.pathname().unwrap_or_default()
            );
            let fragment = crate::share::to_fragment(player.scenario(), player.cursor());
            let code = crate::embed::embed_code(
                &page,
                &fragment,
                &player.scenario().name,
                challenge_id.as_deref(),
            );
            copy_where_allowed(&window, &code);
            announcement.set("Embed code made: paste it into a course page to show this run there (copied where the browser allows).".into());
            error.set(None);
            embed_code.set(Some(code));
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

    let borrowed = bench.borrow();
    let scenario = borrowed.scenario();
    let player = borrowed.player();
    let kinds: Vec<&'static str> = player
        .map(|player| player.flights().kinds().to_vec())
        .unwrap_or_default();
    let duration = dsplay_sim::Time::from_ms_f64(scenario.duration_ms);
    let lane = crate::lane::marks(scenario);
    let view = selected.and_then(|node| match player {
        Some(player) => {
            let keys = scenario
                .nodes
                .get(node.index())
                .and_then(|spec| spec.workload.as_ref())
                .map(|w| w.keys.clone())
                .unwrap_or_default();
            (node.index() < player.engine().topology().nodes.len())
                .then(|| node_view(player.engine(), node, &keys))
        }
        None => static_view(scenario, node),
    });
    let message_view = selected_message.and_then(|msg| {
        player.and_then(|player| crate::inspect::message_view(player.engine(), msg))
    });
    let nodes: Vec<(NodeId, String)> = scenario
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let id = NodeId(index as u32);
            let kind = if node.kind == NodeKind::Replica {
                "Replica"
            } else {
                "Client"
            };
            let (role, up, condition) = match player {
                Some(player) => {
                    let engine = player.engine();
                    let role = if node.kind == NodeKind::Replica {
                        engine.role(id)
                    } else {
                        "client"
                    };
                    (role, engine.is_up(id), engine.node_condition(id))
                }
                None => ("not running", true, Default::default()),
            };
            let state = scene::liveness(up, &condition);
            let mut label = format!("{kind} {}, {role}, {state}", node.id);
            for word in scene::condition_words(&condition) {
                label.push_str(", ");
                label.push_str(&word);
            }
            (id, label)
        })
        .collect();
    let current_model = scenario.protocol.kind();
    let speed = player.map_or(crate::player::DEFAULT_SPEED, |player| player.speed());
    let in_lesson = props.lesson.as_ref();
    // Beside a lesson or a challenge the picker names neither preset as shown.
    let guided = in_lesson.is_some() || props.challenge.is_some();
    let lesson_panel = props.lesson.as_ref().map(|walk| {
        let choices = walk.lesson.steps[walk.step]
            .question
            .as_ref()
            .map(|question| dsplay_sim::lesson::choices(&question.ask, scenario))
            .unwrap_or_default();
        let on_reset = {
            let (on_step, step) = (props.on_step.clone(), walk.step);
            Callback::from(move |()| on_step.emit(step))
        };
        html! {
            <LessonPanel walk={walk.clone()} {choices} prediction={(*prediction).clone()} cursor_ms={status.time.as_ms_f64()}
                index_href={if props.embed.is_some() { "?embed&lessons" } else { "?lessons" }}
                on_pick={on_lesson_pick.clone()} on_ask={on_lesson_ask.clone()} on_step={props.on_step.clone()} {on_reset} />
        }
    });
    let challenge_panel = props.challenge.as_ref().map(|challenge| {
        let design = dsplay_sim::challenge::Design::from_scenario(scenario);
        html! {
            <ChallengePanel challenge={challenge.clone()} work={work.clone()} showing={borrowed.is_showing_graded()}
                problems={challenge.design_problems(&design)} model={AttrValue::from(current_model)}
                design={AttrValue::from(design.summary())}
                index_href={if props.embed.is_some() { "?embed&challenges" } else { "?challenges" }}
                on_model={set_model.clone()} on_evaluate={on_challenge_evaluate.clone()} on_cancel={on_challenge_cancel.clone()}
                on_show_worst={on_show_worst.clone()} on_restore={on_restore.clone()} />
        }
    });
    if let Some(embed) = &props.embed {
        // The compact player for an iframe: the canvas, the controls the address asked
        // for, the time and verdict, and a way into the full playground.
        let cursor = player.map_or(dsplay_sim::Time::ZERO, crate::player::Player::cursor);
        let playground = format!(
            "./{}#{}",
            crate::embed::playground_query(&props.query),
            crate::share::to_fragment(scenario, cursor)
        );
        let on_scrub = {
            let on_command = on_command.clone();
            Callback::from(move |event: InputEvent| {
                if let Some(ms) = event
                    .target_dyn_into::<web_sys::HtmlInputElement>()
                    .and_then(|input| input.value().parse::<f64>().ok())
                {
                    on_command.emit(Command::Seek(dsplay_sim::Time::from_ms_f64(ms)));
                }
            })
        };
        let toggle = {
            let on_command = on_command.clone();
            Callback::from(move |_: MouseEvent| on_command.emit(Command::TogglePlay))
        };
        let verdict = status.verdict.as_ref().map(|verdict| {
            let word = match (verdict.valid, status.checking) {
                (Some(true), _) => "holds",
                (Some(false), _) => "violated",
                (None, true) => "checking",
                (None, false) => "unknown",
            };
            html! { <span class={classes!("verdict", word)} data-field="verdict" title={verdict.explanation.clone()}>{ format!("{} {word}", verdict.model) }</span> }
        });
        return html! {
            <div class="app embed" data-theme={embed.theme.map(crate::embed::Theme::name)}>
                <header class="embed-bar">
                    <span class="embed-title">{ scenario.name.clone() }</span>
                    <a id="open-playground" href={playground} target="_blank" rel="noopener">{ "Open in playground ↗" }</a>
                </header>
                { match (embed.view, player) {
                    (crate::embed::View::History, Some(player)) => {
                        let view = crate::history_view::build(player.engine(), status.verdict.as_ref(), player.cursor());
                        let on_pick = {
                            let (bench, status) = (bench.clone(), status.clone());
                            Callback::from(move |op: u32| {
                                let mut bench = bench.borrow_mut();
                                let _ = bench.show_operation(op);
                                status.set(current_status(&bench));
                            })
                        };
                        html! { <div class="embed-view"><HistoryPanel view={Rc::new(view)} selected={None::<u32>} {on_pick} /></div> }
                    }
                    (crate::embed::View::SpaceTime, Some(player)) => {
                        let mut index = embed_spacetime.borrow_mut();
                        index.update(player.engine(), player.scenario());
                        let diagram = index.diagram(player.cursor(), *embed_span, crate::spacetime::Size::default());
                        let on_seek = {
                            let on_command = on_command.clone();
                            Callback::from(move |time: dsplay_sim::Time| on_command.emit(Command::Seek(time)))
                        };
                        let on_zoom = {
                            let span = embed_span.setter();
                            Callback::from(move |span_ms: u64| span.set(span_ms))
                        };
                        html! { <div class="embed-view"><SpaceTimeView diagram={Rc::new(diagram)} {on_seek} {on_zoom} /></div> }
                    }
                    _ => html! {
                        <canvas id="stage" ref={canvas_ref} role="img" aria-label={format!("{}: nodes, links and messages in flight", scenario.name)}></canvas>
                    },
                } }
                { for lesson_panel.clone() }
                { for props.challenge.as_ref().map(|challenge| html! {
                    <section class="lesson-panel challenge-card" aria-label="Challenge">
                        <h2 class="lesson-title">{ challenge.title.clone() }</h2>
                        <p>{ challenge.story.clone() }</p>
                        { crate::components::challenge_panel::requirements_list(challenge) }
                        <a id="take-challenge" href={format!("./?challenge={}", challenge.id)} target="_blank" rel="noopener">{ "Take the challenge in the playground ↗" }</a>
                    </section>
                }) }
                { match embed.controls {
                    crate::embed::Controls::None => Html::default(),
                    crate::embed::Controls::Min => html! {
                        <div class="embed-controls">
                            <button id="play" onclick={toggle}>{ if status.playing { "Pause" } else { "Play" } }</button>
                            <input id="scrubber" type="range" min="0" max={duration.as_ms_f64().to_string()} step="10"
                                value={status.time.as_ms_f64().to_string()} oninput={on_scrub} aria-label="Virtual time" aria-valuetext={status.time.to_string()} />
                        </div>
                    },
                    crate::embed::Controls::Full => html! {
                        <Timeline status={(*status).clone()} {duration} {speed} faults={lane} on_command={on_command.clone()} on_edit={on_edit.clone()} />
                    },
                } }
                <p class="embed-status">
                    <span data-field="time">{ status.time.to_string() }</span>
                    { for verdict }
                    <span data-field="state">{ if status.playing { "playing" } else { "paused" } }</span>
                </p>
                if let Some(message) = &*error {
                    <p class="error-banner" role="alert">{ message.clone() }</p>
                }
            </div>
        };
    }
    html! {
        <div class="app" ondragover={on_drag_over} ondrop={on_drop}>
            <header class="toolbar">
                <h1 class="brand">{ "dsplay" }<span class="tagline">{ "distributed systems playground" }</span>
                    <a id="lessons-link" class="lessons-link" href="?lessons">{ "Lessons" }</a>
                    <a id="challenges-link" class="lessons-link" href="?challenges">{ "Challenges" }</a></h1>
                <div class="tools" role="toolbar" aria-label="Build">
                    <button id="add-replica" onclick={add(NodeKind::Replica)} aria-label="Add a replica (or double-click the canvas)">{ "+ Replica" }</button>
                    // A challenge's clients are fixed.
                    if props.challenge.is_none() {
                        <button id="add-client" onclick={add(NodeKind::Client)} aria-label="Add a client">{ "+ Client" }</button>
                    }
                    <button id="link-tool" class={classes!((*link_mode).then_some("active"))} aria-pressed={link_mode.to_string()}
                        onclick={on_toggle_link} aria-label="Link tool: drag from one node to another to link them (or hold Shift)">{ "Link" }</button>
                    <button id="lasso-tool" class={classes!((*lasso_mode).then_some("active"))} aria-pressed={lasso_mode.to_string()}
                        onclick={on_toggle_lasso} aria-label="Partition tool: draw a loop around nodes to cut every link crossing it">{ "Partition" }</button>
                    <button id="heal-all" onclick={on_heal_all} aria-label="Heal all: end every cut, partition and node fault now, restart crashed nodes">{ "Heal all" }</button>
                    <button id="delete" onclick={on_delete} disabled={selected.is_none()} aria-label="Delete the selected node (Delete key)">{ "Delete" }</button>
                    <button id="undo" onclick={undo} disabled={!borrowed.editor().can_undo()} aria-label="Undo (Ctrl+Z)">{ "Undo" }</button>
                    <button id="redo" onclick={redo} disabled={!borrowed.editor().can_redo()} aria-label="Redo (Ctrl+Shift+Z)">{ "Redo" }</button>
                    <select id="file-menu" onchange={on_file_menu} aria-label="Files: open or save a scenario, save the history">
                        <option value="" selected=true>{ "File…" }</option>
                        <option value="open">{ "Open a scenario file… (or drop one on the page)" }</option>
                        <option value="save">{ "Save the scenario as JSON" }</option>
                        <option value="history">{ "Save the history as Jepsen EDN" }</option>
                    </select>
                    <input id="open-file" ref={file_input} type="file" accept=".json,application/json" class="visually-hidden"
                        tabindex="-1" aria-hidden="true" onchange={on_open_file} />
                    <select id="arrange" onchange={on_arrange} aria-label="Arrange the nodes automatically">
                        <option value="" selected=true>{ "Arrange…" }</option>
                        <option value="circle">{ "Circle" }</option>
                        <option value="force">{ "Force (by links)" }</option>
                    </select>
                    <button id="embed-code-button" onclick={on_embed_code} aria-label="Embed: make an iframe snippet that shows this run in a course page">{ "Embed" }</button>
                    <button id="share" onclick={on_share} aria-label="Share: copy a link that opens this run at this moment, faults and all">{ "Share" }</button>
                    <button id="fit" onclick={on_fit} aria-label="Fit the view to the nodes (the wheel zooms, dragging empty canvas pans)">{ "Fit" }</button>
                </div>
                <label class="picker">{ "Model " }
                    <select id="model" onchange={on_model} aria-label="Consistency model (protocol)">
                        { for presets::known_models().into_iter().map(|(kind, label, _)| html! {
                            <option value={kind} selected={kind == current_model}>{ label }</option>
                        }) }
                    </select>
                </label>
                <SeedField seed={scenario.seed} on_edit={on_edit.clone()} on_error={on_seed_error.clone()} />
                <label class="picker">{ "Scenario " }
                    <select id="preset" onchange={on_preset} aria-label="Scenario to open">
                        if props.lesson.is_some() {
                            <option value="" selected=true disabled=true>{ "The lesson's scenario" }</option>
                        }
                        if props.challenge.is_some() {
                            <option value="" selected=true disabled=true>{ "Your design for the challenge" }</option>
                        }
                        if props.has_shared {
                            <option value={presets::SHARED} selected={!guided && props.preset == presets::SHARED}>{ props.shared_label.clone() }</option>
                        }
                        <option value={presets::EMPTY} selected={!guided && props.preset == presets::EMPTY}>{ "Blank canvas" }</option>
                        { for presets::PRESETS.iter().map(|preset| html! {
                            <option value={preset.id} selected={!guided && preset.id == props.preset}>{ preset.label }</option>
                        }) }
                    </select>
                </label>
            </header>
            if let Some(code) = &*embed_code {
                <p class="share-bar">
                    <label>{ "Embed code: " }
                        <input id="embed-code" type="text" readonly=true value={code.clone()} aria-label="The embed code" />
                    </label>
                </p>
            }
            if let Some(link) = &*shared_link {
                <p class="share-bar">
                    <label>{ "Link to this run: " }
                        <input id="share-link" type="text" readonly=true value={link.clone()} aria-label="The share link" />
                    </label>
                </p>
            }
            <main class={classes!("workspace", (lesson_panel.is_some() || challenge_panel.is_some()).then_some("with-lesson"))}>
                { for lesson_panel }
                { for challenge_panel }
                <section class="stage-area">
                    <div class="scenario-info">
                        <h2>{ scenario.name.clone() }</h2>
                        // Beside a lesson the step's text says what to look at.
                        if !guided {
                            <p>{ scenario.description.clone() }</p>
                        }
                    </div>
                    <canvas id="stage" ref={canvas_ref} role="img"
                        onpointerdown={on_pointer_down} onpointermove={on_pointer_move} onpointerup={on_pointer_up} onpointercancel={on_pointer_cancel}
                        ondblclick={on_double_click} onwheel={on_wheel}
                        aria-label={ format!("{}: nodes, links and messages in flight; the node list beside it selects nodes", scenario.name) }></canvas>
                    <ul class="legend" aria-label="Message kinds">
                        { for kinds.iter().enumerate().map(|(index, kind)| html! {
                            <li key={*kind}><span class="swatch" style={format!("background:{}", scene::kind_colour(index))}></span>{ *kind }</li>
                        }) }
                        <li><span class="mark-cross" aria-hidden="true">{ "×" }</span>{ "dropped" }</li>
                    </ul>
                    <Timeline status={(*status).clone()} {duration} {speed} faults={lane} on_command={on_command.clone()} on_edit={on_edit.clone()} />
                </section>
                <aside class="side-panel">
                    <Inspector {view} message={message_view} link={*selected_link} scenario={scenario.clone()} on_command={on_command.clone()} on_edit={on_edit.clone()} />
                    <NodeList {nodes} selected={*selected} on_select={on_select.clone()} on_edit={on_edit.clone()} />
                </aside>
            </main>
            if let Some(verdict) = status.verdict.as_ref().filter(|verdict| verdict.valid == Some(false)) {
                <p class="verdict-banner" data-field="verdict-explanation">
                    <strong>{ format!("Not {}: ", verdict.model) }</strong>{ verdict.explanation.clone() }
                </p>
            }
            if let Some(problem) = borrowed.problem() {
                <p class="problem-banner" data-field="problem">{ format!("Not runnable yet: {problem}") }</p>
            }
            if let Some(message) = &*error {
                <p class="error-banner" role="alert">{ message.clone() }</p>
            }
            if let Some(message) = &status.error {
                <p class="error-banner" role="alert">{ message.clone() }</p>
            }
            <Analysis bench={props.bench.clone()} status={(*status).clone()} on_edit={on_edit.clone()}
                {on_moved} {on_announce} on_error={on_seed_error.clone()} />
            <p class="announcer" aria-live="polite" data-field="announcement">{ (*announcement).clone() }</p>
            <StatusBar status={(*status).clone()} />
        </div>
    }
}

/// The run of a system that can run, or the sentence saying why it cannot be `what`
/// ("shared", "embedded").
fn running_player<'a>(
    bench: &'a Workbench,
    what: &str,
) -> Result<&'a crate::player::Player, String> {
    bench.player().ok_or_else(|| {
        format!(
            "Only a system that runs can be {what}: {}",
            bench.problem().unwrap_or("it cannot run yet")
        )
    })
}

/// Puts `text` on the clipboard where the browser allows. A refusal is expected (no
/// permission, an insecure origin) and must not surface as an unhandled rejection; the
/// small handler lives as long as the page, once per copy.
fn copy_where_allowed(window: &web_sys::Window, text: &str) {
    let refused = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(|_| {});
    let _ = window
        .navigator()
        .clipboard()
        .write_text(text)
        .catch(&refused);
    refused.forget();
}

/// Reads `file` as text, unless it is too big to be a scenario, and hands the name and
/// text (or the sentence saying why not) to `on_read`.
fn read_file(file: web_sys::File, on_read: Callback<Result<(String, String), String>>) {
    let name = file.name();
    if let Err(message) = crate::files::check_size(&name, file.size()) {
        on_read.emit(Err(message));
        return;
    }
    let Ok(reader) = web_sys::FileReader::new() else {
        on_read.emit(Err(format!("The browser would not read {name}.")));
        return;
    };
    let reading = reader.clone();
    let loaded = Closure::once_into_js(move || {
        let text = reading.result().ok().and_then(|result| result.as_string());
        on_read.emit(
            text.map(|text| (name.clone(), text))
                .ok_or_else(|| format!("{name} cannot be opened: it is not text.")),
        );
    });
    reader.set_onload(Some(loaded.unchecked_ref()));
    let _ = reader.read_as_text(&file);
}

/// Tells the page around an embedded player where it is: `{ type: "dsplay:status",
/// time_ms, playing, finished, model, valid }` (`valid` is true, false or null).
fn report_to_parent(status: &Status) {
    let Some(parent) = web_sys::window().and_then(|window| window.parent().ok().flatten()) else {
        return;
    };
    let report = js_sys::Object::new();
    let set = |name: &str, value: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(&report, &name.into(), &value);
    };
    set("type", "dsplay:status".into());
    set("time_ms", status.time.as_ms_f64().into());
    set("playing", status.playing.into());
    set("finished", status.finished.into());
    let verdict = status.verdict.as_ref();
    set(
        "model",
        verdict.map_or(wasm_bindgen::JsValue::NULL, |verdict| {
            verdict.model.as_str().into()
        }),
    );
    set(
        "valid",
        verdict
            .and_then(|verdict| verdict.valid)
            .map_or(wasm_bindgen::JsValue::NULL, Into::into),
    );
    let _ = parent.post_message(&report, "*");
}

/// Saves the scenario and the moment in `localStorage` (see `files::autosave`) unless
/// that is what was saved last; a browser that refuses storage simply keeps nothing.
fn save_work(bench: &Workbench, last_saved: &mut Option<String>) {
    let time = bench
        .player()
        .map_or(dsplay_sim::Time::ZERO, crate::player::Player::cursor);
    let saved = crate::files::autosave(bench.scenario(), time);
    if last_saved.as_ref() == Some(&saved) {
        return;
    }
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
    if let Some(storage) = storage {
        let key = crate::files::save_key(bench.challenge().map(|challenge| challenge.id.as_str()));
        if storage.set_item(&key, &saved).is_ok() {
            *last_saved = Some(saved);
        }
    }
}

/// The live verdict's worker and the check it is working on.
#[derive(Debug, Default)]
struct LiveCheck {
    worker: Option<crate::background::Background>,
    /// The check asked for, with the scenario it is about (an answer for a scenario since
    /// edited is dropped).
    pending: Option<(crate::player::CheckRequest, dsplay_sim::Scenario)>,
}

/// Sends the player's check request, if it has one, to the live verdict's worker (one at
/// a time); the answer goes into the player and the status bar.
fn ask_for_verdict(
    workbench: &Workbench,
    bench: &Rc<RefCell<Workbench>>,
    live_check: &Rc<RefCell<LiveCheck>>,
    status: &yew::UseStateSetter<Status>,
) {
    let mut live = live_check.borrow_mut();
    if live.pending.is_some() {
        return;
    }
    let Some(player) = workbench.player() else {
        return;
    };
    let Some(request) = player.check_request() else {
        return;
    };
    if live.worker.is_none() {
        let (bench, live_check, status) = (bench.clone(), live_check.clone(), status.clone());
        let on_reply = move |reply: dsplay_worker::Reply| {
            use dsplay_worker::Reply;
            let verdict = match reply {
                Reply::Checked {
                    valid,
                    model,
                    explanation,
                    ops,
                } => dsplay_sim::report::VerdictSummary {
                    model,
                    valid,
                    explanation,
                    ops,
                },
                Reply::Failed { message } => dsplay_sim::report::VerdictSummary {
                    model: String::new(),
                    valid: None,
                    explanation: message,
                    ops: Vec::new(),
                },
                _ => return,
            };
            let Some((request, scenario)) = live_check.borrow_mut().pending.take() else {
                return;
            };
            let mut bench = bench.borrow_mut();
            if let Some(player) = bench
                .player_mut()
                .filter(|player| *player.scenario() == scenario)
            {
                player.accept_check(request, verdict);
            }
            status.set(current_status(&bench));
        };
        match crate::background::Background::new(on_reply) {
            Ok(worker) => live.worker = Some(worker),
            Err(_) => return,
        }
    }
    if let Some(worker) = &live.worker {
        worker.send(&dsplay_worker::Job::Check {
            scenario: player.scenario().to_json_pretty(),
            until_ms: request.at.as_ms_f64(),
            judged_as: player.judged_as().map(str::to_string),
        });
        live.pending = Some((request, player.scenario().clone()));
    }
}

/// Starts the search for the next violation after the cursor in a worker; the answer
/// moves the run there (or says why not). A search already running is replaced.
fn search_next_violation(
    bench: &Rc<RefCell<Workbench>>,
    search: &Rc<RefCell<Option<crate::background::Background>>>,
    status: &UseStateHandle<Status>,
    announcement: &UseStateHandle<String>,
    error: &UseStateHandle<Option<String>>,
) {
    let job = {
        let mut borrowed = bench.borrow_mut();
        let Some(player) = borrowed.player_mut() else {
            error.set(Some(
                "The system cannot run yet; fix the problem shown above first.".into(),
            ));
            return;
        };
        if let Some(sentence) = dsplay_sim::verdict::nothing_to_look_for(player.judged_kind()) {
            error.set(Some(sentence));
            return;
        }
        player.pause();
        dsplay_worker::Job::FirstViolation {
            scenario: player.scenario().to_json_pretty(),
            after_ms: player.cursor().as_ms_f64(),
            judged_as: player.judged_as().map(str::to_string),
        }
    };
    announcement.set("Looking for the next violation…".into());
    status.set(current_status(&bench.borrow()));
    let (answering, shown, said, refused, finished) = (
        bench.clone(),
        status.clone(),
        announcement.clone(),
        error.clone(),
        search.clone(),
    );
    let started = crate::background::Background::start(&job, move |reply| {
        use dsplay_worker::Reply;
        let mut bench = answering.borrow_mut();
        match reply {
            Reply::Progress { .. } | Reply::Ready => return,
            Reply::Violation {
                moment_ms,
                model,
                explanation,
                ops,
            } => {
                if let Some(player) = bench.player_mut() {
                    let moment = dsplay_sim::Time::from_ms_f64(moment_ms);
                    said.set(format!(
                        "Moved to {moment}, where the run stops being {model}: {explanation}"
                    ));
                    player.show_violation(
                        moment,
                        dsplay_sim::report::VerdictSummary {
                            model,
                            valid: Some(false),
                            explanation,
                            ops,
                        },
                    );
                    refused.set(None);
                }
            }
            Reply::NoViolation { message } | Reply::Failed { message } => {
                said.set(String::new());
                refused.set(Some(message));
            }
            Reply::Compared { .. }
            | Reply::Found { .. }
            | Reply::NotFound { .. }
            | Reply::Checked { .. }
            | Reply::Answered { .. }
            | Reply::Graded { .. }
            | Reply::Refused { .. }
            | Reply::Ran { .. } => {}
        }
        shown.set(current_status(&bench));
        // Let go of the worker once it has answered (not from inside its own handler).
        let finished = finished.clone();
        yew::platform::spawn_local(async move {
            finished.borrow_mut().take();
        });
    });
    match started {
        Ok(handle) => *search.borrow_mut() = Some(handle),
        Err(message) => error.set(Some(message)),
    }
}

/// Drops a share fragment from the address without reloading or adding history.
fn forget_fragment() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    if location.hash().is_ok_and(|hash| !hash.is_empty()) {
        let bare = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare));
        }
    }
}

fn current_status(bench: &Workbench) -> Status {
    bench
        .player()
        .map_or_else(Status::idle, |player| player.status())
}

/// Fits the view to the nodes once the canvas has a size; true once done.
fn fit_once(canvas_ref: &NodeRef, bench: &mut Workbench) -> bool {
    let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
        return false;
    };
    let (width, height) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    if width <= 0.0 || height <= 0.0 {
        return false;
    }
    if !bench.scenario().nodes.is_empty() {
        bench.fit_view(width, height);
    }
    true
}

/// Sizes the canvas to its box (in device pixels) and paints the current frame; returns
/// how many nodes and messages it drew.
fn paint(
    painter: &mut draw::Painter,
    canvas_ref: &NodeRef,
    bench: &Workbench,
    selected: Option<NodeId>,
    gesture: Option<&Gesture>,
) -> (usize, usize) {
    let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
        return (0, 0);
    };
    let Some(window) = web_sys::window() else {
        return (0, 0);
    };
    let pixel_ratio = window.device_pixel_ratio().max(1.0);
    let (width, height) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    if width <= 0.0 || height <= 0.0 {
        return (0, 0);
    }
    let (device_width, device_height) =
        ((width * pixel_ratio) as u32, (height * pixel_ratio) as u32);
    if canvas.width() != device_width || canvas.height() != device_height {
        canvas.set_width(device_width);
        canvas.set_height(device_height);
    }
    let Some(ctx) = draw::context_2d(&canvas) else {
        return (0, 0);
    };
    let dark = bench.dark.unwrap_or_else(|| {
        window
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|query| query.matches())
    });
    let mut frame = scene::build(
        bench.scenario(),
        bench.player(),
        &bench.view,
        selected,
        &bench.highlight,
    );
    if let Some(challenge) = bench.challenge() {
        frame.regions = scene::region_shapes(&challenge.regions, &bench.view);
    }
    match gesture {
        Some(Gesture::Link { from, pointer }) => {
            if let Some(start) = frame.nodes.get(*from) {
                frame.rubber_band = Some((start.at, *pointer));
            }
        }
        Some(Gesture::Lasso { points }) => frame.lasso = Some(points.clone()),
        _ => {}
    }
    painter.paint(&ctx, &frame, (width, height, pixel_ratio), dark);
    (frame.nodes.len(), frame.messages.len())
}
