//! Latency and service-time distributions, as written in blueprints and as sampled.

use serde::{Deserialize, Serialize};

use super::rng::SimRng;
use super::time::{NS_PER_MS, Nanos};

/// z of the 99th percentile of the standard normal distribution.
const Z_P99: f64 = 2.326_347_874_040_841;

/// A distribution of durations, in milliseconds.
#[expect(missing_docs, reason = "each variant's doc names its fields")]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always the same duration.
    Constant(f64),
    /// Exponential with this mean (memoryless: the M in M/M/1).
    Exponential(f64),
    /// Log-normal fitted to a median and a 99th percentile (p99 >= p50 > 0).
    LogNormal { p50: f64, p99: f64 },
    /// Uniform between two bounds.
    Uniform { min: f64, max: f64 },
    /// Pareto (a power-law tail: batch jobs, file sizes): at least `min` milliseconds, tail
    /// index `alpha` > 1 (P(X > x) = (min/x)^alpha; the smaller alpha, the heavier the tail).
    Pareto { min: f64, alpha: f64 },
}

impl Dist {
    /// Checks the parameters; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |what: &str| Err(what.to_string());
        match *self {
            Dist::Constant(ms) | Dist::Exponential(ms) if !(ms.is_finite() && ms >= 0.0) => {
                bad("a duration in milliseconds must be a finite number >= 0")
            }
            Dist::LogNormal { p50, p99 } if !(p50 > 0.0 && p99.is_finite() && p99 >= p50) => {
                bad("LogNormal needs 0 < p50 <= p99 (milliseconds)")
            }
            Dist::Uniform { min, max } if !(min >= 0.0 && max.is_finite() && max >= min) => {
                bad("Uniform needs 0 <= min <= max (milliseconds)")
            }
            Dist::Pareto { min, alpha }
                if !(min > 0.0 && min.is_finite() && alpha > 1.0 && alpha <= 100.0) =>
            {
                bad("Pareto needs min > 0 (milliseconds) and 1 < alpha <= 100 (a finite mean)")
            }
            _ => Ok(()),
        }
    }

    /// The mean in milliseconds (exact for each family).
    pub fn mean_ms(&self) -> f64 {
        match *self {
            Dist::Constant(ms) | Dist::Exponential(ms) => ms,
            Dist::LogNormal { p50, p99 } => {
                let sigma = (p99 / p50).ln() / Z_P99;
                p50 * (sigma * sigma / 2.0).exp()
            }
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Pareto { min, alpha } => alpha * min / (alpha - 1.0),
        }
    }

    /// The sampler in nanoseconds.
    pub fn sampler(&self) -> Sampler {
        let ns = |ms: f64| ms * NS_PER_MS as f64;
        match *self {
            Dist::Constant(ms) => Sampler::Constant(ns(ms).round() as Nanos),
            Dist::Exponential(ms) => Sampler::Exponential { mean_ns: ns(ms) },
            Dist::LogNormal { p50, p99 } => Sampler::LogNormal {
                mu: libm::log(ns(p50)),
                sigma: libm::log(p99 / p50) / Z_P99,
            },
            Dist::Uniform { min, max } => Sampler::Uniform {
                min_ns: ns(min),
                span_ns: ns(max - min),
            },
            Dist::Pareto { min, alpha } => Sampler::Pareto {
                min_ns: ns(min),
                inv_alpha: 1.0 / alpha,
            },
        }
    }
}

/// A [`Dist`] prepared for sampling in nanoseconds.
#[expect(missing_docs, reason = "each variant's doc names its fields")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// Always this many nanoseconds.
    Constant(Nanos),
    /// Exponential with this mean.
    Exponential { mean_ns: f64 },
    /// exp(mu + sigma * Z), in nanoseconds.
    LogNormal { mu: f64, sigma: f64 },
    /// min + U * span.
    Uniform { min_ns: f64, span_ns: f64 },
    /// `min_ns / U^(1/alpha)`, U uniform in (0, 1].
    Pareto { min_ns: f64, inv_alpha: f64 },
}

impl Sampler {
    /// Draws one duration.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> Nanos {
        let ns = match *self {
            Sampler::Constant(ns) => return ns,
            Sampler::Exponential { mean_ns } => rng.exponential(mean_ns),
            Sampler::LogNormal { mu, sigma } => libm::exp(mu + sigma * rng.standard_normal()),
            Sampler::Uniform { min_ns, span_ns } => min_ns + span_ns * rng.unit(),
            // 1 - unit() is in (0, 1]: never a division by zero. Capped at a day so one
            // draw cannot overflow the clock.
            Sampler::Pareto { min_ns, inv_alpha } => {
                (min_ns / libm::pow(1.0 - rng.unit(), inv_alpha)).min(86_400e9)
            }
        };
        ns.round() as Nanos
    }
}
