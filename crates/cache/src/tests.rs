//! The cache against its promises: hits and misses counted, one load for concurrent misses,
//! nothing cached from a failed load, expiry, the byte bound, and per-user retirement.

use std::sync::atomic::AtomicUsize;

use super::*;

#[derive(Debug, Clone, PartialEq)]
struct Blob(usize);

impl Weigh for Blob {
    fn weigh(&self) -> u64 {
        u64::try_from(self.0).unwrap()
    }
}

fn config(max_bytes: u64, ttl: Duration) -> CacheConfig {
    CacheConfig { name: "test", max_bytes, ttl }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

#[test]
fn a_second_read_is_a_hit_and_counted() {
    let cache: Cache<(i64, u64), Blob> = Cache::new(config(1 << 20, Duration::from_mins(1)));
    let rt = runtime();
    let loads = AtomicUsize::new(0);
    let load = || async {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>(Blob(10))
    };
    assert_eq!(rt.block_on(cache.get_or_load(&(1, 0), load)), Ok(Blob(10)));
    assert_eq!(rt.block_on(cache.get_or_load(&(1, 0), load)), Ok(Blob(10)));
    assert_eq!(cache.get(&(1, 0)), Some(Blob(10)));
    assert_eq!(cache.get(&(2, 0)), None);
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.loads), (2, 2, 1), "{stats:?}");
}

#[test]
fn concurrent_misses_of_one_key_run_one_load() {
    let cache: Arc<Cache<i64, Blob>> =
        Arc::new(Cache::new(config(1 << 20, Duration::from_mins(1))));
    let loads = Arc::new(AtomicUsize::new(0));
    let rt = runtime();
    let values = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, loads) = (Arc::clone(&cache), Arc::clone(&loads));
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load(&7, || async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(Blob(3))
                    })
                    .await
            }));
        }
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        values
    });
    assert!(values.iter().all(|it| *it == Ok(Blob(3))), "{values:?}");
    assert_eq!(loads.load(Ordering::SeqCst), 1, "one load for 32 concurrent misses");
    assert_eq!(cache.stats().loads, 1);
}

#[test]
fn a_failed_load_caches_nothing_and_the_next_caller_loads() {
    let cache: Cache<i64, Blob> = Cache::new(config(1 << 20, Duration::from_mins(1)));
    let rt = runtime();
    assert_eq!(
        rt.block_on(cache.get_or_load(&1, || async { Err::<Blob, _>("down") })),
        Err("down")
    );
    assert!(cache.is_empty());
    assert_eq!(
        rt.block_on(cache.get_or_load(&1, || async { Ok::<_, &str>(Blob(1)) })),
        Ok(Blob(1))
    );
    assert_eq!(cache.stats().loads, 2);
}

#[test]
fn entries_expire() {
    let cache: Cache<i64, Blob> = Cache::new(config(1 << 20, Duration::from_millis(30)));
    let rt = runtime();
    let load = |n| move || async move { Ok::<_, ()>(Blob(n)) };
    assert_eq!(rt.block_on(cache.get_or_load(&1, load(1))), Ok(Blob(1)));
    assert_eq!(cache.get(&1), Some(Blob(1)));
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(60)).await });
    assert_eq!(cache.get(&1), None, "stale entries are misses");
    assert_eq!(rt.block_on(cache.get_or_load(&1, load(2))), Ok(Blob(2)), "and load again");
    let stats = cache.stats();
    assert_eq!((stats.expired, stats.loads), (1, 2), "{stats:?}");
}

#[test]
fn memory_stays_within_the_byte_bound() {
    let bound = 64 * 1024;
    let cache: Cache<i64, Blob> = Cache::new(config(bound, Duration::from_mins(1)));
    for key in 0..10_000 {
        cache.insert(key, Blob(1000));
        assert!(cache.weight() <= bound, "after {key}: {} > {bound}", cache.weight());
    }
    let stats = cache.stats();
    assert!(stats.evictions > 9_000, "{stats:?}");
    assert!(cache.len() >= 30, "the bound holds about 60 entries of 1,064 bytes: {}", cache.len());
}

#[test]
fn bumping_a_generation_retires_only_that_users_entries() {
    let cache: Cache<(i64, u64, &str), Blob> = Cache::new(config(1 << 20, Duration::from_mins(1)));
    let generations = Generations::new();
    let key = |user: i64| (user, generations.of(user), "dashboard");
    cache.insert(key(1), Blob(1));
    cache.insert(key(2), Blob(2));
    assert_eq!(generations.bump(1), 1);
    assert_eq!(cache.get(&key(1)), None, "user 1's write retires their entries");
    assert_eq!(cache.get(&key(2)), Some(Blob(2)), "user 2's stay");
    assert_eq!((generations.of(1), generations.of(2)), (1, 0));
    cache.invalidate(&key(2));
    assert_eq!(cache.get(&key(2)), None);
    assert_eq!(cache.stats().invalidations, 1);
}
