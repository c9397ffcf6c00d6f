//! MCP tool server: the tools an agent calls (web search, page fetch, a CRM lookup), each with
//! its share of the calls, its latency, its failure rate, its timeout, and its rate of
//! poisoned results: answers that look successful but are wrong or malicious (a prompt
//! injection in a fetched page, a stale record), which the call returns as a success and the
//! node counts apart (`poisoned`). A tool that runs past its timeout answers `timeout` at the
//! timeout; a failed tool answers `upstream_error` (an MCP result with `isError`, or a JSON-RPC
//! error). The server runs at most `concurrency` tool calls at once; the rest wait in its
//! queue (`queue_full` past `queue_capacity`). A call holds its worker until it answers,
//! timed-out calls for their whole timeout.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 12): the MCP
//! specification (senders should time out requests and cancel them); the TypeScript SDK's
//! 60 s request timeout; tool calls of 100-800 ms, 0.5-1.2 s for tools bridging a SaaS API,
//! p95 bursts past 2.5 s (Loadout's and AIFinHub's latency profiling), so a default tool of
//! p50 300 ms and p99 3 s.

use serde::{Deserialize, Serialize};

use super::{Built, Capacity, Fix, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::sim::{Behaviour, Call, Cx, Dist, ErrorCause, Nanos, Next, Reply, Sampler, ms_to_ns};

/// One tool of an MCP server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolSpec {
    /// Its name (for people: the reports count the server's calls together).
    pub name: String,
    /// Its weight among the server's tools: a call uses it with probability weight / total.
    pub share: f64,
    /// How long it runs, milliseconds.
    pub latency: Dist,
    /// Share of its calls that fail, 0..1.
    pub failure_rate: f64,
    /// Share of its successful calls whose result is poisoned (wrong or malicious, yet
    /// answered as a success), 0..1.
    pub poisoned_rate: f64,
    /// Longest it may run before it answers `timeout`, milliseconds; none = no limit.
    pub timeout_ms: Option<f64>,
}

impl Default for ToolSpec {
    fn default() -> Self {
        ToolSpec {
            name: "tool".into(),
            share: 1.0,
            latency: Dist::LogNormal {
                p50: 300.0,
                p99: 3_000.0,
            },
            failure_rate: 0.01,
            poisoned_rate: 0.0,
            timeout_ms: Some(10_000.0),
        }
    }
}

/// Parameters of an MCP tool server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct McpToolServerParams {
    /// Tool calls it runs at once, at most.
    pub concurrency: u32,
    /// Tool calls that may wait for a worker; none = unbounded.
    pub queue_capacity: Option<u32>,
    /// Its tools.
    pub tools: Vec<ToolSpec>,
}

impl Default for McpToolServerParams {
    fn default() -> Self {
        McpToolServerParams {
            concurrency: 32,
            queue_capacity: Some(200),
            tools: vec![
                ToolSpec {
                    name: "web_search".into(),
                    share: 0.6,
                    poisoned_rate: 0.002,
                    ..ToolSpec::default()
                },
                ToolSpec {
                    name: "fetch_page".into(),
                    share: 0.4,
                    latency: Dist::LogNormal {
                        p50: 500.0,
                        p99: 4_000.0,
                    },
                    failure_rate: 0.02,
                    poisoned_rate: 0.005,
                    ..ToolSpec::default()
                },
            ],
        }
    }
}

impl Kind for McpToolServerParams {
    fn name(&self) -> &'static str {
        "mcp_tool_server"
    }

    fn about(&self) -> &'static str {
        "MCP tool server: an agent's tools, each with latency, failures, poisoned results, timeout"
    }

    fn id_prefix(&self) -> &'static str {
        "tools"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 9,
                scale: 1.0,
            },
            accent: [0.55, 0.95, 0.45],
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.capacity().validate()?;
        if self.tools.is_empty() {
            return Err("tools must list at least one tool".into());
        }
        if self.tools.len() > usize::from(TOOL_BITS) {
            return Err(format!(
                "tools must list at most {TOOL_BITS} tools, found {}",
                self.tools.len()
            ));
        }
        for t in &self.tools {
            let name = &t.name;
            if !(t.share.is_finite() && t.share >= 0.0) {
                return Err(format!("tool {name}: share must be >= 0, found {}", t.share));
            }
            for (field, rate) in [
                ("failure_rate", t.failure_rate),
                ("poisoned_rate", t.poisoned_rate),
            ] {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!(
                        "tool {name}: {field} must be between 0 and 1, found {rate}"
                    ));
                }
            }
            if let Some(ms) = t.timeout_ms.filter(|ms| !crate::sim::positive(*ms)) {
                return Err(format!("tool {name}: timeout_ms must be > 0, found {ms}"));
            }
            t.latency
                .validate()
                .map_err(|e| format!("tool {name}: latency: {e}"))?;
        }
        if self.tools.iter().map(|t| t.share).sum::<f64>() <= 0.0 {
            return Err("the tools' shares must add up to more than 0".into());
        }
        Ok(())
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let total: f64 = self.tools.iter().map(|t| t.share).sum();
        let mut below = 0.0;
        let tools = self
            .tools
            .iter()
            .map(|t| {
                below += t.share / total;
                Tool {
                    up_to: below,
                    latency: t.latency.sampler(),
                    failure_rate: t.failure_rate,
                    poisoned_rate: t.poisoned_rate,
                    timeout_ns: t.timeout_ms.map(ms_to_ns),
                }
            })
            .collect();
        // Tool calls wait in the station's line for one of its workers.
        let station = self.capacity().station(true);
        Ok(Built::plain(station, McpToolServer { tools }))
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    /// More workers; tighter tool timeouts.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::Scale(factor) => {
                self.concurrency = ((f64::from(self.concurrency) * factor).ceil() as u32).max(1);
            }
            Fix::ToolTimeout(ms) => {
                for t in &mut self.tools {
                    t.timeout_ms = Some(t.timeout_ms.map_or(ms, |old| old.min(ms)));
                }
            }
            _ => return false,
        }
        true
    }
}

impl McpToolServerParams {
    /// Its station: one instance of `concurrency` workers and its line.
    fn capacity(&self) -> Capacity {
        Capacity {
            replicas: 1,
            concurrency: self.concurrency,
            queue_capacity: self.queue_capacity,
        }
    }
}

/// A tool, ready to run.
#[derive(Clone, Debug)]
struct Tool {
    /// The cumulative share up to and including this tool.
    up_to: f64,
    latency: Sampler,
    failure_rate: f64,
    poisoned_rate: f64,
    timeout_ns: Option<Nanos>,
}

/// `Call::step` while a tool runs: this flag, whether it will time out, and the tool's index.
const RUNNING: u16 = 0x8000;
const TIMED_OUT: u16 = 0x4000;
const TOOL_BITS: u16 = 0x3fff;

/// An MCP tool server's behaviour: pick a tool, run it (up to its timeout), answer.
#[derive(Clone, Debug)]
pub struct McpToolServer {
    tools: Vec<Tool>,
}

impl Behaviour for McpToolServer {
    fn kind_name(&self) -> &'static str {
        "mcp_tool_server"
    }

    fn work(&mut self, _: &mut Cx, _: &Call) -> Option<Nanos> {
        // The tool runs in `after_work`, as a wait, so that it can be clipped at its timeout.
        None
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if call.step & RUNNING == 0 {
            let u = cx.rng.unit();
            let i = self
                .tools
                .iter()
                .position(|t| u < t.up_to)
                .unwrap_or(self.tools.len() - 1);
            let tool = &self.tools[i];
            let ran = (tool.latency.sample(cx.rng) as f64 * cx.mods.slowdown).round() as Nanos;
            let (wait, timed_out) = match tool.timeout_ns {
                Some(limit) if ran > limit => (limit, TIMED_OUT),
                _ => (ran, 0),
            };
            call.step = RUNNING | timed_out | i as u16;
            return Next::Wait(wait);
        }
        let tool = &self.tools[usize::from(call.step & TOOL_BITS)];
        if call.step & TIMED_OUT != 0 {
            cx.metrics.count("tool_timeouts", 1);
            return Next::Respond(Reply::failed(ErrorCause::Timeout));
        }
        if cx.rng.chance(tool.failure_rate) {
            return Next::Respond(Reply::failed(ErrorCause::UpstreamError));
        }
        if cx.rng.chance(tool.poisoned_rate) {
            cx.metrics.count("poisoned", 1);
        }
        Next::Respond(Reply::OK)
    }

    any_accessors!();
}
