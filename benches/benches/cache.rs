//! Micro-benchmarks of the `cache` crate: a hit (aim ≤ 1 µs, issue 11), a hit through
//! `get_or_load`, and a miss that stores a value, on a dashboard-sized value behind an `Arc`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use cache::{Cache, CacheConfig, Weigh};
use criterion::{Criterion, criterion_group, criterion_main};

/// About what a cached dashboard holds: a few hundred dates and a few dozen exercises.
struct Answer(Vec<u8>);

impl Weigh for Answer {
    fn weigh(&self) -> u64 {
        u64::try_from(self.0.len()).unwrap_or(u64::MAX)
    }
}

fn bench_cache(c: &mut Criterion) {
    let config = CacheConfig { name: "bench", max_bytes: 64 << 20, ttl: Duration::from_mins(5) };
    let cache: Cache<(i64, u64, u8), Arc<Answer>> = Cache::new(config);
    for user in 0..1_000 {
        cache.insert((user, 0, 3), Arc::new(Answer(vec![0; 4_096])));
    }
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut group = c.benchmark_group("cache");
    group.bench_function("hit (get)", |b| {
        b.iter(|| black_box(cache.get(black_box(&(64, 0, 3)))));
    });
    group.bench_function("hit (get_or_load)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    cache
                        .get_or_load(black_box(&(64, 0, 3)), || async {
                            Ok::<_, ()>(Arc::new(Answer(Vec::new())))
                        })
                        .await,
                )
            })
        });
    });
    let mut generation = 1u64;
    group.bench_function("miss and store (get_or_load)", |b| {
        b.iter(|| {
            generation += 1;
            runtime.block_on(async {
                black_box(
                    cache
                        .get_or_load(&(64, generation, 3), || async {
                            Ok::<_, ()>(Arc::new(Answer(vec![0; 4_096])))
                        })
                        .await,
                )
            })
        });
    });
    group.finish();
}

criterion_group!(benches, bench_cache);
criterion_main!(benches);
