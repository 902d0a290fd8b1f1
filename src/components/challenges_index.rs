//! The challenges index (`?challenges`): every design challenge, grouped by the
//! characteristic it is mainly about, each a link into it.

use crate::challenges::{catalogue, index_groups};
use yew::prelude::*;

#[component(ChallengesIndex)]
pub fn challenges_index() -> Html {
    let challenges = catalogue();
    html! {
        <div class="app lessons-index">
            <header class="toolbar">
                <h1 class="brand">{ "dsplay" }<span class="tagline">{ "distributed systems playground" }</span></h1>
                <a class="index-back" href="./">{ "Open the playground" }</a>
                <a class="index-back" href="?lessons">{ "Lessons" }</a>
            </header>
            <main class="lessons-main">
                <h2>{ "Design challenges" }</h2>
                <p class="lessons-intro">{ "Each challenge states requirements with thresholds and the constraints a design must live with. Build a design on the canvas, evaluate it over the grading seeds, read the scorecard's shortcomings, and compare your attempts. Nothing is graded by hand: every figure comes from runs you can open and replay." }</p>
                { for index_groups(&challenges).into_iter().map(|(characteristic, group)| html! {
                    <section class="lessons-group" aria-label={characteristic.name()}>
                        <h3>{ characteristic.name() }</h3>
                        <ul class="lessons-list">
                            { for group.into_iter().map(|challenge| html! {
                                <li key={challenge.id.clone()} class="lessons-item" data-challenge={challenge.id.clone()}>
                                    <a href={format!("?challenge={}", challenge.id)}>{ challenge.title.clone() }</a>
                                    <p>{ challenge.story.split(". ").next().unwrap_or_default().trim_end_matches('.').to_string() + "." }</p>
                                    <p class="lessons-meta">{ format!(
                                        "{} requirement{}: {}",
                                        challenge.requirements.len(),
                                        if challenge.requirements.len() == 1 { "" } else { "s" },
                                        challenge.requirements.iter().map(|requirement| requirement.characteristic().name().to_lowercase()).collect::<Vec<_>>().join(", ")
                                    ) }</p>
                                </li>
                            }) }
                        </ul>
                    </section>
                }) }
            </main>
        </div>
    }
}
