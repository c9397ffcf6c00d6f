//! Scenario files: a named failure with its story (what it is, what it moves, a real-world
//! example, the mitigations that help) and a timeline of injections, for reproducible runs and
//! talks. Also the command line's `--chaos NAME@START[+DURATION][:TARGET]`.

mod mitigation;

pub use mitigation::{Change, Mitigation};

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

use crate::blueprint::LoadError;
use crate::chaos::{Chaos, Injection, Target};
use crate::cli::parse_duration;

/// A metric a scenario says it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// End-to-end p99 latency.
    P99,
    /// End-to-end error rate.
    ErrorRate,
    /// Successful requests per second.
    Throughput,
    /// A cache's hit rate.
    HitRate,
    /// A node's queue depth.
    QueueDepth,
    /// A node's utilization.
    Utilization,
    /// Calls waiting for pooled connections on a node's outgoing edges.
    PoolWaiters,
    /// Calls at a node.
    InFlight,
    /// A database's replication lag.
    ReplicationLag,
    /// A message queue's consumer lag.
    ConsumerLag,
    /// Stale replica reads.
    StaleReads,
    /// A node's arrivals per second.
    Arrivals,
}

/// Which way it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Goes up.
    Up,
    /// Goes down.
    Down,
}

/// "This scenario moves that metric (at that node) that way."
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moves {
    /// The metric.
    pub metric: Metric,
    /// The node, for per-node metrics.
    #[serde(default)]
    pub node: Option<String>,
    /// The direction.
    pub direction: Direction,
}

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

/// Parses `NAME@START[+DURATION][:TARGET]` (times like `30s`, `2m`; targets as in
/// [`Target::parse`]).
pub fn parse_chaos_flag(spec: &str) -> Result<Injection, String> {
    let (name, rest) = spec.split_once('@').ok_or_else(|| {
        format!("--chaos \"{spec}\": expected NAME@START[+DURATION][:TARGET], e.g. cache-stampede@30s or node-failure@30s+60s:app-1")
    })?;
    let chaos = Chaos::by_name(name.trim())?;
    let (times, target) = match rest.split_once(':') {
        Some((t, target)) => (t, Some(Target::parse(target)?)),
        None => (rest, None),
    };
    let (start, duration) = match times.split_once('+') {
        Some((s, d)) => (s, Some(parse_duration("--chaos duration", d)?)),
        None => (times, None),
    };
    let at_s = if start.trim() == "0" {
        0.0
    } else {
        parse_duration("--chaos start", start)?
    };
    Ok(Injection {
        chaos,
        target,
        at_s,
        duration_s: duration,
    })
}

/// Name and RON text of every scenario shipped in `scenarios/`.
pub const BUILTIN_SCENARIOS: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/scenarios.rs"));
