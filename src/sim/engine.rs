//! The discrete-event engine: drains every event due before the horizon, in exact
//! (time, sequence) order, inside one exclusive system run.
//!
//! Request state lives in the fields of each call's [`Call`] component. Nodes and edges are
//! entities whose components are the truth between runs; for the length of one run the
//! engine takes them into dense slots, addressed by [`NodeId`] and [`EdgeId`], and puts them
//! back at the end, so the hot path indexes arrays instead of looking entities up. Node kinds
//! decide through [`Behaviour`](super::behaviour::Behaviour); this module does what they
//! share: queues and servers, the network, timeouts, retries, breakers, pools, routing and
//! metrics.

use bevy::prelude::*;

use super::autoscale::Autoscaler;
use super::behaviour::{Cx, Effects, Model, Next, Node, ReadReplicas};
use super::call::{Call, Caller, ErrorCause, Phase, Reply, RequestKind};
use super::clock::SimClock;
use super::deadline::Deadline;
use super::edge::{CallMode, Edge};
use super::edits::ScheduledEdits;
use super::metrics::{
    EndToEnd, MetricsHistory, NodeMetrics, NodeWindow, Percentiles, PoolWindow, WindowRecord,
    errors_by_cause, latency_histogram, record_latency,
};
use super::modifiers::{EdgeMods, NodeMods};
use super::queue::{Event, EventQueue};
use super::rng::SimRng;
use super::routing::Router;
use super::station::{Station, UNBOUNDED};
use super::time::{NS_PER_MS, NS_PER_S, Nanos, ns_to_ms, ns_to_s};
use super::topology::{EdgeId, NodeId, Topology};

/// The cached query of call entities (built once, reused for every event).
#[derive(Resource)]
pub struct EngineQueries {
    calls: QueryState<&'static mut Call>,
}

impl FromWorld for EngineQueries {
    fn from_world(world: &mut World) -> Self {
        EngineQueries {
            calls: QueryState::new(world),
        }
    }
}

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

impl NodeSlot {
    /// Servers that work now (chaos can take some away).
    fn servers(&self) -> u32 {
        if self.mods.capacity >= 1.0 || self.station.servers == UNBOUNDED {
            self.station.servers
        } else {
            (f64::from(self.station.servers) * self.mods.capacity.max(0.0)).ceil() as u32
        }
    }

    fn has_free_server(&self) -> bool {
        self.station.busy.value() < self.servers()
    }

    /// The behaviour and what it may use to decide about `call`, borrowed side by side.
    fn decider<'a>(
        &'a mut self,
        now_ns: Nanos,
        rng: &'a mut SimRng,
        call: Entity,
        effects: &'a mut Effects,
    ) -> (&'a mut Model, Cx<'a>) {
        let cx = Cx {
            now_ns,
            rng,
            metrics: &mut self.metrics,
            mods: &self.mods,
            call,
            effects,
        };
        (&mut self.model, cx)
    }
}

/// How long TCP waits to connect before giving up when nothing answers.
const CONNECT_TIMEOUT_NS: Nanos = 3 * NS_PER_S;
/// TCP's first retransmission timeout (it doubles with each loss of the same packet).
const RETRANSMIT_NS: Nanos = 200 * NS_PER_MS;

macro_rules! call {
    ($s:ident, $e:expr) => {
        $s.calls
            .get_mut($s.world, $e)
            .expect("call entity is alive")
    };
}

/// Processes every event due at or before the clock's horizon (the `FixedUpdate` system).
pub fn drain_events(world: &mut World) {
    let horizon = world.resource::<SimClock>().horizon_ns;
    run_until(world, horizon);
}

/// Processes every event due at or before `horizon_ns`; returns how many were processed.
/// Scheduled world edits (chaos) apply at their exact times in between. The same code runs
/// under the app's clock, in the CLI and in tests.
pub fn run_until(world: &mut World, horizon_ns: Nanos) -> u64 {
    let mut processed = 0;
    loop {
        let next_edit = world
            .resource::<ScheduledEdits>()
            .next_time()
            .filter(|&t| t <= horizon_ns);
        let Some(at) = next_edit else {
            return processed + run_segment(world, horizon_ns);
        };
        processed += run_segment(world, at);
        let edits = world.resource_mut::<ScheduledEdits>().take_due(at);
        for edit in edits {
            edit(world);
        }
    }
}

/// Processes the events up to `horizon_ns` with the chaos as it stands.
fn run_segment(world: &mut World, horizon_ns: Nanos) -> u64 {
    let topology = world.resource::<Topology>().clone();
    let mut nodes: Vec<NodeSlot> = topology
        .nodes
        .iter()
        .map(|&e| take_node(world, e))
        .collect();
    let edge_mods: Vec<EdgeMods> = topology
        .edges
        .iter()
        .map(|&e| EdgeMods::read(world, e))
        .collect();
    let mut edges: Vec<Edge> = topology
        .edges
        .iter()
        .map(|&e| {
            world
                .entity_mut(e)
                .take::<Edge>()
                .expect("edge entity has an Edge")
        })
        .collect();
    let clock = world.resource::<SimClock>().clone();
    world.resource_mut::<SimClock>().started = true;

    let processed = world.resource_scope(|world, mut queue: Mut<EventQueue>| {
        world.resource_scope(|world, mut rng: Mut<SimRng>| {
            world.resource_scope(|world, mut e2e: Mut<EndToEnd>| {
                world.resource_scope(|world, mut qs: Mut<EngineQueries>| {
                    let mut engine = Engine {
                        world,
                        calls: &mut qs.bypass_change_detection().calls,
                        nodes: &mut nodes,
                        edges: &mut edges,
                        edge_mods: &edge_mods,
                        node_entities: &topology.nodes,
                        queue: queue.bypass_change_detection(),
                        rng: rng.bypass_change_detection(),
                        e2e: e2e.bypass_change_detection(),
                        effects: Effects::default(),
                        now: clock.now_ns,
                        traffic_until_ns: clock.traffic_until_ns,
                    };
                    if !clock.started {
                        engine.start();
                    }
                    let before = engine.queue.processed();
                    while let Some((at, event)) = engine.queue.pop_due(horizon_ns) {
                        engine.now = at;
                        engine.handle(event);
                    }
                    engine.queue.processed() - before
                })
            })
        })
    });

    for (&entity, slot) in topology.nodes.iter().zip(nodes) {
        let mut node = world.entity_mut(entity);
        node.insert((slot.station, slot.model, slot.metrics));
        if let Some(autoscaler) = slot.autoscaler {
            node.insert(autoscaler);
        }
        if let Some(router) = slot.router {
            node.insert(router);
        }
        if let Some(replicas) = slot.replicas {
            node.insert(replicas);
        }
    }
    for (&entity, edge) in topology.edges.iter().zip(edges) {
        world.entity_mut(entity).insert(edge);
    }
    let mut clock = world.resource_mut::<SimClock>();
    clock.now_ns = clock.now_ns.max(horizon_ns);
    clock.horizon_ns = clock.horizon_ns.max(horizon_ns);
    processed
}

fn take_node(world: &mut World, entity: Entity) -> NodeSlot {
    let mods = NodeMods::read(world, entity);
    let mut node = world.entity_mut(entity);
    let (station, model, metrics) = node
        .take::<(Station, Model, NodeMetrics)>()
        .expect("node entity has a station, a model and metrics");
    NodeSlot {
        station,
        model,
        metrics,
        router: node.take::<Router>(),
        autoscaler: node.take::<Autoscaler>(),
        replicas: node.take::<ReadReplicas>(),
        mods,
    }
}

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

impl Engine<'_> {
    /// Schedules the run's first events: each source's first request, health checks, the
    /// first metrics window.
    fn start(&mut self) {
        let now = self.now;
        let window_ns = self.world.resource::<MetricsHistory>().window_ns;
        self.queue.schedule(now + window_ns, Event::WindowClosed);
        for i in 0..self.nodes.len() {
            let node = NodeId(i as u32);
            if let Some(dt) = self.decide(node, Entity::PLACEHOLDER, |model, cx| {
                model.0.next_arrival_in(cx)
            }) {
                self.queue.schedule(now + dt, Event::Generated { node });
            }
            if let Some(a) = self.nodes[i].autoscaler.as_ref() {
                self.queue
                    .schedule(now + a.interval_ns, Event::Autoscaled { node });
            }
            if let Some(check) = self.nodes[i].router.as_ref().and_then(|r| r.check) {
                self.queue
                    .schedule(now + check.interval_ns, Event::HealthChecked { node });
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Generated { node } => self.generated(node, true),
            Event::Emitted { node } => self.generated(node, false),
            Event::Arrived { call } => self.arrived(call),
            Event::WorkDone { call } => self.work_done(call),
            Event::Replied { call } => self.replied(call),
            Event::Resent {
                parent,
                edge,
                attempt,
            } => self.send(parent, edge, attempt),
            Event::CallDeadline { edge } => self.call_deadlines(edge),
            Event::PoolDeadline { edge } => self.pool_deadlines(edge),
            Event::HealthChecked { node } => self.health_check(node),
            Event::Autoscaled { node } => self.autoscale(node),
            Event::InstancesReady { node, count } => self.instances_ready(node, count),
            Event::WindowClosed => self.close_window(),
            Event::Crashed { node } => self.crashed(node),
        }
    }

    /// Lets node `node`'s behaviour decide about `call`, then carries out its side effects.
    fn decide<R>(
        &mut self,
        node: NodeId,
        call: Entity,
        f: impl FnOnce(&mut Model, &mut Cx) -> R,
    ) -> R {
        let slot = &mut self.nodes[node.ix()];
        let (model, mut cx) = slot.decider(self.now, self.rng, call, &mut self.effects);
        let out = f(model, &mut cx);
        if !self.effects.is_empty() {
            self.carry_out_effects(call);
        }
        out
    }

    fn carry_out_effects(&mut self, call: Entity) {
        let Effects { wake, detach } = std::mem::take(&mut self.effects);
        for edge in detach {
            self.send_detached(call, edge);
        }
        for (parked, reply) in wake {
            self.deliver(parked, reply);
        }
    }

    /// A traffic source emits a user request (and, unless it is an extra one, schedules its
    /// next).
    fn generated(&mut self, node: NodeId, schedule_next: bool) {
        let (kind, key) = self.decide(node, Entity::PLACEHOLDER, |model, cx| {
            model.0.request_kind(cx)
        });
        if schedule_next
            && let Some(dt) = self.decide(node, Entity::PLACEHOLDER, |model, cx| {
                model.0.next_arrival_in(cx)
            })
        {
            let at = self.now + dt;
            if at < self.traffic_until_ns {
                self.queue.schedule(at, Event::Generated { node });
            }
        }
        self.e2e.arrivals += 1;
        let mut root = Call::new(Caller::Root, node, node, None, kind, self.now);
        root.key = key;
        let call = self.world.spawn(root).id();
        self.arrived(call);
    }

    /// A call reaches its node.
    fn arrived(&mut self, call: Entity) {
        let now = self.now;
        let (node, kind, key) = {
            let mut c = call!(self, call);
            c.arrived_ns = now;
            c.due_ns = now;
            (c.node, c.kind, c.key)
        };
        let slot = &mut self.nodes[node.ix()];
        slot.metrics.arrivals += 1;
        slot.metrics.in_flight.inc(now);
        if slot.mods.down {
            return self.respond(call, Reply::failed(ErrorCause::NodeDown));
        }
        if slot.model.0.acks_on_enqueue() {
            // A message queue: buffer a message for the consumers, acknowledge the producer.
            if !(slot.has_free_server() || slot.station.has_room()) {
                return self.respond(call, Reply::failed(ErrorCause::QueueFull));
            }
            slot.metrics.in_flight.inc(now);
            let mut message = Call::new(Caller::Detached, node, node, None, kind, now);
            message.key = key;
            let message = self.world.spawn(message).id();
            self.admit(message, node);
            return self.respond(call, Reply::OK);
        }
        self.admit(call, node);
    }

    /// Gives a call a server, a place in the queue, or `QueueFull`.
    fn admit(&mut self, call: Entity, node: NodeId) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        if slot.has_free_server() {
            slot.station.busy.inc(now);
            self.start_work(call, node);
        } else if slot.station.has_room() {
            slot.station.queue.push_back(call);
            slot.station.queued.inc(now);
            call!(self, call).phase = Phase::Queued;
        } else {
            self.respond(call, Reply::failed(ErrorCause::QueueFull));
        }
    }

    /// A call takes a server (already counted busy) and starts its own work.
    fn start_work(&mut self, call: Entity, node: NodeId) {
        let now = self.now;
        let arrived_ns = {
            let mut c = call!(self, call);
            c.holds_server = true;
            c.phase = Phase::Working;
            c.arrived_ns
        };
        let slot = &mut self.nodes[node.ix()];
        slot.metrics.started += 1;
        slot.metrics.wait_sum_ns += (now - arrived_ns) as f64;
        if let Some(injected) = slot.mods.errors
            && self.rng.chance(injected.rate)
        {
            return self.respond(call, Reply::failed(injected.cause));
        }
        let slowdown = slot.mods.slowdown;
        let work = {
            let mut c = call!(self, call);
            let slot = &mut self.nodes[node.ix()];
            let (model, mut cx) = slot.decider(now, self.rng, call, &mut self.effects);
            let work = model.0.work(&mut cx, &c);
            if let Some(d) = work {
                let d = if slowdown == 1.0 {
                    d
                } else {
                    (d as f64 * slowdown).round() as Nanos
                };
                c.due_ns = now + d;
            }
            work.map(|_| c.due_ns)
        };
        if !self.effects.is_empty() {
            self.carry_out_effects(call);
        }
        match work {
            Some(due) => self.queue.schedule(due, Event::WorkDone { call }),
            None => self.work_done(call),
        }
    }

    /// The node's own work on a call is done.
    fn work_done(&mut self, call: Entity) {
        let now = self.now;
        let (node, next) = {
            let mut c = call!(self, call);
            let node = c.node;
            let slot = &mut self.nodes[node.ix()];
            if slot.mods.down {
                (node, None)
            } else {
                let (model, mut cx) = slot.decider(now, self.rng, call, &mut self.effects);
                (node, Some(model.0.after_work(&mut cx, &mut c)))
            }
        };
        if !self.effects.is_empty() {
            self.carry_out_effects(call);
        }
        match next {
            Some(next) => self.proceed(call, node, next),
            // The node died while working: the work is lost, the connection resets.
            None => self.respond(call, Reply::failed(ErrorCause::NodeDown)),
        }
    }

    fn proceed(&mut self, call: Entity, node: NodeId, next: Next) {
        match next {
            Next::Respond(reply) => self.respond(call, reply),
            Next::Call(edge) => self.fan_out(call, node, &[edge], false),
            Next::Fill(edge) => self.fan_out(call, node, &[edge], true),
            Next::CallAll(edges) if edges.is_empty() => self.respond(call, Reply::OK),
            Next::CallAll(edges) => self.fan_out(call, node, &edges, false),
            Next::Route => match self.route(node) {
                Some(edge) => self.fan_out(call, node, &[edge], false),
                None => self.respond(call, Reply::failed(ErrorCause::NodeDown)),
            },
            Next::Park => {
                let mut c = call!(self, call);
                c.pending = 1;
                c.step_reply = Reply::OK;
                c.phase = Phase::Calling;
            }
        }
    }

    /// Sends a call's downstream calls; it waits for all of them.
    fn fan_out(&mut self, call: Entity, node: NodeId, edges: &[EdgeId], fill: bool) {
        let blocking = self.nodes[node.ix()].station.blocking;
        let release = {
            let mut c = call!(self, call);
            c.pending = edges.len() as u16;
            c.step_reply = Reply::OK;
            c.phase = Phase::Calling;
            let release = c.holds_server && !blocking;
            c.holds_server &= !release;
            release
        };
        if release {
            self.release_server(node);
        }
        for &edge in edges {
            self.send_attempt(call, edge, 0, fill);
        }
    }

    /// Routes a call through the node's router.
    fn route(&mut self, node: NodeId) -> Option<EdgeId> {
        let router = self.nodes[node.ix()].router.as_mut()?;
        let edges = &*self.edges;
        router.pick(self.rng, |e| edges[e.ix()].outstanding)
    }

    /// Where a call to `to` goes: reads to a database primary go to a replica it picks.
    fn resolve_target(&mut self, to: NodeId, kind: RequestKind, key: u32) -> NodeId {
        let replicas = match self.nodes[to.ix()].replicas.as_ref() {
            Some(r) if kind == RequestKind::Read && !r.replicas.is_empty() => r.replicas.len(),
            _ => return to,
        };
        match self.decide(to, Entity::PLACEHOLDER, |model, cx| {
            model.0.pick_replica(cx, key, replicas)
        }) {
            Some(i) => {
                self.nodes[to.ix()]
                    .replicas
                    .as_ref()
                    .expect("checked above")
                    .replicas[i]
            }
            None => to,
        }
    }

    /// A retry of a call from `parent` over `edge_id`.
    fn send(&mut self, parent: Entity, edge_id: EdgeId, attempt: u8) {
        let fill = call!(self, parent).step & super::call::FILL_STEP != 0;
        self.send_attempt(parent, edge_id, attempt, fill);
    }

    /// A fire-and-forget call on behalf of `parent` (a background refresh).
    fn send_detached(&mut self, parent: Entity, edge_id: EdgeId) {
        let (kind, key, from) = {
            let p = call!(self, parent);
            (p.kind, p.key, p.node)
        };
        let to = self.edges[edge_id.ix()].to;
        let target = self.resolve_target(to, kind, key);
        let mut child = Call::new(
            Caller::Detached,
            from,
            target,
            Some(edge_id),
            kind,
            self.now,
        );
        child.key = key;
        let child = self.world.spawn(child).id();
        self.transmit(child, edge_id);
    }

    /// Makes one attempt of a call from `parent` over `edge_id`.
    fn send_attempt(&mut self, parent: Entity, edge_id: EdgeId, attempt: u8, fill: bool) {
        let now = self.now;
        let (kind, born, from, key) = {
            let p = call!(self, parent);
            (p.kind, p.born_ns, p.node, p.key)
        };
        let pool_usable = self.edge_mods[edge_id.ix()].pool_usable;
        let edge = &mut self.edges[edge_id.ix()];
        let mode = edge.mode;
        if mode == CallMode::Sync
            && let Some(breaker) = edge.breaker.as_mut()
            && !breaker.allow(now)
        {
            edge.counters.short_circuited += 1;
            return self.child_done(
                parent,
                edge_id,
                attempt,
                Reply::failed(ErrorCause::CircuitOpen),
            );
        }
        let (wait, pooled) = match edge.pool.as_mut() {
            Some(_) if mode == CallMode::Async => (false, false),
            Some(pool) if pool.in_use.value() >= pool.size.min(pool_usable.unwrap_or(u32::MAX)) => {
                (true, false)
            }
            Some(pool) => {
                pool.in_use.inc(now);
                (false, true)
            }
            None => (false, false),
        };
        let to = edge.to;
        let target = self.resolve_target(to, kind, key);
        let caller = if mode == CallMode::Async {
            Caller::Detached
        } else {
            Caller::Call(parent)
        };
        let mut child = Call::new(caller, from, target, Some(edge_id), kind, born);
        child.attempt = attempt;
        child.holds_connection = pooled;
        child.key = key;
        child.fill = fill;
        if wait {
            child.phase = Phase::AwaitingConnection;
            let child = self.world.spawn(child).id();
            let pool = self.edges[edge_id.ix()]
                .pool
                .as_mut()
                .expect("waiting implies a pool");
            pool.waiting.inc(now);
            let deadline = Deadline {
                at_ns: now + pool.acquire_timeout_ns,
                call: child,
            };
            if let Some(at) = pool.waiters.push(deadline) {
                self.queue
                    .schedule(at, Event::PoolDeadline { edge: edge_id });
            }
            return;
        }
        let child = self.world.spawn(child).id();
        self.transmit(child, edge_id);
        if mode == CallMode::Async {
            self.deliver(parent, Reply::OK);
        }
    }

    /// One-way network delay on an edge, with the chaos on it.
    fn network_delay(&mut self, edge_id: EdgeId) -> Nanos {
        let mods = self.edge_mods[edge_id.ix()];
        let mut latency = self.edges[edge_id.ix()].latency.sample(self.rng);
        if let Some(added) = mods.latency {
            latency += added.add_ns + (added.jitter_ns as f64 * self.rng.unit()).round() as Nanos;
        }
        // Each lost transmission costs a retransmission timeout, doubling each time.
        let mut rto = RETRANSMIT_NS;
        while mods.loss > 0.0 && rto <= 64 * RETRANSMIT_NS && self.rng.chance(mods.loss) {
            latency += rto;
            rto *= 2;
        }
        latency
    }

    /// Puts a call on the wire (it has its connection, if the edge pools them).
    fn transmit(&mut self, call: Entity, edge_id: EdgeId) {
        let now = self.now;
        let mods = self.edge_mods[edge_id.ix()];
        let latency = self.network_delay(edge_id);
        let edge = &mut self.edges[edge_id.ix()];
        edge.counters.sent += 1;
        let sync = edge.mode == CallMode::Sync;
        let timeout = edge.timeout_ns;
        if sync {
            edge.outstanding += 1;
        }
        // Faults on the way: the call never arrives and the caller learns of it late or at once.
        let reset = mods.reset.filter(|r| self.rng.chance(r.ratio));
        let fault = if mods.dns {
            Some((ErrorCause::DnsFailure, 0))
        } else if mods.partitioned {
            Some((
                ErrorCause::Partitioned,
                timeout.unwrap_or(CONNECT_TIMEOUT_NS),
            ))
        } else if let Some(r) = reset {
            let after = if r.hang {
                timeout.unwrap_or(30 * NS_PER_S)
            } else {
                latency
            };
            Some((ErrorCause::ConnectionReset, after))
        } else {
            None
        };
        let detached = {
            let mut c = call!(self, call);
            c.sent_ns = now;
            match fault {
                Some((cause, after)) => {
                    c.phase = Phase::Returning;
                    c.reply = Reply::failed(cause);
                    c.due_ns = now + after;
                }
                None => {
                    c.phase = Phase::Sending;
                    c.due_ns = now + latency;
                }
            }
            matches!(c.caller, Caller::Detached)
        };
        if let Some((_, after)) = fault {
            if detached {
                self.world.despawn(call);
            } else {
                self.queue.schedule(now + after, Event::Replied { call });
            }
            return;
        }
        self.queue.schedule(now + latency, Event::Arrived { call });
        if sync
            && let Some(timeout) = timeout
            && let Some(at) = self.edges[edge_id.ix()].deadlines.push(Deadline {
                at_ns: now + timeout,
                call,
            })
        {
            self.queue
                .schedule(at, Event::CallDeadline { edge: edge_id });
        }
    }

    /// The node answers a call.
    fn respond(&mut self, call: Entity, reply: Reply) {
        let now = self.now;
        let (node, caller, holds_server, edge, arrived_ns, born_ns) = {
            let mut c = call!(self, call);
            c.reply = reply;
            let out = (
                c.node,
                c.caller,
                c.holds_server,
                c.edge,
                c.arrived_ns,
                c.born_ns,
            );
            c.holds_server = false;
            out
        };
        let slot = &mut self.nodes[node.ix()];
        slot.metrics.answered(now - arrived_ns, reply.error);
        slot.metrics.in_flight.dec(now);
        match caller {
            Caller::Root => {
                record_latency(&mut self.e2e.latency, now - born_ns);
                match reply.error {
                    None => {
                        self.e2e.ok += 1;
                        self.e2e.bytes_out += slot.model.0.response_bytes();
                    }
                    Some(cause) => self.e2e.errors[cause.index()] += 1,
                }
                self.world.despawn(call);
            }
            Caller::Detached | Caller::Orphaned => {
                self.world.despawn(call);
            }
            Caller::Call(_) => {
                let edge_id = edge.expect("a call with a caller travelled an edge");
                let mut back = self.network_delay(edge_id);
                if let Some(cap) = self.edge_mods[edge_id.ix()].bandwidth {
                    // The answer queues for the capped link (FIFO, one answer at a time).
                    let edge = &mut self.edges[edge_id.ix()];
                    let send_ns = (cap.answer_bytes / cap.bytes_per_s.max(1.0) * NS_PER_S as f64)
                        .round() as Nanos;
                    let done = edge.link_free_ns.max(now) + send_ns;
                    edge.link_free_ns = done;
                    back += done - now;
                }
                let mut c = call!(self, call);
                c.phase = Phase::Returning;
                c.due_ns = now + back;
                self.queue.schedule(now + back, Event::Replied { call });
            }
        }
        if holds_server {
            self.release_server(node);
        }
    }

    /// A server is free: the next queued call takes it.
    fn release_server(&mut self, node: NodeId) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        slot.station.busy.dec(now);
        if slot.has_free_server()
            && let Some(next) = slot.station.queue.pop_front()
        {
            slot.station.queued.dec(now);
            slot.station.busy.inc(now);
            self.start_work(next, node);
        }
    }

    /// A node crashed: the calls in its queue fail now (the ones in service fail when their
    /// work would have ended; the ones waiting on downstream calls when those answer).
    fn crashed(&mut self, node: NodeId) {
        let now = self.now;
        let queued: Vec<Entity> = self.nodes[node.ix()].station.queue.drain(..).collect();
        self.nodes[node.ix()].station.queued.set(now, 0);
        for call in queued {
            self.respond(call, Reply::failed(ErrorCause::NodeDown));
        }
    }

    /// An answer reaches the caller.
    fn replied(&mut self, call: Entity) {
        let (caller, edge, holds_connection, attempt, reply) = {
            let c = call!(self, call);
            (c.caller, c.edge, c.holds_connection, c.attempt, c.reply)
        };
        self.world.despawn(call);
        let Caller::Call(parent) = caller else { return };
        let edge = edge.expect("a call with a caller travelled an edge");
        self.finish_on_edge(edge, holds_connection, reply.error.is_some());
        self.child_done(parent, edge, attempt, reply);
    }

    /// Edge bookkeeping when a call stops waiting (answered or timed out).
    fn finish_on_edge(&mut self, edge_id: EdgeId, holds_connection: bool, failed: bool) {
        let now = self.now;
        let edge = &mut self.edges[edge_id.ix()];
        edge.outstanding -= 1;
        if let Some(breaker) = edge.breaker.as_mut() {
            breaker.record(now, failed);
        }
        if holds_connection {
            self.release_connection(edge_id);
        }
    }

    /// A pooled connection comes back: the first waiter takes it (unless chaos shrank the
    /// pool below what is in use).
    fn release_connection(&mut self, edge_id: EdgeId) {
        let now = self.now;
        let usable = self.edge_mods[edge_id.ix()].pool_usable.unwrap_or(u32::MAX);
        let pool = self.edges[edge_id.ix()]
            .pool
            .as_mut()
            .expect("a held connection implies a pool");
        if pool.in_use.value() > pool.size.min(usable) {
            pool.in_use.dec(now);
            return;
        }
        match pool.waiters.pop_front() {
            Some(d) => {
                pool.waiting.dec(now);
                call!(self, d.call).holds_connection = true;
                self.transmit(d.call, edge_id);
            }
            None => pool.in_use.dec(now),
        }
    }

    /// One attempt ended: retry it, or give the answer to the parent.
    fn child_done(&mut self, parent: Entity, edge_id: EdgeId, attempt: u8, reply: Reply) {
        if let Some(cause) = reply.error {
            let storm = self.edge_mods[edge_id.ix()].retries;
            let edge = &mut self.edges[edge_id.ix()];
            let mut policy = edge.retry;
            if let Some(storm) = storm {
                policy.count = storm.count;
                policy.base_ns = storm.backoff_ns;
                policy.max_ns = policy.max_ns.max(storm.backoff_ns);
                policy.jitter = crate::sim::Jitter::None;
            }
            if cause.retryable() && attempt < policy.count {
                let delay = policy.backoff(attempt + 1, self.rng);
                edge.counters.retries += 1;
                let event = Event::Resent {
                    parent,
                    edge: edge_id,
                    attempt: attempt + 1,
                };
                self.queue.schedule(self.now + delay, event);
                return;
            }
        }
        self.deliver(parent, reply);
    }

    /// The parent gets one answer of its current step; when all are in, its node goes on.
    fn deliver(&mut self, parent: Entity, reply: Reply) {
        let now = self.now;
        let (node, next) = {
            let mut p = call!(self, parent);
            p.step_reply.merge(reply);
            p.pending -= 1;
            if p.pending > 0 {
                return;
            }
            p.phase = Phase::Working;
            let node = p.node;
            let slot = &mut self.nodes[node.ix()];
            if slot.mods.down {
                (node, None)
            } else {
                let step_reply = p.step_reply;
                let (model, mut cx) = slot.decider(now, self.rng, parent, &mut self.effects);
                (node, Some(model.0.after_calls(&mut cx, &mut p, step_reply)))
            }
        };
        if !self.effects.is_empty() {
            self.carry_out_effects(parent);
        }
        match next {
            Some(next) => self.proceed(parent, node, next),
            None => self.respond(parent, Reply::failed(ErrorCause::NodeDown)),
        }
    }

    /// Times out the calls on an edge whose deadline passed.
    fn call_deadlines(&mut self, edge_id: EdgeId) {
        let now = self.now;
        if !self.edges[edge_id.ix()].deadlines.take_wake(now) {
            return;
        }
        while let Some(front) = self.edges[edge_id.ix()].deadlines.front() {
            let waiting = self
                .calls
                .get(self.world, front.call)
                .is_ok_and(|c| matches!(c.caller, Caller::Call(_)) && c.edge == Some(edge_id));
            if waiting && front.at_ns > now {
                break;
            }
            self.edges[edge_id.ix()].deadlines.pop_front();
            if waiting {
                self.time_out(front.call, edge_id);
            }
        }
        if let Some(at) = self.edges[edge_id.ix()].deadlines.rearm() {
            self.queue
                .schedule(at, Event::CallDeadline { edge: edge_id });
        }
    }

    /// The caller gives up on a call; the callee still finishes it, unheard.
    fn time_out(&mut self, call: Entity, edge_id: EdgeId) {
        let (parent, attempt, holds_connection) = {
            let mut c = call!(self, call);
            let Caller::Call(parent) = c.caller else {
                unreachable!("only waited-for calls time out")
            };
            c.caller = Caller::Orphaned;
            let held = c.holds_connection;
            c.holds_connection = false;
            (parent, c.attempt, held)
        };
        self.edges[edge_id.ix()].counters.timeouts += 1;
        self.finish_on_edge(edge_id, holds_connection, true);
        self.child_done(parent, edge_id, attempt, Reply::failed(ErrorCause::Timeout));
    }

    /// Fails the calls that waited too long for a pooled connection.
    fn pool_deadlines(&mut self, edge_id: EdgeId) {
        let now = self.now;
        let pool = self.edges[edge_id.ix()]
            .pool
            .as_mut()
            .expect("pool deadline on a pooled edge");
        if !pool.waiters.take_wake(now) {
            return;
        }
        let mut expired = Vec::new();
        while pool.waiters.front().is_some_and(|d| d.at_ns <= now) {
            expired.push(pool.waiters.pop_front().expect("front exists").call);
            pool.waiting.dec(now);
        }
        if let Some(at) = pool.waiters.rearm() {
            self.queue
                .schedule(at, Event::PoolDeadline { edge: edge_id });
        }
        for call in expired {
            let (caller, attempt) = {
                let c = call!(self, call);
                (c.caller, c.attempt)
            };
            self.world.despawn(call);
            let Caller::Call(parent) = caller else {
                continue;
            };
            self.child_done(
                parent,
                edge_id,
                attempt,
                Reply::failed(ErrorCause::PoolExhausted),
            );
        }
    }

    /// An autoscaler looks at its node's demand and boots or retires instances.
    fn autoscale(&mut self, node: NodeId) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let (busy, queued, blocked) = (
            slot.station.busy.value(),
            slot.station.queue.len(),
            slot.mods.capacity < 1.0,
        );
        let Some(a) = slot.autoscaler.as_mut() else {
            return;
        };
        let change = a.decide(busy, queued, blocked);
        let (interval, boot, per) = (a.interval_ns, a.boot_ns, a.per_replica);
        if change > 0 {
            a.booting += change as u32;
            self.queue.schedule(
                now + boot,
                Event::InstancesReady {
                    node,
                    count: change as u32,
                },
            );
        } else if change < 0 {
            a.replicas -= 1;
            slot.station.servers = slot.station.servers.saturating_sub(per);
        }
        self.queue
            .schedule(now + interval, Event::Autoscaled { node });
    }

    /// Booted instances join the node's servers; queued calls take them at once.
    fn instances_ready(&mut self, node: NodeId, count: u32) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let Some(a) = slot.autoscaler.as_mut() else {
            return;
        };
        a.booting -= count;
        a.replicas += count;
        slot.station.servers += count * a.per_replica;
        while self.nodes[node.ix()].has_free_server() {
            let slot = &mut self.nodes[node.ix()];
            let Some(next) = slot.station.queue.pop_front() else {
                break;
            };
            slot.station.queued.dec(now);
            slot.station.busy.inc(now);
            self.start_work(next, node);
        }
    }

    /// A router checks its backends.
    fn health_check(&mut self, node: NodeId) {
        let Some(router) = self.nodes[node.ix()].router.as_ref() else {
            return;
        };
        let Some(check) = router.check else { return };
        for i in 0..router.targets.len() {
            let router = self.nodes[node.ix()]
                .router
                .as_ref()
                .expect("checked above");
            let to = self.edges[router.targets[i].ix()].to;
            let up = !self.nodes[to.ix()].mods.down;
            self.nodes[node.ix()]
                .router
                .as_mut()
                .expect("checked above")
                .observe(i, up);
        }
        self.queue
            .schedule(self.now + check.interval_ns, Event::HealthChecked { node });
    }

    /// Closes the metrics window: every node's and edge's counters become a record.
    fn close_window(&mut self) {
        let now = self.now;
        let history = self.world.resource::<MetricsHistory>();
        let window_ns = history.window_ns;
        let window_s = history.window_s();
        let steady = history.is_steady(now);
        let start = now.saturating_sub(window_ns);

        // Outgoing edges' pools and retries, per caller node.
        #[derive(Default)]
        struct Outgoing {
            pool_in_use: f64,
            pool_size: u32,
            pool_waiters: f64,
            retries: u64,
            pools: std::collections::BTreeMap<String, PoolWindow>,
        }
        let mut outgoing: Vec<Outgoing> =
            (0..self.nodes.len()).map(|_| Outgoing::default()).collect();
        for edge in self.edges.iter_mut() {
            let counters = std::mem::take(&mut edge.counters);
            let out = &mut outgoing[edge.from.ix()];
            out.retries += counters.retries;
            if let Some(pool) = edge.pool.as_mut() {
                let window = PoolWindow {
                    in_use: pool.in_use.close(start, now).0,
                    size: pool.size,
                    waiters: pool.waiting.close(start, now).0,
                };
                out.pool_in_use += window.in_use;
                out.pool_size += window.size;
                out.pool_waiters += window.waiters;
                let to = self
                    .world
                    .get::<Node>(self.node_entities[edge.to.ix()])
                    .expect("node entity has a Node");
                out.pools.insert(to.id.clone(), window);
            }
        }

        let mut nodes = std::collections::BTreeMap::new();
        let mut steady_hists = Vec::new();
        for (i, slot) in self.nodes.iter_mut().enumerate() {
            let info = self
                .world
                .get::<Node>(self.node_entities[i])
                .expect("node entity has a Node");
            // Utilization is against the servers that work now (chaos can take some away).
            let working = slot.servers();
            let (station, m) = (&mut slot.station, &mut slot.metrics);
            let (busy, _) = station.busy.close(start, now);
            let (queue_depth, queue_max) = station.queued.close(start, now);
            let (in_flight, _) = m.in_flight.close(start, now);
            let answered = m.ok + m.errors.iter().sum::<u64>();
            let out = std::mem::take(&mut outgoing[i]);
            let consumer_lag_ms = m.is_message_queue.then(|| {
                station.queue.front().map_or(0.0, |&front| {
                    self.calls
                        .get(self.world, front)
                        .map_or(0.0, |c| ns_to_ms(now - c.arrived_ns))
                })
            });
            let record = NodeWindow {
                kind: info.kind.to_string(),
                arrivals: m.arrivals,
                throughput: m.ok as f64 / window_s,
                errors: errors_by_cause(&m.errors),
                error_rate: if answered > 0 {
                    (answered - m.ok) as f64 / answered as f64
                } else {
                    0.0
                },
                latency: Percentiles {
                    mean_ms: if answered > 0 {
                        m.latency_sum_ns / answered as f64 / 1e6
                    } else {
                        0.0
                    },
                    ..Percentiles::of(&m.latency)
                },
                started: m.started,
                mean_wait_ms: if m.started > 0 {
                    m.wait_sum_ns / m.started as f64 / 1e6
                } else {
                    0.0
                },
                utilization: if working == UNBOUNDED {
                    0.0
                } else {
                    (busy / f64::from(working.max(1))).min(1.0)
                },
                busy_servers: busy,
                servers: working,
                queue_depth,
                queue_max,
                in_flight,
                pool_in_use: out.pool_in_use,
                pool_size: out.pool_size,
                pool_waiters: out.pool_waiters,
                pools: out.pools,
                stale_reads: m.stale_reads,
                hit_rate: (m.hits + m.misses > 0)
                    .then(|| m.hits as f64 / (m.hits + m.misses) as f64),
                replication_lag_ms: m.replication_lag_max_ns.map(ns_to_ms),
                consumer_lag_ms,
                retries: out.retries,
                down: slot.mods.down,
            };
            if steady {
                steady_hists.push((info.id.clone(), m.latency.clone()));
            }
            nodes.insert(info.id.clone(), record);
            m.reset_counters();
        }

        let in_flight_calls = self.calls.iter(self.world).count() as u64;
        let e2e = &mut *self.e2e;
        let answered = e2e.ok + e2e.errors.iter().sum::<u64>();
        let record = WindowRecord {
            t_s: ns_to_s(now),
            arrivals: e2e.arrivals,
            throughput: e2e.ok as f64 / window_s,
            error_rate: if answered > 0 {
                (answered - e2e.ok) as f64 / answered as f64
            } else {
                0.0
            },
            errors: errors_by_cause(&e2e.errors),
            latency: Percentiles::of(&e2e.latency),
            in_flight_calls,
            nodes,
        };
        let mut history = self.world.resource_mut::<MetricsHistory>();
        if steady {
            history
                .steady_end_to_end
                .add(&e2e.latency)
                .expect("same histogram bounds");
            for (id, hist) in steady_hists {
                let merged = history
                    .steady_nodes
                    .entry(id)
                    .or_insert_with(latency_histogram);
                merged.add(&hist).expect("same histogram bounds");
            }
        }
        history.windows.push(record);
        e2e.reset();
        self.queue.schedule(now + window_ns, Event::WindowClosed);
    }
}
