//! Blast Radius: a system-design simulator. Blueprints (architectures) in, credible numbers
//! out: latency percentiles, error rates by cause, queues, pools, hit rates, lag.
//!
//! The engine ([`sim`], [`nodes`], [`blueprint`]) runs headless under Bevy's
//! `MinimalPlugins`; the command line ([`cli`]) drives it. Rendering and UI sit behind the
//! `app` feature and only read the simulation.

pub mod analysis;
#[cfg(feature = "app")]
pub mod app;
pub mod blueprint;
pub mod chaos;
pub mod cli;
pub mod cost;
#[cfg(feature = "app")]
pub mod editor;
pub mod nodes;
pub mod pricing;
pub mod run;
pub mod scenario;
pub mod sim;
#[cfg(feature = "app")]
pub mod ui;
#[cfg(feature = "app")]
pub mod view;
#[cfg(all(feature = "app", target_arch = "wasm32"))]
pub mod web;

pub use run::EnginePlugin;

/// The layers, lowest first. A module may import only modules in layers below its own; two
/// modules in one layer do not import each other. `tests/engine/layers.rs` holds the code to
/// this order, and the README's layout section shows it.
pub const LAYERS: &[&[&str]] = &[
    &["sim"],
    &["pricing"],
    &["nodes"],
    &["blueprint"],
    &["chaos"],
    &["scenario"],
    &["run"],
    &["analysis"],
    &["cost"],
    &["view"],
    &["editor"],
    &["ui", "cli"],
    &["web"],
    &["app"],
];

/// The most used items.
pub mod prelude {
    pub use crate::EnginePlugin;
    pub use crate::blueprint::{Blueprint, LoadError};
    pub use crate::sim::{ErrorCause, MetricsHistory, RequestKind, SimClock, SimRng, WindowRecord};
}
