//! Picking a backend: round robin, least connections, power of two choices, among the
//! backends the node's health checks currently believe healthy.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::rng::SimRng;
use super::time::Nanos;
use super::topology::EdgeId;

/// How a backend is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Balance {
    /// Each healthy backend in turn.
    #[default]
    RoundRobin,
    /// The healthy backend with the fewest calls outstanding from this node.
    LeastConnections,
    /// Two healthy backends at random; the one with fewer outstanding calls.
    PowerOfTwoChoices,
}

/// Periodic health checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between checks.
    pub interval_ns: Nanos,
    /// Failed checks in a row before a backend is taken out.
    pub unhealthy_after: u8,
    /// Passed checks in a row before it is put back.
    pub healthy_after: u8,
}

/// A node's routing state (load balancers).
#[derive(Component, Clone, Debug)]
pub struct Router {
    /// The policy.
    pub balance: Balance,
    /// Edges to the backends.
    pub targets: Vec<EdgeId>,
    /// What the health checks believe, per target.
    pub healthy: Vec<bool>,
    /// Checks in a row that disagreed with `healthy`, per target.
    pub streak: Vec<u8>,
    /// Health checks, if any (without them a dead backend is never taken out).
    pub check: Option<HealthCheck>,
    next: u32,
}

impl Router {
    /// A router over `targets`, all believed healthy.
    pub fn new(balance: Balance, targets: Vec<EdgeId>, check: Option<HealthCheck>) -> Self {
        let n = targets.len();
        Router {
            balance,
            targets,
            healthy: vec![true; n],
            streak: vec![0; n],
            check,
            next: 0,
        }
    }

    /// Applies one health-check result for target `i`.
    pub fn observe(&mut self, i: usize, up: bool) {
        let Some(check) = self.check else { return };
        if up == self.healthy[i] {
            self.streak[i] = 0;
            return;
        }
        self.streak[i] += 1;
        let needed = if up {
            check.healthy_after
        } else {
            check.unhealthy_after
        };
        if self.streak[i] >= needed.max(1) {
            self.healthy[i] = up;
            self.streak[i] = 0;
        }
    }

    /// Picks a target among the healthy ones, reading outstanding calls through `load`.
    pub fn pick(
        &mut self,
        rng: &mut SimRng,
        mut load: impl FnMut(EdgeId) -> u32,
    ) -> Option<EdgeId> {
        let healthy = self.healthy.iter().filter(|h| **h).count() as u32;
        if healthy == 0 {
            return None;
        }
        let nth = |router: &Router, k: u32| -> EdgeId {
            let i = router
                .healthy
                .iter()
                .enumerate()
                .filter(|(_, h)| **h)
                .nth(k as usize)
                .map(|(i, _)| i);
            router.targets[i.expect("k < healthy")]
        };
        match self.balance {
            Balance::RoundRobin => {
                let k = self.next % healthy;
                self.next = self.next.wrapping_add(1);
                Some(nth(self, k))
            }
            Balance::LeastConnections => {
                // Scan from a rotating start so ties spread evenly.
                let start = self.next % healthy;
                self.next = self.next.wrapping_add(1);
                let mut best: Option<(u32, EdgeId)> = None;
                for k in 0..healthy {
                    let e = nth(self, (start + k) % healthy);
                    let l = load(e);
                    if best.is_none_or(|(b, _)| l < b) {
                        best = Some((l, e));
                    }
                }
                best.map(|(_, e)| e)
            }
            Balance::PowerOfTwoChoices => {
                if healthy == 1 {
                    return Some(nth(self, 0));
                }
                let a = rng.below(healthy);
                let mut b = rng.below(healthy - 1);
                if b >= a {
                    b += 1;
                }
                let (ea, eb) = (nth(self, a), nth(self, b));
                Some(if load(eb) < load(ea) { eb } else { ea })
            }
        }
    }
}
