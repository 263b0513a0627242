//! Phase 1: `workout_client_keys`, the client keys of saved workouts, so that an offline queue can
//! replay `saveWorkout` without creating anything twice (the original's batch save had no such
//! guard). One row per (user, client key); it goes with its session (cascade). Rolling this
//! migration back forgets which keys were seen, never a workout.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WorkoutClientKeys {
    Table,
    UserId,
    ClientKey,
    SessionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkoutSessions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WorkoutClientKeys::Table)
                .col(big_integer(WorkoutClientKeys::UserId))
                .col(string(WorkoutClientKeys::ClientKey))
                .col(big_integer(WorkoutClientKeys::SessionId))
                .col(timestamp_with_time_zone(WorkoutClientKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(WorkoutClientKeys::UserId)
                        .col(WorkoutClientKeys::ClientKey),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_workout_client_keys_user")
                        .from(WorkoutClientKeys::Table, WorkoutClientKeys::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_workout_client_keys_session")
                        .from(WorkoutClientKeys::Table, WorkoutClientKeys::SessionId)
                        .to(WorkoutSessions::Table, WorkoutSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("workout_client_keys_session_idx")
                .table(WorkoutClientKeys::Table)
                .col(WorkoutClientKeys::SessionId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WorkoutClientKeys::Table).to_owned()).await
    }
}
