//! Station sizing shared by most kinds: instances, calls each serves at once, and the queue.

use serde::{Deserialize, Serialize};

use crate::sim::{Station, UNBOUNDED};

/// Station sizing shared by most kinds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capacity {
    /// Instances.
    pub replicas: u32,
    /// Calls each instance serves at once (threads, workers, connections).
    pub concurrency: u32,
    /// Calls that may wait for a server (all instances together); none = unbounded.
    pub queue_capacity: Option<u32>,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            replicas: 1,
            concurrency: 1,
            queue_capacity: None,
        }
    }
}

impl Capacity {
    /// Servers = replicas x concurrency.
    pub fn servers(&self) -> u32 {
        self.replicas.saturating_mul(self.concurrency)
    }

    /// Checks the sizes.
    pub fn validate(&self) -> Result<(), String> {
        if self.replicas == 0 || self.concurrency == 0 {
            return Err("replicas and concurrency must be at least 1".into());
        }
        Ok(())
    }

    /// The station.
    pub fn station(&self, blocking: bool) -> Station {
        Station::new(
            self.servers(),
            self.queue_capacity.unwrap_or(UNBOUNDED),
            blocking,
        )
    }
}
