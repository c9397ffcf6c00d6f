//! A headless run: a blueprint, a seed and a duration in; the metrics history and a
//! steady-state summary out. The CLI, the tests and the benchmark all run through here, on
//! the same schedule the app uses.

mod config;
mod digest;
mod engine_plugin;
mod headless;
mod summary;

pub use config::{HEADLESS_STEP_NS, RunConfig, load};
pub use digest::{digest, metrics_digest, scenario_digest};
pub use engine_plugin::EnginePlugin;
pub use headless::HeadlessRun;
pub use summary::{NodeSummary, Summary};
