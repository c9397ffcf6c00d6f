//! The engine: simulated time, the event queue, calls, edges, routing and metrics. It knows
//! no particular node kind (those are in `crate::nodes`) and never touches rendering.

mod autoscale;
mod behaviour;
mod call;
mod clock;
mod cpu;
mod deadline;
mod dist;
mod edge;
mod edits;
mod engine;
mod gauge;
mod metrics;
mod modifiers;
mod plugin;
mod queue;
mod rng;
mod routing;
mod station;
mod time;
mod topology;

pub use autoscale::Autoscaler;
pub use behaviour::{Behaviour, Cx, Effects, Model, Next, Node, ReadReplicas};
pub use call::{Call, Caller, CauseSet, ErrorCause, FILL_STEP, Phase, Reply, RequestKind};
pub use clock::SimClock;
pub use cpu::{Cpu, CpuDiscipline};
pub use deadline::{Deadline, DeadlineFifo};
pub use dist::{Dist, Sampler};
pub use edge::{
    Breaker, BreakerState, CallMode, Edge, EdgeCounters, Jitter, Pool, RetryBudget, RetryPolicy,
};
pub use edits::{Edit, ScheduledEdits};
pub use gauge::Gauge;
pub use metrics::{
    EndToEnd, MetricsHistory, NodeMetrics, NodeWindow, Percentiles, PoolWindow, WindowRecord,
    errors_by_cause, latency_histogram,
};
pub use modifiers::{
    Active, BandwidthCapped, CapacityLost, ConnectionsReset, DnsFailing, Down, EdgeMods,
    ErrorsInjected, FoldFn, Folded, HitRateOverride, InjectionId, KeyConcentrated, LatencyAdded,
    Modifier, ModifierRegistry, NodeMods, PacketLoss, Partitioned, PoolShrunk, RegisterModifier,
    ReplicationDelayed, RetriesOverridden, Shock, Slowdown, TrafficScaled, UnderChaos, inject,
    lift, lift_all,
};
pub use plugin::{SimPlugin, SimSystems, SimUpdate};
pub use queue::{Event, EventQueue};
pub use rng::SimRng;
pub use routing::{Balance, HealthCheck, Router};
pub use station::{Station, UNBOUNDED};
pub use time::{
    NS_PER_MS, NS_PER_S, Nanos, ms_to_ns, ns_to_ms, ns_to_s, parse_duration, parse_duration_s,
    positive,
};
pub use topology::{EdgeId, NodeId, Topology};
