//! The inspector: the selected node's role, state and store, buttons that break it, and,
//! for a client, a form to run reads, writes and compare-and-set by hand.

use crate::commands::Command;
use crate::components::settings_form::SettingsForm;
use crate::editor::{link_candidates, Edit};
use crate::fault_form::{
    link_fault, node_fault, FaultFields, Injection, LinkAction, NodeAction, DEFAULT_CLOCK_RATE,
    DEFAULT_DELAY_FACTOR, DEFAULT_DURATION, DEFAULT_LOSS_PERCENT, DEFAULT_OMISSION_PERCENT,
    DEFAULT_SLOW_MS, DURATIONS,
};
use crate::inspect::{MessageView, NodeView};
use crate::settings::{fields, with_field, workload_switched, FieldKind};
use dsplay_sim::workload::ClientOpSpec;
use dsplay_sim::workload::WorkloadSpec;
use dsplay_sim::NodeKind;
use dsplay_sim::Scenario;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

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
            <LinkTo node={view.id.index()} scenario={props.scenario.clone()} on_edit={props.on_edit.clone()} />
            if view.kind == NodeKind::Replica {
                <h3>{ "Store" }</h3>
                if view.store.is_empty() {
                    <p class="hint">{ "Empty." }</p>
                } else {
                    <table class="store"><tbody>
                        { for view.store.iter().map(|(key, value)| html! { <tr><th scope="row">{ key.clone() }</th><td>{ *value }</td></tr> }) }
                    </tbody></table>
                }
                <h3>{ "Pending operations" }</h3>
                if view.pending.is_empty() {
                    <p class="hint" data-field="pending">{ "None: every request it was asked to serve is answered." }</p>
                } else {
                    <ol class="pending" data-field="pending">
                        { for view.pending.iter().map(|line| html! { <li>{ line.clone() }</li> }) }
                    </ol>
                }
                <FaultButtons key={view.name.clone()} name={view.name.clone()} up={view.up} on_command={props.on_command.clone()} />
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
    let refs = use_memo((), |_| FieldRefs::default());
    let duration = use_state(|| DEFAULT_DURATION);
    let error = use_state(|| None::<String>);
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
    let press = |action: LinkAction| {
        let (a, b) = (link.a.clone(), link.b.clone());
        injector(&props.on_command, &refs, &duration, &error, move |fields| {
            link_fault(action, &a, &b, fields)
        })
    };
    let on_pick = picker(&duration);
    let (a, b) = (&link.a, &link.b);
    let lasting = lasting_words(*duration);
    html! {
        <>
            <SettingsForm title={format!("Link {a} – {b}")} fields={fields(link)} {on_change} hidden={vec!["a", "b"]} />
            <div class="link-faults" role="group" aria-label={format!("Break the link {a} – {b}")}>
                <DurationPicker chosen={*duration} {on_pick} />
                <div class="fault-row">
                    <button onclick={press(LinkAction::Cut)} aria-label={format!("Cut the link {a} – {b} {lasting}")}>{ "Cut" }</button>
                    <button onclick={press(LinkAction::Heal)} aria-label={format!("Heal the link {a} – {b} now: end its cuts and changes")}>{ "Heal" }</button>
                </div>
                <div class="fault-row">
                    <button onclick={press(LinkAction::Loss)} aria-label={format!("Make the link {a} – {b} lose the given share of its messages {lasting}")}>{ "Loss" }</button>
                    <input ref={refs.loss_percent.clone()} type="text" inputmode="decimal" size="4"
                        placeholder={DEFAULT_LOSS_PERCENT.to_string()} aria-label={format!("Loss on {a} – {b}: percent of messages lost")} />
                    <span class="unit">{ "%" }</span>
                </div>
                <div class="fault-row">
                    <button onclick={press(LinkAction::Delay)} aria-label={format!("Make the link {a} – {b} slower by the given factor {lasting}")}>{ "Delay" }</button>
                    <span class="unit">{ "×" }</span>
                    <input ref={refs.delay_factor.clone()} type="text" inputmode="decimal" size="4"
                        placeholder={DEFAULT_DELAY_FACTOR.to_string()} aria-label={format!("Delay on {a} – {b}: factor on its latency")} />
                </div>
                if let Some(message) = &*error {
                    <p class="field-error" role="alert">{ message.clone() }</p>
                }
            </div>
            <button onclick={on_remove} aria-label={format!("Remove the link {a} – {b}")}>{ "Remove link" }</button>
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
            // The picked link is shown open above, not a second time here.
            { for props.scenario.links.iter().enumerate().filter(|(index, _)| props.open_link != Some(*index)).map(|(index, link)| html! {
                <details class="link-settings" key={format!("{}-{}", link.a, link.b)}>
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
        // Always a root element: see `LinkTo`.
        return html! { <p class="hint">{ "This node is gone." }</p> };
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
    let automatic = workload.rate_per_s > 0.0;
    let on_switch = {
        let (on_edit, node, current) = (props.on_edit.clone(), props.node, spec.workload.clone());
        Callback::from(move |event: Event| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                on_edit.emit(Edit::SetWorkload {
                    node,
                    workload: Some(workload_switched(current.as_ref(), input.checked())),
                });
            }
        })
    };
    html! {
        <>
            <label class="switch">
                <input id="workload-switch" type="checkbox" checked={automatic} onchange={on_switch} />
                { " Runs its workload on its own" }
            </label>
            <SettingsForm title="Workload (rate 0: by hand only)" fields={fields(&workload)} {on_change} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct LinkToProps {
    node: usize,
    scenario: Scenario,
    on_edit: Callback<Edit>,
}

/// Links the node to another one chosen from a list: the keyboard's way to draw a link.
#[component(LinkTo)]
fn link_to(props: &LinkToProps) -> Html {
    let select_ref = use_node_ref();
    let candidates = link_candidates(&props.scenario, props.node);
    let on_link = {
        let (select_ref, on_edit, node) = (select_ref.clone(), props.on_edit.clone(), props.node);
        Callback::from(move |_: MouseEvent| {
            if let Some(other) = select_ref
                .cast::<HtmlSelectElement>()
                .and_then(|select| select.value().parse::<usize>().ok())
            {
                on_edit.emit(Edit::Link { a: node, b: other });
            }
        })
    };
    // Always the same root element: a component whose root comes and goes between
    // renders can leave Yew inserting before a node that is gone.
    html! {
        <div class="link-to">
            if candidates.is_empty() {
                <span class="hint">{ "Linked to every other node." }</span>
            } else {
                <label>{ "Link to " }
                    <select ref={select_ref} id="link-to" aria-label="Node to link this one to">
                        { for candidates.iter().map(|(index, name)| html! {
                            <option value={index.to_string()}>{ name.clone() }</option>
                        }) }
                    </select>
                </label>
                <button id="link-to-button" onclick={on_link} aria-label="Link this node to the chosen one">{ "Link" }</button>
            }
        </div>
    }
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

/// The fields a Break panel reads when a button is pressed: uncontrolled inputs, read
/// at the click, so the panel's frequent re-renders never wipe what is being typed.
#[derive(Clone, Default)]
struct FieldRefs {
    omission_percent: NodeRef,
    omission_side: NodeRef,
    slow_ms: NodeRef,
    clock_rate: NodeRef,
    strategy: NodeRef,
    loss_percent: NodeRef,
    delay_factor: NodeRef,
}

impl FieldRefs {
    fn read(&self, duration: usize) -> FaultFields {
        let text = |node: &NodeRef| {
            node.cast::<HtmlInputElement>()
                .map(|input| input.value())
                .or_else(|| {
                    node.cast::<HtmlSelectElement>()
                        .map(|select| select.value())
                })
                .unwrap_or_default()
        };
        FaultFields {
            duration,
            omission_percent: text(&self.omission_percent),
            omission_side: text(&self.omission_side),
            slow_ms: text(&self.slow_ms),
            clock_rate: text(&self.clock_rate),
            strategy: text(&self.strategy),
            loss_percent: text(&self.loss_percent),
            delay_factor: text(&self.delay_factor),
        }
    }
}

/// How long the faults of a panel last: a select over [`DURATIONS`].
#[derive(Properties, PartialEq)]
struct DurationPickerProps {
    #[prop_or_default]
    id: Option<AttrValue>,
    chosen: usize,
    on_pick: Callback<usize>,
}

#[component(DurationPicker)]
fn duration_picker(props: &DurationPickerProps) -> Html {
    let on_change = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(index) = select.value().parse::<usize>() {
                    on_pick.emit(index);
                }
            }
        })
    };
    html! {
        <label class="duration">{ "Lasting " }
            <select id={props.id.clone()} onchange={on_change} aria-label="How long the faults below last">
                { for DURATIONS.iter().enumerate().map(|(index, (_, label))| html! {
                    <option value={index.to_string()} selected={index == props.chosen}>{ *label }</option>
                }) }
            </select>
        </label>
    }
}

/// A Break button's click: reads the panel's fields, then injects the fault `make`
/// builds from them, or shows why it cannot.
fn injector(
    on_command: &Callback<Command>,
    refs: &Rc<FieldRefs>,
    duration: &UseStateHandle<usize>,
    error: &UseStateHandle<Option<String>>,
    make: impl Fn(&FaultFields) -> Result<Injection, String> + 'static,
) -> Callback<MouseEvent> {
    let (on_command, refs, error, duration) =
        (on_command.clone(), refs.clone(), error.clone(), **duration);
    Callback::from(move |_: MouseEvent| match make(&refs.read(duration)) {
        Ok((fault, lasting)) => {
            error.set(None);
            on_command.emit(Command::Inject(fault, lasting));
        }
        Err(message) => error.set(Some(message)),
    })
}

/// What the duration picker calls with the chosen index.
fn picker(duration: &UseStateHandle<usize>) -> Callback<usize> {
    let duration = duration.clone();
    Callback::from(move |index: usize| duration.set(index))
}

/// "for 3 seconds", "until healed": how long a fault lasts, for accessible names.
fn lasting_words(duration: usize) -> String {
    match DURATIONS.get(duration).and_then(|(ms, _)| *ms) {
        Some(1_000.0) => "for 1 second".into(),
        Some(ms) => format!("for {} seconds", ms / 1_000.0),
        None => "until healed".into(),
    }
}

#[component(FaultButtons)]
fn fault_buttons(props: &FaultButtonsProps) -> Html {
    let refs = use_memo((), |_| FieldRefs::default());
    let duration = use_state(|| DEFAULT_DURATION);
    let error = use_state(|| None::<String>);
    let node = props.name.clone();
    let press = |action: NodeAction| {
        let node = node.clone();
        injector(&props.on_command, &refs, &duration, &error, move |fields| {
            node_fault(action, &node, fields)
        })
    };
    let on_pick = picker(&duration);
    let lasting = lasting_words(*duration);
    html! {
        <div class="fault-buttons" role="group" aria-label={format!("Break {}", props.name)}>
            <h3>{ "Break it" }</h3>
            <DurationPicker id={Some(AttrValue::from("node-fault-duration"))} chosen={*duration} {on_pick} />
            <div class="fault-row">
                if props.up {
                    <button onclick={press(NodeAction::Crash)}
                        aria-label={format!("Crash {node} {lasting}; peers notice only by missed heartbeats")}>{ "Crash" }</button>
                    <button onclick={press(NodeAction::FailStop)}
                        aria-label={format!("Fail-stop {node}: it halts for good and peers are told")}>{ "Fail-stop" }</button>
                } else {
                    <button onclick={press(NodeAction::Restart)}
                        aria-label={format!("Restart {node}")}>{ "Restart" }</button>
                }
            </div>
            <div class="fault-row">
                <button onclick={press(NodeAction::Omission)}
                    aria-label={format!("Omission: {node} drops the given share of its messages {lasting}")}>{ "Omission" }</button>
                <input ref={refs.omission_percent.clone()} id="omission-percent" type="text" inputmode="decimal" size="4"
                    placeholder={DEFAULT_OMISSION_PERCENT.to_string()} aria-label="Omission: percent of messages dropped" />
                <span class="unit">{ "%" }</span>
                <select ref={refs.omission_side.clone()} aria-label="Omission: which messages are dropped">
                    <option value="both" selected=true>{ "both ways" }</option>
                    <option value="send">{ "sends" }</option>
                    <option value="receive">{ "receives" }</option>
                </select>
            </div>
            <div class="fault-row">
                <button onclick={press(NodeAction::Slow)}
                    aria-label={format!("Slow: {node} handles every message late by the given delay {lasting}")}>{ "Slow" }</button>
                <span class="unit">{ "+" }</span>
                <input ref={refs.slow_ms.clone()} id="slow-ms" type="text" inputmode="decimal" size="5"
                    placeholder={DEFAULT_SLOW_MS.to_string()} aria-label="Slow: delay per message in milliseconds" />
                <span class="unit">{ "ms" }</span>
            </div>
            <div class="fault-row">
                <button onclick={press(NodeAction::ClockSkew)}
                    aria-label={format!("Clock skew: {node}'s clock runs at the given rate {lasting}")}>{ "Clock skew" }</button>
                <span class="unit">{ "×" }</span>
                <input ref={refs.clock_rate.clone()} id="clock-rate" type="text" inputmode="decimal" size="4"
                    placeholder={DEFAULT_CLOCK_RATE.to_string()} aria-label="Clock skew: rate of the clock against real time" />
            </div>
            <div class="fault-row">
                <button onclick={press(NodeAction::Isolate)}
                    aria-label={format!("Isolate {node}: cut every link between it and the rest {lasting}")}>{ "Isolate" }</button>
            </div>
            <div class="fault-row">
                <button onclick={press(NodeAction::Byzantine)}
                    aria-label={format!("Make {node} byzantine {lasting} with the chosen strategy")}>{ "Byzantine" }</button>
                <select ref={refs.strategy.clone()} aria-label="Byzantine strategy">
                    <option value="lie" selected=true>{ "lie to clients" }</option>
                    <option value="replay">{ "replay old messages" }</option>
                    <option value="silent">{ "go silent" }</option>
                    <option value="equivocate">{ "equivocate" }</option>
                </select>
            </div>
            if let Some(message) = &*error {
                <p class="field-error" role="alert">{ message.clone() }</p>
            }
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
