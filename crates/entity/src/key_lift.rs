//! `key_lifts`: the master exercises a user tracks for plateaus, milestones and forecasts, one
//! row per (user, master exercise); maintenance mode keeps a lift listed but out of detection.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_lifts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub master_exercise_id: i64,
    pub is_tracking: bool,
    pub maintenance_mode: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
