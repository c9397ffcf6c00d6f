//! Message queue with a pool of consumers: producers are acknowledged as soon as a message is
//! buffered; consumers take messages in order, do their work and their own call plan. The
//! backlog is the queue depth, the consumer lag the age of the oldest waiting message.

use serde::{Deserialize, Serialize};

use super::plan::{self, CallPlan, CallStep};
use super::service::Service;
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::pricing::CostSpec;
use crate::pricing::spec::SqsSpec;
use crate::sim::{CpuDiscipline, Dist, Station, UNBOUNDED};

/// Parameters of a message queue and its consumers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessageQueueParams {
    /// Messages the buffer holds; what a producer sending to a full buffer gets is
    /// `when_full`'s.
    pub capacity: Option<u32>,
    /// A full buffer refuses (`Reject`: the producer gets `QueueFull`) or makes the
    /// producer wait for room (`Block`: backpressure, as a Kafka producer's `send` blocks
    /// up to `max.block.ms`; the producer's own timeout ends the wait).
    pub when_full: WhenFull,
    /// Consumers working in parallel.
    pub consumers: u32,
    /// A consumer's own work per message: CPU work, on one of the consumers' cores.
    pub work: Dist,
    /// Cores of the consumer fleet, all together; none = one per consumer (a single-threaded
    /// worker process per vCPU, so consumers never wait for a core).
    pub cores: Option<u32>,
    /// How the cores share the consumers' work (see the service's `cpu`).
    pub cpu: CpuDiscipline,
    /// What a consumer calls for each message, in order.
    pub calls: Vec<CallStep>,
}

/// What a full message queue does to a producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WhenFull {
    /// Refuse at once: `QueueFull`.
    #[default]
    Reject,
    /// Hold the producer until there is room (backpressure).
    Block,
}

impl Default for MessageQueueParams {
    fn default() -> Self {
        MessageQueueParams {
            capacity: Some(100_000),
            when_full: WhenFull::Reject,
            consumers: 10,
            work: Dist::LogNormal {
                p50: 5.0,
                p99: 30.0,
            },
            cores: None,
            cpu: CpuDiscipline::Fcfs,
            calls: Vec::new(),
        }
    }
}

impl Kind for MessageQueueParams {
    fn name(&self) -> &'static str {
        "message_queue"
    }

    fn about(&self) -> &'static str {
        "Queue with consumers: async work and its lag"
    }

    fn id_prefix(&self) -> &'static str {
        "queue"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Bar,
            accent: [0.95, 0.75, 0.35],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if self.consumers == 0 || self.cores == Some(0) {
            return Err("consumers and cores must be at least 1".into());
        }
        self.work.validate()?;
        plan::validate(&self.calls)
    }

    /// Builds the queue.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let model = Service {
            kind: "message_queue",
            work: self.work.sampler(),
            plan: CallPlan::resolve(&self.calls, false, wiring)?,
            acks_on_enqueue: true,
            limit: None,
            refused: false,
        };
        let mut station = Station::new(self.consumers, self.capacity.unwrap_or(UNBOUNDED), true)
            .with_cpu(self.cores.unwrap_or(self.consumers), self.cpu);
        if self.when_full == WhenFull::Block {
            station = station.with_backpressure();
        }
        Ok(Built {
            message_queue: true,
            ..Built::plain(station, model)
        })
    }

    fn calls(&self) -> Option<&[CallStep]> {
        Some(&self.calls)
    }

    fn calls_mut(&mut self) -> Option<&mut Vec<CallStep>> {
        Some(&mut self.calls)
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Sqs(SqsSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Sqs", "Sns", "Kinesis", "Msk", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Workers
    }

    /// One core a consumer, or the fleet's `cores` shared among them.
    fn cores_per_capacity_unit(&self) -> Option<f64> {
        Some(f64::from(self.cores.unwrap_or(self.consumers)) / f64::from(self.consumers.max(1)))
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.consumers)
    }

    /// Cores given for the fleet grow with it.
    fn set_capacity_units(&mut self, units: u32) {
        if let Some(cores) = &mut self.cores {
            *cores =
                (f64::from(*cores) * f64::from(units) / f64::from(self.consumers.max(1))).ceil()
                    as u32;
        }
        self.consumers = units;
    }
}

