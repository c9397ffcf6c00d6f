//! Data stores: ElastiCache, RDS, Aurora Serverless v2, DynamoDB, S3, OpenSearch.

use crate::blueprint::NodeSpec;
use crate::cost::report::LineItem::{Compute, Requests, Storage};
use crate::cost::sizing::rds_class;
use crate::cost::usage::{Context, Priced, Usage, usage};
use crate::pricing::spec::{
    AuroraSpec, DynamoDbSpec, ElastiCacheSpec, OpenSearchSpec, RdsSpec, StorageSpec,
};

/// RDS Multi-AZ instance hours cost twice the Single-AZ price (AWS RDS pricing pages; the
/// reference notes say the same).
const MULTI_AZ_INSTANCE_FACTOR: f64 = 2.0;

/// Aurora capacity units per vCPU: an ACU is about 2 GiB of memory "with corresponding CPU",
/// and the memory-optimized classes have 8 GiB per vCPU (db.r5.large: 2 vCPU, 16 GiB).
const ACUS_PER_VCPU: f64 = 4.0;

/// Aurora Serverless v2's smallest capacity.
const MIN_ACUS: f64 = 0.5;

/// ElastiCache: `units` shards, each a primary plus its replicas.
pub(in crate::cost) fn elasticache(
    cx: &Context,
    node: &NodeSpec,
    s: &ElastiCacheSpec,
    units: u32,
) -> Priced {
    let nodes = units * (1 + s.replicas_per_shard);
    let usages = vec![usage(
        node,
        Compute,
        format!("elasticache.{}", s.node),
        format!("{nodes} x {}", s.node),
        f64::from(nodes) * cx.hours,
    )];
    Priced::new(
        format!("ElastiCache {}", s.node),
        format!("{nodes} x {}", s.node),
        usages,
    )
}

/// RDS: the class `units` vCPUs take (several of the largest past it, with a limit saying
/// so), read replicas alike, gp3 storage on each; Multi-AZ doubles the primary.
pub(in crate::cost) fn rds(
    cx: &Context,
    node: &NodeSpec,
    s: &RdsSpec,
    units: u32,
) -> Result<Priced, String> {
    let id = node.id.as_str();
    let hours = cx.hours;
    let replicas = node.kind.read_replicas();
    let (class, count) = rds_class(cx.table, s, units)
        .ok_or_else(|| format!("node \"{id}\": no RDS classes for its cost spec"))?;
    let class_name = class.key.rsplit_once(".db.").map_or("?", |(_, c)| c);
    let class_name = format!("db.{class_name}");
    let limit = (count > 1).then(|| {
        format!(
            "{id} needs {units} vCPUs, more than the largest {class_name} has: one primary cannot carry the load, so the data has to be split (sharding) or the reads moved (replicas, cache); priced as {count} x {class_name}"
        )
    });
    let az = if s.multi_az { "Multi-AZ" } else { "Single-AZ" };
    let mut usages = vec![Usage {
        factor: if s.multi_az {
            MULTI_AZ_INSTANCE_FACTOR
        } else {
            1.0
        },
        ..usage(
            node,
            Compute,
            class.key.clone(),
            format!("primary: {count} x {class_name}, {az}"),
            f64::from(count) * hours,
        )
    }];
    if replicas > 0 {
        usages.push(usage(
            node,
            Compute,
            class.key.clone(),
            format!("{replicas} read replicas x {count} x {class_name}"),
            f64::from(replicas * count) * hours,
        ));
    }
    let storage_key = if s.multi_az {
        "rds.storage.gp3.multi_az"
    } else {
        "rds.storage.gp3"
    };
    usages.push(usage(
        node,
        Storage,
        storage_key,
        format!("{} GB gp3, {az}", s.storage_gb),
        s.storage_gb * f64::from(count),
    ));
    if replicas > 0 {
        usages.push(usage(
            node,
            Storage,
            "rds.storage.gp3",
            format!(
                "{} GB gp3 on each of {replicas} read replicas",
                s.storage_gb
            ),
            s.storage_gb * f64::from(replicas * count),
        ));
    }
    let mut size = if count > 1 {
        format!("{count} x {class_name}")
    } else {
        class_name
    };
    if s.multi_az {
        size.push_str(" Multi-AZ");
    }
    if replicas > 0 {
        size.push_str(&format!(" + {replicas} replicas"));
    }
    Ok(Priced {
        limit,
        ..Priced::new(format!("RDS {}", s.engine.key()), size, usages)
    })
}

/// Aurora Serverless v2: ACU-hours for the unrounded need, storage, I/O for writes.
pub(in crate::cost) fn aurora_serverless_v2(
    cx: &Context,
    node: &NodeSpec,
    s: &AuroraSpec,
    need: f64,
) -> Priced {
    let id = node.id.as_str();
    let acus = (need * ACUS_PER_VCPU).max(MIN_ACUS);
    let writes = cx.arrivals_per_month(id) * (1.0 - cx.flows.read_share(id));
    let usages = vec![
        usage(
            node,
            Compute,
            "aurora.serverless_v2.acu",
            format!("{acus:.1} ACUs on average"),
            acus * cx.hours,
        ),
        usage(
            node,
            Storage,
            "aurora.storage",
            format!("{} GB", s.storage_gb),
            s.storage_gb,
        ),
        usage(
            node,
            Requests,
            "aurora.io",
            format!("{} I/Os per write", s.ios_per_write),
            writes * s.ios_per_write,
        ),
    ];
    Priced::new("Aurora Serverless v2", format!("{acus:.1} ACU"), usages)
}

/// DynamoDB on demand: read and write request units by item size, storage.
pub(in crate::cost) fn dynamodb(cx: &Context, node: &NodeSpec, s: &DynamoDbSpec) -> Priced {
    let id = node.id.as_str();
    let arrivals_per_month = cx.arrivals_per_month(id);
    let reads = arrivals_per_month * cx.flows.read_share(id);
    let writes = arrivals_per_month - reads;
    let rru = (s.item_kb / 4.0).ceil();
    let wru = s.item_kb.ceil();
    let usages = vec![
        usage(
            node,
            Requests,
            "dynamodb.read_request_units",
            format!("reads x {rru} units"),
            reads * rru,
        ),
        usage(
            node,
            Requests,
            "dynamodb.write_request_units",
            format!("writes x {wru} units"),
            writes * wru,
        ),
        usage(
            node,
            Storage,
            "dynamodb.storage",
            format!("{} GB", s.storage_gb),
            s.storage_gb,
        ),
    ];
    Priced::new("DynamoDB on demand", "per request", usages)
}

/// S3 Standard: GETs for reads, PUTs for writes, storage.
pub(in crate::cost) fn s3(cx: &Context, node: &NodeSpec, s: &StorageSpec) -> Priced {
    let id = node.id.as_str();
    let arrivals_per_month = cx.arrivals_per_month(id);
    let reads = arrivals_per_month * cx.flows.read_share(id);
    let usages = vec![
        usage(node, Requests, "s3.get", "GETs".into(), reads),
        usage(
            node,
            Requests,
            "s3.put",
            "PUTs".into(),
            arrivals_per_month - reads,
        ),
        usage(
            node,
            Storage,
            "s3.storage",
            format!("{} GB", s.storage_gb),
            s.storage_gb,
        ),
    ];
    Priced::new("S3 Standard", format!("{} GB", s.storage_gb), usages)
}

/// OpenSearch: data nodes enough for `units` vCPUs, EBS storage.
pub(in crate::cost) fn opensearch(
    cx: &Context,
    node: &NodeSpec,
    s: &OpenSearchSpec,
    units: u32,
) -> Result<Priced, String> {
    let key = format!("opensearch.{}", s.instance);
    let per = cx.table.get(&key)?.vcpus.unwrap_or(1.0);
    let nodes = (f64::from(units) / per).ceil().max(1.0);
    let usages = vec![
        usage(
            node,
            Compute,
            key,
            format!("{nodes} x {}", s.instance),
            nodes * cx.hours,
        ),
        usage(
            node,
            Storage,
            "opensearch.storage.gp2",
            format!("{} GB", s.storage_gb),
            s.storage_gb,
        ),
    ];
    Ok(Priced::new(
        format!("OpenSearch {}", s.instance),
        format!("{nodes} x {}", s.instance),
        usages,
    ))
}
