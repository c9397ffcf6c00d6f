//! Spawning a validated blueprint into the world: node entities (with their station,
//! behaviour, metrics and router), database replicas, and edge entities.

use std::collections::BTreeMap;

use bevy::prelude::*;

use super::schema::Blueprint;
use crate::nodes::{NodeKind, Wiring};
use crate::sim::{Node, NodeMetrics, ReadReplicas};

/// The entities a blueprint became.
#[derive(Resource, Clone, Debug, Default)]
pub struct Spawned {
    /// Node id to entity (replicas included, as "<id>-replica-<k>").
    pub nodes: BTreeMap<String, Entity>,
    /// Edge entities, in blueprint order.
    pub edges: Vec<Entity>,
}

struct WorldWiring<'a> {
    from: &'a str,
    edges: &'a BTreeMap<(String, String), Entity>,
    outs: Vec<Entity>,
}

impl Wiring for WorldWiring<'_> {
    fn edge_to(&self, target: &str) -> Result<Entity, String> {
        self.edges
            .get(&(self.from.to_string(), target.to_string()))
            .copied()
            .ok_or_else(|| format!("no edge from \"{}\" to \"{target}\"", self.from))
    }

    fn out_edges(&self) -> Vec<Entity> {
        self.outs.clone()
    }
}

/// Spawns `blueprint` (which must have passed validation) and returns its entities; also
/// stored as the [`Spawned`] resource.
pub fn spawn_blueprint(world: &mut World, blueprint: &Blueprint) -> Result<Spawned, String> {
    let layout = auto_layout(blueprint);
    let mut spawned = Spawned::default();
    for spec in &blueprint.nodes {
        let position = spec
            .position
            .map_or(layout[&spec.id], |(x, y)| Vec2::new(x, y));
        let entity = world
            .spawn(Node {
                id: spec.id.clone(),
                kind: spec.kind.name(),
                position,
            })
            .id();
        spawned.nodes.insert(spec.id.clone(), entity);
    }
    let mut by_pair = BTreeMap::new();
    for spec in &blueprint.edges {
        let (from, to) = (spawned.nodes[&spec.from], spawned.nodes[&spec.to]);
        let entity = world.spawn(spec.component(from, to)).id();
        by_pair.insert((spec.from.clone(), spec.to.clone()), entity);
        spawned.edges.push(entity);
    }
    for spec in &blueprint.nodes {
        let outs = blueprint
            .edges
            .iter()
            .filter(|e| e.from == spec.id)
            .map(|e| by_pair[&(e.from.clone(), e.to.clone())])
            .collect();
        let wiring = WorldWiring {
            from: &spec.id,
            edges: &by_pair,
            outs,
        };
        let built = spec
            .kind
            .build(&wiring)
            .map_err(|e| format!("node \"{}\": {e}", spec.id))?;
        let entity = spawned.nodes[&spec.id];
        let metrics = NodeMetrics {
            is_message_queue: built.message_queue,
            ..default()
        };
        let mut node = world.entity_mut(entity);
        node.insert((built.station, crate::sim::Model(built.model), metrics));
        if let Some(router) = built.router {
            node.insert(router);
        }
        if let NodeKind::Database(db) = &spec.kind
            && db.read_replicas > 0
        {
            let base = world.get::<Node>(entity).expect("just spawned").position;
            let mut replicas = Vec::new();
            for k in 1..=db.read_replicas {
                let id = format!("{}-replica-{k}", spec.id);
                let built = db.build_replica();
                let position = base + Vec2::new(0.0, -90.0 * k as f32);
                let replica = world
                    .spawn((
                        Node {
                            id: id.clone(),
                            kind: "database",
                            position,
                        },
                        built.station,
                        crate::sim::Model(built.model),
                        NodeMetrics::default(),
                    ))
                    .id();
                spawned.nodes.insert(id, replica);
                replicas.push(replica);
            }
            world
                .entity_mut(entity)
                .insert(ReadReplicas { replicas, next: 0 });
        }
    }
    world.insert_resource(spawned.clone());
    Ok(spawned)
}

/// Positions by depth from the traffic sources (left to right), spread vertically.
fn auto_layout(blueprint: &Blueprint) -> BTreeMap<String, Vec2> {
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &blueprint.nodes {
        if matches!(n.kind, NodeKind::Client(_)) {
            depth.insert(&n.id, 0);
        }
    }
    // Longest-path depth, bounded by the node count (cycles stop growing there).
    for _ in 0..blueprint.nodes.len() {
        for e in &blueprint.edges {
            if let Some(&d) = depth.get(e.from.as_str()) {
                let entry = depth.entry(&e.to).or_insert(0);
                *entry = (*entry).max(d + 1).min(blueprint.nodes.len());
            }
        }
    }
    let mut columns: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for n in &blueprint.nodes {
        columns
            .entry(depth.get(n.id.as_str()).copied().unwrap_or(0))
            .or_default()
            .push(&n.id);
    }
    let mut out = BTreeMap::new();
    for (d, ids) in columns {
        let count = ids.len() as f32;
        for (i, id) in ids.into_iter().enumerate() {
            let y = (count - 1.0) * 60.0 - i as f32 * 120.0;
            out.insert(id.to_string(), Vec2::new(d as f32 * 220.0, y));
        }
    }
    out
}
