//! CDN: edge locations answer hits; misses go to the origin.

use serde::{Deserialize, Serialize};

use super::cache::{HitOrMiss, validate_hit_ratio};
use super::{Built, Wiring};
use crate::any_accessors;
use crate::sim::{Behaviour, Call, Cx, Dist, Nanos, Next, Reply, Sampler, Station, UNBOUNDED};

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

impl CdnParams {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        validate_hit_ratio(self.edge_hit_ratio)?;
        if self.origin.is_empty() {
            return Err("a Cdn needs an `origin` (the node misses go to)".into());
        }
        self.work.validate()
    }

    /// Builds the CDN (capacity is effectively unlimited).
    pub fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let lookup = HitOrMiss {
            hit_ratio: self.edge_hit_ratio,
            origin: Some(wiring.edge_to(&self.origin)?),
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            Cdn {
                work: self.work.sampler(),
                lookup,
            },
        ))
    }
}

/// A CDN's behaviour.
#[derive(Clone, Debug)]
pub struct Cdn {
    work: Sampler,
    /// Hit ratio and origin.
    pub lookup: HitOrMiss,
}

impl Behaviour for Cdn {
    fn kind_name(&self) -> &'static str {
        "cdn"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        Some(self.work.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        self.lookup.after_lookup(cx, call)
    }

    fn after_calls(&mut self, _: &mut Cx, _: &mut Call, reply: Reply) -> Next {
        Next::Respond(Reply {
            miss: false,
            ..reply
        })
    }

    any_accessors!();
}
