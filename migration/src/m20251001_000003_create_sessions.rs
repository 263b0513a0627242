//! Phase 0: `workout_sessions` and `session_exercises` (one row per logged set line, the hot table).
//!
//! Beyond the original's columns, sessions carry `local_date` (the user's calendar date for the
//! instant) and set lines carry `set_type` and the canonical `weight_kg`, so no aggregate ever sums
//! kilograms with pounds or counts a warm-up. The secondary indexes come in a later phase-0 step.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, date, double, double_null, integer,
    integer_null, string, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkoutTemplates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TemplateExercises {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkoutSessions {
    Table,
    Id,
    UserId,
    TemplateId,
    WorkoutDate,
    LocalDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SessionExercises {
    Table,
    Id,
    UserId,
    SessionId,
    TemplateExerciseId,
    ExerciseName,
    ResolvedExerciseName,
    SetOrder,
    SetType,
    Weight,
    Unit,
    WeightKg,
    Reps,
    Sets,
    Rpe,
    RestSeconds,
    IsEstimate,
    IsDefaultApplied,
    OneRmEstimate,
    VolumeLoad,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WorkoutSessions::Table)
                .col(big_pk_auto(WorkoutSessions::Id))
                .col(big_integer(WorkoutSessions::UserId))
                .col(big_integer_null(WorkoutSessions::TemplateId))
                .col(timestamp_with_time_zone(WorkoutSessions::WorkoutDate))
                .col(date(WorkoutSessions::LocalDate))
                .col(timestamp_with_time_zone(WorkoutSessions::CreatedAt))
                .col(timestamp_with_time_zone(WorkoutSessions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_workout_sessions_user")
                        .from(WorkoutSessions::Table, WorkoutSessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_workout_sessions_template")
                        .from(WorkoutSessions::Table, WorkoutSessions::TemplateId)
                        .to(WorkoutTemplates::Table, WorkoutTemplates::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SessionExercises::Table)
                .col(big_pk_auto(SessionExercises::Id))
                .col(big_integer(SessionExercises::UserId))
                .col(big_integer(SessionExercises::SessionId))
                .col(big_integer_null(SessionExercises::TemplateExerciseId))
                .col(string(SessionExercises::ExerciseName))
                .col(string(SessionExercises::ResolvedExerciseName).default(""))
                .col(integer(SessionExercises::SetOrder).default(0))
                .col(string(SessionExercises::SetType).default("working"))
                .col(double_null(SessionExercises::Weight))
                .col(string(SessionExercises::Unit).default("kg"))
                .col(double_null(SessionExercises::WeightKg))
                .col(integer_null(SessionExercises::Reps))
                .col(integer(SessionExercises::Sets).default(1))
                .col(double_null(SessionExercises::Rpe))
                .col(integer_null(SessionExercises::RestSeconds))
                .col(boolean(SessionExercises::IsEstimate).default(false))
                .col(boolean(SessionExercises::IsDefaultApplied).default(false))
                .col(double_null(SessionExercises::OneRmEstimate))
                .col(double(SessionExercises::VolumeLoad).default(0.0))
                .col(timestamp_with_time_zone(SessionExercises::CreatedAt))
                .check(
                    Expr::col(SessionExercises::SetType)
                        .is_in(["warmup", "working", "drop", "failure"]),
                )
                .check(Expr::col(SessionExercises::Unit).is_in(["kg", "lbs"]))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_exercises_user")
                        .from(SessionExercises::Table, SessionExercises::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_exercises_session")
                        .from(SessionExercises::Table, SessionExercises::SessionId)
                        .to(WorkoutSessions::Table, WorkoutSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_session_exercises_template_exercise")
                        .from(SessionExercises::Table, SessionExercises::TemplateExerciseId)
                        .to(TemplateExercises::Table, TemplateExercises::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SessionExercises::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WorkoutSessions::Table).to_owned()).await
    }
}
