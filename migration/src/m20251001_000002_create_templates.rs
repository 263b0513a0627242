//! Phase 0: templates, their exercise lines, per-user master exercises and the links between them.
//!
//! Fixes kept from day one: `master_exercises` is unique on `(user_id, normalized_name)` (the
//! original left uniqueness to best-effort code), and every `user_id` references `users`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_uniq, big_pk_auto, boolean, integer, string, string_null, text_null,
    timestamp_with_time_zone,
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
    UserId,
    Name,
    DedupeKey,
    WarmupConfig,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TemplateExercises {
    Table,
    Id,
    UserId,
    TemplateId,
    ExerciseName,
    OrderIndex,
    LinkingRejected,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MasterExercises {
    Table,
    Id,
    UserId,
    Name,
    NormalizedName,
    Tags,
    MuscleGroup,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExerciseLinks {
    Table,
    Id,
    UserId,
    TemplateExerciseId,
    MasterExerciseId,
    CreatedAt,
}

fn owned_by_user(
    table: impl IntoIden,
    column: impl IntoIden,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WorkoutTemplates::Table)
                .col(big_pk_auto(WorkoutTemplates::Id))
                .col(big_integer(WorkoutTemplates::UserId))
                .col(string(WorkoutTemplates::Name))
                .col(string_null(WorkoutTemplates::DedupeKey))
                .col(text_null(WorkoutTemplates::WarmupConfig))
                .col(timestamp_with_time_zone(WorkoutTemplates::CreatedAt))
                .col(timestamp_with_time_zone(WorkoutTemplates::UpdatedAt))
                .foreign_key(&mut owned_by_user(
                    WorkoutTemplates::Table,
                    WorkoutTemplates::UserId,
                    "fk_workout_templates_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TemplateExercises::Table)
                .col(big_pk_auto(TemplateExercises::Id))
                .col(big_integer(TemplateExercises::UserId))
                .col(big_integer(TemplateExercises::TemplateId))
                .col(string(TemplateExercises::ExerciseName))
                .col(integer(TemplateExercises::OrderIndex).default(0))
                .col(boolean(TemplateExercises::LinkingRejected).default(false))
                .col(timestamp_with_time_zone(TemplateExercises::CreatedAt))
                .foreign_key(&mut owned_by_user(
                    TemplateExercises::Table,
                    TemplateExercises::UserId,
                    "fk_template_exercises_user",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_template_exercises_template")
                        .from(TemplateExercises::Table, TemplateExercises::TemplateId)
                        .to(WorkoutTemplates::Table, WorkoutTemplates::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MasterExercises::Table)
                .col(big_pk_auto(MasterExercises::Id))
                .col(big_integer(MasterExercises::UserId))
                .col(string(MasterExercises::Name))
                .col(string(MasterExercises::NormalizedName))
                .col(string_null(MasterExercises::Tags))
                .col(string_null(MasterExercises::MuscleGroup))
                .col(timestamp_with_time_zone(MasterExercises::CreatedAt))
                .col(timestamp_with_time_zone(MasterExercises::UpdatedAt))
                .foreign_key(&mut owned_by_user(
                    MasterExercises::Table,
                    MasterExercises::UserId,
                    "fk_master_exercises_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("master_exercise_user_normalized_idx")
                .table(MasterExercises::Table)
                .col(MasterExercises::UserId)
                .col(MasterExercises::NormalizedName)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExerciseLinks::Table)
                .col(big_pk_auto(ExerciseLinks::Id))
                .col(big_integer(ExerciseLinks::UserId))
                .col(big_integer_uniq(ExerciseLinks::TemplateExerciseId))
                .col(big_integer(ExerciseLinks::MasterExerciseId))
                .col(timestamp_with_time_zone(ExerciseLinks::CreatedAt))
                .foreign_key(&mut owned_by_user(
                    ExerciseLinks::Table,
                    ExerciseLinks::UserId,
                    "fk_exercise_links_user",
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_exercise_links_template_exercise")
                        .from(ExerciseLinks::Table, ExerciseLinks::TemplateExerciseId)
                        .to(TemplateExercises::Table, TemplateExercises::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_exercise_links_master_exercise")
                        .from(ExerciseLinks::Table, ExerciseLinks::MasterExerciseId)
                        .to(MasterExercises::Table, MasterExercises::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExerciseLinks::Table.into_iden(),
            MasterExercises::Table.into_iden(),
            TemplateExercises::Table.into_iden(),
            WorkoutTemplates::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
