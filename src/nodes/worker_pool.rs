//! Worker pool / batch job runner: a fixed number of workers take jobs in arrival order, each
//! job runs for a long-tailed time (by default a Pareto tail: most jobs are short, a few run
//! for ages and become the stragglers that set a batch's makespan) and then makes the calls
//! of its plan. Jobs come from whoever sends them (a queue's consumers, a service) and, with a
//! `schedule`, from the pool itself: a batch of jobs every period (a cron job, a nightly
//! ETL; its own timer, so the traffic slider does not scale it). When a batch takes longer than its period the next one starts behind it: the
//! backlog and the `makespan_s` level show the overrun.
//!
//! Job durations: batch and MapReduce task times are heavy-tailed (Dean & Barroso, "The Tail
//! at Scale", CACM 2013; the straggler problem in Dean & Ghemawat's MapReduce paper, 2004);
//! a Pareto tail index of 1.5 is a common fit for job sizes (Harchol-Balter, "Performance
//! Modeling and Design of Computer Systems", ch. 20).

use serde::{Deserialize, Serialize};

use super::plan::{self, CallPlan, CallStep};
use super::service::Service;
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::Ec2Spec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, NS_PER_S, Nanos, Next, Reply, RequestKind, Station, UNBOUNDED,
};

/// The most jobs a schedule may start at once.
const MAX_BATCH: u32 = 10_000_000;

/// Parameters of a worker pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerPoolParams {
    /// Jobs running at once (all its machines together).
    pub workers: u32,
    /// Jobs that may wait for a worker; none = unbounded.
    pub queue_capacity: Option<u32>,
    /// A job's own running time.
    pub job: Dist,
    /// Batches it starts itself, if any.
    pub schedule: Option<Schedule>,
    /// Calls each job makes after running, in order.
    pub calls: Vec<CallStep>,
}

/// A batch of jobs started on a timer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    /// Seconds between batches.
    pub every_s: f64,
    /// Jobs in a batch.
    pub jobs: u32,
    /// Seconds after the start of the run of the first batch.
    pub first_at_s: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            every_s: 60.0,
            jobs: 100,
            first_at_s: 0.0,
        }
    }
}

impl Default for WorkerPoolParams {
    fn default() -> Self {
        WorkerPoolParams {
            workers: 8,
            queue_capacity: None,
            job: Dist::Pareto {
                min: 500.0,
                alpha: 1.5,
            },
            schedule: None,
            calls: Vec::new(),
        }
    }
}

impl Kind for WorkerPoolParams {
    fn name(&self) -> &'static str {
        "worker_pool"
    }

    fn about(&self) -> &'static str {
        "Worker pool / batch runner: fixed workers, long-tailed jobs, optional schedule"
    }

    fn id_prefix(&self) -> &'static str {
        "workers"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 7,
                scale: 1.0,
            },
            accent: [0.80, 0.65, 0.45],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.workers == 0 {
            return Err("workers must be at least 1".into());
        }
        if let Some(s) = &self.schedule {
            if !(s.every_s.is_finite() && s.every_s >= 0.001) {
                return Err(format!(
                    "schedule.every_s must be at least 0.001 s, found {}",
                    s.every_s
                ));
            }
            if s.jobs == 0 || s.jobs > MAX_BATCH {
                return Err(format!(
                    "schedule.jobs must be between 1 and {MAX_BATCH}, found {}",
                    s.jobs
                ));
            }
            if !(s.first_at_s.is_finite() && s.first_at_s >= 0.0) {
                return Err(format!(
                    "schedule.first_at_s must be >= 0, found {}",
                    s.first_at_s
                ));
            }
        }
        self.job.validate()?;
        plan::validate(&self.calls)
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let jobs = Service {
            kind: "worker_pool",
            work: self.job.sampler(),
            plan: CallPlan::resolve(&self.calls, false, wiring)?,
            acks_on_enqueue: false,
            limit: None,
            refused: false,
        };
        let model = WorkerPool {
            jobs,
            schedule: self.schedule.map(|s| Timer {
                every_ns: (s.every_s * NS_PER_S as f64).round() as Nanos,
                jobs: s.jobs,
                first_ns: (s.first_at_s * NS_PER_S as f64).round() as Nanos,
                left_in_batch: 0,
                started: false,
                next_key: 0,
            }),
        };
        let station = Station::new(
            self.workers,
            self.queue_capacity.unwrap_or(UNBOUNDED),
            true,
        );
        Ok(Built::plain(station, model))
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

    /// One core a worker.
    fn cores_per_capacity_unit(&self) -> Option<f64> {
        Some(1.0)
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.workers)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.workers = units;
    }

    fn runs_on_compute(&self) -> bool {
        true
    }
}

/// The schedule as the pool runs it.
#[derive(Clone, Copy, Debug)]
struct Timer {
    every_ns: Nanos,
    jobs: u32,
    first_ns: Nanos,
    /// Jobs of the current batch still to start.
    left_in_batch: u32,
    /// Whether the first batch has been scheduled.
    started: bool,
    /// Each job is about its own key (a row, a file).
    next_key: u32,
}

/// A worker pool's behaviour: a service's (job, then plan) plus its own schedule.
#[derive(Clone, Debug)]
pub struct WorkerPool {
    jobs: Service,
    schedule: Option<Timer>,
}

impl Behaviour for WorkerPool {
    fn kind_name(&self) -> &'static str {
        "worker_pool"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        self.jobs.work(cx, call)
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        let next = self.jobs.after_work(cx, call);
        finished(cx, call, next)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        let next = self.jobs.after_calls(cx, call, reply);
        finished(cx, call, next)
    }

    /// A batch's jobs leave together; then the timer waits for the next batch.
    fn next_arrival_in(&mut self, cx: &mut Cx) -> Option<Nanos> {
        let timer = self.schedule.as_mut()?;
        if !timer.started {
            timer.started = true;
            timer.left_in_batch = timer.jobs;
            return Some(timer.first_ns.saturating_sub(cx.now_ns));
        }
        timer.left_in_batch -= 1;
        if timer.left_in_batch > 0 {
            Some(0)
        } else {
            timer.left_in_batch = timer.jobs;
            Some(timer.every_ns - (cx.now_ns - timer.first_ns) % timer.every_ns)
        }
    }

    fn request_kind(&mut self, _: &mut Cx) -> (RequestKind, u32) {
        let key = self.schedule.as_mut().map_or(0, |t| {
            t.next_key = t.next_key.wrapping_add(1);
            t.next_key
        });
        (RequestKind::Read, key)
    }

    any_accessors!();
}

/// A job that is done notes how long after it was started (its batch's time, for a
/// scheduled job) it finished: the highest is the batch's makespan.
fn finished(cx: &mut Cx, call: &Call, next: Next) -> Next {
    if matches!(next, Next::Respond(_)) {
        cx.metrics.peak(
            "makespan_s",
            (cx.now_ns - call.born_ns) as f64 / NS_PER_S as f64,
        );
    }
    next
}
