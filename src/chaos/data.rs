//! Data-layer chaos: cache stampede and flush, hot keys, hot partitions, database failover,
//! replication lag, pool exhaustion, slow queries, consumer lag, broker outage,
//! consumer-group rebalances.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::infrastructure::{PressureParams, pressure};
use super::injecting::Injecting;
use super::kind::{Family, Kind};
use super::target::edges_between;
use crate::sim::{
    CapacityLost, Down, HitRateOverride, KeyConcentrated, NS_PER_S, Nanos, PoolShrunk,
    RegisterModifier, ReplicationDelayed, Shock, Slowdown, Topology, ms_to_ns,
};

/// Data-layer chaos: the modifiers its kinds put on caches, databases, queues and the edges into them (stampedes and flushes of keyspace caches act by a shock).
pub(super) fn plugin(app: &mut App) {
    app.register_modifier::<HitRateOverride>()
        .register_modifier::<CapacityLost>()
        .register_modifier::<ReplicationDelayed>()
        .register_modifier::<PoolShrunk>()
        .register_modifier::<Down>()
        .register_modifier::<Slowdown>()
        .register_modifier::<KeyConcentrated>();
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
    if !cx.shock(nodes.clone(), start, Shock::ExpireTogether) {
        let end = cx.end_or(p.default_duration_s);
        cx.modify_between(
            nodes,
            HitRateOverride { ratio: p.hit_ratio },
            start,
            Some(end),
        );
    }
}

/// The `cache-stampede` kind.
pub(super) static CACHE_STAMPEDE: Kind<StampedeParams> = Kind {
    name: "cache-stampede",
    family: Family::Data,
    description: "The cache's entries expire together (TTLs lined up): hit rate collapses.",
    default_target: "kind:cache",
    schedule: stampede,
};

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
    if !cx.shock(nodes.clone(), start, Shock::Flush) {
        let end = cx.end_or(p.default_duration_s);
        cx.modify_between(nodes, HitRateOverride { ratio: 0.0 }, start, Some(end));
    }
}

/// The `cache-flush` kind.
pub(super) static CACHE_FLUSH: Kind<FlushParams> = Kind {
    name: "cache-flush",
    family: Family::Data,
    description: "The cache is emptied (a flush or a restart) and refills from the traffic.",
    default_target: "kind:cache",
    schedule: flush,
};

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

/// The `hot-key` kind.
pub(super) static HOT_KEY: Kind<HotKeyParams> = Kind {
    name: "hot-key",
    family: Family::Data,
    description: "One key takes a large share of the traffic and overloads its cache shard.",
    default_target: "kind:cache",
    schedule: hot_key,
};

/// Hot partition.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotPartitionParams {
    /// Share of the store's requests on the one partition key, percent.
    pub percent: f64,
}

impl Default for HotPartitionParams {
    fn default() -> Self {
        HotPartitionParams { percent: 50.0 }
    }
}

pub(super) fn hot_partition(p: &HotPartitionParams, cx: &mut Injecting) {
    // A partitioned store sends these calls to the hot key's partition, whose capacity units
    // are its own: it throttles while the others, and the table, have room.
    let nodes = cx.targets.nodes.clone();
    let share = (p.percent / 100.0).clamp(0.0, 1.0);
    cx.modify(nodes, KeyConcentrated { share });
}

/// The `hot-partition` kind.
pub(super) static HOT_PARTITION: Kind<HotPartitionParams> = Kind {
    name: "hot-partition",
    family: Family::Data,
    description: "One partition key takes a share of a key-value store's requests: its partition throttles while the table has room.",
    default_target: "kind:key_value_store",
    schedule: hot_partition,
};

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
    cx.crash(nodes, cx.start_ns, Some(until));
}

/// The `database-failover` kind.
pub(super) static DATABASE_FAILOVER: Kind<FailoverParams> = Kind {
    name: "database-failover",
    family: Family::Data,
    description: "The primary fails over: writes fail until a replica is promoted.",
    default_target: "kind:database",
    schedule: failover,
};

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

/// The `replication-lag` kind.
pub(super) static REPLICATION_LAG: Kind<LagParams> = Kind {
    name: "replication-lag",
    family: Family::Data,
    description: "Writes reach the read replicas late: reads after writes see old data.",
    default_target: "kind:database",
    schedule: replication_lag,
};

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

/// The `pool-exhaustion` kind.
pub(super) static POOL_EXHAUSTION: Kind<PoolParams> = Kind {
    name: "pool-exhaustion",
    family: Family::Data,
    description: "Connections to the target leak: callers' pools have few usable ones left.",
    default_target: "kind:database",
    schedule: pool_exhaustion,
};

/// Broker outage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerParams {}

pub(super) fn broker_down(_: &BrokerParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.crash(nodes, cx.start_ns, cx.end_ns);
}

/// The `broker-down` kind.
pub(super) static BROKER_DOWN: Kind<BrokerParams> = Kind {
    name: "broker-down",
    family: Family::Data,
    description: "The message broker goes down: producers get errors.",
    default_target: "kind:message_queue",
    schedule: broker_down,
};

/// The `slow-queries` kind.
pub(super) static SLOW_QUERIES: Kind<PressureParams> = Kind {
    name: "slow-queries",
    family: Family::Data,
    description: "Lock contention or a bad plan: the database's queries take longer.",
    default_target: "kind:database",
    schedule: pressure,
};

/// The `consumer-lag` kind.
pub(super) static CONSUMER_LAG: Kind<PressureParams> = Kind {
    name: "consumer-lag",
    family: Family::Data,
    description: "Queue consumers slow down: the backlog and the lag grow.",
    default_target: "kind:message_queue",
    schedule: pressure,
};

/// Consumer-group rebalances: members restart one after another (a rolling deploy).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RebalanceParams {
    /// Members that restart, one after another.
    pub restarts: u32,
    /// Seconds between two restarts.
    pub every_s: f64,
}

impl Default for RebalanceParams {
    fn default() -> Self {
        RebalanceParams {
            restarts: 3,
            every_s: 20.0,
        }
    }
}

pub(super) fn partition_rebalance(p: &RebalanceParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    let every = (p.every_s.max(0.0) * NS_PER_S as f64) as Nanos;
    for k in 0..p.restarts.min(1_000) {
        let at = cx.start_ns + u64::from(k) * every;
        cx.shock(nodes.clone(), at, Shock::Rebalance);
    }
}

/// The `partition-rebalance` kind.
pub(super) static PARTITION_REBALANCE: Kind<RebalanceParams> = Kind {
    name: "partition-rebalance",
    family: Family::Data,
    description: "Consumers restart one by one (a rolling deploy): each restart rebalances \
                  the group, and an eager rebalance stops every partition.",
    default_target: "kind:log_stream",
    schedule: partition_rebalance,
};
