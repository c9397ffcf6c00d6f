//! The editor's own state besides the document: what is selected, the gesture in progress,
//! the question about unsaved changes, the run's seed, traffic and scenario.

use bevy::prelude::*;

use crate::blueprint::{Blueprint, Document, Place, Problem, Source};

/// What the user selected, by id (ids survive reloads; entities do not).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Selection {
    /// Nothing.
    #[default]
    None,
    /// A node.
    Node(String),
    /// The edge from one node to another.
    Edge(String, String),
}

/// An action that would throw away unsaved changes, asked about first.
#[derive(Clone, Debug, PartialEq)]
pub enum Discarding {
    /// Start an empty blueprint.
    New,
    /// Open a file.
    Open,
    /// Load a built-in blueprint.
    Builtin(String),
    /// Load a blueprint read elsewhere (a file, an upload, a link).
    Load(Box<Blueprint>, Source),
    /// Close the app.
    Quit,
}

/// Editor state that is not the document.
#[derive(Resource, Default, Debug)]
pub struct Editor {
    /// What is selected.
    pub selection: Selection,
    /// The document's problems (as of the last sync).
    pub problems: Vec<Problem>,
    /// A node being dragged: its id and where it is now.
    pub dragging: Option<(String, Vec2)>,
    /// A connection being drawn from this node to the pointer (world coordinates).
    pub connecting: Option<(String, Vec2)>,
    /// The palette kind being dragged onto the canvas.
    pub placing: Option<&'static str>,
    /// An action waiting for an answer about unsaved changes.
    pub pending: Option<Discarding>,
    /// An action to take once a Save As has written the file.
    pub after_save: Option<Discarding>,
    /// The last thing to tell the user (what undo did, why a file did not open).
    pub status: Option<String>,
    /// Save As chose no file: the path to offer in a field instead (a suggested name).
    pub save_fallback: Option<String>,
    /// The run's seed (1 when not set).
    pub seed: Option<u64>,
    /// Total traffic the run uses instead of the blueprint's (set by the RPS control or a link).
    pub rps: Option<f64>,
    /// The scenario played on every (re)load of the run, if any.
    pub scenario: Option<crate::scenario::Scenario>,
    /// Counts documents opened (the camera fits each new one).
    pub opened: u64,
    /// The document revision the simulation runs.
    pub(super) synced: Option<u64>,
    /// Reload the run at the next sync even if the model did not change (a new scenario).
    pub(super) reload: bool,
    /// Where (world) the left button went down on the canvas.
    pub(super) press: Option<Vec2>,
    /// The offset from a dragged node's centre to the pointer.
    pub(super) grab: Vec2,
    /// Live changes to the run (a node's servers), newest last, that undo takes back.
    pub(super) live_undo: Vec<LiveEdit>,
    /// Live changes undone, that redo makes again.
    pub(super) live_redo: Vec<LiveEdit>,
}

/// A change made to the running simulation only (not to the document): a node's servers.
/// Undoable while nothing in the document changed after it; a reload of the run forgets it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveEdit {
    /// The node.
    pub node: String,
    /// Its servers before.
    pub before: u32,
    /// Its servers after.
    pub after: u32,
    /// The document's revision when it was made.
    pub(super) revision: u64,
}

impl LiveEdit {
    /// What it did, for the undo button and the status line.
    pub fn label(&self) -> String {
        format!(
            "servers of {} {} -> {} (live)",
            self.node, self.before, self.after
        )
    }
}

impl Editor {
    /// Whether a gesture holds the pointer (the camera must not pan).
    pub fn holds_pointer(&self) -> bool {
        self.dragging.is_some() || self.connecting.is_some() || self.placing.is_some()
    }

    /// The problems placed on node `id` of `doc`.
    pub fn node_problems<'a>(
        &'a self,
        doc: &'a Document,
        id: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.problems.iter().filter_map(move |p| match &p.place {
            Place::Node(i) if doc.blueprint().nodes.get(*i).is_some_and(|n| n.id == id) => {
                Some(p.message.as_str())
            }
            _ => None,
        })
    }
}
