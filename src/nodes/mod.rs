//! Node kinds: one file per kind, each with its blueprint parameters, its behaviour, and what
//! it answers about itself ([`Kind`]). A kind knows nothing of the event queue: it answers the
//! engine's questions through [`Behaviour`](crate::sim::Behaviour).
//!
//! Adding a kind: write `src/nodes/my_kind.rs` (parameters with `Default`, `impl Kind`, and a
//! behaviour), then add one line to the list below. Nothing else matches on the kind.

mod built;
mod capacity;
mod fix;
pub mod keyspace;
mod kind;
mod look;
pub mod plan;
mod registry;

pub use built::{Built, Wiring};
pub use capacity::Capacity;
pub use fix::Fix;
pub use kind::{Forwarding, Kind, SizedBy};
pub use look::{Look, Outline};

registry::node_kinds! {
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
    /// Object storage (S3-like), rate-limited per prefix.
    ObjectStorage(object_storage::ObjectStorageParams),
    /// A key-value store (DynamoDB-like): partitions with capacity units.
    KeyValueStore(key_value_store::KeyValueStoreParams),
    /// A search index (Elasticsearch-like): shards and replicas.
    SearchIndex(search_index::SearchIndexParams),
    /// A vector database (HNSW approximate nearest neighbours).
    VectorDb(vector_db::VectorDbParams),
}
