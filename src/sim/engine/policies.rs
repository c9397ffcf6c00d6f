//! What edges enforce: circuit breakers, connection pools and their acquire deadlines, call
//! timeouts and retries.

use bevy::prelude::*;

use super::Engine;
use crate::sim::call::{Caller, ErrorCause, Reply};
use crate::sim::edge::{Jitter, RetryBudget};
use crate::sim::queue::Event;
use crate::sim::topology::EdgeId;

impl Engine<'_> {
    /// Edge bookkeeping when a call stops waiting (answered or timed out).
    pub(super) fn finish_on_edge(&mut self, edge_id: EdgeId, holds_connection: bool, failed: bool) {
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
    pub(super) fn release_connection(&mut self, edge_id: EdgeId) {
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
    pub(super) fn child_done(
        &mut self,
        parent: Entity,
        edge_id: EdgeId,
        attempt: u8,
        reply: Reply,
    ) {
        if let Some(cause) = reply.error {
            let storm = self.edge_mods[edge_id.ix()].retries;
            let edge = &mut self.edges[edge_id.ix()];
            let mut policy = edge.retry;
            if let Some(storm) = storm {
                policy.count = storm.count;
                policy.base_ns = storm.backoff_ns;
                policy.max_ns = policy.max_ns.max(storm.backoff_ns);
                policy.jitter = Jitter::None;
                policy.on = storm.on;
            }
            if policy.on.contains(cause)
                && attempt < policy.count
                && edge.retry_budget.as_mut().is_none_or(RetryBudget::withdraw)
            {
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

    /// Times out the calls on an edge whose deadline passed.
    pub(super) fn call_deadlines(&mut self, edge_id: EdgeId) {
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
    pub(super) fn pool_deadlines(&mut self, edge_id: EdgeId) {
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
}
