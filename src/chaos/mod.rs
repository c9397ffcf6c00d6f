//! Chaos: failure scenarios that compose. Injecting one schedules, at its exact start and
//! end, the insertion and removal of modifier components on its targets (see
//! `crate::sim::modifiers`), or a one-off shock at an exact time; the engine and the node
//! kinds read them, so what breaks next follows from the model, not from a script. One
//! plugin per family; several injections can be active at once, on the same targets too.
//!
//! Adding a kind: an entry in its family's file (parameters, scheduling function, and a
//! `static` [`Kind`](kind::Kind)), and its variant line in `catalog.rs`.

mod catalog;
mod data;
mod dependency;
mod infrastructure;
mod injecting;
mod injection;
mod kind;
mod network;
mod target;
mod traffic;

pub use catalog::Chaos;
pub use injection::{ChaosLog, Injection, InjectionRecord, schedule, stop};
pub use kind::Family;
pub use target::{Resolved, Target};

use bevy::prelude::*;

use crate::sim::ModifierRegistry;

/// Chaos: the log of injections, the modifier registry, and each family's plugin (which
/// registers the modifiers its kinds insert). The kinds act through scheduled edits, the
/// engine's modifiers and shocks, so they need no systems of their own.
pub struct ChaosPlugin;

impl Plugin for ChaosPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ChaosLog>()
            .init_resource::<ModifierRegistry>()
            .add_plugins((
                network::plugin,
                infrastructure::plugin,
                data::plugin,
                traffic::plugin,
                dependency::plugin,
            ));
    }
}
