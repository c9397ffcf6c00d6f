//! Fingerprints of a run's numbers: the same blueprint, chaos and seed give the same digest
//! natively and in WASM.

use super::config::RunConfig;
use super::headless::HeadlessRun;
use crate::blueprint::Blueprint;
use crate::sim::MetricsHistory;

/// FNV-1a (64 bits) of `text`: a portable fingerprint.
pub fn digest(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The fingerprint of a run's numbers: [`digest`] of its metric windows as JSON. The same
/// blueprint, chaos and seed give the same digest natively and in WASM.
pub fn metrics_digest(history: &MetricsHistory) -> u64 {
    digest(&serde_json::to_string(&history.windows).expect("windows serialize"))
}

/// Runs a blueprint (a built-in name or RON text) with a scenario (a built-in name, or none)
/// for `duration_s` (the scenario's own, or 60 s, when none) as `blastradius run BLUEPRINT
/// --scenario S --seed N [--duration D]` does, and returns the metrics digest. The browser
/// build exports this for the native-vs-WASM check.
pub fn scenario_digest(
    blueprint: &str,
    scenario: &str,
    seed: u64,
    duration_s: Option<f64>,
) -> Result<u64, String> {
    let mut bp = match crate::blueprint::builtin(blueprint) {
        Some(src) => Blueprint::parse(blueprint, src),
        None => Blueprint::parse("blueprint", blueprint),
    }
    .map_err(|e| e.to_string())?;
    let scenario = (!scenario.is_empty())
        .then(|| crate::scenario::Scenario::resolve(scenario))
        .transpose()
        .map_err(|e| e.to_string())?;
    let duration_s = duration_s.unwrap_or(scenario.as_ref().map_or(60.0, |s| s.duration_s));
    if let Some(rps) = scenario.as_ref().and_then(|s| s.rps) {
        bp.set_total_rps(rps);
    }
    let mut sim = HeadlessRun::new(&bp, RunConfig::new(seed, duration_s))?;
    for injection in scenario.iter().flat_map(|s| &s.timeline) {
        sim.inject(injection)?;
    }
    sim.run(|_, _| {});
    Ok(metrics_digest(sim.history()))
}
