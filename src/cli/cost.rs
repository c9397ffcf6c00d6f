//! `blastradius cost`: the monthly AWS estimate of a blueprint at 1x, 2x, 5x and 10x its
//! rate, by node and by line item, with the fastest-growing item and where the curve bends.

use std::fmt::Write as _;
use std::io::Write as _;

use super::args::CostArgs;
use super::format::money;
use crate::blueprint::resolve;
use crate::cost::format::{multiple_name, thousands};
use crate::cost::{Estimate, EstimateConfig, LineItem, estimate};
use crate::pricing::PriceTable;

/// Runs the command: estimates, writes the JSON if asked, prints the table.
pub(super) fn cost(args: &CostArgs) -> Result<(), String> {
    let mut blueprint = resolve(&args.blueprint).map_err(|e| e.to_string())?;
    if let Some(rps) = args.rps {
        blueprint.set_total_rps(rps);
    }
    let table = PriceTable::aws_us_east_1();
    let config = EstimateConfig::default();
    let result = estimate(&blueprint, table, &config, |multiple, run| {
        eprint!(
            "\r  simulating {} for {:.0} s (run {run})   ",
            multiple_name(multiple),
            config.duration_s
        );
        let _ = std::io::stderr().flush();
    });
    eprint!("\r{:60}\r", "");
    let estimate = result?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&estimate).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("--json: cannot write {}: {e}", path.display()))?;
    }
    print!("{}", report(&estimate));
    Ok(())
}

/// The estimate as text.
fn report(e: &Estimate) -> String {
    let mut out = String::new();
    let columns: Vec<String> = e.points.iter().map(|p| multiple_name(p.multiple)).collect();
    let _ = writeln!(
        out,
        "{}: monthly AWS cost at {} of {} RPS ({})",
        e.blueprint,
        columns.join(", "),
        thousands(e.base_rps),
        e.region
    );
    let _ = writeln!(out, "{} Prices as of {}.", e.disclaimer, e.prices_as_of);
    let width = e
        .points
        .first()
        .map_or(0, |p| {
            p.nodes
                .iter()
                .map(|n| n.id.len() + n.service.len())
                .max()
                .unwrap_or(0)
        })
        .max(24)
        + 3;
    let row = |out: &mut String, label: &str, cells: Vec<String>| {
        let _ = write!(out, "{label:<width$}");
        for cell in cells {
            let _ = write!(out, "{cell:>12}");
        }
        out.push('\n');
    };
    out.push('\n');
    row(&mut out, "", columns.clone());
    row(
        &mut out,
        "RPS",
        e.points.iter().map(|p| thousands(p.rps)).collect(),
    );
    row(
        &mut out,
        "requests a month (M)",
        e.points
            .iter()
            .map(|p| thousands(p.requests_per_month / 1e6))
            .collect(),
    );
    out.push_str("by node, $ a month\n");
    if let Some(first) = e.points.first() {
        for node in &first.nodes {
            row(
                &mut out,
                &format!("  {} ({})", node.id, node.service),
                e.points
                    .iter()
                    .map(|p| {
                        p.nodes
                            .iter()
                            .find(|n| n.id == node.id)
                            .map_or("-".into(), |n| money(n.usd_per_month))
                    })
                    .collect(),
            );
        }
    }
    out.push_str("by line item, $ a month\n");
    for item in LineItem::ALL {
        row(
            &mut out,
            &format!("  {}", item.name()),
            e.points
                .iter()
                .map(|p| money(p.item_usd_per_month(item)))
                .collect(),
        );
    }
    row(
        &mut out,
        "total, $ a month",
        e.points.iter().map(|p| money(p.usd_per_month)).collect(),
    );
    row(
        &mut out,
        "$ per million requests",
        e.points
            .iter()
            .map(|p| format!("{:.2}", p.usd_per_million_requests))
            .collect(),
    );
    row(
        &mut out,
        "simulated errors",
        e.points
            .iter()
            .map(|p| format!("{:.2}%", p.error_rate * 100.0))
            .collect(),
    );
    row(
        &mut out,
        "simulated runs to size",
        e.points.iter().map(|p| p.runs.to_string()).collect(),
    );
    out.push_str("\nsizes at each multiple\n");
    if let Some(first) = e.points.first() {
        for node in &first.nodes {
            let sizes: Vec<String> = e
                .points
                .iter()
                .filter_map(|p| p.nodes.iter().find(|n| n.id == node.id))
                .map(|n| n.size.clone())
                .collect();
            let _ = writeln!(out, "  {:<10} {}", node.id, sizes.join(" | "));
        }
    }
    out.push('\n');
    for finding in &e.findings {
        let _ = writeln!(out, "{finding}");
    }
    out.push_str("\nassumptions:\n");
    for assumption in &e.assumptions {
        let _ = writeln!(out, "  - {assumption}");
    }
    out
}
