//! The event queue: exact, ordered by (time, sequence), so ties resolve in insertion order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use bevy::prelude::*;

use super::time::Nanos;
use super::topology::{EdgeId, NodeId};

/// Something that happens at an instant of simulated time.
#[expect(missing_docs, reason = "each variant's doc names its fields")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A traffic source emits its next request.
    Generated { node: NodeId },
    /// A call reaches the node it was sent to.
    Arrived { call: Entity },
    /// A call's own work at its node is done.
    WorkDone { call: Entity },
    /// A call's response reaches its caller.
    Replied { call: Entity },
    /// The caller sends a failed call again.
    Resent {
        parent: Entity,
        edge: EdgeId,
        attempt: u8,
    },
    /// The earliest call deadline on an edge may have passed.
    CallDeadline { edge: EdgeId },
    /// The earliest connection-pool wait on an edge may have run out.
    PoolDeadline { edge: EdgeId },
    /// A node checks the health of the nodes it routes to.
    HealthChecked { node: NodeId },
    /// The current metrics window ends.
    WindowClosed,
    /// A node crashes: the calls waiting in its queue fail at once.
    Crashed { node: NodeId },
    /// A traffic source emits one extra request (a reconnecting client, a bot).
    Emitted { node: NodeId },
    /// An autoscaler checks its node's load.
    Autoscaled { node: NodeId },
    /// Booted instances start serving.
    InstancesReady { node: NodeId, count: u32 },
    /// FCFS on cores: a call's work at `node` is done and its core is free.
    CoreDone { call: Entity, node: NodeId },
    /// Processor sharing: the earliest running call's work at a node may be done (an event
    /// of an older `epoch` than the CPU's is stale and ignored).
    CpuFinished { node: NodeId, epoch: u32 },
    /// An alarm a node's behaviour set rings.
    Alarm { node: NodeId, token: u64 },
}

#[derive(Debug, PartialEq, Eq)]
struct Scheduled {
    at: Nanos,
    seq: u64,
    event: Event,
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Pending events, earliest first; equal times come out in the order they were scheduled.
#[derive(Resource, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Scheduled>,
    next_seq: u64,
    processed: u64,
}

impl EventQueue {
    /// Schedules `event` at `at`.
    #[inline]
    pub fn schedule(&mut self, at: Nanos, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { at, seq, event });
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|s| s.at)
    }

    /// Removes the earliest event if it is due at or before `horizon`.
    #[inline]
    pub fn pop_due(&mut self, horizon: Nanos) -> Option<(Nanos, Event)> {
        if self.heap.peek()?.at > horizon {
            return None;
        }
        let s = self.heap.pop()?;
        self.processed += 1;
        Some((s.at, s.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Events processed since the start of the run.
    pub fn processed(&self) -> u64 {
        self.processed
    }
}
