//! What the app is showing: the blueprint being simulated, where it came from and its seed;
//! loading one starts a fresh run that goes on until stopped.

use bevy::prelude::*;

use crate::blueprint::Blueprint;
use crate::run::{RunConfig, load};
use crate::sim::{Nanos, SimClock};

/// What the app is showing.
#[derive(Resource, Clone, Debug)]
pub struct Showing {
    /// The blueprint being simulated.
    pub blueprint: Blueprint,
    /// Its built-in name or file, if any.
    pub source: String,
    /// The run's seed.
    pub seed: u64,
}

/// Loads a blueprint into the running app, running until stopped (at the speed it had).
pub fn show_blueprint(
    world: &mut World,
    blueprint: Blueprint,
    source: String,
    seed: u64,
) -> Result<(), String> {
    let mut config = RunConfig::new(seed, 1.0);
    config.duration_ns = Nanos::MAX;
    config.warmup_ns = 0;
    let speed = world.get_resource::<SimClock>().map_or(1.0, |c| c.speed);
    load(world, &blueprint, &config)?;
    world.resource_mut::<SimClock>().speed = speed;
    world.insert_resource(Showing {
        blueprint,
        source,
        seed,
    });
    Ok(())
}
