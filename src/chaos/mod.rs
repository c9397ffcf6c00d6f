//! Chaos: failure scenarios that compose. Injecting one schedules, at its exact start and
//! end, the insertion and removal of modifier components on its targets (see
//! `crate::sim::modifiers`); the engine reads them, so what breaks next follows from the
//! model, not from a script. One plugin per family; several injections can be active at once,
//! on the same targets too.

mod data;
mod dependency;
mod infrastructure;
mod network;
mod target;
mod traffic;

pub use target::{Resolved, Target};

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sim::{InjectionId, NS_PER_S, Nanos, ScheduledEdits, inject, lift, ns_to_s};

/// Declares every scenario kind once: its family and scheduling function, variant,
/// parameters, kebab-case name and one-line description.
macro_rules! chaos_kinds {
    ($($family:ident $schedule:path, $variant:ident($params:ty) = $name:literal, $desc:literal;)*) => {
        /// A failure scenario with its parameters, as written in scenario files.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum Chaos {
            $(
                #[doc = $desc]
                $variant($params),
            )*
        }

        impl Chaos {
            /// Every kind: (name, family, description, the kind with default parameters).
            pub fn catalog() -> Vec<(&'static str, Family, &'static str, Chaos)> {
                vec![$(($name, Family::$family, $desc, Chaos::$variant(<$params>::default())),)*]
            }

            /// The kebab-case name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Chaos::$variant(_) => $name,)*
                }
            }

            fn schedule(&self, cx: &mut Injecting) {
                match self {
                    $(Chaos::$variant(p) => $schedule(p, cx),)*
                }
            }
        }
    };
}

/// The families of scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Between nodes.
    Network,
    /// Machines, zones, regions.
    Infrastructure,
    /// Caches, databases, queues.
    Data,
    /// What the users send.
    Traffic,
    /// Third parties.
    Dependency,
}

impl Family {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Network => "network",
            Family::Infrastructure => "infrastructure",
            Family::Data => "data",
            Family::Traffic => "traffic",
            Family::Dependency => "dependency",
        }
    }
}

chaos_kinds! {
    Network network::latency, LatencyInjection(network::LatencyParams) = "latency-injection", "Adds latency (plus jitter) to every call into the target.";
    Network network::packet_loss, PacketLoss(network::PacketLossParams) = "packet-loss", "Drops a share of packets into the target; TCP resends after a timeout.";
    Network network::bandwidth, BandwidthCap(network::BandwidthParams) = "bandwidth-cap", "Caps the bytes per second the target's answers can use; answers queue for the link.";
    Network network::partition, NetworkPartition(network::PartitionParams) = "network-partition", "Nothing gets through between two groups of nodes (one way or both).";
    Network network::reset, ConnectionReset(network::ResetParams) = "connection-reset", "Resets (or hangs) a share of the connections into the target.";
    Network network::dns, DnsFailure(network::DnsParams) = "dns-failure", "The target's name stops resolving: calls to it fail at once.";
    Network network::cross_region, CrossRegionLinkLoss(network::CrossRegionParams) = "cross-region-link-loss", "The links between regions go dark.";
    Infrastructure infrastructure::node_failure, NodeFailure(infrastructure::NodeFailureParams) = "node-failure", "The target crashes (work in progress is lost) and restarts when the scenario ends.";
    Infrastructure infrastructure::az_outage, AzOutage(infrastructure::ZoneParams) = "az-outage", "Every node in an availability zone goes down.";
    Infrastructure infrastructure::region_outage, RegionOutage(infrastructure::RegionParams) = "region-outage", "Every node in a region goes down.";
    Infrastructure infrastructure::pressure, CpuPressure(infrastructure::PressureParams) = "cpu-pressure", "A noisy neighbour eats CPU: the target's work is slower.";
    Infrastructure infrastructure::memory_pressure, MemoryPressure(infrastructure::MemoryParams) = "memory-pressure", "The target slows down (GC, swapping), then crashes when memory runs out.";
    Infrastructure infrastructure::pressure, DiskPressure(infrastructure::PressureParams) = "disk-pressure", "Disk full or slow IO: the target's work is slower.";
    Infrastructure infrastructure::crash_loop, CrashLoop(infrastructure::CrashLoopParams) = "crash-loop", "The target's process crashes, restarts, crashes again.";
    Infrastructure infrastructure::clock_skew, ClockSkew(infrastructure::ClockSkewParams) = "clock-skew", "The target's clock runs ahead: cached entries expire early.";
    Infrastructure infrastructure::capacity_loss, CapacityLoss(infrastructure::CapacityParams) = "capacity-loss", "Instances are lost and autoscaling cannot replace them.";
    Data data::stampede, CacheStampede(data::StampedeParams) = "cache-stampede", "The cache's entries expire together (TTLs lined up): hit rate collapses.";
    Data data::flush, CacheFlush(data::FlushParams) = "cache-flush", "The cache is emptied (a flush or a restart) and refills from the traffic.";
    Data data::hot_key, HotKey(data::HotKeyParams) = "hot-key", "One key takes a large share of the traffic and overloads its cache shard.";
    Data data::failover, DatabaseFailover(data::FailoverParams) = "database-failover", "The primary fails over: writes fail until a replica is promoted.";
    Data data::replication_lag, ReplicationLag(data::LagParams) = "replication-lag", "Writes reach the read replicas late: reads after writes see old data.";
    Data data::pool_exhaustion, PoolExhaustion(data::PoolParams) = "pool-exhaustion", "Connections to the target leak: callers' pools have few usable ones left.";
    Data data::pressure, SlowQueries(data::PressureParams) = "slow-queries", "Lock contention or a bad plan: the database's queries take longer.";
    Data data::pressure, ConsumerLag(data::PressureParams) = "consumer-lag", "Queue consumers slow down: the backlog and the lag grow.";
    Data data::broker_down, BrokerDown(data::BrokerParams) = "broker-down", "The message broker goes down: producers get errors.";
    Traffic traffic::spike, RequestSpike(traffic::SpikeParams) = "request-spike", "Traffic multiplies (ramping up), as on a launch or a sale.";
    Traffic traffic::herd, ThunderingHerd(traffic::HerdParams) = "thundering-herd", "The target is out for a while; when it comes back, every client reconnects at once.";
    Traffic traffic::retry_storm, RetryStorm(traffic::RetryStormParams) = "retry-storm", "The target slows down and every caller retries aggressively, multiplying the load.";
    Traffic traffic::bots, BotFlood(traffic::BotParams) = "bot-flood", "A flood of bot requests on top of the users' traffic.";
    Dependency dependency::upstream_errors, UpstreamErrors(dependency::UpstreamParams) = "upstream-errors", "The target answers a share of calls with 5xx (or 429 when throttling).";
    Dependency dependency::slow, SlowDependency(dependency::SlowParams) = "slow-dependency", "The target answers slowly, but not slowly enough to time out.";
    Dependency dependency::llm_outage, LlmOutage(dependency::LlmParams) = "llm-outage", "An LLM or tool API is slow and partly failing (agent blueprints).";
}

impl Chaos {
    /// The kind called `name` (kebab-case) with default parameters.
    pub fn by_name(name: &str) -> Result<Chaos, String> {
        Chaos::catalog()
            .into_iter()
            .find(|(n, ..)| *n == name)
            .map(|(.., c)| c)
            .ok_or_else(|| {
                let names: Vec<&str> = Chaos::catalog().into_iter().map(|(n, ..)| n).collect();
                format!(
                    "unknown chaos scenario \"{name}\"; expected one of: {}",
                    names.join(", ")
                )
            })
    }

    /// The target it takes when none is given.
    pub fn default_target(&self) -> Target {
        match self {
            Chaos::CacheStampede(_)
            | Chaos::CacheFlush(_)
            | Chaos::HotKey(_)
            | Chaos::ClockSkew(_) => Target::Kind("cache".into()),
            Chaos::DatabaseFailover(_)
            | Chaos::ReplicationLag(_)
            | Chaos::PoolExhaustion(_)
            | Chaos::SlowQueries(_)
            | Chaos::DiskPressure(_) => Target::Kind("database".into()),
            Chaos::ConsumerLag(_) | Chaos::BrokerDown(_) => Target::Kind("message_queue".into()),
            Chaos::UpstreamErrors(_) | Chaos::SlowDependency(_) | Chaos::LlmOutage(_) => {
                Target::Kind("external_api".into())
            }
            Chaos::RequestSpike(_) | Chaos::BotFlood(_) => Target::Kind("client".into()),
            Chaos::ThunderingHerd(_) => Target::Kind("load_balancer".into()),
            Chaos::NetworkPartition(_) => {
                Target::Between(vec!["kind:service".into()], vec!["kind:cache".into()])
            }
            Chaos::CrossRegionLinkLoss(_) | Chaos::AzOutage(_) | Chaos::RegionOutage(_) => {
                Target::All
            }
            _ => Target::First("service".into()),
        }
    }
}

/// One injection: what, where, when, for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    /// The scenario kind and its parameters.
    pub chaos: Chaos,
    /// Where (its kind's default when absent).
    #[serde(default)]
    pub target: Option<Target>,
    /// Start, in simulated seconds from the beginning of the run.
    pub at_s: f64,
    /// How long; none = until the run ends (or the kind's own course, e.g. a crash that
    /// restarts).
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// What was injected, for reports and the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct InjectionRecord {
    /// Its id.
    pub id: InjectionId,
    /// Kind name.
    pub name: &'static str,
    /// Where, in words.
    pub target: String,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (none: until the run ends).
    pub end_s: Option<f64>,
}

/// Every injection of the run.
#[derive(Resource, Default, Clone, Debug)]
pub struct ChaosLog {
    /// In the order they were scheduled.
    pub injections: Vec<InjectionRecord>,
}

/// What a family's scheduling function works with.
pub(crate) struct Injecting<'w> {
    /// The world (to resolve things and read parameters).
    pub world: &'w mut World,
    /// The injection's id.
    pub id: InjectionId,
    /// Its targets.
    pub targets: Resolved,
    /// Start.
    pub start_ns: Nanos,
    /// End, if any.
    pub end_ns: Option<Nanos>,
    /// When the injection's effects end, for kinds that run their own course (a crash that
    /// restarts, a failover); recorded in the log.
    pub lasts_until: Option<Nanos>,
}

impl Injecting<'_> {
    /// At `at_ns`, runs `edit` on the world.
    pub fn at(&mut self, at_ns: Nanos, edit: impl FnOnce(&mut World) + Send + Sync + 'static) {
        self.world.resource_mut::<ScheduledEdits>().at(at_ns, edit);
    }

    /// Puts modifier `value` on `entities` from the start to the end.
    pub fn modify<T: Send + Sync + Clone + 'static>(&mut self, entities: Vec<Entity>, value: T) {
        self.modify_between(entities, value, self.start_ns, self.end_ns);
    }

    /// Puts modifier `value` on `entities` between two times.
    pub fn modify_between<T: Send + Sync + Clone + 'static>(
        &mut self,
        entities: Vec<Entity>,
        value: T,
        from_ns: Nanos,
        until_ns: Option<Nanos>,
    ) {
        if let Some(until) = until_ns {
            self.lasts_until = Some(self.lasts_until.map_or(until, |u| u.max(until)));
        }
        let id = self.id;
        let on = entities.clone();
        self.at(from_ns, move |w| {
            on.into_iter().for_each(|e| inject(w, e, id, value.clone()))
        });
        if let Some(until) = until_ns {
            self.at(until, move |w| {
                entities.into_iter().for_each(|e| lift::<T>(w, e, id))
            });
        }
    }

    /// The end, or a default span after the start for kinds that must end.
    pub fn end_or(&self, default_s: f64) -> Nanos {
        self.end_ns
            .unwrap_or(self.start_ns + (default_s * NS_PER_S as f64) as Nanos)
    }
}

/// Schedules `injection` in the world (the blueprint must be spawned). Returns its id.
pub fn schedule(world: &mut World, injection: &Injection) -> Result<InjectionId, String> {
    if !(injection.at_s >= 0.0 && injection.at_s.is_finite()) {
        return Err(format!(
            "{}: the start must be a time >= 0 s",
            injection.chaos.name()
        ));
    }
    if injection
        .duration_s
        .is_some_and(|d| !crate::sim::positive(d))
    {
        return Err(format!(
            "{}: the duration must be > 0 s",
            injection.chaos.name()
        ));
    }
    let target = injection
        .target
        .clone()
        .unwrap_or_else(|| injection.chaos.default_target());
    let targets = target
        .resolve(world)
        .map_err(|e| format!("{}: {e}", injection.chaos.name()))?;
    let id = world.resource::<ChaosLog>().injections.len() as InjectionId + 1;
    let start_ns = (injection.at_s * NS_PER_S as f64).round() as Nanos;
    let end_ns = injection
        .duration_s
        .map(|d| start_ns + (d * NS_PER_S as f64).round() as Nanos);
    world
        .resource_mut::<ChaosLog>()
        .injections
        .push(InjectionRecord {
            id,
            name: injection.chaos.name(),
            target: target.to_string(),
            start_s: ns_to_s(start_ns),
            end_s: end_ns.map(ns_to_s),
        });
    let mut cx = Injecting {
        world,
        id,
        targets,
        start_ns,
        end_ns,
        lasts_until: None,
    };
    injection.chaos.schedule(&mut cx);
    if let Some(until) = cx.lasts_until
        && end_ns.is_none()
        && let Some(record) = cx.world.resource_mut::<ChaosLog>().injections.last_mut()
    {
        record.end_s = Some(ns_to_s(until));
    }
    Ok(id)
}

/// Stops injection `id` now: lifts its modifiers from every node and edge (its scheduled
/// steps still pending find nothing to lift, or re-apply if they start later).
pub fn stop(world: &mut World, id: InjectionId) {
    let topology = world.resource::<crate::sim::Topology>().clone();
    for &e in topology.nodes.iter().chain(&topology.edges) {
        crate::sim::lift_all(world, e, id);
    }
    let now = ns_to_s(world.resource::<crate::sim::SimClock>().now_ns);
    if let Some(record) = world
        .resource_mut::<ChaosLog>()
        .injections
        .iter_mut()
        .find(|i| i.id == id)
    {
        record.end_s = Some(record.end_s.map_or(now, |e| e.min(now)));
    }
}

/// Chaos: the log of injections. The kinds act through scheduled edits and the engine's
/// modifiers, so they need no systems of their own.
pub struct ChaosPlugin;

impl Plugin for ChaosPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ChaosLog>();
    }
}
