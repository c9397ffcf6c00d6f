//! Calls between nodes: routing, sending attempts, the wire (delay, loss, faults), answers
//! and their way back to the caller.

use bevy::prelude::*;

use super::Engine;
use crate::sim::call::{Call, Caller, ErrorCause, FILL_STEP, Phase, Reply, RequestKind};
use crate::sim::deadline::Deadline;
use crate::sim::edge::CallMode;
use crate::sim::metrics::record_latency;
use crate::sim::queue::Event;
use crate::sim::time::{NS_PER_MS, NS_PER_S, Nanos};
use crate::sim::topology::{EdgeId, NodeId};

/// How long TCP waits to connect before giving up when nothing answers.
const CONNECT_TIMEOUT_NS: Nanos = 3 * NS_PER_S;
/// TCP's first retransmission timeout (it doubles with each loss of the same packet).
const RETRANSMIT_NS: Nanos = 200 * NS_PER_MS;

impl Engine<'_> {
    /// Routes a call through the node's router.
    pub(super) fn route(&mut self, node: NodeId) -> Option<EdgeId> {
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
    pub(super) fn send(&mut self, parent: Entity, edge_id: EdgeId, attempt: u8) {
        let fill = call!(self, parent).step & FILL_STEP != 0;
        self.send_attempt(parent, edge_id, attempt, fill);
    }

    /// A background call nobody waits for: a stale-while-revalidate refresh (`then_fill`:
    /// the cache edge to store what it reads over) or that store itself (`fill`). On an edge
    /// with a pool it takes a connection like any call (waiting for one if all are in use,
    /// dropped if none comes in time) and gives it back when the answer returns.
    pub(super) fn send_background(
        &mut self,
        from: NodeId,
        kind: RequestKind,
        key: u32,
        edge_id: EdgeId,
        fill: bool,
        then_fill: Option<EdgeId>,
    ) {
        let now = self.now;
        let pool_usable = self.edge_mods[edge_id.ix()].pool_usable;
        let edge = &mut self.edges[edge_id.ix()];
        let (wait, pooled) = take_connection(edge, pool_usable, now);
        let to = edge.to;
        let target = self.resolve_target(to, kind, key);
        let mut child = Call::new(Caller::Detached, from, target, Some(edge_id), kind, now);
        child.key = key;
        child.fill = fill;
        child.holds_connection = pooled;
        child.then_fill = then_fill;
        if wait {
            return self.await_connection(child, edge_id);
        }
        let child = self.world.spawn(child).id();
        self.transmit(child, edge_id);
    }

    /// Parks `child` in its edge's pool queue until a connection frees or its acquire
    /// deadline passes.
    fn await_connection(&mut self, mut child: Call, edge_id: EdgeId) {
        let now = self.now;
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
    }

    /// Makes one attempt of a call from `parent` over `edge_id`.
    pub(super) fn send_attempt(
        &mut self,
        parent: Entity,
        edge_id: EdgeId,
        attempt: u8,
        fill: bool,
    ) {
        let now = self.now;
        let (kind, born, from, key) = {
            let p = call!(self, parent);
            (p.kind, p.born_ns, p.node, p.key)
        };
        let pool_usable = self.edge_mods[edge_id.ix()].pool_usable;
        let edge = &mut self.edges[edge_id.ix()];
        edge.counters.attempts += 1;
        if attempt == 0
            && let Some(budget) = edge.retry_budget.as_mut()
        {
            budget.deposit();
        }
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
        let (wait, pooled) = if mode == CallMode::Async {
            (false, false)
        } else {
            take_connection(edge, pool_usable, now)
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
            return self.await_connection(child, edge_id);
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
    pub(super) fn transmit(&mut self, call: Entity, edge_id: EdgeId) {
        let now = self.now;
        let mods = self.edge_mods[edge_id.ix()];
        let latency = self.network_delay(edge_id);
        let timeout = self.edges[edge_id.ix()].timeout_ns;
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
        let (detached, holds_connection) = {
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
            (matches!(c.caller, Caller::Detached), c.holds_connection)
        };
        let edge = &mut self.edges[edge_id.ix()];
        edge.counters.sent += 1;
        // A background call is nobody's answer: no deadline, not outstanding.
        let sync = edge.mode == CallMode::Sync && !detached;
        if sync {
            edge.outstanding += 1;
        }
        if let Some((_, after)) = fault {
            if detached {
                self.world.despawn(call);
                if holds_connection {
                    self.release_connection(edge_id);
                }
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
    pub(super) fn respond(&mut self, call: Entity, reply: Reply) {
        let now = self.now;
        let (node, caller, holds_server, edge, arrived_ns, born_ns, travels_back) = {
            let mut c = call!(self, call);
            c.reply = reply;
            // Answers travel back to whoever waits; a background call's only to give its
            // connection back or to have its value stored.
            let travels_back =
                matches!(c.caller, Caller::Call(_)) || c.holds_connection || c.then_fill.is_some();
            let out = (
                c.node,
                c.caller,
                c.holds_server,
                c.edge,
                c.arrived_ns,
                c.born_ns,
                travels_back,
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
            _ if !travels_back => {
                self.world.despawn(call);
            }
            Caller::Call(_) | Caller::Detached | Caller::Orphaned => {
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

    /// An answer reaches the caller.
    pub(super) fn replied(&mut self, call: Entity) {
        let Call {
            caller,
            edge,
            holds_connection,
            attempt,
            reply,
            then_fill,
            from,
            kind,
            key,
            ..
        } = *call!(self, call);
        self.world.despawn(call);
        let edge = edge.expect("an answer travelled an edge");
        let Caller::Call(parent) = caller else {
            if holds_connection {
                self.release_connection(edge);
            }
            if let (Some(cache), None) = (then_fill, reply.error) {
                // The refresh read the value: store it, as a fill.
                self.send_background(from, kind, key, cache, true, None);
            }
            return;
        };
        self.finish_on_edge(edge, holds_connection, reply.error.is_some());
        self.child_done(parent, edge, attempt, reply);
    }

    /// The parent gets one answer of its current step; when all are in, its node goes on.
    pub(super) fn deliver(&mut self, parent: Entity, reply: Reply) {
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
            let step_reply = p.step_reply;
            let (model, mut cx) = slot.decider(now, self.rng, parent, &mut self.effects);
            if cx.mods.down {
                model.0.lost(&mut cx, &p);
                (node, None)
            } else {
                (node, Some(model.0.after_calls(&mut cx, &mut p, step_reply)))
            }
        };
        if !self.effects.is_empty() {
            self.carry_out_effects(node, parent);
        }
        match next {
            Some(next) => self.proceed(parent, node, next),
            None => self.respond(parent, Reply::failed(ErrorCause::NodeDown)),
        }
    }
}

/// Takes one of the edge's pooled connections if one is free: (must wait, took one). An
/// edge without a pool neither waits nor takes.
fn take_connection(edge: &mut crate::sim::Edge, usable: Option<u32>, now: Nanos) -> (bool, bool) {
    match edge.pool.as_mut() {
        Some(pool) if pool.in_use.value() >= pool.size.min(usable.unwrap_or(u32::MAX)) => {
            (true, false)
        }
        Some(pool) => {
            pool.in_use.inc(now);
            (false, true)
        }
        None => (false, false),
    }
}
