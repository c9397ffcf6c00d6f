//! The scenarios shipped in `scenarios/`, embedded at build time.

/// Name and RON text of every scenario shipped in `scenarios/`.
pub const BUILTIN_SCENARIOS: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/scenarios.rs"));
