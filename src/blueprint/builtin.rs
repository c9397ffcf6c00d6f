//! The built-in blueprints, embedded in the binary by `build.rs` from `blueprints/` (the web
//! build cannot read files).

/// Name (file stem) and RON text of every built-in blueprint.
pub const BUILTINS: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/blueprints.rs"));

/// The RON text of a built-in blueprint.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, src)| *src)
}
