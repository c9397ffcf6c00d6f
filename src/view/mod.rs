//! What is drawn: the camera, the nodes and edges (lyon shapes), the requests as particles.
//! The view reads the simulation and never writes it.

mod blank;
mod camera;
mod particles;
mod plugin;
mod real_time;
mod shapes;

pub use blank::{check_area_not_blank, check_not_blank};
pub use camera::{CameraCues, CanvasArea, ViewCamera, ViewSystems, fit};
pub use particles::ParticleStats;
pub use plugin::ViewPlugin;
pub use real_time::RealTimeRatio;
pub use shapes::{
    LabelData, NodeShape, edge_curve, edge_points, label_text, node_colour, other_chaos,
};
