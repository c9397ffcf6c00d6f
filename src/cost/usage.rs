//! What pricing one node takes and gives: the traffic it sees ([`Context`]), the quantities
//! it is charged for ([`Usage`]) and how it is described ([`Priced`]).

use super::report::LineItem;
use crate::blueprint::NodeSpec;
use crate::blueprint::flow::Flows;
use crate::pricing::{CostSpec, PriceTable};
use crate::run::Summary;

/// Bytes in a GB as AWS prices transfer (10^9).
pub(super) const BYTES_PER_GB: f64 = 1e9;

/// A quantity to price before tiers are applied across the account.
pub(super) struct Usage {
    pub(super) node: String,
    pub(super) item: LineItem,
    pub(super) key: String,
    pub(super) what: String,
    pub(super) quantity: f64,
    /// Multiplies the price (Multi-AZ instance hours).
    pub(super) factor: f64,
}

/// What pricing one node needs to know.
pub(super) struct Context<'a> {
    pub(super) table: &'a PriceTable,
    pub(super) summary: &'a Summary,
    pub(super) flows: Flows,
    pub(super) span_s: Option<f64>,
    pub(super) seconds: f64,
    pub(super) hours: f64,
    pub(super) bytes_per_response: f64,
    pub(super) target: f64,
}

impl Context<'_> {
    /// Calls per second arriving at node `id`, as simulated.
    pub(super) fn arrival_rate(&self, id: &str) -> f64 {
        self.summary.nodes.get(id).map_or(0.0, |s| s.arrival_rate)
    }

    /// Calls arriving at node `id` in the month.
    pub(super) fn arrivals_per_month(&self, id: &str) -> f64 {
        self.arrival_rate(id) * self.seconds
    }
}

/// A node's charges, and how it is described.
pub(super) struct Priced {
    pub(super) service: String,
    pub(super) size: String,
    pub(super) usages: Vec<Usage>,
    /// Set when the node needs more than its largest size.
    pub(super) limit: Option<String>,
}

impl Priced {
    /// A node's charges within its sizes (no limit).
    pub(super) fn new(
        service: impl Into<String>,
        size: impl Into<String>,
        usages: Vec<Usage>,
    ) -> Priced {
        Priced {
            service: service.into(),
            size: size.into(),
            usages,
            limit: None,
        }
    }

    /// Whether the spec's size moves in whole instances or classes.
    pub(super) fn steps(spec: &CostSpec) -> bool {
        matches!(
            spec,
            CostSpec::Ec2(_)
                | CostSpec::Fargate(_)
                | CostSpec::ElastiCache(_)
                | CostSpec::Rds(_)
                | CostSpec::OpenSearch(_)
                | CostSpec::Sqs(_)
                | CostSpec::Sns(_)
                | CostSpec::Kinesis(_)
                | CostSpec::Msk(_)
        )
    }
}

/// A quantity `q` of the price `key` charged to `node`, at the price's own rate.
pub(super) fn usage(
    node: &NodeSpec,
    item: LineItem,
    key: impl Into<String>,
    what: String,
    q: f64,
) -> Usage {
    Usage {
        node: node.id.clone(),
        item,
        key: key.into(),
        what,
        quantity: q,
        factor: 1.0,
    }
}

/// The time a Lambda would be billed for a call at this node: the simulated time at the node
/// less its queue wait (a Lambda does not queue; a blocking one is billed while it waits).
pub(super) fn simulated_duration_ms(cx: &Context, id: &str) -> f64 {
    cx.summary
        .nodes
        .get(id)
        .map_or(0.0, |s| (s.latency.mean_ms - s.mean_wait_ms).max(0.0))
}
