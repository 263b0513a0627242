//! `rollout_flags` (phase 0): per switchable item, the percentage of users on the optimized path.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollout_flags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub item: String,
    /// 0 to 100.
    pub percent: i16,
    /// Epoch milliseconds of the last change.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
