//! The fixes a node kind may accept: a small vocabulary the scenarios' mitigations speak in
//! (`scenario::mitigation` translates each of its changes into one), and each kind applies
//! the ones it understands to its own parameters ([`Kind::apply_fix`](super::Kind::apply_fix)).

/// One change to a node's parameters, said without naming the kind it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fix {
    /// Concurrent cache misses for one key become one origin read (single flight).
    CoalesceMisses,
    /// Shed load above this many requests per second.
    RateLimit(f64),
    /// Autoscale from the present size to four times it.
    Autoscale {
        /// Utilization the autoscaler steers to.
        target_utilization: f64,
        /// Milliseconds a new instance takes to boot.
        boot_ms: f64,
    },
    /// Multiply the instances by this factor (rounded up, at least one).
    Scale(f64),
    /// Jitter each key's TTL by this fraction.
    TtlJitter(f64),
    /// Refresh keys early, probabilistically (the XFetch beta).
    EarlyExpiration(f64),
    /// Serve an expired value while refreshing it in the background.
    StaleWhileRevalidate,
    /// Writes update the cached value instead of invalidating it.
    WriteThrough,
    /// Reads of keys not yet replicated go to the primary.
    ReadYourWrites,
    /// Consumer groups rebalance incrementally: only the partitions that move stop.
    CooperativeRebalance,
    /// DNS records' TTL, seconds (at most this: a shorter TTL is kept).
    DnsTtl(f64),
    /// Consensus stores answer reads from any member (serializable, possibly stale).
    SerializableReads,
    /// Reconnecting clients wait a random time of up to this many milliseconds (full
    /// jitter; a longer backoff is kept).
    ReconnectJitter(f64),
    /// When a shared rate limiter store fails, its callers let requests through (`true`,
    /// fail open) or fail them (`false`, fail closed).
    LimiterFailsOpen(bool),
    /// LLM prompts read this share of their tokens from the provider's prompt cache.
    PromptCaching(f64),
    /// Every tool times out after at most this many milliseconds.
    ToolTimeout(f64),
    /// Write sharding: spread each key over this many suffixed partition keys.
    KeySuffixes(u32),
}
