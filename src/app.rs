//! The desktop (and browser) app: a window with the blueprint drawn, requests moving as
//! particles, and egui panels for control, metrics, inspection and chaos. Built only with the
//! `app` feature; it reads the simulation and drives it through the same engine systems the
//! command line uses.

use bevy::prelude::*;
use bevy::window::WindowResolution;

use crate::blueprint::{Blueprint, Document, Source, builtin, resolve};

/// Set from the environment for scripted runs: save a screenshot after this many seconds of
/// wall time, then quit.
#[derive(Resource, Clone, Debug)]
pub struct ScreenshotPlan {
    /// Where to save it.
    pub path: String,
    /// Seconds to wait for.
    pub after_s: f32,
    /// Taken already.
    pub taken: bool,
}

/// Set from `BLASTRADIUS_PROBE` for scripted runs: a JSON file, rewritten a few times a
/// second, saying what a script needs to drive the app as a person would and to check what it
/// did: where the key buttons and the nodes are on the screen, the chaos active (by kind), what
/// is selected, each node's servers, the simulated time and the undo label.
#[derive(Resource, Clone, Debug)]
pub struct Probe {
    /// Where to write.
    pub path: String,
    /// When it was last written (real seconds).
    pub at_s: f64,
}

/// The whole app: window, engine, view and UI.
pub struct AppPlugin;

impl Plugin for AppPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "Blast Radius".into(),
                resolution: window_size(),
                canvas: Some("#blastradius".into()),
                fit_canvas_to_parent: true,
                ..default()
            }),
            // The editor asks about unsaved changes first.
            close_when_requested: false,
            ..default()
        }))
        .add_plugins((
            crate::run::EnginePlugin,
            crate::view::ViewPlugin,
            crate::editor::EditorPlugin,
            crate::ui::UiPlugin,
        ))
        .insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.10)))
        .add_systems(Startup, load_default)
        .add_systems(
            Update,
            take_screenshot.run_if(resource_exists::<ScreenshotPlan>),
        );
        #[cfg(target_arch = "wasm32")]
        app.add_plugins(crate::web::PagePlugin);
        if let Ok(path) = std::env::var("BLASTRADIUS_PROBE") {
            app.insert_resource(Probe { path, at_s: 0.0 })
                .add_systems(Last, write_probe);
        }
        if let Ok(path) = std::env::var("BLASTRADIUS_SCREENSHOT") {
            let after_s = std::env::var("BLASTRADIUS_SCREENSHOT_AFTER")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(6.0);
            app.insert_resource(ScreenshotPlan {
                path,
                after_s,
                taken: false,
            });
        }
    }
}

/// The window's size: `BLASTRADIUS_WINDOW` (`WIDTHxHEIGHT`, for scripted screenshots), else
/// 1280 x 720.
fn window_size() -> WindowResolution {
    let (w, h) = std::env::var("BLASTRADIUS_WINDOW")
        .ok()
        .and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
        })
        .unwrap_or((1280, 720));
    WindowResolution::new(w, h)
}

/// Opens the blueprint named by `BLASTRADIUS_BLUEPRINT`, else the unsaved work an autosave
/// kept, else three-tier; then schedules the chaos in `BLASTRADIUS_CHAOS` (`--chaos` specs
/// separated by spaces), for scripted runs.
fn load_default(world: &mut World) {
    let three_tier = || {
        let bp = resolve("three-tier").expect("the built-in three-tier blueprint loads");
        Document::open(bp, Source::Builtin("three-tier".into()))
    };
    let mut status = None;
    #[cfg(target_arch = "wasm32")]
    match crate::web::shared() {
        Some(Ok(shared)) => {
            let mut editor = world.resource_mut::<crate::editor::Editor>();
            editor.seed = shared.seed;
            editor.scenario = shared.scenario;
            editor.rps = shared.rps;
            crate::editor::replace_document(world, shared.document);
            crate::editor::sync_now(world);
            return;
        }
        Some(Err(e)) => status = Some(e),
        None => {}
    }
    let doc = match std::env::var("BLASTRADIUS_BLUEPRINT") {
        Ok(name) if builtin(&name).is_some() => {
            let bp = resolve(&name).expect("built-in blueprints are valid");
            Document::open(bp, Source::Builtin(name))
        }
        // A file opens with its problems shown, unless it is not a blueprint at all.
        Ok(name) => match std::fs::read_to_string(&name)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|src| Blueprint::parse_unchecked(&name, &src).map_err(|e| e.to_string()))
        {
            Ok(bp) => Document::open(bp, Source::File(name)),
            Err(e) => {
                status = Some(e);
                three_tier()
            }
        },
        Err(_) => match crate::editor::read_autosave() {
            Some((doc, place)) => {
                status = Some(format!(
                    "restored unsaved work on \"{}\" from {place}: save it to keep it",
                    doc.blueprint().name
                ));
                doc
            }
            None => three_tier(),
        },
    };
    crate::editor::replace_document(world, doc);
    crate::editor::sync_now(world);
    world.resource_mut::<crate::editor::Editor>().status = status;
    for spec in std::env::var("BLASTRADIUS_CHAOS")
        .unwrap_or_default()
        .split_whitespace()
    {
        let scheduled =
            crate::scenario::parse_chaos_flag(spec).and_then(|i| crate::chaos::schedule(world, &i));
        if let Err(e) = scheduled {
            error!("BLASTRADIUS_CHAOS: {e}");
        }
    }
}

fn take_screenshot(
    mut commands: Commands,
    time: Res<Time<Real>>,
    ui: Res<crate::ui::UiState>,
    window: Single<&Window, With<bevy::window::PrimaryWindow>>,
    mut plan: ResMut<ScreenshotPlan>,
    mut exit: MessageWriter<AppExit>,
) {
    use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
    let elapsed = time.elapsed_secs();
    if !plan.taken && elapsed >= plan.after_s {
        plan.taken = true;
        let path = plan.path.clone();
        // The canvas between the panels, in pixels: the panels alone must not pass.
        let scale = window.scale_factor();
        let rect = ui.canvas.0;
        let canvas = URect::new(
            (rect.min.x * scale).max(0.0) as u32,
            (rect.min.y * scale).max(0.0) as u32,
            (rect.max.x * scale).max(0.0) as u32,
            (rect.max.y * scale).max(0.0) as u32,
        );
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>| {
                let image = captured.image.clone();
                let check = crate::view::check_area_not_blank(&image, canvas)
                    .map_err(|e| format!("the canvas ({canvas:?}): {e}"));
                match image.try_into_dynamic() {
                    Ok(img) => {
                        if let Err(e) = img.to_rgb8().save(&path) {
                            error!("cannot save the screenshot to {path}: {e}");
                        }
                    }
                    Err(e) => error!("cannot convert the screenshot: {e}"),
                }
                match check {
                    Ok(colours) => info!("screenshot saved to {path}: {colours} distinct colours"),
                    Err(e) => {
                        error!("the screenshot looks blank: {e}");
                        std::process::exit(3);
                    }
                }
            },
        );
    }
    if plan.taken && elapsed >= plan.after_s + 2.0 {
        exit.write(AppExit::Success);
    }
}

fn write_probe(world: &mut World) {
    let now = world.resource::<Time<Real>>().elapsed_secs_f64();
    let mut probe = world.resource::<Probe>().clone();
    if now - probe.at_s < 0.25 {
        return;
    }
    probe.at_s = now;
    let rect = |r: &bevy_egui::egui::Rect| serde_json::json!({"x": r.center().x, "y": r.center().y, "w": r.width(), "h": r.height()});
    let buttons: serde_json::Map<String, serde_json::Value> = world
        .resource::<crate::ui::KeyButtons>()
        .0
        .iter()
        .map(|(k, r)| (k.clone(), rect(r)))
        .collect();
    let now_s = crate::sim::ns_to_s(world.resource::<crate::sim::SimClock>().now_ns);
    let active: Vec<String> = world
        .resource::<crate::chaos::ChaosLog>()
        .injections
        .iter()
        .filter(|i| i.start_s <= now_s && i.end_s.is_none_or(|e| e > now_s))
        .map(|i| format!("{} on {}", i.name, i.target))
        .collect();
    let view = crate::ui::CanvasView::of(world);
    let mut nodes = serde_json::Map::new();
    let mut q = world.query::<(&crate::sim::Node, &crate::sim::Station)>();
    for (node, station) in q.iter(world) {
        let at = view.as_ref().and_then(|v| v.to_screen(node.position));
        nodes.insert(
            node.id.clone(),
            serde_json::json!({
                "x": at.map(|p| p.x), "y": at.map(|p| p.y), "servers": station.servers
            }),
        );
    }
    let editor = world.resource::<crate::editor::Editor>();
    let mut doc_nodes = serde_json::Map::new();
    let mut edges = Vec::new();
    if let Some(doc) = world.get_resource::<Document>() {
        for n in &doc.blueprint().nodes {
            let at = crate::editor::node_position(doc, editor, &n.id)
                .and_then(|p| view.as_ref()?.to_screen(p));
            doc_nodes.insert(
                n.id.clone(),
                serde_json::json!({"x": at.map(|p| p.x), "y": at.map(|p| p.y)}),
            );
        }
        edges = doc
            .blueprint()
            .edges
            .iter()
            .map(|e| format!("{}->{}", e.from, e.to))
            .collect();
    }
    let canvas = world.resource::<crate::ui::UiState>().canvas.0;
    let json = serde_json::json!({
        "t_s": now_s,
        "buttons": buttons,
        "active": active,
        "selection": format!("{:?}", editor.selection),
        "status": editor.status,
        "undo": crate::editor::undo_label(world),
        "nodes": nodes,
        "document_nodes": doc_nodes,
        "edges": edges,
        "canvas": if canvas.is_positive() { Some(rect(&canvas)) } else { None },
    });
    let tmp = format!("{}.tmp", probe.path);
    if std::fs::write(&tmp, json.to_string())
        .and_then(|()| std::fs::rename(&tmp, &probe.path))
        .is_err()
    {
        error!("cannot write the probe to {}", probe.path);
    }
    world.resource_mut::<Probe>().at_s = probe.at_s;
}
