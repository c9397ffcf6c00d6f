//! A simulation without a window: the same schedule the app uses, each step one app update
//! whose `FixedUpdate` advances the engine, with manual time and as fast as it goes.

use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;

use super::config::{HEADLESS_STEP_NS, RunConfig, load};
use super::engine_plugin::EnginePlugin;
use super::summary::Summary;
use crate::blueprint::Blueprint;
use crate::sim::{Call, EventQueue, MetricsHistory, NS_PER_MS, NS_PER_S, Nanos, SimClock};

/// A simulation that runs without a window.
pub struct HeadlessRun {
    /// The Bevy app (MinimalPlugins + the engine), with the blueprint spawned.
    pub app: App,
    /// Its configuration.
    pub config: RunConfig,
}

impl HeadlessRun {
    /// Builds the app and spawns `blueprint` (which must be valid). Its time is manual, never
    /// the wall clock: each `app.update()` runs the fixed loop once.
    pub fn new(blueprint: &Blueprint, config: RunConfig) -> Result<Self, String> {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, EnginePlugin))
            .insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
        load(app.world_mut(), blueprint, &config)?;
        // Bevy's clocks start on the first update, in which no time passes.
        app.update();
        Ok(HeadlessRun { app, config })
    }

    /// Schedules a chaos injection (before or during the run).
    pub fn inject(
        &mut self,
        injection: &crate::chaos::Injection,
    ) -> Result<crate::sim::InjectionId, String> {
        crate::chaos::schedule(self.app.world_mut(), injection)
    }

    /// Advances simulated time to `t_ns` through the app's schedule: app updates of one
    /// `FixedUpdate` tick each, a tick as long as the time left (at most
    /// [`HEADLESS_STEP_NS`]), so the last lands on `t_ns` exactly. Returns the events
    /// processed. The app's time settings are as they were afterwards.
    ///
    /// # Panics
    /// If the clock is paused or its speed is not 1 (simulated time would not follow the ticks).
    pub fn advance_to(&mut self, t_ns: Nanos) -> u64 {
        let before = self.events_processed();
        let world = self.app.world_mut();
        let clock = world.resource::<SimClock>();
        assert!(
            clock.speed == 1.0 && !clock.paused,
            "a headless run advances at speed 1, unpaused (speed {}, paused {})",
            clock.speed,
            clock.paused
        );
        let strategy = world.remove_resource::<TimeUpdateStrategy>();
        world.insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
        let timestep = world.resource::<Time<Fixed>>().timestep();
        loop {
            let horizon_ns = self.app.world().resource::<SimClock>().horizon_ns;
            if horizon_ns >= t_ns {
                break;
            }
            self.tick(Duration::from_nanos(
                (t_ns - horizon_ns).min(HEADLESS_STEP_NS),
            ));
        }
        let world = self.app.world_mut();
        world.resource_mut::<Time<Fixed>>().set_timestep(timestep);
        if let Some(strategy) = strategy {
            world.insert_resource(strategy);
        }
        self.events_processed() - before
    }

    /// One app update whose fixed loop runs once, `step` long (simulated time moves as much).
    fn tick(&mut self, step: Duration) {
        let world = self.app.world_mut();
        let mut virt = world.resource_mut::<Time<Virtual>>();
        let max_delta = virt.max_delta().max(step);
        virt.set_max_delta(max_delta);
        let mut fixed = world.resource_mut::<Time<Fixed>>();
        fixed.set_timestep(step);
        // Time left over from updates of another length would run the loop twice.
        fixed.discard_overstep(Duration::MAX);
        self.app.update();
    }

    /// Calls in flight right now.
    pub fn in_flight(&mut self) -> usize {
        let world = self.app.world_mut();
        world.query::<&Call>().iter(world).count()
    }

    /// Runs the traffic for the configured duration, calling `progress` after every simulated
    /// second, then lets in-flight calls drain. Returns the time the last call finished.
    pub fn run(&mut self, mut progress: impl FnMut(Nanos, Nanos)) -> Nanos {
        let end = self.config.duration_ns;
        let mut t = 0;
        while t < end {
            t = (t + NS_PER_S).min(end);
            self.advance_to(t);
            progress(t, end);
        }
        // Drain: only periodic events remain once every call has finished.
        let limit = end + self.config.drain_limit_ns;
        while self.in_flight() > 0 && t < limit {
            t = (t + 100 * NS_PER_MS).min(limit);
            self.advance_to(t);
        }
        // Close the window the drain ended in, so every answer is in some window.
        let window = self.config.window_ns;
        self.advance_to(t.div_ceil(window) * window);
        t
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.app.world().resource::<EventQueue>().processed()
    }

    /// The metrics windows so far.
    pub fn history(&self) -> &MetricsHistory {
        self.app.world().resource::<MetricsHistory>()
    }

    /// The steady-state summary of the windows so far.
    pub fn summary(&mut self) -> Summary {
        let in_flight = self.in_flight() as u64;
        Summary::of(self.history(), in_flight)
    }
}
