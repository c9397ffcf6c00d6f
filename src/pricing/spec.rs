//! What a blueprint says about cost: the AWS service (and size) each node maps to, written
//! as a node's optional `cost:` field. Which services fit which node kind, and each kind's
//! default, belong to the node kinds, not here.

use serde::{Deserialize, Serialize};

use super::table::PriceTable;

/// The AWS service a node runs on, with its size. Written like a node kind:
/// `cost: Ec2(instance: "c5.large")`, `cost: Rds(multi_az: true)`, `cost: CloudFront`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CostSpec {
    /// Service: EC2 instances, one per replica (more when the simulation shows it busy).
    Ec2(Ec2Spec),
    /// Service: ECS tasks on Fargate, one per replica.
    Fargate(FargateSpec),
    /// Service: Lambda, billed per invocation and per GB-second.
    Lambda(LambdaSpec),
    /// Load balancer: Application Load Balancer (hours and LCUs).
    Alb(LoadBalancerSpec),
    /// Load balancer: Network Load Balancer (hours and NLCUs).
    Nlb(LoadBalancerSpec),
    /// Load balancer: API Gateway HTTP API (per request).
    ApiGatewayHttp,
    /// Load balancer: API Gateway REST API (per request, tiered).
    ApiGatewayRest,
    /// Cache: ElastiCache nodes, one per shard (replica) plus replicas per shard.
    ElastiCache(ElastiCacheSpec),
    /// CDN: CloudFront (requests and tiered transfer out; origin fetches are free).
    CloudFront,
    /// Database: RDS instance sized from its cores, storage, optional Multi-AZ.
    Rds(RdsSpec),
    /// Database: Aurora Serverless v2 (ACU-hours from the load, storage, I/O).
    AuroraServerlessV2(AuroraSpec),
    /// Database: DynamoDB on demand (request units by item size, storage).
    DynamoDb(DynamoDbSpec),
    /// Database: S3 as object storage (GETs for reads, PUTs for writes, storage).
    S3(StorageSpec),
    /// Database: an OpenSearch domain (nodes sized from its cores, storage).
    OpenSearch(OpenSearchSpec),
    /// Message queue: SQS (three requests per message: send, receive, delete).
    Sqs(SqsSpec),
    /// Message queue: SNS (publishes and HTTP deliveries).
    Sns(SnsSpec),
    /// Message queue: Kinesis Data Streams, provisioned shards.
    Kinesis(KinesisSpec),
    /// Message queue: MSK brokers and storage.
    Msk(MskSpec),
    /// External API: calls leave the VPC through a NAT gateway.
    Nat(NatSpec),
    /// Not priced (on premises, someone else's bill, or already paid for).
    Unpriced,
}

/// EC2 sizing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ec2Spec {
    /// Instance type, e.g. `m5.large` (looked up as `ec2.<instance>`).
    pub instance: String,
}

impl Default for Ec2Spec {
    fn default() -> Self {
        Ec2Spec {
            instance: "m5.large".into(),
        }
    }
}

/// Fargate task size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FargateSpec {
    /// vCPUs per task.
    pub vcpu: f64,
    /// Memory per task, GB.
    pub memory_gb: f64,
    /// Arm (Graviton) instead of x86.
    pub arm: bool,
}

impl Default for FargateSpec {
    fn default() -> Self {
        FargateSpec {
            vcpu: 1.0,
            memory_gb: 2.0,
            arm: false,
        }
    }
}

/// Lambda function size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LambdaSpec {
    /// Memory, MB.
    pub memory_mb: f64,
    /// Arm (Graviton) instead of x86.
    pub arm: bool,
    /// Billed duration per invocation, ms; absent = the simulated time at the node minus its
    /// queue wait (a blocking service is billed while it waits for its calls).
    pub duration_ms: Option<f64>,
}

impl Default for LambdaSpec {
    fn default() -> Self {
        LambdaSpec {
            memory_mb: 512.0,
            arm: false,
            duration_ms: None,
        }
    }
}

/// Load balancer traffic shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerSpec {
    /// Requests each client connection carries (keep-alive); sets the new connections/s.
    pub requests_per_connection: f64,
}

impl Default for LoadBalancerSpec {
    fn default() -> Self {
        LoadBalancerSpec {
            requests_per_connection: 10.0,
        }
    }
}

/// ElastiCache sizing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElastiCacheSpec {
    /// Node type, e.g. `cache.r6g.large` (looked up as `elasticache.<node>`).
    pub node: String,
    /// Replica nodes per shard (for failover), each billed like the primary.
    pub replicas_per_shard: u32,
}

impl Default for ElastiCacheSpec {
    fn default() -> Self {
        ElastiCacheSpec {
            node: "cache.r6g.large".into(),
            replicas_per_shard: 0,
        }
    }
}

/// An RDS engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Engine {
    /// PostgreSQL.
    #[default]
    Postgres,
    /// MySQL.
    MySql,
}

impl Engine {
    /// The engine's part of a price key.
    pub fn key(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::MySql => "mysql",
        }
    }
}

/// RDS sizing: the instance class is the smallest of `family` with at least as many vCPUs as
/// the database has cores (more if the simulation shows it busy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsSpec {
    /// Engine.
    pub engine: Engine,
    /// Instance family, e.g. `r5` or `m5` (classes `db.<family>.*`).
    pub family: String,
    /// A standby in a second zone: doubles instance hours and the storage price.
    pub multi_az: bool,
    /// Allocated gp3 storage, GB.
    pub storage_gb: f64,
}

impl Default for RdsSpec {
    fn default() -> Self {
        RdsSpec {
            engine: Engine::Postgres,
            family: "r5".into(),
            multi_az: false,
            storage_gb: 100.0,
        }
    }
}

/// Aurora Serverless v2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuroraSpec {
    /// Stored data, GB.
    pub storage_gb: f64,
    /// Billed I/O requests per write query (reads are assumed to hit the buffer pool).
    pub ios_per_write: f64,
}

impl Default for AuroraSpec {
    fn default() -> Self {
        AuroraSpec {
            storage_gb: 100.0,
            ios_per_write: 1.0,
        }
    }
}

/// DynamoDB on demand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DynamoDbSpec {
    /// Stored data, GB.
    pub storage_gb: f64,
    /// Item size, KB: a read takes one unit per 4 KB, a write one per 1 KB.
    pub item_kb: f64,
}

impl Default for DynamoDbSpec {
    fn default() -> Self {
        DynamoDbSpec {
            storage_gb: 100.0,
            item_kb: 1.0,
        }
    }
}

/// Object storage size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSpec {
    /// Stored data, GB.
    pub storage_gb: f64,
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            storage_gb: 1_000.0,
        }
    }
}

/// OpenSearch domain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenSearchSpec {
    /// Data node type, e.g. `m6g.large.search` (looked up as `opensearch.<instance>`).
    pub instance: String,
    /// EBS storage for the whole domain, GB.
    pub storage_gb: f64,
}

impl Default for OpenSearchSpec {
    fn default() -> Self {
        OpenSearchSpec {
            instance: "m6g.large.search".into(),
            storage_gb: 100.0,
        }
    }
}

/// SQS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqsSpec {
    /// FIFO instead of standard.
    pub fifo: bool,
    /// Message size, KB (each 64 KB is billed as one request).
    pub message_kb: f64,
}

impl Default for SqsSpec {
    fn default() -> Self {
        SqsSpec {
            fifo: false,
            message_kb: 1.0,
        }
    }
}

/// SNS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SnsSpec {
    /// HTTP/S subscribers each message is delivered to.
    pub deliveries_per_message: f64,
}

impl Default for SnsSpec {
    fn default() -> Self {
        SnsSpec {
            deliveries_per_message: 1.0,
        }
    }
}

/// Kinesis Data Streams, provisioned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KinesisSpec {
    /// Record size, KB (a PUT payload unit is 25 KB).
    pub record_kb: f64,
}

impl Default for KinesisSpec {
    fn default() -> Self {
        KinesisSpec { record_kb: 1.0 }
    }
}

/// MSK cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MskSpec {
    /// Broker type, e.g. `kafka.m5.large` (looked up as `msk.<broker>`).
    pub broker: String,
    /// Brokers.
    pub brokers: u32,
    /// Storage for the whole cluster, GB.
    pub storage_gb: f64,
}

impl Default for MskSpec {
    fn default() -> Self {
        MskSpec {
            broker: "kafka.m5.large".into(),
            brokers: 3,
            storage_gb: 1_000.0,
        }
    }
}

/// NAT gateway in front of calls to a third party.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatSpec {
    /// Bytes through the gateway per call (request and response).
    pub bytes_per_call: f64,
}

impl Default for NatSpec {
    fn default() -> Self {
        NatSpec {
            bytes_per_call: 2_000.0,
        }
    }
}

impl CostSpec {
    /// The variant's name as written in a blueprint.
    pub fn name(&self) -> &'static str {
        match self {
            CostSpec::Ec2(_) => "Ec2",
            CostSpec::Fargate(_) => "Fargate",
            CostSpec::Lambda(_) => "Lambda",
            CostSpec::Alb(_) => "Alb",
            CostSpec::Nlb(_) => "Nlb",
            CostSpec::ApiGatewayHttp => "ApiGatewayHttp",
            CostSpec::ApiGatewayRest => "ApiGatewayRest",
            CostSpec::ElastiCache(_) => "ElastiCache",
            CostSpec::CloudFront => "CloudFront",
            CostSpec::Rds(_) => "Rds",
            CostSpec::AuroraServerlessV2(_) => "AuroraServerlessV2",
            CostSpec::DynamoDb(_) => "DynamoDb",
            CostSpec::S3(_) => "S3",
            CostSpec::OpenSearch(_) => "OpenSearch",
            CostSpec::Sqs(_) => "Sqs",
            CostSpec::Sns(_) => "Sns",
            CostSpec::Kinesis(_) => "Kinesis",
            CostSpec::Msk(_) => "Msk",
            CostSpec::Nat(_) => "Nat",
            CostSpec::Unpriced => "Unpriced",
        }
    }

    /// Checks that the spec is one of `fitting`, the variant names that fit a node of the
    /// kind named `kind_name`.
    pub fn check_fits(&self, kind_name: &str, fitting: &[&str]) -> Result<(), String> {
        if fitting.contains(&self.name()) {
            return Ok(());
        }
        Err(format!(
            "cost {} does not fit a {kind_name}; expected one of: {}",
            self.name(),
            fitting.join(", ")
        ))
    }

    /// Checks that the spec's numbers are in range and that the sizes it names are in
    /// `table`.
    pub fn check(&self, table: &PriceTable) -> Result<(), String> {
        let positive = |what: &str, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "cost {}: {what} must be > 0, found {x}",
                    self.name()
                ))
            }
        };
        let at_least_zero = |what: &str, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "cost {}: {what} must be >= 0, found {x}",
                    self.name()
                ))
            }
        };
        let known = |key: String| table.get(&key).map(|_| ());
        match self {
            CostSpec::Ec2(s) => known(format!("ec2.{}", s.instance)),
            CostSpec::Fargate(s) => {
                positive("vcpu", s.vcpu)?;
                positive("memory_gb", s.memory_gb)
            }
            CostSpec::Lambda(s) => {
                if !(128.0..=10_240.0).contains(&s.memory_mb) {
                    return Err(format!(
                        "cost Lambda: memory_mb must be between 128 and 10240, found {}",
                        s.memory_mb
                    ));
                }
                s.duration_ms.map_or(Ok(()), |d| positive("duration_ms", d))
            }
            CostSpec::Alb(s) | CostSpec::Nlb(s) => {
                positive("requests_per_connection", s.requests_per_connection)
            }
            CostSpec::ElastiCache(s) => known(format!("elasticache.{}", s.node)),
            CostSpec::Rds(s) => {
                at_least_zero("storage_gb", s.storage_gb)?;
                let prefix = format!("rds.{}.db.{}.", s.engine.key(), s.family);
                if table.family(&prefix).is_empty() {
                    return Err(format!(
                        "cost Rds: no db.{}.* classes for {} in the price table",
                        s.family,
                        s.engine.key()
                    ));
                }
                Ok(())
            }
            CostSpec::AuroraServerlessV2(s) => {
                at_least_zero("storage_gb", s.storage_gb)?;
                at_least_zero("ios_per_write", s.ios_per_write)
            }
            CostSpec::DynamoDb(s) => {
                at_least_zero("storage_gb", s.storage_gb)?;
                positive("item_kb", s.item_kb)
            }
            CostSpec::S3(s) => at_least_zero("storage_gb", s.storage_gb),
            CostSpec::OpenSearch(s) => {
                at_least_zero("storage_gb", s.storage_gb)?;
                known(format!("opensearch.{}", s.instance))
            }
            CostSpec::Sqs(s) => positive("message_kb", s.message_kb),
            CostSpec::Sns(s) => at_least_zero("deliveries_per_message", s.deliveries_per_message),
            CostSpec::Kinesis(s) => positive("record_kb", s.record_kb),
            CostSpec::Msk(s) => {
                if s.brokers == 0 {
                    return Err("cost Msk: brokers must be at least 1".into());
                }
                at_least_zero("storage_gb", s.storage_gb)?;
                known(format!("msk.{}", s.broker))
            }
            CostSpec::Nat(s) => at_least_zero("bytes_per_call", s.bytes_per_call),
            CostSpec::ApiGatewayHttp
            | CostSpec::ApiGatewayRest
            | CostSpec::CloudFront
            | CostSpec::Unpriced => Ok(()),
        }
    }
}

impl CostSpec {
    /// vCPUs of one instance of the size this spec names, for the simulation's cores: an EC2
    /// instance type's (from `table`), a Fargate task's (fractions of a vCPU round up to one
    /// core), infinity for Lambda (each invocation runs in its own environment, so calls never
    /// wait for a core); `None` for anything else.
    pub fn instance_vcpus(&self, table: &PriceTable) -> Option<f64> {
        match self {
            CostSpec::Ec2(s) => table.get(&format!("ec2.{}", s.instance)).ok()?.vcpus,
            CostSpec::Fargate(s) => Some(s.vcpu.ceil().max(1.0)),
            CostSpec::Lambda(_) => Some(f64::INFINITY),
            _ => None,
        }
    }
}
