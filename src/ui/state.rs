//! The UI's own state: which windows are open, what is typed in the panels, where the canvas
//! is on the screen.

use bevy::prelude::*;
use bevy_egui::egui;

/// UI state that is not simulation state.
#[derive(Resource, Default, Debug, Clone)]
pub struct UiState {
    /// The blueprint gallery is open.
    pub gallery_open: bool,
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
