//! Sizing: the capacity units a node has (its kind's `capacity_units`: replicas, cores,
//! consumers), the units it needs to stay under the target utilization at the simulated load
//! (CPU, for the nodes with cores), what to grow before the next run, and the RDS class a
//! number of vCPUs takes.

use std::collections::{BTreeMap, BTreeSet};

use super::config::EstimateConfig;
use crate::blueprint::{Blueprint, NodeSpec};
use crate::nodes::SizedBy;
use crate::pricing::spec::RdsSpec;
use crate::pricing::{CostSpec, Price, PriceTable};
use crate::run::Summary;

/// Every node's capacity units as the blueprint gives them: the floor sizes never go below.
pub(super) fn capacity_of(blueprint: &Blueprint) -> BTreeMap<String, u32> {
    blueprint
        .nodes
        .iter()
        .filter_map(|n| n.kind.capacity_units().map(|u| (n.id.clone(), u)))
        .collect()
}

/// Seconds of steady state the summary covers (its requests over the clients' rate).
pub(super) fn steady_span_s(blueprint: &Blueprint, summary: &Summary) -> Option<f64> {
    let client_rate: f64 = blueprint
        .nodes
        .iter()
        .filter(|n| n.kind.offered_rps().is_some())
        .filter_map(|n| summary.nodes.get(&n.id))
        .map(|s| s.arrival_rate)
        .sum();
    (summary.arrivals > 0 && client_rate > 0.0).then(|| summary.arrivals as f64 / client_rate)
}

/// The utilization a node would have at its present size if it took every call that arrived:
/// the CPU work offered over its cores (which goes past 1 when the CPU falls behind) for a
/// node with cores, otherwise the busy share; either scaled by arrivals over calls started
/// when it turned some away. For a node with read replicas (a database), the busiest of it and
/// its replicas.
fn offered_utilization(node: &NodeSpec, summary: &Summary, span_s: Option<f64>) -> f64 {
    let one = |id: &str| {
        let Some(s) = summary.nodes.get(id) else {
            return 0.0;
        };
        let busy = if s.cores > 0 {
            s.cpu_demand / f64::from(s.cores)
        } else {
            s.utilization
        };
        let started_per_s = span_s.map_or(0.0, |span| s.started as f64 / span);
        if started_per_s > 0.0 && s.arrival_rate > started_per_s {
            busy * s.arrival_rate / started_per_s
        } else {
            busy
        }
    };
    let mut u = one(&node.id);
    for k in 1..=node.kind.read_replicas() {
        u = u.max(one(&format!("{}-replica-{k}", node.id)));
    }
    u
}

/// Capacity units the node needs to stay at the target utilization (not rounded).
pub(super) fn needed_units(
    node: &NodeSpec,
    summary: &Summary,
    span_s: Option<f64>,
    target: f64,
) -> f64 {
    let units = node.kind.capacity_units().unwrap_or(0) as f64;
    units * offered_utilization(node, summary, span_s) / target
}

/// Units to price (or to simulate) for a need: whole units, at least `floor`; cores priced on
/// RDS round up to the instance class's vCPUs.
pub(super) fn units_for(node: &NodeSpec, need: f64, floor: u32, table: &PriceTable) -> u32 {
    let whole = (need.ceil() as u32).max(floor).max(1);
    match (node.priced_as(), node.kind.sized_by()) {
        (Some(CostSpec::Rds(s)), SizedBy::Cores) => match rds_class(table, &s, whole) {
            Some((class, 1)) => class.vcpus.map_or(whole, |v| v as u32),
            _ => whole,
        },
        _ => whole,
    }
}

/// Mean calls waiting for a pooled connection at which a caller's pools count as too small.
const POOL_WAITERS_TOO_MANY: f64 = 1.0;

/// The most a caller's pools grow in one step.
const MAX_POOL_GROWTH: f64 = 16.0;

/// What to change before the next run at the same multiple.
#[derive(Debug, Default)]
pub(super) struct Resize {
    /// Nodes to give more capacity, with their new units.
    pub(super) units: BTreeMap<String, u32>,
    /// Callers whose pools are the bottleneck, with the factor their pools grow by.
    pub(super) pools: BTreeMap<String, f64>,
}

impl Resize {
    pub(super) fn is_empty(&self) -> bool {
        self.units.is_empty() && self.pools.is_empty()
    }

    /// Applies the changes. Pools belong to instances in a real deployment, so a caller's
    /// pools grow with its workers; a node that limits connections (a database) accepts as
    /// many as its callers' pools can open.
    pub(super) fn apply(&self, blueprint: &mut Blueprint) {
        let mut pool_factor: BTreeMap<String, f64> = BTreeMap::new();
        for node in &mut blueprint.nodes {
            if let Some(&units) = self.units.get(&node.id) {
                let before = node.kind.capacity_units().unwrap_or(units).max(1);
                node.kind.set_capacity_units(units);
                if node.kind.sized_by() == SizedBy::Workers {
                    pool_factor.insert(node.id.clone(), f64::from(units) / f64::from(before));
                }
            }
            if let Some(factor) = self.pools.get(&node.id) {
                *pool_factor.entry(node.id.clone()).or_insert(1.0) *= factor;
            }
        }
        for edge in &mut blueprint.edges {
            if let (Some(pool), Some(factor)) = (&mut edge.pool, pool_factor.get(&edge.from)) {
                pool.size = (f64::from(pool.size) * factor).ceil() as u32;
            }
        }
        let pooled_into = |id: &str, edges: &[crate::blueprint::EdgeSpec]| -> u32 {
            edges
                .iter()
                .filter(|e| e.to == id)
                .filter_map(|e| e.pool.map(|p| p.size))
                .sum()
        };
        for node in &mut blueprint.nodes {
            let pooled = pooled_into(&node.id, &blueprint.edges);
            node.kind.accept_connections(pooled);
        }
    }
}

/// What to change before the next run. A caller waiting for pooled connections gets bigger
/// pools rather than replicas; any other node above the target gets more capacity, unless
/// something it calls is short too (a blocking caller looks busy while its callee is slow).
pub(super) fn resize(
    blueprint: &Blueprint,
    summary: &Summary,
    table: &PriceTable,
    config: &EstimateConfig,
) -> Resize {
    let span = steady_span_s(blueprint, summary);
    let mut resize = Resize::default();
    let mut short = BTreeMap::new();
    for node in &blueprint.nodes {
        if let Some(s) = summary.nodes.get(&node.id)
            && s.pool_size > 0
            && (s.pool_waiters >= POOL_WAITERS_TOO_MANY || s.errors.contains_key("pool_exhausted"))
        {
            // Calls wanting a connection: those holding one and those waiting.
            let wanted = (s.pool_in_use + s.pool_waiters) / config.target_utilization;
            let factor = (wanted / s.pool_in_use.max(1.0)).clamp(2.0, MAX_POOL_GROWTH);
            resize.pools.insert(node.id.clone(), factor.ceil());
            continue;
        }
        let Some(units) = node.kind.capacity_units() else {
            continue;
        };
        let need = needed_units(node, summary, span, config.target_utilization);
        let grown = units_for(node, need, units, table);
        if grown > units {
            short.insert(node.id.clone(), grown);
        }
    }
    let waiting: BTreeSet<&String> = short.keys().chain(resize.pools.keys()).collect();
    let leaves: BTreeMap<String, u32> = short
        .iter()
        .filter(|(id, _)| {
            !reachable(blueprint, id)
                .iter()
                .any(|other| other != *id && waiting.contains(other))
        })
        .map(|(id, u)| (id.clone(), *u))
        .collect();
    resize.units = if leaves.is_empty() && resize.pools.is_empty() {
        short
    } else {
        leaves
    };
    resize
}

/// Every node reachable from `id` over edges (including `id`).
fn reachable(blueprint: &Blueprint, id: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::from([id.to_string()]);
    let mut stack = vec![id.to_string()];
    while let Some(at) = stack.pop() {
        for edge in blueprint.edges.iter().filter(|e| e.from == at) {
            if seen.insert(edge.to.clone()) {
                stack.push(edge.to.clone());
            }
        }
    }
    seen
}

/// The smallest class of the spec's family with at least `vcpus`, and how many of them; past
/// the largest class, several of the largest (the database would have to be split).
pub(super) fn rds_class<'t>(
    table: &'t PriceTable,
    spec: &RdsSpec,
    vcpus: u32,
) -> Option<(&'t Price, u32)> {
    let family = table.family(&format!("rds.{}.db.{}.", spec.engine.key(), spec.family));
    let largest = *family.last()?;
    match family
        .iter()
        .find(|p| p.vcpus.unwrap_or(0.0) >= vcpus as f64)
    {
        Some(class) => Some((class, 1)),
        None => {
            let per = largest.vcpus.unwrap_or(1.0);
            Some((largest, (vcpus as f64 / per).ceil() as u32))
        }
    }
}
