//! Node kinds whose behaviour makes them worth being a kind, checked against hand
//! calculations.

use crate::support::{blueprint, summary};

/// A client sending `rps` reads or writes, keys 0..keys, straight to an object store.
fn to_bucket(rps: f64, read_ratio: f64, keys: u32, bucket: &str) -> String {
    format!(
        r#"Blueprint(
            name: "bucket",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, read_ratio: {read_ratio}, keyspace: (keys: {keys}, zipf_s: 0.0))),
                (id: "s3", kind: ObjectStorage({bucket})),
            ],
            edges: [(from: "src", to: "s3", latency: Constant(0.0))],
        )"#
    )
}

#[test]
fn object_storage_slows_down_past_a_prefix_rate_and_more_prefixes_take_it() {
    // 8,000 GETs a second on one prefix: 5,500 a second are taken and 2,500 answered Slow
    // Down, a rejected share of 2,500 / 8,000 = 31%. Spread over two prefixes, each sees about
    // 4,000 a second, under its 5,500: nothing is refused.
    let one = summary(
        &blueprint(&to_bucket(8_000.0, 1.0, 1_000, "prefixes: 1")),
        3,
        20.0,
    );
    let rejected = one.errors.get("rejected").copied().unwrap_or(0);
    let total: u64 = one.errors.values().sum();
    eprintln!("one prefix: error rate {:.4}", one.error_rate);
    assert_eq!(
        rejected, total,
        "every error is a Slow Down: {:?}",
        one.errors
    );
    assert!(
        (one.error_rate - 2_500.0 / 8_000.0).abs() < 0.02,
        "one prefix at 8,000/s refuses about 31%, got {:.3}",
        one.error_rate
    );
    let two = summary(
        &blueprint(&to_bucket(8_000.0, 1.0, 1_000, "prefixes: 2")),
        3,
        20.0,
    );
    assert!(
        two.error_rate < 0.001,
        "two prefixes take it all: {}",
        two.error_rate
    );
    // Writes have their own, lower limit: 5,000 PUTs a second on one prefix, 3,500 taken.
    let puts = summary(
        &blueprint(&to_bucket(5_000.0, 0.0, 1_000, "prefixes: 1")),
        3,
        20.0,
    );
    assert!(
        (puts.error_rate - 1_500.0 / 5_000.0).abs() < 0.02,
        "PUTs past 3,500/s are refused: {:.3}",
        puts.error_rate
    );
}

#[test]
fn object_storage_takes_first_byte_plus_transfer() {
    // 8.5 MB objects over 85 MB/s take 100 ms to transfer on top of a constant 30 ms first
    // byte: every request 130 ms.
    let bucket = "first_byte: Constant(30.0), object_bytes: 8500000, connection_mb_per_s: 85.0";
    let s = summary(&blueprint(&to_bucket(100.0, 1.0, 100, bucket)), 5, 10.0);
    assert!(
        (s.latency.p50_ms - 130.0).abs() < 1.0 && (s.latency.p99_ms - 130.0).abs() < 1.0,
        "p50 {} and p99 {} should both be 130 ms",
        s.latency.p50_ms,
        s.latency.p99_ms
    );
}
