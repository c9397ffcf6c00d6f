//! The legend: what the colours and marks on the canvas mean, in a small window at the
//! canvas's bottom left that opens and closes with a click on its title.

use bevy_egui::egui;

/// Each mark: its colour and what it means.
const ENTRIES: [(egui::Color32, &str); 10] = [
    (
        egui::Color32::from_rgb(51, 158, 77),
        "node: idle (fill goes amber, then red, as it gets busier or fails)",
    ),
    (
        egui::Color32::from_rgb(242, 158, 51),
        "node: busy (over 60% of its servers in use)",
    ),
    (
        egui::Color32::from_rgb(242, 43, 38),
        "node: saturated or failing",
    ),
    (egui::Color32::from_rgb(64, 64, 71), "node: down"),
    (
        egui::Color32::from_rgb(89, 255, 140),
        "dot: a call on its way",
    ),
    (egui::Color32::from_rgb(255, 178, 26), "dot: a retry"),
    (
        egui::Color32::from_rgb(255, 51, 51),
        "dot: an error going back to the caller",
    ),
    (
        egui::Color32::from_rgb(242, 89, 217),
        "edge: chaos on it; badge: chaos on the node",
    ),
    (
        egui::Color32::from_rgb(140, 140, 166),
        "edge: thicker with more calls, redder with more errors",
    ),
    (
        egui::Color32::from_rgb(255, 95, 95),
        "dashed: not running yet (see its note)",
    ),
];

pub(super) fn show(ctx: &egui::Context, canvas: egui::Rect) {
    if !canvas.is_positive() {
        return;
    }
    egui::Window::new("Legend")
        .id(egui::Id::new("legend"))
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(canvas.left_bottom() + egui::vec2(8.0, -8.0))
        .collapsible(true)
        .default_open(false)
        .resizable(false)
        .show(ctx, |ui| {
            for (colour, text) in ENTRIES {
                ui.horizontal(|ui| {
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().circle_filled(rect.center(), 5.5, colour);
                    ui.small(text);
                });
            }
            ui.small("Labels: id; servers and how busy; calls queued. Numbers are per second of simulated time.");
        });
}
