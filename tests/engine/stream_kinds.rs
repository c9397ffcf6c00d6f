//! Messaging and scheduling kinds (pub/sub topic, log, worker pool) and routing kinds (DNS,
//! connection gateway), each checked against a hand calculation.

use crate::support::{blueprint, summary};

#[test]
fn a_topic_fans_out_to_each_subscription_with_its_filter_and_its_own_retries() {
    // 1,000 publishes/s to a topic with three subscriptions: "all" takes every message,
    // "some" a quarter by its filter, "flaky" fails half its deliveries and retries 3 times
    // (4 attempts): 1 + 1/2 + 1/4 + 1/8 = 1.875 attempts a message, 1,875/s, and
    // 1 - 0.5^4 = 93.75% of its messages get through. The publisher is answered at once:
    // a slow or failing subscriber costs it nothing.
    let bp = blueprint(
        r#"Blueprint(
            name: "fan-out",
            nodes: [
                (id: "pub", kind: Client(rps: 1000.0, read_ratio: 0.0)),
                (id: "topic", kind: PubSub(delivery: Constant(50.0), filters: {"some": 0.25})),
                (id: "all", kind: Service(work: Constant(1.0))),
                (id: "some", kind: Service(work: Constant(1.0))),
                (id: "flaky", kind: ExternalApi(latency: Constant(100.0), error_rate: 0.5)),
            ],
            edges: [
                (from: "pub", to: "topic", latency: Constant(0.0)),
                (from: "topic", to: "all", latency: Constant(0.0)),
                (from: "topic", to: "some", latency: Constant(0.0)),
                (from: "topic", to: "flaky", latency: Constant(0.0), retries: (count: 3, backoff_ms: 10.0, jitter: None)),
            ],
        )"#,
    );
    let s = summary(&bp, 7, 30.0);
    let rate = |id: &str| s.nodes[id].arrival_rate;
    eprintln!(
        "all {:.0}/s, some {:.0}/s, flaky {:.0}/s, publisher errors {:.4}, p99 {:.2} ms, topic deliveries {:?}",
        rate("all"),
        rate("some"),
        rate("flaky"),
        s.error_rate,
        s.latency.p99_ms,
        s.nodes["topic"].counts
    );
    assert!((rate("all") - 1000.0).abs() < 30.0, "all: {}", rate("all"));
    assert!(
        (rate("some") - 250.0).abs() < 20.0,
        "some: {}",
        rate("some")
    );
    assert!(
        (rate("flaky") - 1875.0).abs() < 60.0,
        "flaky gets 1.875 attempts a message: {}",
        rate("flaky")
    );
    let undelivered = s.nodes["topic"].counts["undelivered"] / 1000.0;
    assert!(
        (undelivered - 0.0625).abs() < 0.01,
        "a message misses a subscriber with probability 0.5^4 = 0.0625: {undelivered:.4}"
    );
    assert!(
        s.error_rate == 0.0 && s.latency.p99_ms < 1.0,
        "the publisher waits for nobody"
    );
}

#[test]
fn a_topic_throttles_publishes_past_its_limit() {
    // 40,000 publishes/s against SNS's 30,000/s: a quarter are throttled.
    let bp = blueprint(
        r#"Blueprint(
            name: "throttled",
            nodes: [
                (id: "pub", kind: Client(rps: 40000.0, read_ratio: 0.0)),
                (id: "topic", kind: PubSub(delivery: Constant(1.0))),
                (id: "sub", kind: ExternalApi(latency: Constant(1.0), error_rate: 0.0)),
            ],
            edges: [
                (from: "pub", to: "topic", latency: Constant(0.0)),
                (from: "topic", to: "sub", latency: Constant(0.0)),
            ],
        )"#,
    );
    // 40 s: the warm-up (4 s) outlasts the bucket's one-second burst (30,000 spare publishes
    // drain in 3 s at 10,000/s too many), so the steady state sees the limit alone.
    let s = summary(&bp, 3, 40.0);
    let throttled = s.errors.get("throttled").copied().unwrap_or(0);
    eprintln!("throttled share {:.4}", s.error_rate);
    assert_eq!(throttled, s.errors.values().sum::<u64>());
    assert!((s.error_rate - 0.25).abs() < 0.01, "{}", s.error_rate);
    assert!((s.nodes["sub"].arrival_rate - 30_000.0).abs() < 600.0);
}

/// A worker pool whose schedule starts `jobs` jobs of `job` at once, every 300 s from
/// `first_at_s`.
fn batch(workers: u32, jobs: u32, job: &str, first_at_s: f64) -> String {
    format!(
        r#"Blueprint(
            name: "batch",
            nodes: [
                (id: "etl", kind: WorkerPool(workers: {workers}, job: {job},
                    schedule: (every_s: 300.0, jobs: {jobs}, first_at_s: {first_at_s}))),
            ],
            edges: [],
        )"#
    )
}

#[test]
fn a_scheduled_batch_takes_its_jobs_over_its_workers() {
    // 1,000 one-second jobs on 10 workers: 100 rounds, the batch done 100 s after it
    // started; job k (0-based) finishes at floor(k / 10) + 1 s, a mean of 50.5 s.
    let run = crate::support::run(
        &blueprint(&batch(10, 1000, "Constant(1000.0)", 1.0)),
        1,
        150.0,
    );
    let history = run.history();
    let makespan = history
        .windows
        .iter()
        .filter_map(|w| w.nodes["etl"].peaks.get("makespan_s").copied())
        .fold(0.0, f64::max);
    let answered: u64 = history.windows.iter().map(|w| w.nodes["etl"].started).sum();
    eprintln!("makespan {makespan:.3} s, jobs started {answered}");
    assert!((makespan - 100.0).abs() < 0.01, "makespan {makespan}");
    assert_eq!(answered, 1000, "one batch of 1,000 jobs in 150 s");
}

#[test]
fn a_pool_s_job_times_have_the_pareto_tail() {
    // Pareto(min 100 ms, alpha 1.5) on plenty of workers (no waiting): the median job takes
    // 100 * 2^(1/1.5) = 158.7 ms, the p99 100 * 100^(1/1.5) = 2,154 ms. (The batch starts
    // after the warm-up; the 0.05% of jobs longer than the 15 s left are not answered.)
    let s = summary(
        &blueprint(&batch(
            1_000_000,
            200_000,
            "Pareto(min: 100.0, alpha: 1.5)",
            5.0,
        )),
        5,
        20.0,
    );
    let etl = &s.nodes["etl"];
    eprintln!(
        "p50 {:.1} ms, p99 {:.0} ms",
        etl.latency.p50_ms, etl.latency.p99_ms
    );
    crate::support::assert_close("p50", etl.latency.p50_ms, 158.7, 0.03);
    crate::support::assert_close("p99", etl.latency.p99_ms, 2154.0, 0.05);
}

/// The backlog of each of log `id`'s partitions at the end of a run.
fn backlog(run: &mut blastradius::run::HeadlessRun, id: &str) -> Vec<usize> {
    let world = run.app.world_mut();
    let mut nodes = world.query::<(&blastradius::sim::Node, &blastradius::sim::Model)>();
    nodes
        .iter(world)
        .find(|(n, _)| n.id == id)
        .and_then(|(_, m)| {
            m.0.as_any()
                .downcast_ref::<blastradius::nodes::log_stream::LogStream>()
                .map(|log| log.backlog())
        })
        .expect("a log with that id")
}

#[test]
fn a_hot_key_makes_its_partition_lag_and_only_it() {
    // Four partitions, one member each, 1 ms a message: each partition reads 1,000/s.
    // 1,200/s over many keys put ~300/s on each partition; 900/s more on one key all land on
    // its partition: 1,200/s against 1,000/s, so that partition falls 200 messages a second
    // behind (6,000 after 30 s) while the other three, at 30% busy, keep up.
    let bp = blueprint(
        r#"Blueprint(
            name: "hot-partition",
            nodes: [
                (id: "many", kind: Client(rps: 1200.0, read_ratio: 0.0, keyspace: (keys: 100000, zipf_s: 0.0))),
                (id: "celebrity", kind: Client(rps: 900.0, read_ratio: 0.0, keyspace: (keys: 1, zipf_s: 0.0))),
                (id: "log", kind: LogStream(partitions: 4, consumers: 4, work: Constant(1.0))),
            ],
            edges: [
                (from: "many", to: "log", latency: Constant(0.0)),
                (from: "celebrity", to: "log", latency: Constant(0.0)),
            ],
        )"#,
    );
    let config = blastradius::run::RunConfig::new(11, 60.0);
    let mut run = blastradius::run::HeadlessRun::new(&bp, config).expect("spawns");
    run.advance_to(30 * blastradius::sim::NS_PER_S);
    let mut lags = backlog(&mut run, "log");
    eprintln!("backlog by partition after 30 s: {lags:?}");
    lags.sort_unstable();
    let hot = lags[3] as f64;
    assert!(
        (hot - 6_000.0).abs() < 600.0,
        "the hot partition is ~6,000 behind: {hot}"
    );
    assert!(
        lags[..3].iter().all(|&l| l < 20),
        "the others keep up: {lags:?}"
    );
}

/// Messages the log's members finished in each 1 s window.
fn consumed(run: &blastradius::run::HeadlessRun) -> Vec<u64> {
    run.history()
        .windows
        .iter()
        .map(|w| w.nodes["log"].counts.get("consumed").copied().unwrap_or(0))
        .collect()
}

#[test]
fn a_member_leaving_stalls_its_partitions_and_an_eager_rebalance_stops_all() {
    // 2,000/s over four partitions (500/s each, one member each, 1 ms a message). At 10 s
    // one member of four dies: its partition stalls for the 3 s session timeout (the group
    // reads 1,500/s), then the group rebalances for 2 s: an eager rebalance stops every
    // partition (0/s from 13 to 15 s), a cooperative one only the partition that moves
    // (1,500/s). Afterwards three members catch up on the backlog.
    let log = |protocol: &str| {
        blueprint(&format!(
            r#"Blueprint(
                name: "group",
                nodes: [
                    (id: "producers", kind: Client(rps: 2000.0, read_ratio: 0.0, keyspace: (keys: 100000, zipf_s: 0.0))),
                    (id: "log", kind: LogStream(partitions: 4, consumers: 4, work: Constant(1.0),
                        rebalance: {protocol}, rebalance_ms: 2000.0, session_timeout_ms: 3000.0)),
                ],
                edges: [(from: "producers", to: "log", latency: Constant(0.0))],
            )"#
        ))
    };
    let mut member_dies = crate::support::chaos("capacity-loss@10s+30s:log");
    if let blastradius::chaos::Chaos::CapacityLoss(p) = &mut member_dies.chaos {
        p.percent = 25.0;
    }
    for (protocol, during_rebalance) in [("Eager", 0.0), ("Cooperative", 1_500.0)] {
        let run =
            crate::support::run_chaos(&log(protocol), 2, 30.0, 1000.0, &[member_dies.clone()]);
        let per_s = consumed(&run);
        eprintln!("{protocol}: consumed per second {per_s:?}");
        let mean = |from: usize, to: usize| {
            per_s[from..to].iter().sum::<u64>() as f64 / (to - from) as f64
        };
        // Windows are numbered by their end: window i covers (i, i+1] s.
        crate::support::assert_close("before", mean(3, 10), 2_000.0, 0.05);
        crate::support::assert_close("member dead, unnoticed", mean(10, 13), 1_500.0, 0.08);
        let rebalancing = mean(13, 15);
        assert!(
            (rebalancing - during_rebalance).abs() < 150.0,
            "{protocol}: {rebalancing}/s read during the rebalance, expected {during_rebalance}"
        );
    }
}
