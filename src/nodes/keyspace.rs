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

/// Which keys requests ask for: ranks 0..keys with Zipf popularity (rank 0 the hottest).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyPopularity {
    /// Distinct keys.
    pub keys: u32,
    /// Zipf exponent: 0 is uniform, about 1 is typical of web content.
    pub zipf_s: f64,
}

impl Default for KeyPopularity {
    fn default() -> Self {
        KeyPopularity {
            keys: 1_000_000,
            zipf_s: 1.0,
        }
    }
}

/// The key traffic a keyspace cache should expect: which keys (ranks 0..keys, Zipf with
/// exponent `zipf_s`) and how often they are read and written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyTraffic {
    /// Distinct keys.
    pub keys: u32,
    /// Zipf exponent.
    pub zipf_s: f64,
    /// Lookups per second.
    pub reads_per_s: f64,
    /// Writes (invalidations or updates) per second.
    pub writes_per_s: f64,
}

/// Exponential with `rate` (infinite when the rate is 0: it never happened).
fn exponential(rate: f64, rng: &mut SimRng) -> f64 {
    if rate > 0.0 {
        rng.exponential(1.0 / rate)
    } else {
        f64::INFINITY
    }
}

/// Chance that a key read at `read` and written at `write` per second holds a slot when
/// entries not accessed for `t_c` seconds are gone: read within `t_c` and not invalidated
/// since; or, when writes store the value, accessed at all within `t_c`.
fn held_share(read: f64, write: f64, t_c: f64, update: bool) -> f64 {
    let any = read + write;
    if any <= 0.0 {
        return 0.0;
    }
    let within = -libm::expm1(-any * t_c);
    if update { within } else { read / any * within }
}

/// Che's characteristic time: the `t_c` at which the expected entries held equal the
/// capacity (infinite when every key fits). Keys of nearly equal popularity are summed as
/// one group, so the search costs thousands of terms, not millions.
fn characteristic_time(
    weights: &[f64],
    total: f64,
    traffic: &KeyTraffic,
    update: bool,
    capacity: u32,
) -> f64 {
    let mut groups: Vec<(f64, f64)> = Vec::new();
    let mut start = 0;
    while start < weights.len() {
        let end = (start + 1)
            .max((start as f64 * 1.002).ceil() as usize)
            .min(weights.len());
        let share = weights[start..end].iter().sum::<f64>() / total;
        groups.push(((end - start) as f64, share / (end - start) as f64));
        start = end;
    }
    let expected = |t_c: f64| {
        groups
            .iter()
            .map(|&(n, share)| {
                n * held_share(
                    traffic.reads_per_s * share,
                    traffic.writes_per_s * share,
                    t_c,
                    update,
                )
            })
            .sum::<f64>()
    };
    let capacity = f64::from(capacity);
    if expected(f64::INFINITY) <= capacity {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (1e-9_f64, 1e12_f64);
    for _ in 0..80 {
        let mid = (lo * hi).sqrt();
        if expected(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

/// One key's reads per second, whether writes store values, and Che's time.
#[derive(Clone, Copy)]
struct KeyRates {
    read: f64,
    update: bool,
    t_c: f64,
}

/// How long ago the copy held now was stored, for a key last read `last_read` seconds ago
/// and last written `last_write` seconds ago (before that read). A read that finds no live
/// copy stores one; so does a write under write-through, while under invalidation the
/// first read after the write does. Going back from the last read, the reads before it
/// stop at that write or at a gap longer than `t_c` (LRU evicted it); the copies are then
/// replayed forward. A key read too often to walk is taken from its write, or, with no
/// write in sight, at a uniform phase of its TTL. `lives` is the stored copy's TTL.
fn stored_at(
    key: KeyRates,
    last_read: f64,
    last_write: f64,
    lives: &mut f64,
    ttl: &mut impl FnMut(&mut SimRng) -> f64,
    reads: &mut Vec<f64>,
    rng: &mut SimRng,
) -> f64 {
    const WALK: usize = 64;
    let KeyRates { read, update, t_c } = key;
    reads.clear();
    reads.push(last_read);
    let mut barrier = None;
    let mut at = last_read;
    while reads.len() < WALK {
        let gap = exponential(read, rng);
        if gap > t_c {
            barrier = Some(false);
            break;
        }
        if at + gap > last_write {
            barrier = Some(true);
            break;
        }
        at += gap;
        reads.push(at);
    }
    let mut stored = match barrier {
        // The write stored it, then the reads after it refreshed expired copies.
        Some(true) if update => last_write,
        Some(_) => *reads.last().expect("one read at least"),
        None if last_write - last_read <= 20.0 * *lives => {
            // A hot key, too often read to walk: its copies from the write on, each stored
            // by the first read after the one before expired.
            let mut t = if update {
                last_write
            } else {
                (last_write - exponential(read, rng)).max(last_read)
            };
            loop {
                let next = t - *lives - exponential(read, rng);
                if next < last_read {
                    return t;
                }
                t = next;
                *lives = ttl(rng);
            }
        }
        // A hot key with no write in sight: anywhere in its copy's life.
        None => return last_read + rng.unit() * *lives,
    };
    for &r in reads.iter().rev() {
        if stored - r >= *lives {
            stored = r;
            *lives = ttl(rng);
        }
    }
    stored
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
    fn empty(params: KeyspaceParams) -> Self {
        Keyspace {
            params,
            ttl_ns: ms_to_ns(params.ttl_ms),
            map: HashMap::with_capacity_and_hasher(
                params.capacity as usize,
                BuildHasherDefault::default(),
            ),
            slots: Vec::with_capacity(params.capacity as usize),
            head: NIL,
            tail: NIL,
            free: Vec::new(),
        }
    }

    /// A cache holding the `capacity` hottest keys, their expiries spread evenly over one
    /// TTL: the start when nothing is known of the traffic. Better than LRU keeps it, so its
    /// hit rate falls as it settles; [`Keyspace::stationary`] starts where it settles.
    pub fn warm(params: KeyspaceParams) -> Self {
        let mut ks = Keyspace::empty(params);
        let golden = 0.618_033_988_749_895_f64;
        for key in (0..params.capacity).rev() {
            let offset = ((f64::from(key) * golden).fract() * ks.ttl_ns as f64) as Nanos;
            ks.insert(key, offset + 1);
        }
        ks
    }

    /// A cache as a long run of `traffic` leaves it, so its hit rate holds from the first
    /// second instead of drifting for minutes while LRU, TTL and invalidations settle.
    ///
    /// Each key is sampled on its own (keys are independent under Zipf traffic), with Che's
    /// approximation for LRU: an entry survives while it is read at least once per
    /// characteristic time `t_c`, the time for which the expected number of entries held
    /// equals the capacity. For a held key the sampler draws when it was last read, when it
    /// was last written, and from those when its current copy was stored, which gives its
    /// expiry (stored copies expire one TTL after they were stored, reads do not extend
    /// them). Recency order is by last access; the most recent `capacity` are kept.
    pub fn stationary(params: KeyspaceParams, traffic: KeyTraffic, rng: &mut SimRng) -> Self {
        let mut ks = Keyspace::empty(params);
        let keys = traffic.keys as usize;
        let weights: Vec<f64> = (0..keys)
            .map(|k| libm::exp(-traffic.zipf_s * libm::log(k as f64 + 1.0)))
            .collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 || traffic.reads_per_s + traffic.writes_per_s <= 0.0 {
            return ks;
        }
        let update = params.on_write == WritePolicy::Update;
        let rates = |k: usize| {
            let share = weights[k] / total;
            (traffic.reads_per_s * share, traffic.writes_per_s * share)
        };
        let t_c = characteristic_time(&weights, total, &traffic, update, params.capacity);
        let ttl_s = params.ttl_ms / 1e3;
        let mut ttl = |rng: &mut SimRng| ttl_s * (1.0 + params.ttl_jitter * rng.unit());
        // (age of the last access, key, seconds its copy has left to live)
        let mut held: Vec<(f64, u32, f64)> = Vec::new();
        let mut walk: Vec<f64> = Vec::new();
        for k in 0..keys {
            let (read, write) = rates(k);
            if !rng.chance(held_share(read, write, t_c, update)) {
                continue;
            }
            let any = read + write;
            // The last access, given it falls within t_c (and, for invalidation, that no
            // write came after it).
            let span = -libm::expm1(-any * t_c);
            let last = -libm::log1p(-rng.unit() * span) / any;
            let (last_read, last_write) = if update && rng.chance(write / any) {
                (last + exponential(read, rng), last)
            } else {
                (last, last + exponential(write, rng))
            };
            let mut lives = ttl(rng);
            let stored = if last_write <= last_read {
                // Written last (write-through): the write stored it.
                last_write
            } else {
                let key = KeyRates { read, update, t_c };
                stored_at(
                    key, last_read, last_write, &mut lives, &mut ttl, &mut walk, rng,
                )
            };
            held.push((last, k as u32, lives - stored));
        }
        held.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        held.truncate(params.capacity as usize);
        // Slots in key order, so the hot keys (never evicted) sit side by side in memory,
        // where nearly every lookup goes; the recency list links them most recent first.
        let mut by_key: Vec<(u32, f64, usize)> = held
            .iter()
            .enumerate()
            .map(|(rank, &(_, key, left_s))| (key, left_s, rank))
            .collect();
        by_key.sort_unstable_by_key(|e| e.0);
        let mut slot_of_rank = vec![NIL; by_key.len()];
        for (slot, &(key, left_s, rank)) in by_key.iter().enumerate() {
            // Expired copies stay until read or evicted, as they would have.
            let expires_ns = if left_s > 0.0 {
                ms_to_ns(left_s * 1e3)
            } else {
                0
            };
            ks.slots.push(Entry {
                key,
                expires_ns,
                prev: NIL,
                next: NIL,
            });
            ks.map.insert(key, slot as u32);
            slot_of_rank[rank] = slot as u32;
        }
        for (rank, &slot) in slot_of_rank.iter().enumerate() {
            let entry = &mut ks.slots[slot as usize];
            entry.prev = rank.checked_sub(1).map_or(NIL, |r| slot_of_rank[r]);
            entry.next = slot_of_rank.get(rank + 1).copied().unwrap_or(NIL);
        }
        ks.head = slot_of_rank.first().copied().unwrap_or(NIL);
        ks.tail = slot_of_rank.last().copied().unwrap_or(NIL);
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
