//! The editor: the blueprint being edited (a [`Document`]) decides what runs. Each change
//! reloads the simulation with the document's runnable part (a move only moves the drawing);
//! what cannot run yet is drawn as a ghost with its problem next to it. Selection, the gesture
//! in progress and the question about unsaved changes live here; the canvas gestures, the
//! files and the browser/desktop storage have their own files.

pub mod canvas;
#[cfg(not(target_arch = "wasm32"))]
mod desktop;
mod files;
pub mod share;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use files::{autosave_text, read_autosave, restore_autosave, save};

use bevy::prelude::*;

use crate::app::{Showing, show_blueprint};
use crate::blueprint::{Blueprint, Document, Place, Problem, Source, Spawned, resolve};
use crate::sim::Node;

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
    /// The run's seed (1 when not set).
    pub seed: Option<u64>,
    /// Total traffic the run uses instead of the blueprint's (set by the RPS control or a link).
    pub rps: Option<f64>,
    /// The scenario played on every (re)load of the run, if any.
    pub scenario: Option<crate::scenario::Scenario>,
    /// Counts documents opened (the camera fits each new one).
    pub opened: u64,
    /// The document revision the simulation runs.
    synced: Option<u64>,
    /// Reload the run at the next sync even if the model did not change (a new scenario).
    reload: bool,
    /// Where (world) the left button went down on the canvas.
    press: Option<Vec2>,
    /// The offset from a dragged node's centre to the pointer.
    grab: Vec2,
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

/// The editor: document, selection, gestures, files.
pub struct EditorPlugin;

impl Plugin for EditorPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Editor>()
            .add_systems(Update, sync_simulation)
            .add_plugins((canvas::plugin, files::plugin));
    }
}

/// Opens `doc` in place of the current one (the caller asked about unsaved changes).
pub fn replace_document(world: &mut World, doc: Document) {
    world.insert_resource(doc);
    let mut editor = world.resource_mut::<Editor>();
    editor.selection = Selection::None;
    editor.opened += 1;
    editor.synced = None;
    editor.reload = true;
    editor.dragging = None;
    editor.connecting = None;
}

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
        Discarding::Open => files::open(world),
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

/// Plays `scenario` (or none) from the start: the run reloads with its traffic and timeline.
pub fn play_scenario(world: &mut World, scenario: Option<crate::scenario::Scenario>) {
    let mut editor = world.resource_mut::<Editor>();
    editor.scenario = scenario;
    editor.synced = None;
    editor.reload = true;
    sync_simulation(world);
}

/// Undoes the last change and says what it was.
pub fn undo(world: &mut World) {
    let done = world.resource_mut::<Document>().undo();
    world.resource_mut::<Editor>().status = Some(match done {
        Some(label) => format!("undid: {label}"),
        None => "nothing to undo".into(),
    });
}

/// Redoes the last undone change and says what it was.
pub fn redo(world: &mut World) {
    let done = world.resource_mut::<Document>().redo();
    world.resource_mut::<Editor>().status = Some(match done {
        Some(label) => format!("redid: {label}"),
        None => "nothing to redo".into(),
    });
}

/// Applies an edit to the document, reporting a refusal in the status line.
pub fn edit(world: &mut World, change: impl FnOnce(&mut Document) -> Result<(), String>) {
    let result = change(&mut world.resource_mut::<Document>());
    if let Err(e) = result {
        world.resource_mut::<Editor>().status = Some(e);
    }
}

/// Deletes what is selected.
pub fn delete_selection(world: &mut World) {
    let selection = std::mem::take(&mut world.resource_mut::<Editor>().selection);
    edit(world, |doc| match &selection {
        Selection::Node(id) => doc.delete_node(id),
        Selection::Edge(from, to) => doc.delete_edge(from, to),
        Selection::None => Ok(()),
    });
}

/// Brings the simulation in line with the document now (not at the next frame).
pub fn sync_now(world: &mut World) {
    sync_simulation(world);
}

/// Brings the simulation in line with the document: a move only moves the nodes; any other
/// change reloads the runnable part (the run starts again, at the same speed and seed).
fn sync_simulation(world: &mut World) {
    let Some(doc) = world.get_resource::<Document>() else {
        return;
    };
    let revision = doc.revision();
    if world.resource::<Editor>().synced == Some(revision) {
        return;
    }
    let (mut part, problems) = doc.runnable();
    let label = doc.source.label().to_string();
    let editor = world.resource::<Editor>();
    let (seed, scenario, force) = (
        editor.seed.unwrap_or(1),
        editor.scenario.clone(),
        editor.reload,
    );
    if let Some(rps) = editor.rps.or(scenario.as_ref().and_then(|s| s.rps)) {
        part.set_total_rps(rps);
    }
    let running = world.get_resource::<Showing>().map(|s| s.blueprint.clone());
    let same_model = running
        .as_ref()
        .is_some_and(|r| without_positions(r) == without_positions(&part));
    if same_model && !force {
        move_nodes(world, &part);
        world.resource_mut::<Showing>().blueprint = part;
    } else {
        let mut loaded = show_blueprint(world, part, label, seed);
        for injection in scenario.iter().flat_map(|s| &s.timeline) {
            loaded = loaded.and_then(|()| crate::chaos::schedule(world, injection).map(|_| ()));
        }
        if let Err(e) = loaded {
            world.resource_mut::<Editor>().status = Some(e);
        }
    }
    let mut editor = world.resource_mut::<Editor>();
    editor.problems = problems;
    editor.synced = Some(revision);
    editor.reload = false;
}

fn without_positions(bp: &Blueprint) -> Blueprint {
    let mut bp = bp.clone();
    for n in &mut bp.nodes {
        n.position = None;
    }
    bp
}

/// Puts every spawned node (read replicas beside their primary) where `bp` says.
fn move_nodes(world: &mut World, bp: &Blueprint) {
    let Some(spawned) = world.get_resource::<Spawned>().cloned() else {
        return;
    };
    for spec in &bp.nodes {
        let Some((x, y)) = spec.position else {
            continue;
        };
        place(world, &spawned, &spec.id, Vec2::new(x, y));
    }
}

/// Moves node `id` (and its replicas, which sit below it) to `at` in the running world.
pub fn place(world: &mut World, spawned: &Spawned, id: &str, at: Vec2) {
    let replica_prefix = format!("{id}-replica-");
    for (name, &entity) in &spawned.nodes {
        let offset = if name == id {
            Some(0.0)
        } else {
            name.strip_prefix(&replica_prefix)
                .and_then(|k| k.parse::<f32>().ok())
                .map(|k| -90.0 * k)
        };
        if let (Some(dy), Some(mut node)) = (offset, world.get_mut::<Node>(entity)) {
            node.position = at + Vec2::new(0.0, dy);
        }
    }
}

/// Where node `id` is drawn: the drag in progress, else the document's position.
pub fn node_position(doc: &Document, editor: &Editor, id: &str) -> Option<Vec2> {
    if let Some((dragged, at)) = &editor.dragging
        && dragged == id
    {
        return Some(*at);
    }
    doc.blueprint()
        .nodes
        .iter()
        .find(|n| n.id == id)
        .and_then(|n| n.position)
        .map(|(x, y)| Vec2::new(x, y))
}

#[cfg(test)]
mod tests {
    use bevy::prelude::*;

    use super::*;
    use crate::blueprint::{Document, Source, Spawned, resolve};
    use crate::sim::{Node, SimClock};

    /// The engine and the editor's document, selection and gestures, without a window.
    fn app_with(doc: Document) -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, crate::EnginePlugin))
            .init_resource::<Editor>()
            .init_resource::<ButtonInput<KeyCode>>()
            .init_resource::<ButtonInput<MouseButton>>()
            .add_systems(Update, sync_simulation)
            .add_plugins(canvas::plugin);
        replace_document(app.world_mut(), doc);
        app.update();
        app
    }

    fn three_tier() -> Document {
        Document::open(
            resolve("three-tier").unwrap(),
            Source::Builtin("three-tier".into()),
        )
    }

    fn entity(app: &App, id: &str) -> Option<Entity> {
        app.world().resource::<Spawned>().nodes.get(id).copied()
    }

    fn press(app: &mut App, keys: &[KeyCode]) {
        let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        for &k in keys {
            input.press(k);
        }
        app.update();
        let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        input.release_all();
        input.clear();
    }

    #[test]
    fn the_simulation_follows_the_document_and_a_move_does_not_restart_it() {
        let mut app = app_with(three_tier());
        let db = entity(&app, "db").expect("db runs");
        for _ in 0..3 {
            app.world_mut().resource_mut::<SimClock>().now_ns += 1_000_000;
            app.update();
        }
        let before = app.world().resource::<SimClock>().now_ns;
        app.world_mut()
            .resource_mut::<Document>()
            .move_node("db", Vec2::new(900.0, -300.0))
            .unwrap();
        app.update();
        assert_eq!(
            entity(&app, "db"),
            Some(db),
            "a move keeps the running node"
        );
        assert_eq!(
            app.world().get::<Node>(db).unwrap().position,
            Vec2::new(900.0, -300.0)
        );
        assert!(
            app.world().resource::<SimClock>().now_ns >= before,
            "not restarted"
        );

        // A new node that cannot run yet: drawn as a ghost, with its problem; the rest runs.
        let cdn = app
            .world_mut()
            .resource_mut::<Document>()
            .add_node("cdn", Vec2::ZERO)
            .unwrap();
        app.update();
        assert!(entity(&app, &cdn).is_none());
        assert!(entity(&app, "db").is_some());
        let editor = app.world().resource::<Editor>();
        let doc = app.world().resource::<Document>();
        assert_eq!(editor.node_problems(doc, &cdn).count(), 1);

        // Connected, it runs.
        app.world_mut()
            .resource_mut::<Document>()
            .connect(&cdn, "lb")
            .unwrap();
        app.update();
        assert!(entity(&app, &cdn).is_some());
        assert!(app.world().resource::<Editor>().problems.is_empty());
    }

    #[test]
    fn delete_and_the_undo_keys_act_on_the_selection() {
        let mut app = app_with(three_tier());
        app.world_mut().resource_mut::<Editor>().selection = Selection::Node("cache".into());
        press(&mut app, &[KeyCode::Delete]);
        assert!(
            entity(&app, "cache").is_none(),
            "the cache was deleted and the run reloaded"
        );
        assert_eq!(app.world().resource::<Editor>().selection, Selection::None);

        press(&mut app, &[KeyCode::ControlLeft, KeyCode::KeyZ]);
        assert!(entity(&app, "cache").is_some(), "undo brings it back");
        assert!(!app.world().resource::<Document>().is_dirty());

        press(
            &mut app,
            &[KeyCode::ControlLeft, KeyCode::ShiftLeft, KeyCode::KeyZ],
        );
        assert!(entity(&app, "cache").is_none(), "redo deletes it again");
        let status = app.world().resource::<Editor>().status.clone();
        assert_eq!(status.as_deref(), Some("redid: delete cache"));

        app.world_mut().resource_mut::<Editor>().selection =
            Selection::Edge("lb".into(), "app-1".into());
        press(&mut app, &[KeyCode::Backspace]);
        let doc = app.world().resource::<Document>();
        assert!(
            !doc.blueprint()
                .edges
                .iter()
                .any(|e| e.from == "lb" && e.to == "app-1")
        );
    }

    #[test]
    fn discarding_changes_waits_for_an_answer() {
        let mut app = app_with(three_tier());
        request(app.world_mut(), Discarding::New);
        assert_eq!(
            app.world().resource::<Document>().source,
            Source::Untitled,
            "nothing to lose: done at once"
        );
        app.world_mut()
            .resource_mut::<Document>()
            .add_node("service", Vec2::new(200.0, 0.0))
            .unwrap();
        request(app.world_mut(), Discarding::Builtin("three-tier".into()));
        assert_eq!(
            app.world().resource::<Editor>().pending,
            Some(Discarding::Builtin("three-tier".into()))
        );
        assert_eq!(app.world().resource::<Document>().source, Source::Untitled);
        let pending = app
            .world_mut()
            .resource_mut::<Editor>()
            .pending
            .take()
            .unwrap();
        perform(app.world_mut(), pending);
        app.update();
        assert_eq!(
            app.world().resource::<Document>().source,
            Source::Builtin("three-tier".into())
        );
        assert!(entity(&app, "db").is_some());
    }

    #[test]
    fn an_autosave_brings_back_unsaved_work_only() {
        let mut doc = three_tier();
        assert!(
            restore_autosave(&autosave_text(&doc)).is_none(),
            "nothing unsaved"
        );
        doc.add_node("message_queue", Vec2::new(10.0, 20.0))
            .unwrap();
        let text = autosave_text(&doc);
        let back = restore_autosave(&text).expect("unsaved work comes back");
        assert_eq!(back.blueprint(), doc.blueprint());
        assert_eq!(back.source, Source::Builtin("three-tier".into()));
        assert!(back.is_dirty(), "still unsaved");
        // The autosave is itself a blueprint file (the header is a comment).
        assert_eq!(
            &crate::blueprint::Blueprint::parse("autosave.ron", &text).unwrap(),
            doc.blueprint()
        );
    }

    #[test]
    fn clicks_hit_the_nearest_node_or_else_an_edge() {
        let doc = three_tier();
        let editor = Editor::default();
        let at = |id: &str| node_position(&doc, &editor, id).unwrap();
        let lb = at("lb");
        assert_eq!(
            canvas::node_at(&doc, &editor, lb + Vec2::new(10.0, 5.0)).as_deref(),
            Some("lb")
        );
        let middle = lb.lerp(at("app-2"), 0.5);
        assert_eq!(
            canvas::edge_at(&doc, &editor, middle + Vec2::new(0.0, 3.0)),
            Some(("lb".into(), "app-2".into()))
        );
        assert_eq!(
            canvas::node_at(&doc, &editor, Vec2::new(5000.0, 5000.0)),
            None
        );
    }
}
