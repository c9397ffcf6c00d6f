//! What every node kind answers about itself. A kind is one file in `src/nodes/` that
//! implements [`Kind`] for its parameters; the registry (`src/nodes/mod.rs`) lists it once, and
//! everything else (spawning, the editor's references, the palette, the canvas, the cost
//! estimator's traffic flows) asks the kind instead of matching on it.

use super::built::{Built, Wiring};
use super::look::Look;
use super::plan::{self, CallStep};

/// Where a node sends the traffic it receives, for the cost estimator's flow of calls (the
/// simulation does not use this: it runs the behaviour).
pub enum Forwarding<'a> {
    /// Nothing goes on (a client, a database, a third-party API).
    Nothing,
    /// Spread evenly over every outgoing edge (a load balancer).
    Spread,
    /// Its call plan, step by step.
    Plan(&'a [CallStep]),
    /// Reads that miss go to `origin` (a read-through cache, a CDN).
    Misses {
        /// The node misses go to.
        origin: &'a str,
        /// Share of reads that miss.
        miss_share: f64,
    },
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

    /// Where the traffic it receives goes next, for the cost estimator.
    fn forwarding(&self) -> Forwarding<'_> {
        self.calls().map_or(Forwarding::Nothing, Forwarding::Plan)
    }

    /// A cache-aside store: the share of reads that miss and that the caller then takes
    /// elsewhere (its plan's `on_miss`).
    fn aside_miss_share(&self) -> Option<f64> {
        None
    }
}
