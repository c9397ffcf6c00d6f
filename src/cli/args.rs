//! The command line's grammar (clap derive): the commands, their flags, and the parsers that
//! turn a flag's text into a value, each with an error saying what was expected.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::sim::parse_duration_s;

const TARGETS: &str = "\
Chaos targets: a node id, `a,b` (a group), `kind:cache`, `zone:Z`, `region:R`, `a->b` (an \
edge), `a|b` (between groups), `all`. Times like 30s, 2m, 500ms.";

/// Blast Radius: a system-design simulator. With no command it opens the app (when built with
/// the `app` feature); the commands run headless.
#[derive(Debug, Parser)]
#[command(
    name = "blastradius",
    version,
    about = "Blast Radius: a system-design simulator. Blueprints in, credible numbers out.",
    long_about = "Blast Radius: a system-design simulator. Blueprints in, credible numbers out.\n\n\
        With no command it opens the app (when built with the `app` feature). The commands run \
        headless.",
    after_help = "BLUEPRINT is a file or a built-in name (see `blastradius list`). \
        Shell completions: `blastradius completions bash` (or zsh, fish, elvish, powershell)."
)]
pub struct Cli {
    /// The headless command to run; none opens the app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A headless command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a blueprint headless: steady-state numbers, the per-node table, the metrics digest.
    #[command(
        long_about = "Runs a blueprint headless and prints the steady-state numbers (windows \
            after the warm-up and before the first chaos injection), the per-node table and the \
            metrics digest. After traffic stops every in-flight call drains. The same seed gives \
            the same numbers, natively or in WASM.",
        after_help = TARGETS
    )]
    Run(RunArgs),
    /// Estimates the monthly AWS cost of a blueprint at 1x, 2x, 5x and 10x its rate.
    Cost(CostArgs),
    /// Lists the chaos scenarios (for `run --chaos` and `run --scenario`).
    Scenarios,
    /// Checks blueprint files and prints every error with its place.
    Validate(ValidateArgs),
    /// Lists the built-in blueprints (or, with --kinds, the node kinds).
    List {
        /// Lists the node kinds a blueprint may use instead, one line each.
        #[arg(long)]
        kinds: bool,
    },
    /// Prints a shell completion script, e.g. `blastradius completions bash > blastradius.bash`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `blastradius run`'s flags.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A blueprint file or a built-in name (see `blastradius list`).
    #[arg(value_name = "BLUEPRINT")]
    pub blueprint: String,
    /// Total requests per second [default: the blueprint's, or the scenario's].
    #[arg(long = "rps", value_name = "N", value_parser = positive_number, allow_negative_numbers = true)]
    pub rps: Option<f64>,
    /// Simulated time with traffic, e.g. 120s, 2m [default: 60s, or the scenario's].
    #[arg(long = "duration", value_name = "DURATION", value_parser = parse_duration_s)]
    pub duration_s: Option<f64>,
    /// The random seed: the same seed gives the same numbers.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = whole_number,
        allow_negative_numbers = true
    )]
    pub seed: u64,
    /// Writes every window (end to end and per node) and the summary as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes one CSV row per window.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// The metrics window, e.g. 1s, 500ms [default: 1s].
    #[arg(long = "window", value_name = "DURATION", value_parser = parse_duration_s)]
    pub window_s: Option<f64>,
    /// The warm-up left out of the steady state [default: a tenth of the run, up to 10s].
    #[arg(long = "warmup", value_name = "DURATION", value_parser = parse_duration_s)]
    pub warmup_s: Option<f64>,
    /// No progress on the terminal.
    #[arg(long)]
    pub quiet: bool,
    /// A scenario file or built-in name (see `blastradius scenarios`): its injections, and
    /// its duration and rate unless given.
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: Option<String>,
    /// Injects chaos, e.g. cache-stampede@30s or node-failure@30s+60s:app-1 (repeatable).
    #[arg(long, value_name = "NAME@START[+DURATION][:TARGET]")]
    pub chaos: Vec<String>,
    /// Writes a Markdown narration of the incident: steady state, cascade, peaks, recovery.
    #[arg(long, value_name = "FILE.md")]
    pub report: Option<PathBuf>,
    /// Runs again with one of the scenario's mitigations and compares (needs --scenario).
    #[arg(long = "compare-mitigation", value_name = "NAME")]
    pub compare_mitigation: Option<String>,
}

/// `blastradius cost`'s flags.
#[derive(Debug, Args)]
pub struct CostArgs {
    /// A blueprint file or a built-in name (see `blastradius list`).
    #[arg(value_name = "BLUEPRINT")]
    pub blueprint: String,
    /// Total requests per second at 1x [default: the blueprint's].
    #[arg(long = "rps", value_name = "N", value_parser = positive_number, allow_negative_numbers = true)]
    pub rps: Option<f64>,
    /// Writes the estimate as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `blastradius validate`'s arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Blueprint files (or built-in names) to check.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

/// A number > 0.
fn positive_number(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err("expected a number > 0, e.g. 10000".into()),
    }
}

/// A whole number >= 0.
fn whole_number(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse()
        .map_err(|_| "expected a whole number >= 0, e.g. 7".into())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_every_flag() {
        let cli = Cli::try_parse_from([
            "blastradius",
            "run",
            "three-tier",
            "--rps=500",
            "--duration",
            "2m",
            "--seed",
            "7",
            "--window",
            "500ms",
            "--warmup",
            "5s",
            "--quiet",
            "--chaos",
            "cache-stampede@30s",
            "--chaos",
            "node-failure@30s+60s:app-1",
        ])
        .unwrap();
        let Some(Command::Run(run)) = cli.command else {
            panic!("not a run: {cli:?}");
        };
        assert_eq!(run.blueprint, "three-tier");
        assert_eq!(run.rps, Some(500.0));
        assert_eq!(run.duration_s, Some(120.0));
        assert_eq!(run.seed, 7);
        assert_eq!(run.window_s, Some(0.5));
        assert_eq!(run.warmup_s, Some(5.0));
        assert!(run.quiet);
        assert_eq!(run.chaos.len(), 2);
    }

    #[test]
    fn a_bad_value_names_its_flag_and_what_is_expected() {
        let rps = Cli::try_parse_from(["blastradius", "run", "three-tier", "--rps", "abc"])
            .unwrap_err()
            .to_string();
        assert!(
            rps.contains("--rps") && rps.contains("expected a number"),
            "{rps}"
        );
        let duration = Cli::try_parse_from(["blastradius", "run", "x", "--duration", "3x"])
            .unwrap_err()
            .to_string();
        assert!(
            duration.contains("--duration") && duration.contains("unknown unit \"x\""),
            "{duration}"
        );
        let seed = Cli::try_parse_from(["blastradius", "cost", "x", "--seed", "1"])
            .unwrap_err()
            .to_string();
        assert!(seed.contains("--seed"), "{seed}");
    }

    #[test]
    fn no_command_means_the_app() {
        assert!(
            Cli::try_parse_from(["blastradius"])
                .unwrap()
                .command
                .is_none()
        );
    }
}
