//! The app's clock path: `FixedUpdate` advances the horizon by tick x speed, pause holds
//! it, single-step processes exactly the next instant's events. Time is manual, never the wall clock.

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use blastradius::run::{HeadlessRun, RunConfig};
use blastradius::sim::{EventQueue, SimClock};

use crate::support::single_station;

fn app() -> HeadlessRun {
    let mut sim = HeadlessRun::new(
        &single_station(500.0, 2, "Exponential(1.0)"),
        RunConfig::new(9, 60.0),
    )
    .unwrap();
    sim.app
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            50,
        )));
    sim
}

fn fixed_ticks(sim: &HeadlessRun) -> u64 {
    let fixed = sim.app.world().resource::<Time<Fixed>>();
    (fixed.elapsed().as_nanos() / fixed.timestep().as_nanos()) as u64
}

#[test]
fn the_horizon_moves_by_tick_times_speed() {
    let mut sim = app();
    sim.app.world_mut().resource_mut::<SimClock>().speed = 4.0;
    for _ in 0..40 {
        sim.app.update();
    }
    let ticks = fixed_ticks(&sim);
    let step_ns = sim
        .app
        .world()
        .resource::<Time<Fixed>>()
        .timestep()
        .as_nanos() as u64
        * 4;
    let clock = sim.app.world().resource::<SimClock>();
    assert!(ticks > 20, "fixed ticks {ticks}");
    assert_eq!(clock.horizon_ns, ticks * step_ns);
    assert_eq!(clock.now_ns, clock.horizon_ns);
    assert!(
        sim.events_processed() > 1000,
        "events {}",
        sim.events_processed()
    );
}

#[test]
fn pause_holds_time_and_step_processes_the_next_instant() {
    let mut sim = app();
    for _ in 0..10 {
        sim.app.update();
    }
    sim.app.world_mut().resource_mut::<SimClock>().paused = true;
    let (horizon, events) = (
        sim.app.world().resource::<SimClock>().horizon_ns,
        sim.events_processed(),
    );
    for _ in 0..10 {
        sim.app.update();
    }
    assert_eq!(sim.app.world().resource::<SimClock>().horizon_ns, horizon);
    assert_eq!(sim.events_processed(), events);

    let next = sim
        .app
        .world()
        .resource::<EventQueue>()
        .peek_time()
        .expect("events pending");
    sim.app
        .world_mut()
        .resource_mut::<SimClock>()
        .step_requested = true;
    sim.app.update();
    assert_eq!(sim.app.world().resource::<SimClock>().horizon_ns, next);
    // Exactly the events of that one instant (a zero-latency hop can put two there).
    assert!(sim.events_processed() > events);
    assert!(
        sim.app
            .world()
            .resource::<EventQueue>()
            .peek_time()
            .unwrap()
            > next
    );
}
