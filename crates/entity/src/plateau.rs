//! `plateaus`: a key lift's detected stall: the top set it stalled at (kg), over how many
//! workouts, `active` until resolved; at most one active per (user, master exercise).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plateaus")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub master_exercise_id: i64,
    pub stalled_weight_kg: f64,
    pub stalled_reps: i32,
    pub session_count: i32,
    /// `active` or `resolved`.
    pub status: String,
    /// `low`, `medium` or `high`.
    pub confidence: String,
    pub detected_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
