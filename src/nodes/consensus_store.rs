//! Consensus store (etcd / ZooKeeper / Consul-like): a Raft group of `members`. A write goes
//! to the leader, which does its own work on its cores, appends the entry and waits for a
//! quorum: the commit takes the (quorum - 1)-th fastest of the followers' acknowledgements
//! (each a network round trip plus the follower's fsync), so it is an order statistic that
//! grows as members are lost. A linearizable read asks the leader, which confirms its
//! leadership with a quorum of heartbeats (Raft's ReadIndex); a serializable read is answered
//! by any member from its own state (fast, possibly stale). When the leader is lost
//! (`leader-loss`), nobody answers writes or linearizable reads until a follower's election
//! timeout runs out (randomized between one and two timeouts) and it wins a vote round;
//! with fewer than a quorum of members alive (`capacity-loss` takes members away), nothing
//! that needs the leader is answered at all (`node_down`).
//!
//! Sources: Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm" (Raft,
//! USENIX ATC 2014): commit on a majority, randomized election timeouts, ReadIndex reads;
//! etcd's tuning guide: heartbeat 100 ms, election timeout 1,000 ms by default, WAL fsync
//! p99 under 10 ms on good disks.

use serde::{Deserialize, Serialize};

use super::{Built, Kind, Look, Outline, Wiring};
use crate::any_accessors;
use crate::sim::{
    Behaviour, Call, CpuDiscipline, Cx, Dist, ErrorCause, Nanos, Next, Reply, RequestKind,
    Sampler, Shock, SimRng, Station, UNBOUNDED, ms_to_ns,
};

/// Parameters of a consensus store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusStoreParams {
    /// Members of the group (3, 5 or 7 in practice); a quorum is a majority.
    pub members: u32,
    /// The leader's (or, for a serializable read, any member's) own work per request, on
    /// its cores.
    pub work: Dist,
    /// vCPUs of a member.
    pub cores: u32,
    /// A follower's acknowledgement of an entry: the round trip and its fsync.
    pub ack: Dist,
    /// A follower's answer to a heartbeat (a round trip, no fsync).
    pub heartbeat: Dist,
    /// How reads are answered.
    pub reads: ReadConsistency,
    /// Raft's election timeout, ms: a follower starts an election after between one and two
    /// of these without a leader.
    pub election_timeout_ms: f64,
}

/// How a consensus store answers reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadConsistency {
    /// Through the leader, confirmed by a quorum of heartbeats (Raft's ReadIndex).
    #[default]
    Linearizable,
    /// By any member from its own state: fast, possibly stale, available without a leader.
    Serializable,
}

impl Default for ConsensusStoreParams {
    fn default() -> Self {
        ConsensusStoreParams {
            members: 3,
            work: Dist::LogNormal { p50: 0.1, p99: 1.0 },
            cores: 4,
            ack: Dist::LogNormal { p50: 2.0, p99: 10.0 },
            heartbeat: Dist::LogNormal { p50: 0.5, p99: 2.0 },
            reads: ReadConsistency::Linearizable,
            election_timeout_ms: 1_000.0,
        }
    }
}

impl Kind for ConsensusStoreParams {
    fn name(&self) -> &'static str {
        "consensus_store"
    }

    fn about(&self) -> &'static str {
        "Consensus store (etcd-like): quorum commits, leader elections, quorum loss"
    }

    fn id_prefix(&self) -> &'static str {
        "etcd"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 11,
                scale: 1.0,
            },
            accent: [0.90, 0.90, 0.90],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.members == 0 || self.members > 99 {
            return Err(format!(
                "members must be between 1 and 99, found {}",
                self.members
            ));
        }
        if self.cores == 0 || self.cores > 1_024 {
            return Err(format!("cores must be between 1 and 1024, found {}", self.cores));
        }
        if !(self.election_timeout_ms.is_finite()
            && (1.0..=600_000.0).contains(&self.election_timeout_ms))
        {
            return Err(format!(
                "election_timeout_ms must be between 1 and 600000, found {}",
                self.election_timeout_ms
            ));
        }
        self.work.validate()?;
        self.ack.validate().map_err(|e| format!("ack: {e}"))?;
        self.heartbeat
            .validate()
            .map_err(|e| format!("heartbeat: {e}"))
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let model = ConsensusStore {
            members: self.members,
            work: self.work.sampler(),
            ack: self.ack.sampler(),
            heartbeat: self.heartbeat.sampler(),
            reads: self.reads,
            election_timeout_ns: ms_to_ns(self.election_timeout_ms),
            leader_until: 0,
            leader_lost: false,
            unavailable: false,
            acks: Vec::with_capacity(self.members as usize),
        };
        let station = Station::new(UNBOUNDED, UNBOUNDED, false)
            .with_cpu(self.cores, CpuDiscipline::Fcfs);
        Ok(Built::plain(station, model))
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    fn apply_fix(&mut self, fix: &super::Fix) -> bool {
        match *fix {
            super::Fix::SerializableReads => self.reads = ReadConsistency::Serializable,
            _ => return false,
        }
        true
    }
}

/// A consensus store's behaviour: the leader's work, then the quorum's order statistic.
#[derive(Clone, Debug)]
pub struct ConsensusStore {
    members: u32,
    work: Sampler,
    ack: Sampler,
    heartbeat: Sampler,
    reads: ReadConsistency,
    election_timeout_ns: Nanos,
    /// No leader until then (an election is under way).
    leader_until: Nanos,
    /// The leader was lost (chaos): an election starts with the next request.
    leader_lost: bool,
    /// The request just decided on cannot be answered (no leader, no quorum).
    unavailable: bool,
    /// Scratch space for the followers' answers.
    acks: Vec<Nanos>,
}

impl ConsensusStore {
    /// Members alive now (chaos takes some away).
    fn alive(&self, cx: &Cx) -> u32 {
        cx.mods.working(self.members)
    }

    /// The time until a quorum of `alive` members has answered, each follower after a draw
    /// of `of` (the leader counts itself): the (quorum - 1)-th smallest of the followers'.
    fn quorum_wait(&mut self, rng: &mut SimRng, alive: u32, of: Sampler) -> Nanos {
        let quorum = self.members / 2 + 1;
        let needed = (quorum - 1) as usize;
        if needed == 0 {
            return 0;
        }
        self.acks.clear();
        for _ in 1..alive {
            self.acks.push(of.sample(rng));
        }
        self.acks.sort_unstable();
        // Without a quorum the round never completes; callers check for one first.
        self.acks.get(needed - 1).copied().unwrap_or(0)
    }

    /// Whether the request needs the leader (writes, linearizable reads).
    fn needs_leader(&self, call: &Call) -> bool {
        call.kind == RequestKind::Write || self.reads == ReadConsistency::Linearizable
    }
}

impl Behaviour for ConsensusStore {
    fn kind_name(&self) -> &'static str {
        "consensus_store"
    }

    /// Refused at once without a leader or a quorum; otherwise its own work on a core.
    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        let alive = self.alive(cx);
        if std::mem::take(&mut self.leader_lost) {
            // Followers time out after one to two election timeouts, then win a vote round.
            let timeout = (self.election_timeout_ns as f64 * (1.0 + cx.rng.unit())) as Nanos;
            let vote = self.quorum_wait(cx.rng, alive, self.heartbeat);
            self.leader_until = cx.now_ns + timeout + vote;
            cx.metrics.count("elections", 1);
        }
        let quorum = self.members / 2 + 1;
        if self.needs_leader(call) && (alive < quorum || cx.now_ns < self.leader_until) {
            cx.metrics.count("unavailable", 1);
            self.unavailable = true;
            return None;
        }
        Some(self.work.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if std::mem::take(&mut self.unavailable) {
            return Next::Respond(Reply::failed(ErrorCause::NodeDown));
        }
        if call.step == 1 || !self.needs_leader(call) {
            return Next::Respond(Reply::OK);
        }
        // Replicate (a write) or confirm leadership (a linearizable read), then answer.
        call.step = 1;
        let alive = self.alive(cx);
        let round = if call.kind == RequestKind::Write {
            self.ack
        } else {
            self.heartbeat
        };
        Next::Wait(self.quorum_wait(cx.rng, alive, round))
    }

    fn takes_shock(&self, shock: Shock) -> bool {
        shock == Shock::LeaderLoss
    }

    fn shock(&mut self, shock: Shock, _: Nanos, _: &mut SimRng) {
        if shock == Shock::LeaderLoss {
            self.leader_lost = true;
        }
    }

    any_accessors!();
}
