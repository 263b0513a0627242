//! Phase 2 (PDR §5): hot JSON fields and derived tiers as columns, back-filled here.
//!
//! - `user_warmup_percentages` (user × position → percent): the warm-up percentages, which phase 0
//!   keeps as JSON text in `user_preferences.warmup_percentages`. A list of up to ten numbers is a
//!   child table in relational form; the JSON text stays and is written with it in one
//!   transaction, so the phase-1 read path (the rollout fallback) stays correct. `down` folds the
//!   rows back into the JSON text (compact form, `[40,60,80]`) and drops the table.
//! - `whoop_recovery.recovery_score_tier` (`low` < 34 ≤ `medium` < 67 ≤ `high`, WHOOP's bands) and
//!   `whoop_sleep.sleep_quality_tier` (`poor` < 50 ≤ `fair` < 70 ≤ `good` < 85 ≤ `excellent`, the
//!   original's bands), NULL where the score is. They are derived from a column, so `down` drops
//!   them without losing anything. The thresholds are spelled here as they were when this
//!   migration was written; `domain::RecoveryTier` and `domain::SleepQualityTier` are the runtime
//!   copy, and a test holds the two equal.
//! - `progression_type` needs nothing: unlike the original's JSON-era copy
//!   (`progression_type_enum`), it has been a validated column since phase 0.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer};
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum UserWarmupPercentages {
    Table,
    UserId,
    Position,
    Percent,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// The derived tier columns: table, column, and the CASE that computes them from their source.
const TIERS: [(&str, &str, &str); 2] = [
    (
        "whoop_recovery",
        "recovery_score_tier",
        "CASE WHEN recovery_score IS NULL THEN NULL WHEN recovery_score < 34 THEN 'low' \
         WHEN recovery_score < 67 THEN 'medium' ELSE 'high' END",
    ),
    (
        "whoop_sleep",
        "sleep_quality_tier",
        "CASE WHEN sleep_performance_percentage IS NULL THEN NULL \
         WHEN sleep_performance_percentage < 50 THEN 'poor' \
         WHEN sleep_performance_percentage < 70 THEN 'fair' \
         WHEN sleep_performance_percentage < 85 THEN 'good' ELSE 'excellent' END",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UserWarmupPercentages::Table)
                .col(big_integer(UserWarmupPercentages::UserId))
                .col(integer(UserWarmupPercentages::Position))
                .col(integer(UserWarmupPercentages::Percent))
                .primary_key(
                    Index::create()
                        .col(UserWarmupPercentages::UserId)
                        .col(UserWarmupPercentages::Position),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_warmup_percentages_user")
                        .from(UserWarmupPercentages::Table, UserWarmupPercentages::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        let conn = m.get_connection();
        conn.execute_unprepared(match m.get_database_backend() {
            DbBackend::Postgres => {
                "INSERT INTO user_warmup_percentages (user_id, position, percent) \
                 SELECT p.user_id, j.ord - 1, CAST(j.v AS INTEGER) FROM user_preferences p \
                 CROSS JOIN LATERAL jsonb_array_elements_text(CAST(p.warmup_percentages AS jsonb)) \
                 WITH ORDINALITY AS j(v, ord)"
            }
            _ => {
                "INSERT INTO user_warmup_percentages (user_id, position, percent) \
                 SELECT p.user_id, CAST(j.key AS INTEGER), CAST(j.value AS INTEGER) \
                 FROM user_preferences p, json_each(p.warmup_percentages) j"
            }
        })
        .await?;
        for (table, column, case) in TIERS {
            conn.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN {column} TEXT"))
                .await?;
            conn.execute_unprepared(&format!("UPDATE {table} SET {column} = {case}")).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        for (table, column, _) in TIERS {
            conn.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {column}")).await?;
        }
        let list = match m.get_database_backend() {
            DbBackend::Postgres => "string_agg(CAST(w.percent AS TEXT), ',' ORDER BY w.position)",
            _ => "group_concat(w.percent, ',' ORDER BY w.position)",
        };
        conn.execute_unprepared(&format!(
            "UPDATE user_preferences SET warmup_percentages = '[' || COALESCE((SELECT {list} \
             FROM user_warmup_percentages w WHERE w.user_id = user_preferences.user_id), '') || ']'"
        ))
        .await?;
        m.drop_table(Table::drop().table(UserWarmupPercentages::Table).if_exists().to_owned()).await
    }
}
