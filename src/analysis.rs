//! Reading an incident off the metrics windows: the steady state before the first
//! injection, what moved after it and in which order, the peaks, the errors by cause, and
//! how long recovery took. The `--report` narration and the chaos tests both use it.

use std::collections::BTreeMap;

use crate::sim::WindowRecord;

/// What an incident did, read off the windows.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    /// Mean p99 before the first injection, ms.
    pub base_p99_ms: f64,
    /// Mean error rate before.
    pub base_error_rate: f64,
    /// Mean throughput before.
    pub base_throughput: f64,
    /// Per cache, mean hit rate before.
    pub base_hit: BTreeMap<String, f64>,
    /// (seconds after the first injection, what moved), in order.
    pub cascade: Vec<(f64, String)>,
    /// Worst p99 and when (s).
    pub peak_p99: (f64, f64),
    /// Worst error rate and when (s).
    pub peak_error_rate: (f64, f64),
    /// Lowest hit rate per cache.
    pub min_hit: BTreeMap<String, f64>,
    /// Errors by cause from the first injection to recovery.
    pub errors: BTreeMap<String, u64>,
    /// Requests answered in that span.
    pub answered: f64,
    /// Mean of the windows' p99 over that span, ms: what users saw on average, where the
    /// peak shows only the worst second.
    pub mean_p99_ms: f64,
    /// Mean successful requests per second over that span.
    pub mean_throughput: f64,
    /// Per node with retries into it: the share of the attempts on its incoming edges that
    /// were retries, (before, over that span).
    pub retry_share: BTreeMap<String, (f64, f64)>,
    /// Per queue or log whose consumer lag passed 1 s: (steady-state mean, worst, when), ms
    /// and s.
    pub peak_lag: BTreeMap<String, (f64, f64, f64)>,
    /// Per node and level of its kind (a log's backlog, a gateway's connections) that rose
    /// past three times its steady-state mean: (steady-state mean, worst, when).
    pub peak_levels: BTreeMap<(String, String), (f64, f64, f64)>,
    /// Seconds from the end of the last injection (or its start, if open-ended) until the
    /// system held its steady state again; none if it never did.
    pub recovery_s: Option<f64>,
    /// Per cache, seconds from the end of the injection until its hit rate was back within
    /// two points of the steady state.
    pub hit_recovery_s: BTreeMap<String, Option<f64>>,
}

/// Reads an incident from the windows: steady state after `warmup_s` and before `start_s`,
/// then what moved after `start_s`, and recovery after `end_s`.
pub fn incident(windows: &[WindowRecord], warmup_s: f64, start_s: f64, end_s: f64) -> Incident {
    let before: Vec<&WindowRecord> = windows
        .iter()
        .filter(|w| w.t_s > warmup_s && w.t_s <= start_s)
        .collect();
    // Only windows with traffic: after the sources stop, an idle system looks "healthy".
    let after: Vec<&WindowRecord> = windows
        .iter()
        .filter(|w| w.t_s > start_s && w.arrivals > 0)
        .collect();
    let window_s = match windows {
        [a, b, ..] => b.t_s - a.t_s,
        [a] => a.t_s,
        [] => 1.0,
    };
    let mean = |f: &dyn Fn(&WindowRecord) -> f64| {
        before.iter().map(|w| f(w)).sum::<f64>() / before.len().max(1) as f64
    };
    let mut inc = Incident {
        base_p99_ms: mean(&|w| w.latency.p99_ms),
        base_error_rate: mean(&|w| w.error_rate),
        base_throughput: mean(&|w| w.throughput),
        ..Incident::default()
    };
    let node_mean = |id: &str, f: &dyn Fn(&crate::sim::NodeWindow) -> f64| {
        before
            .iter()
            .filter_map(|w| w.nodes.get(id))
            .map(f)
            .sum::<f64>()
            / before.len().max(1) as f64
    };
    let ids: Vec<String> = windows
        .first()
        .map(|w| w.nodes.keys().cloned().collect())
        .unwrap_or_default();
    for id in &ids {
        if windows.first().and_then(|w| w.nodes[id].hit_rate).is_some() {
            inc.base_hit
                .insert(id.clone(), node_mean(id, &|n| n.hit_rate.unwrap_or(0.0)));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut note = |inc: &mut Incident, w: &WindowRecord, key: String, text: String| {
        if seen.insert(key) {
            inc.cascade.push((w.t_s - start_s, text));
        }
    };
    for w in &after {
        for id in &ids {
            let n = &w.nodes[id];
            if let (Some(h), Some(&base)) = (n.hit_rate, inc.base_hit.get(id))
                && h < base - 0.1
            {
                note(
                    &mut inc,
                    w,
                    format!("hit {id}"),
                    format!(
                        "{id} hit rate fell to {:.1}% (from {:.1}%)",
                        h * 100.0,
                        base * 100.0
                    ),
                );
            }
            for (to, p) in &n.pools {
                if p.in_use >= 0.9 * f64::from(p.size) && p.waiters >= 1.0 {
                    note(
                        &mut inc,
                        w,
                        format!("pool {id} {to}"),
                        format!(
                            "{id}'s pool to {to} saturated ({:.0} of {} in use, {:.0} waiting)",
                            p.in_use, p.size, p.waiters
                        ),
                    );
                }
            }
            let base_q = node_mean(id, &|n| n.queue_depth);
            if n.queue_depth > (3.0 * base_q).max(5.0) {
                note(
                    &mut inc,
                    w,
                    format!("queue {id}"),
                    format!(
                        "{id}'s queue grew to {:.0} (from {:.1})",
                        n.queue_depth, base_q
                    ),
                );
            }
            let base_u = node_mean(id, &|n| n.utilization);
            if n.servers > 0 && n.utilization >= 0.95 && base_u < 0.9 {
                note(
                    &mut inc,
                    w,
                    format!("util {id}"),
                    format!(
                        "{id} saturated ({:.0}% busy, from {:.0}%)",
                        n.utilization * 100.0,
                        base_u * 100.0
                    ),
                );
            }
            if n.down {
                note(&mut inc, w, format!("down {id}"), format!("{id} was down"));
            }
            let base_share = node_mean(id, &crate::sim::NodeWindow::retry_share);
            if n.retry_share() > (3.0 * base_share).max(0.1) {
                note(
                    &mut inc,
                    w,
                    format!("retries {id}"),
                    format!(
                        "retries made up {:.0}% of the calls into {id} (from {:.0}%)",
                        n.retry_share() * 100.0,
                        base_share * 100.0
                    ),
                );
            }
            let base_lag = node_mean(id, &|n| n.replication_lag_ms.unwrap_or(0.0));
            if let Some(lag) = n.replication_lag_ms
                && lag > (3.0 * base_lag).max(base_lag + 100.0)
            {
                note(
                    &mut inc,
                    w,
                    format!("lag {id}"),
                    format!("{id}'s replication lag reached {lag:.0} ms"),
                );
            }
            if n.stale_reads > 0 {
                note(
                    &mut inc,
                    w,
                    format!("stale {id}"),
                    format!("stale reads began at {id}"),
                );
            }
            if let Some(lag) = n.consumer_lag_ms
                && lag > 1000.0
            {
                let base = node_mean(id, &|n| n.consumer_lag_ms.unwrap_or(0.0));
                let peak = inc.peak_lag.entry(id.clone()).or_insert((base, 0.0, 0.0));
                if lag > peak.1 {
                    (peak.1, peak.2) = (lag, w.t_s);
                }
                note(
                    &mut inc,
                    w,
                    format!("consumer {id}"),
                    format!("{id}'s consumer lag passed 1 s"),
                );
            }
        }
        for (cause, n) in &w.errors {
            if *n > 0 {
                note(
                    &mut inc,
                    w,
                    format!("err {cause}"),
                    format!("first {} errors", cause.replace('_', " ")),
                );
            }
        }
        let base_p99 = inc.base_p99_ms;
        if w.latency.p99_ms > 2.0 * base_p99 + 5.0 {
            note(
                &mut inc,
                w,
                "p99".into(),
                format!(
                    "p99 rose to {:.0} ms (from {:.0} ms)",
                    w.latency.p99_ms, base_p99
                ),
            );
        }
        if w.error_rate > inc.base_error_rate + 0.01 {
            note(
                &mut inc,
                w,
                "errors".into(),
                format!("error rate passed {:.1}%", w.error_rate * 100.0),
            );
        }
        if w.latency.p99_ms > inc.peak_p99.0 {
            inc.peak_p99 = (w.latency.p99_ms, w.t_s);
        }
        if w.error_rate > inc.peak_error_rate.0 {
            inc.peak_error_rate = (w.error_rate, w.t_s);
        }
        for (id, n) in &w.nodes {
            // A level named `consumer_lag_ms` is the node's consumer lag, reported above.
            for (name, &level) in n.peaks.iter().filter(|(k, _)| *k != "consumer_lag_ms") {
                let base = node_mean(id, &|n| n.peaks.get(name).copied().unwrap_or(0.0));
                if level > 3.0 * base && level > 0.0 {
                    let peak = inc
                        .peak_levels
                        .entry((id.clone(), name.clone()))
                        .or_insert((base, 0.0, 0.0));
                    if level > peak.1 {
                        (peak.1, peak.2) = (level, w.t_s);
                    }
                }
            }
        }
        for (id, _) in inc.base_hit.clone() {
            if let Some(h) = w.nodes[&id].hit_rate {
                let min = inc.min_hit.entry(id).or_insert(1.0);
                *min = min.min(h);
            }
        }
    }
    // Recovery: five windows in a row back near the steady state.
    let healthy = |w: &WindowRecord| {
        w.latency.p99_ms <= 1.5 * inc.base_p99_ms + 5.0
            && w.error_rate <= inc.base_error_rate + 0.005
    };
    let tail: Vec<&&WindowRecord> = after.iter().filter(|w| w.t_s > end_s).collect();
    inc.recovery_s = tail
        .windows(5)
        .find(|run| run.iter().all(|w| healthy(w)))
        .map(|run| (run[0].t_s - window_s - end_s).max(0.0));
    for (id, base) in inc.base_hit.clone() {
        let back = after
            .iter()
            .filter(|w| w.t_s > end_s)
            .find(|w| w.nodes[&id].hit_rate.is_some_and(|h| h >= base - 0.02))
            .map(|w| (w.t_s - end_s).max(0.0));
        inc.hit_recovery_s.insert(id, back);
    }
    let until = inc.recovery_s.map_or(f64::MAX, |r| end_s + r);
    let span: Vec<&&WindowRecord> = after.iter().filter(|w| w.t_s <= until + 1.0).collect();
    for w in &span {
        for (cause, n) in &w.errors {
            *inc.errors.entry(cause.clone()).or_insert(0) += n;
        }
        inc.answered += w.throughput * window_s + w.errors.values().sum::<u64>() as f64;
    }
    let span_end = span.last().map_or(start_s, |w| w.t_s);
    let m = means(windows, start_s, span_end);
    (inc.mean_p99_ms, inc.mean_throughput) = (m.p99_ms, m.throughput);
    for (id, during) in m.retry_share {
        if during > 0.0 {
            let before = node_mean(&id, &crate::sim::NodeWindow::retry_share);
            inc.retry_share.insert(id, (before, during));
        }
    }
    inc
}

/// Time-averaged figures over a span of windows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Means {
    /// Mean of the windows' p99, ms.
    pub p99_ms: f64,
    /// Mean successful requests per second.
    pub throughput: f64,
    /// Errors over answered requests.
    pub error_rate: f64,
    /// Per node with calls into it: the share of the attempts that were retries.
    pub retry_share: BTreeMap<String, f64>,
}

/// The means over the windows that end after `from_s` and by `until_s` (with traffic).
pub fn means(windows: &[WindowRecord], from_s: f64, until_s: f64) -> Means {
    let span: Vec<&WindowRecord> = windows
        .iter()
        .filter(|w| w.t_s > from_s && w.t_s <= until_s + 1e-9 && w.arrivals > 0)
        .collect();
    let n = span.len().max(1) as f64;
    let (mut ok, mut errors) = (0.0, 0.0);
    let mut retries: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut m = Means::default();
    for w in &span {
        m.p99_ms += w.latency.p99_ms / n;
        m.throughput += w.throughput / n;
        // Per second, as the throughput is: the window's length cancels.
        ok += w.throughput;
        errors += w.errors.values().sum::<u64>() as f64;
        for (id, node) in &w.nodes {
            let r = retries.entry(id.as_str()).or_default();
            r.0 += node.retries_in;
            r.1 += node.attempts_in;
        }
    }
    m.retry_share = retries
        .into_iter()
        .filter(|(_, (_, attempts))| *attempts > 0)
        .map(|(id, (retried, attempts))| (id.to_string(), retried as f64 / attempts as f64))
        .collect();
    let window_s = match windows {
        [a, b, ..] => b.t_s - a.t_s,
        [a] => a.t_s,
        [] => 1.0,
    };
    errors /= window_s.max(f64::MIN_POSITIVE);
    m.error_rate = if ok + errors > 0.0 {
        errors / (ok + errors)
    } else {
        0.0
    };
    m
}
