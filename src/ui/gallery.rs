//! The blueprint gallery: the built-in blueprints with their descriptions; a click loads one.

use bevy::prelude::*;
use bevy_egui::egui;

use super::state::UiState;
use crate::blueprint::{BUILTINS, Blueprint};

pub(super) fn show(ctx: &egui::Context, world: &mut World) {
    let mut open = world.resource::<UiState>().gallery_open;
    if !open {
        return;
    }
    let mut chosen = None;
    egui::Window::new("Blueprints")
        .open(&mut open)
        .default_width(460.0)
        .show(ctx, |ui| {
            for (name, src) in BUILTINS {
                let Ok(bp) = Blueprint::parse(name, src) else {
                    continue;
                };
                ui.group(|ui| {
                    if ui.button(egui::RichText::new(&bp.name).strong()).clicked() {
                        chosen = Some(name.to_string());
                    }
                    ui.small(&bp.description);
                    for tip in &bp.what_to_try {
                        ui.small(format!("- {tip}"));
                    }
                });
            }
        });
    if let Some(name) = chosen {
        crate::editor::request(world, crate::editor::Discarding::Builtin(name));
        open = false;
    }
    world.resource_mut::<UiState>().gallery_open = open;
}
