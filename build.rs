//! Embeds every blueprint in `blueprints/` and every scenario in `scenarios/` (the web
//! build cannot read files).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    embed("blueprints");
    embed("scenarios");
}

/// Writes `OUT_DIR/<folder>.rs`: an array of (file stem, file text) for every `.ron` file.
fn embed(folder: &str) {
    println!("cargo:rerun-if-changed={folder}");
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("[\n");
    for path in files {
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .to_string();
        // Relative to the manifest at compile time: the target directory may be shared by
        // clones in other places (CI), and this script does not rerun when only they move.
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{folder}/{name}.ron\"))),"
        );
    }
    out.push(']');
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets it")).join(format!("{folder}.rs"));
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
