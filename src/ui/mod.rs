//! The egui overlays: the top bar (run controls and live numbers), the side panel (inspector,
//! chaos and cost), the charts along the bottom, and the blueprint browser. Panels are laid out in
//! one pass because their order decides their space: top, then right, then bottom.

mod browser;
mod chaos_panel;
mod charts;
mod cost_panel;
mod inspector;
mod overlay;
mod palette;
mod prompt;
mod top_bar;

use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiPlugin, EguiPrimaryContextPass, PrimaryEguiContext, egui};

use crate::view::{PointerOnCanvas, ViewCamera};

/// UI state that is not simulation state.
#[derive(Resource, Default, Debug, Clone)]
pub struct UiState {
    /// The blueprint browser is open.
    pub browser_open: bool,
    /// The scenario picked in the chaos panel (none picked yet: one for the blueprint shown).
    pub scenario_pick: Option<usize>,
    /// The picked chaos kind's parameters as RON, and which kind they are for.
    pub chaos_params: Option<(usize, String)>,
    /// The chaos kind picked in the chaos panel.
    pub chaos_kind: usize,
    /// Its target, as typed.
    pub chaos_target: String,
    /// Its duration in seconds (0 = until stopped).
    pub chaos_duration_s: f64,
    /// The last error to show.
    pub message: Option<String>,
    /// The canvas: the screen left between the panels (egui points).
    pub canvas: Canvas,
    /// The parameters being edited in the inspector, as RON, and what they belong to.
    pub params: Option<(crate::editor::Selection, u64, String)>,
    /// Why the parameters did not apply.
    pub params_error: Option<String>,
}

/// Where the buttons a script may click were drawn last frame, by name (`inject`: the chaos
/// panel's Inject button), in egui points (the page's CSS pixels). The browser build publishes
/// them for its end-to-end test, which clicks them where they are, not at fixed coordinates.
#[derive(Resource, Default, Debug, Clone)]
pub struct KeyButtons(pub std::collections::BTreeMap<&'static str, egui::Rect>);

/// The screen rectangle the canvas has (nothing until the first frame is laid out).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Canvas(pub egui::Rect);

impl Default for Canvas {
    fn default() -> Self {
        Canvas(egui::Rect::NOTHING)
    }
}

/// The canvas camera, to convert between screen points and world positions.
pub struct CanvasView {
    camera: Camera,
    transform: GlobalTransform,
}

impl CanvasView {
    /// The canvas camera as it is now.
    pub fn of(world: &mut World) -> Option<Self> {
        let (camera, transform) = world
            .query_filtered::<(&Camera, &GlobalTransform), With<ViewCamera>>()
            .single(world)
            .ok()?;
        Some(CanvasView {
            camera: camera.clone(),
            transform: *transform,
        })
    }

    /// Where world position `p` is on the screen.
    pub fn to_screen(&self, p: Vec2) -> Option<egui::Pos2> {
        let s = self
            .camera
            .world_to_viewport(&self.transform, p.extend(0.0))
            .ok()?;
        Some(egui::pos2(s.x, s.y))
    }

    /// The world position under screen point `p`.
    pub fn to_world(&self, p: Vec2) -> Option<Vec2> {
        self.camera.viewport_to_world_2d(&self.transform, p).ok()
    }

    /// Screen points per world unit at the current zoom.
    pub fn pixels_per_unit(&self) -> f32 {
        match (self.to_screen(Vec2::ZERO), self.to_screen(Vec2::X)) {
            (Some(a), Some(b)) => (b - a).length(),
            _ => 1.0,
        }
    }
}

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
    browser::show(&ctx, world);
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
