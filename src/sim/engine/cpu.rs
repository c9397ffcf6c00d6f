//! Calls' work on a node's cores: handed to the CPU after a call takes a server, queued for a
//! core (FCFS) or sharing the cores (processor sharing), and done.

use bevy::prelude::*;

use super::Engine;
use crate::sim::call::Phase;
use crate::sim::cpu::CpuDiscipline;
use crate::sim::queue::Event;
use crate::sim::time::Nanos;
use crate::sim::topology::NodeId;

impl Engine<'_> {
    /// `call` (holding a server at `node`) has `work_ns` of work for the node's cores.
    pub(super) fn hand_to_cpu(&mut self, call: Entity, node: NodeId, work_ns: Nanos) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let cores = slot.cores();
        let station = &mut slot.station;
        let cpu = station
            .cpu
            .as_mut()
            .expect("only nodes with a CPU hand work to it");
        cpu.work_sum_ns += work_ns as f64;
        match cpu.discipline {
            CpuDiscipline::Fcfs if cpu.busy.value() < cores => {
                cpu.busy.inc(now);
                self.queue
                    .schedule(now + work_ns, Event::CoreDone { call, node });
            }
            CpuDiscipline::Fcfs => {
                cpu.push_waiting(now, call, work_ns);
                station.queued.inc(now);
                call!(self, call).phase = Phase::Queued;
            }
            CpuDiscipline::ProcessorSharing => {
                let at = cpu.share(now, call, work_ns, cores);
                let epoch = cpu.epoch;
                self.queue.schedule(at, Event::CpuFinished { node, epoch });
            }
        }
    }

    /// FCFS: a call's work at `node` is done, so its core is free; the oldest waiting call
    /// takes it.
    pub(super) fn core_freed(&mut self, node: NodeId) {
        let Some(cpu) = self.nodes[node.ix()].station.cpu.as_mut() else {
            return;
        };
        cpu.busy.dec(self.now);
        self.start_waiting(node);
    }

    /// FCFS: the waiting calls take the free cores (one freed, or booted instances').
    pub(super) fn start_waiting(&mut self, node: NodeId) {
        let now = self.now;
        loop {
            let slot = &mut self.nodes[node.ix()];
            let cores = slot.cores();
            let station = &mut slot.station;
            let Some(cpu) = station.cpu.as_mut() else {
                return;
            };
            if cpu.busy.value() >= cores {
                return;
            }
            let Some((next, work_ns)) = cpu.pop_waiting(now) else {
                return;
            };
            cpu.busy.inc(now);
            station.queued.dec(now);
            let mut c = call!(self, next);
            // Its wait for a server was counted when it took one; its wait for a core adds
            // to it (it was handed to the CPU at its old `due_ns - work_ns`).
            self.nodes[node.ix()].metrics.wait_sum_ns += (now - (c.due_ns - work_ns)) as f64;
            c.phase = Phase::Working;
            c.due_ns = now + work_ns;
            self.queue
                .schedule(now + work_ns, Event::CoreDone { call: next, node });
        }
    }

    /// Processor sharing: the finish event of `epoch` at `node` fired.
    pub(super) fn cpu_finished(&mut self, node: NodeId, epoch: u32) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let cores = slot.cores();
        let Some(cpu) = slot.station.cpu.as_mut() else {
            return;
        };
        if epoch != cpu.epoch {
            return;
        }
        let done = cpu.finished(now, epoch, cores);
        if let Some(at) = cpu.next_finish(now, cores) {
            let epoch = cpu.epoch;
            self.queue.schedule(at, Event::CpuFinished { node, epoch });
        }
        if let Some(call) = done {
            self.work_done(call);
        }
    }

    /// The node's cores change to `f(cores)` (instances booted or retired); processor
    /// sharing reschedules its earliest finish at the new rate.
    pub(super) fn resize_cpu(&mut self, node: NodeId, f: impl FnOnce(u32) -> u32) {
        let now = self.now;
        let slot = &mut self.nodes[node.ix()];
        let old = slot.cores();
        let Some(cpu) = slot.station.cpu.as_mut() else {
            return;
        };
        cpu.cores = f(cpu.cores);
        let new = slot.cores();
        let cpu = slot.station.cpu.as_mut().expect("checked above");
        if let Some(at) = cpu.resize(now, old, new) {
            let epoch = cpu.epoch;
            self.queue.schedule(at, Event::CpuFinished { node, epoch });
        }
    }
}
