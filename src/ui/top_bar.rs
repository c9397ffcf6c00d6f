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

/// Most requests per second the traffic control accepts.
pub const MAX_RPS: f64 = 1_000_000.0;

/// Real seconds a status message stays up.
const STATUS_S: f64 = 8.0;

/// The RPS to run for `asked`, and what to say by the field when it was not what was asked.
pub fn clamp_rps(asked: f64) -> (f64, Option<String>) {
    if asked > MAX_RPS {
        (
            MAX_RPS,
            Some(format!(
                "capped at {MAX_RPS:.0} RPS (asked {asked:.0}): the simulator's limit"
            )),
        )
    } else if asked < 1.0 {
        (1.0, Some("at least 1 RPS".into()))
    } else {
        (asked, None)
    }
}

/// What to say when the simulation runs slower than the speed asked (`ratio`: simulated
/// seconds per wall second, measured over the last second); none when it keeps up.
pub fn falling_behind(speed: f64, ratio: f64, paused: bool) -> Option<String> {
    (!paused && ratio > 0.0 && ratio < 0.85 * speed).then(|| {
        format!(
            "running at {ratio:.1}x, not the {speed:.1}x asked: this machine cannot simulate \
             this much traffic faster (lower the speed or the RPS)"
        )
    })
}

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.horizontal_wrapped(|ui| {
        file_buttons(ui, world);
        ui.separator();
        let clock = world.resource::<SimClock>().clone();
        if ui
            .button(if clock.paused { "Play" } else { "Pause" })
            .clicked()
        {
            world.resource_mut::<SimClock>().paused = !clock.paused;
        }
        if ui
            .button("Step")
            .on_hover_text("pause and advance 100 ms of simulated time (Shift: 10 ms)")
            .clicked()
        {
            let fine = ui.input(|i| i.modifiers.shift);
            crate::editor::step(world, fine);
        }
        ui.label("speed");
        let mut speed = clock.speed;
        if ui
            .add(
                egui::Slider::new(&mut speed, 0.1..=50.0)
                    .logarithmic(true)
                    .suffix("x"),
            )
            .changed()
        {
            world.resource_mut::<SimClock>().speed = speed;
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
        let behind = falling_behind(clock.speed, ratio, clock.paused);
        let colour = if behind.is_some() {
            egui::Color32::from_rgb(255, 170, 120)
        } else {
            ui.visuals().text_color()
        };
        let r = ui.label(
            egui::RichText::new(format!("{ratio:.2}x real time"))
                .monospace()
                .color(colour),
        );
        r.on_hover_text(behind.clone().unwrap_or_else(|| {
            "simulated seconds per second of wall time, over the last second".into()
        }));
        if behind.is_some() {
            ui.colored_label(colour, "(cannot keep up)");
        }
        let history = world.resource::<MetricsHistory>();
        if let Some(w) = history.windows.last() {
            ui.separator();
            ui.monospace(format!(
                "{:.0}/s  errors {:.2}%  p50 {:.1} ms  p99 {:.1} ms",
                w.throughput,
                w.error_rate * 100.0,
                w.latency.p50_ms,
                w.latency.p99_ms
            ))
            .on_hover_text("the last second: answered requests, errors, end-to-end latency");
        }
        let p = *world.resource::<ParticleStats>();
        ui.separator();
        ui.small(format!(
            "{} calls in flight, 1 in {} drawn",
            p.in_flight, p.sample
        ));
        ui.separator();
        let mut state = world.resource_mut::<UiState>();
        ui.toggle_value(&mut state.hide_palette, "hide palette");
        ui.toggle_value(&mut state.hide_side, "hide side panel");
    });
    status_line(ui, world);
}

/// The last message (an error, what undo did), for a few seconds; a new one replaces it.
fn status_line(ui: &mut egui::Ui, world: &mut World) {
    let now = world.resource::<Time<Real>>().elapsed_secs_f64();
    let message = world.resource::<UiState>().message.clone();
    let status = world.resource::<Editor>().status.clone();
    let Some(text) = message.or(status) else {
        return;
    };
    let mut state = world.resource_mut::<UiState>();
    let since = match &state.status_seen {
        Some((seen, at)) if *seen == text => *at,
        _ => {
            state.status_seen = Some((text.clone(), now));
            now
        }
    };
    if now - since < STATUS_S {
        ui.colored_label(egui::Color32::from_rgb(255, 170, 120), text);
    } else {
        // Gone for good: the next message, even the same words, shows again.
        state.message = None;
        state.status_seen = None;
        world.resource_mut::<Editor>().status = None;
    }
}

/// The path field offered when Save As chose no file (no dialog here, or cancelled), or a
/// save to the document's file failed.
pub(super) fn save_path(ctx: &egui::Context, world: &mut World, canvas: egui::Rect) {
    let Some(suggested) = world.resource::<Editor>().save_fallback.clone() else {
        return;
    };
    let mut state = world.resource::<UiState>().clone();
    let path = state.save_path.get_or_insert_with(|| {
        std::env::current_dir()
            .map(|d| d.join(&suggested).display().to_string())
            .unwrap_or(suggested.clone())
    });
    let mut action = None;
    egui::Window::new("Save to a path")
        .collapsible(false)
        .resizable(false)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(canvas.center_top() + egui::vec2(0.0, 20.0))
        .show(ctx, |ui| {
            ui.label("No file was chosen (or no file dialog is available here). Save to:");
            let field = ui.add(egui::TextEdit::singleline(path).desired_width(420.0));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked()
                    || (field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
                {
                    action = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    action = Some(false);
                }
            });
        });
    match action {
        Some(true) => {
            let path = path.clone();
            crate::editor::save_to(world, &path);
        }
        Some(false) => {
            world.resource_mut::<Editor>().save_fallback = None;
            world.resource_mut::<Editor>().after_save = None;
        }
        None => {}
    }
    if world.resource::<Editor>().save_fallback.is_none() {
        state.save_path = None;
    }
    *world.resource_mut::<UiState>() = state;
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
    let undo = crate::editor::undo_label(world).map(|l| format!("Undo {l} (Ctrl+Z)"));
    let redo = crate::editor::redo_label(world).map(|l| format!("Redo {l} (Ctrl+Shift+Z)"));
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
/// Above the limit it is capped, and the field says so.
fn traffic(ui: &mut egui::Ui, world: &mut World) {
    let mut changed = None;
    let mut note = None;
    let mut models = world.query::<&mut Model>();
    for mut model in models.iter_mut(world) {
        if let Some(client) = model.0.as_any_mut().downcast_mut::<Client>() {
            ui.label("RPS");
            let mut rps = client.params.rps;
            if ui
                .add(egui::DragValue::new(&mut rps).speed(50.0))
                .on_hover_text(format!("requests per second offered (1 to {MAX_RPS:.0})"))
                .changed()
            {
                let (rps, said) = clamp_rps(rps);
                client.params.rps = rps;
                changed = Some(rps);
                note = Some(said);
            }
            break;
        }
    }
    if let Some(said) = note {
        world.resource_mut::<UiState>().rps_note = said;
    }
    if let Some(note) = world.resource::<UiState>().rps_note.clone() {
        ui.colored_label(egui::Color32::from_rgb(255, 170, 120), note);
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

#[cfg(test)]
mod tests {
    use super::{MAX_RPS, clamp_rps, falling_behind};

    #[test]
    fn rps_above_the_limit_is_capped_and_says_so() {
        let (rps, note) = clamp_rps(10_000_000.0);
        assert_eq!(rps, MAX_RPS);
        let note = note.expect("a clamp is said");
        assert!(
            note.contains("1000000") && note.contains("10000000"),
            "{note}"
        );
        assert_eq!(clamp_rps(2_500.0), (2_500.0, None));
        assert_eq!(clamp_rps(0.0).0, 1.0);
    }

    #[test]
    fn a_simulation_slower_than_asked_is_said() {
        assert!(falling_behind(50.0, 23.0, false).unwrap().contains("23.0x"));
        assert!(falling_behind(1.0, 0.99, false).is_none(), "keeps up");
        assert!(falling_behind(50.0, 0.0, true).is_none(), "paused");
    }
}
