//! `user_warmup_percentages` (phase 2): a user's warm-up percentages, one row per position — the
//! JSON text `user_preferences.warmup_percentages` as columns (PDR §5), written with it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "user_warmup_percentages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// 0 for the first warm-up set.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// Percent of the working weight.
    pub percent: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
