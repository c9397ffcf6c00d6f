//! SQL database (Postgres-like): a primary with a connection limit, read and write service
//! times, and optional read replicas. Reads sent to the primary are served by a replica;
//! every write is shipped to each replica and applied there one after another, so
//! replication lag grows when writes come faster than a replica applies them.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::plan::KeyHasher;
use super::{Built, Fix, Kind, Look, Outline, SizedBy, Wiring};
use crate::any_accessors;
use crate::pricing::CostSpec;
use crate::pricing::spec::RdsSpec;
use crate::sim::{
    Behaviour, Call, CpuDiscipline, Cx, Dist, Nanos, Next, Reply, RequestKind, Sampler, Station,
    ms_to_ns,
};

/// Replication settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationParams {
    /// Time to ship a committed write to a replica.
    pub ship: Dist,
    /// Time for a replica to apply one write (applied one at a time).
    pub apply_ms: f64,
}

impl Default for ReplicationParams {
    fn default() -> Self {
        ReplicationParams {
            ship: Dist::LogNormal { p50: 1.0, p99: 5.0 },
            apply_ms: 0.2,
        }
    }
}

/// Parameters of a database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseParams {
    /// Connections the primary (and each replica) accepts; a query beyond them is refused
    /// with `QueueFull` ("too many connections").
    pub max_connections: u32,
    /// Queries that execute at once (CPU cores); the other connected queries wait for one, in
    /// arrival order.
    pub cpu_cores: u32,
    /// Time of a read query.
    pub read: Dist,
    /// Time of a write query.
    pub write: Dist,
    /// Read replicas (reads go to them round robin; writes to the primary).
    pub read_replicas: u32,
    /// How writes reach the replicas.
    pub replication: ReplicationParams,
    /// Read-your-writes: a read of a key whose latest write has not reached the chosen
    /// replica yet goes to the primary instead (no stale read, more primary load).
    pub read_your_writes: bool,
    /// Zones of the replicas, in order (replica k in `replica_zones[(k - 1) % len]`); empty
    /// = the primary's zone. A replica in another zone survives the primary's zone outage.
    pub replica_zones: Vec<String>,
    /// Regions of the replicas, in the same way (empty = the primary's region).
    pub replica_regions: Vec<String>,
}

impl Default for DatabaseParams {
    fn default() -> Self {
        DatabaseParams {
            max_connections: 100,
            cpu_cores: 16,
            read: Dist::LogNormal {
                p50: 2.0,
                p99: 20.0,
            },
            write: Dist::LogNormal {
                p50: 4.0,
                p99: 30.0,
            },
            read_replicas: 0,
            replication: ReplicationParams::default(),
            read_your_writes: false,
            replica_zones: Vec::new(),
            replica_regions: Vec::new(),
        }
    }
}

impl Kind for DatabaseParams {
    fn name(&self) -> &'static str {
        "database"
    }

    fn about(&self) -> &'static str {
        "SQL database with connections, cores and read replicas"
    }

    fn id_prefix(&self) -> &'static str {
        "db"
    }

    fn look(&self) -> Look {
        Look {
            outline: Outline::Cylinder,
            accent: [0.45, 0.65, 0.95],
        }
    }

    /// Checks the values.
    fn validate(&self) -> Result<(), String> {
        if self.cpu_cores == 0 || self.max_connections < self.cpu_cores {
            return Err(format!(
                "need 1 <= cpu_cores <= max_connections, found cpu_cores {} and max_connections {}",
                self.cpu_cores, self.max_connections
            ));
        }
        if self
            .replica_zones
            .iter()
            .chain(&self.replica_regions)
            .any(|p| p.trim().is_empty())
        {
            return Err("replica_zones and replica_regions need non-empty names".into());
        }
        if self.replication.apply_ms.is_nan() || self.replication.apply_ms < 0.0 {
            return Err("replication.apply_ms must be >= 0".into());
        }
        self.read.validate()?;
        self.write.validate()?;
        self.replication.ship.validate()
    }

    /// Builds the primary (its replicas are built with [`DatabaseParams::build_replica`]).
    fn build(&self, _: &dyn Wiring) -> Result<Built, String> {
        let model = Database {
            read: self.read.sampler(),
            write: self.write.sampler(),
            ship: self.replication.ship.sampler(),
            apply_ns: ms_to_ns(self.replication.apply_ms),
            replica_free_at_ns: vec![0; self.read_replicas as usize],
            applied_at_ns: HashMap::default(),
            read_your_writes: self.read_your_writes,
            next_replica: 0,
            versions: Versions::default(),
        };
        Ok(Built::plain(self.station(), model))
    }

    fn read_replicas(&self) -> u32 {
        self.read_replicas
    }

    fn replica_zone(&self, k: u32) -> Option<&str> {
        cycle(&self.replica_zones, k)
    }

    fn replica_region(&self, k: u32) -> Option<&str> {
        cycle(&self.replica_regions, k)
    }

    /// Builds one read replica.
    fn build_replica(&self) -> Option<Built> {
        let model = Database {
            read: self.read.sampler(),
            write: self.write.sampler(),
            ship: self.replication.ship.sampler(),
            apply_ns: 0,
            replica_free_at_ns: Vec::new(),
            applied_at_ns: HashMap::default(),
            read_your_writes: false,
            next_replica: 0,
            versions: Versions::default(),
        };
        Some(Built::plain(self.station(), model))
    }

    fn default_cost(&self) -> Option<CostSpec> {
        Some(CostSpec::Rds(RdsSpec::default()))
    }

    fn fitting_costs(&self) -> &'static [&'static str] {
        &[
            "Rds",
            "AuroraServerlessV2",
            "DynamoDb",
            "S3",
            "OpenSearch",
            "Unpriced",
        ]
    }

    fn sized_by(&self) -> SizedBy {
        SizedBy::Cores
    }

    fn capacity_units(&self) -> Option<u32> {
        Some(self.cpu_cores)
    }

    /// Sets the cores; the database accepts at least one connection per core.
    fn set_capacity_units(&mut self, units: u32) {
        self.cpu_cores = units;
        self.max_connections = self.max_connections.max(units);
    }

    /// Raises `max_connections` to what its callers' pools open, and to one per core.
    fn accept_connections(&mut self, pooled: u32) {
        self.max_connections = self.max_connections.max(self.cpu_cores).max(pooled);
    }

    fn worth_a_breaker(&self) -> bool {
        true
    }

    fn apply_fix(&mut self, fix: &Fix) -> bool {
        let accepted = *fix == Fix::ReadYourWrites;
        if accepted {
            self.read_your_writes = true;
        }
        accepted
    }
}

impl DatabaseParams {
    /// A connection is a server (a query holds it from arrival to answer; one beyond
    /// `max_connections` is refused), and the query's time runs on one of `cpu_cores` cores,
    /// first come first served: the same two stages as a service's workers and cores.
    fn station(&self) -> Station {
        Station::new(self.max_connections, 0, false)
            .with_cpu(self.cpu_cores, CpuDiscipline::Fcfs)
    }
}

/// Replica `k`'s (1-based) place from a list that repeats, if the list is not empty.
fn cycle(places: &[String], k: u32) -> Option<&str> {
    (!places.is_empty()).then(|| places[(k.max(1) - 1) as usize % places.len()].as_str())
}

/// A database's behaviour (primary or replica).
#[derive(Clone, Debug)]
pub struct Database {
    read: Sampler,
    write: Sampler,
    ship: Sampler,
    apply_ns: Nanos,
    /// Per replica, when it finishes applying the writes shipped so far.
    pub replica_free_at_ns: Vec<Nanos>,
    /// Per recently written key, when its latest write is applied at each replica.
    applied_at_ns: HashMap<u32, Vec<Nanos>, BuildHasherDefault<KeyHasher>>,
    read_your_writes: bool,
    next_replica: u32,
    /// Versions per key, kept apart from the routing above so tests can check it.
    versions: Versions,
}

/// An account of versions kept beside the routing, as a check on it: the version each
/// write commits, the version each replica holds once it has applied it, and so the
/// version every routed read serves. It decides nothing.
#[derive(Clone, Debug, Default)]
struct Versions {
    /// Per key with a write not yet applied everywhere, its last committed version.
    committed: HashMap<u32, u64, BuildHasherDefault<KeyHasher>>,
    /// Per such key, the version each replica holds.
    held: HashMap<u32, Vec<u64>, BuildHasherDefault<KeyHasher>>,
    /// Per replica, the writes shipped to it and not yet applied: (applied at, key,
    /// version), in commit order (a replica applies one at a time, so also in time order).
    in_flight: Vec<std::collections::VecDeque<(Nanos, u32, u64)>>,
    /// Reads routed (to a replica or the primary) that served an older version than the
    /// last committed one for their key.
    reads_behind: u64,
}

impl Versions {
    /// A write of `key` committed, reaching each replica at `applied_at`.
    fn committed(&mut self, key: u32, applied_at: &[Nanos]) {
        let version = self.committed.entry(key).or_insert(0);
        *version += 1;
        let version = *version;
        self.held
            .entry(key)
            .or_insert_with(|| vec![version - 1; applied_at.len()]);
        self.in_flight.resize_with(applied_at.len(), Default::default);
        for (queue, &at) in self.in_flight.iter_mut().zip(applied_at) {
            queue.push_back((at, key, version));
        }
    }

    /// A read of `key` routed at `now` to replica `replica` (the primary when none).
    fn read(&mut self, now: Nanos, key: u32, replica: Option<usize>) {
        for (i, queue) in self.in_flight.iter_mut().enumerate() {
            while let Some(&(at, k, version)) = queue.front() {
                if at > now {
                    break;
                }
                queue.pop_front();
                if let Some(held) = self.held.get_mut(&k) {
                    held[i] = version;
                    if held.iter().all(|&v| Some(&v) == self.committed.get(&k)) {
                        self.held.remove(&k);
                        self.committed.remove(&k);
                    }
                }
            }
        }
        let Some(&committed) = self.committed.get(&key) else {
            return;
        };
        let served = match replica {
            Some(i) => self.held.get(&key).map_or(committed, |h| h[i]),
            None => committed,
        };
        if served < committed {
            self.reads_behind += 1;
        }
    }
}

impl Behaviour for Database {
    fn kind_name(&self) -> &'static str {
        "database"
    }

    fn work(&mut self, cx: &mut Cx, call: &Call) -> Option<Nanos> {
        Some(match call.kind {
            RequestKind::Read => self.read.sample(cx.rng),
            RequestKind::Write => self.write.sample(cx.rng),
        })
    }

    fn after_work(&mut self, cx: &mut Cx, call: &mut Call) -> Next {
        if call.kind == RequestKind::Write {
            // Each replica applies writes in commit order (Lindley's recursion for a FIFO
            // single-server queue): done = max(arrival, previous done) + apply time.
            let now = cx.now_ns;
            let mut applied = Vec::with_capacity(self.replica_free_at_ns.len());
            for free_at in &mut self.replica_free_at_ns {
                let arrival = now + self.ship.sample(cx.rng) + cx.mods.replication_delay_ns;
                let done = arrival.max(*free_at) + self.apply_ns;
                *free_at = done;
                cx.metrics.replication_lag(done - now);
                applied.push(done);
            }
            if !applied.is_empty() {
                // Forget keys whose writes every replica has applied, now and then.
                if self.applied_at_ns.len() >= 65_536 {
                    self.applied_at_ns
                        .retain(|_, at| at.iter().any(|&t| t > now));
                }
                self.versions.committed(call.key, &applied);
                self.applied_at_ns.insert(call.key, applied);
            }
        }
        Next::Respond(Reply::OK)
    }

    fn pick_replica(&mut self, cx: &mut Cx, key: u32, replicas: usize) -> Option<usize> {
        let pick = self.route_read(cx, key, replicas);
        self.versions.read(cx.now_ns, key, pick);
        pick
    }

    any_accessors!();
}

impl Database {
    /// Reads routed so far that served an older version of their key than its last
    /// committed write (counted from versions, apart from the stale-read metric).
    pub fn reads_behind(&self) -> u64 {
        self.versions.reads_behind
    }

    /// Where a read of `key` goes: a replica round robin, or the primary (`None`) when
    /// reading your writes and the replica has not applied the key's last write.
    fn route_read(&mut self, cx: &mut Cx, key: u32, replicas: usize) -> Option<usize> {
        let i = self.next_replica as usize % replicas;
        self.next_replica = self.next_replica.wrapping_add(1);
        let unapplied = self
            .applied_at_ns
            .get(&key)
            .and_then(|a| a.get(i))
            .is_some_and(|&at| at > cx.now_ns);
        if !unapplied {
            return Some(i);
        }
        if self.read_your_writes {
            return None;
        }
        cx.metrics.stale_reads += 1;
        Some(i)
    }
}
