//! The steady state of a run: end-to-end and per-node numbers over the windows after the
//! warm-up and before the first injection.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::{MetricsHistory, NS_PER_S, Nanos, Percentiles, WindowRecord, ns_to_s};

/// Steady-state numbers of one node.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct NodeSummary {
    /// Kind.
    pub kind: String,
    /// Arrivals per second.
    pub arrival_rate: f64,
    /// Successful answers per second.
    pub throughput: f64,
    /// Errors / answers.
    pub error_rate: f64,
    /// Errors by cause.
    pub errors: BTreeMap<String, u64>,
    /// Time at the node.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls a server took.
    pub started: u64,
    /// Mean wait for a server (over calls).
    pub mean_wait_ms: f64,
    /// Busy cores / cores for a node with a CPU, else busy servers / servers.
    pub utilization: f64,
    /// Mean busy servers (calls in progress).
    pub busy_servers: f64,
    /// Cores (0 without a CPU; the last window's, as autoscaling may change them).
    pub cores: u32,
    /// Mean busy cores.
    pub busy_cores: f64,
    /// Mean calls waiting for a core.
    pub cpu_waiting: f64,
    /// CPU work offered per second, in cores (can exceed `cores` when the CPU falls behind).
    pub cpu_demand: f64,
    /// Mean waiting calls.
    pub queue_depth: f64,
    /// Mean calls at the node.
    pub in_flight: f64,
    /// Mean pooled connections in use on its outgoing edges.
    pub pool_in_use: f64,
    /// Their pools' size.
    pub pool_size: u32,
    /// Mean calls waiting for a connection.
    pub pool_waiters: f64,
    /// Stale replica reads (per second).
    pub stale_reads: f64,
    /// Cache hit rate.
    pub hit_rate: Option<f64>,
    /// Largest replication lag.
    pub replication_lag_ms: Option<f64>,
    /// Largest consumer lag.
    pub consumer_lag_ms: Option<f64>,
    /// Attempts per second on the edges into it (first tries and retries).
    pub attempts_in: f64,
    /// Share of those attempts that were retries.
    pub retry_share: f64,
    /// Events only its kind has (cold starts, deliveries), per second.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, f64>,
    /// Levels only its kind has (a partition's lag, connections), the highest seen.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub peaks: BTreeMap<String, f64>,
}

/// Steady-state numbers of a run (windows after the warm-up, before traffic stopped).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    /// Start of the steady state, simulated seconds.
    pub steady_from_s: f64,
    /// End of the steady state.
    pub steady_until_s: f64,
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
    /// Calls still in flight when the summary was taken (0 after a drained run).
    pub in_flight_calls: u64,
    /// Per node.
    pub nodes: BTreeMap<String, NodeSummary>,
}

impl Summary {
    /// Summarises the steady-state windows of `history`.
    pub fn of(history: &MetricsHistory, in_flight_calls: u64) -> Self {
        let steady: Vec<&WindowRecord> = history
            .windows
            .iter()
            .filter(|w| history.is_steady((w.t_s * NS_PER_S as f64).round() as Nanos))
            .collect();
        let n = steady.len().max(1) as f64;
        let span_s = n * history.window_s();
        let mut errors = BTreeMap::new();
        let mut arrivals = 0;
        let mut ok = 0.0;
        for w in &steady {
            arrivals += w.arrivals;
            ok += w.throughput * history.window_s();
            for (cause, count) in &w.errors {
                *errors.entry(cause.clone()).or_insert(0) += count;
            }
        }
        let error_total: u64 = errors.values().sum();
        let mut nodes: BTreeMap<String, NodeSummary> = BTreeMap::new();
        let mut retried: BTreeMap<&str, u64> = BTreeMap::new();
        for w in &steady {
            for (id, nw) in &w.nodes {
                let s = nodes.entry(id.clone()).or_default();
                s.kind = nw.kind.clone();
                s.arrival_rate += nw.arrivals as f64 / span_s;
                s.throughput += nw.throughput / n;
                for (cause, count) in &nw.errors {
                    *s.errors.entry(cause.clone()).or_insert(0) += count;
                }
                // Weighted by count, so the mean is over calls, not over windows.
                s.mean_wait_ms += nw.mean_wait_ms * nw.started as f64;
                s.started += nw.started;
                s.latency.mean_ms += nw.latency.mean_ms
                    * (nw.throughput * history.window_s() + nw.errors.values().sum::<u64>() as f64);
                s.utilization += nw.utilization / n;
                s.busy_servers += nw.busy_servers / n;
                s.cores = nw.cores;
                s.busy_cores += nw.busy_cores / n;
                s.cpu_waiting += nw.cpu_waiting / n;
                s.cpu_demand += nw.cpu_demand / n;
                s.queue_depth += nw.queue_depth / n;
                s.in_flight += nw.in_flight / n;
                s.pool_in_use += nw.pool_in_use / n;
                s.pool_size = nw.pool_size;
                s.pool_waiters += nw.pool_waiters / n;
                s.stale_reads += nw.stale_reads as f64 / span_s;
                s.hit_rate = nw
                    .hit_rate
                    .map(|h| s.hit_rate.unwrap_or(0.0) + h / n)
                    .or(s.hit_rate);
                s.replication_lag_ms = max_opt(s.replication_lag_ms, nw.replication_lag_ms);
                s.consumer_lag_ms = max_opt(s.consumer_lag_ms, nw.consumer_lag_ms);
                s.attempts_in += nw.attempts_in as f64 / span_s;
                *retried.entry(id.as_str()).or_insert(0) += nw.retries_in;
                for (name, count) in &nw.counts {
                    *s.counts.entry(name.clone()).or_insert(0.0) += *count as f64 / span_s;
                }
                for (name, &level) in &nw.peaks {
                    let peak = s.peaks.entry(name.clone()).or_insert(level);
                    *peak = peak.max(level);
                }
            }
        }
        for (id, s) in &mut nodes {
            let errs: u64 = s.errors.values().sum();
            let answered = s.throughput * span_s + errs as f64;
            s.error_rate = if answered > 0.0 {
                errs as f64 / answered
            } else {
                0.0
            };
            s.mean_wait_ms /= s.started.max(1) as f64;
            let attempts = s.attempts_in * span_s;
            s.retry_share = if attempts > 0.0 {
                (retried.get(id.as_str()).copied().unwrap_or(0) as f64 / attempts).min(1.0)
            } else {
                0.0
            };
            let mean_ms = s.latency.mean_ms / answered.max(1.0);
            if let Some(h) = history.steady_nodes.get(id) {
                s.latency = Percentiles {
                    mean_ms,
                    ..Percentiles::of(h)
                };
            }
        }
        Summary {
            steady_from_s: ns_to_s(history.steady_from_ns),
            steady_until_s: steady.last().map_or(0.0, |w| w.t_s),
            arrivals,
            throughput: ok / span_s,
            error_rate: if ok + error_total as f64 > 0.0 {
                error_total as f64 / (ok + error_total as f64)
            } else {
                0.0
            },
            errors,
            latency: Percentiles::of(&history.steady_end_to_end),
            in_flight_calls,
            nodes,
        }
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
