//! Phase 0: the original deployment's secondary indexes, redundancy included.
//!
//! `session_exercises` gets the 20 indexes the original had before the PDR work
//! (`original-system.md` §1.2) minus the one that cannot exist: `(user_id, date("workoutDate"),
//! exerciseName)` names a column of another table. So 19, among them four single-column indexes,
//! two exact duplicates and several prefixes of wider indexes. Phase 1 measures and removes them;
//! keeping them here is what makes phase 0 an honest baseline.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// (index name, table, columns), in the order the original declared them.
pub(crate) const PHASE0_INDEXES: &[(&str, &str, &[&str])] = &[
    ("user_email_idx", "users", &["email"]),
    ("template_user_id_idx", "workout_templates", &["user_id"]),
    ("template_name_idx", "workout_templates", &["name"]),
    ("template_exercise_user_id_idx", "template_exercises", &["user_id"]),
    ("template_exercise_template_id_idx", "template_exercises", &["template_id"]),
    (
        "template_exercise_user_template_name_idx",
        "template_exercises",
        &["user_id", "template_id", "exercise_name"],
    ),
    (
        "template_exercise_user_exercise_name_idx",
        "template_exercises",
        &["user_id", "exercise_name"],
    ),
    ("master_exercise_user_id_idx", "master_exercises", &["user_id"]),
    ("master_exercise_name_idx", "master_exercises", &["name"]),
    ("master_exercise_normalized_name_idx", "master_exercises", &["normalized_name"]),
    ("exercise_link_template_exercise_idx", "exercise_links", &["template_exercise_id"]),
    ("exercise_link_master_exercise_idx", "exercise_links", &["master_exercise_id"]),
    ("exercise_link_user_id_idx", "exercise_links", &["user_id"]),
    ("exercise_link_user_master_idx", "exercise_links", &["user_id", "master_exercise_id"]),
    ("workout_session_user_id_idx", "workout_sessions", &["user_id"]),
    ("workout_session_template_id_idx", "workout_sessions", &["template_id"]),
    ("workout_session_workout_date_idx", "workout_sessions", &["workout_date"]),
    ("workout_session_user_date_idx", "workout_sessions", &["user_id", "workout_date"]),
    // session_exercises: the six the PDR commit removed first...
    ("session_exercise_user_id_idx", "session_exercises", &["user_id"]),
    ("session_exercise_session_id_idx", "session_exercises", &["session_id"]),
    ("session_exercise_template_exercise_id_idx", "session_exercises", &["template_exercise_id"]),
    ("session_exercise_name_idx", "session_exercises", &["exercise_name"]),
    (
        "session_exercise_user_resolved_exercise_idx",
        "session_exercises",
        &["user_id", "resolved_exercise_name"],
    ),
    (
        "session_exercise_user_template_exercise_idx",
        "session_exercises",
        &["user_id", "template_exercise_id"],
    ),
    // ...and the thirteen of the fourteen at the original's HEAD that can exist.
    ("session_exercise_user_exercise_idx", "session_exercises", &["user_id", "exercise_name"]),
    (
        "session_exercise_user_exercise_date_idx",
        "session_exercises",
        &["user_id", "exercise_name", "session_id"],
    ),
    (
        "session_exercise_user_resolved_name_idx",
        "session_exercises",
        &["user_id", "resolved_exercise_name"],
    ),
    (
        "session_exercise_user_template_idx",
        "session_exercises",
        &["user_id", "template_exercise_id"],
    ),
    ("session_exercise_user_weight_idx", "session_exercises", &["user_id", "weight"]),
    (
        "session_exercise_user_exercise_weight_idx",
        "session_exercises",
        &["user_id", "exercise_name", "weight"],
    ),
    ("session_exercise_user_one_rm_idx", "session_exercises", &["user_id", "one_rm_estimate"]),
    ("session_exercise_user_volume_idx", "session_exercises", &["user_id", "volume_load"]),
    (
        "session_exercise_user_exercise_one_rm_idx",
        "session_exercises",
        &["user_id", "exercise_name", "one_rm_estimate"],
    ),
    (
        "session_exercise_user_exercise_volume_idx",
        "session_exercises",
        &["user_id", "exercise_name", "volume_load"],
    ),
    (
        "session_exercise_user_resolved_exercise_session_idx",
        "session_exercises",
        &["user_id", "resolved_exercise_name", "session_id"],
    ),
    (
        "session_exercise_user_session_volume_one_rm_idx",
        "session_exercises",
        &["user_id", "session_id", "volume_load", "one_rm_estimate"],
    ),
    (
        "session_exercise_user_session_name_idx",
        "session_exercises",
        &["user_id", "session_id", "exercise_name"],
    ),
    ("whoop_recovery_user_id_idx", "whoop_recovery", &["user_id"]),
    ("whoop_recovery_user_date_idx", "whoop_recovery", &["user_id", "date"]),
    ("whoop_recovery_user_received_idx", "whoop_recovery", &["user_id", "webhook_received_at"]),
    ("whoop_sleep_user_id_idx", "whoop_sleep", &["user_id"]),
    ("whoop_sleep_user_start_idx", "whoop_sleep", &["user_id", "start_time"]),
    ("whoop_cycle_user_id_idx", "whoop_cycles", &["user_id"]),
    ("whoop_cycle_user_start_idx", "whoop_cycles", &["user_id", "start_time"]),
    ("whoop_cycle_user_strain_idx", "whoop_cycles", &["user_id", "day_strain"]),
    ("whoop_workout_workout_id_idx", "whoop_workouts", &["whoop_workout_id"]),
    ("whoop_workout_user_id_idx", "whoop_workouts", &["user_id"]),
    ("whoop_workout_start_idx", "whoop_workouts", &["start_time"]),
    ("whoop_workout_user_start_idx", "whoop_workouts", &["user_id", "start_time"]),
    ("webhook_event_provider_idx", "webhook_events", &["provider"]),
    ("webhook_event_event_type_idx", "webhook_events", &["event_type"]),
    ("webhook_event_user_id_idx", "webhook_events", &["user_id"]),
    ("webhook_event_external_user_id_idx", "webhook_events", &["external_user_id"]),
    ("webhook_event_status_idx", "webhook_events", &["status"]),
    ("webhook_event_created_at_idx", "webhook_events", &["created_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &(name, table, columns) in PHASE0_INDEXES {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for &column in columns {
                index.col(Alias::new(column));
            }
            m.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &(name, table, _) in PHASE0_INDEXES.iter().rev() {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
