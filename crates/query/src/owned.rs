//! The one ownership check every write goes through: a row of `table` with `id` owned by the
//! user, or `NotFound` (another user's row and a missing row are indistinguishable).

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

use crate::{QueryError, UserId};

/// The user-owned tables writes address by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owned {
    Workout,
    Template,
    TemplateExercise,
    MasterExercise,
}

impl Owned {
    fn table(self) -> &'static str {
        match self {
            Self::Workout => "workout_sessions",
            Self::Template => "workout_templates",
            Self::TemplateExercise => "template_exercises",
            Self::MasterExercise => "master_exercises",
        }
    }

    fn entity(self) -> &'static str {
        match self {
            Self::Workout => "workout",
            Self::Template => "template",
            Self::TemplateExercise => "template exercise",
            Self::MasterExercise => "master exercise",
        }
    }

    fn not_found(self, id: i64) -> QueryError {
        QueryError::NotFound { entity: self.entity(), id }
    }
}

#[derive(Debug, FromQueryResult)]
struct Found {
    #[expect(dead_code, reason = "only the row's presence matters")]
    id: i64,
}

/// Fails with `NotFound` unless row `id` of `kind` exists and belongs to `user`.
pub(crate) async fn ensure_owned<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    kind: Owned,
    id: i64,
) -> Result<(), QueryError> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!("SELECT id FROM {} WHERE id = $1 AND user_id = $2", kind.table()),
        [id.into(), user.0.into()],
    );
    Found::find_by_statement(stmt).one(conn).await?.map(|_| ()).ok_or_else(|| kind.not_found(id))
}

/// Deletes row `id` of `kind` if it belongs to `user` (cascading to what it owns), else `NotFound`.
pub(crate) async fn delete_owned<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    kind: Owned,
    id: i64,
) -> Result<(), QueryError> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!("DELETE FROM {} WHERE id = $1 AND user_id = $2", kind.table()),
        [id.into(), user.0.into()],
    );
    if conn.execute_raw(stmt).await?.rows_affected() == 0 {
        return Err(kind.not_found(id));
    }
    Ok(())
}
