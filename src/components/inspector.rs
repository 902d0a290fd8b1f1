//! The inspector: the selected node's role, state and store, buttons that break it, and,
//! for a client, a form to run reads, writes and compare-and-set by hand.

use crate::commands::Command;
use crate::components::settings_form::SettingsForm;
use crate::editor::Edit;
use crate::inspect::{MessageView, NodeView};
use crate::settings::{fields, with_field, FieldKind};
use dsplay_sim::fault::{FaultKindSpec, StrategyName};
use dsplay_sim::workload::ClientOpSpec;
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::NodeKind;
use dsplay_sim::Scenario;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// How long the inspector's faults last, in milliseconds (crash, omission, slowness...).
const FAULT_MS: f64 = 3_000.0;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub view: Option<NodeView>,
    /// A message picked on the canvas, shown when no node is selected.
    pub message: Option<MessageView>,
    /// A link picked on the canvas: its settings are shown open.
    pub link: Option<usize>,
    /// The scenario, for the settings of the protocol, links and workloads.
    pub scenario: Scenario,
    pub on_command: Callback<Command>,
    pub on_edit: Callback<Edit>,
}

#[component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    if let (None, Some(message)) = (&props.view, &props.message) {
        return html! {
            <section class="inspector" aria-label="Inspector: a message">
                <h2>{ format!("Message: {}", message.kind) }</h2>
                <dl class="facts">
                    <dt>{ "From" }</dt><dd>{ message.from.clone() }</dd>
                    <dt>{ "To" }</dt><dd>{ message.to.clone() }</dd>
                    <dt>{ "Sent" }</dt><dd>{ message.sent.to_string() }</dd>
                </dl>
                <h3>{ "Payload" }</h3>
                <pre class="payload" data-field="payload">{ message.payload.clone() }</pre>
                <h3>{ "Path" }</h3>
                <ol class="hops">{ for message.hops.iter().map(|hop| html! { <li>{ hop.clone() }</li> }) }</ol>
            </section>
        };
    }
    let Some(view) = &props.view else {
        return html! {
            <section class="inspector" aria-label="Inspector">
                <h2>{ "System" }</h2>
                <p class="hint">{ "Select a node on the canvas or in the list below to see its state, break it, or send operations from a client." }</p>
                <ScenarioSettings scenario={props.scenario.clone()} on_edit={props.on_edit.clone()} on_command={props.on_command.clone()} open_link={props.link} />
            </section>
        };
    };
    html! {
        <section class="inspector" aria-label={format!("Inspector: {}", view.name)}>
            <h2>{ view.name.clone() }
                <span class={classes!("badge", if view.up { "up" } else { "down" })}>{ if view.up { "up" } else { "down" } }</span>
            </h2>
            <dl class="facts">
                <dt>{ "Kind" }</dt><dd>{ if view.kind == NodeKind::Replica { "replica" } else { "client" } }</dd>
                <dt>{ "Role" }</dt><dd data-field="role">{ view.role }</dd>
                { for view.details.iter().map(|(label, value)| html! {
                    <><dt>{ capitalise(label) }</dt><dd>{ value.clone() }</dd></>
                }) }
            </dl>
            <Rename key={view.name.clone()} node={view.id.index()} name={view.name.clone()} on_edit={props.on_edit.clone()} />
            if view.kind == NodeKind::Replica {
                <h3>{ "Store" }</h3>
                if view.store.is_empty() {
                    <p class="hint">{ "Empty." }</p>
                } else {
                    <table class="store"><tbody>
                        { for view.store.iter().map(|(key, value)| html! { <tr><th scope="row">{ key.clone() }</th><td>{ *value }</td></tr> }) }
                    </tbody></table>
                }
                <FaultButtons name={view.name.clone()} up={view.up} on_command={props.on_command.clone()} />
            } else {
                <ClientPanel key={view.name.clone()} view={view.clone()} on_command={props.on_command.clone()} />
                <WorkloadSettings node={view.id.index()} scenario={props.scenario.clone()} on_edit={props.on_edit.clone()} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ScenarioSettingsProps {
    scenario: Scenario,
    on_edit: Callback<Edit>,
    on_command: Callback<Command>,
    /// The link picked on the canvas, shown open.
    open_link: Option<usize>,
}

#[derive(Properties, PartialEq)]
struct LinkPanelProps {
    index: usize,
    link: dsplay_sim::scenario::LinkSpec,
    on_edit: Callback<Edit>,
    on_command: Callback<Command>,
}

/// One link's settings, the faults that break it, and its removal.
#[component(LinkPanel)]
fn link_panel(props: &LinkPanelProps) -> Html {
    let (index, link) = (props.index, &props.link);
    let on_change = {
        let (spec, on_edit) = (link.clone(), props.on_edit.clone());
        Callback::from(move |(path, kind, text): (String, FieldKind, String)| {
            if let Ok(changed) = with_field(&spec, &path, kind, &text) {
                on_edit.emit(Edit::SetLink {
                    link: index,
                    spec: changed,
                });
            }
        })
    };
    let on_remove = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |_: MouseEvent| on_edit.emit(Edit::RemoveLink { link: index }))
    };
    html! {
        <>
            <SettingsForm title={format!("Link {} – {}", link.a, link.b)} fields={fields(link)} {on_change} hidden={vec!["a", "b"]} />
            <div class="link-faults" role="group" aria-label={format!("Break the link {} – {}", link.a, link.b)}>
                { for link_faults(&link.a, &link.b).into_iter().map(|(label, name, fault)| {
                    let on_command = props.on_command.clone();
                    html! {
                        <button aria-label={name} onclick={Callback::from(move |_: MouseEvent| on_command.emit(Command::Inject(fault.clone(), Some(FAULT_MS))))}>{ label }</button>
                    }
                }) }
            </div>
            <button onclick={on_remove} aria-label={format!("Remove the link {} – {}", link.a, link.b)}>{ "Remove link" }</button>
        </>
    }
}

/// The protocol's parameters and every link's settings.
#[component(ScenarioSettings)]
fn scenario_settings(props: &ScenarioSettingsProps) -> Html {
    let protocol = props.scenario.protocol.clone();
    let on_protocol = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |(path, kind, text): (String, FieldKind, String)| {
            if let Ok(changed) = with_field(&protocol, &path, kind, &text) {
                on_edit.emit(Edit::SetProtocol(changed));
            }
        })
    };
    let picked = props.open_link.and_then(|index| {
        props
            .scenario
            .links
            .get(index)
            .map(|link| (index, link.clone()))
    });
    html! {
        <>
            if let Some((index, link)) = picked {
                <h3 data-field="picked-link">{ format!("Link {} – {}", link.a, link.b) }</h3>
                <LinkPanel {index} link={link.clone()} on_edit={props.on_edit.clone()} on_command={props.on_command.clone()} />
            }
            <SettingsForm title={format!("{} parameters", props.scenario.protocol.kind())} fields={fields(&props.scenario.protocol)} on_change={on_protocol} />
            <h3>{ "Links" }</h3>
            if props.scenario.links.is_empty() {
                <p class="hint">{ "No links yet: use the Link tool, or drag from a node with Shift held." }</p>
            }
            { for props.scenario.links.iter().enumerate().map(|(index, link)| html! {
                <details class="link-settings" key={format!("{}-{}", link.a, link.b)} open={props.open_link == Some(index)}>
                    <summary>{ format!("{} – {}", link.a, link.b) }</summary>
                    <LinkPanel {index} link={link.clone()} on_edit={props.on_edit.clone()} on_command={props.on_command.clone()} />
                </details>
            }) }
        </>
    }
}

fn capitalise(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The faults a link's settings offer: (label, accessible name, fault), each for 3 s.
fn link_faults(a: &str, b: &str) -> Vec<(&'static str, String, FaultKindSpec)> {
    let change = |latency_factor, loss| FaultKindSpec::LinkChange {
        a: a.into(),
        b: b.into(),
        latency_factor,
        loss,
        duplicate: None,
    };
    vec![
        (
            "Cut 3 s",
            format!("Cut the link {a} – {b} for 3 seconds"),
            FaultKindSpec::CutLink {
                a: a.into(),
                b: b.into(),
                one_way: false,
            },
        ),
        (
            "Loss 30 %",
            format!("Make the link {a} – {b} lose 30 % of its messages for 3 seconds"),
            change(None, Some(0.3)),
        ),
        (
            "Delay ×5",
            format!("Make the link {a} – {b} five times slower for 3 seconds"),
            change(Some(5.0), None),
        ),
    ]
}

#[derive(Properties, PartialEq)]
struct WorkloadSettingsProps {
    node: usize,
    scenario: Scenario,
    on_edit: Callback<Edit>,
}

/// A client's workload: rate, read/write/cas mix, keys, timeout.
#[component(WorkloadSettings)]
fn workload_settings(props: &WorkloadSettingsProps) -> Html {
    let Some(spec) = props.scenario.nodes.get(props.node) else {
        return html! {};
    };
    let workload = spec.workload.clone().unwrap_or_else(WorkloadSpec::manual);
    let on_change = {
        let (on_edit, node, workload) = (props.on_edit.clone(), props.node, workload.clone());
        Callback::from(move |(path, kind, text): (String, FieldKind, String)| {
            if let Ok(changed) = with_field(&workload, &path, kind, &text) {
                on_edit.emit(Edit::SetWorkload {
                    node,
                    workload: Some(changed),
                });
            }
        })
    };
    html! { <SettingsForm title="Workload (rate 0: by hand only)" fields={fields(&workload)} {on_change} /> }
}

#[derive(Properties, PartialEq)]
struct RenameProps {
    node: usize,
    name: String,
    on_edit: Callback<Edit>,
}

/// Renames a node: Enter or leaving the field applies the new name.
#[component(Rename)]
fn rename(props: &RenameProps) -> Html {
    let apply = {
        let (on_edit, node, old) = (props.on_edit.clone(), props.node, props.name.clone());
        move |input: HtmlInputElement| {
            let name = input.value();
            if name.trim() != old {
                on_edit.emit(Edit::Rename { node, name });
            }
        }
    };
    let on_change = {
        let apply = apply.clone();
        Callback::from(move |event: Event| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                apply(input);
            }
        })
    };
    // Uncontrolled: the name is written into the field once (the component is keyed by
    // the name), so the inspector's frequent re-renders never wipe what is being typed.
    let input_ref = use_node_ref();
    {
        let (input_ref, name) = (input_ref.clone(), props.name.clone());
        use_effect_with(name, move |name| {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                input.set_value(name);
            }
        });
    }
    html! {
        <label class="rename">{ "Name " }
            <input ref={input_ref} id="node-name" type="text" size="10" onchange={on_change} aria-label="Node name" />
        </label>
    }
}

#[derive(Properties, PartialEq)]
struct FaultButtonsProps {
    name: String,
    up: bool,
    on_command: Callback<Command>,
}

#[component(FaultButtons)]
fn fault_buttons(props: &FaultButtonsProps) -> Html {
    let strategy_ref = use_node_ref();
    let node = props.name.clone();
    let inject = |fault: FaultKindSpec, duration: Option<f64>| {
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| {
            on_command.emit(Command::Inject(fault.clone(), duration))
        })
    };
    let on_byzantine = {
        let on_command = props.on_command.clone();
        let strategy_ref = strategy_ref.clone();
        let node = node.clone();
        Callback::from(move |_: MouseEvent| {
            let chosen = strategy_ref
                .cast::<HtmlSelectElement>()
                .map(|select| select.value())
                .unwrap_or_default();
            let strategy = match chosen.as_str() {
                "replay" => StrategyName::Replay,
                "silent" => StrategyName::Silent,
                "equivocate" => StrategyName::Equivocate,
                _ => StrategyName::Lie,
            };
            let fault = FaultKindSpec::Byzantine {
                node: node.clone(),
                strategy,
                toward: Vec::new(),
            };
            on_command.emit(Command::Inject(fault, Some(FAULT_MS)));
        })
    };
    html! {
        <div class="fault-buttons" role="group" aria-label={format!("Break {}", props.name)}>
            <h3>{ "Break it" }</h3>
            if props.up {
                <button onclick={inject(FaultKindSpec::Crash { node: node.clone() }, Some(FAULT_MS))}
                    aria-label={format!("Crash {} for 3 seconds; peers notice only by missed heartbeats", node)}>{ "Crash 3 s" }</button>
                <button onclick={inject(FaultKindSpec::FailStop { node: node.clone() }, None)}
                    aria-label={format!("Fail-stop {}: it halts for good and peers are told", node)}>{ "Fail-stop" }</button>
            } else {
                <button onclick={inject(FaultKindSpec::Restart { node: node.clone() }, None)}
                    aria-label={format!("Restart {}", node)}>{ "Restart" }</button>
            }
            <button onclick={inject(FaultKindSpec::Omission { node: node.clone(), send: 0.5, receive: 0.5 }, Some(FAULT_MS))}
                aria-label={format!("Omission: {} drops half of what it sends and receives for 3 seconds", node)}>{ "Omission 50 %" }</button>
            <button onclick={inject(FaultKindSpec::Slow { node: node.clone(), delay_ms: 300.0 }, Some(FAULT_MS))}
                aria-label={format!("Slow: {} handles every message 300 ms late for 3 seconds", node)}>{ "Slow +300 ms" }</button>
            <button onclick={inject(FaultKindSpec::ClockSkew { node: node.clone(), rate: 0.5, offset_ms: 0.0 }, Some(2.0 * FAULT_MS))}
                aria-label={format!("Clock skew: {}'s clock runs at half speed for 6 seconds", node)}>{ "Clock ×0.5" }</button>
            <div class="byzantine">
                <select ref={strategy_ref} aria-label="Byzantine strategy">
                    <option value="lie" selected=true>{ "lie to clients" }</option>
                    <option value="replay">{ "replay old messages" }</option>
                    <option value="silent">{ "go silent" }</option>
                    <option value="equivocate">{ "equivocate" }</option>
                </select>
                <button onclick={on_byzantine} aria-label={format!("Make {} byzantine for 3 seconds with the chosen strategy", node)}>{ "Byzantine" }</button>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ClientPanelProps {
    view: NodeView,
    on_command: Callback<Command>,
}

#[component(ClientPanel)]
fn client_panel(props: &ClientPanelProps) -> Html {
    let key_ref = use_node_ref();
    let value_ref = use_node_ref();
    let old_ref = use_node_ref();
    let view = &props.view;
    let read_input = |node: &NodeRef| {
        node.cast::<HtmlInputElement>()
            .map(|input| input.value())
            .unwrap_or_default()
    };
    // The inputs are uncontrolled (placeholders, no value): the panel re-renders ten times
    // a second while playing, and a controlled value would wipe what the user typed.
    let default_key = view.keys.first().cloned().unwrap_or_else(|| "x".into());
    let refs = (key_ref.clone(), value_ref.clone(), old_ref.clone());
    let run = |make: fn(String, i64, i64) -> ClientOpSpec| {
        let (on_command, id) = (props.on_command.clone(), view.id);
        let (key_ref, value_ref, old_ref) = refs.clone();
        let default_key = default_key.clone();
        Callback::from(move |_: MouseEvent| {
            let key = read_input(&key_ref).trim().to_string();
            let key = if key.is_empty() {
                default_key.clone()
            } else {
                key
            };
            let value = read_input(&value_ref).trim().parse().unwrap_or(1);
            let old = read_input(&old_ref).trim().parse().unwrap_or(0);
            on_command.emit(Command::Operation(id, make(key, value, old)));
        })
    };
    html! {
        <div class="client-panel">
            <h3>{ "Run an operation" }</h3>
            <div class="op-form">
                <label>{ "Key " }<input ref={key_ref} id="op-key" type="text" placeholder={default_key.clone()} size="8" /></label>
                <label>{ "Value " }<input ref={value_ref} id="op-value" type="number" placeholder="1" /></label>
                <label>{ "Expect (cas) " }<input ref={old_ref} id="op-old" type="number" placeholder="0" /></label>
            </div>
            <div class="op-buttons">
                <button id="op-read" disabled={view.waiting} onclick={run(|key, _, _| ClientOpSpec::Read { key })}>{ "Read" }</button>
                <button id="op-write" disabled={view.waiting} onclick={run(|key, value, _| ClientOpSpec::Write { key, value })}>{ "Write" }</button>
                <button id="op-cas" disabled={view.waiting} onclick={run(|key, new, old| ClientOpSpec::Cas { key, old, new })}>{ "Cas" }</button>
            </div>
            if view.waiting { <p class="hint">{ "Waiting for an answer…" }</p> }
            <h3>{ "Latest operations" }</h3>
            <ol class="recent-ops" aria-label="Latest operations, newest first">
                { for view.recent.iter().map(|line| html! {
                    <li class={classes!("op", line.outcome, line.stale.then_some("stale"))}>
                        <span class="op-label">{ line.label.clone() }</span>
                        <span class="op-outcome">{ line.outcome }</span>
                        if let Some(latency) = line.latency_ms { <span class="op-latency">{ format!("{latency:.0} ms") }</span> }
                        if line.stale { <span class="op-stale" title="an already overwritten value">{ "stale" }</span> }
                    </li>
                }) }
            </ol>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::link_faults;
    use dsplay_sim::fault::{compile_live, FaultSpec};

    #[test]
    fn every_link_fault_the_panel_offers_is_valid_for_a_real_link() {
        let scenario = crate::presets::scenario("sequential-feed");
        let engine = dsplay_sim::build(&scenario).unwrap();
        for (label, name, fault) in link_faults("r1", "r2") {
            let spec = FaultSpec {
                at_ms: 1_000.0,
                until_ms: Some(4_000.0),
                fault,
            };
            compile_live(&spec, 0, engine.topology())
                .unwrap_or_else(|problems| panic!("{label} ({name}): {problems:?}"));
        }
    }
}
