//! Log / stream (Kafka-like): a topic split into partitions, consumed by a consumer group.
//! A producer is answered once its message is appended to the partition its key hashes to
//! (so one hot key loads one partition); each partition is read in order by the one group
//! member it is assigned to, one message at a time (the member's own work, then its call
//! plan). A member owns several partitions when there are fewer members than partitions,
//! and members beyond the partition count sit idle: a partition is the unit of parallelism.
//! Lag is per partition: a hot partition falls behind while the others keep up.
//!
//! When a member leaves (chaos takes consumers away: `capacity-loss` on the log), its
//! partitions stall until the group notices (`session_timeout_ms`), then the group
//! rebalances: an `Eager` rebalance stops every member for `rebalance_ms`, a `Cooperative`
//! one (KIP-429) only the partitions that move. A member joining (capacity back) or a
//! `partition-rebalance` (a deploy's rolling restart) rebalances at once. Messages older
//! than `retention_s` are deleted before they are read (`expired`, answered as a timeout).
//!
//! Sources (`../shared/reference/component-parameters.md`, section 5): end-to-end p50 2 ms,
//! p99 5 ms (Confluent, LinkedIn's Kafka benchmarks); at most one consumer per partition per
//! group, ordering only within a partition, retention 7 days (Apache Kafka documentation);
//! `session.timeout.ms` 45 s since Kafka 3.0 (KIP-735); eager rebalances pause the whole
//! group for seconds, cooperative ones only the moved partitions (KIP-429).

use std::collections::{HashMap, VecDeque};

use bevy::prelude::Entity;
use serde::{Deserialize, Serialize};

use super::plan::{self, CallPlan, CallStep};
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::MskSpec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, NS_PER_S, Nanos, Next, Reply, Sampler, Shock,
    SimRng, Station, UNBOUNDED, ms_to_ns,
};

/// The most partitions a topic may have (Kafka recommends at most ~4,000 per broker).
const MAX_PARTITIONS: u32 = 10_000;

/// Parameters of a log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogStreamParams {
    /// Partitions of the topic.
    pub partitions: u32,
    /// Members of the consumer group.
    pub consumers: u32,
    /// A member's own work per message (its process does one message at a time).
    pub work: Dist,
    /// What a member calls for each message, in order.
    pub calls: Vec<CallStep>,
    /// Messages older than this are deleted unread, seconds.
    pub retention_s: f64,
    /// How the group rebalances when its membership changes.
    pub rebalance: Rebalance,
    /// How long a rebalance stops the partitions it moves (all of them if eager), ms.
    pub rebalance_ms: f64,
    /// How long a member that died goes unnoticed (its partitions stall), ms.
    pub session_timeout_ms: f64,
}

/// A consumer group's rebalance protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rebalance {
    /// Every member gives up every partition and waits (the classic protocol).
    #[default]
    Eager,
    /// Only the partitions that change owner stop (incremental cooperative, KIP-429).
    Cooperative,
}

impl Default for LogStreamParams {
    fn default() -> Self {
        LogStreamParams {
            partitions: 12,
            consumers: 6,
            work: Dist::LogNormal { p50: 2.0, p99: 10.0 },
            calls: Vec::new(),
            retention_s: 7.0 * 86_400.0,
            rebalance: Rebalance::Eager,
            rebalance_ms: 5_000.0,
            session_timeout_ms: 45_000.0,
        }
    }
}

impl Kind for LogStreamParams {
    fn name(&self) -> &'static str {
        "log_stream"
    }

    fn about(&self) -> &'static str {
        "Log / stream (Kafka-like): keyed partitions, one consumer each, lag per partition"
    }

    fn id_prefix(&self) -> &'static str {
        "log"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Bar,
            accent: [0.45, 0.85, 0.95],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.partitions == 0 || self.partitions > MAX_PARTITIONS {
            return Err(format!(
                "partitions must be between 1 and {MAX_PARTITIONS}, found {}",
                self.partitions
            ));
        }
        if self.consumers == 0 || self.consumers > MAX_PARTITIONS {
            return Err(format!(
                "consumers must be between 1 and {MAX_PARTITIONS}, found {}",
                self.consumers
            ));
        }
        for (name, value) in [
            ("retention_s", self.retention_s),
            ("rebalance_ms", self.rebalance_ms + 1.0),
            ("session_timeout_ms", self.session_timeout_ms + 1.0),
        ] {
            if !crate::sim::positive(value) {
                return Err(format!("{name} must be >= 0 (and retention_s > 0)"));
            }
        }
        self.work.validate()?;
        plan::validate(&self.calls)
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let partitions = self.partitions as usize;
        let model = LogStream {
            work: self.work.sampler(),
            plan: CallPlan::resolve(&self.calls, false, wiring)?,
            retention_ns: (self.retention_s * NS_PER_S as f64) as Nanos,
            rebalance: self.rebalance,
            rebalance_ns: ms_to_ns(self.rebalance_ms),
            session_timeout_ns: ms_to_ns(self.session_timeout_ms),
            consumers: self.consumers,
            queues: vec![VecDeque::new(); partitions],
            owner: (0..self.partitions).map(|p| p % self.consumers).collect(),
            owned: assignment(self.partitions, self.consumers),
            paused_until: vec![0; partitions],
            busy: vec![false; self.consumers as usize],
            members: self.consumers,
            alive: self.consumers,
            messages: HashMap::default(),
            shocked: false,
            stalled: false,
            unread: 0,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, true),
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
        Some(CostSpec::Msk(MskSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Msk", "Kinesis", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Workers
    }

    /// One core a group member.
    fn cores_per_capacity_unit(&self) -> Option<f64> {
        Some(1.0)
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.consumers)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.consumers = units.min(MAX_PARTITIONS);
    }

    fn apply_fix(&mut self, fix: &super::Fix) -> bool {
        match *fix {
            super::Fix::CooperativeRebalance => self.rebalance = Rebalance::Cooperative,
            _ => return false,
        }
        true
    }
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting in its partition.
    Queued,
    /// Its member is working on it.
    Consuming,
    /// Its member is making the plan's calls for it.
    Calling,
}

/// A log's behaviour: partitions of parked messages, each read in order by its owner.
#[derive(Clone, Debug)]
pub struct LogStream {
    work: Sampler,
    plan: CallPlan,
    retention_ns: Nanos,
    rebalance: Rebalance,
    rebalance_ns: Nanos,
    session_timeout_ns: Nanos,
    /// Members of the group as configured.
    consumers: u32,
    /// Each partition's unread messages (oldest first), with when they were appended.
    queues: Vec<VecDeque<(Entity, Nanos)>>,
    /// Each partition's member.
    owner: Vec<u32>,
    /// Each member's partitions.
    owned: Vec<Vec<u32>>,
    /// Each partition stops being read until then (a rebalance).
    paused_until: Vec<Nanos>,
    /// Each member is working on a message.
    busy: Vec<bool>,
    /// Members the partitions are assigned over.
    members: u32,
    /// Members alive, as the log last saw them (those numbered from here on are dead).
    alive: u32,
    /// The messages in the log (queued or being consumed), by call: partition, stage and
    /// the member consuming it.
    messages: HashMap<Entity, (u32, Stage, u32)>,
    /// A rebalance was forced (chaos) and is yet to be carried out.
    shocked: bool,
    /// Members stopped reading while the log was down.
    stalled: bool,
    /// Messages waiting in all partitions.
    unread: u64,
}

/// Token of the alarm that ends a rebalance.
const REBALANCE_DONE: u64 = 0;
/// Token of the alarm at which the group notices a dead member and rebalances.
const REBALANCE_START: u64 = 1;

impl LogStream {
    /// Unread messages in each partition.
    pub fn backlog(&self) -> Vec<usize> {
        self.queues.iter().map(VecDeque::len).collect()
    }

    /// The partition a key is appended to (a mixing hash, as Kafka's murmur2 partitioner).
    fn partition_of(&self, key: u32) -> u32 {
        let h = u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((h >> 32) % self.queues.len() as u64) as u32
    }

    /// Members alive now (chaos takes some away).
    fn alive_now(&self, cx: &Cx) -> u32 {
        cx.mods.working(self.consumers)
    }

    /// Notices a change of membership (or a forced restart of a member). A member that died
    /// is noticed only after its session times out (its partitions stall meanwhile); one
    /// that joins, or restarts, makes the group rebalance at once.
    fn check_membership(&mut self, cx: &mut Cx) {
        let alive = self.alive_now(cx);
        let restarted = std::mem::take(&mut self.shocked);
        if alive == self.alive && !restarted {
            return;
        }
        let died = alive < self.alive;
        self.alive = alive;
        if died {
            cx.effects
                .alarms
                .push((self.session_timeout_ns, REBALANCE_START));
        } else {
            self.rebalance(cx, restarted);
        }
    }

    /// The group rebalances over the members alive: the partitions that change owner (all
    /// of them if eager; a restarted member's too) stop for `rebalance_ms`.
    fn rebalance(&mut self, cx: &mut Cx, restarted: bool) {
        let members = self.alive.max(1);
        let resume = cx.now_ns + self.rebalance_ns;
        for p in 0..self.owner.len() {
            let old = self.owner[p];
            let new = p as u32 % members;
            let moves = new != old || old >= self.alive || (restarted && old == 0);
            if moves || self.rebalance == Rebalance::Eager {
                self.paused_until[p] = self.paused_until[p].max(resume);
            }
            self.owner[p] = new;
        }
        self.owned = assignment(self.owner.len() as u32, members);
        self.members = self.alive;
        cx.metrics.count("rebalances", 1);
        cx.effects.alarms.push((self.rebalance_ns, REBALANCE_DONE));
    }

    /// Member `m`, if idle, takes the oldest readable message among its partitions
    /// (deleting the expired ones it meets). It wakes the message to be consumed, unless it
    /// is `this` (the call being decided on, not parked yet): then it says so.
    fn take_next(&mut self, cx: &mut Cx, m: u32, this: Entity) -> bool {
        if m >= self.alive || self.busy[m as usize] {
            return false;
        }
        if cx.mods.down {
            // The log is down: nothing is read; the next message after it is back wakes
            // every member.
            self.stalled = true;
            return false;
        }
        loop {
            let mut best: Option<(usize, Nanos)> = None;
            for &p in &self.owned[m as usize] {
                let p = p as usize;
                if self.paused_until[p] > cx.now_ns {
                    continue;
                }
                if let Some(&(_, at)) = self.queues[p].front()
                    && best.is_none_or(|(_, b)| at < b)
                {
                    best = Some((p, at));
                }
            }
            let Some((p, at)) = best else {
                return false;
            };
            let (message, _) = self.queues[p].pop_front().expect("a front was seen");
            self.unread -= 1;
            if cx.now_ns - at > self.retention_ns {
                self.messages.remove(&message);
                cx.metrics.count("expired", 1);
                cx.effects
                    .wake
                    .push((message, Reply::failed(ErrorCause::Timeout)));
                continue;
            }
            cx.metrics
                .peak("consumer_lag_ms", (cx.now_ns - at) as f64 / 1e6);
            self.busy[m as usize] = true;
            self.messages
                .insert(message, (p as u32, Stage::Consuming, m));
            if message == this {
                return true;
            }
            cx.effects.wake.push((message, Reply::OK));
            return false;
        }
    }

    /// The member's own work on a message, slowed by chaos like any work.
    fn consume(&mut self, cx: &mut Cx) -> Next {
        let work = self.work.sample(cx.rng);
        let slowed = if cx.mods.slowdown == 1.0 {
            work
        } else {
            (work as f64 * cx.mods.slowdown).round() as Nanos
        };
        Next::Wait(slowed)
    }

    /// A message is done (answered `next`): its member takes the next one, and so does the
    /// partition's owner if a rebalance gave the partition to another member meanwhile.
    fn done(&mut self, cx: &mut Cx, next: Next) -> Next {
        if let Next::Respond(_) = next {
            cx.metrics.count("consumed", 1);
            self.forget(cx, cx.call);
        }
        next
    }

    /// Forgets a message that left the log (done, or lost with a broker) and lets its
    /// member go on.
    fn forget(&mut self, cx: &mut Cx, message: Entity) {
        let Some((p, stage, m)) = self.messages.remove(&message) else {
            return;
        };
        if stage == Stage::Queued {
            let queue = &mut self.queues[p as usize];
            let before = queue.len();
            queue.retain(|&(e, _)| e != message);
            self.unread -= (before - queue.len()) as u64;
            return;
        }
        if let Some(b) = self.busy.get_mut(m as usize) {
            *b = false;
        }
        self.take_next(cx, m, Entity::PLACEHOLDER);
        let owner = self.owner[p as usize];
        if owner != m {
            self.take_next(cx, owner, Entity::PLACEHOLDER);
        }
    }
}

/// Partitions by member, round robin (Kafka's round-robin assignor).
fn assignment(partitions: u32, members: u32) -> Vec<Vec<u32>> {
    let members = members.max(1);
    let mut owned = vec![Vec::new(); members as usize];
    for p in 0..partitions {
        owned[(p % members) as usize].push(p);
    }
    owned
}

impl Behaviour for LogStream {
    fn kind_name(&self) -> &'static str {
        "log_stream"
    }

    /// The producer is answered once the message is appended.
    fn acks_on_enqueue(&self) -> bool {
        true
    }

    fn work(&mut self, _: &mut Cx, _: &Call) -> Option<Nanos> {
        None
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        match self.messages.get(&cx.call).map(|&(_, s, _)| s) {
            // Consumed: now the plan's calls.
            Some(Stage::Consuming) => {
                if let Some(m) = self.messages.get_mut(&cx.call) {
                    m.1 = Stage::Calling;
                }
                let next = self.plan.next_from(0, call.kind, cx.rng, &mut call.step);
                self.done(cx, next)
            }
            Some(_) => Next::Respond(Reply::OK),
            // Just appended: into its partition's queue, and read at once if its member is
            // free and nothing older waits.
            None => {
                self.check_membership(cx);
                if std::mem::take(&mut self.stalled) {
                    for m in 0..self.members {
                        self.take_next(cx, m, Entity::PLACEHOLDER);
                    }
                }
                let p = self.partition_of(call.key);
                let queue = &mut self.queues[p as usize];
                queue.push_back((cx.call, cx.now_ns));
                let (len, head) = (queue.len(), queue.front().map_or(cx.now_ns, |h| h.1));
                self.unread += 1;
                cx.metrics.peak("partition_backlog", len as f64);
                cx.metrics.peak("backlog", self.unread as f64);
                cx.metrics
                    .peak("consumer_lag_ms", (cx.now_ns - head) as f64 / 1e6);
                let m = self.owner[p as usize];
                self.messages.insert(cx.call, (p, Stage::Queued, m));
                if self.take_next(cx, m, cx.call) {
                    self.consume(cx)
                } else {
                    Next::Park
                }
            }
        }
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        match self.messages.get(&cx.call).map(|&(_, s, _)| s) {
            // Woken by its member: consume it.
            Some(Stage::Consuming) => self.consume(cx),
            Some(Stage::Calling) => {
                let next = self.plan.after_step(reply, cx, call);
                self.done(cx, next)
            }
            // Deleted by retention while waiting (or an unknown call): pass the answer on.
            Some(Stage::Queued) | None => Next::Respond(reply),
        }
    }

    /// The log went down with the message in it: forget it.
    fn lost(&mut self, cx: &mut Cx, _: &Call) {
        self.forget(cx, cx.call);
    }

    /// The group noticed a dead member (it rebalances), or a rebalance ended (every idle
    /// member takes its next message).
    fn alarm(&mut self, cx: &mut Cx, token: u64) {
        if token == REBALANCE_START {
            if self.alive != self.members {
                self.rebalance(cx, false);
            }
            return;
        }
        for m in 0..self.members.min(self.alive) {
            self.take_next(cx, m, Entity::PLACEHOLDER);
        }
    }

    fn takes_shock(&self, shock: Shock) -> bool {
        shock == Shock::Rebalance
    }

    /// A forced rebalance (a rolling restart of the group) happens with the next message.
    fn shock(&mut self, shock: Shock, _: Nanos, _: &mut SimRng) {
        if shock == Shock::Rebalance {
            self.shocked = true;
        }
    }

    any_accessors!();
}
