//! Object storage (S3-like): keys live under prefixes, each prefix takes at most 5,500 reads
//! and 3,500 writes a second (S3's documented floor per partitioned prefix) and answers the
//! rest with 503 Slow Down (here the `rejected` cause); a request takes a first-byte latency
//! plus its object's size over one connection's throughput. Capacity is otherwise unlimited:
//! the fleet is Amazon's.
//!
//! Sources (see `../shared/reference/component-parameters.md`, section 4): the per-prefix
//! rates from AWS's "Optimizing Amazon S3 performance"; ~85 MB/s per connection from AWS's
//! request-parallelization guidance; first byte p50 30 ms, p99 150 ms for small GETs on S3
//! Standard (S3 Express One Zone claims single-digit ms, "up to 10x faster").

use serde::{Deserialize, Serialize};

use super::external_api::TokenBucket;
use super::{Built, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::StorageSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_S, Nanos, Next, Reply, RequestKind, Sampler,
    Station, UNBOUNDED,
};

/// Parameters of an object store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectStorageParams {
    /// Partitioned prefixes the keys spread over (key modulo prefixes).
    pub prefixes: u32,
    /// GETs per second each prefix takes before answering Slow Down.
    pub reads_per_prefix_rps: f64,
    /// PUTs per second each prefix takes before answering Slow Down.
    pub writes_per_prefix_rps: f64,
    /// Time to the first byte.
    pub first_byte: Dist,
    /// Size of an object read or written, bytes.
    pub object_bytes: u64,
    /// One connection's throughput, megabytes (10^6 bytes) per second.
    pub connection_mb_per_s: f64,
}

impl Default for ObjectStorageParams {
    fn default() -> Self {
        ObjectStorageParams {
            prefixes: 1,
            reads_per_prefix_rps: 5_500.0,
            writes_per_prefix_rps: 3_500.0,
            first_byte: Dist::LogNormal {
                p50: 30.0,
                p99: 150.0,
            },
            object_bytes: 100_000,
            connection_mb_per_s: 85.0,
        }
    }
}

impl Kind for ObjectStorageParams {
    fn name(&self) -> &'static str {
        "object_storage"
    }

    fn about(&self) -> &'static str {
        "Object storage (S3-like): per-prefix rate limits, first byte plus transfer time"
    }

    fn id_prefix(&self) -> &'static str {
        "bucket"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 5,
                scale: 1.05,
            },
            accent: [0.55, 0.85, 0.75],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.prefixes == 0 {
            return Err("prefixes must be at least 1".into());
        }
        for (name, value) in [
            ("reads_per_prefix_rps", self.reads_per_prefix_rps),
            ("writes_per_prefix_rps", self.writes_per_prefix_rps),
            ("connection_mb_per_s", self.connection_mb_per_s),
        ] {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be > 0, found {value}"));
            }
        }
        self.first_byte.validate()
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let per_prefix = |rps: f64| vec![TokenBucket::per_second(rps); self.prefixes as usize];
        let transfer_s = self.object_bytes as f64 / (self.connection_mb_per_s * 1e6);
        let model = ObjectStorage {
            first_byte: self.first_byte.sampler(),
            transfer_ns: (transfer_s * NS_PER_S as f64).round() as Nanos,
            reads: per_prefix(self.reads_per_prefix_rps),
            writes: per_prefix(self.writes_per_prefix_rps),
            refused: false,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::S3(StorageSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["S3", "Unpriced"]
    }
}

/// An object store's behaviour: a prefix's rate, then first byte and transfer.
#[derive(Clone, Debug)]
pub struct ObjectStorage {
    first_byte: Sampler,
    transfer_ns: Nanos,
    reads: Vec<TokenBucket>,
    writes: Vec<TokenBucket>,
    refused: bool,
}

impl Behaviour for ObjectStorage {
    fn kind_name(&self) -> &'static str {
        "object_storage"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        let buckets = match call.kind {
            RequestKind::Read => &mut self.reads,
            RequestKind::Write => &mut self.writes,
        };
        let prefix = call.key as usize % buckets.len();
        if !buckets[prefix].take(cx.now_ns) {
            // Slow Down is answered at once (the engine calls `after_work` right after).
            self.refused = true;
            return None;
        }
        Some(self.first_byte.sample(cx.rng) + self.transfer_ns)
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            Next::Respond(Reply::failed(ErrorCause::Rejected))
        } else {
            Next::Respond(Reply::OK)
        }
    }

    any_accessors!();
}
