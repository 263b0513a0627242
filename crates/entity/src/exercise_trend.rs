//! `exercise_trends` (phase 2, PDR §7): per user, resolved exercise and ISO week with an e1RM,
//! that week's best e1RM, the previous such week's, the change and the 8-week slope. Maintained
//! with the weekly summaries it is computed from.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_trends")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolved_exercise_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub week_start: Date,
    pub max_one_rm: f64,
    pub previous_max_one_rm: Option<f64>,
    pub change: Option<f64>,
    pub slope: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
