//! The curve's shape: the line item that grows fastest, and the multiple where the marginal
//! cost per request changes most, with the size and price-tier steps around it.

use super::format::{multiple_name, thousands};
use super::report::{Bend, Growth, LineItem, Point};
use crate::pricing::{Price, PriceTable, Unit};

pub(super) fn fastest_item(points: &[Point]) -> Option<Growth> {
    let (first, last) = (points.first()?, points.last()?);
    if points.len() < 2 {
        return None;
    }
    LineItem::ALL
        .iter()
        .map(|&item| {
            let a = first.item_usd_per_month(item);
            let b = last.item_usd_per_month(item);
            let factor = if a > 0.005 {
                b / a
            } else if b > 0.005 {
                f64::INFINITY
            } else {
                0.0
            };
            Growth {
                item,
                first_usd_per_month: a,
                last_usd_per_month: b,
                factor,
            }
        })
        .filter(|g| g.last_usd_per_month > 0.005)
        .max_by(|a, b| {
            a.factor
                .partial_cmp(&b.factor)
                .expect("factors are not NaN")
                .then(a.last_usd_per_month.total_cmp(&b.last_usd_per_month))
        })
}

/// Dollars per extra million requests between two points.
fn marginal_usd_per_million(a: &Point, b: &Point) -> f64 {
    let requests = b.requests_per_month - a.requests_per_month;
    if requests.abs() < 1.0 {
        0.0
    } else {
        (b.usd_per_month - a.usd_per_month) / requests * 1e6
    }
}

/// The interior point where the marginal cost per request changes the most.
pub(super) fn bend(points: &[Point], table: &PriceTable) -> Option<Bend> {
    if points.len() < 3 {
        return None;
    }
    let scale = points[0].usd_per_million_requests.max(1e-9);
    let (at, before, after) = (1..points.len() - 1)
        .map(|j| {
            let before = marginal_usd_per_million(&points[j - 1], &points[j]);
            let after = marginal_usd_per_million(&points[j], &points[j + 1]);
            (j, before, after)
        })
        .max_by(|x, y| {
            let dx = (x.2 - x.1).abs() / scale;
            let dy = (y.2 - y.1).abs() / scale;
            dx.total_cmp(&dy)
        })?;
    let mut steps = steps_between(&points[at - 1], &points[at], table);
    steps.extend(steps_between(&points[at], &points[at + 1], table));
    Some(Bend {
        at_multiple: points[at].multiple,
        usd_per_million_before: before,
        usd_per_million_after: after,
        steps,
    })
}

/// Size changes and price tiers crossed between two points, in words.
fn steps_between(a: &Point, b: &Point, table: &PriceTable) -> Vec<String> {
    let mut steps = Vec::new();
    for nb in &b.nodes {
        if let Some(na) = a.nodes.iter().find(|n| n.id == nb.id)
            && na.size != nb.size
            && na.service == nb.service
            && nb.size_steps
        {
            steps.push(format!(
                "{} goes from {} to {} at {}",
                nb.id,
                na.size,
                nb.size,
                multiple_name(b.multiple)
            ));
        }
    }
    for (key, &tier) in &b.tiers {
        let before = a.tiers.get(key).copied().unwrap_or(0);
        if tier == before {
            continue;
        }
        let Ok(price) = table.get(key) else {
            continue;
        };
        let from = price.tiers[tier].from;
        steps.push(format!(
            "{} {} passes {} {} a month at {}, where the price becomes ${} per {}",
            price.service,
            price.what.split(" (").next().unwrap_or(&price.what),
            thousands(from),
            price.unit.base_name(),
            multiple_name(b.multiple),
            price.usd_per_unit_in_tier(tier),
            unit_name(price)
        ));
    }
    steps
}

fn unit_name(price: &Price) -> String {
    match price.unit {
        Unit::Requests(n) => format!("{} requests", thousands(n as f64)),
        other => other.base_name().trim_end_matches('s').to_string(),
    }
}
