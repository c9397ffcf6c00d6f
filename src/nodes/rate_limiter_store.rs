//! Rate limiter store (a Redis-backed limiter): a node other nodes call before doing work. It
//! answers allowed, or refused (`rejected`, HTTP 429), from a counter every caller shares:
//! one of the five algorithms of [`super::rate_limit`], kept once for all callers (or once
//! per client), so two gateways each sending 60% of the limit get the limit between them, not
//! 120% of it. It has its own latency and capacity (a Redis shard runs the check-and-count
//! script for every call) and its own failures: chaos takes it down, slows it, partitions it.
//! What a caller does when it fails is the caller's choice (an API gateway's `limiter:
//! (when_down: Open | Closed)`).
//!
//! Each shard runs the checks on one core, first come first served (Redis executes commands
//! on one thread), so the store's latency is its core's queue plus the check's CPU time, and
//! it saturates at one core's worth of checks per shard. A leaky bucket holds an admitted call
//! until its drain slot before answering "go now" (holding the caller's connection, not the
//! core).
//!
//! Sources (`../shared/reference/component-parameters.md`): the design from Stripe's "Scaling
//! your API with rate limiters" (token buckets in Redis shared by the API fleet) [8];
//! Cloudflare's sliding window counter [7]; the network round trip within a zone, ~0.45 ms
//! [91], is the edges' (a check answers in 0.2-1 ms end to end); 20 us (p99 100 us) of CPU
//! per check, about 38,000 checks a second per shard, is our judgment for a small Lua script
//! (plain Redis commands run at ~100,000 a second per core); Redis's default `maxclients` of
//! 10,000 (redis.conf).

use serde::{Deserialize, Serialize};

use super::rate_limit::{Algorithm, Limiter, RateLimitParams};
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::ElastiCacheSpec;
use crate::sim::{
    Behaviour, Call, CpuDiscipline, Cx, Dist, ErrorCause, Nanos, Next, Reply, Sampler, Station,
};

/// Parameters of a rate limiter store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimiterStoreParams {
    /// The shared limit.
    pub limit: RateLimitParams,
    /// Counters: 1 = one counter shared by every request; more = one per client, a
    /// request's client being its key modulo this; count, 1 to 100,000.
    pub clients: u32,
    /// Shards (instances), each running commands on one core (Redis runs them on one
    /// thread); calls spread over them.
    pub replicas: u32,
    /// CPU time of one check-and-count (a Lua script or `INCR` + `EXPIRE`) on its shard's
    /// core, ms. The network both ways is the edge's latency.
    pub work: Dist,
    /// Calls each shard holds at once (Redis's `maxclients`); an arrival beyond them fails
    /// `queue_full` at once.
    pub max_clients: u32,
}

/// Most clients a store counts apart.
const MAX_CLIENTS: u32 = 100_000;

impl Default for RateLimiterStoreParams {
    fn default() -> Self {
        RateLimiterStoreParams {
            limit: RateLimitParams {
                algorithm: Algorithm::TokenBucket,
                limit: 1_000,
                window_ms: 1_000.0,
                burst: None,
            },
            clients: 1,
            replicas: 1,
            work: Dist::LogNormal {
                p50: 0.02,
                p99: 0.1,
            },
            max_clients: 10_000,
        }
    }
}

impl Kind for RateLimiterStoreParams {
    fn name(&self) -> &'static str {
        "rate_limiter"
    }

    fn about(&self) -> &'static str {
        "Rate limiter store (Redis): a shared counter callers ask before doing work"
    }

    fn id_prefix(&self) -> &'static str {
        "limiter"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 12,
                scale: 0.8,
            },
            accent: [0.78, 0.45, 0.92],
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.limit.validate("limit")?;
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!(
                "clients must be between 1 and {MAX_CLIENTS}, found {}",
                self.clients
            ));
        }
        if self.replicas == 0 || self.max_clients == 0 {
            return Err("replicas and max_clients must be at least 1".into());
        }
        self.work.validate()
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let model = RateLimiterStore {
            work: self.work.sampler(),
            counters: vec![self.limit.limiter(); self.clients as usize],
        };
        let station = Station::new(self.replicas.saturating_mul(self.max_clients), 0, false)
            .with_cpu(self.replicas, CpuDiscipline::Fcfs);
        Ok(Built::plain(station, model))
    }

    /// A store takes no edge by itself: it calls nobody.
    fn add_reference(&mut self, _: &str) {}

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::ElastiCache(ElastiCacheSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["ElastiCache", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Replicas
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.replicas)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.replicas = units;
    }
}

/// `Call::step` once a call has waited for its drain slot.
const DRAINED: u16 = 1;

/// A rate limiter store's behaviour.
#[derive(Clone, Debug)]
pub struct RateLimiterStore {
    work: Sampler,
    counters: Vec<Limiter>,
}

impl Behaviour for RateLimiterStore {
    fn kind_name(&self) -> &'static str {
        "rate_limiter"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        Some(self.work.sample(cx.rng))
    }

    /// The script runs when the work ends: count the call and answer.
    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if call.step == DRAINED {
            return Next::Respond(Reply::OK);
        }
        let n = self.counters.len() as u32;
        match self.counters[(call.key % n) as usize].admit(cx.now_ns) {
            None => {
                cx.metrics.count("refused", 1);
                Next::Respond(Reply::failed(ErrorCause::Rejected))
            }
            Some(0) => Next::Respond(Reply::OK),
            Some(delay) => {
                call.step = DRAINED;
                cx.metrics.peak("drain_wait_ms", crate::sim::ns_to_ms(delay));
                Next::Wait(delay)
            }
        }
    }

    any_accessors!();
}
