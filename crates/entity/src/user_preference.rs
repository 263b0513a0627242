//! `user_preferences`: One row of settings per user. `warmup_percentages` is JSON text; from phase 2
//! on it is also the rows of `user_warmup_percentages`, written with it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the original's preference switches, one column each"
)]
#[sea_orm(table_name = "user_preferences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    pub default_weight_unit: String,
    pub progression_type: String,
    pub linear_progression_kg: f64,
    pub percentage_progression: f64,
    pub target_workouts_per_week: f64,
    pub warmup_strategy: String,
    pub warmup_sets_count: i32,
    pub warmup_percentages: String,
    pub warmup_reps_strategy: String,
    pub warmup_fixed_reps: i32,
    pub predictive_defaults_enabled: bool,
    pub right_swipe_action: String,
    pub enable_manual_wellness: bool,
    pub bodyweight_kg: Option<f64>,
    pub enable_movement_pattern_sharing: bool,
    pub enable_recovery_planner: bool,
    pub recovery_planner_strategy: String,
    pub recovery_planner_sensitivity: i32,
    pub auto_adjust_intensity: bool,
    pub experience_level: String,
    pub bodyweight_source: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
