//! Traffic source: users sending requests at a rate that follows a pattern.

use serde::{Deserialize, Serialize};

use super::keyspace::KeyPopularity;
use super::{Built, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::sim::{Behaviour, Call, Cx, NS_PER_S, Nanos, Next, RequestKind, Station};

/// How arrivals are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Arrival {
    /// Independent arrivals (exponential gaps): how many users behave.
    #[default]
    Poisson,
    /// Evenly spaced.
    Constant,
}

/// How the rate changes over time (times in seconds from the start of the run).
#[expect(missing_docs, reason = "each variant's doc names its fields")]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum Pattern {
    /// The base rate throughout.
    #[default]
    Steady,
    /// From the base rate to `to_rps`, linearly between `start_s` and `start_s + over_s`.
    Ramp {
        to_rps: f64,
        start_s: f64,
        over_s: f64,
    },
    /// The base rate times `multiplier` from `at_s` for `duration_s`.
    Spike {
        at_s: f64,
        multiplier: f64,
        duration_s: f64,
    },
    /// The base rate times 1 + amplitude x sin(2 pi t / period_s).
    Wave { amplitude: f64, period_s: f64 },
}

/// Parameters of a traffic source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientParams {
    /// Base rate, requests per second.
    pub rps: f64,
    /// Spacing of arrivals.
    pub arrival: Arrival,
    /// Change of the rate over time.
    pub pattern: Pattern,
    /// Share of requests that read (the rest write).
    pub read_ratio: f64,
    /// Size of a successful response, in bytes.
    pub response_bytes: u64,
    /// The data items requests are about, by popularity; none = no keys (key 0).
    pub keyspace: Option<KeyPopularity>,
}

impl Default for ClientParams {
    fn default() -> Self {
        ClientParams {
            rps: 100.0,
            arrival: Arrival::Poisson,
            pattern: Pattern::Steady,
            read_ratio: 0.9,
            response_bytes: 5_000,
            keyspace: None,
        }
    }
}

impl Kind for ClientParams {
    fn name(&self) -> &'static str {
        "client"
    }

    fn about(&self) -> &'static str {
        "Traffic source: users sending requests (one outgoing edge)"
    }

    fn id_prefix(&self) -> &'static str {
        "users"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Circle,
            accent: [0.55, 0.75, 0.95],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if !(self.rps.is_finite() && self.rps > 0.0) {
            return Err(format!("rps must be a number > 0, found {}", self.rps));
        }
        if let Some(k) = self.keyspace
            && (k.keys == 0 || !(k.zipf_s >= 0.0 && k.zipf_s.is_finite()))
        {
            return Err("keyspace needs keys >= 1 and zipf_s >= 0".into());
        }
        if !(0.0..=1.0).contains(&self.read_ratio) {
            return Err(format!(
                "read_ratio must be between 0 and 1, found {}",
                self.read_ratio
            ));
        }
        match self.pattern {
            Pattern::Ramp {
                to_rps,
                over_s,
                start_s,
            } if !(to_rps >= 0.0 && over_s > 0.0 && start_s >= 0.0) => {
                Err("Ramp needs to_rps >= 0, over_s > 0 and start_s >= 0".into())
            }
            Pattern::Spike {
                multiplier,
                duration_s,
                at_s,
            } if !(multiplier >= 0.0 && duration_s > 0.0 && at_s >= 0.0) => {
                Err("Spike needs multiplier >= 0, duration_s > 0 and at_s >= 0".into())
            }
            Pattern::Wave {
                amplitude,
                period_s,
            } if !((0.0..=1.0).contains(&amplitude) && period_s > 0.0) => {
                Err("Wave needs 0 <= amplitude <= 1 and period_s > 0".into())
            }
            _ => Ok(()),
        }
    }

    /// Builds the source; it sends to its one outgoing edge.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let target = match wiring.out_edges().as_slice() {
            [one] => *one,
            [] => return Err(
                "a Client needs exactly one outgoing edge (to the node it sends to); it has none"
                    .into(),
            ),
            more => {
                return Err(format!(
                    "a Client needs exactly one outgoing edge; it has {}",
                    more.len()
                ));
            }
        };
        Ok(Built::plain(
            Station::infinite(),
            Client {
                params: self.clone(),
                target,
                keys: self.keyspace.map(|k| ZipfTable::new(k.keys, k.zipf_s)),
            },
        ))
    }

    fn offered_rps(&self) -> Option<f64> {
        Some(self.rps)
    }

    fn scale_traffic(&mut self, factor: f64) {
        self.scale(factor);
    }

    fn read_ratio(&self) -> Option<f64> {
        Some(self.read_ratio)
    }

    fn response_bytes(&self) -> Option<u64> {
        Some(self.response_bytes)
    }

    fn key_popularity(&self) -> Option<KeyPopularity> {
        self.keyspace
    }

    /// Users cost nothing themselves (the bytes they receive are charged where they leave).
    fn default_cost(&self) -> Option<CostSpec> {
        None
    }
}

impl ClientParams {

    /// Multiplies every rate by `factor` (the command line's `--rps`).
    pub fn scale(&mut self, factor: f64) {
        self.rps *= factor;
        if let Pattern::Ramp { to_rps, .. } = &mut self.pattern {
            *to_rps *= factor;
        }
    }

    /// The rate at `t_s` seconds.
    pub fn rate_at(&self, t_s: f64) -> f64 {
        match self.pattern {
            Pattern::Steady => self.rps,
            Pattern::Ramp {
                to_rps,
                start_s,
                over_s,
            } => {
                let f = ((t_s - start_s) / over_s).clamp(0.0, 1.0);
                self.rps + (to_rps - self.rps) * f
            }
            Pattern::Spike {
                at_s,
                multiplier,
                duration_s,
            } => {
                if t_s >= at_s && t_s < at_s + duration_s {
                    self.rps * multiplier
                } else {
                    self.rps
                }
            }
            Pattern::Wave {
                amplitude,
                period_s,
            } => self.rps * (1.0 + amplitude * libm::sin(core::f64::consts::TAU * t_s / period_s)),
        }
    }

    /// The highest rate the pattern reaches.
    pub fn peak_rate(&self) -> f64 {
        match self.pattern {
            Pattern::Steady => self.rps,
            Pattern::Ramp { to_rps, .. } => self.rps.max(to_rps),
            Pattern::Spike { multiplier, .. } => self.rps * multiplier.max(1.0),
            Pattern::Wave { amplitude, .. } => self.rps * (1.0 + amplitude),
        }
    }
}

/// A traffic source's behaviour.
#[derive(Clone, Debug)]
pub struct Client {
    /// Its parameters.
    pub params: ClientParams,
    target: crate::sim::EdgeId,
    keys: Option<ZipfTable>,
}

/// Zipf sampling by inversion of a precomputed cumulative table (exact and portable), with
/// a guide table (Chen and Asau) so a draw scans a few neighbouring entries instead of
/// binary-searching a table too big for the cache. The result is the same key a binary
/// search would give.
#[derive(Clone, Debug)]
pub struct ZipfTable {
    cdf: std::sync::Arc<[f64]>,
    /// `guide[k]`: the first index whose cumulative share exceeds k / guide.len().
    guide: std::sync::Arc<[u32]>,
}

impl ZipfTable {
    /// The table for ranks 0..keys with exponent `s`.
    pub fn new(keys: u32, s: f64) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (0..keys)
            .map(|k| {
                acc += libm::exp(-s * libm::log(f64::from(k) + 1.0));
                acc
            })
            .collect();
        let total = acc;
        cdf.iter_mut().for_each(|c| *c /= total);
        let slots = cdf.len().clamp(1, 1 << 20);
        let mut guide = Vec::with_capacity(slots);
        let mut j = 0;
        for k in 0..slots {
            let bound = k as f64 / slots as f64;
            while j + 1 < cdf.len() && cdf[j] <= bound {
                j += 1;
            }
            guide.push(j as u32);
        }
        ZipfTable {
            cdf: cdf.into(),
            guide: guide.into(),
        }
    }

    /// A key: the first rank whose cumulative share exceeds a uniform draw.
    pub fn sample(&self, rng: &mut crate::sim::SimRng) -> u32 {
        let u = rng.unit();
        let last = self.cdf.len() - 1;
        let slot = ((u * self.guide.len() as f64) as usize).min(self.guide.len() - 1);
        let mut j = self.guide[slot] as usize;
        // The guide is a lower bound up to rounding; step back if rounding overshot.
        while j > 0 && self.cdf[j - 1] > u {
            j -= 1;
        }
        while j < last && self.cdf[j] <= u {
            j += 1;
        }
        j as u32
    }
}

impl Behaviour for Client {
    fn kind_name(&self) -> &'static str {
        "client"
    }

    fn work(&mut self, _: &mut Cx, _: &Call) -> Option<Nanos> {
        None
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        Next::Call(self.target)
    }

    /// Non-homogeneous arrivals by thinning: candidates at the peak rate, each kept with
    /// probability rate(t) / peak. With a steady rate every candidate is kept.
    fn next_arrival_in(&mut self, cx: &mut Cx) -> Option<Nanos> {
        let scale = cx.mods.traffic;
        let peak = self.params.peak_rate() * scale;
        if peak <= 0.0 {
            return None;
        }
        let start_s = cx.now_ns as f64 / NS_PER_S as f64;
        let mut t_s = start_s;
        // Give up after a simulated hour without a request (a rate of zero).
        while t_s - start_s < 3600.0 {
            let gap_s = match self.params.arrival {
                Arrival::Poisson => cx.rng.exponential(1.0 / peak),
                Arrival::Constant => 1.0 / peak,
            };
            t_s += gap_s;
            if cx.rng.chance(self.params.rate_at(t_s) * scale / peak) {
                return Some(((t_s - start_s) * NS_PER_S as f64).round().max(1.0) as Nanos);
            }
        }
        None
    }

    fn request_kind(&mut self, cx: &mut Cx) -> (RequestKind, u32) {
        let kind = if cx.rng.chance(self.params.read_ratio) {
            RequestKind::Read
        } else {
            RequestKind::Write
        };
        (kind, self.keys.as_ref().map_or(0, |k| k.sample(cx.rng)))
    }

    fn response_bytes(&self) -> u64 {
        self.params.response_bytes
    }

    any_accessors!();
}

#[cfg(test)]
mod tests {
    use super::ZipfTable;
    use crate::sim::SimRng;

    #[test]
    fn the_guide_table_gives_the_binary_search_answer() {
        let table = ZipfTable::new(10_000, 0.9);
        let mut rng = SimRng::seeded(3);
        let mut check = SimRng::seeded(3);
        for _ in 0..200_000 {
            let fast = table.sample(&mut rng);
            let u = check.unit();
            let slow = table
                .cdf
                .partition_point(|&c| c <= u)
                .min(table.cdf.len() - 1) as u32;
            assert_eq!(fast, slow, "u = {u}");
        }
    }
}
