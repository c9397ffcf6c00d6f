//! The five rate-limiting algorithms, one copy shared by the kinds that limit: the API
//! gateway (per route, per client, gateway-wide) and the rate limiter store (a Redis-backed
//! counter every caller shares).
//!
//! A limit is `limit` requests per `window_ms`; a request is admitted when, counting it, the
//! algorithm's measure stays within the limit:
//!
//! | Algorithm | Admits when | State |
//! |---|---|---|
//! | token bucket | a token is left (the bucket holds `burst`, refills `limit` per window) | 2 numbers |
//! | leaky bucket | fewer than `burst` requests wait in the queue ahead of it (the queue drains one every `window / limit`); the admitted request waits for its drain slot | 1 number |
//! | fixed window | fewer than `limit` were admitted since the window began (windows start at multiples of `window_ms` from time 0) | 2 numbers |
//! | sliding window log | fewer than `limit` were admitted in the last `window_ms` | one timestamp per admitted request |
//! | sliding window counter | `previous x (1 - elapsed / window) + current + 1 <= limit` (Cloudflare's estimate) | 3 numbers |
//!
//! Only admitted requests count (a refused one leaves no trace), so a sliding log holds at
//! most `limit` timestamps. Arithmetic is exact: time in integer nanoseconds and the buckets
//! and the weighted estimate scaled to integers (`u128`), so a burst's admitted count is a
//! hand calculation, not a rounding accident.
//!
//! Sources (`../shared/reference/component-parameters.md`, section 1): token bucket as AWS API
//! Gateway throttles (10,000 req/s with a 5,000 burst per account) and as in Stripe's "Scaling
//! your API with rate limiters"; the fixed window's worst case of 2x the limit across a
//! boundary and the sliding log's memory from Figma's "An alternative approach to rate
//! limiting"; the sliding window counter from Cloudflare's "How we built rate limiting
//! capable of scaling to millions of domains" (0.003% wrong decisions over 400M requests).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::sim::{Nanos, ms_to_ns};

/// How a limit counts requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Algorithm {
    /// Bursts up to `burst`, then `limit` per window (AWS API Gateway, Stripe).
    #[default]
    TokenBucket,
    /// A queue of `burst` drained at `limit` per window: admitted requests wait their turn.
    LeakyBucket,
    /// One counter per window; up to 2x the limit passes across a window boundary.
    FixedWindow,
    /// Exact: the admitted requests of the last window, one timestamp each.
    SlidingWindowLog,
    /// The previous window's count weighted by its overlap plus the current count.
    SlidingWindowCounter,
}

/// A rate limit, as written in a blueprint.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitParams {
    /// How requests are counted.
    pub algorithm: Algorithm,
    /// Requests admitted per window, count.
    pub limit: u32,
    /// The window, milliseconds (1000: `limit` is per second).
    pub window_ms: f64,
    /// Token bucket: the bucket's size (the burst it takes at once); leaky bucket: the
    /// queue's size. Requests; none = `limit`. The window algorithms ignore it.
    pub burst: Option<u32>,
}

impl Default for RateLimitParams {
    fn default() -> Self {
        RateLimitParams {
            algorithm: Algorithm::TokenBucket,
            limit: 100,
            window_ms: 1_000.0,
            burst: None,
        }
    }
}

/// The longest window a limit may have, milliseconds (a day).
const MAX_WINDOW_MS: f64 = 86_400_000.0;

impl RateLimitParams {
    /// A token bucket of `limit` per second holding `burst`.
    pub fn token_bucket(limit: u32, burst: u32) -> Self {
        RateLimitParams {
            algorithm: Algorithm::TokenBucket,
            limit,
            window_ms: 1_000.0,
            burst: Some(burst),
        }
    }

    /// Checks the values; `field` names the limit in messages (`routes[1].limit`).
    pub fn validate(&self, field: &str) -> Result<(), String> {
        if self.limit == 0 {
            return Err(format!("{field}.limit must be at least 1"));
        }
        if !(self.window_ms > 0.0 && self.window_ms <= MAX_WINDOW_MS)
            || ms_to_ns(self.window_ms) == 0
        {
            return Err(format!(
                "{field}.window_ms must be > 0 and at most {MAX_WINDOW_MS} (a day), found {}",
                self.window_ms
            ));
        }
        if self.burst == Some(0) {
            return Err(format!("{field}.burst must be at least 1"));
        }
        Ok(())
    }

    /// Requests per second it admits in the long run.
    pub fn rate_per_s(&self) -> f64 {
        f64::from(self.limit) * 1_000.0 / self.window_ms
    }

    /// A limiter in its initial state (a full token bucket, an empty queue, empty windows).
    pub fn limiter(&self) -> Limiter {
        let window_ns = ms_to_ns(self.window_ms).max(1);
        let limit = u64::from(self.limit.max(1));
        let burst = u64::from(self.burst.unwrap_or(self.limit).max(1));
        let w = u128::from(window_ns);
        let state = match self.algorithm {
            Algorithm::TokenBucket => State::TokenBucket {
                capacity: u128::from(burst) * w,
                level: u128::from(burst) * w,
                at_ns: 0,
            },
            Algorithm::LeakyBucket => State::LeakyBucket {
                depth: u128::from(burst) * w,
                next_free: 0,
            },
            Algorithm::FixedWindow => State::FixedWindow {
                window: 0,
                count: 0,
            },
            Algorithm::SlidingWindowLog => State::SlidingWindowLog {
                admitted: VecDeque::new(),
            },
            Algorithm::SlidingWindowCounter => State::SlidingWindowCounter {
                window: 0,
                previous: 0,
                current: 0,
            },
        };
        Limiter {
            window_ns,
            limit,
            state,
        }
    }
}

/// A limit's counting state.
#[derive(Clone, Debug)]
pub struct Limiter {
    window_ns: Nanos,
    limit: u64,
    state: State,
}

/// Each algorithm's state. Token and leaky buckets count in scaled units so that refills and
/// drain slots are exact: one token is `window_ns` units and a nanosecond refills `limit` of
/// them; the leaky bucket's clock runs `limit` times faster, so a drain slot is `window_ns`
/// units long.
#[derive(Clone, Debug)]
enum State {
    TokenBucket {
        capacity: u128,
        level: u128,
        at_ns: Nanos,
    },
    LeakyBucket {
        /// `burst` slots, in scaled units.
        depth: u128,
        /// When the queue is next free (the slot the next admitted request takes), scaled.
        next_free: u128,
    },
    FixedWindow {
        window: u64,
        count: u64,
    },
    SlidingWindowLog {
        admitted: VecDeque<Nanos>,
    },
    SlidingWindowCounter {
        window: u64,
        previous: u64,
        current: u64,
    },
}

impl Limiter {
    /// A request at `now_ns`: `Some(delay)` if admitted, where `delay` is how long it waits
    /// for its drain slot (a leaky bucket; 0 for the others), `None` if refused.
    pub fn admit(&mut self, now_ns: Nanos) -> Option<Nanos> {
        let (w, limit) = (self.window_ns, self.limit);
        match &mut self.state {
            State::TokenBucket {
                capacity,
                level,
                at_ns,
            } => {
                let elapsed = u128::from(now_ns.saturating_sub(*at_ns));
                *level = (*level + elapsed * u128::from(limit)).min(*capacity);
                *at_ns = (*at_ns).max(now_ns);
                let token = u128::from(w);
                (*level >= token).then(|| {
                    *level -= token;
                    0
                })
            }
            State::LeakyBucket { depth, next_free } => {
                let now = u128::from(now_ns) * u128::from(limit);
                let slot = (*next_free).max(now);
                let wait = slot - now;
                (wait < *depth).then(|| {
                    *next_free = slot + u128::from(w);
                    // Back to nanoseconds, rounded up: never leave before the slot.
                    wait.div_ceil(u128::from(limit)) as Nanos
                })
            }
            State::FixedWindow { window, count } => {
                let this = now_ns / w;
                if this != *window {
                    *window = this;
                    *count = 0;
                }
                (*count < limit).then(|| {
                    *count += 1;
                    0
                })
            }
            State::SlidingWindowLog { admitted } => {
                while admitted
                    .front()
                    .is_some_and(|&t| now_ns - t.min(now_ns) >= w)
                {
                    admitted.pop_front();
                }
                ((admitted.len() as u64) < limit).then(|| {
                    admitted.push_back(now_ns);
                    0
                })
            }
            State::SlidingWindowCounter {
                window,
                previous,
                current,
            } => {
                let this = now_ns / w;
                if this != *window {
                    *previous = if this == *window + 1 { *current } else { 0 };
                    *current = 0;
                    *window = this;
                }
                // previous x (w - elapsed) / w + current + 1 <= limit, times w.
                let elapsed = now_ns - this * w;
                let w128 = u128::from(w);
                let estimate = u128::from(*previous) * u128::from(w - elapsed)
                    + (u128::from(*current) + 1) * w128;
                (estimate <= u128::from(limit) * w128).then(|| {
                    *current += 1;
                    0
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{NS_PER_MS, NS_PER_S};

    /// Feeds arrivals at `times` (ns) to a fresh limiter of 100 per second; the admitted count.
    fn admitted(algorithm: Algorithm, times: &[Nanos]) -> usize {
        let mut l = RateLimitParams {
            algorithm,
            ..RateLimitParams::default()
        }
        .limiter();
        times.iter().filter(|&&t| l.admit(t).is_some()).count()
    }

    /// `n` arrivals one millisecond apart from `from_ms`.
    fn every_ms(from_ms: u64, n: u64) -> Vec<Nanos> {
        (0..n).map(|k| (from_ms + k) * NS_PER_MS).collect()
    }

    #[test]
    fn each_algorithm_admits_its_hand_computed_count_of_a_burst() {
        // 1,000 requests a second for one second, from 0.5 s to 1.499 s (request k at
        // 0.5 + k ms), into a limit of 100 per second that was idle before.
        let burst = every_ms(500, 1_000);
        let counts: Vec<(Algorithm, usize, usize)> = [
            // Token bucket: 100 tokens at the start plus 0.1 per ms; request k finds a token
            // while admitted < 100 + 0.1 k, so floor(100 + 0.1 x 999) = 199 in all.
            (Algorithm::TokenBucket, 199),
            // Leaky bucket: admitted request n leaves at 0.5 s + 10 n ms; request k waits
            // 10 n - k ms and is admitted while that is under 100 slots x 10 ms = 1 s, i.e.
            // while n < 100 + 0.1 k: n reaches ceil(100 + 99.9) = 200.
            (Algorithm::LeakyBucket, 200),
            // Fixed window: 100 in [0.5, 1.0) and 100 in [1.0, 1.5).
            (Algorithm::FixedWindow, 200),
            // Sliding log: 100 at 0.500-0.599 s; the first leaves the window at 1.5 s, after
            // the burst.
            (Algorithm::SlidingWindowLog, 100),
            // Sliding counter: 100 in the first window; in the second, at 1 s + e, it admits
            // the (n+1)th while 100 (1 - e) + n + 1 <= 100, i.e. n + 1 <= 100 e: e runs to
            // 0.499, so n + 1 <= 49.9: 49 more.
            (Algorithm::SlidingWindowCounter, 149),
        ]
        .into_iter()
        .map(|(a, expected)| (a, admitted(a, &burst), expected))
        .collect();
        for (a, got, expected) in &counts {
            eprintln!(
                "burst of 1,000/s for 1 s into 100/s: {a:?} admitted {got} (hand: {expected})"
            );
        }
        for (a, got, expected) in counts {
            assert_eq!(got, expected, "{a:?}");
        }
    }

    #[test]
    fn the_fixed_window_passes_twice_the_limit_across_a_boundary_and_the_sliding_log_does_not() {
        // 100 requests in the last 100 ms of the window [0, 1 s) and 100 in the first 100 ms
        // of the next: 200 in 200 ms against a limit of 100 per second.
        let mut edge = every_ms(900, 100);
        edge.extend(every_ms(1_000, 100));
        let expected = [
            // All of them: each window saw only 100.
            (Algorithm::FixedWindow, 200),
            // The first 100 fill the last second until 1.9 s.
            (Algorithm::SlidingWindowLog, 100),
            // The previous window weighs 100 (1 - e) at 1 s + e: n + 1 <= 100 e, e <= 0.099.
            (Algorithm::SlidingWindowCounter, 109),
            // 100 tokens plus 0.1 per ms over 199 ms: floor(100 + 19.9).
            (Algorithm::TokenBucket, 119),
            // Admitted while n < 100 + 0.1 k over the 200 arrivals: ceil(119.9).
            (Algorithm::LeakyBucket, 120),
        ];
        for (a, want) in expected {
            let got = admitted(a, &edge);
            eprintln!(
                "edge burst (100 + 100 around a boundary): {a:?} admitted {got} (hand: {want})"
            );
            assert_eq!(got, want, "{a:?}");
        }
    }

    #[test]
    fn a_leaky_bucket_delays_each_admitted_request_to_its_drain_slot() {
        // Ten at once into 4 per second with a queue of 3: they leave at 0, 250, 500 ms; the
        // rest find the queue full.
        let mut l = RateLimitParams {
            algorithm: Algorithm::LeakyBucket,
            limit: 4,
            window_ms: 1_000.0,
            burst: Some(3),
        }
        .limiter();
        let delays: Vec<Option<Nanos>> = (0..10).map(|_| l.admit(NS_PER_S)).collect();
        assert_eq!(
            delays[..4],
            [Some(0), Some(250 * NS_PER_MS), Some(500 * NS_PER_MS), None]
        );
        assert!(delays[4..].iter().all(Option::is_none));
        // A third of a second later one slot has drained: the next waits until 1.75 s.
        assert_eq!(
            l.admit(NS_PER_S + NS_PER_S / 3),
            Some(NS_PER_S * 3 / 4 - NS_PER_S / 3)
        );
    }

    #[test]
    fn limits_outside_their_bounds_name_the_field() {
        let bad = RateLimitParams {
            window_ms: 0.0,
            ..RateLimitParams::default()
        };
        let e = bad.validate("routes[1].limit").unwrap_err();
        assert!(e.contains("routes[1].limit.window_ms"), "{e}");
        let zero = RateLimitParams {
            limit: 0,
            ..RateLimitParams::default()
        };
        assert!(zero.validate("limit").unwrap_err().contains("limit.limit"));
    }
}
