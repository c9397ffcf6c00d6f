//! Answers that arrive later: a native dialog runs off the main thread, a browser upload
//! finishes after a callback. They leave a [`FileEvent`] in the [`Inbox`], read each frame.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

/// What a dialog or an upload answered.
#[derive(Clone, Debug)]
pub enum FileEvent {
    /// A file was chosen and read.
    Opened {
        /// Its path (or, in the browser, its name).
        name: String,
        /// Its text.
        text: String,
    },
    /// The blueprint was written there.
    Saved(String),
    /// Save As chose no file (cancelled, or no file dialog could be shown): the app offers a
    /// path field instead, with this suggested name.
    NotSaved(String),
    /// Something went wrong.
    Failed(String),
}

/// Answers waiting to be read (dialogs run off the main thread; uploads finish later).
#[derive(Resource, Clone, Default, Debug)]
pub struct Inbox(Arc<Mutex<Vec<FileEvent>>>);

impl Inbox {
    /// Leaves an answer for the app.
    pub fn push(&self, event: FileEvent) {
        self.0.lock().expect("inbox lock").push(event);
    }

    pub(super) fn take(&self) -> Vec<FileEvent> {
        std::mem::take(&mut *self.0.lock().expect("inbox lock"))
    }
}
