//! The 2D camera: pan (drag on empty canvas with any button), zoom (scroll), fit the
//! blueprint to the canvas (F, when a blueprint is opened, and when the window is resized).
//! Whether a press belongs to the canvas is decided when it happens, from where the canvas is.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use crate::sim::Node;

/// Marks the canvas camera.
#[derive(Component)]
pub struct ViewCamera;

/// Where the canvas is on the screen, in logical pixels (the UI writes it each frame): the
/// rectangle between the panels, less what floats above it (windows, menus). With no UI the
/// canvas is the whole window.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct CanvasArea {
    /// The rectangle between the panels (none until the UI has laid out a frame).
    pub rect: Option<Rect>,
    /// Windows, menus and pop-ups drawn over it.
    pub covered: Vec<Rect>,
    /// A modal question is open: nothing on the canvas takes the pointer.
    pub blocked: bool,
}

impl CanvasArea {
    /// Whether a press at screen point `at` belongs to the canvas: inside its rectangle and
    /// under nothing that floats above it. Decided at press time from where the point is, not
    /// from where the pointer was a frame ago.
    pub fn owns(&self, at: Vec2) -> bool {
        !self.blocked
            && self.rect.is_none_or(|r| r.contains(at))
            && !self.covered.iter().any(|r| r.contains(at))
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
    app.init_resource::<CanvasArea>()
        .init_resource::<CameraCues>()
        .add_systems(Startup, spawn_camera)
        .add_systems(
            Update,
            (pan_and_zoom, fit_when_needed)
                .chain()
                .in_set(ViewSystems::Camera),
        );
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, ViewCamera, Msaa::Sample4));
}

/// The pointer's screen position in the primary window (logical pixels).
fn cursor(window: &Query<&Window, With<PrimaryWindow>>) -> Option<Vec2> {
    window.single().ok()?.cursor_position()
}

fn pan_and_zoom(
    mouse: Res<ButtonInput<MouseButton>>,
    (motion, scroll): (Res<AccumulatedMouseMotion>, Res<AccumulatedMouseScroll>),
    (area, cues): (Res<CanvasArea>, Res<CameraCues>),
    window: Query<&Window, With<PrimaryWindow>>,
    mut panning: Local<bool>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    let owned = cursor(&window).is_some_and(|p| area.owns(p));
    // A pan belongs to the press that started it: on the canvas, not on a panel.
    let buttons = [MouseButton::Left, MouseButton::Right, MouseButton::Middle];
    if mouse.any_just_pressed(buttons) {
        *panning = owned;
    }
    if !mouse.any_pressed(buttons) {
        *panning = false;
    }
    let dragging = *panning
        && (mouse.pressed(MouseButton::Right)
            || mouse.pressed(MouseButton::Middle)
            || (mouse.pressed(MouseButton::Left) && !cues.pointer_held));
    if dragging && motion.delta != Vec2::ZERO {
        let scale = camera.scale.x;
        camera.translation.x -= motion.delta.x * scale;
        camera.translation.y += motion.delta.y * scale;
    }
    if owned && scroll.delta.y != 0.0 {
        let factor = (1.0 - scroll.delta.y * 0.1).clamp(0.5, 2.0);
        camera.scale = (camera.scale * factor).clamp(Vec3::splat(0.1), Vec3::splat(20.0));
    }
}

/// Fits when a blueprint is opened (not when it is edited, once its nodes exist), when F is
/// pressed, and when the canvas changes size (a resized window, a panel shown or hidden).
#[expect(
    clippy::too_many_arguments,
    reason = "a system: each argument is one input"
)]
fn fit_when_needed(
    cues: Res<CameraCues>,
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    area: Res<CanvasArea>,
    window: Query<&Window, With<PrimaryWindow>>,
    added: Query<(), Added<Node>>,
    nodes: Query<&Node>,
    mut fitted: Local<Option<(u64, Vec2)>>,
    mut camera: Single<&mut Transform, With<ViewCamera>>,
) {
    let Ok(window) = window.single() else {
        return;
    };
    let screen = window.size();
    let canvas = area
        .rect
        .filter(|r| r.width() > 1.0 && r.height() > 1.0)
        .unwrap_or(Rect::from_corners(Vec2::ZERO, screen));
    let key = (cues.opened, canvas.size());
    let asked = keys.just_pressed(KeyCode::KeyF)
        && !egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input());
    let opened = fitted.is_none_or(|(o, _)| o != cues.opened) && !added.is_empty();
    let resized = fitted.is_some_and(|(o, size)| o == cues.opened && size != canvas.size());
    if !(asked || opened || resized) {
        return;
    }
    let positions: Vec<Vec2> = nodes.iter().map(|n| n.position).collect();
    if let Some((translation, scale)) = fit(&positions, canvas, screen) {
        camera.translation = translation.extend(camera.translation.z);
        camera.scale = Vec3::splat(scale);
        *fitted = Some(key);
    }
}

/// The camera's translation and scale (world units per pixel) that frame every position in
/// `canvas` (a rectangle of the `screen`, in logical pixels, y down), with room for the node
/// shapes and their labels; none when there is nothing to frame.
pub fn fit(positions: &[Vec2], canvas: Rect, screen: Vec2) -> Option<(Vec2, f32)> {
    let min = positions.iter().copied().reduce(Vec2::min)?;
    let max = positions.iter().copied().reduce(Vec2::max)?;
    // A node is drawn 68 wide; its label hangs about 70 below it.
    let size = (max - min) + Vec2::new(200.0, 220.0);
    let room = canvas.size().max(Vec2::splat(50.0));
    let scale = (size.x / room.x).max(size.y / room.y).max(0.25);
    // The drawing's centre (labels hang below, so a little lower) at the canvas's centre.
    let centre = (min + max) / 2.0 - Vec2::new(0.0, 35.0);
    let offset = canvas.center() - screen / 2.0;
    Some((
        Vec2::new(centre.x - offset.x * scale, centre.y + offset.y * scale),
        scale,
    ))
}

#[cfg(test)]
mod tests {
    use bevy::prelude::*;

    use super::{CanvasArea, fit};

    /// Where world point `p` lands on a screen of `screen` pixels, for a camera at
    /// `translation` with `scale` world units per pixel (Bevy's 2D camera: y up in the world,
    /// down on the screen).
    fn on_screen(p: Vec2, translation: Vec2, scale: f32, screen: Vec2) -> Vec2 {
        let d = (p - translation) / scale;
        Vec2::new(screen.x / 2.0 + d.x, screen.y / 2.0 - d.y)
    }

    #[test]
    fn fitting_puts_every_node_inside_the_canvas_at_any_size() {
        // Three-tier's spread, and a wide multi-region one.
        let layouts = [
            vec![
                Vec2::new(-500.0, 0.0),
                Vec2::new(300.0, 120.0),
                Vec2::new(300.0, -160.0),
            ],
            vec![Vec2::new(-1400.0, 300.0), Vec2::new(1400.0, -300.0)],
        ];
        // Screens, each with panels: palette left, side panel right, top bar, charts below.
        for (w, h) in [
            (1024.0, 600.0),
            (1280.0, 720.0),
            (1920.0, 1080.0),
            (2560.0, 1440.0),
        ] {
            let screen = Vec2::new(w, h);
            let canvas = Rect::new(150.0, 40.0, w - 330.0, h - 0.25 * h);
            for nodes in &layouts {
                let (t, scale) = fit(nodes, canvas, screen).unwrap();
                for &n in nodes {
                    let p = on_screen(n, t, scale, screen);
                    // The node's whole shape (radius 34) is inside.
                    let r = 34.0 / scale;
                    assert!(
                        canvas.min.x <= p.x - r
                            && p.x + r <= canvas.max.x
                            && canvas.min.y <= p.y - r
                            && p.y + r <= canvas.max.y,
                        "{n} at {p} is outside {canvas:?} on {w}x{h}"
                    );
                }
                // The drawing uses the room: at least half the canvas along one axis.
                let a = on_screen(nodes[0], t, scale, screen);
                let b = on_screen(nodes[nodes.len() - 1], t, scale, screen);
                let used = ((a - b).abs() / canvas.size()).max_element();
                assert!(used > 0.5, "only {used} of the canvas used on {w}x{h}");
            }
        }
        assert!(fit(&[], Rect::new(0.0, 0.0, 10.0, 10.0), Vec2::splat(10.0)).is_none());
    }

    #[test]
    fn a_press_belongs_to_the_canvas_by_where_it_is_when_it_happens() {
        let area = CanvasArea {
            rect: Some(Rect::new(150.0, 40.0, 950.0, 540.0)),
            covered: vec![Rect::new(300.0, 100.0, 700.0, 400.0)],
            blocked: false,
        };
        assert!(area.owns(Vec2::new(200.0, 500.0)), "on the canvas");
        assert!(!area.owns(Vec2::new(100.0, 300.0)), "on the palette");
        assert!(!area.owns(Vec2::new(1000.0, 300.0)), "on the side panel");
        assert!(!area.owns(Vec2::new(400.0, 200.0)), "on a window over it");
        let modal = CanvasArea {
            blocked: true,
            ..area.clone()
        };
        assert!(!modal.owns(Vec2::new(200.0, 500.0)), "a question is open");
        assert!(
            CanvasArea::default().owns(Vec2::new(5.0, 5.0)),
            "no UI: the whole window"
        );
    }
}
