//! A design challenge beside the canvas, framed by the seed's five design steps:
//! requirements and constraints, components (the model and its parameters), the design on
//! the canvas, the scorecard's shortcomings, and the trade-offs between attempts.

use crate::challenges::{trade_offs, Evaluation, Work};
use dsplay_sim::challenge::{Challenge, Characteristic};
use dsplay_sim::grade::Evidence;
use dsplay_sim::Scenario;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChallengePanelProps {
    pub challenge: Rc<Challenge>,
    pub work: UseReducerHandle<Work>,
    /// What the constraints say of the design on the canvas.
    pub problems: Vec<String>,
    /// The protocol kind on the canvas.
    pub model: AttrValue,
    /// The design on the canvas in one line.
    pub design: AttrValue,
    /// Whether a graded run is on show (an edit, undo or redo ends it).
    pub showing: bool,
    /// The address of the challenges index.
    pub index_href: AttrValue,
    pub on_model: Callback<String>,
    pub on_evaluate: Callback<()>,
    pub on_cancel: Callback<()>,
    /// Show a row's worst seed in the playground.
    pub on_show_worst: Callback<(Characteristic, Evidence)>,
    /// Put an attempt's scenario back on the canvas.
    pub on_restore: Callback<Scenario>,
}

/// A challenge's requirements, each with its characteristic: in the panel and on an
/// embedded challenge's card.
pub fn requirements_list(challenge: &Challenge) -> Html {
    html! {
        <ul class="challenge-requirements" data-field="requirements">
            { for challenge.requirements.iter().map(|requirement| html! {
                <li><strong>{ format!("{}: ", requirement.characteristic().name()) }</strong>{ requirement.describe() }</li>
            }) }
        </ul>
    }
}

#[component(ChallengePanel)]
pub fn challenge_panel(props: &ChallengePanelProps) -> Html {
    let challenge = &props.challenge;
    let work = &props.work;
    let constraints = &challenge.constraints;
    let on_model = {
        let on_model = props.on_model.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<web_sys::HtmlSelectElement>() {
                on_model.emit(select.value());
            }
        })
    };
    let evaluate = {
        let on_evaluate = props.on_evaluate.clone();
        Callback::from(move |_: MouseEvent| on_evaluate.emit(()))
    };
    let cancel = {
        let on_cancel = props.on_cancel.clone();
        Callback::from(move |_: MouseEvent| on_cancel.emit(()))
    };
    let replicas = if constraints.replicas_min == constraints.replicas_max {
        format!("exactly {} replicas", constraints.replicas_min)
    } else {
        format!(
            "{} to {} replicas",
            constraints.replicas_min, constraints.replicas_max
        )
    };
    let labels = crate::presets::known_models();
    let label_of = |kind: &str| {
        labels
            .iter()
            .find(|(known, _, _)| *known == kind)
            .map_or(kind.to_string(), |(_, label, _)| label.to_string())
    };
    let outcome = match &work.evaluation {
        Evaluation::Idle => html! {
            <p class="challenge-hint">{ format!("Evaluate runs your design over {} grading seeds, in the background, with the faults each requirement calls for.", challenge.grading.seeds) }</p>
        },
        Evaluation::Running { done, total } => html! {
            <div class="job-progress" data-field="challenge-progress">
                <progress id="challenge-progress" max={(*total).max(1).to_string()} value={done.to_string()}
                    aria-label="How far the evaluation got"></progress>
                <span>{ if *total > 0 { format!("{done} of {total} runs") } else { "starting…".to_string() } }</span>
                <button id="challenge-cancel" onclick={cancel}>{ "Cancel" }</button>
            </div>
        },
        Evaluation::Refused(problems) => html! {
            <div class="challenge-refused" data-field="challenge-refused" role="alert">
                <p>{ "The design breaks the challenge's constraints, so it was not graded:" }</p>
                <ul>{ for problems.iter().map(|problem| html! { <li>{ problem.clone() }</li> }) }</ul>
            </div>
        },
        Evaluation::Failed(message) => html! {
            <p class="challenge-refused" data-field="challenge-failed" role="alert">{ message.clone() }</p>
        },
        Evaluation::Graded(scorecard) => html! {
            <div class="scorecard" data-field="scorecard">
                <p class={classes!("scorecard-summary", if scorecard.passed { "met" } else { "missed" })} data-field="scorecard-summary">
                    { if scorecard.passed {
                        format!("Every requirement met ({}, {} runs).", scorecard.design, scorecard.runs)
                    } else {
                        let missed = scorecard.rows.iter().filter(|row| !row.met).count();
                        format!("{missed} of {} requirements missed ({}, {} runs).", scorecard.rows.len(), scorecard.design, scorecard.runs)
                    } }
                </p>
                <table class="scorecard-table">
                    <thead><tr><th scope="col">{ "" }</th><th scope="col">{ "Requirement" }</th><th scope="col">{ "Measured" }</th><th scope="col">{ "Needs" }</th></tr></thead>
                    <tbody>
                        { for scorecard.rows.iter().map(|row| {
                            let show = {
                                let on_show_worst = props.on_show_worst.clone();
                                let shown = row.worst.clone().map(|worst| (row.characteristic, worst));
                                Callback::from(move |_: MouseEvent| {
                                    if let Some(shown) = shown.clone() {
                                        on_show_worst.emit(shown);
                                    }
                                })
                            };
                            html! {
                                <>
                                    <tr class={classes!("scorecard-row", if row.met { "met" } else { "missed" })} data-characteristic={format!("{:?}", row.characteristic)}>
                                        <td class="scorecard-mark" aria-label={if row.met { "met" } else { "missed" }}>{ if row.met { "✓" } else { "✗" } }</td>
                                        <th scope="row" title={row.requirement.clone()}>{ row.characteristic.name() }</th>
                                        <td data-field="figure">{ row.figure.clone() }</td>
                                        <td data-field="threshold">{ row.threshold.clone() }</td>
                                    </tr>
                                    <tr class="scorecard-detail">
                                        <td colspan="4">
                                            <p>{ row.detail.clone() }</p>
                                            if let Some(worst) = &row.worst {
                                                <p class="scorecard-worst"><strong>{ format!("Worst seed {}: ", worst.seed) }</strong>{ worst.explanation.clone() }</p>
                                                <button class="show-worst" onclick={show}>{ format!("Show seed {} in the playground", worst.seed) }</button>
                                            }
                                        </td>
                                    </tr>
                                </>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        },
    };
    let view = trade_offs(challenge, &work.attempts);
    html! {
        <aside class="lesson-panel challenge-panel" aria-label="Challenge">
            <p class="lesson-crumbs"><a href={props.index_href.clone()}>{ "Challenges" }</a>{ format!(" · about {}", challenge.about.name().to_lowercase()) }</p>
            <h2 class="lesson-title" data-field="challenge-title">{ challenge.title.clone() }</h2>

            <section class="challenge-step" aria-labelledby="step-requirements">
                <h3 id="step-requirements"><span class="step-number">{ "1" }</span>{ "Requirements and constraints" }</h3>
                <p>{ challenge.story.clone() }</p>
                { requirements_list(challenge) }
                <p class="challenge-constraints">{ format!(
                    "Constraints: {replicas}; the clients are fixed where they are; every link takes its latency and loss from the challenge's network{}.",
                    if challenge.regions.is_empty() { "" } else { " (by the regions it joins)" }
                ) }</p>
            </section>

            <section class="challenge-step" aria-labelledby="step-components">
                <h3 id="step-components"><span class="step-number">{ "2" }</span>{ "Components: the model and its parameters" }</h3>
                <label class="challenge-model">{ "Model " }
                    <select id="challenge-model" onchange={on_model} aria-label="The design's consistency model">
                        // A model the challenge does not allow (chosen in the toolbar) is
                        // named, so every allowed one can be picked from here.
                        if !constraints.models.iter().any(|kind| *kind == *props.model) {
                            <option value="" selected=true disabled=true>{ format!("{} (not allowed here)", label_of(&props.model)) }</option>
                        }
                        { for constraints.models.iter().map(|kind| html! {
                            <option value={kind.clone()} selected={*kind == *props.model}>{ label_of(kind) }</option>
                        }) }
                    </select>
                </label>
                <p class="challenge-hint">{ "Its parameters (quorums, timeouts, anti-entropy) are in the System panel on the right while no node is selected." }</p>
            </section>

            <section class="challenge-step" aria-labelledby="step-design">
                <h3 id="step-design"><span class="step-number">{ "3" }</span>{ "Your design" }</h3>
                <p class="challenge-hint">{ "Add replicas (+ Replica, or double-click the canvas), drag them where they should run, and link them to each other and to the clients (the Link tool, or Shift-drag)." }</p>
                if props.problems.is_empty() {
                    <p class="challenge-ready" data-field="design-ready">{ format!("Ready to evaluate: {}.", props.design) }</p>
                } else {
                    <ul class="challenge-problems" data-field="design-problems">
                        { for props.problems.iter().map(|problem| html! { <li>{ problem.clone() }</li> }) }
                    </ul>
                }
            </section>

            <section class="challenge-step" aria-labelledby="step-shortcomings">
                <h3 id="step-shortcomings"><span class="step-number">{ "4" }</span>{ "Shortcomings: evaluate" }</h3>
                <button id="evaluate" class="primary" onclick={evaluate} disabled={work.is_running()}>{ "Evaluate" }</button>
                if let Some(showing) = work.showing.as_ref().filter(|_| props.showing) {
                    <p class="challenge-showing" data-field="challenge-showing">{ showing.clone() }</p>
                }
                { outcome }
            </section>

            <section class="challenge-step" aria-labelledby="step-tradeoffs">
                <h3 id="step-tradeoffs"><span class="step-number">{ "5" }</span>{ "Trade-offs: your attempts" }</h3>
                if view.rows.is_empty() {
                    <p class="challenge-hint">{ "Each evaluation is kept here, so you can compare designs requirement by requirement and go back to one." }</p>
                } else {
                    <div class="tradeoff-scroll">
                        <table class="tradeoff-table" data-field="attempts">
                            <thead><tr>
                                <th scope="col">{ "#" }</th><th scope="col">{ "Design" }</th>
                                { for view.columns.iter().map(|column| html! { <th scope="col">{ *column }</th> }) }
                                <th scope="col">{ "" }</th>
                            </tr></thead>
                            <tbody>
                                { for view.rows.iter().map(|row| {
                                    let restore = {
                                        let on_restore = props.on_restore.clone();
                                        let scenario = work
                                            .attempts
                                            .get(row.number - 1)
                                            .map(|attempt| attempt.scenario.clone());
                                        Callback::from(move |_: MouseEvent| {
                                            if let Some(scenario) = scenario.clone() {
                                                on_restore.emit(scenario);
                                            }
                                        })
                                    };
                                    html! {
                                        <tr key={row.number} class={classes!(if row.passed { "met" } else { "missed" })}>
                                            <td>{ row.number }</td>
                                            <td>{ row.design.clone() }</td>
                                            { for row.cells.iter().map(|(figure, met)| html! {
                                                <td class={classes!(if *met { "met" } else { "missed" })}>{ format!("{} {figure}", if *met { "✓" } else { "✗" }) }</td>
                                            }) }
                                            <td><button class="restore-attempt" onclick={restore} aria-label={format!("Put attempt {} back on the canvas", row.number)}>{ "Restore" }</button></td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
            </section>
        </aside>
    }
}
