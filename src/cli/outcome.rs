//! One headless run for the command line: the simulation with progress on the terminal, and
//! what it leaves behind (the windows, the summary, the chaos log) for the summary, the files
//! and the report.

use std::io::Write as _;
use std::time::Instant;

use crate::blueprint::Blueprint;
use crate::chaos::{ChaosLog, Injection};
use crate::run::{HeadlessRun, RunConfig, Summary};
use crate::sim::{MetricsHistory, ns_to_s};

/// One finished run, kept for the summary, the files and the report.
pub(super) struct Outcome {
    /// Every metrics window.
    pub history: MetricsHistory,
    /// The steady-state summary.
    pub summary: Summary,
    /// Events the engine processed.
    pub events: u64,
    /// When the last in-flight call ended.
    pub drained_at_ns: u64,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    /// What was injected, where and when.
    pub chaos: ChaosLog,
}

/// Runs `blueprint` with `injections`, showing progress unless `quiet`.
pub(super) fn simulate(
    blueprint: &Blueprint,
    config: &RunConfig,
    injections: &[Injection],
    quiet: bool,
) -> Result<Outcome, String> {
    let mut sim = HeadlessRun::new(blueprint, config.clone())?;
    for injection in injections {
        sim.inject(injection)?;
    }
    let wall = Instant::now();
    let mut last_print = Instant::now();
    let drained_at_ns = sim.run(|t, end| {
        if !quiet && last_print.elapsed().as_secs_f64() >= 1.0 {
            last_print = Instant::now();
            let elapsed = wall.elapsed().as_secs_f64();
            eprint!(
                "\r  simulated {:>6.0} s of {:.0} s ({:.1}x real time)   ",
                ns_to_s(t),
                ns_to_s(end),
                ns_to_s(t) / elapsed
            );
            let _ = std::io::stderr().flush();
        }
    });
    let wall_s = wall.elapsed().as_secs_f64();
    if !quiet && wall_s >= 1.0 {
        eprintln!();
    }
    let summary = sim.summary();
    let events = sim.events_processed();
    let world = sim.app.world_mut();
    Ok(Outcome {
        history: std::mem::take(&mut *world.resource_mut::<MetricsHistory>()),
        summary,
        events,
        drained_at_ns,
        wall_s,
        chaos: world.resource::<ChaosLog>().clone(),
    })
}
