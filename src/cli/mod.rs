//! Headless commands: `run`, `cost`, `validate`, `list`, `scenarios`. Each returns a process
//! exit code.

mod args;
mod cost;
mod format;
mod report;
mod run;

pub use args::parse_duration;

use crate::blueprint::{BUILTINS, Blueprint, resolve};

const USAGE: &str = "\
Blast Radius: a system-design simulator.

Usage:
  blastradius run BLUEPRINT [--rps N] [--duration 120s] [--seed N] [--json FILE] [--csv FILE]
                            [--window 1s] [--warmup 10s] [--quiet]
                            [--scenario FILE|NAME] [--chaos NAME@START[+DURATION][:TARGET]]...
                            [--report FILE.md] [--compare-mitigation NAME]
  blastradius scenarios
  blastradius cost BLUEPRINT [--rps N] [--json FILE]
  blastradius validate FILE...
  blastradius list
  blastradius                 (opens the app, when built with the `app` feature)

BLUEPRINT is a file or a built-in name (see `blastradius list`). Chaos targets: a node id,
`a,b` (a group), `kind:cache`, `zone:Z`, `region:R`, `a->b` (an edge), `a|b` (between
groups), `all`; times like 30s, 2m, 500ms.";

/// Runs the command line; returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let Some(command) = args.first() else {
        return open_app();
    };
    let rest = &args[1..];
    let result = match command.as_str() {
        "run" => run::run(rest),
        "cost" => cost::cost(rest),
        "validate" => validate(rest),
        "list" => list(),
        "scenarios" => scenarios(),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "unknown command \"{other}\"; expected run, cost, validate, list or scenarios\n\n{USAGE}"
        )),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}

#[cfg(feature = "app")]
fn open_app() -> i32 {
    use bevy::prelude::*;
    App::new().add_plugins(crate::app::AppPlugin).run();
    0
}

#[cfg(not(feature = "app"))]
fn open_app() -> i32 {
    eprintln!(
        "This build has no window (built without the `app` feature). Try:\n  blastradius run three-tier --rps 10000 --duration 60s\n\n{USAGE}"
    );
    2
}

fn validate(files: &[String]) -> Result<(), String> {
    if files.is_empty() {
        return Err("validate needs at least one blueprint file".into());
    }
    let mut failed = 0;
    for file in files {
        match resolve(file) {
            Ok(bp) => println!(
                "ok: {file}: \"{}\", {} nodes, {} edges",
                bp.name,
                bp.nodes.len(),
                bp.edges.len()
            ),
            Err(e) => {
                println!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        Err(format!(
            "{failed} of {} blueprints have errors",
            files.len()
        ))
    } else {
        Ok(())
    }
}

fn list() -> Result<(), String> {
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

fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(s, _)| s)
}

fn scenarios() -> Result<(), String> {
    use crate::scenario::{BUILTIN_SCENARIOS, Scenario};
    println!(
        "Chaos scenarios (use with --chaos NAME@START[+DURATION][:TARGET] or --scenario NAME):"
    );
    for (name, family, description, chaos) in crate::chaos::Chaos::catalog() {
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
