//! A node's slot: its components taken out of the world for one drain and put back after,
//! and what the engine asks of it.

use bevy::prelude::*;

use super::NodeSlot;
use crate::sim::autoscale::Autoscaler;
use crate::sim::behaviour::{Cx, Effects, Model, ReadReplicas};
use crate::sim::metrics::NodeMetrics;
use crate::sim::modifiers::NodeMods;
use crate::sim::rng::SimRng;
use crate::sim::routing::Router;
use crate::sim::station::{Station, UNBOUNDED};
use crate::sim::time::Nanos;

impl NodeSlot {
    /// Takes node `entity`'s components (and reads its chaos) for the engine to hold.
    pub(super) fn take(world: &mut World, entity: Entity) -> Self {
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

    /// Gives the components back to node `entity`.
    pub(super) fn put_back(self, world: &mut World, entity: Entity) {
        let mut node = world.entity_mut(entity);
        node.insert((self.station, self.model, self.metrics));
        if let Some(autoscaler) = self.autoscaler {
            node.insert(autoscaler);
        }
        if let Some(router) = self.router {
            node.insert(router);
        }
        if let Some(replicas) = self.replicas {
            node.insert(replicas);
        }
    }

    /// Servers that work now (chaos can take some away).
    pub(super) fn servers(&self) -> u32 {
        if self.station.servers == UNBOUNDED {
            self.station.servers
        } else {
            self.mods.working(self.station.servers)
        }
    }

    /// Cores that work now (chaos takes them away with the servers); 0 without a CPU.
    pub(super) fn cores(&self) -> u32 {
        let cores = self.station.cpu.as_ref().map_or(0, |c| c.cores);
        self.mods.working(cores)
    }

    /// Whether a working server is free.
    pub(super) fn has_free_server(&self) -> bool {
        self.station.busy.value() < self.servers()
    }

    /// The behaviour and what it may use to decide about `call`, borrowed side by side.
    pub(super) fn decider<'a>(
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
            healthy: self.router.as_ref().map_or(&[], |r| r.healthy.as_slice()),
            call,
            effects,
        };
        (&mut self.model, cx)
    }
}
