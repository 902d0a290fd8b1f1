//! The page's components, one per file. They render and send commands; the logic they
//! rely on lives in plain modules (`player`, `inspect`, `commands`, `scene`).

pub mod inspector;
pub mod node_list;
pub mod seed_field;
pub mod settings_form;
// Nothing renders the diagram until app.rs does; this allow goes then.
#[allow(dead_code, reason = "app.rs does not render the diagram yet")]
pub mod spacetime_view;
pub mod status_bar;
pub mod timeline;
