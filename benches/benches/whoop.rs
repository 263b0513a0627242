//! PDR §8: per-row cost of the compressed WHOOP payloads. Decompressing one stored payload
//! (zstd with its table's dictionary), decompressing and parsing it, against parsing the JSON text
//! the original stored (its read path), and compressing one (the write path's extra work).
//!
//! Self-contained: seeds 20 lifters × 26 weeks into an in-memory SQLite at the latest phase
//! (about 1,800 rows per WHOOP table, the dictionaries trained on them as the migration does),
//! then cycles through every row of each table.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, Statement};

struct Table {
    name: &'static str,
    raw: Vec<String>,
    packed: Vec<(Vec<u8>, Option<i64>)>,
}

fn load() -> (whoop::Codec, Vec<Table>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    runtime.block_on(async {
        let conn =
            db::connect(&db::DbConfig::new("sqlite::memory:").expect("url")).await.expect("db");
        let end = chrono::NaiveDate::from_ymd_opt(2025, 11, 25).expect("date");
        let config =
            datagen::SeedConfig::new(20, 26, 42, end, i64::from(migration::LATEST_PHASE), 100)
                .expect("config");
        datagen::write::prepare(&conn, &config, false).await.expect("prepare");
        datagen::write::write_all(&conn, &config, |_| {}).await.expect("seed");
        let codec = migration::whoop_codec(&conn).await.expect("codec");
        let mut tables = Vec::new();
        for name in migration::COMPACTED_WHOOP_TABLES {
            let rows = conn
                .query_all_raw(Statement::from_string(
                    conn.get_database_backend(),
                    format!("SELECT raw_zstd, raw_dict FROM {name} ORDER BY id"),
                ))
                .await
                .expect("rows");
            let mut table = Table { name, raw: Vec::new(), packed: Vec::new() };
            for row in rows {
                let bytes: Vec<u8> = row.try_get_by_index(0).expect("bytes");
                let dict: Option<i64> = row.try_get_by_index(1).expect("dict");
                table.raw.push(codec.decompress(&bytes, dict).expect("decode"));
                table.packed.push((bytes, dict));
            }
            let raw: usize = table.raw.iter().map(String::len).sum();
            let packed: usize = table.packed.iter().map(|p| p.0.len()).sum();
            eprintln!(
                "{name}: {} rows, {raw} bytes of JSON, {packed} compressed ({:.1} % smaller)",
                table.raw.len(),
                100.0 - packed as f64 * 100.0 / raw as f64
            );
            tables.push(table);
        }
        (codec, tables)
    })
}

fn bench(c: &mut Criterion) {
    let (codec, tables) = load();
    for table in &tables {
        let mut group = c.benchmark_group(format!("whoop_payload/{}", table.name));
        let n = table.raw.len();
        let mut i = 0;
        group.bench_function("decode", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                let (bytes, dict) = &table.packed[i];
                black_box(codec.decompress(black_box(bytes), *dict).expect("decode"))
            });
        });
        group.bench_function("decode_and_parse", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                let (bytes, dict) = &table.packed[i];
                let text = codec.decompress(black_box(bytes), *dict).expect("decode");
                black_box(serde_json::from_str::<serde_json::Value>(&text).expect("json"))
            });
        });
        group.bench_function("parse_original_text", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                black_box(
                    serde_json::from_str::<serde_json::Value>(black_box(&table.raw[i]))
                        .expect("json"),
                )
            });
        });
        group.bench_function("encode", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                black_box(codec.compress(table.name, black_box(&table.raw[i])).expect("encode"))
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
