//! `whoop_cycles`: A WHOOP v2 physiological cycle. `raw_data` is the full payload as JSON text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "whoop_cycles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub whoop_cycle_id: String,
    pub start_time: DateTimeUtc,
    pub end_time: Option<DateTimeUtc>,
    pub timezone_offset: String,
    pub score_state: String,
    pub day_strain: Option<f64>,
    pub kilojoule: Option<f64>,
    pub average_heart_rate: Option<i32>,
    pub max_heart_rate: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub raw_data: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
