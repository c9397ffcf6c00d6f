//! The UI's own state: which windows are open, what is typed in the panels, where the canvas
//! is on the screen; and the chaos form's logic (which kind, its parameters, the injection it
//! describes), kept apart from the drawing so it can be tested without a window.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::blueprint::{part_from_ron, part_to_ron};
use crate::chaos::{Chaos, Injection, Target};

/// UI state that is not simulation state.
#[derive(Resource, Default, Debug, Clone)]
pub struct UiState {
    /// The blueprint gallery is open.
    pub gallery_open: bool,
    /// The scenario picked in the chaos panel, by name (none: the first one written for the
    /// blueprint shown).
    pub scenario_pick: Option<String>,
    /// The picked chaos kind's parameters as RON, and which kind they are for.
    pub chaos_params: Option<(usize, String)>,
    /// The chaos kind picked in the chaos panel (an index into [`Chaos::catalog`]).
    pub chaos_kind: usize,
    /// Its target, as typed or picked (empty: the kind's default).
    pub chaos_target: String,
    /// Its duration in seconds (0 = until stopped).
    pub chaos_duration_s: f64,
    /// Why the last injection was refused (shown by the form).
    pub chaos_error: Option<String>,
    /// The last message to show in the status line.
    pub message: Option<String>,
    /// The canvas: the screen left between the panels (egui points).
    pub canvas: Canvas,
    /// The parameters being edited in the inspector, as RON, and what they belong to.
    pub params: Option<(crate::editor::Selection, u64, String)>,
    /// Why the parameters did not apply.
    pub params_error: Option<String>,
    /// The palette is shown.
    pub hide_palette: bool,
    /// The side panel (inspector, chaos, cost) is hidden.
    pub hide_side: bool,
    /// The chart shown large, by title.
    pub chart_zoom: Option<&'static str>,
    /// The path typed for Save As when no file dialog is available (open: the field shows).
    pub save_path: Option<String>,
    /// What the RPS field says about the last value typed (capped at the limit).
    pub rps_note: Option<String>,
    /// The status message shown and when it first was (real seconds), to let it go.
    pub status_seen: Option<(String, f64)>,
}

impl UiState {
    /// Picks chaos kind `index`: its parameters become that kind's defaults (as RON).
    pub fn pick_chaos_kind(&mut self, index: usize) {
        let catalog = Chaos::catalog();
        let index = index.min(catalog.len() - 1);
        self.chaos_kind = index;
        if self.chaos_params.as_ref().is_none_or(|(k, _)| *k != index) {
            self.chaos_params = Some((index, ron_view(&part_to_ron(&catalog[index].3))));
            self.chaos_error = None;
        }
    }

    /// The injection the chaos form describes now, starting at `now_s`: the kind picked (with
    /// its parameters as edited), the target (the kind's default when none), the duration
    /// (none when 0: until stopped).
    pub fn chaos_injection(&self, now_s: f64) -> Result<Injection, String> {
        let catalog = Chaos::catalog();
        let (_, _, _, default) = &catalog[self.chaos_kind.min(catalog.len() - 1)];
        let chaos = match &self.chaos_params {
            Some((k, text)) if *k == self.chaos_kind => {
                part_from_ron::<Chaos>(text).map_err(|e| format!("its parameters: {e}"))?
            }
            _ => default.clone(),
        };
        if chaos.name() != default.name() {
            return Err(format!(
                "its parameters are for {}, not {}: remove them or pick {}",
                chaos.name(),
                default.name(),
                chaos.name()
            ));
        }
        let target = if self.chaos_target.trim().is_empty() {
            None
        } else {
            Some(Target::parse(&self.chaos_target).map_err(|e| format!("target: {e}"))?)
        };
        Ok(Injection {
            chaos,
            target,
            at_s: now_s,
            duration_s: (self.chaos_duration_s > 0.0).then_some(self.chaos_duration_s),
        })
    }
}

/// RON as shown to a person: without the `#![enable(...)]` lines (the reader turns those
/// extensions on anyway).
pub fn ron_view(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("#![enable("))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where the buttons a script may click were drawn last frame, by name (`inject`: the chaos
/// panel's Inject button; `chaos-kind`: its kind picker; `kind:NAME`: an entry of the open
/// picker; `servers`: the inspector's servers field; `palette:KIND`: a palette button), in
/// egui points (the page's CSS pixels). The browser build publishes them for its end-to-end
/// test and the desktop's scripted run reads them, to click them where they are.
#[derive(Resource, Default, Debug, Clone)]
pub struct KeyButtons(pub std::collections::BTreeMap<String, egui::Rect>);

impl KeyButtons {
    /// Records where `name` was drawn.
    pub fn put(&mut self, name: impl Into<String>, rect: egui::Rect) {
        self.0.insert(name.into(), rect);
    }
}

/// The screen rectangle the canvas has (nothing until the first frame is laid out).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Canvas(pub egui::Rect);

impl Default for Canvas {
    fn default() -> Self {
        Canvas(egui::Rect::NOTHING)
    }
}

#[cfg(test)]
mod tests {
    use super::{UiState, ron_view};
    use crate::chaos::Chaos;

    fn index(name: &str) -> usize {
        Chaos::catalog()
            .iter()
            .position(|(n, ..)| *n == name)
            .unwrap()
    }

    #[test]
    fn inject_uses_the_kind_picked_now_not_the_one_before() {
        let mut state = UiState::default();
        state.pick_chaos_kind(index("connection-reset"));
        // The regression: the form's parameters were those of the kind picked before.
        for name in ["node-failure", "latency-injection", "cache-stampede"] {
            state.pick_chaos_kind(index(name));
            let injection = state.chaos_injection(12.0).unwrap();
            assert_eq!(injection.chaos.name(), name);
            assert_eq!(injection.at_s, 12.0);
            assert_eq!(injection.duration_s, None, "0 s reads until stopped");
        }
    }

    #[test]
    fn parameters_for_another_kind_are_refused_and_the_target_and_duration_kept() {
        let mut state = UiState::default();
        state.pick_chaos_kind(index("node-failure"));
        let node_failure = state.chaos_params.clone().unwrap().1;
        state.pick_chaos_kind(index("latency-injection"));
        state.chaos_params = Some((state.chaos_kind, node_failure));
        let e = state.chaos_injection(0.0).unwrap_err();
        assert!(e.contains("node-failure"), "{e}");
        state.pick_chaos_kind(index("node-failure"));
        state.chaos_target = "db".into();
        state.chaos_duration_s = 20.0;
        let i = state.chaos_injection(3.0).unwrap();
        assert_eq!(i.target.map(|t| t.to_string()).as_deref(), Some("db"));
        assert_eq!(i.duration_s, Some(20.0));
    }

    #[test]
    fn ron_views_do_not_show_extension_lines() {
        let text = "#![enable(implicit_some)]\n#![enable(unwrap_variant_newtypes)]\n(a: 1)";
        assert_eq!(ron_view(text), "(a: 1)");
    }
}
