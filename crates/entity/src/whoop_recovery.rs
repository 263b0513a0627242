//! `whoop_recovery`: A WHOOP v2 recovery, keyed by the id of its sleep. `raw_data` is the full payload as JSON text.
//!
//! Phase 2 adds `recovery_score_tier`, derived from `recovery_score` (`domain::RecoveryTier`) and
//! written with it. It is not a field here: this model is the phase-0 row, which loads at every
//! phase.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "whoop_recovery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub whoop_recovery_id: String,
    pub cycle_id: String,
    pub date: DateTimeUtc,
    pub score_state: String,
    pub recovery_score: Option<f64>,
    pub hrv_rmssd_milli: Option<f64>,
    pub hrv_rmssd_baseline: Option<f64>,
    pub resting_heart_rate: Option<f64>,
    pub resting_heart_rate_baseline: Option<f64>,
    pub respiratory_rate: Option<f64>,
    pub respiratory_rate_baseline: Option<f64>,
    #[sea_orm(column_type = "Text")]
    pub raw_data: String,
    pub timezone_offset: String,
    pub webhook_received_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
