//! Marks painted over the canvas: the selection, nodes and edges that cannot run yet (as
//! ghosts) with their problems written next to them, the connection being drawn, and the
//! palette kind being dragged.

use bevy::prelude::*;
use bevy_egui::egui;

use super::canvas_view::CanvasView;
use super::state::UiState;
use crate::blueprint::{Document, Place, Spawned};
use crate::editor::{Editor, Selection, node_position};
use crate::sim::{Active, Down, UnderChaos};
use crate::view::{LabelData, label_text, other_chaos};

const RED: egui::Color32 = egui::Color32::from_rgb(255, 95, 95);
const SELECT: egui::Color32 = egui::Color32::from_rgb(255, 220, 90);

pub(super) fn show(ctx: &egui::Context, world: &mut World) {
    let Some(doc) = world.get_resource::<Document>().cloned() else {
        return;
    };
    let canvas = world.resource::<UiState>().canvas.0;
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Middle,
            egui::Id::new("canvas_marks"),
        ))
        .with_clip_rect(canvas);
    let Some(view) = CanvasView::of(world) else {
        return;
    };
    let scale = view.pixels_per_unit();
    let running = world.get_resource::<Spawned>().cloned().unwrap_or_default();
    let radius = 34.0 * scale;
    // Labels under the running nodes, sized with the zoom (readable on a projector).
    let last = world
        .resource::<crate::sim::MetricsHistory>()
        .windows
        .last()
        .cloned();
    let chaos: Vec<Entity> = world
        .query::<(Entity, Option<&UnderChaos>, Option<&Active<Down>>)>()
        .iter(world)
        .filter(|(_, under, down)| other_chaos(*under, *down) > 0)
        .map(|(e, ..)| e)
        .collect();
    let mut labels = world.query::<LabelData>();
    // Whole sizes only: each size is rasterised into the font atlas once.
    let font = egui::FontId::monospace((13.0 * scale).round().clamp(9.0, 26.0));
    for (entity, node, station, down) in labels.iter(world) {
        let Some(p) = view.to_screen(node.position) else {
            continue;
        };
        let window = last.as_ref().and_then(|w| w.nodes.get(&node.id));
        painter.text(
            p + egui::vec2(0.0, radius + 4.0),
            egui::Align2::CENTER_TOP,
            label_text(node, station, window, down, chaos.contains(&entity)),
            font.clone(),
            egui::Color32::from_rgb(235, 240, 247),
        );
    }
    let editor = world.resource::<Editor>();
    let screen = |id: &str| node_position(&doc, editor, id).and_then(|p| view.to_screen(p));

    // Ghosts: what the document has but the simulation does not run.
    for edge in &doc.blueprint().edges {
        let runs = running.nodes.contains_key(&edge.from) && running.nodes.contains_key(&edge.to);
        if let (false, Some(a), Some(b)) = (runs, screen(&edge.from), screen(&edge.to)) {
            painter.add(egui::Shape::dashed_line(
                &[a, b],
                egui::Stroke::new(2.0, RED),
                8.0,
                6.0,
            ));
        }
    }
    for node in &doc.blueprint().nodes {
        if running.nodes.contains_key(&node.id) {
            continue;
        }
        if let Some(p) = screen(&node.id) {
            painter.circle(
                p,
                radius,
                egui::Color32::from_rgba_unmultiplied(90, 30, 30, 160),
                egui::Stroke::new(2.0, RED),
            );
            painter.text(
                p,
                egui::Align2::CENTER_CENTER,
                format!("{}\n{}", node.id, node.kind.name()),
                egui::FontId::proportional(13.0),
                egui::Color32::WHITE,
            );
        }
    }
    // The selection.
    match &editor.selection {
        Selection::Node(id) => {
            if let Some(p) = screen(id) {
                painter.circle_stroke(p, radius + 6.0, egui::Stroke::new(3.0, SELECT));
            }
        }
        Selection::Edge(from, to) => {
            if let (Some(a), Some(b)) = (screen(from), screen(to)) {
                painter.line_segment([a, b], egui::Stroke::new(4.0, SELECT.gamma_multiply(0.6)));
            }
        }
        Selection::None => {}
    }
    // Problems, next to what is wrong.
    for problem in &editor.problems {
        let at = match &problem.place {
            Place::Node(i) => doc
                .blueprint()
                .nodes
                .get(*i)
                .and_then(|n| screen(&n.id))
                .map(|p| p + egui::vec2(radius + 8.0, -radius)),
            Place::Edge(i) | Place::EdgeEnd(i, _) => doc.blueprint().edges.get(*i).and_then(|e| {
                let (a, b) = (screen(&e.from)?, screen(&e.to)?);
                Some(a.lerp(b, 0.5) + egui::vec2(6.0, 6.0))
            }),
            Place::Blueprint => Some(canvas.left_top() + egui::vec2(12.0, 12.0)),
        };
        if let Some(at) = at {
            label(&painter, at, &problem.message);
        }
    }
    // Gestures in progress.
    if let Some((from, to)) = &editor.connecting
        && let (Some(a), Some(b)) = (screen(from), view.to_screen(*to))
    {
        painter.arrow(a, b - a, egui::Stroke::new(2.5, SELECT));
    }
    if let (Some(kind), Some(p)) = (editor.placing, ctx.pointer_latest_pos()) {
        painter.circle_stroke(p, radius, egui::Stroke::new(2.0, SELECT));
        painter.text(
            p,
            egui::Align2::CENTER_CENTER,
            kind.replace('_', " "),
            egui::FontId::proportional(13.0),
            SELECT,
        );
    }
}

/// A problem's note: white text on dark red, wrapped.
fn label(painter: &egui::Painter, at: egui::Pos2, text: &str) {
    let galley = painter.layout(
        text.to_string(),
        egui::FontId::proportional(12.5),
        egui::Color32::WHITE,
        280.0,
    );
    let rect = egui::Rect::from_min_size(at, galley.size()).expand(4.0);
    painter.rect_filled(
        rect,
        4.0,
        egui::Color32::from_rgba_unmultiplied(120, 20, 20, 230),
    );
    painter.galley(at, galley, egui::Color32::WHITE);
}
