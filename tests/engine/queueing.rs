//! The engine against queueing theory: M/M/1, M/M/c (Erlang C, on a service's cores), M/D/1
//! and M/G/1 with log-normal service (Pollaczek-Khinchine), processor sharing (insensitive to
//! the service distribution), M/M/c/K loss (on a service's workers and on a database's
//! connections and cores) and Little's law. Each run has a million customers or more, so the
//! sampling error of a mean at rho = 0.7-0.875 is well inside the tolerance.

use blastradius::blueprint::Blueprint;
use blastradius::sim::Dist;

use crate::support::{assert_close, blueprint, summary};

/// A source sending Poisson traffic at `rps` straight to one service with `concurrency`
/// workers, room for `queue` waiting requests (`None` = unbounded), `cores` cores shared by
/// `cpu` (`Fcfs` or `ProcessorSharing`) and CPU work `work` (no network delay).
pub fn cpu_station(
    rps: f64,
    concurrency: u32,
    queue: &str,
    cores: u32,
    cpu: &str,
    work: &str,
) -> Blueprint {
    blueprint(&format!(
        r#"Blueprint(
            name: "station",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: 1.0)),
                (id: "srv", kind: Service(replicas: 1, concurrency: {concurrency},
                    queue_capacity: {queue}, cores: {cores}, cpu: {cpu}, work: {work})),
            ],
            edges: [(from: "src", to: "srv", latency: Constant(0.0))],
        )"#
    ))
}

/// Second moment of a log-normal fitted to (p50, p99), in ms^2: E[S^2] = exp(2 mu + 2 sigma^2).
fn lognormal_second_moment(p50: f64, p99: f64) -> f64 {
    let sigma = (p99 / p50).ln() / 2.326_347_874_040_841;
    p50 * p50 * (2.0 * sigma * sigma).exp()
}

/// Erlang C: the probability that an arrival waits, for c servers at offered load a = lambda/mu.
fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho); // a^c / c! / (1 - rho)
    last / (sum + last)
}

#[test]
fn mm1_mean_wait_response_and_p99() {
    // lambda = 875/s, mu = 1000/s (mean service 1 ms): rho = 0.875.
    let (lambda, mu) = (875.0, 1000.0);
    // One worker on one core: the calls wait for the worker (the station's line).
    let bp = cpu_station(lambda, 1, "None", 1, "Fcfs", "Exponential(1.0)");
    let s = summary(&bp, 11, 2400.0);
    let srv = &s.nodes["srv"];
    let wq_ms = 1000.0 * (lambda / mu) / (mu - lambda); // 7 ms
    let w_ms = 1000.0 / (mu - lambda); // 8 ms
    let p99_ms = 1000.0 * (100.0f64).ln() / (mu - lambda); // 36.84 ms: W is exponential(mu - lambda)
    assert_close("M/M/1 mean wait", srv.mean_wait_ms, wq_ms, 0.03);
    assert_close("M/M/1 mean response", srv.latency.mean_ms, w_ms, 0.03);
    assert_close("M/M/1 p99 response", srv.latency.p99_ms, p99_ms, 0.05);
    assert_close("M/M/1 utilization", srv.utilization, lambda / mu, 0.01);
}

#[test]
fn mmc_erlang_c_mean_wait_and_response_on_cores() {
    // c = 4 servers, mu = 1000/s each, lambda = 3500/s: rho = 0.875.
    // Unbounded workers: the calls wait for one of the 4 cores (the CPU's FCFS line).
    let (c, lambda, mu) = (4, 3500.0, 1000.0);
    let bp = cpu_station(lambda, 100_000, "None", c, "Fcfs", "Exponential(1.0)");
    let s = summary(&bp, 12, 600.0);
    let srv = &s.nodes["srv"];
    let a = lambda / mu;
    let wq_ms = 1000.0 * erlang_c(c, a) / (f64::from(c) * mu - lambda);
    let w_ms = wq_ms + 1000.0 / mu;
    assert_close("M/M/4 mean wait", srv.mean_wait_ms, wq_ms, 0.03);
    assert_close("M/M/4 mean response", srv.latency.mean_ms, w_ms, 0.03);
}

#[test]
fn erlang_c_formula_matches_a_published_value() {
    // Textbook check of the helper itself: c = 2, a = 1 gives C = 1/3.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // c = 1 reduces to rho.
    assert!((erlang_c(1, 0.875) - 0.875).abs() < 1e-12);
}

#[test]
fn md1_pollaczek_khinchine_mean_wait() {
    // Constant 1 ms service, lambda = 875/s: Wq = rho / (2 mu (1 - rho)) = 3.5 ms.
    let (lambda, mu) = (875.0, 1000.0);
    let bp = cpu_station(lambda, 1, "None", 1, "Fcfs", "Constant(1.0)");
    let s = summary(&bp, 13, 1200.0);
    let rho = lambda / mu;
    let wq_ms = 1000.0 * rho / (2.0 * mu * (1.0 - rho));
    assert_close("M/D/1 mean wait", s.nodes["srv"].mean_wait_ms, wq_ms, 0.03);
}

#[test]
fn littles_law_holds_at_every_node_of_three_tier() {
    let bp = blueprint(blastradius::blueprint::builtin("three-tier").expect("built in"));
    let s = summary(&bp, 14, 60.0);
    for (id, n) in &s.nodes {
        // L = lambda W: time-averaged calls at the node vs arrival rate x mean time there.
        let little = n.arrival_rate * n.latency.mean_ms / 1000.0;
        assert_close(&format!("Little's law at {id}"), n.in_flight, little, 0.02);
    }
}

/// Processor sharing on one core: mean response 1 / (mu - lambda) whatever the distribution of
/// the work, for exponential work and for log-normal work with the same mean (SCV 1.66).
#[test]
fn processor_sharing_mean_response_is_insensitive_to_the_work_distribution() {
    let rho = 0.7;
    let lognormal = Dist::LogNormal {
        p50: 0.6127,
        p99: 6.127,
    };
    for (work, seeds) in [
        ("Exponential(1.0)".to_string(), [21, 22]),
        ("LogNormal(p50: 0.6127, p99: 6.127)".to_string(), [23, 24]),
    ] {
        let mean_ms = if work.starts_with("LogNormal") {
            lognormal.mean_ms()
        } else {
            1.0
        };
        let (mu, lambda) = (1000.0 / mean_ms, rho * 1000.0 / mean_ms);
        let bp = cpu_station(lambda, 100_000, "None", 1, "ProcessorSharing", &work);
        let runs = seeds.map(|seed| summary(&bp, seed, 1500.0));
        let mean = |f: &dyn Fn(&blastradius::run::NodeSummary) -> f64| {
            runs.iter().map(|s| f(&s.nodes["srv"])).sum::<f64>() / runs.len() as f64
        };
        let w_ms = 1000.0 / (mu - lambda);
        assert_close(
            &format!("M/G/1-PS mean response, {work}"),
            mean(&|n| n.latency.mean_ms),
            w_ms,
            0.02,
        );
        assert_close(
            &format!("M/G/1-PS utilization, {work}"),
            mean(&|n| n.utilization),
            rho,
            0.01,
        );
    }
}

/// M/G/1 FCFS with log-normal work (p50 1 ms, p99 5 ms): Pollaczek-Khinchine,
/// Wq = lambda E[S^2] / (2 (1 - rho)), with the log-normal's second moment.
#[test]
fn mg1_lognormal_pollaczek_khinchine_mean_wait() {
    let (p50, p99) = (1.0, 5.0);
    let mean_ms = Dist::LogNormal { p50, p99 }.mean_ms();
    let rho = 0.7;
    let lambda = rho * 1000.0 / mean_ms;
    let bp = cpu_station(
        lambda,
        100_000,
        "None",
        1,
        "Fcfs",
        &format!("LogNormal(p50: {p50}, p99: {p99})"),
    );
    let runs = [25, 26].map(|seed| summary(&bp, seed, 1800.0));
    let mean = |f: &dyn Fn(&blastradius::run::NodeSummary) -> f64| {
        runs.iter().map(|s| f(&s.nodes["srv"])).sum::<f64>() / runs.len() as f64
    };
    let es2 = lognormal_second_moment(p50, p99);
    let wq_ms = (lambda / 1000.0) * es2 / (2.0 * (1.0 - rho));
    assert_close(
        "M/G/1 log-normal mean wait (P-K)",
        mean(&|n| n.mean_wait_ms),
        wq_ms,
        0.03,
    );
    assert_close(
        "M/G/1 log-normal mean response",
        mean(&|n| n.latency.mean_ms),
        wq_ms + mean_ms,
        0.02,
    );
}

/// Probability that an arrival finds an M/M/c/K system full (K in the system at most).
fn mmck_loss(c: u32, k: u32, a: f64) -> f64 {
    // p_n is proportional to a^n / n! for n <= c, and a^n / (c! c^(n - c)) above.
    let mut term = 1.0;
    let mut terms = vec![1.0];
    for n in 1..=k {
        term *= a / f64::from(n.min(c));
        terms.push(term);
    }
    terms[k as usize] / terms.iter().sum::<f64>()
}

/// M/M/c/K: c = 4 servers, K = 6 in the system, offered load a = 3.6 Erlangs. Checked twice:
/// a service's 4 workers with room for 2 waiting, and a database's 6 connections on 4 cores
/// (a query beyond the connections is refused; a connected one waits for a core).
#[test]
fn mmck_loss_probability_on_workers_and_on_database_connections() {
    let (c, k, lambda, mu) = (4, 6, 3600.0, 1000.0);
    let loss = mmck_loss(c, k, lambda / mu);
    let service = cpu_station(lambda, c, "2", c, "Fcfs", "Exponential(1.0)");
    let database = blueprint(&format!(
        r#"Blueprint(
            name: "database",
            nodes: [
                (id: "src", kind: Client(rps: {lambda}, read_ratio: 1.0)),
                (id: "srv", kind: Database(max_connections: {k}, cpu_cores: {c},
                    read: Exponential(1.0))),
            ],
            edges: [(from: "src", to: "srv", latency: Constant(0.0))],
        )"#
    ));
    for (what, bp, seed) in [("workers", service, 27), ("database", database, 28)] {
        let s = summary(&bp, seed, 300.0);
        assert_close(
            &format!("M/M/4/6 loss probability, {what}"),
            s.nodes["srv"].error_rate,
            loss,
            0.02,
        );
    }
}

#[test]
fn mmck_formula_matches_hand_values() {
    // K = c: Erlang B. c = 1, a = 1: 1/2; c = 2, a = 1: (1/2) / (1 + 1 + 1/2) = 0.2.
    assert!((mmck_loss(1, 1, 1.0) - 0.5).abs() < 1e-12);
    assert!((mmck_loss(2, 2, 1.0) - 0.2).abs() < 1e-12);
    // M/M/1/2, a = 1: three states equally likely.
    assert!((mmck_loss(1, 2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}
