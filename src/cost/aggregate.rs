//! Aggregation: every node's charges at one traffic level, tiers applied to the whole
//! account's use of each price, summed by line item and by node into a [`Point`]. Each node
//! is priced by its service's function in [`super::services`].

use std::collections::BTreeMap;

use super::config::EstimateConfig;
use super::report::{CostLine, LineItem, NodeCost, Point};
use super::services::{compute, data_stores, messaging, network};
use super::sizing::{needed_units, steady_span_s, units_for};
use super::transfer::{cross_zone_transfer, internet_transfer};
use super::usage::{Context, Priced, simulated_duration_ms};
use crate::blueprint::flow::Flows;
use crate::blueprint::{Blueprint, NodeSpec};
use crate::pricing::{CostSpec, PriceTable};
use crate::run::Summary;

/// Prices one run of `blueprint` at `multiple`: each node at the units its load needs (never
/// below `floors`), bytes to users and across zones, tiers applied to the account's totals.
pub(super) fn price(
    blueprint: &Blueprint,
    floors: &BTreeMap<String, u32>,
    summary: &Summary,
    table: &PriceTable,
    config: &EstimateConfig,
    multiple: f64,
) -> Result<Point, String> {
    let client_rps: f64 = blueprint.total_rps();
    let bytes_per_response = if client_rps > 0.0 {
        blueprint
            .nodes
            .iter()
            .filter_map(|n| {
                let (rps, bytes) = n.kind.offered_rps().zip(n.kind.response_bytes())?;
                Some(rps * bytes as f64)
            })
            .sum::<f64>()
            / client_rps
    } else {
        0.0
    };
    let cx = Context {
        table,
        summary,
        flows: Flows::of(blueprint),
        span_s: steady_span_s(blueprint, summary),
        seconds: table.seconds_per_month(),
        hours: table.hours_per_month,
        bytes_per_response,
        target: config.target_utilization,
    };
    let mut usages = Vec::new();
    let mut described = BTreeMap::new();
    let mut short = Vec::new();
    let mut limits = Vec::new();
    for node in &blueprint.nodes {
        let Some(spec) = node.priced_as() else {
            continue;
        };
        let floor = floors
            .get(&node.id)
            .copied()
            .or(node.kind.capacity_units())
            .unwrap_or(1);
        let need = needed_units(node, summary, cx.span_s, cx.target);
        let units = units_for(node, need, floor, table);
        if node
            .kind
            .capacity_units()
            .is_some_and(|simulated| need > simulated as f64 + 1e-9)
        {
            short.push(node.id.clone());
        }
        let priced = price_node(&cx, node, &spec, units, need)?;
        described.insert(
            node.id.clone(),
            (priced.service, priced.size, Priced::steps(&spec)),
        );
        usages.extend(priced.usages);
        limits.extend(priced.limit);
    }
    for (client, service, usage) in internet_transfer(blueprint, &cx) {
        let size = format!("{:.1} TB a month", usage.quantity / 1_000.0);
        described.insert(client, (service.to_string(), size, false));
        usages.push(usage);
    }
    usages.extend(cross_zone_transfer(blueprint, &cx, config));

    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
    for u in &usages {
        *totals.entry(u.key.as_str()).or_default() += u.quantity;
    }
    let mut lines = Vec::new();
    for u in &usages {
        let price = table.get(&u.key)?;
        let total = totals[u.key.as_str()];
        let share = if total > 0.0 { u.quantity / total } else { 0.0 };
        lines.push(CostLine {
            node: u.node.clone(),
            item: u.item,
            price_key: u.key.clone(),
            what: u.what.clone(),
            quantity: u.quantity,
            unit: price.unit.base_name(),
            usd_per_month: price.usd_for(total) * share * u.factor,
        });
    }
    let tiers = totals
        .iter()
        .filter_map(|(key, total)| {
            let price = table.get(key).ok()?;
            (price.tiers.len() > 1).then(|| (key.to_string(), price.tier_at(*total)))
        })
        .collect();

    let mut by_item: BTreeMap<LineItem, f64> = LineItem::ALL.iter().map(|i| (*i, 0.0)).collect();
    for line in &lines {
        *by_item.entry(line.item).or_default() += line.usd_per_month;
    }
    let nodes = blueprint
        .nodes
        .iter()
        .filter_map(|n| {
            let (service, size, size_steps) = described.get(&n.id)?.clone();
            // A fold from +0: a float sum of nothing is -0, shown as "-0.00" (unpriced nodes).
            let usd_per_month = lines
                .iter()
                .filter(|l| l.node == n.id)
                .map(|l| l.usd_per_month)
                .fold(0.0, |a, b| a + b);
            Some(NodeCost {
                id: n.id.clone(),
                service,
                size,
                size_steps,
                usd_per_month,
                call_ms: n
                    .kind
                    .runs_on_compute()
                    .then(|| simulated_duration_ms(&cx, &n.id)),
            })
        })
        .collect();
    let usd_per_month: f64 = lines.iter().map(|l| l.usd_per_month).sum();
    let requests_per_month = blueprint
        .nodes
        .iter()
        .filter(|n| n.kind.offered_rps().is_some())
        .map(|n| cx.arrival_rate(&n.id))
        .sum::<f64>()
        * cx.seconds;
    Ok(Point {
        multiple,
        rps: client_rps,
        requests_per_month,
        usd_per_month,
        usd_per_million_requests: if requests_per_month > 0.0 {
            usd_per_month / requests_per_month * 1e6
        } else {
            0.0
        },
        by_item,
        nodes,
        lines,
        tiers,
        error_rate: summary.error_rate,
        runs: 1,
        short_of_capacity: short,
        limits,
        pools_grown: Vec::new(),
    })
}

/// The charges of one node at `units` capacity units (`need` is the unrounded need, for
/// services that scale by the second).
fn price_node(
    cx: &Context,
    node: &NodeSpec,
    spec: &CostSpec,
    units: u32,
    need: f64,
) -> Result<Priced, String> {
    Ok(match spec {
        CostSpec::Unpriced => Priced::new("not priced", "-", Vec::new()),
        CostSpec::Ec2(s) => compute::ec2(cx, node, s, units),
        CostSpec::Fargate(s) => compute::fargate(cx, node, s, units),
        CostSpec::Lambda(s) => compute::lambda(cx, node, s),
        CostSpec::Alb(s) => network::alb(cx, node, s)?,
        CostSpec::Nlb(s) => network::nlb(cx, node, s)?,
        CostSpec::ApiGatewayHttp => network::api_gateway_http(cx, node),
        CostSpec::ApiGatewayRest => network::api_gateway_rest(cx, node),
        CostSpec::CloudFront => network::cloudfront(cx, node),
        CostSpec::Nat(s) => network::nat(cx, node, s),
        CostSpec::ElastiCache(s) => data_stores::elasticache(cx, node, s, units),
        CostSpec::Rds(s) => data_stores::rds(cx, node, s, units)?,
        CostSpec::AuroraServerlessV2(s) => data_stores::aurora_serverless_v2(cx, node, s, need),
        CostSpec::DynamoDb(s) => data_stores::dynamodb(cx, node, s),
        CostSpec::S3(s) => data_stores::s3(cx, node, s),
        CostSpec::OpenSearch(s) => data_stores::opensearch(cx, node, s, units)?,
        CostSpec::Sqs(s) => messaging::sqs(cx, node, s, units),
        CostSpec::Sns(s) => messaging::sns(cx, node, s, units),
        CostSpec::Kinesis(s) => messaging::kinesis(cx, node, s, units),
        CostSpec::Msk(s) => messaging::msk(cx, node, s, units),
    })
}
