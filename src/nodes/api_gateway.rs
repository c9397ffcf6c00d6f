//! API gateway: the front door of an API. Each request pays the gateway's overhead and its
//! authentication (plain delays: a managed gateway's capacity is set by quotas, not by cores
//! the account sizes), passes its rate limits (per client, per route, gateway-wide; any of
//! the five algorithms of [`super::rate_limit`]), optionally asks a shared limiter store
//! (Redis) whether it may go on, and is routed by its path to one upstream.
//!
//! Requests here carry a kind (read or write) and a key, not a path, so a route is drawn for
//! each request with the route's share as its probability (from the run's random numbers),
//! and the client (the API key a per-client limit counts) is the request's key modulo
//! `clients`. Refused requests fail `rejected` (HTTP 429) at once. A leaky bucket holds an
//! admitted request until its drain slot (without a core: [`Next::Wait`]).
//!
//! When the shared limiter store fails (it is down, partitioned, timed out; anything but a
//! refusal) the gateway fails open (the request goes on unlimited, as Stripe's limiters and
//! Envoy's `failure_mode_deny: false` do) or closed (it fails with the store's error, as
//! Kong's rate limiting with `fault_tolerant = false` answers 500).
//!
//! Sources (`../shared/reference/component-parameters.md`, section 1): the account throttle,
//! a token bucket of 10,000 requests a second with a 5,000 burst, from AWS's API Gateway
//! quotas [1]; excess answered 429 [2]; the 15 ms median overhead is the notes' judgment from
//! reviews of REST APIs (REST adds 10-30 ms, HTTP APIs less [9]); fail open from Stripe's
//! "Scaling your API with rate limiters" [8].

use serde::{Deserialize, Serialize};

use super::plan::{CallStep, When};
use super::rate_limit::{Limiter, RateLimitParams};
use super::{Built, Fix, Forwarding, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, EdgeId, ErrorCause, Nanos, Next, Reply, Sampler, Station,
    UNBOUNDED,
};

/// What the gateway does when the shared limiter store fails for a reason other than a
/// refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WhenDown {
    /// Let the request through, unlimited (Stripe's advice; Envoy's and Kong's default).
    #[default]
    Open,
    /// Fail the request with the store's error.
    Closed,
}

/// A shared limiter store the gateway asks before routing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedLimiter {
    /// The store's node id (a `RateLimiterStore`, over an edge from the gateway).
    pub node: String,
    /// What to do when it fails.
    pub when_down: WhenDown,
}

impl Default for SharedLimiter {
    fn default() -> Self {
        SharedLimiter {
            node: "limiter".into(),
            when_down: WhenDown::Open,
        }
    }
}

/// One route: requests for a path prefix go to one upstream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Route {
    /// The path prefix it matches (a label: requests carry no path).
    pub prefix: String,
    /// Its share of the requests, relative to the other routes' (shares are normalised to
    /// sum to 1); > 0.
    pub share: f64,
    /// The upstream node id (over an edge from the gateway).
    pub to: String,
    /// The route's own limit; none = no limit.
    pub limit: Option<RateLimitParams>,
}

impl Default for Route {
    fn default() -> Self {
        Route {
            prefix: "/".into(),
            share: 1.0,
            to: String::new(),
            limit: None,
        }
    }
}

/// Parameters of an API gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiGatewayParams {
    /// Its overhead per request (routing, request mapping, logging), ms: a plain delay.
    pub overhead: Dist,
    /// Authentication per request (JWT validation, an authorizer), ms: a plain delay after
    /// the overhead; none = no authentication.
    pub auth: Option<Dist>,
    /// The gateway-wide limit (AWS's account throttle); none = no limit.
    pub limit: Option<RateLimitParams>,
    /// Routes, by path prefix; at least one.
    pub routes: Vec<Route>,
    /// Clients (API keys) a per-client limit tells apart: a request's client is its key
    /// modulo this; count, 1 to 100,000.
    pub clients: u32,
    /// Each client's limit (a usage plan); none = no per-client limit.
    pub per_client: Option<RateLimitParams>,
    /// A shared limiter store asked after the local limits; none = local limits only.
    pub limiter: Option<SharedLimiter>,
}

/// Most clients a gateway tells apart (each has a limiter of its own).
const MAX_CLIENTS: u32 = 100_000;

/// Most routes (a route's index travels in the call's step).
const MAX_ROUTES: usize = ROUTE as usize;

impl Default for ApiGatewayParams {
    fn default() -> Self {
        ApiGatewayParams {
            overhead: Dist::LogNormal {
                p50: 15.0,
                p99: 50.0,
            },
            auth: None,
            limit: Some(RateLimitParams::token_bucket(10_000, 5_000)),
            routes: Vec::new(),
            clients: 1,
            per_client: None,
            limiter: None,
        }
    }
}

impl Kind for ApiGatewayParams {
    fn name(&self) -> &'static str {
        "api_gateway"
    }

    fn about(&self) -> &'static str {
        "API gateway: auth, rate limits per route and client, routing by path"
    }

    fn id_prefix(&self) -> &'static str {
        "gateway"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 7,
                scale: 1.25,
            },
            accent: [0.98, 0.60, 0.20],
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.overhead.validate()?;
        if let Some(auth) = &self.auth {
            auth.validate()?;
        }
        if let Some(l) = &self.limit {
            l.validate("limit")?;
        }
        if self.routes.len() > MAX_ROUTES {
            return Err(format!(
                "routes: at most {MAX_ROUTES}, found {}",
                self.routes.len()
            ));
        }
        for (i, r) in self.routes.iter().enumerate() {
            if !(r.share > 0.0 && r.share.is_finite()) {
                return Err(format!("routes[{i}].share must be > 0, found {}", r.share));
            }
            if r.to.is_empty() {
                return Err(format!("routes[{i}].to must name the upstream node"));
            }
            if let Some(l) = &r.limit {
                l.validate(&format!("routes[{i}].limit"))?;
            }
            if self.limiter.as_ref().is_some_and(|s| s.node == r.to) {
                return Err(format!(
                    "routes[{i}].to is the limiter store \"{}\": a route goes to an upstream",
                    r.to
                ));
            }
        }
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!(
                "clients must be between 1 and {MAX_CLIENTS}, found {}",
                self.clients
            ));
        }
        if let Some(l) = &self.per_client {
            l.validate("per_client")?;
        }
        if self.limiter.as_ref().is_some_and(|s| s.node.is_empty()) {
            return Err("limiter.node must name the limiter store".into());
        }
        Ok(())
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        if self.routes.is_empty() {
            return Err(
                "an ApiGateway needs at least one route (routes: [(prefix: \"/\", to: \"app\")])"
                    .into(),
            );
        }
        let total: f64 = self.routes.iter().map(|r| r.share).sum();
        let mut cumulative = 0.0;
        let mut routes = Vec::with_capacity(self.routes.len());
        for r in &self.routes {
            cumulative += r.share / total;
            routes.push(RouteState {
                edge: wiring.edge_to(&r.to)?,
                up_to: cumulative,
                limit: r.limit.map(|l| l.limiter()),
            });
        }
        let model = ApiGateway {
            overhead: self.overhead.sampler(),
            auth: self.auth.map(|d| d.sampler()),
            limit: self.limit.map(|l| l.limiter()),
            routes,
            per_client: self
                .per_client
                .map(|l| vec![l.limiter(); self.clients as usize])
                .unwrap_or_default(),
            limiter: self
                .limiter
                .as_ref()
                .map(|s| Ok::<_, String>((wiring.edge_to(&s.node)?, s.when_down)))
                .transpose()?,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn rename_reference(&mut self, old: &str, new: &str) {
        for r in &mut self.routes {
            if r.to == old {
                r.to = new.to_string();
            }
        }
        if let Some(s) = self.limiter.as_mut()
            && s.node == old
        {
            s.node = new.to_string();
        }
    }

    fn remove_reference(&mut self, id: &str) {
        self.routes.retain(|r| r.to != id);
        if self.limiter.as_ref().is_some_and(|s| s.node == id) {
            self.limiter = None;
        }
    }

    /// A new edge is a new route to it, `/<id>`, with the mean of the other routes' shares
    /// (so it takes its equal part).
    fn add_reference(&mut self, to: &str) {
        let taken = self.routes.iter().any(|r| r.to == to)
            || self.limiter.as_ref().is_some_and(|s| s.node == to);
        if taken {
            return;
        }
        let share = if self.routes.is_empty() {
            1.0
        } else {
            self.routes.iter().map(|r| r.share).sum::<f64>() / self.routes.len() as f64
        };
        self.routes.push(Route {
            prefix: format!("/{to}"),
            share,
            to: to.to_string(),
            limit: None,
        });
    }

    /// Every request asks the store (if any), then goes to one route with its share.
    fn forwarding(&self) -> Forwarding<'_> {
        let total: f64 = self.routes.iter().map(|r| r.share).sum();
        let step = |to: &str, probability: f64| CallStep::Call {
            to: to.to_string(),
            when: When::Always,
            probability,
            on_miss: None,
            fill: false,
        };
        let store = self.limiter.iter().map(|s| step(&s.node, 1.0));
        let routes = self.routes.iter().map(|r| step(&r.to, r.share / total));
        Forwarding::Steps(store.chain(routes).collect())
    }

    /// Per request: API Gateway's HTTP API, or its REST API when clients have limits of
    /// their own (usage plans are REST's).
    fn default_cost(&self) -> Option<CostSpec> {
        Some(if self.per_client.is_some() {
            CostSpec::ApiGatewayRest
        } else {
            CostSpec::ApiGatewayHttp
        })
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["ApiGatewayHttp", "ApiGatewayRest", "Unpriced"]
    }

    /// Fail open or closed when its limiter store fails.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match (*fix, self.limiter.as_mut()) {
            (Fix::LimiterFailsOpen(open), Some(s)) => {
                s.when_down = if open {
                    WhenDown::Open
                } else {
                    WhenDown::Closed
                };
                true
            }
            _ => false,
        }
    }
}

/// Flag in `Call::step`: the local limits were passed (and any drain slot waited for).
const PASSED: u16 = 0x1000;
/// Flag in `Call::step`: the call waits for the limiter store's answer.
const AT_STORE: u16 = 0x2000;
/// The route index bits of `Call::step` (the engine's fill flag, 0x4000, stays clear).
const ROUTE: u16 = 0x0fff;

/// A route, resolved.
#[derive(Clone, Debug)]
struct RouteState {
    edge: EdgeId,
    /// Cumulative share up to and including this route.
    up_to: f64,
    limit: Option<Limiter>,
}

/// An API gateway's behaviour.
#[derive(Clone, Debug)]
pub struct ApiGateway {
    overhead: Sampler,
    auth: Option<Sampler>,
    limit: Option<Limiter>,
    routes: Vec<RouteState>,
    per_client: Vec<Limiter>,
    limiter: Option<(EdgeId, WhenDown)>,
}

impl ApiGateway {
    /// The route a uniform draw `u` falls in.
    fn pick(&self, u: f64) -> usize {
        self.routes
            .iter()
            .position(|r| u < r.up_to)
            .unwrap_or(self.routes.len() - 1)
    }

    /// Passes the request through its client's, its route's and the gateway's limits, in
    /// that order: the longest drain slot any leaky bucket gives it, or `None` if one refuses
    /// (the limits it passed before still counted it, as separate counters do).
    fn admit(&mut self, cx: &mut Cx, route: usize, key: u32) -> Option<Nanos> {
        let now = cx.now_ns;
        let mut delay = 0;
        let clients = self.per_client.len() as u32;
        let levels = [
            ("rejected_per_client", self.per_client.get_mut((key % clients.max(1)) as usize)),
            ("rejected_per_route", self.routes[route].limit.as_mut()),
            ("rejected_gateway_wide", self.limit.as_mut()),
        ];
        for (counter, limiter) in levels {
            if let Some(l) = limiter {
                match l.admit(now) {
                    Some(d) => delay = delay.max(d),
                    None => {
                        cx.metrics.count(counter, 1);
                        return None;
                    }
                }
            }
        }
        Some(delay)
    }

    /// After the local limits: ask the store, or go to the route.
    fn forward(&self, call: &mut Call) -> Next {
        match self.limiter {
            Some((edge, _)) => {
                call.step |= AT_STORE;
                Next::Call(edge)
            }
            None => self.upstream(call),
        }
    }

    fn upstream(&self, call: &Call) -> Next {
        Next::Call(self.routes[usize::from(call.step & ROUTE)].edge)
    }
}

impl Behaviour for ApiGateway {
    fn kind_name(&self) -> &'static str {
        "api_gateway"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        let auth = self.auth.map_or(0, |a| a.sample(cx.rng));
        Some(self.overhead.sample(cx.rng) + auth)
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if call.step & PASSED == 0 {
            let route = self.pick(cx.rng.unit());
            let Some(delay) = self.admit(cx, route, call.key) else {
                return Next::Respond(Reply::failed(ErrorCause::Rejected));
            };
            call.step = route as u16 | PASSED;
            if delay > 0 {
                cx.metrics.peak("drain_wait_ms", crate::sim::ns_to_ms(delay));
                return Next::Wait(delay);
            }
        }
        self.forward(call)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        if call.step & AT_STORE == 0 {
            return Next::Respond(reply);
        }
        call.step &= !AT_STORE;
        match (reply.error, self.limiter.map(|(_, w)| w)) {
            (None, _) => self.upstream(call),
            (Some(ErrorCause::Rejected), _) => {
                cx.metrics.count("rejected_by_store", 1);
                Next::Respond(Reply::failed(ErrorCause::Rejected))
            }
            (Some(_), Some(WhenDown::Open) | None) => {
                cx.metrics.count("store_failed_open", 1);
                self.upstream(call)
            }
            (Some(cause), Some(WhenDown::Closed)) => {
                cx.metrics.count("store_failed_closed", 1);
                Next::Respond(Reply::failed(cause))
            }
        }
    }

    any_accessors!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> ApiGatewayParams {
        ApiGatewayParams {
            routes: vec![
                Route {
                    prefix: "/api/orders".into(),
                    share: 0.3,
                    to: "orders".into(),
                    limit: None,
                },
                Route {
                    prefix: "/api/catalog".into(),
                    share: 0.7,
                    to: "catalog".into(),
                    limit: None,
                },
            ],
            limiter: Some(SharedLimiter {
                node: "limiter".into(),
                when_down: WhenDown::Closed,
            }),
            ..ApiGatewayParams::default()
        }
    }

    #[test]
    fn routes_and_the_store_follow_renames_deletions_and_new_edges() {
        let mut g = gateway();
        g.rename_reference("orders", "orders-v2");
        g.rename_reference("limiter", "redis");
        assert_eq!(g.routes[0].to, "orders-v2");
        assert_eq!(g.limiter.as_ref().map(|s| s.node.as_str()), Some("redis"));
        // A new edge is a route taking the mean share; an edge it already uses adds nothing.
        g.add_reference("users");
        g.add_reference("catalog");
        g.add_reference("redis");
        assert_eq!(g.routes.len(), 3);
        assert_eq!(
            (g.routes[2].prefix.as_str(), g.routes[2].share),
            ("/users", 0.5)
        );
        g.remove_reference("orders-v2");
        g.remove_reference("redis");
        assert_eq!(g.routes.len(), 2);
        assert!(g.limiter.is_none());
    }

    #[test]
    fn the_cost_flow_asks_the_store_for_every_request_and_splits_by_share() {
        let g = gateway();
        let Forwarding::Steps(steps) = g.forwarding() else {
            panic!("a plan of steps");
        };
        let p: Vec<(String, f64)> = steps
            .iter()
            .map(|s| match s {
                CallStep::Call {
                    to, probability, ..
                } => (to.clone(), *probability),
                CallStep::Parallel { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(p[0], ("limiter".to_string(), 1.0));
        assert!((p[1].1 - 0.3).abs() < 1e-12 && (p[2].1 - 0.7).abs() < 1e-12);
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut g = gateway();
        g.routes[1].share = 0.0;
        assert!(g.validate().unwrap_err().contains("routes[1].share"));
        let mut g = gateway();
        g.routes[0].to = "limiter".into();
        assert!(g.validate().unwrap_err().contains("routes[0].to"));
        let g = ApiGatewayParams {
            clients: 0,
            ..gateway()
        };
        assert!(g.validate().unwrap_err().contains("clients"));
        assert!(gateway().validate().is_ok());
    }

    #[test]
    fn fail_open_and_closed_are_fixes_it_takes_only_with_a_store() {
        let mut g = gateway();
        assert!(g.apply_fix(&Fix::LimiterFailsOpen(true)));
        assert_eq!(g.limiter.as_ref().map(|s| s.when_down), Some(WhenDown::Open));
        let mut plain = ApiGatewayParams::default();
        assert!(!plain.apply_fix(&Fix::LimiterFailsOpen(true)));
    }
}
