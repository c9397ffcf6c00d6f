//! Serverless function (AWS Lambda-like): each invocation runs alone in an execution
//! environment. A free warm environment takes it at once; with none, a new one starts first
//! (a cold start, drawn from `cold_start`). An environment stays warm for `keep_warm_s` after
//! its last invocation, then is reclaimed. At most `concurrency_limit` invocations run at
//! once, and at most `scale_out_per_10s` new environments start per ten seconds (a token
//! bucket, refilled continuously); past either limit an invocation is answered at once with
//! `throttled` (Lambda's 429 TooManyRequestsException). An invocation does its own work, then
//! its call plan, like a service, and holds its environment until it answers; one running
//! past `timeout_ms` is killed (its environment is freed and discarded) and answers `timeout`.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 2): 1,000 concurrent
//! executions per account and 1,000 new environments per 10 s per function, refilled
//! continuously (AWS Lambda quotas; "Lambda scaling behavior"); cold starts p50 300 ms, p99
//! 1 s for Python and Node.js (Eric Johnson, "Cold Starts Are Dead"; maxday's lambda-perf);
//! idle environments reclaimed after about 25 minutes, as observed (Kevin Lin, "Lambda
//! cold-start idle time": 26 min in us-west-2, 22-65 min in us-east-1; AWS publishes none);
//! Lambda's default function timeout is 3 s, its maximum 15 min. Priced as `Lambda`
//! ($0.20 per million requests plus GB-seconds), billed for the simulated time at the node.

use std::collections::{BTreeMap, VecDeque};

use bevy::prelude::Entity;
use serde::{Deserialize, Serialize};

use super::external_api::TokenBucket;
use super::plan::{self, CallPlan, CallStep};
use super::{Built, Fix, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::LambdaSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_S, Nanos, Next, Reply, Sampler, Station,
    UNBOUNDED, ms_to_ns,
};

/// Parameters of a serverless function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerlessFunctionParams {
    /// Invocations running at once, at most (reserved concurrency, or the account's limit);
    /// more are throttled.
    pub concurrency_limit: u32,
    /// New execution environments it may start per ten seconds (burst scaling; a token
    /// bucket this deep, refilled continuously); a cold start past it is throttled.
    pub scale_out_per_10s: u32,
    /// Environments kept initialized at all times (provisioned concurrency): never cold,
    /// never reclaimed; they count toward `concurrency_limit`.
    pub provisioned: u32,
    /// Seconds an idle environment stays warm after its last invocation.
    pub keep_warm_s: f64,
    /// Time to start a new environment (download the code, start the runtime, run the
    /// init code), milliseconds.
    pub cold_start: Dist,
    /// Its own work per invocation, milliseconds.
    pub work: Dist,
    /// Longest an invocation may run before it is killed, milliseconds.
    pub timeout_ms: f64,
    /// Downstream calls after the work, in order.
    pub calls: Vec<CallStep>,
}

impl Default for ServerlessFunctionParams {
    fn default() -> Self {
        ServerlessFunctionParams {
            concurrency_limit: 1_000,
            scale_out_per_10s: 1_000,
            provisioned: 0,
            keep_warm_s: 25.0 * 60.0,
            cold_start: Dist::LogNormal {
                p50: 300.0,
                p99: 1_000.0,
            },
            work: Dist::LogNormal {
                p50: 10.0,
                p99: 50.0,
            },
            timeout_ms: 3_000.0,
            calls: Vec::new(),
        }
    }
}

impl Kind for ServerlessFunctionParams {
    fn name(&self) -> &'static str {
        "serverless_function"
    }

    fn about(&self) -> &'static str {
        "Serverless function (Lambda-like): cold starts, a concurrency limit, then a call plan"
    }

    fn id_prefix(&self) -> &'static str {
        "fn"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 7,
                scale: 1.0,
            },
            accent: [1.0, 0.62, 0.25],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.concurrency_limit == 0 {
            return Err("concurrency_limit must be at least 1".into());
        }
        if self.scale_out_per_10s == 0 {
            return Err("scale_out_per_10s must be at least 1".into());
        }
        if self.provisioned > self.concurrency_limit {
            return Err(format!(
                "provisioned ({}) must be at most concurrency_limit ({})",
                self.provisioned, self.concurrency_limit
            ));
        }
        for (name, value) in [
            ("keep_warm_s", self.keep_warm_s),
            ("timeout_ms", self.timeout_ms),
        ] {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be > 0, found {value}"));
            }
        }
        self.cold_start
            .validate()
            .map_err(|e| format!("cold_start: {e}"))?;
        self.work.validate().map_err(|e| format!("work: {e}"))?;
        plan::validate(&self.calls)
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let per_10s = f64::from(self.scale_out_per_10s);
        let model = ServerlessFunction {
            work: self.work.sampler(),
            cold_start: self.cold_start.sampler(),
            plan: CallPlan::resolve(&self.calls, false, wiring)?,
            limit: self.concurrency_limit as usize,
            keep_warm_ns: (self.keep_warm_s * NS_PER_S as f64).round() as Nanos,
            timeout_ns: ms_to_ns(self.timeout_ms),
            scale_out: TokenBucket::new(per_10s / 10.0, per_10s),
            idle: VecDeque::new(),
            provisioned_idle: self.provisioned,
            running: BTreeMap::new(),
            refused: false,
        };
        // Unbounded servers: the function's own limit throttles, nothing queues.
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn calls(&self) -> Option<&[CallStep]> {
        Some(&self.calls)
    }

    fn calls_mut(&mut self) -> Option<&mut Vec<CallStep>> {
        Some(&mut self.calls)
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Lambda(LambdaSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Lambda", "Unpriced"]
    }

    fn runs_on_compute(&self) -> bool {
        true
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    /// More headroom: the concurrency limit (and the scale-out burst) times the factor.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::Scale(factor) => {
                let scale = |n: u32| ((f64::from(n) * factor).ceil() as u32).max(1);
                self.concurrency_limit = scale(self.concurrency_limit);
                self.scale_out_per_10s = scale(self.scale_out_per_10s);
                true
            }
            _ => false,
        }
    }
}

/// A serverless function's behaviour: a warm environment or a cold start, the work and the
/// call plan, the environment busy until the invocation answers.
#[derive(Clone, Debug)]
pub struct ServerlessFunction {
    work: Sampler,
    cold_start: Sampler,
    plan: CallPlan,
    limit: usize,
    keep_warm_ns: Nanos,
    timeout_ns: Nanos,
    /// New environments it may still start (burst scaling).
    scale_out: TokenBucket,
    /// Idle on-demand environments: when each was last freed, oldest first.
    idle: VecDeque<Nanos>,
    /// Idle provisioned environments.
    provisioned_idle: u32,
    /// Invocations running, by (start, call), each with whether its environment is a
    /// provisioned one; at most `limit` (invocations past their timeout are killed when the
    /// next one arrives, so one lost with its node's crash frees its place too).
    running: BTreeMap<(Nanos, Entity), bool>,
    /// The call just admitted was throttled.
    refused: bool,
}

impl ServerlessFunction {
    /// Kills the invocations that have run past the timeout: their environments are freed
    /// and discarded (Lambda restarts the runtime after a timeout).
    fn kill_overdue(&mut self, now_ns: Nanos) {
        while let Some((&(started, _), _)) = self.running.first_key_value() {
            if started + self.timeout_ns > now_ns {
                break;
            }
            self.running.pop_first();
        }
    }

    /// Takes an environment for a new invocation: whether it must start cold, or `None` when
    /// the invocation is throttled.
    fn take_environment(&mut self, cx: &mut Cx) -> Option<(bool, bool)> {
        let now = cx.now_ns;
        self.kill_overdue(now);
        if self.running.len() >= self.limit {
            return None;
        }
        while self.idle.front().is_some_and(|&t| t + self.keep_warm_ns <= now) {
            self.idle.pop_front();
        }
        if self.provisioned_idle > 0 {
            self.provisioned_idle -= 1;
            return Some((false, true));
        }
        // The most recently used environment: the others cool down and are reclaimed.
        if self.idle.pop_back().is_some() {
            return Some((false, false));
        }
        if !self.scale_out.take(now) {
            return None;
        }
        cx.metrics.count("cold_starts", 1);
        Some((true, false))
    }

    /// The invocation answers `reply` (or, past its timeout, `timeout`): its environment is
    /// free again, warm, unless it was killed.
    fn finish(&mut self, cx: &mut Cx, call: &Call, reply: Reply) -> Next {
        let now = cx.now_ns;
        let key = (call.arrived_ns, cx.call);
        let overdue = now >= call.arrived_ns + self.timeout_ns;
        match self.running.remove(&key) {
            Some(_) if overdue => {}
            Some(true) => self.provisioned_idle += 1,
            Some(false) => self.idle.push_back(now),
            // Killed at its timeout already.
            None => {}
        }
        if overdue {
            Next::Respond(Reply::failed(ErrorCause::Timeout))
        } else {
            Next::Respond(reply)
        }
    }

    /// Where the invocation goes after a plan step: on, or done.
    fn go_on(&mut self, cx: &mut Cx, call: &Call, next: Next) -> Next {
        match next {
            Next::Respond(reply) => self.finish(cx, call, reply),
            other => other,
        }
    }
}

impl Behaviour for ServerlessFunction {
    fn kind_name(&self) -> &'static str {
        "serverless_function"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        // The engine calls `after_work` right after a `None`, so the flag cannot go stale.
        let Some((cold, provisioned)) = self.take_environment(cx) else {
            self.refused = true;
            return None;
        };
        self.running.insert((call.arrived_ns, cx.call), provisioned);
        let init = if cold {
            self.cold_start.sample(cx.rng)
        } else {
            0
        };
        // Killed at the timeout if the start and the work take longer.
        Some((init + self.work.sample(cx.rng)).min(self.timeout_ns))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            return Next::Respond(Reply::failed(ErrorCause::Throttled));
        }
        if cx.now_ns >= call.arrived_ns + self.timeout_ns {
            return self.finish(cx, call, Reply::OK);
        }
        let next = self.plan.next_from(0, call.kind, cx.rng, &mut call.step);
        self.go_on(cx, call, next)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        let next = self.plan.after_step(reply, cx, call);
        self.go_on(cx, call, next)
    }

    any_accessors!();
}
