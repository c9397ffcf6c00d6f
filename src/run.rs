//! A headless run: a blueprint, a seed and a duration in; the metrics history and a
//! steady-state summary out. The CLI, the tests and the benchmark all run through here, on
//! the same schedule the app uses: each step is one app update whose `FixedUpdate` advances
//! the engine, only with manual time and as fast as it goes.

mod engine_plugin;

use std::collections::BTreeMap;
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use serde::Serialize;

use crate::blueprint::{Blueprint, spawn_blueprint};
use crate::sim::{
    Call, EventQueue, MetricsHistory, NS_PER_MS, NS_PER_S, Nanos, Percentiles, SimClock, SimRng,
    WindowRecord, ns_to_s,
};

pub use engine_plugin::EnginePlugin;

/// The most simulated time one step of a headless run covers (one `FixedUpdate` tick). Event
/// times are exact whatever the step; it only decides how often the world could be looked at,
/// so headless takes a large one and spends its time on events, not on updates.
pub const HEADLESS_STEP_NS: Nanos = NS_PER_S;

/// How a run is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// The seed of the run's one random generator.
    pub seed: u64,
    /// How long traffic flows.
    pub duration_ns: Nanos,
    /// Length of a metrics window.
    pub window_ns: Nanos,
    /// Windows ending before this are warm-up, left out of the summary.
    pub warmup_ns: Nanos,
    /// After traffic stops, how long in-flight calls may take to drain.
    pub drain_limit_ns: Nanos,
}

impl RunConfig {
    /// A run of `duration_s` seconds with seed `seed`, 1 s windows and a warm-up of a tenth of
    /// the run (at most 10 s).
    pub fn new(seed: u64, duration_s: f64) -> Self {
        let duration_ns = (duration_s * NS_PER_S as f64).round() as Nanos;
        RunConfig {
            seed,
            duration_ns,
            window_ns: 1000 * NS_PER_MS,
            warmup_ns: (duration_ns / 10).min(10 * NS_PER_S),
            drain_limit_ns: 600 * NS_PER_S,
        }
    }
}

/// Puts `blueprint` in the world as a fresh run: removes whatever was simulated before (nodes,
/// edges, calls, pending events, chaos, metrics) and spawns it with the run's seed.
pub fn load(world: &mut World, blueprint: &Blueprint, config: &RunConfig) -> Result<(), String> {
    let old: Vec<Entity> = world
        .query_filtered::<Entity, Or<(With<crate::sim::Node>, With<crate::sim::Edge>, With<Call>)>>(
        )
        .iter(world)
        .collect();
    for e in old {
        world.despawn(e);
    }
    world.insert_resource(EventQueue::default());
    world.insert_resource(crate::sim::EndToEnd::default());
    world.insert_resource(crate::sim::ScheduledEdits::default());
    world.insert_resource(crate::chaos::ChaosLog::default());
    world.insert_resource(SimRng::seeded(config.seed));
    world.insert_resource(SimClock {
        traffic_until_ns: config.duration_ns,
        ..default()
    });
    world.insert_resource(MetricsHistory::new(
        config.window_ns,
        config.warmup_ns,
        config.duration_ns,
    ));
    spawn_blueprint(world, blueprint)?;
    Ok(())
}

/// FNV-1a (64 bits) of `text`: a portable fingerprint.
pub fn digest(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The fingerprint of a run's numbers: [`digest`] of its metric windows as JSON. The same
/// blueprint, chaos and seed give the same digest natively and in WASM.
pub fn metrics_digest(history: &MetricsHistory) -> u64 {
    digest(&serde_json::to_string(&history.windows).expect("windows serialize"))
}

/// Runs a blueprint (a built-in name or RON text) with a scenario (a built-in name, or none)
/// for `duration_s` (the scenario's own, or 60 s, when none) as `blastradius run BLUEPRINT
/// --scenario S --seed N [--duration D]` does, and returns the metrics digest. The browser
/// build exports this for the native-vs-WASM check.
pub fn scenario_digest(
    blueprint: &str,
    scenario: &str,
    seed: u64,
    duration_s: Option<f64>,
) -> Result<u64, String> {
    let mut bp = match crate::blueprint::builtin(blueprint) {
        Some(src) => Blueprint::parse(blueprint, src),
        None => Blueprint::parse("blueprint", blueprint),
    }
    .map_err(|e| e.to_string())?;
    let scenario = (!scenario.is_empty())
        .then(|| crate::scenario::Scenario::resolve(scenario))
        .transpose()
        .map_err(|e| e.to_string())?;
    let duration_s = duration_s.unwrap_or(scenario.as_ref().map_or(60.0, |s| s.duration_s));
    if let Some(rps) = scenario.as_ref().and_then(|s| s.rps) {
        bp.set_total_rps(rps);
    }
    let mut sim = HeadlessRun::new(&bp, RunConfig::new(seed, duration_s))?;
    for injection in scenario.iter().flat_map(|s| &s.timeline) {
        sim.inject(injection)?;
    }
    sim.run(|_, _| {});
    Ok(metrics_digest(sim.history()))
}

/// A simulation that runs without a window.
pub struct HeadlessRun {
    /// The Bevy app (MinimalPlugins + the engine), with the blueprint spawned.
    pub app: App,
    /// Its configuration.
    pub config: RunConfig,
}

impl HeadlessRun {
    /// Builds the app and spawns `blueprint` (which must be valid). Its time is manual, never
    /// the wall clock: each `app.update()` runs the fixed loop once.
    pub fn new(blueprint: &Blueprint, config: RunConfig) -> Result<Self, String> {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, EnginePlugin))
            .insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
        load(app.world_mut(), blueprint, &config)?;
        // Bevy's clocks start on the first update, in which no time passes.
        app.update();
        Ok(HeadlessRun { app, config })
    }

    /// Schedules a chaos injection (before or during the run).
    pub fn inject(
        &mut self,
        injection: &crate::chaos::Injection,
    ) -> Result<crate::sim::InjectionId, String> {
        crate::chaos::schedule(self.app.world_mut(), injection)
    }

    /// Advances simulated time to `t_ns` through the app's schedule: app updates of one
    /// `FixedUpdate` tick each, a tick as long as the time left (at most
    /// [`HEADLESS_STEP_NS`]), so the last lands on `t_ns` exactly. Returns the events
    /// processed. The app's time settings are as they were afterwards.
    ///
    /// # Panics
    /// If the clock is paused or its speed is not 1 (simulated time would not follow the ticks).
    pub fn advance_to(&mut self, t_ns: Nanos) -> u64 {
        let before = self.events_processed();
        let world = self.app.world_mut();
        let clock = world.resource::<SimClock>();
        assert!(
            clock.speed == 1.0 && !clock.paused,
            "a headless run advances at speed 1, unpaused (speed {}, paused {})",
            clock.speed,
            clock.paused
        );
        let strategy = world.remove_resource::<TimeUpdateStrategy>();
        world.insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
        let timestep = world.resource::<Time<Fixed>>().timestep();
        loop {
            let horizon_ns = self.app.world().resource::<SimClock>().horizon_ns;
            if horizon_ns >= t_ns {
                break;
            }
            self.tick(Duration::from_nanos(
                (t_ns - horizon_ns).min(HEADLESS_STEP_NS),
            ));
        }
        let world = self.app.world_mut();
        world.resource_mut::<Time<Fixed>>().set_timestep(timestep);
        if let Some(strategy) = strategy {
            world.insert_resource(strategy);
        }
        self.events_processed() - before
    }

    /// One app update whose fixed loop runs once, `step` long (simulated time moves as much).
    fn tick(&mut self, step: Duration) {
        let world = self.app.world_mut();
        let mut virt = world.resource_mut::<Time<Virtual>>();
        let max_delta = virt.max_delta().max(step);
        virt.set_max_delta(max_delta);
        let mut fixed = world.resource_mut::<Time<Fixed>>();
        fixed.set_timestep(step);
        // Time left over from updates of another length would run the loop twice.
        fixed.discard_overstep(Duration::MAX);
        self.app.update();
    }

    /// Calls in flight right now.
    pub fn in_flight(&mut self) -> usize {
        let world = self.app.world_mut();
        world.query::<&Call>().iter(world).count()
    }

    /// Runs the traffic for the configured duration, calling `progress` after every simulated
    /// second, then lets in-flight calls drain. Returns the time the last call finished.
    pub fn run(&mut self, mut progress: impl FnMut(Nanos, Nanos)) -> Nanos {
        let end = self.config.duration_ns;
        let mut t = 0;
        while t < end {
            t = (t + NS_PER_S).min(end);
            self.advance_to(t);
            progress(t, end);
        }
        // Drain: only periodic events remain once every call has finished.
        let limit = end + self.config.drain_limit_ns;
        while self.in_flight() > 0 && t < limit {
            t = (t + 100 * NS_PER_MS).min(limit);
            self.advance_to(t);
        }
        // Close the window the drain ended in, so every answer is in some window.
        let window = self.config.window_ns;
        self.advance_to(t.div_ceil(window) * window);
        t
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.app.world().resource::<EventQueue>().processed()
    }

    /// The metrics windows so far.
    pub fn history(&self) -> &MetricsHistory {
        self.app.world().resource::<MetricsHistory>()
    }

    /// The steady-state summary of the windows so far.
    pub fn summary(&mut self) -> Summary {
        let in_flight = self.in_flight() as u64;
        Summary::of(self.history(), in_flight)
    }
}

/// Steady-state numbers of one node.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct NodeSummary {
    /// Kind.
    pub kind: String,
    /// Arrivals per second.
    pub arrival_rate: f64,
    /// Successful answers per second.
    pub throughput: f64,
    /// Errors / answers.
    pub error_rate: f64,
    /// Errors by cause.
    pub errors: BTreeMap<String, u64>,
    /// Time at the node.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls a server took.
    pub started: u64,
    /// Mean wait for a server (over calls).
    pub mean_wait_ms: f64,
    /// Busy servers / servers.
    pub utilization: f64,
    /// Mean waiting calls.
    pub queue_depth: f64,
    /// Mean calls at the node.
    pub in_flight: f64,
    /// Mean pooled connections in use on its outgoing edges.
    pub pool_in_use: f64,
    /// Their pools' size.
    pub pool_size: u32,
    /// Mean calls waiting for a connection.
    pub pool_waiters: f64,
    /// Stale replica reads (per second).
    pub stale_reads: f64,
    /// Cache hit rate.
    pub hit_rate: Option<f64>,
    /// Largest replication lag.
    pub replication_lag_ms: Option<f64>,
    /// Largest consumer lag.
    pub consumer_lag_ms: Option<f64>,
}

/// Steady-state numbers of a run (windows after the warm-up, before traffic stopped).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    /// Start of the steady state, simulated seconds.
    pub steady_from_s: f64,
    /// End of the steady state.
    pub steady_until_s: f64,
    /// Requests emitted.
    pub arrivals: u64,
    /// Successful requests per second.
    pub throughput: f64,
    /// Errors / answered requests.
    pub error_rate: f64,
    /// Errors by cause.
    pub errors: BTreeMap<String, u64>,
    /// End-to-end latency.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls still in flight when the summary was taken (0 after a drained run).
    pub in_flight_calls: u64,
    /// Per node.
    pub nodes: BTreeMap<String, NodeSummary>,
}

impl Summary {
    /// Summarises the steady-state windows of `history`.
    pub fn of(history: &MetricsHistory, in_flight_calls: u64) -> Self {
        let steady: Vec<&WindowRecord> = history
            .windows
            .iter()
            .filter(|w| history.is_steady((w.t_s * NS_PER_S as f64).round() as Nanos))
            .collect();
        let n = steady.len().max(1) as f64;
        let span_s = n * history.window_s();
        let mut errors = BTreeMap::new();
        let mut arrivals = 0;
        let mut ok = 0.0;
        for w in &steady {
            arrivals += w.arrivals;
            ok += w.throughput * history.window_s();
            for (cause, count) in &w.errors {
                *errors.entry(cause.clone()).or_insert(0) += count;
            }
        }
        let error_total: u64 = errors.values().sum();
        let mut nodes: BTreeMap<String, NodeSummary> = BTreeMap::new();
        for w in &steady {
            for (id, nw) in &w.nodes {
                let s = nodes.entry(id.clone()).or_default();
                s.kind = nw.kind.clone();
                s.arrival_rate += nw.arrivals as f64 / span_s;
                s.throughput += nw.throughput / n;
                for (cause, count) in &nw.errors {
                    *s.errors.entry(cause.clone()).or_insert(0) += count;
                }
                // Weighted by count, so the mean is over calls, not over windows.
                s.mean_wait_ms += nw.mean_wait_ms * nw.started as f64;
                s.started += nw.started;
                s.latency.mean_ms += nw.latency.mean_ms
                    * (nw.throughput * history.window_s() + nw.errors.values().sum::<u64>() as f64);
                s.utilization += nw.utilization / n;
                s.queue_depth += nw.queue_depth / n;
                s.in_flight += nw.in_flight / n;
                s.pool_in_use += nw.pool_in_use / n;
                s.pool_size = nw.pool_size;
                s.pool_waiters += nw.pool_waiters / n;
                s.stale_reads += nw.stale_reads as f64 / span_s;
                s.hit_rate = nw
                    .hit_rate
                    .map(|h| s.hit_rate.unwrap_or(0.0) + h / n)
                    .or(s.hit_rate);
                s.replication_lag_ms = max_opt(s.replication_lag_ms, nw.replication_lag_ms);
                s.consumer_lag_ms = max_opt(s.consumer_lag_ms, nw.consumer_lag_ms);
            }
        }
        for (id, s) in &mut nodes {
            let errs: u64 = s.errors.values().sum();
            let answered = s.throughput * span_s + errs as f64;
            s.error_rate = if answered > 0.0 {
                errs as f64 / answered
            } else {
                0.0
            };
            s.mean_wait_ms /= s.started.max(1) as f64;
            let mean_ms = s.latency.mean_ms / answered.max(1.0);
            if let Some(h) = history.steady_nodes.get(id) {
                s.latency = Percentiles {
                    mean_ms,
                    ..Percentiles::of(h)
                };
            }
        }
        Summary {
            steady_from_s: ns_to_s(history.steady_from_ns),
            steady_until_s: steady.last().map_or(0.0, |w| w.t_s),
            arrivals,
            throughput: ok / span_s,
            error_rate: if ok + error_total as f64 > 0.0 {
                error_total as f64 / (ok + error_total as f64)
            } else {
                0.0
            },
            errors,
            latency: Percentiles::of(&history.steady_end_to_end),
            in_flight_calls,
            nodes,
        }
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
