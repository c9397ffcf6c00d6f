//! Mitigations a user can switch on: each is a set of changes to the blueprint (or to the
//! scenario's own timeline), so the same injection runs against the improved design.

use serde::{Deserialize, Serialize};

use crate::blueprint::{Blueprint, BreakerSpec, RetrySpec};
use crate::chaos::{Chaos, Injection};
use crate::nodes::Fix;
use crate::sim::{CallMode, Jitter};

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
    /// A retry budget on every synchronous edge: retries at most this share of first
    /// attempts (it holds under a retry storm, which overrides count and backoff).
    RetryBudget(f64),
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
    /// Consumer groups rebalance incrementally (KIP-429): only moved partitions stop.
    CooperativeRebalance,
    /// DNS records' TTL cut to at most this many seconds.
    DnsTtl(f64),
    /// Consensus stores answer reads from any member (serializable, possibly stale).
    SerializableReads,
    /// API gateways let requests through when their rate limiter store fails.
    LimiterFailOpen,
    /// API gateways fail requests when their rate limiter store fails.
    LimiterFailClosed,
    /// LLM endpoints read this share of each prompt from the provider's prompt cache (a
    /// stable prefix first: system prompt, tool definitions), which their token limit does
    /// not count.
    PromptCaching(f64),
    /// Every MCP tool times out after at most this many milliseconds (failing fast frees
    /// its worker and its caller sooner).
    ToolTimeouts(f64),
    /// Key-value stores spread each key over this many suffixed partition keys (write
    /// sharding with a calculated suffix).
    WriteSharding(u32),
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
    /// The fix this change asks of every node, for changes to nodes' parameters; each kind
    /// takes the fixes it understands ([`Kind::apply_fix`](crate::nodes::Kind::apply_fix)).
    fn fix(&self) -> Option<Fix> {
        Some(match *self {
            Change::CoalesceMisses => Fix::CoalesceMisses,
            Change::TtlJitter(jitter) => Fix::TtlJitter(jitter),
            Change::EarlyExpiration(beta) => Fix::EarlyExpiration(beta),
            Change::StaleWhileRevalidate => Fix::StaleWhileRevalidate,
            Change::WriteThrough => Fix::WriteThrough,
            Change::RateLimit(rps) => Fix::RateLimit(rps),
            Change::ReadYourWrites => Fix::ReadYourWrites,
            Change::CooperativeRebalance => Fix::CooperativeRebalance,
            Change::DnsTtl(seconds) => Fix::DnsTtl(seconds),
            Change::SerializableReads => Fix::SerializableReads,
            Change::ReconnectJitter(ms) => Fix::ReconnectJitter(ms),
            Change::ScaleServices(factor) => Fix::Scale(factor),
            Change::Autoscale(target_utilization, boot_ms) => Fix::Autoscale {
                target_utilization,
                boot_ms,
            },
            Change::LimiterFailOpen => Fix::LimiterFailsOpen(true),
            Change::LimiterFailClosed => Fix::LimiterFailsOpen(false),
            Change::PromptCaching(share) => Fix::PromptCaching(share),
            Change::ToolTimeouts(ms) => Fix::ToolTimeout(ms),
            Change::WriteSharding(suffixes) => Fix::KeySuffixes(suffixes),
            Change::RetryBackoff(_) | Change::CircuitBreakers | Change::RetryBudget(_) => {
                return None;
            }
        })
    }

    fn apply(&self, bp: &mut Blueprint, timeline: &mut [Injection]) {
        if let Some(fix) = self.fix() {
            for node in &mut bp.nodes {
                node.kind.apply_fix(&fix);
            }
        }
        let worth_a_breaker: std::collections::BTreeSet<String> = bp
            .nodes
            .iter()
            .filter(|n| n.kind.worth_a_breaker())
            .map(|n| n.id.clone())
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
                Change::RetryBudget(ratio) if edge.mode == CallMode::Sync => {
                    let retries = edge.retries.get_or_insert(RetrySpec {
                        count: 0,
                        ..RetrySpec::default()
                    });
                    retries.budget = Some(*ratio);
                }
                Change::CircuitBreakers
                    if edge.breaker.is_none() && worth_a_breaker.contains(&edge.to) =>
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
