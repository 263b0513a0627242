//! `exercise_daily_summary` (phase 2): one user's counted set lines of one resolved exercise on one
//! local date, summed. Maintained by the `aggregation` crate in the transaction of every write.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_daily_summary")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolved_exercise_name: String,
    pub session_count: i64,
    pub sets: i64,
    pub reps: i64,
    pub volume: f64,
    pub max_weight: Option<f64>,
    pub max_one_rm: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
