//! What building a node from its parameters gives the engine (its station, its behaviour,
//! its router and autoscaler), and how its references to other nodes, its instance size and
//! the key traffic it should expect resolve.

use super::keyspace::KeyTraffic;
use crate::sim::{Autoscaler, Behaviour, EdgeId, Router, SimRng, Station};

/// How a node's references to other nodes resolve to edges.
pub trait Wiring {
    /// The edge from this node to `target`, or a message saying it is missing.
    fn edge_to(&self, target: &str) -> Result<EdgeId, String>;
    /// All edges leaving this node, in blueprint order.
    fn out_edges(&self) -> Vec<EdgeId>;
    /// vCPUs of one instance of the size the node's cost spec names (an EC2 instance type,
    /// a Fargate task), if it names one the price table knows.
    fn instance_vcpus(&self) -> Option<u32> {
        None
    }
    /// The key traffic this node should expect (keys, popularity, reads and writes per
    /// second), from the blueprint's clients and call plans, if its requests carry keys.
    fn key_traffic(&self) -> Option<KeyTraffic> {
        None
    }
    /// A generator for this node's one-off random work at spawn, from the run's seed.
    fn rng(&self) -> SimRng {
        SimRng::seeded(0)
    }
}

/// What spawning a node needs, built from its parameters.
pub struct Built {
    /// Its servers and queue.
    pub station: Station,
    /// Its behaviour.
    pub model: Box<dyn Behaviour>,
    /// Its router, if it balances.
    pub router: Option<Router>,
    /// Whether it is a message queue.
    pub message_queue: bool,
    /// Its autoscaler, if it scales.
    pub autoscaler: Option<Autoscaler>,
}

impl Built {
    /// A node with a station and a behaviour, nothing more.
    pub fn plain(station: Station, model: impl Behaviour) -> Self {
        Built {
            station,
            model: Box::new(model),
            router: None,
            message_queue: false,
            autoscaler: None,
        }
    }
}
/// Implements the `Any` accessors of [`Behaviour`].
#[macro_export]
macro_rules! any_accessors {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
    };
}
