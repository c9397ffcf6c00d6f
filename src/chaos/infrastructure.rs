//! Infrastructure chaos: crashes, zone and region outages, CPU, memory and disk pressure,
//! crash loops, clock skew, lost capacity, a consensus leader lost.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::injecting::Injecting;
use super::kind::{Family, Kind};
use super::target::nodes_of;
use crate::sim::{
    CapacityLost, Down, NS_PER_S, Nanos, RegisterModifier, Shock, Slowdown, ms_to_ns,
};

/// Infrastructure chaos: the modifiers its kinds put on nodes (clock skew acts by a shock).
pub(super) fn plugin(app: &mut App) {
    app.register_modifier::<Down>()
        .register_modifier::<Slowdown>()
        .register_modifier::<CapacityLost>();
}

/// Node failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeFailureParams {
    /// Restart this long after the crash, seconds (otherwise when the scenario ends, or
    /// never).
    pub restart_after_s: Option<f64>,
}

pub(super) fn node_failure(p: &NodeFailureParams, cx: &mut Injecting) {
    let until = p
        .restart_after_s
        .map(|s| cx.start_ns + (s * NS_PER_S as f64) as Nanos)
        .or(cx.end_ns);
    let nodes = cx.targets.nodes.clone();
    cx.crash(nodes, cx.start_ns, until);
}

/// The `node-failure` kind.
pub(super) static NODE_FAILURE: Kind<NodeFailureParams> = Kind {
    name: "node-failure",
    family: Family::Infrastructure,
    description: "The target crashes (work in progress is lost) and restarts when the scenario ends.",
    default_target: "first:service",
    schedule: node_failure,
};

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

/// The `az-outage` kind.
pub(super) static AZ_OUTAGE: Kind<ZoneParams> = Kind {
    name: "az-outage",
    family: Family::Infrastructure,
    description: "Every node in an availability zone goes down.",
    default_target: "all",
    schedule: az_outage,
};

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
    cx.crash(nodes, cx.start_ns, cx.end_ns);
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

/// The `region-outage` kind.
pub(super) static REGION_OUTAGE: Kind<RegionParams> = Kind {
    name: "region-outage",
    family: Family::Infrastructure,
    description: "Every node in a region goes down.",
    default_target: "all",
    schedule: region_outage,
};

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

/// The `disk-pressure` kind.
pub(super) static DISK_PRESSURE: Kind<PressureParams> = Kind {
    name: "disk-pressure",
    family: Family::Infrastructure,
    description: "Disk full or slow IO: the target's work is slower.",
    default_target: "kind:database",
    schedule: pressure,
};

/// The `cpu-pressure` kind.
pub(super) static CPU_PRESSURE: Kind<PressureParams> = Kind {
    name: "cpu-pressure",
    family: Family::Infrastructure,
    description: "A noisy neighbour eats CPU: the target's work is slower.",
    default_target: "first:service",
    schedule: pressure,
};

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
        cx.crash(nodes, crash_at, Some(restart));
    }
}

/// The `memory-pressure` kind.
pub(super) static MEMORY_PRESSURE: Kind<MemoryParams> = Kind {
    name: "memory-pressure",
    family: Family::Infrastructure,
    description: "The target slows down (GC, swapping), then crashes when memory runs out.",
    default_target: "first:service",
    schedule: memory_pressure,
};

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
        cx.crash(nodes.clone(), t, Some((t + down).min(end)));
        t += down + up;
    }
}

/// The `crash-loop` kind.
pub(super) static CRASH_LOOP: Kind<CrashLoopParams> = Kind {
    name: "crash-loop",
    family: Family::Infrastructure,
    description: "The target's process crashes, restarts, crashes again.",
    default_target: "first:service",
    schedule: crash_loop,
};

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
    cx.shock(nodes, at, Shock::ExpireWithin { within_ns: skew });
}

/// The `clock-skew` kind.
pub(super) static CLOCK_SKEW: Kind<ClockSkewParams> = Kind {
    name: "clock-skew",
    family: Family::Infrastructure,
    description: "The target's clock runs ahead: cached entries expire early.",
    default_target: "kind:cache",
    schedule: clock_skew,
};

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

/// The `capacity-loss` kind.
pub(super) static CAPACITY_LOSS: Kind<CapacityParams> = Kind {
    name: "capacity-loss",
    family: Family::Infrastructure,
    description: "Instances are lost and autoscaling cannot replace them.",
    default_target: "first:service",
    schedule: capacity_loss,
};

/// Leader loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeaderLossParams {}

pub(super) fn leader_loss(_: &LeaderLossParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.shock(nodes, cx.start_ns, Shock::LeaderLoss);
}

/// The `leader-loss` kind.
pub(super) static LEADER_LOSS: Kind<LeaderLossParams> = Kind {
    name: "leader-loss",
    family: Family::Infrastructure,
    description: "A consensus group's leader dies: writes and linearizable reads fail until \
                  a follower's election timeout runs out and it wins a vote.",
    default_target: "kind:consensus_store",
    schedule: leader_loss,
};
