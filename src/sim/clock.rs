//! The simulation clock: the horizon the engine may advance to, speed, pause and step.

use bevy::prelude::*;

use super::queue::EventQueue;
use super::time::{NS_PER_S, Nanos};

/// Where simulated time is and how it moves relative to the wall clock.
#[derive(Resource, Clone, Debug)]
pub struct SimClock {
    /// Time of the last processed event (or the horizon, once all due events are done).
    pub now_ns: Nanos,
    /// Events due at or before this are processed.
    pub horizon_ns: Nanos,
    /// Traffic sources emit nothing at or after this time.
    pub traffic_until_ns: Nanos,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Whether time stands still.
    pub paused: bool,
    /// On the next tick, process the events of the next instant only, even while paused.
    pub step_requested: bool,
    /// Whether the run's first events are scheduled.
    pub started: bool,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock {
            now_ns: 0,
            horizon_ns: 0,
            traffic_until_ns: Nanos::MAX,
            speed: 1.0,
            paused: false,
            step_requested: false,
            started: false,
        }
    }
}

/// `FixedUpdate`: moves the horizon by one tick times the speed (or to the next event when
/// single-stepping).
pub fn advance_horizon(time: Res<Time>, queue: Res<EventQueue>, mut clock: ResMut<SimClock>) {
    if clock.step_requested {
        clock.step_requested = false;
        if let Some(next) = queue.peek_time() {
            clock.horizon_ns = clock.horizon_ns.max(next);
        }
        return;
    }
    if clock.paused {
        return;
    }
    let advance = (time.delta_secs_f64() * clock.speed * NS_PER_S as f64).round() as Nanos;
    clock.horizon_ns = clock.horizon_ns.saturating_add(advance);
}
