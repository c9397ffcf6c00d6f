//! Dense ids of nodes and edges, and the entities they are. The engine addresses nodes and
//! edges by id (an index, not a lookup); the view and the blueprint go through [`Topology`].

use bevy::prelude::*;

/// A node's index (also a component on the node's entity).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// An edge's index (also a component on the edge's entity).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(pub u32);

impl NodeId {
    /// As an index.
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

impl EdgeId {
    /// As an index.
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }

    /// A stand-in for checks that need an edge but no world.
    pub const PLACEHOLDER: EdgeId = EdgeId(u32::MAX);
}

/// The entities of the nodes and edges, by id.
#[derive(Resource, Clone, Debug, Default)]
pub struct Topology {
    /// Node entities; `nodes[id]` is node `id`.
    pub nodes: Vec<Entity>,
    /// Edge entities; `edges[id]` is edge `id`.
    pub edges: Vec<Entity>,
}
