//! The view's plugin: lyon's shapes, then the camera, the drawings, the particles and the
//! real-time ratio.

use super::{camera, particles, real_time, shapes};
use bevy::prelude::*;

/// The canvas.
pub struct ViewPlugin;

impl Plugin for ViewPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(bevy_prototype_lyon::prelude::ShapePlugin)
            .add_plugins((
                camera::plugin,
                shapes::plugin,
                particles::plugin,
                real_time::plugin,
            ));
    }
}
