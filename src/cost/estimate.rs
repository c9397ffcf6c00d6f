//! The estimate: each node mapped to an AWS service and size, priced from simulated traffic
//! at several multiples of the blueprint's rate, and the shape of the resulting curve.
//!
//! At each multiple the blueprint runs headless. A node whose simulated utilization (counting
//! the calls it could not take) is above the target gets more capacity and the run is
//! repeated, so the traffic priced is the traffic of a system sized to carry it. Sizes never
//! fall below what the blueprint says. Requests and bytes come from the simulated rates;
//! what a CDN or a cache absorbs is what its simulated hits took off the path behind it.

use std::collections::BTreeSet;

use super::aggregate::price;
use super::assumptions::assumptions;
use super::config::EstimateConfig;
use super::curve::{bend, fastest_item};
use super::findings::findings;
use super::report::{DISCLAIMER, Estimate, Point};
use super::sizing::{capacity_of, resize};
use crate::blueprint::{Blueprint, check_cost};
use crate::pricing::PriceTable;
use crate::run::{HeadlessRun, RunConfig, Summary};

/// Prices `blueprint` at every multiple in `config`, simulating each (and re-simulating with
/// more capacity where a node runs above the target). `progress` is told (multiple, run).
pub fn estimate(
    blueprint: &Blueprint,
    table: &PriceTable,
    config: &EstimateConfig,
    mut progress: impl FnMut(f64, u32),
) -> Result<Estimate, String> {
    check_specs(blueprint, table)?;
    if !(config.target_utilization > 0.0 && config.target_utilization <= 1.0) {
        return Err("the target utilization must be in (0, 1]".into());
    }
    if config.multiples.is_empty()
        || config
            .multiples
            .iter()
            .any(|m| !(m.is_finite() && *m > 0.0))
        || config.multiples.windows(2).any(|w| w[1] <= w[0])
    {
        return Err("the multiples must be positive and in ascending order".into());
    }
    let base_rps = blueprint.total_rps();
    let floors = capacity_of(blueprint);
    let mut points = Vec::new();
    // Each multiple starts from the sizes the one before it needed: they only grow with
    // traffic, and it saves runs. Pricing still goes down to what this traffic needs.
    let mut sized = blueprint.clone();
    for &multiple in &config.multiples {
        sized.set_total_rps(base_rps * multiple);
        let mut runs = 0;
        let mut pools_grown = BTreeSet::new();
        let summary = loop {
            runs += 1;
            progress(multiple, runs);
            let summary = simulate(&sized, config)?;
            let resize = resize(&sized, &summary, table, config);
            if resize.is_empty() || runs >= config.max_runs {
                break summary;
            }
            pools_grown.extend(resize.pools.keys().cloned());
            resize.apply(&mut sized);
        };
        let mut point = price(&sized, &floors, &summary, table, config, multiple)?;
        point.runs = runs;
        point.pools_grown = pools_grown.into_iter().collect();
        points.push(point);
    }
    let fastest_item = fastest_item(&points);
    let bend = bend(&points, table);
    let findings = findings(
        blueprint,
        &points,
        fastest_item.as_ref(),
        bend.as_ref(),
        table,
    );
    Ok(Estimate {
        blueprint: blueprint.name.clone(),
        region: table.region.clone(),
        prices_as_of: table.as_of.clone(),
        disclaimer: DISCLAIMER.into(),
        base_rps,
        duration_s: config.duration_s,
        seed: config.seed,
        target_utilization: config.target_utilization,
        points,
        fastest_item,
        bend,
        findings,
        assumptions: assumptions(table, config),
    })
}

/// Prices one simulated run of `blueprint` as it stands (its sizes are the floor), without
/// simulating: the summary may come from a run or be written by hand.
pub fn price_run(
    blueprint: &Blueprint,
    summary: &Summary,
    table: &PriceTable,
    config: &EstimateConfig,
) -> Result<Point, String> {
    check_specs(blueprint, table)?;
    price(
        blueprint,
        &capacity_of(blueprint),
        summary,
        table,
        config,
        1.0,
    )
}

fn check_specs(blueprint: &Blueprint, table: &PriceTable) -> Result<(), String> {
    for node in &blueprint.nodes {
        if let Some(spec) = &node.cost {
            check_cost(spec, &node.kind, table)
                .map_err(|e| format!("node \"{}\": {e}", node.id))?;
        }
    }
    Ok(())
}

fn simulate(blueprint: &Blueprint, config: &EstimateConfig) -> Result<Summary, String> {
    let mut sim = HeadlessRun::new(blueprint, RunConfig::new(config.seed, config.duration_s))?;
    sim.run(|_, _| {});
    Ok(sim.summary())
}
