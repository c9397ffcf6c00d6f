//! Between the screen and the world: the canvas camera converts points both ways.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::view::ViewCamera;

/// The canvas camera, to convert between screen points and world positions.
pub struct CanvasView {
    camera: Camera,
    transform: GlobalTransform,
}

impl CanvasView {
    /// The canvas camera as it is now.
    pub fn of(world: &mut World) -> Option<Self> {
        let (camera, transform) = world
            .query_filtered::<(&Camera, &GlobalTransform), With<ViewCamera>>()
            .single(world)
            .ok()?;
        Some(CanvasView {
            camera: camera.clone(),
            transform: *transform,
        })
    }

    /// Where world position `p` is on the screen.
    pub fn to_screen(&self, p: Vec2) -> Option<egui::Pos2> {
        let s = self
            .camera
            .world_to_viewport(&self.transform, p.extend(0.0))
            .ok()?;
        Some(egui::pos2(s.x, s.y))
    }

    /// The world position under screen point `p`.
    pub fn to_world(&self, p: Vec2) -> Option<Vec2> {
        self.camera.viewport_to_world_2d(&self.transform, p).ok()
    }

    /// Screen points per world unit at the current zoom.
    pub fn pixels_per_unit(&self) -> f32 {
        match (self.to_screen(Vec2::ZERO), self.to_screen(Vec2::X)) {
            (Some(a), Some(b)) => (b - a).length(),
            _ => 1.0,
        }
    }
}
