//! What the numbers say, in sentences: the fastest-growing line item, the bend, the largest
//! cost, where Lambda would cost what the instances do, grown pools, limits and shortfalls.

use super::format::{dollars, multiple_name, thousands};
use super::report::{Bend, Growth, LineItem, Point};
use super::services::compute::lambda_break_even_rps;
use crate::blueprint::Blueprint;
use crate::pricing::spec::LambdaSpec;
use crate::pricing::{CostSpec, PriceTable};

/// A change in the marginal cost per request smaller than this is called nearly straight.
const SLIGHT_BEND: f64 = 0.15;

pub(super) fn findings(
    blueprint: &Blueprint,
    points: &[Point],
    fastest: Option<&Growth>,
    bend: Option<&Bend>,
    table: &PriceTable,
) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return out;
    };
    let traffic = last.multiple / first.multiple;
    if let Some(g) = fastest {
        let how = if g.factor.is_finite() {
            format!(
                "{} to {} a month from {} to {} (x{:.1}, against x{:.0} traffic)",
                dollars(g.first_usd_per_month),
                dollars(g.last_usd_per_month),
                multiple_name(first.multiple),
                multiple_name(last.multiple),
                g.factor,
                traffic
            )
        } else {
            format!(
                "nothing at {} (inside the free allowances) and {} a month at {}",
                multiple_name(first.multiple),
                dollars(g.last_usd_per_month),
                multiple_name(last.multiple)
            )
        };
        out.push(format!(
            "The fastest-growing line item is {}: {how}.",
            g.item.name()
        ));
    }
    if let Some(b) = bend {
        let change = (b.usd_per_million_after - b.usd_per_million_before)
            / b.usd_per_million_before.abs().max(1e-9);
        let direction = if change.abs() < SLIGHT_BEND {
            format!(
                "a change of {:+.0}%: the curve is close to a straight line, cost nearly proportional to traffic",
                change * 100.0
            )
        } else if change > 0.0 {
            format!(
                "{:+.0}%: cost starts growing faster than traffic",
                change * 100.0
            )
        } else {
            format!(
                "{:+.0}%: cost grows more slowly than traffic (fixed costs spread, volume tiers)",
                change * 100.0
            )
        };
        let mut text = format!(
            "The curve bends most at {}: each extra million requests costs {} before it and {} after it, {direction}.",
            multiple_name(b.at_multiple),
            dollars(b.usd_per_million_before),
            dollars(b.usd_per_million_after)
        );
        if !b.steps.is_empty() {
            text.push_str(&format!(" Around it: {}.", b.steps.join("; ")));
        }
        out.push(text);
    }
    for p in points {
        if let Some(top) = p
            .nodes
            .iter()
            .max_by(|a, b| a.usd_per_month.total_cmp(&b.usd_per_month))
            .filter(|_| p.usd_per_month > 0.0)
            .filter(|_| p.multiple == first.multiple || p.multiple == last.multiple)
        {
            out.push(format!(
                "At {} the largest cost is {} ({}, {}): {:.0}% of {} a month.",
                multiple_name(p.multiple),
                top.id,
                top.service,
                top.size,
                top.usd_per_month / p.usd_per_month * 100.0,
                dollars(p.usd_per_month)
            ));
        }
    }
    out.extend(lambda_findings(blueprint, first, table));
    if let Some(p) = points.iter().find(|p| !p.pools_grown.is_empty()) {
        out.push(format!(
            "From {} {} waited for pooled connections (the pools, or what is behind them, were full): their pools were enlarged with the sizing, which costs nothing but has to be configured.",
            multiple_name(p.multiple),
            p.pools_grown.join(", ")
        ));
    }
    for p in points {
        for limit in &p.limits {
            out.push(format!("At {}: {limit}.", multiple_name(p.multiple)));
        }
        if p.error_rate > 0.005 {
            out.push(format!(
                "At {} the simulated run still failed {:.1}% of requests: the figure prices what the sized system served.",
                multiple_name(p.multiple),
                p.error_rate * 100.0
            ));
        }
        if !p.short_of_capacity.is_empty() {
            out.push(format!(
                "At {} these nodes stayed above the target utilization after {} runs, and are priced at the size they would need: {}.",
                multiple_name(p.multiple),
                p.runs,
                p.short_of_capacity.join(", ")
            ));
        }
    }
    out
}

/// For each service on EC2 or Fargate at the first point: the rate at which Lambda, at its
/// simulated duration, would cost the same as its instances.
fn lambda_findings(blueprint: &Blueprint, first: &Point, table: &PriceTable) -> Vec<String> {
    let spec = LambdaSpec::default();
    // Services with the same size, cost and duration say the same thing: one sentence.
    type Group<'a> = ((String, String, String), Vec<&'a str>, f64, f64);
    let mut groups: Vec<Group> = Vec::new();
    for node in &blueprint.nodes {
        if !node.kind.runs_on_compute()
            || !matches!(
                node.priced_as(),
                Some(CostSpec::Ec2(_) | CostSpec::Fargate(_))
            )
        {
            continue;
        }
        let Some(cost) = first.nodes.iter().find(|n| n.id == node.id) else {
            continue;
        };
        let Some(duration_ms) = cost.call_ms else {
            continue;
        };
        let compute: f64 = first
            .lines
            .iter()
            .filter(|l| l.node == node.id && l.item == LineItem::Compute)
            .map(|l| l.usd_per_month)
            .sum();
        let Ok(Some(rps)) = lambda_break_even_rps(table, &spec, duration_ms, compute) else {
            continue;
        };
        let key = (cost.size.clone(), dollars(compute), thousands(rps));
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => {
                g.1.push(&node.id);
                g.2 = g.2.min(duration_ms);
                g.3 = g.3.max(duration_ms);
            }
            None => groups.push((key, vec![&node.id], duration_ms, duration_ms)),
        }
    }
    groups
        .into_iter()
        .map(|((size, usd, rps), ids, low_ms, high_ms)| {
            let each = if ids.len() > 1 { " (each)" } else { "" };
            let ms = if format!("{low_ms:.1}") == format!("{high_ms:.1}") {
                format!("{low_ms:.1}")
            } else {
                format!("{low_ms:.1}-{high_ms:.1}")
            };
            format!(
                "{}{each} at {}: Lambda ({} MB, {ms} ms a call as simulated) would cost what {size} costs ({usd} a month) at {rps} RPS; below that Lambda is cheaper, above it the instances are.",
                ids.join(", "),
                multiple_name(first.multiple),
                spec.memory_mb,
            )
        })
        .collect()
}
