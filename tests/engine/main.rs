//! The engine's integration tests: one binary, one module per topic.

mod blueprints;
mod clock;
mod conservation;
mod determinism;
mod policies;
mod queueing;
mod support;
