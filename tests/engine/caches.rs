//! Keyspace caches start where they settle: with no chaos, the hit rate of a long run holds
//! from its first window to its last, so a hit-rate figure needs no control run.

use crate::support::{blueprint, run};
use blastradius::run::{HeadlessRun, RunConfig};

/// A client with Zipf keys, one app server (cache-aside reads, writes to the database that
/// then invalidate or update the cache) and the cache's `keyspace` settings.
fn cache_aside(rps: f64, keys: u32, keyspace: &str) -> blastradius::blueprint::Blueprint {
    blueprint(&format!(
        r#"Blueprint(
            name: "cache-aside",
            nodes: [
                (id: "users", kind: Client(rps: {rps}, read_ratio: 0.95,
                    keyspace: (keys: {keys}, zipf_s: 0.9))),
                (id: "app", kind: Service(replicas: 1, concurrency: 500, cores: 64,
                    work: LogNormal(p50: 0.5, p99: 2.0),
                    calls: [
                        Call(to: "cache", when: Reads, on_miss: "db"),
                        Call(to: "db", when: Writes),
                        Call(to: "cache", when: Writes),
                    ])),
                (id: "cache", kind: Cache(replicas: 1, concurrency: 64,
                    work: LogNormal(p50: 0.1, p99: 0.5), keyspace: {keyspace})),
                (id: "db", kind: Database(max_connections: 200, cpu_cores: 64,
                    read: LogNormal(p50: 1.0, p99: 5.0), write: LogNormal(p50: 2.0, p99: 8.0))),
            ],
            edges: [
                (from: "users", to: "app", latency: Constant(0.5)),
                (from: "app", to: "cache", latency: Constant(0.2)),
                (from: "app", to: "db", latency: Constant(0.3)),
            ],
        )"#
    ))
}

/// The cache's hit rate in each `window_s` window of a `duration_s` run (no warm-up left out).
fn hit_rates(bp: &blastradius::blueprint::Blueprint, duration_s: f64, window_s: f64) -> Vec<f64> {
    let mut config = RunConfig::new(1, duration_s);
    config.window_ns = (window_s * 1e9) as u64;
    let mut sim = HeadlessRun::new(bp, config).expect("spawns");
    sim.run(|_, _| {});
    sim.history()
        .windows
        .iter()
        .filter(|w| w.arrivals > 0)
        .map(|w| w.nodes["cache"].hit_rate.expect("a cache"))
        .collect()
}

/// Every window within one point of the first.
fn assert_flat(what: &str, hits: &[f64]) {
    let first = hits[0];
    eprintln!(
        "{what}: {}",
        hits.iter()
            .map(|h| format!("{:.1}", h * 100.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (i, h) in hits.iter().enumerate() {
        assert!(
            (h - first).abs() <= 0.01,
            "{what}: window {i} hit rate {:.2}%, first window {:.2}%: the cache drifts",
            h * 100.0,
            first * 100.0
        );
    }
}

#[test]
fn lru_cache_with_ttl_and_invalidation_holds_its_hit_rate_for_ten_minutes() {
    // Capacity for 40% of the keys, a TTL of two minutes and writes that invalidate: LRU,
    // expiry and invalidation all shape the steady state (Che's time is about a minute).
    let bp = cache_aside(1_500.0, 200_000, "(capacity: 80000, ttl_ms: 120000)");
    let hits = hit_rates(&bp, 600.0, 60.0);
    assert_eq!(hits.len(), 10);
    assert_flat("LRU + TTL + invalidation", &hits);
    // Not a cache that holds everything: the hit rate is the LRU's, well under 100%.
    assert!(hits[0] < 0.9, "hit rate {}", hits[0]);
}

#[test]
fn write_through_cache_with_jittered_ttl_holds_its_hit_rate_for_ten_minutes() {
    // Every key fits; the TTL (jittered) alone empties entries, and writes store values.
    let bp = cache_aside(
        1_500.0,
        50_000,
        "(capacity: 100000, ttl_ms: 60000, ttl_jitter: 0.3, on_write: Update)",
    );
    let hits = hit_rates(&bp, 600.0, 60.0);
    assert_flat("write-through + jittered TTL", &hits);
}

#[test]
fn three_tier_cache_starts_in_its_steady_state() {
    // The built-in blueprint, at its own traffic: its first seconds read the same hit rate
    // as two minutes later (a warm start holding the hottest keys read about 84% and slid
    // to under 80% over the first few minutes).
    let bp = crate::support::three_tier();
    let sim = run(&bp, 1, 150.0);
    let windows = &sim.history().windows;
    let mean = |from: usize, to: usize| {
        windows[from..to]
            .iter()
            .map(|w| w.nodes["cache"].hit_rate.expect("a cache"))
            .sum::<f64>()
            / (to - from) as f64
    };
    let (first, later) = (mean(0, 10), mean(140, 150));
    eprintln!("three-tier hit rate: first 10 s {first:.4}, 140-150 s {later:.4}");
    assert!(
        (first - later).abs() <= 0.01,
        "three-tier hit rate {first:.4} in the first 10 s, {later:.4} at 140-150 s"
    );
}

#[test]
fn stale_while_revalidate_refreshes_through_the_callers_pool() {
    // Entries live 100 ms and are served stale while one read refreshes them, so about one
    // refresh per key per 100 ms goes to the database: those refreshes take connections
    // from the app's pool of 4 like any query. The database has 4 cores, so it never holds
    // more than the pool lets through: no query ever waits for a core. (Refreshes sent
    // around the pool would queue there.) What a refresh reads is stored in the cache.
    let bp = blueprint(
        r#"Blueprint(
            name: "swr",
            nodes: [
                (id: "users", kind: Client(rps: 400, read_ratio: 1.0,
                    keyspace: (keys: 2000, zipf_s: 0.6))),
                (id: "app", kind: Service(replicas: 1, concurrency: 500, cores: 64,
                    work: Constant(0.1),
                    calls: [Call(to: "cache", when: Reads, on_miss: "db")])),
                (id: "cache", kind: Cache(replicas: 1, concurrency: 64, work: Constant(0.1),
                    keyspace: (capacity: 2000, ttl_ms: 100, stale_while_revalidate: true))),
                (id: "db", kind: Database(max_connections: 100, cpu_cores: 4,
                    read: Exponential(5.0), write: Exponential(5.0))),
            ],
            edges: [
                (from: "users", to: "app", latency: Constant(0.5)),
                (from: "app", to: "cache", latency: Constant(0.2)),
                (from: "app", to: "db", latency: Constant(0.3),
                    pool: (size: 4, acquire_timeout_ms: 20)),
            ],
        )"#,
    );
    let mut sim = run(&bp, 3, 30.0);
    let s = sim.summary();
    let reads = s.nodes["app"].arrival_rate;
    let misses = reads * (1.0 - s.nodes["cache"].hit_rate.expect("a cache"));
    let refreshes = s.nodes["db"].arrival_rate - misses;
    eprintln!(
        "db arrivals {:.0}/s: {misses:.0} misses, {refreshes:.0} refreshes",
        s.nodes["db"].arrival_rate
    );
    assert!(
        refreshes > 100.0,
        "only {refreshes:.0} refreshes/s reached the database"
    );
    // Each refresh that read its value stores it: the cache gets the reads and the fills.
    let fills = s.nodes["cache"].arrival_rate - reads;
    assert!(
        fills > 0.9 * refreshes,
        "{fills:.0} fills/s for {refreshes:.0} refreshes/s"
    );
    let most_waiting = sim
        .history()
        .windows
        .iter()
        .map(|w| w.nodes["db"].queue_max)
        .max()
        .unwrap_or(0);
    assert_eq!(
        most_waiting, 0,
        "queries waited for a database core: more than the pool's 4 were in"
    );
    assert!(
        s.nodes["app"].pool_in_use > 0.5,
        "pool use {}",
        s.nodes["app"].pool_in_use
    );
}
