//! `pr_forecasts`: the latest forecast of a master exercise's next e1RM record, one per (user,
//! master exercise): the weight (kg), a range of weeks, a confidence and the trajectory.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pr_forecasts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub master_exercise_id: i64,
    pub current_one_rm_kg: f64,
    pub forecasted_weight_kg: f64,
    pub estimated_weeks_low: i32,
    pub estimated_weeks_high: i32,
    pub confidence_percent: i32,
    /// `improving`, `stable` or `declining`.
    pub trajectory: String,
    pub sessions_used: i32,
    pub whoop_recovery_factor: Option<f64>,
    pub calculated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
