//! Data-layer chaos: cache stampede and flush, hot keys, database failover, replication lag,
//! pool exhaustion, slow queries, consumer lag, broker outage.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::Injecting;
use super::infrastructure::crash;
pub(super) use super::infrastructure::{PressureParams, pressure};
use super::target::edges_between;
use crate::nodes::cache::Cache;
use crate::nodes::keyspace::Keyspace;
use crate::sim::{
    CapacityLost, HitRateOverride, Model, NS_PER_S, Nanos, PoolShrunk, ReplicationDelayed,
    SimClock, SimRng, Topology, ms_to_ns,
};

/// Runs `f` on the keyspace of each cache in `nodes` at `at`; returns false (at scheduling
/// time) when none of them has a keyspace.
pub(super) fn on_keyspaces(
    cx: &mut Injecting,
    nodes: Vec<Entity>,
    at: Nanos,
    f: impl Fn(&mut Keyspace, Nanos, &mut SimRng) + Send + Sync + 'static,
) -> bool {
    let any = nodes.iter().any(|&e| {
        cx.world
            .get::<Model>(e)
            .and_then(|m| m.0.as_any().downcast_ref::<Cache>())
            .is_some_and(|c| c.lookup.keyspace.is_some())
    });
    cx.at(at, move |w| {
        w.resource_scope(|w, mut rng: Mut<SimRng>| {
            let now = w.resource::<SimClock>().now_ns;
            for &e in &nodes {
                if let Some(mut model) = w.get_mut::<Model>(e)
                    && let Some(cache) = model.0.as_any_mut().downcast_mut::<Cache>()
                    && let Some(ks) = cache.lookup.keyspace.as_mut()
                {
                    f(ks, now, &mut rng);
                }
            }
        });
    });
    any
}

/// Cache stampede.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StampedeParams {
    /// For fixed-ratio caches (no keyspace): the hit ratio while it lasts.
    pub hit_ratio: f64,
    /// For fixed-ratio caches: how long it lasts when no duration is given, seconds.
    pub default_duration_s: f64,
}

impl Default for StampedeParams {
    fn default() -> Self {
        StampedeParams {
            hit_ratio: 0.02,
            default_duration_s: 60.0,
        }
    }
}

pub(super) fn stampede(p: &StampedeParams, cx: &mut Injecting) {
    // Keyspace caches: every entry expires at once (plus the cache's own TTL jitter, if on),
    // and the hit rate follows from the traffic refilling it. Fixed-ratio caches: forced.
    let nodes = cx.targets.nodes.clone();
    let start = cx.start_ns;
    if !on_keyspaces(cx, nodes.clone(), start, |ks, now, rng| {
        ks.expire_together(now, rng)
    }) {
        let end = cx.end_or(p.default_duration_s);
        cx.modify_between(
            nodes,
            HitRateOverride { ratio: p.hit_ratio },
            start,
            Some(end),
        );
    }
}

/// Cache flush.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlushParams {
    /// For fixed-ratio caches: how long the cold cache lasts, seconds.
    pub default_duration_s: f64,
}

impl Default for FlushParams {
    fn default() -> Self {
        FlushParams {
            default_duration_s: 60.0,
        }
    }
}

pub(super) fn flush(p: &FlushParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    let start = cx.start_ns;
    if !on_keyspaces(cx, nodes.clone(), start, |ks, _, _| ks.flush()) {
        let end = cx.end_or(p.default_duration_s);
        cx.modify_between(nodes, HitRateOverride { ratio: 0.0 }, start, Some(end));
    }
}

/// Hot key.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotKeyParams {
    /// Share of the cache's traffic on the one key, percent.
    pub percent: f64,
    /// Shards the cache is split into (the hot key lives on one).
    pub shards: u32,
}

impl Default for HotKeyParams {
    fn default() -> Self {
        HotKeyParams {
            percent: 30.0,
            shards: 8,
        }
    }
}

pub(super) fn hot_key(p: &HotKeyParams, cx: &mut Injecting) {
    // The hot shard takes s + (1 - s)/n of the load with 1/n of the capacity; it saturates
    // when the whole cache is at a fraction (1/n) / (s + (1 - s)/n) of its capacity. A pooled
    // station cannot show one shard, so the cache loses that much usable capacity.
    let n = f64::from(p.shards.max(1));
    let s = (p.percent / 100.0).clamp(0.0, 1.0);
    let remaining = (1.0 / n) / (s + (1.0 - s) / n);
    let nodes = cx.targets.nodes.clone();
    cx.modify(nodes, CapacityLost { remaining });
}

/// Database primary failover.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailoverParams {
    /// Seconds until a replica is promoted and the primary answers again.
    pub failover_s: f64,
}

impl Default for FailoverParams {
    fn default() -> Self {
        FailoverParams { failover_s: 30.0 }
    }
}

pub(super) fn failover(p: &FailoverParams, cx: &mut Injecting) {
    // Only primaries (replicas are named "<id>-replica-<k>").
    let nodes: Vec<Entity> = cx
        .targets
        .nodes
        .iter()
        .copied()
        .filter(|&e| {
            cx.world
                .get::<crate::sim::Node>(e)
                .is_some_and(|n| !n.id.contains("-replica-"))
        })
        .collect();
    let until = cx.start_ns + (p.failover_s * NS_PER_S as f64) as Nanos;
    crash(cx, nodes, cx.start_ns, Some(until));
}

/// Replication lag.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LagParams {
    /// Added delay before a write reaches the replicas, milliseconds.
    pub delay_ms: f64,
}

impl Default for LagParams {
    fn default() -> Self {
        LagParams { delay_ms: 8_000.0 }
    }
}

pub(super) fn replication_lag(p: &LagParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        ReplicationDelayed {
            delay_ns: ms_to_ns(p.delay_ms),
        },
    );
}

/// Connection pool exhaustion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolParams {
    /// Connections left usable in each caller's pool (the rest are leaked or stuck).
    pub usable: u32,
}

impl Default for PoolParams {
    fn default() -> Self {
        PoolParams { usable: 2 }
    }
}

pub(super) fn pool_exhaustion(p: &PoolParams, cx: &mut Injecting) {
    let all = cx.world.resource::<Topology>().nodes.clone();
    let targets = cx.targets.nodes.clone();
    let edges = edges_between(cx.world, &all, &targets);
    cx.modify(edges, PoolShrunk { usable: p.usable });
}

/// Broker outage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerParams {}

pub(super) fn broker_down(_: &BrokerParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    crash(cx, nodes, cx.start_ns, cx.end_ns);
}
