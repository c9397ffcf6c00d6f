//! The browser build's side of the page: what the page's script can call (a headless run's
//! metrics digest, for the native-vs-WASM check), and the share link: the blueprint (a
//! built-in's name, or the whole blueprint), the scenario and the seed in the page's address,
//! so whoever opens it sees the same run.

use bevy::prelude::*;
use wasm_bindgen::prelude::*;

use crate::blueprint::Document;
use crate::chaos::{Chaos, ChaosLog};
use crate::editor::Editor;
use crate::sim::{MetricsHistory, SimClock};
use crate::ui::{KeyButtons, ShareLink, UiState};
use crate::view::RealTimeRatio;

/// Tells the page how the app is doing: the loading text goes at the first frame, and the
/// page's root element carries the numbers a script (the end-to-end test) reads.
pub struct PagePlugin;

impl Plugin for PagePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ShareLink(share_link))
            .add_systems(Last, report_to_page);
    }
}

/// Writes `data-*` attributes on the page's root: `first-frame-ms` (once), then each frame
/// the simulated time, the last window's error rate, throughput and arrivals per second, the
/// real-time ratio, the chaos kind picked in the panel and the active ones, and, as JSON
/// `{"x", "y", "width", "height"}` in CSS pixels from the canvas's top left, `data-buttons`
/// (where the key buttons are, by name) and `data-canvas` (the drawing area between panels).
fn report_to_page(
    mut frames: Local<u64>,
    clock: Res<SimClock>,
    history: Res<MetricsHistory>,
    ratio: Res<RealTimeRatio>,
    buttons: Res<KeyButtons>,
    (ui, log): (Res<UiState>, Res<ChaosLog>),
) {
    *frames += 1;
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(root) = window.document().and_then(|d| d.document_element()) else {
        return;
    };
    let set = |k: &str, v: String| {
        let _ = root.set_attribute(k, &v);
    };
    if *frames == 2 {
        if let Some(loading) = window
            .document()
            .and_then(|d| d.get_element_by_id("loading"))
        {
            loading.remove();
        }
        let ms = window.performance().map_or(0.0, |p| p.now());
        set("data-first-frame-ms", format!("{ms:.0}"));
    }
    set("data-frames", frames.to_string());
    set("data-sim-s", format!("{:.3}", clock.now_ns as f64 / 1e9));
    set("data-real-time-ratio", format!("{:.3}", ratio.0));
    let rects: serde_json::Map<String, serde_json::Value> = buttons
        .0
        .iter()
        .map(|(name, r)| {
            let rect = serde_json::json!({
                "x": r.min.x, "y": r.min.y, "width": r.width(), "height": r.height()
            });
            (name.to_string(), rect)
        })
        .collect();
    set("data-buttons", serde_json::Value::Object(rects).to_string());
    let canvas = ui.canvas.0;
    if canvas.is_positive() {
        let rect = serde_json::json!({
            "x": canvas.min.x, "y": canvas.min.y, "width": canvas.width(), "height": canvas.height()
        });
        set("data-canvas", rect.to_string());
    }
    let catalog = Chaos::catalog();
    set(
        "data-chaos-picked",
        catalog[ui.chaos_kind.min(catalog.len() - 1)].0.to_string(),
    );
    let now_s = clock.now_ns as f64 / 1e9;
    let active: Vec<&str> = log
        .injections
        .iter()
        .filter(|i| i.start_s <= now_s && i.end_s.is_none_or(|e| e > now_s))
        .map(|i| i.name)
        .collect();
    set("data-active-chaos", active.join(","));
    if let Some(w) = history.windows.last() {
        set("data-error-rate", format!("{:.5}", w.error_rate));
        set("data-throughput", format!("{:.1}", w.throughput));
        set(
            "data-arrivals",
            format!("{:.1}", w.arrivals as f64 / history.window_s()),
        );
    }
}

/// The metrics digest of a headless run (see [`crate::run::scenario_digest`]), as hex; a
/// duration of 0 means the scenario's own. Called by the end-to-end test.
#[wasm_bindgen]
pub fn headless_digest(
    blueprint: &str,
    scenario: &str,
    seed: u64,
    duration_s: f64,
) -> Result<String, JsValue> {
    let duration = (duration_s > 0.0).then_some(duration_s);
    crate::run::scenario_digest(blueprint, scenario, seed, duration)
        .map(|d| format!("{d:#018x}"))
        .map_err(|e| JsValue::from_str(&e))
}

/// The share link in the page's address, if there is one; an error says what is wrong with it.
pub fn shared() -> Option<Result<crate::editor::share::Shared, String>> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let blueprint = params.get("blueprint");
    let scenario = params.get("scenario");
    let seed = params.get("seed");
    let rps = params.get("rps");
    if blueprint.is_none() && scenario.is_none() && seed.is_none() && rps.is_none() {
        return None;
    }
    Some(crate::editor::share::parse(blueprint, scenario, seed, rps))
}

/// A link to what is running now; also written to the address bar.
pub fn share_link(world: &World) -> Result<String, String> {
    let doc = world.resource::<Document>();
    let editor = world.resource::<Editor>();
    let params = web_sys::UrlSearchParams::new().map_err(|e| format!("{e:?}"))?;
    for (key, value) in crate::editor::share::query(doc, editor) {
        params.append(key, &value);
    }
    let window = web_sys::window().ok_or("no window")?;
    let location = window.location();
    let base = format!(
        "{}{}",
        location.origin().map_err(|e| format!("{e:?}"))?,
        location.pathname().map_err(|e| format!("{e:?}"))?
    );
    let link = format!("{base}?{}", String::from(params.to_string()));
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&link));
    }
    Ok(link)
}
