//! CDN: edge locations answer hits; misses go to the origin (a read-through cache with
//! unlimited capacity).

use serde::{Deserialize, Serialize};

use super::cache::{Cache, HitOrMiss, validate_hit_ratio};
use super::{Built, Forwarding, Kind, Look, Outline, Wiring};
use crate::pricing::CostSpec;
use crate::sim::{Dist, Station, UNBOUNDED};

/// Parameters of a CDN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdnParams {
    /// Share of reads served from the edge.
    pub edge_hit_ratio: f64,
    /// Time to serve from the edge.
    pub work: Dist,
    /// The origin behind it (required).
    pub origin: String,
}

impl Default for CdnParams {
    fn default() -> Self {
        CdnParams {
            edge_hit_ratio: 0.9,
            work: Dist::LogNormal {
                p50: 2.0,
                p99: 10.0,
            },
            origin: String::new(),
        }
    }
}

impl Kind for CdnParams {
    fn name(&self) -> &'static str {
        "cdn"
    }

    fn about(&self) -> &'static str {
        "CDN edge in front of an origin (connect it to the origin)"
    }

    fn id_prefix(&self) -> &'static str {
        "cdn"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon { sides: 8, scale: 1.0 },
            accent: [0.70, 0.55, 0.95],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        validate_hit_ratio(self.edge_hit_ratio)?;
        if self.origin.is_empty() {
            return Err("a Cdn needs an `origin` (the node misses go to)".into());
        }
        self.work.validate()
    }

    /// Builds the CDN (capacity is effectively unlimited).
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let lookup = HitOrMiss {
            hit_ratio: self.edge_hit_ratio,
            origin: Some(wiring.edge_to(&self.origin)?),
            keyspace: None,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            Cache {
                kind: "cdn",
                work: self.work.sampler(),
                lookup,
            },
        ))
    }

    fn rename_reference(&mut self, old: &str, new: &str) {
        if self.origin == old {
            self.origin = new.to_string();
        }
    }

    /// A CDN keeps its origin when it goes (it needs one: the editor shows the problem).
    fn remove_reference(&mut self, _: &str) {}

    /// A CDN without an origin takes the new edge's target as its origin.
    fn add_reference(&mut self, to: &str) {
        if self.origin.is_empty() {
            self.origin = to.to_string();
        }
    }

    fn forwarding(&self) -> Forwarding<'_> {
        Forwarding::Misses {
            origin: &self.origin,
            miss_share: 1.0 - self.edge_hit_ratio,
        }
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::CloudFront)
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["CloudFront", "Unpriced"]
    }
}

