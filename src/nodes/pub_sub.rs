//! Pub/sub topic (SNS-like): a publisher is answered as soon as the topic has stored the
//! message; the topic then delivers a copy to every subscription (each outgoing edge), after
//! a delivery delay, each copy on its own: a subscription's retries are its edge's `retries`,
//! a slow or failing subscriber holds up nobody else, and a filter policy lets through only a
//! share of the messages to a subscriber. Fan-out multiplies load: N subscriptions turn one
//! publish into N deliveries. Past its publish rate the topic throttles (`throttled`).
//!
//! Sources (`../shared/reference/component-parameters.md`, section 6): SNS's publish quota,
//! 30,000 messages/s in us-east-1 (300 in small Regions), excess answered ThrottlingException
//! (AWS SNS quotas); delivery to a Lambda subscriber p50 73 ms, p99 225 ms (AWS's published
//! SNS/SQS/Kinesis-to-Lambda latency comparison); SNS retries to SQS/Lambda 3 times at once
//! before backing off (AWS "SNS message delivery retries").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::external_api::TokenBucket;
use super::{Built, Forwarding, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::SnsSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, EdgeId, ErrorCause, Nanos, Next, Reply, Sampler, Station,
    UNBOUNDED,
};

/// Parameters of a pub/sub topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PubSubParams {
    /// Time from a message's publication to its copies being sent to the subscribers.
    pub delivery: Dist,
    /// Publishes per second the topic accepts (a token bucket one second deep); the rest
    /// are answered `throttled`. None = no limit.
    pub publish_limit_rps: Option<f64>,
    /// Filter policies: the share (0..1) of messages a subscriber (by node id) receives; a
    /// subscriber not listed receives every message.
    pub filters: BTreeMap<String, f64>,
}

impl Default for PubSubParams {
    fn default() -> Self {
        PubSubParams {
            delivery: Dist::LogNormal {
                p50: 73.0,
                p99: 225.0,
            },
            publish_limit_rps: Some(30_000.0),
            filters: BTreeMap::new(),
        }
    }
}

impl Kind for PubSubParams {
    fn name(&self) -> &'static str {
        "pub_sub"
    }

    fn about(&self) -> &'static str {
        "Pub/sub topic (SNS-like): every message fanned out to each subscription"
    }

    fn id_prefix(&self) -> &'static str {
        "topic"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 12,
                scale: 0.95,
            },
            accent: [0.95, 0.60, 0.80],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(rps) = self.publish_limit_rps
            && !crate::sim::positive(rps)
        {
            return Err(format!("publish_limit_rps must be > 0, found {rps}"));
        }
        for (to, share) in &self.filters {
            if !(0.0..=1.0).contains(share) {
                return Err(format!(
                    "filters: the share for \"{to}\" must be between 0 and 1, found {share}"
                ));
            }
        }
        self.delivery.validate()
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let mut subscriptions: Vec<(EdgeId, f64)> =
            wiring.out_edges().into_iter().map(|e| (e, 1.0)).collect();
        for (to, share) in &self.filters {
            let edge = wiring
                .edge_to(to)
                .map_err(|e| format!("filters: {e}"))?;
            if let Some(s) = subscriptions.iter_mut().find(|(e, _)| *e == edge) {
                s.1 = *share;
            }
        }
        let model = PubSub {
            delivery: self.delivery.sampler(),
            limit: self.publish_limit_rps.map(TokenBucket::per_second),
            subscriptions,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, true),
            model,
        ))
    }

    fn rename_reference(&mut self, old: &str, new: &str) {
        if let Some(share) = self.filters.remove(old) {
            self.filters.insert(new.to_string(), share);
        }
    }

    fn remove_reference(&mut self, id: &str) {
        self.filters.remove(id);
    }

    fn add_reference(&mut self, _to: &str) {}

    fn forwarding(&self) -> Forwarding<'_> {
        Forwarding::FanOut {
            shares: &self.filters,
        }
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Sns(SnsSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Sns", "Unpriced"]
    }
}

/// A topic's behaviour: a publish is taken (or throttled) and acknowledged; the stored copy
/// waits out the delivery delay and goes to every subscription its filter lets through.
#[derive(Clone, Debug)]
pub struct PubSub {
    delivery: Sampler,
    limit: Option<TokenBucket>,
    subscriptions: Vec<(EdgeId, f64)>,
}

impl Behaviour for PubSub {
    fn kind_name(&self) -> &'static str {
        "pub_sub"
    }

    /// The publisher is answered once the message is stored (the engine buffers it and
    /// acknowledges).
    fn acks_on_enqueue(&self) -> bool {
        true
    }

    /// Past the publish limit the publisher is answered `throttled`.
    fn refuse_message(&mut self, now_ns: Nanos) -> Option<ErrorCause> {
        let taken = self.limit.as_mut().is_none_or(|l| l.take(now_ns));
        (!taken).then_some(ErrorCause::Throttled)
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        Some(self.delivery.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, _: &mut Call) -> Next {
        let mut copies = Vec::with_capacity(self.subscriptions.len());
        for &(edge, share) in &self.subscriptions {
            if share >= 1.0 || cx.rng.chance(share) {
                copies.push(edge);
            }
        }
        cx.metrics.count("deliveries", copies.len() as u64);
        Next::CallAll(copies)
    }

    /// Every subscription answered: a message some subscriber never got (its retries spent)
    /// is counted; SNS drops it unless a dead-letter queue takes it.
    fn after_calls(&mut self, cx: &mut Cx, _: &mut Call, reply: Reply) -> Next {
        if reply.error.is_some() {
            cx.metrics.count("undelivered", 1);
        }
        Next::Respond(reply)
    }

    any_accessors!();
}
