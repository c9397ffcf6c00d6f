//! Periodic control at nodes: autoscalers booting and retiring instances, routers' health
//! checks.

use super::Engine;
use crate::sim::queue::Event;
use crate::sim::topology::NodeId;

impl Engine<'_> {
    /// An autoscaler looks at its node's demand and boots or retires instances.
    pub(super) fn autoscale(&mut self, node: NodeId) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let (busy, queued) = match slot.station.cpu.as_ref() {
            Some(cpu) => (cpu.busy.value(), cpu.waiting_len() as usize),
            None => (slot.station.busy.value(), slot.station.queue.len()),
        };
        let blocked = slot.mods.capacity < 1.0;
        let Some(a) = slot.autoscaler.as_mut() else {
            return;
        };
        let change = a.decide(busy, queued, blocked);
        let (interval, boot, per, per_cores) =
            (a.interval_ns, a.boot_ns, a.per_replica, a.cores_per_replica);
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
            self.resize_cpu(node, |cores| cores.saturating_sub(per_cores));
        }
        self.queue
            .schedule(now + interval, Event::Autoscaled { node });
    }

    /// Booted instances join the node's servers; queued calls take them at once.
    pub(super) fn instances_ready(&mut self, node: NodeId, count: u32) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let Some(a) = slot.autoscaler.as_mut() else {
            return;
        };
        a.booting -= count;
        a.replicas += count;
        slot.station.servers += count * a.per_replica;
        let per_cores = a.cores_per_replica;
        self.resize_cpu(node, |cores| {
            cores.saturating_add(count.saturating_mul(per_cores))
        });
        self.start_waiting(node);
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
    pub(super) fn health_check(&mut self, node: NodeId) {
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
}
