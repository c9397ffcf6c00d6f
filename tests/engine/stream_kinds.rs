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

/// Users -> a failover DNS record (primary "east", secondary "west") with `ttl_s`, checks every
/// 10 s, unhealthy after 3 failures; east dies at 35 s.
fn failover(ttl_s: f64) -> blastradius::run::HeadlessRun {
    let bp = blueprint(&format!(
        r#"Blueprint(
            name: "failover",
            nodes: [
                (id: "users", kind: Client(rps: 2000.0, read_ratio: 1.0)),
                (id: "dns", kind: Dns(ttl_s: {ttl_s}, resolvers: 5000, lookup: Constant(20.0),
                    health_check: (interval_ms: 10000, unhealthy_after: 3, healthy_after: 3))),
                (id: "east", kind: ExternalApi(latency: Constant(10.0), error_rate: 0.0)),
                (id: "west", kind: ExternalApi(latency: Constant(10.0), error_rate: 0.0)),
            ],
            edges: [
                (from: "users", to: "dns", latency: Constant(0.0)),
                (from: "dns", to: "east", latency: Constant(0.0)),
                (from: "dns", to: "west", latency: Constant(0.0)),
            ],
        )"#
    ));
    crate::support::run_chaos(
        &bp,
        4,
        150.0,
        1000.0,
        &[crate::support::chaos("node-failure@35s:east")],
    )
}

#[test]
fn a_dns_failover_moves_traffic_only_as_the_resolvers_ttls_expire() {
    // East dies at 35 s; the checks at 40, 50 and 60 s fail, so from 60 s the record answers
    // west. A resolver keeps its cached answer until it expires and re-resolves at its next
    // request after that: each of the 5,000 resolvers sees 2,000/5,000 = 0.4 requests a
    // second, so it holds an answer for the TTL plus, on average, 2.5 s. The share of
    // requests still sent to the dead east x s after the flip is (TTL - x) / (TTL + 2.5):
    // with a 60 s TTL, 96% at the flip, 48% at 90 s and over 60-120 s on average, none after
    // 120 s; with a 10 s TTL, 40% over 60-70 s and none after 70 s.
    let errors = |run: &blastradius::run::HeadlessRun| -> Vec<f64> {
        run.history().windows.iter().map(|w| w.error_rate).collect()
    };
    let long = errors(&failover(60.0));
    let short = errors(&failover(10.0));
    let mean =
        |e: &[f64], from: usize, to: usize| e[from..to].iter().sum::<f64>() / (to - from) as f64;
    eprintln!(
        "TTL 60 s, errors by second from 30 s: {:.2?}",
        &long[30..125]
    );
    eprintln!(
        "TTL 10 s, errors by second from 30 s: {:.2?}",
        &short[30..75]
    );
    // Window i covers (i, i+1] s.
    assert!(mean(&long, 0, 34) < 0.001, "healthy before");
    assert!(
        mean(&long, 36, 60) > 0.99,
        "undetected: every request fails"
    );
    crate::support::assert_close("TTL 60: 60-120 s", mean(&long, 60, 120), 0.48, 0.06);
    crate::support::assert_close("TTL 60: 90-91 s", long[90], 30.0 / 62.5, 0.12);
    assert!(mean(&long, 121, 149) < 0.001, "all on west after one TTL");
    assert!(mean(&short, 36, 60) > 0.99);
    crate::support::assert_close("TTL 10: 60-70 s", mean(&short, 60, 70), 0.4, 0.1);
    assert!(
        mean(&short, 71, 149) < 0.001,
        "all on west 10 s after the flip"
    );
}

/// 30,000 connections on three 8-core gateway instances, 3,000 messages a second; at 10 s
/// one instance of three dies and its clients reconnect after 5 s, with `jitter`.
fn storm(jitter: &str) -> blastradius::run::HeadlessRun {
    let bp = blueprint(&format!(
        r#"Blueprint(
            name: "storm",
            nodes: [
                (id: "users", kind: Client(rps: 3000.0, read_ratio: 1.0)),
                (id: "ws", kind: WebSocketGateway(instances: 3, cores: 8, connections: 30000,
                    message_work: Constant(0.2), handshake_work: Constant(1.0),
                    reconnect: (backoff_ms: 5000.0, max_backoff_ms: 30000.0, jitter: {jitter}))),
            ],
            edges: [(from: "users", to: "ws", latency: Constant(0.0))],
        )"#
    ));
    let mut one_dies = crate::support::chaos("capacity-loss@10s:ws");
    if let blastradius::chaos::Chaos::CapacityLoss(p) = &mut one_dies.chaos {
        p.percent = 34.0;
    }
    crate::support::run_chaos(&bp, 6, 30.0, 1000.0, &[one_dies])
}

#[test]
fn a_dead_gateway_instance_s_clients_reconnect_in_a_storm_smaller_with_jitter() {
    // The dead instance held 10,000 connections: a third of the messages fail
    // (connection_reset) until their clients are back: all of that third from 10 to 15 s
    // without jitter; with full jitter the clients return evenly over the 5 s, so over 10-14 s
    // 1/3 x (1 - 2/5) = 20% fail. Without jitter all 10,000 reconnect
    // at 15 s: 10,000 one-millisecond handshakes on the survivors' 16 cores, 0.625 s of
    // work, queue ahead of everyone's messages. With full jitter they spread over 0-5 s,
    // about 2,000 a second (2 of the 16 cores): messages barely wait. Either way each
    // survivor ends with 15,000 connections.
    for (jitter, peak_bound, failing) in [("None", 10_000.0, 1.0 / 3.0), ("Full", 2_600.0, 0.2)] {
        let mut run = storm(jitter);
        let windows = &run.history().windows;
        let reconnects: Vec<u64> = windows
            .iter()
            .map(|w| w.nodes["ws"].counts.get("reconnects").copied().unwrap_or(0))
            .collect();
        let p99: Vec<f64> = windows
            .iter()
            .map(|w| w.nodes["ws"].latency.p99_ms)
            .collect();
        let errors: Vec<f64> = windows.iter().map(|w| w.error_rate).collect();
        eprintln!("{jitter}: reconnects by second {reconnects:?}");
        eprintln!("{jitter}: gateway p99 by second {p99:.1?}");
        eprintln!("{jitter}: errors by second {errors:.2?}");
        assert_eq!(
            reconnects.iter().sum::<u64>(),
            10_000,
            "every dropped client is back"
        );
        let peak = *reconnects.iter().max().unwrap() as f64;
        let worst_p99 = p99[14..22].iter().copied().fold(0.0, f64::max);
        let dropped = errors[10..14].iter().sum::<f64>() / 4.0;
        crate::support::assert_close("messages on dropped connections", dropped, failing, 0.1);
        if jitter == "None" {
            assert_eq!(peak, 10_000.0, "all at once without jitter");
            assert!(
                worst_p99 > 300.0,
                "the storm queues messages: p99 {worst_p99} ms"
            );
        } else {
            assert!(peak < peak_bound, "spread by jitter: peak {peak}/s");
            assert!(worst_p99 < 30.0, "messages barely wait: p99 {worst_p99} ms");
        }
        let model = {
            let world = run.app.world_mut();
            let mut nodes = world.query::<(&blastradius::sim::Node, &blastradius::sim::Model)>();
            let (_, m) = nodes.iter(world).find(|(n, _)| n.id == "ws").expect("ws");
            let gw =
                m.0.as_any()
                    .downcast_ref::<blastradius::nodes::websocket_gateway::WebSocketGateway>()
                    .expect("a gateway");
            (gw.held(0), gw.held(1), gw.held(2))
        };
        assert_eq!(model, (15_000, 15_000, 0), "the survivors carry all of it");
    }
}

#[test]
fn an_edge_without_latency_takes_it_from_where_its_nodes_run() {
    // A client in us-east-1a calls a constant 10 ms API over an edge that sets no latency:
    // the network adds two one-way trips. In its zone, ~0.5 ms each way; in another zone of
    // the region, ~1 ms; in us-west-2 (72 ms round trip), 36 ms; an edge with its own latency
    // keeps it.
    let p50 = |zone: &str, region: &str, latency: &str| {
        let bp = blueprint(&format!(
            r#"Blueprint(
                name: "placed",
                nodes: [
                    (id: "users", kind: Client(rps: 200.0, read_ratio: 1.0), zone: "us-east-1a", region: "us-east-1"),
                    (id: "api", kind: ExternalApi(latency: Constant(10.0), error_rate: 0.0), zone: "{zone}", region: "{region}"),
                ],
                edges: [(from: "users", to: "api"{latency})],
            )"#
        ));
        crate::support::summary(&bp, 2, 10.0).latency.p50_ms
    };
    let same = p50("us-east-1a", "us-east-1", "");
    let zone = p50("us-east-1b", "us-east-1", "");
    let far = p50("us-west-2a", "us-west-2", "");
    let own = p50("us-west-2a", "us-west-2", ", latency: Constant(5.0)");
    eprintln!(
        "same zone {same:.2} ms, other zone {zone:.2} ms, other region {far:.2} ms, own {own:.2} ms"
    );
    crate::support::assert_close("same zone", same, 11.0, 0.05);
    crate::support::assert_close("other zone", zone, 12.0, 0.05);
    crate::support::assert_close("us-east-1 to us-west-2", far, 82.0, 0.02);
    crate::support::assert_close("the edge's own latency", own, 20.0, 0.01);
}

/// Writes at `rps` to a consensus store of `members` whose followers acknowledge after an
/// exponential time of mean 2 ms (no own work), with `chaos`.
fn consensus(
    members: u32,
    rps: f64,
    chaos: &[blastradius::chaos::Injection],
) -> blastradius::run::HeadlessRun {
    let bp = blueprint(&format!(
        r#"Blueprint(
            name: "raft",
            nodes: [
                (id: "clients", kind: Client(rps: {rps}, read_ratio: 0.0)),
                (id: "etcd", kind: ConsensusStore(members: {members}, work: Constant(0.0),
                    ack: Exponential(2.0), election_timeout_ms: 1000.0)),
            ],
            edges: [(from: "clients", to: "etcd", latency: Constant(0.0))],
        )"#
    ));
    crate::support::run_chaos(&bp, 8, 30.0, 1000.0, chaos)
}

#[test]
fn a_consensus_commit_waits_for_a_quorum_and_loses_it_with_its_members() {
    // A commit waits for the (quorum - 1)-th fastest follower. Three members: the faster of
    // two exponential acks, mean 2/2 = 1 ms. Five: the second fastest of four,
    // 2 x (1/4 + 1/3) = 1.17 ms. Five with two lost: both of the two followers left,
    // 2 x (1/2 + 1) = 3 ms. Five with three lost: no quorum, every write fails.
    let mean = |members: u32, lost: f64| {
        let mut chaos = crate::support::chaos("capacity-loss@0:etcd");
        if let blastradius::chaos::Chaos::CapacityLoss(p) = &mut chaos.chaos {
            p.percent = lost;
        }
        let run = consensus(members, 500.0, &[chaos]);
        // The chaos is on from the start (so there is no steady state): the windows after
        // the first few seconds, weighted by their calls.
        let windows = &run.history().windows[3..29];
        let calls: f64 = windows
            .iter()
            .map(|w| w.nodes["etcd"].arrivals as f64)
            .sum();
        let mean = windows
            .iter()
            .map(|w| w.nodes["etcd"].latency.mean_ms * w.nodes["etcd"].arrivals as f64)
            .sum::<f64>()
            / calls;
        let errors = windows.iter().map(|w| w.error_rate).sum::<f64>() / windows.len() as f64;
        (mean, errors)
    };
    let three = mean(3, 0.0);
    let five = mean(5, 0.0);
    let five_less_two = mean(5, 40.0);
    let five_less_three = mean(5, 60.0);
    eprintln!("3: {three:?}, 5: {five:?}, 5 - 2: {five_less_two:?}, 5 - 3: {five_less_three:?}");
    crate::support::assert_close("3 members", three.0, 1.0, 0.04);
    crate::support::assert_close("5 members", five.0, 2.0 * (0.25 + 1.0 / 3.0), 0.04);
    crate::support::assert_close("5 members, 2 lost", five_less_two.0, 3.0, 0.04);
    assert!(three.1 == 0.0 && five_less_two.1 == 0.0);
    assert!(
        five_less_three.1 > 0.999,
        "no quorum: {}",
        five_less_three.1
    );
}

#[test]
fn a_lost_leader_stops_writes_for_an_election() {
    // The leader dies at 10 s: no write commits until a follower's election timeout, drawn
    // between 1 and 2 s, runs out and it wins a vote: 1,000 writes a second fail for 1-2 s.
    for seed_offset in 0..3 {
        let mut chaos = crate::support::chaos("leader-loss@10s:etcd");
        chaos.at_s += f64::from(seed_offset);
        let run = consensus(3, 1000.0, &[chaos]);
        let failed: u64 = run
            .history()
            .windows
            .iter()
            .map(|w| w.errors.get("node_down").copied().unwrap_or(0))
            .sum();
        eprintln!(
            "leader lost at {} s: {failed} writes failed",
            10 + seed_offset
        );
        assert!(
            (1_000..=2_050).contains(&failed),
            "1 to 2 s of writes fail, got {failed}"
        );
    }
}
