//! Phase 0: `users` and `user_preferences`.
//!
//! Users get an integer key, an external (identity-provider) id and an IANA time zone; every other
//! table's `user_id` is a foreign key to `users` (the original had none and enforced ownership only
//! in code). `user_preferences.warmup_percentages` stays JSON text, as the original stored it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_uniq, big_pk_auto, boolean, double, double_null, integer, string, string_null,
    string_uniq, text, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ExternalId,
    Email,
    DisplayName,
    Timezone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserPreferences {
    Table,
    Id,
    UserId,
    DefaultWeightUnit,
    ProgressionType,
    LinearProgressionKg,
    PercentageProgression,
    TargetWorkoutsPerWeek,
    WarmupStrategy,
    WarmupSetsCount,
    WarmupPercentages,
    WarmupRepsStrategy,
    WarmupFixedReps,
    PredictiveDefaultsEnabled,
    RightSwipeAction,
    EnableManualWellness,
    BodyweightKg,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_uniq(Users::ExternalId))
                .col(string(Users::Email))
                .col(string_null(Users::DisplayName))
                .col(string(Users::Timezone).default("UTC"))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserPreferences::Table)
                .col(big_pk_auto(UserPreferences::Id))
                .col(big_integer_uniq(UserPreferences::UserId))
                .col(string(UserPreferences::DefaultWeightUnit).default("kg"))
                .col(string(UserPreferences::ProgressionType).default("linear"))
                .col(double(UserPreferences::LinearProgressionKg).default(2.5))
                .col(double(UserPreferences::PercentageProgression).default(2.5))
                .col(double(UserPreferences::TargetWorkoutsPerWeek).default(3.0))
                .col(string(UserPreferences::WarmupStrategy).default("history"))
                .col(integer(UserPreferences::WarmupSetsCount).default(3))
                .col(text(UserPreferences::WarmupPercentages).default("[40,60,80]"))
                .col(string(UserPreferences::WarmupRepsStrategy).default("history"))
                .col(integer(UserPreferences::WarmupFixedReps).default(5))
                .col(boolean(UserPreferences::PredictiveDefaultsEnabled).default(false))
                .col(string(UserPreferences::RightSwipeAction).default("collapse_expand"))
                .col(boolean(UserPreferences::EnableManualWellness).default(false))
                .col(double_null(UserPreferences::BodyweightKg))
                .col(timestamp_with_time_zone(UserPreferences::CreatedAt))
                .col(timestamp_with_time_zone(UserPreferences::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_preferences_user")
                        .from(UserPreferences::Table, UserPreferences::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UserPreferences::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
