//! Every scenario file loads, runs on the blueprint it names, and moves the metrics it says
//! it moves: checked against a quiet run (the same blueprint, traffic and seed with nothing
//! injected) over the windows of the injection span that had traffic. The checker itself is
//! tested too: chaos that does nothing fails it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use blastradius::blueprint::Blueprint;
use blastradius::chaos::Family;
use blastradius::scenario::{BUILTIN_SCENARIOS, Scenario};
use blastradius::sim::WindowRecord;

use crate::support::{blueprint, run_chaos};

/// The seed every scenario runs with.
const SEED: u64 = 7;

/// The blueprint a scenario names, at its traffic.
fn scenario_blueprint(scenario: &Scenario) -> Blueprint {
    let src = blastradius::blueprint::builtin(&scenario.blueprint).unwrap_or_else(|| {
        panic!(
            "{}: blueprint {} is not built in",
            scenario.name, scenario.blueprint
        )
    });
    let mut bp = blueprint(src);
    if let Some(rps) = scenario.rps {
        bp.set_total_rps(rps);
    }
    bp
}

/// Which quiet run a scenario compares with: its blueprint and total traffic.
fn quiet_key(scenario: &Scenario) -> (String, u64) {
    let bp = scenario_blueprint(scenario);
    (scenario.blueprint.clone(), bp.total_rps().to_bits())
}

type QuietRuns = Mutex<BTreeMap<(String, u64), Arc<OnceLock<Vec<WindowRecord>>>>>;

/// The quiet run for `scenario`, shared by every scenario of the same blueprint and traffic
/// (run once, as long as the longest check span among them; the families' tests run in
/// parallel, so the first to need one runs it and the others wait for it).
fn quiet_windows(scenario: &Scenario) -> Arc<OnceLock<Vec<WindowRecord>>> {
    static QUIET: OnceLock<QuietRuns> = OnceLock::new();
    let key = quiet_key(scenario);
    let cell = QUIET
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned")
        .entry(key.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let until = BUILTIN_SCENARIOS
            .iter()
            .map(|(name, src)| Scenario::parse(name, src).expect("parses"))
            .filter(|s| quiet_key(s) == key)
            .map(|s| s.check_span_s().1)
            .fold(0.0, f64::max);
        let sim = run_chaos(&scenario_blueprint(scenario), SEED, until, 1000.0, &[]);
        sim.history().windows.clone()
    });
    cell
}

/// Runs `scenario` up to the end of its check span and returns the claims that failed.
fn failed_claims(scenario: &Scenario, quiet: &[WindowRecord]) -> Vec<String> {
    let bp = scenario_blueprint(scenario);
    let (_, end) = scenario.check_span_s();
    let sim = run_chaos(&bp, SEED, end, 1000.0, &scenario.timeline);
    scenario
        .check_moves(&sim.history().windows, quiet)
        .into_iter()
        .filter(|m| !m.moved)
        .map(|m| {
            format!(
                "{}: {:?} at {:?} should go {:?}: quiet run's extreme {:.3}, with the chaos {:.3} ({} windows)",
                scenario.name,
                m.expected.metric,
                m.expected.node,
                m.expected.direction,
                m.quiet,
                m.after,
                m.windows
            )
        })
        .collect()
}

fn check_family(family: Family) {
    let names: Vec<&str> = blastradius::chaos::Chaos::catalog()
        .into_iter()
        .filter(|(_, f, ..)| *f == family)
        .map(|(n, ..)| n)
        .collect();
    let mut failures = Vec::new();
    for name in names {
        let Some((_, src)) = BUILTIN_SCENARIOS.iter().find(|(n, _)| *n == name) else {
            failures.push(format!("{name}: no scenarios/{name}.ron"));
            continue;
        };
        let scenario = Scenario::parse(name, src).unwrap_or_else(|e| panic!("{e}"));
        let quiet = quiet_windows(&scenario);
        failures.extend(failed_claims(&scenario, quiet.get().expect("ran")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A scenario on three-tier at 2,000 RPS for 20 s with one latency injection on the database
/// 8 s to 12 s on the database, claiming every direction the old check let pass on the drain alone.
fn small_scenario(add_ms: f64) -> Scenario {
    let src = format!(
        r#"Scenario(
    name: "inert", title: "x", description: "x", blueprint: "three-tier", rps: 2000,
    duration_s: 20, real_world: "x",
    moves: [
        (metric: Throughput, direction: Down),
        (metric: Arrivals, node: "lb", direction: Down),
        (metric: Utilization, node: "db", direction: Down),
        (metric: HitRate, node: "cache", direction: Down),
        (metric: ErrorRate, direction: Up),
        (metric: P99, direction: Up),
    ],
    timeline: [(chaos: LatencyInjection(add_ms: {add_ms}, jitter_ms: 0), target: Node("db"), at_s: 8, duration_s: 4)],
)"#
    );
    Scenario::parse("inert.ron", &src).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn chaos_that_does_nothing_fails_the_check_even_with_the_drain_in_the_run() {
    // Nothing added: the run with the "chaos" is the quiet run, window for window. Both run
    // to the end of traffic and drain, so the windows after it (throughput, arrivals and
    // utilization near zero) are in the data: the check must not count them.
    let inert = small_scenario(0.0);
    let bp = scenario_blueprint(&inert);
    let quiet = run_chaos(&bp, SEED, inert.duration_s, 1000.0, &[]);
    let quiet = &quiet.history().windows;
    let run = run_chaos(&bp, SEED, inert.duration_s, 1000.0, &inert.timeline);
    let drained = run.history().windows.last().expect("windows");
    assert!(
        drained.t_s > inert.duration_s && drained.throughput < 100.0,
        "the run should include the drain: {} s, {}/s",
        drained.t_s,
        drained.throughput
    );
    let moved: Vec<_> = inert
        .check_moves(&run.history().windows, quiet)
        .into_iter()
        .filter(|m| m.moved)
        .map(|m| format!("{:?} {:?}", m.expected.metric, m.expected.direction))
        .collect();
    assert!(
        moved.is_empty(),
        "inert chaos passed the check for {moved:?}"
    );

    // The same file with half a second added to the database calls (the cache misses, 16%)
    // moves p99: the
    // check can pass too.
    let slow = small_scenario(500.0);
    let run = run_chaos(&bp, SEED, slow.duration_s, 1000.0, &slow.timeline);
    let checks = slow.check_moves(&run.history().windows, quiet);
    let p99 = checks
        .iter()
        .find(|m| m.expected.metric == blastradius::scenario::Metric::P99)
        .expect("claimed");
    assert!(p99.moved, "500 ms added did not move p99: {p99:?}");
    // 8-12 s and the settle tail up to the end of traffic at 20 s: windows ending 9..=20.
    assert_eq!(p99.windows, 12, "{p99:?}");
}

#[test]
fn every_scenario_file_parses_and_names_a_known_kind() {
    assert!(
        BUILTIN_SCENARIOS.len() >= 30,
        "only {} scenario files",
        BUILTIN_SCENARIOS.len()
    );
    for (name, src) in BUILTIN_SCENARIOS {
        let s = Scenario::parse(name, src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&s.name, name, "file name and scenario name differ");
        assert!(
            !s.moves.is_empty() && !s.real_world.is_empty(),
            "{name} lacks moves or a real-world example"
        );
    }
}

#[test]
fn network_scenarios_move_their_metrics() {
    check_family(Family::Network);
}

#[test]
fn infrastructure_scenarios_move_their_metrics() {
    check_family(Family::Infrastructure);
}

#[test]
fn data_scenarios_move_their_metrics() {
    check_family(Family::Data);
}

#[test]
fn traffic_and_dependency_scenarios_move_their_metrics() {
    check_family(Family::Traffic);
    check_family(Family::Dependency);
}

#[test]
fn a_bad_scenario_file_names_the_line_and_the_valid_kinds() {
    let src = r#"Scenario(
    name: "x", title: "x", description: "x", blueprint: "three-tier", duration_s: 60,
    moves: [], real_world: "x",
    timeline: [(chaos: CacheStampeed(), at_s: 30)],
)"#;
    let e = Scenario::parse("bad.ron", src).expect_err("unknown kind");
    assert_eq!(e.line, 4, "{e}");
    assert!(
        e.message.contains("CacheStampeed") && e.message.contains("CacheStampede"),
        "{e}"
    );
    let empty = src.replace("[(chaos: CacheStampeed(), at_s: 30)]", "[]");
    let e = Scenario::parse("bad.ron", &empty).expect_err("empty timeline");
    assert!(e.message.contains("at least one injection"), "{e}");
}

/// The changes no scenario file uses yet reach the parameters of the kinds that take them,
/// and no other node: services autoscale from their replicas to four times them, keyspace
/// caches write through, services scale up by a factor rounded up, and circuit breakers go
/// on edges into services and the database but not into the cache.
#[test]
fn a_mitigation_changes_only_the_kinds_that_take_it() {
    use blastradius::nodes::NodeKind;
    use blastradius::nodes::cache::CacheParams;
    use blastradius::nodes::keyspace::WritePolicy;
    use blastradius::scenario::{Change, Mitigation};

    let before = crate::support::three_tier();
    let mut bp = before.clone();
    let mitigation = Mitigation {
        name: "all".into(),
        description: String::new(),
        changes: vec![
            Change::Autoscale(0.6, 2_000.0),
            Change::WriteThrough,
            Change::ScaleServices(1.5),
            Change::CircuitBreakers,
        ],
    };
    mitigation.apply(&mut bp, &mut []);
    for (old, new) in before.nodes.iter().zip(&bp.nodes) {
        match (&old.kind, &new.kind) {
            (NodeKind::Service(old), NodeKind::Service(new)) => {
                // Autoscaling came first, from the replicas it had (at least them, at most
                // four times them); then the replicas x 1.5, rounded up.
                let a = new.autoscale.expect("autoscales");
                assert_eq!(
                    (a.min_replicas, a.max_replicas),
                    (old.replicas, old.replicas * 4)
                );
                assert_eq!((a.target_utilization, a.boot_ms), (0.6, 2_000.0));
                let scaled = (f64::from(old.replicas) * 1.5).ceil() as u32;
                assert_eq!(new.replicas, scaled);
                assert!(scaled > old.replicas);
            }
            (NodeKind::Cache(old), NodeKind::Cache(new)) => {
                let on_write = |c: &CacheParams| c.keyspace.map(|k| k.on_write);
                assert_eq!(on_write(old), Some(WritePolicy::Invalidate));
                assert_eq!(on_write(new), Some(WritePolicy::Update));
            }
            (old, new) => assert_eq!(old, new, "only services and the cache change"),
        }
    }
    for edge in &bp.edges {
        let guarded = edge.to.starts_with("app-") || edge.to == "db";
        assert_eq!(
            edge.breaker.is_some(),
            guarded,
            "{} -> {}",
            edge.from,
            edge.to
        );
    }
}
