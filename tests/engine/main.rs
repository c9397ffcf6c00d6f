//! The engine's integration tests: one binary, one module per topic.

mod ai_kinds;
mod blueprints;
mod caches;
mod chaos;
mod clock;
mod conservation;
mod cost;
mod data_kinds;
mod determinism;
mod edge_kinds;
mod editing;
mod jackson;
mod kinds;
mod layers;
mod policies;
mod queueing;
mod scenarios;
mod seed;
mod stream_kinds;
mod support;
