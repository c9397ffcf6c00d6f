//! What a scenario says it moves: a metric (end to end or at a node) and its direction.

use serde::{Deserialize, Serialize};

use crate::sim::WindowRecord;

/// A metric a scenario says it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// End-to-end p99 latency.
    P99,
    /// End-to-end error rate.
    ErrorRate,
    /// Successful requests per second.
    Throughput,
    /// A cache's hit rate.
    HitRate,
    /// A node's queue depth.
    QueueDepth,
    /// A node's utilization.
    Utilization,
    /// Calls waiting for pooled connections on a node's outgoing edges.
    PoolWaiters,
    /// Calls at a node.
    InFlight,
    /// A database's replication lag.
    ReplicationLag,
    /// A message queue's consumer lag.
    ConsumerLag,
    /// Stale replica reads.
    StaleReads,
    /// A node's arrivals per window.
    Arrivals,
    /// Share of the attempts on the edges into a node that were retries.
    RetryShare,
}

impl Metric {
    /// Its value in one window (at `node`, for per-node metrics); none if it does not apply.
    pub fn value(self, w: &WindowRecord, node: Option<&str>) -> Option<f64> {
        let n = node.and_then(|id| w.nodes.get(id));
        Some(match self {
            Metric::P99 => w.latency.p99_ms,
            Metric::ErrorRate => w.error_rate,
            Metric::Throughput => n.map_or(w.throughput, |n| n.throughput),
            Metric::HitRate => n?.hit_rate?,
            Metric::QueueDepth => n?.queue_depth,
            Metric::Utilization => n?.utilization,
            Metric::PoolWaiters => n?.pool_waiters,
            Metric::InFlight => n.map_or(w.in_flight_calls as f64, |n| n.in_flight),
            Metric::ReplicationLag => n?.replication_lag_ms.unwrap_or(0.0),
            Metric::ConsumerLag => n?.consumer_lag_ms.unwrap_or(0.0),
            Metric::StaleReads => n?.stale_reads as f64,
            Metric::Arrivals => n.map_or(w.arrivals as f64, |n| n.arrivals as f64),
            Metric::RetryShare => n?.retry_share(),
        })
    }

    /// The smallest change that counts as moving (noise below it).
    pub fn noise(self) -> f64 {
        match self {
            Metric::P99 => 5.0,
            Metric::ErrorRate | Metric::HitRate | Metric::Utilization | Metric::RetryShare => 0.01,
            Metric::ReplicationLag | Metric::ConsumerLag => 50.0,
            _ => 1.0,
        }
    }
}

/// Whether a metric moved as a scenario says.
#[derive(Clone, Debug, PartialEq)]
pub struct Moved {
    /// What was expected.
    pub expected: Moves,
    /// The quiet run's extreme over the checked windows (the highest for Up, the lowest
    /// for Down).
    pub quiet: f64,
    /// The run's extreme over the same windows.
    pub after: f64,
    /// How many windows were compared.
    pub windows: usize,
    /// Whether it went past the quiet extreme that way by the margin and more than noise.
    pub moved: bool,
}

/// Which way it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Goes up.
    Up,
    /// Goes down.
    Down,
}

/// "This scenario moves that metric (at that node) that way."
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moves {
    /// The metric.
    pub metric: Metric,
    /// The node, for per-node metrics.
    #[serde(default)]
    pub node: Option<String>,
    /// The direction.
    pub direction: Direction,
}
