//! The edge of an API: the API gateway (its five rate-limit algorithms, routes and clients)
//! and the rate limiter store it shares with other gateways (fail open or closed when the
//! store is down), each against a hand calculation.

use crate::support::{blueprint, summary};

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
            ],
            edges: [
                (from: "users", to: "gw", latency: Constant(0.0)),
                (from: "gw", to: "app", latency: Constant(0.0)),
                (from: "gw", to: "app-b", latency: Constant(0.0)),
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
