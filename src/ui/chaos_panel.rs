//! The chaos panel: play a scenario written for the blueprint shown (its timeline from the
//! start); or pick a chaos kind, its target (a node of the blueprint) and duration, and inject
//! it now; the active injections, each with a stop button, and what they have caused so far.

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::{KeyButtons, UiState};
use crate::blueprint::{Document, Source};
use crate::chaos::{Chaos, ChaosLog, schedule, stop};
use crate::editor::{Editor, play_scenario, stop_scenario};
use crate::scenario::{BUILTIN_SCENARIOS, Scenario};
use crate::sim::{MetricsHistory, SimClock, ns_to_s};

const RED: egui::Color32 = egui::Color32::from_rgb(255, 120, 120);

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Chaos");
    scenarios(ui, world);
    ui.separator();
    let catalog = Chaos::catalog();
    let mut state = world.resource::<UiState>().clone();
    state.pick_chaos_kind(state.chaos_kind);
    let mut picked = state.chaos_kind;
    let combo = egui::ComboBox::from_id_salt("chaos_kind")
        .selected_text(catalog[picked].0)
        .width(200.0)
        // Every kind at once where the screen allows (a short list hides most of them).
        .height(ui.ctx().content_rect().height() * 0.8)
        .show_ui(ui, |ui| {
            for (i, (n, f, ..)) in catalog.iter().enumerate() {
                let entry = ui.selectable_value(&mut picked, i, format!("{n} ({})", f.name()));
                world
                    .resource_mut::<KeyButtons>()
                    .put(format!("kind:{n}"), entry.rect);
            }
        });
    world
        .resource_mut::<KeyButtons>()
        .put("chaos-kind", combo.response.rect);
    // What was picked this frame takes effect before anything reads the kind.
    state.pick_chaos_kind(picked);
    let (name, family, description, kind) = &catalog[state.chaos_kind];
    ui.small(format!("{} - {description}", family.name()));
    target(ui, world, &mut state, &kind.default_target().to_string());
    ui.horizontal(|ui| {
        ui.label("duration");
        ui.add(
            egui::Slider::new(&mut state.chaos_duration_s, 0.0..=300.0).custom_formatter(|v, _| {
                if v <= 0.0 {
                    "until stopped".into()
                } else {
                    format!("{v:.0} s")
                }
            }),
        );
    });
    let now_s = ns_to_s(world.resource::<SimClock>().now_ns);
    let inject_button = ui.button(format!("Inject {name}"));
    world
        .resource_mut::<KeyButtons>()
        .put("inject", inject_button.rect);
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
    if inject_button.clicked() {
        let result = state
            .chaos_injection(now_s)
            .and_then(|injection| schedule(world, &injection));
        state.chaos_error = result.err();
    }
    if let Some(e) = &state.chaos_error {
        ui.colored_label(RED, e);
    }
    *world.resource_mut::<UiState>() = state;
    active(ui, world, now_s);
}

/// The target: the kind's default, a node of the blueprint, or any target typed (`kind:cache`,
/// `a->b`, `zone:Z`...).
fn target(ui: &mut egui::Ui, world: &World, state: &mut UiState, default: &str) {
    let ids: Vec<String> = world
        .get_resource::<Document>()
        .map(|d| d.blueprint().nodes.iter().map(|n| n.id.clone()).collect())
        .unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label("target");
        let shown = if state.chaos_target.trim().is_empty() {
            format!("default: {default}")
        } else {
            state.chaos_target.clone()
        };
        egui::ComboBox::from_id_salt("chaos_target")
            .selected_text(shown)
            .width(150.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut state.chaos_target,
                    String::new(),
                    format!("default: {default}"),
                );
                for id in &ids {
                    ui.selectable_value(&mut state.chaos_target, id.clone(), id);
                }
            });
    });
    ui.horizontal(|ui| {
        ui.small("or type one");
        ui.add(
            egui::TextEdit::singleline(&mut state.chaos_target)
                .hint_text("kind:cache, a->b, zone:Z")
                .desired_width(150.0),
        );
    });
}

/// The active injections with their stop buttons, and the cause chain read off the windows
/// since the first of them started.
fn active(ui: &mut egui::Ui, world: &mut World, now_s: f64) {
    let active: Vec<_> = world
        .resource::<ChaosLog>()
        .injections
        .iter()
        .filter(|i| i.start_s <= now_s && i.end_s.is_none_or(|e| e > now_s))
        .cloned()
        .collect();
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Active").strong());
        if active.is_empty() {
            ui.small("none");
        } else if let Some(chain) = cause_chain(world, active[0].start_s, now_s) {
            // One line; the whole chain under the pointer.
            ui.add(
                egui::Label::new(
                    egui::RichText::new(&chain)
                        .small()
                        .color(egui::Color32::from_rgb(255, 190, 120)),
                )
                .truncate(),
            )
            .on_hover_text(format!(
                "what moved since the chaos started, in order (as in --report):\n{chain}"
            ));
        }
    });
    for i in active {
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} on {} since {:.0} s{}",
                i.name,
                i.target,
                i.start_s,
                i.end_s
                    .map(|e| format!(", until {e:.0} s"))
                    .unwrap_or_else(|| ", until stopped".into())
            ));
            if ui.small_button("stop").clicked() {
                stop(world, i.id);
            }
        });
    }
}

/// "hit rate fell -> db saturated -> first pool_exhausted errors": what the incident
/// analysis finds moved since `start_s`, in order (none before anything moved).
pub fn cause_chain(world: &World, start_s: f64, now_s: f64) -> Option<String> {
    let windows = &world.resource::<MetricsHistory>().windows;
    let incident = crate::analysis::incident(windows, 0.0, start_s, now_s);
    if incident.cascade.is_empty() {
        return Some("nothing has moved yet".into());
    }
    Some(
        incident
            .cascade
            .iter()
            .take(5)
            .map(|(_, what)| short(what))
            .collect::<Vec<_>>()
            .join(" -> "),
    )
}

/// A cascade step in few words: "cache hit rate fell to 27.0% (from 95.0%)" reads "cache hit
/// rate 27%", "app-1's pool to db saturated (20 of 20 in use, 570 waiting)" reads "app-1's
/// pool to db saturated".
fn short(what: &str) -> String {
    let head = what.split(" (").next().unwrap_or(what);
    head.replace(" fell to ", " ")
        .replace(" grew to ", " ")
        .replace(" rose to ", " ")
        .replace(".0%", "%")
}

/// The built-in scenarios written for the blueprint shown: pick one, read what it does, play
/// it from the start; stop lifts its chaos and the run goes on.
fn scenarios(ui: &mut egui::Ui, world: &mut World) {
    let shown = match &world.resource::<Document>().source {
        Source::Builtin(name) => name.clone(),
        _ => String::new(),
    };
    let names: Vec<&str> = BUILTIN_SCENARIOS
        .iter()
        .filter(|(_, src)| !shown.is_empty() && src.contains(&format!("blueprint: \"{shown}\"")))
        .map(|(n, _)| *n)
        .collect();
    let playing = world
        .resource::<Editor>()
        .scenario
        .as_ref()
        .map(|s| s.name.clone());
    if names.is_empty() {
        ui.small("No built-in scenario is written for this blueprint: inject chaos below.");
    } else {
        let remembered = world.resource::<UiState>().scenario_pick.clone();
        let mut pick = remembered
            .filter(|p| names.contains(&p.as_str()))
            .unwrap_or_else(|| names[0].to_string());
        let before = pick.clone();
        egui::ComboBox::from_id_salt("scenario")
            .selected_text(&pick)
            .show_ui(ui, |ui| {
                for n in &names {
                    ui.selectable_value(&mut pick, n.to_string(), *n);
                }
            });
        if pick != before {
            world.resource_mut::<UiState>().scenario_pick = Some(pick.clone());
        }
        let scenario = Scenario::resolve(&pick);
        match &scenario {
            Ok(s) => {
                ui.small(format!("{}: {}", s.title, s.description));
            }
            Err(e) => {
                ui.colored_label(RED, e.to_string());
            }
        }
        if ui.button("Play scenario (from t = 0)").clicked()
            && let Ok(s) = scenario
        {
            play_scenario(world, s);
        }
    }
    if let Some(name) = playing {
        ui.horizontal(|ui| {
            ui.small(format!("playing {name}"));
            if ui
                .small_button("stop")
                .on_hover_text("lift its chaos now; the run goes on")
                .clicked()
            {
                stop_scenario(world);
            }
        });
    }
}
