//! Helpers shared by the topics: run a RON blueprint headless and read its summary.

use blastradius::blueprint::Blueprint;
use blastradius::run::{HeadlessRun, RunConfig, Summary};

/// Parses `ron` (panicking with the error if invalid).
pub fn blueprint(ron: &str) -> Blueprint {
    Blueprint::parse("test", ron).unwrap_or_else(|e| panic!("test blueprint invalid: {e}"))
}

/// Runs `bp` for `duration_s` with `seed` and returns the finished run.
pub fn run(bp: &Blueprint, seed: u64, duration_s: f64) -> HeadlessRun {
    let mut sim = HeadlessRun::new(bp, RunConfig::new(seed, duration_s)).expect("spawns");
    sim.run(|_, _| {});
    sim
}

/// Runs and summarises.
pub fn summary(bp: &Blueprint, seed: u64, duration_s: f64) -> Summary {
    run(bp, seed, duration_s).summary()
}

/// A source sending Poisson traffic at `rps` straight to one station (no network delay).
pub fn single_station(rps: f64, servers: u32, work: &str) -> Blueprint {
    blueprint(&format!(
        r#"Blueprint(
            name: "station",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: 1.0)),
                (id: "srv", kind: Service(replicas: 1, concurrency: {servers}, queue_capacity: None, work: {work})),
            ],
            edges: [(from: "src", to: "srv", latency: Constant(0.0))],
        )"#
    ))
}

/// Asserts `actual` is within `tolerance` (relative) of `expected`.
pub fn assert_close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    let err = (actual - expected).abs() / expected;
    eprintln!(
        "{what}: simulated {actual:.4}, theory {expected:.4} ({:+.2}%)",
        (actual / expected - 1.0) * 100.0
    );
    assert!(
        err <= tolerance,
        "{what}: simulated {actual:.4}, theory {expected:.4}, off by {:.2}% (allowed {:.1}%)",
        err * 100.0,
        tolerance * 100.0
    );
}

/// Runs `bp` with chaos `injections` for `duration_s`, windows of `window_ms`.
pub fn run_chaos(
    bp: &Blueprint,
    seed: u64,
    duration_s: f64,
    window_ms: f64,
    injections: &[blastradius::chaos::Injection],
) -> HeadlessRun {
    let mut config = RunConfig::new(seed, duration_s);
    config.window_ns = (window_ms * 1e6) as u64;
    let mut sim = HeadlessRun::new(bp, config).expect("spawns");
    for i in injections {
        sim.inject(i).expect("injection resolves");
    }
    sim.run(|_, _| {});
    sim
}

/// The built-in three-tier blueprint.
pub fn three_tier() -> Blueprint {
    blueprint(blastradius::blueprint::builtin("three-tier").expect("built in"))
}

/// `--chaos`-style injection.
pub fn chaos(spec: &str) -> blastradius::chaos::Injection {
    blastradius::scenario::parse_chaos_flag(spec).unwrap_or_else(|e| panic!("{e}"))
}
