//! The UI's plugin and its one pass over the screen: panels laid out in order (top, left,
//! right, bottom: each takes its space from what is left), then the canvas gets the rest, and
//! the windows float above it.

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext, egui};

use super::state::{Canvas, KeyButtons, UiState};
use super::{
    chaos_panel, charts, cost_panel, gallery, inspector, overlay, palette, prompt, top_bar,
};
use crate::view::PointerOnCanvas;

/// The overlays.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default())
            .insert_resource(UiState {
                // A first chaos that visibly breaks things: calls to the first service reset.
                chaos_kind: crate::chaos::Chaos::catalog()
                    .iter()
                    .position(|(name, ..)| *name == "connection-reset")
                    .unwrap_or(0),
                ..default()
            })
            .init_resource::<KeyButtons>()
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
    egui::Panel::left("palette")
        .default_size(150.0)
        .resizable(true)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| palette::show(ui, world));
        });
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
    let canvas = root.available_rect_before_wrap();
    world.resource_mut::<UiState>().canvas = Canvas(canvas);
    overlay::show(&ctx, world);
    gallery::show(&ctx, world);
    prompt::show(&ctx, world);
    // The pointer belongs to the canvas when it is between the panels, under no window, and
    // no widget is being dragged.
    let on_canvas = ctx.pointer_latest_pos().is_some_and(|p| {
        canvas.contains(p)
            && ctx
                .layer_id_at(p)
                .is_none_or(|l| l.order == egui::Order::Background)
    }) && !ctx.egui_is_using_pointer();
    world.resource_mut::<PointerOnCanvas>().0 = on_canvas;
}
