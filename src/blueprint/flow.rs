//! Expected reads and writes per node and per edge, from the blueprint's structure alone:
//! the clients' rates and read ratios pushed through balancers, call plans and cache hit
//! ratios. The cost estimator splits the simulated rates with it into reads and writes
//! (DynamoDB and S3 bill them differently) and among the edges that bring it; spawning
//! gives a keyspace cache the key traffic it should expect, to start it in its steady state.

use std::collections::BTreeMap;

use super::schema::Blueprint;
use crate::nodes::Forwarding;
use crate::nodes::plan::{CallStep, When};

/// Reads and writes per second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReadsWrites {
    /// Reads per second.
    pub reads_per_s: f64,
    /// Writes per second.
    pub writes_per_s: f64,
}

impl ReadsWrites {
    /// Both together.
    pub fn total_per_s(&self) -> f64 {
        self.reads_per_s + self.writes_per_s
    }

    fn add(&mut self, other: ReadsWrites) {
        self.reads_per_s += other.reads_per_s;
        self.writes_per_s += other.writes_per_s;
    }

    fn scaled(self, reads: f64, writes: f64) -> ReadsWrites {
        ReadsWrites {
            reads_per_s: self.reads_per_s * reads,
            writes_per_s: self.writes_per_s * writes,
        }
    }
}

/// Expected call rates, ignoring failures and retries.
#[derive(Clone, Debug, Default)]
pub struct Flows {
    /// Arriving at each node, by id.
    pub nodes: BTreeMap<String, ReadsWrites>,
    /// Sent over each edge, by (from, to).
    pub edges: BTreeMap<(String, String), ReadsWrites>,
}

/// Deeper than any sensible call chain; stops a cycle of calls.
const MAX_DEPTH: usize = 32;

impl Flows {
    /// Pushes every client's traffic through the blueprint.
    pub fn of(bp: &Blueprint) -> Flows {
        let mut flows = Flows::default();
        for node in &bp.nodes {
            if let (Some(rps), Some(read_ratio)) = (node.kind.offered_rps(), node.kind.read_ratio())
                && let Some(edge) = bp.edges.iter().find(|e| e.from == node.id)
            {
                let rate = ReadsWrites {
                    reads_per_s: rps * read_ratio,
                    writes_per_s: rps * (1.0 - read_ratio),
                };
                flows.push(bp, &node.id, &edge.to, rate, 0);
            }
        }
        flows
    }

    /// Share of the calls arriving at `id` that are reads (0.5 if nothing is expected there).
    pub fn read_share(&self, id: &str) -> f64 {
        match self.nodes.get(id) {
            Some(rw) if rw.total_per_s() > 0.0 => rw.reads_per_s / rw.total_per_s(),
            _ => 0.5,
        }
    }

    /// Share of the calls arriving at `to` that come over the edge from `from`.
    pub fn edge_share(&self, bp: &Blueprint, from: &str, to: &str) -> f64 {
        let into = self.nodes.get(to).map_or(0.0, ReadsWrites::total_per_s);
        if into > 0.0 {
            let over = self
                .edges
                .get(&(from.to_string(), to.to_string()))
                .map_or(0.0, ReadsWrites::total_per_s);
            over / into
        } else {
            let incoming = bp.edges.iter().filter(|e| e.to == to).count();
            1.0 / incoming.max(1) as f64
        }
    }

    fn push(&mut self, bp: &Blueprint, from: &str, to: &str, rate: ReadsWrites, depth: usize) {
        if rate.total_per_s() <= 0.0 || depth > MAX_DEPTH {
            return;
        }
        self.edges
            .entry((from.to_string(), to.to_string()))
            .or_default()
            .add(rate);
        self.nodes.entry(to.to_string()).or_default().add(rate);
        let Some(node) = bp.nodes.iter().find(|n| n.id == to) else {
            return;
        };
        match node.kind.forwarding() {
            Forwarding::Spread => {
                let outs: Vec<&str> = bp
                    .edges
                    .iter()
                    .filter(|e| e.from == to)
                    .map(|e| e.to.as_str())
                    .collect();
                let each = 1.0 / outs.len().max(1) as f64;
                for out in outs {
                    self.push(bp, to, out, rate.scaled(each, each), depth + 1);
                }
            }
            Forwarding::FanOut { shares } => {
                let outs: Vec<&str> = bp
                    .edges
                    .iter()
                    .filter(|e| e.from == to)
                    .map(|e| e.to.as_str())
                    .collect();
                for out in outs {
                    let share = shares.get(out).copied().unwrap_or(1.0);
                    self.push(bp, to, out, rate.scaled(share, share), depth + 1);
                }
            }
            Forwarding::Plan(calls) => self.push_plan(bp, to, calls, rate, depth),
            Forwarding::Steps(calls) => self.push_plan(bp, to, &calls, rate, depth),
            Forwarding::Misses { origin, miss_share } => {
                self.push(bp, to, origin, rate.scaled(miss_share, 0.0), depth + 1);
            }
            Forwarding::Nothing => {}
        }
    }

    fn push_plan(
        &mut self,
        bp: &Blueprint,
        from: &str,
        steps: &[CallStep],
        rate: ReadsWrites,
        depth: usize,
    ) {
        for step in steps {
            let (targets, when, probability, on_miss) = match step {
                CallStep::Call {
                    to,
                    when,
                    probability,
                    on_miss,
                    ..
                } => (vec![to.as_str()], *when, *probability, on_miss.as_deref()),
                CallStep::Parallel {
                    to,
                    when,
                    probability,
                    ..
                } => (
                    to.iter().map(String::as_str).collect(),
                    *when,
                    *probability,
                    None,
                ),
            };
            let reads = if when == When::Writes {
                0.0
            } else {
                probability
            };
            let writes = if when == When::Reads {
                0.0
            } else {
                probability
            };
            let sent = rate.scaled(reads, writes);
            for target in &targets {
                self.push(bp, from, target, sent, depth + 1);
            }
            if let (Some(miss_to), [target]) = (on_miss, targets.as_slice()) {
                // Only a cache-aside cache reports misses; writes never miss.
                let miss = bp
                    .nodes
                    .iter()
                    .find(|n| n.id == *target)
                    .and_then(|n| n.kind.aside_miss_share())
                    .unwrap_or(0.0);
                self.push(bp, from, miss_to, sent.scaled(miss, 0.0), depth + 1);
            }
        }
    }
}
