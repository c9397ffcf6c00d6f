//! WebSocket / connection gateway: long-lived connections spread over a fleet of gateway
//! instances. The users hold `connections` connections open; each message they send arrives
//! on one of them (drawn at random) and is handled on the cores of the instance that holds
//! that connection (each instance's cores a first-come-first-served queue), then goes on by
//! the call plan. What matters is the connection count, not just the message rate: when an
//! instance dies (chaos takes instances away: `capacity-loss` on the gateway), every
//! connection it held drops at once, its messages fail (`connection_reset`) until the client
//! reconnects, and the clients come back after their backoff: all together without jitter, a
//! reconnect storm of TLS and auth handshakes that queues on the surviving instances' cores
//! and delays everyone's messages; spread over the backoff with jitter. A reconnect to an
//! instance at its connection limit is refused and retried after twice the backoff.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 7): production nodes hold
//! 100k-250k connections with TLS and traffic (WhatsApp's 2.3M and Phoenix's 2M on one
//! server are tuned showcases); CPU goes to handshakes, heartbeats and fan-out; a node loss
//! drops N clients at once and unjittered retries return in synchronized waves; full jitter
//! spreads them (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015).

use serde::{Deserialize, Serialize};

use super::plan::{self, CallPlan, CallStep};
use super::{Built, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::Ec2Spec;
use crate::sim::{
    Behaviour, Call, Cx, Dist, ErrorCause, Jitter, Nanos, Next, Reply, Sampler, Station,
    UNBOUNDED, ms_to_ns,
};

/// The most connections a gateway may be modelled with (one entry each).
const MAX_CONNECTIONS: u32 = 20_000_000;
/// The most instances.
const MAX_INSTANCES: u32 = 1_000;
/// A connection waiting to reconnect.
const DISCONNECTED: u16 = u16::MAX;

/// Parameters of a connection gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketGatewayParams {
    /// Gateway instances sharing the connections.
    pub instances: u32,
    /// vCPUs per instance.
    pub cores: u32,
    /// Connections the users hold open (all instances together).
    pub connections: u32,
    /// Connections one instance accepts; a reconnect beyond is refused.
    pub max_connections_per_instance: u32,
    /// CPU work per message on the instance holding its connection.
    pub message_work: Dist,
    /// CPU work of a (re)connection: TLS handshake and authentication.
    pub handshake_work: Dist,
    /// How clients reconnect when their connection drops.
    pub reconnect: ReconnectParams,
    /// What each message calls after the gateway handled it, in order.
    pub calls: Vec<CallStep>,
}

/// Clients' reconnect policy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconnectParams {
    /// Wait before the first reconnect, ms; it doubles after each refusal.
    pub backoff_ms: f64,
    /// Cap on the wait, ms.
    pub max_backoff_ms: f64,
    /// How the wait is randomised (`None`: every client waits exactly the backoff).
    pub jitter: Jitter,
}

impl Default for ReconnectParams {
    fn default() -> Self {
        ReconnectParams {
            backoff_ms: 1_000.0,
            max_backoff_ms: 30_000.0,
            jitter: Jitter::Full,
        }
    }
}

impl Default for WebSocketGatewayParams {
    fn default() -> Self {
        WebSocketGatewayParams {
            instances: 3,
            cores: 4,
            connections: 30_000,
            max_connections_per_instance: 200_000,
            message_work: Dist::LogNormal {
                p50: 0.2,
                p99: 1.0,
            },
            handshake_work: Dist::LogNormal {
                p50: 2.0,
                p99: 8.0,
            },
            reconnect: ReconnectParams::default(),
            calls: Vec::new(),
        }
    }
}

impl Kind for WebSocketGatewayParams {
    fn name(&self) -> &'static str {
        "websocket_gateway"
    }

    fn about(&self) -> &'static str {
        "WebSocket gateway: long-lived connections on instances, reconnect storms"
    }

    fn id_prefix(&self) -> &'static str {
        "ws"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Polygon {
                sides: 10,
                scale: 1.1,
            },
            accent: [0.55, 0.60, 0.95],
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.instances == 0 || self.instances > MAX_INSTANCES {
            return Err(format!(
                "instances must be between 1 and {MAX_INSTANCES}, found {}",
                self.instances
            ));
        }
        if self.cores == 0 || self.cores > 1_024 {
            return Err(format!("cores must be between 1 and 1024, found {}", self.cores));
        }
        if self.connections == 0 || self.connections > MAX_CONNECTIONS {
            return Err(format!(
                "connections must be between 1 and {MAX_CONNECTIONS}, found {}",
                self.connections
            ));
        }
        if self.max_connections_per_instance == 0 {
            return Err("max_connections_per_instance must be at least 1".into());
        }
        let r = &self.reconnect;
        if !(r.backoff_ms.is_finite() && r.backoff_ms >= 0.0 && r.max_backoff_ms >= r.backoff_ms)
        {
            return Err(format!(
                "reconnect: need 0 <= backoff_ms <= max_backoff_ms, found {} and {}",
                r.backoff_ms, r.max_backoff_ms
            ));
        }
        if r.max_backoff_ms > 3_600_000.0 {
            return Err("reconnect.max_backoff_ms must be at most an hour (3600000)".into());
        }
        self.message_work.validate()?;
        self.handshake_work.validate()?;
        plan::validate(&self.calls)
    }

    fn build(&self, wiring: &dyn Wiring) -> Result<Built, String> {
        let n = self.instances as usize;
        let mut held = vec![0; n];
        let conn: Vec<u16> = (0..self.connections)
            .map(|c| {
                let i = (c % self.instances) as usize;
                held[i] += 1;
                i as u16
            })
            .collect();
        let model = WebSocketGateway {
            instances: self.instances,
            alive: self.instances,
            max_per_instance: self.max_connections_per_instance,
            cores: vec![vec![0; self.cores as usize]; n],
            message_work: self.message_work.sampler(),
            handshake_work: self.handshake_work.sampler(),
            plan: CallPlan::resolve(&self.calls, false, wiring)?,
            conn,
            held,
            connected: self.connections,
            backoff_ns: ms_to_ns(self.reconnect.backoff_ms),
            max_backoff_ns: ms_to_ns(self.reconnect.max_backoff_ms),
            jitter: self.reconnect.jitter,
            refused: false,
        };
        Ok(Built::plain(
            Station::new(UNBOUNDED, UNBOUNDED, false),
            model,
        ))
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
        &["Ec2", "Fargate", "Unpriced"]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Workers
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.instances)
    }

    fn set_capacity_units(&mut self, units: u32) {
        self.instances = units.clamp(1, MAX_INSTANCES);
    }

    fn runs_on_compute(&self) -> bool {
        true
    }

    /// Reconnect jitter: clients spread their reconnects over the window.
    fn apply_fix(&mut self, fix: &super::Fix) -> bool {
        match *fix {
            super::Fix::ReconnectJitter(ms) => {
                self.reconnect.jitter = Jitter::Full;
                self.reconnect.backoff_ms = self.reconnect.backoff_ms.max(ms);
                self.reconnect.max_backoff_ms =
                    self.reconnect.max_backoff_ms.max(self.reconnect.backoff_ms);
            }
            _ => return false,
        }
        true
    }
}

/// A connection gateway's behaviour: connections on instances, each instance's cores a
/// queue, and clients reconnecting by their own alarms.
#[derive(Clone, Debug)]
pub struct WebSocketGateway {
    instances: u32,
    /// Instances alive (those numbered from here on are dead).
    alive: u32,
    max_per_instance: u32,
    /// Each instance's cores: when each is next free.
    cores: Vec<Vec<Nanos>>,
    message_work: Sampler,
    handshake_work: Sampler,
    plan: CallPlan,
    /// Each connection's instance, or [`DISCONNECTED`].
    conn: Vec<u16>,
    /// Connections each instance holds.
    held: Vec<u32>,
    /// Connections open.
    connected: u32,
    backoff_ns: Nanos,
    max_backoff_ns: Nanos,
    jitter: Jitter,
    /// The message just decided on arrived on a dropped connection.
    refused: bool,
}

impl WebSocketGateway {
    /// Connections instance `i` holds.
    pub fn held(&self, i: usize) -> u32 {
        self.held[i]
    }

    /// Runs `work` on instance `i`'s earliest free core, first come first served: the time
    /// from now until it is done.
    fn run(&mut self, cx: &mut Cx, i: usize, work: Nanos) -> Nanos {
        let cores = &mut self.cores[i];
        let core = (0..cores.len())
            .min_by_key(|&k| cores[k])
            .expect("an instance has cores");
        let start = cores[core].max(cx.now_ns);
        cores[core] = start + work;
        cx.metrics
            .peak("cpu_wait_ms", (start - cx.now_ns) as f64 / 1e6);
        start + work - cx.now_ns
    }

    /// The wait before reconnect attempt `attempt` (0 = the first).
    fn backoff(&self, cx: &mut Cx, attempt: u32) -> Nanos {
        let base = self
            .backoff_ns
            .saturating_mul(1 << attempt.min(30))
            .min(self.max_backoff_ns);
        match self.jitter {
            Jitter::None => base,
            Jitter::Full => (base as f64 * cx.rng.unit()) as Nanos,
            Jitter::Equal => base / 2 + (base as f64 / 2.0 * cx.rng.unit()) as Nanos,
        }
    }

    /// Notices instances that died (their connections drop, each client setting its own
    /// reconnect alarm) or came back (empty: reconnecting clients may land on them).
    fn check_instances(&mut self, cx: &mut Cx) {
        let alive = cx.mods.working(self.instances);
        if alive < self.alive {
            let mut dropped = 0;
            for c in 0..self.conn.len() {
                let i = self.conn[c];
                if i != DISCONNECTED && u32::from(i) >= alive {
                    self.conn[c] = DISCONNECTED;
                    dropped += 1;
                    let wait = self.backoff(cx, 0);
                    cx.effects.alarms.push((wait, c as u64));
                }
            }
            for i in alive..self.alive {
                self.held[i as usize] = 0;
            }
            self.connected -= dropped;
            cx.metrics.count("dropped_connections", u64::from(dropped));
        }
        self.alive = alive;
    }
}

impl Behaviour for WebSocketGateway {
    fn kind_name(&self) -> &'static str {
        "websocket_gateway"
    }

    /// A message arrives on one of the open connections (drawn at random); it is handled on
    /// its instance's cores, unless the connection is down.
    fn work(&mut self, cx: &mut Cx, _: &Call) -> Option<Nanos> {
        self.check_instances(cx);
        let c = cx.rng.below(self.conn.len() as u32) as usize;
        let i = self.conn[c];
        cx.metrics.peak("connections", f64::from(self.connected));
        if i == DISCONNECTED {
            self.refused = true;
            return None;
        }
        let i = usize::from(i);
        cx.metrics
            .peak("busiest_instance_connections", f64::from(self.held[i]));
        let work = self.message_work.sample(cx.rng);
        Some(self.run(cx, i, work))
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if std::mem::take(&mut self.refused) {
            return Next::Respond(Reply::failed(ErrorCause::ConnectionReset));
        }
        self.plan.next_from(0, call.kind, cx.rng, &mut call.step)
    }

    fn after_calls(&mut self, cx: &mut Cx, call: &mut Call, reply: Reply) -> Next {
        self.plan.after_step(reply, cx, call)
    }

    /// A client's reconnect: to the alive instance with the fewest connections (the
    /// balancer in front), refused if it is full (then again after twice the wait).
    fn alarm(&mut self, cx: &mut Cx, token: u64) {
        self.check_instances(cx);
        let (c, attempt) = ((token & 0xffff_ffff) as usize, (token >> 32) as u32);
        if self.conn[c] != DISCONNECTED {
            return;
        }
        let target = (0..self.alive as usize).min_by_key(|&i| self.held[i]);
        let Some(i) = target.filter(|&i| self.held[i] < self.max_per_instance) else {
            cx.metrics.count("refused_reconnects", 1);
            let wait = self.backoff(cx, attempt + 1);
            cx.effects
                .alarms
                .push((wait, c as u64 | u64::from(attempt + 1) << 32));
            return;
        };
        self.conn[c] = i as u16;
        self.held[i] += 1;
        self.connected += 1;
        cx.metrics.count("reconnects", 1);
        let work = self.handshake_work.sample(cx.rng);
        self.run(cx, i, work);
    }

    any_accessors!();
}
