//! The seed: typed (Enter or leaving the field applies it) or a fresh random one.

use crate::editor::{parse_seed, Edit};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SeedFieldProps {
    pub seed: u64,
    pub on_edit: Callback<Edit>,
    /// Where a seed that does not parse is reported.
    pub on_error: Callback<String>,
}

#[component(SeedField)]
pub fn seed_field(props: &SeedFieldProps) -> Html {
    // Uncontrolled: the seed is written into the field when it changes, so the page's
    // frequent re-renders never wipe what is being typed.
    let input_ref = use_node_ref();
    {
        let input_ref = input_ref.clone();
        use_effect_with(props.seed, move |seed| {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                input.set_value(&seed.to_string());
            }
        });
    }
    let on_change = {
        let (on_edit, on_error, current) =
            (props.on_edit.clone(), props.on_error.clone(), props.seed);
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            match parse_seed(&input.value()) {
                Ok(seed) if seed == current => {}
                Ok(seed) => on_edit.emit(Edit::SetSeed(seed)),
                Err(message) => {
                    input.set_value(&current.to_string());
                    on_error.emit(message);
                }
            }
        })
    };
    let on_new = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |_: MouseEvent| {
            // Any seed is as good as another; a fresh one shows a different run.
            let seed = (js_sys::Math::random() * 1e9) as u64;
            on_edit.emit(Edit::SetSeed(seed));
        })
    };
    html! {
        <span class="seed">
            <label>{ "Seed " }
                <input ref={input_ref} id="seed" type="text" inputmode="numeric" size="10" onchange={on_change}
                    aria-label="Seed: every random choice of the run follows from it" />
            </label>
            <button id="new-seed" onclick={on_new} aria-label="Pick a new random seed">{ "New" }</button>
        </span>
    }
}
