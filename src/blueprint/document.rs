//! The blueprint being edited: every change is one undoable step, the last saved state says
//! whether there is anything to lose, and the problems are placed on what is wrong. Plain data
//! (no window, no world): the app's editor drives it and the tests check it directly.

use bevy::prelude::*;

use super::schema::{Blueprint, EdgeSpec, NodeSpec, Place, Problem};
use super::spawn::auto_layout;
use crate::nodes::NodeKind;

/// Where the document came from and where Save writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A built-in blueprint (Save asks for a file).
    Builtin(String),
    /// A file on disk (or, in the browser, a file name).
    File(String),
    /// Made with New (Save asks for a file).
    Untitled,
}

impl Source {
    /// A short name for titles.
    pub fn label(&self) -> &str {
        match self {
            Source::Builtin(name) | Source::File(name) => name,
            Source::Untitled => "untitled",
        }
    }
}

/// One undoable change: what it was called and the blueprint before it.
#[derive(Clone, Debug)]
struct Step {
    label: String,
    before: Blueprint,
}

/// The blueprint being edited, with undo and redo.
#[derive(Resource, Clone, Debug)]
pub struct Document {
    blueprint: Blueprint,
    /// Where it came from.
    pub source: Source,
    saved: Blueprint,
    undo: Vec<Step>,
    redo: Vec<Step>,
    revision: u64,
}

/// How many steps undo remembers.
const UNDO_DEPTH: usize = 200;

impl Document {
    /// Opens `blueprint`; nodes without a position get the automatic layout's, so what is
    /// drawn is what is saved.
    pub fn open(mut blueprint: Blueprint, source: Source) -> Self {
        let layout = auto_layout(&blueprint);
        for node in &mut blueprint.nodes {
            if node.position.is_none() {
                let p = layout[&node.id];
                node.position = Some((p.x, p.y));
            }
        }
        Document {
            saved: blueprint.clone(),
            blueprint,
            source,
            undo: Vec::new(),
            redo: Vec::new(),
            revision: 0,
        }
    }

    /// Work recovered from an autosave: unsaved until the user saves it.
    pub fn recovered(blueprint: Blueprint, source: Source) -> Self {
        let mut doc = Document::open(blueprint, source);
        doc.saved.nodes.clear();
        doc
    }

    /// An empty blueprint (one traffic source to start from).
    pub fn untitled() -> Self {
        let mut blueprint = Blueprint {
            name: "Untitled".into(),
            description: String::new(),
            what_to_try: Vec::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        let kind = NodeKind::palette().swap_remove(0);
        blueprint.nodes.push(NodeSpec {
            id: kind.id_prefix().into(),
            kind,
            position: Some((0.0, 0.0)),
            zone: None,
            region: None,
            cost: None,
        });
        let mut doc = Document::open(blueprint, Source::Untitled);
        // Nothing was saved yet: an untitled blueprint with work in it asks before it goes.
        doc.saved.nodes.clear();
        doc
    }

    /// The blueprint as it stands.
    pub fn blueprint(&self) -> &Blueprint {
        &self.blueprint
    }

    /// Counts changes (edits, undos, redos): what is drawn or run is stale when it differs.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether there are changes Save has not written.
    pub fn is_dirty(&self) -> bool {
        self.blueprint != self.saved
    }

    /// Records that the blueprint was written to `source`.
    pub fn mark_saved(&mut self, source: Source) {
        self.saved = self.blueprint.clone();
        self.source = source;
    }

    /// What undo would undo, if anything.
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|s| s.label.as_str())
    }

    /// What redo would redo, if anything.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|s| s.label.as_str())
    }

    /// Applies `change` as one undoable step called `label`. If it fails nothing changes.
    pub fn edit(
        &mut self,
        label: impl Into<String>,
        change: impl FnOnce(&mut Blueprint) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut next = self.blueprint.clone();
        change(&mut next)?;
        if next == self.blueprint {
            return Ok(());
        }
        let before = std::mem::replace(&mut self.blueprint, next);
        self.undo.push(Step {
            label: label.into(),
            before,
        });
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.revision += 1;
        Ok(())
    }

    /// Undoes the last step; returns its label.
    pub fn undo(&mut self) -> Option<String> {
        let step = self.undo.pop()?;
        let after = std::mem::replace(&mut self.blueprint, step.before);
        self.redo.push(Step {
            label: step.label.clone(),
            before: after,
        });
        self.revision += 1;
        Some(step.label)
    }

    /// Redoes the last undone step; returns its label.
    pub fn redo(&mut self) -> Option<String> {
        let step = self.redo.pop()?;
        let before = std::mem::replace(&mut self.blueprint, step.before);
        self.undo.push(Step {
            label: step.label.clone(),
            before,
        });
        self.revision += 1;
        Some(step.label)
    }

    /// Adds a node of the palette's kind `kind` (its name, as in reports) at `position`;
    /// returns its new id.
    pub fn add_node(&mut self, kind: &str, position: Vec2) -> Result<String, String> {
        let kind = NodeKind::palette()
            .into_iter()
            .find(|k| k.name() == kind)
            .ok_or_else(|| format!("no node kind \"{kind}\""))?;
        let id = self.fresh_id(kind.id_prefix());
        let spec = NodeSpec {
            id: id.clone(),
            kind,
            position: Some((position.x, position.y)),
            zone: None,
            region: None,
            cost: None,
        };
        self.edit(format!("add {id}"), |bp| {
            bp.nodes.push(spec);
            Ok(())
        })?;
        Ok(id)
    }

    /// `prefix`, or `prefix-2`, `prefix-3`, ...: the first id not in use.
    fn fresh_id(&self, prefix: &str) -> String {
        let taken = |id: &str| self.blueprint.nodes.iter().any(|n| n.id == id);
        std::iter::once(prefix.to_string())
            .chain((2..).map(|k| format!("{prefix}-{k}")))
            .find(|id| !taken(id))
            .expect("an unused id exists")
    }

    /// Moves node `id` to `position`.
    pub fn move_node(&mut self, id: &str, position: Vec2) -> Result<(), String> {
        self.edit(format!("move {id}"), |bp| {
            node_mut(bp, id)?.position = Some((position.x, position.y));
            Ok(())
        })
    }

    /// Connects `from` to `to` with a default synchronous edge; a caller with a call plan
    /// starts calling `to`, a CDN without an origin takes it.
    pub fn connect(&mut self, from: &str, to: &str) -> Result<(), String> {
        if from == to {
            return Err(format!("\"{from}\" cannot call itself"));
        }
        self.edit(format!("connect {from} -> {to}"), |bp| {
            node_mut(bp, to)?;
            if bp.edges.iter().any(|e| e.from == from && e.to == to) {
                return Err(format!("\"{from}\" already calls \"{to}\""));
            }
            node_mut(bp, from)?.kind.add_reference(to);
            bp.edges.push(EdgeSpec::between(from, to));
            Ok(())
        })
    }

    /// Deletes node `id`, its edges, and every call to it.
    pub fn delete_node(&mut self, id: &str) -> Result<(), String> {
        self.edit(format!("delete {id}"), |bp| {
            node_mut(bp, id)?;
            bp.nodes.retain(|n| n.id != id);
            bp.edges.retain(|e| e.from != id && e.to != id);
            for node in &mut bp.nodes {
                node.kind.remove_reference(id);
            }
            Ok(())
        })
    }

    /// Deletes the edge from `from` to `to`, and the caller's calls over it.
    pub fn delete_edge(&mut self, from: &str, to: &str) -> Result<(), String> {
        self.edit(format!("disconnect {from} -> {to}"), |bp| {
            let before = bp.edges.len();
            bp.edges.retain(|e| !(e.from == from && e.to == to));
            if bp.edges.len() == before {
                return Err(format!("there is no edge from \"{from}\" to \"{to}\""));
            }
            node_mut(bp, from)?.kind.remove_reference(to);
            Ok(())
        })
    }

    /// Replaces node `id` with `spec` (new parameters, or a new id: references follow).
    pub fn set_node(&mut self, id: &str, spec: NodeSpec) -> Result<(), String> {
        let label = if spec.id != id {
            format!("rename {id} to {}", spec.id)
        } else {
            format!("edit {id}")
        };
        self.edit(label, |bp| {
            if spec.id != id && bp.nodes.iter().any(|n| n.id == spec.id) {
                return Err(format!("there is already a node \"{}\"", spec.id));
            }
            let new_id = spec.id.clone();
            *node_mut(bp, id)? = spec;
            if new_id != id {
                for node in &mut bp.nodes {
                    node.kind.rename_reference(id, &new_id);
                }
                for edge in &mut bp.edges {
                    for end in [&mut edge.from, &mut edge.to] {
                        if end == id {
                            *end = new_id.clone();
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// Replaces the edge from `from` to `to` with `spec` (its ends must stay).
    pub fn set_edge(&mut self, from: &str, to: &str, spec: EdgeSpec) -> Result<(), String> {
        if spec.from != from || spec.to != to {
            return Err("an edge's ends cannot be edited: delete it and connect again".into());
        }
        self.edit(format!("edit {from} -> {to}"), |bp| {
            let edge = bp
                .edges
                .iter_mut()
                .find(|e| e.from == from && e.to == to)
                .ok_or_else(|| format!("there is no edge from \"{from}\" to \"{to}\""))?;
            *edge = spec;
            Ok(())
        })
    }

    /// The part of the blueprint that can run now, and every problem of the whole. A node or
    /// edge with a problem is left out (with the calls to it) until it is fixed; the rest
    /// runs.
    pub fn runnable(&self) -> (Blueprint, Vec<Problem>) {
        let problems = self.blueprint.problems();
        let mut part = self.blueprint.clone();
        loop {
            let found = part.problems();
            if found.is_empty() {
                break;
            }
            let mut bad_nodes = Vec::new();
            let mut bad_edges = Vec::new();
            for p in &found {
                match p.place {
                    Place::Node(i) => bad_nodes.push(part.nodes[i].id.clone()),
                    Place::Edge(i) | Place::EdgeEnd(i, _) => bad_edges.push(i),
                    Place::Blueprint => {}
                }
            }
            if bad_nodes.is_empty() && bad_edges.is_empty() {
                break;
            }
            let removed: Vec<EdgeSpec> = bad_edges.iter().map(|&i| part.edges[i].clone()).collect();
            let mut index = 0;
            part.edges.retain(|_| {
                index += 1;
                !bad_edges.contains(&(index - 1))
            });
            for edge in removed {
                let still = part
                    .edges
                    .iter()
                    .any(|e| e.from == edge.from && e.to == edge.to);
                if let (false, Some(node)) =
                    (still, part.nodes.iter_mut().find(|n| n.id == edge.from))
                {
                    node.kind.remove_reference(&edge.to);
                }
            }
            for id in &bad_nodes {
                // Nodes with the same (bad) id all go.
                part.nodes.retain(|n| &n.id != id);
                part.edges.retain(|e| &e.from != id && &e.to != id);
                for node in &mut part.nodes {
                    node.kind.remove_reference(id);
                }
            }
        }
        (part, problems)
    }
}

fn node_mut<'a>(bp: &'a mut Blueprint, id: &str) -> Result<&'a mut NodeSpec, String> {
    bp.nodes
        .iter_mut()
        .find(|n| n.id == id)
        .ok_or_else(|| format!("there is no node \"{id}\""))
}
