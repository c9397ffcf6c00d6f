//! The discrete-event engine: drains every event due before the horizon, in exact
//! (time, sequence) order, inside one exclusive system run.
//!
//! Request state lives in the fields of each call's [`Call`] component; nodes and edges are
//! entities too. Node kinds decide through [`Behaviour`](super::behaviour::Behaviour); this
//! module does the bookkeeping they share: queues and servers, the network, timeouts,
//! retries, breakers, pools, routing and metrics.

use std::collections::BTreeMap;

use bevy::prelude::*;

use super::behaviour::{Cx, Model, Next, Node, ReadReplicas};
use super::call::{Call, Caller, ErrorCause, Phase, Reply, RequestKind};
use super::clock::SimClock;
use super::deadline::Deadline;
use super::edge::{CallMode, Edge, EdgeCounters};
use super::metrics::{
    EndToEnd, MetricsHistory, NodeMetrics, NodeWindow, Percentiles, WindowRecord, errors_by_cause,
    latency_histogram, record_latency,
};
use super::modifiers::Down;
use super::queue::{Event, EventQueue};
use super::rng::SimRng;
use super::routing::Router;
use super::station::Station;
use super::time::{Nanos, ns_to_ms, ns_to_s};

type NodeParts = (
    &'static mut Station,
    &'static mut Model,
    &'static mut NodeMetrics,
    Has<Down>,
);

/// Cached queries of the engine (built once, reused for every event).
#[derive(Resource)]
pub struct EngineQueries {
    calls: QueryState<&'static mut Call>,
    nodes: QueryState<NodeParts>,
    edges: QueryState<&'static mut Edge>,
    routers: QueryState<&'static mut Router>,
    replicas: QueryState<&'static mut ReadReplicas>,
    down: QueryState<Has<Down>>,
}

impl FromWorld for EngineQueries {
    fn from_world(world: &mut World) -> Self {
        EngineQueries {
            calls: QueryState::new(world),
            nodes: QueryState::new(world),
            edges: QueryState::new(world),
            routers: QueryState::new(world),
            replicas: QueryState::new(world),
            down: QueryState::new(world),
        }
    }
}

macro_rules! call {
    ($s:ident, $e:expr) => {
        $s.qs
            .calls
            .get_mut($s.world, $e)
            .expect("call entity is alive")
    };
}
macro_rules! node {
    ($s:ident, $e:expr) => {
        $s.qs
            .nodes
            .get_mut($s.world, $e)
            .expect("node entity has a station, model and metrics")
    };
}
macro_rules! edge {
    ($s:ident, $e:expr) => {
        $s.qs
            .edges
            .get_mut($s.world, $e)
            .expect("edge entity is alive")
    };
}

/// Processes every event due at or before the clock's horizon (the `FixedUpdate` system).
pub fn drain_events(world: &mut World) {
    let horizon = world.resource::<SimClock>().horizon_ns;
    run_until(world, horizon);
}

/// Processes every event due at or before `horizon_ns`; returns how many were processed.
/// The same code runs under the app's clock, in the CLI and in tests.
pub fn run_until(world: &mut World, horizon_ns: Nanos) -> u64 {
    if !world.resource::<SimClock>().started {
        start(world);
    }
    let traffic_until_ns = world.resource::<SimClock>().traffic_until_ns;
    let start_now = world.resource::<SimClock>().now_ns;
    let processed = world.resource_scope(|world, mut queue: Mut<EventQueue>| {
        world.resource_scope(|world, mut rng: Mut<SimRng>| {
            world.resource_scope(|world, mut e2e: Mut<EndToEnd>| {
                world.resource_scope(|world, mut qs: Mut<EngineQueries>| {
                    let mut engine = Engine {
                        world,
                        queue: queue.bypass_change_detection(),
                        rng: rng.bypass_change_detection(),
                        e2e: e2e.bypass_change_detection(),
                        qs: qs.bypass_change_detection(),
                        now: start_now,
                        traffic_until_ns,
                    };
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
    let mut clock = world.resource_mut::<SimClock>();
    clock.now_ns = clock.now_ns.max(horizon_ns);
    clock.horizon_ns = clock.horizon_ns.max(horizon_ns);
    processed
}

/// Schedules the run's first events: each source's first request, health checks, the first
/// metrics window.
fn start(world: &mut World) {
    let now = world.resource::<SimClock>().now_ns;
    world.resource_mut::<SimClock>().started = true;
    let window_ns = world.resource::<MetricsHistory>().window_ns;
    let mut first: Vec<(Nanos, Event)> = vec![(now + window_ns, Event::WindowClosed)];
    world.resource_scope(|world, mut rng: Mut<SimRng>| {
        let mut nodes = world.query::<(Entity, &mut Model, &mut NodeMetrics, Option<&Router>)>();
        let mut sorted: Vec<_> = nodes.iter_mut(world).collect();
        // Query order depends on spawn history; sort so the RNG is used in a fixed order.
        sorted.sort_by_key(|(e, ..)| *e);
        for (entity, mut model, mut metrics, router) in sorted {
            let mut cx = Cx {
                now_ns: now,
                rng: &mut rng,
                metrics: &mut metrics,
            };
            if let Some(dt) = model.0.next_arrival_in(&mut cx) {
                first.push((now + dt, Event::Generated { node: entity }));
            }
            if let Some(check) = router.and_then(|r| r.check) {
                first.push((
                    now + check.interval_ns,
                    Event::HealthChecked { node: entity },
                ));
            }
        }
    });
    let mut queue = world.resource_mut::<EventQueue>();
    for (at, event) in first {
        queue.schedule(at, event);
    }
}

struct Engine<'a> {
    world: &'a mut World,
    queue: &'a mut EventQueue,
    rng: &'a mut SimRng,
    e2e: &'a mut EndToEnd,
    qs: &'a mut EngineQueries,
    now: Nanos,
    traffic_until_ns: Nanos,
}

impl Engine<'_> {
    fn handle(&mut self, event: Event) {
        match event {
            Event::Generated { node } => self.generated(node),
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
            Event::WindowClosed => self.close_window(),
        }
    }

    fn cx_node<R>(
        &mut self,
        node: Entity,
        f: impl FnOnce(&mut Model, &mut Cx, &mut Station) -> R,
    ) -> R {
        let (mut station, mut model, mut metrics, _) = node!(self, node);
        let mut cx = Cx {
            now_ns: self.now,
            rng: self.rng,
            metrics: &mut metrics,
        };
        f(&mut model, &mut cx, &mut station)
    }

    /// A traffic source emits a user request.
    fn generated(&mut self, node: Entity) {
        let (kind, next_in) = self.cx_node(node, |model, cx, _| {
            (model.0.request_kind(cx), model.0.next_arrival_in(cx))
        });
        if let Some(dt) = next_in {
            let at = self.now + dt;
            if at < self.traffic_until_ns {
                self.queue.schedule(at, Event::Generated { node });
            }
        }
        self.e2e.arrivals += 1;
        let call = self
            .world
            .spawn(Call::new(Caller::Root, node, node, None, kind, self.now))
            .id();
        self.arrived(call);
    }

    /// A call reaches its node.
    fn arrived(&mut self, call: Entity) {
        let now = self.now;
        let (node, kind) = {
            let mut c = call!(self, call);
            c.arrived_ns = now;
            c.due_ns = now;
            (c.node, c.kind)
        };
        let (down, acks, room) = {
            let (station, model, mut metrics, down) = node!(self, node);
            metrics.arrivals += 1;
            metrics.in_flight.inc(now);
            (
                down,
                model.0.acks_on_enqueue(),
                station.has_free_server() || station.has_room(),
            )
        };
        if down {
            return self.respond(call, Reply::failed(ErrorCause::NodeDown));
        }
        if acks {
            // A message queue: buffer a message for the consumers, acknowledge the producer.
            if !room {
                return self.respond(call, Reply::failed(ErrorCause::QueueFull));
            }
            let message = self
                .world
                .spawn(Call::new(Caller::Detached, node, node, None, kind, now))
                .id();
            node!(self, node).2.in_flight.inc(now);
            self.admit(message, node);
            return self.respond(call, Reply::OK);
        }
        self.admit(call, node);
    }

    /// Gives a call a server, a place in the queue, or `QueueFull`.
    fn admit(&mut self, call: Entity, node: Entity) {
        let now = self.now;
        let admitted = {
            let (mut station, ..) = node!(self, node);
            if station.has_free_server() {
                station.busy.inc(now);
                Some(true)
            } else if station.has_room() {
                station.queue.push_back(call);
                station.queued.inc(now);
                Some(false)
            } else {
                None
            }
        };
        match admitted {
            Some(true) => self.start_work(call, node),
            Some(false) => call!(self, call).phase = Phase::Queued,
            None => self.respond(call, Reply::failed(ErrorCause::QueueFull)),
        }
    }

    /// A call takes a server (already counted busy) and starts its own work.
    fn start_work(&mut self, call: Entity, node: Entity) {
        let now = self.now;
        let snapshot = {
            let mut c = call!(self, call);
            c.holds_server = true;
            c.phase = Phase::Working;
            c.clone()
        };
        let work = {
            let (_, mut model, mut metrics, _) = node!(self, node);
            metrics.started += 1;
            metrics.wait_sum_ns += (now - snapshot.arrived_ns) as f64;
            let mut cx = Cx {
                now_ns: now,
                rng: self.rng,
                metrics: &mut metrics,
            };
            model.0.work(&mut cx, &snapshot)
        };
        match work {
            Some(d) => {
                call!(self, call).due_ns = now + d;
                self.queue.schedule(now + d, Event::WorkDone { call });
            }
            None => self.work_done(call),
        }
    }

    /// The node's own work on a call is done.
    fn work_done(&mut self, call: Entity) {
        let mut snapshot = call!(self, call).clone();
        let node = snapshot.node;
        let next = self.cx_node(node, |model, cx, _| model.0.after_work(cx, &mut snapshot));
        call!(self, call).step = snapshot.step;
        self.proceed(call, node, next);
    }

    fn proceed(&mut self, call: Entity, node: Entity, next: Next) {
        match next {
            Next::Respond(reply) => self.respond(call, reply),
            Next::Call(edge) => self.fan_out(call, node, &[edge]),
            Next::CallAll(edges) if edges.is_empty() => self.respond(call, Reply::OK),
            Next::CallAll(edges) => self.fan_out(call, node, &edges),
            Next::Route => match self.route(node) {
                Some(edge) => self.fan_out(call, node, &[edge]),
                None => self.respond(call, Reply::failed(ErrorCause::NodeDown)),
            },
        }
    }

    /// Sends a call's downstream calls; it waits for all of them.
    fn fan_out(&mut self, call: Entity, node: Entity, edges: &[Entity]) {
        let blocking = node!(self, node).0.blocking;
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
            self.send(call, edge, 0);
        }
    }

    /// Routes a call through the node's router.
    fn route(&mut self, node: Entity) -> Option<Entity> {
        let Ok(router) = self.qs.routers.get(self.world, node) else {
            return None;
        };
        // Outstanding calls per backend, for the policies that weigh load.
        let loads: Vec<(Entity, u32)> = match router.balance {
            super::routing::Balance::RoundRobin => Vec::new(),
            _ => router
                .targets
                .iter()
                .map(|&e| {
                    (
                        e,
                        self.qs
                            .edges
                            .get(self.world, e)
                            .map_or(0, |edge| edge.outstanding),
                    )
                })
                .collect(),
        };
        let mut router = self
            .qs
            .routers
            .get_mut(self.world, node)
            .expect("router read above");
        router.pick(self.rng, |e| {
            loads.iter().find(|(x, _)| *x == e).map_or(0, |(_, l)| *l)
        })
    }

    /// Where a call over an edge to `to` goes: reads to a database primary go to a replica.
    fn resolve_target(&mut self, to: Entity, kind: RequestKind) -> Entity {
        if kind == RequestKind::Read
            && let Ok(mut replicas) = self.qs.replicas.get_mut(self.world, to)
            && !replicas.replicas.is_empty()
        {
            let i = replicas.next as usize % replicas.replicas.len();
            replicas.next = replicas.next.wrapping_add(1);
            return replicas.replicas[i];
        }
        to
    }

    /// Makes one attempt of a call from `parent` over `edge_e`.
    fn send(&mut self, parent: Entity, edge_e: Entity, attempt: u8) {
        let now = self.now;
        let (kind, born, from) = {
            let p = call!(self, parent);
            (p.kind, p.born_ns, p.node)
        };
        let (mode, to, wait, pooled) = {
            let mut edge = edge!(self, edge_e);
            if edge.mode == CallMode::Sync
                && let Some(breaker) = edge.breaker.as_mut()
                && !breaker.allow(now)
            {
                edge.counters.short_circuited += 1;
                return self.child_done(
                    parent,
                    edge_e,
                    attempt,
                    Reply::failed(ErrorCause::CircuitOpen),
                );
            }
            let mode = edge.mode;
            let (wait, pooled) = match edge.pool.as_mut() {
                Some(_) if mode == CallMode::Async => (false, false),
                Some(pool) if pool.in_use.value() >= pool.size => (true, false),
                Some(pool) => {
                    pool.in_use.inc(now);
                    (false, true)
                }
                None => (false, false),
            };
            (edge.mode, edge.to, wait, pooled)
        };
        let target = self.resolve_target(to, kind);
        let caller = if mode == CallMode::Async {
            Caller::Detached
        } else {
            Caller::Call(parent)
        };
        let mut child = Call::new(caller, from, target, Some(edge_e), kind, born);
        child.attempt = attempt;
        child.holds_connection = pooled;
        if wait {
            child.phase = Phase::AwaitingConnection;
            let child = self.world.spawn(child).id();
            let mut edge = edge!(self, edge_e);
            let pool = edge.pool.as_mut().expect("waiting implies a pool");
            pool.waiting.inc(now);
            let deadline = Deadline {
                at_ns: now + pool.acquire_timeout_ns,
                call: child,
            };
            if let Some(at) = pool.waiters.push(deadline) {
                self.queue
                    .schedule(at, Event::PoolDeadline { edge: edge_e });
            }
            return;
        }
        let child = self.world.spawn(child).id();
        self.transmit(child, edge_e);
        if mode == CallMode::Async {
            self.deliver(parent, Reply::OK);
        }
    }

    /// Puts a call on the wire (it has its connection, if the edge pools them).
    fn transmit(&mut self, call: Entity, edge_e: Entity) {
        let now = self.now;
        let latency = {
            let mut edge = edge!(self, edge_e);
            edge.counters.sent += 1;
            let latency = edge.latency.sample(self.rng);
            if edge.mode == CallMode::Sync {
                edge.outstanding += 1;
                if let Some(timeout) = edge.timeout_ns
                    && let Some(at) = edge.deadlines.push(Deadline {
                        at_ns: now + timeout,
                        call,
                    })
                {
                    self.queue
                        .schedule(at, Event::CallDeadline { edge: edge_e });
                }
            }
            latency
        };
        let mut c = call!(self, call);
        c.phase = Phase::Sending;
        c.sent_ns = now;
        c.due_ns = now + latency;
        self.queue.schedule(now + latency, Event::Arrived { call });
    }

    /// The node answers a call.
    fn respond(&mut self, call: Entity, reply: Reply) {
        let now = self.now;
        let c = {
            let mut c = call!(self, call);
            c.reply = reply;
            let snapshot = c.clone();
            c.holds_server = false;
            snapshot
        };
        let bytes = {
            let (_, model, mut metrics, _) = node!(self, c.node);
            metrics.answered(now - c.arrived_ns, reply.error);
            metrics.in_flight.dec(now);
            model.0.response_bytes()
        };
        if c.holds_server {
            self.release_server(c.node);
        }
        match c.caller {
            Caller::Root => {
                record_latency(&mut self.e2e.latency, now - c.born_ns);
                match reply.error {
                    None => {
                        self.e2e.ok += 1;
                        self.e2e.bytes_out += bytes;
                    }
                    Some(cause) => self.e2e.errors[cause.index()] += 1,
                }
                self.world.despawn(call);
            }
            Caller::Detached | Caller::Orphaned => {
                self.world.despawn(call);
            }
            Caller::Call(_) => {
                let edge_e = c.edge.expect("a call with a caller travelled an edge");
                let latency = edge!(self, edge_e).latency.sample(self.rng);
                let mut c = call!(self, call);
                c.phase = Phase::Returning;
                c.due_ns = now + latency;
                self.queue.schedule(now + latency, Event::Replied { call });
            }
        }
    }

    /// A server is free: the next queued call takes it.
    fn release_server(&mut self, node: Entity) {
        let now = self.now;
        let next = {
            let (mut station, ..) = node!(self, node);
            station.busy.dec(now);
            let next = station.queue.pop_front();
            if next.is_some() {
                station.queued.dec(now);
                station.busy.inc(now);
            }
            next
        };
        if let Some(next) = next {
            self.start_work(next, node);
        }
    }

    /// An answer reaches the caller.
    fn replied(&mut self, call: Entity) {
        let c = call!(self, call).clone();
        self.world.despawn(call);
        let Caller::Call(parent) = c.caller else {
            return;
        };
        let edge_e = c.edge.expect("a call with a caller travelled an edge");
        self.finish_on_edge(edge_e, c.holds_connection, c.reply.error.is_some());
        self.child_done(parent, edge_e, c.attempt, c.reply);
    }

    /// Edge bookkeeping when a call stops waiting (answered or timed out).
    fn finish_on_edge(&mut self, edge_e: Entity, holds_connection: bool, failed: bool) {
        let now = self.now;
        {
            let mut edge = edge!(self, edge_e);
            edge.outstanding -= 1;
            if let Some(breaker) = edge.breaker.as_mut() {
                breaker.record(now, failed);
            }
        }
        if holds_connection {
            self.release_connection(edge_e);
        }
    }

    /// A pooled connection comes back: the first waiter takes it.
    fn release_connection(&mut self, edge_e: Entity) {
        let now = self.now;
        let waiter = {
            let mut edge = edge!(self, edge_e);
            let pool = edge
                .pool
                .as_mut()
                .expect("a held connection implies a pool");
            match pool.waiters.pop_front() {
                Some(d) => {
                    pool.waiting.dec(now);
                    Some(d.call)
                }
                None => {
                    pool.in_use.dec(now);
                    None
                }
            }
        };
        if let Some(waiter) = waiter {
            call!(self, waiter).holds_connection = true;
            self.transmit(waiter, edge_e);
        }
    }

    /// One attempt ended: retry it, or give the answer to the parent.
    fn child_done(&mut self, parent: Entity, edge_e: Entity, attempt: u8, reply: Reply) {
        if let Some(cause) = reply.error {
            let mut edge = edge!(self, edge_e);
            if cause.retryable() && attempt < edge.retry.count {
                let delay = edge.retry.backoff(attempt + 1, self.rng);
                edge.counters.retries += 1;
                self.queue.schedule(
                    self.now + delay,
                    Event::Resent {
                        parent,
                        edge: edge_e,
                        attempt: attempt + 1,
                    },
                );
                return;
            }
        }
        self.deliver(parent, reply);
    }

    /// The parent gets one answer of its current step; when all are in, its node goes on.
    fn deliver(&mut self, parent: Entity, reply: Reply) {
        let snapshot = {
            let mut p = call!(self, parent);
            p.step_reply.merge(reply);
            p.pending -= 1;
            if p.pending > 0 {
                return;
            }
            p.phase = Phase::Working;
            p.clone()
        };
        let node = snapshot.node;
        let mut snapshot = snapshot;
        let step_reply = snapshot.step_reply;
        let next = self.cx_node(node, |model, cx, _| {
            model.0.after_calls(cx, &mut snapshot, step_reply)
        });
        call!(self, parent).step = snapshot.step;
        self.proceed(parent, node, next);
    }

    /// Times out the calls on an edge whose deadline passed.
    fn call_deadlines(&mut self, edge_e: Entity) {
        let now = self.now;
        if !edge!(self, edge_e).deadlines.take_wake(now) {
            return;
        }
        while let Some(front) = edge!(self, edge_e).deadlines.front() {
            let waiting = self
                .qs
                .calls
                .get(self.world, front.call)
                .is_ok_and(|c| matches!(c.caller, Caller::Call(_)) && c.edge == Some(edge_e));
            if waiting && front.at_ns > now {
                break;
            }
            edge!(self, edge_e).deadlines.pop_front();
            if waiting {
                self.time_out(front.call, edge_e);
            }
        }
        if let Some(at) = edge!(self, edge_e).deadlines.rearm() {
            self.queue
                .schedule(at, Event::CallDeadline { edge: edge_e });
        }
    }

    /// The caller gives up on a call; the callee still finishes it, unheard.
    fn time_out(&mut self, call: Entity, edge_e: Entity) {
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
        edge!(self, edge_e).counters.timeouts += 1;
        self.finish_on_edge(edge_e, holds_connection, true);
        self.child_done(parent, edge_e, attempt, Reply::failed(ErrorCause::Timeout));
    }

    /// Fails the calls that waited too long for a pooled connection.
    fn pool_deadlines(&mut self, edge_e: Entity) {
        let now = self.now;
        let expired: Vec<Entity> = {
            let mut edge = edge!(self, edge_e);
            let pool = edge.pool.as_mut().expect("pool deadline on a pooled edge");
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
                    .schedule(at, Event::PoolDeadline { edge: edge_e });
            }
            expired
        };
        for call in expired {
            let c = call!(self, call).clone();
            self.world.despawn(call);
            let Caller::Call(parent) = c.caller else {
                continue;
            };
            self.child_done(
                parent,
                edge_e,
                c.attempt,
                Reply::failed(ErrorCause::PoolExhausted),
            );
        }
    }

    /// A router checks its backends.
    fn health_check(&mut self, node: Entity) {
        let Ok(router) = self.qs.routers.get(self.world, node) else {
            return;
        };
        let Some(check) = router.check else { return };
        let targets = router.targets.clone();
        let up: Vec<bool> = targets
            .iter()
            .map(|&e| {
                let to = self.qs.edges.get(self.world, e).map(|edge| edge.to);
                to.is_ok_and(|to| !self.qs.down.get(self.world, to).unwrap_or(false))
            })
            .collect();
        let mut router = self
            .qs
            .routers
            .get_mut(self.world, node)
            .expect("router read above");
        for (i, up) in up.into_iter().enumerate() {
            router.observe(i, up);
        }
        self.queue
            .schedule(self.now + check.interval_ns, Event::HealthChecked { node });
    }

    /// Closes the metrics window: every node's and edge's counters become a record.
    fn close_window(&mut self) {
        let now = self.now;
        let history = self.world.resource::<MetricsHistory>();
        let window_ns = history.window_ns;
        let start = now.saturating_sub(window_ns);
        let steady = history.is_steady(now);
        let window_s = history.window_s();

        // Outgoing edges' pools and retries, per caller node.
        let mut by_node: BTreeMap<Entity, (f64, u32, f64, u64)> = BTreeMap::new();
        let mut edges = self.world.query::<&mut Edge>();
        for mut edge in edges.iter_mut(self.world) {
            let from = edge.from;
            let counters = std::mem::take(&mut edge.counters);
            let entry = by_node.entry(from).or_default();
            entry.3 += counters.retries;
            if let Some(pool) = edge.pool.as_mut() {
                entry.0 += pool.in_use.close(start, now).0;
                entry.1 += pool.size;
                entry.2 += pool.waiting.close(start, now).0;
            }
            let _: EdgeCounters = counters;
        }

        let mut nodes = BTreeMap::new();
        let mut steady_hists = Vec::new();
        let mut query = self
            .world
            .query::<(Entity, &Node, &mut Station, &mut NodeMetrics, Has<Down>)>();
        let mut oldest_queued: Vec<(String, Entity)> = Vec::new();
        for (entity, info, mut station, mut m, down) in query.iter_mut(self.world) {
            let (busy, _) = station.busy.close(start, now);
            let (queue_depth, queue_max) = station.queued.close(start, now);
            let (in_flight, _) = m.in_flight.close(start, now);
            let answered = m.ok + m.errors.iter().sum::<u64>();
            let (pool_in_use, pool_size, pool_waiters, retries) =
                by_node.get(&entity).copied().unwrap_or_default();
            if m.is_message_queue
                && let Some(&front) = station.queue.front()
            {
                oldest_queued.push((info.id.clone(), front));
            }
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
                utilization: if station.servers == super::station::UNBOUNDED {
                    0.0
                } else {
                    busy / f64::from(station.servers.max(1))
                },
                busy_servers: busy,
                servers: station.servers,
                queue_depth,
                queue_max,
                in_flight,
                pool_in_use,
                pool_size,
                pool_waiters,
                hit_rate: (m.hits + m.misses > 0)
                    .then(|| m.hits as f64 / (m.hits + m.misses) as f64),
                replication_lag_ms: m.replication_lag_max_ns.map(ns_to_ms),
                consumer_lag_ms: m.is_message_queue.then_some(0.0),
                retries,
                down,
            };
            if steady {
                steady_hists.push((info.id.clone(), m.latency.clone()));
            }
            m.reset_counters();
            nodes.insert(info.id.clone(), record);
        }
        for (id, front) in oldest_queued {
            if let Ok(c) = self.qs.calls.get(self.world, front) {
                let lag = ns_to_ms(now - c.arrived_ns);
                if let Some(n) = nodes.get_mut(&id) {
                    n.consumer_lag_ms = Some(lag);
                }
            }
        }

        let in_flight_calls = self.world.query::<&Call>().iter(self.world).count() as u64;
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
                history
                    .steady_nodes
                    .entry(id)
                    .or_insert_with(latency_histogram)
                    .add(&hist)
                    .expect("same histogram bounds");
            }
        }
        history.windows.push(record);
        e2e.reset();
        self.queue.schedule(now + window_ns, Event::WindowClosed);
    }
}
