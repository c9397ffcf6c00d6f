//! The network between where two nodes run, for edges that do not set their own latency:
//! the same zone (or no placement), another zone of the region, or another region, whose
//! latency comes from a table of measured round trips between AWS regions.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 14): intra-AZ RTT ~0.4 ms,
//! cross-AZ 1 ms (0.5-2 ms); inter-region ping RTTs measured in 2019 (Richard Imaoka's AWS
//! cross-region ping analysis; CloudPing). A one-way latency is half the round trip.

use super::schema::NodeSpec;
use crate::sim::Dist;

/// Inter-region round trips, ms (symmetric).
const REGION_RTT_MS: &[(&str, &str, f64)] = &[
    ("us-east-1", "us-east-2", 12.0),
    ("us-east-1", "us-west-2", 72.0),
    ("us-east-1", "eu-west-1", 76.0),
    ("us-east-1", "eu-central-1", 88.0),
    ("us-east-1", "ap-northeast-1", 153.0),
    ("us-east-1", "ap-southeast-1", 227.0),
    ("us-west-2", "eu-west-1", 132.0),
    ("us-west-2", "ap-southeast-1", 163.0),
    ("eu-west-1", "ap-southeast-1", 175.0),
];

/// The round trip assumed between two regions the table does not list, ms: a
/// cross-continent path.
pub const UNLISTED_REGION_RTT_MS: f64 = 100.0;

/// One-way latency within a zone (or between nodes placed nowhere): a network hop with its
/// kernel and load-balancer overheads.
pub fn same_zone() -> Dist {
    Dist::LogNormal { p50: 0.5, p99: 2.0 }
}

/// One-way latency between zones of one region: half a millisecond more than within one.
pub fn cross_zone() -> Dist {
    Dist::LogNormal { p50: 1.0, p99: 2.5 }
}

/// The round trip between regions `a` and `b`, ms.
pub fn region_rtt_ms(a: &str, b: &str) -> f64 {
    REGION_RTT_MS
        .iter()
        .find(|(x, y, _)| (*x == a && *y == b) || (*x == b && *y == a))
        .map_or(UNLISTED_REGION_RTT_MS, |&(.., rtt)| rtt)
}

/// One-way latency between regions: half the round trip, nearly constant.
pub fn cross_region(a: &str, b: &str) -> Dist {
    let one_way = region_rtt_ms(a, b) / 2.0;
    Dist::LogNormal {
        p50: one_way,
        p99: one_way + 2.0,
    }
}

/// The latency of an edge from `from` to `to` that sets none, from where they run.
pub fn latency_between(from: &NodeSpec, to: &NodeSpec) -> Dist {
    match (&from.region, &to.region) {
        (Some(a), Some(b)) if a != b => return cross_region(a, b),
        _ => {}
    }
    match (&from.zone, &to.zone) {
        (Some(a), Some(b)) if a != b => cross_zone(),
        _ => same_zone(),
    }
}
