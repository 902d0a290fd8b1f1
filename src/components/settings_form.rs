//! A form for a settings object (see `settings.rs`): one input per field.

use crate::settings::{Field, FieldKind};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsFormProps {
    /// Names the form for screen readers, e.g. "Protocol parameters".
    pub title: AttrValue,
    pub fields: Vec<Field>,
    /// Called with (path, kind, new text) when a field changes.
    pub on_change: Callback<(String, FieldKind, String)>,
    /// Fields not shown (e.g. a link's ends).
    #[prop_or_default]
    pub hidden: Vec<&'static str>,
}

#[component(SettingsForm)]
pub fn settings_form(props: &SettingsFormProps) -> Html {
    html! {
        <fieldset class="settings">
            <legend>{ props.title.clone() }</legend>
            { for props.fields.iter().filter(|field| !props.hidden.contains(&field.path.as_str())).map(|field| {
                let (path, kind) = (field.path.clone(), field.kind);
                let on_change = props.on_change.clone();
                let input = match field.kind {
                    FieldKind::Toggle => {
                        let onchange = Callback::from(move |event: Event| {
                            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                                on_change.emit((path.clone(), kind, input.checked().to_string()));
                            }
                        });
                        html! { <input type="checkbox" checked={field.value == "true"} {onchange} /> }
                    }
                    FieldKind::Choice(options) => {
                        let onchange = Callback::from(move |event: Event| {
                            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                                on_change.emit((path.clone(), kind, select.value()));
                            }
                        });
                        html! {
                            <select {onchange}>
                                { for options.iter().map(|option| html! {
                                    <option value={*option} selected={*option == field.value}>{ option.replace('_', " ") }</option>
                                }) }
                            </select>
                        }
                    }
                    FieldKind::Number | FieldKind::Text | FieldKind::List => {
                        let onchange = Callback::from(move |event: Event| {
                            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                                on_change.emit((path.clone(), kind, input.value()));
                            }
                        });
                        let input_type = if field.kind == FieldKind::Number { "number" } else { "text" };
                        html! { <input type={input_type} step="any" value={field.value.clone()} {onchange} /> }
                    }
                };
                html! {
                    <label class="setting" key={field.path.clone()}>
                        <span>{ field.label.clone() }</span>{ input }
                    </label>
                }
            }) }
        </fieldset>
    }
}
