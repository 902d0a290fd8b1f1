//! The analysis panel under the stage: tabs for the history view, the comparison of
//! models and the counterexample search, all following the page's one scrubber.
//!
//! Comparisons and searches run in a Web Worker ([`Background`]) with a progress bar and
//! Cancel; the side-by-side history views replay each compared model on the page, at the
//! cursor, so they move with the scrubber.

use crate::app::BenchHandle;
use crate::background::Background;
use crate::components::history_panel::HistoryPanel;
use crate::components::metrics_view::MetricsView;
use crate::components::spacetime_view::SpaceTimeView;
use crate::editor::Edit;
use crate::history_view;
use crate::player::{Player, Status};
use dsplay_sim::compare::{scenario_with_model, CompareRow};
use dsplay_sim::sweep::FaultProfile;
use dsplay_sim::Time;
use dsplay_worker::{Job, Reply, MAX_SEARCH_SEEDS};
use std::collections::BTreeSet;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The panel's tabs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tab {
    History,
    SpaceTime,
    Metrics,
    Compare,
    Search,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::History,
        Tab::SpaceTime,
        Tab::Metrics,
        Tab::Compare,
        Tab::Search,
    ];

    fn id(self) -> &'static str {
        match self {
            Tab::History => "history",
            Tab::SpaceTime => "spacetime",
            Tab::Metrics => "metrics",
            Tab::Compare => "compare",
            Tab::Search => "search",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::History => "History",
            Tab::SpaceTime => "Space-time",
            Tab::Metrics => "Metrics",
            Tab::Compare => "Compare models",
            Tab::Search => "Find a counterexample",
        }
    }
}

/// The models a comparison can include, strongest first.
const COMPARABLE: [(&str, &str); 5] = [
    ("bft", "BFT"),
    ("strict", "Strict"),
    ("sequential", "Sequential"),
    ("causal", "Causal"),
    ("eventual", "Eventual"),
];

#[derive(Properties, PartialEq)]
pub struct AnalysisProps {
    pub bench: BenchHandle,
    /// The page's figures; a new status re-renders the open view at the new cursor.
    pub status: Status,
    pub on_edit: Callback<Edit>,
    /// Tells the page the run moved (a seek), so it refreshes its figures.
    pub on_moved: Callback<()>,
    pub on_announce: Callback<String>,
    pub on_error: Callback<String>,
}

/// A job in the worker, with how far it got.
#[derive(Clone, Debug, Default, PartialEq)]
struct Running {
    done: u64,
    total: u64,
}

/// What a comparison found, for the scenario it ran on.
#[derive(Clone, Debug, PartialEq)]
struct Compared {
    scenario: dsplay_sim::Scenario,
    rows: Rc<Vec<CompareRow>>,
}

/// The fault profile's counts the search form offers: the field and its label.
const PROFILE_FIELDS: [(&str, &str); 6] = [
    ("crashes", "Crashes"),
    ("partitions", "Partitions"),
    ("omissions", "Omissions"),
    ("slow", "Slow nodes"),
    ("clock_skews", "Clock skews"),
    ("byzantine", "Byzantine"),
];

/// The most faults of one kind the form draws per run.
const MAX_PER_KIND: u32 = 10;

/// The search form as typed.
#[derive(Clone, Debug, PartialEq)]
struct SearchForm {
    seeds: String,
    /// In the order of [`PROFILE_FIELDS`].
    counts: [String; 6],
}

impl Default for SearchForm {
    fn default() -> SearchForm {
        SearchForm {
            seeds: "200".into(),
            counts: ["1", "1", "0", "0", "0", "0"].map(String::from),
        }
    }
}

enum FormEdit {
    Seeds(String),
    Count(usize, String),
}

impl Reducible for SearchForm {
    type Action = FormEdit;

    fn reduce(self: Rc<Self>, action: FormEdit) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormEdit::Seeds(text) => next.seeds = text,
            FormEdit::Count(index, text) => next.counts[index] = text,
        }
        Rc::new(next)
    }
}

impl SearchForm {
    /// The number of seeds and the fault profile, or a sentence naming what is wrong.
    fn parse(&self) -> Result<(u64, FaultProfile), String> {
        let seeds = match self.seeds.trim().parse::<u64>() {
            Ok(seeds) if (1..=MAX_SEARCH_SEEDS).contains(&seeds) => seeds,
            _ => {
                return Err(format!(
                    "The number of seeds must be a whole number from 1 to {MAX_SEARCH_SEEDS}, not \"{}\".",
                    self.seeds.trim()
                ))
            }
        };
        let mut counts = [0u32; 6];
        for (index, text) in self.counts.iter().enumerate() {
            counts[index] = match text.trim().parse::<u32>() {
                Ok(count) if count <= MAX_PER_KIND => count,
                _ => {
                    return Err(format!(
                        "{} per run must be a whole number from 0 to {MAX_PER_KIND}, not \"{}\".",
                        PROFILE_FIELDS[index].1,
                        text.trim()
                    ))
                }
            };
        }
        let [crashes, partitions, omissions, slow, clock_skews, byzantine] = counts;
        Ok((
            seeds,
            FaultProfile {
                crashes,
                partitions,
                omissions,
                slow,
                clock_skews,
                byzantine,
                max_fault_ms: 0.0,
            },
        ))
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

#[component(Analysis)]
pub fn analysis(props: &AnalysisProps) -> Html {
    let tab = use_state(|| None::<Tab>);
    let picked_op = use_state(|| None::<u32>);
    let models = use_state(|| {
        let own = props.bench.0.borrow().scenario().protocol.kind();
        let mut models: BTreeSet<String> = ["strict", "eventual"].map(String::from).into();
        if COMPARABLE.iter().any(|(kind, _)| *kind == own) {
            models.insert(own.to_string());
        }
        models
    });
    let job = use_mut_ref(|| None::<Background>);
    let running = use_state(|| None::<Running>);
    let compared = use_state(|| None::<Compared>);
    // Each compared model's own run, replayed to the page's cursor.
    let replays = use_mut_ref(Vec::<(String, Player)>::new);
    let search_note = use_state(|| None::<String>);
    // The charts' figures, kept between renders: only what the run added since the last
    // refresh is counted.
    let metrics_tracker = use_mut_ref(crate::metrics::MetricsTracker::default);
    // The diagram's index of the trace, likewise fed only what is new.
    let spacetime_index = use_mut_ref(crate::spacetime::SpaceTimeIndex::new);
    let spacetime_span = use_state(|| crate::spacetime::DEFAULT_SPAN_MS);
    // The search's form, as typed: the inputs show exactly this, and Search reads it.
    let form = use_reducer(SearchForm::default);

    let bench = props.bench.0.clone();
    let scenario = bench.borrow().scenario().clone();
    // An opened view is brought into sight, its bottom at the window's bottom, so as
    // much of the stage as fits stays above it.
    let section_ref = use_node_ref();
    {
        let section_ref = section_ref.clone();
        use_effect_with(*tab, move |tab| {
            if tab.is_some() {
                if let Some(section) = section_ref.cast::<web_sys::Element>() {
                    section.scroll_into_view_with_bool(false);
                }
            }
        });
    }

    let on_tab = {
        let tab = tab.clone();
        move |pick: Tab| {
            let tab = tab.clone();
            Callback::from(move |_| tab.set(if *tab == Some(pick) { None } else { Some(pick) }))
        }
    };
    let on_pick_op = {
        let (bench, picked_op, on_moved, on_announce, on_error) = (
            bench.clone(),
            picked_op.clone(),
            props.on_moved.clone(),
            props.on_announce.clone(),
            props.on_error.clone(),
        );
        Callback::from(move |op: u32| {
            let shown = bench.borrow_mut().show_operation(op);
            match shown {
                Ok(moment) => {
                    picked_op.set(Some(op));
                    let count = bench.borrow().highlight.len();
                    on_announce.emit(format!(
                        "Moved to {moment}: the {count} messages that served this operation are ringed on the canvas."
                    ));
                }
                Err(message) => on_error.emit(message),
            }
            on_moved.emit(());
        })
    };
    let on_seek = {
        let (bench, on_moved) = (bench.clone(), props.on_moved.clone());
        Callback::from(move |time: Time| {
            if let Some(player) = bench.borrow_mut().player_mut() {
                player.seek(time);
            }
            on_moved.emit(());
        })
    };
    let stop_job = {
        let (job, running) = (job.clone(), running.clone());
        Callback::from(move |_| {
            // Dropping the handle terminates the worker mid-job.
            job.borrow_mut().take();
            running.set(None);
        })
    };

    // Starts `work` in a worker; progress goes to `running`, the answer to `answer`.
    let start_job = {
        let (job, running, on_error) = (job.clone(), running.clone(), props.on_error.clone());
        move |work: Job, answer: Rc<dyn Fn(Reply)>| {
            let (setter, finished) = (running.setter(), job.clone());
            let on_reply = move |reply: Reply| match reply {
                Reply::Progress { done, total } => setter.set(Some(Running { done, total })),
                Reply::Ready => {}
                answer_reply => {
                    setter.set(None);
                    // Let go of the worker once it has answered, but not from inside
                    // its own message handler, which the handle owns.
                    let finished = finished.clone();
                    yew::platform::spawn_local(async move {
                        finished.borrow_mut().take();
                    });
                    answer(answer_reply);
                }
            };
            match Background::start(&work, on_reply) {
                Ok(handle) => {
                    *job.borrow_mut() = Some(handle);
                    running.set(Some(Running::default()));
                }
                Err(message) => on_error.emit(message),
            }
        }
    };

    let on_compare = {
        let (models, compared, replays, start_job, on_error) = (
            models.clone(),
            compared.clone(),
            replays.clone(),
            start_job.clone(),
            props.on_error.clone(),
        );
        let scenario = scenario.clone();
        Callback::from(move |_| {
            let kinds: Vec<String> = COMPARABLE
                .iter()
                .map(|(kind, _)| kind.to_string())
                .filter(|kind| models.contains(kind))
                .collect();
            if kinds.len() < 2 {
                on_error.emit("Pick two to five models to compare.".into());
                return;
            }
            let (compared, replays, ran_on, on_error) = (
                compared.clone(),
                replays.clone(),
                scenario.clone(),
                on_error.clone(),
            );
            let answer: Rc<dyn Fn(Reply)> = Rc::new(move |reply| match reply {
                Reply::Compared { rows } => {
                    *replays.borrow_mut() = rows
                        .iter()
                        .filter(|row| row.problem.is_none())
                        .filter_map(|row| {
                            let scenario = scenario_with_model(&ran_on, &row.model).ok()?;
                            let mut player = Player::new(scenario).ok()?;
                            player.pause();
                            Some((row.model.clone(), player))
                        })
                        .collect();
                    compared.set(Some(Compared {
                        scenario: ran_on.clone(),
                        rows: Rc::new(rows),
                    }));
                }
                Reply::Failed { message } => on_error.emit(message),
                _ => {}
            });
            start_job(
                Job::Compare {
                    scenario: scenario.to_json_pretty(),
                    models: kinds,
                },
                answer,
            );
        })
    };

    let on_search = {
        let (start_job, search_note, form, bench) = (
            start_job.clone(),
            search_note.clone(),
            form.clone(),
            bench.clone(),
        );
        let (on_edit, on_moved, on_announce, on_error) = (
            props.on_edit.clone(),
            props.on_moved.clone(),
            props.on_announce.clone(),
            props.on_error.clone(),
        );
        let scenario = scenario.clone();
        Callback::from(move |_| {
            let (seeds, profile) = match form.parse() {
                Ok(parsed) => parsed,
                Err(message) => {
                    on_error.emit(message);
                    return;
                }
            };
            let mut searched = scenario.clone();
            if !profile.is_empty() {
                searched.fault_profile = Some(profile);
            }
            search_note.set(None);
            let (search_note, bench, on_edit, on_moved, on_announce) = (
                search_note.clone(),
                bench.clone(),
                on_edit.clone(),
                on_moved.clone(),
                on_announce.clone(),
            );
            let answer: Rc<dyn Fn(Reply)> = Rc::new(move |reply| match reply {
                Reply::Found {
                    seed,
                    scenario,
                    moment_ms,
                    model,
                    explanation,
                } => {
                    let Ok(found) = dsplay_sim::Scenario::from_json(&scenario) else {
                        search_note.set(Some(
                            "The search found a seed, but its scenario would not load.".into(),
                        ));
                        return;
                    };
                    on_edit.emit(Edit::Replace(Box::new(found)));
                    if let Some(player) = bench.borrow_mut().player_mut() {
                        player.seek(Time::from_ms_f64(moment_ms));
                        player.pause();
                    }
                    let sentence = format!(
                        "Seed {seed} breaks {model} at {}: {explanation} The run is loaded, paused there (Undo goes back).",
                        Time::from_ms_f64(moment_ms)
                    );
                    search_note.set(Some(sentence.clone()));
                    on_announce.emit(sentence);
                    on_moved.emit(());
                }
                Reply::NotFound { seeds } => search_note.set(Some(format!(
                    "No violation in {seeds} seeds: the guarantee held in every run tried."
                ))),
                Reply::Failed { message } => search_note.set(Some(message)),
                _ => {}
            });
            let first_seed = searched.seed.wrapping_add(1);
            start_job(
                Job::Search {
                    scenario: searched.to_json_pretty(),
                    first_seed,
                    seeds,
                },
                answer,
            );
        })
    };

    let is_running = running.is_some();
    let progress = running.as_ref().map(|running| {
        html! {
            <div class="job-progress">
                <progress id="job-progress" max={running.total.max(1).to_string()} value={running.done.to_string()}
                    aria-label="How far the background job got"></progress>
                <span data-field="job-progress">{ if running.total > 0 { format!("{} of {}", running.done, running.total) } else { "starting…".to_string() } }</span>
                <button id="job-cancel" onclick={stop_job.clone()}>{ "Cancel" }</button>
            </div>
        }
    });

    let body = match *tab {
        None => Html::default(),
        Some(Tab::History) => {
            let borrowed = bench.borrow();
            match borrowed.player() {
                Some(player) => {
                    let verdict = props.status.verdict.clone();
                    let view =
                        history_view::build(player.engine(), verdict.as_ref(), player.cursor());
                    html! { <HistoryPanel view={Rc::new(view)} selected={*picked_op} on_pick={on_pick_op.clone()} /> }
                }
                None => {
                    html! { <p class="analysis-note">{ "The system cannot run yet, so there is no history." }</p> }
                }
            }
        }
        Some(Tab::SpaceTime) => {
            let borrowed = bench.borrow();
            let size = crate::spacetime::Size::default();
            let diagram = match borrowed.player() {
                Some(player) => {
                    let mut index = spacetime_index.borrow_mut();
                    index.update(player.engine(), player.scenario());
                    index.diagram(player.cursor(), *spacetime_span, size)
                }
                None => crate::spacetime::Diagram::empty(*spacetime_span, size),
            };
            let on_zoom = {
                let span = spacetime_span.setter();
                Callback::from(move |span_ms: u64| span.set(span_ms))
            };
            html! { <SpaceTimeView diagram={Rc::new(diagram)} on_seek={on_seek.clone()} {on_zoom} /> }
        }
        Some(Tab::Metrics) => {
            let borrowed = bench.borrow();
            match borrowed.player() {
                Some(player) => {
                    let mut tracker = metrics_tracker.borrow_mut();
                    let series =
                        tracker.update(player.engine(), player.scenario(), player.cursor());
                    let violations_ms = tracker.violations_ms(props.status.verdict.as_ref());
                    html! { <MetricsView {series} cursor_ms={player.cursor().as_ms_f64()} {violations_ms} on_seek={on_seek.clone()} /> }
                }
                None => {
                    html! { <p class="analysis-note">{ "The system cannot run yet, so there is nothing to measure." }</p> }
                }
            }
        }
        Some(Tab::Compare) => {
            let toggles = COMPARABLE.iter().map(|(kind, label)| {
                let checked = models.contains(*kind);
                let models = models.clone();
                let kind_owned = kind.to_string();
                let onchange = Callback::from(move |event: Event| {
                    let checked = event
                        .target_dyn_into::<HtmlInputElement>()
                        .is_some_and(|input| input.checked());
                    let mut next = (*models).clone();
                    if checked {
                        next.insert(kind_owned.clone());
                    } else {
                        next.remove(&kind_owned);
                    }
                    models.set(next);
                });
                html! {
                    <label class="model-toggle">
                        <input type="checkbox" data-model={*kind} {checked} {onchange} />{ *label }
                    </label>
                }
            });
            let cursor = props.status.time;
            let table = compared.as_ref().map(|compared| {
                let stale = compared.scenario.nodes != scenario.nodes
                    || compared.scenario.links != scenario.links
                    || compared.scenario.faults != scenario.faults
                    || compared.scenario.seed != scenario.seed;
                html! {
                    <>
                        if stale {
                            <p class="analysis-note">{ "The scenario changed since this comparison; compare again to update it." }</p>
                        }
                        <table id="compare-table" class="compare-table">
                            <caption>{ format!("{} with seed {}, over the whole run", compared.scenario.name, compared.scenario.seed) }</caption>
                            <thead><tr>
                                <th scope="col">{ "Model" }</th><th scope="col">{ "Guarantee" }</th><th scope="col">{ "Availability" }</th>
                                <th scope="col">{ "p99 latency" }</th><th scope="col">{ "Stale reads" }</th>
                                <th scope="col">{ "Violations" }</th><th scope="col">{ "Messages per op" }</th>
                            </tr></thead>
                            <tbody>
                                { for compared.rows.iter().map(|row| html! {
                                    <tr key={row.model.clone()} data-model={row.model.clone()}>
                                        <th scope="row">{ row.model.clone() }</th>
                                        if let Some(problem) = &row.problem {
                                            <td colspan="6" class="row-problem">{ problem.clone() }</td>
                                        } else {
                                            <td>{ row.guarantee.clone() }</td>
                                            <td data-field="availability" data-value={row.availability.to_string()}>{ percent(row.availability) }</td>
                                            <td data-field="latency_ms_p99" data-value={row.latency_ms_p99.to_string()}>{ format!("{:.0} ms", row.latency_ms_p99) }</td>
                                            <td data-field="stale_reads" data-value={row.stale_reads.to_string()}>{ row.stale_reads }</td>
                                            <td data-field="violations" data-value={row.violations.to_string()} title={row.explanation.clone()}
                                                class={classes!((row.violations > 0).then_some("violated"))}>{ row.violations }</td>
                                            <td data-field="messages_per_op" data-value={row.messages_per_op.to_string()}>{ format!("{:.1}", row.messages_per_op) }</td>
                                        }
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </>
                }
            });
            // The compared runs at the page's cursor, side by side.
            let mut replays = replays.borrow_mut();
            // Each run's verdict is the comparison's, over the whole run: the checker works
            // in the worker, never here.
            let rows = compared.as_ref().map(|compared| compared.rows.clone());
            let side_by_side = replays.iter_mut().map(|(model, player)| {
                player.seek(cursor);
                let verdict = rows.as_ref().and_then(|rows| rows.iter().find(|row| row.model == *model)).map(|row| {
                    dsplay_sim::report::VerdictSummary {
                        model: row.guarantee.clone(),
                        valid: row.valid,
                        explanation: row.explanation.clone(),
                        ops: Vec::new(),
                    }
                });
                let view = history_view::build(player.engine(), verdict.as_ref(), player.cursor());
                html! {
                    <section class="compared-run" key={model.clone()} data-model={model.clone()}>
                        <h3>{ model.clone() }</h3>
                        <HistoryPanel view={Rc::new(view)} selected={None::<u32>} on_pick={Callback::noop()} compact=true />
                    </section>
                }
            });
            html! {
                <div class="compare-panel">
                    <div class="panel-head">
                        <fieldset class="model-toggles">
                            <legend>{ "Run this scenario (same topology, workload, faults and seed) under" }</legend>
                            { for toggles }
                        </fieldset>
                        <button id="compare-run" onclick={on_compare} disabled={is_running}>{ "Compare" }</button>
                    </div>
                    { for progress.clone() }
                    { for table }
                    <div class="side-by-side">{ for side_by_side }</div>
                </div>
            }
        }
        Some(Tab::Search) => {
            let count_input = |index: usize| {
                let value = form.counts[index].clone();
                let form = form.clone();
                let oninput = Callback::from(move |event: InputEvent| {
                    if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                        form.dispatch(FormEdit::Count(index, input.value()));
                    }
                });
                let (field, label) = PROFILE_FIELDS[index];
                html! {
                    <label class="profile-count">{ label }
                        <input type="number" min="0" max={MAX_PER_KIND.to_string()} step="1" data-profile={field}
                            {value} {oninput} />
                    </label>
                }
            };
            let on_seeds = {
                let form = form.clone();
                Callback::from(move |event: InputEvent| {
                    if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                        form.dispatch(FormEdit::Seeds(input.value()));
                    }
                })
            };
            html! {
                <div class="search-panel">
                    <p class="analysis-note">
                        { format!("Runs this scenario with seeds {} onwards, each with its own faults drawn from the profile below on top of the scenario's own, and stops at the first run whose history breaks the {} model's guarantee.",
                            scenario.seed.wrapping_add(1), scenario.protocol.kind()) }
                    </p>
                    <fieldset class="profile">
                        <legend>{ "Random faults per run" }</legend>
                        { for (0..PROFILE_FIELDS.len()).map(count_input) }
                    </fieldset>
                    <div class="panel-head">
                        <label>{ "Seeds to try " }<input id="search-seeds" type="number" min="1" max={MAX_SEARCH_SEEDS.to_string()} value={form.seeds.clone()} oninput={on_seeds} /></label>
                        <button id="search-run" onclick={on_search} disabled={is_running}>{ "Search" }</button>
                    </div>
                    { for progress }
                    if let Some(note) = &*search_note {
                        <p class="search-result" data-field="search-result">{ note.clone() }</p>
                    }
                </div>
            }
        }
    };
    html! {
        <section ref={section_ref} class={classes!("analysis", tab.is_some().then_some("open"))} aria-label="Analysis">
            <div class="analysis-tabs" role="tablist">
                { for Tab::ALL.iter().map(|&each| html! {
                    <button id={format!("tab-{}", each.id())} role="tab" aria-selected={(*tab == Some(each)).to_string()}
                        class={classes!((*tab == Some(each)).then_some("active"))} onclick={on_tab(each)}>{ each.label() }</button>
                }) }
            </div>
            <div class="analysis-body" role="tabpanel">{ body }</div>
        </section>
    }
}
