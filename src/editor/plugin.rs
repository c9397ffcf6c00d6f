//! The editor's plugin: its state, the simulation following the document, the canvas
//! gestures, the files, and what the camera needs to know from it.

use bevy::prelude::*;

use super::state::Editor;
use super::sync::sync_simulation;
use super::{canvas, files};
use crate::view::{CameraCues, ViewSystems};

/// The editor: document, selection, gestures, files.
pub struct EditorPlugin;

impl Plugin for EditorPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Editor>()
            .add_systems(Update, sync_simulation)
            .add_systems(Update, cue_camera.before(ViewSystems::Camera))
            .add_plugins((canvas::plugin, files::plugin));
    }
}

/// Tells the camera whether a gesture holds the pointer (no panning then) and how many
/// documents were opened (it fits each new one).
fn cue_camera(editor: Res<Editor>, mut cues: ResMut<CameraCues>) {
    let next = CameraCues {
        pointer_held: editor.holds_pointer(),
        opened: editor.opened,
    };
    if *cues != next {
        *cues = next;
    }
}
