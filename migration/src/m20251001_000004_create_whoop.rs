//! Phase 0: the WHOOP tables and the webhook audit log, as the original had them: each WHOOP entity
//! keyed by WHOOP's id (text, unique), extracted metric columns, and the full API payload as JSON
//! text in `raw_data` (workouts keep `score`, `during` and `zone_duration` as JSON text instead).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, double_null, integer_null, string,
    string_null, string_uniq, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
#[expect(clippy::enum_variant_names, reason = "the column is named after WHOOP's id for the table")]
enum WhoopRecovery {
    Table,
    Id,
    UserId,
    WhoopRecoveryId,
    CycleId,
    Date,
    ScoreState,
    RecoveryScore,
    HrvRmssdMilli,
    HrvRmssdBaseline,
    RestingHeartRate,
    RestingHeartRateBaseline,
    RespiratoryRate,
    RespiratoryRateBaseline,
    RawData,
    TimezoneOffset,
    WebhookReceivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
#[expect(clippy::enum_variant_names, reason = "the column is named after WHOOP's id for the table")]
enum WhoopSleep {
    Table,
    Id,
    UserId,
    WhoopSleepId,
    CycleId,
    StartTime,
    EndTime,
    TimezoneOffset,
    Nap,
    ScoreState,
    SleepPerformancePercentage,
    TotalSleepTimeMilli,
    SleepEfficiencyPercentage,
    SlowWaveSleepTimeMilli,
    RemSleepTimeMilli,
    LightSleepTimeMilli,
    WakeTimeMilli,
    DisturbanceCount,
    SleepConsistencyPercentage,
    RespiratoryRate,
    SleepNeedBaselineMilli,
    RawData,
    WebhookReceivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WhoopCycles {
    Table,
    Id,
    UserId,
    WhoopCycleId,
    StartTime,
    EndTime,
    TimezoneOffset,
    ScoreState,
    DayStrain,
    Kilojoule,
    AverageHeartRate,
    MaxHeartRate,
    RawData,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WhoopWorkouts {
    Table,
    Id,
    UserId,
    WhoopWorkoutId,
    StartTime,
    EndTime,
    TimezoneOffset,
    SportName,
    ScoreState,
    Score,
    During,
    ZoneDuration,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Provider,
    EventType,
    UserId,
    ExternalUserId,
    ExternalEntityId,
    Payload,
    Headers,
    Status,
    Error,
    ProcessingTimeMs,
    ProcessedAt,
    CreatedAt,
}

fn user_fk(table: impl IntoIden, column: impl IntoIden, name: &str) -> ForeignKeyCreateStatement {
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
                .table(WhoopRecovery::Table)
                .col(big_pk_auto(WhoopRecovery::Id))
                .col(big_integer(WhoopRecovery::UserId))
                .col(string_uniq(WhoopRecovery::WhoopRecoveryId))
                .col(string(WhoopRecovery::CycleId))
                .col(timestamp_with_time_zone(WhoopRecovery::Date))
                .col(string(WhoopRecovery::ScoreState))
                .col(double_null(WhoopRecovery::RecoveryScore))
                .col(double_null(WhoopRecovery::HrvRmssdMilli))
                .col(double_null(WhoopRecovery::HrvRmssdBaseline))
                .col(double_null(WhoopRecovery::RestingHeartRate))
                .col(double_null(WhoopRecovery::RestingHeartRateBaseline))
                .col(double_null(WhoopRecovery::RespiratoryRate))
                .col(double_null(WhoopRecovery::RespiratoryRateBaseline))
                .col(text(WhoopRecovery::RawData))
                .col(string(WhoopRecovery::TimezoneOffset))
                .col(timestamp_with_time_zone_null(WhoopRecovery::WebhookReceivedAt))
                .col(timestamp_with_time_zone(WhoopRecovery::CreatedAt))
                .col(timestamp_with_time_zone(WhoopRecovery::UpdatedAt))
                .foreign_key(&mut user_fk(
                    WhoopRecovery::Table,
                    WhoopRecovery::UserId,
                    "fk_whoop_recovery_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WhoopSleep::Table)
                .col(big_pk_auto(WhoopSleep::Id))
                .col(big_integer(WhoopSleep::UserId))
                .col(string_uniq(WhoopSleep::WhoopSleepId))
                .col(string(WhoopSleep::CycleId))
                .col(timestamp_with_time_zone(WhoopSleep::StartTime))
                .col(timestamp_with_time_zone(WhoopSleep::EndTime))
                .col(string(WhoopSleep::TimezoneOffset))
                .col(boolean(WhoopSleep::Nap).default(false))
                .col(string(WhoopSleep::ScoreState))
                .col(double_null(WhoopSleep::SleepPerformancePercentage))
                .col(big_integer_null(WhoopSleep::TotalSleepTimeMilli))
                .col(double_null(WhoopSleep::SleepEfficiencyPercentage))
                .col(big_integer_null(WhoopSleep::SlowWaveSleepTimeMilli))
                .col(big_integer_null(WhoopSleep::RemSleepTimeMilli))
                .col(big_integer_null(WhoopSleep::LightSleepTimeMilli))
                .col(big_integer_null(WhoopSleep::WakeTimeMilli))
                .col(integer_null(WhoopSleep::DisturbanceCount))
                .col(double_null(WhoopSleep::SleepConsistencyPercentage))
                .col(double_null(WhoopSleep::RespiratoryRate))
                .col(big_integer_null(WhoopSleep::SleepNeedBaselineMilli))
                .col(text(WhoopSleep::RawData))
                .col(timestamp_with_time_zone_null(WhoopSleep::WebhookReceivedAt))
                .col(timestamp_with_time_zone(WhoopSleep::CreatedAt))
                .col(timestamp_with_time_zone(WhoopSleep::UpdatedAt))
                .foreign_key(&mut user_fk(
                    WhoopSleep::Table,
                    WhoopSleep::UserId,
                    "fk_whoop_sleep_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WhoopCycles::Table)
                .col(big_pk_auto(WhoopCycles::Id))
                .col(big_integer(WhoopCycles::UserId))
                .col(string_uniq(WhoopCycles::WhoopCycleId))
                .col(timestamp_with_time_zone(WhoopCycles::StartTime))
                .col(timestamp_with_time_zone_null(WhoopCycles::EndTime))
                .col(string(WhoopCycles::TimezoneOffset))
                .col(string(WhoopCycles::ScoreState))
                .col(double_null(WhoopCycles::DayStrain))
                .col(double_null(WhoopCycles::Kilojoule))
                .col(integer_null(WhoopCycles::AverageHeartRate))
                .col(integer_null(WhoopCycles::MaxHeartRate))
                .col(text(WhoopCycles::RawData))
                .col(timestamp_with_time_zone(WhoopCycles::CreatedAt))
                .col(timestamp_with_time_zone(WhoopCycles::UpdatedAt))
                .foreign_key(&mut user_fk(
                    WhoopCycles::Table,
                    WhoopCycles::UserId,
                    "fk_whoop_cycles_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WhoopWorkouts::Table)
                .col(big_pk_auto(WhoopWorkouts::Id))
                .col(big_integer(WhoopWorkouts::UserId))
                .col(string_uniq(WhoopWorkouts::WhoopWorkoutId))
                .col(timestamp_with_time_zone(WhoopWorkouts::StartTime))
                .col(timestamp_with_time_zone(WhoopWorkouts::EndTime))
                .col(string(WhoopWorkouts::TimezoneOffset))
                .col(string(WhoopWorkouts::SportName))
                .col(string(WhoopWorkouts::ScoreState))
                .col(text_null(WhoopWorkouts::Score))
                .col(text_null(WhoopWorkouts::During))
                .col(text_null(WhoopWorkouts::ZoneDuration))
                .col(timestamp_with_time_zone(WhoopWorkouts::CreatedAt))
                .col(timestamp_with_time_zone(WhoopWorkouts::UpdatedAt))
                .foreign_key(&mut user_fk(
                    WhoopWorkouts::Table,
                    WhoopWorkouts::UserId,
                    "fk_whoop_workouts_user",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookEvents::Table)
                .col(big_pk_auto(WebhookEvents::Id))
                .col(string(WebhookEvents::Provider))
                .col(string(WebhookEvents::EventType))
                .col(big_integer_null(WebhookEvents::UserId))
                .col(string_null(WebhookEvents::ExternalUserId))
                .col(string_null(WebhookEvents::ExternalEntityId))
                .col(text(WebhookEvents::Payload))
                .col(text_null(WebhookEvents::Headers))
                .col(string(WebhookEvents::Status).default("received"))
                .col(text_null(WebhookEvents::Error))
                .col(big_integer_null(WebhookEvents::ProcessingTimeMs))
                .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                .col(timestamp_with_time_zone(WebhookEvents::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_events_user")
                        .from(WebhookEvents::Table, WebhookEvents::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookEvents::Table.into_iden(),
            WhoopWorkouts::Table.into_iden(),
            WhoopCycles::Table.into_iden(),
            WhoopSleep::Table.into_iden(),
            WhoopRecovery::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
