//! The engine's plugin: its resources, and its own schedule ([`SimUpdate`]) with its phases
//! ([`SimSystems`]), run once per `FixedUpdate` tick by the app and by the headless run alike.

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

use super::clock::{SimClock, advance_horizon};
use super::edits::ScheduledEdits;
use super::engine::{EngineQueries, drain_events};
use super::metrics::{EndToEnd, MetricsHistory};
use super::queue::EventQueue;
use super::rng::SimRng;
use super::topology::Topology;

/// The engine's phases in its [`SimUpdate`] schedule, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Move the horizon by one tick times the speed (or to the next event when stepping).
    Advance,
    /// Process every event due before the horizon.
    Drain,
}

/// The engine's schedule: advance the clock, drain the events.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimUpdate;

/// The simulation engine: resources, and the systems that advance it in `FixedUpdate`.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<EventQueue>()
            .insert_resource(SimRng::seeded(0))
            .init_resource::<SimClock>()
            .init_resource::<EndToEnd>()
            .init_resource::<MetricsHistory>()
            .init_resource::<EngineQueries>()
            .init_resource::<Topology>()
            .init_resource::<ScheduledEdits>();
        // The engine's own schedule, single-threaded, where an undefined order between two
        // systems is an error, not a coin toss; `FixedUpdate` runs it once per tick.
        let mut schedule = Schedule::new(SimUpdate);
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            ..default()
        });
        schedule.configure_sets((SimSystems::Advance, SimSystems::Drain).chain());
        schedule.add_systems((
            advance_horizon.in_set(SimSystems::Advance),
            drain_events.in_set(SimSystems::Drain),
        ));
        app.add_schedule(schedule)
            .add_systems(FixedUpdate, run_sim_update);
    }
}

/// `FixedUpdate`: runs the engine's schedule.
fn run_sim_update(world: &mut World) {
    world.run_schedule(SimUpdate);
}
