//! The engine: simulated time, the event queue, calls, edges, routing and metrics. It knows
//! no particular node kind (those are in `crate::nodes`) and never touches rendering.

mod autoscale;
mod behaviour;
mod call;
mod clock;
mod deadline;
mod dist;
mod edge;
mod edits;
mod engine;
mod gauge;
mod metrics;
mod modifiers;
mod queue;
mod rng;
mod routing;
mod station;
mod time;
mod topology;

pub use autoscale::Autoscaler;
pub use behaviour::{Behaviour, Cx, Effects, Model, Next, Node, ReadReplicas};
pub use call::{Call, Caller, ErrorCause, FILL_STEP, Phase, Reply, RequestKind};
pub use clock::SimClock;
pub use deadline::{Deadline, DeadlineFifo};
pub use dist::{Dist, Sampler};
pub use edge::{Breaker, BreakerState, CallMode, Edge, EdgeCounters, Jitter, Pool, RetryPolicy};
pub use edits::{Edit, ScheduledEdits};
pub use engine::{EngineQueries, drain_events, run_until};
pub use gauge::Gauge;
pub use metrics::{
    EndToEnd, MetricsHistory, NodeMetrics, NodeWindow, Percentiles, PoolWindow, WindowRecord,
    errors_by_cause, latency_histogram,
};
pub use modifiers::{
    Active, BandwidthCapped, CapacityLost, ConnectionsReset, DnsFailing, Down, EdgeMods,
    ErrorsInjected, FoldFn, Folded, HitRateOverride, InjectionId, LatencyAdded, Modifier,
    ModifierRegistry, NodeMods, PacketLoss, Partitioned, PoolShrunk, RegisterModifier,
    ReplicationDelayed, RetriesOverridden, Shock, Slowdown, TrafficScaled, inject, lift, lift_all,
};
pub use queue::{Event, EventQueue};
pub use rng::SimRng;
pub use routing::{Balance, HealthCheck, Router};
pub use station::{Station, UNBOUNDED};
pub use time::{NS_PER_MS, NS_PER_S, Nanos, ms_to_ns, ns_to_ms, ns_to_s, positive};
pub use topology::{EdgeId, NodeId, Topology};

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings};
use bevy::prelude::*;

/// The engine's phases in its [`SimUpdate`] schedule, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Move the horizon by one tick times the speed (or to the next event when stepping).
    Advance,
    /// Process every event due before the horizon.
    Drain,
}

/// The simulation engine: resources, and the systems that advance it in `FixedUpdate`.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<EventQueue>()
            .insert_resource(SimRng::seeded(0))
            .init_resource::<SimClock>()
            .init_resource::<EndToEnd>()
            .init_resource::<MetricsHistory>()
            .init_resource::<EngineQueries>()
            .init_resource::<Topology>()
            .init_resource::<ScheduledEdits>();
        // The engine's own schedule, single-threaded, where an undefined order between two
        // systems is an error, not a coin toss; `FixedUpdate` runs it once per tick.
        let mut schedule = Schedule::new(SimUpdate);
        schedule.set_executor(bevy::ecs::schedule::SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            ..default()
        });
        schedule.configure_sets((SimSystems::Advance, SimSystems::Drain).chain());
        schedule.add_systems((
            clock::advance_horizon.in_set(SimSystems::Advance),
            drain_events.in_set(SimSystems::Drain),
        ));
        app.add_schedule(schedule)
            .add_systems(FixedUpdate, run_sim_update);
    }
}

/// The engine's schedule: advance the clock, drain the events.
#[derive(bevy::ecs::schedule::ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimUpdate;

fn run_sim_update(world: &mut World) {
    world.run_schedule(SimUpdate);
}
