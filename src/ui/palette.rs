//! The palette: every node kind, dragged onto the canvas (or clicked, to add it in the
//! middle); how to connect, move and delete; and the blueprint's problems, each a click away
//! from what is wrong.

use bevy::prelude::*;
use bevy_egui::egui;

use super::canvas_view::CanvasView;
use super::state::{KeyButtons, UiState};
use crate::blueprint::{Document, Place};
use crate::editor::{Editor, Selection};
use crate::nodes::NodeKind;

const HELP: &str = "Drag a kind onto the canvas (or click it to add one in the middle). \
Drag a node to move it; Shift-drag from a node to another to connect them. Click a node or an \
edge to edit it; Delete removes it. Ctrl+Z undo, Ctrl+Shift+Z redo, Ctrl+S save.";

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Add");
    let mut drop = None;
    for kind in NodeKind::palette() {
        let name = kind.name();
        let response = ui
            .add(egui::Button::new(name.replace('_', " ")).sense(egui::Sense::click_and_drag()))
            .on_hover_text(kind.about());
        world
            .resource_mut::<KeyButtons>()
            .put(format!("palette:{name}"), response.rect);
        if response.drag_started() {
            world.resource_mut::<Editor>().placing = Some(name);
        }
        if response.drag_stopped() {
            world.resource_mut::<Editor>().placing = None;
            let canvas = world.resource::<UiState>().canvas.0;
            if let Some(p) = response
                .interact_pointer_pos()
                .or(ui.ctx().pointer_latest_pos())
                && canvas.contains(p)
            {
                drop = Some((name, Vec2::new(p.x, p.y)));
            }
        }
        if response.clicked() {
            let centre = world.resource::<UiState>().canvas.0.center();
            drop = Some((name, Vec2::new(centre.x, centre.y)));
        }
    }
    if let Some((kind, screen)) = drop
        && let Some(at) = CanvasView::of(world).and_then(|v| v.to_world(screen))
    {
        let taken: Vec<Vec2> = world
            .resource::<Document>()
            .blueprint()
            .nodes
            .iter()
            .filter_map(|n| n.position.map(|(x, y)| Vec2::new(x, y)))
            .collect();
        let at = free_spot(at, &taken);
        let added = world.resource_mut::<Document>().add_node(kind, at.round());
        let mut editor = world.resource_mut::<Editor>();
        match added {
            Ok(id) => editor.selection = Selection::Node(id),
            Err(e) => editor.status = Some(e),
        }
    }
    ui.separator();
    ui.small(HELP);
    problems(ui, world);
}

/// Least distance between a new node's centre and another's (a node is drawn 68 wide, with its
/// label below).
const SPACING: f32 = 130.0;

/// The nearest spot to `wanted` at least [`SPACING`] from every node in `taken`: `wanted`
/// itself if free, else the first free one on rings around it.
pub fn free_spot(wanted: Vec2, taken: &[Vec2]) -> Vec2 {
    let free = |p: Vec2| taken.iter().all(|t| t.distance(p) >= SPACING);
    if free(wanted) {
        return wanted;
    }
    for ring in 1..20 {
        let r = ring as f32 * SPACING * 0.75;
        let steps = 8 * ring;
        for k in 0..steps {
            let a = k as f32 / steps as f32 * std::f32::consts::TAU;
            let p = wanted + Vec2::new(a.cos(), a.sin()) * r;
            if free(p) {
                return p;
            }
        }
    }
    wanted
}

fn problems(ui: &mut egui::Ui, world: &mut World) {
    let Some(doc) = world.get_resource::<Document>() else {
        return;
    };
    let editor = world.resource::<Editor>();
    if editor.problems.is_empty() {
        return;
    }
    ui.separator();
    ui.colored_label(
        egui::Color32::from_rgb(255, 120, 120),
        format!(
            "{} problem(s): what has one does not run",
            editor.problems.len()
        ),
    );
    let mut pick = None;
    for p in &editor.problems {
        let target = match &p.place {
            Place::Node(i) => doc
                .blueprint()
                .nodes
                .get(*i)
                .map(|n| Selection::Node(n.id.clone())),
            Place::Edge(i) | Place::EdgeEnd(i, _) => doc
                .blueprint()
                .edges
                .get(*i)
                .map(|e| Selection::Edge(e.from.clone(), e.to.clone())),
            Place::Blueprint => None,
        };
        if ui
            .selectable_label(false, egui::RichText::new(&p.message).small())
            .clicked()
        {
            pick = target;
        }
    }
    if let Some(selection) = pick {
        world.resource_mut::<Editor>().selection = selection;
    }
}

#[cfg(test)]
mod tests {
    use bevy::prelude::*;

    use super::{SPACING, free_spot};

    #[test]
    fn a_node_added_by_click_does_not_land_on_another() {
        let taken = [Vec2::ZERO, Vec2::new(100.0, 0.0), Vec2::new(0.0, 100.0)];
        assert_eq!(
            free_spot(Vec2::new(500.0, 500.0), &taken),
            Vec2::new(500.0, 500.0)
        );
        let spot = free_spot(Vec2::new(10.0, 10.0), &taken);
        for t in taken {
            assert!(t.distance(spot) >= SPACING, "{spot} too near {t}");
        }
        assert!(
            spot.distance(Vec2::new(10.0, 10.0)) < 4.0 * SPACING,
            "nearby: {spot}"
        );
    }
}
