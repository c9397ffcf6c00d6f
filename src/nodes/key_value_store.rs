//! Key-value / NoSQL store (DynamoDB-like; Cassandra and ScyllaDB partition the same way):
//! keys hash to partitions, and each partition serves at most so many capacity units a second
//! (DynamoDB: 3,000 read units and 1,000 write units). A request past its partition's units is
//! throttled at once (`throttled`: ProvisionedThroughputExceeded, KeyRangeThroughputExceeded)
//! even while the table as a whole has room, which is what a hot key does. A read of up to
//! 4 KB takes one read unit when strongly consistent and half a unit when eventually
//! consistent; a write of up to 1 KB takes one write unit. Every item has `replicas` copies
//! (DynamoDB: three, one per zone): writes commit at the leader and reach the other copies
//! after a replication delay, strong reads go to the leader, and an eventual read goes to any
//! copy, so it can miss a write the copy has not applied yet (a stale read).
//!
//! A provisioned table (`provisioned`) also has table-wide units: a bucket holding up to
//! `burst_s` seconds of unused capacity (DynamoDB keeps 300 s of it). With adaptive capacity a
//! partition may use whatever the table leaves unused, up to its own cap; without it each
//! partition gets an even share of the table's units. An on-demand table (no `provisioned`)
//! is limited only by its partitions.
//!
//! The station has no limit of its own: the fleet is Amazon's; capacity is the partitions'.
//!
//! Sources (see `../shared/reference/component-parameters.md`, section 3): partition caps,
//! burst (300 s) and adaptive capacity from AWS's "Burst and adaptive capacity" [20];
//! read and write unit sizes and the cost of strong reads from "Read consistency" [22];
//! throttling errors from "Key range throughput exceeded" [21]; new on-demand tables start at
//! 12,000 read and 4,000 write units a second, four partitions' worth [23]. Latency: point
//! operations take single-digit milliseconds in the service [24]; GetItem p50 4 ms, p99 15 ms
//! is the reference's judgment. Strong reads and writes slower (p50 6 and 5 ms) and the
//! replication delay (p50 10 ms, p99 100 ms; AWS: copies are "usually consistent within a
//! second") are our judgment: AWS publishes no figure, only that strong reads "may have
//! higher latency".

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};

use super::plan::KeyHasher;
use super::{Built, Fix, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::DynamoDbSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_S, Nanos, Next, Reply, RequestKind, Sampler,
    Station, UNBOUNDED,
};

/// The key a call goes to while chaos concentrates a share of the calls on one key: rank 0,
/// the hottest.
pub const HOT_KEY: u32 = 0;

/// DynamoDB's largest item, bytes.
const MAX_ITEM_BYTES: u32 = 400 * 1024;

/// A provisioned table's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvisionedParams {
    /// Read units a second for the whole table.
    pub read_units_per_s: f64,
    /// Write units a second for the whole table.
    pub write_units_per_s: f64,
    /// Seconds of unused table capacity banked for bursts (DynamoDB: 300).
    pub burst_s: f64,
    /// Adaptive capacity: a hot partition may use the table's unused units, up to its own
    /// cap. Off: each partition gets the table's units divided by the partitions.
    pub adaptive: bool,
}

impl Default for ProvisionedParams {
    fn default() -> Self {
        ProvisionedParams {
            read_units_per_s: 4_000.0,
            write_units_per_s: 1_000.0,
            burst_s: 300.0,
            adaptive: true,
        }
    }
}

/// Parameters of a key-value store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyValueStoreParams {
    /// Partitions the keys spread over (partition key modulo partitions).
    pub partitions: u32,
    /// Read units a partition serves per second (DynamoDB: 3,000).
    pub read_units_per_partition: f64,
    /// Write units a partition serves per second (DynamoDB: 1,000).
    pub write_units_per_partition: f64,
    /// Table-wide capacity; none = on demand (only the partitions limit it).
    pub provisioned: Option<ProvisionedParams>,
    /// Size of an item, bytes: a read takes a unit per 4 KB (half a unit when eventually
    /// consistent), a write a unit per 1 KB.
    pub item_bytes: u32,
    /// Share of reads that are strongly consistent (twice the read units, the leader's copy,
    /// never stale), 0..1.
    pub strong_reads: f64,
    /// Time of an eventually consistent read, in the service.
    pub read: Dist,
    /// Time of a strongly consistent read.
    pub strong_read: Dist,
    /// Time of a write (committed at the leader).
    pub write: Dist,
    /// Copies of every item (the leader and its followers).
    pub replicas: u32,
    /// Time for a committed write to reach a follower (each applies writes in order).
    pub replication: Dist,
    /// Write sharding: each key is stored under this many suffixed partition keys (a
    /// calculated suffix), so its traffic spreads over that many partitions.
    pub key_suffixes: u32,
}

impl Default for KeyValueStoreParams {
    fn default() -> Self {
        KeyValueStoreParams {
            partitions: 4,
            read_units_per_partition: 3_000.0,
            write_units_per_partition: 1_000.0,
            provisioned: None,
            item_bytes: 1_000,
            strong_reads: 0.0,
            read: Dist::LogNormal {
                p50: 4.0,
                p99: 15.0,
            },
            strong_read: Dist::LogNormal {
                p50: 6.0,
                p99: 20.0,
            },
            write: Dist::LogNormal {
                p50: 5.0,
                p99: 20.0,
            },
            replicas: 3,
            replication: Dist::LogNormal {
                p50: 10.0,
                p99: 100.0,
            },
            key_suffixes: 1,
        }
    }
}

impl Kind for KeyValueStoreParams {
    fn name(&self) -> &'static str {
        "key_value_store"
    }

    fn about(&self) -> &'static str {
        "Key-value store (DynamoDB-like): partitions with capacity units, throttling, stale reads"
    }

    fn id_prefix(&self) -> &'static str {
        "kv"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Stack { layers: 3 },
            accent: [0.90, 0.50, 0.75],
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("partitions", self.partitions),
            ("replicas", self.replicas),
            ("key_suffixes", self.key_suffixes),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.partitions > 100_000 || self.replicas > 16 {
            return Err(format!(
                "need partitions <= 100000 and replicas <= 16, found {} and {}",
                self.partitions, self.replicas
            ));
        }
        if self.item_bytes == 0 || self.item_bytes > MAX_ITEM_BYTES {
            return Err(format!(
                "item_bytes must be between 1 and {MAX_ITEM_BYTES} (400 KB), found {}",
                self.item_bytes
            ));
        }
        if !(0.0..=1.0).contains(&self.strong_reads) {
            return Err(format!(
                "strong_reads must be between 0 and 1, found {}",
                self.strong_reads
            ));
        }
        let mut rates = vec![
            ("read_units_per_partition", self.read_units_per_partition),
            ("write_units_per_partition", self.write_units_per_partition),
        ];
        if let Some(p) = self.provisioned {
            rates.push(("provisioned.read_units_per_s", p.read_units_per_s));
            rates.push(("provisioned.write_units_per_s", p.write_units_per_s));
            if !(p.burst_s >= 0.0 && p.burst_s.is_finite()) {
                return Err(format!(
                    "provisioned.burst_s must be >= 0, found {}",
                    p.burst_s
                ));
            }
        }
        for (name, value) in rates {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be > 0, found {value}"));
            }
        }
        for (name, dist) in [
            ("read", &self.read),
            ("strong_read", &self.strong_read),
            ("write", &self.write),
            ("replication", &self.replication),
        ] {
            dist.validate().map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let partitions = self.partitions as usize;
        // Without adaptive capacity a partition gets its even share of a provisioned table.
        let share = |cap: f64, table: Option<f64>| match (self.provisioned, table) {
            (Some(p), Some(t)) if !p.adaptive => cap.min(t / f64::from(self.partitions)),
            _ => cap,
        };
        let p = self.provisioned;
        let read_cap = share(self.read_units_per_partition, p.map(|p| p.read_units_per_s));
        let write_cap = share(self.write_units_per_partition, p.map(|p| p.write_units_per_s));
        let (read_units, write_units) = self.units_per_request();
        let model = KeyValueStore {
            read: self.read.sampler(),
            strong_read: self.strong_read.sampler(),
            write: self.write.sampler(),
            replication: self.replication.sampler(),
            strong_share: self.strong_reads,
            eventual_read_units: read_units / 2.0,
            write_units,
            suffixes: self.key_suffixes,
            partition_reads: vec![Units::new(read_cap, 1.0, read_units); partitions],
            partition_writes: vec![Units::new(write_cap, 1.0, write_units); partitions],
            table_reads: p.map(|p| Units::new(p.read_units_per_s, p.burst_s.max(1.0), read_units)),
            table_writes: p
                .map(|p| Units::new(p.write_units_per_s, p.burst_s.max(1.0), write_units)),
            replicas: self.replicas,
            followers: self.replicas as usize - 1,
            written: HashMap::default(),
            forget_at: WRITTEN_KEPT,
            throttled: vec![0; partitions],
            refused: false,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::DynamoDb(DynamoDbSpec {
            item_kb: f64::from(self.item_bytes) / 1024.0,
            ..DynamoDbSpec::default()
        }))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["DynamoDb", "Unpriced"]
    }

    /// Write sharding, and read-your-writes (every read strongly consistent).
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::KeySuffixes(n) => self.key_suffixes = self.key_suffixes.max(n),
            Fix::ReadYourWrites => self.strong_reads = 1.0,
            _ => return false,
        }
        true
    }
}

impl KeyValueStoreParams {
    /// Units a strongly consistent read and a write take: one per 4 KB and one per 1 KB.
    pub fn units_per_request(&self) -> (f64, f64) {
        let bytes = f64::from(self.item_bytes);
        ((bytes / 4096.0).ceil(), (bytes / 1024.0).ceil())
    }
}

/// Capacity units as a token bucket: `rate` a second, up to `depth_s` seconds of them banked
/// (and never less than one request's worth), full at the start.
#[derive(Clone, Debug)]
struct Units {
    rate_per_ns: f64,
    depth: f64,
    tokens: f64,
    at_ns: Nanos,
}

impl Units {
    fn new(rate_per_s: f64, depth_s: f64, request: f64) -> Self {
        let depth = (rate_per_s * depth_s).max(request);
        Units {
            rate_per_ns: rate_per_s / NS_PER_S as f64,
            depth,
            tokens: depth,
            at_ns: 0,
        }
    }

    /// Whether `cost` units are there now.
    fn has(&mut self, now_ns: Nanos, cost: f64) -> bool {
        self.tokens = (self.tokens + (now_ns - self.at_ns) as f64 * self.rate_per_ns).min(self.depth);
        self.at_ns = now_ns;
        self.tokens >= cost
    }
}

/// One write of a key: when it commits at the leader and when each follower applies it.
#[derive(Clone, Debug)]
struct Write {
    committed_ns: Nanos,
    applied_ns: Vec<Nanos>,
}

/// A key's latest write, and the one before it (still what the copies serve while the latest
/// has not committed).
#[derive(Clone, Debug)]
struct Written {
    latest: Write,
    previous: Option<Write>,
}

impl Written {
    /// Whether follower `f`, read at `now`, lacks the last write committed by then.
    fn behind(&self, f: usize, now: Nanos) -> bool {
        let last = if self.latest.committed_ns <= now {
            Some(&self.latest)
        } else {
            self.previous.as_ref()
        };
        last.is_some_and(|w| w.committed_ns <= now && w.applied_ns[f] > now)
    }
}

/// A key-value store's behaviour.
#[derive(Clone, Debug)]
pub struct KeyValueStore {
    read: Sampler,
    strong_read: Sampler,
    write: Sampler,
    replication: Sampler,
    strong_share: f64,
    eventual_read_units: f64,
    write_units: f64,
    suffixes: u32,
    partition_reads: Vec<Units>,
    partition_writes: Vec<Units>,
    table_reads: Option<Units>,
    table_writes: Option<Units>,
    replicas: u32,
    /// Copies besides the leader.
    followers: usize,
    /// Per recently written key, its latest write.
    written: HashMap<u32, Written, BuildHasherDefault<KeyHasher>>,
    /// Size of `written` at which keys fully replicated are forgotten.
    forget_at: usize,
    /// Requests throttled so far, per partition.
    throttled: Vec<u64>,
    refused: bool,
}

/// Written keys remembered before those fully replicated are first forgotten.
const WRITTEN_KEPT: usize = 65_536;

impl KeyValueStore {
    /// Requests throttled so far, by partition.
    pub fn throttled_by_partition(&self) -> &[u64] {
        &self.throttled
    }

    /// The partition a request for `key` goes to: its partition key (the key and, with write
    /// sharding, a suffix drawn for it) modulo the partitions.
    fn partition(&self, key: u32, cx: &mut Cx) -> usize {
        let suffix = if self.suffixes > 1 {
            cx.rng.below(self.suffixes)
        } else {
            0
        };
        let partition_key = u64::from(key) * u64::from(self.suffixes) + u64::from(suffix);
        (partition_key % self.partition_reads.len() as u64) as usize
    }
}

impl Behaviour for KeyValueStore {
    fn kind_name(&self) -> &'static str {
        "key_value_store"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        let now = cx.now_ns;
        let share = cx.mods.hot_key_share;
        let key = if share > 0.0 && cx.rng.chance(share) {
            HOT_KEY
        } else {
            call.key
        };
        let partition = self.partition(key, cx);
        let (strong, cost) = match call.kind {
            RequestKind::Read => {
                let strong = self.strong_share > 0.0 && cx.rng.chance(self.strong_share);
                let units = if strong { 2.0 } else { 1.0 } * self.eventual_read_units;
                (strong, units)
            }
            RequestKind::Write => (false, self.write_units),
        };
        let (part, mut table) = match call.kind {
            RequestKind::Read => (&mut self.partition_reads[partition], self.table_reads.as_mut()),
            RequestKind::Write => (
                &mut self.partition_writes[partition],
                self.table_writes.as_mut(),
            ),
        };
        let room = table.as_mut().is_none_or(|t| t.has(now, cost)) && part.has(now, cost);
        if !room {
            // Throttled at once (the engine calls `after_work` right after a `None`).
            self.throttled[partition] += 1;
            self.refused = true;
            return None;
        }
        part.tokens -= cost;
        if let Some(t) = table {
            t.tokens -= cost;
        }
        match call.kind {
            RequestKind::Read if strong => Some(self.strong_read.sample(cx.rng)),
            RequestKind::Read => {
                let copy = cx.rng.below(self.replicas);
                let stale = copy > 0
                    && self
                        .written
                        .get(&key)
                        .is_some_and(|w| w.behind(copy as usize - 1, now));
                if stale {
                    cx.metrics.stale_reads += 1;
                }
                Some(self.read.sample(cx.rng))
            }
            RequestKind::Write => {
                let took = self.write.sample(cx.rng);
                let committed = now + (took as f64 * cx.mods.slowdown).round() as Nanos;
                self.replicate(cx, key, committed);
                Some(took)
            }
        }
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            Next::Respond(Reply::failed(ErrorCause::Throttled))
        } else {
            Next::Respond(Reply::OK)
        }
    }

    any_accessors!();
}

impl KeyValueStore {
    /// A write of `key` commits at the leader at `committed`; each follower applies it after
    /// its replication delay (plus any chaos delay), and never before the key's previous
    /// write (a key's writes apply in order).
    fn replicate(&mut self, cx: &mut Cx, key: u32, committed: Nanos) {
        if self.followers == 0 {
            return;
        }
        let before = self.written.get(&key).map(|w| &w.latest.applied_ns);
        let mut applied = Vec::with_capacity(self.followers);
        for f in 0..self.followers {
            let shipped = committed + self.replication.sample(cx.rng) + cx.mods.replication_delay_ns;
            let at = before.map_or(shipped, |b| shipped.max(b[f]));
            cx.metrics.replication_lag(at - committed);
            applied.push(at);
        }
        if self.written.len() >= self.forget_at {
            // Forget keys every copy has caught up on; if most are still replicating, wait
            // for twice as many before looking again (so this stays linear overall).
            let now = cx.now_ns;
            self.written
                .retain(|_, w| w.latest.applied_ns.iter().any(|&t| t > now));
            self.forget_at = (self.written.len() * 2).max(WRITTEN_KEPT);
        }
        let latest = Write {
            committed_ns: committed,
            applied_ns: applied,
        };
        match self.written.get_mut(&key) {
            Some(w) => w.previous = Some(std::mem::replace(&mut w.latest, latest)),
            None => {
                self.written.insert(
                    key,
                    Written {
                        latest,
                        previous: None,
                    },
                );
            }
        }
    }
}
