//! Marks painted on the canvas (under any window, clipped to the canvas): node labels (moved
//! or shortened where they would overlap), a badge naming the chaos on each target, the
//! selection (an edge along its curve), nodes and edges that cannot run yet (as ghosts) with
//! their problems written next to them, the connection being drawn, and the palette kind being
//! dragged.

use bevy::prelude::*;
use bevy_egui::egui;

use super::canvas_view::CanvasView;
use super::state::UiState;
use crate::blueprint::{Document, Place, Spawned};
use crate::chaos::{ChaosLog, Target};
use crate::editor::{Editor, Selection, node_position};
use crate::sim::{Active, Down, SimClock, UnderChaos, ns_to_s};
use crate::view::{LabelData, edge_points, label_text, other_chaos};

const RED: egui::Color32 = egui::Color32::from_rgb(255, 95, 95);
const SELECT: egui::Color32 = egui::Color32::from_rgb(255, 220, 90);

pub(super) fn show(ctx: &egui::Context, world: &mut World) {
    let Some(doc) = world.get_resource::<Document>().cloned() else {
        return;
    };
    let canvas = world.resource::<UiState>().canvas.0;
    // The background order: under every window and menu; clipped, so never under a panel.
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
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
    let clients = world
        .query::<&crate::sim::Node>()
        .iter(world)
        .filter(|n| n.kind == "client")
        .count();
    let badges = chaos_badges(world);
    let mut labels = world.query::<LabelData>();
    // Whole sizes only: each size is rasterised into the font atlas once.
    let size = (13.0 * scale).round().clamp(9.0, 26.0);
    let font = egui::FontId::monospace(size);
    let mut taken: Vec<egui::Rect> = Vec::new();
    for (entity, node, station, down) in labels.iter(world) {
        let Some(p) = view.to_screen(node.position) else {
            continue;
        };
        let window = last.as_ref().and_then(|w| w.nodes.get(&node.id));
        // A source's load: the run's, when it is the only source.
        let load = match (&last, window) {
            (Some(w), _) if clients == 1 => (w.arrivals as f64, w.throughput),
            (_, Some(n)) => (n.arrivals as f64, n.throughput),
            _ => (0.0, 0.0),
        };
        let load = (node.kind == "client").then_some(load);
        let text = label_text(node, station, window, load, down, chaos.contains(&entity));
        let colour = egui::Color32::from_rgb(235, 240, 247);
        // Below the node; else above it; else only the id (labels must not overlap).
        let below = painter.layout_no_wrap(text.clone(), font.clone(), colour);
        let above_at = p - egui::vec2(0.0, radius + 4.0 + below.size().y);
        let below_at = p + egui::vec2(0.0, radius + 4.0);
        let rect_at = |at: egui::Pos2, size: egui::Vec2| {
            egui::Rect::from_min_size(at - egui::vec2(size.x / 2.0, 0.0), size)
        };
        let free = |r: egui::Rect| !taken.iter().any(|t| t.intersects(r));
        let (galley, at) = if free(rect_at(below_at, below.size())) {
            (below, below_at)
        } else if free(rect_at(above_at, below.size())) {
            (below, above_at)
        } else {
            let short = painter.layout_no_wrap(
                node.id.clone(),
                egui::FontId::monospace((size * 0.85).round().max(9.0)),
                colour,
            );
            (short, below_at)
        };
        let rect = rect_at(at, galley.size());
        taken.push(rect);
        painter.rect_filled(
            rect.expand(2.0),
            3.0,
            egui::Color32::from_rgba_unmultiplied(10, 12, 16, 150),
        );
        painter.galley(rect.min, galley, colour);
        if let Some(kinds) = badges.get(&entity) {
            badge(
                &painter,
                p - egui::vec2(0.0, radius + 8.0),
                &kinds.join(", "),
            );
        }
    }
    let editor = world.resource::<Editor>();
    let screen = |id: &str| node_position(&doc, editor, id).and_then(|p| view.to_screen(p));

    // An edge's curve as drawn, on the screen.
    let curve = |from: &str, to: &str| -> Option<Vec<egui::Pos2>> {
        let a = node_position(&doc, editor, from)?;
        let b = node_position(&doc, editor, to)?;
        edge_points(a, b, 24)
            .into_iter()
            .map(|p| view.to_screen(p))
            .collect()
    };
    // Ghosts: what the document has but the simulation does not run.
    for edge in &doc.blueprint().edges {
        let runs = running.nodes.contains_key(&edge.from) && running.nodes.contains_key(&edge.to);
        if let (false, Some(points)) = (runs, curve(&edge.from, &edge.to)) {
            painter.add(egui::Shape::dashed_line(
                &points,
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
            if let Some(points) = curve(from, to) {
                painter.add(egui::Shape::line(
                    points,
                    egui::Stroke::new(5.0, SELECT.gamma_multiply(0.7)),
                ));
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

/// The chaos kinds active now on each node, from the chaos log's targets.
fn chaos_badges(world: &mut World) -> std::collections::HashMap<Entity, Vec<&'static str>> {
    let now_s = ns_to_s(world.resource::<SimClock>().now_ns);
    let active: Vec<(&'static str, String)> = world
        .resource::<ChaosLog>()
        .injections
        .iter()
        .filter(|i| i.start_s <= now_s && i.end_s.is_none_or(|e| e > now_s))
        .map(|i| (i.name, i.target.clone()))
        .collect();
    let mut badges: std::collections::HashMap<Entity, Vec<&'static str>> = Default::default();
    for (name, target) in active {
        let Some(resolved) = target_of(&target).and_then(|t| t.resolve(world).ok()) else {
            continue;
        };
        // An edge's chaos is marked on its callee (the edge itself turns magenta).
        let mut nodes = resolved.nodes;
        if let Target::Edge(_, to) = target_of(&target).expect("resolved above") {
            nodes.extend(
                world
                    .get_resource::<Spawned>()
                    .and_then(|s| s.nodes.get(&to).copied()),
            );
        }
        for e in nodes {
            let kinds = badges.entry(e).or_default();
            if !kinds.contains(&name) {
                kinds.push(name);
            }
        }
    }
    badges
}

/// A target back from the words the chaos log keeps ("every cache", "app-1->db", ...).
pub(super) fn target_of(words: &str) -> Option<Target> {
    let w = words.trim();
    let form = if let Some(k) = w.strip_prefix("every ") {
        format!("kind:{k}")
    } else if let Some(k) = w.strip_prefix("the first ") {
        format!("first:{k}")
    } else if let Some(z) = w.strip_prefix("zone ") {
        format!("zone:{z}")
    } else if let Some(r) = w.strip_prefix("region ") {
        format!("region:{r}")
    } else if w == "everything" {
        "all".into()
    } else if let Some((a, b)) = w
        .strip_prefix("between ")
        .and_then(|r| r.split_once(" and "))
    {
        format!("{a}|{b}")
    } else {
        w.to_string()
    };
    Target::parse(&form).ok()
}

/// A chaos badge: the kind, white on magenta, centred above `at`.
fn badge(painter: &egui::Painter, at: egui::Pos2, text: &str) {
    let galley = painter.layout_no_wrap(
        format!("chaos: {text}"),
        egui::FontId::proportional(12.5),
        egui::Color32::WHITE,
    );
    let rect = egui::Rect::from_min_size(
        at - egui::vec2(galley.size().x / 2.0, galley.size().y),
        galley.size(),
    );
    painter.rect_filled(rect.expand(3.0), 4.0, egui::Color32::from_rgb(170, 40, 150));
    painter.galley(rect.min, galley, egui::Color32::WHITE);
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
