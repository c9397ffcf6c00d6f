//! What the user does to the document and the run: open another document, play a scenario,
//! undo, redo, edit, delete. Each is a function of the world, called by the canvas, the keys
//! and the panels.

use bevy::prelude::*;

use super::state::{Editor, Selection};
use super::sync::sync_now;
use crate::blueprint::Document;

/// Opens `doc` in place of the current one (the caller asked about unsaved changes).
pub fn replace_document(world: &mut World, doc: Document) {
    world.insert_resource(doc);
    let mut editor = world.resource_mut::<Editor>();
    editor.selection = Selection::None;
    editor.opened += 1;
    editor.synced = None;
    editor.reload = true;
    editor.dragging = None;
    editor.connecting = None;
}

/// Plays `scenario` (or none) from the start: the run reloads with its traffic and timeline.
pub fn play_scenario(world: &mut World, scenario: Option<crate::scenario::Scenario>) {
    let mut editor = world.resource_mut::<Editor>();
    editor.scenario = scenario;
    editor.synced = None;
    editor.reload = true;
    sync_now(world);
}

/// Undoes the last change and says what it was.
pub fn undo(world: &mut World) {
    let done = world.resource_mut::<Document>().undo();
    world.resource_mut::<Editor>().status = Some(match done {
        Some(label) => format!("undid: {label}"),
        None => "nothing to undo".into(),
    });
}

/// Redoes the last undone change and says what it was.
pub fn redo(world: &mut World) {
    let done = world.resource_mut::<Document>().redo();
    world.resource_mut::<Editor>().status = Some(match done {
        Some(label) => format!("redid: {label}"),
        None => "nothing to redo".into(),
    });
}

/// Applies an edit to the document, reporting a refusal in the status line.
pub fn edit(world: &mut World, change: impl FnOnce(&mut Document) -> Result<(), String>) {
    let result = change(&mut world.resource_mut::<Document>());
    if let Err(e) = result {
        world.resource_mut::<Editor>().status = Some(e);
    }
}

/// Deletes what is selected.
pub fn delete_selection(world: &mut World) {
    let selection = std::mem::take(&mut world.resource_mut::<Editor>().selection);
    edit(world, |doc| match &selection {
        Selection::Node(id) => doc.delete_node(id),
        Selection::Edge(from, to) => doc.delete_edge(from, to),
        Selection::None => Ok(()),
    });
}
