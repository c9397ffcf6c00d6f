//! Vector database (approximate nearest neighbours on an HNSW graph; pgvector, OpenSearch
//! k-NN, Qdrant-like). A query walks the graph from the top layer down, keeping the `ef` best
//! candidates, and visits about `ef x log2(vectors)` nodes (Malkov and Yashunin: the greedy
//! search takes ~log N hops, each expanding the candidate list), each visit computing
//! distances to the node's neighbours. So its CPU time is
//!
//! ```text
//! base + per_visit x ef x log2(vectors),   ef = max(ef_search, top_k)
//! ```
//!
//! (the median; a log-normal spread with `p99_over_p50` around it), and it runs on the
//! node's cores first come first served while holding one of its connections, as a
//! database's query does: queueing is the engine's. An upsert inserts a vector the same way
//! with `ef_construction` candidates, so it costs more. When the index (vectors x
//! (4 x dimensions + 10 x m) bytes) outgrows `memory_gb`, the visits that miss memory cost
//! ten times as much (pgvector's benchmark: p50 3.7 ms in memory, 43 ms spilled).
//!
//! ef_search trades recall for time. Recall (the share of the true top-k found) follows a
//! saturating curve in ef, `recall = 1 - exp(-ef / recall_ef0)`: the shape of HNSW's
//! recall-versus-ef curves in ann-benchmarks (Aumüller, Bernhardsson and Faithfull,
//! "ANN-Benchmarks", Information Systems 2020) and hnswlib's ALGO_PARAMS, rising fast and
//! flattening near 1. `recall_ef0` = 30 fits pgvector's ef 80 -> recall 0.93 (and gives 0.999
//! at ef 200, where pgvector measured 0.99). The node reports it in every window with queries
//! as the level `recall`.
//!
//! Sources (see `../shared/reference/component-parameters.md`, section 11): HNSW's log N hops
//! [75]; ef_search >= k and memory per vector 4 d + ~10 M bytes [76]; pgvector's defaults m 16,
//! ef_construction 64, ef_search 40 [77]; pgvector HNSW on 250k x 1536-d vectors, 2 vCPU:
//! ef 80 -> recall 0.93, p50 3.7 ms, p99 7.1 ms; spilled out of memory p50 43 ms [80]. With
//! `base` 0.5 ms, that p50 gives per_visit = (3.7 - 0.5) ms / (80 x log2 250,000) = 2.2 us
//! (our fit), and p99/p50 = 7.1 / 3.7 = 1.9.

use serde::{Deserialize, Serialize};

use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::OpenSearchSpec;
use crate::sim::{
    Behaviour, Call, CpuDiscipline, Cx, Dist, Nanos, Next, Reply, RequestKind, Sampler, Station,
};

/// How much more a graph visit that misses memory costs (pgvector: p50 3.7 ms in memory,
/// 43 ms once the index spilled out of the cache [80]).
const SPILLED_VISIT_FACTOR: f64 = 10.0;

/// Parameters of a vector database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VectorDbParams {
    /// Vectors in the index.
    pub vectors: u64,
    /// Dimensions of each vector (sets the index's size in memory).
    pub dimensions: u32,
    /// HNSW's `m`: neighbours kept per node (sets the graph's size in memory).
    pub m: u32,
    /// Neighbours a query returns.
    pub top_k: u32,
    /// Candidates a query keeps while it walks the graph (raised to `top_k` if below).
    pub ef_search: u32,
    /// Candidates an upsert keeps while it finds its neighbours.
    pub ef_construction: u32,
    /// Fixed time of a call, milliseconds (parse, fetch the results, answer).
    pub base_ms: f64,
    /// CPU time of one graph visit in memory, microseconds.
    pub per_visit_us: f64,
    /// The spread of a call's time: its p99 over its median (1 = always the median).
    pub p99_over_p50: f64,
    /// Scale of the recall curve, `recall = 1 - exp(-ef / recall_ef0)`.
    pub recall_ef0: f64,
    /// Memory for the index, GB (10^9 bytes).
    pub memory_gb: f64,
    /// vCPUs: calls run on them one at a time each, first come first served.
    pub cores: u32,
    /// Connections: calls in progress at once (one beyond them waits in the queue).
    pub max_connections: u32,
    /// Calls that may wait for a connection; one more is refused (`queue_full`).
    pub queue_capacity: u32,
}

impl Default for VectorDbParams {
    fn default() -> Self {
        VectorDbParams {
            vectors: 1_000_000,
            dimensions: 1_536,
            m: 16,
            top_k: 10,
            ef_search: 40,
            ef_construction: 64,
            base_ms: 0.5,
            per_visit_us: 2.2,
            p99_over_p50: 1.9,
            recall_ef0: 30.0,
            memory_gb: 16.0,
            cores: 4,
            max_connections: 100,
            queue_capacity: 1_000,
        }
    }
}

impl Kind for VectorDbParams {
    fn name(&self) -> &'static str {
        "vector_db"
    }

    fn about(&self) -> &'static str {
        "Vector database (HNSW): query time in ef and log N on its cores, recall from ef"
    }

    fn id_prefix(&self) -> &'static str {
        "vectors"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Star { points: 6 },
            accent: [0.65, 0.90, 0.45],
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("vectors", self.vectors),
            ("dimensions", u64::from(self.dimensions)),
            ("m", u64::from(self.m)),
            ("top_k", u64::from(self.top_k)),
            ("ef_search", u64::from(self.ef_search)),
            ("ef_construction", u64::from(self.ef_construction)),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.cores == 0 || self.max_connections < self.cores {
            return Err(format!(
                "need 1 <= cores <= max_connections, found cores {} and max_connections {}",
                self.cores, self.max_connections
            ));
        }
        if !(self.base_ms >= 0.0 && self.base_ms.is_finite()) {
            return Err(format!("base_ms must be >= 0, found {}", self.base_ms));
        }
        for (name, value) in [
            ("per_visit_us", self.per_visit_us),
            ("recall_ef0", self.recall_ef0),
            ("memory_gb", self.memory_gb),
        ] {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be > 0, found {value}"));
            }
        }
        if !(self.p99_over_p50 >= 1.0 && self.p99_over_p50.is_finite()) {
            return Err(format!(
                "p99_over_p50 must be >= 1, found {}",
                self.p99_over_p50
            ));
        }
        Ok(())
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let spread = |median_ms: f64| {
            if self.p99_over_p50 == 1.0 {
                Dist::Constant(median_ms)
            } else {
                Dist::LogNormal {
                    p50: median_ms,
                    p99: median_ms * self.p99_over_p50,
                }
            }
            .sampler()
        };
        let model = VectorDb {
            query: spread(self.query_ms()),
            upsert: spread(self.upsert_ms()),
            recall: self.recall(),
        };
        let station = Station::new(self.max_connections, self.queue_capacity, false)
            .with_cpu(self.cores, CpuDiscipline::Fcfs);
        Ok(Built::plain(station, model))
    }

    /// Priced as an OpenSearch domain (its k-NN plugin runs HNSW) with the node's cores.
    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::OpenSearch(OpenSearchSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["OpenSearch", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Cores
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.cores)
    }

    /// Sets the cores; it accepts at least one connection per core.
    fn set_capacity_units(&mut self, units: u32) {
        self.cores = units.max(1);
        self.max_connections = self.max_connections.max(self.cores);
    }

    /// Raises `max_connections` to what its callers' pools open.
    fn accept_connections(&mut self, pooled: u32) {
        self.max_connections = self.max_connections.max(self.cores).max(pooled);
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }
}

impl VectorDbParams {
    /// Candidates a query keeps: `ef_search`, at least `top_k`.
    pub fn ef(&self) -> u32 {
        self.ef_search.max(self.top_k)
    }

    /// Bytes of the index: each vector's floats and its links.
    pub fn index_bytes(&self) -> f64 {
        self.vectors as f64 * (4.0 * f64::from(self.dimensions) + 10.0 * f64::from(self.m))
    }

    /// A visit's cost in microseconds: in memory, or for the share of the index that does
    /// not fit, ten times that.
    fn visit_us(&self) -> f64 {
        let in_memory = (self.memory_gb * 1e9 / self.index_bytes()).min(1.0);
        self.per_visit_us * (in_memory + (1.0 - in_memory) * SPILLED_VISIT_FACTOR)
    }

    /// Median time of a call that keeps `ef` candidates, milliseconds.
    fn walk_ms(&self, ef: u32) -> f64 {
        let hops = (self.vectors.max(2) as f64).log2();
        self.base_ms + self.visit_us() * f64::from(ef) * hops / 1000.0
    }

    /// Median time of a query, milliseconds.
    pub fn query_ms(&self) -> f64 {
        self.walk_ms(self.ef())
    }

    /// Median time of an upsert, milliseconds.
    pub fn upsert_ms(&self) -> f64 {
        self.walk_ms(self.ef_construction.max(self.m))
    }

    /// Recall of a query: `1 - exp(-ef / recall_ef0)`.
    pub fn recall(&self) -> f64 {
        1.0 - (-f64::from(self.ef()) / self.recall_ef0).exp()
    }
}

/// A vector database's behaviour.
#[derive(Clone, Debug)]
pub struct VectorDb {
    query: Sampler,
    upsert: Sampler,
    recall: f64,
}

impl Behaviour for VectorDb {
    fn kind_name(&self) -> &'static str {
        "vector_db"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        Some(match call.kind {
            RequestKind::Read => {
                cx.metrics.peak("recall", self.recall);
                self.query.sample(cx.rng)
            }
            RequestKind::Write => self.upsert.sample(cx.rng),
        })
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        Next::Respond(Reply::OK)
    }

    any_accessors!();
}
