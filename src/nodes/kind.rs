//! What every node kind answers about itself. A kind is one file in `src/nodes/` that
//! implements [`Kind`] for its parameters; the registry (`src/nodes/mod.rs`) lists it once, and
//! everything else (spawning, the editor's references, the palette, the canvas, the cost
//! estimator's flows, prices and sizing, the scenarios' mitigations) asks the kind instead of
//! matching on it.

use super::built::{Built, Wiring};
use super::fix::Fix;
use super::keyspace::KeyPopularity;
use super::look::Look;
use super::plan::{self, CallStep};
use crate::pricing::CostSpec;

/// Where a node sends the traffic it receives, for the cost estimator's flow of calls (the
/// simulation does not use this: it runs the behaviour).
pub enum Forwarding<'a> {
    /// Nothing goes on (a client, a database, a third-party API).
    Nothing,
    /// Spread evenly over every outgoing edge (a load balancer).
    Spread,
    /// Its call plan, step by step.
    Plan(&'a [CallStep]),
    /// Every outgoing edge gets a copy of all of it, times the share listed for its target
    /// (1 when unlisted): a pub/sub topic's fan-out with its filter policies.
    FanOut {
        /// Share of the traffic each target receives, by node id.
        shares: &'a std::collections::BTreeMap<String, f64>,
    },
    /// A plan the kind works out from its parameters (an API gateway: its limiter check,
    /// then one route, each with probability its share).
    Steps(Vec<CallStep>),
    /// Reads that miss go to `origin` (a read-through cache, a CDN).
    Misses {
        /// The node misses go to.
        origin: &'a str,
        /// Share of reads that miss.
        miss_share: f64,
    },
}

/// What a kind's capacity units are, for the cost estimator's sizing (which grows the units
/// of a node that runs hot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizedBy {
    /// No capacity units: it is not sized (a client, a balancer, a CDN, a third-party API).
    Nothing,
    /// Workers that each do its work and make its calls from their own instance, with their
    /// own connection pools (a service's replicas, a queue's consumers): its pools grow with
    /// them, and its calls leave from the zones they are placed in.
    Workers,
    /// Copies that each answer a share of the calls (a cache's replicas).
    Replicas,
    /// The vCPUs of one instance (a database's cores): priced on an instance class, so they
    /// round up to the smallest class with at least as many.
    Cores,
}

/// A node kind's parameters, as written in a blueprint, and what the rest of the program asks
/// of the kind.
pub trait Kind {
    /// The kind's name in blueprints' reports, the palette and targets ("service").
    fn name(&self) -> &'static str;

    /// One line on what the kind is (the palette's hover text, the docs).
    fn about(&self) -> &'static str;

    /// The id a new node of this kind gets in the editor (a number is added when taken).
    fn id_prefix(&self) -> &'static str;

    /// How it is drawn.
    fn look(&self) -> Look;

    /// Checks the parameters on their own (references are checked when wiring).
    fn validate(&self) -> Result<(), String>;

    /// Builds the node's station and behaviour, resolving references through `wiring`.
    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String>;

    /// The call plan, for kinds that have one.
    fn calls(&self) -> Option<&[CallStep]> {
        None
    }

    /// The call plan, to edit.
    fn calls_mut(&mut self) -> Option<&mut Vec<CallStep>> {
        None
    }

    /// Renames node `old` to `new` wherever this node refers to it.
    fn rename_reference(&mut self, old: &str, new: &str) {
        if let Some(calls) = self.calls_mut() {
            plan::rename_target(calls, old, new);
        }
    }

    /// Forgets node `id` (deleted, or its edge removed) wherever this node refers to it.
    fn remove_reference(&mut self, id: &str) {
        if let Some(calls) = self.calls_mut() {
            plan::remove_target(calls, id);
        }
    }

    /// Starts using a new edge to `to` (by default a plan calls it, if it did not).
    fn add_reference(&mut self, to: &str) {
        if let Some(calls) = self.calls_mut()
            && !calls.iter().any(|s| s.targets().contains(&to))
        {
            calls.push(plan::call(to));
        }
    }

    /// Traffic sources: the requests per second it offers (its base rate).
    fn offered_rps(&self) -> Option<f64> {
        None
    }

    /// Traffic sources: multiplies its rate by `factor`.
    fn scale_traffic(&mut self, factor: f64) {
        let _ = factor;
    }

    /// Read replicas that become nodes of their own, below it.
    fn read_replicas(&self) -> u32 {
        0
    }

    /// Builds one of its read replicas.
    fn build_replica(&self) -> Option<Built> {
        None
    }

    /// The zone of read replica `k` (1-based), if not its primary's.
    fn replica_zone(&self, _k: u32) -> Option<&str> {
        None
    }

    /// The region of read replica `k` (1-based), if not its primary's.
    fn replica_region(&self, _k: u32) -> Option<&str> {
        None
    }

    /// Where the traffic it receives goes next, for the cost estimator.
    fn forwarding(&self) -> Forwarding<'_> {
        self.calls().map_or(Forwarding::Nothing, Forwarding::Plan)
    }

    /// A cache-aside store: the share of reads that miss and that the caller then takes
    /// elsewhere (its plan's `on_miss`).
    fn aside_miss_share(&self) -> Option<f64> {
        None
    }

    /// Traffic sources: the share of its requests that are reads.
    fn read_ratio(&self) -> Option<f64> {
        None
    }

    /// Traffic sources: the keys their requests are about, if they carry keys.
    fn key_popularity(&self) -> Option<KeyPopularity> {
        None
    }

    /// Traffic sources: the bytes of each answer its users receive.
    fn response_bytes(&self) -> Option<u64> {
        None
    }

    /// The AWS service (and size) it is priced as when its blueprint names none; `None` for
    /// what costs nothing itself (traffic sources). By default, not priced.
    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Unpriced)
    }

    /// The cost variants (by name, as [`CostSpec::check_fits`] takes them) a blueprint may
    /// price it as.
    fn fitting_costs(&self) -> &'static [&'static str] {
        &["Unpriced"]
    }

    /// What its capacity units are (see [`Kind::capacity_units`]).
    fn sized_by(&self) -> SizedBy {
        SizedBy::Nothing
    }

    /// Cores per capacity unit (a queue's consumers share its `cores`), for kinds whose
    /// units run on cores the cost estimator must buy.
    fn cores_per_capacity_unit(&self) -> Option<f64> {
        None
    }

    /// The parameter that sets its capacity (replicas, cores, consumers), for kinds sized by
    /// something.
    fn capacity_units(&self) -> Option<u32> {
        None
    }

    /// Sets the parameter [`Kind::capacity_units`] reads (and whatever must follow it).
    fn set_capacity_units(&mut self, units: u32) {
        let _ = units;
    }

    /// Accepts at least as many connections as its callers' pools can open (`pooled`), for
    /// kinds that limit connections.
    fn accept_connections(&mut self, pooled: u32) {
        let _ = pooled;
    }

    /// Its own work runs on general-purpose compute the account sizes and pays for by time
    /// (EC2, Fargate, Lambda), so its simulated call duration is worth reporting and comparing
    /// with Lambda's price.
    fn runs_on_compute(&self) -> bool {
        false
    }

    /// It runs outside the account (someone else's fleet): what it answers is no data
    /// transfer of the account's.
    fn is_third_party(&self) -> bool {
        false
    }

    /// Calls into it are worth a circuit breaker: it does slow work of its own or belongs to
    /// someone else, so failing fast beats waiting.
    fn worth_a_breaker(&self) -> bool {
        false
    }

    /// Applies `fix` to its parameters if it is one this kind understands; whether it did.
    fn apply_fix(&mut self, fix: &Fix) -> bool {
        let _ = fix;
        false
    }
}
