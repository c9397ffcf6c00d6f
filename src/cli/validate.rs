//! `blastradius validate`: checks blueprint files and prints every error with its place.

use crate::blueprint::resolve;

/// Checks each file; fails if any has errors.
pub(super) fn validate(files: &[String]) -> Result<(), String> {
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
