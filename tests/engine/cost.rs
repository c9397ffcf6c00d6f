//! The cost estimate against hand calculations: the seed article's data-transfer example,
//! what a CDN takes off the origin, where Lambda and EC2 cross, instance counts from
//! simulated load, database classes, cross-zone bytes, DynamoDB request units.
//!
//! Every expected figure is worked out in the test from the list prices (which the test
//! states) and the traffic, never read back from the estimator.

use std::collections::BTreeMap;

use blastradius::blueprint::Blueprint;
use blastradius::cost::{
    EstimateConfig, LineItem, Point, estimate, lambda_break_even_rps, price_run,
};
use blastradius::pricing::PriceTable;
use blastradius::pricing::spec::LambdaSpec;
use blastradius::run::{NodeSummary, Summary};

use crate::support::{assert_close, blueprint, summary};

/// Seconds in AWS's 730-hour month.
const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

fn table() -> &'static PriceTable {
    PriceTable::aws_us_east_1()
}

/// A summary written by hand: (node id, arrivals per second, utilization) for each node;
/// every arrival answered.
fn hand_summary(nodes: &[(&str, f64, f64)]) -> Summary {
    Summary {
        nodes: nodes
            .iter()
            .map(|&(id, rate, utilization)| {
                let node = NodeSummary {
                    arrival_rate: rate,
                    throughput: rate,
                    utilization,
                    ..NodeSummary::default()
                };
                (id.to_string(), node)
            })
            .collect::<BTreeMap<_, _>>(),
        ..Summary::default()
    }
}

fn usd_of(point: &Point, key: &str) -> f64 {
    point
        .lines
        .iter()
        .filter(|l| l.price_key == key)
        .map(|l| l.usd_per_month)
        .sum()
}

fn quantity_of(point: &Point, key: &str) -> f64 {
    point
        .lines
        .iter()
        .filter(|l| l.price_key == key)
        .map(|l| l.quantity)
        .sum()
}

fn price(bp: &Blueprint, summary: &Summary) -> Point {
    price_run(bp, summary, table(), &EstimateConfig::default()).expect("prices")
}

fn web(rps: f64, front: &str, extra_nodes: &str, extra_edges: &str) -> Blueprint {
    blueprint(&format!(
        r#"Blueprint(
            name: "web",
            nodes: [
                (id: "users", kind: Client(rps: {rps}, read_ratio: 1.0, response_bytes: 5000)),
                (id: "web", kind: Service(replicas: 1, concurrency: 1000, cores: 1000)),
                {extra_nodes}
            ],
            edges: [(from: "users", to: "{front}"), {extra_edges}],
        )"#
    ))
}

#[test]
fn ten_thousand_rps_of_5kb_is_about_130_tb_and_11_700_dollars_flat_and_less_tiered() {
    // The seed article: 10,000 RPS x 5 KB x 2,592,000 s (30 days) = 129.6 TB a month, and at
    // $0.09/GB about $11,700. Our month is AWS's 730 hours (2,628,000 s): 131.4 TB.
    let bp = web(10_000.0, "web", "", "");
    let point = price(
        &bp,
        &hand_summary(&[("users", 10_000.0, 0.0), ("web", 10_000.0, 0.1)]),
    );
    let gb = 10_000.0 * 5_000.0 * SECONDS_PER_MONTH / 1e9;
    assert!((gb - 131_400.0).abs() < 1e-6);
    let out_gb = quantity_of(&point, "data_transfer.internet_out");
    assert_close("GB out a month", out_gb, gb, 1e-9);
    assert_close("GB out vs the seed's 130 TB", out_gb, 130_000.0, 0.02);

    let flat_usd = gb * 0.09;
    assert_close(
        "flat $0.09/GB vs the seed's $11,700",
        flat_usd,
        11_700.0,
        0.02,
    );

    // The real tiers: first 100 GB free, $0.09 to 10 TB, $0.085 to 50 TB, $0.07 to 150 TB
    // (1 TB = 1,024 GB).
    let tiered_usd =
        (10_240.0 - 100.0) * 0.09 + (51_200.0 - 10_240.0) * 0.085 + (gb - 51_200.0) * 0.07;
    assert!((tiered_usd - 10_008.2).abs() < 0.01, "{tiered_usd}");
    let priced = usd_of(&point, "data_transfer.internet_out");
    assert_close("tiered transfer out, $ a month", priced, tiered_usd, 1e-9);
    assert!(priced < flat_usd * 0.9, "tiers should take over 10% off");
    assert_close(
        "data transfer line item",
        point.item_usd_per_month(LineItem::DataTransfer),
        tiered_usd,
        1e-9,
    );
}

#[test]
fn a_cdn_that_absorbs_90_percent_of_reads_cuts_origin_transfer_by_as_much() {
    // Simulated: the same origin with and without a CDN hitting 90% in front of it, at
    // 5,000 RPS so that the 10% of misses are some 9,000 a run.
    let plain = web(5_000.0, "web", "", "");
    let cdn = web(
        5_000.0,
        "cdn",
        r#"(id: "cdn", kind: Cdn(edge_hit_ratio: 0.9, origin: "web")),"#,
        r#"(from: "cdn", to: "web"),"#,
    );
    let without = price(&plain, &summary(&plain, 3, 20.0));
    let with = price(&cdn, &summary(&cdn, 3, 20.0));
    let origin_out_gb = quantity_of(&without, "data_transfer.internet_out");
    let origin_to_cdn_gb = quantity_of(&with, "cloudfront.origin_fetch");
    // 5,000 reads/s x 5,000 B for a month = 65,700 GB; 10% of it misses the edge.
    assert_close("origin GB without a CDN", origin_out_gb, 65_700.0, 0.02);
    assert_close(
        "origin GB with the CDN / without",
        origin_to_cdn_gb / origin_out_gb,
        0.10,
        0.05,
    );
    // Origin to CloudFront is free, and nothing leaves the origin for the internet.
    assert_eq!(usd_of(&with, "cloudfront.origin_fetch"), 0.0);
    assert_eq!(quantity_of(&with, "data_transfer.internet_out"), 0.0);
    assert!(usd_of(&without, "data_transfer.internet_out") > 1_000.0);
}

#[test]
fn at_10k_rps_cloudfront_bills_every_byte_and_every_request_at_its_own_tiers() {
    // By hand, 131,400 GB a month through CloudFront: 1,024 GB free, $0.085 to 10 TB,
    // $0.080 to 50 TB, $0.060 to 150 TB.
    let bp = web(
        10_000.0,
        "cdn",
        r#"(id: "cdn", kind: Cdn(edge_hit_ratio: 0.9, origin: "web")),"#,
        r#"(from: "cdn", to: "web"),"#,
    );
    let mut s = hand_summary(&[
        ("users", 10_000.0, 0.0),
        ("cdn", 10_000.0, 0.0),
        ("web", 1_000.0, 0.01),
    ]);
    s.nodes.get_mut("cdn").unwrap().hit_rate = Some(0.9);
    let point = price(&bp, &s);
    let gb = 131_400.0;
    let transfer_usd =
        (10_240.0 - 1_024.0) * 0.085 + (51_200.0 - 10_240.0) * 0.080 + (gb - 51_200.0) * 0.060;
    assert_close(
        "CloudFront transfer, $ a month",
        usd_of(&point, "cloudfront.data_transfer_out"),
        transfer_usd,
        1e-9,
    );
    // 10,000 RPS = 26.28 billion requests a month; 10 million free, then $0.01 per 10,000.
    let requests_usd = (10_000.0 * SECONDS_PER_MONTH - 10e6) / 10_000.0 * 0.01;
    assert_close(
        "CloudFront requests, $ a month",
        usd_of(&point, "cloudfront.https_requests"),
        requests_usd,
        1e-9,
    );
    assert_close(
        "origin fetches, GB",
        quantity_of(&point, "cloudfront.origin_fetch"),
        0.1 * gb,
        1e-9,
    );
    // At 5 KB a response the request fee outweighs the transfer: the CDN cuts the origin's
    // bytes, not the bill.
    assert!(requests_usd > transfer_usd);
}

#[test]
fn lambda_and_one_ec2_instance_cross_where_the_hand_calculation_says() {
    // 100 ms per call at 512 MB against one m5.large ($0.096 x 730 h = $70.08 a month).
    // Lambda: $0.20 per million calls after 1M free; $0.0000166667 per GB-s after 400,000
    // GB-s free. Cost(r) = (r S - 1e6) 0.2e-6 + (r S 0.1 x 0.5 - 400,000) 0.0000166667,
    // with S seconds a month; set equal to $70.08 and solve for r.
    let ec2_usd = 0.096 * 730.0;
    let per_rps = SECONDS_PER_MONTH * (0.20e-6 + 0.1 * 0.5 * 0.000_016_666_7);
    let free_usd = 1e6 * 0.20e-6 + 400_000.0 * 0.000_016_666_7;
    let crossing_rps = (ec2_usd + free_usd) / per_rps;
    assert!((crossing_rps - 28.33).abs() < 0.01, "{crossing_rps}");

    let spec = LambdaSpec {
        memory_mb: 512.0,
        ..LambdaSpec::default()
    };
    let found = lambda_break_even_rps(table(), &spec, 100.0, ec2_usd)
        .expect("prices exist")
        .expect("they cross");
    assert_close("break-even RPS", found, crossing_rps, 1e-6);

    // The estimator's own bills agree on either side of the crossing.
    let with = |cost: &str, rps: f64| {
        let bp = blueprint(&format!(
            r#"Blueprint(name: "fn", nodes: [
                (id: "users", kind: Client(rps: {rps}, response_bytes: 10)),
                (id: "api", kind: Service(work: Constant(100.0)), cost: {cost}),
            ], edges: [(from: "users", to: "api")])"#
        ));
        let point = price(
            &bp,
            &hand_summary(&[("users", rps, 0.0), ("api", rps, 0.01)]),
        );
        point.usd_per_month
    };
    let lambda = "Lambda(memory_mb: 512, duration_ms: 100)";
    let ec2 = "Ec2(instance: \"m5.large\")";
    assert!(with(lambda, 0.9 * crossing_rps) < with(ec2, 0.9 * crossing_rps));
    assert!(with(lambda, 1.1 * crossing_rps) > with(ec2, 1.1 * crossing_rps));
    assert_close("EC2 bill", with(ec2, 10.0), ec2_usd, 1e-9);
}

#[test]
fn lambda_is_billed_for_the_simulated_time_of_a_call() {
    let bp = blueprint(
        r#"Blueprint(name: "fn", nodes: [
            (id: "users", kind: Client(rps: 50, response_bytes: 10)),
            (id: "api", kind: Service(concurrency: 100, work: Constant(100.0)), cost: Lambda(memory_mb: 1024)),
        ], edges: [(from: "users", to: "api", latency: Constant(0.0))])"#,
    );
    let s = summary(&bp, 1, 20.0);
    let point = price(&bp, &s);
    let calls = s.nodes["api"].arrival_rate * SECONDS_PER_MONTH;
    // Constant 100 ms of work and no queue: 0.1 s x 1 GB per call.
    assert_close(
        "GB-seconds a month",
        quantity_of(&point, "lambda.x86.duration"),
        calls * 0.1,
        0.001,
    );
}

#[test]
fn instances_follow_the_simulated_load_and_the_curve_bends_at_the_first_step() {
    // 300 RPS x 10 ms of work = 3 busy cores at 1x; 10 cores an instance, kept under 70%:
    // instances = max(1, ceil(3 m / 7)) = 1, 1, 3, 5 at 1x, 2x, 5x, 10x. Responses of 10 B stay
    // inside the 100 GB of free transfer, so the bill is the instances alone.
    let bp = blueprint(
        r#"Blueprint(name: "api", nodes: [
            (id: "users", kind: Client(rps: 300, response_bytes: 10)),
            (id: "api", kind: Service(replicas: 1, concurrency: 10, cores: 10, queue_capacity: 1000, work: Constant(10.0))),
        ], edges: [(from: "users", to: "api", latency: Constant(0.0))])"#,
    );
    let e = estimate(&bp, table(), &EstimateConfig::default(), |_, _| {}).expect("estimates");
    let instances = [1.0, 1.0, 3.0, 5.0];
    for (point, n) in e.points.iter().zip(instances) {
        let size = &point.nodes.iter().find(|n| n.id == "api").unwrap().size;
        assert_eq!(*size, format!("{n} x m5.large"), "at {}x", point.multiple);
        assert_close(
            &format!("compute at {}x", point.multiple),
            point.item_usd_per_month(LineItem::Compute),
            n * 0.096 * 730.0,
            1e-9,
        );
        assert_eq!(point.item_usd_per_month(LineItem::DataTransfer), 0.0);
        assert!(point.error_rate < 0.001, "errors at {}x", point.multiple);
    }
    let growth = e.fastest_item.as_ref().expect("something grows");
    assert_eq!(growth.item, LineItem::Compute);
    assert!((growth.factor - 5.0).abs() < 1e-9, "{}", growth.factor);
    // Marginal cost per million requests: $0 from 1x to 2x (same instance), then two more
    // instances ($140.16) for 900 more RPS, then two more for 1,500 more RPS. The biggest
    // change of slope is at 2x.
    let bend = e.bend.as_ref().expect("a bend");
    assert_eq!(bend.at_multiple, 2.0);
    assert!(bend.usd_per_million_before.abs() < 1e-9);
    let after = 2.0 * 0.096 * 730.0 / (900.0 * SECONDS_PER_MONTH) * 1e6;
    assert_close(
        "$ per extra million after 2x",
        bend.usd_per_million_after,
        after,
        0.03,
    );
    assert!(
        bend.steps
            .iter()
            .any(|s| s.contains("1 x m5.large to 3 x m5.large at 5x")),
        "{:?}",
        bend.steps
    );
    assert!(e.findings.iter().any(|f| f.contains("bends most at 2x")));
    assert!(e.disclaimer.contains("not bills"));
    assert_eq!(e.prices_as_of, table().as_of);
}

#[test]
fn a_busy_database_steps_up_an_instance_class_and_multi_az_doubles_it() {
    let bp = |cost: &str| {
        blueprint(&format!(
            r#"Blueprint(name: "db", nodes: [
                (id: "users", kind: Client(rps: 100, response_bytes: 10)),
                (id: "db", kind: Database(cpu_cores: 16), cost: {cost}),
            ], edges: [(from: "users", to: "db")])"#
        ))
    };
    let at = |cost: &str, utilization: f64| {
        price(
            &bp(cost),
            &hand_summary(&[("users", 100.0, 0.0), ("db", 100.0, utilization)]),
        )
    };
    // 16 cores at 30%: db.r5.4xlarge (16 vCPU), $2.00 an hour; 100 GB gp3 at $0.115.
    let calm = at("Rds()", 0.3);
    assert_close(
        "db.r5.4xlarge",
        usd_of(&calm, "rds.postgres.db.r5.4xlarge"),
        2.0 * 730.0,
        1e-9,
    );
    assert_close(
        "storage",
        usd_of(&calm, "rds.storage.gp3"),
        100.0 * 0.115,
        1e-9,
    );
    // At 90%: 16 x 0.9 / 0.7 = 20.6 vCPUs needed, so db.r5.8xlarge (32 vCPU) at $4.00.
    let busy = at("Rds()", 0.9);
    assert_close(
        "db.r5.8xlarge",
        usd_of(&busy, "rds.postgres.db.r5.8xlarge"),
        4.0 * 730.0,
        1e-9,
    );
    assert_eq!(usd_of(&busy, "rds.postgres.db.r5.4xlarge"), 0.0);
    // Multi-AZ: twice the instance hours, and gp3 at $0.23.
    let multi = at("Rds(multi_az: true)", 0.3);
    assert_close(
        "Multi-AZ",
        usd_of(&multi, "rds.postgres.db.r5.4xlarge"),
        2.0 * 2.0 * 730.0,
        1e-9,
    );
    assert_close(
        "Multi-AZ storage",
        usd_of(&multi, "rds.storage.gp3.multi_az"),
        23.0,
        1e-9,
    );
}

#[test]
fn answers_crossing_zones_are_charged_both_ways() {
    let bp = |app_zone: &str, db_zone: &str| {
        blueprint(&format!(
            r#"Blueprint(name: "az", nodes: [
                (id: "users", kind: Client(rps: 1000, response_bytes: 5000)),
                (id: "app", kind: Service(calls: [Call(to: "db")]){app_zone}),
                (id: "db", kind: Database(){db_zone}),
            ], edges: [(from: "users", to: "app"), (from: "app", to: "db")])"#
        ))
    };
    let s = hand_summary(&[
        ("users", 1_000.0, 0.0),
        ("app", 1_000.0, 0.1),
        ("db", 1_000.0, 0.1),
    ]);
    // Spread over 2 zones: half of 1,000 answers/s x 5,000 B cross: 6,570 GB a month, charged
    // $0.01 leaving and $0.01 entering.
    let spread = price(&bp("", ""), &s);
    let gb = 0.5 * 1_000.0 * 5_000.0 * SECONDS_PER_MONTH / 1e9;
    assert_close(
        "cross-zone $",
        usd_of(&spread, "data_transfer.inter_az"),
        gb * 0.02,
        1e-9,
    );
    // Placed in zones: all or nothing.
    let same = price(&bp(r#", zone: "a""#, r#", zone: "a""#), &s);
    assert_eq!(usd_of(&same, "data_transfer.inter_az"), 0.0);
    let apart = price(&bp(r#", zone: "a""#, r#", zone: "b""#), &s);
    assert_close(
        "all cross",
        usd_of(&apart, "data_transfer.inter_az"),
        2.0 * gb * 0.02,
        1e-9,
    );
}

#[test]
fn dynamodb_bills_reads_and_writes_by_the_call_plans_split() {
    // 1,000 RPS, 90% reads; the service reads and writes the table once per request.
    let bp = blueprint(
        r#"Blueprint(name: "ddb", nodes: [
            (id: "users", kind: Client(rps: 1000, read_ratio: 0.9, response_bytes: 10)),
            (id: "api", kind: Service(calls: [Call(to: "table")]), cost: Lambda(duration_ms: 10)),
            (id: "table", kind: Database(), cost: DynamoDb(item_kb: 3, storage_gb: 10)),
        ], edges: [(from: "users", to: "api"), (from: "api", to: "table")])"#,
    );
    let point = price(
        &bp,
        &hand_summary(&[
            ("users", 1_000.0, 0.0),
            ("api", 1_000.0, 0.1),
            ("table", 1_000.0, 0.1),
        ]),
    );
    // 3 KB items: one read unit per read (per 4 KB), three write units per write (per 1 KB).
    let reads = 900.0 * SECONDS_PER_MONTH;
    let writes = 100.0 * SECONDS_PER_MONTH;
    assert_close(
        "read units $",
        usd_of(&point, "dynamodb.read_request_units"),
        reads / 1e6 * 0.125,
        1e-9,
    );
    assert_close(
        "write units $",
        usd_of(&point, "dynamodb.write_request_units"),
        3.0 * writes / 1e6 * 0.625,
        1e-9,
    );
    assert_close("storage $", usd_of(&point, "dynamodb.storage"), 2.5, 1e-9);
    // Lambda and DynamoDB are regional: no cross-zone charge.
    assert_eq!(quantity_of(&point, "data_transfer.inter_az"), 0.0);
}

#[test]
fn cost_specs_parse_round_trip_and_bad_ones_are_named() {
    let good = blueprint(
        r#"Blueprint(name: "ok", nodes: [
            (id: "users", kind: Client()),
            (id: "api", kind: Service(), cost: Fargate(vcpu: 0.5, memory_gb: 1)),
            (id: "db", kind: Database(), cost: Rds(engine: MySql, multi_az: true)),
        ], edges: [(from: "users", to: "api"), (from: "api", to: "db")])"#,
    );
    let again = Blueprint::parse("again", &good.to_ron()).expect("round trip");
    assert_eq!(good, again);

    let unknown = Blueprint::parse(
        "bad.ron",
        r#"Blueprint(name: "bad", nodes: [(id: "api", kind: Service(), cost: Ec3())], edges: [])"#,
    )
    .expect_err("no such service");
    assert!(unknown.message.contains("Ec2"), "{unknown}");

    // A price that does not fit the kind, and an unknown instance: rejected when the
    // blueprint loads, with the line, the node and the valid choices.
    let misfit = Blueprint::parse(
        "bad.ron",
        r#"Blueprint(name: "bad", nodes: [
            (id: "users", kind: Client()),
            (id: "api", kind: Service(), cost: CloudFront),
        ], edges: [(from: "users", to: "api")])"#,
    )
    .expect_err("a CDN price on a service");
    assert_eq!(misfit.line, 3, "{misfit}");
    assert!(
        misfit.message.contains("api") && misfit.message.contains("Ec2, Fargate, Lambda"),
        "{misfit}"
    );

    let typo = Blueprint::parse(
        "bad.ron",
        r#"Blueprint(name: "bad", nodes: [
            (id: "users", kind: Client()),
            (id: "api", kind: Service(), cost: Ec2(instance: "m5.larg")),
        ], edges: [(from: "users", to: "api")])"#,
    )
    .expect_err("no such instance");
    assert!(typo.message.contains("ec2.m5.large"), "{typo}");
}
