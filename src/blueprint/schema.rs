//! The blueprint format (documented field by field in `docs/blueprint-format.md`).

use std::collections::{BTreeMap, BTreeSet};

use bevy::prelude::*;
use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

use super::error::LoadError;
use crate::nodes::{NodeKind, Wiring};
use crate::pricing::{CostSpec, PriceTable};
use crate::sim::{
    Breaker, CallMode, CauseSet, Dist, EdgeId, Jitter, NodeId, Pool, RetryPolicy, ms_to_ns,
    positive,
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
    pub cost: Option<CostSpec>,
}

impl NodeSpec {
    /// The AWS service (and size) it is priced as: its own `cost`, or its kind's default;
    /// `None` for what costs nothing itself (traffic sources).
    pub fn priced_as(&self) -> Option<CostSpec> {
        self.cost.clone().or_else(|| self.kind.default_cost())
    }
}

/// Checks that `cost` fits a node of `kind` (one of its kind's
/// [`fitting_costs`](crate::nodes::Kind::fitting_costs)), that its numbers are in range and
/// that the sizes it names are in `table`.
pub fn check_cost(cost: &CostSpec, kind: &NodeKind, table: &PriceTable) -> Result<(), String> {
    cost.check_fits(kind.name(), kind.fitting_costs())?;
    cost.check(table)
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
    /// The errors it retries, e.g. `[timeout, pool_exhausted]`; by default every cause but
    /// `circuit_open` and `pool_exhausted` (those fail fast on purpose).
    #[serde(skip_serializing_if = "CauseSet::is_default_retried")]
    pub retry_on: CauseSet,
    /// A retry budget: retries at most this share of first attempts (0.1 = 10%, Finagle's
    /// and gRPC's way to keep retries from becoming a storm); none = no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
}

impl Default for RetrySpec {
    fn default() -> Self {
        RetrySpec {
            count: 2,
            backoff_ms: 50.0,
            max_backoff_ms: 1_000.0,
            jitter: Jitter::Full,
            retry_on: CauseSet::RETRIED_BY_DEFAULT,
            budget: None,
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
    /// One-way network latency; none = from where the two nodes run (same zone, another
    /// zone, another region: see `blueprint/network.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Dist>,
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

impl EdgeSpec {
    /// A synchronous edge with the default network and no policies.
    pub fn between(from: &str, to: &str) -> Self {
        EdgeSpec {
            from: from.to_string(),
            to: to.to_string(),
            latency: None,
            mode: CallMode::default(),
            timeout_ms: None,
            retries: None,
            breaker: None,
            pool: None,
        }
    }

    /// The edge's engine component between two spawned nodes, with `placed` as its latency
    /// if it sets none.
    pub fn component(&self, from: NodeId, to: NodeId, placed: Dist) -> crate::sim::Edge {
        let latency = self.latency.unwrap_or(placed);
        let mut edge = crate::sim::Edge::new(from, to, latency.sampler());
        edge.mode = self.mode;
        edge.timeout_ns = self.timeout_ms.map(ms_to_ns);
        edge.retry = self.retries.map_or(RetryPolicy::NONE, |r| RetryPolicy {
            count: r.count,
            base_ns: ms_to_ns(r.backoff_ms),
            max_ns: ms_to_ns(r.max_backoff_ms),
            jitter: r.jitter,
            on: r.retry_on,
        });
        edge.retry_budget = self
            .retries
            .and_then(|r| r.budget)
            .map(crate::sim::RetryBudget::new);
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
        if let Some(latency) = &self.latency {
            latency.validate().map_err(|e| format!("latency: {e}"))?;
        }
        if self.timeout_ms.is_some_and(|t| !positive(t)) {
            return Err("timeout_ms must be > 0".into());
        }
        if let Some(r) = self.retries
            && !(r.backoff_ms >= 0.0 && r.max_backoff_ms >= r.backoff_ms)
        {
            return Err("retries need 0 <= backoff_ms <= max_backoff_ms".into());
        }
        if self
            .retries
            .is_some_and(|r| r.count > 0 && r.retry_on.is_empty())
        {
            return Err("retries: retry_on is empty, so nothing is retried (remove retries, or name causes such as [timeout, pool_exhausted])".into());
        }
        if let Some(b) = self.retries.and_then(|r| r.budget)
            && !(b > 0.0 && b <= 10.0)
        {
            return Err(format!(
                "retries: budget is the share of first attempts that may be retried, between 0 (exclusive) and 10, found {b}"
            ));
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
        let blueprint = Blueprint::parse_unchecked(file, src)?;
        blueprint.validate(file, src)?;
        Ok(blueprint)
    }

    /// Parses RON text without the checks of [`Blueprint::validate`]: the editor opens a
    /// blueprint with problems and shows them where they are.
    pub fn parse_unchecked(file: &str, src: &str) -> Result<Blueprint, LoadError> {
        read_ron(file, src)
    }

    /// Writes the blueprint as RON (it parses back to the same blueprint).
    pub fn to_ron(&self) -> String {
        part_to_ron(self)
    }

    /// Checks what the format alone cannot: unique ids, references, values in range. The
    /// error is the first of [`Blueprint::problems`], placed in `src`.
    pub fn validate(&self, file: &str, src: &str) -> Result<(), LoadError> {
        let Some(problem) = self.problems().into_iter().next() else {
            return Ok(());
        };
        let edge_pos = |i: usize| nth_after(src, "from:", "edges", i);
        let offset = match &problem.place {
            Place::Blueprint => find_key(src, "nodes"),
            Place::Node(i) => nth_after(src, "id:", "nodes", *i),
            Place::Edge(i) => edge_pos(*i),
            Place::EdgeEnd(i, end) => find_quoted_after(src, end, edge_pos(*i)),
        };
        Err(LoadError::at_offset(file, src, offset, problem.message))
    }

    /// Everything wrong with the blueprint, each placed on a node or an edge (the editor shows
    /// them next to what is wrong), in the order a reader meets them.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |place: Place, message: String| problems.push(Problem { place, message });
        if self.nodes.is_empty() {
            problem(
                Place::Blueprint,
                "a blueprint needs at least one node".into(),
            );
        }
        let mut ids = BTreeSet::new();
        let mut wirable = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let valid = !node.id.is_empty()
                && node
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                problem(
                    Place::Node(i),
                    format!(
                        "node id \"{}\" must be letters, digits, '-' or '_'",
                        node.id
                    ),
                );
                continue;
            }
            if !ids.insert(node.id.as_str()) {
                problem(
                    Place::Node(i),
                    format!("node id \"{}\" is used twice; ids must be unique", node.id),
                );
                continue;
            }
            if let Err(e) = node.kind.validate() {
                problem(
                    Place::Node(i),
                    format!("node \"{}\" ({}): {e}", node.id, node.kind.name()),
                );
                continue;
            }
            if let Some(cost) = &node.cost
                && let Err(e) = check_cost(cost, &node.kind, PriceTable::aws_us_east_1())
            {
                problem(Place::Node(i), format!("node \"{}\" cost: {e}", node.id));
                continue;
            }
            wirable.push(i);
        }
        let known = || ids.iter().copied().collect::<Vec<_>>().join(", ");
        let mut outs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        'edges: for (i, edge) in self.edges.iter().enumerate() {
            for end in [&edge.from, &edge.to] {
                if !ids.contains(end.as_str()) {
                    problem(
                        Place::EdgeEnd(i, end.clone()),
                        format!(
                            "edge {} refers to unknown node \"{end}\"; expected one of: {}",
                            i + 1,
                            known()
                        ),
                    );
                    continue 'edges;
                }
            }
            if edge.from == edge.to {
                problem(
                    Place::Edge(i),
                    format!("edge {} goes from \"{}\" to itself", i + 1, edge.from),
                );
                continue;
            }
            let list = outs.entry(edge.from.as_str()).or_default();
            if list.contains(&edge.to.as_str()) {
                problem(
                    Place::Edge(i),
                    format!(
                        "edge from \"{}\" to \"{}\" is declared twice",
                        edge.from, edge.to
                    ),
                );
                continue;
            }
            list.push(edge.to.as_str());
            if let Err(e) = edge.validate() {
                problem(
                    Place::Edge(i),
                    format!("edge \"{}\" -> \"{}\": {e}", edge.from, edge.to),
                );
            }
        }
        for i in wirable {
            let node = &self.nodes[i];
            let wiring = NameWiring {
                from: &node.id,
                edges: &outs,
            };
            if let Err(e) = node.kind.build(&wiring) {
                problem(
                    Place::Node(i),
                    format!("node \"{}\" ({}): {e}", node.id, node.kind.name()),
                );
            }
        }
        problems
    }

    /// Sum of the traffic sources' base rates.
    pub fn total_rps(&self) -> f64 {
        self.nodes.iter().filter_map(|n| n.kind.offered_rps()).sum()
    }

    /// Scales every traffic source so their base rates add up to `rps`.
    pub fn set_total_rps(&mut self, rps: f64) {
        let total = self.total_rps();
        if total <= 0.0 {
            return;
        }
        for node in &mut self.nodes {
            node.kind.scale_traffic(rps / total);
        }
    }
}

/// Writes one part of a blueprint (a node kind, an edge) as RON, as a blueprint file has it.
pub fn part_to_ron<T: Serialize>(part: &T) -> String {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .extensions(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    ron::ser::to_string_pretty(part, config).expect("blueprint parts always serialize")
}

/// Reads a whole RON file of ours (a blueprint, a scenario) as blueprint files are written;
/// an error names `file`, its line and column.
pub fn read_ron<T: serde::de::DeserializeOwned>(file: &str, src: &str) -> Result<T, LoadError> {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
        .from_str(src)
        .map_err(|e| LoadError {
            file: file.to_string(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })
}

/// Reads one part of a blueprint (a node kind, an edge) from RON; an error says line:column.
pub fn part_from_ron<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    read_ron("", text).map_err(|e| format!("{}:{}: {}", e.line, e.col, e.message))
}

/// Where a [`Problem`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The blueprint as a whole.
    Blueprint,
    /// The node at this index.
    Node(usize),
    /// The edge at this index.
    Edge(usize),
    /// One end (a node id) of the edge at this index.
    EdgeEnd(usize, String),
}

/// One thing wrong with a blueprint, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub place: Place,
    /// What is wrong and what was expected.
    pub message: String,
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
