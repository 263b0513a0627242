//! Phase 0: the rest of the original's `user_preferences` fields.
//!
//! The original's preferences row held about 25 fields; the first migration created the 17 the
//! services read then. This adds the others with the original's defaults: movement-pattern
//! sharing, the recovery planner's switches (strategy, sensitivity 1–10, auto-adjust), the
//! lifter's experience level and where the bodyweight came from. The original's
//! `recoveryPlannerPreferences` (free JSON for the language-model planner, which this project
//! does not run) is not carried.
//!
//! It also corrects `warmup_reps_strategy`: the first migration defaulted it to `history`, which
//! is a warm-up *strategy*, not one of the reps strategies (`match_working`, `descending`,
//! `fixed`); rows holding it get the original's default, `match_working`. `down` drops the added
//! columns and leaves the corrected words (they are valid in every phase).
//!
//! It sits in phase 0, before the index migration, because these columns hold data: rolling back
//! past it would lose their values (`TABLE_CREATING_STEPS`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, string, string_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum UserPreferences {
    Table,
    WarmupRepsStrategy,
    EnableMovementPatternSharing,
    EnableRecoveryPlanner,
    RecoveryPlannerStrategy,
    RecoveryPlannerSensitivity,
    AutoAdjustIntensity,
    ExperienceLevel,
    BodyweightSource,
}

/// The added columns, one `ALTER TABLE` each (SQLite adds one column per statement).
fn added() -> Vec<ColumnDef> {
    vec![
        boolean(UserPreferences::EnableMovementPatternSharing).default(false).to_owned(),
        boolean(UserPreferences::EnableRecoveryPlanner).default(false).to_owned(),
        string(UserPreferences::RecoveryPlannerStrategy).default("adaptive").to_owned(),
        integer(UserPreferences::RecoveryPlannerSensitivity).default(5).to_owned(),
        boolean(UserPreferences::AutoAdjustIntensity).default(true).to_owned(),
        string(UserPreferences::ExperienceLevel).default("intermediate").to_owned(),
        string_null(UserPreferences::BodyweightSource),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for mut column in added() {
            m.alter_table(
                Table::alter().table(UserPreferences::Table).add_column(&mut column).to_owned(),
            )
            .await?;
        }
        m.exec_stmt(
            Query::update()
                .table(UserPreferences::Table)
                .value(UserPreferences::WarmupRepsStrategy, "match_working")
                .and_where(Expr::col(UserPreferences::WarmupRepsStrategy).eq("history"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in added().into_iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(UserPreferences::Table)
                    .drop_column(column.get_column_name())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
