//! Modifier components that change how the engine treats a node. Chaos scenarios insert
//! them and remove them when they end; the engine only reads them.

use bevy::prelude::*;

/// The node is down: calls to it fail with `NodeDown` and health checks see it dead.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Down;
