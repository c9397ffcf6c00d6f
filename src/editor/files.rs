//! New, open, save and autosave. Dialogs (native) and uploads (browser) answer later, through
//! an inbox the app reads each frame. The autosave is a valid blueprint file with one comment
//! line on top saying where it came from and whether it held unsaved work; it is written a
//! second after a change, and offered back when the app starts.

use bevy::prelude::*;
use bevy::window::WindowCloseRequested;

use super::actions::replace_document;
use super::inbox::{FileEvent, Inbox};
use super::state::{Discarding, Editor};
use crate::blueprint::{Blueprint, Document, Source, resolve};

#[cfg(target_arch = "wasm32")]
use super::browser_files as platform;
#[cfg(not(target_arch = "wasm32"))]
use super::desktop_files as platform;

/// Takes `action` now, or asks first when it would throw away unsaved changes.
pub fn request(world: &mut World, action: Discarding) {
    if world
        .get_resource::<Document>()
        .is_some_and(Document::is_dirty)
    {
        world.resource_mut::<Editor>().pending = Some(action);
    } else {
        perform(world, action);
    }
}

/// Takes `action` (changes, if any, are discarded).
pub fn perform(world: &mut World, action: Discarding) {
    match action {
        Discarding::New => replace_document(world, Document::untitled()),
        Discarding::Open => open(world),
        Discarding::Builtin(name) => match resolve(&name) {
            Ok(bp) => replace_document(world, Document::open(bp, Source::Builtin(name))),
            Err(e) => world.resource_mut::<Editor>().status = Some(e.to_string()),
        },
        Discarding::Load(bp, source) => replace_document(world, Document::open(*bp, source)),
        Discarding::Quit => {
            world.write_message(AppExit::Success);
        }
    }
}

/// Real time between a change and its autosave.
const AUTOSAVE_AFTER_S: f32 = 1.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Inbox>()
        .add_systems(Update, (receive, autosave, close_requested));
}

/// Asks for a blueprint file to open (the answer arrives in the inbox).
fn open(world: &mut World) {
    platform::pick_open(world.resource::<Inbox>().clone());
}

/// Saves the document: to its file, or (Save As, or never saved to a file) where the user
/// chooses.
pub fn save(world: &mut World, save_as: bool) {
    let doc = world.resource::<Document>();
    let text = doc.blueprint().to_ron();
    let inbox = world.resource::<Inbox>().clone();
    match (&doc.source, save_as) {
        (Source::File(path), false) => {
            let path = path.clone();
            match platform::write_file(&path, &text) {
                Ok(()) => saved(world, path),
                Err(e) => {
                    // Say so, and offer another place.
                    let mut editor = world.resource_mut::<Editor>();
                    editor.status = Some(e);
                    editor.save_fallback = Some(path);
                }
            }
        }
        _ => platform::pick_save(inbox, file_name(&doc.blueprint().name), text),
    }
}

/// Saves the document to `path` (typed in the field offered when no dialog chose a file).
pub fn save_to(world: &mut World, path: &str) {
    let text = world.resource::<Document>().blueprint().to_ron();
    match platform::write_file(path, &text) {
        Ok(()) => {
            world.resource_mut::<Editor>().save_fallback = None;
            saved(world, path.to_string());
        }
        Err(e) => world.resource_mut::<Editor>().status = Some(e),
    }
}

/// A file name for a blueprint called `name`.
fn file_name(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    format!("{}.ron", if slug.is_empty() { "blueprint" } else { slug })
}

fn saved(world: &mut World, path: String) {
    world
        .resource_mut::<Document>()
        .mark_saved(Source::File(path.clone()));
    let mut editor = world.resource_mut::<Editor>();
    editor.status = Some(format!("saved {path}"));
    if let Some(next) = editor.after_save.take() {
        perform(world, next);
    }
}

fn receive(world: &mut World) {
    for event in world.resource::<Inbox>().take() {
        match event {
            FileEvent::Opened { name, text } => match Blueprint::parse_unchecked(&name, &text) {
                Ok(bp) => replace_document(world, Document::open(bp, Source::File(name))),
                Err(e) => world.resource_mut::<Editor>().status = Some(e.to_string()),
            },
            FileEvent::Saved(path) => saved(world, path),
            FileEvent::NotSaved(suggested) => {
                let mut editor = world.resource_mut::<Editor>();
                editor.status = Some(
                    "not saved: no file was chosen (or no file dialog is available here); \
                     type a path to save to"
                        .into(),
                );
                editor.save_fallback = Some(suggested);
            }
            FileEvent::Failed(e) => {
                let mut editor = world.resource_mut::<Editor>();
                editor.after_save = None;
                editor.status = Some(e);
            }
        }
    }
}

/// The autosave's text: a comment line, then the blueprint.
pub fn autosave_text(doc: &Document) -> String {
    let (kind, name) = match &doc.source {
        Source::Builtin(n) => ("builtin", n.as_str()),
        Source::File(p) => ("file", p.as_str()),
        Source::Untitled => ("untitled", ""),
    };
    format!(
        "// blastradius autosave: {kind} {} {name}\n{}",
        if doc.is_dirty() { "unsaved" } else { "saved" },
        doc.blueprint().to_ron()
    )
}

/// The document an autosave holds, if it held unsaved work (else there is nothing to offer).
pub fn restore_autosave(text: &str) -> Option<Document> {
    let (header, body) = text.split_once('\n')?;
    let mut words = header
        .strip_prefix("// blastradius autosave: ")?
        .splitn(3, ' ');
    let (kind, state, name) = (words.next()?, words.next()?, words.next().unwrap_or(""));
    if state != "unsaved" {
        return None;
    }
    let source = match kind {
        "builtin" => Source::Builtin(name.to_string()),
        "file" => Source::File(name.to_string()),
        _ => Source::Untitled,
    };
    let bp = Blueprint::parse_unchecked("autosave", body).ok()?;
    Some(Document::recovered(bp, source))
}

/// The autosave, if it holds unsaved work, with where it was kept.
pub fn read_autosave() -> Option<(Document, String)> {
    let (text, place) = platform::read_autosave()?;
    Some((restore_autosave(&text)?, place))
}

fn autosave(
    doc: Option<Res<Document>>,
    time: Res<Time<Real>>,
    mut last: Local<Option<String>>,
    mut since: Local<f32>,
    mut editor: ResMut<Editor>,
) {
    let Some(doc) = doc else {
        return;
    };
    *since += time.delta_secs();
    if *since < AUTOSAVE_AFTER_S {
        return;
    }
    *since = 0.0;
    let text = autosave_text(&doc);
    if last.as_ref() == Some(&text) {
        return;
    }
    if let Err(e) = platform::write_autosave(&text) {
        editor.status = Some(format!("autosave failed: {e}"));
    }
    *last = Some(text);
}

fn close_requested(mut requests: MessageReader<WindowCloseRequested>, mut commands: Commands) {
    if requests.read().count() > 0 {
        commands.queue(|world: &mut World| request(world, Discarding::Quit));
    }
}
