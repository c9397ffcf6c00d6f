//! The blueprint format (documented field by field in `docs/blueprint-format.md`).

use std::collections::{BTreeMap, BTreeSet};

use bevy::prelude::*;
use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

use super::error::LoadError;
use crate::nodes::{NodeKind, Wiring};
use crate::sim::{
    Breaker, CallMode, Dist, EdgeId, Jitter, NodeId, Pool, RetryPolicy, ms_to_ns, positive,
};

/// An architecture: nodes, the edges between them, and what to try with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blueprint {
    /// Display name.
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Suggestions for the user (what to change or break and what to watch).
    #[serde(default)]
    pub what_to_try: Vec<String>,
    /// The components.
    pub nodes: Vec<NodeSpec>,
    /// Who calls whom.
    pub edges: Vec<EdgeSpec>,
}

/// A node: a unique id, its kind with parameters, and where it sits on the canvas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique id (letters, digits, '-', '_').
    pub id: String,
    /// Kind and parameters.
    pub kind: NodeKind,
    /// Canvas position (x, y); laid out automatically when absent.
    #[serde(default)]
    pub position: Option<(f32, f32)>,
    /// Availability zone (for zone outages and cross-zone traffic).
    #[serde(default)]
    pub zone: Option<String>,
    /// Region (for region outages and cross-region links).
    #[serde(default)]
    pub region: Option<String>,
    /// The AWS service and size it is priced as; its kind's default when absent.
    #[serde(default)]
    pub cost: Option<crate::cost::CostSpec>,
}

/// Retries on an edge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySpec {
    /// Extra attempts after the first.
    pub count: u8,
    /// Backoff before the first retry, milliseconds (doubles each retry).
    pub backoff_ms: f64,
    /// Cap on the backoff, milliseconds.
    pub max_backoff_ms: f64,
    /// Randomisation of the backoff.
    pub jitter: Jitter,
}

impl Default for RetrySpec {
    fn default() -> Self {
        RetrySpec {
            count: 2,
            backoff_ms: 50.0,
            max_backoff_ms: 1_000.0,
            jitter: Jitter::Full,
        }
    }
}

/// A circuit breaker on an edge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerSpec {
    /// Failure ratio within a window that opens it.
    pub failure_ratio: f64,
    /// Calls a window needs before it can open.
    pub min_calls: u32,
    /// Counting window, milliseconds.
    pub window_ms: f64,
    /// Time it stays open before one probe, milliseconds.
    pub open_ms: f64,
}

impl Default for BreakerSpec {
    fn default() -> Self {
        BreakerSpec {
            failure_ratio: 0.5,
            min_calls: 20,
            window_ms: 10_000.0,
            open_ms: 5_000.0,
        }
    }
}

/// A connection pool on an edge (held by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSpec {
    /// Connections.
    pub size: u32,
    /// Wait for a connection before `PoolExhausted`, milliseconds.
    pub acquire_timeout_ms: f64,
}

impl Default for PoolSpec {
    fn default() -> Self {
        PoolSpec {
            size: 10,
            acquire_timeout_ms: 1_000.0,
        }
    }
}

/// An edge: the caller, the callee, the network and the caller's policies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    /// Caller node id.
    pub from: String,
    /// Callee node id.
    pub to: String,
    /// One-way network latency.
    #[serde(default = "default_latency")]
    pub latency: Dist,
    /// Sync (wait for the answer) or Async (fire and forget).
    #[serde(default)]
    pub mode: CallMode,
    /// Deadline per attempt, milliseconds; none = wait forever.
    #[serde(default)]
    pub timeout_ms: Option<f64>,
    /// Retries after a failure.
    #[serde(default)]
    pub retries: Option<RetrySpec>,
    /// Circuit breaker.
    #[serde(default)]
    pub breaker: Option<BreakerSpec>,
    /// Connection pool.
    #[serde(default)]
    pub pool: Option<PoolSpec>,
}

fn default_latency() -> Dist {
    Dist::LogNormal { p50: 0.5, p99: 2.0 }
}

impl EdgeSpec {
    /// The edge's engine component between two spawned nodes.
    pub fn component(&self, from: NodeId, to: NodeId) -> crate::sim::Edge {
        let mut edge = crate::sim::Edge::new(from, to, self.latency.sampler());
        edge.mode = self.mode;
        edge.timeout_ns = self.timeout_ms.map(ms_to_ns);
        edge.retry = self.retries.map_or(RetryPolicy::NONE, |r| RetryPolicy {
            count: r.count,
            base_ns: ms_to_ns(r.backoff_ms),
            max_ns: ms_to_ns(r.max_backoff_ms),
            jitter: r.jitter,
        });
        edge.breaker = self.breaker.map(|b| {
            Breaker::new(
                b.failure_ratio,
                b.min_calls,
                ms_to_ns(b.window_ms),
                ms_to_ns(b.open_ms),
            )
        });
        edge.pool = self
            .pool
            .map(|p| Pool::new(p.size, ms_to_ns(p.acquire_timeout_ms)));
        edge
    }

    fn validate(&self) -> Result<(), String> {
        self.latency
            .validate()
            .map_err(|e| format!("latency: {e}"))?;
        if self.timeout_ms.is_some_and(|t| !positive(t)) {
            return Err("timeout_ms must be > 0".into());
        }
        if let Some(r) = self.retries
            && !(r.backoff_ms >= 0.0 && r.max_backoff_ms >= r.backoff_ms)
        {
            return Err("retries need 0 <= backoff_ms <= max_backoff_ms".into());
        }
        if let Some(b) = self.breaker
            && !((0.0..=1.0).contains(&b.failure_ratio) && b.window_ms > 0.0 && b.open_ms > 0.0)
        {
            return Err(
                "breaker needs 0 <= failure_ratio <= 1, window_ms > 0 and open_ms > 0".into(),
            );
        }
        if let Some(p) = self.pool
            && !(p.size > 0 && p.acquire_timeout_ms >= 0.0)
        {
            return Err("pool needs size >= 1 and acquire_timeout_ms >= 0".into());
        }
        Ok(())
    }
}

/// Wiring for validation: checks references without a world.
struct NameWiring<'a> {
    from: &'a str,
    edges: &'a BTreeMap<&'a str, Vec<&'a str>>,
}

impl Wiring for NameWiring<'_> {
    fn edge_to(&self, target: &str) -> Result<EdgeId, String> {
        let outs = self.edges.get(self.from).map(Vec::as_slice).unwrap_or(&[]);
        if outs.contains(&target) {
            Ok(EdgeId::PLACEHOLDER)
        } else {
            Err(format!(
                "it refers to \"{target}\" but there is no edge from \"{}\" to \"{target}\" (its edges go to: {})",
                self.from,
                if outs.is_empty() {
                    "nothing".to_string()
                } else {
                    outs.join(", ")
                }
            ))
        }
    }

    fn out_edges(&self) -> Vec<EdgeId> {
        self.edges
            .get(self.from)
            .map_or(Vec::new(), |v| vec![EdgeId::PLACEHOLDER; v.len()])
    }
}

impl Blueprint {
    /// Parses and validates RON text; `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Blueprint, LoadError> {
        let options = ron::Options::default().with_default_extension(
            Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES,
        );
        let blueprint: Blueprint = options.from_str(src).map_err(|e| LoadError {
            file: file.to_string(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })?;
        blueprint.validate(file, src)?;
        Ok(blueprint)
    }

    /// Writes the blueprint as RON (it parses back to the same blueprint).
    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .extensions(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
        ron::ser::to_string_pretty(self, config).expect("blueprints always serialize")
    }

    /// Checks what the format alone cannot: unique ids, references, values in range.
    pub fn validate(&self, file: &str, src: &str) -> Result<(), LoadError> {
        let at = |offset: usize, message: String| LoadError::at_offset(file, src, offset, message);
        let node_pos = |i: usize| nth_after(src, "id:", "nodes", i);
        let edge_pos = |i: usize| nth_after(src, "from:", "edges", i);

        if self.nodes.is_empty() {
            return Err(at(
                find_key(src, "nodes"),
                "a blueprint needs at least one node".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let valid = !node.id.is_empty()
                && node
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(at(
                    node_pos(i),
                    format!(
                        "node id \"{}\" must be letters, digits, '-' or '_'",
                        node.id
                    ),
                ));
            }
            if !ids.insert(node.id.as_str()) {
                return Err(at(
                    node_pos(i),
                    format!("node id \"{}\" is used twice; ids must be unique", node.id),
                ));
            }
            node.kind.validate().map_err(|e| {
                at(
                    node_pos(i),
                    format!("node \"{}\" ({}): {e}", node.id, node.kind.name()),
                )
            })?;
            if let Some(cost) = &node.cost {
                cost.check(&node.kind, crate::cost::PriceTable::aws_us_east_1())
                    .map_err(|e| at(node_pos(i), format!("node \"{}\" cost: {e}", node.id)))?;
            }
        }
        let known = || ids.iter().copied().collect::<Vec<_>>().join(", ");
        let mut outs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (i, edge) in self.edges.iter().enumerate() {
            for end in [&edge.from, &edge.to] {
                if !ids.contains(end.as_str()) {
                    let offset = find_quoted_after(src, end, edge_pos(i));
                    return Err(at(
                        offset,
                        format!(
                            "edge {} refers to unknown node \"{end}\"; expected one of: {}",
                            i + 1,
                            known()
                        ),
                    ));
                }
            }
            if edge.from == edge.to {
                return Err(at(
                    edge_pos(i),
                    format!("edge {} goes from \"{}\" to itself", i + 1, edge.from),
                ));
            }
            let list = outs.entry(edge.from.as_str()).or_default();
            if list.contains(&edge.to.as_str()) {
                return Err(at(
                    edge_pos(i),
                    format!(
                        "edge from \"{}\" to \"{}\" is declared twice",
                        edge.from, edge.to
                    ),
                ));
            }
            list.push(edge.to.as_str());
            edge.validate().map_err(|e| {
                at(
                    edge_pos(i),
                    format!("edge \"{}\" -> \"{}\": {e}", edge.from, edge.to),
                )
            })?;
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let wiring = NameWiring {
                from: &node.id,
                edges: &outs,
            };
            if let Err(e) = node.kind.build(&wiring) {
                return Err(at(
                    node_pos(i),
                    format!("node \"{}\" ({}): {e}", node.id, node.kind.name()),
                ));
            }
        }
        Ok(())
    }

    /// Sum of the traffic sources' base rates.
    pub fn total_rps(&self) -> f64 {
        self.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Client(c) => Some(c.rps),
                _ => None,
            })
            .sum()
    }

    /// Scales every traffic source so their base rates add up to `rps`.
    pub fn set_total_rps(&mut self, rps: f64) {
        let total = self.total_rps();
        if total <= 0.0 {
            return;
        }
        for node in &mut self.nodes {
            if let NodeKind::Client(c) = &mut node.kind {
                c.scale(rps / total);
            }
        }
    }
}

/// Byte offset of `key` (as a field name) in `src`, or 0.
fn find_key(src: &str, key: &str) -> usize {
    src.find(&format!("{key}:")).unwrap_or(0)
}

/// Byte offset of the `n`-th (0-based) occurrence of `needle` after the field `section`.
fn nth_after(src: &str, needle: &str, section: &str, n: usize) -> usize {
    let start = find_key(src, section);
    src[start..]
        .match_indices(needle)
        .nth(n)
        .map_or(start, |(i, _)| start + i)
}

/// Byte offset of `"value"` at or after `from`, or `from`.
fn find_quoted_after(src: &str, value: &str, from: usize) -> usize {
    src[from..]
        .find(&format!("\"{value}\""))
        .map_or(from, |i| from + i)
}
