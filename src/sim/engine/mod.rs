//! The discrete-event engine: drains every event due before the horizon, in exact
//! (time, sequence) order, inside one exclusive system run.
//!
//! Request state lives in the fields of each call's [`Call`] component. Nodes and edges are
//! entities whose components are the truth between runs; for the length of one run the
//! engine takes them into dense slots, addressed by [`NodeId`](super::NodeId) and
//! [`EdgeId`](super::EdgeId), and puts them back at the end, so the hot path indexes arrays
//! instead of looking entities up. Node kinds decide through
//! [`Behaviour`](super::behaviour::Behaviour); this module does what they share, one file per
//! phase: a call's life at its node ([`lifecycle`]), its work on the node's cores ([`cpu`]),
//! the network between nodes ([`network`]), what edges enforce ([`policies`]), autoscaling
//! and health checks ([`autoscale`]) and the metrics windows ([`windows`]). [`drain`] is the
//! system that runs it; [`events`] starts a run and hands each event to its handler.

use bevy::prelude::*;

use super::autoscale::Autoscaler;
use super::behaviour::{Effects, Model, ReadReplicas};
use super::call::Call;
use super::edge::Edge;
use super::metrics::{EndToEnd, NodeMetrics};
use super::modifiers::{EdgeMods, NodeMods};
use super::queue::EventQueue;
use super::rng::SimRng;
use super::routing::Router;
use super::station::Station;
use super::time::Nanos;

/// The call `$e`'s component, through the engine's cached query.
macro_rules! call {
    ($s:ident, $e:expr) => {
        $s.calls
            .get_mut($s.world, $e)
            .expect("call entity is alive")
    };
}

mod autoscale;
mod cpu;
mod drain;
mod events;
mod lifecycle;
mod network;
mod policies;
mod slot;
mod windows;

pub(super) use drain::{EngineQueries, drain_events};

/// A node's components while the engine holds them.
struct NodeSlot {
    station: Station,
    model: Model,
    metrics: NodeMetrics,
    router: Option<Router>,
    autoscaler: Option<Autoscaler>,
    replicas: Option<ReadReplicas>,
    mods: NodeMods,
}

/// The engine for the length of one drain: the world, the dense slots and the resources it
/// holds, and the time of the event being handled.
struct Engine<'a> {
    world: &'a mut World,
    calls: &'a mut QueryState<&'static mut Call>,
    nodes: &'a mut [NodeSlot],
    edges: &'a mut [Edge],
    edge_mods: &'a [EdgeMods],
    node_entities: &'a [Entity],
    effects: Effects,
    queue: &'a mut EventQueue,
    rng: &'a mut SimRng,
    e2e: &'a mut EndToEnd,
    now: Nanos,
    traffic_until_ns: Nanos,
}
