//! The desktop's files: native dialogs (run on their own thread so the window keeps drawing),
//! plain writes, and the autosave under the user's data directory (or `BLASTRADIUS_AUTOSAVE`).

use std::path::PathBuf;

use super::inbox::{FileEvent, Inbox};

/// Shows the open dialog; the chosen file's text arrives in `inbox`.
pub fn pick_open(inbox: Inbox) {
    std::thread::spawn(move || {
        let Some(path) = rfd::FileDialog::new()
            .add_filter("Blueprint (RON)", &["ron"])
            .pick_file()
        else {
            return;
        };
        inbox.push(match std::fs::read_to_string(&path) {
            Ok(text) => FileEvent::Opened {
                name: path.display().to_string(),
                text,
            },
            Err(e) => FileEvent::Failed(format!("cannot read {}: {e}", path.display())),
        });
    });
}

/// Shows the save dialog and writes `text` where the user chooses.
pub fn pick_save(inbox: Inbox, suggested: String, text: String) {
    std::thread::spawn(move || {
        let Some(path) = rfd::FileDialog::new()
            .add_filter("Blueprint (RON)", &["ron"])
            .set_file_name(&suggested)
            .save_file()
        else {
            // rfd says the same for a cancel and for no dialog at all (no portal, no GTK).
            inbox.push(FileEvent::NotSaved(suggested));
            return;
        };
        let path = path.display().to_string();
        inbox.push(match write_file(&path, &text) {
            Ok(()) => FileEvent::Saved(path),
            Err(e) => FileEvent::Failed(e),
        });
    });
}

/// Writes `text` to `path` (through a temporary file, so a failed write loses nothing).
pub fn write_file(path: &str, text: &str) -> Result<(), String> {
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {path}: {e}"))
}

fn autosave_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BLASTRADIUS_AUTOSAVE") {
        return Some(PathBuf::from(p));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("blastradius").join("autosave.ron"))
}

/// The autosave's text and where it is.
pub fn read_autosave() -> Option<(String, String)> {
    let path = autosave_path()?;
    let text = std::fs::read_to_string(&path).ok()?;
    Some((text, path.display().to_string()))
}

/// Replaces the autosave.
pub fn write_autosave(text: &str) -> Result<(), String> {
    let path = autosave_path().ok_or("no place for the autosave (HOME is not set)")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_file(&path.display().to_string(), text)
}
