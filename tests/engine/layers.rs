//! The house's layers run one way: a module imports only modules in a layer below its own
//! (the order is [`blastradius::LAYERS`], kept in one place), and no files reach each other in
//! a circle. Reads the `crate::`, `super::` and `self::` paths in `src/` (comments stripped), as
//! `../shared/tools/import-cycles.py` does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use blastradius::LAYERS;

/// A file's module path (`["sim", "engine"]` for `src/sim/engine.rs` or its `mod.rs`; empty for
/// the crate root) with its text (comments stripped), whether it is a directory's file
/// (`mod.rs`, `lib.rs`), and its path under `src/`.
type Files = BTreeMap<Vec<String>, (String, bool, String)>;

fn read_sources() -> Files {
    fn walk(dir: &Path, root: &Path, out: &mut Files) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                read_one(&path, root, out);
            }
        }
    }
    fn read_one(path: &Path, root: &Path, out: &mut Files) {
        let rel = path
            .strip_prefix(root)
            .expect("under src/")
            .with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let is_dir = matches!(parts.last().map(String::as_str), Some("mod" | "lib"));
        if matches!(parts.last().map(String::as_str), Some("mod")) {
            parts.pop();
        }
        if parts == ["main"] {
            // The binary sits above every layer: it may use anything.
            return;
        }
        if parts == ["lib"] {
            parts.clear();
        }
        let text = std::fs::read_to_string(path).expect("a readable source file");
        let shown = path
            .strip_prefix(root)
            .expect("under src/")
            .display()
            .to_string();
        out.insert(parts, (strip_comments(&text), is_dir, shown));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Files::new();
    walk(&root, &root, &mut files);
    files
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path this file names that starts at `crate`, `super` or `self`, made absolute (one
/// level of `{a, b::c}` groups expanded), with the line it is on.
fn paths_named(module: &[String], is_dir: bool, text: &str) -> Vec<(Vec<String>, usize)> {
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .count()
    };
    let mut found = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let mut at = 0;
        while at < line.len() {
            let rest = &line[at..];
            let Some(base) = ["crate::", "super::", "self::"]
                .into_iter()
                .find(|b| rest.starts_with(b))
                .filter(|_| {
                    let before = line[..at].chars().next_back();
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                })
            else {
                at += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let mut start: Vec<String> = match base {
                "crate::" => Vec::new(),
                // `super` in a/b.rs is a; in a/mod.rs it is a's parent.
                "super::" if is_dir => module[..module.len().saturating_sub(2)].to_vec(),
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.to_vec(),
            };
            let mut i = at + base.len();
            let mut parts = Vec::new();
            loop {
                let n = ident(&line[i..]);
                if n == 0 {
                    break;
                }
                parts.push(line[i..i + n].to_string());
                i += n;
                if line[i..].starts_with("::") && !line[i + 2..].starts_with('{') {
                    i += 2;
                } else {
                    break;
                }
            }
            while parts.first().is_some_and(|p| p == "super") {
                parts.remove(0);
                start.pop();
            }
            start.extend(parts);
            if line[i..].starts_with("::{") {
                let group = &line[i + 3..];
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',').map(str::trim) {
                    let first = item.split("::").next().unwrap_or("");
                    if !first.is_empty() && first != "self" {
                        let mut p = start.clone();
                        p.push(first.to_string());
                        found.push((p, line_no + 1));
                    }
                }
            }
            found.push((start, line_no + 1));
            at = i.max(at + 1);
        }
    }
    found
}

/// The longest prefix of `path` that is a file.
fn resolve<'a>(files: &'a Files, path: &[String]) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

/// What the crate root itself declares (its structs, consts, functions, and modules that are
/// not files, like the prelude).
fn root_items(files: &Files) -> BTreeSet<String> {
    let (text, _, _) = &files[&Vec::new()];
    let mut items = BTreeSet::new();
    for line in text.lines().map(str::trim_start) {
        for keyword in [
            "pub struct ",
            "pub const ",
            "pub fn ",
            "pub mod ",
            "pub enum ",
        ] {
            if let Some(rest) = line.strip_prefix(keyword) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !files.contains_key(&vec![name.clone()]) {
                    items.insert(name);
                }
            }
        }
    }
    items
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "lib".into()
    } else {
        module.join("/")
    }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let files = read_sources();
    let tops: BTreeSet<&str> = files
        .keys()
        .filter_map(|m| m.first())
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = tops.into_iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "modules missing from blastradius::LAYERS: {missing:?}"
    );
}

#[test]
fn no_module_imports_one_above_it_or_beside_it() {
    let files = read_sources();
    let root_items = root_items(&files);
    let mut wrong = Vec::new();
    for (module, (text, is_dir, file)) in &files {
        let Some(from) = module.first() else {
            continue;
        };
        for (path, line) in paths_named(module, *is_dir, text) {
            let Some(to) = path.first() else {
                continue;
            };
            if root_items.contains(to.as_str()) {
                wrong.push(format!(
                    "src/{file}:{line} uses crate::{} (the crate root gathers the layers; it is above them all)",
                    path.join("::"),
                ));
                continue;
            }
            if to == from || !files.keys().any(|m| m.first() == Some(to)) {
                continue;
            }
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to))
                && b >= a
            {
                wrong.push(format!(
                    "src/{file}:{line} uses crate::{} (layer {b}, not below {from}'s layer {a})",
                    path.join("::"),
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let files = read_sources();
    // A parent module's file naming its own children (declaring, re-exporting) is not an edge.
    let mut edges: BTreeMap<&Vec<String>, BTreeSet<&Vec<String>>> = BTreeMap::new();
    for (module, (text, is_dir, _)) in &files {
        let out = edges.entry(module).or_default();
        for (path, _) in paths_named(module, *is_dir, text) {
            if let Some(to) = resolve(&files, &path)
                && to != module
                && !(to.len() > module.len() && to[..module.len()] == module[..])
            {
                out.insert(to);
            }
        }
    }
    // A file is in a circle when it reaches itself.
    let mut circles = BTreeSet::new();
    for &start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Vec<String>> = edges[start].iter().copied().collect();
        while let Some(m) = stack.pop() {
            if m == start {
                circles.insert(show(start));
                break;
            }
            if seen.insert(m) {
                stack.extend(edges.get(m).into_iter().flatten().copied());
            }
        }
    }
    assert!(circles.is_empty(), "files in import circles: {circles:?}");
}

#[test]
fn the_checker_sees_an_upward_import_and_a_circle() {
    // The checks above must be able to fail: a made-up low module importing a high one.
    let module = vec!["sim".to_string(), "clock".to_string()];
    let text = "use crate::ui::{top_bar, Canvas};\nfn f() { super::engine::run(); }";
    let named = paths_named(&module, false, text);
    let upward: Vec<_> = named
        .iter()
        .filter(|(p, _)| p.first().and_then(|m| layer_of(m)) > layer_of("sim"))
        .collect();
    assert_eq!(
        upward.len(),
        3,
        "crate::ui, crate::ui::top_bar and crate::ui::Canvas: {named:?}"
    );
    assert!(named.iter().any(|(p, _)| p == &["sim", "engine", "run"]));
}
