//! Master exercises and links: create (or get), link, unlink, reject linking, link every similar
//! line, unlink all, merge, rename.
//!
//! Every write runs in one transaction that also refreshes the resolution of the template
//! exercises it touched (`resolution::refresh`): the exercise-resolution cache and the
//! denormalized names of past set lines change with the link, never later (the original let them
//! go stale).

use chrono::{DateTime, Utc};
use domain::{Limits, ValidationError, check_name, check_range, normalize_exercise_name};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, Statement, Value};

use crate::owned::{Owned, ensure_owned};
use crate::resolution::refresh;
use crate::{Db, QueryError, UserId, writes};

#[derive(Debug, FromQueryResult)]
struct Id {
    id: i64,
}

async fn exec(txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Result<u64, QueryError> {
    Ok(txn
        .execute_raw(Statement::from_sql_and_values(txn.get_database_backend(), sql, values))
        .await?
        .rows_affected())
}

/// Links a template exercise to a master exercise (replacing any link), both the user's own.
pub async fn link(
    db: &Db,
    user: UserId,
    template_exercise_id: i64,
    master_exercise_id: i64,
) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::TemplateExercise, template_exercise_id).await?;
    ensure_owned(txn, user, Owned::MasterExercise, master_exercise_id).await?;
    exec(
        txn,
        "INSERT INTO exercise_links (user_id, template_exercise_id, master_exercise_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (template_exercise_id) DO UPDATE SET master_exercise_id = excluded.master_exercise_id",
        vec![user.0.into(), template_exercise_id.into(), master_exercise_id.into(), Utc::now().into()],
    )
    .await?;
    exec(
        txn,
        "UPDATE template_exercises SET linking_rejected = $1 WHERE id = $2",
        vec![false.into(), template_exercise_id.into()],
    )
    .await?;
    refresh(db, write.schema(), txn, user, &[template_exercise_id]).await?;
    write.commit().await?;
    Ok(())
}

/// Removes a template exercise's link; with `reject`, also records that the user declined linking.
pub async fn unlink(
    db: &Db,
    user: UserId,
    template_exercise_id: i64,
    reject: bool,
) -> Result<(), QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::TemplateExercise, template_exercise_id).await?;
    exec(
        txn,
        "DELETE FROM exercise_links WHERE template_exercise_id = $1",
        vec![template_exercise_id.into()],
    )
    .await?;
    if reject {
        exec(
            txn,
            "UPDATE template_exercises SET linking_rejected = $1 WHERE id = $2",
            vec![true.into(), template_exercise_id.into()],
        )
        .await?;
    }
    refresh(db, write.schema(), txn, user, &[template_exercise_id]).await?;
    write.commit().await?;
    Ok(())
}

/// The user's template exercises linked to `master_exercise_id`.
async fn linked_to(
    txn: &DatabaseTransaction,
    user: UserId,
    master_exercise_id: i64,
) -> Result<Vec<i64>, QueryError> {
    let stmt = Statement::from_sql_and_values(
        txn.get_database_backend(),
        super::read::LINKED_TO,
        [user.0.into(), master_exercise_id.into()],
    );
    Ok(Id::find_by_statement(stmt).all(txn).await?.into_iter().map(|it| it.id).collect())
}

/// Moves every link of `source` to `target`, then deletes `source`.
pub async fn merge(db: &Db, user: UserId, source: i64, target: i64) -> Result<(), QueryError> {
    if source == target {
        return Err(invalid("targetId", "must differ from sourceId"));
    }
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::MasterExercise, source).await?;
    ensure_owned(txn, user, Owned::MasterExercise, target).await?;
    let moved = linked_to(txn, user, source).await?;
    exec(
        txn,
        "UPDATE exercise_links SET master_exercise_id = $1 WHERE user_id = $2 AND master_exercise_id = $3",
        vec![target.into(), user.0.into(), source.into()],
    )
    .await?;
    exec(
        txn,
        "DELETE FROM master_exercises WHERE id = $1 AND user_id = $2",
        vec![source.into(), user.0.into()],
    )
    .await?;
    refresh(db, write.schema(), txn, user, &moved).await?;
    write.commit().await?;
    Ok(())
}

/// Renames a master exercise; the new name must be unique for the user after normalization.
pub async fn rename_master(
    db: &Db,
    user: UserId,
    master_exercise_id: i64,
    name: &str,
) -> Result<(), QueryError> {
    let name = check_name("name", name).map_err(|it| ValidationError(vec![it]))?;
    let normalized = normalize_exercise_name(&name);
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::MasterExercise, master_exercise_id).await?;
    let clash = Statement::from_sql_and_values(
        txn.get_database_backend(),
        "SELECT id FROM master_exercises WHERE user_id = $1 AND normalized_name = $2 AND id <> $3",
        [user.0.into(), normalized.clone().into(), master_exercise_id.into()],
    );
    if Id::find_by_statement(clash).one(txn).await?.is_some() {
        return Err(invalid("name", "another master exercise already has this name"));
    }
    exec(
        txn,
        "UPDATE master_exercises SET name = $1, normalized_name = $2, updated_at = $3 WHERE id = $4",
        vec![name.into(), normalized.into(), Utc::now().into(), master_exercise_id.into()],
    )
    .await?;
    let linked = linked_to(txn, user, master_exercise_id).await?;
    refresh(db, write.schema(), txn, user, &linked).await?;
    write.commit().await?;
    Ok(())
}

use super::read::{LinkCandidate, MasterView, similar_to};

/// The user's master exercise of `name` (compared normalized), created when there is none: the
/// master and whether this call created it. A `muscle_group` is stored only on creation.
pub async fn create_master(
    db: &Db,
    user: UserId,
    name: &str,
    muscle_group: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(MasterView, bool), QueryError> {
    let mut found = Vec::new();
    let name = check_name("name", name).map_err(|it| found.push(it)).ok();
    let muscle_group = muscle_group
        .map(|it| check_name("muscleGroup", it))
        .transpose()
        .map_err(|it| found.push(it))
        .ok()
        .flatten();
    let Some(name) = name.filter(|_| found.is_empty()) else {
        return Err(ValidationError(found).into());
    };
    let normalized = normalize_exercise_name(&name);
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let find = || {
        MasterView::find_by_statement(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT id, name, muscle_group FROM master_exercises WHERE user_id = $1 AND normalized_name = $2",
            [user.0.into(), normalized.clone().into()],
        ))
        .one(txn)
    };
    if let Some(master) = find().await? {
        return Ok((master, false));
    }
    // A concurrent create of the same name (PostgreSQL) ends in the unique index: get its row.
    let inserted = MasterView::find_by_statement(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "INSERT INTO master_exercises (user_id, name, normalized_name, muscle_group, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, normalized_name) DO NOTHING RETURNING id, name, muscle_group",
        [user.0.into(), name.into(), normalized.clone().into(), muscle_group.into(), now.into()],
    ))
    .one(txn)
    .await?;
    let Some(created) = inserted else {
        let master = find().await?.ok_or(QueryError::Unavailable("master exercise vanished"))?;
        return Ok((master, false));
    };
    write.commit().await?;
    Ok((created, true))
}

/// Links every unlinked template exercise of the user whose name is at least
/// `minimum_similarity` like the master's (`domain::name_similarity`), except those the user
/// refused to link; returns how many were linked.
pub async fn link_similar(
    db: &Db,
    user: UserId,
    master_exercise_id: i64,
    minimum_similarity: f64,
    now: DateTime<Utc>,
) -> Result<u64, QueryError> {
    check_range("minimumSimilarity", minimum_similarity, &Limits::SIMILARITY)
        .map_err(|it| ValidationError(vec![it]))?;
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    let master = MasterView::find_by_statement(Statement::from_sql_and_values(
        txn.get_database_backend(),
        super::read::MASTER_BY_ID,
        [user.0.into(), master_exercise_id.into()],
    ))
    .one(txn)
    .await?
    .ok_or(QueryError::NotFound { entity: "master exercise", id: master_exercise_id })?;
    let unlinked = LinkCandidate::find_by_statement(Statement::from_sql_and_values(
        txn.get_database_backend(),
        super::read::UNLINKED,
        [user.0.into(), false.into()],
    ))
    .all(txn)
    .await?;
    let chosen: Vec<i64> = similar_to(&master, unlinked, minimum_similarity)
        .into_iter()
        .map(|it| it.template_exercise_id)
        .collect();
    for id in &chosen {
        exec(
            txn,
            "INSERT INTO exercise_links (user_id, template_exercise_id, master_exercise_id, created_at) VALUES ($1, $2, $3, $4)",
            vec![user.0.into(), (*id).into(), master_exercise_id.into(), now.into()],
        )
        .await?;
    }
    refresh(db, write.schema(), txn, user, &chosen).await?;
    write.commit().await?;
    Ok(u64::try_from(chosen.len()).unwrap_or(u64::MAX))
}

/// Removes every link to one of the user's master exercises (the master stays); returns how
/// many lines were unlinked.
pub async fn unlink_all(db: &Db, user: UserId, master_exercise_id: i64) -> Result<u64, QueryError> {
    let write = writes::begin(db, user).await?;
    let txn: &DatabaseTransaction = &write;
    ensure_owned(txn, user, Owned::MasterExercise, master_exercise_id).await?;
    let unlinked = linked_to(txn, user, master_exercise_id).await?;
    exec(
        txn,
        "DELETE FROM exercise_links WHERE user_id = $1 AND master_exercise_id = $2",
        vec![user.0.into(), master_exercise_id.into()],
    )
    .await?;
    refresh(db, write.schema(), txn, user, &unlinked).await?;
    write.commit().await?;
    Ok(u64::try_from(unlinked.len()).unwrap_or(u64::MAX))
}

fn invalid(field: &str, rule: &str) -> QueryError {
    QueryError::Invalid(ValidationError(vec![domain::Violation {
        field: field.to_owned(),
        rule: rule.to_owned(),
    }]))
}
