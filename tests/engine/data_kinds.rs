//! The data kinds (key-value store, search index, vector database) against hand
//! calculations: a hot partition's throttling from the Zipf weights, stale reads from the
//! replication delay, the fan-out order statistic of a search, HNSW's cost in ef and log N.

use blastradius::blueprint::Spawned;
use blastradius::nodes::key_value_store::KeyValueStore;
use blastradius::sim::Model;

use crate::support::{assert_close, blueprint, run, run_chaos};

/// A client sending `rps` requests (`read_ratio` reads) over `keys` keys with Zipf exponent
/// `zipf_s` straight to a key-value store with parameters `kv`.
fn to_kv(rps: f64, read_ratio: f64, keys: u32, zipf_s: f64, kv: &str) -> String {
    format!(
        r#"Blueprint(
            name: "kv",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: {read_ratio}, keyspace: (keys: {keys}, zipf_s: {zipf_s}))),
                (id: "kv", kind: KeyValueStore({kv})),
            ],
            edges: [(from: "src", to: "kv", latency: Constant(0.0))],
        )"#
    )
}

/// The key-value store's throttles so far, per partition.
fn throttled_by_partition(sim: &blastradius::run::HeadlessRun) -> Vec<u64> {
    let world = sim.app.world();
    let kv = world.resource::<Spawned>().nodes["kv"];
    world
        .get::<Model>(kv)
        .expect("a model")
        .0
        .as_any()
        .downcast_ref::<KeyValueStore>()
        .expect("a key-value store")
        .throttled_by_partition()
        .to_vec()
}

/// Share of the Zipf(s) traffic over ranks 0..keys that lands on each of `partitions`
/// partitions when key k goes to partition k mod partitions.
fn zipf_partition_shares(keys: u32, s: f64, partitions: u32) -> Vec<f64> {
    let weight = |k: u32| 1.0 / f64::from(k + 1).powf(s);
    let total: f64 = (0..keys).map(weight).sum();
    (0..partitions)
        .map(|p| {
            (p..keys)
                .step_by(partitions as usize)
                .map(weight)
                .sum::<f64>()
                / total
        })
        .collect()
}

#[test]
fn a_hot_key_throttles_its_partition_while_the_table_has_room() {
    // 18,000 strongly consistent reads a second (one read unit each: items under 4 KB) over
    // 1,000 Zipf(1.0) keys on 8 partitions of 3,000 units. Partition 0 holds keys 0, 8, 16,
    // ..., the hottest of each block of eight: 22.1% of the traffic by the Zipf weights, so
    // 3,973 reads a second for 3,000 units. It refuses the other 973 a second, a share
    // (3,973 - 3,000) / 18,000 = 5.4% of all requests. The next partition takes 15.1%, 2,722
    // a second, under its cap, and the table's 24,000 units are far from used up.
    let (rps, keys, s, partitions, cap) = (18_000.0, 1_000, 1.0, 8, 3_000.0);
    let shares = zipf_partition_shares(keys, s, partitions);
    let hot = shares[0] * rps;
    assert!(shares[1] * rps < cap && rps < cap * f64::from(partitions));
    let expected = (hot - cap) / rps;
    let kv = format!("partitions: {partitions}, strong_reads: 1.0");
    // 40 s: the first 4 s (the warm-up) spend the bucket's initial second of units.
    let mut sim = run(&blueprint(&to_kv(rps, 1.0, keys, s, &kv)), 3, 40.0);
    let summary = sim.summary();
    let node = &summary.nodes["kv"];
    eprintln!(
        "hot partition: offered {hot:.0}/s of {cap}/s; errors {:?}",
        node.errors
    );
    assert_close("throttled share", node.error_rate, expected, 0.05);
    assert_eq!(
        node.errors.keys().collect::<Vec<_>>(),
        vec!["throttled"],
        "every error is a throttle"
    );
    let by_partition = throttled_by_partition(&sim);
    eprintln!("throttled per partition: {by_partition:?}");
    assert!(by_partition[0] > 0, "the hot partition throttles");
    assert!(
        by_partition[1..].iter().all(|&n| n == 0),
        "only the hot partition throttles: {by_partition:?}"
    );

    // Eventually consistent reads take half a unit each: the hot partition needs 1,987 of
    // its 3,000 units and nothing is throttled.
    let kv = format!("partitions: {partitions}, strong_reads: 0.0");
    let eventual = crate::support::summary(&blueprint(&to_kv(rps, 1.0, keys, s, &kv)), 3, 20.0);
    eprintln!(
        "eventual reads: error rate {:.5}",
        eventual.nodes["kv"].error_rate
    );
    assert_eq!(eventual.nodes["kv"].error_rate, 0.0);
}

#[test]
fn strong_reads_cost_twice_the_units_of_eventual_ones() {
    // One partition, 4,000 reads a second: eventual reads need 2,000 units of its 3,000,
    // strong ones 4,000, so a quarter of them are throttled: (4,000 - 3,000) / 4,000 (after
    // the warm-up, 4 s of 40, has spent the bucket's initial second of units).
    let rate = |strong: f64| {
        let kv = format!("partitions: 1, strong_reads: {strong}");
        crate::support::summary(&blueprint(&to_kv(4_000.0, 1.0, 100, 0.0, &kv)), 5, 40.0).nodes
            ["kv"]
            .error_rate
    };
    assert_eq!(rate(0.0), 0.0);
    assert_close("throttled strong reads", rate(1.0), 0.25, 0.05);
    // Writes take a unit per KB: 3 KB items make 500 writes a second need 1,500 units of a
    // partition's 1,000, a third throttled.
    let kv = "partitions: 1, item_bytes: 3000";
    let writes = crate::support::summary(&blueprint(&to_kv(500.0, 0.0, 100, 0.0, kv)), 5, 40.0);
    assert_close(
        "throttled 3 KB writes",
        writes.nodes["kv"].error_rate,
        500.0 / 1_500.0,
        0.05,
    );
}

#[test]
fn eventual_reads_are_stale_for_one_replication_delay_and_strong_reads_never() {
    // Ten keys (uniform), one per partition; 1,000 writes and 1,000 reads a second, so each
    // key is written 100 times a second (Poisson). A write reaches each of the two followers
    // 5 ms after it commits (constant delay). An eventual read goes to one of three copies;
    // it is stale when it lands on a follower (2/3) and its key had a write in the last
    // 5 ms: 1 - e^(-100 x 0.005) = 39.3%. Stale share of reads: 2/3 x 39.3% = 26.2%.
    let (per_key_writes, delay_s, copies) = (100.0, 0.005, 3.0);
    let expected = (copies - 1.0) / copies * (1.0 - f64::exp(-per_key_writes * delay_s));
    let stale_share = |strong: f64| {
        let kv = format!(
            "partitions: 10, strong_reads: {strong}, replication: Constant(5.0), write: Constant(2.0)"
        );
        let mut sim = run(&blueprint(&to_kv(2_000.0, 0.5, 10, 0.0, &kv)), 9, 30.0);
        let s = sim.summary();
        let node = &s.nodes["kv"];
        // Reads are half the arrivals; the summary's stale reads are per second.
        node.stale_reads / (node.arrival_rate * 0.5)
    };
    assert_close(
        "stale share of eventual reads",
        stale_share(0.0),
        expected,
        0.05,
    );
    let strong = stale_share(1.0);
    eprintln!("strong reads: stale share {strong}");
    assert_eq!(strong, 0.0, "strong reads go to the leader");
}

#[test]
fn strong_reads_take_the_leaders_longer_time() {
    // Reads only, at 2,000 a second, well under the units: each takes its kind's time at the
    // store, eventual p50 4 ms and p99 15 ms, strong p50 6 ms and p99 20 ms (the defaults).
    let latency = |strong: f64| {
        let kv = format!("partitions: 4, strong_reads: {strong}");
        crate::support::summary(&blueprint(&to_kv(2_000.0, 1.0, 1_000, 0.0, &kv)), 6, 20.0).nodes
            ["kv"]
            .latency
    };
    let (eventual, strong) = (latency(0.0), latency(1.0));
    assert_close("eventual read p50, ms", eventual.p50_ms, 4.0, 0.03);
    assert_close("eventual read p99, ms", eventual.p99_ms, 15.0, 0.08);
    assert_close("strong read p50, ms", strong.p50_ms, 6.0, 0.03);
    assert_close("strong read p99, ms", strong.p99_ms, 20.0, 0.08);
}

#[test]
fn a_hot_partition_throttles_writes_and_write_sharding_spreads_them() {
    // 2,000 writes a second over 1,000 uniform keys on 4 partitions: 500 a second each, half
    // of a partition's 1,000 write units. From 5 s to 45 s, 60% of the writes go to one key:
    // its partition gets 0.6 x 2,000 + 0.4 x 500 = 1,400 a second and throttles 400, 20% of
    // all writes, while the table (4,000 units) runs at half. With the key spread over 4
    // suffixes its writes land on all four partitions: 500 each again, nothing throttled.
    // (Counted from 8 s: the hot partition's bucket, full at 5 s with a second of units,
    // runs dry 1,000 / 400 = 2.5 s later.)
    let injection = blastradius::chaos::Injection {
        chaos: blastradius::chaos::Chaos::HotPartition(
            ron::from_str("(percent: 60)").expect("parses"),
        ),
        target: None,
        at_s: 5.0,
        duration_s: Some(40.0),
    };
    let during = |kv: &str| {
        let sim = run_chaos(
            &blueprint(&to_kv(2_000.0, 0.0, 1_000, 0.0, kv)),
            4,
            50.0,
            1000.0,
            std::slice::from_ref(&injection),
        );
        let windows: Vec<_> = sim
            .history()
            .windows
            .iter()
            .filter(|w| w.t_s > 8.0 && w.t_s <= 45.0)
            .collect();
        let errors: u64 = windows
            .iter()
            .map(|w| w.nodes["kv"].errors.get("throttled").copied().unwrap_or(0))
            .sum();
        let arrivals: u64 = windows.iter().map(|w| w.nodes["kv"].arrivals).sum();
        errors as f64 / arrivals as f64
    };
    let hot = during("partitions: 4");
    assert_close("throttled share under the hot partition", hot, 0.2, 0.05);
    let sharded = during("partitions: 4, key_suffixes: 4");
    eprintln!("with write sharding: {sharded:.5}");
    assert!(sharded < 0.001, "write sharding spreads it: {sharded}");
}

#[test]
fn the_url_shortener_meets_its_slo_at_its_nominal_traffic() {
    // The catalog's K1 target: p99 30 ms; and errors under half a percent (every built-in's
    // bar). The table takes the cache's misses and the creates, a few percent of its units.
    let bp = blueprint(blastradius::blueprint::builtin("url-shortener").expect("built in"));
    assert_eq!(bp.total_rps(), 10_000.0);
    let s = crate::support::summary(&bp, 1, 30.0);
    let kv = &s.nodes["kv"];
    eprintln!(
        "url-shortener: p99 {:.1} ms, errors {:.4}%, hit rate {:.1}%, kv {:.0}/s",
        s.latency.p99_ms,
        s.error_rate * 100.0,
        s.nodes["cache"].hit_rate.unwrap_or(0.0) * 100.0,
        kv.arrival_rate
    );
    assert!(s.latency.p99_ms < 30.0, "p99 {} ms", s.latency.p99_ms);
    assert!(s.error_rate < 0.005, "error rate {}", s.error_rate);
    assert!(
        kv.errors.is_empty(),
        "the table throttles nothing: {:?}",
        kv.errors
    );
}

/// A client sending `rps` queries straight to a search index with parameters `index`.
fn to_index(rps: f64, read_ratio: f64, index: &str) -> String {
    format!(
        r#"Blueprint(
            name: "search",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: {read_ratio}, keyspace: (keys: 100000, zipf_s: 0.0))),
                (id: "search", kind: SearchIndex({index})),
            ],
            edges: [(from: "src", to: "search", latency: Constant(0.0))],
        )"#
    )
}

#[test]
fn a_query_waits_for_the_slowest_of_its_shards() {
    // Each shard copy answers in an exponential time with mean 10 ms (on one of its 4
    // threads), and nothing else takes time. A query's latency is the largest of n such times, one per shard, whose CDF is
    // F(t)^n with F(t) = 1 - e^(-t/m); its p99 solves F(t)^n = 0.99:
    // t = -m ln(1 - 0.99^(1/n)): 46.1 ms for 1 shard, 59.9 for 4, 73.7 for 16. Ten copies
    // of each shard, each query taking the copy free first, at 200 queries a second (2
    // threads' worth of work over 40) make queueing negligible (a query waits only when all
    // 40 threads of a shard are busy).
    let mean_ms = 10.0;
    let mut p99s = Vec::new();
    for shards in [1u32, 4, 16] {
        let index = format!(
            "shards: {shards}, replicas: 9, shard_query: Exponential({mean_ms}), coordination: Constant(0.0)"
        );
        let s = crate::support::summary(&blueprint(&to_index(200.0, 1.0, &index)), 11, 200.0);
        let theory = -mean_ms * f64::ln(1.0 - 0.99_f64.powf(1.0 / f64::from(shards)));
        assert_close(
            &format!("p99 of a query over {shards} shards, ms"),
            s.nodes["search"].latency.p99_ms,
            theory,
            0.04,
        );
        p99s.push(s.nodes["search"].latency.p99_ms);
    }
    assert!(p99s[0] < p99s[1] && p99s[1] < p99s[2], "{p99s:?}");
}

#[test]
fn indexing_load_slows_queries_as_a_shared_server_predicts() {
    // One shard, one copy with one search thread: a single first-come-first-served server. Queries arrive at 20 a
    // second and take an exponential 10 ms there; the Pollaczek-Khinchine formula gives the
    // mean wait W = lambda E[S^2] / (2 (1 - rho)). Alone: rho 0.2, E[S^2] = 2 x 10^2 ms^2,
    // W = 20/s x 200 ms^2 / (2 x 0.8) = 2.5 ms, a query takes 12.5 ms on average. Add 40
    // documents indexed a second at a constant 5 ms each: lambda 60/s, rho 0.4,
    // E[S^2] = (20 x 200 + 40 x 25) / 60 = 83.3 ms^2, W = 60/s x 83.3 ms^2 / 1.2 = 4.17 ms,
    // and a query takes 14.17 ms: indexing load slows search, by this much.
    let index = "shards: 1, replicas: 0, threads_per_copy: 1, shard_query: Exponential(10.0), index: Constant(5.0), coordination: Constant(0.0)";
    let mean_query_ms = |writes_per_s: f64| {
        // Two sources so the queries' own latency can be read at their client.
        let bp = format!(
            r#"Blueprint(
                name: "search",
                nodes: [
                    (id: "queries", kind: Client(rps: 20, read_ratio: 1.0, keyspace: (keys: 100000, zipf_s: 0.0))),
                    (id: "writes", kind: Client(rps: {writes_per_s}, read_ratio: 0.0, keyspace: (keys: 100000, zipf_s: 0.0))),
                    (id: "search", kind: SearchIndex({index})),
                ],
                edges: [
                    (from: "queries", to: "search", latency: Constant(0.0)),
                    (from: "writes", to: "search", latency: Constant(0.0)),
                ],
            )"#
        );
        crate::support::summary(&blueprint(&bp), 12, 2_000.0).nodes["queries"]
            .latency
            .mean_ms
    };
    let pk = |lambda_per_ms: f64, rho: f64, es2: f64| lambda_per_ms * es2 / (2.0 * (1.0 - rho));
    assert_close(
        "mean query time without indexing, ms",
        mean_query_ms(0.001),
        10.0 + pk(0.020, 0.2, 200.0),
        0.02,
    );
    let loaded = 10.0 + pk(0.060, 0.4, (20.0 * 200.0 + 40.0 * 25.0) / 60.0);
    assert_close(
        "mean query time with 40 documents indexed a second, ms",
        mean_query_ms(40.0),
        loaded,
        0.02,
    );
}

#[test]
fn a_full_shard_copy_refuses_queries_and_slow_queries_slow_the_shards() {
    // One copy, one thread, with room for 5 waiting calls, queries of a constant 10 ms at 200 a second:
    // twice what it serves. It stays full, serves its 100 a second and refuses the rest with
    // queue_full, half of the queries.
    let index = "shards: 1, replicas: 0, threads_per_copy: 1, shard_query: Constant(10.0), coordination: Constant(0.0), queue_capacity: 5";
    let s = crate::support::summary(&blueprint(&to_index(200.0, 1.0, index)), 13, 30.0);
    let node = &s.nodes["search"];
    eprintln!("full copy: errors {:?}", node.errors);
    assert_close("refused share", node.error_rate, 0.5, 0.03);
    assert_eq!(node.errors.keys().collect::<Vec<_>>(), vec!["queue_full"]);

    // slow-queries (3x) from 1 s: the copy's constant 10 ms becomes 30 ms, and at 20
    // queries a second it is an M/D/1 queue at rho = 0.6: mean wait
    // W = rho D / (2 (1 - rho)) = 0.6 x 30 / 0.8 = 22.5 ms, a query 52.5 ms on average. The
    // slowdown stretches the copy's own service (so its queue), not only the answer.
    let mean_ms = |shard_query_ms: f64, injections: &[blastradius::chaos::Injection]| {
        let index = format!(
            "shards: 1, replicas: 0, threads_per_copy: 1, shard_query: Constant({shard_query_ms}), coordination: Constant(0.0)"
        );
        let sim = run_chaos(
            &blueprint(&to_index(20.0, 1.0, &index)),
            14,
            3_000.0,
            1000.0,
            injections,
        );
        let (sum, n) = sim
            .history()
            .windows
            .iter()
            .filter(|w| w.t_s > 11.0 && w.t_s <= 3_000.0)
            .fold((0.0, 0.0), |(s, n), w| {
                let node = &w.nodes["search"];
                (
                    s + node.latency.mean_ms * node.throughput,
                    n + node.throughput,
                )
            });
        sum / n
    };
    let slowed = mean_ms(10.0, &[crate::support::chaos("slow-queries@1s:search")]);
    assert_close("mean query time under slow-queries, ms", slowed, 52.5, 0.04);
    // And exactly the queue of a copy that takes 30 ms by itself (same draws).
    let native = mean_ms(30.0, &[]);
    assert!(
        (slowed - native).abs() < 1e-6 * native,
        "slowed {slowed} ms, natively 30 ms {native} ms"
    );
}

#[test]
fn a_copy_with_two_threads_is_an_m_m_2_queue() {
    // One copy with 2 search threads, exponential 10 ms queries at 150 a second: offered
    // a = 1.5 threads' worth, rho = 0.75. Erlang C: P(wait) = (a^2/2! x 2/(2 - a)) /
    // (1 + a + a^2/2! x 2/(2 - a)) = 4.5 / 7 = 0.643; mean wait P(wait) / (c mu - lambda) =
    // 0.643 / (200 - 150)/s = 12.86 ms; a query takes 22.86 ms on average.
    let (a, c, mu_per_s, lambda_per_s) = (1.5_f64, 2.0_f64, 100.0, 150.0);
    let top = a * a / 2.0 * c / (c - a);
    let p_wait = top / (1.0 + a + top);
    let expected_ms = 10.0 + p_wait / (c * mu_per_s - lambda_per_s) * 1000.0;
    let index = "shards: 1, replicas: 0, threads_per_copy: 2, shard_query: Exponential(10.0), coordination: Constant(0.0)";
    let s = crate::support::summary(&blueprint(&to_index(lambda_per_s, 1.0, index)), 17, 2_000.0);
    assert_close(
        "mean query time, M/M/2, ms",
        s.nodes["search"].latency.mean_ms,
        expected_ms,
        0.03,
    );
}

/// A client sending `rps` calls (`read_ratio` queries, the rest upserts) straight to a
/// vector database with parameters `db`.
fn to_vectors(rps: f64, read_ratio: f64, db: &str) -> String {
    format!(
        r#"Blueprint(
            name: "vectors",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: {read_ratio})),
                (id: "vectors", kind: VectorDb({db})),
            ],
            edges: [(from: "src", to: "vectors", latency: Constant(0.0))],
        )"#
    )
}

/// HNSW's cost model by hand: base + per visit x ef x log2(vectors), in ms.
fn hnsw_ms(base_ms: f64, per_visit_us: f64, ef: f64, vectors: f64) -> f64 {
    base_ms + per_visit_us * ef * vectors.log2() / 1000.0
}

#[test]
fn query_time_grows_with_ef_and_with_the_log_of_the_index() {
    // Constant times (p99_over_p50 1), 20 calls a second on 4 cores: a call almost never
    // waits for a core, so the time at the node is the model's own. base 0.5 ms, 2.2 us a
    // visit: 10,000 vectors at ef 40 take 0.5 + 2.2 x 40 x 13.29 us = 1.67 ms; 1,000,000 at
    // ef 40, 2.25 ms; at ef 160, 7.52 ms; top_k 100 above ef_search 40 makes ef 100: 4.88 ms.
    // Upserts walk with ef_construction 64: 3.31 ms at 1,000,000.
    let cases = [
        ("vectors: 10000, ef_search: 40", 1.0, 40.0, 1e4),
        ("vectors: 1000000, ef_search: 40", 1.0, 40.0, 1e6),
        ("vectors: 1000000, ef_search: 160", 1.0, 160.0, 1e6),
        (
            "vectors: 1000000, ef_search: 40, top_k: 100",
            1.0,
            100.0,
            1e6,
        ),
        ("vectors: 1000000, ef_construction: 64", 0.0, 64.0, 1e6),
    ];
    for (db, read_ratio, ef, vectors) in cases {
        let db = format!("{db}, base_ms: 0.5, per_visit_us: 2.2, p99_over_p50: 1.0, memory_gb: 64");
        let s = crate::support::summary(&blueprint(&to_vectors(20.0, read_ratio, &db)), 18, 30.0);
        let what = format!(
            "{} at ef {ef}, {vectors} vectors, ms",
            if read_ratio > 0.0 { "query" } else { "upsert" }
        );
        assert_close(
            &what,
            s.nodes["vectors"].latency.p50_ms,
            hnsw_ms(0.5, 2.2, ef, vectors),
            0.005,
        );
    }
}

#[test]
fn recall_follows_ef_and_the_index_outgrowing_memory_costs_ten_times_a_visit() {
    // Recall 1 - exp(-ef / 30): ef 80 gives 0.930 (pgvector's measured 0.93), ef 40 0.736.
    for ef in [40u32, 80] {
        let db = format!("ef_search: {ef}");
        let sim = run(&blueprint(&to_vectors(20.0, 1.0, &db)), 19, 5.0);
        let recall = sim.history().windows[2].nodes["vectors"].peaks["recall"];
        assert_close(
            &format!("recall at ef {ef}"),
            recall,
            1.0 - f64::exp(-f64::from(ef) / 30.0),
            1e-9,
        );
    }
    // 1,000,000 vectors of 1,536 floats with m 16 take 1e6 x (4 x 1536 + 160) = 6.30 GB.
    // With 3.15 GB of memory half the visits miss it and cost ten times as much: a visit
    // costs 2.2 x (0.5 + 0.5 x 10) = 12.1 us, a query at ef 40 0.5 + 12.1 x 40 x 19.93 us
    // = 10.15 ms.
    let index_gb = 1e6 * (4.0 * 1536.0 + 10.0 * 16.0) / 1e9;
    let db = format!("p99_over_p50: 1.0, memory_gb: {}", index_gb / 2.0);
    let s = crate::support::summary(&blueprint(&to_vectors(20.0, 1.0, &db)), 20, 30.0);
    assert_close(
        "query time with half the index out of memory, ms",
        s.nodes["vectors"].latency.p50_ms,
        hnsw_ms(0.5, 2.2 * 5.5, 40.0, 1e6),
        0.005,
    );
}

#[test]
fn queries_queue_for_the_cores() {
    // One core, constant 2.25 ms queries (1,000,000 vectors, ef 40) at 200 a second: an
    // M/D/1 queue at rho = 0.45. Mean wait rho D / (2 (1 - rho)) = 0.92 ms; a query takes
    // 3.17 ms on average.
    let d_ms = hnsw_ms(0.5, 2.2, 40.0, 1e6);
    let rho = 200.0 * d_ms / 1000.0;
    let db = "cores: 1, p99_over_p50: 1.0, memory_gb: 64";
    let s = crate::support::summary(&blueprint(&to_vectors(200.0, 1.0, db)), 21, 1_000.0);
    assert_close(
        "mean query time on one core, M/D/1, ms",
        s.nodes["vectors"].latency.mean_ms,
        d_ms + rho * d_ms / (2.0 * (1.0 - rho)),
        0.02,
    );
}

#[test]
fn bad_values_are_refused_with_the_field_and_its_bound() {
    for (kind, needle) in [
        (
            "KeyValueStore(strong_reads: 1.5)",
            "strong_reads must be between 0 and 1",
        ),
        (
            "KeyValueStore(partitions: 0)",
            "partitions must be at least 1",
        ),
        (
            "KeyValueStore(item_bytes: 500000)",
            "item_bytes must be between 1 and 409600",
        ),
        (
            "KeyValueStore(provisioned: (read_units_per_s: 0))",
            "provisioned.read_units_per_s must be > 0",
        ),
        ("SearchIndex(shards: 0)", "shards must be at least 1"),
        (
            "SearchIndex(threads_per_copy: 0)",
            "threads_per_copy must be at least 1",
        ),
        (
            "SearchIndex(refresh_interval_ms: 0)",
            "refresh_interval_ms must be > 0",
        ),
        ("VectorDb(cores: 0)", "need 1 <= cores <= max_connections"),
        ("VectorDb(ef_search: 0)", "ef_search must be at least 1"),
        ("VectorDb(p99_over_p50: 0.5)", "p99_over_p50 must be >= 1"),
    ] {
        let src = format!(
            r#"Blueprint(name: "x", nodes: [(id: "src", kind: Client(rps: 1)), (id: "n", kind: {kind})], edges: [(from: "src", to: "n")])"#
        );
        let e = blastradius::blueprint::Blueprint::parse("bad.ron", &src).expect_err(kind);
        assert!(e.message.contains(needle), "{kind}: {e}");
    }
}

#[test]
fn replication_lag_chaos_makes_eventual_reads_stale_for_its_delay() {
    // 1,000 uniform keys, 100 writes and 900 reads a second, followers that apply a write
    // the instant it commits (replication Constant(0)): no stale reads. From 10 s to 50 s
    // replication-lag adds 1 s: a key is written 0.1 times a second, so a read on a follower
    // (2/3 of them) is stale with probability 1 - e^-0.1: 6.34% of the reads.
    let kv = "partitions: 4, replication: Constant(0.0), write: Constant(1.0)";
    let bp = blueprint(&to_kv(1_000.0, 0.9, 1_000, 0.0, kv));
    let lag = blastradius::chaos::Injection {
        chaos: blastradius::chaos::Chaos::ReplicationLag(
            ron::from_str("(delay_ms: 1000)").expect("parses"),
        ),
        target: Some(blastradius::chaos::Target::Node("kv".into())),
        at_s: 10.0,
        duration_s: Some(40.0),
    };
    let sim = run_chaos(&bp, 22, 60.0, 1000.0, &[lag]);
    let share = |from: f64, to: f64| {
        let w: Vec<_> = sim
            .history()
            .windows
            .iter()
            .filter(|w| w.t_s > from && w.t_s <= to)
            .collect();
        let stale: u64 = w.iter().map(|w| w.nodes["kv"].stale_reads).sum();
        let arrivals: u64 = w.iter().map(|w| w.nodes["kv"].arrivals).sum();
        stale as f64 / (arrivals as f64 * 0.9)
    };
    assert_eq!(share(2.0, 10.0), 0.0, "no lag, no stale reads");
    let expected = 2.0 / 3.0 * (1.0 - f64::exp(-0.1));
    assert_close(
        "stale share under a 1 s lag",
        share(12.0, 50.0),
        expected,
        0.05,
    );
}
