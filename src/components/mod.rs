//! The page's components, one per file. They render and send commands; the logic they
//! rely on lives in plain modules (`player`, `inspect`, `commands`, `scene`).

pub mod analysis;
pub mod history_panel;
pub mod inspector;
pub mod node_list;
pub mod seed_field;
pub mod settings_form;
pub mod status_bar;
pub mod timeline;
