//! The inspector: the selected node or edge, its problems, its own metrics and error causes,
//! and its parameters, edited as RON and applied as one undoable change (the run restarts with
//! them; the charts keep what came before). A node's servers can also be changed live, for
//! this run only, and undone like any other change.

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::{KeyButtons, UiState, ron_view};
use crate::blueprint::{Document, EdgeSpec, Spawned, part_from_ron, part_to_ron};
use crate::editor::set_servers_live;
use crate::editor::{Editor, Selection, edit};
use crate::nodes::NodeKind;
use crate::sim::{MetricsHistory, NodeWindow, Station, UNBOUNDED};

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Inspector");
    let selection = world.resource::<Editor>().selection.clone();
    match &selection {
        Selection::None => {
            ui.label("Click a node or an edge to inspect and edit it.");
        }
        Selection::Node(id) => node(ui, world, id),
        Selection::Edge(from, to) => edge(ui, world, from, to),
    }
}

fn node(ui: &mut egui::Ui, world: &mut World, id: &str) {
    let Some(spec) = world
        .resource::<Document>()
        .blueprint()
        .nodes
        .iter()
        .find(|n| n.id == id)
        .cloned()
    else {
        world.resource_mut::<Editor>().selection = Selection::None;
        return;
    };
    ui.label(egui::RichText::new(format!("{} ({})", spec.id, spec.kind.name())).strong());
    problems(ui, world, &Selection::Node(id.to_string()));
    let mut new_id = spec.id.clone();
    ui.horizontal(|ui| {
        ui.label("id");
        let r = ui.add(egui::TextEdit::singleline(&mut new_id).desired_width(140.0));
        if r.lost_focus() && new_id != spec.id {
            let mut renamed = spec.clone();
            renamed.id = new_id.clone();
            edit(world, |doc| doc.set_node(id, renamed));
            if world
                .resource::<Document>()
                .blueprint()
                .nodes
                .iter()
                .any(|n| n.id == new_id)
            {
                world.resource_mut::<Editor>().selection = Selection::Node(new_id.clone());
            }
        }
    });
    let entity = world
        .get_resource::<Spawned>()
        .and_then(|s| s.nodes.get(id).copied());
    if let Some(entity) = entity {
        live_servers(ui, world, entity, id);
        if let Some(w) = last_window(world, id) {
            metrics(ui, &w);
        }
    } else {
        ui.small("Not running (see its problem).");
    }
    let selection = Selection::Node(id.to_string());
    if let Some(text) = params_editor(ui, world, &selection, || ron_view(&part_to_ron(&spec.kind)))
    {
        match part_from_ron::<NodeKind>(&text) {
            Ok(kind) => {
                let mut changed = spec.clone();
                changed.kind = kind;
                edit(world, |doc| doc.set_node(id, changed));
                world.resource_mut::<UiState>().params = None;
            }
            Err(e) => world.resource_mut::<UiState>().params_error = Some(e),
        }
    }
    connect_to(ui, world, id);
    if ui.button("Delete node (Del)").clicked() {
        crate::editor::delete_selection(world);
    }
}

fn edge(ui: &mut egui::Ui, world: &mut World, from: &str, to: &str) {
    let Some(spec) = world
        .resource::<Document>()
        .blueprint()
        .edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .cloned()
    else {
        world.resource_mut::<Editor>().selection = Selection::None;
        return;
    };
    ui.label(egui::RichText::new(format!("{from} -> {to}")).strong());
    let selection = Selection::Edge(from.to_string(), to.to_string());
    problems(ui, world, &selection);
    if let Some(w) = last_window(world, from)
        && let Some(p) = w.pools.get(to)
    {
        ui.monospace(format!(
            "pool {:.1}/{} in use, {:.1} waiting",
            p.in_use, p.size, p.waiters
        ));
    }
    if let Some(w) = last_window(world, to) {
        ui.monospace(format!(
            "{} arrivals/s at {to}, errors {:.2}%",
            w.arrivals,
            w.error_rate * 100.0
        ));
    }
    if let Some(text) = params_editor(ui, world, &selection, || ron_view(&part_to_ron(&spec))) {
        match part_from_ron::<EdgeSpec>(&text) {
            Ok(changed) => {
                edit(world, |doc| doc.set_edge(from, to, changed));
                world.resource_mut::<UiState>().params = None;
            }
            Err(e) => world.resource_mut::<UiState>().params_error = Some(e),
        }
    }
    if ui.button("Delete edge (Del)").clicked() {
        crate::editor::delete_selection(world);
    }
}

/// The problems placed on what is selected.
fn problems(ui: &mut egui::Ui, world: &World, selection: &Selection) {
    let doc = world.resource::<Document>();
    let bp = doc.blueprint();
    for p in &world.resource::<Editor>().problems {
        let on = match (&p.place, selection) {
            (crate::blueprint::Place::Node(i), Selection::Node(id)) => {
                bp.nodes.get(*i).is_some_and(|n| &n.id == id)
            }
            (
                crate::blueprint::Place::Edge(i) | crate::blueprint::Place::EdgeEnd(i, _),
                Selection::Edge(from, to),
            ) => bp
                .edges
                .get(*i)
                .is_some_and(|e| &e.from == from && &e.to == to),
            _ => false,
        };
        if on {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 120), &p.message);
        }
    }
}

/// The RON editor for what is selected; returns the text when the user applies it.
fn params_editor(
    ui: &mut egui::Ui,
    world: &mut World,
    selection: &Selection,
    current: impl FnOnce() -> String,
) -> Option<String> {
    let revision = world.resource::<Document>().revision();
    let mut state = world.resource_mut::<UiState>();
    let stale = !matches!(&state.params, Some((s, r, _)) if s == selection && *r == revision);
    if stale {
        state.params = Some((selection.clone(), revision, current()));
        state.params_error = None;
    }
    let (_, _, text) = state.params.as_mut().expect("just set");
    let mut applied = None;
    ui.collapsing("parameters (RON)", |ui| {
        ui.add(
            egui::TextEdit::multiline(text)
                .code_editor()
                .desired_rows(8)
                .desired_width(f32::INFINITY),
        );
        ui.horizontal(|ui| {
            if ui.button("Apply").clicked() {
                applied = Some(text.clone());
            }
            if ui.button("Revert").clicked() {
                applied = None;
                *text = String::new();
            }
        });
    });
    if text.is_empty() {
        state.params = None;
    }
    if let Some(e) = &state.params_error {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 120), e);
    }
    applied
}

/// Adds an edge from `id` to a node picked from a list.
fn connect_to(ui: &mut egui::Ui, world: &mut World, id: &str) {
    let others: Vec<String> = world
        .resource::<Document>()
        .blueprint()
        .nodes
        .iter()
        .map(|n| n.id.clone())
        .filter(|n| n != id)
        .collect();
    let mut target = None;
    egui::ComboBox::from_id_salt("connect_to")
        .selected_text("Connect to...")
        .show_ui(ui, |ui| {
            for other in &others {
                if ui.selectable_label(false, other).clicked() {
                    target = Some(other.clone());
                }
            }
        });
    if let Some(to) = target {
        edit(world, |doc| doc.connect(id, &to));
    }
}

fn live_servers(ui: &mut egui::Ui, world: &mut World, entity: Entity, id: &str) {
    let Some(station) = world.get::<Station>(entity) else {
        return;
    };
    if station.servers == UNBOUNDED {
        return;
    }
    let mut servers = station.servers;
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label("servers (live, this run)");
        let field = ui.add(egui::DragValue::new(&mut servers).range(1..=100_000));
        world
            .resource_mut::<KeyButtons>()
            .put("servers", field.rect);
        changed = field.changed();
    });
    if changed && let Err(e) = set_servers_live(world, id, servers) {
        world.resource_mut::<Editor>().status = Some(e);
    }
}

fn last_window(world: &World, id: &str) -> Option<NodeWindow> {
    world
        .resource::<MetricsHistory>()
        .windows
        .last()
        .and_then(|w| w.nodes.get(id))
        .cloned()
}

fn metrics(ui: &mut egui::Ui, w: &NodeWindow) {
    egui::Grid::new("node_metrics")
        .num_columns(2)
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.monospace(v);
                ui.end_row();
            };
            row("arrivals/s", format!("{}", w.arrivals));
            row("utilization", format!("{:.0}%", w.utilization * 100.0));
            row(
                "queue",
                format!("{:.1} (max {})", w.queue_depth, w.queue_max),
            );
            row("in flight", format!("{:.1}", w.in_flight));
            row(
                "p50 / p99",
                format!("{:.1} / {:.1} ms", w.latency.p50_ms, w.latency.p99_ms),
            );
            row("error rate", format!("{:.2}%", w.error_rate * 100.0));
            for (cause, n) in &w.errors {
                row(&format!("  {cause}"), format!("{n}"));
            }
            for (to, p) in &w.pools {
                row(
                    &format!("pool -> {to}"),
                    format!("{:.1}/{} ({:.1} waiting)", p.in_use, p.size, p.waiters),
                );
            }
            if let Some(h) = w.hit_rate {
                row("hit rate", format!("{:.1}%", h * 100.0));
            }
            if let Some(l) = w.replication_lag_ms {
                row("replication lag", format!("{l:.0} ms"));
            }
            if let Some(l) = w.consumer_lag_ms {
                row("consumer lag", format!("{l:.0} ms"));
            }
        });
}
