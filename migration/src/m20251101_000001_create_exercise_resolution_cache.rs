//! Phase 1 (PDR §2): `exercise_resolution_cache`, what each template exercise resolves to.
//!
//! Keyed by the template exercise (its primary key, so the original's upsert that never matched a
//! unique index cannot happen again) and unique on `(user_id, template_exercise_id)`, what lookups
//! filter on. Rows die with their template exercise (cascade). Filled here from the current links;
//! the query services keep it current in the transaction of every write that changes a resolution.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, string};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ExerciseResolutionCache {
    Table,
    TemplateExerciseId,
    UserId,
    MasterExerciseId,
    ResolvedName,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TemplateExercises {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ExerciseResolutionCache::Table)
                .col(big_integer(ExerciseResolutionCache::TemplateExerciseId).primary_key())
                .col(big_integer(ExerciseResolutionCache::UserId))
                .col(big_integer_null(ExerciseResolutionCache::MasterExerciseId))
                .col(string(ExerciseResolutionCache::ResolvedName))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_exercise_resolution_cache_template_exercise")
                        .from(
                            ExerciseResolutionCache::Table,
                            ExerciseResolutionCache::TemplateExerciseId,
                        )
                        .to(TemplateExercises::Table, TemplateExercises::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_exercise_resolution_cache_user")
                        .from(ExerciseResolutionCache::Table, ExerciseResolutionCache::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("exercise_resolution_cache_user_template_exercise_idx")
                .table(ExerciseResolutionCache::Table)
                .col(ExerciseResolutionCache::UserId)
                .col(ExerciseResolutionCache::TemplateExerciseId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO exercise_resolution_cache (template_exercise_id, user_id, master_exercise_id, resolved_name) \
                 SELECT te.id, te.user_id, me.id, COALESCE(me.name, te.exercise_name) \
                 FROM template_exercises te \
                 LEFT JOIN exercise_links el ON el.template_exercise_id = te.id \
                 LEFT JOIN master_exercises me ON me.id = el.master_exercise_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ExerciseResolutionCache::Table).to_owned()).await
    }
}
