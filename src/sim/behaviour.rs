//! The interface between the engine and a node kind: what a node does with a call.
//!
//! The engine (this module's siblings) owns time, queues, edges and bookkeeping; a node kind
//! (in `src/nodes/`) only decides: how long its own work takes, then whether to answer or to
//! call downstream, and what to do with the answers.

use std::any::Any;

use bevy::prelude::*;

use super::call::{Call, ErrorCause, Reply, RequestKind};
use super::metrics::NodeMetrics;
use super::modifiers::{NodeMods, Shock};
use super::rng::SimRng;
use super::time::Nanos;
use super::topology::{EdgeId, NodeId};

/// What a behaviour may use while deciding.
pub struct Cx<'a> {
    /// The current simulated time.
    pub now_ns: Nanos,
    /// The run's random numbers.
    pub rng: &'a mut SimRng,
    /// The node's metrics (caches count hits, databases note replication lag).
    pub metrics: &'a mut NodeMetrics,
    /// The chaos active on the node.
    pub mods: &'a NodeMods,
    /// What the node's health checks believe of each of its router's targets (empty without
    /// a router).
    pub healthy: &'a [bool],
    /// The call being decided on (parked calls are named by it).
    pub call: Entity,
    /// Effects to carry out after the decision.
    pub effects: &'a mut Effects,
}

/// Side effects a behaviour asks for besides its [`Next`].
#[derive(Default, Debug)]
pub struct Effects {
    /// Parked calls to resume with an answer.
    pub wake: Vec<(Entity, Reply)>,
    /// Fire-and-forget calls to send over these edges (same request kind and key), each
    /// with the edge to store its answer over when it comes back (a cache refresh), if any.
    pub detach: Vec<(EdgeId, Option<EdgeId>)>,
    /// Alarms to ring after these delays, each with the behaviour's own token: the engine
    /// calls [`Behaviour::alarm`] with it then (a batch window closing, a rebalance ending).
    pub alarms: Vec<(Nanos, u64)>,
}

impl Effects {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.wake.is_empty() && self.detach.is_empty() && self.alarms.is_empty()
    }
}

/// What a node does next with a call.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Answer the caller.
    Respond(Reply),
    /// Call downstream over this edge and wait.
    Call(EdgeId),
    /// Call downstream over all these edges at once and wait for all.
    CallAll(Vec<EdgeId>),
    /// Call the backend the node's [`Router`](super::routing::Router) picks.
    Route,
    /// Store the value just fetched into the cache over this edge (a fill), and wait.
    Fill(EdgeId),
    /// Wait until another call's answer is handed over through [`Effects::wake`].
    Park,
    /// Hold the call (and its server) this long without a core (a cold start, a batch
    /// window, a drain slot), then decide again through [`Behaviour::after_work`].
    Wait(Nanos),
}

/// A node kind's behaviour.
pub trait Behaviour: Send + Sync + 'static {
    /// Short name of the kind ("service", "cache", ...).
    fn kind_name(&self) -> &'static str;

    /// Duration of the node's own work on `call`; `None` if it does none (no event needed).
    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos>;

    /// The own work is done: answer, or call downstream. May change `call.step`.
    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next;

    /// All downstream calls of the current step answered (`reply` folds their answers).
    /// May change `call.step`. By default the node passes the answer on.
    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        let _ = (cx, call);
        Next::Respond(reply)
    }

    /// A message queue acknowledges a producer as soon as the message is buffered.
    fn acks_on_enqueue(&self) -> bool {
        false
    }

    /// A node that acknowledges on enqueue: refuses the message arriving now before it is
    /// buffered (a topic's publish limit), with the cause its producer gets.
    fn refuse_message(&mut self, now_ns: Nanos) -> Option<ErrorCause> {
        let _ = now_ns;
        None
    }

    /// Traffic sources: time until the next request, from now; `None` if it emits no more.
    fn next_arrival_in(&mut self, cx: &mut Cx) -> Option<Nanos> {
        let _ = cx;
        None
    }

    /// Traffic sources: whether the request emitted now reads or writes, and its key.
    fn request_kind(&mut self, cx: &mut Cx) -> (RequestKind, u32) {
        let _ = cx;
        (RequestKind::Read, 0)
    }

    /// Traffic sources: bytes of a successful response to a user.
    fn response_bytes(&self) -> u64 {
        0
    }

    /// A database primary with `replicas` read replicas: which one serves a read of `key`
    /// (`None`: the primary itself). Round robin unless the kind knows better.
    fn pick_replica(&mut self, cx: &mut Cx, key: u32, replicas: usize) -> Option<usize> {
        let _ = key;
        Some(cx.rng.below(replicas as u32) as usize)
    }

    /// The node went down with `call` in its hands (working, or waiting on a call or a
    /// wake): the engine answers it `node_down` without asking the behaviour; a kind that
    /// keeps track of its calls forgets it here.
    fn lost(&mut self, cx: &mut Cx, call: &Call) {
        let _ = (cx, call);
    }

    /// An alarm the behaviour set through [`Effects::alarms`] rings, with its token.
    fn alarm(&mut self, cx: &mut Cx, token: u64) {
        let _ = (cx, token);
    }

    /// Chaos: whether the kind has contents a [`Shock`] would hit (a cache's keys).
    fn takes_shock(&self, shock: Shock) -> bool {
        let _ = shock;
        false
    }

    /// Chaos: `shock` hits the node's contents now, at `now_ns`.
    fn shock(&mut self, shock: Shock, now_ns: Nanos, rng: &mut SimRng) {
        let _ = (shock, now_ns, rng);
    }

    /// The kind's parameters, for inspection.
    fn as_any(&self) -> &dyn Any;

    /// The kind's parameters, for live editing.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// A node's behaviour (a component on every node).
#[derive(Component)]
pub struct Model(pub Box<dyn Behaviour>);

/// A node's identity (a component on every node).
#[derive(Component, Clone, Debug)]
pub struct Node {
    /// Unique id from the blueprint.
    pub id: String,
    /// Kind name.
    pub kind: &'static str,
    /// Where the blueprint places it on the canvas.
    pub position: Vec2,
    /// Availability zone, if the blueprint says (zone outages take all of a zone down).
    pub zone: Option<String>,
    /// Region, if the blueprint says.
    pub region: Option<String>,
}

/// A database primary's read replicas: reads sent to the primary go to one of these.
#[derive(Component, Clone, Debug)]
pub struct ReadReplicas {
    /// Replica nodes.
    pub replicas: Vec<NodeId>,
    /// Round-robin position.
    pub next: u32,
}
