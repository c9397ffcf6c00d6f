//! Modifier components: what chaos does to nodes and edges. A scenario inserts them on its
//! targets when it starts and lifts them when it ends; several can be active at once, on the
//! same entity too (each [`Active`] list holds one entry per injection). Each modifier says,
//! in its [`Modifier`] impl, how several of it fold into [`NodeMods`] or [`EdgeMods`]; the
//! [`ModifierRegistry`] knows every registered modifier, so folding and lifting need no
//! hand-kept list. The engine reads the folds when it takes a run's slots.
//!
//! A [`Shock`] is the other way chaos acts: a one-off blow to a node's contents at an exact
//! time (nothing to lift), delivered through [`Behaviour::shock`](super::Behaviour::shock).

use std::any::TypeId;

use bevy::prelude::*;

use super::call::{CauseSet, ErrorCause};
use super::time::Nanos;

/// Identifies one injection (so ending it lifts exactly its own modifiers).
pub type InjectionId = u32;

/// Modifiers of one kind on an entity, one entry per active injection.
#[derive(Component, Clone, Debug)]
pub struct Active<T: Send + Sync + 'static>(pub Vec<(InjectionId, T)>);

/// A modifier chaos can put on a node or an edge, and how the active ones fold into what the
/// engine reads.
pub trait Modifier: Send + Sync + Clone + 'static {
    /// What it folds into: [`NodeMods`] or [`EdgeMods`].
    type Folds: Folded;

    /// Folds the active entries (at least one, in injection order) into `into`; each modifier
    /// writes only its own fields, so the order between modifiers does not matter.
    fn fold(active: &[(InjectionId, Self)], into: &mut Self::Folds);
}

/// What modifiers fold into, read once per engine run: [`NodeMods`] or [`EdgeMods`].
pub trait Folded: Default + 'static {
    /// The registry's fold functions for this target.
    #[doc(hidden)]
    fn folds(registry: &mut ModifierRegistry) -> &mut Vec<(TypeId, FoldFn<Self>)>;

    /// The registry's fold functions for this target (read-only).
    #[doc(hidden)]
    fn folds_ref(registry: &ModifierRegistry) -> &[(TypeId, FoldFn<Self>)];
}

/// Folds `entity`'s active modifiers (the defaults when no registry exists yet).
fn fold_all<F: Folded>(world: &World, entity: Entity) -> F {
    let mut folded = F::default();
    if let Some(registry) = world.get_resource::<ModifierRegistry>() {
        let e = world.entity(entity);
        for (_, fold) in F::folds_ref(registry) {
            fold(&e, &mut folded);
        }
    }
    folded
}

/// Folds one modifier type found on an entity into `F`.
pub type FoldFn<F> = fn(&EntityRef, &mut F);

type LiftFn = fn(&mut World, Entity, InjectionId);

/// Every registered modifier: how to fold it and how to lift it. Chaos families register the
/// modifiers they insert (see [`RegisterModifier`]); [`inject`] registers any it meets.
#[derive(Resource, Default)]
pub struct ModifierRegistry {
    lifts: Vec<(TypeId, LiftFn)>,
    node_folds: Vec<(TypeId, FoldFn<NodeMods>)>,
    edge_folds: Vec<(TypeId, FoldFn<EdgeMods>)>,
}

impl ModifierRegistry {
    /// Registers modifier `T` (again is a no-op).
    pub fn register<T: Modifier>(&mut self) {
        let id = TypeId::of::<T>();
        if self.lifts.iter().any(|(t, _)| *t == id) {
            return;
        }
        self.lifts.push((id, lift::<T>));
        T::Folds::folds(self).push((id, fold_on::<T>));
    }

    /// Whether `T` is registered.
    pub fn contains<T: Modifier>(&self) -> bool {
        let id = TypeId::of::<T>();
        self.lifts.iter().any(|(t, _)| *t == id)
    }
}

fn fold_on<T: Modifier>(entity: &EntityRef, into: &mut T::Folds) {
    if let Some(active) = entity.get::<Active<T>>() {
        T::fold(&active.0, into);
    }
}

/// Registers modifiers on an [`App`].
pub trait RegisterModifier {
    /// Registers modifier `T`, so the engine folds it and stopping an injection lifts it.
    fn register_modifier<T: Modifier>(&mut self) -> &mut Self;
}

impl RegisterModifier for App {
    fn register_modifier<T: Modifier>(&mut self) -> &mut Self {
        self.world_mut()
            .get_resource_or_init::<ModifierRegistry>()
            .register::<T>();
        self
    }
}

/// Inserts a modifier for injection `id` (registering its type if no plugin did).
pub fn inject<T: Modifier>(world: &mut World, entity: Entity, id: InjectionId, value: T) {
    let registered = world
        .get_resource::<ModifierRegistry>()
        .is_some_and(ModifierRegistry::contains::<T>);
    if !registered {
        world
            .get_resource_or_init::<ModifierRegistry>()
            .register::<T>();
    }
    let mut e = world.entity_mut(entity);
    match e.get_mut::<Active<T>>() {
        Some(mut active) => active.0.push((id, value)),
        None => {
            e.insert(Active(vec![(id, value)]));
        }
    }
    match e.get_mut::<UnderChaos>() {
        Some(mut count) => count.0 += 1,
        None => {
            e.insert(UnderChaos(1));
        }
    }
}

/// How many modifiers of any type are active on an entity (the component goes with the last
/// one): what the canvas reads to mark chaos without listing every modifier.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnderChaos(pub u32);

/// Lifts injection `id`'s modifier of type `T` (the component goes when none is left).
pub fn lift<T: Send + Sync + Clone + 'static>(world: &mut World, entity: Entity, id: InjectionId) {
    let mut e = world.entity_mut(entity);
    let (lifted, empty) = match e.get_mut::<Active<T>>() {
        Some(mut active) => {
            let before = active.0.len();
            active.0.retain(|(i, _)| *i != id);
            (before - active.0.len(), active.0.is_empty())
        }
        None => (0, false),
    };
    if empty {
        e.remove::<Active<T>>();
    }
    if lifted > 0 {
        let left = e
            .get::<UnderChaos>()
            .map_or(0, |c| c.0.saturating_sub(lifted as u32));
        if left == 0 {
            e.remove::<UnderChaos>();
        } else {
            e.insert(UnderChaos(left));
        }
    }
}

/// Lifts every registered modifier of injection `id` from `entity` (stopping an injection by
/// hand).
pub fn lift_all(world: &mut World, entity: Entity, id: InjectionId) {
    let lifts: Vec<LiftFn> = match world.get_resource::<ModifierRegistry>() {
        Some(registry) => registry.lifts.iter().map(|(_, f)| *f).collect(),
        None => return,
    };
    for lift in lifts {
        lift(world, entity, id);
    }
}

/// A one-off blow chaos deals a node's contents at an exact time (unlike a modifier it lasts
/// no time, so there is nothing to lift). Kinds without such contents ignore it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shock {
    /// Every entry expires now (plus the node's own TTL jitter): a mass expiry.
    ExpireTogether,
    /// Every entry with less than this long to live expires now (a clock jumping ahead).
    ExpireWithin {
        /// How far ahead the clock jumps.
        within_ns: Nanos,
    },
    /// Every entry is gone (a flush or a restart).
    Flush,
    /// A consumer group rebalances (a rolling restart of its members).
    Rebalance,
    /// A consensus group's leader is lost: the group elects another.
    LeaderLoss,
}

/// The node is down: calls to it fail with `NodeDown`, work in progress is lost, health
/// checks see it dead.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Down;

impl Modifier for Down {
    type Folds = NodeMods;
    fn fold(_: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.down = true;
    }
}

/// The node's own work takes `factor` times as long (CPU or memory pressure, slow disk,
/// lock contention).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slowdown {
    /// Multiplier on service time (>= 1 slows down).
    pub factor: f64,
}

impl Modifier for Slowdown {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.slowdown = values(active).map(|s| s.factor).product();
    }
}

/// Only this share of the node's servers work (instances lost, autoscaling blocked).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapacityLost {
    /// Share of servers that remain, 0..1.
    pub remaining: f64,
}

impl Modifier for CapacityLost {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.capacity = values(active).map(|c| c.remaining).fold(1.0, f64::min);
    }
}

/// The node answers a share of calls with an error instead of working.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorsInjected {
    /// Share of calls that fail.
    pub rate: f64,
    /// The error they fail with.
    pub cause: ErrorCause,
}

impl Modifier for ErrorsInjected {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.errors = values(active).copied().reduce(|a, b| ErrorsInjected {
            rate: 1.0 - (1.0 - a.rate) * (1.0 - b.rate),
            cause: b.cause,
        });
    }
}

/// A cache's hit ratio is forced to this value (fixed-ratio caches).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HitRateOverride {
    /// The forced hit ratio.
    pub ratio: f64,
}

impl Modifier for HitRateOverride {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.hit_rate = values(active).last().map(|h| h.ratio);
    }
}

/// A traffic source sends `factor` times its rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrafficScaled {
    /// Multiplier on the rate.
    pub factor: f64,
}

impl Modifier for TrafficScaled {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.traffic = values(active).map(|t| t.factor).product();
    }
}

/// A database's writes reach its replicas this much later.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicationDelayed {
    /// Added shipping delay.
    pub delay_ns: Nanos,
}

impl Modifier for ReplicationDelayed {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.replication_delay_ns = values(active).map(|r| r.delay_ns).sum();
    }
}

/// A share of the calls reaching the node ask for one key, whatever key they came with (a
/// bulk import under one tenant's partition key, a viral item): a partitioned store feels it
/// as one hot partition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyConcentrated {
    /// Share of calls on the one key, 0..1.
    pub share: f64,
}

impl Modifier for KeyConcentrated {
    type Folds = NodeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut NodeMods) {
        into.hot_key_share = values(active).map(|k| k.share).fold(0.0, f64::max);
    }
}

/// Added one-way latency on an edge: a constant plus uniform jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyAdded {
    /// Added constant.
    pub add_ns: Nanos,
    /// Up to this much more, uniformly.
    pub jitter_ns: Nanos,
}

impl Modifier for LatencyAdded {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.latency = values(active).copied().reduce(|a, b| LatencyAdded {
            add_ns: a.add_ns + b.add_ns,
            jitter_ns: a.jitter_ns + b.jitter_ns,
        });
    }
}

/// A share of packets on an edge is lost; TCP resends after a retransmission timeout, so each
/// loss adds a delay (and losses can repeat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacketLoss {
    /// Share of transmissions lost.
    pub ratio: f64,
}

impl Modifier for PacketLoss {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.loss = 1.0 - values(active).map(|l| 1.0 - l.ratio).product::<f64>();
    }
}

/// Nothing gets through an edge: calls vanish and the caller only learns by its timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Partitioned;

impl Modifier for Partitioned {
    type Folds = EdgeMods;
    fn fold(_: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.partitioned = true;
    }
}

/// A share of calls on an edge are reset (or hang) instead of being answered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionsReset {
    /// Share of calls reset.
    pub ratio: f64,
    /// Hang (wait for the caller's timeout) instead of resetting at once.
    pub hang: bool,
}

impl Modifier for ConnectionsReset {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.reset = values(active).last().copied();
    }
}

/// The callee's name does not resolve: calls fail at once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DnsFailing;

impl Modifier for DnsFailing {
    type Folds = EdgeMods;
    fn fold(_: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.dns = true;
    }
}

/// An edge carries at most this many bytes per second (answers queue for the link).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandwidthCapped {
    /// Link capacity.
    pub bytes_per_s: f64,
    /// Size of one answer.
    pub answer_bytes: f64,
}

impl Modifier for BandwidthCapped {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.bandwidth = values(active)
            .copied()
            .reduce(|a, b| if b.bytes_per_s < a.bytes_per_s { b } else { a });
    }
}

/// An edge's connection pool holds fewer usable connections (leaked or stuck connections).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolShrunk {
    /// Usable connections.
    pub usable: u32,
}

impl Modifier for PoolShrunk {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.pool_usable = values(active).map(|p| p.usable).min();
    }
}

/// An edge's retry policy is overridden (a retry storm).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetriesOverridden {
    /// Extra attempts.
    pub count: u8,
    /// Backoff before the first retry.
    pub backoff_ns: Nanos,
    /// The errors retried.
    pub on: CauseSet,
}

impl Modifier for RetriesOverridden {
    type Folds = EdgeMods;
    fn fold(active: &[(InjectionId, Self)], into: &mut EdgeMods) {
        into.retries = values(active).last().copied();
    }
}

fn values<T>(active: &[(InjectionId, T)]) -> impl Iterator<Item = &T> {
    active.iter().map(|(_, v)| v)
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
    /// Share of calls concentrated on one key (the largest; 0 = none).
    pub hot_key_share: f64,
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
            hot_key_share: 0.0,
        }
    }
}

impl Folded for NodeMods {
    fn folds(registry: &mut ModifierRegistry) -> &mut Vec<(TypeId, FoldFn<Self>)> {
        &mut registry.node_folds
    }
    fn folds_ref(registry: &ModifierRegistry) -> &[(TypeId, FoldFn<Self>)] {
        &registry.node_folds
    }
}

impl NodeMods {
    /// Folds the node's active modifiers.
    pub fn read(world: &World, entity: Entity) -> Self {
        fold_all(world, entity)
    }

    /// Of `units` (servers, cores, instances, members), those lost capacity leaves working:
    /// all without chaos, else the share left, rounded up.
    pub fn working(&self, units: u32) -> u32 {
        if self.capacity >= 1.0 {
            units
        } else {
            (f64::from(units) * self.capacity.max(0.0)).ceil() as u32
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

impl Folded for EdgeMods {
    fn folds(registry: &mut ModifierRegistry) -> &mut Vec<(TypeId, FoldFn<Self>)> {
        &mut registry.edge_folds
    }
    fn folds_ref(registry: &ModifierRegistry) -> &[(TypeId, FoldFn<Self>)] {
        &registry.edge_folds
    }
}

impl EdgeMods {
    /// Folds the edge's active modifiers.
    pub fn read(world: &World, entity: Entity) -> Self {
        fold_all(world, entity)
    }

    /// Whether anything is active.
    pub fn any(&self) -> bool {
        *self != EdgeMods::default()
    }
}
