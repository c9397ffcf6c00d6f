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
    // Each update runs the fixed loop once (manual time, never the wall clock).
    app.add_plugins((MinimalPlugins, crate::run::EnginePlugin))
        .insert_resource(bevy::time::TimeUpdateStrategy::FixedTimesteps(1))
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
    // On the curve as drawn (its middle is off the straight line between the nodes).
    let curve = crate::view::edge_points(lb, at("app-2"), 24);
    let middle = curve[12];
    assert_eq!(
        canvas::edge_at(&doc, &editor, middle + Vec2::new(0.0, 3.0)),
        Some(("lb".into(), "app-2".into()))
    );
    assert_eq!(
        canvas::node_at(&doc, &editor, Vec2::new(5000.0, 5000.0)),
        None
    );
}

#[test]
fn crossing_edges_are_told_apart_along_their_curves() {
    // Two edges between the same pair, one each way: the straight lines coincide, the curves
    // bow to opposite sides, so a click on one curve picks that one.
    let mut doc = three_tier();
    doc.connect("db", "app-1").unwrap();
    let editor = Editor::default();
    let (a, b) = (
        node_position(&doc, &editor, "app-1").unwrap(),
        node_position(&doc, &editor, "db").unwrap(),
    );
    let there = crate::view::edge_points(a, b, 24)[12];
    let back = crate::view::edge_points(b, a, 24)[12];
    assert_eq!(
        canvas::edge_at(&doc, &editor, there),
        Some(("app-1".into(), "db".into()))
    );
    assert_eq!(
        canvas::edge_at(&doc, &editor, back),
        Some(("db".into(), "app-1".into()))
    );
}

fn run_for(app: &mut App, seconds: f64) {
    let target = app.world().resource::<SimClock>().now_ns + (seconds * 1e9) as u64;
    app.world_mut().resource_mut::<SimClock>().horizon_ns = target;
    app.update();
}

fn servers(app: &App, id: &str) -> u32 {
    app.world()
        .get::<crate::sim::Station>(entity(app, id).unwrap())
        .unwrap()
        .servers
}

#[test]
fn a_live_change_of_servers_is_undone_and_redone_without_restarting() {
    let mut app = app_with(three_tier());
    run_for(&mut app, 2.0);
    let before = servers(&app, "db");
    set_servers_live(app.world_mut(), "db", before + 1).unwrap();
    // A drag is many steps; one undo takes back all of it.
    set_servers_live(app.world_mut(), "db", before + 8).unwrap();
    assert_eq!(servers(&app, "db"), before + 8);
    let label = undo_label(app.world()).unwrap();
    assert!(label.contains("servers of db"), "{label}");
    let t = app.world().resource::<SimClock>().now_ns;
    press(&mut app, &[KeyCode::ControlLeft, KeyCode::KeyZ]);
    assert_eq!(servers(&app, "db"), before, "undone");
    assert!(
        app.world().resource::<SimClock>().now_ns >= t,
        "the run goes on"
    );
    press(
        &mut app,
        &[KeyCode::ControlLeft, KeyCode::ShiftLeft, KeyCode::KeyZ],
    );
    assert_eq!(servers(&app, "db"), before + 8, "redone");
    // The document's own undo still works after the live one.
    app.world_mut()
        .resource_mut::<Document>()
        .delete_node("cache")
        .unwrap();
    app.update();
    press(&mut app, &[KeyCode::ControlLeft, KeyCode::KeyZ]);
    assert!(entity(&app, "cache").is_some(), "the delete is undone");
}

#[test]
fn stopping_a_scenario_lifts_its_chaos_and_the_run_goes_on() {
    let mut app = app_with(three_tier());
    let scenario = crate::scenario::Scenario::resolve("connection-reset").unwrap();
    let first = scenario
        .timeline
        .iter()
        .map(|i| i.at_s)
        .fold(f64::MAX, f64::min);
    play_scenario(app.world_mut(), scenario);
    run_for(&mut app, first + 2.0);
    let log = app.world().resource::<crate::chaos::ChaosLog>().clone();
    assert!(!log.injections.is_empty());
    let t = app.world().resource::<SimClock>().now_ns;
    stop_scenario(app.world_mut());
    run_for(&mut app, 1.0);
    assert!(
        app.world().resource::<SimClock>().now_ns > t,
        "not restarted at t = 0"
    );
    let now_s = crate::sim::ns_to_s(app.world().resource::<SimClock>().now_ns);
    let log = app.world().resource::<crate::chaos::ChaosLog>();
    assert!(
        log.injections
            .iter()
            .all(|i| i.end_s.is_some_and(|e| e <= now_s)),
        "every injection has ended: {:?}",
        log.injections
    );
    assert!(app.world().resource::<Editor>().scenario.is_none());
    // Nothing under chaos any more.
    let under: Vec<_> = app
        .world_mut()
        .query::<&crate::sim::UnderChaos>()
        .iter(app.world())
        .filter(|u| u.0 > 0)
        .collect();
    assert!(under.is_empty(), "chaos lifted");
}

#[test]
fn step_advances_a_tenth_of_a_second_or_a_hundredth_with_shift() {
    let mut app = app_with(three_tier());
    run_for(&mut app, 1.0);
    let t0 = app.world().resource::<SimClock>().now_ns;
    for _ in 0..10 {
        step(app.world_mut(), false);
        app.update();
    }
    let t1 = app.world().resource::<SimClock>().now_ns;
    assert!(app.world().resource::<SimClock>().paused);
    assert_eq!(t1 - t0, 1_000_000_000, "ten steps are one second");
    step(app.world_mut(), true);
    app.update();
    assert_eq!(app.world().resource::<SimClock>().now_ns - t1, 10_000_000);
}

#[test]
fn an_edit_is_autosaved_to_its_real_path_and_offered_back_as_unsaved() {
    // The real path: the platform's autosave file, named by `BLASTRADIUS_AUTOSAVE`, written by
    // the files plugin a second of real time after a change, read back as the next start does.
    let path = std::env::temp_dir().join(format!(
        "blastradius-autosave-test-{}.ron",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    #[expect(
        unsafe_code,
        reason = "the one test that sets this variable; no other test reads it"
    )]
    // SAFETY: no other thread of this test binary reads or writes BLASTRADIUS_AUTOSAVE.
    unsafe {
        std::env::set_var("BLASTRADIUS_AUTOSAVE", &path);
    }
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_message::<bevy::window::WindowCloseRequested>()
        .init_resource::<Editor>()
        .add_plugins(super::files::plugin);
    replace_document(app.world_mut(), three_tier());
    app.update();
    app.world_mut()
        .resource_mut::<Document>()
        .add_node("message_queue", Vec2::new(10.0, 20.0))
        .unwrap();
    let edited = app.world().resource::<Document>().blueprint().clone();
    let started = std::time::Instant::now();
    let restored = loop {
        app.update();
        if let Some((doc, place)) = read_autosave() {
            break (doc, place);
        }
        assert!(
            started.elapsed().as_secs_f32() < 10.0,
            "no unsaved autosave at {} after 10 s of real time",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let waited_s = started.elapsed().as_secs_f32();
    let (doc, place) = restored;
    assert_eq!(
        place,
        path.display().to_string(),
        "written where the variable says"
    );
    assert_eq!(doc.blueprint(), &edited, "the edit comes back");
    assert!(doc.is_dirty(), "offered back as unsaved work");
    assert!(
        waited_s >= 0.5,
        "written after the debounce, not at once ({waited_s:.2} s)"
    );
    let _ = std::fs::remove_file(&path);
}
