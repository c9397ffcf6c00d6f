//! Dependency chaos: a third party that errors, throttles, slows down, or (for agents) an LLM
//! that does both, an LLM provider that cuts the account's rate limits, tools that hang
//! into their timeouts, or the shared rate limiter store going down.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::injecting::Injecting;
use super::kind::{Family, Kind};
use crate::sim::{
    CapacityLost, ErrorCause, ErrorsInjected, LatencyAdded, RegisterModifier, Slowdown, ms_to_ns,
};

/// Dependency chaos: the modifiers its kinds put on third parties and the edges into them.
pub(super) fn plugin(app: &mut App) {
    app.register_modifier::<ErrorsInjected>()
        .register_modifier::<LatencyAdded>()
        .register_modifier::<Slowdown>()
        .register_modifier::<CapacityLost>();
}

/// Upstream errors or throttling.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamParams {
    /// Share of calls answered with an error, percent.
    pub percent: f64,
    /// 429 (rejected) rather than 5xx (upstream error).
    pub throttle: bool,
}

impl Default for UpstreamParams {
    fn default() -> Self {
        UpstreamParams {
            percent: 30.0,
            throttle: false,
        }
    }
}

pub(super) fn upstream_errors(p: &UpstreamParams, cx: &mut Injecting) {
    let cause = if p.throttle {
        ErrorCause::Rejected
    } else {
        ErrorCause::UpstreamError
    };
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        ErrorsInjected {
            rate: (p.percent / 100.0).clamp(0.0, 1.0),
            cause,
        },
    );
}

/// The `upstream-errors` kind.
pub(super) static UPSTREAM_ERRORS: Kind<UpstreamParams> = Kind {
    name: "upstream-errors",
    family: Family::Dependency,
    description: "The target answers a share of calls with 5xx (or 429 when throttling).",
    default_target: "kind:external_api",
    schedule: upstream_errors,
};

/// A slow dependency.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlowParams {
    /// Added latency per call, milliseconds (keep it under the callers' timeouts).
    pub add_ms: f64,
}

impl Default for SlowParams {
    fn default() -> Self {
        SlowParams { add_ms: 400.0 }
    }
}

pub(super) fn slow(p: &SlowParams, cx: &mut Injecting) {
    let edges = cx.targets.edges_in.clone();
    cx.modify(
        edges,
        LatencyAdded {
            add_ns: ms_to_ns(p.add_ms),
            jitter_ns: ms_to_ns(p.add_ms / 10.0),
        },
    );
}

/// The `slow-dependency` kind.
pub(super) static SLOW_DEPENDENCY: Kind<SlowParams> = Kind {
    name: "slow-dependency",
    family: Family::Dependency,
    description: "The target answers slowly, but not slowly enough to time out.",
    default_target: "kind:external_api",
    schedule: slow,
};

/// LLM or tool outage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmParams {
    /// Share of calls failing, percent.
    pub error_percent: f64,
    /// Latency multiplier on the rest.
    pub slowdown: f64,
}

impl Default for LlmParams {
    fn default() -> Self {
        LlmParams {
            error_percent: 20.0,
            slowdown: 3.0,
        }
    }
}

pub(super) fn llm_outage(p: &LlmParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(nodes.clone(), Slowdown { factor: p.slowdown });
    cx.modify(
        nodes,
        ErrorsInjected {
            rate: (p.error_percent / 100.0).clamp(0.0, 1.0),
            cause: ErrorCause::UpstreamError,
        },
    );
}

/// The `llm-outage` kind.
pub(super) static LLM_OUTAGE: Kind<LlmParams> = Kind {
    name: "llm-outage",
    family: Family::Dependency,
    description: "An LLM or tool API is slow and partly failing (agent blueprints).",
    default_target: "kind:llm_endpoint",
    schedule: llm_outage,
};

/// Rate limiter store outage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimiterDownParams {}

pub(super) fn limiter_down(_: &LimiterDownParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.crash(nodes, cx.start_ns, cx.end_ns);
}

/// The `limiter-down` kind.
pub(super) static LIMITER_DOWN: Kind<LimiterDownParams> = Kind {
    name: "limiter-down",
    family: Family::Dependency,
    description: "The shared rate limiter's store (a Redis) goes down: its callers fail \
                  open (unchecked) or closed (refused), as each is set.",
    default_target: "kind:rate_limiter",
    schedule: limiter_down,
};

/// An LLM provider cutting the account's rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitParams {
    /// Share of its tokens and requests per minute the account keeps, percent.
    pub remaining_percent: f64,
}

impl Default for RateLimitParams {
    fn default() -> Self {
        RateLimitParams {
            remaining_percent: 25.0,
        }
    }
}

pub(super) fn llm_rate_limit(p: &RateLimitParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        CapacityLost {
            remaining: (p.remaining_percent / 100.0).clamp(0.0, 1.0),
        },
    );
}

/// The `llm-rate-limit` kind.
pub(super) static LLM_RATE_LIMIT: Kind<RateLimitParams> = Kind {
    name: "llm-rate-limit",
    family: Family::Dependency,
    description: "The LLM provider cuts the account's tokens and requests per minute; the excess gets 429.",
    default_target: "kind:llm_endpoint",
    schedule: llm_rate_limit,
};

/// Tools hanging.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolHangParams {
    /// How many times longer each tool call runs (the API it wraps hangs).
    pub slowdown: f64,
}

impl Default for ToolHangParams {
    fn default() -> Self {
        ToolHangParams { slowdown: 10.0 }
    }
}

pub(super) fn tool_timeout(p: &ToolHangParams, cx: &mut Injecting) {
    let nodes = cx.targets.nodes.clone();
    cx.modify(
        nodes,
        Slowdown {
            factor: p.slowdown.max(0.0),
        },
    );
}

/// The `tool-timeout` kind.
pub(super) static TOOL_TIMEOUT: Kind<ToolHangParams> = Kind {
    name: "tool-timeout",
    family: Family::Dependency,
    description: "An MCP server's tools run many times longer (the API they wrap hangs) and hit their timeouts, holding its workers.",
    default_target: "kind:mcp_tool_server",
    schedule: tool_timeout,
};
