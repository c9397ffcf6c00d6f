//! Every scenario file loads, runs on the blueprint it names, and moves the metrics it says
//! it moves (checked against the steady state before its first injection).

use blastradius::chaos::Family;
use blastradius::scenario::{BUILTIN_SCENARIOS, Scenario};

use crate::support::{blueprint, run_chaos};

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
        let src = blastradius::blueprint::builtin(&scenario.blueprint)
            .unwrap_or_else(|| panic!("{name}: blueprint {} is not built in", scenario.blueprint));
        let mut bp = blueprint(src);
        if let Some(rps) = scenario.rps {
            bp.set_total_rps(rps);
        }
        let sim = run_chaos(&bp, 7, scenario.duration_s, 1000.0, &scenario.timeline);
        for m in scenario.check_moves(&sim.history().windows, 5.0) {
            if !m.moved {
                failures.push(format!(
                    "{name}: {:?} at {:?} should go {:?}: {:.3} before, {:.3} after",
                    m.expected.metric, m.expected.node, m.expected.direction, m.before, m.after
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
                // Autoscaling came first, from one replica; then 1 x 1.5 rounds up to 2.
                let a = new.autoscale.expect("autoscales");
                assert_eq!((a.min_replicas, a.max_replicas), (1, 4));
                assert_eq!((a.target_utilization, a.boot_ms), (0.6, 2_000.0));
                assert_eq!((old.replicas, new.replicas), (1, 2));
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
