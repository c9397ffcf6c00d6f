//! The 2D camera: pan (drag on empty canvas with any button), zoom (scroll), fit the
//! blueprint to the screen (F, and when a blueprint is opened).

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use crate::sim::Node;

/// Marks the canvas camera.
#[derive(Component)]
pub struct ViewCamera;

/// Whether the pointer is over the canvas rather than a panel or window (the UI sets it each
/// frame; true when there is no UI).
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointerOnCanvas(pub bool);

impl Default for PointerOnCanvas {
    fn default() -> Self {
        PointerOnCanvas(true)
    }
}

/// What the camera needs from whoever edits the drawing (the editor writes it): whether a
/// gesture holds the pointer, so a drag must not pan, and a count of documents opened, so
/// each new one is fitted.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CameraCues {
    /// A gesture (dragging a node, drawing an edge, placing a kind) holds the pointer.
    pub pointer_held: bool,
    /// Documents opened so far.
    pub opened: u64,
}

/// The view's systems that others order themselves against.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewSystems {
    /// The camera pans, zooms and fits.
    Camera,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PointerOnCanvas>()
        .init_resource::<CameraCues>()
        .add_systems(Startup, spawn_camera)
        .add_systems(
            Update,
            (pan_and_zoom, fit_on_open).in_set(ViewSystems::Camera),
        );
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, ViewCamera, Msaa::Sample4));
}

fn pan_and_zoom(
    (mouse, keys): (Res<ButtonInput<MouseButton>>, Res<ButtonInput<KeyCode>>),
    (motion, scroll): (Res<AccumulatedMouseMotion>, Res<AccumulatedMouseScroll>),
    egui: Option<Res<EguiWantsInput>>,
    on_canvas: Res<PointerOnCanvas>,
    cues: Res<CameraCues>,
    nodes: Query<&Node>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    if on_canvas.0 {
        let gesture = cues.pointer_held;
        let dragging = mouse.pressed(MouseButton::Right)
            || mouse.pressed(MouseButton::Middle)
            || (mouse.pressed(MouseButton::Left) && !gesture);
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

/// Fits when a blueprint is opened (not when it is edited), once its nodes exist.
fn fit_on_open(
    cues: Res<CameraCues>,
    added: Query<(), Added<Node>>,
    nodes: Query<&Node>,
    mut fitted: Local<Option<u64>>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    let opened = cues.opened;
    if *fitted != Some(opened) && !added.is_empty() {
        fit(&nodes, &mut camera);
        *fitted = Some(opened);
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
