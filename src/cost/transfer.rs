//! Data transfer that belongs to no one node's service: bytes to users (out to the internet
//! or through CloudFront) and answers crossing availability zones.

use super::config::EstimateConfig;
use super::report::LineItem;
use super::usage::{BYTES_PER_GB, Context, Usage, usage};
use crate::blueprint::{Blueprint, NodeSpec};
use crate::nodes::SizedBy;
use crate::pricing::CostSpec;

/// Bytes to users, charged to the client (the users) where they leave AWS: through
/// CloudFront if the node the client calls is a CDN, else as data transfer out to the
/// internet. Returns (client id, how it leaves, usage).
pub(super) fn internet_transfer(
    blueprint: &Blueprint,
    cx: &Context,
) -> Vec<(String, &'static str, Usage)> {
    let mut out = Vec::new();
    for node in &blueprint.nodes {
        let Some(response_bytes) = node.kind.response_bytes() else {
            continue;
        };
        let Some(edge) = blueprint.edges.iter().find(|e| e.from == node.id) else {
            continue;
        };
        let Some(entry) = blueprint.nodes.iter().find(|n| n.id == edge.to) else {
            continue;
        };
        let answered_per_s = cx.summary.nodes.get(&node.id).map_or(0.0, |s| s.throughput);
        let gb = answered_per_s * response_bytes as f64 * cx.seconds / BYTES_PER_GB;
        let (key, service) = match entry.priced_as() {
            Some(CostSpec::CloudFront) => ("cloudfront.data_transfer_out", "out via CloudFront"),
            Some(CostSpec::Unpriced) | None => continue,
            _ if entry.kind.is_third_party() => continue,
            _ => ("data_transfer.internet_out", "out to the internet"),
        };
        let what = format!(
            "responses to users through {} ({} bytes each)",
            entry.id, response_bytes
        );
        out.push((
            node.id.clone(),
            service,
            usage(node, LineItem::DataTransfer, key, what, gb),
        ));
    }
    out
}

/// Whether a node's calls leave from instances placed in zones: its workers make them (EC2,
/// Fargate, Lambda in a VPC, queue consumers).
fn zonal_caller(node: &NodeSpec) -> bool {
    match node.priced_as() {
        Some(CostSpec::Unpriced) | None => false,
        _ => node.kind.sized_by() == SizedBy::Workers,
    }
}

/// Whether calls to a node reach an instance in one zone (regional services such as S3,
/// DynamoDB, SQS and Lambda have no cross-zone charge, nor do load balancers to targets).
fn zonal_callee(node: &NodeSpec) -> bool {
    matches!(
        node.priced_as(),
        Some(
            CostSpec::Ec2(_)
                | CostSpec::Fargate(_)
                | CostSpec::ElastiCache(_)
                | CostSpec::Rds(_)
                | CostSpec::AuroraServerlessV2(_)
                | CostSpec::OpenSearch(_)
                | CostSpec::Msk(_)
        )
    )
}

/// Answers crossing zones between zonal callers and callees, charged leaving one zone and
/// entering the other. Where both nodes name a `zone`, a call crosses if they differ;
/// otherwise instances are spread evenly over `availability_zones` and a call crosses with
/// probability 1 - 1/zones.
pub(super) fn cross_zone_transfer(
    blueprint: &Blueprint,
    cx: &Context,
    config: &EstimateConfig,
) -> Vec<Usage> {
    let zones = f64::from(config.availability_zones.max(1));
    let crossing = 1.0 - 1.0 / zones;
    let mut usages = Vec::new();
    for callee in blueprint.nodes.iter().filter(|n| zonal_callee(n)) {
        let mut calls_per_s = 0.0;
        for edge in blueprint.edges.iter().filter(|e| e.to == callee.id) {
            let Some(caller) = blueprint.nodes.iter().find(|n| n.id == edge.from) else {
                continue;
            };
            if zonal_caller(caller) {
                // Both ends placed: they are in one zone or they are not.
                let share = match (&caller.zone, &callee.zone) {
                    (Some(a), Some(b)) => f64::from(u8::from(a != b)),
                    _ => crossing,
                };
                calls_per_s += cx.arrival_rate(&callee.id)
                    * cx.flows.edge_share(blueprint, &caller.id, &callee.id)
                    * share;
            }
        }
        if calls_per_s > 0.0 {
            let gb = calls_per_s * cx.seconds * cx.bytes_per_response / BYTES_PER_GB;
            usages.push(usage(
                callee,
                LineItem::DataTransfer,
                "data_transfer.inter_az",
                "answers crossing zones, charged out and in".into(),
                2.0 * gb,
            ));
        }
    }
    usages
}
