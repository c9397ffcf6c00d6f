//! The metrics windows: each node's and edge's counters closed into a record.

use super::Engine;
use crate::sim::behaviour::Node;
use crate::sim::metrics::{
    MetricsHistory, NodeWindow, Percentiles, PoolWindow, WindowRecord, errors_by_cause,
    latency_histogram,
};
use crate::sim::queue::Event;
use crate::sim::station::UNBOUNDED;
use crate::sim::time::{ns_to_ms, ns_to_s};

impl Engine<'_> {
    /// Closes the metrics window: every node's and edge's counters become a record.
    pub(super) fn close_window(&mut self) {
        let now = self.now;
        let history = self.world.resource::<MetricsHistory>();
        let window_ns = history.window_ns;
        let window_s = history.window_s();
        let steady = history.is_steady(now);
        let start = now.saturating_sub(window_ns);

        // Outgoing edges' pools and retries, per caller node.
        #[derive(Default)]
        struct Outgoing {
            pool_in_use: f64,
            pool_size: u32,
            pool_waiters: f64,
            retries: u64,
            pools: std::collections::BTreeMap<String, PoolWindow>,
            // On the edges into the node: attempts made and how many were retries.
            attempts_in: u64,
            retries_in: u64,
        }
        let mut outgoing: Vec<Outgoing> =
            (0..self.nodes.len()).map(|_| Outgoing::default()).collect();
        for edge in self.edges.iter_mut() {
            let counters = std::mem::take(&mut edge.counters);
            let into = &mut outgoing[edge.to.ix()];
            into.attempts_in += counters.attempts;
            into.retries_in += counters.retries;
            let out = &mut outgoing[edge.from.ix()];
            out.retries += counters.retries;
            if let Some(pool) = edge.pool.as_mut() {
                let window = PoolWindow {
                    in_use: pool.in_use.close(start, now).0,
                    size: pool.size,
                    waiters: pool.waiting.close(start, now).0,
                };
                out.pool_in_use += window.in_use;
                out.pool_size += window.size;
                out.pool_waiters += window.waiters;
                let to = self
                    .world
                    .get::<Node>(self.node_entities[edge.to.ix()])
                    .expect("node entity has a Node");
                out.pools.insert(to.id.clone(), window);
            }
        }

        let mut nodes = std::collections::BTreeMap::new();
        let mut steady_hists = Vec::new();
        for (i, slot) in self.nodes.iter_mut().enumerate() {
            let info = self
                .world
                .get::<Node>(self.node_entities[i])
                .expect("node entity has a Node");
            // Utilization is against the servers that work now (chaos can take some away).
            let working = slot.servers();
            let cores = slot.cores();
            let (station, m) = (&mut slot.station, &mut slot.metrics);
            let (busy, _) = station.busy.close(start, now);
            let cpu = station.cpu.as_mut().map(|cpu| cpu.close(start, now));
            let (queue_depth, queue_max) = station.queued.close(start, now);
            let (in_flight, _) = m.in_flight.close(start, now);
            let answered = m.ok + m.errors.iter().sum::<u64>();
            let out = std::mem::take(&mut outgoing[i]);
            // A queue's oldest waiting message, or the lag a kind notes itself (a log's).
            let consumer_lag_ms = m
                .is_message_queue
                .then(|| {
                    station.queue.front().map_or(0.0, |&front| {
                        self.calls
                            .get(self.world, front)
                            .map_or(0.0, |c| ns_to_ms(now - c.arrived_ns))
                    })
                })
                .or_else(|| {
                    m.peaks
                        .iter()
                        .find(|(k, _)| *k == "consumer_lag_ms")
                        .map(|&(_, v)| v)
                });
            let record = NodeWindow {
                kind: info.kind.to_string(),
                arrivals: m.arrivals,
                throughput: m.ok as f64 / window_s,
                errors: errors_by_cause(&m.errors),
                error_rate: if answered > 0 {
                    (answered - m.ok) as f64 / answered as f64
                } else {
                    0.0
                },
                latency: Percentiles {
                    mean_ms: if answered > 0 {
                        m.latency_sum_ns / answered as f64 / 1e6
                    } else {
                        0.0
                    },
                    ..Percentiles::of(&m.latency)
                },
                started: m.started,
                mean_wait_ms: if m.started > 0 {
                    m.wait_sum_ns / m.started as f64 / 1e6
                } else {
                    0.0
                },
                // A node that computes is as busy as its cores; one without a CPU as its
                // servers.
                utilization: match cpu {
                    Some((cpu_busy, _, _)) => (cpu_busy / f64::from(cores.max(1))).min(1.0),
                    None if working == UNBOUNDED => 0.0,
                    None => (busy / f64::from(working.max(1))).min(1.0),
                },
                busy_servers: busy,
                servers: working,
                cores: cpu.map_or(0, |_| cores),
                busy_cores: cpu.map_or(0.0, |c| c.0),
                cpu_waiting: cpu.map_or(0.0, |c| c.1),
                cpu_demand: cpu.map_or(0.0, |c| c.2),
                queue_depth,
                queue_max,
                in_flight,
                pool_in_use: out.pool_in_use,
                pool_size: out.pool_size,
                pool_waiters: out.pool_waiters,
                pools: out.pools,
                stale_reads: m.stale_reads,
                hit_rate: (m.hits + m.misses > 0)
                    .then(|| m.hits as f64 / (m.hits + m.misses) as f64),
                replication_lag_ms: m.replication_lag_max_ns.map(ns_to_ms),
                consumer_lag_ms,
                retries: out.retries,
                attempts_in: out.attempts_in,
                retries_in: out.retries_in,
                down: slot.mods.down,
                counts: m.counts.iter().map(|&(k, v)| (k.to_string(), v)).collect(),
                peaks: m.peaks.iter().map(|&(k, v)| (k.to_string(), v)).collect(),
            };
            if steady {
                steady_hists.push((info.id.clone(), m.latency.clone()));
            }
            nodes.insert(info.id.clone(), record);
            m.reset_counters();
        }

        let in_flight_calls = self.calls.iter(self.world).count() as u64;
        let e2e = &mut *self.e2e;
        let answered = e2e.ok + e2e.errors.iter().sum::<u64>();
        let record = WindowRecord {
            t_s: ns_to_s(now),
            arrivals: e2e.arrivals,
            throughput: e2e.ok as f64 / window_s,
            error_rate: if answered > 0 {
                (answered - e2e.ok) as f64 / answered as f64
            } else {
                0.0
            },
            errors: errors_by_cause(&e2e.errors),
            latency: Percentiles::of(&e2e.latency),
            in_flight_calls,
            nodes,
        };
        let mut history = self.world.resource_mut::<MetricsHistory>();
        if steady {
            history
                .steady_end_to_end
                .add(&e2e.latency)
                .expect("same histogram bounds");
            for (id, hist) in steady_hists {
                let merged = history
                    .steady_nodes
                    .entry(id)
                    .or_insert_with(latency_histogram);
                merged.add(&hist).expect("same histogram bounds");
            }
        }
        history.windows.push(record);
        e2e.reset();
        self.queue.schedule(now + window_ns, Event::WindowClosed);
    }
}
