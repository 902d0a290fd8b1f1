//! A lesson's step beside the run: its text, its "predict before you see" question, the
//! answer once the run reaches it, and the way to the next step.

use crate::lessons::{paragraphs, verdict_words, Prediction, Shown, Walk};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub walk: Walk,
    /// The question's choices (from the step's scenario), in order.
    pub choices: Vec<String>,
    pub prediction: Prediction,
    /// The cursor, in milliseconds of virtual time.
    pub cursor_ms: f64,
    /// The address of the lessons index.
    pub index_href: AttrValue,
    pub on_pick: Callback<usize>,
    /// Asked to see: `true` after a guess, `false` to see without one.
    pub on_ask: Callback<bool>,
    /// Go to the step (0-based).
    pub on_step: Callback<usize>,
    /// The step's scenario again, at the step's moment (after the reader changed it).
    pub on_reset: Callback<()>,
}

#[component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let walk = &props.walk;
    let step = &walk.lesson.steps[walk.step];
    // The answer is brought into view when it appears (the panel may be scrolled).
    let answer_ref = use_node_ref();
    let shown = props.prediction.shown(props.cursor_ms);
    let revealed = matches!(shown, Shown::Revealed { .. });
    {
        let answer_ref = answer_ref.clone();
        use_effect_with(revealed, move |revealed| {
            if *revealed {
                if let Some(answer) = answer_ref.cast::<web_sys::Element>() {
                    answer.scroll_into_view_with_bool(false);
                }
            }
        });
    }
    let (number, total) = (walk.step + 1, walk.steps());
    let last = number == total;
    let go = |to: usize| {
        let on_step = props.on_step.clone();
        Callback::from(move |_: MouseEvent| on_step.emit(to))
    };
    let question = step.question.as_ref().map(|question| {
        let asking = shown == Shown::Asking;
        let picked = props.prediction.picked;
        let ask = |guessed: bool| {
            let on_ask = props.on_ask.clone();
            Callback::from(move |_: MouseEvent| on_ask.emit(guessed))
        };
        let outcome = match &shown {
            Shown::Asking => Html::default(),
            Shown::Watching => html! {
                <p class="lesson-watching" data-field="lesson-watching">{ "Watch the run: it plays to the moment that answers the question…" }</p>
            },
            Shown::Revealed { answer, right } => {
                let picked_words = picked.and_then(|index| props.choices.get(index)).map(String::as_str);
                let tone = match right {
                    Some(true) => "right",
                    Some(false) => "wrong",
                    None => "shown",
                };
                html! {
<div ref={answer_ref.clone()} class={classes!("lesson-answer", tone)} data-field="lesson-answer" data-choice={answer.choice.to_string()} role="status">
                        <p class="lesson-verdict"><strong>{ verdict_words(*right, picked_words, answer) }</strong></p>
                        <p class="lesson-detail">{ answer.detail.clone() }</p>
                    </div>
                }
            }
            Shown::Problem(problem) => html! {
                <div class="lesson-answer problem" role="alert">
                    <p>{ problem.clone() }</p>
                    <button class="lesson-reset" onclick={props.on_reset.reform(|_: MouseEvent| ())}>{ "Back to the step's scenario" }</button>
                </div>
            },
        };
        html! {
            <fieldset class="lesson-question" disabled={!asking}>
                <legend>{ "Predict before you see: " }{ question.prompt.clone() }</legend>
                <div class="lesson-choices">
                    { for props.choices.iter().enumerate().map(|(index, choice)| {
                        let on_pick = props.on_pick.clone();
                        html! {
                            <label class={classes!("lesson-choice", (picked == Some(index)).then_some("picked"))} key={index}>
                                <input type="radio" name="lesson-choice" value={index.to_string()} checked={picked == Some(index)}
                                    onchange={Callback::from(move |_: Event| on_pick.emit(index))} />
                                { choice.clone() }
                            </label>
                        }
                    }) }
                </div>
                if asking {
                    <div class="lesson-ask">
                        <button id="lesson-check" class="primary" disabled={picked.is_none()} onclick={ask(true)}>{ "Play and see" }</button>
                        <button id="lesson-show" onclick={ask(false)}>{ "Show me without guessing" }</button>
                    </div>
                }
                { outcome }
            </fieldset>
        }
    });
    html! {
        <section class="lesson-panel" aria-label={format!("Lesson: {}", walk.lesson.title)} data-lesson={walk.lesson.id.clone()} data-step={number.to_string()}>
            <p class="lesson-crumbs">
                <a href={props.index_href.clone()}>{ "Lessons" }</a>{ " › " }{ walk.lesson.title.clone() }
                <span class="lesson-progress" data-field="lesson-progress">{ format!(" · step {number} of {total}") }</span>
            </p>
            <h2 class="lesson-title">{ step.title.clone() }</h2>
            { for paragraphs(&step.text).into_iter().map(|paragraph| html! { <p>{ paragraph.to_string() }</p> }) }
            { for question }
            <nav class="lesson-nav" aria-label="Lesson steps">
                <button id="lesson-back" disabled={walk.step == 0} onclick={go(walk.step.saturating_sub(1))}>{ "← Back" }</button>
                if last {
                    <span class="lesson-done" data-field="lesson-done">{ "End of the lesson. " }<a href={props.index_href.clone()}>{ "More lessons" }</a></span>
                } else {
                    <button id="lesson-next" class="primary" onclick={go(walk.step + 1)}>{ "Next →" }</button>
                }
            </nav>
        </section>
    }
}
