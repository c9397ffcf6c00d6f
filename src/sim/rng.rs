//! The one random number generator of a run: seeded, portable, bit-identical everywhere.
//!
//! ChaCha8 gives the same stream on every platform; every transcendental function goes
//! through `libm` (pure Rust), not the platform's maths library, so a sample is the same
//! bits natively and in WASM.

use bevy::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every random draw of the simulation comes from here.
#[derive(Resource)]
pub struct SimRng {
    inner: ChaCha8Rng,
    spare_normal: Option<f64>,
}

impl SimRng {
    /// A generator for `seed`: the same seed gives the same run.
    pub fn seeded(seed: u64) -> Self {
        Self {
            inner: ChaCha8Rng::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// A generator of its own, seeded from this one's next draw: for work done once (a
    /// cache's starting contents) that should not shift the run's stream by its size.
    pub fn fork(&mut self) -> SimRng {
        SimRng::seeded(self.inner.next_u64())
    }

    /// Uniform in [0, 1), with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn open_unit(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.unit() < p)
    }

    /// Uniform integer in [0, n), n > 0 (Lemire's method, unbiased).
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        loop {
            let m = u64::from(self.inner.next_u32()) * u64::from(n);
            let low = m as u32;
            if low >= n || low >= n.wrapping_neg() % n {
                return (m >> 32) as u32;
            }
        }
    }

    /// Exponential with the given mean.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.open_unit())
    }

    /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let r = libm::sqrt(-2.0 * libm::log(self.open_unit()));
        let theta = core::f64::consts::TAU * self.unit();
        self.spare_normal = Some(r * libm::sin(theta));
        r * libm::cos(theta)
    }
}
