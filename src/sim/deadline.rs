//! Deadlines that all share one duration (a call timeout on an edge, a pool acquire timeout):
//! they expire in the order they were set, so a FIFO holds them and one pending wake-up event
//! serves the whole FIFO. Entries whose call finished early are skipped lazily, so a call that
//! answers in time costs a push and a pop, not a heap event.

use std::collections::VecDeque;

use bevy::prelude::*;

use super::time::Nanos;

/// One deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// When it expires.
    pub at_ns: Nanos,
    /// The call it guards.
    pub call: Entity,
}

/// Deadlines in expiry order, with at most one wake-up scheduled.
#[derive(Clone, Debug, Default)]
pub struct DeadlineFifo {
    entries: VecDeque<Deadline>,
    wake_at_ns: Option<Nanos>,
}

impl DeadlineFifo {
    /// Adds a deadline. Returns the time to schedule a wake-up at, if none is scheduled.
    pub fn push(&mut self, deadline: Deadline) -> Option<Nanos> {
        // A timeout shortened mid-run can make a new deadline earlier than older ones.
        let pos = self
            .entries
            .iter()
            .rposition(|d| d.at_ns <= deadline.at_ns)
            .map_or(0, |p| p + 1);
        self.entries.insert(pos, deadline);
        match self.wake_at_ns {
            Some(at) if at <= deadline.at_ns => None,
            _ => {
                self.wake_at_ns = Some(deadline.at_ns);
                Some(deadline.at_ns)
            }
        }
    }

    /// The earliest deadline, if any.
    pub fn front(&self) -> Option<Deadline> {
        self.entries.front().copied()
    }

    /// Removes the earliest deadline.
    pub fn pop_front(&mut self) -> Option<Deadline> {
        self.entries.pop_front()
    }

    /// Number of deadlines held (including ones whose call already finished).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the wake-up at `at_ns` is the one this FIFO is waiting for. A stale wake-up
    /// (superseded by an earlier one) returns false and is ignored.
    pub fn take_wake(&mut self, at_ns: Nanos) -> bool {
        if self.wake_at_ns == Some(at_ns) {
            self.wake_at_ns = None;
            true
        } else {
            false
        }
    }

    /// After the FIFO was processed: the time to schedule the next wake-up at, if one is needed.
    pub fn rearm(&mut self) -> Option<Nanos> {
        let at = self.entries.front()?.at_ns;
        if self.wake_at_ns.is_some_and(|w| w <= at) {
            return None;
        }
        self.wake_at_ns = Some(at);
        Some(at)
    }
}
