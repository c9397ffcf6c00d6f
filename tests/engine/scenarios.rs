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
