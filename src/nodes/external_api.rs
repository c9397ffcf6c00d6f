//! External API (a third party): its latency, its error rate, and an optional rate limit
//! beyond which it refuses calls.

use serde::{Deserialize, Serialize};

use super::{Built, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::NatSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_S, Nanos, Next, Reply, Sampler, Station,
    UNBOUNDED,
};

/// Parameters of an external API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExternalApiParams {
    /// Its response time.
    pub latency: Dist,
    /// Share of calls it answers with an error.
    pub error_rate: f64,
    /// Calls per second it accepts (a token bucket one second deep); none = no limit.
    pub rate_limit_rps: Option<f64>,
}

impl Default for ExternalApiParams {
    fn default() -> Self {
        ExternalApiParams {
            latency: Dist::LogNormal {
                p50: 80.0,
                p99: 400.0,
            },
            error_rate: 0.01,
            rate_limit_rps: None,
        }
    }
}

impl Kind for ExternalApiParams {
    fn name(&self) -> &'static str {
        "external_api"
    }

    fn about(&self) -> &'static str {
        "Third-party API: latency, errors, rate limit"
    }

    fn id_prefix(&self) -> &'static str {
        "api"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon { sides: 3, scale: 1.1 },
            accent: [0.85, 0.85, 0.55],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(format!(
                "error_rate must be between 0 and 1, found {}",
                self.error_rate
            ));
        }
        if self
            .rate_limit_rps
            .is_some_and(|r| !crate::sim::positive(r))
        {
            return Err("rate_limit_rps must be > 0".into());
        }
        self.latency.validate()
    }

    /// Builds the API (unlimited concurrency: it is someone else's fleet).
    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let limit = self.rate_limit_rps.map(TokenBucket::per_second);
        let model = ExternalApi {
            latency: self.latency.sampler(),
            error_rate: self.error_rate,
            limit,
            refused: false,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    /// Priced as the NAT gateway its calls leave through.
    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Nat(NatSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Nat", "Unpriced"]
    }

    fn is_third_party(&self) -> bool {
        true
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }
}

/// A token bucket: a rate limit one second deep.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate_per_ns: f64,
    burst: f64,
    tokens: f64,
    at_ns: Nanos,
}

impl TokenBucket {
    /// A full bucket for `rps` requests per second.
    pub fn per_second(rps: f64) -> Self {
        TokenBucket::new(rps, rps)
    }

    /// A full bucket holding at most `burst` tokens, refilled at `rate_per_s` a second.
    pub fn new(rate_per_s: f64, burst: f64) -> Self {
        TokenBucket {
            rate_per_ns: rate_per_s / NS_PER_S as f64,
            burst,
            tokens: burst,
            at_ns: 0,
        }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self, now_ns: Nanos) -> bool {
        self.take_share(now_ns, 1.0, 1.0)
    }

    /// Takes `n` tokens if there are that many, with the bucket cut to `share` of its rate
    /// and depth (a provider lowering a limit); takes none otherwise.
    pub fn take_share(&mut self, now_ns: Nanos, n: f64, share: f64) -> bool {
        let burst = self.burst * share;
        self.tokens =
            (self.tokens + (now_ns - self.at_ns) as f64 * self.rate_per_ns * share).min(burst);
        self.at_ns = now_ns;
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// An external API's behaviour.
#[derive(Clone, Debug)]
pub struct ExternalApi {
    latency: Sampler,
    error_rate: f64,
    limit: Option<TokenBucket>,
    refused: bool,
}

impl Behaviour for ExternalApi {
    fn kind_name(&self) -> &'static str {
        "external_api"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        // A refused call is answered at once.
        // (the engine calls `after_work` right after a `None`, so the flag cannot go stale).
        if self.limit.as_mut().is_some_and(|l| !l.take(cx.now_ns)) {
            self.refused = true;
            return None;
        }
        Some(self.latency.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, _: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            return Next::Respond(Reply::failed(ErrorCause::Rejected));
        }
        if cx.rng.chance(self.error_rate) {
            return Next::Respond(Reply::failed(ErrorCause::UpstreamError));
        }
        Next::Respond(Reply::OK)
    }

    any_accessors!();
}
