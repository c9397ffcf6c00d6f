//! Spawning a validated blueprint into the world: node entities (with their station,
//! behaviour, metrics and router), database replicas, and edge entities.

use std::collections::BTreeMap;

use bevy::prelude::*;

use super::flow::Flows;
use super::schema::{Blueprint, NodeSpec};
use crate::nodes::Wiring;
use crate::nodes::keyspace::KeyTraffic;
use crate::sim::{EdgeId, Model, Node, NodeId, NodeMetrics, ReadReplicas, SimRng, Topology};

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
    edges: &'a BTreeMap<(String, String), EdgeId>,
    outs: Vec<EdgeId>,
    vcpus: Option<u32>,
    keys: Option<KeyTraffic>,
    seed: u64,
}

impl Wiring for WorldWiring<'_> {
    fn edge_to(&self, target: &str) -> Result<EdgeId, String> {
        self.edges
            .get(&(self.from.to_string(), target.to_string()))
            .copied()
            .ok_or_else(|| format!("no edge from \"{}\" to \"{target}\"", self.from))
    }

    fn out_edges(&self) -> Vec<EdgeId> {
        self.outs.clone()
    }

    fn instance_vcpus(&self) -> Option<u32> {
        self.vcpus
    }

    fn key_traffic(&self) -> Option<KeyTraffic> {
        self.keys
    }

    fn rng(&self) -> SimRng {
        SimRng::seeded(self.seed)
    }
}

/// The key traffic reaching each node: the expected reads and writes per second (the
/// blueprint's flows) of the keys of its busiest keyed client.
fn key_traffic(blueprint: &Blueprint) -> BTreeMap<String, KeyTraffic> {
    let Some(keys) = blueprint
        .nodes
        .iter()
        .filter_map(|n| Some((n.kind.key_popularity()?, n.kind.offered_rps()?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
    else {
        return BTreeMap::new();
    };
    Flows::of(blueprint)
        .nodes
        .into_iter()
        .map(|(id, rw)| {
            let traffic = KeyTraffic {
                keys: keys.keys,
                zipf_s: keys.zipf_s,
                reads_per_s: rw.reads_per_s,
                writes_per_s: rw.writes_per_s,
            };
            (id, traffic)
        })
        .collect()
}

/// vCPUs of the instance the node's cost spec names, if any (see [`Wiring::instance_vcpus`]).
pub(super) fn instance_vcpus(spec: &NodeSpec) -> Option<u32> {
    let table = crate::pricing::PriceTable::aws_us_east_1();
    spec.cost
        .as_ref()
        .and_then(|c| c.instance_vcpus(table))
        // Saturates: Lambda's unbounded cores become u32::MAX.
        .map(|v| v.ceil() as u32)
}

/// Spawns `blueprint` (which must have passed validation) and returns its entities; also
/// stored as the [`Spawned`] and [`Topology`] resources.
pub fn spawn_blueprint(world: &mut World, blueprint: &Blueprint) -> Result<Spawned, String> {
    let layout = auto_layout(blueprint);
    let mut spawned = Spawned::default();
    let mut topology = Topology::default();
    let mut ids: BTreeMap<String, NodeId> = BTreeMap::new();
    let mut spawn_node =
        |world: &mut World, id: String, position: Vec2, spec: &NodeSpec, replica: Option<u32>| {
            let node_id = NodeId(topology.nodes.len() as u32);
            let place = |own: &Option<String>, of_replica: Option<&str>| {
                of_replica.map(str::to_string).or_else(|| own.clone())
            };
            let node = Node {
                id: id.clone(),
                kind: spec.kind.name(),
                position,
                zone: place(&spec.zone, replica.and_then(|k| spec.kind.replica_zone(k))),
                region: place(
                    &spec.region,
                    replica.and_then(|k| spec.kind.replica_region(k)),
                ),
            };
            let entity = world.spawn((node, node_id, spec.kind.look())).id();
            topology.nodes.push(entity);
            spawned.nodes.insert(id.clone(), entity);
            ids.insert(id, node_id);
            node_id
        };
    for spec in &blueprint.nodes {
        let position = spec
            .position
            .map_or(layout[&spec.id], |(x, y)| Vec2::new(x, y));
        spawn_node(world, spec.id.clone(), position, spec, None);
    }
    // Read replicas become nodes of their own, below their primary.
    let mut replicas_of: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
    for spec in &blueprint.nodes {
        let base = spec
            .position
            .map_or(layout[&spec.id], |(x, y)| Vec2::new(x, y));
        for k in 1..=spec.kind.read_replicas() {
            let position = base + Vec2::new(0.0, -90.0 * k as f32);
            let replica = spawn_node(
                world,
                format!("{}-replica-{k}", spec.id),
                position,
                spec,
                Some(k),
            );
            replicas_of
                .entry(spec.id.clone())
                .or_default()
                .push(replica);
        }
    }
    let keys = key_traffic(blueprint);
    let mut seeds = world
        .get_resource_mut::<SimRng>()
        .map_or_else(|| SimRng::seeded(0), |mut rng| rng.fork());
    let mut by_pair = BTreeMap::new();
    for spec in &blueprint.edges {
        let edge_id = EdgeId(topology.edges.len() as u32);
        let node = |id: &str| blueprint.nodes.iter().find(|n| n.id == id);
        let placed = match (node(&spec.from), node(&spec.to)) {
            (Some(a), Some(b)) => super::network::latency_between(a, b),
            _ => super::network::same_zone(),
        };
        let entity = world
            .spawn((
                spec.component(ids[&spec.from], ids[&spec.to], placed),
                edge_id,
            ))
            .id();
        by_pair.insert((spec.from.clone(), spec.to.clone()), edge_id);
        topology.edges.push(entity);
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
            vcpus: instance_vcpus(spec),
            keys: keys.get(&spec.id).copied(),
            seed: seeds.unit().to_bits(),
        };
        let built = spec
            .kind
            .build(&wiring)
            .map_err(|e| format!("node \"{}\": {e}", spec.id))?;
        let metrics = NodeMetrics {
            is_message_queue: built.message_queue,
            ..default()
        };
        let mut node = world.entity_mut(spawned.nodes[&spec.id]);
        node.insert((built.station, Model(built.model), metrics));
        if let Some(router) = built.router {
            node.insert(router);
        }
        if let Some(autoscaler) = built.autoscaler {
            node.insert(autoscaler);
        }
        if let Some(replicas) = replicas_of.get(&spec.id) {
            node.insert(ReadReplicas {
                replicas: replicas.clone(),
                next: 0,
            });
            for &replica in replicas {
                let built = spec
                    .kind
                    .build_replica()
                    .ok_or_else(|| format!("node \"{}\" cannot build read replicas", spec.id))?;
                let entity = topology.nodes[replica.ix()];
                world.entity_mut(entity).insert((
                    built.station,
                    Model(built.model),
                    NodeMetrics::default(),
                ));
            }
        }
    }
    world.insert_resource(topology);
    world.insert_resource(spawned.clone());
    Ok(spawned)
}

/// Positions by depth from the traffic sources (left to right), spread vertically.
pub fn auto_layout(blueprint: &Blueprint) -> BTreeMap<String, Vec2> {
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &blueprint.nodes {
        if n.kind.offered_rps().is_some() {
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
