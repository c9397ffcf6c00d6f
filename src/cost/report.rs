//! What an estimate says: the cost at each traffic multiple (by node, by line item, every
//! priced quantity), the line item that grows fastest, where the curve bends, and the prose.

use std::collections::BTreeMap;

use serde::Serialize;

/// What the output says about its own figures.
pub const DISCLAIMER: &str = "List-price estimates, not bills: on-demand us-east-1 prices with \
    no Savings Plans, reservations, discounts, taxes or support, always-free allowances applied \
    once for the whole account.";

/// The four kinds of charge the breakdown is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineItem {
    /// Instances, tasks, capacity units, function duration, hourly fees.
    Compute,
    /// Stored gigabytes.
    Storage,
    /// Per-request fees: invocations, request units, LCUs, API calls, messages.
    Requests,
    /// Bytes out to the internet, through CloudFront, across zones, through NAT.
    DataTransfer,
}

impl LineItem {
    /// Every line item, in report order.
    pub const ALL: [LineItem; 4] = [
        LineItem::Compute,
        LineItem::Storage,
        LineItem::Requests,
        LineItem::DataTransfer,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            LineItem::Compute => "compute",
            LineItem::Storage => "storage",
            LineItem::Requests => "requests",
            LineItem::DataTransfer => "data transfer",
        }
    }
}

/// One priced quantity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    /// The node it belongs to.
    pub node: String,
    /// Its line item.
    pub item: LineItem,
    /// The price table key.
    pub price_key: String,
    /// What is counted, in words.
    pub what: String,
    /// Quantity a month, in `unit`.
    pub quantity: f64,
    /// The quantity's unit (hours, GB, requests...).
    pub unit: &'static str,
    /// Its share of the monthly cost, tiers applied to the whole account's use of the price.
    pub usd_per_month: f64,
}

/// One node's cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeCost {
    /// Node id.
    pub id: String,
    /// The AWS service it maps to.
    pub service: String,
    /// Its size at this traffic, in words (e.g. `2 x m5.large`).
    pub size: String,
    /// Whether the size moves in whole instances or classes (a change is a step in cost).
    pub size_steps: bool,
    /// Its monthly cost.
    pub usd_per_month: f64,
    /// For a service: the simulated time a call holds it, less queue wait (what a Lambda
    /// would be billed for).
    pub call_ms: Option<f64>,
}

/// The estimate at one traffic level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Multiple of the blueprint's rate.
    pub multiple: f64,
    /// Offered requests per second (all clients).
    pub rps: f64,
    /// Requests the clients sent in the month, as simulated.
    pub requests_per_month: f64,
    /// Total.
    pub usd_per_month: f64,
    /// Total over requests.
    pub usd_per_million_requests: f64,
    /// By line item.
    pub by_item: BTreeMap<LineItem, f64>,
    /// By node, in blueprint order (nodes with no charge left out).
    pub nodes: Vec<NodeCost>,
    /// Every priced quantity.
    pub lines: Vec<CostLine>,
    /// The tier each tiered price's monthly total reached (index into its tiers).
    pub tiers: BTreeMap<String, usize>,
    /// Simulated errors / answered requests in the last run.
    pub error_rate: f64,
    /// Simulated runs it took to size the nodes.
    pub runs: u32,
    /// Nodes still above the target utilization after the last run.
    pub short_of_capacity: Vec<String>,
    /// Sizes past what one instance can be (the architecture has to change there).
    pub limits: Vec<String>,
    /// Callers whose connection pools had to grow (configuration, not cost) to carry it.
    pub pools_grown: Vec<String>,
}

impl Point {
    /// The monthly cost of one line item.
    pub fn item_usd_per_month(&self, item: LineItem) -> f64 {
        self.by_item.get(&item).copied().unwrap_or(0.0)
    }
}

/// Growth of a line item across the curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Growth {
    /// The line item.
    pub item: LineItem,
    /// Its cost at the first multiple.
    pub first_usd_per_month: f64,
    /// Its cost at the last multiple.
    pub last_usd_per_month: f64,
    /// last / first (infinite when it starts at zero).
    pub factor: f64,
}

/// Where the cost curve changes slope the most.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bend {
    /// The multiple it bends at.
    pub at_multiple: f64,
    /// Dollars per extra million requests on the segment before.
    pub usd_per_million_before: f64,
    /// Dollars per extra million requests on the segment after.
    pub usd_per_million_after: f64,
    /// Instance, class and price-tier steps on those two segments.
    pub steps: Vec<String>,
}

/// A whole estimate: the points, the curve's shape, and what it means in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Blueprint name.
    pub blueprint: String,
    /// AWS region of the prices.
    pub region: String,
    /// Date of the price table.
    pub prices_as_of: String,
    /// That these are list-price estimates, not bills.
    pub disclaimer: String,
    /// Requests per second at 1x.
    pub base_rps: f64,
    /// Simulated seconds per run.
    pub duration_s: f64,
    /// Seed of the runs.
    pub seed: u64,
    /// Utilization the sizes keep under.
    pub target_utilization: f64,
    /// One per multiple.
    pub points: Vec<Point>,
    /// The line item that grows fastest.
    pub fastest_item: Option<Growth>,
    /// Where the curve bends.
    pub bend: Option<Bend>,
    /// What the numbers say, in sentences.
    pub findings: Vec<String>,
    /// What the estimate assumes.
    pub assumptions: Vec<String>,
}
