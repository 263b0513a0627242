//! `user_daily_summary` (phase 2): one user's counted set lines on one local date, summed: what the
//! dashboard's totals need. Maintained with `exercise_daily_summary`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "user_daily_summary")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_date: Date,
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
