//! Phase 1 (PDR §1): index consolidation, decided from the query plans of the services' queries
//! (`cargo xtask indexes` reports the same verdicts on a live database; ARCHITECTURE.md says why).
//!
//! Dropped: exact duplicates of another index or of a unique constraint, indexes that are a
//! leading prefix of a wider one, and indexes no service query uses. Kept: indexes some query
//! plan uses and the ones that serve foreign-key actions (cascades and `SET NULL` look rows up by
//! the child column). Added: `workout_sessions (user_id, local_date)`, which turns every range
//! query (dashboard, streaks, consistency) from a scan of all the user's set lines into a seek to
//! the sessions in range. `down` restores phase 0 exactly.

use sea_orm_migration::prelude::*;

use crate::m20251001_000005_create_phase0_indexes::PHASE0_INDEXES;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Phase-0 indexes this migration drops.
pub(crate) const DROPPED: &[&str] = &[
    // session_exercises: 16 of 19 go; kept are session_id (join and cascade), template_exercise_id
    // (SET NULL and resolution refresh) and (user_id, resolved_exercise_name, session_id).
    "session_exercise_user_id_idx",
    "session_exercise_name_idx",
    "session_exercise_user_resolved_exercise_idx",
    "session_exercise_user_template_exercise_idx",
    "session_exercise_user_exercise_idx",
    "session_exercise_user_exercise_date_idx",
    "session_exercise_user_resolved_name_idx",
    "session_exercise_user_template_idx",
    "session_exercise_user_weight_idx",
    "session_exercise_user_exercise_weight_idx",
    "session_exercise_user_one_rm_idx",
    "session_exercise_user_volume_idx",
    "session_exercise_user_exercise_one_rm_idx",
    "session_exercise_user_exercise_volume_idx",
    "session_exercise_user_session_volume_one_rm_idx",
    "session_exercise_user_session_name_idx",
    // workout_sessions: a prefix of (user_id, workout_date), and a date index no query filters on.
    "workout_session_user_id_idx",
    "workout_session_workout_date_idx",
    // users, templates and exercises: prefixes, duplicates of unique constraints, unused indexes.
    "user_email_idx",
    "template_name_idx",
    "template_exercise_user_id_idx",
    "template_exercise_user_exercise_name_idx",
    "master_exercise_user_id_idx",
    "master_exercise_name_idx",
    "master_exercise_normalized_name_idx",
    "exercise_link_template_exercise_idx",
    "exercise_link_user_id_idx",
    // WHOOP: prefixes of (user_id, …) indexes and a duplicate of a unique constraint. Indexes no
    // service queries yet stay until a service shows whether it needs them.
    "whoop_recovery_user_id_idx",
    "whoop_sleep_user_id_idx",
    "whoop_cycle_user_id_idx",
    "whoop_workout_workout_id_idx",
    "whoop_workout_user_id_idx",
];

/// Indexes this migration adds: (name, table, columns).
pub(crate) const ADDED: &[(&str, &str, &[&str])] =
    &[("workout_session_user_local_date_idx", "workout_sessions", &["user_id", "local_date"])];

fn create(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for &column in columns {
        index.col(Alias::new(column));
    }
    index
}

fn phase0(name: &str) -> Result<(&'static str, &'static str, &'static [&'static str]), DbErr> {
    PHASE0_INDEXES
        .iter()
        .copied()
        .find(|(it, _, _)| *it == name)
        .ok_or_else(|| DbErr::Migration(format!("{name} is not a phase-0 index")))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &name in DROPPED {
            let (_, table, _) = phase0(name)?;
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        for &(name, table, columns) in ADDED {
            m.create_index(create(name, table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &(name, table, _) in ADDED {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        for &name in DROPPED {
            let (_, table, columns) = phase0(name)?;
            m.create_index(create(name, table, columns)).await?;
        }
        Ok(())
    }
}
