//! Fixed-window counters per key: failed passwords per user and address, per user and per client
//! address, access tokens granted per OAuth2 client. A key that reaches `max_failures` events
//! within `window` is refused until the window ends (or, for a user's own ceiling, slowed:
//! the caller reads [`Throttle::count`]).

use std::hash::Hash;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dashmap::DashMap;

/// Limits for one kind of key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_failures: u32,
    pub window: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    failures: u32,
}

/// Counts failures per key in fixed windows.
#[derive(Debug)]
pub struct Throttle<K: Eq + Hash> {
    limit: Limit,
    windows: DashMap<K, Window>,
}

impl<K: Eq + Hash + Clone> Throttle<K> {
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            windows: DashMap::new(),
        }
    }

    fn window(&self) -> TimeDelta {
        TimeDelta::from_std(self.limit.window).unwrap_or(TimeDelta::MAX)
    }

    /// `Some(wait)` if `key` is locked out at `now`.
    pub fn locked(&self, key: &K, now: DateTime<Utc>) -> Option<Duration> {
        let w = *self.windows.get(key)?;
        let ends = w.started + self.window();
        if w.failures >= self.limit.max_failures && now < ends {
            Some(
                (ends - now)
                    .to_std()
                    .unwrap_or_default()
                    .max(Duration::from_secs(1)),
            )
        } else {
            None
        }
    }

    /// The events counted for `key` in its window at `now` (0 once the window has ended).
    pub fn count(&self, key: &K, now: DateTime<Utc>) -> u32 {
        match self.windows.get(key) {
            Some(w) if now < w.started + self.window() => w.failures,
            _ => 0,
        }
    }

    /// The limit this throttle counts against.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Counts one event (a failed attempt, a grant) for `key`.
    pub fn record(&self, key: &K, now: DateTime<Utc>) {
        let mut entry = self.current(key, now);
        entry.failures = entry.failures.saturating_add(1);
    }

    /// The key's window at `now`, started afresh when the last one has ended.
    fn current(&self, key: &K, now: DateTime<Utc>) -> dashmap::mapref::one::RefMut<'_, K, Window> {
        let window = self.window();
        let mut entry = self.windows.entry(key.clone()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= entry.started + window {
            *entry = Window {
                started: now,
                failures: 0,
            };
        }
        entry
    }

    /// Counts one event for `key` unless the key is at its limit (then `Err(wait)`), in one
    /// step, so concurrent callers cannot together pass the limit.
    pub fn try_record(&self, key: &K, now: DateTime<Utc>) -> Result<(), Duration> {
        let mut entry = self.current(key, now);
        if entry.failures >= self.limit.max_failures {
            let ends = entry.started + self.window();
            return Err((ends - now)
                .to_std()
                .unwrap_or_default()
                .max(Duration::from_secs(1)));
        }
        entry.failures += 1;
        Ok(())
    }

    pub fn record_success(&self, key: &K) {
        self.windows.remove(key);
    }

    /// Drops windows that have ended, bounding memory.
    pub fn prune(&self, now: DateTime<Utc>) {
        let window = self.window();
        self.windows.retain(|_, w| now < w.started + window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle<&'static str> {
        Throttle::new(Limit {
            max_failures: 3,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn locks_after_max_failures_until_the_window_ends() {
        let t = throttle();
        let t0 = Utc::now();
        for _ in 0..2 {
            t.record(&"u", t0);
        }
        assert!(t.locked(&"u", t0).is_none());
        t.record(&"u", t0);
        let wait = t.locked(&"u", t0 + TimeDelta::seconds(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(t.locked(&"u", t0 + TimeDelta::seconds(60)).is_none());
        assert!(t.locked(&"other", t0).is_none());
        assert_eq!(t.count(&"u", t0 + TimeDelta::seconds(59)), 3);
        assert_eq!(t.count(&"u", t0 + TimeDelta::seconds(60)), 0);
    }

    #[test]
    fn try_record_admits_exactly_the_limit_from_many_threads() {
        let t = std::sync::Arc::new(throttle());
        let t0 = Utc::now();
        let admitted: usize = (0..8)
            .map(|_| {
                let t = std::sync::Arc::clone(&t);
                std::thread::spawn(move || {
                    (0..10).filter(|_| t.try_record(&"u", t0).is_ok()).count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(admitted, 3);
        assert_eq!(
            t.try_record(&"u", t0 + TimeDelta::seconds(30)),
            Err(Duration::from_secs(30))
        );
        assert!(t.try_record(&"u", t0 + TimeDelta::seconds(60)).is_ok());
    }

    #[test]
    fn success_clears_and_prune_forgets_old_windows() {
        let t = throttle();
        let t0 = Utc::now();
        for _ in 0..3 {
            t.record(&"u", t0);
        }
        t.record_success(&"u");
        assert!(t.locked(&"u", t0).is_none());
        t.record(&"v", t0);
        t.prune(t0 + TimeDelta::seconds(61));
        assert!(t.windows.is_empty());
    }
}
