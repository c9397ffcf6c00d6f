//! Mitigations a user can switch on: each is a set of changes to the blueprint (or to the
//! scenario's own timeline), so the same injection runs against the improved design.

use serde::{Deserialize, Serialize};

use crate::blueprint::{Blueprint, BreakerSpec};
use crate::chaos::{Chaos, Injection};
use crate::nodes::NodeKind;
use crate::nodes::keyspace::WritePolicy;
use crate::sim::Jitter;

/// One change to a design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Services coalesce concurrent cache misses for a key into one origin read.
    CoalesceMisses,
    /// Keyspace caches jitter their TTLs by this fraction.
    TtlJitter(f64),
    /// Keyspace caches refresh early, probabilistically (XFetch beta).
    EarlyExpiration(f64),
    /// Keyspace caches serve stale values while refreshing in the background.
    StaleWhileRevalidate,
    /// Writes update the cache instead of invalidating it.
    WriteThrough,
    /// Every retrying edge backs off exponentially from this many milliseconds, with full
    /// jitter.
    RetryBackoff(f64),
    /// Circuit breakers on every synchronous edge into services, databases and external APIs.
    CircuitBreakers,
    /// Each service sheds load above this many requests per second.
    RateLimit(f64),
    /// Reconnecting clients spread over this many milliseconds (thundering herd).
    ReconnectJitter(f64),
    /// Databases send reads of not-yet-replicated keys to the primary.
    ReadYourWrites,
    /// Every service gets this many times its replicas (more headroom).
    ScaleServices(f64),
    /// Every service autoscales (target utilization, boot time in milliseconds).
    Autoscale(f64, f64),
}

/// A mitigation: a name, what it does, and its changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mitigation {
    /// Kebab-case name (`--compare-mitigation NAME`).
    pub name: String,
    /// What it does and why it helps.
    pub description: String,
    /// The changes.
    pub changes: Vec<Change>,
}

impl Mitigation {
    /// Applies the changes to a blueprint and a timeline.
    pub fn apply(&self, blueprint: &mut Blueprint, timeline: &mut [Injection]) {
        for change in &self.changes {
            change.apply(blueprint, timeline);
        }
    }
}

impl Change {
    fn apply(&self, bp: &mut Blueprint, timeline: &mut [Injection]) {
        for node in &mut bp.nodes {
            match (&mut node.kind, self) {
                (NodeKind::Service(s), Change::CoalesceMisses) => s.coalesce_misses = true,
                (NodeKind::Service(s), Change::RateLimit(rps)) => s.rate_limit_rps = Some(*rps),
                (NodeKind::Service(s), Change::Autoscale(target, boot_ms)) => {
                    s.autoscale = Some(crate::nodes::service::AutoscaleParams {
                        min_replicas: s.replicas,
                        max_replicas: s.replicas * 4,
                        target_utilization: *target,
                        interval_ms: 5_000.0,
                        boot_ms: *boot_ms,
                    });
                }
                (NodeKind::Service(s), Change::ScaleServices(f)) => {
                    s.replicas = ((f64::from(s.replicas) * f).ceil() as u32).max(1);
                }
                (NodeKind::Cache(c), _) => {
                    if let Some(ks) = c.keyspace.as_mut() {
                        match self {
                            Change::TtlJitter(j) => ks.ttl_jitter = *j,
                            Change::EarlyExpiration(beta) => ks.early_expiration = Some(*beta),
                            Change::StaleWhileRevalidate => ks.stale_while_revalidate = true,
                            Change::WriteThrough => ks.on_write = WritePolicy::Update,
                            _ => {}
                        }
                    }
                }
                (NodeKind::Database(db), Change::ReadYourWrites) => db.read_your_writes = true,
                _ => {}
            }
        }
        let kinds: std::collections::BTreeMap<String, &'static str> = bp
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.kind.name()))
            .collect();
        for edge in &mut bp.edges {
            match self {
                Change::RetryBackoff(ms) => {
                    if let Some(r) = edge.retries.as_mut() {
                        r.backoff_ms = r.backoff_ms.max(*ms);
                        r.max_backoff_ms = r.max_backoff_ms.max(r.backoff_ms * 8.0);
                        r.jitter = Jitter::Full;
                    }
                }
                Change::CircuitBreakers
                    if edge.breaker.is_none()
                        && matches!(
                            kinds.get(&edge.to).copied(),
                            Some("service" | "database" | "external_api")
                        ) =>
                {
                    edge.breaker = Some(BreakerSpec {
                        window_ms: 5_000.0,
                        open_ms: 5_000.0,
                        ..BreakerSpec::default()
                    });
                }
                _ => {}
            }
        }
        if let Change::ReconnectJitter(ms) = self {
            for injection in timeline.iter_mut() {
                if let Chaos::ThunderingHerd(h) = &mut injection.chaos {
                    h.reconnect_ms = h.reconnect_ms.max(*ms);
                }
            }
        }
    }
}
