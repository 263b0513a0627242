//! Phase 0: the original's wellness check-ins and its plateau/milestone tables (key lifts,
//! plateaus, milestones and their achievements, PR forecasts).
//!
//! Kept from the original: the tables, their meaning and their uniqueness — one check-in per
//! (user, workout), one key lift per (user, master exercise), one achievement per (user,
//! milestone), one milestone per (user, exercise, type, target). Changed: every value a query
//! reads is a typed column, not JSON text — the check-in's WHOOP snapshot (`whoop_data`), a
//! plateau's confidence (`metadata.confidenceLevel`), a forecast's trajectory and current e1RM
//! (`metadata`), an achievement's workout. The foreign keys the original declared only in SQL
//! (naming a table that does not exist) point at `master_exercises` here. At most one plateau per
//! (user, exercise) is active, enforced by a partial unique index (both backends have them).
//! Weights are kilograms.
//!
//! It sits in phase 0, before the index migration, because these tables hold data: rolling back
//! past it would lose it (`TABLE_CREATING_STEPS`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, date, double, double_null, integer,
    string, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

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

#[derive(DeriveIden)]
enum MasterExercises {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WellnessData {
    Table,
    Id,
    UserId,
    SessionId,
    Date,
    EnergyLevel,
    SleepQuality,
    DeviceTimezone,
    SubmittedAt,
    HasWhoopData,
    WhoopRecoveryScore,
    WhoopSleepPerformance,
    WhoopHrvMs,
    WhoopHrvBaselineMs,
    WhoopRhrBpm,
    WhoopRhrBaselineBpm,
    WhoopYesterdayStrain,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum KeyLifts {
    Table,
    Id,
    UserId,
    MasterExerciseId,
    IsTracking,
    MaintenanceMode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Plateaus {
    Table,
    Id,
    UserId,
    MasterExerciseId,
    StalledWeightKg,
    StalledReps,
    SessionCount,
    Status,
    Confidence,
    DetectedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Milestones {
    Table,
    Id,
    UserId,
    MasterExerciseId,
    MilestoneType,
    TargetValue,
    TargetMultiplier,
    IsSystemDefault,
    IsCustomized,
    ExperienceLevel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MilestoneAchievements {
    Table,
    Id,
    UserId,
    MilestoneId,
    SessionId,
    AchievedValue,
    AchievedAt,
}

#[derive(DeriveIden)]
enum PrForecasts {
    Table,
    Id,
    UserId,
    MasterExerciseId,
    CurrentOneRmKg,
    ForecastedWeightKg,
    EstimatedWeeksLow,
    EstimatedWeeksHigh,
    ConfidencePercent,
    Trajectory,
    SessionsUsed,
    WhoopRecoveryFactor,
    CalculatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn user_fk(name: &str, table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    fk(name, (table, column), (Users::Table, Users::Id), ForeignKeyAction::Cascade)
}

fn master_fk(name: &str, table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    fk(
        name,
        (table, column),
        (MasterExercises::Table, MasterExercises::Id),
        ForeignKeyAction::Cascade,
    )
}

fn unique(name: &str, table: impl IntoIden, columns: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).unique().to_owned();
    for column in columns {
        index.col(column);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use KeyLifts as K;
        use MilestoneAchievements as A;
        use Milestones as M;
        use Plateaus as P;
        use PrForecasts as F;
        use WellnessData as W;
        m.create_table(
            Table::create()
                .table(W::Table)
                .col(big_pk_auto(W::Id))
                .col(big_integer(W::UserId))
                .col(big_integer(W::SessionId))
                .col(date(W::Date))
                .col(integer(W::EnergyLevel))
                .col(integer(W::SleepQuality))
                .col(string(W::DeviceTimezone))
                .col(timestamp_with_time_zone(W::SubmittedAt))
                .col(boolean(W::HasWhoopData).default(false))
                .col(double_null(W::WhoopRecoveryScore))
                .col(double_null(W::WhoopSleepPerformance))
                .col(double_null(W::WhoopHrvMs))
                .col(double_null(W::WhoopHrvBaselineMs))
                .col(double_null(W::WhoopRhrBpm))
                .col(double_null(W::WhoopRhrBaselineBpm))
                .col(double_null(W::WhoopYesterdayStrain))
                .col(text_null(W::Notes))
                .col(timestamp_with_time_zone(W::CreatedAt))
                .col(timestamp_with_time_zone(W::UpdatedAt))
                .foreign_key(&mut user_fk("fk_wellness_user", W::Table, W::UserId))
                .foreign_key(&mut fk(
                    "fk_wellness_session",
                    (W::Table, W::SessionId),
                    (WorkoutSessions::Table, WorkoutSessions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "wellness_data_user_session_idx",
            W::Table,
            vec![W::UserId.into_iden(), W::SessionId.into_iden()],
        ))
        .await?;
        m.create_index(
            Index::create()
                .name("wellness_data_user_date_idx")
                .table(W::Table)
                .col(W::UserId)
                .col(W::Date)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(K::Table)
                .col(big_pk_auto(K::Id))
                .col(big_integer(K::UserId))
                .col(big_integer(K::MasterExerciseId))
                .col(boolean(K::IsTracking).default(true))
                .col(boolean(K::MaintenanceMode).default(false))
                .col(timestamp_with_time_zone(K::CreatedAt))
                .col(timestamp_with_time_zone(K::UpdatedAt))
                .foreign_key(&mut user_fk("fk_key_lifts_user", K::Table, K::UserId))
                .foreign_key(&mut master_fk("fk_key_lifts_master", K::Table, K::MasterExerciseId))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "key_lifts_user_master_idx",
            K::Table,
            vec![K::UserId.into_iden(), K::MasterExerciseId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(P::Table)
                .col(big_pk_auto(P::Id))
                .col(big_integer(P::UserId))
                .col(big_integer(P::MasterExerciseId))
                .col(double(P::StalledWeightKg))
                .col(integer(P::StalledReps))
                .col(integer(P::SessionCount))
                .col(string(P::Status))
                .col(string(P::Confidence))
                .col(timestamp_with_time_zone(P::DetectedAt))
                .col(timestamp_with_time_zone_null(P::ResolvedAt))
                .foreign_key(&mut user_fk("fk_plateaus_user", P::Table, P::UserId))
                .foreign_key(&mut master_fk("fk_plateaus_master", P::Table, P::MasterExerciseId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("plateaus_user_detected_idx")
                .table(P::Table)
                .col(P::UserId)
                .col(P::DetectedAt)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX plateaus_one_active_idx ON plateaus (user_id, master_exercise_id) \
                 WHERE status = 'active'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(M::Table)
                .col(big_pk_auto(M::Id))
                .col(big_integer(M::UserId))
                .col(big_integer(M::MasterExerciseId))
                .col(string(M::MilestoneType))
                .col(double(M::TargetValue))
                .col(double_null(M::TargetMultiplier))
                .col(boolean(M::IsSystemDefault).default(false))
                .col(boolean(M::IsCustomized).default(false))
                .col(string(M::ExperienceLevel))
                .col(timestamp_with_time_zone(M::CreatedAt))
                .foreign_key(&mut user_fk("fk_milestones_user", M::Table, M::UserId))
                .foreign_key(&mut master_fk("fk_milestones_master", M::Table, M::MasterExerciseId))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "milestones_user_target_idx",
            M::Table,
            vec![
                M::UserId.into_iden(),
                M::MasterExerciseId.into_iden(),
                M::MilestoneType.into_iden(),
                M::TargetValue.into_iden(),
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(A::Table)
                .col(big_pk_auto(A::Id))
                .col(big_integer(A::UserId))
                .col(big_integer(A::MilestoneId))
                .col(big_integer_null(A::SessionId))
                .col(double(A::AchievedValue))
                .col(timestamp_with_time_zone(A::AchievedAt))
                .foreign_key(&mut user_fk("fk_achievements_user", A::Table, A::UserId))
                .foreign_key(&mut fk(
                    "fk_achievements_milestone",
                    (A::Table, A::MilestoneId),
                    (M::Table, M::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_achievements_session",
                    (A::Table, A::SessionId),
                    (WorkoutSessions::Table, WorkoutSessions::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "milestone_achievements_user_milestone_idx",
            A::Table,
            vec![A::UserId.into_iden(), A::MilestoneId.into_iden()],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(F::Table)
                .col(big_pk_auto(F::Id))
                .col(big_integer(F::UserId))
                .col(big_integer(F::MasterExerciseId))
                .col(double(F::CurrentOneRmKg))
                .col(double(F::ForecastedWeightKg))
                .col(integer(F::EstimatedWeeksLow))
                .col(integer(F::EstimatedWeeksHigh))
                .col(integer(F::ConfidencePercent))
                .col(string(F::Trajectory))
                .col(integer(F::SessionsUsed))
                .col(double_null(F::WhoopRecoveryFactor))
                .col(timestamp_with_time_zone(F::CalculatedAt))
                .foreign_key(&mut user_fk("fk_pr_forecasts_user", F::Table, F::UserId))
                .foreign_key(&mut master_fk(
                    "fk_pr_forecasts_master",
                    F::Table,
                    F::MasterExerciseId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "pr_forecasts_user_master_idx",
            F::Table,
            vec![F::UserId.into_iden(), F::MasterExerciseId.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PrForecasts::Table.into_iden(),
            MilestoneAchievements::Table.into_iden(),
            Milestones::Table.into_iden(),
            Plateaus::Table.into_iden(),
            KeyLifts::Table.into_iden(),
            WellnessData::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
