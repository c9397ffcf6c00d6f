//! Edge and node policies against hand calculations: retries, timeouts, pools, health checks.

use blastradius::sim::Down;

use crate::support::{assert_close, blueprint, summary};

#[test]
fn retries_multiply_success_probability() {
    // An API failing 50% of calls independently; 2 retries: P(all 3 fail) = 0.125.
    let bp = blueprint(
        r#"Blueprint(name: "retry", nodes: [
            (id: "src", kind: Client(rps: 2000)),
            (id: "api", kind: ExternalApi(latency: Constant(5.0), error_rate: 0.5)),
        ], edges: [(from: "src", to: "api", retries: (count: 2, backoff_ms: 1, jitter: Full))])"#,
    );
    let s = summary(&bp, 3, 100.0);
    assert_close("error rate after 2 retries", s.error_rate, 0.125, 0.03);
    assert_eq!(s.errors.keys().collect::<Vec<_>>(), ["upstream_error"]);
}

#[test]
fn a_slow_callee_times_out_and_keeps_working() {
    // Work takes 50 ms, the caller waits 20 ms: every request times out at 20 ms, while
    // the callee still serves each one for its full 50 ms.
    let bp = blueprint(
        r#"Blueprint(name: "timeout", nodes: [
            (id: "src", kind: Client(rps: 100)),
            (id: "slow", kind: Service(concurrency: 1000, cores: 1000, work: Constant(50.0))),
        ], edges: [(from: "src", to: "slow", latency: Constant(0.0), timeout_ms: 20)])"#,
    );
    let s = summary(&bp, 4, 30.0);
    assert_eq!(s.error_rate, 1.0);
    assert!(s.errors.contains_key("timeout"));
    assert_close("time to a timeout", s.latency.p50_ms, 20.0, 0.01);
    assert_close(
        "callee busy for the whole work",
        s.nodes["slow"].latency.p50_ms,
        50.0,
        0.01,
    );
}

#[test]
fn an_exhausted_pool_fails_fast_while_the_callee_stays_idle() {
    // 1 connection, 10 ms per query, 200 queries/s offered (2 Erlangs on 1 connection), no
    // waiting: about half the calls find the connection taken. The database itself is busy
    // at most 1 of its 16 cores: pool errors while it idles.
    let bp = blueprint(
        r#"Blueprint(name: "pool", nodes: [
            (id: "src", kind: Client(rps: 200)),
            (id: "db", kind: Database(read: Constant(10.0), write: Constant(10.0))),
        ], edges: [(from: "src", to: "db", latency: Constant(0.0), pool: (size: 1, acquire_timeout_ms: 0))])"#,
    );
    let s = summary(&bp, 5, 200.0);
    // Erlang B with 1 server and a = 2: blocking = a / (1 + a) = 2/3.
    assert_close("pool blocking (Erlang B)", s.error_rate, 2.0 / 3.0, 0.03);
    assert_eq!(s.errors.keys().collect::<Vec<_>>(), ["pool_exhausted"]);
    assert!(
        s.nodes["db"].utilization < 0.05,
        "db utilization {}",
        s.nodes["db"].utilization
    );
}

#[test]
fn a_dead_backend_is_noticed_after_the_health_checks() {
    let bp = blueprint(
        r#"Blueprint(name: "lb", nodes: [
            (id: "src", kind: Client(rps: 1000)),
            (id: "lb", kind: LoadBalancer(algorithm: RoundRobin,
                health_check: (interval_ms: 1000, unhealthy_after: 2, healthy_after: 2))),
            (id: "a", kind: Service(work: Constant(1.0))),
            (id: "b", kind: Service(work: Constant(1.0))),
        ], edges: [(from: "src", to: "lb"), (from: "lb", to: "a"), (from: "lb", to: "b")])"#,
    );
    let mut sim =
        blastradius::run::HeadlessRun::new(&bp, blastradius::run::RunConfig::new(6, 12.0)).unwrap();
    sim.advance_to(5_000_000_000 + 500_000_000);
    let b = sim
        .app
        .world()
        .resource::<blastradius::blueprint::Spawned>()
        .nodes["b"];
    blastradius::sim::inject(sim.app.world_mut(), b, 1, Down);
    sim.run(|_, _| {});
    let w = &sim.history().windows;
    // Killed at 5.5 s; checks at 6 s and 7 s fail, so from 7 s on b gets no traffic.
    let errors = |i: usize| w[i].errors.get("node_down").copied().unwrap_or(0);
    assert_eq!(errors(4), 0, "errors before the failure");
    assert!(
        errors(5) > 200 && errors(6) > 400,
        "half the traffic fails until detection: {} {}",
        errors(5),
        errors(6)
    );
    assert!(errors(7) < 10, "errors after detection: {}", errors(7));
    assert_eq!(w[8].nodes["b"].arrivals, 0);
    assert!(w[8].nodes["a"].arrivals > 900);
}

#[test]
fn a_queue_fed_faster_than_its_consumers_builds_backlog_and_lag() {
    // 1000 messages/s in, 5 consumers x 100 messages/s out: the backlog grows by 500/s and
    // the oldest waiting message ages about half a second per second; producers never wait.
    let bp = blueprint(
        r#"Blueprint(name: "mq", nodes: [
            (id: "src", kind: Client(rps: 1000)),
            (id: "mq", kind: MessageQueue(consumers: 5, capacity: None, work: Constant(10.0))),
        ], edges: [(from: "src", to: "mq", latency: Constant(0.0))])"#,
    );
    let mut sim =
        blastradius::run::HeadlessRun::new(&bp, blastradius::run::RunConfig::new(8, 20.0)).unwrap();
    sim.advance_to(10_000_000_000);
    let w = &sim.history().windows[9];
    let mq = &w.nodes["mq"];
    assert_eq!(w.error_rate, 0.0);
    assert!(
        w.latency.p99_ms < 0.01,
        "producers are acknowledged at once: {} ms",
        w.latency.p99_ms
    );
    // Backlog at 10 s: about 500 x 10 = 5000 (mean over the last second: ~4750).
    assert_close("backlog", mq.queue_depth, 4750.0, 0.05);
    // The head message arrived at time a with everything before it consumed by now, 500 t:
    // 1000 a = 500 t, so a = t / 2 and it has waited t / 2 = 5 s.
    assert_close("consumer lag", mq.consumer_lag_ms.unwrap(), 5000.0, 0.05);
    assert_close("consumer utilization", mq.utilization, 1.0, 0.001);
}

#[test]
fn replicas_take_the_reads_and_lag_grows_when_they_cannot_keep_up() {
    // 100 writes/s, evenly spaced, each taking a replica 20 ms to apply: 2 s of work per
    // second, so after t seconds the write committed at t is applied at 2t: lag = t.
    let bp = blueprint(
        r#"Blueprint(name: "replicas", nodes: [
            (id: "writers", kind: Client(rps: 100, arrival: Constant, read_ratio: 0.0)),
            (id: "readers", kind: Client(rps: 900, read_ratio: 1.0)),
            (id: "db", kind: Database(read_replicas: 2, replication: (ship: Constant(1.0), apply_ms: 20.0))),
        ], edges: [(from: "writers", to: "db"), (from: "readers", to: "db")])"#,
    );
    let mut sim =
        blastradius::run::HeadlessRun::new(&bp, blastradius::run::RunConfig::new(10, 30.0))
            .unwrap();
    sim.advance_to(20_000_000_000);
    let w = &sim.history().windows;
    let lag = |i: usize| w[i].nodes["db"].replication_lag_ms.unwrap();
    assert_close("lag after 10 s", lag(9), 10_000.0, 0.01);
    assert_close("lag after 20 s", lag(19), 20_000.0, 0.01);
    let arrivals = |id: &str| w[19].nodes[id].arrivals as f64;
    assert_close("writes at the primary", arrivals("db"), 100.0, 0.3);
    assert_close("reads at replica 1", arrivals("db-replica-1"), 450.0, 0.15);
    assert_close("reads at replica 2", arrivals("db-replica-2"), 450.0, 0.15);
}

/// A database behind one pooled connection (10 ms a query, no wait for it), retried twice
/// after a delay uniform in 0-2 s (fully jittered: long after the connection's state has
/// changed and spread out, so attempts are independent; without jitter the retries of
/// attempts blocked in the same busy spell arrive together and block each other again).
fn pool_with_retries(retry_on: &str) -> blastradius::blueprint::Blueprint {
    blueprint(&format!(
        r#"Blueprint(name: "pool", nodes: [
            (id: "src", kind: Client(rps: 20)),
            (id: "db", kind: Database(read: Constant(10.0), write: Constant(10.0))),
        ], edges: [(from: "src", to: "db", latency: Constant(0.0),
            pool: (size: 1, acquire_timeout_ms: 0),
            retries: (count: 2, backoff_ms: 2000, max_backoff_ms: 2000, jitter: Full{retry_on}))])"#
    ))
}

#[test]
fn pool_exhausted_is_retried_only_when_the_policy_names_it() {
    // Offered 0.2 Erlangs on one connection: Erlang B blocks a / (1 + a) = 1/6 of attempts.
    let default = summary(&pool_with_retries(""), 8, 1000.0);
    assert_close(
        "blocking without retries (Erlang B)",
        default.error_rate,
        1.0 / 6.0,
        0.05,
    );
    assert_eq!(default.nodes["db"].retry_share, 0.0, "retried by default");

    // Retrying pool_exhausted: each retry is offered load too, so the blocking B solves
    // B = a'/(1 + a') with a' = 0.2 (1 + B + B^2): B = 0.1985. A request fails when all
    // three attempts are blocked (B^3), and retries are (B + B^2) / (1 + B + B^2) of the
    // attempts.
    let mut b: f64 = 1.0 / 6.0;
    for _ in 0..50 {
        let offered = 0.2 * (1.0 + b + b * b);
        b = offered / (1.0 + offered);
    }
    let s = summary(&pool_with_retries(", retry_on: [pool_exhausted]"), 8, 400.0);
    assert_close(
        "retries' share of the attempts",
        s.nodes["db"].retry_share,
        (b + b * b) / (1.0 + b + b * b),
        0.07,
    );
    assert_close("failing all three attempts", s.error_rate, b.powi(3), 0.3);
}

#[test]
fn a_retry_budget_caps_retries_at_its_share_of_first_attempts() {
    // Half the calls fail; three retries would make (0.5 + 0.25 + 0.125) / 1.875 = 47% of
    // the attempts retries. A budget of 0.1 allows 0.1 retries per first attempt plus its
    // reserve of 100: over 50 s at 2,000 RPS, 10,100 retries on 100,000 first attempts.
    let api = |budget: &str| {
        blueprint(&format!(
            r#"Blueprint(name: "budget", nodes: [
                (id: "src", kind: Client(rps: 2000)),
                (id: "api", kind: ExternalApi(latency: Constant(5.0), error_rate: 0.5)),
            ], edges: [(from: "src", to: "api",
                retries: (count: 3, backoff_ms: 1, jitter: Full{budget}))])"#
        ))
    };
    let free = summary(&api(""), 9, 50.0);
    assert_close(
        "retries' share without a budget",
        free.nodes["api"].retry_share,
        0.875 / 1.875,
        0.03,
    );
    let mut config = blastradius::run::RunConfig::new(9, 50.0);
    config.warmup_ns = 0;
    let mut sim =
        blastradius::run::HeadlessRun::new(&api(", budget: 0.1"), config).expect("spawns");
    sim.run(|_, _| {});
    let capped = sim.summary();
    let first = 2000.0 * 50.0;
    assert_close(
        "retries' share with a budget of 0.1",
        capped.nodes["api"].retry_share,
        (0.1 * first + 100.0) / (1.1 * first + 100.0),
        0.03,
    );
    // Fewer retries, more failures: 50% fail on the first attempt and one in five of
    // those gets a retry (0.1 of the first attempts), which half the time succeeds.
    assert_close(
        "errors under the budget",
        capped.error_rate,
        0.5 - 0.05,
        0.03,
    );
}

#[test]
fn retry_on_names_causes_and_refuses_an_empty_or_unknown_one_in_words() {
    let parse = |retry_on: &str| {
        blastradius::blueprint::Blueprint::parse(
            "retry-on.ron",
            &format!(
                r#"Blueprint(name: "r", nodes: [
                    (id: "src", kind: Client(rps: 10)),
                    (id: "api", kind: ExternalApi(latency: Constant(5.0))),
                ], edges: [(from: "src", to: "api", retries: (count: 1, retry_on: {retry_on}))])"#
            ),
        )
        .map_err(|e| e.to_string())
    };
    assert!(parse("[timeout, pool_exhausted, upstream_error]").is_ok());
    let empty = parse("[]").unwrap_err();
    assert!(empty.contains("retry_on is empty"), "{empty}");
    let unknown = parse("[timeout, pool_exhaustion]").unwrap_err();
    assert!(
        unknown.contains("retry-on.ron:4:") && unknown.contains("pool_exhausted"),
        "{unknown}"
    );
}

#[test]
fn a_replica_in_another_zone_serves_reads_through_the_primarys_zone_outage() {
    // 80% reads; the primary in zone a goes down from 10 s to 20 s. With its replicas in
    // zones b and c the reads go on (only the writes fail); with them beside it in zone a,
    // everything fails.
    let during = |replica_zones: &str| {
        let bp = blueprint(&format!(
            r#"Blueprint(name: "replicas", nodes: [
                (id: "src", kind: Client(rps: 1000, read_ratio: 0.8)),
                (id: "db", kind: Database(read_replicas: 2{replica_zones}), zone: "a"),
            ], edges: [(from: "src", to: "db", latency: Constant(0.5))])"#
        ));
        let sim = crate::support::run_chaos(
            &bp,
            10,
            25.0,
            1000.0,
            &[crate::support::chaos("az-outage@10s+10s:zone:a")],
        );
        let w = &sim.history().windows;
        let errors: f64 = w[11..19].iter().map(|w| w.error_rate).sum::<f64>() / 8.0;
        let replica_reads: u64 = w[11..19]
            .iter()
            .map(|w| w.nodes["db-replica-1"].throughput as u64)
            .sum();
        (errors, replica_reads)
    };
    let (apart, served) = during(r#", replica_zones: ["b", "c"]"#);
    assert_close(
        "errors with replicas in other zones (the writes)",
        apart,
        0.2,
        0.1,
    );
    assert!(served > 3_000, "replica 1 served {served} reads in 8 s");
    let (together, _) = during("");
    assert!(
        together > 0.99,
        "errors with replicas in zone a: {together}"
    );
}

#[test]
fn a_full_queue_that_blocks_pushes_back_on_its_producer() {
    // 200 messages/s offered to a queue whose one consumer takes 10 ms each (100/s), with
    // room for 100. Refusing, the queue fails half the sends with queue_full while the
    // producer stays idle; blocking, it fails none: the producer's sends wait for room, so
    // its 50 request slots fill and the refusals move upstream, to the producer.
    let producer = |when_full: &str| {
        let bp = blueprint(&format!(
            r#"Blueprint(name: "backpressure", nodes: [
                (id: "src", kind: Client(rps: 200)),
                (id: "api", kind: Service(concurrency: 50, queue_capacity: Some(10), cores: 64,
                    work: Constant(1.0), calls: [Call(to: "queue")])),
                (id: "queue", kind: MessageQueue(capacity: Some(100), consumers: 1,
                    work: Constant(10.0), when_full: {when_full})),
            ], edges: [
                (from: "src", to: "api", latency: Constant(0.5)),
                (from: "api", to: "queue", latency: Constant(0.5), timeout_ms: 5000),
            ])"#
        ));
        summary(&bp, 11, 60.0)
    };
    let reject = producer("Reject");
    let refused = reject.nodes["queue"]
        .errors
        .get("queue_full")
        .copied()
        .unwrap_or(0);
    assert_close(
        "sends refused by the full queue",
        refused as f64
            / (reject.nodes["queue"].arrival_rate * (reject.steady_until_s - reject.steady_from_s)),
        0.5,
        0.05,
    );
    assert!(
        reject.nodes["api"].busy_servers < 5.0,
        "producer busy {}",
        reject.nodes["api"].busy_servers
    );

    let block = producer("Block");
    assert_eq!(
        block.nodes["queue"].errors.get("queue_full"),
        None,
        "a blocking queue refused sends"
    );
    assert!(
        block.nodes["api"].busy_servers > 45.0,
        "producer's slots held by blocked sends: {}",
        block.nodes["api"].busy_servers
    );
    assert!(
        block.nodes["api"].errors.contains_key("queue_full"),
        "the producer refuses in turn: {:?}",
        block.nodes["api"].errors
    );
    // Either way the consumer sets the pace.
    assert_close("throughput, blocking", block.throughput, 100.0, 0.05);
}
