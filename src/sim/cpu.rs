//! An instance's CPU: its cores and the CPU work waiting for them.
//!
//! A node with a CPU (a service, a queue's consumers, a database) admits a call to one of its
//! concurrency slots (threads, async tasks, connections: the [`Station`](super::Station)'s
//! servers), then the call's own work runs on a core. The cores of all the node's instances
//! are pooled, as the station pools its slots (a perfectly balanced fleet). Two disciplines:
//!
//! - [`CpuDiscipline::Fcfs`]: a call takes a free core and keeps it until its work is done;
//!   the others wait in arrival order (the M/G/c queue).
//! - [`CpuDiscipline::ProcessorSharing`]: every call with work left runs at once, each at
//!   `min(1, cores / n)` of a core (an OS scheduler with a short time slice). The
//!   implementation keeps a virtual clock that advances at that rate; a call's work ends when
//!   the clock reaches its arrival reading plus its work, so the calls finish in the order of
//!   those tags, and one pending event (the earliest finish) is all the engine schedules.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::gauge::Gauge;
use super::time::Nanos;

/// How the cores share the work waiting for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CpuDiscipline {
    /// First come, first served: a call holds a core until its work is done.
    #[default]
    Fcfs,
    /// Processor sharing: all calls run at once, sharing the cores equally.
    ProcessorSharing,
}

/// A call's work under processor sharing: it ends when the virtual clock reaches `tag`.
#[derive(Clone, Copy, Debug)]
struct Tagged {
    tag: f64,
    seq: u64,
    call: Entity,
}

impl PartialEq for Tagged {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Tagged {}

impl Ord for Tagged {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and the smallest tag ends first.
        other
            .tag
            .total_cmp(&self.tag)
            .then(other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Tagged {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The cores of a node and the calls waiting for (or sharing) them.
#[derive(Clone, Debug)]
pub struct Cpu {
    /// Cores, all instances together.
    pub cores: u32,
    /// How they are shared.
    pub discipline: CpuDiscipline,
    /// Busy cores over time.
    pub busy: Gauge,
    /// Calls waiting for a core over time (under processor sharing: calls beyond the cores).
    pub waiting: Gauge,
    /// Sum of the work handed to the cores in the current window, nanoseconds (the demand).
    pub work_sum_ns: f64,
    /// FCFS: calls waiting for a core, oldest first, with their work.
    fcfs: VecDeque<(Entity, Nanos)>,
    /// Processor sharing: the calls running, by virtual finish tag.
    sharing: BinaryHeap<Tagged>,
    /// Processor sharing: the virtual clock (work done by each running call since the start).
    virtual_ns: f64,
    /// When the virtual clock was last brought up to date.
    synced_ns: Nanos,
    /// Tie-breaker for equal tags (arrival order).
    seq: u64,
    /// Processor sharing: the generation of the pending "earliest finish" event; an event of
    /// an older generation is stale.
    pub epoch: u32,
}

impl Cpu {
    /// A CPU of `cores` cores.
    pub fn new(cores: u32, discipline: CpuDiscipline) -> Self {
        Cpu {
            cores,
            discipline,
            busy: Gauge::default(),
            waiting: Gauge::default(),
            work_sum_ns: 0.0,
            fcfs: VecDeque::new(),
            sharing: BinaryHeap::new(),
            virtual_ns: 0.0,
            synced_ns: 0,
            seq: 0,
            epoch: 0,
        }
    }

    /// Calls waiting for a core (FCFS) or running beyond the cores (sharing).
    pub fn waiting_len(&self) -> u32 {
        self.waiting.value()
    }

    /// FCFS: queues `call` with `work_ns` of work (no core is free).
    pub fn push_waiting(&mut self, now_ns: Nanos, call: Entity, work_ns: Nanos) {
        self.fcfs.push_back((call, work_ns));
        self.waiting.inc(now_ns);
    }

    /// FCFS: the oldest waiting call and its work, taken out of the line.
    pub fn pop_waiting(&mut self, now_ns: Nanos) -> Option<(Entity, Nanos)> {
        let next = self.fcfs.pop_front()?;
        self.waiting.dec(now_ns);
        Some(next)
    }

    /// Processor sharing: the rate at which each running call progresses with `cores`
    /// working cores.
    fn rate(&self, cores: u32) -> f64 {
        let n = self.sharing.len() as f64;
        if n <= f64::from(cores) {
            1.0
        } else {
            f64::from(cores) / n
        }
    }

    /// Processor sharing: brings the virtual clock up to `now_ns` (the rate has held since the
    /// last sync).
    pub fn sync(&mut self, now_ns: Nanos, cores: u32) {
        if !self.sharing.is_empty() {
            self.virtual_ns += (now_ns - self.synced_ns) as f64 * self.rate(cores);
        }
        self.synced_ns = now_ns;
    }

    /// Processor sharing: the gauges follow the number of running calls.
    fn set_levels(&mut self, now_ns: Nanos, cores: u32) {
        let n = self.sharing.len() as u32;
        self.busy.set(now_ns, n.min(cores));
        self.waiting.set(now_ns, n.saturating_sub(cores));
    }

    /// Processor sharing: `call` starts sharing the cores with `work_ns` of work. Returns the
    /// time of the earliest finish, for the engine to schedule under the new [`Cpu::epoch`].
    pub fn share(&mut self, now_ns: Nanos, call: Entity, work_ns: Nanos, cores: u32) -> Nanos {
        self.sync(now_ns, cores);
        self.seq += 1;
        self.sharing.push(Tagged {
            tag: self.virtual_ns + work_ns as f64,
            seq: self.seq,
            call,
        });
        self.set_levels(now_ns, cores);
        self.next_finish(now_ns, cores).expect("a call is running")
    }

    /// Processor sharing: when the earliest running call finishes (from `now_ns`, the clock
    /// being in sync), and a new epoch for that event; `None` when nothing runs.
    pub fn next_finish(&mut self, now_ns: Nanos, cores: u32) -> Option<Nanos> {
        let first = self.sharing.peek()?;
        let left = (first.tag - self.virtual_ns).max(0.0);
        self.epoch = self.epoch.wrapping_add(1);
        Some(now_ns + (left / self.rate(cores)).ceil() as Nanos)
    }

    /// Processor sharing: the finish event of `epoch` fired at `now_ns`. Returns the call
    /// whose work is done, if the event is current and the work is indeed done (the rate may
    /// have changed since it was scheduled; then [`Cpu::next_finish`] reschedules).
    pub fn finished(&mut self, now_ns: Nanos, epoch: u32, cores: u32) -> Option<Entity> {
        if epoch != self.epoch {
            return None;
        }
        self.sync(now_ns, cores);
        let first = self.sharing.peek()?;
        // Rounding the finish time up to whole nanoseconds leaves the clock at or past the
        // tag; half a nanosecond of slack covers the floating-point sums.
        if first.tag > self.virtual_ns + 0.5 {
            return None;
        }
        let done = self.sharing.pop().expect("peeked");
        self.virtual_ns = self.virtual_ns.max(done.tag);
        let done = done.call;
        self.set_levels(now_ns, cores);
        Some(done)
    }

    /// Processor sharing: the cores changed (autoscaling); the clock is brought up to date at
    /// the old rate first. Returns the new earliest finish to schedule.
    /// `old_cores` and `new_cores` are the working cores before and after (chaos may have
    /// taken some); [`Cpu::cores`] has already changed.
    pub fn resize(&mut self, now_ns: Nanos, old_cores: u32, new_cores: u32) -> Option<Nanos> {
        self.sync(now_ns, old_cores);
        if self.discipline == CpuDiscipline::ProcessorSharing {
            self.set_levels(now_ns, new_cores);
            self.next_finish(now_ns, new_cores)
        } else {
            None
        }
    }

    /// Closes a window: (mean busy cores, mean waiting calls, cores' worth of work handed
    /// to the CPU per second of the window).
    pub fn close(&mut self, start_ns: Nanos, now_ns: Nanos) -> (f64, f64, f64) {
        let (busy, _) = self.busy.close(start_ns, now_ns);
        let (waiting, _) = self.waiting.close(start_ns, now_ns);
        let demand = self.work_sum_ns / (now_ns - start_ns).max(1) as f64;
        self.work_sum_ns = 0.0;
        (busy, waiting, demand)
    }
}
