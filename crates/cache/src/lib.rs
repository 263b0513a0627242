//! Typed in-process caches (PDR §6) over `quick_cache`: each bounded in bytes, with expiry,
//! counters, single-flight loading and per-user invalidation. Knows neither SQL nor GraphQL:
//! callers give it keys, values that say what they weigh, and a function that loads a value.
//!
//! - **Bound:** `quick_cache` evicts by weight; a value's weight is what [`Weigh`] says it
//!   occupies, plus a fixed per-entry overhead, so `max_bytes` bounds the memory it holds.
//! - **Expiry:** `quick_cache` has no time-to-live. Entries are stamped when stored and a stale
//!   one is a miss (counted as `expired`), removed and loaded again.
//! - **Single flight:** concurrent misses of one key run one load; the others wait for its value
//!   (`quick_cache`'s placeholder guard). A failed load stores nothing and the next waiter loads.
//! - **Invalidation:** [`Generations`] hands out a per-user number to put in keys; bumping it
//!   retires every entry of that user at once (there is no prefix delete), and the retired entries
//!   age out by the bound.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache as QuickCache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

/// Bytes an entry costs besides its value: the key, the stamp and the cache's own bookkeeping.
const ENTRY_OVERHEAD: u64 = 64;

/// What a cached value occupies in memory, approximately, in bytes.
pub trait Weigh {
    fn weigh(&self) -> u64;
}

impl<T: Weigh> Weigh for Arc<T> {
    fn weigh(&self) -> u64 {
        T::weigh(self)
    }
}

impl<T: Weigh> Weigh for Vec<T> {
    fn weigh(&self) -> u64 {
        self.iter().map(Weigh::weigh).sum::<u64>()
            + u64::try_from(std::mem::size_of::<Self>()).unwrap_or(0)
    }
}

impl Weigh for String {
    fn weigh(&self) -> u64 {
        u64::try_from(self.capacity() + std::mem::size_of::<Self>()).unwrap_or(u64::MAX)
    }
}

/// One cache's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// The name its counters are reported under.
    pub name: &'static str,
    /// The most bytes its entries may occupy.
    pub max_bytes: u64,
    /// How long an entry is served after it was stored.
    pub ttl: Duration,
}

/// The counters of one cache since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Entries found but older than the expiry (also counted as misses).
    pub expired: u64,
    /// Entries pushed out by the byte bound.
    pub evictions: u64,
    /// Loads run (a miss that waited for another's load runs none).
    pub loads: u64,
    /// Entries dropped by [`Cache::invalidate`].
    pub invalidations: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    expired: AtomicU64,
    evictions: AtomicU64,
    loads: AtomicU64,
    invalidations: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    stored: Instant,
}

#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl<K, V: Weigh> Weighter<K, Entry<V>> for ByBytes {
    fn weight(&self, _key: &K, entry: &Entry<V>) -> u64 {
        entry.value.weigh().saturating_add(ENTRY_OVERHEAD)
    }
}

/// Counts what the byte bound evicts.
#[derive(Debug, Clone)]
struct CountEvictions(Arc<Counters>);

impl<K, V> Lifecycle<K, V> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _state: &mut Self::RequestState, _key: K, _val: V) {
        bump(&self.0.evictions);
    }
}

/// A typed cache: see the crate documentation.
pub struct Cache<K, V> {
    config: CacheConfig,
    inner: QuickCache<K, Entry<V>, ByBytes, DefaultHashBuilder, CountEvictions>,
    counters: Arc<Counters>,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("config", &self.config).finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone, V: Clone + Weigh> Cache<K, V> {
    pub fn new(config: CacheConfig) -> Self {
        let counters = Arc::new(Counters::default());
        // The item estimate only sizes the table up front: one entry per KiB of bound.
        let estimated_items = usize::try_from(config.max_bytes / 1024).unwrap_or(1).max(16);
        let inner = QuickCache::with(
            estimated_items,
            config.max_bytes,
            ByBytes,
            DefaultHashBuilder::default(),
            CountEvictions(Arc::clone(&counters)),
        );
        Self { config, inner, counters }
    }

    pub fn config(&self) -> CacheConfig {
        self.config
    }

    fn fresh(&self, entry: &Entry<V>) -> bool {
        entry.stored.elapsed() < self.config.ttl
    }

    /// The value of `key` when it is cached and fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        match self.inner.get(key) {
            Some(entry) if self.fresh(&entry) => {
                bump(&self.counters.hits);
                Some(entry.value)
            }
            Some(_) => {
                bump(&self.counters.misses);
                bump(&self.counters.expired);
                self.inner.remove(key);
                None
            }
            None => {
                bump(&self.counters.misses);
                None
            }
        }
    }

    /// The value of `key`: from the cache when fresh, else from `load`, which runs once however
    /// many callers miss the key at the same time (they wait for its value). A load that fails
    /// returns its error to its caller and caches nothing.
    pub async fn get_or_load<E, F, Fut>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let mut load = Some(load);
        loop {
            match self.inner.get_value_or_guard_async(key).await {
                Ok(entry) if self.fresh(&entry) => {
                    bump(&self.counters.hits);
                    return Ok(entry.value);
                }
                Ok(_) => {
                    // Stale: drop it and race for the placeholder like any miss.
                    bump(&self.counters.expired);
                    self.inner.remove(key);
                }
                Err(guard) => {
                    bump(&self.counters.misses);
                    bump(&self.counters.loads);
                    let Some(load) = load.take() else {
                        unreachable!("a caller holds the placeholder guard at most once");
                    };
                    let value = load().await?;
                    // The guard's insert fails only when the entry was replaced meanwhile;
                    // this caller still gets the value it loaded.
                    let _ = guard.insert(Entry { value: value.clone(), stored: Instant::now() });
                    return Ok(value);
                }
            }
        }
    }

    /// Stores `value` for `key` now (a warm-up, or a value a write just computed).
    pub fn insert(&self, key: K, value: V) {
        self.inner.insert(key, Entry { value, stored: Instant::now() });
    }

    /// Drops `key`'s entry.
    pub fn invalidate(&self, key: &K) {
        if self.inner.remove(key).is_some() {
            bump(&self.counters.invalidations);
        }
    }

    /// Bytes the entries occupy, as weighed.
    pub fn weight(&self) -> u64 {
        self.inner.weight()
    }

    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }

    pub fn stats(&self) -> CacheStats {
        let read = |it: &AtomicU64| it.load(Ordering::Relaxed);
        let c = &self.counters;
        CacheStats {
            hits: read(&c.hits),
            misses: read(&c.misses),
            expired: read(&c.expired),
            evictions: read(&c.evictions),
            loads: read(&c.loads),
            invalidations: read(&c.invalidations),
        }
    }
}

/// Per-user generation numbers: put the user's current one in every key of theirs, and bump it
/// to retire all of their entries at once. A number per user who ever wrote (16 bytes each).
#[derive(Debug, Default)]
pub struct Generations {
    current: RwLock<HashMap<i64, u64>>,
}

impl Generations {
    pub fn new() -> Self {
        Self::default()
    }

    /// The user's current generation (0 until their first bump).
    pub fn of(&self, user: i64) -> u64 {
        let map = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&user).copied().unwrap_or(0)
    }

    /// Retires every entry keyed with the user's current generation; returns the new one.
    pub fn bump(&self, user: i64) -> u64 {
        let mut map = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = map.get(&user).map_or(1, |it| it + 1);
        map.insert(user, next);
        next
    }
}

#[cfg(test)]
mod tests;
