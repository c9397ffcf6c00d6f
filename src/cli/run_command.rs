//! `blastradius run`: a headless run with a readable summary, JSON and CSV output, and (with
//! `--report`) a narration of the incident.

use std::fmt::Write as _;

use serde::Serialize;

use super::args::RunArgs;
use super::outcome::simulate;
use crate::blueprint::resolve;
use crate::run::{RunConfig, Summary};
use crate::scenario::{Scenario, parse_chaos_flag};
use crate::sim::{NS_PER_S, WindowRecord, ns_to_s};

/// What `--json` writes: simulated results only, so the same seed gives the same bytes.
#[derive(Serialize)]
struct RunReport<'a> {
    blueprint: &'a str,
    seed: u64,
    rps: f64,
    duration_s: f64,
    events_processed: u64,
    drained_at_s: f64,
    windows: &'a [WindowRecord],
    summary: &'a Summary,
}

/// Runs the command: resolves the blueprint, the scenario and the injections, simulates, and
/// writes what was asked for.
pub(super) fn run(args: &RunArgs) -> Result<(), String> {
    let mut blueprint = resolve(&args.blueprint).map_err(|e| e.to_string())?;
    let (mut rps, mut duration_s) = (args.rps, args.duration_s);
    let scenario = match &args.scenario {
        Some(name) => Some(Scenario::resolve(name).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut injections = args
        .chaos
        .iter()
        .map(|spec| parse_chaos_flag(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let quiet = args.quiet;
    if let Some(s) = &scenario {
        injections.extend(s.timeline.iter().cloned());
        duration_s = duration_s.or(Some(s.duration_s));
        rps = rps.or(s.rps);
    }
    if let Some(rps) = rps {
        blueprint.set_total_rps(rps);
    }
    let mut config = RunConfig::new(args.seed, duration_s.unwrap_or(60.0));
    if let Some(w) = args.window_s {
        config.window_ns = (w * NS_PER_S as f64).round() as u64;
    }
    if let Some(w) = args.warmup_s {
        config.warmup_ns = (w * NS_PER_S as f64).round() as u64;
    }
    if config.warmup_ns >= config.duration_ns {
        return Err("--warmup must be shorter than --duration".into());
    }
    if config.window_ns == 0 || config.window_ns > config.duration_ns {
        return Err("--window must be > 0 and not longer than --duration".into());
    }
    let mitigation =
        match (&args.compare_mitigation, &scenario) {
            (Some(name), Some(s)) => Some(s.mitigation(name)?.clone()),
            (Some(_), None) => return Err(
                "--compare-mitigation needs --scenario (mitigations come from the scenario file)"
                    .into(),
            ),
            _ => None,
        };
    let total_rps = blueprint.total_rps();
    let outcome = simulate(&blueprint, &config, &injections, quiet)?;
    let report_data = RunReport {
        blueprint: &blueprint.name,
        seed: config.seed,
        rps: total_rps,
        duration_s: ns_to_s(config.duration_ns),
        events_processed: outcome.events,
        drained_at_s: ns_to_s(outcome.drained_at_ns),
        windows: &outcome.history.windows,
        summary: &outcome.summary,
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report_data).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("--json: cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, csv_text(report_data.windows))
            .map_err(|e| format!("--csv: cannot write {}: {e}", path.display()))?;
    }
    print!("{}", summary_text(&report_data));
    let compared = match &mitigation {
        Some(m) => {
            let (mut bp, mut timeline) = (blueprint.clone(), injections.clone());
            m.apply(&mut bp, &mut timeline);
            if !quiet {
                eprintln!("  running again with mitigation \"{}\"", m.name);
            }
            Some((m, simulate(&bp, &config, &timeline, quiet)?))
        }
        None => None,
    };
    if let Some(path) = &args.report {
        let text = super::report::narrate(
            &blueprint,
            total_rps,
            &config,
            scenario.as_ref(),
            &outcome,
            compared.as_ref().map(|(m, o)| (*m, o)),
        );
        std::fs::write(path, text)
            .map_err(|e| format!("--report: cannot write {}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    } else if let Some((m, o)) = &compared {
        println!(
            "with mitigation \"{}\": errors {:.3}%, p99 {:.1} ms (without: {:.3}%, {:.1} ms)",
            m.name,
            o.summary.error_rate * 100.0,
            o.summary.latency.p99_ms,
            outcome.summary.error_rate * 100.0,
            outcome.summary.latency.p99_ms
        );
    }
    println!(
        "metrics digest {:#018x} (same seed, same digest, native or WASM)",
        crate::run::metrics_digest(&outcome.history)
    );
    println!(
        "wall time {:.2} s: {:.1}x real time, {:.2} M events/s",
        outcome.wall_s,
        report_data.duration_s / outcome.wall_s,
        outcome.events as f64 / outcome.wall_s / 1e6
    );
    Ok(())
}

fn summary_text(r: &RunReport) -> String {
    let s = r.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} at {:.0} RPS for {:.0} s, seed {}",
        r.blueprint, r.rps, r.duration_s, r.seed
    );
    let _ = writeln!(
        out,
        "steady state ({:.0}-{:.0} s): throughput {:.0}/s, errors {:.3}%, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        s.steady_from_s,
        s.steady_until_s,
        s.throughput,
        s.error_rate * 100.0,
        s.latency.p50_ms,
        s.latency.p95_ms,
        s.latency.p99_ms,
        s.latency.max_ms
    );
    if !s.errors.is_empty() {
        let causes: Vec<String> = s.errors.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(out, "errors by cause: {}", causes.join(", "));
    }
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>6} {:>8} {:>8} {:>6} {:>8} {:>9} {:>9} {:>7}",
        "node", "rate/s", "err%", "p50 ms", "p99 ms", "util", "queue", "in flight", "pool", "hit"
    );
    for (id, n) in &s.nodes {
        let pool = if n.pool_size > 0 {
            format!("{:.1}/{}", n.pool_in_use, n.pool_size)
        } else {
            "-".into()
        };
        let hit = n
            .hit_rate
            .map_or("-".to_string(), |h| format!("{:.1}%", h * 100.0));
        let _ = writeln!(
            out,
            "{:<16} {:>9.0} {:>6.2} {:>8.2} {:>8.2} {:>5.0}% {:>8.1} {:>9.1} {:>9} {:>7}",
            id,
            n.arrival_rate,
            n.error_rate * 100.0,
            n.latency.p50_ms,
            n.latency.p99_ms,
            n.utilization * 100.0,
            n.queue_depth,
            n.in_flight,
            pool,
            hit
        );
        if let Some(lag) = n.replication_lag_ms {
            let _ = writeln!(out, "{:<16} replication lag up to {lag:.1} ms", "");
        }
        if let Some(lag) = n.consumer_lag_ms {
            let _ = writeln!(out, "{:<16} consumer lag up to {lag:.1} ms", "");
        }
    }
    let _ = writeln!(
        out,
        "{} events; traffic stopped at {:.0} s and the last call drained at {:.2} s ({} left in flight)",
        r.events_processed, r.duration_s, r.drained_at_s, s.in_flight_calls
    );
    out
}

fn csv_text(windows: &[WindowRecord]) -> String {
    let mut out = String::from(
        "t_s,arrivals,throughput,error_rate,p50_ms,p95_ms,p99_ms,max_ms,in_flight_calls",
    );
    let ids: Vec<&String> = windows
        .first()
        .map(|w| w.nodes.keys().collect())
        .unwrap_or_default();
    for id in &ids {
        let _ = write!(
            out,
            ",{id}.utilization,{id}.queue_depth,{id}.in_flight,{id}.p99_ms,{id}.error_rate"
        );
    }
    out.push('\n');
    for w in windows {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            w.t_s,
            w.arrivals,
            w.throughput,
            w.error_rate,
            w.latency.p50_ms,
            w.latency.p95_ms,
            w.latency.p99_ms,
            w.latency.max_ms,
            w.in_flight_calls
        );
        for id in &ids {
            let n = &w.nodes[*id];
            let _ = write!(
                out,
                ",{},{},{},{},{}",
                n.utilization, n.queue_depth, n.in_flight, n.latency.p99_ms, n.error_rate
            );
        }
        out.push('\n');
    }
    out
}
