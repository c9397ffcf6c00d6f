//! The simulation follows the document: a move only moves the drawing; any other change
//! reloads the runnable part, with the editor's seed, traffic and scenario.

use bevy::prelude::*;

use super::showing::{Showing, show_blueprint};
use super::state::Editor;
use crate::blueprint::{Blueprint, Document, Spawned};
use crate::sim::Node;

/// Brings the simulation in line with the document now (not at the next frame).
pub fn sync_now(world: &mut World) {
    sync_simulation(world);
}

/// Brings the simulation in line with the document: a move only moves the nodes; any other
/// change reloads the runnable part (the run starts again, at the same speed and seed).
pub(super) fn sync_simulation(world: &mut World) {
    let Some(doc) = world.get_resource::<Document>() else {
        return;
    };
    let revision = doc.revision();
    if world.resource::<Editor>().synced == Some(revision) {
        return;
    }
    let (mut part, problems) = doc.runnable();
    let label = doc.source.label().to_string();
    let editor = world.resource::<Editor>();
    let (seed, scenario, force) = (
        editor.seed.unwrap_or(1),
        editor.scenario.clone(),
        editor.reload,
    );
    if let Some(rps) = editor.rps.or(scenario.as_ref().and_then(|s| s.rps)) {
        part.set_total_rps(rps);
    }
    let running = world.get_resource::<Showing>().map(|s| s.blueprint.clone());
    let same_model = running
        .as_ref()
        .is_some_and(|r| without_positions(r) == without_positions(&part));
    if same_model && !force {
        move_nodes(world, &part);
        world.resource_mut::<Showing>().blueprint = part;
    } else {
        // A new run: live changes to the old one are gone with it.
        let mut editor = world.resource_mut::<Editor>();
        editor.live_undo.clear();
        editor.live_redo.clear();
        let mut loaded = show_blueprint(world, part, label, seed);
        for injection in scenario.iter().flat_map(|s| &s.timeline) {
            loaded = loaded.and_then(|()| crate::chaos::schedule(world, injection).map(|_| ()));
        }
        if let Err(e) = loaded {
            world.resource_mut::<Editor>().status = Some(e);
        }
    }
    let mut editor = world.resource_mut::<Editor>();
    editor.problems = problems;
    editor.synced = Some(revision);
    editor.reload = false;
}

fn without_positions(bp: &Blueprint) -> Blueprint {
    let mut bp = bp.clone();
    for n in &mut bp.nodes {
        n.position = None;
    }
    bp
}

/// Puts every spawned node (read replicas beside their primary) where `bp` says.
fn move_nodes(world: &mut World, bp: &Blueprint) {
    let Some(spawned) = world.get_resource::<Spawned>().cloned() else {
        return;
    };
    for spec in &bp.nodes {
        let Some((x, y)) = spec.position else {
            continue;
        };
        place(world, &spawned, &spec.id, Vec2::new(x, y));
    }
}

/// Moves node `id` (and its replicas, which sit below it) to `at` in the running world.
pub fn place(world: &mut World, spawned: &Spawned, id: &str, at: Vec2) {
    let replica_prefix = format!("{id}-replica-");
    for (name, &entity) in &spawned.nodes {
        let offset = if name == id {
            Some(0.0)
        } else {
            name.strip_prefix(&replica_prefix)
                .and_then(|k| k.parse::<f32>().ok())
                .map(|k| -90.0 * k)
        };
        if let (Some(dy), Some(mut node)) = (offset, world.get_mut::<Node>(entity)) {
            node.position = at + Vec2::new(0.0, dy);
        }
    }
}

/// Where node `id` is drawn: the drag in progress, else the document's position.
pub fn node_position(doc: &Document, editor: &Editor, id: &str) -> Option<Vec2> {
    if let Some((dragged, at)) = &editor.dragging
        && dragged == id
    {
        return Some(*at);
    }
    doc.blueprint()
        .nodes
        .iter()
        .find(|n| n.id == id)
        .and_then(|n| n.position)
        .map(|(x, y)| Vec2::new(x, y))
}
