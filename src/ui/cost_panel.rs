//! The cost panel: the AWS monthly estimate of the design at the traffic it is simulating
//! now, recomputed every 3 seconds from the last 10 s of traffic (it says so), and at once
//! when another blueprint is shown; while the traffic is catching up with a new RPS, it says
//! it is recomputing.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::cost::{DISCLAIMER, EstimateConfig, LineItem, Point, price_run};
use crate::editor::Showing;
use crate::pricing::PriceTable;
use crate::run::Summary;
use crate::sim::MetricsHistory;

/// Windows the estimate averages over.
const RECENT: usize = 10;

/// Real seconds between estimates.
const EVERY_S: f64 = 3.0;

/// The last estimate, when it was made (wall seconds), and for which blueprint.
#[derive(Resource, Default)]
pub(super) struct CostCache {
    at_s: f64,
    point: Option<Result<Point, String>>,
    blueprint: Option<crate::blueprint::Blueprint>,
}

pub(super) fn show(ui: &mut egui::Ui, world: &mut World) {
    ui.heading("Cost (AWS, per month)");
    let now = world.resource::<Time<Real>>().elapsed_secs_f64();
    let showing = world.get_resource::<Showing>().map(|s| s.blueprint.clone());
    let other_blueprint = world
        .get_resource::<CostCache>()
        .is_some_and(|c| c.blueprint != showing);
    let stale = other_blueprint
        || world
            .get_resource::<CostCache>()
            .is_none_or(|c| c.point.is_none() || now - c.at_s > EVERY_S);
    if stale {
        let point = estimate_now(world);
        world.insert_resource(CostCache {
            at_s: now,
            point,
            blueprint: showing,
        });
    }
    // The traffic asked for: the RPS control's, else the blueprint's.
    let asked = world.resource::<crate::editor::Editor>().rps.or_else(|| {
        world
            .get_resource::<Showing>()
            .map(|s| s.blueprint.total_rps())
    });
    match world
        .get_resource::<CostCache>()
        .and_then(|c| c.point.clone())
    {
        Some(Ok(p)) => {
            ui.label(
                egui::RichText::new(format!(
                    "${:.0} a month at {:.0} RPS",
                    p.usd_per_month, p.rps
                ))
                .strong()
                .size(18.0),
            );
            if let Some(asked) = asked
                && (asked - p.rps).abs() > 0.05 * asked.max(1.0)
            {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 190, 120),
                    format!("recomputing for {asked:.0} RPS as the traffic catches up"),
                );
            }
            ui.small(format!(
                "${:.2} per million requests; from the last {RECENT} s of traffic, \
                 recomputed every {EVERY_S:.0} s",
                p.usd_per_million_requests
            ));
            egui::Grid::new("cost_items").num_columns(2).show(ui, |ui| {
                for item in LineItem::ALL {
                    ui.label(item.name());
                    ui.monospace(format!(
                        "${:.0}",
                        p.by_item.get(&item).copied().unwrap_or(0.0)
                    ));
                    ui.end_row();
                }
                ui.separator();
                ui.end_row();
                for n in p.nodes.iter().take(8) {
                    ui.label(format!("{} ({})", n.id, n.size));
                    ui.monospace(format!("${:.0}", n.usd_per_month));
                    ui.end_row();
                }
            });
            let table = PriceTable::aws_us_east_1();
            ui.small(format!("{DISCLAIMER} Prices as of {}.", table.as_of));
        }
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 120), e);
        }
        None => {
            ui.small("computing: waiting for the first second of traffic");
        }
    }
}

/// Prices the last windows' traffic.
fn estimate_now(world: &World) -> Option<Result<Point, String>> {
    let showing = world.get_resource::<Showing>()?;
    let history = world.resource::<MetricsHistory>();
    if history.windows.is_empty() {
        return None;
    }
    let recent = MetricsHistory {
        windows: history.windows[history.windows.len().saturating_sub(RECENT)..].to_vec(),
        steady_from_ns: 0,
        steady_until_ns: u64::MAX,
        ..MetricsHistory::new(history.window_ns, 0, u64::MAX)
    };
    let summary = Summary::of(&recent, 0);
    Some(price_run(
        &showing.blueprint,
        &summary,
        PriceTable::aws_us_east_1(),
        &EstimateConfig::default(),
    ))
}
