//! The UI's plugin and its one pass over the screen: panels laid out in order (top, left,
//! right, bottom: each takes its space from what is left, sized for the screen, collapsible
//! and resizable), then the canvas gets the rest, and the windows float above it. Where the
//! canvas is, and what covers it, goes to the view, which decides at press time whether a
//! press is the canvas's.

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext, egui};

use super::charts::Timeline;
use super::state::{Canvas, KeyButtons, UiState};
use super::{
    chaos_panel, charts, cost_panel, gallery, inspector, legend, overlay, palette, prompt, top_bar,
};
use crate::view::CanvasArea;

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
            .init_resource::<Timeline>()
            .add_systems(EguiPrimaryContextPass, draw_ui);
    }
}

/// The panels' default sizes for a screen of `size` points: the side panel a quarter of the
/// width (280 to 440), the charts a quarter of the height (130 to 400).
pub fn panel_sizes(size: egui::Vec2) -> (f32, f32) {
    (
        (size.x * 0.25).clamp(280.0, 440.0),
        (size.y * 0.25).clamp(130.0, 400.0),
    )
}

fn draw_ui(world: &mut World) {
    let mut contexts = world.query_filtered::<&mut EguiContext, With<PrimaryEguiContext>>();
    let Ok(mut context) = contexts.single_mut(world) else {
        return;
    };
    let ctx = context.get_mut().clone();
    charts::follow(world);
    world.resource_mut::<KeyButtons>().0.clear();
    let screen = ctx.viewport_rect();
    let (side_size, chart_size) = panel_sizes(screen.size());
    let mut root = egui::Ui::new(
        ctx.clone(),
        "viewport".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(screen),
    );
    egui::Panel::top("top_bar").show(&mut root, |ui| top_bar::show(ui, world));
    let state = world.resource::<UiState>();
    let (mut palette_open, mut side_open) = (!state.hide_palette, !state.hide_side);
    egui::Panel::left("palette")
        .default_size(150.0)
        .resizable(true)
        .show_collapsible(&mut root, &mut palette_open, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| palette::show(ui, world));
        });
    egui::Panel::right("side")
        .default_size(side_size)
        .resizable(true)
        .show_collapsible(&mut root, &mut side_open, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                inspector::show(ui, world);
                ui.separator();
                chaos_panel::show(ui, world);
                ui.separator();
                cost_panel::show(ui, world);
            });
        });
    egui::Panel::bottom("charts")
        .default_size(chart_size)
        .size_range(90.0..=screen.height() * 0.6)
        .resizable(true)
        .show(&mut root, |ui| charts::show(ui, world));
    // The panels' toggles live in the top bar; dragging a panel's edge can also close it.
    let mut state = world.resource_mut::<UiState>();
    state.hide_palette = !palette_open;
    state.hide_side = !side_open;
    let canvas = root.available_rect_before_wrap();
    world.resource_mut::<UiState>().canvas = Canvas(canvas);
    overlay::show(&ctx, world);
    legend::show(&ctx, canvas);
    charts::large(&ctx, world);
    gallery::show(&ctx, world);
    prompt::show(&ctx, world);
    top_bar::save_path(&ctx, world, canvas);
    publish_canvas(&ctx, world, canvas);
}

/// Tells the view where the canvas is and what floats above it (windows, menus, pop-ups).
fn publish_canvas(ctx: &egui::Context, world: &mut World, canvas: egui::Rect) {
    let rect = |r: egui::Rect| Rect::new(r.min.x, r.min.y, r.max.x, r.max.y);
    let covered: Vec<Rect> = ctx.memory(|m| {
        m.areas()
            .visible_layer_ids()
            .into_iter()
            .filter(|l| matches!(l.order, egui::Order::Middle | egui::Order::Foreground))
            .filter_map(|l| m.area_rect(l.id))
            .filter(|r| r.intersects(canvas))
            .map(rect)
            .collect()
    });
    let area = CanvasArea {
        rect: Some(rect(canvas)),
        covered,
        blocked: world
            .get_resource::<crate::editor::Editor>()
            .is_some_and(|e| e.pending.is_some()),
    };
    let mut published = world.resource_mut::<CanvasArea>();
    if *published != area {
        *published = area;
    }
}

#[cfg(test)]
mod tests {
    use bevy_egui::egui;

    use super::panel_sizes;

    #[test]
    fn panels_leave_the_canvas_most_of_any_screen() {
        for (w, h) in [
            (1024.0, 600.0),
            (1280.0, 720.0),
            (1920.0, 1080.0),
            (2560.0, 1440.0),
        ] {
            let (side, charts) = panel_sizes(egui::vec2(w, h));
            let (canvas_w, canvas_h) = (w - 150.0 - side, h - 40.0 - charts);
            assert!(
                canvas_w >= 0.45 * w && canvas_h >= 0.5 * h,
                "{w}x{h}: canvas {canvas_w}x{canvas_h}"
            );
            assert!(charts >= 130.0, "charts readable: {charts}");
        }
    }
}
