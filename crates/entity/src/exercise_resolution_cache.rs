//! `exercise_resolution_cache` (phase 1): what each template exercise resolves to, kept current by
//! the writes that change it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_resolution_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub template_exercise_id: i64,
    pub user_id: i64,
    pub master_exercise_id: Option<i64>,
    pub resolved_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
