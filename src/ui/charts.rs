//! Charts over simulated time: p99, error rate, throughput, queue depth and hit rate, with
//! markers where chaos started (red) and stopped (green).

use bevy::prelude::*;
use bevy_egui::egui;

use crate::chaos::ChaosLog;
use crate::sim::{MetricsHistory, WindowRecord};

/// A chart: title, value of a window, unit.
type Series = (
    &'static str,
    Box<dyn Fn(&WindowRecord) -> f64>,
    &'static str,
);

/// Windows shown.
const SPAN: usize = 120;

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    let history = world.resource::<MetricsHistory>();
    let windows: &[WindowRecord] = &history.windows[history.windows.len().saturating_sub(SPAN)..];
    let log = world.resource::<ChaosLog>();
    let markers: Vec<(f64, bool)> = log
        .injections
        .iter()
        .flat_map(|i| std::iter::once((i.start_s, true)).chain(i.end_s.map(|e| (e, false))))
        .collect();
    let charts: [Series; 5] = [
        ("p99", Box::new(|w| w.latency.p99_ms), "ms"),
        ("error rate", Box::new(|w| w.error_rate * 100.0), "%"),
        ("throughput", Box::new(|w| w.throughput), "/s"),
        (
            "queued",
            Box::new(|w| w.nodes.values().map(|n| n.queue_depth).sum()),
            "",
        ),
        (
            "hit rate",
            Box::new(|w| {
                w.nodes
                    .values()
                    .filter_map(|n| n.hit_rate)
                    .next()
                    .unwrap_or(0.0)
                    * 100.0
            }),
            "%",
        ),
    ];
    ui.columns(charts.len(), |cols| {
        for (col, (title, f, unit)) in cols.iter_mut().zip(charts.iter()) {
            let values: Vec<(f64, f64)> = windows.iter().map(|w| (w.t_s, f(w))).collect();
            chart(col, title, unit, &values, &markers);
        }
    });
}

fn chart(
    ui: &mut egui::Ui,
    title: &str,
    unit: &str,
    values: &[(f64, f64)],
    markers: &[(f64, bool)],
) {
    let last = values.last().map_or(0.0, |v| v.1);
    ui.label(egui::RichText::new(format!("{title}: {last:.1}{unit}")).strong());
    let size = egui::vec2(
        ui.available_width(),
        (ui.available_height() - 4.0).max(60.0),
    );
    let (response, painter) = ui.allocate_painter(size, egui::Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, egui::Color32::from_rgb(24, 26, 32));
    let (Some(first), Some(end)) = (values.first(), values.last()) else {
        return;
    };
    let (t0, t1) = (first.0, end.0.max(first.0 + 1.0));
    let max = values.iter().map(|v| v.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    let x = |t: f64| rect.left() + ((t - t0) / (t1 - t0)) as f32 * rect.width();
    let y = |v: f64| rect.bottom() - (v / max) as f32 * rect.height();
    for &(t, start) in markers {
        if t >= t0 && t <= t1 {
            let colour = if start {
                egui::Color32::from_rgb(230, 70, 70)
            } else {
                egui::Color32::from_rgb(80, 200, 120)
            };
            painter.line_segment(
                [
                    egui::pos2(x(t), rect.top()),
                    egui::pos2(x(t), rect.bottom()),
                ],
                (1.5, colour),
            );
        }
    }
    let points: Vec<egui::Pos2> = values
        .iter()
        .map(|&(t, v)| egui::pos2(x(t), y(v)))
        .collect();
    painter.line(
        points,
        egui::Stroke::new(2.0, egui::Color32::from_rgb(120, 190, 255)),
    );
    painter.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!("{:.0}{unit}", max / 1.1),
        egui::FontId::monospace(11.0),
        egui::Color32::GRAY,
    );
}
