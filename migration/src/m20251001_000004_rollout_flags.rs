//! Phase 0: `rollout_flags`, the switches of the phased rollout, one row per switchable item
//! (`resolution_cache`, `dashboard`, `summaries`, `hot_columns`) with the percentage of users whose
//! requests take the optimized path. Every gateway instance reads it every second or so, so a
//! change reaches all of them without a restart. It belongs to phase 0 because the rollout needs
//! it *before* phase 1 exists: `rollout apply` writes 0 % rows before it creates a phase's tables.
//! A missing row means the item's default: on wherever the schema has its tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, small_integer, string};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum RolloutFlags {
    Table,
    Item,
    Percent,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RolloutFlags::Table)
                .col(string(RolloutFlags::Item).primary_key())
                .col(
                    small_integer(RolloutFlags::Percent)
                        .check(Expr::col(RolloutFlags::Percent).between(0, 100)),
                )
                // Epoch milliseconds of the last change.
                .col(big_integer(RolloutFlags::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RolloutFlags::Table).to_owned()).await
    }
}
