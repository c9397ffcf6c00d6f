//! Chaos acceptance: the cascades come out of the model (queues, pools, timeouts, retries),
//! and the mitigations visibly work.

use blastradius::analysis::incident;
use blastradius::scenario::Scenario;

use crate::support::{blueprint, chaos, run_chaos, three_tier};

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
    assert!(base_hit > 0.8, "steady hit rate {base_hit}");
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
    // The cache refills over minutes, not seconds.
    let refill = inc.hit_recovery_s["cache"];
    assert!(
        refill.is_none_or(|s| s >= 60.0),
        "hit rate back after {refill:?} s"
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
}

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
fn thundering_herd_is_a_spike_at_recovery_much_smaller_with_jitter() {
    let peak = |reconnect_ms: f64| {
        let mut injection = chaos("thundering-herd@10s");
        if let blastradius::chaos::Chaos::ThunderingHerd(h) = &mut injection.chaos {
            h.reconnect_ms = reconnect_ms;
        }
        let sim = run_chaos(&three_tier(), 4, 50.0, 100.0, &[injection]);
        // Outage 10-40 s; arrivals at the load balancer per 100 ms after it is back.
        let w = &sim.history().windows;
        let after = w.iter().filter(|w| w.t_s > 40.0 && w.t_s <= 45.0);
        after.map(|w| w.nodes["lb"].arrivals).max().unwrap() as f64
    };
    let (herd, jittered) = (peak(200.0), peak(20_000.0));
    // Normal traffic is 1,000 per 100 ms; 20,000 reconnects over 200 ms add 10,000 per window.
    assert!(herd > 5_000.0, "herd peak {herd}");
    assert!(jittered < 1_500.0, "jittered peak {jittered}");
}

const REPLICAS: &str = r#"Blueprint(name: "replicas", nodes: [
    (id: "users", kind: Client(rps: 2000, read_ratio: 0.8, keyspace: (keys: 10000, zipf_s: 1.0))),
    (id: "db", kind: Database(read_replicas: 2)),
], edges: [(from: "users", to: "db")])"#;

#[test]
fn replication_lag_serves_stale_reads_unless_they_go_to_the_primary() {
    let stale = |read_your_writes: bool| {
        let mut bp = blueprint(REPLICAS);
        if let blastradius::nodes::NodeKind::Database(db) = &mut bp.nodes[1].kind {
            db.read_your_writes = read_your_writes;
        }
        let sim = run_chaos(&bp, 5, 40.0, 1000.0, &[chaos("replication-lag@10s+20s:db")]);
        let w = &sim.history().windows;
        let before: u64 = w[2..10].iter().map(|w| w.nodes["db"].stale_reads).sum();
        let during: u64 = w[12..30].iter().map(|w| w.nodes["db"].stale_reads).sum();
        (before, during, w[20].nodes["db"].arrivals)
    };
    let (before, during, primary_load) = stale(false);
    assert!(
        during > 10 * before.max(1) && during > 1000,
        "stale reads before {before}, during {during}"
    );
    let (_, fixed, primary_load_fixed) = stale(true);
    assert_eq!(fixed, 0, "reading from the primary removes stale reads");
    assert!(
        primary_load_fixed > primary_load,
        "the primary takes those reads"
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
    assert!(
        scaled.history().windows[65].nodes["api"].servers > 20,
        "it scaled out"
    );
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
