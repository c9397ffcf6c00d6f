//! Scenario files: a named failure with its story (what it is, what it moves, a real-world
//! example, the mitigations that help) and a timeline of injections, for reproducible runs and
//! talks. Also the command line's `--chaos NAME@START[+DURATION][:TARGET]`.

mod mitigation;

pub use mitigation::{Change, Mitigation};

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

use crate::blueprint::LoadError;
use crate::chaos::{Chaos, Injection, Target};
use crate::sim::{WindowRecord, parse_duration};

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
    /// A node's arrivals per window.
    Arrivals,
}

impl Metric {
    /// Its value in one window (at `node`, for per-node metrics); none if it does not apply.
    pub fn value(self, w: &WindowRecord, node: Option<&str>) -> Option<f64> {
        let n = node.and_then(|id| w.nodes.get(id));
        Some(match self {
            Metric::P99 => w.latency.p99_ms,
            Metric::ErrorRate => w.error_rate,
            Metric::Throughput => n.map_or(w.throughput, |n| n.throughput),
            Metric::HitRate => n?.hit_rate?,
            Metric::QueueDepth => n?.queue_depth,
            Metric::Utilization => n?.utilization,
            Metric::PoolWaiters => n?.pool_waiters,
            Metric::InFlight => n.map_or(w.in_flight_calls as f64, |n| n.in_flight),
            Metric::ReplicationLag => n?.replication_lag_ms.unwrap_or(0.0),
            Metric::ConsumerLag => n?.consumer_lag_ms.unwrap_or(0.0),
            Metric::StaleReads => n?.stale_reads as f64,
            Metric::Arrivals => n.map_or(w.arrivals as f64, |n| n.arrivals as f64),
        })
    }

    /// The smallest change that counts as moving (noise below it).
    fn noise(self) -> f64 {
        match self {
            Metric::P99 => 5.0,
            Metric::ErrorRate | Metric::HitRate | Metric::Utilization => 0.01,
            Metric::ReplicationLag | Metric::ConsumerLag => 50.0,
            _ => 1.0,
        }
    }
}

/// Whether a metric moved as a scenario says.
#[derive(Clone, Debug, PartialEq)]
pub struct Moved {
    /// What was expected.
    pub expected: Moves,
    /// Mean before the first injection.
    pub before: f64,
    /// The extreme after it (the highest for Up, the lowest for Down).
    pub after: f64,
    /// Whether it moved that way by at least 20% and more than noise.
    pub moved: bool,
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
