//! Embedding (or any model) service with dynamic batching: requests gather into a batch that
//! closes when it holds `max_batch` requests or `window_ms` after its first one came,
//! whichever is first; a closed batch runs on one of `instances` workers for
//! `batch_fixed_ms + per_item_ms × size` (waiting, in order, while every worker is busy), and
//! all its requests are answered together when it is done.
//!
//! So at a low rate λ a request waits about the window (a batch holds 1 + λ·window requests
//! on average), and at a high rate the batch fills first: the k-th of `max_batch` waits for
//! the `max_batch − k` after it, (max_batch − 1) / (2λ) on average. Batching trades that wait
//! for throughput: a worker serves `size / (fixed + per_item × size)` requests a second,
//! rising with the batch toward `1 / per_item`.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 13): a batch of 10 takes
//! 2-5× a batch of 1 across hosted embedding APIs (Milvus's benchmark of 20+ APIs), which the
//! defaults put at 3× (14 ms fixed + 4 ms an item); OpenAI takes up to 2,048 inputs a request
//! and Cohere 96; the window-or-size rule is the dynamic batcher of NVIDIA Triton
//! (`max_queue_delay_microseconds`, `preferred_batch_size`) and of Hugging Face's
//! text-embeddings-inference.

use std::collections::VecDeque;

use bevy::prelude::Entity;
use serde::{Deserialize, Serialize};

use super::{Built, Fix, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::sim::{
    Behaviour, Call, Cx, ErrorCause, Nanos, Next, Reply, Station, UNBOUNDED, ms_to_ns,
};

/// Parameters of an embedding service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddingServiceParams {
    /// Workers (model replicas), each running one batch at a time.
    pub instances: u32,
    /// Requests in a batch, at most: a batch that reaches it closes at once.
    pub max_batch: u32,
    /// Longest a batch stays open after its first request came, milliseconds.
    pub window_ms: f64,
    /// Time of a batch whatever its size (loading the batch, the model's fixed cost),
    /// milliseconds.
    pub batch_fixed_ms: f64,
    /// Time each request adds to its batch, milliseconds.
    pub per_item_ms: f64,
    /// Requests that may wait (in the open batch and in closed batches waiting for a
    /// worker); more are answered `queue_full`. None = unbounded.
    pub queue_capacity: Option<u32>,
}

impl Default for EmbeddingServiceParams {
    fn default() -> Self {
        EmbeddingServiceParams {
            instances: 2,
            max_batch: 32,
            window_ms: 5.0,
            batch_fixed_ms: 14.0,
            per_item_ms: 4.0,
            queue_capacity: Some(2_000),
        }
    }
}

impl Kind for EmbeddingServiceParams {
    fn name(&self) -> &'static str {
        "embedding_service"
    }

    fn about(&self) -> &'static str {
        "Embedding/model service: requests batch up to a size or a window, then run together"
    }

    fn id_prefix(&self) -> &'static str {
        "embed"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 10,
                scale: 1.0,
            },
            accent: [0.35, 0.80, 0.95],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.instances == 0 || self.max_batch == 0 {
            return Err("instances and max_batch must be at least 1".into());
        }
        for (name, value) in [
            ("window_ms", self.window_ms),
            ("batch_fixed_ms", self.batch_fixed_ms),
            ("per_item_ms", self.per_item_ms),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{name} must be a finite number >= 0, found {value}"));
            }
        }
        Ok(())
    }

    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let model = EmbeddingService {
            instances: self.instances,
            max_batch: self.max_batch as usize,
            window_ns: ms_to_ns(self.window_ms),
            fixed_ns: self.batch_fixed_ms * 1e6,
            per_item_ns: self.per_item_ms * 1e6,
            room: self.queue_capacity.map_or(usize::MAX, |c| c as usize),
            open: Vec::new(),
            open_id: 0,
            closed: VecDeque::new(),
            waiting: 0,
            running: vec![None; self.instances as usize],
            refused: false,
        };
        // Its own batches and workers do the queueing: the station admits every call.
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Replicas
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.instances)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.instances = units.max(1);
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    /// More instances.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::Scale(factor) => {
                self.instances = ((f64::from(self.instances) * factor).ceil() as u32).max(1);
                true
            }
            _ => false,
        }
    }
}

/// Alarm tokens: the low bit says which kind, the rest which batch or worker.
const WINDOW: u64 = 0;
const DONE: u64 = 1;

/// An embedding service's behaviour: the open batch, the closed ones waiting for a worker,
/// and the one each worker runs.
#[derive(Clone, Debug)]
pub struct EmbeddingService {
    instances: u32,
    max_batch: usize,
    window_ns: Nanos,
    fixed_ns: f64,
    per_item_ns: f64,
    /// Requests that may wait, at most.
    room: usize,
    /// The open batch's parked calls.
    open: Vec<Entity>,
    /// The open batch's number (a window alarm for an older one is stale).
    open_id: u64,
    /// Closed batches waiting for a worker, oldest first.
    closed: VecDeque<Vec<Entity>>,
    /// Requests in `closed`.
    waiting: usize,
    /// The batch each worker runs.
    running: Vec<Option<Vec<Entity>>>,
    /// The call just arrived finds no room.
    refused: bool,
}

impl EmbeddingService {
    /// Closes the open batch: it runs if a worker is free, else waits for one.
    fn close(&mut self, cx: &mut Cx) {
        let batch = std::mem::take(&mut self.open);
        self.open_id += 1;
        self.waiting += batch.len();
        self.closed.push_back(batch);
        self.dispatch(cx);
    }

    /// Free workers take the closed batches, oldest first.
    fn dispatch(&mut self, cx: &mut Cx) {
        while !self.closed.is_empty()
            && let Some(w) = self.free_worker(cx)
        {
            let batch = self.closed.pop_front().expect("not empty");
            self.waiting -= batch.len();
            self.start(cx, w, batch);
        }
    }

    /// A worker with no batch, among those chaos left.
    fn free_worker(&self, cx: &Cx) -> Option<usize> {
        let usable = cx.mods.working(self.instances);
        let busy = self.running.iter().filter(|b| b.is_some()).count();
        if busy >= usable as usize {
            return None;
        }
        self.running.iter().position(Option::is_none)
    }

    /// Worker `w` runs `batch`.
    fn start(&mut self, cx: &mut Cx, w: usize, batch: Vec<Entity>) {
        let ns = (self.fixed_ns + self.per_item_ns * batch.len() as f64) * cx.mods.slowdown;
        cx.metrics.count("batches", 1);
        cx.metrics.count("batched_requests", batch.len() as u64);
        cx.metrics.peak("batch_size", batch.len() as f64);
        self.running[w] = Some(batch);
        cx.effects
            .alarms
            .push((ns.round() as Nanos, (w as u64) << 1 | DONE));
    }
}

impl Behaviour for EmbeddingService {
    fn kind_name(&self) -> &'static str {
        "embedding_service"
    }

    fn work(&mut self, _: &mut Cx, _: &Call) -> Option<Nanos> {
        // The engine calls `after_work` right after a `None`, so the flag cannot go stale.
        self.refused = self.open.len() + self.waiting >= self.room;
        None
    }

    fn after_work(&mut self, cx: &mut Cx, _: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            return Next::Respond(Reply::failed(ErrorCause::QueueFull));
        }
        self.open.push(cx.call);
        if self.open.len() >= self.max_batch {
            self.close(cx);
        } else if self.open.len() == 1 {
            cx.effects
                .alarms
                .push((self.window_ns, self.open_id << 1 | WINDOW));
        }
        Next::Park
    }

    fn alarm(&mut self, cx: &mut Cx, token: u64) {
        let id = token >> 1;
        if token & 1 == WINDOW {
            // A window alarm for a batch that filled up first is stale.
            if id == self.open_id && !self.open.is_empty() {
                self.close(cx);
            }
            return;
        }
        let w = id as usize;
        for call in self.running[w].take().unwrap_or_default() {
            cx.effects.wake.push((call, Reply::OK));
        }
        self.dispatch(cx);
    }

    any_accessors!();
}
