//! Gestures on the canvas: click to select a node or an edge, drag a node to move it,
//! Shift-drag from one node to another to connect them; the keyboard's Delete, undo/redo and
//! file shortcuts. Every change goes through the document (one undo step per gesture).

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::actions::{delete_selection, edit, redo, undo};
use super::files::{request, save};
use super::state::{Discarding, Editor, Selection};
use super::sync::{node_position, place, sync_simulation};
use crate::blueprint::{Document, Spawned};
use crate::view::{CanvasArea, ViewCamera, edge_points};

/// How close (world units) a click must be to a node's centre to hit it.
const NODE_HIT: f32 = 40.0;
/// How close a click must be to an edge's line to hit it.
const EDGE_HIT: f32 = 10.0;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, (pointer, keyboard).chain().before(sync_simulation));
}

/// Where the pointer is: on the screen (logical pixels) and in world coordinates.
pub fn cursor_world(world: &mut World) -> Option<(Vec2, Vec2)> {
    let cursor = world
        .query_filtered::<&Window, With<PrimaryWindow>>()
        .single(world)
        .ok()?
        .cursor_position()?;
    let (camera, transform) = world
        .query_filtered::<(&Camera, &GlobalTransform), With<ViewCamera>>()
        .single(world)
        .ok()?;
    Some((cursor, camera.viewport_to_world_2d(transform, cursor).ok()?))
}

/// The node drawn nearest to `at`, if close enough.
pub fn node_at(doc: &Document, editor: &Editor, at: Vec2) -> Option<String> {
    doc.blueprint()
        .nodes
        .iter()
        .filter_map(|n| {
            Some((
                n.id.clone(),
                node_position(doc, editor, &n.id)?.distance(at),
            ))
        })
        .filter(|(_, d)| *d < NODE_HIT)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// The edge drawn nearest to `at` (measured to its curve, as drawn), if close enough.
pub fn edge_at(doc: &Document, editor: &Editor, at: Vec2) -> Option<(String, String)> {
    doc.blueprint()
        .edges
        .iter()
        .filter_map(|e| {
            let a = node_position(doc, editor, &e.from)?;
            let b = node_position(doc, editor, &e.to)?;
            let d = edge_points(a, b, 24)
                .windows(2)
                .map(|s| distance_to_segment(at, s[0], s[1]))
                .fold(f32::MAX, f32::min);
            Some(((e.from.clone(), e.to.clone()), d))
        })
        .filter(|(_, d)| *d < EDGE_HIT)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(e, _)| e)
}

fn distance_to_segment(p: Vec2, a: Vec2, b: Vec2) -> f32 {
    let ab = b - a;
    let t = ((p - a).dot(ab) / ab.length_squared().max(1e-6)).clamp(0.0, 1.0);
    (a + ab * t).distance(p)
}

fn pointer(world: &mut World) {
    if world.get_resource::<Document>().is_none() {
        return;
    }
    let Some((screen, cursor)) = cursor_world(world) else {
        return;
    };
    // Decided now, from where the press is, not from last frame's hover.
    let on_canvas = world
        .get_resource::<CanvasArea>()
        .is_none_or(|area| area.owns(screen));
    let mouse = world.resource::<ButtonInput<MouseButton>>();
    let (pressed, held, released) = (
        mouse.just_pressed(MouseButton::Left),
        mouse.pressed(MouseButton::Left),
        mouse.just_released(MouseButton::Left),
    );
    let keys = world.resource::<ButtonInput<KeyCode>>();
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let spawned = world.get_resource::<Spawned>().cloned().unwrap_or_default();
    world.resource_scope(|world, mut editor: Mut<Editor>| {
        let doc = world.resource::<Document>();
        if pressed && on_canvas {
            editor.press = Some(cursor);
            if let Some(id) = node_at(doc, &editor, cursor) {
                let at = node_position(doc, &editor, &id).unwrap_or(cursor);
                editor.selection = Selection::Node(id.clone());
                if shift {
                    editor.connecting = Some((id, cursor));
                } else {
                    editor.grab = cursor - at;
                    editor.dragging = Some((id, at));
                }
            } else if let Some((from, to)) = edge_at(doc, &editor, cursor) {
                editor.selection = Selection::Edge(from, to);
            }
        }
        if held {
            let grab = editor.grab;
            if let Some((id, at)) = &mut editor.dragging {
                *at = cursor - grab;
                let (id, at) = (id.clone(), *at);
                place(world, &spawned, &id, at);
            }
            if let Some((_, to)) = &mut editor.connecting {
                *to = cursor;
            }
        }
        if released {
            let doc = world.resource::<Document>();
            let moved = editor.press.is_some_and(|p| p.distance(cursor) > 3.0);
            let clicked_empty = !moved
                && editor.press.is_some()
                && node_at(doc, &editor, cursor).is_none()
                && edge_at(doc, &editor, cursor).is_none();
            if clicked_empty {
                editor.selection = Selection::None;
            }
            let target = node_at(doc, &editor, cursor);
            if let Some((id, at)) = editor.dragging.take()
                && moved
            {
                edit(world, |doc| doc.move_node(&id, at));
            }
            if let Some((from, _)) = editor.connecting.take()
                && let Some(to) = target.filter(|t| *t != from)
            {
                edit(world, |doc| doc.connect(&from, &to));
                editor.selection = Selection::Edge(from, to);
            }
            editor.press = None;
        }
    });
}

fn keyboard(world: &mut World) {
    let typing = world
        .get_resource::<EguiWantsInput>()
        .is_some_and(|e| e.wants_any_keyboard_input());
    if typing || world.get_resource::<Document>().is_none() {
        return;
    }
    let keys = world.resource::<ButtonInput<KeyCode>>();
    let ctrl = keys.any_pressed([
        KeyCode::ControlLeft,
        KeyCode::ControlRight,
        KeyCode::SuperLeft,
        KeyCode::SuperRight,
    ]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let just = |k: KeyCode| keys.just_pressed(k);
    let delete = just(KeyCode::Delete) || just(KeyCode::Backspace);
    let (z, y, s, o, n, escape) = (
        just(KeyCode::KeyZ),
        just(KeyCode::KeyY),
        just(KeyCode::KeyS),
        just(KeyCode::KeyO),
        just(KeyCode::KeyN),
        just(KeyCode::Escape),
    );
    if delete {
        delete_selection(world);
    } else if ctrl && ((z && shift) || y) {
        redo(world);
    } else if ctrl && z {
        undo(world);
    } else if ctrl && s {
        save(world, shift);
    } else if ctrl && o {
        request(world, Discarding::Open);
    } else if ctrl && n {
        request(world, Discarding::New);
    } else if escape {
        let mut editor = world.resource_mut::<Editor>();
        editor.selection = Selection::None;
        editor.connecting = None;
        editor.placing = None;
    }
}
