//! The estimate: each node mapped to an AWS service and size, priced from simulated traffic
//! at several multiples of the blueprint's rate, and the shape of the resulting curve.
//!
//! At each multiple the blueprint runs headless. A node whose simulated utilization (counting
//! the calls it could not take) is above the target gets more capacity and the run is
//! repeated, so the traffic priced is the traffic of a system sized to carry it. Sizes never
//! fall below what the blueprint says. Requests and bytes come from the simulated rates;
//! what a CDN or a cache absorbs is what its simulated hits took off the path behind it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::flow::Flows;
use super::prices::{Price, PriceTable};
use super::spec::{CostSpec, LambdaSpec};
use crate::blueprint::{Blueprint, NodeSpec};
use crate::nodes::NodeKind;
use crate::run::{HeadlessRun, RunConfig, Summary};

/// The traffic multiples the curve is drawn at.
pub const MULTIPLES: [f64; 4] = [1.0, 2.0, 5.0, 10.0];

/// Bytes in a GB as AWS prices transfer (10^9).
const BYTES_PER_GB: f64 = 1e9;

/// RDS Multi-AZ instance hours cost twice the Single-AZ price (AWS RDS pricing pages; the
/// reference notes say the same).
const MULTI_AZ_INSTANCE_FACTOR: f64 = 2.0;

/// Aurora capacity units per vCPU: an ACU is about 2 GiB of memory "with corresponding CPU",
/// and the memory-optimized classes have 8 GiB per vCPU (db.r5.large: 2 vCPU, 16 GiB).
const ACUS_PER_VCPU: f64 = 4.0;

/// Aurora Serverless v2's smallest capacity.
const MIN_ACUS: f64 = 0.5;

/// What a message queue's consumers run on, and how many consumers one instance runs.
const CONSUMER_INSTANCE: &str = "m5.large";
const CONSUMERS_PER_INSTANCE: f64 = 100.0;

/// SQS requests per message: send, receive, delete.
const SQS_REQUESTS_PER_MESSAGE: f64 = 3.0;

/// What the output says about its own figures.
pub const DISCLAIMER: &str = "List-price estimates, not bills: on-demand us-east-1 prices with \
    no Savings Plans, reservations, discounts, taxes or support, always-free allowances applied \
    once for the whole account.";

/// How an estimate is run.
#[derive(Clone, Debug, PartialEq)]
pub struct EstimateConfig {
    /// Multiples of the blueprint's rate to price, ascending.
    pub multiples: Vec<f64>,
    /// Simulated seconds of each run.
    pub duration_s: f64,
    /// Seed of every run.
    pub seed: u64,
    /// Utilization a sized node should stay under (0..1).
    pub target_utilization: f64,
    /// Availability zones the instances are spread over (for cross-zone transfer).
    pub availability_zones: u32,
    /// Runs at one multiple before the sizes are taken as they are.
    pub max_runs: u32,
}

impl Default for EstimateConfig {
    fn default() -> Self {
        EstimateConfig {
            multiples: MULTIPLES.to_vec(),
            duration_s: 20.0,
            seed: 1,
            target_utilization: 0.7,
            availability_zones: 2,
            max_runs: 6,
        }
    }
}

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

/// Prices `blueprint` at every multiple in `config`, simulating each (and re-simulating with
/// more capacity where a node runs above the target). `progress` is told (multiple, run).
pub fn estimate(
    blueprint: &Blueprint,
    table: &PriceTable,
    config: &EstimateConfig,
    mut progress: impl FnMut(f64, u32),
) -> Result<Estimate, String> {
    check_specs(blueprint, table)?;
    if !(config.target_utilization > 0.0 && config.target_utilization <= 1.0) {
        return Err("the target utilization must be in (0, 1]".into());
    }
    if config.multiples.is_empty()
        || config
            .multiples
            .iter()
            .any(|m| !(m.is_finite() && *m > 0.0))
        || config.multiples.windows(2).any(|w| w[1] <= w[0])
    {
        return Err("the multiples must be positive and in ascending order".into());
    }
    let base_rps = blueprint.total_rps();
    let floors = capacity_of(blueprint);
    let mut points = Vec::new();
    // Each multiple starts from the sizes the one before it needed: they only grow with
    // traffic, and it saves runs. Pricing still goes down to what this traffic needs.
    let mut sized = blueprint.clone();
    for &multiple in &config.multiples {
        sized.set_total_rps(base_rps * multiple);
        let mut runs = 0;
        let mut pools_grown = BTreeSet::new();
        let summary = loop {
            runs += 1;
            progress(multiple, runs);
            let summary = simulate(&sized, config)?;
            let resize = resize(&sized, &summary, table, config);
            if resize.is_empty() || runs >= config.max_runs {
                break summary;
            }
            pools_grown.extend(resize.pools.keys().cloned());
            resize.apply(&mut sized);
        };
        let mut point = price(&sized, &floors, &summary, table, config, multiple)?;
        point.runs = runs;
        point.pools_grown = pools_grown.into_iter().collect();
        points.push(point);
    }
    let fastest_item = fastest_item(&points);
    let bend = bend(&points, table);
    let findings = findings(
        blueprint,
        &points,
        fastest_item.as_ref(),
        bend.as_ref(),
        table,
    );
    Ok(Estimate {
        blueprint: blueprint.name.clone(),
        region: table.region.clone(),
        prices_as_of: table.as_of.clone(),
        disclaimer: DISCLAIMER.into(),
        base_rps,
        duration_s: config.duration_s,
        seed: config.seed,
        target_utilization: config.target_utilization,
        points,
        fastest_item,
        bend,
        findings,
        assumptions: assumptions(table, config),
    })
}

/// Prices one simulated run of `blueprint` as it stands (its sizes are the floor), without
/// simulating: the summary may come from a run or be written by hand.
pub fn price_run(
    blueprint: &Blueprint,
    summary: &Summary,
    table: &PriceTable,
    config: &EstimateConfig,
) -> Result<Point, String> {
    check_specs(blueprint, table)?;
    price(
        blueprint,
        &capacity_of(blueprint),
        summary,
        table,
        config,
        1.0,
    )
}

/// The rate at which Lambda (`spec`'s memory and architecture, `duration_ms` per call) costs
/// `usd_per_month`, free tier included; `None` if it never does below 10^9 RPS.
pub fn lambda_break_even_rps(
    table: &PriceTable,
    spec: &LambdaSpec,
    duration_ms: f64,
    usd_per_month: f64,
) -> Result<Option<f64>, String> {
    let requests = table.get("lambda.requests")?;
    let duration = table.get(lambda_duration_key(spec))?;
    let secs = table.seconds_per_month();
    let cost = |rps: f64| {
        let calls = rps * secs;
        requests.usd_for(calls)
            + duration.usd_for(calls * duration_ms / 1_000.0 * spec.memory_mb / 1_024.0)
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while cost(hi) < usd_per_month {
        hi *= 2.0;
        if hi > 1e9 {
            return Ok(None);
        }
    }
    // The cost rises with the rate, so bisection finds the crossing.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cost(mid) < usd_per_month {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Some(0.5 * (lo + hi)))
}

fn lambda_duration_key(spec: &LambdaSpec) -> &'static str {
    if spec.arm {
        "lambda.arm.duration"
    } else {
        "lambda.x86.duration"
    }
}

/// The spec a node is priced with: its own, or its kind's default.
pub fn spec_of(node: &NodeSpec) -> Option<CostSpec> {
    node.cost
        .clone()
        .or_else(|| CostSpec::default_for(&node.kind))
}

fn check_specs(blueprint: &Blueprint, table: &PriceTable) -> Result<(), String> {
    for node in &blueprint.nodes {
        if let Some(spec) = &node.cost {
            spec.check(&node.kind, table)
                .map_err(|e| format!("node \"{}\": {e}", node.id))?;
        }
    }
    Ok(())
}

fn simulate(blueprint: &Blueprint, config: &EstimateConfig) -> Result<Summary, String> {
    let mut sim = HeadlessRun::new(blueprint, RunConfig::new(config.seed, config.duration_s))?;
    sim.run(|_, _| {});
    Ok(sim.summary())
}

// ------------------------------------------------------------------------------- sizing

/// The blueprint parameter that sets a node's capacity: a service's or cache's replicas, a
/// database's cores, a queue's consumers.
fn capacity_units(kind: &NodeKind) -> Option<u32> {
    match kind {
        NodeKind::Service(p) => Some(p.replicas),
        NodeKind::Cache(p) => Some(p.replicas),
        NodeKind::Database(p) => Some(p.cpu_cores),
        NodeKind::MessageQueue(p) => Some(p.consumers),
        _ => None,
    }
}

fn set_capacity_units(kind: &mut NodeKind, units: u32) {
    match kind {
        NodeKind::Service(p) => p.replicas = units,
        NodeKind::Cache(p) => p.replicas = units,
        NodeKind::Database(p) => {
            p.cpu_cores = units;
            p.max_connections = p.max_connections.max(units);
        }
        NodeKind::MessageQueue(p) => p.consumers = units,
        _ => {}
    }
}

fn capacity_of(blueprint: &Blueprint) -> BTreeMap<String, u32> {
    blueprint
        .nodes
        .iter()
        .filter_map(|n| capacity_units(&n.kind).map(|u| (n.id.clone(), u)))
        .collect()
}

/// Seconds of steady state the summary covers (its requests over the clients' rate).
fn steady_span_s(blueprint: &Blueprint, summary: &Summary) -> Option<f64> {
    let client_rate: f64 = blueprint
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Client(_)))
        .filter_map(|n| summary.nodes.get(&n.id))
        .map(|s| s.arrival_rate)
        .sum();
    (summary.arrivals > 0 && client_rate > 0.0).then(|| summary.arrivals as f64 / client_rate)
}

/// The utilization a node would have at its present size if it took every call that arrived:
/// the busy share, scaled by arrivals over calls started when it turned some away or fell
/// behind. For a database, the busiest of the primary and its replicas.
fn offered_utilization(node: &NodeSpec, summary: &Summary, span_s: Option<f64>) -> f64 {
    let one = |id: &str| {
        let Some(s) = summary.nodes.get(id) else {
            return 0.0;
        };
        let started_per_s = span_s.map_or(0.0, |span| s.started as f64 / span);
        if started_per_s > 0.0 && s.arrival_rate > started_per_s {
            s.utilization * s.arrival_rate / started_per_s
        } else {
            s.utilization
        }
    };
    let mut u = one(&node.id);
    if let NodeKind::Database(p) = &node.kind {
        for k in 1..=p.read_replicas {
            u = u.max(one(&format!("{}-replica-{k}", node.id)));
        }
    }
    u
}

/// Capacity units the node needs to stay at the target utilization (not rounded).
fn needed_units(node: &NodeSpec, summary: &Summary, span_s: Option<f64>, target: f64) -> f64 {
    let units = capacity_units(&node.kind).unwrap_or(0) as f64;
    units * offered_utilization(node, summary, span_s) / target
}

/// Units to price (or to simulate) for a need: whole units, at least `floor`; an RDS
/// database rounds up to its instance class's vCPUs.
fn units_for(node: &NodeSpec, need: f64, floor: u32, table: &PriceTable) -> u32 {
    let whole = (need.ceil() as u32).max(floor).max(1);
    match (spec_of(node), &node.kind) {
        (Some(CostSpec::Rds(s)), NodeKind::Database(_)) => match rds_class(table, &s, whole) {
            Some((class, 1)) => class.vcpus.map_or(whole, |v| v as u32),
            _ => whole,
        },
        _ => whole,
    }
}

/// Mean calls waiting for a pooled connection at which a caller's pools count as too small.
const POOL_WAITERS_TOO_MANY: f64 = 1.0;

/// The most a caller's pools grow in one step.
const MAX_POOL_GROWTH: f64 = 16.0;

/// What to change before the next run at the same multiple.
#[derive(Debug, Default)]
struct Resize {
    /// Nodes to give more capacity, with their new units.
    units: BTreeMap<String, u32>,
    /// Callers whose pools are the bottleneck, with the factor their pools grow by.
    pools: BTreeMap<String, f64>,
}

impl Resize {
    fn is_empty(&self) -> bool {
        self.units.is_empty() && self.pools.is_empty()
    }

    /// Applies the changes. Pools belong to instances in a real deployment, so a caller's
    /// pools grow with its replicas; a database accepts as many connections as its callers'
    /// pools can open, and at least one per core.
    fn apply(&self, blueprint: &mut Blueprint) {
        let mut pool_factor: BTreeMap<String, f64> = BTreeMap::new();
        for node in &mut blueprint.nodes {
            if let Some(&units) = self.units.get(&node.id) {
                let before = capacity_units(&node.kind).unwrap_or(units).max(1);
                set_capacity_units(&mut node.kind, units);
                if matches!(node.kind, NodeKind::Service(_) | NodeKind::MessageQueue(_)) {
                    pool_factor.insert(node.id.clone(), f64::from(units) / f64::from(before));
                }
            }
            if let Some(factor) = self.pools.get(&node.id) {
                *pool_factor.entry(node.id.clone()).or_insert(1.0) *= factor;
            }
        }
        for edge in &mut blueprint.edges {
            if let (Some(pool), Some(factor)) = (&mut edge.pool, pool_factor.get(&edge.from)) {
                pool.size = (f64::from(pool.size) * factor).ceil() as u32;
            }
        }
        let pooled_into = |id: &str, edges: &[crate::blueprint::EdgeSpec]| -> u32 {
            edges
                .iter()
                .filter(|e| e.to == id)
                .filter_map(|e| e.pool.map(|p| p.size))
                .sum()
        };
        let limits: Vec<(usize, u32)> = blueprint
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.kind {
                NodeKind::Database(p) => Some((
                    i,
                    p.max_connections
                        .max(p.cpu_cores)
                        .max(pooled_into(&n.id, &blueprint.edges)),
                )),
                _ => None,
            })
            .collect();
        for (i, limit) in limits {
            if let NodeKind::Database(p) = &mut blueprint.nodes[i].kind {
                p.max_connections = limit;
            }
        }
    }
}

/// What to change before the next run. A caller waiting for pooled connections gets bigger
/// pools rather than replicas; any other node above the target gets more capacity, unless
/// something it calls is short too (a blocking caller looks busy while its callee is slow).
fn resize(
    blueprint: &Blueprint,
    summary: &Summary,
    table: &PriceTable,
    config: &EstimateConfig,
) -> Resize {
    let span = steady_span_s(blueprint, summary);
    let mut resize = Resize::default();
    let mut short = BTreeMap::new();
    for node in &blueprint.nodes {
        if let Some(s) = summary.nodes.get(&node.id)
            && s.pool_size > 0
            && (s.pool_waiters >= POOL_WAITERS_TOO_MANY || s.errors.contains_key("pool_exhausted"))
        {
            // Calls wanting a connection: those holding one and those waiting.
            let wanted = (s.pool_in_use + s.pool_waiters) / config.target_utilization;
            let factor = (wanted / s.pool_in_use.max(1.0)).clamp(2.0, MAX_POOL_GROWTH);
            resize.pools.insert(node.id.clone(), factor.ceil());
            continue;
        }
        let Some(units) = capacity_units(&node.kind) else {
            continue;
        };
        let need = needed_units(node, summary, span, config.target_utilization);
        let grown = units_for(node, need, units, table);
        if grown > units {
            short.insert(node.id.clone(), grown);
        }
    }
    let waiting: BTreeSet<&String> = short.keys().chain(resize.pools.keys()).collect();
    let leaves: BTreeMap<String, u32> = short
        .iter()
        .filter(|(id, _)| {
            !reachable(blueprint, id)
                .iter()
                .any(|other| other != *id && waiting.contains(other))
        })
        .map(|(id, u)| (id.clone(), *u))
        .collect();
    resize.units = if leaves.is_empty() && resize.pools.is_empty() {
        short
    } else {
        leaves
    };
    resize
}

/// Every node reachable from `id` over edges (including `id`).
fn reachable(blueprint: &Blueprint, id: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::from([id.to_string()]);
    let mut stack = vec![id.to_string()];
    while let Some(at) = stack.pop() {
        for edge in blueprint.edges.iter().filter(|e| e.from == at) {
            if seen.insert(edge.to.clone()) {
                stack.push(edge.to.clone());
            }
        }
    }
    seen
}

/// The smallest class of the spec's family with at least `vcpus`, and how many of them; past
/// the largest class, several of the largest (the database would have to be split).
fn rds_class<'t>(
    table: &'t PriceTable,
    spec: &super::spec::RdsSpec,
    vcpus: u32,
) -> Option<(&'t Price, u32)> {
    let family = table.family(&format!("rds.{}.db.{}.", spec.engine.key(), spec.family));
    let largest = *family.last()?;
    match family
        .iter()
        .find(|p| p.vcpus.unwrap_or(0.0) >= vcpus as f64)
    {
        Some(class) => Some((class, 1)),
        None => {
            let per = largest.vcpus.unwrap_or(1.0);
            Some((largest, (vcpus as f64 / per).ceil() as u32))
        }
    }
}

// ------------------------------------------------------------------------------- pricing

/// A quantity to price before tiers are applied across the account.
struct Usage {
    node: String,
    item: LineItem,
    key: String,
    what: String,
    quantity: f64,
    /// Multiplies the price (Multi-AZ instance hours).
    factor: f64,
}

/// What pricing one node needs to know.
struct Context<'a> {
    table: &'a PriceTable,
    summary: &'a Summary,
    flows: Flows,
    span_s: Option<f64>,
    seconds: f64,
    hours: f64,
    bytes_per_response: f64,
    target: f64,
}

impl Context<'_> {
    fn arrival_rate(&self, id: &str) -> f64 {
        self.summary.nodes.get(id).map_or(0.0, |s| s.arrival_rate)
    }
}

/// A node's charges, and how it is described.
struct Priced {
    service: String,
    size: String,
    usages: Vec<Usage>,
    /// Set when the node needs more than its largest size.
    limit: Option<String>,
}

impl Priced {
    /// Whether the spec's size moves in whole instances or classes.
    fn steps(spec: &CostSpec) -> bool {
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

fn price(
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
            .filter_map(|n| match &n.kind {
                NodeKind::Client(c) => Some(c.rps * c.response_bytes as f64),
                _ => None,
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
        let Some(spec) = spec_of(node) else {
            continue;
        };
        let floor = floors
            .get(&node.id)
            .copied()
            .or(capacity_units(&node.kind))
            .unwrap_or(1);
        let need = needed_units(node, summary, cx.span_s, cx.target);
        let units = units_for(node, need, floor, table);
        if capacity_units(&node.kind).is_some_and(|simulated| need > simulated as f64 + 1e-9) {
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
            let usd_per_month = lines
                .iter()
                .filter(|l| l.node == n.id)
                .map(|l| l.usd_per_month)
                .sum();
            Some(NodeCost {
                id: n.id.clone(),
                service,
                size,
                size_steps,
                usd_per_month,
                call_ms: matches!(n.kind, NodeKind::Service(_))
                    .then(|| simulated_duration_ms(&cx, &n.id)),
            })
        })
        .collect();
    let usd_per_month: f64 = lines.iter().map(|l| l.usd_per_month).sum();
    let requests_per_month = blueprint
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Client(_)))
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

fn usage(node: &NodeSpec, item: LineItem, key: impl Into<String>, what: String, q: f64) -> Usage {
    Usage {
        node: node.id.clone(),
        item,
        key: key.into(),
        what,
        quantity: q,
        factor: 1.0,
    }
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
    use LineItem::{Compute, DataTransfer, Requests, Storage};
    let id = node.id.as_str();
    let arrivals_per_month = cx.arrival_rate(id) * cx.seconds;
    let hours = cx.hours;
    let mut usages = Vec::new();
    let mut limit = None;
    let (service, size) = match spec {
        CostSpec::Unpriced => ("not priced".to_string(), "-".to_string()),
        CostSpec::Ec2(s) => {
            let n = f64::from(units);
            usages.push(usage(
                node,
                Compute,
                format!("ec2.{}", s.instance),
                format!("{units} x {}", s.instance),
                n * hours,
            ));
            (
                format!("EC2 {}", s.instance),
                format!("{units} x {}", s.instance),
            )
        }
        CostSpec::Fargate(s) => {
            let arch = if s.arm { "arm" } else { "x86" };
            let n = f64::from(units);
            usages.push(usage(
                node,
                Compute,
                format!("fargate.{arch}.vcpu"),
                format!("{units} tasks x {} vCPU", s.vcpu),
                n * s.vcpu * hours,
            ));
            usages.push(usage(
                node,
                Compute,
                format!("fargate.{arch}.memory"),
                format!("{units} tasks x {} GB", s.memory_gb),
                n * s.memory_gb * hours,
            ));
            (
                format!("Fargate {} vCPU / {} GB", s.vcpu, s.memory_gb),
                format!("{units} tasks"),
            )
        }
        CostSpec::Lambda(s) => {
            let duration_ms = s
                .duration_ms
                .unwrap_or_else(|| simulated_duration_ms(cx, id));
            usages.push(usage(
                node,
                Requests,
                "lambda.requests",
                "invocations".into(),
                arrivals_per_month,
            ));
            usages.push(usage(
                node,
                Compute,
                lambda_duration_key(s),
                format!("{duration_ms:.1} ms x {} MB per invocation", s.memory_mb),
                arrivals_per_month * duration_ms / 1_000.0 * s.memory_mb / 1_024.0,
            ));
            (
                format!("Lambda {} MB", s.memory_mb),
                format!("{duration_ms:.1} ms a call"),
            )
        }
        CostSpec::Alb(s) | CostSpec::Nlb(s) => {
            let alb = matches!(spec, CostSpec::Alb(_));
            let (name, per_new, per_active) = if alb {
                ("alb", 25.0, 3_000.0)
            } else {
                ("nlb", 800.0, 100_000.0)
            };
            let rate = cx.arrival_rate(id);
            let in_flight = cx.summary.nodes.get(id).map_or(0.0, |n| n.in_flight);
            let gb_per_hour = rate * cx.bytes_per_response * 3_600.0 / BYTES_PER_GB;
            let by_requests =
                (rate / s.requests_per_connection / per_new).max(in_flight / per_active);
            let lcus = by_requests.max(gb_per_hour);
            // Billed on the largest dimension: bytes processed, or connections.
            let lcu_item = if gb_per_hour >= by_requests {
                DataTransfer
            } else {
                Requests
            };
            usages.push(usage(
                node,
                Compute,
                format!("{name}.hours"),
                "load balancer hours".into(),
                hours,
            ));
            usages.push(usage(
                node,
                lcu_item,
                format!("{name}.lcu"),
                format!("{lcus:.1} capacity units"),
                lcus * hours,
            ));
            let label = if alb { "ALB" } else { "NLB" };
            (label.to_string(), format!("{lcus:.1} LCU"))
        }
        CostSpec::ApiGatewayHttp | CostSpec::ApiGatewayRest => {
            let kind = if matches!(spec, CostSpec::ApiGatewayHttp) {
                "http"
            } else {
                "rest"
            };
            usages.push(usage(
                node,
                Requests,
                format!("apigateway.{kind}.requests"),
                "API requests".into(),
                arrivals_per_month,
            ));
            (
                format!("API Gateway {}", kind.to_uppercase()),
                "per request".into(),
            )
        }
        CostSpec::ElastiCache(s) => {
            let nodes = units * (1 + s.replicas_per_shard);
            usages.push(usage(
                node,
                Compute,
                format!("elasticache.{}", s.node),
                format!("{nodes} x {}", s.node),
                f64::from(nodes) * hours,
            ));
            (
                format!("ElastiCache {}", s.node),
                format!("{nodes} x {}", s.node),
            )
        }
        CostSpec::CloudFront => {
            usages.push(usage(
                node,
                Requests,
                "cloudfront.https_requests",
                "HTTPS requests".into(),
                arrivals_per_month,
            ));
            let hit = cx
                .summary
                .nodes
                .get(id)
                .and_then(|n| n.hit_rate)
                .unwrap_or(0.0);
            let misses = arrivals_per_month * cx.flows.read_share(id) * (1.0 - hit);
            usages.push(usage(
                node,
                DataTransfer,
                "cloudfront.origin_fetch",
                format!("origin fetches ({:.1}% of reads miss)", (1.0 - hit) * 100.0),
                misses * cx.bytes_per_response / BYTES_PER_GB,
            ));
            ("CloudFront".into(), format!("{:.1}% hits", hit * 100.0))
        }
        CostSpec::Rds(s) => {
            let replicas = match &node.kind {
                NodeKind::Database(p) => p.read_replicas,
                _ => 0,
            };
            let (class, count) = rds_class(cx.table, s, units)
                .ok_or_else(|| format!("node \"{id}\": no RDS classes for its cost spec"))?;
            let class_name = class.key.rsplit_once(".db.").map_or("?", |(_, c)| c);
            let class_name = format!("db.{class_name}");
            if count > 1 {
                limit = Some(format!(
                    "{id} needs {units} vCPUs, more than the largest {class_name} has: one primary cannot carry the load, so the data has to be split (sharding) or the reads moved (replicas, cache); priced as {count} x {class_name}"
                ));
            }
            let az = if s.multi_az { "Multi-AZ" } else { "Single-AZ" };
            usages.push(Usage {
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
            });
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
            (format!("RDS {}", s.engine.key()), size)
        }
        CostSpec::AuroraServerlessV2(s) => {
            let acus = (need * ACUS_PER_VCPU).max(MIN_ACUS);
            let writes = arrivals_per_month * (1.0 - cx.flows.read_share(id));
            usages.push(usage(
                node,
                Compute,
                "aurora.serverless_v2.acu",
                format!("{acus:.1} ACUs on average"),
                acus * hours,
            ));
            usages.push(usage(
                node,
                Storage,
                "aurora.storage",
                format!("{} GB", s.storage_gb),
                s.storage_gb,
            ));
            usages.push(usage(
                node,
                Requests,
                "aurora.io",
                format!("{} I/Os per write", s.ios_per_write),
                writes * s.ios_per_write,
            ));
            ("Aurora Serverless v2".into(), format!("{acus:.1} ACU"))
        }
        CostSpec::DynamoDb(s) => {
            let reads = arrivals_per_month * cx.flows.read_share(id);
            let writes = arrivals_per_month - reads;
            let rru = (s.item_kb / 4.0).ceil();
            let wru = s.item_kb.ceil();
            usages.push(usage(
                node,
                Requests,
                "dynamodb.read_request_units",
                format!("reads x {rru} units"),
                reads * rru,
            ));
            usages.push(usage(
                node,
                Requests,
                "dynamodb.write_request_units",
                format!("writes x {wru} units"),
                writes * wru,
            ));
            usages.push(usage(
                node,
                Storage,
                "dynamodb.storage",
                format!("{} GB", s.storage_gb),
                s.storage_gb,
            ));
            ("DynamoDB on demand".into(), "per request".into())
        }
        CostSpec::S3(s) => {
            let reads = arrivals_per_month * cx.flows.read_share(id);
            usages.push(usage(node, Requests, "s3.get", "GETs".into(), reads));
            usages.push(usage(
                node,
                Requests,
                "s3.put",
                "PUTs".into(),
                arrivals_per_month - reads,
            ));
            usages.push(usage(
                node,
                Storage,
                "s3.storage",
                format!("{} GB", s.storage_gb),
                s.storage_gb,
            ));
            ("S3 Standard".into(), format!("{} GB", s.storage_gb))
        }
        CostSpec::OpenSearch(s) => {
            let key = format!("opensearch.{}", s.instance);
            let per = cx.table.get(&key)?.vcpus.unwrap_or(1.0);
            let nodes = (f64::from(units) / per).ceil().max(1.0);
            usages.push(usage(
                node,
                Compute,
                key,
                format!("{nodes} x {}", s.instance),
                nodes * hours,
            ));
            usages.push(usage(
                node,
                Storage,
                "opensearch.storage.gp2",
                format!("{} GB", s.storage_gb),
                s.storage_gb,
            ));
            (
                format!("OpenSearch {}", s.instance),
                format!("{nodes} x {}", s.instance),
            )
        }
        CostSpec::Sqs(s) => {
            let kind = if s.fifo { "fifo" } else { "standard" };
            let per_message = SQS_REQUESTS_PER_MESSAGE * (s.message_kb / 64.0).ceil();
            usages.push(usage(
                node,
                Requests,
                format!("sqs.{kind}.requests"),
                format!("{per_message} requests per message"),
                arrivals_per_month * per_message,
            ));
            usages.push(consumers(node, units, hours));
            (format!("SQS {kind}"), consumer_size(units))
        }
        CostSpec::Sns(s) => {
            usages.push(usage(
                node,
                Requests,
                "sns.publishes",
                "publishes".into(),
                arrivals_per_month,
            ));
            usages.push(usage(
                node,
                Requests,
                "sns.http_deliveries",
                format!("{} deliveries per message", s.deliveries_per_message),
                arrivals_per_month * s.deliveries_per_message,
            ));
            usages.push(consumers(node, units, hours));
            ("SNS".into(), consumer_size(units))
        }
        CostSpec::Kinesis(s) => {
            let rate = cx.arrival_rate(id);
            let shards = (rate / 1_000.0)
                .max(rate * s.record_kb / 1_000.0)
                .ceil()
                .max(1.0);
            usages.push(usage(
                node,
                Compute,
                "kinesis.shard_hours",
                format!("{shards} shards"),
                shards * hours,
            ));
            usages.push(usage(
                node,
                Requests,
                "kinesis.put_units",
                "PUT payload units".into(),
                arrivals_per_month * (s.record_kb / 25.0).ceil(),
            ));
            usages.push(consumers(node, units, hours));
            ("Kinesis".into(), format!("{shards} shards"))
        }
        CostSpec::Msk(s) => {
            usages.push(usage(
                node,
                Compute,
                format!("msk.{}", s.broker),
                format!("{} x {}", s.brokers, s.broker),
                f64::from(s.brokers) * hours,
            ));
            usages.push(usage(
                node,
                Storage,
                "msk.storage",
                format!("{} GB", s.storage_gb),
                s.storage_gb,
            ));
            usages.push(consumers(node, units, hours));
            (
                format!("MSK {}", s.broker),
                format!("{} brokers", s.brokers),
            )
        }
        CostSpec::Nat(s) => {
            usages.push(usage(
                node,
                Compute,
                "nat_gateway.hours",
                "NAT gateway hours".into(),
                hours,
            ));
            usages.push(usage(
                node,
                DataTransfer,
                "nat_gateway.data_processed",
                format!("{} bytes per call", s.bytes_per_call),
                arrivals_per_month * s.bytes_per_call / BYTES_PER_GB,
            ));
            ("NAT gateway".into(), "1 gateway".into())
        }
    };
    Ok(Priced {
        service,
        size,
        usages,
        limit,
    })
}

/// The time a Lambda would be billed for a call at this node: the simulated time at the node
/// less its queue wait (a Lambda does not queue; a blocking one is billed while it waits).
fn simulated_duration_ms(cx: &Context, id: &str) -> f64 {
    cx.summary
        .nodes
        .get(id)
        .map_or(0.0, |s| (s.latency.mean_ms - s.mean_wait_ms).max(0.0))
}

/// A queue's consumers, on EC2.
fn consumers(node: &NodeSpec, units: u32, hours: f64) -> Usage {
    let instances = (f64::from(units) / CONSUMERS_PER_INSTANCE).ceil().max(1.0);
    usage(
        node,
        LineItem::Compute,
        format!("ec2.{CONSUMER_INSTANCE}"),
        format!("consumers: {instances} x {CONSUMER_INSTANCE}"),
        instances * hours,
    )
}

fn consumer_size(units: u32) -> String {
    let instances = (f64::from(units) / CONSUMERS_PER_INSTANCE).ceil().max(1.0);
    format!("{units} consumers on {instances} x {CONSUMER_INSTANCE}")
}

/// Bytes to users, charged to the client (the users) where they leave AWS: through
/// CloudFront if the node the client calls is a CDN, else as data transfer out to the
/// internet. Returns (client id, how it leaves, usage).
fn internet_transfer(blueprint: &Blueprint, cx: &Context) -> Vec<(String, &'static str, Usage)> {
    let mut out = Vec::new();
    for node in &blueprint.nodes {
        let NodeKind::Client(c) = &node.kind else {
            continue;
        };
        let Some(edge) = blueprint.edges.iter().find(|e| e.from == node.id) else {
            continue;
        };
        let Some(entry) = blueprint.nodes.iter().find(|n| n.id == edge.to) else {
            continue;
        };
        let answered_per_s = cx.summary.nodes.get(&node.id).map_or(0.0, |s| s.throughput);
        let gb = answered_per_s * c.response_bytes as f64 * cx.seconds / BYTES_PER_GB;
        let (key, service) = match spec_of(entry) {
            Some(CostSpec::CloudFront) => ("cloudfront.data_transfer_out", "out via CloudFront"),
            Some(CostSpec::Unpriced) | None => continue,
            _ if matches!(entry.kind, NodeKind::ExternalApi(_)) => continue,
            _ => ("data_transfer.internet_out", "out to the internet"),
        };
        let what = format!(
            "responses to users through {} ({} bytes each)",
            entry.id, c.response_bytes
        );
        out.push((
            node.id.clone(),
            service,
            usage(node, LineItem::DataTransfer, key, what, gb),
        ));
    }
    out
}

/// Whether a node's calls leave from instances placed in zones (EC2, Fargate, Lambda in a
/// VPC, queue consumers).
fn zonal_caller(node: &NodeSpec) -> bool {
    match spec_of(node) {
        Some(CostSpec::Unpriced) | None => false,
        _ => matches!(node.kind, NodeKind::Service(_) | NodeKind::MessageQueue(_)),
    }
}

/// Whether calls to a node reach an instance in one zone (regional services such as S3,
/// DynamoDB, SQS and Lambda have no cross-zone charge, nor do load balancers to targets).
fn zonal_callee(node: &NodeSpec) -> bool {
    matches!(
        spec_of(node),
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
fn cross_zone_transfer(blueprint: &Blueprint, cx: &Context, config: &EstimateConfig) -> Vec<Usage> {
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

// ------------------------------------------------------------------------------- the curve

fn fastest_item(points: &[Point]) -> Option<Growth> {
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
fn bend(points: &[Point], table: &PriceTable) -> Option<Bend> {
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
        super::prices::Unit::Requests(n) => format!("{} requests", thousands(n as f64)),
        other => other.base_name().trim_end_matches('s').to_string(),
    }
}

/// `10x`, `2.5x`.
pub fn multiple_name(multiple: f64) -> String {
    if multiple.fract() == 0.0 {
        format!("{multiple:.0}x")
    } else {
        format!("{multiple}x")
    }
}

/// A whole number with thousands separators.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < -0.5 {
        out.insert(0, '-');
    }
    out
}

/// Dollars, rounded for reading.
pub fn dollars(usd: f64) -> String {
    if usd.abs() >= 100.0 {
        format!("${}", thousands(usd))
    } else {
        format!("${usd:.2}")
    }
}

/// A change in the marginal cost per request smaller than this is called nearly straight.
const SLIGHT_BEND: f64 = 0.15;

fn findings(
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
        if !matches!(node.kind, NodeKind::Service(_))
            || !matches!(spec_of(node), Some(CostSpec::Ec2(_) | CostSpec::Fargate(_)))
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

fn assumptions(table: &PriceTable, config: &EstimateConfig) -> Vec<String> {
    vec![
        format!(
            "Prices: AWS {} on-demand list prices, table as of {} (assets/pricing/aws-us-east-1.ron gives each price's source and date).",
            table.region, table.as_of
        ),
        format!(
            "A month is {} hours; traffic runs steadily all month at the simulated rate.",
            table.hours_per_month
        ),
        format!(
            "Each multiple is simulated for {} s (seed {}); a node above {:.0}% utilization gets more replicas, cores or consumers and the run is repeated (at most {} runs).",
            config.duration_s,
            config.seed,
            config.target_utilization * 100.0,
            config.max_runs
        ),
        "A service replica is one instance or task; a cache replica one shard; a database's cores pick the smallest class of its family with that many vCPUs.".into(),
        format!(
            "Queue consumers run on {CONSUMER_INSTANCE}, {CONSUMERS_PER_INSTANCE} consumers an instance."
        ),
        format!(
            "Instances are spread over {} availability zones; every internal call carries one response's bytes, and answers from a database, cache or instance to an instance cross zones {:.0}% of the time.",
            config.availability_zones,
            (1.0 - 1.0 / f64::from(config.availability_zones.max(1))) * 100.0
        ),
        "Bytes to users are the successful responses; request bodies and headers are not counted. Storage does not grow with traffic within the month.".into(),
    ]
}
