//! What the user does to the document and the run: open another document, play a scenario,
//! undo, redo, edit, delete. Each is a function of the world, called by the canvas, the keys
//! and the panels.

use bevy::prelude::*;

use super::state::{Editor, LiveEdit, Selection};
use super::sync::sync_now;
use crate::blueprint::{Document, Spawned};
use crate::chaos::{ChaosLog, stop};
use crate::sim::{NS_PER_S, Nanos, ScheduledEdits, SimClock, Station, UNBOUNDED, ns_to_s};

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

/// Plays `scenario` from the start: the run reloads with its traffic and timeline.
pub fn play_scenario(world: &mut World, scenario: crate::scenario::Scenario) {
    let mut editor = world.resource_mut::<Editor>();
    editor.scenario = Some(scenario);
    editor.synced = None;
    editor.reload = true;
    sync_now(world);
}

/// Stops the scenario playing without restarting the run: its injections are lifted now, and
/// those not started yet are lifted the moment they start. Later reloads play no scenario.
pub fn stop_scenario(world: &mut World) {
    world.resource_mut::<Editor>().scenario = None;
    stop_all_chaos(world);
}

/// Lifts every injection that is active or still to come, keeping the run going.
pub fn stop_all_chaos(world: &mut World) {
    let now = world.resource::<SimClock>().now_ns;
    let pending: Vec<_> = world
        .resource::<ChaosLog>()
        .injections
        .iter()
        .filter(|i| i.end_s.is_none_or(|e| e > ns_to_s(now)))
        .map(|i| (i.id, i.start_s))
        .collect();
    for (id, start_s) in pending {
        stop(world, id);
        let start_ns = (start_s * NS_PER_S as f64).round() as Nanos;
        if start_ns > now {
            // Scheduled after its start's own edits at that instant: lifted as it starts.
            world
                .resource_mut::<ScheduledEdits>()
                .at(start_ns, move |world: &mut World| stop(world, id));
        }
    }
}

/// Advances a paused run by one step of simulated time: 100 ms, or 10 ms when `fine`.
pub fn step(world: &mut World, fine: bool) {
    let step_ns = if fine { NS_PER_S / 100 } else { NS_PER_S / 10 };
    let mut clock = world.resource_mut::<SimClock>();
    clock.paused = true;
    clock.horizon_ns = clock.horizon_ns.max(clock.now_ns) + step_ns;
}

/// Changes node `id`'s servers in the running simulation only (the document keeps its
/// parameters); undo takes it back.
pub fn set_servers_live(world: &mut World, id: &str, servers: u32) -> Result<(), String> {
    let entity = world
        .get_resource::<Spawned>()
        .and_then(|s| s.nodes.get(id).copied())
        .ok_or_else(|| format!("{id} is not running"))?;
    let mut station = world
        .get_mut::<Station>(entity)
        .ok_or_else(|| format!("{id} has no servers"))?;
    if station.servers == UNBOUNDED {
        return Err(format!("{id} has no limit on its servers"));
    }
    let before = station.servers;
    if before == servers {
        return Ok(());
    }
    station.servers = servers;
    let revision = world.resource::<Document>().revision();
    let mut editor = world.resource_mut::<Editor>();
    editor.live_redo.clear();
    // Dragging a number makes many steps: one undo takes back the whole drag.
    match editor.live_undo.last_mut() {
        Some(last) if last.node == id && last.revision == revision => last.after = servers,
        _ => editor.live_undo.push(LiveEdit {
            node: id.to_string(),
            before,
            after: servers,
            revision,
        }),
    }
    Ok(())
}

/// Sets a live edit's servers (`after` when redoing, `before` when undoing).
fn apply_live(world: &mut World, edit: &LiveEdit, servers: u32) {
    let entity = world
        .get_resource::<Spawned>()
        .and_then(|s| s.nodes.get(&edit.node).copied());
    if let Some(mut station) = entity.and_then(|e| world.get_mut::<Station>(e)) {
        station.servers = servers;
    }
}

/// The newest live edit, if nothing in the document changed after it.
fn live_top(world: &World, redo: bool) -> Option<LiveEdit> {
    let revision = world.resource::<Document>().revision();
    let editor = world.resource::<Editor>();
    let stack = if redo {
        &editor.live_redo
    } else {
        &editor.live_undo
    };
    stack.last().filter(|e| e.revision == revision).cloned()
}

/// What undo would take back, if anything.
pub fn undo_label(world: &World) -> Option<String> {
    live_top(world, false)
        .map(|e| e.label())
        .or_else(|| world.resource::<Document>().undo_label().map(String::from))
}

/// What redo would make again, if anything.
pub fn redo_label(world: &World) -> Option<String> {
    live_top(world, true)
        .map(|e| e.label())
        .or_else(|| world.resource::<Document>().redo_label().map(String::from))
}

/// Undoes the last change (a live one, or the document's) and says what it was.
pub fn undo(world: &mut World) {
    let done = if let Some(edit) = live_top(world, false) {
        apply_live(world, &edit, edit.before);
        let mut editor = world.resource_mut::<Editor>();
        editor.live_undo.pop();
        editor.live_redo.push(edit.clone());
        Some(edit.label())
    } else {
        world.resource_mut::<Document>().undo()
    };
    world.resource_mut::<Editor>().status = Some(match done {
        Some(label) => format!("undid: {label}"),
        None => "nothing to undo".into(),
    });
}

/// Redoes the last undone change and says what it was.
pub fn redo(world: &mut World) {
    let done = if let Some(edit) = live_top(world, true) {
        apply_live(world, &edit, edit.after);
        let mut editor = world.resource_mut::<Editor>();
        editor.live_redo.pop();
        editor.live_undo.push(edit.clone());
        Some(edit.label())
    } else {
        world.resource_mut::<Document>().redo()
    };
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
