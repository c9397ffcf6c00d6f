//! DNS with TTL caching and health-checked routing (Route 53-like). Users reach the service
//! through resolvers (their ISP's, their office's, their phone's), each of which caches the
//! answer it got for `ttl_s`; a request goes through one resolver, drawn at random, and goes
//! where that resolver's cached answer points, paying a `lookup` first when the answer has
//! expired. The authoritative answer follows the health checks: a `Failover` record answers
//! the first healthy target in order (primary, then secondaries); a `Weighted` record draws a
//! healthy target by weight. So a failover takes the health checks' time to notice (interval
//! times threshold) plus up to one TTL while resolvers keep answering the dead target from
//! their caches; the traffic moves over gradually as the caches expire.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 9): Route 53 checks every
//! 10 or 30 s, unhealthy after 3 failures; failover records' TTL <= 60 s, ELB aliases fixed
//! at 60 s (AWS Route 53 developer guide); failover ~ interval x threshold + TTL, 90-150 s;
//! resolver misses walk the authoritative servers in tens of milliseconds (public resolvers
//! average 11-22 ms, DNSLab's resolver benchmarks).

use serde::{Deserialize, Serialize};

use super::load_balancer::HealthCheckParams;
use super::{Built, Forwarding, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::sim::{
    Balance, Behaviour, Call, Cx, Dist, EdgeId, HealthCheck, NS_PER_S, Nanos, Next, Reply,
    Router, Sampler, Station, UNBOUNDED, ms_to_ns,
};

/// The most resolver caches a record may be modelled with.
const MAX_RESOLVERS: u32 = 1_000_000;

/// Parameters of a DNS record and the resolvers in front of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsParams {
    /// How the record answers.
    pub routing: DnsRouting,
    /// The record's targets (node ids), first choice first; none = its outgoing edges in
    /// blueprint order.
    pub targets: Vec<String>,
    /// `Weighted` routing: each target's weight, in the order of the targets; none = equal.
    pub weights: Vec<f64>,
    /// Seconds a resolver caches an answer.
    pub ttl_s: f64,
    /// Resolver caches the users go through (each request through one, drawn at random).
    pub resolvers: u32,
    /// What a resolution takes when the cached answer has expired.
    pub lookup: Dist,
    /// Health checks of the targets.
    pub health_check: HealthCheckParams,
}

/// How a DNS record picks its answer among the healthy targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsRouting {
    /// The first healthy target (Route 53 failover: primary, then secondary).
    #[default]
    Failover,
    /// A healthy target drawn by weight (Route 53 weighted records).
    Weighted,
}

impl Default for DnsParams {
    fn default() -> Self {
        DnsParams {
            routing: DnsRouting::Failover,
            targets: Vec::new(),
            weights: Vec::new(),
            ttl_s: 60.0,
            resolvers: 1_000,
            lookup: Dist::LogNormal {
                p50: 20.0,
                p99: 120.0,
            },
            health_check: HealthCheckParams {
                interval_ms: 30_000.0,
                unhealthy_after: 3,
                healthy_after: 3,
            },
        }
    }
}

impl Kind for DnsParams {
    fn name(&self) -> &'static str {
        "dns"
    }

    fn about(&self) -> &'static str {
        "DNS (Route 53-like): cached answers for a TTL, health-checked failover or weights"
    }

    fn id_prefix(&self) -> &'static str {
        "dns"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 9,
                scale: 0.95,
            },
            accent: [0.40, 0.75, 0.55],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if !(self.ttl_s.is_finite() && self.ttl_s >= 0.0 && self.ttl_s <= 7.0 * 86_400.0) {
            return Err(format!(
                "ttl_s must be between 0 and 604800 (a week), found {}",
                self.ttl_s
            ));
        }
        if self.resolvers == 0 || self.resolvers > MAX_RESOLVERS {
            return Err(format!(
                "resolvers must be between 1 and {MAX_RESOLVERS}, found {}",
                self.resolvers
            ));
        }
        if let Some(w) = self.weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(format!("weights must be >= 0, found {w}"));
        }
        if !self.weights.is_empty() && self.weights.iter().sum::<f64>() <= 0.0 {
            return Err("weights must not all be 0".into());
        }
        let h = &self.health_check;
        if !(h.interval_ms.is_finite() && h.interval_ms >= 100.0) {
            return Err(format!(
                "health_check.interval_ms must be at least 100, found {}",
                h.interval_ms
            ));
        }
        if h.unhealthy_after == 0 || h.healthy_after == 0 {
            return Err("health_check: unhealthy_after and healthy_after must be at least 1".into());
        }
        self.lookup.validate()
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let targets: Vec<EdgeId> = if self.targets.is_empty() {
            wiring.out_edges()
        } else {
            self.targets
                .iter()
                .map(|t| wiring.edge_to(t).map_err(|e| format!("targets: {e}")))
                .collect::<Result<_, _>>()?
        };
        if targets.is_empty() {
            return Err("a Dns record needs at least one target (an outgoing edge)".into());
        }
        if !self.weights.is_empty() && self.weights.len() != targets.len() {
            return Err(format!(
                "weights: {} weights for {} targets",
                self.weights.len(),
                targets.len()
            ));
        }
        let weights = if self.weights.is_empty() {
            vec![1.0; targets.len()]
        } else {
            self.weights.clone()
        };
        let ttl_ns = (self.ttl_s * NS_PER_S as f64) as Nanos;
        // A resolver population in its steady state: each cached the record at some moment
        // of the last TTL, so their expiries are spread evenly over the next one.
        let mut rng = wiring.rng();
        let mut model = Dns {
            routing: self.routing,
            targets: targets.clone(),
            weights,
            ttl_ns,
            lookup: self.lookup.sampler(),
            cache: Vec::with_capacity(self.resolvers as usize),
            on: vec![0; targets.len()],
        };
        for _ in 0..self.resolvers {
            let answer = model.answer(&vec![true; targets.len()], &mut || rng.unit());
            let expiry = (rng.unit() * ttl_ns as f64) as Nanos;
            model.cache.push((answer, expiry));
            model.on[usize::from(answer)] += 1;
        }
        let h = self.health_check;
        let check = HealthCheck {
            interval_ns: ms_to_ns(h.interval_ms),
            unhealthy_after: h.unhealthy_after,
            healthy_after: h.healthy_after,
        };
        Ok(Built {
            router: Some(Router::new(Balance::RoundRobin, targets, Some(check))),
            ..Built::plain(Station::new(UNBOUNDED, UNBOUNDED, false), model)
        })
    }

    fn rename_reference(&mut self, old: &str, new: &str) {
        for t in &mut self.targets {
            if t == old {
                *t = new.to_string();
            }
        }
    }

    fn remove_reference(&mut self, id: &str) {
        if let Some(i) = self.targets.iter().position(|t| t == id) {
            self.targets.remove(i);
            if i < self.weights.len() {
                self.weights.remove(i);
            }
        }
    }

    /// A new edge is one more target, if the targets are listed.
    fn add_reference(&mut self, to: &str) {
        if !self.targets.is_empty() && !self.targets.iter().any(|t| t == to) {
            self.targets.push(to.to_string());
            if !self.weights.is_empty() {
                self.weights.push(1.0);
            }
        }
    }

    fn apply_fix(&mut self, fix: &super::Fix) -> bool {
        match *fix {
            super::Fix::DnsTtl(seconds) => self.ttl_s = self.ttl_s.min(seconds.max(0.0)),
            _ => return false,
        }
        true
    }

    /// For the cost estimate: spread over its targets (failover sends it all to one, but
    /// which one is the run's business).
    fn forwarding(&self) -> Forwarding<'_> {
        Forwarding::Spread
    }
}

/// A DNS record's behaviour: resolvers' caches in front of health-checked answers.
#[derive(Clone, Debug)]
pub struct Dns {
    routing: DnsRouting,
    targets: Vec<EdgeId>,
    weights: Vec<f64>,
    ttl_ns: Nanos,
    lookup: Sampler,
    /// Each resolver's cached answer (a target's index) and when it expires.
    cache: Vec<(u16, Nanos)>,
    /// Resolvers caching each target.
    on: Vec<u32>,
}

impl Dns {
    /// The authoritative answer, given which targets are healthy (all unhealthy: answer as
    /// if all were healthy, as Route 53 does).
    fn answer(&self, healthy: &[bool], unit: &mut dyn FnMut() -> f64) -> u16 {
        let any = healthy.iter().any(|&h| h);
        let ok = |i: usize| !any || healthy.get(i).copied().unwrap_or(true);
        match self.routing {
            DnsRouting::Failover => (0..self.targets.len()).find(|&i| ok(i)).unwrap_or(0) as u16,
            DnsRouting::Weighted => {
                let total: f64 = (0..self.targets.len())
                    .filter(|&i| ok(i))
                    .map(|i| self.weights[i])
                    .sum();
                let mut draw = unit() * total;
                for i in (0..self.targets.len()).filter(|&i| ok(i)) {
                    draw -= self.weights[i];
                    if draw < 0.0 {
                        return i as u16;
                    }
                }
                (0..self.targets.len()).rfind(|&i| ok(i)).unwrap_or(0) as u16
            }
        }
    }

    /// Resolvers whose cached answer (fresh or expired) is target `target`.
    pub fn resolvers_on(&self, target: usize) -> u32 {
        self.on[target]
    }
}

impl Behaviour for Dns {
    fn kind_name(&self) -> &'static str {
        "dns"
    }

    fn work(&mut self, _: &mut Cx, _: &Call) -> Option<Nanos> {
        None
    }

    /// Through a resolver: its cached answer if fresh, else a lookup (the call waits for it,
    /// `call.step` holding the answer) and a fresh answer for the next TTL.
    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if call.step > 0 {
            return Next::Call(self.targets[usize::from(call.step - 1)]);
        }
        // The share of resolvers still pointing at a target the checks found dead.
        let stale: u32 = (0..self.targets.len())
            .filter(|&i| !cx.healthy.get(i).copied().unwrap_or(true))
            .map(|i| self.on[i])
            .sum();
        cx.metrics
            .peak("stale_answers", f64::from(stale) / self.cache.len() as f64);
        let r = cx.rng.below(self.cache.len() as u32) as usize;
        let (cached, expiry) = self.cache[r];
        if cx.now_ns < expiry {
            return Next::Call(self.targets[usize::from(cached)]);
        }
        let rng = &mut *cx.rng;
        let answer = self.answer(cx.healthy, &mut || rng.unit());
        self.cache[r] = (answer, cx.now_ns + self.ttl_ns);
        self.on[usize::from(cached)] -= 1;
        self.on[usize::from(answer)] += 1;
        cx.metrics.count("lookups", 1);
        call.step = answer + 1;
        Next::Wait(self.lookup.sample(cx.rng))
    }

    fn after_calls(&mut self, _: &mut Cx, _: &mut Call, reply: Reply) -> Next {
        Next::Respond(reply)
    }

    any_accessors!();
}
