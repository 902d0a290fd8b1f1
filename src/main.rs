//! dsplay's web app: builds a distributed system's run with the engine and animates it.
//!
//! Logic that can be tested without a browser lives in `player`, `scene` and `presets`; `draw`,
//! `animation` and `app` are the thin layer of canvas calls and components on top.

mod animation;
mod app;
mod background;
mod challenges;
mod commands;
mod components;
mod download;
mod draw;
mod editor;
mod embed;
mod fault_form;
mod files;
mod frames;
mod history_view;
mod inspect;
mod lane;
mod layout;
mod lessons;
#[allow(
    dead_code,
    reason = "app.rs keeps the charts' figures up to date in the change that wires them in; remove this then"
)]
mod metrics;
mod panic;
mod player;
mod presets;
mod scene;
mod settings;
mod share;
// Nothing renders the diagram until app.rs does; this allow goes then.
mod spacetime;
mod workbench;

/// The scenario the page opens with (and the native tests use).
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/gossip-ring.json");

use yew::AttrValue;

fn main() {
    panic::install_hook();
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("app"))
    else {
        return;
    };
    let query = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default();
    if lessons::wants_index(&query) {
        yew::Renderer::<components::lessons_index::LessonsIndex>::with_root(root).render();
        return;
    }
    if challenges::wants_index(&query) {
        yew::Renderer::<components::challenges_index::ChallengesIndex>::with_root(root).render();
        return;
    }
    let mut options = presets::start_options(&query);
    // A lesson named by the address opens at its step; one that cannot be opened says why
    // and the page opens as if it had asked for none.
    let lesson = match lessons::from_query(&query) {
        Ok(lesson) => lesson,
        Err(problem) => {
            options.add_problem(problem);
            None
        }
    };
    // A challenge named by the address opens with its starting design (or the design a
    // share link carries); beside a lesson it is not opened.
    let challenge = match challenges::from_query(&query) {
        Ok(challenge) if lesson.is_some() && challenge.is_some() => {
            options.add_problem(
                "An address opens a lesson or a challenge, not both: the lesson is shown.".into(),
            );
            None
        }
        Ok(challenge) => challenge,
        Err(problem) => {
            options.add_problem(problem);
            None
        }
    };
    let (embed, embed_problem) = embed::embed_options(&query);
    if let Some(problem) = embed_problem {
        options.add_problem(problem);
    }
    // A share link in the fragment opens its scenario, at its moment; a broken one says
    // why and the page opens as if it had none.
    let fragment = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    let shared = match share::from_fragment(&fragment) {
        Ok(shared) => shared,
        Err(problem) => {
            options.add_problem(problem);
            None
        }
    };
    // Without a link (or with one that was refused) and without a scenario asked for by
    // name, the page opens the work it saved last time, as it was left.
    let asked_for_preset = query
        .trim_start_matches('?')
        .split('&')
        .any(|pair| pair.starts_with("preset="));
    // An embedded player shows what its address says, never this reader's saved work.
    // A challenge reopens the design last worked on for it, kept under its own key.
    let restored = if shared.is_none() && !asked_for_preset && embed.is_none() && lesson.is_none() {
        let key = files::save_key(challenge.as_ref().map(|challenge| challenge.id.as_str()));
        let saved = web_sys::window()
            .and_then(|window| window.local_storage().ok().flatten())
            .and_then(|storage| storage.get_item(&key).ok().flatten());
        files::restore(saved.as_deref())
    } else {
        None
    };
    let shared_label = if restored.is_some() {
        "Your work (saved in this browser)"
    } else {
        "The shared link's scenario"
    };
    let shared = shared.or(restored);
    if shared.is_some() {
        options.preset = presets::SHARED.to_string();
    }
    // Someone who asked their system for less motion gets a page that waits for Play.
    let reduced_motion = web_sys::window()
        .and_then(|window| window.match_media("(prefers-reduced-motion: reduce)").ok())
        .flatten()
        .is_some_and(|query| query.matches());
    yew::Renderer::<app::App>::with_root_and_props(
        root,
        app::AppProps {
            preset: options.preset.into(),
            speed: options.speed,
            autoplay: !reduced_motion && embed.as_ref().is_none_or(|embed| embed.autoplay),
            notice: options.problem.map(AttrValue::from),
            shared: shared.map(std::rc::Rc::new),
            shared_label: shared_label.into(),
            embed,
            query: query.into(),
            lesson,
            challenge,
        },
    )
    .render();
}
