//! Modifier components: what chaos does to nodes and edges. A scenario inserts them on its
//! targets when it starts and lifts them when it ends; several can be active at once, on the
//! same entity too (each [`Active`] list holds one entry per injection). The engine reads them
//! when it takes a run's slots, folded into [`NodeMods`] and [`EdgeMods`].

use bevy::prelude::*;

use super::call::ErrorCause;
use super::time::Nanos;

/// Identifies one injection (so ending it lifts exactly its own modifiers).
pub type InjectionId = u32;

/// Modifiers of one kind on an entity, one entry per active injection.
#[derive(Component, Clone, Debug)]
pub struct Active<T: Send + Sync + 'static>(pub Vec<(InjectionId, T)>);

/// Inserts a modifier for injection `id`.
pub fn inject<T: Send + Sync + Clone + 'static>(
    world: &mut World,
    entity: Entity,
    id: InjectionId,
    value: T,
) {
    let mut e = world.entity_mut(entity);
    match e.get_mut::<Active<T>>() {
        Some(mut active) => active.0.push((id, value)),
        None => {
            e.insert(Active(vec![(id, value)]));
        }
    }
}

/// Lifts injection `id`'s modifier of type `T` (the component goes when none is left).
pub fn lift<T: Send + Sync + Clone + 'static>(world: &mut World, entity: Entity, id: InjectionId) {
    let mut e = world.entity_mut(entity);
    let empty = match e.get_mut::<Active<T>>() {
        Some(mut active) => {
            active.0.retain(|(i, _)| *i != id);
            active.0.is_empty()
        }
        None => false,
    };
    if empty {
        e.remove::<Active<T>>();
    }
}

/// Lifts every modifier of injection `id` from `entity` (stopping an injection by hand).
pub fn lift_all(world: &mut World, entity: Entity, id: InjectionId) {
    lift::<Down>(world, entity, id);
    lift::<Slowdown>(world, entity, id);
    lift::<CapacityLost>(world, entity, id);
    lift::<ErrorsInjected>(world, entity, id);
    lift::<HitRateOverride>(world, entity, id);
    lift::<TrafficScaled>(world, entity, id);
    lift::<ReplicationDelayed>(world, entity, id);
    lift::<LatencyAdded>(world, entity, id);
    lift::<PacketLoss>(world, entity, id);
    lift::<Partitioned>(world, entity, id);
    lift::<ConnectionsReset>(world, entity, id);
    lift::<DnsFailing>(world, entity, id);
    lift::<BandwidthCapped>(world, entity, id);
    lift::<PoolShrunk>(world, entity, id);
    lift::<RetriesOverridden>(world, entity, id);
}

/// The node is down: calls to it fail with `NodeDown`, work in progress is lost, health
/// checks see it dead.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Down;

/// The node's own work takes `factor` times as long (CPU or memory pressure, slow disk,
/// lock contention).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slowdown {
    /// Multiplier on service time (>= 1 slows down).
    pub factor: f64,
}

/// Only this share of the node's servers work (instances lost, autoscaling blocked).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapacityLost {
    /// Share of servers that remain, 0..1.
    pub remaining: f64,
}

/// The node answers a share of calls with an error instead of working.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorsInjected {
    /// Share of calls that fail.
    pub rate: f64,
    /// The error they fail with.
    pub cause: ErrorCause,
}

/// A cache's hit ratio is forced to this value (fixed-ratio caches).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HitRateOverride {
    /// The forced hit ratio.
    pub ratio: f64,
}

/// A traffic source sends `factor` times its rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrafficScaled {
    /// Multiplier on the rate.
    pub factor: f64,
}

/// A database's writes reach its replicas this much later.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicationDelayed {
    /// Added shipping delay.
    pub delay_ns: Nanos,
}

/// Added one-way latency on an edge: a constant plus uniform jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyAdded {
    /// Added constant.
    pub add_ns: Nanos,
    /// Up to this much more, uniformly.
    pub jitter_ns: Nanos,
}

/// A share of packets on an edge is lost; TCP resends after a retransmission timeout, so each
/// loss adds a delay (and losses can repeat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacketLoss {
    /// Share of transmissions lost.
    pub ratio: f64,
}

/// Nothing gets through an edge: calls vanish and the caller only learns by its timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Partitioned;

/// A share of calls on an edge are reset (or hang) instead of being answered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionsReset {
    /// Share of calls reset.
    pub ratio: f64,
    /// Hang (wait for the caller's timeout) instead of resetting at once.
    pub hang: bool,
}

/// The callee's name does not resolve: calls fail at once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DnsFailing;

/// An edge carries at most this many bytes per second (answers queue for the link).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandwidthCapped {
    /// Link capacity.
    pub bytes_per_s: f64,
    /// Size of one answer.
    pub answer_bytes: f64,
}

/// An edge's connection pool holds fewer usable connections (leaked or stuck connections).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolShrunk {
    /// Usable connections.
    pub usable: u32,
}

/// An edge's retry policy is overridden (a retry storm).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetriesOverridden {
    /// Extra attempts.
    pub count: u8,
    /// Backoff before the first retry.
    pub backoff_ns: Nanos,
}

/// What the chaos on a node adds up to, read once per engine run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeMods {
    /// Down.
    pub down: bool,
    /// Product of slowdowns.
    pub slowdown: f64,
    /// Share of servers left (the smallest).
    pub capacity: f64,
    /// Injected error rate (combined) and the cause of the latest.
    pub errors: Option<ErrorsInjected>,
    /// Forced hit ratio (the latest).
    pub hit_rate: Option<f64>,
    /// Product of traffic multipliers.
    pub traffic: f64,
    /// Sum of added replication delays.
    pub replication_delay_ns: Nanos,
}

impl Default for NodeMods {
    fn default() -> Self {
        NodeMods {
            down: false,
            slowdown: 1.0,
            capacity: 1.0,
            errors: None,
            hit_rate: None,
            traffic: 1.0,
            replication_delay_ns: 0,
        }
    }
}

/// What the chaos on an edge adds up to, read once per engine run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EdgeMods {
    /// Sum of added latencies.
    pub latency: Option<LatencyAdded>,
    /// Combined loss ratio.
    pub loss: f64,
    /// Partitioned.
    pub partitioned: bool,
    /// Resets (the latest).
    pub reset: Option<ConnectionsReset>,
    /// DNS failing.
    pub dns: bool,
    /// Bandwidth cap (the smallest).
    pub bandwidth: Option<BandwidthCapped>,
    /// Usable pool size (the smallest).
    pub pool_usable: Option<u32>,
    /// Retry override (the latest).
    pub retries: Option<RetriesOverridden>,
}

fn list<'a, T: Send + Sync + 'static>(entity: &'a EntityRef) -> impl Iterator<Item = &'a T> {
    entity
        .get::<Active<T>>()
        .into_iter()
        .flat_map(|a| a.0.iter().map(|(_, v)| v))
}

impl NodeMods {
    /// Folds the node's active modifiers.
    pub fn read(world: &World, entity: Entity) -> Self {
        let e = world.entity(entity);
        let mut m = NodeMods {
            down: list::<Down>(&e).next().is_some(),
            ..default()
        };
        m.slowdown = list::<Slowdown>(&e).map(|s| s.factor).product();
        m.capacity = list::<CapacityLost>(&e)
            .map(|c| c.remaining)
            .fold(1.0, f64::min);
        m.errors = list::<ErrorsInjected>(&e)
            .copied()
            .reduce(|a, b| ErrorsInjected {
                rate: 1.0 - (1.0 - a.rate) * (1.0 - b.rate),
                cause: b.cause,
            });
        m.hit_rate = list::<HitRateOverride>(&e).last().map(|h| h.ratio);
        m.traffic = list::<TrafficScaled>(&e).map(|t| t.factor).product();
        m.replication_delay_ns = list::<ReplicationDelayed>(&e).map(|r| r.delay_ns).sum();
        m
    }
}

impl EdgeMods {
    /// Folds the edge's active modifiers.
    pub fn read(world: &World, entity: Entity) -> Self {
        let e = world.entity(entity);
        EdgeMods {
            latency: list::<LatencyAdded>(&e)
                .copied()
                .reduce(|a, b| LatencyAdded {
                    add_ns: a.add_ns + b.add_ns,
                    jitter_ns: a.jitter_ns + b.jitter_ns,
                }),
            loss: 1.0
                - list::<PacketLoss>(&e)
                    .map(|l| 1.0 - l.ratio)
                    .product::<f64>(),
            partitioned: list::<Partitioned>(&e).next().is_some(),
            reset: list::<ConnectionsReset>(&e).last().copied(),
            dns: list::<DnsFailing>(&e).next().is_some(),
            bandwidth: list::<BandwidthCapped>(&e)
                .copied()
                .reduce(|a, b| if b.bytes_per_s < a.bytes_per_s { b } else { a }),
            pool_usable: list::<PoolShrunk>(&e).map(|p| p.usable).min(),
            retries: list::<RetriesOverridden>(&e).last().copied(),
        }
    }

    /// Whether anything is active.
    pub fn any(&self) -> bool {
        *self != EdgeMods::default()
    }
}
