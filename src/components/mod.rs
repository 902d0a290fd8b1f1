//! The page's components, one per file. They render and send commands; the logic they
//! rely on lives in plain modules (`player`, `inspect`, `commands`, `scene`).

pub mod analysis;
pub mod challenge_panel;
pub mod challenges_index;
pub mod history_panel;
pub mod inspector;
pub mod lesson_panel;
pub mod lessons_index;
#[allow(
    dead_code,
    reason = "the page places the charts in the change that wires them into app.rs; remove this then"
)]
pub mod metrics_view;
pub mod node_list;
pub mod seed_field;
pub mod settings_form;
// Nothing renders the diagram until app.rs does; this allow goes then.
pub mod spacetime_view;
pub mod status_bar;
pub mod timeline;
