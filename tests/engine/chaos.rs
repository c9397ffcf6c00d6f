//! Chaos acceptance: the cascades come out of the model (queues, pools, timeouts, retries),
//! and the mitigations visibly work.

use blastradius::analysis::incident;
use blastradius::scenario::Scenario;

use crate::support::{assert_close, blueprint, chaos, run_chaos, three_tier};

fn dominant(errors: &std::collections::BTreeMap<String, u64>) -> (String, f64) {
    let total: u64 = errors.values().sum();
    let (cause, n) = errors.iter().max_by_key(|(_, n)| **n).expect("some errors");
    (cause.clone(), *n as f64 / total as f64)
}

#[test]
fn cache_stampede_cascades_and_coalescing_with_jitter_contains_it() {
    let bp = three_tier();
    let sim = run_chaos(&bp, 1, 140.0, 1000.0, &[chaos("cache-stampede@20s")]);
    let inc = incident(&sim.history().windows, 5.0, 20.0, 20.0);
    let base_hit = inc.base_hit["cache"];
    assert!(base_hit > 0.75, "steady hit rate {base_hit}");
    assert!(
        inc.min_hit["cache"] < 0.3,
        "hit rate only fell to {}",
        inc.min_hit["cache"]
    );
    assert!(inc.peak_p99.0 > 1000.0, "peak p99 {} ms", inc.peak_p99.0);
    assert!(
        inc.peak_error_rate.0 > 0.2,
        "peak error rate {}",
        inc.peak_error_rate.0
    );
    let (cause, share) = dominant(&inc.errors);
    assert!(
        matches!(cause.as_str(), "pool_exhausted" | "timeout") && share > 0.5,
        "dominant {cause} at {share}"
    );
    // Back to the steady state about a minute after the stampede (the README's figure).
    let recovery = inc.recovery_s.expect("recovers within the run");
    assert!(
        STAMPEDE_RECOVERY_S.contains(&recovery),
        "recovered after {recovery} s, outside {STAMPEDE_RECOVERY_S:?}"
    );
    // The cache refills over minutes, not seconds, but it does refill: its hit rate climbs
    // back most of the way from the bottom by the end of the run.
    let refill = inc.hit_recovery_s["cache"];
    assert!(
        refill.is_none_or(|s| s >= 60.0),
        "hit rate back after {refill:?} s"
    );
    let w = &sim.history().windows;
    let late_hit = w[125..135]
        .iter()
        .map(|w| w.nodes["cache"].hit_rate.expect("a cache"))
        .sum::<f64>()
        / 10.0;
    let (low, base) = (inc.min_hit["cache"], inc.base_hit["cache"]);
    assert!(
        late_hit > low + 0.5 * (base - low),
        "hit rate {late_hit:.3} at 125-135 s: not refilling from {low:.3} towards {base:.3}"
    );

    // The database pools saturate within about a second (100 ms windows).
    let fine = run_chaos(&bp, 1, 24.0, 100.0, &[chaos("cache-stampede@20s")]);
    let saturated_at = fine
        .history()
        .windows
        .iter()
        .find(|w| {
            w.t_s > 20.0
                && w.nodes["app-1"].pools["db"].in_use >= 19.0
                && w.nodes["app-1"].pools["db"].waiters > 1.0
        })
        .map(|w| w.t_s - 20.0);
    assert!(
        saturated_at.is_some_and(|s| s <= 1.0),
        "db pool saturated after {saturated_at:?} s"
    );

    // Same injection, with request coalescing and TTL jitter switched on.
    let scenario = Scenario::resolve("cache-stampede").expect("ships");
    let mut fixed = bp.clone();
    let mut timeline = vec![chaos("cache-stampede@20s")];
    scenario
        .mitigation("coalescing-and-jitter")
        .unwrap()
        .apply(&mut fixed, &mut timeline);
    let sim = run_chaos(&fixed, 1, 140.0, 1000.0, &timeline);
    let inc = incident(&sim.history().windows, 5.0, 20.0, 20.0);
    let rate = inc.errors.values().sum::<u64>() as f64 / inc.answered;
    assert!(
        rate < 0.01,
        "errors with the mitigations: {:.3}%",
        rate * 100.0
    );
    // The README's table for coalescing-and-jitter: peak p99 39 ms, lowest hit rate 61.7%,
    // recovery under a second. Checked with room: under 60 ms, above 50%, under 2 s.
    assert!(inc.peak_p99.0 < 60.0, "peak p99 {} ms", inc.peak_p99.0);
    assert!(
        inc.min_hit["cache"] > 0.5,
        "lowest hit rate {}",
        inc.min_hit["cache"]
    );
    let recovery = inc.recovery_s.expect("recovers");
    assert!(recovery < 2.0, "recovered after {recovery} s");
}

/// The README's stampede recovery (61 s from the stampede back to the steady state) with
/// room for the seed and window rounding; a model change that moves it outside this band
/// should update the README's figure and this band together.
const STAMPEDE_RECOVERY_S: std::ops::RangeInclusive<f64> = 50.0..=75.0;

#[test]
fn node_failure_shifts_traffic_after_health_checks_and_survivors_saturate_if_too_small() {
    // app-1 dies at 20 s; checks every 5 s, two failures to mark it down: it is taken out
    // at the check at 30 s at the latest. Until then a third of the traffic fails.
    let mut bp = three_tier();
    let sim = run_chaos(&bp, 2, 45.0, 1000.0, &[chaos("node-failure@20s:app-1")]);
    let w = &sim.history().windows;
    let down = |i: usize| w[i].errors.get("node_down").copied().unwrap_or(0);
    assert_eq!(down(18), 0);
    assert!(down(21) > 2000, "errors during detection: {}", down(21));
    assert_eq!(down(32), 0, "after detection");
    let arrivals = |i: usize, id: &str| w[i].nodes[id].arrivals as f64;
    assert!(
        arrivals(35, "app-2") > 1.4 * arrivals(15, "app-2"),
        "traffic did not shift to app-2"
    );
    assert_eq!(arrivals(35, "app-1"), 0.0);

    // Survivors sized for N, not N-1: 10 cores each (two instances of 5), about 8.5 busy at
    // 10,000 RPS (2.54 ms of CPU a request) with three of them, about 12.7 needed with two.
    for node in &mut bp.nodes {
        if let blastradius::nodes::NodeKind::Service(s) = &mut node.kind {
            s.cores = Some(5);
        }
    }
    let sim = run_chaos(&bp, 2, 45.0, 1000.0, &[chaos("node-failure@20s:app-1")]);
    let w = &sim.history().windows;
    assert!(
        w[15].nodes["app-2"].utilization < 0.9,
        "before: {}",
        w[15].nodes["app-2"].utilization
    );
    assert!(
        w[38].nodes["app-2"].utilization > 0.95,
        "after: {}",
        w[38].nodes["app-2"].utilization
    );
    assert!(
        w[38].error_rate > 0.05,
        "the survivors shed load: {}",
        w[38].error_rate
    );
}

#[test]
fn pool_exhaustion_errors_while_the_database_idles() {
    let sim = run_chaos(
        &three_tier(),
        3,
        50.0,
        1000.0,
        &[chaos("pool-exhaustion@20s+20s:db")],
    );
    let inc = incident(&sim.history().windows, 5.0, 20.0, 40.0);
    let (cause, share) = dominant(&inc.errors);
    assert_eq!(cause, "pool_exhausted", "{:?}", inc.errors);
    assert!(share > 0.8);
    // 6 usable connections in all against 16 cores: the database cannot be more than 6/16
    // busy, and is less busy than before while the callers fail.
    let w = &sim.history().windows;
    let (before, during) = (w[15].nodes["db"].utilization, w[30].nodes["db"].utilization);
    assert!(
        during < 0.4 && during < before,
        "database utilization {before} before, {during} during"
    );
    assert!(inc.peak_error_rate.0 > 0.05);
}

#[test]
fn thundering_herd_is_a_spike_at_recovery_and_the_shipped_jitter_removes_its_errors() {
    // The scenario file's own timeline, moved 20 s earlier to keep the run short (the load
    // balancer is out from 10 s to 40 s), with and without its `reconnect-jitter`.
    let scenario = Scenario::resolve("thundering-herd").expect("ships");
    let run = |mitigated: bool| {
        let mut bp = three_tier();
        let mut timeline = scenario.timeline.clone();
        for i in &mut timeline {
            i.at_s -= 20.0;
        }
        if mitigated {
            scenario
                .mitigation("reconnect-jitter")
                .expect("ships")
                .apply(&mut bp, &mut timeline);
        }
        run_chaos(&bp, 4, 52.0, 100.0, &timeline)
    };
    let after = |sim: &blastradius::run::HeadlessRun| {
        // The ten seconds after the load balancer is back (windows of 100 ms).
        let w = &sim.history().windows;
        let span = w.iter().filter(|w| w.t_s > 40.0 && w.t_s <= 50.0);
        let (mut errors, mut answered, mut peak) = (0u64, 0.0, 0u64);
        for w in span {
            errors += w.errors.values().sum::<u64>();
            answered += w.throughput * 0.1 + w.errors.values().sum::<u64>() as f64;
            peak = peak.max(w.nodes["lb"].arrivals);
        }
        (errors as f64 / answered, peak as f64)
    };
    let (herd_errors, herd_peak) = after(&run(false));
    let (jitter_errors, jitter_peak) = after(&run(true));
    // Normal traffic is 1,000 per 100 ms; 100,000 reconnects over 200 ms add 50,000 per
    // window. Spread over 30 s they add 333 per window.
    assert!(herd_peak > 20_000.0, "herd peak {herd_peak}");
    assert!(jitter_peak < 1_500.0, "jittered peak {jitter_peak}");
    assert!(
        herd_errors > 0.2,
        "the herd should fail much of the traffic after recovery: {herd_errors:.4}"
    );
    assert!(
        jitter_errors < 0.001,
        "with reconnect-jitter almost nothing fails after recovery: {jitter_errors:.4}"
    );
}

/// 2,000 requests/s, 20% writes (400/s), over 10,000 equally popular keys; two replicas.
const REPLICAS: &str = r#"Blueprint(name: "replicas", nodes: [
    (id: "users", kind: Client(rps: 2000, read_ratio: 0.8, keyspace: (keys: 10000, zipf_s: 0.0))),
    (id: "db", kind: Database(read_replicas: 2)),
], edges: [(from: "users", to: "db")])"#;

#[test]
fn replication_lag_serves_stale_reads_unless_they_go_to_the_primary() {
    // Lag of 1 s on every write committed from 10 s to 30 s. A read is stale when its key
    // had a write in the last second: writes come at 400/s spread over 10,000 keys, so a key
    // gets 400 x 1 / 10,000 = 0.04 writes per lag window (Poisson), and a read finds one
    // with probability 1 - e^-0.04 = 3.92%. Reads come at 1,600/s for the 20 s of lag
    // (ramping up over the first second and down over the second after, which adds up to
    // one full second): 1,600 x 20 x 3.92% = 1,255 stale reads.
    let (writes_per_s, keys, lag_s, reads_per_s, span_s) = (400.0, 10_000.0, 1.0, 1600.0, 20.0);
    let expected = reads_per_s * span_s * (1.0 - f64::exp(-writes_per_s * lag_s / keys));
    let run = |read_your_writes: bool| {
        let mut bp = blueprint(REPLICAS);
        if let blastradius::nodes::NodeKind::Database(db) = &mut bp.nodes[1].kind {
            db.read_your_writes = read_your_writes;
        }
        let lag = chaos("replication-lag@10s+20s:db");
        let mut lag = lag;
        lag.chaos = blastradius::chaos::Chaos::ReplicationLag(
            ron::from_str("(delay_ms: 1000)").expect("parses"),
        );
        let sim = run_chaos(&bp, 5, 40.0, 1000.0, &[lag]);
        let world = sim.app.world();
        let db = world.resource::<blastradius::blueprint::Spawned>().nodes["db"];
        let model = world.get::<blastradius::sim::Model>(db).expect("a model");
        let behind = model
            .0
            .as_any()
            .downcast_ref::<blastradius::nodes::database::Database>()
            .expect("a database")
            .reads_behind();
        let w = &sim.history().windows;
        let metric: u64 = w.iter().map(|w| w.nodes["db"].stale_reads).sum();
        let primary: u64 = w.iter().map(|w| w.nodes["db"].arrivals).sum();
        (behind, metric, primary)
    };
    // Without the fix: the versions the reads served say as many stale reads as the
    // hand calculation, and the stale-read metric says the same.
    let (behind, metric, primary) = run(false);
    assert_close(
        "stale reads (versions served)",
        behind as f64,
        expected,
        0.1,
    );
    assert_eq!(
        metric, behind,
        "the stale-read metric and the versions served disagree"
    );
    // With it: no read serves an old version, and the primary takes those reads instead.
    let (behind_fixed, metric_fixed, primary_fixed) = run(true);
    assert_eq!(
        (behind_fixed, metric_fixed),
        (0, 0),
        "reads behind the last write with read-your-writes on"
    );
    assert_close(
        "extra reads at the primary",
        primary_fixed as f64 - primary as f64,
        behind as f64,
        0.15,
    );
}

#[test]
fn partition_and_memory_pressure_compose() {
    let errors = |specs: &[&str]| {
        let injections: Vec<_> = specs.iter().map(|s| chaos(s)).collect();
        let sim = run_chaos(&three_tier(), 6, 60.0, 1000.0, &injections);
        let inc = incident(&sim.history().windows, 5.0, 20.0, 50.0);
        (inc.errors.values().sum::<u64>(), inc.peak_p99.0)
    };
    let partition = errors(&["network-partition@20s+30s:app-1|cache"]);
    let memory = errors(&["memory-pressure@20s+30s:app-2"]);
    let both = errors(&[
        "network-partition@20s+30s:app-1|cache",
        "memory-pressure@20s+30s:app-2",
    ]);
    assert!(
        partition.0 > 0 && memory.0 > 0,
        "each alone does harm: {partition:?} {memory:?}"
    );
    assert!(
        both.0 > partition.0 && both.0 > memory.0,
        "together: {both:?}, alone: {partition:?} {memory:?}"
    );
}

#[test]
fn autoscaling_recovers_from_a_spike_after_the_boot_delay() {
    // 2 replicas x 10 workers (a core each) at 10 ms: 2,000/s of capacity for 1,000/s. A 3x spike at 20 s
    // needs 3 replicas' worth at 100%; the autoscaler aims for 60% busy and boots new
    // replicas in 10 s.
    let bp = |autoscale: &str| {
        blueprint(&format!(
            r#"Blueprint(name: "scaling", nodes: [
                (id: "users", kind: Client(rps: 1000)),
                (id: "api", kind: Service(replicas: 2, concurrency: 10, cores: 10, queue_capacity: 100, work: Exponential(10.0){autoscale})),
            ], edges: [(from: "users", to: "api", timeout_ms: 2000)])"#
        ))
    };
    let spike = chaos("request-spike@20s+60s");
    let fixed = run_chaos(&bp(""), 8, 80.0, 1000.0, std::slice::from_ref(&spike));
    let scaled = run_chaos(
        &bp(
            ", autoscale: (min_replicas: 2, max_replicas: 10, target_utilization: 0.6, interval_ms: 5000, boot_ms: 10000)",
        ),
        8,
        80.0,
        1000.0,
        &[spike],
    );
    let late = |sim: &blastradius::run::HeadlessRun| sim.history().windows[65].error_rate;
    assert!(
        late(&fixed) > 0.2,
        "without autoscaling the spike keeps failing: {}",
        late(&fixed)
    );
    assert!(
        late(&scaled) < 0.01,
        "with autoscaling it recovers: {}",
        late(&scaled)
    );
    // Not before the boot delay: the first seconds of the spike fail either way.
    assert!(
        scaled.history().windows[31].error_rate > 0.1,
        "new replicas are not instant"
    );
    // Replicas over time, by hand: the autoscaler looks every 5 s (5, 10, ... s) at the CPU
    // (busy cores plus calls waiting for a core, as target tracking on CPU does). At 20 s the
    // spike has only just begun; at 25 s all 20 cores are busy (the calls queued for a worker
    // wait for no core): 20 / 0.6 = 33.3 cores = 4 replicas, so it starts 2, which serve from
    // 25 + 10 = 35 s. A window reports the workers at its end: two replicas' 20 in the windows
    // ending before 35 s, four replicas' 40 from the one ending at 35 s.
    let servers: Vec<u32> = scaled
        .history()
        .windows
        .iter()
        .map(|w| w.nodes["api"].servers)
        .collect();
    let (decided_s, boot_s) = (25, 10);
    let ready = decided_s + boot_s;
    for (i, &n) in servers.iter().enumerate().take(ready + 4) {
        let t_s = i + 1;
        let want = if t_s < ready { 20 } else { 40 };
        assert_eq!(
            n, want,
            "workers in the window ending at {t_s} s (scaled at {decided_s} s, boot {boot_s} s): {servers:?}"
        );
    }
}

#[test]
fn injections_compose_and_stopping_one_lifts_only_its_modifiers() {
    use blastradius::chaos::stop;
    use blastradius::run::{HeadlessRun, RunConfig};
    use blastradius::sim::{EdgeMods, Topology};

    let mut sim = HeadlessRun::new(&three_tier(), RunConfig::new(1, 10.0)).expect("spawns");
    // Both land on the edges into app-1: 200 ms + 100 ms added, 5% packet loss.
    let latency = sim
        .inject(&chaos("latency-injection@1s:app-1"))
        .expect("resolves");
    let mut more = chaos("latency-injection@1s:app-1");
    more.chaos = blastradius::chaos::Chaos::LatencyInjection(
        ron::from_str("(add_ms: 100, jitter_ms: 0)").expect("parses"),
    );
    sim.inject(&more).expect("resolves");
    sim.inject(&chaos("packet-loss@1s:app-1"))
        .expect("resolves");
    sim.advance_to(2_000_000_000);

    let world = sim.app.world_mut();
    let edges = world.resource::<Topology>().edges.clone();
    let into_app = |world: &bevy::prelude::World| -> Vec<EdgeMods> {
        edges
            .iter()
            .map(|&e| EdgeMods::read(world, e))
            .filter(EdgeMods::any)
            .collect()
    };
    let active = into_app(world);
    assert!(!active.is_empty(), "the chaos is on some edges");
    for m in &active {
        let added = m.latency.expect("latency added");
        assert_eq!(added.add_ns, 300_000_000, "200 ms + 100 ms");
        assert_eq!(added.jitter_ns, 50_000_000, "50 ms + 0 ms of jitter");
        assert!((m.loss - 0.05).abs() < 1e-12);
    }

    // Stopping the first leaves the other two as they were.
    stop(world, latency);
    for m in into_app(world) {
        assert_eq!(m.latency.map(|l| l.add_ns), Some(100_000_000));
        assert!((m.loss - 0.05).abs() < 1e-12);
    }
}

#[test]
fn the_chaos_count_follows_every_modifier_in_and_out() {
    use bevy::prelude::*;
    use blastradius::sim::{Down, UnderChaos, inject, lift, lift_all};
    let mut world = World::new();
    let node = world.spawn_empty().id();
    let count = |world: &World| world.get::<UnderChaos>(node).map(|c| c.0);
    inject(&mut world, node, 1, Down);
    inject(&mut world, node, 2, Down);
    assert_eq!(count(&world), Some(2), "two injections, two modifiers");
    lift::<Down>(&mut world, node, 1);
    assert_eq!(count(&world), Some(1), "one lifted");
    lift_all(&mut world, node, 2);
    assert_eq!(count(&world), None, "none left: the marker goes");
}

/// A client sending 200 requests/s straight to one service whose work takes exactly 10 ms.
const ONE_SERVICE: &str = r#"Blueprint(name: "one", nodes: [
    (id: "src", kind: Client(rps: 200)),
    (id: "svc", kind: Service(concurrency: 1000, cores: 1000, work: Constant(10.0))),
], edges: [(from: "src", to: "svc", latency: Constant(0.0), timeout_ms: 100)])"#;

#[test]
fn two_slowdowns_on_one_node_multiply() {
    // CPU pressure 2x from 2 s to 6 s and disk pressure 3x from 4 s to 8 s on the same
    // service: 10 ms of work takes 20 ms, then 2 x 3 x 10 = 60 ms while both hold, then
    // 30 ms, then 10 ms again.
    let pressure = |spec: &str, slowdown: f64| {
        let mut i = chaos(spec);
        let params = ron::from_str(&format!("(slowdown: {slowdown})")).expect("parses");
        i.chaos = match i.chaos {
            blastradius::chaos::Chaos::CpuPressure(_) => {
                blastradius::chaos::Chaos::CpuPressure(params)
            }
            blastradius::chaos::Chaos::DiskPressure(_) => {
                blastradius::chaos::Chaos::DiskPressure(params)
            }
            other => other,
        };
        i
    };
    let sim = run_chaos(
        &blueprint(ONE_SERVICE),
        11,
        10.0,
        1000.0,
        &[
            pressure("cpu-pressure@2s+4s:svc", 2.0),
            pressure("disk-pressure@4s+4s:svc", 3.0),
        ],
    );
    let w = &sim.history().windows;
    let p50 = |end_s: usize| w[end_s - 1].nodes["svc"].latency.p50_ms;
    for (end_s, want_ms) in [
        (2, 10.0),
        (3, 20.0),
        (5, 60.0),
        (6, 60.0),
        (7, 30.0),
        (8, 30.0),
        (10, 10.0),
    ] {
        assert_close(
            &format!("work in the window ending at {end_s} s"),
            p50(end_s),
            want_ms,
            0.02,
        );
    }
}

#[test]
fn a_partition_and_a_down_node_on_one_node_each_hold_for_their_own_span() {
    // The service is down from 2 s to 6 s and cut off from its client from 4 s to 8 s:
    // every call fails from 2 s to 8 s (lifting the crash at 6 s must leave the partition),
    // and none after the last calls sent into the partition have timed out (8.1 s).
    let sim = run_chaos(
        &blueprint(ONE_SERVICE),
        12,
        11.0,
        1000.0,
        &[
            chaos("node-failure@2s+4s:svc"),
            chaos("network-partition@4s+4s:src|svc"),
        ],
    );
    let w = &sim.history().windows;
    let rate = |end_s: usize| w[end_s - 1].error_rate;
    assert_eq!(rate(2), 0.0, "before");
    for end_s in [3, 4, 5, 6, 7, 8] {
        assert!(
            rate(end_s) > 0.99,
            "error rate {} in the window ending at {end_s} s",
            rate(end_s)
        );
    }
    assert_eq!(rate(10), 0.0, "after both");
    let causes = |end_s: usize| w[end_s - 1].errors.keys().cloned().collect::<Vec<_>>();
    assert_eq!(causes(3), ["node_down"], "down alone");
    assert!(
        !causes(8).contains(&"node_down".to_string()) && !causes(8).is_empty(),
        "the partition alone after the crash is lifted: {:?}",
        causes(8)
    );
}

#[test]
fn a_retry_storm_on_three_tier_retries_through_the_pools_and_a_retry_budget_contains_it() {
    // The database slows to a quarter from 10 s to 30 s while every app server retries
    // whatever fails four times at once, pool_exhausted included (the retry-storm scenario,
    // shortened).
    let scenario = Scenario::parse(
        "retry-storm",
        blastradius::scenario::BUILTIN_SCENARIOS
            .iter()
            .find(|(n, _)| *n == "retry-storm")
            .expect("built in")
            .1,
    )
    .expect("parses");
    let mut storm = scenario.timeline[0].clone();
    storm.at_s = 10.0;
    storm.duration_s = Some(20.0);
    let bp = three_tier();
    let sim = run_chaos(&bp, 1, 40.0, 1000.0, std::slice::from_ref(&storm));
    let inc = incident(&sim.history().windows, 5.0, 10.0, 30.0);
    let (before, during) = inc.retry_share["db"];
    assert!(before < 0.01, "retries before the storm: {before}");
    assert!(
        during > 0.5,
        "retries were only {during:.2} of the attempts into db during the storm"
    );
    let storm_errors = blastradius::analysis::means(&sim.history().windows, 10.0, 30.0);
    assert!(
        storm_errors.error_rate > 0.2,
        "error rate {}",
        storm_errors.error_rate
    );

    // With the scenario's mitigation, a retry budget of 10%.
    let mut mitigated = bp.clone();
    let mut timeline = vec![storm.clone()];
    scenario
        .mitigation("retry-budget")
        .expect("the scenario has it")
        .apply(&mut mitigated, &mut timeline);
    let sim = run_chaos(&mitigated, 1, 40.0, 1000.0, &timeline);
    let budgeted = blastradius::analysis::means(&sim.history().windows, 10.0, 30.0);
    assert!(
        budgeted.retry_share["db"] < 0.15,
        "retries with a budget: {}",
        budgeted.retry_share["db"]
    );
    assert!(
        budgeted.error_rate < 0.5 * storm_errors.error_rate,
        "errors with a budget {} vs {} without",
        budgeted.error_rate,
        storm_errors.error_rate
    );
}

#[test]
fn the_steady_state_ends_at_the_first_injection() {
    // A stampede at 20 s: the summary covers the windows before it, not the cascade.
    let mut sim = run_chaos(
        &three_tier(),
        1,
        30.0,
        1000.0,
        &[chaos("cache-stampede@20s")],
    );
    let s = sim.summary();
    assert_eq!(
        s.steady_until_s, 20.0,
        "steady state until {} s",
        s.steady_until_s
    );
    assert!(
        s.latency.p99_ms < 100.0 && s.error_rate == 0.0,
        "the steady state took in the stampede: p99 {} ms, errors {}",
        s.latency.p99_ms,
        s.error_rate
    );
}
