//! Micro-benchmarks of the pure domain rules on the hot write path.

use criterion::{Criterion, criterion_group, criterion_main};
use domain::{DerivedSet, WeightUnit, e1rm_kg};
use std::hint::black_box;

fn bench_domain(c: &mut Criterion) {
    let mut group = c.benchmark_group("domain");
    group.bench_function("e1rm_kg", |b| b.iter(|| e1rm_kg(black_box(102.5), black_box(7))));
    group.bench_function("derived_set", |b| {
        b.iter(|| {
            DerivedSet::compute(black_box(Some(225.0)), WeightUnit::Lbs, black_box(Some(5)), None)
        });
    });
    group.finish();
}

criterion_group!(benches, bench_domain);
criterion_main!(benches);
