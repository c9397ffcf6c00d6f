//! Charts over simulated time (egui_plot): latency (p50, p95, p99), error rate, throughput
//! (offered and answered), queued calls and cache hit rate, each with a time axis in seconds,
//! ticks in its unit and a readout under the pointer; chaos markers labelled with their kind;
//! a click shows a chart large. The charts keep the history of earlier runs when an edit
//! reloads the simulation, with an "edited here" marker where it happened.

use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Legend, Line, Plot, PlotPoint, Text, VLine};

use super::state::UiState;
use crate::chaos::ChaosLog;
use crate::sim::{MetricsHistory, WindowRecord};

/// Windows kept (an hour of one-second windows).
const KEEP: usize = 3600;
/// Seconds shown in the strip (the large view shows everything kept).
const SPAN_S: f64 = 120.0;

/// The run as the charts show it: every window since the app started, on one time axis
/// across reloads, and the marks to draw on it.
#[derive(Resource, Default, Debug, Clone)]
pub struct Timeline {
    /// Windows, their times moved onto the timeline.
    pub windows: Vec<WindowRecord>,
    /// Where the current run's t = 0 is on the timeline.
    pub offset_s: f64,
    /// Windows of the current run already taken.
    taken: usize,
    /// Reloads so far (the current run's number).
    run: u32,
    /// Marks: time on the timeline, label, and whether it is chaos starting (else an end or
    /// an edit), by (run, injection id) so a run's marks are updated, not repeated.
    pub marks: std::collections::BTreeMap<(u32, u32, bool), (f64, String)>,
}

impl Timeline {
    /// Takes the windows closed since the last call. When the run was reloaded (fewer windows
    /// than taken), the new run continues the timeline after a mark saying `why`.
    pub fn follow(&mut self, windows: &[WindowRecord], log: &ChaosLog, why: &str) {
        if windows.len() < self.taken {
            self.offset_s = self.windows.last().map_or(self.offset_s, |w| w.t_s);
            self.taken = 0;
            self.run += 1;
            self.marks
                .insert((self.run, 0, false), (self.offset_s, why.to_string()));
        }
        for w in &windows[self.taken..] {
            let mut w = w.clone();
            w.t_s += self.offset_s;
            self.windows.push(w);
        }
        self.taken = windows.len();
        if self.windows.len() > KEEP {
            self.windows.drain(..self.windows.len() - KEEP);
        }
        for i in &log.injections {
            self.marks.insert(
                (self.run, i.id, true),
                (i.start_s + self.offset_s, i.name.to_string()),
            );
            if let Some(end) = i.end_s {
                self.marks.insert(
                    (self.run, i.id, false),
                    (end + self.offset_s, format!("{} ends", i.name)),
                );
            }
        }
    }
}

/// A line of a chart: its name, its value in a window, its colour.
type Series = (&'static str, fn(&WindowRecord) -> f64, egui::Color32);

/// One chart: its title, unit, and lines.
struct Chart {
    title: &'static str,
    unit: &'static str,
    lines: Vec<Series>,
}

fn series(name: &'static str, f: fn(&WindowRecord) -> f64, colour: egui::Color32) -> Series {
    (name, f, colour)
}

fn charts() -> Vec<Chart> {
    const BLUE: egui::Color32 = egui::Color32::from_rgb(120, 190, 255);
    const AMBER: egui::Color32 = egui::Color32::from_rgb(255, 190, 90);
    const RED: egui::Color32 = egui::Color32::from_rgb(255, 110, 110);
    const GREY: egui::Color32 = egui::Color32::from_rgb(150, 155, 165);
    vec![
        Chart {
            title: "latency",
            unit: "ms",
            lines: vec![
                series("p50", |w| w.latency.p50_ms, BLUE),
                series("p95", |w| w.latency.p95_ms, AMBER),
                series("p99", |w| w.latency.p99_ms, RED),
            ],
        },
        Chart {
            title: "errors",
            unit: "%",
            lines: vec![series("error rate", |w| w.error_rate * 100.0, RED)],
        },
        Chart {
            title: "throughput",
            unit: "/s",
            lines: vec![
                series("offered", offered_per_s, GREY),
                series("answered", |w| w.throughput, BLUE),
            ],
        },
        Chart {
            title: "queued",
            unit: " calls",
            lines: vec![series(
                "waiting, all nodes",
                |w| w.nodes.values().map(|n| n.queue_depth).sum(),
                AMBER,
            )],
        },
        Chart {
            title: "cache hit rate",
            unit: "%",
            lines: vec![series(
                "hit rate",
                |w| w.nodes.values().find_map(|n| n.hit_rate).unwrap_or(0.0) * 100.0,
                BLUE,
            )],
        },
    ]
}

/// Requests offered per second in a window (emitted by the sources).
fn offered_per_s(w: &WindowRecord) -> f64 {
    // Windows are a second long in the app; the sources' rate is what they emitted.
    w.arrivals as f64
}

pub(super) fn follow(world: &mut World) {
    let why = world
        .get_resource::<crate::blueprint::Document>()
        .and_then(|d| d.undo_label().map(|l| format!("edited here ({l})")))
        .unwrap_or_else(|| "edited here".into());
    world.resource_scope(|world, mut timeline: Mut<Timeline>| {
        timeline.follow(
            &world.resource::<MetricsHistory>().windows,
            world.resource::<ChaosLog>(),
            &why,
        );
    });
}

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    let timeline = world.resource::<Timeline>();
    let end_s = timeline.windows.last().map_or(0.0, |w| w.t_s);
    let from = timeline.windows.partition_point(|w| w.t_s < end_s - SPAN_S);
    let windows = &timeline.windows[from..];
    let marks: Vec<(f64, String, bool)> = timeline
        .marks
        .iter()
        .map(|((_, _, start), (t, label))| (*t, label.clone(), *start))
        .collect();
    let mut zoom = None;
    let all = charts();
    // The strip keeps the size the panel gives it (content smaller than the panel would
    // shrink the panel a little every frame).
    ui.set_min_height(ui.available_height());
    let height = (ui.available_height() - 26.0).max(60.0);
    ui.columns(all.len(), |cols| {
        for (col, chart) in cols.iter_mut().zip(&all) {
            let now = chart
                .lines
                .last()
                .and_then(|(_, f, _)| windows.last().map(f));
            let peak = windows
                .iter()
                .map(chart.lines.last().expect("a chart has a line").1)
                .fold(0.0, f64::max);
            col.add(
                egui::Label::new(
                    egui::RichText::new(format!(
                        "{}: {} now, peak {}",
                        chart.title,
                        now.map_or("-".into(), |v| value(v, chart.unit)),
                        value(peak, chart.unit)
                    ))
                    .strong(),
                )
                .truncate(),
            );
            let response = plot(col, chart, windows, &marks, height, false);
            if response.clicked() {
                zoom = Some(chart.title);
            }
        }
    });
    if zoom.is_some() {
        world.resource_mut::<UiState>().chart_zoom = zoom;
    }
}

/// The chart shown large, in a window, over everything kept.
pub(super) fn large(ctx: &egui::Context, world: &mut World) {
    let Some(title) = world.resource::<UiState>().chart_zoom else {
        return;
    };
    let Some(chart) = charts().into_iter().find(|c| c.title == title) else {
        return;
    };
    let timeline = world.resource::<Timeline>();
    let marks: Vec<(f64, String, bool)> = timeline
        .marks
        .iter()
        .map(|((_, _, start), (t, label))| (*t, label.clone(), *start))
        .collect();
    let mut open = true;
    let screen = ctx.content_rect();
    egui::Window::new(format!(
        "{title} (scroll to zoom, drag to pan, double-click to reset)"
    ))
    .open(&mut open)
    .default_size(screen.size() * egui::vec2(0.7, 0.6))
    .show(ctx, |ui| {
        let h = ui.available_height().max(200.0);
        plot(ui, &chart, &timeline.windows, &marks, h, true);
    });
    if !open {
        world.resource_mut::<UiState>().chart_zoom = None;
    }
}

/// A value with its unit, short ("1.2k/s", "35.0 ms", "4.1%").
fn value(v: f64, unit: &str) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.1}k{unit}", v / 1000.0)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}{unit}")
    } else if v.abs() >= 1.0 || v == 0.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

fn plot(
    ui: &mut egui::Ui,
    chart: &Chart,
    windows: &[WindowRecord],
    marks: &[(f64, String, bool)],
    height: f32,
    large: bool,
) -> egui::Response {
    let unit = chart.unit;
    let (t0, t1) = (
        windows.first().map_or(0.0, |w| w.t_s - 1.0),
        windows.last().map_or(1.0, |w| w.t_s),
    );
    let top = windows
        .iter()
        .flat_map(|w| chart.lines.iter().map(move |(_, f, _)| f(w)))
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.15;
    let response = Plot::new(("chart", chart.title, large))
        .height(height)
        .include_y(0.0)
        .include_y(top)
        .allow_drag(large)
        .allow_zoom(large)
        .allow_scroll(large)
        .allow_boxed_zoom(large)
        .show_grid(true)
        .x_axis_formatter(|mark, _| format!("{:.0} s", mark.value))
        .y_axis_formatter(move |mark, _| value(mark.value, unit))
        .label_formatter(move |hover| {
            let (name, p) = match hover {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", position),
            };
            let name = if name.is_empty() { "" } else { name };
            Some(format!("t = {:.1} s\n{name} {}", p.x, value(p.y, unit)))
        })
        .sense(egui::Sense::click());
    // The strip's charts are small: their lines are named in the readout under the pointer;
    // the large view has a legend.
    let response = if large {
        response.legend(Legend::default().position(egui_plot::Corner::LeftTop))
    } else {
        response
    };
    let response = response
        .show(ui, |plot| {
            for &(name, f, colour) in &chart.lines {
                let points: Vec<[f64; 2]> = windows.iter().map(|w| [w.t_s, f(w)]).collect();
                plot.line(Line::new(name, points).color(colour).width(2.0));
            }
            for (t, label, start) in marks {
                if *t < t0 || *t > t1 {
                    continue;
                }
                let colour = if !start && label.starts_with("edited") {
                    egui::Color32::from_rgb(170, 170, 255)
                } else if *start {
                    egui::Color32::from_rgb(230, 70, 70)
                } else {
                    egui::Color32::from_rgb(80, 200, 120)
                };
                plot.add(VLine::new(label.clone(), *t).color(colour).width(1.5));
                if *start || label.starts_with("edited") {
                    plot.text(
                        Text::new(label.clone(), PlotPoint::new(*t, top), label.clone())
                            .color(colour)
                            .anchor(egui::Align2::LEFT_TOP),
                    );
                }
            }
        })
        .response;
    response.on_hover_text_at_pointer("click for a larger view")
}

#[cfg(test)]
mod tests {
    use super::Timeline;
    use crate::chaos::{ChaosLog, InjectionRecord};
    use crate::sim::WindowRecord;

    fn windows(n: usize) -> Vec<WindowRecord> {
        (1..=n)
            .map(|i| WindowRecord {
                t_s: i as f64,
                arrivals: 100,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn a_reload_continues_the_charts_after_an_edited_here_mark() {
        let mut timeline = Timeline::default();
        let mut log = ChaosLog::default();
        log.injections.push(InjectionRecord {
            id: 1,
            name: "cache-stampede",
            target: "cache".into(),
            start_s: 3.0,
            end_s: None,
        });
        let run = windows(5);
        timeline.follow(&run[..3], &log, "edited here");
        timeline.follow(&run, &log, "edited here");
        assert_eq!(timeline.windows.len(), 5);
        // The edit reloads: the new run starts again at t = 0 with no chaos.
        timeline.follow(&windows(2), &ChaosLog::default(), "edited here (servers)");
        let times: Vec<f64> = timeline.windows.iter().map(|w| w.t_s).collect();
        assert_eq!(times, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], "one time axis");
        let marks: Vec<(f64, &str)> = timeline
            .marks
            .values()
            .map(|(t, l)| (*t, l.as_str()))
            .collect();
        assert!(marks.contains(&(3.0, "cache-stampede")), "{marks:?}");
        assert!(marks.contains(&(5.0, "edited here (servers)")), "{marks:?}");
    }
}
