//! The inspector: the selected node's parameters (servers editable live) and its own
//! metrics and error causes.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::app::Showing;
use crate::sim::{MetricsHistory, Node, Station, UNBOUNDED};
use crate::view::camera_selected;

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Inspector");
    let Some(entity) = camera_selected(world) else {
        ui.label("Click a node to inspect it.");
        return;
    };
    let Some(node) = world.get::<Node>(entity).cloned() else {
        return;
    };
    ui.label(egui::RichText::new(format!("{} ({})", node.id, node.kind)).strong());
    if let Some(mut station) = world.get_mut::<Station>(entity)
        && station.servers != UNBOUNDED
    {
        let mut servers = station.servers;
        ui.horizontal(|ui| {
            ui.label("servers");
            if ui
                .add(egui::DragValue::new(&mut servers).range(1..=100_000))
                .changed()
            {
                station.servers = servers;
            }
        });
    }
    if let Some(w) = world
        .resource::<MetricsHistory>()
        .windows
        .last()
        .and_then(|w| w.nodes.get(&node.id))
    {
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
    if let Some(spec) = world
        .get_resource::<Showing>()
        .and_then(|s| s.blueprint.nodes.iter().find(|n| n.id == node.id).cloned())
    {
        ui.collapsing("parameters (RON)", |ui| {
            let text = ron::ser::to_string_pretty(&spec.kind, ron::ser::PrettyConfig::new())
                .unwrap_or_default();
            ui.monospace(text);
        });
    }
}
