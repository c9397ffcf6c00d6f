//! The chaos panel: play a scenario (its timeline from the start); or pick a chaos kind, its
//! target and duration, and inject it now; the active injections, each with a stop button.

use bevy::prelude::*;
use bevy_egui::egui;

use super::UiState;
use crate::chaos::{Chaos, ChaosLog, Injection, Target, schedule, stop};
use crate::editor::{Editor, play_scenario};
use crate::scenario::{BUILTIN_SCENARIOS, Scenario};
use crate::sim::{SimClock, ns_to_s};

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Chaos");
    scenarios(ui, world);
    ui.separator();
    let catalog = Chaos::catalog();
    let mut state = world.resource::<UiState>().clone();
    let (name, family, description, kind) = &catalog[state.chaos_kind.min(catalog.len() - 1)];
    egui::ComboBox::from_id_salt("chaos_kind")
        .selected_text(*name)
        .show_ui(ui, |ui| {
            for (i, (n, f, ..)) in catalog.iter().enumerate() {
                ui.selectable_value(&mut state.chaos_kind, i, format!("{n} ({})", f.name()));
            }
        });
    ui.small(format!("{} - {description}", family.name()));
    ui.horizontal(|ui| {
        ui.label("target");
        ui.add(
            egui::TextEdit::singleline(&mut state.chaos_target)
                .hint_text(kind.default_target().to_string())
                .desired_width(160.0),
        );
    });
    ui.horizontal(|ui| {
        ui.label("duration");
        ui.add(egui::Slider::new(&mut state.chaos_duration_s, 0.0..=300.0).suffix(" s"));
    });
    let now_s = ns_to_s(world.resource::<SimClock>().now_ns);
    if ui.button(format!("Inject {name}")).clicked() {
        let target = if state.chaos_target.trim().is_empty() {
            Ok(None)
        } else {
            Target::parse(&state.chaos_target).map(Some)
        };
        let result = target.and_then(|target| {
            let injection = Injection {
                chaos: kind.clone(),
                target,
                at_s: now_s,
                duration_s: (state.chaos_duration_s > 0.0).then_some(state.chaos_duration_s),
            };
            schedule(world, &injection)
        });
        state.message = result.err();
    }
    ui.separator();
    ui.label("Active");
    let active: Vec<_> = world
        .resource::<ChaosLog>()
        .injections
        .iter()
        .filter(|i| i.end_s.is_none_or(|e| e > now_s))
        .cloned()
        .collect();
    if active.is_empty() {
        ui.small("none");
    }
    for i in active {
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} on {} since {:.0} s",
                i.name, i.target, i.start_s
            ));
            if ui.small_button("stop").clicked() {
                stop(world, i.id);
            }
        });
    }
    *world.resource_mut::<UiState>() = state;
}

/// The built-in scenarios: pick one, read what it does, play it from the start.
fn scenarios(ui: &mut egui::Ui, world: &mut World) {
    let names: Vec<&str> = BUILTIN_SCENARIOS.iter().map(|(n, _)| *n).collect();
    let mut pick = world
        .resource::<UiState>()
        .scenario_pick
        .min(names.len() - 1);
    let playing = world
        .resource::<Editor>()
        .scenario
        .as_ref()
        .map(|s| s.name.clone());
    egui::ComboBox::from_id_salt("scenario")
        .selected_text(names[pick])
        .show_ui(ui, |ui| {
            for (i, n) in names.iter().enumerate() {
                ui.selectable_value(&mut pick, i, *n);
            }
        });
    world.resource_mut::<UiState>().scenario_pick = pick;
    let scenario = Scenario::resolve(names[pick]);
    match &scenario {
        Ok(s) => {
            ui.small(format!("{}: {}", s.title, s.description));
            ui.small(format!("written for the {} blueprint", s.blueprint));
        }
        Err(e) => {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 120), e.to_string());
        }
    }
    ui.horizontal(|ui| {
        if ui.button("Play scenario").clicked()
            && let Ok(s) = scenario
        {
            play_scenario(world, Some(s));
        }
        if let Some(name) = playing {
            ui.small(format!("playing {name}"));
            if ui.small_button("stop").clicked() {
                play_scenario(world, None);
            }
        }
    });
}
