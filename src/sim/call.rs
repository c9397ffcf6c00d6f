//! In-flight requests: one entity per call from a caller to a callee.
//!
//! A user's request is a tree of calls: the traffic source's root call, its call to the load
//! balancer, the balancer's call to an app server, the app server's calls to the cache and the
//! database. Each is an entity carrying its own state, so the view can draw it moving along its
//! edge and the engine can time it out, retry it or orphan it independently.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::time::Nanos;
use super::topology::{EdgeId, NodeId};

/// Whether a request reads or writes (caches and databases treat them differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum RequestKind {
    /// A read.
    #[default]
    Read,
    /// A write.
    Write,
}

/// Why a request failed. Every failed request has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCause {
    /// The caller's deadline passed before the response came back.
    Timeout,
    /// No connection could be taken from the caller's pool in time.
    PoolExhausted,
    /// The callee's bounded queue was full.
    QueueFull,
    /// The callee was down (or no healthy backend was left to route to).
    NodeDown,
    /// The caller's circuit breaker was open and failed the call at once.
    CircuitOpen,
    /// Refused by a rate limit or load shedding.
    Rejected,
    /// The callee answered with an error of its own (e.g. an external API's 5xx).
    UpstreamError,
    /// Nothing got through: the network between caller and callee is partitioned.
    Partitioned,
    /// The connection was reset (or hung up).
    ConnectionReset,
    /// The callee's name did not resolve.
    DnsFailure,
    /// A managed service's throughput limit refused it: DynamoDB's
    /// ProvisionedThroughputExceeded, Lambda's concurrency limit, an LLM API's 429.
    Throttled,
}

impl ErrorCause {
    /// All causes, in report order.
    pub const ALL: [ErrorCause; 11] = [
        ErrorCause::Timeout,
        ErrorCause::PoolExhausted,
        ErrorCause::QueueFull,
        ErrorCause::NodeDown,
        ErrorCause::CircuitOpen,
        ErrorCause::Rejected,
        ErrorCause::UpstreamError,
        ErrorCause::Partitioned,
        ErrorCause::ConnectionReset,
        ErrorCause::DnsFailure,
        ErrorCause::Throttled,
    ];

    /// The name used in reports and JSON (snake_case).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::Timeout => "timeout",
            ErrorCause::PoolExhausted => "pool_exhausted",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::NodeDown => "node_down",
            ErrorCause::CircuitOpen => "circuit_open",
            ErrorCause::Rejected => "rejected",
            ErrorCause::UpstreamError => "upstream_error",
            ErrorCause::Partitioned => "partitioned",
            ErrorCause::ConnectionReset => "connection_reset",
            ErrorCause::DnsFailure => "dns_failure",
            ErrorCause::Throttled => "throttled",
        }
    }

    /// Index into per-cause counters.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A set of error causes (which ones a retry policy retries), written as a list of names:
/// `[timeout, pool_exhausted]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CauseSet(u16);

impl CauseSet {
    /// The causes retried when a policy names none: all but `circuit_open` and
    /// `pool_exhausted`. A circuit breaker or an exhausted local pool fails fast on purpose;
    /// retrying those only adds load, so they are retried only when a policy names them.
    pub const RETRIED_BY_DEFAULT: CauseSet = {
        let mut bits = 0;
        let mut i = 0;
        while i < ErrorCause::ALL.len() {
            if !matches!(
                ErrorCause::ALL[i],
                ErrorCause::CircuitOpen | ErrorCause::PoolExhausted
            ) {
                bits |= 1 << i;
            }
            i += 1;
        }
        CauseSet(bits)
    };

    /// The set of `causes`.
    pub fn of(causes: &[ErrorCause]) -> Self {
        CauseSet(causes.iter().fold(0, |bits, c| bits | 1 << c.index()))
    }

    /// Whether `cause` is in it.
    #[inline]
    pub fn contains(self, cause: ErrorCause) -> bool {
        self.0 & (1 << cause.index()) != 0
    }

    /// Whether it is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Its causes, in report order.
    pub fn causes(self) -> impl Iterator<Item = ErrorCause> {
        ErrorCause::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    /// Whether it is [`CauseSet::RETRIED_BY_DEFAULT`] (left out when written).
    pub fn is_default_retried(&self) -> bool {
        *self == CauseSet::RETRIED_BY_DEFAULT
    }
}

impl Default for CauseSet {
    fn default() -> Self {
        CauseSet::RETRIED_BY_DEFAULT
    }
}

impl std::fmt::Debug for CauseSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.causes().map(ErrorCause::name))
            .finish()
    }
}

impl Serialize for CauseSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.causes())
    }
}

impl<'de> Deserialize<'de> for CauseSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<ErrorCause>::deserialize(deserializer).map(|causes| CauseSet::of(&causes))
    }
}

/// A callee's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// The failure, if it failed.
    pub error: Option<ErrorCause>,
    /// A cache answered "not found" (cache-aside callers then go to the origin).
    pub miss: bool,
    /// A cache served an expired value; the caller should refresh it in the background.
    pub stale: bool,
}

impl Reply {
    /// Success.
    pub const OK: Reply = Reply {
        error: None,
        miss: false,
        stale: false,
    };

    /// Failure with `cause`.
    pub fn failed(cause: ErrorCause) -> Self {
        Reply {
            error: Some(cause),
            ..Reply::OK
        }
    }

    /// Folds a parallel sibling's answer into this one: the first error wins.
    pub fn merge(&mut self, other: Reply) {
        if self.error.is_none() {
            self.error = other.error;
        }
        self.miss |= other.miss;
        self.stale |= other.stale;
    }
}

/// Flag in [`Call::step`] while a cache fill of the current step is in progress (set by
/// call plans; the engine reads it to resend a fill as a fill).
pub const FILL_STEP: u16 = 0x4000;

/// Who waits for a call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A user's request, made by the traffic source it sits at; ends at that source.
    Root,
    /// Another call, waiting at the caller node.
    Call(Entity),
    /// Nobody: an asynchronous hand-off or a message being processed from a queue.
    Detached,
    /// The caller gave up (timeout); the callee still does the work, the answer is dropped.
    Orphaned,
}

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a connection from the caller's pool.
    AwaitingConnection,
    /// Travelling over the network to the callee.
    Sending,
    /// In the callee's queue.
    Queued,
    /// The callee is doing its own work.
    Working,
    /// The callee waits for its own downstream calls.
    Calling,
    /// The answer travels back to the caller.
    Returning,
}

/// One in-flight call (the request entity).
#[derive(Component, Clone, Debug)]
pub struct Call {
    /// Who waits for the answer.
    pub caller: Caller,
    /// The node that made the call (the source node itself for a root call).
    pub from: NodeId,
    /// The node doing the work.
    pub node: NodeId,
    /// The edge travelled (none for a root call).
    pub edge: Option<EdgeId>,
    /// Read or write.
    pub kind: RequestKind,
    /// 0 for the first try, then 1, 2, ... for retries.
    pub attempt: u8,
    /// Where the call is.
    pub phase: Phase,
    /// When the user's request started (end-to-end latency is measured from here).
    pub born_ns: Nanos,
    /// When it left the caller.
    pub sent_ns: Nanos,
    /// When it reached the callee.
    pub arrived_ns: Nanos,
    /// When it is due at the next node on its way (arrival or return), for drawing.
    pub due_ns: Nanos,
    /// Position in the callee's call plan (its behaviour's to use).
    pub step: u16,
    /// Downstream calls still outstanding for the current step.
    pub pending: u16,
    /// The answers of the current step so far.
    pub step_reply: Reply,
    /// The callee's answer, once it has one.
    pub reply: Reply,
    /// Holds one of the callee's servers.
    pub holds_server: bool,
    /// Holds one of the caller's pooled connections.
    pub holds_connection: bool,
    /// The data item the request is about (from the source's keyspace; 0 without one).
    pub key: u32,
    /// A cache fill: store the value just read from the origin.
    pub fill: bool,
    /// A background refresh: when its answer comes back, store it over this edge (the
    /// cache's), as a fill.
    pub then_fill: Option<EdgeId>,
}

impl Call {
    /// A new call, not yet sent.
    pub fn new(
        caller: Caller,
        from: NodeId,
        node: NodeId,
        edge: Option<EdgeId>,
        kind: RequestKind,
        born_ns: Nanos,
    ) -> Self {
        Call {
            caller,
            from,
            node,
            edge,
            kind,
            attempt: 0,
            phase: Phase::Sending,
            born_ns,
            sent_ns: born_ns,
            arrived_ns: born_ns,
            due_ns: born_ns,
            step: 0,
            pending: 0,
            step_reply: Reply::OK,
            reply: Reply::OK,
            holds_server: false,
            holds_connection: false,
            key: 0,
            fill: false,
            then_fill: None,
        }
    }
}
