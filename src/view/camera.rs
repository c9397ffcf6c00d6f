//! The 2D camera: pan (drag with any mouse button on empty canvas), zoom (scroll), fit the
//! blueprint to the screen (F, and after loading), and picking a node with a click.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use crate::sim::Node;

/// Marks the canvas camera.
#[derive(Component)]
pub struct ViewCamera;

/// The node the user clicked (the inspector shows it).
#[derive(Resource, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selected(pub Option<Entity>);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Selected>()
        .add_systems(Startup, spawn_camera)
        .add_systems(Update, (pan_and_zoom, fit_on_load, pick));
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, ViewCamera, Msaa::Sample4));
}

fn pan_and_zoom(
    mouse: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui: Option<Res<EguiWantsInput>>,
    nodes: Query<&Node>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    let over_ui = egui.as_ref().is_some_and(|e| e.wants_any_pointer_input());
    if !over_ui {
        let dragging = mouse.pressed(MouseButton::Right)
            || mouse.pressed(MouseButton::Middle)
            || mouse.pressed(MouseButton::Left);
        if dragging && motion.delta != Vec2::ZERO {
            let scale = camera.scale.x;
            camera.translation.x -= motion.delta.x * scale;
            camera.translation.y += motion.delta.y * scale;
        }
        if scroll.delta.y != 0.0 {
            let factor = (1.0 - scroll.delta.y * 0.1).clamp(0.5, 2.0);
            camera.scale = (camera.scale * factor).clamp(Vec3::splat(0.1), Vec3::splat(20.0));
        }
    }
    if keys.just_pressed(KeyCode::KeyF)
        && !egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input())
    {
        fit(&nodes, &mut camera);
    }
}

fn fit_on_load(
    added: Query<(), Added<Node>>,
    nodes: Query<&Node>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    if !added.is_empty() {
        fit(&nodes, &mut camera);
    }
}

/// Frames every node, leaving room for the panels.
fn fit(nodes: &Query<&Node>, camera: &mut Transform) {
    let mut min = Vec2::splat(f32::MAX);
    let mut max = Vec2::splat(f32::MIN);
    for n in nodes {
        min = min.min(n.position);
        max = max.max(n.position);
    }
    if min.x > max.x {
        return;
    }
    let size = (max - min) + Vec2::new(300.0, 260.0);
    // The canvas area left between the panels is roughly 820 x 420 at 1280 x 720.
    let scale = (size.x / 820.0).max(size.y / 420.0).max(0.4);
    let centre = (min + max) / 2.0;
    // Shift so the drawing sits between the side panel (right) and the charts (bottom).
    camera.translation = Vec3::new(
        centre.x + 110.0 * scale,
        centre.y - 60.0 * scale,
        camera.translation.z,
    );
    camera.scale = Vec3::splat(scale);
}

fn pick(
    mouse: Res<ButtonInput<MouseButton>>,
    egui: Option<Res<EguiWantsInput>>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    nodes: Query<(Entity, &Node)>,
    mut selected: ResMut<Selected>,
) {
    if !mouse.just_released(MouseButton::Left) || egui.is_some_and(|e| e.wants_any_pointer_input())
    {
        return;
    }
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    let (camera, transform) = *camera;
    let Ok(world) = camera.viewport_to_world_2d(transform, cursor) else {
        return;
    };
    let hit = nodes
        .iter()
        .map(|(e, n)| (e, n.position.distance(world)))
        .filter(|(_, d)| *d < 50.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(e, _)| e);
    if hit.is_some() || selected.0.is_some_and(|s| nodes.get(s).is_err()) {
        selected.0 = hit;
    }
}
