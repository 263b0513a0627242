//! `wellness_data`: a manual check-in before a workout, one per (user, workout): energy and sleep
//! quality (1–10), the device's zone, optional notes, and the WHOOP figures seen at the time as
//! columns (the original kept them as JSON text in `whoop_data`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wellness_data")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub session_id: i64,
    /// The user's local date when the check-in was submitted.
    pub date: Date,
    pub energy_level: i32,
    pub sleep_quality: i32,
    pub device_timezone: String,
    pub submitted_at: DateTimeUtc,
    pub has_whoop_data: bool,
    pub whoop_recovery_score: Option<f64>,
    pub whoop_sleep_performance: Option<f64>,
    pub whoop_hrv_ms: Option<f64>,
    pub whoop_hrv_baseline_ms: Option<f64>,
    pub whoop_rhr_bpm: Option<f64>,
    pub whoop_rhr_baseline_bpm: Option<f64>,
    pub whoop_yesterday_strain: Option<f64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
