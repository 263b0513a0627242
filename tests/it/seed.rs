//! Seeding: deterministic, backend-independent, and independent of how writes are chunked.

use datagen::SeedConfig;
use sea_orm::ConnectionTrait;
use test_support::{TestDb, backend_tests};

use crate::{seed_into, small_seed};

#[tokio::test]
async fn same_seed_gives_the_same_checksum_on_both_backends() {
    let config = small_seed(42);
    let first = seed_into(&TestDb::sqlite().await.db, &config).await;
    let second = seed_into(&TestDb::sqlite().await.db, &config).await;
    assert_eq!(first, second, "two SQLite seeds with the same arguments differ");
    if let Some(pg) = TestDb::postgres().await {
        assert_eq!(
            seed_into(&pg.db, &config).await,
            first,
            "PostgreSQL holds different data than SQLite"
        );
    }
    let other = seed_into(&TestDb::sqlite().await.db, &small_seed(43)).await;
    assert_ne!(other, first, "a different seed must give different data");
}

#[tokio::test]
async fn chunk_size_does_not_change_the_data() {
    let wide = small_seed(11);
    let narrow = SeedConfig { param_limit: db::ParamLimit::new(25).unwrap(), ..wide.clone() };
    let a = seed_into(&TestDb::sqlite().await.db, &wide).await;
    let b = seed_into(&TestDb::sqlite().await.db, &narrow).await;
    assert_eq!(a, b);
}

backend_tests! {
    async fn seeding_a_non_empty_database_is_refused_until_reset(t: &TestDb) {
        let config = small_seed(1);
        let before = seed_into(&t.db, &config).await;
        let err = datagen::write::prepare(&t.db, &config, false).await.unwrap_err();
        assert!(err.to_string().contains("already holds 3 users"), "{err}");
        // --reset wipes, and the same seed writes the same data again.
        datagen::write::prepare(&t.db, &config, true).await.unwrap();
        assert_eq!(datagen::inspect::row_counts(&t.db).await.unwrap().iter().map(|(_, n)| n).sum::<u64>(), 0);
        datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), before);
    }
}

#[tokio::test]
async fn postgres_sequences_continue_after_the_seed() {
    let Some(t) = TestDb::postgres().await else { return };
    seed_into(&t.db, &small_seed(2)).await;
    // An insert without an explicit id must not collide with the seeded ids.
    t.db.execute_unprepared(
        "INSERT INTO workout_sessions (user_id, workout_date, local_date, created_at, updated_at) \
         VALUES (1, now(), current_date, now(), now())",
    )
    .await
    .unwrap();
}
