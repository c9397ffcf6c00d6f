//! Call plans: what a service (or a queue's consumer) calls after its own work, in order,
//! each step sequential or parallel, chosen by request type and probability.

use serde::{Deserialize, Serialize};

use super::Wiring;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bevy::prelude::Entity;

use crate::sim::{Call, Cx, EdgeId, FILL_STEP, Next, Reply, RequestKind, SimRng};

/// Which requests a step applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum When {
    /// Every request.
    #[default]
    Always,
    /// Reads only.
    Reads,
    /// Writes only.
    Writes,
}

impl When {
    fn applies(self, kind: RequestKind) -> bool {
        match self {
            When::Always => true,
            When::Reads => kind == RequestKind::Read,
            When::Writes => kind == RequestKind::Write,
        }
    }
}

/// One step of a call plan, as written in a blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum CallStep {
    /// Call one node and wait.
    Call {
        /// Node id.
        to: String,
        /// Which requests.
        #[serde(default)]
        when: When,
        /// Chance the step happens at all.
        #[serde(default = "one")]
        probability: f64,
        /// Cache-aside: if the called cache misses, call this node next.
        #[serde(default)]
        on_miss: Option<String>,
        /// Cache-aside: after the origin answered, store the value in the cache.
        #[serde(default = "yes")]
        fill: bool,
    },
    /// Call several nodes at once and wait for all.
    Parallel {
        /// Node ids.
        to: Vec<String>,
        /// Which requests.
        #[serde(default)]
        when: When,
        /// Chance the step happens at all.
        #[serde(default = "one")]
        probability: f64,
    },
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl CallStep {
    /// Node ids this step refers to.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            CallStep::Call { to, on_miss, .. } => std::iter::once(to.as_str())
                .chain(on_miss.as_deref())
                .collect(),
            CallStep::Parallel { to, .. } => to.iter().map(String::as_str).collect(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let p = match self {
            CallStep::Call { probability, .. } => *probability,
            CallStep::Parallel {
                to, probability, ..
            } => {
                if to.is_empty() {
                    return Err("a Parallel step needs at least one node in `to`".into());
                }
                *probability
            }
        };
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("probability must be between 0 and 1, found {p}"));
        }
        Ok(())
    }
}

/// Renames node `old` to `new` wherever the steps call it.
pub fn rename_target(steps: &mut [CallStep], old: &str, new: &str) {
    let rename = |id: &mut String| {
        if id == old {
            *id = new.to_string();
        }
    };
    for step in steps {
        match step {
            CallStep::Call { to, on_miss, .. } => {
                rename(to);
                on_miss.iter_mut().for_each(rename);
            }
            CallStep::Parallel { to, .. } => to.iter_mut().for_each(rename),
        }
    }
}

/// Removes every call to node `id`: its steps go, except that a cache-aside step whose cache
/// goes calls its origin directly; a fallback to it is dropped; a parallel step calls the
/// others (or goes when none are left).
pub fn remove_target(steps: &mut Vec<CallStep>, id: &str) {
    steps.retain_mut(|step| match step {
        CallStep::Call { to, on_miss, .. } => {
            if on_miss.as_deref() == Some(id) {
                *on_miss = None;
            }
            if to == id
                && let Some(origin) = on_miss.take()
            {
                *to = origin;
            }
            to != id
        }
        CallStep::Parallel { to, .. } => {
            to.retain(|t| t != id);
            !to.is_empty()
        }
    });
}

/// A step calling `to` for every request.
pub fn call(to: &str) -> CallStep {
    CallStep::Call {
        to: to.to_string(),
        when: When::Always,
        probability: 1.0,
        on_miss: None,
        fill: true,
    }
}

/// Checks every step.
pub fn validate(steps: &[CallStep]) -> Result<(), String> {
    steps.iter().try_for_each(CallStep::validate)
}

#[derive(Clone, Debug)]
struct Step {
    edges: Vec<EdgeId>,
    on_miss: Option<EdgeId>,
    fill: bool,
    when: When,
    probability: f64,
}

/// Flag in `Call::step` while the cache-aside fallback (the origin read) is in progress.
const FALLBACK: u16 = 0x8000;
/// Flag in `Call::step` while a call waits for another's origin read of the same key.
const PARKED: u16 = 0x2000;
/// The step index bits.
const INDEX: u16 = 0x1fff;

/// A call plan with its edges resolved.
#[derive(Clone, Debug, Default)]
pub struct CallPlan {
    steps: Vec<Step>,
    /// Single-flight: one origin read per key at a time; the others wait for it.
    coalesce: bool,
    /// Keys being read from the origin, with the calls waiting for them.
    in_flight: HashMap<u32, Vec<Entity>, BuildHasherDefault<KeyHasher>>,
}

/// A cheap deterministic hasher for `u32` keys.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl CallPlan {
    /// Resolves the steps' node ids to edges.
    pub fn resolve(
        steps: &[CallStep],
        coalesce: bool,
        wiring: &dyn Wiring,
    ) -> Result<Self, String> {
        let steps = steps
            .iter()
            .map(|s| {
                Ok(match s {
                    CallStep::Call {
                        to,
                        when,
                        probability,
                        on_miss,
                        fill,
                    } => Step {
                        edges: vec![wiring.edge_to(to)?],
                        on_miss: on_miss.as_deref().map(|m| wiring.edge_to(m)).transpose()?,
                        fill: *fill,
                        when: *when,
                        probability: *probability,
                    },
                    CallStep::Parallel {
                        to,
                        when,
                        probability,
                    } => Step {
                        edges: to
                            .iter()
                            .map(|t| wiring.edge_to(t))
                            .collect::<Result<_, _>>()?,
                        on_miss: None,
                        fill: false,
                        when: *when,
                        probability: *probability,
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if steps.len() > usize::from(INDEX) {
            return Err("a call plan has too many steps".into());
        }
        Ok(CallPlan {
            steps,
            coalesce,
            in_flight: HashMap::default(),
        })
    }

    /// The first step at or after `from` that applies; answers OK when none is left.
    pub fn next_from(
        &self,
        from: usize,
        kind: RequestKind,
        rng: &mut SimRng,
        step: &mut u16,
    ) -> Next {
        for (i, s) in self.steps.iter().enumerate().skip(from) {
            if s.when.applies(kind) && rng.chance(s.probability) {
                *step = i as u16;
                return match s.edges.as_slice() {
                    [one] => Next::Call(*one),
                    many => Next::CallAll(many.to_vec()),
                };
            }
        }
        Next::Respond(Reply::OK)
    }

    /// The current step answered: fail on an error, fall back to the origin on a cache miss
    /// (once per key if coalescing), fill the cache after the origin answered, or go on.
    pub fn after_step(&mut self, reply: Reply, cx: &mut Cx, call: &mut Call) -> Next {
        let step = &mut call.step;
        let i = usize::from(*step & INDEX);
        if *step & FILL_STEP != 0 {
            // A failed fill costs a future miss, not this request.
            return self.next_from(i + 1, call.kind, cx.rng, step);
        }
        let leader = *step & FALLBACK != 0 && *step & PARKED == 0;
        if leader && self.coalesce {
            for waiter in self.in_flight.remove(&call.key).unwrap_or_default() {
                cx.effects.wake.push((
                    waiter,
                    Reply {
                        miss: false,
                        stale: false,
                        ..reply
                    },
                ));
            }
        }
        if let Some(cause) = reply.error {
            return Next::Respond(Reply::failed(cause));
        }
        let s = &self.steps[i];
        if *step & FALLBACK == 0
            && reply.miss
            && let Some(origin) = s.on_miss
        {
            *step |= FALLBACK;
            if self.coalesce {
                if let Some(waiters) = self.in_flight.get_mut(&call.key) {
                    waiters.push(cx.call);
                    *step |= PARKED;
                    return Next::Park;
                }
                self.in_flight.insert(call.key, Vec::new());
            }
            return Next::Call(origin);
        }
        if leader && s.fill {
            *step = i as u16 | FILL_STEP;
            return Next::Fill(s.edges[0]);
        }
        if reply.stale
            && let Some(origin) = s.on_miss
        {
            // Stale-while-revalidate: answer with the stale value, refresh in the background
            // (and store what the refresh reads, if this step fills the cache).
            cx.effects.detach.push((origin, s.fill.then(|| s.edges[0])));
        }
        self.next_from(i + 1, call.kind, cx.rng, step)
    }
}
