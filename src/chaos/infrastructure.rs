//! Infrastructure chaos: crashes, zone and region outages, CPU, memory and disk pressure,
//! crash loops, clock skew, lost capacity.

use serde::{Deserialize, Serialize};

use super::Injecting;
use super::target::nodes_of;
use crate::sim::{
    CapacityLost, Down, Event, EventQueue, NS_PER_S, Nanos, NodeId, Slowdown, ms_to_ns,
};

/// Node failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeFailureParams {
    /// Restart this long after the crash, seconds (otherwise when the scenario ends, or
    /// never).
    pub restart_after_s: Option<f64>,
}

/// Takes `nodes` down at `from` (failing their queues at once) until `until`.
pub(super) fn crash(
    cx: &mut Injecting,
    nodes: Vec<bevy::prelude::Entity>,
    from: Nanos,
    until: Option<Nanos>,
) {
    let ids: Vec<NodeId> = nodes
        .iter()
        .map(|&e| *cx.world.get::<NodeId>(e).expect("node has an id"))
        .collect();
    cx.modify_between(nodes, Down, from, until);
    cx.at(from, move |w| {
        let mut queue = w.resource_mut::<EventQueue>();
        ids.into_iter()
            .for_each(|node| queue.schedule(from, Event::Crashed { node }));
    });
}

pub(super) fn node_failure(p: &NodeFailureParams, cx: &mut Injecting) {
    let until = p
        .restart_after_s
        .map(|s| cx.start_ns + (s * NS_PER_S as f64) as Nanos)
        .or(cx.end_ns);
    let nodes = cx.targets.nodes.clone();
    crash(cx, nodes, cx.start_ns, until);
}

/// Zone outage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneParams {
    /// The zone (its nodes' `zone` in the blueprint); empty = the target's nodes.
    pub zone: String,
}

pub(super) fn az_outage(p: &ZoneParams, cx: &mut Injecting) {
    place_outage(cx, &p.zone, |n| n.zone.clone());
}

/// Crashes every node in one place (a zone or a region, read by `place_of`): the named one,
/// or, when none is named, the place of the first target node that has one.
fn place_outage(
    cx: &mut Injecting,
    named: &str,
    place_of: impl Fn(&crate::sim::Node) -> Option<String>,
) {
    let all = nodes_of(cx.world);
    let place = if named.is_empty() {
        all.iter()
            .filter(|(e, _)| cx.targets.nodes.contains(e))
            .find_map(|(_, n)| place_of(n))
    } else {
        Some(named.to_string())
    };
    let nodes = match place {
        Some(place) => all
            .into_iter()
            .filter(|(_, n)| place_of(n).as_ref() == Some(&place))
            .map(|(e, _)| e)
            .collect(),
        None => cx.targets.nodes.clone(),
    };
    crash(cx, nodes, cx.start_ns, cx.end_ns);
}

/// Region outage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegionParams {
    /// The region; empty = the target's nodes.
    pub region: String,
}

pub(super) fn region_outage(p: &RegionParams, cx: &mut Injecting) {
    place_outage(cx, &p.region, |n| n.region.clone());
}

/// CPU or disk pressure (a slowdown).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PressureParams {
    /// Work takes this many times as long.
    pub slowdown: f64,
}

impl Default for PressureParams {
    fn default() -> Self {
        PressureParams { slowdown: 3.0 }
    }
}

pub(super) fn pressure(p: &PressureParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        Slowdown {
            factor: p.slowdown.max(0.0),
        },
    );
}

/// Memory pressure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryParams {
    /// Work slows by this factor while memory fills (GC, swapping).
    pub slowdown: f64,
    /// Seconds until it runs out and the process is killed.
    pub crash_after_s: f64,
    /// Seconds the restart takes.
    pub restart_s: f64,
}

impl Default for MemoryParams {
    fn default() -> Self {
        MemoryParams {
            slowdown: 2.0,
            crash_after_s: 20.0,
            restart_s: 15.0,
        }
    }
}

pub(super) fn memory_pressure(p: &MemoryParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    let crash_at = cx.start_ns + (p.crash_after_s * NS_PER_S as f64) as Nanos;
    let end = cx.end_ns.map_or(crash_at, |e| e.min(crash_at));
    cx.modify_between(
        nodes.clone(),
        Slowdown {
            factor: p.slowdown.max(0.0),
        },
        cx.start_ns,
        Some(end),
    );
    if cx.end_ns.is_none_or(|e| e > crash_at) {
        let restart = crash_at + (p.restart_s * NS_PER_S as f64) as Nanos;
        crash(cx, nodes, crash_at, Some(restart));
    }
}

/// Crash loop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrashLoopParams {
    /// Seconds up between crashes.
    pub up_s: f64,
    /// Seconds down each time.
    pub down_s: f64,
}

impl Default for CrashLoopParams {
    fn default() -> Self {
        CrashLoopParams {
            up_s: 10.0,
            down_s: 5.0,
        }
    }
}

pub(super) fn crash_loop(p: &CrashLoopParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    let end = cx.end_or(120.0);
    let (up, down) = (
        ((p.up_s.max(0.1)) * NS_PER_S as f64) as Nanos,
        ((p.down_s.max(0.1)) * NS_PER_S as f64) as Nanos,
    );
    let mut t = cx.start_ns;
    while t < end {
        crash(cx, nodes.clone(), t, Some((t + down).min(end)));
        t += down + up;
    }
}

/// Clock skew.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockSkewParams {
    /// How far ahead the clock jumps, seconds.
    pub ahead_s: f64,
}

impl Default for ClockSkewParams {
    fn default() -> Self {
        ClockSkewParams { ahead_s: 120.0 }
    }
}

pub(super) fn clock_skew(p: &ClockSkewParams, cx: &mut Injecting) {
    // A cache whose clock jumps ahead by s sees every entry with less than s to live as
    // expired now: they expire together at the jump.
    let nodes = cx.targets.nodes.clone();
    let skew = ms_to_ns(p.ahead_s * 1000.0);
    let at = cx.start_ns;
    super::data::on_keyspaces(cx, nodes, at, move |ks, now, _| ks.expire_within(now, skew));
}

/// Capacity loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityParams {
    /// Share of servers lost, percent.
    pub percent: f64,
}

impl Default for CapacityParams {
    fn default() -> Self {
        CapacityParams { percent: 50.0 }
    }
}

pub(super) fn capacity_loss(p: &CapacityParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        CapacityLost {
            remaining: (1.0 - p.percent / 100.0).clamp(0.0, 1.0),
        },
    );
}
