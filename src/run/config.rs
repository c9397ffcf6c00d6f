//! How a run is set up (seed, duration, windows, warm-up, drain) and loading a blueprint into
//! a world as a fresh run.

use bevy::prelude::*;

use crate::blueprint::{Blueprint, spawn_blueprint};
use crate::sim::{Call, EventQueue, MetricsHistory, NS_PER_MS, NS_PER_S, Nanos, SimClock, SimRng};

/// The most simulated time one step of a headless run covers (one `FixedUpdate` tick). Event
/// times are exact whatever the step; it only decides how often the world could be looked at,
/// so headless takes a large one and spends its time on events, not on updates.
pub const HEADLESS_STEP_NS: Nanos = NS_PER_S;

/// How a run is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// The seed of the run's one random generator.
    pub seed: u64,
    /// How long traffic flows.
    pub duration_ns: Nanos,
    /// Length of a metrics window.
    pub window_ns: Nanos,
    /// Windows ending before this are warm-up, left out of the summary.
    pub warmup_ns: Nanos,
    /// After traffic stops, how long in-flight calls may take to drain.
    pub drain_limit_ns: Nanos,
}

impl RunConfig {
    /// A run of `duration_s` seconds with seed `seed`, 1 s windows and a warm-up of a tenth of
    /// the run (at most 10 s).
    pub fn new(seed: u64, duration_s: f64) -> Self {
        let duration_ns = (duration_s * NS_PER_S as f64).round() as Nanos;
        RunConfig {
            seed,
            duration_ns,
            window_ns: 1000 * NS_PER_MS,
            warmup_ns: (duration_ns / 10).min(10 * NS_PER_S),
            drain_limit_ns: 600 * NS_PER_S,
        }
    }
}

/// Puts `blueprint` in the world as a fresh run: removes whatever was simulated before (nodes,
/// edges, calls, pending events, chaos, metrics) and spawns it with the run's seed.
pub fn load(world: &mut World, blueprint: &Blueprint, config: &RunConfig) -> Result<(), String> {
    let old: Vec<Entity> = world
        .query_filtered::<Entity, Or<(With<crate::sim::Node>, With<crate::sim::Edge>, With<Call>)>>(
        )
        .iter(world)
        .collect();
    for e in old {
        world.despawn(e);
    }
    world.insert_resource(EventQueue::default());
    world.insert_resource(crate::sim::EndToEnd::default());
    world.insert_resource(crate::sim::ScheduledEdits::default());
    world.insert_resource(crate::chaos::ChaosLog::default());
    world.insert_resource(SimRng::seeded(config.seed));
    world.insert_resource(SimClock {
        traffic_until_ns: config.duration_ns,
        ..default()
    });
    world.insert_resource(MetricsHistory::new(
        config.window_ns,
        config.warmup_ns,
        config.duration_ns,
    ));
    spawn_blueprint(world, blueprint)?;
    Ok(())
}
