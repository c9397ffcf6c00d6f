//! The top bar: blueprint name, play/pause/step, speed (slow motion to as fast as the machine
//! allows), traffic, the simulated clock, and the live end-to-end numbers.

use bevy::prelude::*;
use bevy_egui::egui;

use super::UiState;
use crate::app::Showing;
use crate::nodes::client::Client;
use crate::sim::{MetricsHistory, Model, SimClock, ns_to_s};
use crate::view::ParticleStats;

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.horizontal(|ui| {
        let name = world
            .get_resource::<Showing>()
            .map_or("-".to_string(), |s| s.blueprint.name.clone());
        ui.heading(format!("Blast Radius: {name}"));
        if ui.button("Blueprints...").clicked() {
            world.resource_mut::<UiState>().browser_open = true;
        }
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
        ));
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
    if let Some(message) = world.resource::<UiState>().message.clone() {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 120), message);
    }
}

fn traffic(ui: &mut egui::Ui, world: &mut World) {
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
            }
            break;
        }
    }
}
