//! The status bar: virtual time, events, messages in flight, operations and the fingerprint.

use crate::player::Status;
use yew::prelude::*;

fn verdict_class(valid: Option<bool>) -> &'static str {
    match valid {
        Some(true) => "holds",
        Some(false) => "violated",
        None => "unknown",
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[derive(Properties, PartialEq)]
pub struct StatusBarProps {
    pub status: Status,
}

#[component(StatusBar)]
pub fn status_bar(props: &StatusBarProps) -> Html {
    let status = &props.status;
    let state = if status.error.is_some() {
        "stopped"
    } else if status.finished {
        "finished"
    } else if status.playing {
        "playing"
    } else {
        "paused"
    };
    // role=status would announce every tick; the figures change ten times a second, so
    // the live region is switched off and screen readers read the bar on demand. Faults
    // and errors are announced by the page's own live region.
    html! {
        <footer class="status-bar" role="status" aria-live="off">
            <span class="field">{ "Time " }<strong data-field="time">{ status.time.to_string() }</strong></span>
            <span class="field">{ "Events " }<strong data-field="events">{ status.events }</strong></span>
            <span class="field">{ "In flight " }<strong data-field="in-flight">{ status.in_flight }</strong></span>
            <span class="field">{ "Ops " }
                <strong data-field="ops-ok" title="succeeded">{ status.ops_ok }</strong>{ " ok · " }
                <strong data-field="ops-fail" title="failed for certain">{ status.ops_fail }</strong>{ " failed · " }
                <strong data-field="ops-info" title="timed out: outcome unknown">{ status.ops_info }</strong>{ " unknown" }
            </span>
            <span class="field">{ "Availability " }<strong data-field="availability">{ format!("{:.1} %", status.availability * 100.0) }</strong></span>
            if let Some(verdict) = &status.verdict {
                <span class={classes!("field", "verdict", verdict_class(verdict.valid))} data-field="verdict" title={verdict.explanation.clone()}>
                    { format!("{} {}", capitalised(&verdict.model), match (verdict.valid, status.checking) {
                        (Some(true), _) => "✓ holds",
                        (Some(false), _) => "✗ violated",
                        (None, true) => "… checking",
                        (None, false) => "? unknown",
                    }) }
                </span>
                if status.checking && verdict.valid.is_some() {
                    <span class="field checking" data-field="checking" title="The checker is looking at the newest part of the history in the background">{ "checking…" }</span>
                }
            }
            <span class="field" data-field="state">{ state }</span>
            <span class="field fingerprint" data-field="fingerprint">{ format!("Fingerprint {}", status.fingerprint) }</span>
        </footer>
    }
}
