//! The exercise-name map, original vs optimized, on the million-set-line seed: the original path
//! as the original ran it (one joined statement per chunk of at most 70 ids) on the phase-0
//! schema, against the resolution cache on phase 1. Two sizes: 200 ids (the user's own first,
//! then other users', which must come back absent) and a session's 6 ids. The two paths run in
//! alternating blocks, three rounds, and the spread of the ratios is printed.
//! Needs `SWOLE_BENCH_PHASE0` / `SWOLE_BENCH_PHASE1` (defaults `data/bench0.db`,
//! `data/bench1.db`) seeded from the same arguments (see BENCHMARKS.md).

mod common;

use std::hint::black_box;

use common::{interleaved, seeded_db_url, timed};
use db::{DbConfig, ParamLimit};
use query::resolution::load_resolved_exercise_name_map;
use query::{Db, Flags, UserId};
use sea_orm::{ConnectionTrait, Statement};

const ROUNDS: usize = 3;
const CALLS: usize = 2000;

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (original, optimized, user, ids) = runtime.block_on(async {
        let open = async |url: String, phase, flags| {
            let conn = db::connect(&DbConfig::new(&url).expect("url")).await.expect("connect");
            Db::new(conn, phase, ParamLimit::D1, flags).expect("flags fit the phase")
        };
        let original = open(seeded_db_url("SWOLE_BENCH_PHASE0", "data/bench0.db"), 0, Flags::ORIGINAL).await;
        let optimized =
            open(seeded_db_url("SWOLE_BENCH_PHASE1", "data/bench1.db"), 1, Flags::for_phase(1)).await;
        let ints = async |sql: String| -> Vec<i64> {
            optimized
                .conn
                .query_all_raw(Statement::from_string(optimized.conn.get_database_backend(), sql))
                .await
                .expect("query")
                .iter()
                .map(|row| row.try_get_by_index::<i64>(0).expect("integer"))
                .collect()
        };
        let user = ints("SELECT user_id FROM template_exercises GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT 1".to_owned()).await[0];
        let ids = ints(format!("SELECT id FROM template_exercises ORDER BY CASE WHEN user_id = {user} THEN 0 ELSE 1 END, id LIMIT 200")).await;
        (original, optimized, UserId(user), ids)
    });
    for (label, ids) in [("200 ids", &ids[..]), ("a session's 6 ids", &ids[..6])] {
        let paths = [("original, phase 0", &original), ("optimized, phase 1", &optimized)];
        let labels: Vec<&str> = paths.iter().map(|p| p.0).collect();
        interleaved(&format!("name map, {label} (user {})", user.0), &labels, ROUNDS, |i| {
            let db = paths[i].1;
            timed(&runtime, CALLS, async || {
                black_box(
                    load_resolved_exercise_name_map(db, &db.conn, user, ids).await.expect("map"),
                );
            })
        });
    }
}
