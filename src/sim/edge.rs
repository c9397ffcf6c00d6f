//! Edges: the network between two nodes and the caller's policies for calls over it
//! (timeout, retries with backoff and jitter, circuit breaker, connection pool).

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::call::CauseSet;
use super::deadline::DeadlineFifo;
use super::dist::Sampler;
use super::gauge::Gauge;
use super::rng::SimRng;
use super::time::Nanos;
use super::topology::NodeId;

/// How the caller waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CallMode {
    /// The caller waits for the answer (with its timeout, retries, breaker and pool).
    #[default]
    Sync,
    /// Fire and forget: the caller goes on at once; the callee works on its own.
    Async,
}

/// How retry delays are randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Jitter {
    /// Exactly the backoff: retries of many callers line up.
    None,
    /// Uniform in [0, backoff] ("full jitter").
    #[default]
    Full,
    /// backoff/2 plus uniform in [0, backoff/2].
    Equal,
}

/// Retries after a failed call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Extra attempts after the first.
    pub count: u8,
    /// Backoff before the first retry; doubles each time.
    pub base_ns: Nanos,
    /// Cap on the backoff.
    pub max_ns: Nanos,
    /// Randomisation of the backoff.
    pub jitter: Jitter,
    /// The errors it retries.
    pub on: CauseSet,
}

impl RetryPolicy {
    /// No retries.
    pub const NONE: RetryPolicy = RetryPolicy {
        count: 0,
        base_ns: 0,
        max_ns: 0,
        jitter: Jitter::None,
        on: CauseSet::RETRIED_BY_DEFAULT,
    };

    /// The delay before retry number `attempt` (1-based).
    pub fn backoff(&self, attempt: u8, rng: &mut SimRng) -> Nanos {
        let exp = self
            .base_ns
            .saturating_mul(1u64 << u32::from(attempt.saturating_sub(1)).min(30));
        let delay = exp.min(self.max_ns) as f64;
        let jittered = match self.jitter {
            Jitter::None => delay,
            Jitter::Full => delay * rng.unit(),
            Jitter::Equal => delay / 2.0 + delay / 2.0 * rng.unit(),
        };
        jittered.round() as Nanos
    }
}

/// A retry budget, as Finagle's `RetryBudget` and gRPC's retry throttling keep one: each
/// first attempt deposits `ratio` of a token, each retry takes a whole one, so retries stay
/// under `ratio` of the first attempts however much fails (with a reserve for bursts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudget {
    /// Retries allowed per first attempt.
    pub ratio: f64,
    tokens: f64,
}

impl RetryBudget {
    /// Retries a full budget holds in reserve.
    pub const RESERVE: f64 = 100.0;

    /// A full budget of `ratio`.
    pub fn new(ratio: f64) -> Self {
        RetryBudget {
            ratio,
            tokens: Self::RESERVE,
        }
    }

    /// A first attempt was made.
    pub fn deposit(&mut self) {
        self.tokens = (self.tokens + self.ratio).min(Self::RESERVE);
    }

    /// Takes a retry's token, if there is one.
    pub fn withdraw(&mut self) -> bool {
        let ok = self.tokens >= 1.0;
        if ok {
            self.tokens -= 1.0;
        }
        ok
    }
}

/// Circuit breaker states.
#[expect(missing_docs, reason = "each variant's doc names its fields")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow; failures are counted.
    Closed,
    /// Calls fail at once until the given time.
    Open { until_ns: Nanos },
    /// One probe call is allowed through; its result decides.
    HalfOpen { probing: bool },
}

/// A circuit breaker over fixed windows of calls.
#[derive(Clone, Debug)]
pub struct Breaker {
    /// Failure ratio in a window that opens the breaker.
    pub failure_ratio: f64,
    /// Calls needed in a window before it can open.
    pub min_calls: u32,
    /// Length of a counting window.
    pub window_ns: Nanos,
    /// How long it stays open before a probe.
    pub open_ns: Nanos,
    /// Current state.
    pub state: BreakerState,
    window_start_ns: Nanos,
    calls: u32,
    failures: u32,
    /// Times it opened.
    pub opened: u64,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(failure_ratio: f64, min_calls: u32, window_ns: Nanos, open_ns: Nanos) -> Self {
        Breaker {
            failure_ratio,
            min_calls,
            window_ns,
            open_ns,
            state: BreakerState::Closed,
            window_start_ns: 0,
            calls: 0,
            failures: 0,
            opened: 0,
        }
    }

    /// Whether a call may go through now (a half-open breaker lets one probe through).
    pub fn allow(&mut self, now_ns: Nanos) -> bool {
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open { until_ns } if now_ns < until_ns => false,
            BreakerState::Open { .. } | BreakerState::HalfOpen { probing: false } => {
                self.state = BreakerState::HalfOpen { probing: true };
                true
            }
            BreakerState::HalfOpen { probing: true } => false,
        }
    }

    /// Records a finished call.
    pub fn record(&mut self, now_ns: Nanos, failed: bool) {
        match self.state {
            BreakerState::HalfOpen { .. } => {
                if failed {
                    self.trip(now_ns);
                } else {
                    self.state = BreakerState::Closed;
                    self.reset_window(now_ns);
                }
            }
            BreakerState::Open { .. } => {}
            BreakerState::Closed => {
                if now_ns >= self.window_start_ns + self.window_ns {
                    self.reset_window(now_ns);
                }
                self.calls += 1;
                self.failures += u32::from(failed);
                if self.calls >= self.min_calls
                    && f64::from(self.failures) >= self.failure_ratio * f64::from(self.calls)
                {
                    self.trip(now_ns);
                }
            }
        }
    }

    fn trip(&mut self, now_ns: Nanos) {
        self.state = BreakerState::Open {
            until_ns: now_ns + self.open_ns,
        };
        self.opened += 1;
        self.reset_window(now_ns);
    }

    fn reset_window(&mut self, now_ns: Nanos) {
        self.window_start_ns = now_ns;
        self.calls = 0;
        self.failures = 0;
    }

    /// True while open or probing.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, BreakerState::Closed)
    }
}

/// The caller's connection pool for this edge.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Connections in the pool.
    pub size: u32,
    /// How long a call waits for a connection before failing with `PoolExhausted`.
    pub acquire_timeout_ns: Nanos,
    /// Connections in use.
    pub in_use: Gauge,
    /// Calls waiting for a connection, in order, with their give-up times.
    pub waiters: DeadlineFifo,
    /// Number of calls waiting (the FIFO holds exactly the waiters).
    pub waiting: Gauge,
}

impl Pool {
    /// An idle pool.
    pub fn new(size: u32, acquire_timeout_ns: Nanos) -> Self {
        Pool {
            size,
            acquire_timeout_ns,
            in_use: Gauge::default(),
            waiters: DeadlineFifo::default(),
            waiting: Gauge::default(),
        }
    }
}

/// Counters of an edge within the current metrics window.
#[derive(Clone, Copy, Debug, Default)]
pub struct EdgeCounters {
    /// Attempts made (first tries and retries, including those that failed before leaving:
    /// an open breaker, no connection).
    pub attempts: u64,
    /// Calls sent (including retries).
    pub sent: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Calls that timed out.
    pub timeouts: u64,
    /// Calls failed at once by the open breaker.
    pub short_circuited: u64,
}

/// An edge between two nodes (an entity).
#[derive(Component, Clone, Debug)]
pub struct Edge {
    /// The caller.
    pub from: NodeId,
    /// The callee.
    pub to: NodeId,
    /// One-way network latency.
    pub latency: Sampler,
    /// Sync or async.
    pub mode: CallMode,
    /// The caller's deadline per attempt, if any.
    pub timeout_ns: Option<Nanos>,
    /// Retries after failures.
    pub retry: RetryPolicy,
    /// A cap on retries as a share of first attempts, if any (it holds under a retry storm).
    pub retry_budget: Option<RetryBudget>,
    /// Circuit breaker, if any.
    pub breaker: Option<Breaker>,
    /// Connection pool, if any.
    pub pool: Option<Pool>,
    /// Deadlines of calls in flight on this edge.
    pub deadlines: DeadlineFifo,
    /// Calls sent and not yet answered or timed out (least-connections routing reads this).
    pub outstanding: u32,
    /// Counters for the current window.
    pub counters: EdgeCounters,
    /// When a bandwidth-capped link finishes sending what it has queued.
    pub link_free_ns: Nanos,
}

impl Edge {
    /// A plain synchronous edge with no timeout, retries, breaker or pool.
    pub fn new(from: NodeId, to: NodeId, latency: Sampler) -> Self {
        Edge {
            from,
            to,
            latency,
            mode: CallMode::Sync,
            timeout_ns: None,
            retry: RetryPolicy::NONE,
            retry_budget: None,
            breaker: None,
            pool: None,
            deadlines: DeadlineFifo::default(),
            outstanding: 0,
            counters: EdgeCounters::default(),
            link_free_ns: 0,
        }
    }
}
