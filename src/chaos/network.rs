//! Network chaos: latency, loss, bandwidth, partitions, resets, DNS, cross-region links.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::injecting::Injecting;
use super::kind::{Family, Kind};
use super::target::nodes_of;
use crate::sim::{
    BandwidthCapped, ConnectionsReset, DnsFailing, Edge, LatencyAdded, PacketLoss, Partitioned,
    RegisterModifier, ms_to_ns,
};

/// Network chaos: the modifiers its kinds put on edges.
pub(super) fn plugin(app: &mut App) {
    app.register_modifier::<LatencyAdded>()
        .register_modifier::<PacketLoss>()
        .register_modifier::<BandwidthCapped>()
        .register_modifier::<Partitioned>()
        .register_modifier::<ConnectionsReset>()
        .register_modifier::<DnsFailing>();
}

/// Latency injection.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencyParams {
    /// Added one-way latency, milliseconds.
    pub add_ms: f64,
    /// Up to this much more, uniformly, milliseconds.
    pub jitter_ms: f64,
}

impl Default for LatencyParams {
    fn default() -> Self {
        LatencyParams {
            add_ms: 200.0,
            jitter_ms: 50.0,
        }
    }
}

pub(super) fn latency(p: &LatencyParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    cx.modify(
        edges,
        LatencyAdded {
            add_ns: ms_to_ns(p.add_ms),
            jitter_ns: ms_to_ns(p.jitter_ms),
        },
    );
}

/// The `latency-injection` kind.
pub(super) static LATENCY_INJECTION: Kind<LatencyParams> = Kind {
    name: "latency-injection",
    family: Family::Network,
    description: "Adds latency (plus jitter) to every call into the target.",
    default_target: "first:service",
    schedule: latency,
};

/// Packet loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PacketLossParams {
    /// Share of packets lost, percent.
    pub percent: f64,
}

impl Default for PacketLossParams {
    fn default() -> Self {
        PacketLossParams { percent: 5.0 }
    }
}

pub(super) fn packet_loss(p: &PacketLossParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    cx.modify(
        edges,
        PacketLoss {
            ratio: (p.percent / 100.0).clamp(0.0, 1.0),
        },
    );
}

/// The `packet-loss` kind.
pub(super) static PACKET_LOSS: Kind<PacketLossParams> = Kind {
    name: "packet-loss",
    family: Family::Network,
    description: "Drops a share of packets into the target; TCP resends after a timeout.",
    default_target: "first:service",
    schedule: packet_loss,
};

/// Bandwidth cap.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BandwidthParams {
    /// Link capacity, megabits per second.
    pub mbps: f64,
    /// Size of one answer, bytes.
    pub answer_bytes: f64,
}

impl Default for BandwidthParams {
    fn default() -> Self {
        BandwidthParams {
            mbps: 100.0,
            answer_bytes: 5_000.0,
        }
    }
}

pub(super) fn bandwidth(p: &BandwidthParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    let cap = BandwidthCapped {
        bytes_per_s: p.mbps * 1e6 / 8.0,
        answer_bytes: p.answer_bytes,
    };
    cx.modify(edges, cap);
}

/// The `bandwidth-cap` kind.
pub(super) static BANDWIDTH_CAP: Kind<BandwidthParams> = Kind {
    name: "bandwidth-cap",
    family: Family::Network,
    description: "Caps the bytes per second the target's answers can use; answers queue for the link.",
    default_target: "first:service",
    schedule: bandwidth,
};

/// Network partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartitionParams {
    /// Only the first group's calls to the second are cut (not the answers' way back).
    pub one_way: bool,
}

pub(super) fn partition(p: &PartitionParams, cx: &mut Injecting) {
    let mut edges = cx.targets.edges_in.clone();
    if !p.one_way {
        edges.extend(cx.targets.edges_back.iter().copied());
    }
    cx.modify(edges, Partitioned);
}

/// The `network-partition` kind.
pub(super) static NETWORK_PARTITION: Kind<PartitionParams> = Kind {
    name: "network-partition",
    family: Family::Network,
    description: "Nothing gets through between two groups of nodes (one way or both).",
    default_target: "kind:service|kind:cache",
    schedule: partition,
};

/// Connection resets or hangs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResetParams {
    /// Share of connections reset, percent.
    pub percent: f64,
    /// Hang until the caller's timeout instead of resetting at once.
    pub hang: bool,
}

impl Default for ResetParams {
    fn default() -> Self {
        ResetParams {
            percent: 20.0,
            hang: false,
        }
    }
}

pub(super) fn reset(p: &ResetParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    cx.modify(
        edges,
        ConnectionsReset {
            ratio: (p.percent / 100.0).clamp(0.0, 1.0),
            hang: p.hang,
        },
    );
}

/// The `connection-reset` kind.
pub(super) static CONNECTION_RESET: Kind<ResetParams> = Kind {
    name: "connection-reset",
    family: Family::Network,
    description: "Resets (or hangs) a share of the connections into the target.",
    default_target: "first:service",
    schedule: reset,
};

/// DNS failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsParams {}

pub(super) fn dns(_: &DnsParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    cx.modify(edges, DnsFailing);
}

/// The `dns-failure` kind.
pub(super) static DNS_FAILURE: Kind<DnsParams> = Kind {
    name: "dns-failure",
    family: Family::Network,
    description: "The target's name stops resolving: calls to it fail at once.",
    default_target: "first:service",
    schedule: dns,
};

/// Cross-region link loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossRegionParams {}

pub(super) fn cross_region(_: &CrossRegionParams, cx: &mut Injecting) {
    let nodes = nodes_of(cx.world);
    let region = |e| {
        nodes
            .iter()
            .find(|(n, _)| *n == e)
            .and_then(|(_, n)| n.region.clone())
    };
    let topology = cx.world.resource::<crate::sim::Topology>().clone();
    let crossing: Vec<_> = topology
        .edges
        .iter()
        .filter(|&&e| {
            let edge = cx.world.get::<Edge>(e).expect("edge entity has an Edge");
            let (a, b) = (
                region(topology.nodes[edge.from.ix()]),
                region(topology.nodes[edge.to.ix()]),
            );
            a.is_some() && b.is_some() && a != b
        })
        .copied()
        .collect();
    cx.modify(crossing, Partitioned);
}

/// The `cross-region-link-loss` kind.
pub(super) static CROSS_REGION_LINK_LOSS: Kind<CrossRegionParams> = Kind {
    name: "cross-region-link-loss",
    family: Family::Network,
    description: "The links between regions go dark.",
    default_target: "all",
    schedule: cross_region,
};
