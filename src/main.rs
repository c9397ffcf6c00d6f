//! The `blastradius` binary: parses the command line and runs a headless command (or, with
//! no subcommand, the app).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(blastradius::cli::main(&args));
}
