//! The chaos panel: play a scenario (its timeline from the start); or pick a chaos kind, its
//! target and duration, and inject it now; the active injections, each with a stop button.

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::{KeyButtons, UiState};
use crate::blueprint::{Document, Source, part_from_ron, part_to_ron};
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
    if state
        .chaos_params
        .as_ref()
        .is_none_or(|(k, _)| *k != state.chaos_kind)
    {
        state.chaos_params = Some((state.chaos_kind, part_to_ron(kind)));
    }
    let now_s = ns_to_s(world.resource::<SimClock>().now_ns);
    let inject_button = ui.button(format!("Inject {name}"));
    world
        .resource_mut::<KeyButtons>()
        .0
        .insert("inject", inject_button.rect);
    let inject = inject_button.clicked();
    if let Some((_, text)) = &mut state.chaos_params {
        ui.collapsing("its parameters (RON)", |ui| {
            ui.add(
                egui::TextEdit::multiline(text)
                    .code_editor()
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            );
        });
    }
    if inject {
        let chaos = state
            .chaos_params
            .as_ref()
            .map_or(Ok(kind.clone()), |(_, text)| part_from_ron::<Chaos>(text))
            .map_err(|e| format!("chaos parameters: {e}"));
        let target = if state.chaos_target.trim().is_empty() {
            Ok(None)
        } else {
            Target::parse(&state.chaos_target).map(Some)
        };
        let result = chaos.and_then(|chaos| {
            let injection = Injection {
                chaos,
                target: target?,
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
    // Until the user picks one: the first scenario written for the blueprint shown.
    let shown = match &world.resource::<Document>().source {
        Source::Builtin(name) => name.clone(),
        _ => String::new(),
    };
    let mut pick = world
        .resource::<UiState>()
        .scenario_pick
        .unwrap_or_else(|| {
            BUILTIN_SCENARIOS
                .iter()
                .position(|(_, src)| src.contains(&format!("blueprint: \"{shown}\"")))
                .unwrap_or(0)
        });
    pick = pick.min(names.len() - 1);
    let before = pick;
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
    if pick != before {
        world.resource_mut::<UiState>().scenario_pick = Some(pick);
    }
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
