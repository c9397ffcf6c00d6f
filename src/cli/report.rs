//! `--report FILE.md`: the narration an interviewer wants, with this run's numbers: the
//! steady state, what was injected where, the cascade in the order the metrics moved, the
//! peaks, the dominant error cause, the recovery, and the mitigations (measured, when
//! `--compare-mitigation` ran the same injection against the improved design).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::outcome::Outcome;
use crate::analysis::{incident, means};
use crate::blueprint::Blueprint;
use crate::run::RunConfig;
use crate::scenario::{Mitigation, Scenario};
use crate::sim::ns_to_s;

fn dominant(errors: &BTreeMap<String, u64>) -> Option<(&String, u64, f64)> {
    let total: u64 = errors.values().sum();
    errors
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, n)| (c, *n, *n as f64 / total.max(1) as f64))
}

fn recovery_text(r: Option<f64>) -> String {
    match r {
        Some(s) if s < 1.0 => "under a second".into(),
        Some(s) if s < 120.0 => format!("{s:.0} s"),
        Some(s) => format!("{:.1} minutes", s / 60.0),
        None => "did not recover within the run".into(),
    }
}

/// Writes the report.
pub(super) fn narrate(
    blueprint: &Blueprint,
    rps: f64,
    config: &RunConfig,
    scenario: Option<&Scenario>,
    outcome: &Outcome,
    compared: Option<(&Mitigation, &Outcome)>,
) -> String {
    let mut out = String::new();
    let title = scenario.map_or("Run report".to_string(), |s| s.title.clone());
    let _ = writeln!(out, "# {title}: {}\n", blueprint.name);
    let _ = writeln!(
        out,
        "{:.0} RPS for {:.0} s, seed {} (same seed, same numbers). Windows of {:.1} s.\n",
        rps,
        ns_to_s(config.duration_ns),
        config.seed,
        outcome.history.window_s()
    );
    if let Some(s) = scenario {
        let _ = writeln!(
            out,
            "{}\n\nSeen for real: {}\n",
            s.description, s.real_world
        );
    }
    let injections = &outcome.chaos.injections;
    let warmup_s = ns_to_s(config.warmup_ns);
    let Some(start_s) = injections.iter().map(|i| i.start_s).reduce(f64::min) else {
        let s = &outcome.summary;
        let _ = writeln!(
            out,
            "Nothing was injected. Steady state: {:.0} requests/s, p99 {:.1} ms, errors {:.3}%.",
            s.throughput,
            s.latency.p99_ms,
            s.error_rate * 100.0
        );
        return out;
    };
    let end_s = injections
        .iter()
        .map(|i| i.end_s.unwrap_or(i.start_s))
        .fold(start_s, f64::max);
    let inc = incident(&outcome.history.windows, warmup_s, start_s, end_s);

    let _ = writeln!(out, "## 1. Steady state\n");
    let mut steady = format!(
        "Before anything breaks, {:.0} requests/s succeed, p99 is {:.1} ms and {:.2}% of requests fail.",
        inc.base_throughput,
        inc.base_p99_ms,
        inc.base_error_rate * 100.0
    );
    for (id, h) in &inc.base_hit {
        let _ = write!(steady, " The {id} hit rate is {:.1}%.", h * 100.0);
    }
    let _ = writeln!(out, "{steady}\n");

    let _ = writeln!(out, "## 2. What was injected\n");
    for i in injections {
        let until = i.end_s.map_or(
            "until the end of the run (or its own course)".to_string(),
            |e| format!("until {e:.1} s"),
        );
        let _ = writeln!(
            out,
            "- `{}` on {} at {:.1} s, {until}",
            i.name, i.target, i.start_s
        );
    }

    let _ = writeln!(out, "\n## 3. The cascade, in the order the metrics moved\n");
    if inc.cascade.is_empty() {
        let _ = writeln!(out, "Nothing moved beyond the steady state's noise.");
    }
    for (dt, text) in &inc.cascade {
        let _ = writeln!(out, "- +{:.1} s: {text}", dt.max(0.0));
    }

    let _ = writeln!(out, "\n## 4. Peaks\n");
    let _ = writeln!(
        out,
        "- p99: {:.0} ms at {:.0} s (steady state {:.1} ms)",
        inc.peak_p99.0, inc.peak_p99.1, inc.base_p99_ms
    );
    let _ = writeln!(
        out,
        "- error rate: {:.1}% at {:.0} s (steady state {:.2}%)",
        inc.peak_error_rate.0 * 100.0,
        inc.peak_error_rate.1,
        inc.base_error_rate * 100.0
    );
    for (id, h) in &inc.min_hit {
        let _ = writeln!(
            out,
            "- {id} hit rate: down to {:.1}% (steady state {:.1}%)",
            h * 100.0,
            inc.base_hit[id] * 100.0
        );
    }
    for (id, (base, peak, at)) in &inc.peak_lag {
        let _ = writeln!(
            out,
            "- {id} consumer lag: {:.1} s at {at:.0} s (steady state {base:.0} ms)",
            peak / 1000.0
        );
    }
    for ((id, name), (base, peak, at)) in &inc.peak_levels {
        let _ = writeln!(
            out,
            "- {id} {}: {} at {at:.0} s (steady state {})",
            name.replace('_', " "),
            level(*peak),
            level(*base)
        );
    }
    for (id, (before, during)) in &inc.retry_share {
        let _ = writeln!(
            out,
            "- retries: {:.0}% of the calls into {id} during the incident were retries (steady state {:.1}%)",
            during * 100.0,
            before * 100.0
        );
    }
    if let Some((cause, n, share)) = dominant(&inc.errors) {
        let _ = writeln!(
            out,
            "- dominant error cause: `{cause}`, {n} errors ({:.0}% of all errors during the incident)",
            share * 100.0
        );
    }

    let _ = writeln!(out, "\n## 5. Recovery\n");
    let _ = writeln!(
        out,
        "From the end of the injection ({end_s:.0} s) back to the steady state (p99 within 1.5x, errors within 0.5 points, five windows in a row): {}.",
        recovery_text(inc.recovery_s)
    );
    for (id, back) in &inc.hit_recovery_s {
        let text = match back {
            Some(s) => format!(
                "The {id} hit rate was back within two points of its steady state after {} (the cache refills as keys are read again).",
                recovery_text(Some(*s))
            ),
            None => format!(
                "The {id} hit rate had not come back within two points of its steady state by the end of the run (the cache refills as keys are read again)."
            ),
        };
        let _ = writeln!(out, "\n{text}");
    }

    if let Some(s) = scenario
        && !s.mitigations.is_empty()
    {
        let _ = writeln!(out, "\n## 6. Mitigations\n");
        for m in &s.mitigations {
            let _ = writeln!(out, "- **{}**: {}", m.name, m.description);
        }
    }
    if let Some((m, other)) = compared {
        let o = incident(&other.history.windows, warmup_s, start_s, end_s);
        // Both runs' means over the same span: until the run without it recovered.
        let until = inc.recovery_s.map_or(f64::MAX, |r| end_s + r + 1.0);
        let (mine, theirs) = (
            means(&outcome.history.windows, start_s, until),
            means(&other.history.windows, start_s, until),
        );
        let _ = writeln!(
            out,
            "\n### Measured: the same injection with `{}`\n",
            m.name
        );
        let _ = writeln!(
            out,
            "Peaks are the worst window; means are over the incident, from the first injection \
             until the run without the mitigation recovered (what users saw on average: a \
             mitigation that fails fast can leave the peaks alone and still halve the means).\n"
        );
        let _ = writeln!(out, "| | without | with {} |\n|---|---|---|", m.name);
        let _ = writeln!(
            out,
            "| peak p99 | {:.0} ms | {:.0} ms |",
            inc.peak_p99.0, o.peak_p99.0
        );
        let _ = writeln!(
            out,
            "| mean p99 during the incident | {:.0} ms | {:.0} ms |",
            mine.p99_ms, theirs.p99_ms
        );
        let _ = writeln!(
            out,
            "| peak error rate | {:.1}% | {:.1}% |",
            inc.peak_error_rate.0 * 100.0,
            o.peak_error_rate.0 * 100.0
        );
        let _ = writeln!(
            out,
            "| errors during the incident | {:.2}% | {:.2}% |",
            mine.error_rate * 100.0,
            theirs.error_rate * 100.0
        );
        let _ = writeln!(
            out,
            "| requests served per second during the incident | {:.0} | {:.0} |",
            mine.throughput, theirs.throughput
        );
        for (id, (_, peak, _)) in &inc.peak_lag {
            let theirs = o
                .peak_lag
                .get(id)
                .map_or("under 1 s".to_string(), |(_, p, _)| {
                    format!("{:.1} s", p / 1000.0)
                });
            let _ = writeln!(
                out,
                "| peak consumer lag at {id} | {:.1} s | {theirs} |",
                peak / 1000.0
            );
        }
        for ((id, name), (base, peak, _)) in &inc.peak_levels {
            let theirs = o
                .peak_levels
                .get(&(id.clone(), name.clone()))
                .map_or(*base, |p| p.1);
            let _ = writeln!(
                out,
                "| peak {} at {id} | {} | {} |",
                name.replace('_', " "),
                level(*peak),
                level(theirs)
            );
        }
        for (id, (_, during)) in &inc.retry_share {
            let _ = writeln!(
                out,
                "| retries' share of the calls into {id} | {:.0}% | {:.0}% |",
                mine.retry_share.get(id).copied().unwrap_or(*during) * 100.0,
                theirs.retry_share.get(id).copied().unwrap_or(0.0) * 100.0
            );
        }
        for (id, h) in &inc.min_hit {
            let _ = writeln!(
                out,
                "| lowest {id} hit rate | {:.1}% | {:.1}% |",
                h * 100.0,
                o.min_hit.get(id).copied().unwrap_or(1.0) * 100.0
            );
        }
        let _ = writeln!(
            out,
            "| recovery | {} | {} |",
            recovery_text(inc.recovery_s),
            recovery_text(o.recovery_s)
        );
    }
    out
}

/// A level of a kind's own, as a report writes it (whole numbers past ten).
fn level(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
