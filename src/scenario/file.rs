//! A scenario file: its story, its timeline of injections, what it moves and its
//! mitigations; parsing with positions, and finding one by name.

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

use super::builtin::BUILTIN_SCENARIOS;
use super::mitigation::Mitigation;
use super::moves::{Direction, Moved, Moves};
use crate::blueprint::LoadError;
use crate::chaos::Injection;
use crate::sim::WindowRecord;

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
        let options = ron::Options::default().with_default_extension(
            Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES,
        );
        let scenario: Scenario = options.from_str(src).map_err(|e| LoadError {
            file: file.to_string(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })?;
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

    /// Checks each `moves` entry against a run's windows (steady state after `warmup_s` and
    /// before the first injection, against every window after it).
    pub fn check_moves(&self, windows: &[WindowRecord], warmup_s: f64) -> Vec<Moved> {
        let first = self
            .timeline
            .iter()
            .map(|i| i.at_s)
            .fold(f64::MAX, f64::min);
        self.moves
            .iter()
            .map(|m| {
                let node = m.node.as_deref();
                let before: Vec<f64> = windows
                    .iter()
                    .filter(|w| w.t_s > warmup_s && w.t_s <= first)
                    .filter_map(|w| m.metric.value(w, node))
                    .collect();
                let after = windows
                    .iter()
                    .filter(|w| w.t_s > first)
                    .filter_map(|w| m.metric.value(w, node));
                let before = before.iter().sum::<f64>() / before.len().max(1) as f64;
                let (after, moved) = match m.direction {
                    Direction::Up => {
                        let a = after.fold(f64::MIN, f64::max);
                        (a, a > before * 1.2 && a > before + m.metric.noise())
                    }
                    Direction::Down => {
                        let a = after.fold(f64::MAX, f64::min);
                        (a, a < before * 0.8 && a < before - m.metric.noise())
                    }
                };
                Moved {
                    expected: m.clone(),
                    before,
                    after,
                    moved,
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
