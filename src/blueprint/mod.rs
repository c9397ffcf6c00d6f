//! Blueprints: architectures as RON files. Parsing with errors that say where and what,
//! validation, the built-in set, and spawning into the world.

mod builtin;
mod document;
mod error;
pub mod flow;
pub mod network;
mod schema;
mod spawn;

pub use builtin::{BUILTINS, builtin};
pub use document::{Document, Source};
pub use error::LoadError;
pub use schema::{
    Blueprint, BreakerSpec, EdgeSpec, NodeSpec, Place, PoolSpec, Problem, RetrySpec, check_cost,
    part_from_ron, part_to_ron, read_ron,
};
pub use spawn::{Spawned, auto_layout, spawn_blueprint};

use std::path::Path;

/// Reads a blueprint by built-in name or file path.
pub fn resolve(name_or_path: &str) -> Result<Blueprint, LoadError> {
    if let Some(src) = builtin(name_or_path) {
        return Blueprint::parse(&format!("<built-in {name_or_path}>"), src);
    }
    let path = Path::new(name_or_path);
    let src = std::fs::read_to_string(path).map_err(|e| {
        let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
        LoadError::whole_file(
            name_or_path,
            format!(
                "cannot read the file ({e}); it is not a built-in blueprint either (built-ins: {})",
                names.join(", ")
            ),
        )
    })?;
    Blueprint::parse(&path.display().to_string(), &src)
}
