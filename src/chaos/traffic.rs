//! Traffic chaos: spikes, thundering herds, retry storms, bot floods, reconnect storms.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::injecting::Injecting;
use super::kind::{Family, Kind};
use crate::sim::{
    CauseSet, Down, ErrorCause, Event, EventQueue, NS_PER_S, Nanos, NodeId, RegisterModifier,
    RetriesOverridden, SimRng, Slowdown, Topology, TrafficScaled,
};

/// Traffic chaos: the modifiers its kinds put on sources, targets and the edges into them (the herd itself arrives as exact-time events).
pub(super) fn plugin(app: &mut App) {
    app.register_modifier::<TrafficScaled>()
        .register_modifier::<Slowdown>()
        .register_modifier::<RetriesOverridden>()
        .register_modifier::<Down>()
        .register_modifier::<crate::sim::CapacityLost>();
}

/// Request spike.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeParams {
    /// Traffic multiplier at the peak.
    pub multiplier: f64,
    /// Seconds to ramp from 1x to the peak (in steps).
    pub ramp_s: f64,
}

impl Default for SpikeParams {
    fn default() -> Self {
        SpikeParams {
            multiplier: 5.0,
            ramp_s: 10.0,
        }
    }
}

pub(super) fn spike(p: &SpikeParams, cx: &mut Injecting) {
    const STEPS: u32 = 5;
    let nodes = cx.targets.nodes.clone();
    let ramp = (p.ramp_s.max(0.0) * NS_PER_S as f64) as Nanos;
    let steps = if ramp == 0 { 1 } else { STEPS };
    for k in 1..=steps {
        let from = cx.start_ns + ramp * u64::from(k - 1) / u64::from(steps);
        let until = if k == steps {
            cx.end_ns
        } else {
            Some(cx.start_ns + ramp * u64::from(k) / u64::from(steps))
        };
        let factor = 1.0 + (p.multiplier - 1.0) * f64::from(k) / f64::from(steps);
        cx.modify_between(nodes.clone(), TrafficScaled { factor }, from, until);
    }
}

/// The `request-spike` kind.
pub(super) static REQUEST_SPIKE: Kind<SpikeParams> = Kind {
    name: "request-spike",
    family: Family::Traffic,
    description: "Traffic multiplies (ramping up), as on a launch or a sale.",
    default_target: "kind:client",
    schedule: spike,
};

/// Thundering herd after an outage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HerdParams {
    /// Seconds the target is out.
    pub outage_s: f64,
    /// Clients that reconnect when it is back (each sends one request).
    pub clients: u32,
    /// Milliseconds over which they reconnect (client reconnect jitter spreads this out).
    pub reconnect_ms: f64,
}

impl Default for HerdParams {
    fn default() -> Self {
        HerdParams {
            outage_s: 30.0,
            clients: 20_000,
            reconnect_ms: 200.0,
        }
    }
}

pub(super) fn herd(p: &HerdParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    let back = cx.start_ns + (p.outage_s * NS_PER_S as f64) as Nanos;
    cx.crash(nodes, cx.start_ns, Some(back));
    let sources: Vec<NodeId> = {
        let topology = cx.world.resource::<Topology>().clone();
        topology
            .nodes
            .iter()
            .enumerate()
            .filter(|&(_, &e)| {
                cx.world
                    .get::<crate::sim::Node>(e)
                    .is_some_and(|n| n.kind == "client")
            })
            .map(|(i, _)| NodeId(i as u32))
            .collect()
    };
    if sources.is_empty() {
        return;
    }
    let (clients, spread) = (p.clients, (p.reconnect_ms.max(0.0) * 1e6) as Nanos);
    cx.at(back, move |w| {
        w.resource_scope(|w, mut rng: Mut<SimRng>| {
            let mut queue = w.resource_mut::<EventQueue>();
            for k in 0..clients {
                let at = back + (spread as f64 * rng.unit()) as Nanos;
                queue.schedule(
                    at,
                    Event::Emitted {
                        node: sources[k as usize % sources.len()],
                    },
                );
            }
        });
    });
}

/// The `thundering-herd` kind.
pub(super) static THUNDERING_HERD: Kind<HerdParams> = Kind {
    name: "thundering-herd",
    family: Family::Traffic,
    description: "The target is out for a while; when it comes back, every client reconnects at once.",
    default_target: "kind:load_balancer",
    schedule: herd,
};

/// Retry storm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryStormParams {
    /// Retries every caller makes, with no backoff and no jitter.
    pub retries: u8,
    /// The trigger: the target slows down by this factor.
    pub slowdown: f64,
    /// The errors the callers retry: by default all but `circuit_open` (a storm's callers
    /// retry whatever fails, `pool_exhausted` included).
    pub retry_on: CauseSet,
}

impl Default for RetryStormParams {
    fn default() -> Self {
        RetryStormParams {
            retries: 4,
            slowdown: 4.0,
            retry_on: CauseSet::of(
                &ErrorCause::ALL
                    .into_iter()
                    .filter(|c| *c != ErrorCause::CircuitOpen)
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

pub(super) fn retry_storm(p: &RetryStormParams, cx: &mut Injecting) {
    let (nodes, edges) = (cx.targets.nodes.clone(), cx.targets.edges_in.clone());
    cx.modify(nodes, Slowdown { factor: p.slowdown });
    cx.modify(
        edges,
        RetriesOverridden {
            count: p.retries,
            backoff_ns: 0,
            on: p.retry_on,
        },
    );
}

/// The `retry-storm` kind.
pub(super) static RETRY_STORM: Kind<RetryStormParams> = Kind {
    name: "retry-storm",
    family: Family::Traffic,
    description: "The target slows down and every caller retries aggressively, multiplying the load.",
    default_target: "first:service",
    schedule: retry_storm,
};

/// Bot flood.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotParams {
    /// Extra traffic as a multiple of the users' (1.0 doubles it).
    pub extra: f64,
}

impl Default for BotParams {
    fn default() -> Self {
        BotParams { extra: 2.0 }
    }
}

pub(super) fn bots(p: &BotParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        TrafficScaled {
            factor: 1.0 + p.extra.max(0.0),
        },
    );
}

/// The `bot-flood` kind.
pub(super) static BOT_FLOOD: Kind<BotParams> = Kind {
    name: "bot-flood",
    family: Family::Traffic,
    description: "A flood of bot requests on top of the users' traffic.",
    default_target: "kind:client",
    schedule: bots,
};

/// Reconnect storm: a connection gateway loses instances and their clients come back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconnectStormParams {
    /// Share of the gateway's instances that die, percent.
    pub percent: f64,
}

impl Default for ReconnectStormParams {
    fn default() -> Self {
        ReconnectStormParams { percent: 25.0 }
    }
}

pub(super) fn reconnect_storm(p: &ReconnectStormParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        crate::sim::CapacityLost {
            remaining: (1.0 - p.percent / 100.0).clamp(0.0, 1.0),
        },
    );
}

/// The `reconnect-storm` kind.
pub(super) static RECONNECT_STORM: Kind<ReconnectStormParams> = Kind {
    name: "reconnect-storm",
    family: Family::Traffic,
    description: "Instances of a connection gateway die: every connection they held drops \
                  and its client reconnects after its backoff, all at once without jitter.",
    default_target: "kind:websocket_gateway",
    schedule: reconnect_storm,
};
