//! Injections: what is injected where, when and for how long; scheduling one into a spawned
//! world, stopping it early, and the log of what was injected.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::catalog::Chaos;
use super::injecting::Injecting;
use super::target::Target;
use crate::sim::{InjectionId, NS_PER_S, Nanos, SimClock, Topology, lift_all, ns_to_s, positive};

/// One injection: what, where, when, for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    /// The scenario kind and its parameters.
    pub chaos: Chaos,
    /// Where (its kind's default when absent).
    #[serde(default)]
    pub target: Option<Target>,
    /// Start, in simulated seconds from the beginning of the run.
    pub at_s: f64,
    /// How long; none = until the run ends (or the kind's own course, e.g. a crash that
    /// restarts).
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// What was injected, for reports and the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct InjectionRecord {
    /// Its id.
    pub id: InjectionId,
    /// Kind name.
    pub name: &'static str,
    /// Where, in words.
    pub target: String,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (none: until the run ends).
    pub end_s: Option<f64>,
}

/// Every injection of the run.
#[derive(Resource, Default, Clone, Debug)]
pub struct ChaosLog {
    /// In the order they were scheduled.
    pub injections: Vec<InjectionRecord>,
}

/// Schedules `injection` in the world (the blueprint must be spawned). Returns its id.
pub fn schedule(world: &mut World, injection: &Injection) -> Result<InjectionId, String> {
    if !(injection.at_s >= 0.0 && injection.at_s.is_finite()) {
        return Err(format!(
            "{}: the start must be a time >= 0 s",
            injection.chaos.name()
        ));
    }
    if injection.duration_s.is_some_and(|d| !positive(d)) {
        return Err(format!(
            "{}: the duration must be > 0 s",
            injection.chaos.name()
        ));
    }
    let target = injection
        .target
        .clone()
        .unwrap_or_else(|| injection.chaos.default_target());
    let targets = target
        .resolve(world)
        .map_err(|e| format!("{}: {e}", injection.chaos.name()))?;
    let id = world.resource::<ChaosLog>().injections.len() as InjectionId + 1;
    let start_ns = (injection.at_s * NS_PER_S as f64).round() as Nanos;
    let end_ns = injection
        .duration_s
        .map(|d| start_ns + (d * NS_PER_S as f64).round() as Nanos);
    // The steady state ends where the chaos begins.
    if let Some(mut history) = world.get_resource_mut::<crate::sim::MetricsHistory>() {
        history.steady_until_ns = history.steady_until_ns.min(start_ns);
    }
    world
        .resource_mut::<ChaosLog>()
        .injections
        .push(InjectionRecord {
            id,
            name: injection.chaos.name(),
            target: target.to_string(),
            start_s: ns_to_s(start_ns),
            end_s: end_ns.map(ns_to_s),
        });
    let mut cx = Injecting {
        world,
        id,
        targets,
        start_ns,
        end_ns,
        lasts_until: None,
    };
    injection.chaos.schedule(&mut cx);
    if let Some(until) = cx.lasts_until
        && end_ns.is_none()
        && let Some(record) = cx.world.resource_mut::<ChaosLog>().injections.last_mut()
    {
        record.end_s = Some(ns_to_s(until));
    }
    Ok(id)
}

/// Stops injection `id` now: lifts its modifiers from every node and edge (its scheduled
/// steps still pending find nothing to lift, or re-apply if they start later).
pub fn stop(world: &mut World, id: InjectionId) {
    let topology = world.resource::<Topology>().clone();
    for &e in topology.nodes.iter().chain(&topology.edges) {
        lift_all(world, e, id);
    }
    let now = ns_to_s(world.resource::<SimClock>().now_ns);
    if let Some(record) = world
        .resource_mut::<ChaosLog>()
        .injections
        .iter_mut()
        .find(|i| i.id == id)
    {
        record.end_s = Some(record.end_s.map_or(now, |e| e.min(now)));
    }
}
