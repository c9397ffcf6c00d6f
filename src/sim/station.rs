//! A node's queueing station: servers (replicas x concurrency) and a bounded FIFO queue, and,
//! for nodes that compute, the [`Cpu`] their calls' work runs on.

use std::collections::VecDeque;

use bevy::prelude::*;

use super::cpu::{Cpu, CpuDiscipline};
use super::gauge::Gauge;

/// Capacity meaning "no limit".
pub const UNBOUNDED: u32 = u32::MAX;

/// The servers and the waiting line of a node.
#[derive(Component, Clone, Debug)]
pub struct Station {
    /// Servers: replicas x concurrency (threads, connections, consumers): the calls in
    /// progress at once. With a [`Cpu`], a call holds its server while its work waits for or
    /// runs on a core (and, if `blocking`, while it waits for its downstream calls).
    pub servers: u32,
    /// Longest waiting line; an arrival that finds it full fails with `QueueFull`.
    pub capacity: u32,
    /// Whether a call keeps its server while it waits for its own downstream calls
    /// (a thread-per-request server does; an event-loop server does not).
    pub blocking: bool,
    /// Calls waiting for a server, oldest first.
    pub queue: VecDeque<Entity>,
    /// Busy servers over time.
    pub busy: Gauge,
    /// Waiting calls over time: for a server, or (with a CPU) for a core.
    pub queued: Gauge,
    /// The cores the work runs on; none = each server does its own work (a slot is a core).
    pub cpu: Option<Cpu>,
    /// With backpressure (a message queue that blocks its producers when full): the
    /// producers' calls waiting for room, oldest first. None = a full line refuses.
    pub blocked: Option<VecDeque<Entity>>,
}

impl Station {
    /// A station with `servers` servers and room for `capacity` waiting calls.
    pub fn new(servers: u32, capacity: u32, blocking: bool) -> Self {
        Station {
            servers,
            capacity,
            blocking,
            queue: VecDeque::new(),
            busy: Gauge::default(),
            queued: Gauge::default(),
            cpu: None,
            blocked: None,
        }
    }

    /// The same station, holding arrivals that find the line full until it has room
    /// (backpressure) instead of refusing them.
    pub fn with_backpressure(mut self) -> Self {
        self.blocked = Some(VecDeque::new());
        self
    }

    /// The same station with `cores` cores for the calls' work.
    pub fn with_cpu(mut self, cores: u32, discipline: CpuDiscipline) -> Self {
        self.cpu = Some(Cpu::new(cores, discipline));
        self
    }

    /// A station that never queues (a pure delay, like a traffic source).
    pub fn infinite() -> Self {
        Station::new(UNBOUNDED, 0, false)
    }

    /// Whether a server is free.
    #[inline]
    pub fn has_free_server(&self) -> bool {
        self.busy.value() < self.servers
    }

    /// Whether the waiting line has room.
    #[inline]
    pub fn has_room(&self) -> bool {
        (self.queue.len() as u64) < u64::from(self.capacity)
    }
}
