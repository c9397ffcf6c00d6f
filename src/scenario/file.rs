//! A scenario file: its story, its timeline of injections, what it moves and its
//! mitigations; parsing with positions, and finding one by name.

use serde::{Deserialize, Serialize};

use super::builtin::BUILTIN_SCENARIOS;
use super::mitigation::Mitigation;
use super::moves::{Direction, Moved, Moves};
use crate::blueprint::{LoadError, read_ron};
use crate::chaos::Injection;
use crate::sim::WindowRecord;

/// How far a metric must go past the quiet run's own extreme to count as moved (relative:
/// 20% beyond the quiet run's highest for Up, below its lowest for Down), on top of the
/// metric's absolute noise.
pub const MARGIN: f64 = 0.2;

/// Seconds after the last injection ends that still count as its effect.
pub const SETTLE_S: f64 = 10.0;

/// How long an injection without a duration counts as lasting, for the check.
pub const OPEN_ENDED_S: f64 = 60.0;

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Kebab-case name.
    pub name: String,
    /// Title.
    pub title: String,
    /// What happens.
    pub description: String,
    /// A built-in blueprint it fits.
    pub blueprint: String,
    /// Traffic to run it at (the blueprint's own when absent).
    #[serde(default)]
    pub rps: Option<f64>,
    /// A run length that shows the whole story, seconds.
    pub duration_s: f64,
    /// The metrics it should move.
    pub moves: Vec<Moves>,
    /// Where this happened for real.
    pub real_world: String,
    /// What helps.
    #[serde(default)]
    pub mitigations: Vec<Mitigation>,
    /// What is injected when.
    pub timeline: Vec<Injection>,
}

impl Scenario {
    /// Parses a scenario file; `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Scenario, LoadError> {
        let scenario: Scenario = read_ron(file, src)?;
        if scenario.timeline.is_empty() {
            return Err(LoadError::at_offset(
                file,
                src,
                src.find("timeline").unwrap_or(0),
                "a scenario needs at least one injection in its timeline".into(),
            ));
        }
        if !crate::sim::positive(scenario.duration_s) {
            return Err(LoadError::at_offset(
                file,
                src,
                src.find("duration_s").unwrap_or(0),
                "duration_s must be > 0".into(),
            ));
        }
        Ok(scenario)
    }

    /// Reads a scenario by file path or built-in name.
    pub fn resolve(name_or_path: &str) -> Result<Scenario, LoadError> {
        if let Some((name, src)) = BUILTIN_SCENARIOS.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(&format!("<built-in scenario {name}>"), src);
        }
        let src = std::fs::read_to_string(name_or_path).map_err(|e| {
            LoadError::whole_file(name_or_path, format!("cannot read the scenario ({e}); it is not a built-in scenario either (see `blastradius scenarios`)"))
        })?;
        Scenario::parse(name_or_path, &src)
    }

    /// The span the `moves` claims are checked over, `(start, end)` in simulated seconds:
    /// from the first injection's start to the last one's end plus [`SETTLE_S`] (what a
    /// fault sets off, a herd at recovery or a cache refilling, comes just after it), an
    /// open-ended injection counting as [`OPEN_ENDED_S`] long; never past the run's traffic.
    pub fn check_span_s(&self) -> (f64, f64) {
        let start = self
            .timeline
            .iter()
            .map(|i| i.at_s)
            .fold(f64::MAX, f64::min);
        let end = self
            .timeline
            .iter()
            .map(|i| i.at_s + i.duration_s.unwrap_or(OPEN_ENDED_S))
            .fold(f64::MIN, f64::max);
        (start, (end + SETTLE_S).min(self.duration_s))
    }

    /// Checks each `moves` entry of a run with the chaos (`windows`) against a quiet run
    /// (`quiet`: the same blueprint, traffic and seed, with nothing injected).
    ///
    /// Only windows wholly inside [`Scenario::check_span_s`] count, and of those only the ones
    /// in which the quiet run had traffic (so the drain after traffic stops, where throughput
    /// and arrivals fall to zero on their own, never counts). A metric moved Up when its
    /// highest value over those windows exceeds the quiet run's highest over the same
    /// windows by [`MARGIN`] (relative) and the metric's noise (absolute); Down likewise with
    /// the lowest values.
    pub fn check_moves(&self, windows: &[WindowRecord], quiet: &[WindowRecord]) -> Vec<Moved> {
        let (start, end) = self.check_span_s();
        let window_s = windows
            .first()
            .map_or(1.0, |w| w.t_s)
            .max(f64::MIN_POSITIVE);
        let eps = 1e-9;
        // Pair the two runs' windows by their end time.
        let pairs: Vec<(&WindowRecord, &WindowRecord)> = windows
            .iter()
            .filter(|w| w.t_s - window_s >= start - eps && w.t_s <= end + eps)
            .filter_map(|w| {
                quiet
                    .iter()
                    .find(|q| (q.t_s - w.t_s).abs() < eps)
                    .map(|q| (w, q))
            })
            .filter(|(_, q)| q.arrivals > 0)
            .collect();
        self.moves
            .iter()
            .map(|m| {
                let node = m.node.as_deref();
                let values: Vec<(f64, f64)> = pairs
                    .iter()
                    .filter_map(|(w, q)| Some((m.metric.value(w, node)?, m.metric.value(q, node)?)))
                    .collect();
                let noise = m.metric.noise();
                let (after, quiet, moved) = match m.direction {
                    Direction::Up => {
                        let a = values.iter().map(|v| v.0).fold(f64::MIN, f64::max);
                        let q = values.iter().map(|v| v.1).fold(f64::MIN, f64::max);
                        (a, q, a > q * (1.0 + MARGIN) && a > q + noise)
                    }
                    Direction::Down => {
                        let a = values.iter().map(|v| v.0).fold(f64::MAX, f64::min);
                        let q = values.iter().map(|v| v.1).fold(f64::MAX, f64::min);
                        (a, q, a < q * (1.0 - MARGIN) && a < q - noise)
                    }
                };
                Moved {
                    expected: m.clone(),
                    quiet,
                    after,
                    windows: values.len(),
                    moved: !values.is_empty() && moved,
                }
            })
            .collect()
    }

    /// The mitigation called `name`.
    pub fn mitigation(&self, name: &str) -> Result<&Mitigation, String> {
        self.mitigations
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.mitigations.iter().map(|m| m.name.as_str()).collect();
                format!(
                    "scenario \"{}\" has no mitigation \"{name}\"; it has: {}",
                    self.name,
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                )
            })
    }
}
