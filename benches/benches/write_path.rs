//! The bulk write path: one lifter-year (about 3,000 set lines plus WHOOP rows) written in one
//! transaction through `db::insert_chunked`, into a fresh phase-0 SQLite database per iteration.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use db::{DbConfig, ParamLimit};

fn bench_write_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let data = bench::one_lifter_year(42);
    let n_rows = data.row_count();
    let mut group = c.benchmark_group("write_path");
    group.throughput(Throughput::Elements(n_rows as u64));
    group.sample_size(20);
    group.bench_function("one_lifter_year/phase0/sqlite_memory", |b| {
        b.iter_batched(
            || {
                runtime.block_on(async {
                    let db = db::connect(&DbConfig::new("sqlite::memory:").expect("url"))
                        .await
                        .expect("connect");
                    migration::migrate_to_phase(&db, 0).await.expect("migrate");
                    db
                })
            },
            |db| {
                runtime
                    .block_on(datagen::write::write_user(&db, &data, ParamLimit::D1, 0))
                    .expect("write");
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_write_path);
criterion_main!(benches);
