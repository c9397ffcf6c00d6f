//! Requests as particles moving along the edges at their simulated timing (a slow hop is
//! visibly slow): green on the way, red when the answer is an error, amber on a retry. At high
//! rates only a sample is drawn, and the sample rate is published for the UI. Errors also
//! flow back from the callee to the caller as red dots, as many as the last window's error
//! rate says: a failure answered at once never lives long enough to be seen as a call.

use bevy::prelude::*;

use crate::sim::{Call, Edge, MetricsHistory, Node, Phase, SimClock, Topology};

/// Most particles drawn per frame.
const BUDGET: usize = 1500;

/// What the particle layer drew this frame.
#[derive(Resource, Default, Clone, Copy, Debug)]
pub struct ParticleStats {
    /// Calls in flight.
    pub in_flight: usize,
    /// One in `sample` was drawn.
    pub sample: usize,
    /// Drawn.
    pub drawn: usize,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ParticleStats>()
        .add_systems(Update, draw_particles);
}

/// Where a call is drawn, and in what colour, at simulated time `now_ns`.
pub fn particle(call: &Call, from: Vec2, to: Vec2, now_ns: u64) -> Option<(Vec2, Color)> {
    let (a, b) = match call.phase {
        Phase::Sending => (from, to),
        Phase::Returning => (to, from),
        _ => return None,
    };
    let span = call.due_ns.saturating_sub(call.sent_ns).max(1) as f32;
    let t = (now_ns.saturating_sub(call.sent_ns) as f32 / span).clamp(0.0, 1.0);
    let colour = if call.phase == Phase::Returning && call.reply.error.is_some() {
        Color::srgb(1.0, 0.25, 0.25)
    } else if call.attempt > 0 {
        Color::srgb(1.0, 0.7, 0.1)
    } else {
        Color::srgb(0.35, 1.0, 0.55)
    };
    // Follow the same gentle curve as the edge.
    let dir = (b - a).normalize_or_zero();
    let mid = (a + b) / 2.0 + Vec2::new(-dir.y, dir.x) * (a.distance(b) * 0.08);
    let p = a.lerp(mid, t).lerp(mid.lerp(b, t), t);
    Some((p, colour))
}

/// Red dots on the way back to the caller for an edge whose callee answered `error_rate` of
/// its calls with errors in the last window: where each is at `phase` (wall seconds), from
/// the callee `to` back to the caller `from`. None when there were no errors.
pub fn error_flow(from: Vec2, to: Vec2, error_rate: f64, phase: f32) -> Vec<Vec2> {
    if error_rate <= 0.0 {
        return Vec::new();
    }
    // 1 dot for a trickle, up to 8 when every call fails.
    let n = (1.0 + error_rate.clamp(0.0, 1.0) * 7.0).round() as usize;
    let dir = (from - to).normalize_or_zero();
    let mid = (to + from) / 2.0 + Vec2::new(-dir.y, dir.x) * (to.distance(from) * 0.08);
    (0..n)
        .map(|i| {
            let t = (phase * 0.7 + i as f32 / n as f32).fract();
            to.lerp(mid, t).lerp(mid.lerp(from, t), t)
        })
        .collect()
}

fn draw_particles(
    calls: Query<(Entity, &Call)>,
    nodes: Query<&Node>,
    edges: Query<&Edge>,
    (topology, clock, history): (Res<Topology>, Res<SimClock>, Res<MetricsHistory>),
    time: Res<Time<Real>>,
    mut stats: ResMut<ParticleStats>,
    mut gizmos: Gizmos,
) {
    let red = Color::srgb(1.0, 0.2, 0.2);
    if let Some(last) = history.windows.last() {
        let phase = time.elapsed_secs();
        for edge in &edges {
            let (Some(&a), Some(&b)) = (
                topology.nodes.get(edge.from.ix()),
                topology.nodes.get(edge.to.ix()),
            ) else {
                continue;
            };
            let (Ok(caller), Ok(callee)) = (nodes.get(a), nodes.get(b)) else {
                continue;
            };
            let rate = last.nodes.get(&callee.id).map_or(0.0, |w| w.error_rate);
            for p in error_flow(caller.position, callee.position, rate, phase) {
                gizmos.circle_2d(Isometry2d::from_translation(p), 4.5, red);
            }
        }
    }
    let in_flight = calls.iter().len();
    let sample = in_flight.div_ceil(BUDGET).max(1);
    let mut drawn = 0;
    for (entity, call) in &calls {
        if !(entity.index().index() as usize).is_multiple_of(sample) || call.from == call.node {
            continue;
        }
        let (Some(&from), Some(&to)) = (
            topology.nodes.get(call.from.ix()),
            topology.nodes.get(call.node.ix()),
        ) else {
            continue;
        };
        let (Ok(a), Ok(b)) = (nodes.get(from), nodes.get(to)) else {
            continue;
        };
        if let Some((p, colour)) = particle(call, a.position, b.position, clock.now_ns) {
            gizmos.circle_2d(Isometry2d::from_translation(p), 3.5, colour);
            drawn += 1;
        }
    }
    *stats = ParticleStats {
        in_flight,
        sample,
        drawn,
    };
}

#[cfg(test)]
mod tests {
    use bevy::prelude::*;

    use super::particle;
    use crate::sim::{Call, Caller, ErrorCause, NodeId, Phase, Reply, RequestKind};

    fn call(phase: Phase) -> Call {
        let mut c = Call::new(
            Caller::Root,
            NodeId(0),
            NodeId(1),
            None,
            RequestKind::Read,
            0,
        );
        c.phase = phase;
        c.sent_ns = 1_000;
        c.due_ns = 3_000;
        c
    }

    #[test]
    fn a_particle_moves_with_simulated_time_and_the_way_it_travels() {
        let (a, b) = (Vec2::ZERO, Vec2::new(100.0, 0.0));
        let out = call(Phase::Sending);
        assert_eq!(
            particle(&out, a, b, 1_000).unwrap().0,
            a,
            "leaves the caller when sent"
        );
        assert_eq!(
            particle(&out, a, b, 3_000).unwrap().0,
            b,
            "reaches the callee when due"
        );
        let half = particle(&out, a, b, 2_000).unwrap().0;
        assert!(
            (half.x - 50.0).abs() < 1.0 && half.y > 0.0,
            "halfway, on the curve: {half}"
        );
        let back = call(Phase::Returning);
        assert_eq!(
            particle(&back, a, b, 3_000).unwrap().0,
            a,
            "an answer goes back to the caller"
        );
        assert!(
            particle(&call(Phase::Working), a, b, 2_000).is_none(),
            "work at a node is not a particle"
        );
    }

    #[test]
    fn errors_flow_back_to_the_caller_more_when_more_fail() {
        use super::error_flow;
        let (caller, callee) = (Vec2::ZERO, Vec2::new(100.0, 0.0));
        assert!(error_flow(caller, callee, 0.0, 0.3).is_empty(), "no errors");
        let few = error_flow(caller, callee, 0.02, 0.0);
        let all = error_flow(caller, callee, 1.0, 0.0);
        assert_eq!(few.len(), 1);
        assert_eq!(all.len(), 8);
        // At phase 0 the first dot leaves the callee; a little later it is nearer the caller.
        assert_eq!(few[0], callee);
        let later = error_flow(caller, callee, 0.02, 0.5)[0];
        assert!(later.x < 100.0 && later.x > 0.0, "on its way back: {later}");
    }

    #[test]
    fn failures_are_red_and_retries_amber() {
        let (a, b) = (Vec2::ZERO, Vec2::X);
        let mut failed = call(Phase::Returning);
        failed.reply = Reply::failed(ErrorCause::Timeout);
        let mut retry = call(Phase::Sending);
        retry.attempt = 1;
        let red = particle(&failed, a, b, 2_000).unwrap().1.to_srgba();
        let amber = particle(&retry, a, b, 2_000).unwrap().1.to_srgba();
        let green = particle(&call(Phase::Sending), a, b, 2_000)
            .unwrap()
            .1
            .to_srgba();
        assert!(red.red > 0.9 && red.green < 0.5);
        assert!(amber.red > 0.9 && amber.green > 0.5 && amber.blue < 0.5);
        assert!(green.green > 0.9 && green.red < 0.5);
    }
}
