//! The lessons index (`?lessons`): every lesson by topic, each a link to its first step.

use crate::lessons::{catalogue, TOPICS};
use yew::prelude::*;

#[component(LessonsIndex)]
pub fn lessons_index() -> Html {
    let lessons = catalogue();
    html! {
        <div class="app lessons-index">
            <header class="toolbar">
                <h1 class="brand">{ "dsplay" }<span class="tagline">{ "distributed systems playground" }</span></h1>
                <a class="index-back" href="./">{ "Open the playground" }</a>
            </header>
            <main class="lessons-main">
                <h2>{ "Lessons" }</h2>
                <p class="lessons-intro">{ "Each lesson walks through a small system step by step. Before the run shows what happens, you predict it; the run then plays to the moment and the answer is worked out from it, never written in advance." }</p>
                { for TOPICS.iter().map(|topic| {
                    let group: Vec<_> = lessons.iter().filter(|lesson| lesson.topic == *topic).collect();
                    html! {
                        <section class="lessons-group" aria-label={topic.heading()}>
                            <h3>{ topic.heading() }</h3>
                            <ul class="lessons-list">
                                { for group.into_iter().map(|lesson| {
                                    let questions = lesson.steps.iter().filter(|step| step.question.is_some()).count();
                                    html! {
                                        <li key={lesson.id.clone()} class="lessons-item" data-lesson={lesson.id.clone()}>
                                            <a href={format!("?lesson={}", lesson.id)}>{ lesson.title.clone() }</a>
                                            <p>{ lesson.summary.clone() }</p>
                                            <p class="lessons-meta">{ format!("{} steps, {} predictions", lesson.steps.len(), questions) }</p>
                                        </li>
                                    }
                                }) }
                            </ul>
                        </section>
                    }
                }) }
            </main>
        </div>
    }
}
