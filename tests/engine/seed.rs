//! The seed's headline run on the `e-commerce` blueprint: its steady state is the one the
//! SysSimulator article quotes (98% hits, p99 48 ms, no errors to speak of), and its cache
//! stampede stays where the README's table "The seed's stampede on `e-commerce`" puts it, so a
//! model change that moves those figures fails here until the table is updated.

use blastradius::analysis::incident;
use blastradius::blueprint::{Blueprint, builtin};
use blastradius::sim::{PoolWindow, WindowRecord};

use crate::support::{assert_close, blueprint, chaos, run_chaos};

/// The "ours" figure of one row of the README's table (its first number, commas dropped):
/// the one place the figures live.
fn documented(row: &str) -> f64 {
    let readme = include_str!("../../README.md");
    let (_, section) = readme
        .split_once("### The seed's stampede on `e-commerce`")
        .expect("the README compares the seed's stampede with e-commerce's");
    let line = section
        .lines()
        .find(|l| l.starts_with(&format!("| {row} |")))
        .unwrap_or_else(|| panic!("no row {row:?} in the README's table"));
    let ours = line.split('|').nth(3).expect("an \"ours\" column");
    let number: String = ours
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .filter(|c| *c != ',')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("no number in {ours:?}"))
}

/// web's pool of connections to db in a window.
fn db_pool(w: &WindowRecord) -> &PoolWindow {
    &w.nodes["web"].pools["db"]
}

fn e_commerce() -> Blueprint {
    blueprint(builtin("e-commerce").expect("built in"))
}

/// Asserts `actual` is within `points` (absolute, on a 0..1 ratio) of `documented_percent`.
fn assert_within_points(what: &str, actual: f64, documented_percent: f64, points: f64) {
    let expected = documented_percent / 100.0;
    eprintln!(
        "{what}: simulated {:.1}%, README {documented_percent}%",
        actual * 100.0
    );
    assert!(
        (actual - expected).abs() <= points,
        "{what}: simulated {:.1}%, README says {documented_percent}% (allowed {:.0} points)",
        actual * 100.0,
        points * 100.0
    );
}

#[test]
fn e_commerce_steady_state_and_stampede_are_the_readme_s() {
    // The README's command: `run e-commerce --chaos cache-stampede@30s --duration 300s`,
    // 1 s windows, seed 1, the steady state after a 10 s warm-up.
    let bp = e_commerce();
    assert_eq!(bp.total_rps(), 10_000.0);
    let sim = run_chaos(&bp, 1, 300.0, 1000.0, &[chaos("cache-stampede@30s")]);
    let w = &sim.history().windows;
    let inc = incident(w, 10.0, 30.0, 30.0);

    // The seed's steady state: 98% hits, p99 48 ms, 0.1% errors; healthy CPU.
    let hit = inc.base_hit["cache"];
    assert!((0.97..=0.99).contains(&hit), "steady hit rate {hit}");
    assert_within_points("steady hit rate", hit, documented("hit rate before"), 0.005);
    assert_close(
        "steady p99, ms",
        inc.base_p99_ms,
        documented("p99 before"),
        0.25,
    );
    assert!(
        inc.base_error_rate < 0.001,
        "steady error rate {}",
        inc.base_error_rate
    );
    for id in ["web", "pricing", "db"] {
        let busy = w[10..30]
            .iter()
            .map(|w| w.nodes[id].utilization)
            .sum::<f64>()
            / 20.0;
        assert!(
            busy < 0.7,
            "{id} at {:.0}% before the stampede",
            busy * 100.0
        );
    }
    // The pool into the database carries about 10% of the reads (the seed's premise): with
    // the cache gone it answers about 980 a second, no more.
    let db_reads = w[31..40]
        .iter()
        .map(|w| w.nodes["db"].throughput)
        .sum::<f64>()
        / 9.0;
    assert!(
        (800.0..=1100.0).contains(&db_reads),
        "db answered {db_reads}/s during the stampede"
    );

    // The stampede, against the README's figures.
    assert_within_points(
        "lowest hit rate",
        inc.min_hit["cache"],
        documented("lowest hit rate"),
        0.05,
    );
    assert_within_points(
        "peak error rate",
        inc.peak_error_rate.0,
        documented("peak error rate"),
        0.05,
    );
    assert_close("peak p99, ms", inc.peak_p99.0, documented("peak p99"), 0.15);
    // Recovery: seeds 1-4 gave 3.2-4.0 minutes; room for that spread.
    let recovery_min = inc.recovery_s.expect("recovers within the run") / 60.0;
    let readme_min = documented("recovery");
    eprintln!("recovery: simulated {recovery_min:.2} min, README {readme_min} min");
    assert!(
        (0.75 * readme_min..=1.4 * readme_min).contains(&recovery_min),
        "recovered after {recovery_min:.2} min, the README says {readme_min} min"
    );
    let (cause, n) = inc
        .errors
        .iter()
        .max_by_key(|(_, n)| **n)
        .expect("some errors");
    let share = *n as f64 / inc.errors.values().sum::<u64>() as f64;
    assert!(
        cause == "pool_exhausted" && share > 0.5,
        "dominant {cause} at {share}"
    );
}

#[test]
fn e_commerce_pool_saturates_when_the_readme_says() {
    // `run e-commerce --chaos cache-stampede@30s --duration 31s --window 10ms`. In the steady
    // state a burst of misses fills the 8 connections for a window now and then, with a few
    // callers waiting (5 at most in the README's run); saturation is the pool full with more
    // than twice as many waiting as ever before the stampede.
    let sim = run_chaos(&e_commerce(), 1, 31.0, 10.0, &[chaos("cache-stampede@30s")]);
    let w = &sim.history().windows;
    let steady_waiters = w
        .iter()
        .filter(|w| w.t_s <= 30.0)
        .map(|w| db_pool(w).waiters)
        .fold(0.0, f64::max);
    assert!(
        steady_waiters < 20.0,
        "{steady_waiters} callers waited for the pool before the stampede"
    );
    let after_ms = w
        .iter()
        .filter(|w| w.t_s > 30.0)
        .find(|w| {
            let p = db_pool(w);
            p.in_use >= 0.9 * f64::from(p.size) && p.waiters > 2.0 * steady_waiters.max(1.0)
        })
        .map(|w| (w.t_s - 30.0) * 1000.0)
        .expect("the pool saturates");
    let readme_ms = documented("time to pool saturation");
    eprintln!("pool saturated after {after_ms:.0} ms, README {readme_ms} ms");
    assert!(
        after_ms <= 3.0 * readme_ms,
        "pool saturated after {after_ms:.0} ms, the README says {readme_ms} ms"
    );
}
