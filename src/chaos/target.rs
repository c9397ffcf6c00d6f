//! Where an injection lands: a node, a group, all of a kind, a zone, a region, an edge, or
//! the edges between two groups.

use std::fmt;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::blueprint::Spawned;
use crate::sim::{Edge, Node, Topology};

/// A target, as written in scenario files (and, as text, on the command line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// One node by id.
    Node(String),
    /// Several nodes by id (or `kind:K`).
    Group(Vec<String>),
    /// Every node of a kind ("service", "cache", "database", ...).
    Kind(String),
    /// The first node of a kind.
    First(String),
    /// Every node in an availability zone.
    Zone(String),
    /// Every node in a region.
    Region(String),
    /// Every node.
    All,
    /// The edge from one node to another.
    Edge(String, String),
    /// The edges from the first group to the second (node ids or `kind:K`).
    Between(Vec<String>, Vec<String>),
}

/// A target resolved to entities.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    /// The target nodes.
    pub nodes: Vec<Entity>,
    /// The edges into the target nodes (or the selected edges, for edge targets).
    pub edges_in: Vec<Entity>,
    /// For `Between`: the edges the other way (second group to first).
    pub edges_back: Vec<Entity>,
}

impl Target {
    /// Parses the command line's form: `app-1`, `app-1,app-2`, `kind:cache`, `first:service`,
    /// `zone:Z`, `region:R`, `all`, `a->b` (an edge), `a|b` (between two groups; each side a
    /// list of ids or `kind:K`).
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty target".into());
        }
        // Separators first (their parts may be `kind:K`), then the prefixed forms.
        let list = |s: &str| s.split(',').map(|x| x.trim().to_string()).collect();
        Ok(if let Some((a, b)) = t.split_once('|') {
            Target::Between(list(a), list(b))
        } else if let Some((a, b)) = t.split_once("->") {
            Target::Edge(a.trim().into(), b.trim().into())
        } else if t.contains(',') {
            Target::Group(list(t))
        } else if t == "all" {
            Target::All
        } else if let Some(k) = t.strip_prefix("kind:") {
            Target::Kind(k.into())
        } else if let Some(k) = t.strip_prefix("first:") {
            Target::First(k.into())
        } else if let Some(z) = t.strip_prefix("zone:") {
            Target::Zone(z.into())
        } else if let Some(r) = t.strip_prefix("region:") {
            Target::Region(r.into())
        } else {
            Target::Node(t.into())
        })
    }

    /// Finds the entities in a spawned blueprint.
    pub fn resolve(&self, world: &mut World) -> Result<Resolved, String> {
        let nodes = nodes_of(world);
        let pick = |pred: &dyn Fn(&Node) -> bool| -> Vec<Entity> {
            nodes
                .iter()
                .filter(|(_, n)| pred(n))
                .map(|(e, _)| *e)
                .collect()
        };
        let by_id = |id: &str| -> Result<Vec<Entity>, String> {
            if let Some(kind) = id.strip_prefix("kind:") {
                let found = pick(&|n| n.kind == kind);
                if found.is_empty() {
                    return Err(format!("no node of kind \"{kind}\""));
                }
                return Ok(found);
            }
            world
                .resource::<Spawned>()
                .nodes
                .get(id)
                .map(|e| vec![*e])
                .ok_or_else(|| {
                    let ids: Vec<&str> = nodes.iter().map(|(_, n)| n.id.as_str()).collect();
                    format!("no node \"{id}\"; expected one of: {}", ids.join(", "))
                })
        };
        let (target_nodes, selected_edges, back): (Vec<Entity>, Option<Vec<Entity>>, Vec<Entity>) =
            match self {
                Target::Node(id) => (by_id(id)?, None, Vec::new()),
                Target::Group(ids) => (
                    ids.iter()
                        .map(|i| by_id(i))
                        .collect::<Result<Vec<_>, _>>()?
                        .concat(),
                    None,
                    Vec::new(),
                ),
                Target::Kind(kind) => (by_id(&format!("kind:{kind}"))?, None, Vec::new()),
                Target::First(kind) => (
                    by_id(&format!("kind:{kind}"))?
                        .into_iter()
                        .take(1)
                        .collect(),
                    None,
                    Vec::new(),
                ),
                Target::Zone(z) => (
                    non_empty(pick(&|n| n.zone.as_deref() == Some(z)), "zone", z)?,
                    None,
                    Vec::new(),
                ),
                Target::Region(r) => (
                    non_empty(pick(&|n| n.region.as_deref() == Some(r)), "region", r)?,
                    None,
                    Vec::new(),
                ),
                Target::All => (pick(&|_| true), None, Vec::new()),
                Target::Edge(a, b) => {
                    let (a, b) = (by_id(a)?, by_id(b)?);
                    let edges = edges_between(world, &a, &b);
                    if edges.is_empty() {
                        return Err(format!("no edge {self}"));
                    }
                    (b, Some(edges), Vec::new())
                }
                Target::Between(a, b) => {
                    let a = a
                        .iter()
                        .map(|i| by_id(i))
                        .collect::<Result<Vec<_>, _>>()?
                        .concat();
                    let b = b
                        .iter()
                        .map(|i| by_id(i))
                        .collect::<Result<Vec<_>, _>>()?
                        .concat();
                    let there = edges_between(world, &a, &b);
                    let back = edges_between(world, &b, &a);
                    if there.is_empty() && back.is_empty() {
                        return Err(format!("no edges between the groups of {self}"));
                    }
                    (b, Some(there), back)
                }
            };
        let edges_in = match selected_edges {
            Some(edges) => edges,
            None => {
                let all = all_nodes(world);
                edges_between(world, &all, &target_nodes)
            }
        };
        Ok(Resolved {
            nodes: target_nodes,
            edges_in,
            edges_back: back,
        })
    }
}

fn non_empty(found: Vec<Entity>, what: &str, name: &str) -> Result<Vec<Entity>, String> {
    if found.is_empty() {
        Err(format!("no node is in {what} \"{name}\""))
    } else {
        Ok(found)
    }
}

/// Every node with its identity, in blueprint (id) order.
pub(super) fn nodes_of(world: &mut World) -> Vec<(Entity, Node)> {
    let topology = world.resource::<Topology>().clone();
    topology
        .nodes
        .iter()
        .map(|&e| {
            (
                e,
                world
                    .get::<Node>(e)
                    .expect("node entity has a Node")
                    .clone(),
            )
        })
        .collect()
}

fn all_nodes(world: &mut World) -> Vec<Entity> {
    world.resource::<Topology>().nodes.clone()
}

/// Edges whose caller is in `from` and callee in `to`.
pub(super) fn edges_between(world: &mut World, from: &[Entity], to: &[Entity]) -> Vec<Entity> {
    let topology = world.resource::<Topology>().clone();
    topology
        .edges
        .iter()
        .filter(|&&e| {
            let edge = world.get::<Edge>(e).expect("edge entity has an Edge");
            from.contains(&topology.nodes[edge.from.ix()])
                && to.contains(&topology.nodes[edge.to.ix()])
        })
        .copied()
        .collect()
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Node(id) => write!(f, "{id}"),
            Target::Group(ids) => write!(f, "{}", ids.join(",")),
            Target::Kind(k) => write!(f, "every {k}"),
            Target::First(k) => write!(f, "the first {k}"),
            Target::Zone(z) => write!(f, "zone {z}"),
            Target::Region(r) => write!(f, "region {r}"),
            Target::All => write!(f, "everything"),
            Target::Edge(a, b) => write!(f, "{a}->{b}"),
            Target::Between(a, b) => write!(f, "between {} and {}", a.join(","), b.join(",")),
        }
    }
}
