//! The egui overlays: the top bar (run controls and live numbers), the side panel (inspector,
//! chaos and cost), the charts along the bottom, and the blueprint gallery. Panels are laid out in
//! one pass because their order decides their space: top, then right, then bottom.

mod canvas_view;
mod chaos_panel;
mod charts;
mod cost_panel;
mod gallery;
mod inspector;
mod layout;
mod legend;
mod overlay;
mod palette;
mod prompt;
mod state;
mod top_bar;

pub use canvas_view::CanvasView;
pub use layout::UiPlugin;
pub use state::{Canvas, KeyButtons, UiState};
pub use top_bar::ShareLink;
