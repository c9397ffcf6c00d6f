//! World edits at exact simulated times (a chaos injection starting or ending). The engine
//! stops at each edit's time, after the events of that instant, applies it, and goes on, so
//! an injection at 30 s takes effect at 30 s exactly, whatever the tick.

use bevy::prelude::*;

use super::time::Nanos;

/// A change to the world.
pub type Edit = Box<dyn FnOnce(&mut World) + Send + Sync>;

/// Edits waiting for their time.
#[derive(Resource, Default)]
pub struct ScheduledEdits {
    list: Vec<(Nanos, u64, Edit)>,
    next_seq: u64,
}

impl ScheduledEdits {
    /// Schedules `edit` at `at_ns` (edits at the same time apply in the order scheduled).
    pub fn at(&mut self, at_ns: Nanos, edit: impl FnOnce(&mut World) + Send + Sync + 'static) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let pos = self
            .list
            .partition_point(|(t, s, _)| (*t, *s) < (at_ns, seq));
        self.list.insert(pos, (at_ns, seq, Box::new(edit)));
    }

    /// When the next edit is due.
    pub fn next_time(&self) -> Option<Nanos> {
        self.list.first().map(|(t, ..)| *t)
    }

    /// Removes the edits due at or before `t_ns`, in order.
    pub fn take_due(&mut self, t_ns: Nanos) -> Vec<Edit> {
        let n = self.list.partition_point(|(t, ..)| *t <= t_ns);
        self.list.drain(..n).map(|(.., e)| e).collect()
    }

    /// Edits still waiting.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when none wait.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
