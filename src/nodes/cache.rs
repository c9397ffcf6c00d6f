//! Cache (Redis-like): a hit answers fast; a miss either tells the caller (cache-aside: the
//! caller's call plan goes to the database) or, with an `origin`, fetches from it
//! (read-through). Writes are sets.

use serde::{Deserialize, Serialize};

use super::keyspace::{Keyspace, KeyspaceParams, Lookup, WritePolicy};
use super::{Built, Capacity, Fix, Forwarding, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::ElastiCacheSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, EdgeId, Nanos, Next, Reply, RequestKind, Sampler, Shock, SimRng,
};

/// Parameters of a cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheParams {
    /// Share of reads found in the cache.
    pub hit_ratio: f64,
    /// Instances (shards).
    pub replicas: u32,
    /// Requests each instance serves at once.
    pub concurrency: u32,
    /// Requests that may wait; none = unbounded.
    pub queue_capacity: Option<u32>,
    /// Time to serve a get or a set.
    pub work: Dist,
    /// Read-through: on a miss the cache itself fetches from this node.
    pub origin: Option<String>,
    /// Keys instead of a fixed ratio: the hit rate emerges from the traffic's keys, the
    /// capacity (LRU) and the TTL. `hit_ratio` is then unused.
    pub keyspace: Option<KeyspaceParams>,
}

impl Default for CacheParams {
    fn default() -> Self {
        CacheParams {
            hit_ratio: 0.95,
            replicas: 1,
            concurrency: 64,
            queue_capacity: None,
            work: Dist::LogNormal { p50: 0.3, p99: 1.5 },
            origin: None,
            keyspace: None,
        }
    }
}

impl Kind for CacheParams {
    fn name(&self) -> &'static str {
        "cache"
    }

    fn about(&self) -> &'static str {
        "Cache (Redis-like): hits answer fast, misses go on"
    }

    fn id_prefix(&self) -> &'static str {
        "cache"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon { sides: 4, scale: 1.1 },
            accent: [0.95, 0.45, 0.40],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        validate_hit_ratio(self.hit_ratio)?;
        if let Some(ks) = &self.keyspace {
            ks.validate()?;
        }
        self.capacity().validate()?;
        self.work.validate()
    }

    /// Builds the cache.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let origin = self
            .origin
            .as_deref()
            .map(|o| wiring.edge_to(o))
            .transpose()?;
        let model = Cache {
            kind: "cache",
            work: self.work.sampler(),
            lookup: HitOrMiss {
                hit_ratio: self.hit_ratio,
                origin,
                keyspace: self.keyspace.map(|params| match wiring.key_traffic() {
                    Some(traffic) => Keyspace::stationary(params, traffic, &mut wiring.rng()),
                    None => Keyspace::warm(params),
                }),
            },
        };
        Ok(Built::plain(self.capacity().station(false), model))
    }

    fn rename_reference(&mut self, old: &str, new: &str) {
        if self.origin.as_deref() == Some(old) {
            self.origin = Some(new.to_string());
        }
    }

    fn remove_reference(&mut self, id: &str) {
        if self.origin.as_deref() == Some(id) {
            self.origin = None;
        }
    }

    /// A cache takes no new edge by itself (a read-through origin is set in its parameters).
    fn add_reference(&mut self, _: &str) {}

    fn forwarding(&self) -> Forwarding<'_> {
        self.origin
            .as_deref()
            .map_or(Forwarding::Nothing, |origin| Forwarding::Misses {
                origin,
                miss_share: 1.0 - self.hit_ratio,
            })
    }

    fn aside_miss_share(&self) -> Option<f64> {
        self.origin.is_none().then_some(1.0 - self.hit_ratio)
    }

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

    /// The expiry and write fixes, for a cache that models its keys (a `keyspace`).
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        let Some(ks) = self.keyspace.as_mut() else {
            return false;
        };
        match *fix {
            Fix::TtlJitter(jitter) => ks.ttl_jitter = jitter,
            Fix::EarlyExpiration(beta) => ks.early_expiration = Some(beta),
            Fix::StaleWhileRevalidate => ks.stale_while_revalidate = true,
            Fix::WriteThrough => ks.on_write = WritePolicy::Update,
            _ => return false,
        }
        true
    }
}

/// Hit-or-miss logic shared by caches and CDNs.
#[derive(Clone, Debug)]
pub struct HitOrMiss {
    /// Share of reads that hit (fixed-ratio mode).
    pub hit_ratio: f64,
    /// Where a miss is fetched from (read-through), if anywhere.
    pub origin: Option<EdgeId>,
    /// The contents, in keyspace mode.
    pub keyspace: Option<Keyspace>,
}

impl HitOrMiss {
    /// After the lookup: hit, or miss (fetch from the origin or report the miss).
    pub fn after_lookup(&mut self, cx: &mut Cx, call: &Call) -> Next {
        if call.fill || call.kind == RequestKind::Write {
            if let Some(ks) = self.keyspace.as_mut() {
                if call.fill {
                    ks.set(call.key, cx.now_ns, cx.rng);
                } else {
                    ks.write(call.key, cx.now_ns, cx.rng);
                }
            }
            return Next::Respond(Reply::OK);
        }
        let lookup = match (cx.mods.hit_rate, self.keyspace.as_mut()) {
            (Some(forced), _) => {
                if cx.rng.chance(forced) {
                    Lookup::Hit
                } else {
                    Lookup::Miss
                }
            }
            (None, Some(ks)) => ks.get(call.key, cx.now_ns, cx.rng),
            (None, None) => {
                if cx.rng.chance(self.hit_ratio) {
                    Lookup::Hit
                } else {
                    Lookup::Miss
                }
            }
        };
        match lookup {
            Lookup::Hit => {
                cx.metrics.hits += 1;
                Next::Respond(Reply::OK)
            }
            Lookup::Stale => {
                cx.metrics.hits += 1;
                Next::Respond(Reply {
                    stale: true,
                    ..Reply::OK
                })
            }
            Lookup::Miss => {
                cx.metrics.misses += 1;
                match self.origin {
                    Some(origin) => Next::Call(origin),
                    None => Next::Respond(Reply {
                        miss: true,
                        ..Reply::OK
                    }),
                }
            }
        }
    }

    /// Whether `shock` hits anything: only keyspace caches have entries to lose.
    pub fn takes_shock(&self, shock: Shock) -> bool {
        self.keyspace.is_some() && !matches!(shock, Shock::Rebalance | Shock::LeaderLoss)
    }

    /// Chaos hits the contents now: entries expire together or early, or all go.
    pub fn shock(&mut self, shock: Shock, now_ns: Nanos, rng: &mut SimRng) {
        let Some(ks) = self.keyspace.as_mut() else {
            return;
        };
        match shock {
            Shock::ExpireTogether => ks.expire_together(now_ns, rng),
            Shock::ExpireWithin { within_ns } => ks.expire_within(now_ns, within_ns),
            Shock::Flush => ks.flush(),
            Shock::Rebalance | Shock::LeaderLoss => {}
        }
    }

    /// After a read-through fetch: keep the value.
    pub fn after_fetch(&mut self, cx: &mut Cx, call: &Call, reply: Reply) -> Next {
        if reply.error.is_none()
            && let Some(ks) = self.keyspace.as_mut()
        {
            ks.set(call.key, cx.now_ns, cx.rng);
        }
        Next::Respond(Reply {
            miss: false,
            stale: false,
            ..reply
        })
    }
}

/// Checks a hit ratio.
pub fn validate_hit_ratio(ratio: f64) -> Result<(), String> {
    if !(0.0..=1.0).contains(&ratio) {
        return Err(format!(
            "a hit ratio must be between 0 and 1, found {ratio}"
        ));
    }
    Ok(())
}

impl CacheParams {

    /// Servers and queue.
    pub fn capacity(&self) -> Capacity {
        Capacity {
            replicas: self.replicas,
            concurrency: self.concurrency,
            queue_capacity: self.queue_capacity,
        }
    }
}

/// A cache's (or a CDN's) behaviour: look up, then answer or fetch from the origin.
#[derive(Clone, Debug)]
pub struct Cache {
    /// "cache" or "cdn".
    pub kind: &'static str,
    /// Time of a lookup.
    pub work: Sampler,
    /// Hit ratio and origin.
    pub lookup: HitOrMiss,
}

impl Behaviour for Cache {
    fn kind_name(&self) -> &'static str {
        self.kind
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        Some(self.work.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        self.lookup.after_lookup(cx, call)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        self.lookup.after_fetch(cx, call, reply)
    }

    fn takes_shock(&self, shock: Shock) -> bool {
        self.lookup.takes_shock(shock)
    }

    fn shock(&mut self, shock: Shock, now_ns: Nanos, rng: &mut SimRng) {
        self.lookup.shock(shock, now_ns, rng);
    }

    any_accessors!();
}
