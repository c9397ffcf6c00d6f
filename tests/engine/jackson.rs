//! An open Jackson network against its product-form solution: three single-core services with
//! exponential work, Poisson arrivals at the first, probabilistic routing by call-plan step
//! probabilities, and feedback from the third to the first.
//!
//! ```text
//! users -> n1 --0.8--> n2 --0.6--> n3 --0.3--> n1 (again)
//! ```
//!
//! A call's work is all at the start of its visit and the plan has one step, so the order of
//! CPU visits is a Markov chain (answers travel back with no delay and no work): after n1 the
//! request visits n2 with probability 0.8, else it is done; after n2, n3 with 0.6; after n3,
//! n1 with 0.3. The workers do not block, so the calls at a node's CPU are the ones there.

use crate::support::{assert_close, blueprint, summary};

/// A single-core service with exponential work of `mean_ms` and one step calling `next` with
/// `p`.
fn node(id: &str, mean_ms: f64, next: &str, p: f64) -> String {
    format!(
        r#"(id: "{id}", kind: Service(replicas: 1, concurrency: 100000, queue_capacity: None,
            cores: 1, blocking: false, work: Exponential({mean_ms}),
            calls: [Call(to: "{next}", probability: {p})]))"#
    )
}

#[test]
fn open_jackson_network_with_feedback_matches_product_form() {
    let lambda0 = 600.0;
    let (p12, p23, p31) = (0.8, 0.6, 0.3);
    let means_ms = [1.0, 1.25, 2.0];
    let bp = blueprint(&format!(
        r#"Blueprint(
            name: "jackson",
            nodes: [
                (id: "users", kind: Client(rps: {lambda0}, read_ratio: 1.0)),
                {}, {}, {},
            ],
            edges: [
                (from: "users", to: "n1", latency: Constant(0.0)),
                (from: "n1", to: "n2", latency: Constant(0.0)),
                (from: "n2", to: "n3", latency: Constant(0.0)),
                (from: "n3", to: "n1", latency: Constant(0.0)),
            ],
        )"#,
        node("n1", means_ms[0], "n2", p12),
        node("n2", means_ms[1], "n3", p23),
        node("n3", means_ms[2], "n1", p31),
    ));
    // Traffic equations: l1 = lambda0 + p31 l3, l2 = p12 l1, l3 = p23 l2.
    let l1 = lambda0 / (1.0 - p12 * p23 * p31);
    let rates = [l1, p12 * l1, p23 * p12 * l1];
    // Product form: each node is an M/M/1 at its own rate, L = rho / (1 - rho).
    let numbers: Vec<f64> = rates
        .iter()
        .zip(means_ms)
        .map(|(l, m)| {
            let rho = l * m / 1000.0;
            rho / (1.0 - rho)
        })
        .collect();
    // End to end, by Little's law over the whole network.
    let response_ms = 1000.0 * numbers.iter().sum::<f64>() / lambda0;

    let s = summary(&bp, 31, 1500.0);
    for (i, id) in ["n1", "n2", "n3"].iter().enumerate() {
        let n = &s.nodes[*id];
        assert_close(
            &format!("Jackson visit rate at {id}"),
            n.arrival_rate,
            rates[i],
            0.01,
        );
        assert_close(
            &format!("Jackson mean number at {id}"),
            n.busy_cores + n.cpu_waiting,
            numbers[i],
            0.03,
        );
    }
    assert_close(
        "Jackson end-to-end mean response",
        s.latency.mean_ms,
        response_ms,
        0.03,
    );
}
