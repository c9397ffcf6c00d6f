//! Time-weighted gauges: the mean of a level over simulated time, not over events.

use super::time::Nanos;

/// A level (queue length, busy servers, ...) averaged over time within a window.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauge {
    value: u32,
    since_ns: Nanos,
    area: f64,
    max: u32,
}

impl Gauge {
    /// The current level.
    #[inline]
    pub fn value(&self) -> u32 {
        self.value
    }

    /// Sets the level from `now_ns` on.
    #[inline]
    pub fn set(&mut self, now_ns: Nanos, value: u32) {
        self.area += f64::from(self.value) * (now_ns - self.since_ns) as f64;
        self.since_ns = now_ns;
        self.value = value;
        self.max = self.max.max(value);
    }

    /// Raises the level by one.
    #[inline]
    pub fn inc(&mut self, now_ns: Nanos) {
        self.set(now_ns, self.value + 1);
    }

    /// Lowers the level by one.
    #[inline]
    pub fn dec(&mut self, now_ns: Nanos) {
        self.set(now_ns, self.value - 1);
    }

    /// Closes a window that started at `start_ns`: returns (time-weighted mean, max) and starts
    /// the next window at the current level.
    pub fn close(&mut self, start_ns: Nanos, now_ns: Nanos) -> (f64, u32) {
        self.set(now_ns, self.value);
        let span = (now_ns - start_ns).max(1) as f64;
        let out = (self.area / span, self.max);
        self.area = 0.0;
        self.max = self.value;
        out
    }
}
