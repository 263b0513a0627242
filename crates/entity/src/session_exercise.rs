//! `session_exercises`: One logged set line. `weight`/`unit` are as typed; `weight_kg`, `one_rm_estimate` and `volume_load` are derived by `domain::DerivedSet`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "session_exercises")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub session_id: i64,
    pub template_exercise_id: Option<i64>,
    pub exercise_name: String,
    pub resolved_exercise_name: String,
    pub set_order: i32,
    pub set_type: String,
    pub weight: Option<f64>,
    pub unit: String,
    pub weight_kg: Option<f64>,
    pub reps: Option<i32>,
    pub sets: i32,
    pub rpe: Option<f64>,
    pub rest_seconds: Option<i32>,
    pub is_estimate: bool,
    pub is_default_applied: bool,
    pub one_rm_estimate: Option<f64>,
    pub volume_load: f64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
