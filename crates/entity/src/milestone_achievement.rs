//! `milestone_achievements`: when a milestone was reached, with what value and in which workout;
//! one per (user, milestone).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_achievements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub milestone_id: i64,
    pub session_id: Option<i64>,
    pub achieved_value: f64,
    pub achieved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
