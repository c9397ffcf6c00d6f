//! Application service: its own work, then calls to downstream nodes by its call plan.

use serde::{Deserialize, Serialize};

use super::external_api::TokenBucket;
use super::plan::{self, CallPlan, CallStep};
use super::{Built, Capacity, Fix, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::Ec2Spec;
use crate::sim::{
    Behaviour, Call, CpuDiscipline, Cx, Dist, ErrorCause, Nanos, Next, Reply, Sampler,
};

/// vCPUs per instance when neither the service nor its cost spec says: an m5.large's 2, the
/// instance the cost estimator prices a service as by default.
pub const DEFAULT_CORES: u32 = 2;

/// Parameters of an application service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceParams {
    /// Instances.
    pub replicas: u32,
    /// Workers per instance (threads, async tasks: requests in progress at once).
    pub concurrency: u32,
    /// Requests that may wait for a worker (all instances together); none = unbounded.
    pub queue_capacity: Option<u32>,
    /// Its own CPU work per request: it runs on one of the instance's cores (waiting for one
    /// when all are busy), while the request holds one of the `concurrency` workers.
    pub work: Dist,
    /// vCPUs per instance. None = the vCPUs of the instance type its cost spec names
    /// (`cost: Ec2(instance: "c5.xlarge")` gives 4), else [`DEFAULT_CORES`] (an m5.large, the
    /// instance a service is priced as when it names none).
    pub cores: Option<u32>,
    /// How the cores share the work: `Fcfs` (a request keeps its core until its work is
    /// done) or `ProcessorSharing` (all share the cores, as a time-slicing scheduler does).
    pub cpu: CpuDiscipline,
    /// Whether a worker stays busy while waiting for downstream calls (thread per request).
    pub blocking: bool,
    /// Downstream calls after the work, in order.
    pub calls: Vec<CallStep>,
    /// Request coalescing (single flight): one origin read per key at a time after a cache
    /// miss; the other requests for that key wait for it.
    pub coalesce_misses: bool,
    /// Requests per second it accepts (a token bucket one second deep); the rest are
    /// rejected at once (load shedding). None = no limit.
    pub rate_limit_rps: Option<f64>,
    /// Autoscaling; none = a fixed number of replicas.
    pub autoscale: Option<AutoscaleParams>,
}

/// Autoscaling settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoscaleParams {
    /// Fewest replicas.
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// Busy share to aim for, 0..1.
    pub target_utilization: f64,
    /// Time between checks, milliseconds.
    pub interval_ms: f64,
    /// Time for a new replica to start serving, milliseconds.
    pub boot_ms: f64,
}

impl Default for AutoscaleParams {
    fn default() -> Self {
        AutoscaleParams {
            min_replicas: 1,
            max_replicas: 10,
            target_utilization: 0.6,
            interval_ms: 10_000.0,
            boot_ms: 60_000.0,
        }
    }
}

impl Default for ServiceParams {
    fn default() -> Self {
        ServiceParams {
            replicas: 1,
            concurrency: 100,
            queue_capacity: Some(1_000),
            work: Dist::LogNormal {
                p50: 5.0,
                p99: 25.0,
            },
            cores: None,
            cpu: CpuDiscipline::Fcfs,
            blocking: true,
            calls: Vec::new(),
            coalesce_misses: false,
            rate_limit_rps: None,
            autoscale: None,
        }
    }
}

impl Kind for ServiceParams {
    fn name(&self) -> &'static str {
        "service"
    }

    fn about(&self) -> &'static str {
        "Application service: its own work, then the calls in its plan"
    }

    fn id_prefix(&self) -> &'static str {
        "service"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Box,
            accent: [0.75, 0.75, 0.80],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if self
            .rate_limit_rps
            .is_some_and(|r| !crate::sim::positive(r))
        {
            return Err("rate_limit_rps must be > 0".into());
        }
        self.capacity().validate()?;
        if self.cores == Some(0) {
            return Err("cores must be at least 1".into());
        }
        self.work.validate()?;
        plan::validate(&self.calls)
    }

    /// Builds the service, resolving its call plan.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let model = Service {
            kind: "service",
            work: self.work.sampler(),
            plan: CallPlan::resolve(&self.calls, self.coalesce_misses, wiring)?,
            acks_on_enqueue: false,
            limit: self.rate_limit_rps.map(TokenBucket::per_second),
            refused: false,
        };
        let cores = self.cores_with(wiring);
        let autoscaler = self.autoscale.map(|a| crate::sim::Autoscaler {
            min_replicas: a.min_replicas.max(1),
            max_replicas: a.max_replicas.max(a.min_replicas.max(1)),
            per_replica: self.concurrency,
            cores_per_replica: cores,
            target_utilization: a.target_utilization,
            interval_ns: crate::sim::ms_to_ns(a.interval_ms),
            boot_ns: crate::sim::ms_to_ns(a.boot_ms),
            replicas: self.replicas,
            booting: 0,
        });
        let station = self
            .capacity()
            .station(self.blocking)
            .with_cpu(self.replicas.saturating_mul(cores), self.cpu);
        Ok(Built {
            autoscaler,
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
        Some(CostSpec::Ec2(Ec2Spec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Ec2", "Fargate", "Lambda", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Workers
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.replicas)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.replicas = units;
    }

    fn runs_on_compute(&self) -> bool {
        true
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    /// Coalescing, a rate limit, autoscaling (from its replicas to four times them) and more
    /// replicas.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        match *fix {
            Fix::CoalesceMisses => self.coalesce_misses = true,
            Fix::RateLimit(rps) => self.rate_limit_rps = Some(rps),
            Fix::Autoscale {
                target_utilization,
                boot_ms,
            } => {
                self.autoscale = Some(AutoscaleParams {
                    min_replicas: self.replicas,
                    max_replicas: self.replicas * 4,
                    target_utilization,
                    interval_ms: 5_000.0,
                    boot_ms,
                });
            }
            Fix::Scale(factor) => {
                self.replicas = ((f64::from(self.replicas) * factor).ceil() as u32).max(1);
            }
            _ => return false,
        }
        true
    }
}

impl ServiceParams {
    /// vCPUs per instance: its own `cores`, else its instance type's, else
    /// [`DEFAULT_CORES`].
    pub fn cores_with(&self, wiring: &dyn Wiring) -> u32 {
        self.cores
            .or_else(|| wiring.instance_vcpus())
            .unwrap_or(DEFAULT_CORES)
            .max(1)
    }

    /// Servers and queue.
    pub fn capacity(&self) -> Capacity {
        Capacity {
            replicas: self.replicas,
            concurrency: self.concurrency,
            queue_capacity: self.queue_capacity,
        }
    }
}

/// A service's (or a message queue consumer's) behaviour: own work, then the call plan.
#[derive(Clone, Debug)]
pub struct Service {
    /// "service" or "message_queue".
    pub kind: &'static str,
    /// Own work per call.
    pub work: Sampler,
    /// Downstream calls.
    pub plan: CallPlan,
    /// Message queues acknowledge the producer once the message is buffered.
    pub acks_on_enqueue: bool,
    /// Load shedding, if any.
    pub limit: Option<TokenBucket>,
    /// The call just admitted was refused by the limit.
    pub refused: bool,
}

impl Behaviour for Service {
    fn kind_name(&self) -> &'static str {
        self.kind
    }

    fn acks_on_enqueue(&self) -> bool {
        self.acks_on_enqueue
    }

    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        // A refused call is answered at once (the engine calls `after_work` right after a
        // `None`, so the flag cannot go stale).
        if self.limit.as_mut().is_some_and(|l| !l.take(cx.now_ns)) {
            self.refused = true;
            return None;
        }
        Some(self.work.sample(cx.rng))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            return Next::Respond(Reply::failed(ErrorCause::Rejected));
        }
        self.plan.next_from(0, call.kind, cx.rng, &mut call.step)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        self.plan.after_step(reply, cx, call)
    }

    any_accessors!();
}
