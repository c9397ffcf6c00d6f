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
pub mod rate_limit;
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
    /// A pub/sub topic (SNS-like) fanning messages out to its subscriptions.
    PubSub(pub_sub::PubSubParams),
    /// A worker pool / batch job runner with a fixed number of workers.
    WorkerPool(worker_pool::WorkerPoolParams),
    /// A log / stream (Kafka-like) with partitions and a consumer group.
    LogStream(log_stream::LogStreamParams),
    /// An API gateway: auth, rate limits per route and client, routing by path.
    ApiGateway(api_gateway::ApiGatewayParams),
    /// A rate limiter store (Redis-backed): a shared counter callers ask first.
    RateLimiterStore(rate_limiter_store::RateLimiterStoreParams),
    /// DNS with resolvers caching answers for a TTL, and health-checked failover.
    Dns(dns::DnsParams),
    /// A WebSocket gateway: long-lived connections on instances, reconnect storms.
    WebSocketGateway(websocket_gateway::WebSocketGatewayParams),
    /// A consensus store (etcd-like): quorum commits and leader elections.
    ConsensusStore(consensus_store::ConsensusStoreParams),
    /// A serverless function (Lambda-like): cold starts, a concurrency limit, a call plan.
    ServerlessFunction(serverless_function::ServerlessFunctionParams),
    /// An LLM inference endpoint: TTFT, batched decoding, token and request limits.
    LlmEndpoint(llm_endpoint::LlmEndpointParams),
    /// An embedding (or model) service that batches requests by size or time window.
    EmbeddingService(embedding_service::EmbeddingServiceParams),
    /// An MCP tool server: an agent's tools, with timeouts and poisoned results.
    McpToolServer(mcp_tool_server::McpToolServerParams),
    /// A key-value store (DynamoDB-like): partitions with capacity units.
    KeyValueStore(key_value_store::KeyValueStoreParams),
    /// A search index (Elasticsearch-like): shards and replicas.
    SearchIndex(search_index::SearchIndexParams),
    /// A vector database (HNSW approximate nearest neighbours).
    VectorDb(vector_db::VectorDbParams),
}
