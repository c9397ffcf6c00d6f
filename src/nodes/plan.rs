//! Call plans: what a service (or a queue's consumer) calls after its own work, in order,
//! each step sequential or parallel, chosen by request type and probability.

use serde::{Deserialize, Serialize};

use super::Wiring;
use crate::sim::{EdgeId, Next, Reply, RequestKind, SimRng};

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

/// Checks every step.
pub fn validate(steps: &[CallStep]) -> Result<(), String> {
    steps.iter().try_for_each(CallStep::validate)
}

#[derive(Clone, Debug)]
struct Step {
    edges: Vec<EdgeId>,
    on_miss: Option<EdgeId>,
    when: When,
    probability: f64,
}

/// Flag in `Call::step` while the cache-aside fallback of a step is in progress.
const FALLBACK: u16 = 0x8000;

/// A call plan with its edges resolved.
#[derive(Clone, Debug, Default)]
pub struct CallPlan {
    steps: Vec<Step>,
}

impl CallPlan {
    /// Resolves the steps' node ids to edges.
    pub fn resolve(steps: &[CallStep], wiring: &dyn Wiring) -> Result<Self, String> {
        let steps = steps
            .iter()
            .map(|s| {
                Ok(match s {
                    CallStep::Call {
                        to,
                        when,
                        probability,
                        on_miss,
                    } => Step {
                        edges: vec![wiring.edge_to(to)?],
                        on_miss: on_miss.as_deref().map(|m| wiring.edge_to(m)).transpose()?,
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
                        when: *when,
                        probability: *probability,
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if steps.len() >= usize::from(FALLBACK) {
            return Err("a call plan has too many steps".into());
        }
        Ok(CallPlan { steps })
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

    /// The current step answered: fail on an error, fall back on a cache miss, or go on.
    pub fn after_step(
        &self,
        reply: Reply,
        kind: RequestKind,
        rng: &mut SimRng,
        step: &mut u16,
    ) -> Next {
        if let Some(cause) = reply.error {
            return Next::Respond(Reply::failed(cause));
        }
        let i = usize::from(*step & !FALLBACK);
        if *step & FALLBACK == 0
            && reply.miss
            && let Some(origin) = self.steps[i].on_miss
        {
            *step |= FALLBACK;
            return Next::Call(origin);
        }
        self.next_from(i + 1, kind, rng, step)
    }
}
