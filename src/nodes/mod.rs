//! Node kinds: one file per kind, each with its blueprint parameters and its behaviour.
//! A kind knows nothing of the event queue: it answers the engine's questions through
//! [`Behaviour`](crate::sim::Behaviour).

pub mod cache;
pub mod cdn;
pub mod client;
pub mod database;
pub mod external_api;
pub mod keyspace;
pub mod load_balancer;
pub mod message_queue;
pub mod plan;
pub mod service;

use serde::{Deserialize, Serialize};

use crate::sim::{Behaviour, EdgeId, Router, Station, UNBOUNDED};

/// A node kind with its parameters, as written in a blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A traffic source: users sending requests.
    Client(client::ClientParams),
    /// A load balancer.
    LoadBalancer(load_balancer::LoadBalancerParams),
    /// An application service with a call plan.
    Service(service::ServiceParams),
    /// A cache (Redis-like), cache-aside or read-through.
    Cache(cache::CacheParams),
    /// A content delivery network edge in front of an origin.
    Cdn(cdn::CdnParams),
    /// A SQL database, with optional read replicas.
    Database(database::DatabaseParams),
    /// A message queue with a pool of consumers.
    MessageQueue(message_queue::MessageQueueParams),
    /// A third-party API.
    ExternalApi(external_api::ExternalApiParams),
}

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

/// How a node's references to other nodes resolve to edges.
pub trait Wiring {
    /// The edge from this node to `target`, or a message saying it is missing.
    fn edge_to(&self, target: &str) -> Result<EdgeId, String>;
    /// All edges leaving this node, in blueprint order.
    fn out_edges(&self) -> Vec<EdgeId>;
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
    pub autoscaler: Option<crate::sim::Autoscaler>,
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

impl NodeKind {
    /// The kind's name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Client(_) => "client",
            NodeKind::LoadBalancer(_) => "load_balancer",
            NodeKind::Service(_) => "service",
            NodeKind::Cache(_) => "cache",
            NodeKind::Cdn(_) => "cdn",
            NodeKind::Database(_) => "database",
            NodeKind::MessageQueue(_) => "message_queue",
            NodeKind::ExternalApi(_) => "external_api",
        }
    }

    /// A new node of each kind with default parameters, as the editor's palette offers them,
    /// with the id prefix it suggests.
    pub fn palette() -> Vec<(&'static str, NodeKind)> {
        vec![
            ("users", NodeKind::Client(Default::default())),
            ("lb", NodeKind::LoadBalancer(Default::default())),
            ("service", NodeKind::Service(Default::default())),
            ("cache", NodeKind::Cache(Default::default())),
            ("cdn", NodeKind::Cdn(Default::default())),
            ("db", NodeKind::Database(Default::default())),
            ("queue", NodeKind::MessageQueue(Default::default())),
            ("api", NodeKind::ExternalApi(Default::default())),
        ]
    }

    /// The call plan, for kinds that have one.
    pub fn calls_mut(&mut self) -> Option<&mut Vec<plan::CallStep>> {
        match self {
            NodeKind::Service(p) => Some(&mut p.calls),
            NodeKind::MessageQueue(p) => Some(&mut p.calls),
            _ => None,
        }
    }

    /// Renames node `old` to `new` wherever this node refers to it.
    pub fn rename_reference(&mut self, old: &str, new: &str) {
        if let Some(calls) = self.calls_mut() {
            plan::rename_target(calls, old, new);
        }
        match self {
            NodeKind::Cdn(p) if p.origin == old => p.origin = new.to_string(),
            NodeKind::Cache(p) if p.origin.as_deref() == Some(old) => {
                p.origin = Some(new.to_string());
            }
            _ => {}
        }
    }

    /// Forgets node `id` (deleted, or its edge removed) wherever this node refers to it. A
    /// CDN keeps its origin (it needs one: the editor shows the problem).
    pub fn remove_reference(&mut self, id: &str) {
        if let Some(calls) = self.calls_mut() {
            plan::remove_target(calls, id);
        }
        if let NodeKind::Cache(p) = self
            && p.origin.as_deref() == Some(id)
        {
            p.origin = None;
        }
    }

    /// Starts using a new edge to `to`: a plan calls it (if it did not), a CDN without an
    /// origin takes it as its origin.
    pub fn add_reference(&mut self, to: &str) {
        if let Some(calls) = self.calls_mut() {
            if !calls.iter().any(|s| s.targets().contains(&to)) {
                calls.push(plan::call(to));
            }
        } else if let NodeKind::Cdn(p) = self
            && p.origin.is_empty()
        {
            p.origin = to.to_string();
        }
    }

    /// Checks the parameters on their own (references are checked when wiring).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            NodeKind::Client(p) => p.validate(),
            NodeKind::LoadBalancer(p) => p.validate(),
            NodeKind::Service(p) => p.validate(),
            NodeKind::Cache(p) => p.validate(),
            NodeKind::Cdn(p) => p.validate(),
            NodeKind::Database(p) => p.validate(),
            NodeKind::MessageQueue(p) => p.validate(),
            NodeKind::ExternalApi(p) => p.validate(),
        }
    }

    /// Builds the node's station and behaviour, resolving references through `wiring`.
    pub fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        match self {
            NodeKind::Client(p) => p.build(wiring),
            NodeKind::LoadBalancer(p) => p.build(wiring),
            NodeKind::Service(p) => p.build(wiring),
            NodeKind::Cache(p) => p.build(wiring),
            NodeKind::Cdn(p) => p.build(wiring),
            NodeKind::Database(p) => p.build(wiring),
            NodeKind::MessageQueue(p) => p.build(wiring),
            NodeKind::ExternalApi(p) => p.build(wiring),
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
