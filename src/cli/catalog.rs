//! `blastradius list` and `blastradius scenarios`: what is built in.

use crate::blueprint::{BUILTINS, Blueprint};
use crate::chaos::Chaos;
use crate::scenario::{BUILTIN_SCENARIOS, Scenario};

/// Prints the built-in blueprints with their size, rate and first sentence.
pub(super) fn list() -> Result<(), String> {
    println!("Built-in blueprints:");
    for (name, src) in BUILTINS {
        let bp = Blueprint::parse(name, src).map_err(|e| e.to_string())?;
        println!(
            "  {name:<20} {} ({} nodes, {:.0} RPS): {}",
            bp.name,
            bp.nodes.len(),
            bp.total_rps(),
            first_sentence(&bp.description)
        );
    }
    Ok(())
}

/// Prints every node kind: the name a blueprint writes, the name reports use, and what it is.
pub(super) fn kinds() -> Result<(), String> {
    let palette = crate::nodes::NodeKind::palette();
    println!(
        "Node kinds ({}), as a blueprint writes them:",
        palette.len()
    );
    for kind in &palette {
        let written = format!("{kind:?}");
        let variant = written.split('(').next().unwrap_or(&written);
        println!("  {variant:<20} {:<20} {}", kind.name(), kind.about());
    }
    Ok(())
}

fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(s, _)| s)
}

/// Prints every chaos scenario: family, the blueprint its file runs on, what it does and
/// where it lands by default.
pub(super) fn scenarios() -> Result<(), String> {
    println!(
        "Chaos scenarios (use with --chaos NAME@START[+DURATION][:TARGET] or --scenario NAME):"
    );
    for (name, family, description, chaos) in Chaos::catalog() {
        let file = BUILTIN_SCENARIOS.iter().find(|(n, _)| *n == name);
        let blueprint = match file {
            Some((n, src)) => {
                Scenario::parse(n, src)
                    .map_err(|e| e.to_string())?
                    .blueprint
            }
            None => "-".into(),
        };
        println!(
            "  {name:<24} {:<15} on {:<20} {description} (default target: {})",
            family.name(),
            blueprint,
            chaos.default_target()
        );
    }
    Ok(())
}
