//! What building a node from its parameters gives the engine (its station, its behaviour,
//! its router and autoscaler), and how its references to other nodes (and its instance size)
//! resolve.

use crate::sim::{Autoscaler, Behaviour, EdgeId, Router, Station};

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
