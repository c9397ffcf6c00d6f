//! The `blastradius` binary: parses the command line and runs a headless command (or, with
//! no subcommand, the app).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = blastradius::cli::main(&args);
    // In the browser the app keeps running on the page's event loop after `main` returns;
    // exiting there would abort the module.
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(code);
    #[cfg(target_arch = "wasm32")]
    let _ = code;
}
