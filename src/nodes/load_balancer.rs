//! Load balancer: picks a healthy backend (round robin, least connections, power of two
//! choices); health checks run on an interval, so a dead backend is noticed late.

use serde::{Deserialize, Serialize};

use super::{Built, Forwarding, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::LoadBalancerSpec;
use crate::sim::{
    Balance, Behaviour, Call, Cx, Dist, HealthCheck, Nanos, Next, Router, Sampler, Station,
    UNBOUNDED, ms_to_ns,
};

/// Health-check settings, as written in a blueprint.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckParams {
    /// Time between checks, milliseconds.
    pub interval_ms: f64,
    /// Failed checks in a row before a backend is taken out.
    pub unhealthy_after: u8,
    /// Passed checks in a row before it is put back.
    pub healthy_after: u8,
}

impl Default for HealthCheckParams {
    fn default() -> Self {
        HealthCheckParams {
            interval_ms: 5_000.0,
            unhealthy_after: 2,
            healthy_after: 2,
        }
    }
}

/// Parameters of a load balancer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerParams {
    /// How a backend is picked.
    pub algorithm: Balance,
    /// Health checks; none means a dead backend keeps getting traffic.
    pub health_check: Option<HealthCheckParams>,
    /// The balancer's own processing time per request; none = folded into edge latency.
    pub work: Option<Dist>,
    /// Connections it serves at once; none = unlimited.
    pub max_connections: Option<u32>,
}

impl Default for LoadBalancerParams {
    fn default() -> Self {
        LoadBalancerParams {
            algorithm: Balance::RoundRobin,
            health_check: Some(HealthCheckParams::default()),
            work: None,
            max_connections: None,
        }
    }
}

impl Kind for LoadBalancerParams {
    fn name(&self) -> &'static str {
        "load_balancer"
    }

    fn about(&self) -> &'static str {
        "Spreads calls over its outgoing edges"
    }

    fn id_prefix(&self) -> &'static str {
        "lb"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon { sides: 6, scale: 1.0 },
            accent: [0.60, 0.80, 0.60],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if let Some(h) = &self.health_check
            && !crate::sim::positive(h.interval_ms)
        {
            return Err("health_check.interval_ms must be > 0".into());
        }
        if self.max_connections == Some(0) {
            return Err("max_connections must be at least 1".into());
        }
        self.work.as_ref().map_or(Ok(()), Dist::validate)
    }

    /// Builds the balancer over all its outgoing edges.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let targets = wiring.out_edges();
        if targets.is_empty() {
            return Err("a LoadBalancer needs at least one outgoing edge (its backends)".into());
        }
        let check = self.health_check.map(|h| HealthCheck {
            interval_ns: ms_to_ns(h.interval_ms),
            unhealthy_after: h.unhealthy_after,
            healthy_after: h.healthy_after,
        });
        let station = Station::new(self.max_connections.unwrap_or(UNBOUNDED), UNBOUNDED, false);
        let model = LoadBalancer {
            work: self.work.map(|d| d.sampler()),
        };
        Ok(Built {
            station,
            model: Box::new(model),
            router: Some(Router::new(self.algorithm, targets, check)),
            message_queue: false,
            autoscaler: None,
        })
    }

    fn forwarding(&self) -> Forwarding<'_> {
        Forwarding::Spread
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Alb(LoadBalancerSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Alb", "Nlb", "ApiGatewayHttp", "ApiGatewayRest", "Unpriced"]
    }
}

/// A load balancer's behaviour: its work, then the router's pick.
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    work: Option<Sampler>,
}

impl Behaviour for LoadBalancer {
    fn kind_name(&self) -> &'static str {
        "load_balancer"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        self.work.map(|s| s.sample(cx.rng))
    }

    fn after_work(&mut self, _: &mut Cx, _: &mut Call) -> Next {
        Next::Route
    }

    any_accessors!();
}
