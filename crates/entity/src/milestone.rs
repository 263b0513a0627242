//! `milestones`: a strength target for one master exercise: an absolute weight (kg), a multiple
//! of bodyweight, or one workout's volume (kg); system defaults or the user's own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub master_exercise_id: i64,
    /// `absolute_weight`, `bodyweight_multiplier` or `volume`.
    pub milestone_type: String,
    /// Kilograms, a bodyweight multiple, or kilograms moved in one workout.
    pub target_value: f64,
    pub target_multiplier: Option<f64>,
    pub is_system_default: bool,
    pub is_customized: bool,
    pub experience_level: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
