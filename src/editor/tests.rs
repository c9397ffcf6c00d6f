//! The editor's logic without a window: the simulation follows the document, keys act on the
//! selection, discarding waits for an answer, autosave, hit testing.

use bevy::prelude::*;

use super::sync::sync_simulation;
use super::*;
use crate::blueprint::{Document, Source, Spawned, resolve};
use crate::sim::{Node, SimClock};

/// The engine and the editor's document, selection and gestures, without a window.
fn app_with(doc: Document) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, crate::run::EnginePlugin))
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
