//! How fast the simulation runs against the wall clock: simulated seconds per real second,
//! over the last second. At a speed of 1x, 1.0 means it keeps up.

use bevy::prelude::*;

use crate::sim::{Nanos, SimClock};

/// Simulated seconds per wall-clock second over the last second: whether the simulation keeps
/// up with the speed asked for (1.0 at 1x means it does).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct RealTimeRatio(pub f64);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<RealTimeRatio>()
        .add_systems(Update, measure_real_time_ratio);
}

fn measure_real_time_ratio(
    time: Res<Time<Real>>,
    clock: Res<SimClock>,
    mut ratio: ResMut<RealTimeRatio>,
    mut from: Local<Option<(f64, Nanos)>>,
) {
    let now = time.elapsed_secs_f64();
    match *from {
        Some((t0, sim0)) if now - t0 >= 1.0 => {
            let simulated = clock.now_ns.saturating_sub(sim0) as f64 / 1e9;
            ratio.0 = simulated / (now - t0);
            *from = Some((now, clock.now_ns));
        }
        Some((_, sim0)) if clock.now_ns < sim0 => *from = Some((now, clock.now_ns)),
        Some(_) => {}
        None => *from = Some((now, clock.now_ns)),
    }
}
