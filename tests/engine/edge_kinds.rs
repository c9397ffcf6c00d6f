//! The edge of an API: the API gateway (its five rate-limit algorithms, routes and clients)
//! and the rate limiter store it shares with other gateways (fail open or closed when the
//! store is down), each against a hand calculation.

use blastradius::sim::WindowRecord;

use crate::support::{blueprint, chaos, run_chaos, summary};

/// A gateway with `gateway` (RON fields) in front of one or more services ("app", "app-b"),
/// fed by `rps` of Poisson traffic over `keys` uniformly popular keys. No network delay.
fn behind_gateway(rps: f64, keys: u32, gateway: &str) -> String {
    format!(
        r#"Blueprint(
            name: "gateway",
            nodes: [
                (id: "users", kind: Client(rps: {rps}, read_ratio: 1.0, keyspace: (keys: {keys}, zipf_s: 0.0))),
                (id: "gw", kind: ApiGateway({gateway})),
                (id: "app", kind: Service(replicas: 1, concurrency: 100000, queue_capacity: None, cores: 64, work: Constant(1.0))),
                (id: "app-b", kind: Service(replicas: 1, concurrency: 100000, queue_capacity: None, cores: 64, work: Constant(1.0))),
                (id: "store", kind: RateLimiterStore(limit: (limit: 1000000))),
            ],
            edges: [
                (from: "users", to: "gw", latency: Constant(0.0)),
                (from: "gw", to: "app", latency: Constant(0.0)),
                (from: "gw", to: "app-b", latency: Constant(0.0)),
                (from: "gw", to: "store", latency: Constant(0.2)),
            ],
        )"#
    )
}

/// Mean arrivals per second at `node` over the steady state.
fn rate_at(s: &blastradius::run::Summary, node: &str) -> f64 {
    s.nodes[node].arrival_rate
}

#[test]
fn every_algorithm_admits_its_limit_under_a_steady_overload() {
    // 2,000 requests a second into a route limited to 1,000 a second (per 1 s window; the
    // buckets hold 1,000): whatever the algorithm, in the long run 1,000 a second get
    // through and the other half are refused with 429. The leaky bucket also holds each
    // admitted request until its drain slot: with the queue always full that is 1,000 slots
    // of 1 ms, a 1 s wait.
    for algorithm in [
        "TokenBucket",
        "LeakyBucket",
        "FixedWindow",
        "SlidingWindowLog",
        "SlidingWindowCounter",
    ] {
        let gw = format!(
            "overhead: Constant(0.0), limit: None, routes: [(prefix: \"/\", to: \"app\", \
             limit: (algorithm: {algorithm}, limit: 1000, window_ms: 1000))]"
        );
        let s = summary(&blueprint(&behind_gateway(2_000.0, 1, &gw)), 11, 30.0);
        let admitted = rate_at(&s, "app");
        let rejected = s.errors.get("rejected").copied().unwrap_or(0);
        let total: u64 = s.errors.values().sum();
        eprintln!(
            "{algorithm}: 2,000/s offered, limit 1,000/s: admitted {admitted:.1}/s, error rate \
             {:.4}, p99 {:.1} ms",
            s.error_rate, s.latency.p99_ms
        );
        assert_eq!(rejected, total, "{algorithm}: every error is a 429");
        crate::support::assert_close(algorithm, admitted, 1_000.0, 0.02);
        if algorithm == "LeakyBucket" {
            // A full queue of 1,000 drained at 1 per ms: the admitted wait up to 1 s.
            crate::support::assert_close(
                "leaky bucket p99 wait (ms)",
                s.latency.p99_ms,
                1_000.0,
                0.05,
            );
        } else {
            assert!(
                s.latency.p99_ms < 5.0,
                "{algorithm}: p99 {}",
                s.latency.p99_ms
            );
        }
    }
}

#[test]
fn routes_split_by_share_and_each_client_gets_its_own_limit() {
    // 2,000 requests a second over 1,000 equally popular keys; the client is the key modulo
    // 10, so each of 10 clients sends 200 a second against its own 100 a second: 1,000 a
    // second get through, 70% to /a's upstream and 30% to /b's.
    let gw = "overhead: Constant(0.0), limit: None, clients: 10, \
              per_client: (algorithm: SlidingWindowCounter, limit: 100, window_ms: 1000), \
              routes: [(prefix: \"/a\", share: 0.7, to: \"app\"), (prefix: \"/b\", share: 0.3, to: \"app-b\")]";
    let s = summary(&blueprint(&behind_gateway(2_000.0, 1_000, gw)), 5, 30.0);
    let (a, b) = (rate_at(&s, "app"), rate_at(&s, "app-b"));
    eprintln!(
        "per-client limits: /a {a:.1}/s, /b {b:.1}/s, error rate {:.4}",
        s.error_rate
    );
    crate::support::assert_close("admitted over 10 clients at 100/s", a + b, 1_000.0, 0.02);
    crate::support::assert_close("route /a at 70%", a, 700.0, 0.04);
    crate::support::assert_close("route /b at 30%", b, 300.0, 0.06);
}

/// Errors / answered over the windows ending in (`from_s`, `to_s`].
fn error_rate_between(windows: &[WindowRecord], from_s: f64, to_s: f64) -> f64 {
    let (mut errors, mut answered) = (0.0, 0.0);
    for w in windows.iter().filter(|w| w.t_s > from_s && w.t_s <= to_s) {
        let e: u64 = w.errors.values().sum();
        errors += e as f64;
        answered += e as f64 + w.throughput;
    }
    errors / answered.max(1.0)
}

#[test]
fn with_the_store_down_fail_open_passes_traffic_and_fail_closed_refuses_it() {
    // The store crashes from 5 s to 15 s. Failing open, requests go on unchecked: no errors.
    // Failing closed, every request fails with the store's error (node_down).
    let run = |when_down: &str| {
        let gw = format!(
            "overhead: Constant(0.0), limit: None, routes: [(to: \"app\")], \
             limiter: (node: \"store\", when_down: {when_down})"
        );
        let bp = blueprint(&behind_gateway(500.0, 1, &gw));
        let sim = run_chaos(&bp, 3, 20.0, 1000.0, &[chaos("node-failure@5s+10s:store")]);
        let w = &sim.history().windows;
        let (before, during) = (
            error_rate_between(w, 1.0, 5.0),
            error_rate_between(w, 5.0, 15.0),
        );
        let passed_open: u64 = w
            .iter()
            .filter_map(|w| w.nodes["gw"].counts.get("store_failed_open"))
            .sum();
        eprintln!(
            "store down, fail {when_down}: error rate before {before:.4}, during {during:.4}, \
             requests let through unchecked {passed_open}"
        );
        (before, during, passed_open)
    };
    let (before, during, passed) = run("Open");
    assert!(
        before < 0.001 && during < 0.001,
        "fail open: {before} {during}"
    );
    // 500 a second for 10 s went on without the store.
    assert!((4_700..=5_300).contains(&passed), "{passed} let through");
    let (before, during, _) = run("Closed");
    assert!(before < 0.001, "fail closed before the crash: {before}");
    assert!(during > 0.99, "fail closed while down: {during}");
}

#[test]
fn two_gateways_share_the_store_s_limit() {
    // Two gateways, each sending 60% of the store's 1,000 a second: 1,200 a second ask one
    // shared token bucket (100 deep, so its first burst is spent before the steady state),
    // which admits 1,000 of them and refuses 200 / 1,200 = 1/6. Counted per gateway, each would
    // admit all of its 600 (1,200 in all), as one gateway alone does.
    let two = |both: bool| {
        let b = if both {
            r#"(id: "users-b", kind: Client(rps: 600, read_ratio: 1.0)),
               (id: "gw-b", kind: ApiGateway(overhead: Constant(0.0), limit: None, routes: [(to: "app")], limiter: (node: "store"))),"#
        } else {
            ""
        };
        let b_edges = if both {
            r#"(from: "users-b", to: "gw-b", latency: Constant(0.0)),
               (from: "gw-b", to: "app", latency: Constant(0.0)),
               (from: "gw-b", to: "store", latency: Constant(0.2)),"#
        } else {
            ""
        };
        let src = format!(
            r#"Blueprint(
                name: "two gateways",
                nodes: [
                    (id: "users-a", kind: Client(rps: 600, read_ratio: 1.0)),
                    (id: "gw-a", kind: ApiGateway(overhead: Constant(0.0), limit: None, routes: [(to: "app")], limiter: (node: "store"))),
                    {b}
                    (id: "store", kind: RateLimiterStore(limit: (algorithm: TokenBucket, limit: 1000, window_ms: 1000, burst: 100))),
                    (id: "app", kind: Service(replicas: 1, concurrency: 100000, queue_capacity: None, cores: 64, work: Constant(1.0))),
                ],
                edges: [
                    (from: "users-a", to: "gw-a", latency: Constant(0.0)),
                    (from: "gw-a", to: "app", latency: Constant(0.0)),
                    (from: "gw-a", to: "store", latency: Constant(0.2)),
                    {b_edges}
                ],
            )"#
        );
        summary(&blueprint(&src), 9, 30.0)
    };
    let alone = two(false);
    let shared = two(true);
    let (one, both) = (rate_at(&alone, "app"), rate_at(&shared, "app"));
    eprintln!(
        "one gateway at 600/s: {one:.1}/s admitted (errors {:.4}); two at 600/s each: \
         {both:.1}/s admitted (errors {:.4})",
        alone.error_rate, shared.error_rate
    );
    crate::support::assert_close("one gateway alone", one, 600.0, 0.03);
    crate::support::assert_close("two gateways, one shared limit", both, 1_000.0, 0.02);
    crate::support::assert_close("refused share", shared.error_rate, 200.0 / 1_200.0, 0.1);
}

#[test]
fn the_rate_limited_api_is_healthy_at_its_nominal_rate() {
    // 2,000 requests a second under every limit: nothing refused, p99 under the blueprint's
    // 100 ms SLO; the hand-sized loads of its comment (catalog 38%, db 44%, limiter 5%).
    let bp = blueprint(blastradius::blueprint::builtin("rate-limited-api").expect("built in"));
    assert_eq!(bp.total_rps(), 2_000.0);
    let s = summary(&bp, 1, 30.0);
    let util = |id: &str| s.nodes[id].utilization;
    eprintln!(
        "rate-limited-api at 2,000/s: throughput {:.0}/s, errors {:.4}, p99 {:.1} ms, catalog \
         {:.2}, db {:.2}, limiter {:.2}",
        s.throughput,
        s.error_rate,
        s.latency.p99_ms,
        util("catalog"),
        util("db"),
        util("limiter")
    );
    assert!(s.error_rate < 0.005, "error rate {}", s.error_rate);
    assert!(s.latency.p99_ms < 100.0, "p99 {} ms", s.latency.p99_ms);
    crate::support::assert_close("throughput", s.throughput, 2_000.0, 0.03);
    crate::support::assert_close("catalog utilization", util("catalog"), 0.38, 0.1);
    crate::support::assert_close("db utilization", util("db"), 0.44, 0.1);
}

#[test]
fn limiter_down_fails_everything_closed_and_nothing_open() {
    use blastradius::scenario::{BUILTIN_SCENARIOS, Scenario};
    let (name, src) = BUILTIN_SCENARIOS
        .iter()
        .find(|(n, _)| *n == "limiter-down")
        .expect("scenarios/limiter-down.ron");
    let scenario = Scenario::parse(name, src).unwrap_or_else(|e| panic!("{e}"));
    let bp = blueprint(blastradius::blueprint::builtin(&scenario.blueprint).expect("built in"));
    let (_, end) = scenario.check_span_s();
    let quiet = run_chaos(&bp, 7, end, 1000.0, &[]);
    let broken = run_chaos(&bp, 7, end, 1000.0, &scenario.timeline);
    let unmoved: Vec<String> = scenario
        .check_moves(&broken.history().windows, &quiet.history().windows)
        .into_iter()
        .filter(|m| !m.moved)
        .map(|m| format!("{:?} at {:?}", m.expected.metric, m.expected.node))
        .collect();
    assert!(unmoved.is_empty(), "claimed but not moved: {unmoved:?}");
    let closed = error_rate_between(&broken.history().windows, 31.0, 90.0);
    // The mitigation: the same blueprint failing open.
    let mut open_bp = bp.clone();
    let mut timeline = scenario.timeline.clone();
    let fail_open = scenario
        .mitigations
        .iter()
        .find(|m| m.name == "fail-open")
        .expect("a fail-open mitigation");
    fail_open.apply(&mut open_bp, &mut timeline);
    let open = run_chaos(&open_bp, 7, end, 1000.0, &timeline);
    let open_rate = error_rate_between(&open.history().windows, 31.0, 90.0);
    eprintln!(
        "limiter down 30-90 s: error rate failing closed {closed:.4}, failing open {open_rate:.4}"
    );
    assert!(closed > 0.99, "fail closed: {closed}");
    assert!(open_rate < 0.001, "fail open: {open_rate}");
}
