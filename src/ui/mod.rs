//! The egui overlays: the top bar (run controls and live numbers), the side panel (inspector,
//! chaos and cost), the charts along the bottom, and the blueprint browser. Panels are laid out in
//! one pass because their order decides their space: top, then right, then bottom.

mod browser;
mod chaos_panel;
mod charts;
mod cost_panel;
mod inspector;
mod top_bar;

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext, egui};

/// UI state that is not simulation state.
#[derive(Resource, Default, Debug, Clone)]
pub struct UiState {
    /// The blueprint browser is open.
    pub browser_open: bool,
    /// The chaos kind picked in the chaos panel.
    pub chaos_kind: usize,
    /// Its target, as typed.
    pub chaos_target: String,
    /// Its duration in seconds (0 = until stopped).
    pub chaos_duration_s: f64,
    /// The last error to show.
    pub message: Option<String>,
}

/// The overlays.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default())
            .init_resource::<UiState>()
            .add_systems(EguiPrimaryContextPass, draw_ui);
    }
}

fn draw_ui(world: &mut World) {
    let mut contexts = world.query_filtered::<&mut EguiContext, With<PrimaryEguiContext>>();
    let Ok(mut context) = contexts.single_mut(world) else {
        return;
    };
    let ctx = context.get_mut().clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "viewport".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("top_bar").show(&mut root, |ui| top_bar::show(ui, world));
    egui::Panel::right("side")
        .default_size(330.0)
        .resizable(true)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                inspector::show(ui, world);
                ui.separator();
                chaos_panel::show(ui, world);
                ui.separator();
                cost_panel::show(ui, world);
            });
        });
    egui::Panel::bottom("charts")
        .default_size(170.0)
        .resizable(true)
        .show(&mut root, |ui| charts::show(ui, world));
    browser::show(&ctx, world);
}
