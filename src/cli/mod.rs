//! The command line: its grammar ([`Cli`], parsed with clap) and the headless commands (`run`,
//! `cost`, `validate`, `list`, `scenarios`, `completions`). Opening the app is the binary's
//! job (`src/main.rs`), not this module's: the command line sits below the app.

mod args;
mod catalog;
mod cost;
mod format;
mod outcome;
mod report;
mod run_command;
mod validate;

pub use args::{Cli, Command, CostArgs, RunArgs, ValidateArgs};

use clap::CommandFactory;

/// Runs one headless command; returns the process's exit code (2 after an error, which is
/// printed on stderr).
pub fn execute(command: &Command) -> i32 {
    let result = match command {
        Command::Run(args) => run_command::run(args),
        Command::Cost(args) => cost::cost(args),
        Command::Validate(args) => validate::validate(&args.files),
        Command::List { kinds: false } => catalog::list(),
        Command::List { kinds: true } => catalog::kinds(),
        Command::Scenarios => catalog::scenarios(),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "blastradius",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}
