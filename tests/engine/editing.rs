//! The editor's document: every change is one undoable step, references follow renames and
//! deletes, problems are placed on what is wrong while the rest still runs, and a saved file
//! loads back identically.

use bevy::prelude::Vec2;
use blastradius::blueprint::{BUILTINS, Blueprint, Document, Place, Source, builtin};
use blastradius::nodes::NodeKind;
use blastradius::nodes::plan::CallStep;

use crate::support::{summary, three_tier};

fn three_tier_doc() -> Document {
    Document::open(three_tier(), Source::Builtin("three-tier".into()))
}

fn node<'a>(bp: &'a Blueprint, id: &str) -> &'a blastradius::blueprint::NodeSpec {
    bp.nodes.iter().find(|n| n.id == id).expect("node exists")
}

fn targets(bp: &Blueprint, id: &str) -> Vec<String> {
    match &node(bp, id).kind {
        NodeKind::Service(p) => p
            .calls
            .iter()
            .flat_map(CallStep::targets)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// Saves as RON and loads it back the way Open does.
fn reload(doc: &Document) -> Blueprint {
    let text = doc.blueprint().to_ron();
    Blueprint::parse("saved.ron", &text)
        .unwrap_or_else(|e| panic!("saved file invalid: {e}\n{text}"))
}

#[test]
fn every_builtin_opens_with_positions_and_saves_back_identically() {
    for (name, _) in BUILTINS {
        let bp = blastradius::blueprint::resolve(name).expect("built-in loads");
        let doc = Document::open(bp, Source::Builtin(name.to_string()));
        assert!(
            doc.blueprint().nodes.iter().all(|n| n.position.is_some()),
            "{name}"
        );
        assert!(!doc.is_dirty(), "{name}: opening is not a change");
        assert_eq!(&reload(&doc), doc.blueprint(), "{name} does not round-trip");
        assert!(builtin(name).is_some());
    }
}

#[test]
fn a_drawn_blueprint_saves_and_loads_back_identically() {
    let mut doc = Document::untitled();
    let lb = doc
        .add_node("load_balancer", Vec2::new(200.0, 0.0))
        .unwrap();
    let app = doc.add_node("service", Vec2::new(400.0, 0.0)).unwrap();
    let db = doc.add_node("database", Vec2::new(600.0, 0.0)).unwrap();
    doc.connect("users", &lb).unwrap();
    doc.connect(&lb, &app).unwrap();
    doc.connect(&app, &db).unwrap();
    doc.move_node(&db, Vec2::new(610.5, -42.25)).unwrap();
    assert!(
        doc.blueprint().problems().is_empty(),
        "{:?}",
        doc.blueprint().problems()
    );
    let loaded = reload(&doc);
    assert_eq!(&loaded, doc.blueprint());
    // And it runs: every request reaches the database through the service's new call.
    let s = summary(&loaded, 3, 5.0);
    assert!(s.throughput > 50.0, "throughput {}", s.throughput);
    assert_eq!(s.error_rate, 0.0);
    let at_db = s.nodes[&db].arrival_rate;
    assert!(
        (at_db - s.nodes[&app].arrival_rate).abs() < 1.0,
        "db sees {at_db}/s"
    );
}

#[test]
fn undo_and_redo_walk_the_steps_and_dirtiness_follows() {
    let mut doc = three_tier_doc();
    let original = doc.blueprint().clone();
    let id = doc
        .add_node("external_api", Vec2::new(300.0, 300.0))
        .unwrap();
    assert_eq!(id, "api");
    doc.connect("app-1", &id).unwrap();
    doc.move_node(&id, Vec2::new(320.0, 280.0)).unwrap();
    let edited = doc.blueprint().clone();
    assert!(doc.is_dirty());
    assert_eq!(doc.undo_label(), Some("move api"));

    assert_eq!(doc.undo().as_deref(), Some("move api"));
    assert_eq!(doc.undo().as_deref(), Some("connect app-1 -> api"));
    assert!(!targets(doc.blueprint(), "app-1").contains(&id));
    assert_eq!(doc.undo().as_deref(), Some("add api"));
    assert_eq!(doc.blueprint(), &original);
    assert!(!doc.is_dirty(), "back at the saved state");
    assert_eq!(doc.undo(), None, "nothing before opening");

    assert_eq!(doc.redo().as_deref(), Some("add api"));
    assert_eq!(doc.redo().as_deref(), Some("connect app-1 -> api"));
    assert_eq!(doc.redo().as_deref(), Some("move api"));
    assert_eq!(doc.blueprint(), &edited);
    assert_eq!(doc.redo(), None);

    // A new change after an undo drops the redo branch.
    doc.undo();
    doc.delete_node(&id).unwrap();
    assert_eq!(doc.redo_label(), None);
    assert_eq!(doc.blueprint(), &original);
    doc.mark_saved(Source::File("/tmp/x.ron".into()));
    assert!(!doc.is_dirty());
    assert_eq!(doc.source.label(), "/tmp/x.ron");
}

#[test]
fn a_change_that_fails_changes_nothing_and_is_not_a_step() {
    let mut doc = three_tier_doc();
    let before = doc.blueprint().clone();
    assert!(doc.connect("lb", "lb").unwrap_err().contains("itself"));
    assert!(doc.connect("lb", "app-1").unwrap_err().contains("already"));
    assert!(
        doc.connect("lb", "nowhere")
            .unwrap_err()
            .contains("no node \"nowhere\"")
    );
    assert!(doc.add_node("mainframe", Vec2::ZERO).is_err());
    let mut renamed = node(&before, "cache").clone();
    renamed.id = "db".into();
    assert!(
        doc.set_node("cache", renamed)
            .unwrap_err()
            .contains("already a node")
    );
    assert!(doc.delete_edge("users", "db").is_err());
    assert_eq!(doc.blueprint(), &before);
    assert_eq!(doc.undo_label(), None);
}

#[test]
fn deleting_the_cache_sends_reads_to_the_database_and_still_runs() {
    let mut doc = three_tier_doc();
    doc.delete_node("cache").unwrap();
    let bp = doc.blueprint();
    assert!(
        bp.edges
            .iter()
            .all(|e| e.to != "cache" && e.from != "cache")
    );
    // Reads (which went to the cache first) and writes both call the database now.
    assert_eq!(
        targets(bp, "app-1"),
        vec!["db".to_string(), "db".to_string()]
    );
    assert!(bp.problems().is_empty(), "{:?}", bp.problems());
    let mut smaller = bp.clone();
    smaller.set_total_rps(500.0);
    let s = summary(&smaller, 1, 5.0);
    assert!(!s.nodes.contains_key("cache"));
    let db = s.nodes["db"].arrival_rate;
    assert!(
        (db - 500.0).abs() < 40.0,
        "every request reaches the db now: {db}/s"
    );
}

#[test]
fn renaming_a_node_renames_every_reference() {
    let mut doc = three_tier_doc();
    let mut spec = node(doc.blueprint(), "db").clone();
    spec.id = "postgres".into();
    doc.set_node("db", spec).unwrap();
    let bp = doc.blueprint();
    assert!(bp.problems().is_empty(), "{:?}", bp.problems());
    assert!(bp.edges.iter().any(|e| e.to == "postgres"));
    assert!(!bp.edges.iter().any(|e| e.to == "db"));
    match &node(bp, "app-2").kind {
        NodeKind::Service(p) => assert!(matches!(
            &p.calls[0],
            CallStep::Call { on_miss: Some(m), .. } if m == "postgres"
        )),
        other => panic!("app-2 is {}", other.name()),
    }
    assert_eq!(doc.undo_label(), Some("rename db to postgres"));
}

#[test]
fn problems_sit_on_what_is_wrong_while_the_rest_runs() {
    let mut doc = three_tier_doc();
    let cdn = doc.add_node("cdn", Vec2::new(-200.0, 200.0)).unwrap();
    let mut bad = node(doc.blueprint(), "app-3").clone();
    if let NodeKind::Service(p) = &mut bad.kind {
        p.concurrency = 0;
    }
    doc.set_node("app-3", bad).unwrap();

    let (part, problems) = doc.runnable();
    let placed: Vec<&str> = problems
        .iter()
        .map(|p| match p.place {
            Place::Node(i) => doc.blueprint().nodes[i].id.as_str(),
            _ => "elsewhere",
        })
        .collect();
    assert_eq!(placed, vec!["app-3", cdn.as_str()], "{problems:?}");
    assert!(
        problems[1].message.contains("origin"),
        "{}",
        problems[1].message
    );
    // The runnable part leaves both out, with the load balancer's edge to app-3, and runs.
    assert!(part.problems().is_empty(), "{:?}", part.problems());
    assert!(part.nodes.iter().all(|n| n.id != "app-3" && n.id != cdn));
    assert_eq!(part.edges.len(), doc.blueprint().edges.len() - 3);
    let s = summary(&part, 2, 3.0);
    assert!(s.throughput > 0.0 && s.error_rate == 0.0);

    // Connecting the CDN gives it its origin: one problem left.
    doc.connect(&cdn, "lb").unwrap();
    assert_eq!(doc.runnable().1.len(), 1);
}

#[test]
fn an_untitled_blueprint_with_work_in_it_is_worth_keeping() {
    let doc = Document::untitled();
    assert_eq!(doc.source, Source::Untitled);
    assert!(doc.is_dirty(), "nothing has been saved yet");
    let problems = doc.blueprint().problems();
    assert!(
        problems[0].message.contains("outgoing edge"),
        "{problems:?}"
    );
    assert!(
        doc.runnable().0.nodes.is_empty(),
        "a lone source cannot run"
    );
}
