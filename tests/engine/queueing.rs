//! The engine against queueing theory: M/M/1, M/M/c (Erlang C), M/D/1 (Pollaczek-Khinchine)
//! and Little's law. Each run has about two million customers, so the sampling error of a
//! mean at rho = 0.875 is well inside the tolerance.

use crate::support::{assert_close, blueprint, single_station, summary};

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
    let s = summary(&single_station(lambda, 1, "Exponential(1.0)"), 11, 2400.0);
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
fn mmc_erlang_c_mean_wait_and_response() {
    // c = 4 servers, mu = 1000/s each, lambda = 3500/s: rho = 0.875.
    let (c, lambda, mu) = (4, 3500.0, 1000.0);
    let s = summary(&single_station(lambda, c, "Exponential(1.0)"), 12, 600.0);
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
    let s = summary(&single_station(lambda, 1, "Constant(1.0)"), 13, 1200.0);
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
