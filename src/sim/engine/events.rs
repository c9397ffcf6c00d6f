//! How a run begins and how each event reaches its handler; the behaviour's decisions and
//! their side effects.

use bevy::prelude::*;

use super::Engine;
use crate::sim::behaviour::{Cx, Effects, Model};
use crate::sim::metrics::MetricsHistory;
use crate::sim::queue::Event;
use crate::sim::topology::NodeId;

impl Engine<'_> {
    /// Schedules the run's first events: each source's first request, health checks, the
    /// first metrics window.
    pub(super) fn start(&mut self) {
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

    pub(super) fn handle(&mut self, event: Event) {
        match event {
            Event::Generated { node } => self.generated(node, true),
            Event::Emitted { node } => self.generated(node, false),
            Event::Arrived { call } => self.arrived(call),
            Event::WorkDone { call } => self.work_done(call),
            Event::CoreDone { call, node } => {
                self.core_freed(node);
                self.work_done(call);
            }
            Event::CpuFinished { node, epoch } => self.cpu_finished(node, epoch),
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
            Event::Alarm { node, token } => self.decide(node, Entity::PLACEHOLDER, |model, cx| {
                model.0.alarm(cx, token);
            }),
        }
    }

    /// Lets node `node`'s behaviour decide about `call`, then carries out its side effects.
    pub(super) fn decide<R>(
        &mut self,
        node: NodeId,
        call: Entity,
        f: impl FnOnce(&mut Model, &mut Cx) -> R,
    ) -> R {
        let slot = &mut self.nodes[node.ix()];
        let (model, mut cx) = slot.decider(self.now, self.rng, call, &mut self.effects);
        let out = f(model, &mut cx);
        if !self.effects.is_empty() {
            self.carry_out_effects(node, call);
        }
        out
    }

    /// Carries out what node `node`'s behaviour asked for while deciding about `call`.
    pub(super) fn carry_out_effects(&mut self, node: NodeId, call: Entity) {
        let Effects {
            wake,
            detach,
            alarms,
        } = std::mem::take(&mut self.effects);
        for (delay, token) in alarms {
            self.queue
                .schedule(self.now + delay, Event::Alarm { node, token });
        }
        for (edge, then_fill) in detach {
            let (kind, key, from) = {
                let c = call!(self, call);
                (c.kind, c.key, c.node)
            };
            self.send_background(from, kind, key, edge, false, then_fill);
        }
        for (parked, reply) in wake {
            self.deliver(parked, reply);
        }
    }
}
