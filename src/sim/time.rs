//! Simulated time: integer nanoseconds, never rounded to ticks.

/// A point or span of simulated time, in nanoseconds.
pub type Nanos = u64;

/// Nanoseconds in a millisecond.
pub const NS_PER_MS: Nanos = 1_000_000;
/// Nanoseconds in a second.
pub const NS_PER_S: Nanos = 1_000_000_000;

/// Milliseconds (as written in blueprints) to nanoseconds, rounded to the nearest one.
pub fn ms_to_ns(ms: f64) -> Nanos {
    if ms <= 0.0 {
        0
    } else {
        (ms * NS_PER_MS as f64).round() as Nanos
    }
}

/// Nanoseconds to milliseconds, for reports.
pub fn ns_to_ms(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_MS as f64
}

/// Nanoseconds to seconds, for reports.
pub fn ns_to_s(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// True for a number > 0 (false for NaN, unlike `!(x <= 0.0)`).
pub fn positive(x: f64) -> bool {
    x > 0.0
}
