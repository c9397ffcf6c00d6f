//! Engine speed: events per second and simulated time per wall second for three-tier at
//! 10,000 and 100,000 RPS, next to a bare `BinaryHeap` push/pop loop holding the same number
//! of pending events. Ratios within one run are what to compare (the machine is noisy).
//!
//! `cargo bench --no-default-features --bench engine [-- SECONDS]`; `-- --quick` (or
//! `BENCH_QUICK=1`) runs 3 simulated seconds a row, so CI runs it and it cannot rot (its
//! figures are printed, never asserted: CI's machine is shared).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Instant;

use blastradius::blueprint::resolve;
use blastradius::run::{HeadlessRun, RunConfig};
use blastradius::sim::{EventQueue, NS_PER_S};

struct Measured {
    events: u64,
    wall_s: f64,
    mean_pending: f64,
}

fn engine(rps: f64, sim_s: u64) -> Measured {
    let mut bp = resolve("three-tier").expect("built in");
    bp.set_total_rps(rps);
    let mut sim = HeadlessRun::new(&bp, RunConfig::new(1, sim_s as f64)).expect("spawns");
    // Warm up one simulated second outside the timing.
    sim.advance_to(NS_PER_S);
    let before = sim.events_processed();
    let mut pending = 0.0;
    let start = Instant::now();
    for s in 2..=sim_s {
        sim.advance_to(s * NS_PER_S);
        pending += sim.app.world().resource::<EventQueue>().len() as f64;
    }
    Measured {
        events: sim.events_processed() - before,
        wall_s: start.elapsed().as_secs_f64(),
        mean_pending: pending / (sim_s - 1) as f64,
    }
}

/// Pops the earliest event and pushes one a pseudo-random delay later, `ops` times, with
/// `pending` events in the heap: the least any event-driven engine must do per event.
fn bare_heap(pending: usize, ops: u64) -> f64 {
    let mut heap = BinaryHeap::with_capacity(pending + 1);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let next = |x: &mut u64| {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x % 10_000_000
    };
    for seq in 0..pending as u64 {
        heap.push(Reverse((next(&mut x), seq, [0u64; 2])));
    }
    let start = Instant::now();
    for seq in 0..ops {
        let Reverse((t, _, payload)) = heap.pop().expect("never empty");
        heap.push(Reverse((t + next(&mut x), seq, black_box(payload))));
    }
    black_box(&heap);
    ops as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var_os("BENCH_QUICK").is_some();
    let sim_s: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if quick { 3 } else { 20 });
    println!("three-tier, {sim_s} simulated seconds per row (one core)");
    println!(
        "{:>9} {:>12} {:>10} {:>14} {:>12} {:>16} {:>12}",
        "RPS", "events", "pending", "engine ev/s", "sim/wall", "bare heap ev/s", "engine/bare"
    );
    for rps in [10_000.0, 100_000.0] {
        let m = engine(rps, sim_s);
        let engine_rate = m.events as f64 / m.wall_s;
        let bare = bare_heap(m.mean_pending.round().max(1.0) as usize, m.events);
        println!(
            "{:>9.0} {:>12} {:>10.0} {:>12.2} M {:>11.1}x {:>14.2} M {:>12.2}",
            rps,
            m.events,
            m.mean_pending,
            engine_rate / 1e6,
            (sim_s - 1) as f64 / m.wall_s,
            bare / 1e6,
            engine_rate / bare
        );
    }
}
