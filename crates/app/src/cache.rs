//! A small per-process cache whose entries go stale after a fixed time: what lets a
//! revocation recorded by another server process take effect within that time, while a busy
//! token costs one store read per interval instead of one per request.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Values by key, each trusted for `ttl` after it was read from the store.
///
/// A read that raced a change made through this process must not put back what it read
/// before the change: every change bumps `changes`, and a read stores its value only when
/// no change happened since it began.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
    changes: AtomicU64,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache that keeps at most `max_entries`; when full it starts over (every entry is
    /// cheap to read again), so a flood of distinct keys cannot grow memory.
    pub(crate) fn new(ttl: Duration, max_entries: usize) -> Self {
        Self { ttl, max_entries: max_entries.max(1), entries: RwLock::new(HashMap::new()), changes: AtomicU64::new(0) }
    }

    /// The cached value, or `read`'s, which is then cached when `keep` says so and nothing
    /// changed through this cache while it was being read.
    pub(crate) async fn get_or_read<E, Fut>(
        &self,
        key: K,
        keep: impl FnOnce(&V) -> bool,
        read: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(known) = self.get(&key) {
            return Ok(known);
        }
        let began = self.changes.load(Ordering::SeqCst);
        let value = read().await?;
        if keep(&value) {
            self.insert(key, value.clone(), Some(began));
        }
        Ok(value)
    }

    /// The value, when it was stored less than `ttl` ago.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().ok()?;
        let (stored_at, value) = entries.get(key)?;
        (stored_at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Remembers `value` for `key` from now: what a change made through this process
    /// decided (a logout), which no read in flight may overwrite.
    pub(crate) fn put(&self, key: K, value: V) {
        self.insert(key, value, None);
    }

    /// Stores `value`, unless `read_since` is given and a change happened after it.
    fn insert(&self, key: K, value: V, read_since: Option<u64>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            match read_since {
                Some(began) if self.changes.load(Ordering::SeqCst) != began => return,
                Some(_) => {}
                None => {
                    self.changes.fetch_add(1, Ordering::SeqCst);
                }
            }
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

    /// Forgets `key`, so the next read goes to the store (after a change made here), and
    /// keeps reads that began before from storing what they read.
    pub(crate) fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.write() {
            self.changes.fetch_add(1, Ordering::SeqCst);
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

    #[tokio::test]
    async fn a_read_that_raced_a_change_is_not_kept() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        let stale: Result<bool, ()> = cache
            .get_or_read(
                "token",
                |_| true,
                || async {
                    // A logout lands while the store is being read.
                    cache.put("token", true);
                    Ok(false)
                },
            )
            .await;
        assert_eq!(stale, Ok(false));
        assert_eq!(cache.get(&"token"), Some(true));
        let unkept: Result<Option<u8>, ()> =
            TtlCache::new(Duration::from_secs(60), 10).get_or_read("kid", Option::is_some, || async { Ok(None) }).await;
        assert_eq!(unkept, Ok(None));
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TtlCache::new(Duration::ZERO, 3);
        cache.put(1, 1);
        assert_eq!(cache.get(&1), None);
    }
}
