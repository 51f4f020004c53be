//! A small in-memory, per-key, fixed-window rate limiter, for login attempts.
//!
//! Each key (a client address, or a tenant and email) gets `max` attempts per window that
//! starts at its first attempt. Memory is bounded: at most `max_keys` keys are kept; expired
//! windows are swept when the map is full (at most once a second), and while it is still full
//! of live windows, new keys are refused too, so a flood of distinct keys cannot grow memory
//! or slip through. The limiter is per process: several server processes each count alone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The login limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Attempts per window from one client address (default 10).
    pub per_client: u32,
    /// Attempts per window for one email in one tenant (default 5).
    pub per_account: u32,
    /// The window (default one minute).
    pub window: Duration,
    /// Most keys remembered per limiter (default 100,000).
    pub max_keys: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { per_client: 10, per_account: 5, window: Duration::from_secs(60), max_keys: 100_000 }
    }
}

/// The verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Refused; retry after this many seconds (at least 1).
    Limited {
        /// Seconds until the key's window ends.
        retry_after_secs: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

#[derive(Debug)]
struct State {
    windows: HashMap<String, Window>,
    last_sweep: Option<Instant>,
}

/// Counts attempts per key in fixed windows; see the module documentation.
#[derive(Debug)]
pub struct RateLimiter {
    max: u32,
    window: Duration,
    max_keys: usize,
    state: Mutex<State>,
}

impl RateLimiter {
    /// `max` attempts per `window` per key, remembering at most `max_keys` keys.
    pub fn new(max: u32, window: Duration, max_keys: usize) -> Self {
        Self {
            max,
            window: window.max(Duration::from_millis(1)),
            max_keys: max_keys.max(1),
            state: Mutex::new(State { windows: HashMap::new(), last_sweep: None }),
        }
    }

    /// Counts an attempt for `key` now.
    pub fn check(&self, key: &str) -> Verdict {
        self.check_at(key, Instant::now())
    }

    /// Counts an attempt for `key` at `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Verdict {
        let Ok(mut state) = self.state.lock() else {
            // A poisoned lock means a panic while counting; refusing is the safe side.
            return Verdict::Limited { retry_after_secs: 1 };
        };
        let window = self.window;
        let limited = |started: Instant| {
            let left = window.saturating_sub(now.saturating_duration_since(started));
            Verdict::Limited { retry_after_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0) }
        };
        if let Some(entry) = state.windows.get_mut(key) {
            if now.saturating_duration_since(entry.started) >= window {
                *entry = Window { started: now, count: 1 };
                return Verdict::Allowed;
            }
            if entry.count >= self.max {
                return fix_zero(limited(entry.started));
            }
            entry.count += 1;
            return Verdict::Allowed;
        }
        if state.windows.len() >= self.max_keys {
            let due = state.last_sweep.is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(1));
            if due {
                state.windows.retain(|_, w| now.saturating_duration_since(w.started) < window);
                state.last_sweep = Some(now);
            }
            if state.windows.len() >= self.max_keys {
                return Verdict::Limited { retry_after_secs: 1 };
            }
        }
        if self.max == 0 {
            return Verdict::Limited { retry_after_secs: window.as_secs().max(1) };
        }
        state.windows.insert(key.to_owned(), Window { started: now, count: 1 });
        Verdict::Allowed
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.windows.len()).unwrap_or(0)
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn fix_zero(verdict: Verdict) -> Verdict {
    match verdict {
        Verdict::Limited { retry_after_secs: 0 } => Verdict::Limited { retry_after_secs: 1 },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_attempt_after_the_limit_is_refused_until_the_window_ends() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60), 10);
        let start = Instant::now();
        assert_eq!(limiter.check_at("a", start), Verdict::Allowed);
        assert_eq!(limiter.check_at("a", start), Verdict::Allowed);
        assert_eq!(limiter.check_at("a", start + Duration::from_secs(10)), Verdict::Limited { retry_after_secs: 50 });
        assert_eq!(limiter.check_at("b", start), Verdict::Allowed);
        assert_eq!(limiter.check_at("a", start + Duration::from_secs(60)), Verdict::Allowed);
    }

    #[test]
    fn a_full_limiter_sweeps_expired_windows_and_refuses_new_keys_while_full() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60), 2);
        let start = Instant::now();
        assert_eq!(limiter.check_at("a", start), Verdict::Allowed);
        assert_eq!(limiter.check_at("b", start), Verdict::Allowed);
        assert_eq!(limiter.check_at("c", start), Verdict::Limited { retry_after_secs: 1 });
        assert_eq!(limiter.check_at("c", start + Duration::from_secs(61)), Verdict::Allowed);
        assert_eq!(limiter.len(), 1);
    }
}
