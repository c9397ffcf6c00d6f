//! LLM inference endpoint: a provider's API (OpenAI-, Anthropic-like) or a self-hosted model
//! server (vLLM-like). A request brings `input_tokens` and asks for `output_tokens` (both
//! drawn per request); it waits for the time to first token (a base plus its prompt's
//! prefill), then its answer streams out at the decode speed, so an answer alone takes
//! TTFT + output tokens / tokens per second.
//!
//! Continuous batching: each instance decodes up to `max_batch` sequences at once, every
//! sequence one token per step. A bigger batch makes each step slower, so each sequence's
//! speed falls while the instance's total rises toward a ceiling:
//! per_sequence(b) = tokens_per_s / (1 + batch_slowdown·(b−1)), and the instance makes
//! b·per_sequence(b) tokens a second. Sequences join and leave the batch whenever they are
//! ready (no waiting for the batch to drain), and every change of the batch changes the speed
//! of all its sequences, which the model follows exactly (a virtual clock of tokens decoded,
//! as in processor sharing).
//!
//! Limits: tokens per minute and requests per minute (token buckets a minute deep, refilled
//! continuously, as Anthropic documents; a request takes its input plus output tokens, as
//! OpenAI counts max_tokens on admission) answer `throttled` (429) at once; a prompt plus
//! answer longer than the context window is refused (`rejected`, a 400). The share of a
//! prompt read from the prompt cache skips the prefill and, as Anthropic counts input
//! tokens per minute, does not count toward the limit. A provider cutting the account's
//! capacity (`llm-rate-limit`, or any `CapacityLost`) cuts both limits to the share left.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 10): TTFT about 0.4-0.8 s
//! and 80 tokens/s per stream for GPT-4o-class models at ~1k-token prompts (Artificial
//! Analysis); Databricks, "LLM inference performance engineering": batch 64 gives ~14x the
//! throughput at ~4x the per-token latency, which batch_slowdown 0.05 reproduces (per-stream
//! speed / 4.15, throughput x15.4); Lambda Labs' vLLM benchmark (Llama-3.1-8B FP8 on one
//! H100: 3,400 output tokens/s at 19.75 ms a token); Anyscale on continuous batching; OpenAI
//! and Anthropic rate-limit pages (RPM, TPM, 429); GPT-4o's 128k context.

use std::collections::BTreeMap;

use bevy::prelude::Entity;
use serde::{Deserialize, Serialize};

use super::external_api::TokenBucket;
use super::{Built, Fix, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_MS, NS_PER_S, Nanos, Next, Reply, Sampler,
    Station, UNBOUNDED,
};

/// Parameters of an LLM inference endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmEndpointParams {
    /// Your own model servers (priced and sized as yours) rather than a provider's API (a
    /// third party).
    pub self_hosted: bool,
    /// Model server instances (GPU replicas) the requests spread over; for a provider, the
    /// share of its fleet that serves you.
    pub instances: u32,
    /// Sequences one instance decodes at once (continuous batching), at most.
    pub max_batch: u32,
    /// Requests that may wait for a batch slot (all instances together); none = unbounded.
    pub queue_capacity: Option<u32>,
    /// Time to first token before the prompt's prefill (scheduling, network inside the
    /// provider), milliseconds.
    pub ttft: Dist,
    /// Prompt tokens processed per second before the first token (prefill).
    pub prefill_tokens_per_s: f64,
    /// Tokens in a request's prompt: a distribution whose numbers are read as tokens.
    pub input_tokens: Dist,
    /// Share of each prompt read from the provider's prompt cache (a shared prefix: system
    /// prompt, tool definitions), 0..1: those tokens skip the prefill and do not count
    /// toward `tokens_per_minute`.
    pub cached_input_share: f64,
    /// Tokens in its answer: a distribution whose numbers are read as tokens.
    pub output_tokens: Dist,
    /// Tokens per second one sequence decodes when it is alone on its instance.
    pub tokens_per_s: f64,
    /// How much each further sequence in the batch slows every sequence's step (alpha in
    /// tokens_per_s / (1 + alpha·(batch − 1))); 0 = no slowdown.
    pub batch_slowdown: f64,
    /// Longest prompt plus answer, tokens (the context window).
    pub context_tokens: u32,
    /// Tokens (prompt plus answer) the account may use per minute; none = no limit.
    pub tokens_per_minute: Option<f64>,
    /// Requests the account may make per minute; none = no limit.
    pub requests_per_minute: Option<f64>,
    /// Share of requests the endpoint fails on its own (5xx, overloaded), 0..1.
    pub error_rate: f64,
}

impl Default for LlmEndpointParams {
    fn default() -> Self {
        LlmEndpointParams {
            self_hosted: false,
            instances: 50,
            max_batch: 64,
            queue_capacity: Some(1_000),
            ttft: Dist::LogNormal {
                p50: 300.0,
                p99: 1_500.0,
            },
            prefill_tokens_per_s: 10_000.0,
            input_tokens: Dist::LogNormal {
                p50: 1_000.0,
                p99: 4_000.0,
            },
            cached_input_share: 0.0,
            output_tokens: Dist::LogNormal {
                p50: 300.0,
                p99: 1_200.0,
            },
            tokens_per_s: 80.0,
            batch_slowdown: 0.05,
            context_tokens: 128_000,
            tokens_per_minute: None,
            requests_per_minute: None,
            error_rate: 0.001,
        }
    }
}

impl Kind for LlmEndpointParams {
    fn name(&self) -> &'static str {
        "llm_endpoint"
    }

    fn about(&self) -> &'static str {
        "LLM inference endpoint: TTFT plus tokens over a batch-shared speed, TPM/RPM limits"
    }

    fn id_prefix(&self) -> &'static str {
        "llm"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 12,
                scale: 1.2,
            },
            accent: [0.78, 0.55, 1.0],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.instances == 0 || self.max_batch == 0 {
            return Err("instances and max_batch must be at least 1".into());
        }
        if u64::from(self.instances) * u64::from(self.max_batch) > u64::from(u16::MAX) {
            return Err(format!(
                "instances x max_batch must be at most {}, found {}",
                u16::MAX,
                u64::from(self.instances) * u64::from(self.max_batch)
            ));
        }
        if self.context_tokens == 0 {
            return Err("context_tokens must be at least 1".into());
        }
        for (name, value) in [
            ("prefill_tokens_per_s", self.prefill_tokens_per_s),
            ("tokens_per_s", self.tokens_per_s),
        ] {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be > 0, found {value}"));
            }
        }
        if !(self.batch_slowdown.is_finite() && self.batch_slowdown >= 0.0) {
            return Err(format!(
                "batch_slowdown must be >= 0, found {}",
                self.batch_slowdown
            ));
        }
        for (name, limit) in [
            ("tokens_per_minute", self.tokens_per_minute),
            ("requests_per_minute", self.requests_per_minute),
        ] {
            if let Some(v) = limit.filter(|v| !crate::sim::positive(*v)) {
                return Err(format!("{name} must be > 0, found {v}"));
            }
        }
        if !(0.0..=1.0).contains(&self.cached_input_share) {
            return Err(format!(
                "cached_input_share must be between 0 and 1, found {}",
                self.cached_input_share
            ));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(format!(
                "error_rate must be between 0 and 1, found {}",
                self.error_rate
            ));
        }
        self.ttft.validate().map_err(|e| format!("ttft: {e}"))?;
        self.input_tokens
            .validate()
            .map_err(|e| format!("input_tokens: {e}"))?;
        self.output_tokens
            .validate()
            .map_err(|e| format!("output_tokens: {e}"))
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let per_minute = |n: f64| TokenBucket::new(n / 60.0, n);
        let model = LlmEndpoint {
            ttft: self.ttft.sampler(),
            prefill_ns_per_token: NS_PER_S as f64 / self.prefill_tokens_per_s,
            input_tokens: self.input_tokens.sampler(),
            cached_input_share: self.cached_input_share,
            output_tokens: self.output_tokens.sampler(),
            tokens_per_s: self.tokens_per_s,
            batch_slowdown: self.batch_slowdown,
            context_tokens: u64::from(self.context_tokens),
            tpm: self.tokens_per_minute.map(per_minute),
            rpm: self.requests_per_minute.map(per_minute),
            error_rate: self.error_rate,
            instances: vec![Batch::default(); self.instances as usize],
            prefilling: BTreeMap::new(),
            slots: self.instances as usize * self.max_batch as usize,
            refused: None,
        };
        let servers = self.instances * self.max_batch;
        let station = Station::new(servers, self.queue_capacity.unwrap_or(UNBOUNDED), false);
        Ok(Built::plain(station, model))
    }

    fn sized_by(&self) -> SizedBy {
        if self.self_hosted {
            SizedBy::Replicas
        } else {
            SizedBy::Nothing
        }
    }

    fn capacity_units(&self) -> Option<u32> {
        self.self_hosted.then_some(self.instances)
    }

    fn set_capacity_units(&mut self, units: u32) {
        if self.self_hosted {
            self.instances = units.max(1);
        }
    }

    fn is_third_party(&self) -> bool {
        !self.self_hosted
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    /// More instances, when they are yours; prompt caching.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::Scale(factor) if self.self_hosted => {
                self.instances = ((f64::from(self.instances) * factor).ceil() as u32).max(1);
            }
            Fix::PromptCaching(share) => {
                self.cached_input_share = self.cached_input_share.max(share.clamp(0.0, 1.0));
            }
            _ => return false,
        }
        true
    }
}

/// One instance's batch of decoding sequences, on a virtual clock: `decoded` is the tokens
/// each sequence present all along would have decoded since the instance started, so a
/// sequence that joins at `decoded = v` with `n` tokens to go finishes at `v + n`.
#[derive(Clone, Debug, Default)]
struct Batch {
    /// Virtual tokens decoded, as of `at_ns`.
    decoded: f64,
    /// When `decoded` was last brought up to date.
    at_ns: Nanos,
    /// Tokens per second each sequence decodes at since `at_ns`.
    speed: f64,
    /// The sequences: where each finishes on the virtual clock, its call, its tokens.
    sequences: Vec<(f64, Entity, u64)>,
    /// Bumped at each reschedule: an alarm carrying an older one is stale.
    epoch: u64,
}

impl Batch {
    /// Brings the virtual clock up to `now_ns`.
    fn advance(&mut self, now_ns: Nanos) {
        self.decoded += self.speed * (now_ns - self.at_ns) as f64 / NS_PER_S as f64;
        self.at_ns = now_ns;
    }
}

/// Bits of an alarm token that name the instance (the rest is its epoch).
const INSTANCE_BITS: u32 = 16;

/// An LLM endpoint's behaviour.
#[derive(Clone, Debug)]
pub struct LlmEndpoint {
    ttft: Sampler,
    prefill_ns_per_token: f64,
    input_tokens: Sampler,
    cached_input_share: f64,
    output_tokens: Sampler,
    tokens_per_s: f64,
    batch_slowdown: f64,
    context_tokens: u64,
    tpm: Option<TokenBucket>,
    rpm: Option<TokenBucket>,
    error_rate: f64,
    instances: Vec<Batch>,
    /// Requests waiting for their first token: when it comes and the tokens they will then
    /// decode. Entries lost when the node crashed (their `after_work` never comes) are
    /// dropped once the map outgrows the batch slots.
    prefilling: BTreeMap<Entity, (Nanos, u64)>,
    slots: usize,
    /// The request just admitted was refused, with this cause.
    refused: Option<ErrorCause>,
}

/// A token count drawn from `dist` (its numbers read as tokens), at least one.
fn tokens(dist: &Sampler, cx: &mut Cx) -> u64 {
    (dist.sample(cx.rng) as f64 / NS_PER_MS as f64).round().max(1.0) as u64
}

impl LlmEndpoint {
    /// Admits a request with `input` prompt tokens (`uncached` of them not in the prompt
    /// cache) and `output` answer tokens, or says why not.
    fn admit(
        &mut self,
        cx: &mut Cx,
        input: u64,
        uncached: u64,
        output: u64,
    ) -> Result<(), ErrorCause> {
        if input + output > self.context_tokens {
            return Err(ErrorCause::Rejected);
        }
        // A provider cutting the account's capacity (capacity chaos) cuts its limits too.
        let share = cx.mods.capacity.clamp(0.0, 1.0);
        let now = cx.now_ns;
        if self
            .rpm
            .as_mut()
            .is_some_and(|b| !b.take_share(now, 1.0, share))
        {
            return Err(ErrorCause::Throttled);
        }
        let wanted = (uncached + output) as f64;
        if self
            .tpm
            .as_mut()
            .is_some_and(|b| !b.take_share(now, wanted, share))
        {
            return Err(ErrorCause::Throttled);
        }
        cx.metrics.count("tokens", uncached + output);
        if cx.rng.chance(self.error_rate) {
            return Err(ErrorCause::UpstreamError);
        }
        Ok(())
    }

    /// Each sequence's speed on an instance decoding `batch` of them.
    fn speed(&self, batch: usize, slowdown: f64) -> f64 {
        let extra = batch.saturating_sub(1) as f64;
        self.tokens_per_s / (1.0 + self.batch_slowdown * extra) / slowdown.max(f64::MIN_POSITIVE)
    }

    /// Sets instance `i`'s speed for its batch now and the alarm for its next finisher.
    fn reschedule(&mut self, cx: &mut Cx, i: usize) {
        let speed = self.speed(self.instances[i].sequences.len(), cx.mods.slowdown);
        let batch = &mut self.instances[i];
        batch.speed = speed;
        batch.epoch += 1;
        let Some(first) = batch
            .sequences
            .iter()
            .map(|s| s.0)
            .min_by(f64::total_cmp)
        else {
            return;
        };
        let delay_ns = ((first - batch.decoded).max(0.0) / speed * NS_PER_S as f64).ceil();
        let token = batch.epoch << INSTANCE_BITS | i as u64;
        cx.effects.alarms.push((delay_ns as Nanos, token));
    }

    /// A request's first token is out: it joins the smallest batch and decodes `output`
    /// tokens.
    fn join(&mut self, cx: &mut Cx, output: u64) {
        let i = (0..self.instances.len())
            .min_by_key(|&i| self.instances[i].sequences.len())
            .expect("at least one instance");
        let batch = &mut self.instances[i];
        batch.advance(cx.now_ns);
        let finish = batch.decoded + output as f64;
        batch.sequences.push((finish, cx.call, output));
        self.reschedule(cx, i);
    }
}

impl Behaviour for LlmEndpoint {
    fn kind_name(&self) -> &'static str {
        "llm_endpoint"
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        let input = tokens(&self.input_tokens, cx);
        let uncached = (input as f64 * (1.0 - self.cached_input_share)).round() as u64;
        let output = tokens(&self.output_tokens, cx);
        if let Err(cause) = self.admit(cx, input, uncached, output) {
            // Answered at once (the engine calls `after_work` right after a `None`).
            self.refused = Some(cause);
            return None;
        }
        let ttft = self.ttft.sample(cx.rng)
            + (uncached as f64 * self.prefill_ns_per_token).round() as Nanos;
        // The engine stretches the work by the slowdown; the first token comes then.
        let due = cx.now_ns + (ttft as f64 * cx.mods.slowdown).round() as Nanos;
        if self.prefilling.len() >= 2 * self.slots {
            let now = cx.now_ns;
            self.prefilling.retain(|_, (at, _)| *at >= now);
        }
        self.prefilling.insert(cx.call, (due, output));
        Some(ttft)
    }

    fn after_work(&mut self, cx: &mut Cx, _: &mut Call) -> Next {
        if let Some(cause) = self.refused.take() {
            return Next::Respond(Reply::failed(cause));
        }
        let Some((_, output)) = self.prefilling.remove(&cx.call) else {
            // Not found only if pruned as lost, which a live call never is.
            return Next::Respond(Reply::failed(ErrorCause::NodeDown));
        };
        self.join(cx, output);
        Next::Park
    }

    fn alarm(&mut self, cx: &mut Cx, token: u64) {
        let i = (token & ((1 << INSTANCE_BITS) - 1)) as usize;
        let epoch = token >> INSTANCE_BITS;
        let Some(batch) = self.instances.get_mut(i) else {
            return;
        };
        if batch.epoch != epoch {
            return;
        }
        batch.advance(cx.now_ns);
        // Rounding the alarm up to a whole nanosecond leaves the finisher at or past its end.
        let done_by = batch.decoded + 1e-6;
        let mut finished = 0;
        batch.sequences.retain(|&(finish, call, output)| {
            if finish <= done_by {
                cx.effects.wake.push((call, Reply::OK));
                finished += output;
                false
            } else {
                true
            }
        });
        cx.metrics.count("output_tokens", finished);
        self.reschedule(cx, i);
    }

    any_accessors!();
}
