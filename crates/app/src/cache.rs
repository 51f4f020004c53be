//! A small per-process cache whose entries go stale after a fixed time: what lets a
//! revocation recorded by another server process take effect within that time, while a busy
//! token costs one store read per interval instead of one per request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Values by key, each trusted for `ttl` after it was read from the store.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache that keeps at most `max_entries`; when full it starts over (every entry is
    /// cheap to read again), so a flood of distinct keys cannot grow memory.
    pub(crate) fn new(ttl: Duration, max_entries: usize) -> Self {
        Self { ttl, max_entries: max_entries.max(1), entries: RwLock::new(HashMap::new()) }
    }

    /// The value, when it was stored less than `ttl` ago.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().ok()?;
        let (stored_at, value) = entries.get(key)?;
        (stored_at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Remembers `value` for `key` from now.
    pub(crate) fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.max_entries {
                let ttl = self.ttl;
                entries.retain(|_, (stored_at, _)| stored_at.elapsed() < ttl);
                if entries.len() >= self.max_entries {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets `key`, so the next read goes to the store (after a change made here).
    pub(crate) fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_entry_is_served_until_it_goes_stale() {
        let cache = TtlCache::new(Duration::from_millis(50), 10);
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&"a"), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache = TtlCache::new(Duration::from_secs(60), 3);
        for key in 0..10 {
            cache.put(key, key);
        }
        assert_eq!(cache.get(&9), Some(9));
        assert!(cache.entries.read().unwrap().len() <= 3);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TtlCache::new(Duration::ZERO, 3);
        cache.put(1, 1);
        assert_eq!(cache.get(&1), None);
    }
}
