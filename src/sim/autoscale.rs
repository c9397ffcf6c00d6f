//! Autoscaling: a node checks its load on an interval (CPU, when it has cores, as a
//! CPU-target autoscaler does) and asks for more (or fewer) instances; new ones take a boot delay before they serve. Lost capacity (chaos) blocks
//! scaling out, as when the cloud has no instances to give.

use bevy::prelude::*;

use super::time::Nanos;

/// A node's autoscaler (a component on nodes that scale).
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Autoscaler {
    /// Fewest instances.
    pub min_replicas: u32,
    /// Most instances.
    pub max_replicas: u32,
    /// Servers each instance adds.
    pub per_replica: u32,
    /// Cores each instance adds (0: the node has no CPU; it scales on busy servers).
    pub cores_per_replica: u32,
    /// Busy share it aims for.
    pub target_utilization: f64,
    /// Time between checks.
    pub interval_ns: Nanos,
    /// Time for a new instance to start serving.
    pub boot_ns: Nanos,
    /// Instances serving.
    pub replicas: u32,
    /// Instances booting.
    pub booting: u32,
}

impl Autoscaler {
    /// How many instances to add (positive) or remove (negative) for a demand of `busy`
    /// cores plus `queued` calls waiting for one (or, without a CPU, busy servers and calls
    /// waiting for a server).
    pub fn decide(&self, busy: u32, queued: usize, blocked: bool) -> i64 {
        let per = if self.cores_per_replica > 0 {
            self.cores_per_replica
        } else {
            self.per_replica
        };
        let demand = f64::from(busy) + queued as f64;
        let wanted_units = (demand / self.target_utilization.max(0.05)).ceil();
        let wanted = ((wanted_units / f64::from(per.max(1))).ceil() as u32)
            .clamp(self.min_replicas, self.max_replicas);
        let have = self.replicas + self.booting;
        if wanted > have {
            if blocked { 0 } else { i64::from(wanted - have) }
        } else if wanted < self.replicas && self.booting == 0 {
            // Scale in one at a time, gently.
            -1
        } else {
            0
        }
    }
}
