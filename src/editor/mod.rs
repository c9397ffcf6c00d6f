//! The editor: the blueprint being edited (a [`Document`](crate::blueprint::Document))
//! decides what runs. Each change reloads the simulation with the document's runnable part (a
//! move only moves the drawing); what cannot run yet is drawn as a ghost with its problem next
//! to it. Selection, gestures and the question about unsaved changes live in [`state`]; the
//! canvas gestures, the files and the browser/desktop storage have their own files.

mod actions;
#[cfg(target_arch = "wasm32")]
mod browser_files;
pub mod canvas;
#[cfg(not(target_arch = "wasm32"))]
mod desktop_files;
mod files;
mod inbox;
mod plugin;
pub mod share;
mod showing;
mod state;
mod sync;
#[cfg(test)]
mod tests;

pub use actions::{
    delete_selection, edit, play_scenario, redo, redo_label, replace_document, set_servers_live,
    step, stop_all_chaos, stop_scenario, undo, undo_label,
};
pub use files::{autosave_text, perform, read_autosave, request, restore_autosave, save, save_to};
pub use inbox::{FileEvent, Inbox};
pub use plugin::EditorPlugin;
pub use showing::{Showing, show_blueprint};
pub use state::{Discarding, Editor, LiveEdit, Selection};
pub use sync::{node_position, place, sync_now};
