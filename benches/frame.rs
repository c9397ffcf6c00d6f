//! The app's CPU cost per frame without a GPU: the real app's plugins (engine, canvas shapes,
//! particles, camera, editor) with rendering switched off (no graphics backend, no window),
//! three-tier at 10,000 and 100,000 RPS, each frame advancing 1/60 s of simulated time at 1x.
//! The egui overlays are not in it (they need a window). Goal: under 8 ms a frame at 100,000.
//!
//! `cargo bench --bench frame --profile dev [-- FRAMES]` (the dev profile reuses the app's
//! debug build: dependencies optimised, our code at opt-level 1, so this is an upper bound).
//! `-- --quick` (or `BENCH_QUICK=1`) measures 30 frames after 10, so CI runs it and it
//! cannot rot (figures printed, never asserted).

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{RenderCreation, WgpuSettings};
use bevy::time::TimeUpdateStrategy;
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;

use blastradius::blueprint::{Document, Source, resolve};
use blastradius::sim::Call;
use blastradius::view::ParticleStats;

fn app(rps: f64) -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                close_when_requested: false,
                ..default()
            })
            .set(RenderPlugin {
                render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                    backends: None,
                    ..default()
                })),
                ..default()
            })
            .disable::<WinitPlugin>(),
    )
    .add_plugins((
        blastradius::EnginePlugin,
        blastradius::view::ViewPlugin,
        blastradius::editor::EditorPlugin,
    ))
    .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
        1.0 / 60.0,
    )));
    app.finish();
    app.cleanup();
    let mut bp = resolve("three-tier").expect("built in");
    bp.set_total_rps(rps);
    let world = app.world_mut();
    blastradius::editor::replace_document(world, Document::open(bp, Source::Untitled));
    blastradius::editor::sync_now(world);
    app
}

fn measure(rps: f64, frames: usize, warm_up: usize) {
    let mut app = app(rps);
    for _ in 0..warm_up {
        app.update();
    }
    let mut times = Vec::with_capacity(frames);
    for _ in 0..frames {
        let start = Instant::now();
        app.update();
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / frames as f64;
    let p95 = times[(frames * 95 / 100).min(frames - 1)];
    let world = app.world_mut();
    let calls = world.query::<&Call>().iter(world).count();
    let drawn = world.resource::<ParticleStats>();
    println!(
        "three-tier at {rps:>7.0} RPS: {mean:6.2} ms a frame (p95 {p95:6.2}, max {:6.2}), \
         {calls} calls in flight, {} particles drawn (1 in {})",
        times[frames - 1],
        drawn.drawn,
        drawn.sample
    );
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var_os("BENCH_QUICK").is_some();
    let frames = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if quick { 30 } else { 600 });
    for rps in [10_000.0, 100_000.0] {
        measure(rps, frames, if quick { 10 } else { 120 });
    }
}
