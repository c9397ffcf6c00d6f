//! Metrics per window of simulated time (1 s by default): end to end and per node.
//!
//! Counters and time-weighted gauges accumulate during a window; when it closes they become a
//! [`WindowRecord`] and start again. Latency percentiles come from HDR histograms (3
//! significant digits, microsecond resolution).

use std::collections::BTreeMap;

use bevy::prelude::*;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::call::ErrorCause;
use super::gauge::Gauge;
use super::time::{NS_PER_MS, Nanos};

/// Number of error causes.
pub const CAUSES: usize = ErrorCause::ALL.len();

/// A latency histogram in microseconds, up to one hour.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Records a latency in nanoseconds into a microsecond histogram.
#[inline]
pub fn record_latency(hist: &mut Histogram<u64>, ns: Nanos) {
    let us = ((ns + 500) / 1000).clamp(1, 3_600_000_000);
    hist.record(us).expect("latency within histogram bounds");
}

/// Latency percentiles of a histogram, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Percentiles {
    /// Reads the percentiles of `hist` (zeros when empty).
    pub fn of(hist: &Histogram<u64>) -> Self {
        if hist.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            mean_ms: hist.mean() / 1000.0,
            p50_ms: ms(hist.value_at_quantile(0.50)),
            p95_ms: ms(hist.value_at_quantile(0.95)),
            p99_ms: ms(hist.value_at_quantile(0.99)),
            max_ms: ms(hist.max()),
        }
    }
}

/// What a node counts during a window (a component on every node).
#[derive(Component, Clone, Debug)]
pub struct NodeMetrics {
    /// Calls that reached the node.
    pub arrivals: u64,
    /// Calls it answered successfully.
    pub ok: u64,
    /// Calls it answered with an error, by cause.
    pub errors: [u64; CAUSES],
    /// Time from arrival to answer, of every answered call.
    pub latency: Histogram<u64>,
    /// Sum of those times (exact, for means).
    pub latency_sum_ns: f64,
    /// Calls that started work, and the sum of their waits in the queue.
    pub started: u64,
    /// Sum of queue waits.
    pub wait_sum_ns: f64,
    /// Calls at the node (queued, working or waiting on downstream).
    pub in_flight: Gauge,
    /// Cache hits.
    pub hits: u64,
    /// Cache misses.
    pub misses: u64,
    /// Largest replication lag seen in the window (databases with replicas).
    pub replication_lag_max_ns: Option<Nanos>,
    /// Reads served by a replica that had not applied the key's latest write yet.
    pub stale_reads: u64,
    /// Whether the node is a message queue (its oldest waiting message is the consumer lag).
    pub is_message_queue: bool,
    /// Events only its kind has (cold starts, poisoned tool results), by name.
    pub counts: Vec<(&'static str, u64)>,
    /// Levels only its kind has (a partition's lag, open connections), the highest in the
    /// window, by name.
    pub peaks: Vec<(&'static str, f64)>,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        NodeMetrics {
            arrivals: 0,
            ok: 0,
            errors: [0; CAUSES],
            latency: latency_histogram(),
            latency_sum_ns: 0.0,
            started: 0,
            wait_sum_ns: 0.0,
            in_flight: Gauge::default(),
            hits: 0,
            misses: 0,
            replication_lag_max_ns: None,
            stale_reads: 0,
            is_message_queue: false,
            counts: Vec::new(),
            peaks: Vec::new(),
        }
    }
}

impl NodeMetrics {
    /// Counts `n` more of the kind's own event `name` in this window.
    pub fn count(&mut self, name: &'static str, n: u64) {
        match self.counts.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v += n,
            None => self.counts.push((name, n)),
        }
    }

    /// Notes the kind's own level `name` at `value` (the window keeps the highest).
    pub fn peak(&mut self, name: &'static str, value: f64) {
        match self.peaks.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v = v.max(value),
            None => self.peaks.push((name, value)),
        }
    }

    /// Counts an answer given after `latency_ns` at the node.
    #[inline]
    pub fn answered(&mut self, latency_ns: Nanos, error: Option<ErrorCause>) {
        match error {
            None => self.ok += 1,
            Some(cause) => self.errors[cause.index()] += 1,
        }
        record_latency(&mut self.latency, latency_ns);
        self.latency_sum_ns += latency_ns as f64;
    }

    /// Notes a replication lag.
    pub fn replication_lag(&mut self, lag_ns: Nanos) {
        self.replication_lag_max_ns = Some(
            self.replication_lag_max_ns
                .map_or(lag_ns, |m| m.max(lag_ns)),
        );
    }

    /// Starts the next window (gauges carry their level over).
    pub fn reset_counters(&mut self) {
        self.arrivals = 0;
        self.ok = 0;
        self.errors = [0; CAUSES];
        self.latency.reset();
        self.latency_sum_ns = 0.0;
        self.started = 0;
        self.wait_sum_ns = 0.0;
        self.hits = 0;
        self.misses = 0;
        self.replication_lag_max_ns = None;
        self.stale_reads = 0;
        self.counts.clear();
        self.peaks.clear();
    }
}

/// End-to-end counters of the current window: the users' view.
#[derive(Resource)]
pub struct EndToEnd {
    /// Requests the traffic sources emitted.
    pub arrivals: u64,
    /// Requests answered successfully.
    pub ok: u64,
    /// Requests answered with an error, by cause.
    pub errors: [u64; CAUSES],
    /// Latency of every answered request (success or error).
    pub latency: Histogram<u64>,
    /// Bytes sent back to users (successful responses).
    pub bytes_out: u64,
}

impl EndToEnd {
    /// Starts the next window.
    pub fn reset(&mut self) {
        self.arrivals = 0;
        self.ok = 0;
        self.errors = [0; CAUSES];
        self.latency.reset();
        self.bytes_out = 0;
    }
}

impl Default for EndToEnd {
    fn default() -> Self {
        EndToEnd {
            arrivals: 0,
            ok: 0,
            errors: [0; CAUSES],
            latency: latency_histogram(),
            bytes_out: 0,
        }
    }
}

/// Turns per-cause counters into a map with only the causes that happened.
pub fn errors_by_cause(errors: &[u64; CAUSES]) -> BTreeMap<String, u64> {
    ErrorCause::ALL
        .iter()
        .filter(|c| errors[c.index()] > 0)
        .map(|c| (c.name().to_string(), errors[c.index()]))
        .collect()
}

/// One caller's pool of connections to one callee, in one window.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct PoolWindow {
    /// Connections in use, time-averaged.
    pub in_use: f64,
    /// Connections in the pool.
    pub size: u32,
    /// Calls waiting for a connection, time-averaged.
    pub waiters: f64,
}

/// One node in one window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct NodeWindow {
    /// Kind of node.
    pub kind: String,
    /// Calls that arrived.
    pub arrivals: u64,
    /// Successful answers per second.
    pub throughput: f64,
    /// Errors it answered with, by cause.
    pub errors: BTreeMap<String, u64>,
    /// Share of its answers that were errors.
    pub error_rate: f64,
    /// Time at the node (arrival to answer).
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls a server took in the window.
    pub started: u64,
    /// Mean wait in the queue before a server took the call.
    pub mean_wait_ms: f64,
    /// Busy cores / cores, time-averaged, for a node with a CPU; otherwise busy servers /
    /// servers.
    pub utilization: f64,
    /// Busy servers (calls in progress: concurrency slots, connections), time-averaged.
    pub busy_servers: f64,
    /// Servers.
    pub servers: u32,
    /// Cores working (all instances); 0 for a node without a CPU.
    pub cores: u32,
    /// Busy cores, time-averaged.
    pub busy_cores: f64,
    /// Calls waiting for a core (or, under processor sharing, running beyond the cores),
    /// time-averaged.
    pub cpu_waiting: f64,
    /// CPU work handed to the cores per second, in cores (offered load: can exceed `cores`
    /// when the CPU falls behind).
    pub cpu_demand: f64,
    /// Waiting calls (for a server or a core), time-averaged.
    pub queue_depth: f64,
    /// Most waiting calls at once.
    pub queue_max: u32,
    /// Calls at the node, time-averaged.
    pub in_flight: f64,
    /// Pooled connections in use on its outgoing edges, time-averaged.
    pub pool_in_use: f64,
    /// Size of those pools.
    pub pool_size: u32,
    /// Calls waiting for a pooled connection, time-averaged.
    pub pool_waiters: f64,
    /// Its pools, by callee.
    pub pools: BTreeMap<String, PoolWindow>,
    /// Reads a replica served before it had applied the key's latest write.
    pub stale_reads: u64,
    /// Cache hit rate, if it is a cache.
    pub hit_rate: Option<f64>,
    /// Largest replication lag, if it replicates.
    pub replication_lag_ms: Option<f64>,
    /// Age of the oldest waiting message, if it is a message queue.
    pub consumer_lag_ms: Option<f64>,
    /// Retries its outgoing edges scheduled.
    pub retries: u64,
    /// Attempts its callers made on the edges into it (first tries and retries).
    pub attempts_in: u64,
    /// How many of those were retries.
    pub retries_in: u64,
    /// Whether it was down at the end of the window.
    pub down: bool,
    /// Events only its kind has (cold starts, poisoned tool results), by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// Levels only its kind has (a partition's lag, open connections), the highest in the
    /// window, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub peaks: BTreeMap<String, f64>,
}

impl NodeWindow {
    /// Share of the attempts on the edges into the node that were retries (0 with none).
    pub fn retry_share(&self) -> f64 {
        self.retries_in as f64 / self.attempts_in.max(1) as f64
    }
}

/// One window, end to end and per node.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WindowRecord {
    /// End of the window, in simulated seconds.
    pub t_s: f64,
    /// Requests emitted.
    pub arrivals: u64,
    /// Successful requests per second.
    pub throughput: f64,
    /// Errors / answered requests.
    pub error_rate: f64,
    /// Errors by cause.
    pub errors: BTreeMap<String, u64>,
    /// End-to-end latency.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls in flight anywhere at the end of the window.
    pub in_flight_calls: u64,
    /// Per node, by id.
    pub nodes: BTreeMap<String, NodeWindow>,
}

/// All closed windows of the run, and the histograms the summary needs.
#[derive(Resource)]
pub struct MetricsHistory {
    /// Window length.
    pub window_ns: Nanos,
    /// Windows that end after this time count as steady state (the warm-up is left out).
    pub steady_from_ns: Nanos,
    /// Windows that end after this time are not steady state (traffic stopped; draining).
    pub steady_until_ns: Nanos,
    /// Closed windows, in order.
    pub windows: Vec<WindowRecord>,
    /// End-to-end latency over the steady-state windows.
    pub steady_end_to_end: Histogram<u64>,
    /// Per node, latency over the steady-state windows.
    pub steady_nodes: BTreeMap<String, Histogram<u64>>,
}

impl MetricsHistory {
    /// A history with windows of `window_ns`, steady state between the two times.
    pub fn new(window_ns: Nanos, steady_from_ns: Nanos, steady_until_ns: Nanos) -> Self {
        MetricsHistory {
            window_ns,
            steady_from_ns,
            steady_until_ns,
            windows: Vec::new(),
            steady_end_to_end: latency_histogram(),
            steady_nodes: BTreeMap::new(),
        }
    }

    /// Window length in seconds.
    pub fn window_s(&self) -> f64 {
        self.window_ns as f64 / (1000.0 * NS_PER_MS as f64)
    }

    /// Whether the window ending at `end_ns` is part of the steady state.
    pub fn is_steady(&self, end_ns: Nanos) -> bool {
        end_ns > self.steady_from_ns && end_ns <= self.steady_until_ns
    }
}

impl Default for MetricsHistory {
    fn default() -> Self {
        MetricsHistory::new(1000 * NS_PER_MS, 0, Nanos::MAX)
    }
}
