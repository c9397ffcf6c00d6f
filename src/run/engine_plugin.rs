//! The plugin group of the engine: everything a simulation needs, without any rendering. The
//! headless run builds on it; the app, its tests and the CLI add it too (as
//! `blastradius::EnginePlugin`).

use bevy::prelude::*;

use crate::chaos::ChaosPlugin;
use crate::sim::SimPlugin;

/// Everything the simulation needs, without any rendering: the plugin tests, the CLI and
/// the app all use.
pub struct EnginePlugin;

impl Plugin for EnginePlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins((SimPlugin, ChaosPlugin));
    }
}
