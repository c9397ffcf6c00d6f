//! Same blueprint + seed gives the same numbers, bit for bit; another seed differs; and two
//! short runs match their windows kept in `tests/fixtures/` (update with `BLESS=1`).

use crate::support::{blueprint, chaos, run, run_chaos, three_tier};

fn windows_json(seed: u64) -> String {
    let bp = blueprint(blastradius::blueprint::builtin("three-tier").expect("built in"));
    let mut bp = bp;
    bp.set_total_rps(3000.0);
    let sim = run(&bp, seed, 8.0);
    serde_json::to_string(&sim.history().windows).expect("serializes")
}

use blastradius::run::scenario_digest;

#[test]
fn same_seed_same_output_other_seed_differs() {
    let a = windows_json(42);
    let b = windows_json(42);
    let c = windows_json(43);
    assert_eq!(a, b, "two runs with seed 42 differ");
    assert_ne!(a, c, "seeds 42 and 43 gave identical output");
}

/// Where the golden runs' windows are kept.
fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.json"))
}

/// Differences between the fixture and what the run gave, field by field, as
/// `path: fixture X, got Y`; fields the fixture lacks (added since) are not differences.
fn differences(
    path: &str,
    want: &serde_json::Value,
    got: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, wv) in w {
                match g.get(key) {
                    Some(gv) => differences(&format!("{path}.{key}"), wv, gv, out),
                    None => out.push(format!("{path}.{key}: fixture {wv}, missing from the run")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                out.push(format!(
                    "{path}: fixture has {} entries, the run {}",
                    w.len(),
                    g.len()
                ));
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                differences(&format!("{path}[{i}]"), wv, gv, out);
            }
        }
        // serde_json prints the shortest text that reads back to the same f64, but its
        // default parser may land one unit in the last place off: allow that, no more.
        (Value::Number(w), Value::Number(g)) if same_f64(w.as_f64(), g.as_f64()) => {}
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{path}: fixture {w}, got {g}")),
    }
}

/// Equal, or one or two units in the last place apart (the JSON parser's rounding).
fn same_f64(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

/// Compares a run's windows with the fixture `name`, or writes the fixture with `BLESS=1`.
///
/// When a change to the model is intended, update the fixtures with
/// `BLESS=1 cargo test --no-default-features --test engine golden` and say in the commit
/// which numbers moved and why (`git diff tests/fixtures` shows them).
fn check_golden(name: &str, windows: &[blastradius::sim::WindowRecord]) {
    let got = serde_json::to_value(windows).expect("serializes");
    let path = fixture_path(name);
    if std::env::var_os("BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).expect("serializes");
        std::fs::write(&path, text + "\n").expect("writes the fixture");
        eprintln!("wrote {}", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); write it with BLESS=1",
            path.display()
        )
    });
    let want: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    let mut diffs = Vec::new();
    differences("windows", &want, &got, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{name}: {} numbers differ from {}; the first:\n{}\n\
         If the change is intended: BLESS=1 cargo test --no-default-features --test engine golden, \
         and say in the commit why the numbers moved.",
        diffs.len(),
        path.display(),
        diffs
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn golden_windows_of_a_calm_run() {
    let bp = blueprint(blastradius::blueprint::builtin("three-tier").expect("built in"));
    let mut bp = bp;
    bp.set_total_rps(3000.0);
    check_golden("three-tier-calm-8s", &run(&bp, 7, 8.0).history().windows);
}

#[test]
fn golden_windows_of_a_stampede_with_retries_and_saturated_pools() {
    // three-tier at 10,000 RPS, its cache emptied at 3 s: the database saturates and its
    // callers' pools with it. The app servers' database calls time out after 50 ms here and
    // are retried once, so the retry path is taken too.
    let mut bp = three_tier();
    for edge in &mut bp.edges {
        if edge.to == "db" {
            edge.timeout_ms = Some(50.0);
            edge.retries = Some(ron::from_str("(count: 1, backoff_ms: 5)").expect("parses"));
        }
    }
    let sim = run_chaos(&bp, 7, 8.0, 1000.0, &[chaos("cache-stampede@3s")]);
    let w = &sim.history().windows;
    let last = &w[7].nodes["app-1"];
    assert!(
        last.pools["db"].waiters > 1.0 && last.retries > 0,
        "the path this fixture is for was not taken: {} waiting, {} retries",
        last.pools["db"].waiters,
        last.retries
    );
    check_golden("three-tier-stampede-8s", w);
}

#[test]
fn the_golden_comparison_names_what_moved_and_ignores_new_fields() {
    let want: serde_json::Value =
        serde_json::from_str(r#"[{"t_s": 1.0, "nodes": {"db": {"p99_ms": 20.5, "arrivals": 7}}}]"#)
            .unwrap();
    let same_plus_field: serde_json::Value = serde_json::from_str(
        r#"[{"t_s": 1.0, "new": 3, "nodes": {"db": {"p99_ms": 20.5, "arrivals": 7, "more": [1]}}}]"#,
    )
    .unwrap();
    let moved: serde_json::Value = serde_json::from_str(
        r#"[{"t_s": 1.0, "nodes": {"db": {"p99_ms": 20.500001, "arrivals": 7}}}]"#,
    )
    .unwrap();
    let mut diffs = Vec::new();
    differences("windows", &want, &same_plus_field, &mut diffs);
    assert!(diffs.is_empty(), "{diffs:?}");
    differences("windows", &want, &moved, &mut diffs);
    assert_eq!(
        diffs,
        ["windows[0].nodes.db.p99_ms: fixture 20.5, got 20.500001"]
    );
}

#[test]
fn the_exported_scenario_digest_is_repeatable_and_follows_the_seed() {
    // The browser build exports this function; its end-to-end test (web/test.sh) compares it
    // with what `blastradius run ... --scenario cache-stampede --seed 7` prints.
    let a = scenario_digest("three-tier", "cache-stampede", 7, Some(12.0)).unwrap();
    let b = scenario_digest("three-tier", "cache-stampede", 7, Some(12.0)).unwrap();
    assert_eq!(a, b);
    assert_ne!(
        a,
        scenario_digest("three-tier", "cache-stampede", 8, Some(12.0)).unwrap()
    );
    let err = scenario_digest("three-tier", "no-such-scenario", 7, None).unwrap_err();
    assert!(err.contains("no-such-scenario"), "{err}");
}
