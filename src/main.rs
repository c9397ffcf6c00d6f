//! The `blastradius` binary: parses the command line, then opens the app (no command) or runs
//! one headless command. In the browser there is no command line: the page is the app.

fn main() {
    let code = start();
    // In the browser the app keeps running on the page's event loop after `main` returns;
    // exiting there would abort the module.
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(code);
    #[cfg(target_arch = "wasm32")]
    let _ = code;
}

/// Parses the command line and does what it says; returns the exit code.
#[cfg(not(target_arch = "wasm32"))]
fn start() -> i32 {
    use blastradius::cli::{Cli, execute};
    use clap::Parser;

    match Cli::try_parse() {
        Ok(Cli {
            command: Some(command),
        }) => execute(&command),
        Ok(Cli { command: None }) => open_app(),
        // `--help` and `--version` land here too, with exit code 0.
        Err(e) => {
            let _ = e.print();
            e.exit_code()
        }
    }
}

/// The page has no command line (and clap stays out of the download).
#[cfg(target_arch = "wasm32")]
fn start() -> i32 {
    open_app()
}

#[cfg(feature = "app")]
fn open_app() -> i32 {
    use bevy::prelude::*;
    App::new().add_plugins(blastradius::app::AppPlugin).run();
    0
}

#[cfg(not(feature = "app"))]
fn open_app() -> i32 {
    eprintln!(
        "This build has no window (built without the `app` feature). Try:\n  \
         blastradius run three-tier --rps 10000 --duration 60s"
    );
    #[cfg(not(target_arch = "wasm32"))]
    {
        use clap::CommandFactory;
        eprintln!("\n{}", blastradius::cli::Cli::command().render_help());
    }
    2
}
