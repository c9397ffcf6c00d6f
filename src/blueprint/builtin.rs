//! The built-in blueprints, embedded in the binary (the web build cannot read files).

/// Name and RON text of every built-in blueprint.
pub const BUILTINS: &[(&str, &str)] = &[(
    "three-tier",
    include_str!("../../blueprints/three-tier.ron"),
)];

/// The RON text of a built-in blueprint.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, src)| *src)
}
