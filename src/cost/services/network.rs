//! Network services: load balancers (ALB, NLB), API Gateway, CloudFront, NAT gateways.

use crate::blueprint::NodeSpec;
use crate::cost::report::LineItem::{Compute, DataTransfer, Requests};
use crate::cost::usage::{BYTES_PER_GB, Context, Priced, usage};
use crate::pricing::spec::{LoadBalancerSpec, NatSpec};

/// Application Load Balancer: hours and LCUs.
pub(in crate::cost) fn alb(
    cx: &Context,
    node: &NodeSpec,
    s: &LoadBalancerSpec,
) -> Result<Priced, String> {
    load_balancer(cx, node, s, "alb", "ALB")
}

/// Network Load Balancer: hours and NLCUs.
pub(in crate::cost) fn nlb(
    cx: &Context,
    node: &NodeSpec,
    s: &LoadBalancerSpec,
) -> Result<Priced, String> {
    load_balancer(cx, node, s, "nlb", "NLB")
}

/// A load balancer priced as `{name}.hours` and `{name}.lcu`, its capacity units from the
/// dimensions the price table gives for `{name}.lcu`.
fn load_balancer(
    cx: &Context,
    node: &NodeSpec,
    s: &LoadBalancerSpec,
    name: &str,
    label: &str,
) -> Result<Priced, String> {
    let id = node.id.as_str();
    let lcu_key = format!("{name}.lcu");
    let per = cx
        .table
        .get(&lcu_key)?
        .capacity_unit
        .as_ref()
        .ok_or_else(|| format!("price \"{lcu_key}\" has no capacity_unit"))?;
    let rate = cx.arrival_rate(id);
    let in_flight = cx.summary.nodes.get(id).map_or(0.0, |n| n.in_flight);
    let gb_per_hour = rate * cx.bytes_per_response * 3_600.0 / BYTES_PER_GB;
    let by_requests = (rate / s.requests_per_connection / per.new_connections_per_s)
        .max(in_flight / per.active_connections);
    let by_bytes = gb_per_hour / per.gb_per_hour;
    let lcus = by_requests.max(by_bytes);
    // Billed on the largest dimension: bytes processed, or connections.
    let lcu_item = if by_bytes >= by_requests {
        DataTransfer
    } else {
        Requests
    };
    let usages = vec![
        usage(
            node,
            Compute,
            format!("{name}.hours"),
            "load balancer hours".into(),
            cx.hours,
        ),
        usage(
            node,
            lcu_item,
            lcu_key,
            format!("{lcus:.1} capacity units"),
            lcus * cx.hours,
        ),
    ];
    Ok(Priced::new(label, format!("{lcus:.1} LCU"), usages))
}

/// API Gateway HTTP API: per request.
pub(in crate::cost) fn api_gateway_http(cx: &Context, node: &NodeSpec) -> Priced {
    api_gateway(cx, node, "http")
}

/// API Gateway REST API: per request, tiered.
pub(in crate::cost) fn api_gateway_rest(cx: &Context, node: &NodeSpec) -> Priced {
    api_gateway(cx, node, "rest")
}

fn api_gateway(cx: &Context, node: &NodeSpec, kind: &str) -> Priced {
    let usages = vec![usage(
        node,
        Requests,
        format!("apigateway.{kind}.requests"),
        "API requests".into(),
        cx.arrivals_per_month(&node.id),
    )];
    Priced::new(
        format!("API Gateway {}", kind.to_uppercase()),
        "per request",
        usages,
    )
}

/// CloudFront: HTTPS requests, and the bytes of the reads it misses fetched from the origin.
pub(in crate::cost) fn cloudfront(cx: &Context, node: &NodeSpec) -> Priced {
    let id = node.id.as_str();
    let arrivals_per_month = cx.arrivals_per_month(id);
    let hit = cx
        .summary
        .nodes
        .get(id)
        .and_then(|n| n.hit_rate)
        .unwrap_or(0.0);
    let misses = arrivals_per_month * cx.flows.read_share(id) * (1.0 - hit);
    let usages = vec![
        usage(
            node,
            Requests,
            "cloudfront.https_requests",
            "HTTPS requests".into(),
            arrivals_per_month,
        ),
        usage(
            node,
            DataTransfer,
            "cloudfront.origin_fetch",
            format!("origin fetches ({:.1}% of reads miss)", (1.0 - hit) * 100.0),
            misses * cx.bytes_per_response / BYTES_PER_GB,
        ),
    ];
    Priced::new("CloudFront", format!("{:.1}% hits", hit * 100.0), usages)
}

/// NAT gateway: hours, and the bytes of the calls through it.
pub(in crate::cost) fn nat(cx: &Context, node: &NodeSpec, s: &NatSpec) -> Priced {
    let usages = vec![
        usage(
            node,
            Compute,
            "nat_gateway.hours",
            "NAT gateway hours".into(),
            cx.hours,
        ),
        usage(
            node,
            DataTransfer,
            "nat_gateway.data_processed",
            format!("{} bytes per call", s.bytes_per_call),
            cx.arrivals_per_month(&node.id) * s.bytes_per_call / BYTES_PER_GB,
        ),
    ];
    Priced::new("NAT gateway", "1 gateway", usages)
}
