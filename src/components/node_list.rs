//! The node list beside the canvas: one button per node, named as a screen reader says it
//! ("Replica r2, leader, up, slow"). Enter selects a node; Delete removes it.
//!
//! Its own component so that the page's ten-a-second refresh skips it while no label
//! changes (its callbacks are stable, so equal labels mean equal props).

use crate::editor::Edit;
use dsplay_sim::NodeId;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NodeListProps {
    /// Each node with its accessible label, in scenario order.
    pub nodes: Vec<(NodeId, String)>,
    pub selected: Option<NodeId>,
    pub on_select: Callback<Option<NodeId>>,
    pub on_edit: Callback<Edit>,
}

#[component(NodeList)]
pub fn node_list(props: &NodeListProps) -> Html {
    html! {
        <section class="node-list" aria-label="Nodes">
            <h2>{ "Nodes" }</h2>
            if props.nodes.is_empty() {
                <p class="hint">{ "No nodes yet: add replicas and clients with the buttons above, or double-click the canvas." }</p>
            }
            <ul>
                { for props.nodes.iter().map(|(id, label)| {
                    let id = *id;
                    let is_selected = props.selected == Some(id);
                    // Delete on a focused node button removes that node (the page's own
                    // Delete key leaves buttons alone).
                    let on_key = {
                        let on_edit = props.on_edit.clone();
                        Callback::from(move |event: KeyboardEvent| {
                            if matches!(event.key().as_str(), "Delete" | "Backspace") {
                                event.prevent_default();
                                on_edit.emit(Edit::RemoveNode { node: id.index() });
                            }
                        })
                    };
                    let on_click = {
                        let on_select = props.on_select.clone();
                        Callback::from(move |_: MouseEvent| on_select.emit(Some(id)))
                    };
                    html! {
                        <li key={id.0}>
                            <button class={classes!("node-button", is_selected.then_some("selected"))}
                                aria-pressed={is_selected.to_string()}
                                aria-keyshortcuts="Delete"
                                onkeydown={on_key}
                                onclick={on_click}>
                                { label.clone() }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
