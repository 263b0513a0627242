//! `whoop_workouts`: A WHOOP v2 workout. `score`, `during` and `zone_duration` are JSON text, as in the original.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq)]
#[sea_orm(table_name = "whoop_workouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub whoop_workout_id: String,
    pub start_time: DateTimeUtc,
    pub end_time: DateTimeUtc,
    pub timezone_offset: String,
    pub sport_name: String,
    pub score_state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub score: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub during: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub zone_duration: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
