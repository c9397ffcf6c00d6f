//! A cache's contents as keys, so its hit rate emerges from the traffic: LRU eviction at a
//! capacity, a TTL per entry (optionally jittered), probabilistic early expiration, and
//! stale-while-revalidate. Keys are popularity ranks (0 is the hottest), drawn by the traffic
//! source from a Zipf distribution.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};

use super::plan::KeyHasher;
use crate::sim::{Nanos, SimRng, ms_to_ns};

/// What a write does to a cached key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WritePolicy {
    /// Delete it (cache-aside): the next read misses and refills.
    #[default]
    Invalidate,
    /// Store the new value (write-through): the cache is never emptied by writes.
    Update,
}

/// A keyspace cache's settings, as written in a blueprint.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyspaceParams {
    /// Entries it holds; the least recently used goes when full.
    pub capacity: u32,
    /// Time to live of an entry, milliseconds.
    pub ttl_ms: f64,
    /// TTL jitter: each entry lives ttl x (1 + jitter x U), U uniform in 0..1.
    pub ttl_jitter: f64,
    /// Probabilistic early expiration (XFetch) with this beta (1.0 is the usual); none = off.
    pub early_expiration: Option<f64>,
    /// Time to recompute a value, milliseconds (XFetch's delta).
    pub recompute_ms: f64,
    /// Serve an expired entry and refresh it in the background.
    pub stale_while_revalidate: bool,
    /// What writes do.
    pub on_write: WritePolicy,
}

impl Default for KeyspaceParams {
    fn default() -> Self {
        KeyspaceParams {
            capacity: 100_000,
            ttl_ms: 300_000.0,
            ttl_jitter: 0.0,
            early_expiration: None,
            recompute_ms: 10.0,
            stale_while_revalidate: false,
            on_write: WritePolicy::Invalidate,
        }
    }
}

impl KeyspaceParams {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if self.capacity == 0 || !crate::sim::positive(self.ttl_ms) {
            return Err("keyspace needs capacity >= 1 and ttl_ms > 0".into());
        }
        if !(0.0..=1.0).contains(&self.ttl_jitter) {
            return Err(format!(
                "ttl_jitter must be between 0 and 1, found {}",
                self.ttl_jitter
            ));
        }
        if !(self.recompute_ms >= 0.0 && self.recompute_ms.is_finite()) {
            return Err("recompute_ms must be >= 0".into());
        }
        if self
            .early_expiration
            .is_some_and(|b| !crate::sim::positive(b))
        {
            return Err("early_expiration (beta) must be > 0".into());
        }
        Ok(())
    }
}

/// The answer to a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Found and fresh.
    Hit,
    /// Found but expired: served anyway, refresh in the background.
    Stale,
    /// Not there (or expired, or chosen for early refresh).
    Miss,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    expires_ns: Nanos,
    prev: u32,
    next: u32,
}

const NIL: u32 = u32::MAX;

/// The cache contents: a map from key to slot, and the slots in recency order.
#[derive(Clone, Debug)]
pub struct Keyspace {
    params: KeyspaceParams,
    ttl_ns: Nanos,
    map: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    slots: Vec<Entry>,
    head: u32,
    tail: u32,
    free: Vec<u32>,
}

impl Keyspace {
    /// A cache holding the `capacity` hottest keys, as in steady state: their expiries are
    /// spread evenly over one TTL (they were filled at different times).
    pub fn warm(params: KeyspaceParams) -> Self {
        let ttl_ns = ms_to_ns(params.ttl_ms);
        let mut ks = Keyspace {
            params,
            ttl_ns,
            map: HashMap::with_capacity_and_hasher(
                params.capacity as usize,
                BuildHasherDefault::default(),
            ),
            slots: Vec::with_capacity(params.capacity as usize),
            head: NIL,
            tail: NIL,
            free: Vec::new(),
        };
        let golden = 0.618_033_988_749_895_f64;
        for key in (0..params.capacity).rev() {
            let offset = ((f64::from(key) * golden).fract() * ttl_ns as f64) as Nanos;
            ks.insert(key, offset + 1);
        }
        ks
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks `key` up at `now_ns`.
    pub fn get(&mut self, key: u32, now_ns: Nanos, rng: &mut SimRng) -> Lookup {
        let Some(&slot) = self.map.get(&key) else {
            return Lookup::Miss;
        };
        let expires = self.slots[slot as usize].expires_ns;
        if now_ns >= expires {
            if self.params.stale_while_revalidate {
                // Serve stale once and extend, so one refresh goes out, not one per reader.
                self.slots[slot as usize].expires_ns =
                    now_ns + ms_to_ns(self.params.recompute_ms.max(1.0));
                self.touch(slot);
                return Lookup::Stale;
            }
            self.remove_slot(slot);
            return Lookup::Miss;
        }
        if let Some(beta) = self.params.early_expiration {
            // XFetch: refresh early with a probability that grows as expiry nears.
            let delta = ms_to_ns(self.params.recompute_ms) as f64;
            let early = -delta * beta * libm::log(rng.open_unit());
            if now_ns as f64 + early >= expires as f64 {
                return Lookup::Miss;
            }
        }
        self.touch(slot);
        Lookup::Hit
    }

    /// Stores `key` at `now_ns` with a fresh (jittered) TTL.
    pub fn set(&mut self, key: u32, now_ns: Nanos, rng: &mut SimRng) {
        let jitter = if self.params.ttl_jitter > 0.0 {
            self.params.ttl_jitter * rng.unit()
        } else {
            0.0
        };
        let expires = now_ns + (self.ttl_ns as f64 * (1.0 + jitter)).round() as Nanos;
        self.insert(key, expires);
    }

    /// A write to `key` (invalidate or update, by policy).
    pub fn write(&mut self, key: u32, now_ns: Nanos, rng: &mut SimRng) {
        match self.params.on_write {
            WritePolicy::Invalidate => {
                if let Some(&slot) = self.map.get(&key) {
                    self.remove_slot(slot);
                }
            }
            WritePolicy::Update => self.set(key, now_ns, rng),
        }
    }

    /// Every entry expires at `at_ns`, plus the TTL jitter if it is on (the keys were all
    /// written at the same moment one TTL ago): a mass expiry.
    pub fn expire_together(&mut self, at_ns: Nanos, rng: &mut SimRng) {
        let spread = self.ttl_ns as f64 * self.params.ttl_jitter;
        for entry in &mut self.slots {
            if entry.key != NIL {
                entry.expires_ns = at_ns + (spread * rng.unit()).round() as Nanos;
            }
        }
    }

    /// Every entry with less than `within_ns` left to live expires now (a clock jump).
    pub fn expire_within(&mut self, now_ns: Nanos, within_ns: Nanos) {
        for entry in &mut self.slots {
            if entry.key != NIL && entry.expires_ns < now_ns + within_ns {
                entry.expires_ns = now_ns;
            }
        }
    }

    /// Empties the cache (a flush or a restart).
    pub fn flush(&mut self) {
        self.map.clear();
        self.slots.clear();
        self.free.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    fn insert(&mut self, key: u32, expires_ns: Nanos) {
        if let Some(&slot) = self.map.get(&key) {
            self.slots[slot as usize].expires_ns = expires_ns;
            self.touch(slot);
            return;
        }
        let slot = if self.map.len() >= self.params.capacity as usize {
            // Reuse the least recently used slot.
            let lru = self.tail;
            let old = self.slots[lru as usize].key;
            self.map.remove(&old);
            self.unlink(lru);
            lru
        } else if let Some(free) = self.free.pop() {
            free
        } else {
            self.slots.push(Entry {
                key,
                expires_ns,
                prev: NIL,
                next: NIL,
            });
            (self.slots.len() - 1) as u32
        };
        self.slots[slot as usize] = Entry {
            key,
            expires_ns,
            prev: NIL,
            next: NIL,
        };
        self.map.insert(key, slot);
        self.push_front(slot);
    }

    fn remove_slot(&mut self, slot: u32) {
        let key = self.slots[slot as usize].key;
        self.map.remove(&key);
        self.unlink(slot);
        self.slots[slot as usize].key = NIL;
        self.free.push(slot);
    }

    fn touch(&mut self, slot: u32) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Entry { prev, next, .. } = self.slots[slot as usize];
        if prev != NIL {
            self.slots[prev as usize].next = next;
        } else if self.head == slot {
            self.head = next;
        }
        if next != NIL {
            self.slots[next as usize].prev = prev;
        } else if self.tail == slot {
            self.tail = prev;
        }
        self.slots[slot as usize].prev = NIL;
        self.slots[slot as usize].next = NIL;
    }

    fn push_front(&mut self, slot: u32) {
        self.slots[slot as usize].prev = NIL;
        self.slots[slot as usize].next = self.head;
        if self.head != NIL {
            self.slots[self.head as usize].prev = slot;
        }
        self.head = slot;
        if self.tail == NIL {
            self.tail = slot;
        }
    }
}
