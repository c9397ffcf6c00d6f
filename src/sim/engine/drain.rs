//! The engine's system: drains the events due before the horizon, applying scheduled world
//! edits (chaos) at their exact times in between. For each stretch between edits it takes the
//! nodes and edges into dense slots, handles the events, and puts them back.

use bevy::prelude::*;

use super::{Engine, NodeSlot};
use crate::sim::behaviour::Effects;
use crate::sim::call::Call;
use crate::sim::clock::SimClock;
use crate::sim::edge::Edge;
use crate::sim::edits::ScheduledEdits;
use crate::sim::metrics::EndToEnd;
use crate::sim::modifiers::EdgeMods;
use crate::sim::queue::EventQueue;
use crate::sim::rng::SimRng;
use crate::sim::time::Nanos;
use crate::sim::topology::Topology;

/// The cached query of call entities (built once, reused for every event).
#[derive(Resource)]
pub(in crate::sim) struct EngineQueries {
    calls: QueryState<&'static mut Call>,
}

impl FromWorld for EngineQueries {
    fn from_world(world: &mut World) -> Self {
        EngineQueries {
            calls: QueryState::new(world),
        }
    }
}

/// Processes every event due at or before the clock's horizon (the engine's `Drain` phase).
pub(in crate::sim) fn drain_events(world: &mut World) {
    let horizon = world.resource::<SimClock>().horizon_ns;
    run_until(world, horizon);
}

/// Processes every event due at or before `horizon_ns`. Scheduled world edits (chaos) apply
/// at their exact times in between.
fn run_until(world: &mut World, horizon_ns: Nanos) {
    loop {
        let next_edit = world
            .resource::<ScheduledEdits>()
            .next_time()
            .filter(|&t| t <= horizon_ns);
        let Some(at) = next_edit else {
            return run_segment(world, horizon_ns);
        };
        run_segment(world, at);
        let edits = world.resource_mut::<ScheduledEdits>().take_due(at);
        for edit in edits {
            edit(world);
        }
    }
}

/// Processes the events up to `horizon_ns` with the chaos as it stands.
fn run_segment(world: &mut World, horizon_ns: Nanos) {
    let topology = world.resource::<Topology>().clone();
    let mut nodes: Vec<NodeSlot> = topology
        .nodes
        .iter()
        .map(|&e| NodeSlot::take(world, e))
        .collect();
    let edge_mods: Vec<EdgeMods> = topology
        .edges
        .iter()
        .map(|&e| EdgeMods::read(world, e))
        .collect();
    let mut edges: Vec<Edge> = topology
        .edges
        .iter()
        .map(|&e| {
            world
                .entity_mut(e)
                .take::<Edge>()
                .expect("edge entity has an Edge")
        })
        .collect();
    let clock = world.resource::<SimClock>().clone();
    world.resource_mut::<SimClock>().started = true;

    world.resource_scope(|world, mut queue: Mut<EventQueue>| {
        world.resource_scope(|world, mut rng: Mut<SimRng>| {
            world.resource_scope(|world, mut e2e: Mut<EndToEnd>| {
                world.resource_scope(|world, mut qs: Mut<EngineQueries>| {
                    let mut engine = Engine {
                        world,
                        calls: &mut qs.bypass_change_detection().calls,
                        nodes: &mut nodes,
                        edges: &mut edges,
                        edge_mods: &edge_mods,
                        node_entities: &topology.nodes,
                        queue: queue.bypass_change_detection(),
                        rng: rng.bypass_change_detection(),
                        e2e: e2e.bypass_change_detection(),
                        effects: Effects::default(),
                        now: clock.now_ns,
                        traffic_until_ns: clock.traffic_until_ns,
                    };
                    if !clock.started {
                        engine.start();
                    }
                    while let Some((at, event)) = engine.queue.pop_due(horizon_ns) {
                        engine.now = at;
                        engine.handle(event);
                    }
                });
            });
        });
    });

    for (&entity, slot) in topology.nodes.iter().zip(nodes) {
        slot.put_back(world, entity);
    }
    for (&entity, edge) in topology.edges.iter().zip(edges) {
        world.entity_mut(entity).insert(edge);
    }
    let mut clock = world.resource_mut::<SimClock>();
    clock.now_ns = clock.now_ns.max(horizon_ns);
    clock.horizon_ns = clock.horizon_ns.max(horizon_ns);
}
