//! Headless commands: `run`, `validate`, `list`. Each returns a process exit code.

mod args;
mod cost;
mod report;
mod run;

pub use args::parse_duration;

use crate::blueprint::{BUILTINS, Blueprint, resolve};

const USAGE: &str = "\
Blast Radius: a system-design simulator.

Usage:
  blastradius run BLUEPRINT [--rps N] [--duration 120s] [--seed N] [--json FILE] [--csv FILE]
                            [--window 1s] [--warmup 10s] [--quiet]
  blastradius cost BLUEPRINT [--rps N] [--json FILE]
  blastradius validate FILE...
  blastradius list
  blastradius                 (opens the app, when built with the `app` feature)

BLUEPRINT is a file or a built-in name (see `blastradius list`).";

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
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "unknown command \"{other}\"; expected run, cost, validate or list\n\n{USAGE}"
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

fn open_app() -> i32 {
    eprintln!(
        "The desktop app is not built yet (it comes with the app issue). Try:\n  blastradius run three-tier --rps 10000 --duration 60s\n\n{USAGE}"
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
