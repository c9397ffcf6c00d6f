//! Search index (Elasticsearch / OpenSearch-like): an index split into `shards` primary shards,
//! each with `replicas` replica copies. A query fans out to one copy of every shard and waits
//! for the slowest: its time is the coordinating node's own work plus the largest, over the
//! shards, of the chosen copy's queue wait and its shard query time. So a query's tail grows
//! with the shard count even at light load (the order statistic of the max). Every shard copy
//! is a first-come-first-served queue with `threads_per_copy` search threads (Elasticsearch's
//! search pool of its node), kept exactly here by the Lindley recursion (Kiefer and
//! Wolfowitz's for several servers: each thread's "free at" time, a call taking the thread
//! free first). A query picks, for each shard, the copy that frees up first (Elasticsearch's adaptive replica selection prefers the copy that will
//! answer soonest); a copy with `queue_capacity` calls waiting refuses it with `queue_full`
//! (es_rejected_execution_exception, HTTP 429). A write indexes one document: it goes to shard
//! `key % shards` and occupies that shard's primary and every replica for an indexing time
//! (all at once; Elasticsearch forwards to the replicas after the primary, so real writes take
//! a little longer), and the queries queued behind it wait: indexing load slows search. A
//! document becomes searchable at the next refresh (every `refresh_interval_ms`); a query for
//! a key written and acknowledged but not yet refreshed counts as a stale read.
//!
//! The station has no limit of its own: the shard copies' queues are the limit.
//!
//! Sources (see `../shared/reference/component-parameters.md`, section 8): a query hits one
//! copy of every shard, latency = coordination + slowest shard [54]; the search pool of
//! int(3 x cores / 2) + 1 threads, its queue of 1,000 and the 429 on a full queue [52][53];
//! refresh every 1 s [55]. By default each copy has a 2-vCPU data node (an m6g.large.search)
//! to itself: 4 search threads. A shard query p50
//! 10 ms, p99 50 ms is the reference's judgment; coordination (p50 1 ms, p99 3 ms) and
//! indexing a document on one copy (p50 2 ms, p99 10 ms) are ours.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};

use super::plan::KeyHasher;
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::OpenSearchSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, Nanos, Next, Reply, RequestKind, Sampler, Station,
    UNBOUNDED, ms_to_ns,
};

/// Parameters of a search index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchIndexParams {
    /// Primary shards the documents spread over (key modulo shards).
    pub shards: u32,
    /// Replica copies of each shard (a query uses one copy of each shard; a write all).
    pub replicas: u32,
    /// Time one shard copy takes to run a query on its part of the index (on one thread).
    pub shard_query: Dist,
    /// Search threads of a shard copy: queries (and writes) it runs at once.
    pub threads_per_copy: u32,
    /// vCPUs of the data node each copy has (what the domain is priced for).
    pub cores_per_copy: u32,
    /// The coordinating node's own work on a query (parse, merge the shards' top hits).
    pub coordination: Dist,
    /// Time one shard copy takes to index a document.
    pub index: Dist,
    /// Calls that may wait at one shard copy for a thread; one more is refused
    /// (`queue_full`).
    pub queue_capacity: u32,
    /// Time between refreshes, milliseconds: a document is searchable after the next one.
    pub refresh_interval_ms: f64,
}

impl Default for SearchIndexParams {
    fn default() -> Self {
        SearchIndexParams {
            shards: 3,
            replicas: 1,
            shard_query: Dist::LogNormal {
                p50: 10.0,
                p99: 50.0,
            },
            threads_per_copy: 4,
            cores_per_copy: 2,
            coordination: Dist::LogNormal { p50: 1.0, p99: 3.0 },
            index: Dist::LogNormal {
                p50: 2.0,
                p99: 10.0,
            },
            queue_capacity: 1_000,
            refresh_interval_ms: 1_000.0,
        }
    }
}

impl Kind for SearchIndexParams {
    fn name(&self) -> &'static str {
        "search_index"
    }

    fn about(&self) -> &'static str {
        "Search index (Elasticsearch-like): queries fan out to every shard, indexing competes"
    }

    fn id_prefix(&self) -> &'static str {
        "search"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Lens,
            accent: [0.40, 0.80, 0.90],
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("shards", self.shards),
            ("threads_per_copy", self.threads_per_copy),
            ("cores_per_copy", self.cores_per_copy),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.threads_per_copy > 256 {
            return Err(format!(
                "threads_per_copy must be at most 256, found {}",
                self.threads_per_copy
            ));
        }
        if self.shards.saturating_mul(self.replicas.saturating_add(1)) > 10_000 {
            return Err(format!(
                "shards x (1 + replicas) must be at most 10000 shard copies, found {} x {}",
                self.shards,
                self.replicas.saturating_add(1)
            ));
        }
        if !crate::sim::positive(self.refresh_interval_ms) {
            return Err(format!(
                "refresh_interval_ms must be > 0, found {}",
                self.refresh_interval_ms
            ));
        }
        for (name, dist) in [
            ("shard_query", &self.shard_query),
            ("coordination", &self.coordination),
            ("index", &self.index),
        ] {
            dist.validate().map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let copies = (self.replicas + 1) as usize;
        let model = SearchIndex {
            shards: self.shards as usize,
            copies_per_shard: copies,
            copies: vec![ShardCopy::new(self.threads_per_copy); self.shards as usize * copies],
            query: self.shard_query.sampler(),
            coordination: self.coordination.sampler(),
            index: self.index.sampler(),
            queue_capacity: self.queue_capacity as usize,
            refresh_ns: ms_to_ns(self.refresh_interval_ms).max(1),
            indexed: HashMap::default(),
            forget_at: INDEXED_KEPT,
            chosen: Vec::with_capacity(self.shards as usize),
            refused: false,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::OpenSearch(OpenSearchSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["OpenSearch", "Unpriced"]
    }

    /// The domain's vCPUs: each copy's data node's.
    fn sized_by(&self) -> SizedBy {
        SizedBy::Cores
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.shards * (self.replicas + 1) * self.cores_per_copy)
    }

    /// More vCPUs: more replicas, enough for `units` over the shards' copies.
    fn set_capacity_units(&mut self, units: u32) {
        let per_shard = self.shards.max(1) * self.cores_per_copy.max(1);
        self.replicas = units.div_ceil(per_shard).max(1) - 1;
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }
}

/// Documents remembered before those already searchable are first forgotten.
const INDEXED_KEPT: usize = 65_536;

/// One shard copy: a first-come-first-served queue in front of its search threads.
#[derive(Clone, Debug)]
struct ShardCopy {
    /// When each thread finishes the calls it has taken so far (Lindley's recursion: a call
    /// takes the thread free first, starts at max(arrival, free at), and the thread is free
    /// again when it ends).
    free_at_ns: Vec<Nanos>,
    /// When each call it holds (waiting or running) ends, soonest first.
    ends_ns: BinaryHeap<Reverse<Nanos>>,
}

impl ShardCopy {
    fn new(threads: u32) -> Self {
        ShardCopy {
            free_at_ns: vec![0; threads as usize],
            ends_ns: BinaryHeap::new(),
        }
    }

    /// When its first thread is free (or now).
    fn free_from(&self, now: Nanos) -> Nanos {
        self.free_at_ns.iter().min().map_or(now, |&t| t.max(now))
    }

    /// Calls waiting for a thread at `now` (the ended ones leave).
    fn waiting(&mut self, now: Nanos) -> usize {
        while self.ends_ns.peek().is_some_and(|&Reverse(end)| end <= now) {
            self.ends_ns.pop();
        }
        self.ends_ns.len().saturating_sub(self.free_at_ns.len())
    }

    /// Takes a call arriving at `now` that needs `service` of a thread; when it ends.
    fn take(&mut self, now: Nanos, service: Nanos) -> Nanos {
        let thread = (0..self.free_at_ns.len())
            .min_by_key(|&i| (self.free_at_ns[i], i))
            .expect("at least one thread");
        let end = now.max(self.free_at_ns[thread]) + service;
        self.free_at_ns[thread] = end;
        self.ends_ns.push(Reverse(end));
        end
    }
}

/// A document's latest write: when it was acknowledged and when it becomes searchable.
#[derive(Clone, Copy, Debug)]
struct Indexed {
    acked_ns: Nanos,
    searchable_ns: Nanos,
}

/// A search index's behaviour.
#[derive(Clone, Debug)]
pub struct SearchIndex {
    shards: usize,
    copies_per_shard: usize,
    /// Every shard's copies, shard by shard (the primary first).
    copies: Vec<ShardCopy>,
    query: Sampler,
    coordination: Sampler,
    index: Sampler,
    queue_capacity: usize,
    refresh_ns: Nanos,
    /// Per recently written key, its latest write.
    indexed: HashMap<u32, Indexed, BuildHasherDefault<KeyHasher>>,
    forget_at: usize,
    /// The copies a query picked, one per shard (kept to reuse the allocation).
    chosen: Vec<usize>,
    refused: bool,
}

impl SearchIndex {
    /// The copies that still serve: all, or the share chaos left (`capacity`), at least one.
    fn serving(&self, capacity: f64) -> usize {
        if capacity >= 1.0 {
            return self.copies_per_shard;
        }
        ((self.copies_per_shard as f64 * capacity.max(0.0)).ceil() as usize)
            .clamp(1, self.copies_per_shard)
    }

    /// A query at `now`: one copy of each shard, the one free first; `None` when a chosen
    /// copy's queue is full. Returns when the slowest shard answers.
    fn search(&mut self, cx: &mut Cx, serving: usize) -> Option<Nanos> {
        let now = cx.now_ns;
        self.chosen.clear();
        let mut most_waiting = 0;
        for shard in 0..self.shards {
            let first = shard * self.copies_per_shard;
            let pick = (first..first + serving)
                .min_by_key(|&c| (self.copies[c].free_from(now), c))
                .expect("at least one copy serves");
            let waiting = self.copies[pick].waiting(now);
            if waiting >= self.queue_capacity {
                return None;
            }
            most_waiting = most_waiting.max(waiting);
            self.chosen.push(pick);
        }
        cx.metrics.peak("shard_copy_queue", most_waiting as f64);
        let slowdown = cx.mods.slowdown;
        let mut last = now;
        for i in 0..self.chosen.len() {
            let service = slowed(self.query.sample(cx.rng), slowdown);
            last = last.max(self.copies[self.chosen[i]].take(now, service));
        }
        Some(last)
    }

    /// A write of `key` at `now`: its shard's serving copies each index it. Returns when the
    /// last is done; `None` when one of them is full.
    fn index_document(&mut self, cx: &mut Cx, key: u32, serving: usize) -> Option<Nanos> {
        let now = cx.now_ns;
        let first = key as usize % self.shards * self.copies_per_shard;
        let copies = first..first + serving;
        if copies
            .clone()
            .any(|c| self.copies[c].waiting(now) >= self.queue_capacity)
        {
            return None;
        }
        let slowdown = cx.mods.slowdown;
        let mut last = now;
        for c in copies {
            let service = slowed(self.index.sample(cx.rng), slowdown);
            last = last.max(self.copies[c].take(now, service));
        }
        Some(last)
    }

    /// Notes that `key`'s latest write is acknowledged at `acked` and searchable from the
    /// next refresh after it.
    fn note_write(&mut self, now: Nanos, key: u32, acked: Nanos) {
        if self.indexed.len() >= self.forget_at {
            self.indexed.retain(|_, d| d.searchable_ns > now);
            self.forget_at = (self.indexed.len() * 2).max(INDEXED_KEPT);
        }
        let searchable = acked.div_ceil(self.refresh_ns) * self.refresh_ns;
        self.indexed.insert(
            key,
            Indexed {
                acked_ns: acked,
                searchable_ns: searchable,
            },
        );
    }
}

/// `ns` times the node's slowdown.
fn slowed(ns: Nanos, slowdown: f64) -> Nanos {
    if slowdown == 1.0 {
        ns
    } else {
        (ns as f64 * slowdown).round() as Nanos
    }
}

impl Behaviour for SearchIndex {
    fn kind_name(&self) -> &'static str {
        "search_index"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        let now = cx.now_ns;
        let serving = self.serving(cx.mods.capacity);
        let slowdown = cx.mods.slowdown;
        let done = match call.kind {
            RequestKind::Read => {
                if self
                    .indexed
                    .get(&call.key)
                    .is_some_and(|d| d.acked_ns <= now && now < d.searchable_ns)
                {
                    cx.metrics.stale_reads += 1;
                }
                self.search(cx, serving)
            }
            RequestKind::Write => {
                let done = self.index_document(cx, call.key, serving);
                if let Some(acked) = done {
                    self.note_write(now, call.key, acked);
                }
                done
            }
        };
        let Some(done) = done else {
            // Refused at once (the engine calls `after_work` right after a `None`).
            self.refused = true;
            return None;
        };
        let total = slowed(self.coordination.sample(cx.rng), slowdown) + (done - now);
        // The engine stretches the time returned by the node's slowdown; the shards' times
        // (and so their queues) are slowed here already, so it gets the time unstretched.
        Some(if slowdown == 1.0 {
            total
        } else {
            (total as f64 / slowdown).round() as Nanos
        })
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            Next::Respond(Reply::failed(ErrorCause::QueueFull))
        } else {
            Next::Respond(Reply::OK)
        }
    }

    any_accessors!();
}
