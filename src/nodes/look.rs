//! How a node kind is drawn on the canvas, as plain data the kind gives and the view turns
//! into shapes: an outline and an accent colour (the health colour fills it).

use bevy::prelude::*;

/// The outline of a node's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outline {
    /// A circle.
    Circle,
    /// A regular polygon with this many sides, this much larger than a plain node.
    Polygon {
        /// Sides (3 to 12).
        sides: u8,
        /// Size against a plain node (1.0).
        scale: f32,
    },
    /// A cylinder (storage).
    Cylinder,
    /// A long bar (a queue, a log).
    Bar,
    /// A rounded box (compute).
    Box,
    /// Slabs stacked on each other (a partitioned store: its partitions).
    Stack {
        /// Slabs (2 to 6).
        layers: u8,
    },
    /// A magnifying glass (a search index).
    Lens,
    /// A star (a vector index: neighbours around a point).
    Star {
        /// Points (4 to 12).
        points: u8,
    },
}

/// How a kind is drawn (a component on every node, from its kind).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Look {
    /// Its outline.
    pub outline: Outline,
    /// The colour of its rim and of its kind in the legend, as sRGB in 0..1.
    pub accent: [f32; 3],
}
