//! The top bar: blueprint name, play/pause/step, speed (slow motion to as fast as the machine
//! allows), traffic, the simulated clock, and the live end-to-end numbers.

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::UiState;
use crate::blueprint::Document;
use crate::editor::{Discarding, Editor, request, save};
use crate::nodes::client::Client;
use crate::sim::{MetricsHistory, Model, SimClock, ns_to_s};
use crate::view::ParticleStats;

/// Makes a link to what is running now, where the platform can (the browser's page plugin
/// inserts it; natively there is none and the button is not shown).
#[derive(Resource, Clone, Copy)]
pub struct ShareLink(pub fn(&World) -> Result<String, String>);

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.horizontal(|ui| {
        file_buttons(ui, world);
        ui.separator();
        ui.separator();
        let mut clock = world.resource::<SimClock>().clone();
        if ui
            .button(if clock.paused { "Play" } else { "Pause" })
            .clicked()
        {
            clock.paused = !clock.paused;
        }
        if ui.button("Step").clicked() {
            clock.paused = true;
            clock.step_requested = true;
        }
        ui.label("speed");
        ui.add(
            egui::Slider::new(&mut clock.speed, 0.1..=50.0)
                .logarithmic(true)
                .suffix("x"),
        );
        {
            let mut c = world.resource_mut::<SimClock>();
            c.paused = clock.paused;
            c.step_requested |= clock.step_requested;
            c.speed = clock.speed;
        }
        ui.separator();
        traffic(ui, world);
        ui.separator();
        ui.monospace(format!(
            "t = {:.1} s",
            ns_to_s(world.resource::<SimClock>().now_ns)
        ))
        .on_hover_text("simulated time");
        let ratio = world.resource::<crate::view::RealTimeRatio>().0;
        ui.monospace(format!("{ratio:.2}x real time"))
            .on_hover_text("simulated seconds per second of wall time, over the last second");
        let history = world.resource::<MetricsHistory>();
        if let Some(w) = history.windows.last() {
            ui.separator();
            ui.monospace(format!(
                "{:.0}/s  errors {:.2}%  p50 {:.1} ms  p99 {:.1} ms",
                w.throughput,
                w.error_rate * 100.0,
                w.latency.p50_ms,
                w.latency.p99_ms
            ));
        }
        let p = *world.resource::<ParticleStats>();
        ui.separator();
        ui.small(format!(
            "{} calls in flight, 1 in {} drawn",
            p.in_flight, p.sample
        ));
    });
    let message = world.resource::<UiState>().message.clone();
    let status = world.resource::<Editor>().status.clone();
    if let Some(message) = message.or(status) {
        ui.colored_label(egui::Color32::from_rgb(255, 170, 120), message);
    }
}

/// The blueprint's name (starred when changed), the built-ins, and New, Open, Save, Save As,
/// Undo, Redo.
fn file_buttons(ui: &mut egui::Ui, world: &mut World) {
    let Some(doc) = world.get_resource::<Document>() else {
        return;
    };
    let dirty = if doc.is_dirty() { "*" } else { "" };
    let title = format!("{}{dirty}", doc.blueprint().name);
    let source = doc.source.label().to_string();
    let undo = doc.undo_label().map(|l| format!("Undo {l} (Ctrl+Z)"));
    let redo = doc.redo_label().map(|l| format!("Redo {l} (Ctrl+Shift+Z)"));
    ui.heading(title).on_hover_text(source);
    if ui.button("Blueprints...").clicked() {
        world.resource_mut::<UiState>().gallery_open = true;
    }
    ui.menu_button("File", |ui| {
        if ui.button("New").clicked() {
            request(world, Discarding::New);
        }
        if ui.button(OPEN).clicked() {
            request(world, Discarding::Open);
        }
        if ui.button(SAVE).clicked() {
            save(world, false);
        }
        if ui.button(SAVE_AS).clicked() {
            save(world, true);
        }
    });
    let share = world.get_resource::<ShareLink>().map(|s| s.0);
    if let Some(share) = share
        && ui
            .button("Share link")
            .on_hover_text("A link to this blueprint, scenario and seed (copied)")
            .clicked()
    {
        let link = share(world);
        let message = match link {
            Ok(link) => {
                ui.ctx().copy_text(link.clone());
                format!("share link (copied): {link}")
            }
            Err(e) => e,
        };
        world.resource_mut::<UiState>().message = Some(message);
    }
    if ui
        .add_enabled(undo.is_some(), egui::Button::new("Undo"))
        .on_hover_text(undo.unwrap_or_default())
        .clicked()
    {
        crate::editor::undo(world);
    }
    if ui
        .add_enabled(redo.is_some(), egui::Button::new("Redo"))
        .on_hover_text(redo.unwrap_or_default())
        .clicked()
    {
        crate::editor::redo(world);
    }
}

#[cfg(not(target_arch = "wasm32"))]
const OPEN: &str = "Open...";
#[cfg(target_arch = "wasm32")]
const OPEN: &str = "Upload...";
#[cfg(not(target_arch = "wasm32"))]
const SAVE: &str = "Save";
#[cfg(target_arch = "wasm32")]
const SAVE: &str = "Download";
#[cfg(not(target_arch = "wasm32"))]
const SAVE_AS: &str = "Save as...";
#[cfg(target_arch = "wasm32")]
const SAVE_AS: &str = "Download as...";

/// The traffic: changed live on the running source, and kept for later reloads (and links).
fn traffic(ui: &mut egui::Ui, world: &mut World) {
    let mut changed = None;
    let mut models = world.query::<&mut Model>();
    for mut model in models.iter_mut(world) {
        if let Some(client) = model.0.as_any_mut().downcast_mut::<Client>() {
            ui.label("RPS");
            let mut rps = client.params.rps;
            if ui
                .add(
                    egui::DragValue::new(&mut rps)
                        .speed(50.0)
                        .range(1.0..=1_000_000.0),
                )
                .changed()
            {
                client.params.rps = rps;
                changed = Some(rps);
            }
            break;
        }
    }
    if changed.is_some() {
        let total: f64 = world
            .query::<&Model>()
            .iter(world)
            .filter_map(|m| m.0.as_any().downcast_ref::<Client>())
            .map(|c| c.params.rps)
            .sum();
        world.resource_mut::<crate::editor::Editor>().rps = Some(total);
    }
}
