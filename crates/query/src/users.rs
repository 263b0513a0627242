//! The calling user: profile, time zone and preferred unit.

use domain::{UserTimeZone, WeightUnit};
use sea_orm::FromQueryResult;

use crate::sql::stmt;
use crate::{Db, QueryError, UserId};

pub(crate) const VIEWER: &str = "SELECT u.id AS id, u.email AS email, u.display_name AS display_name, \
     u.timezone AS timezone, COALESCE(p.default_weight_unit, 'kg') AS default_weight_unit \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1";

/// Every read of this module, by the service call that runs it (for plan inspection).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[("users.viewer", VIEWER)];

/// The calling user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: Option<String>,
    pub timezone: UserTimeZone,
    pub default_weight_unit: WeightUnit,
}

#[derive(Debug, FromQueryResult)]
struct UserRow {
    id: i64,
    email: String,
    display_name: Option<String>,
    timezone: String,
    default_weight_unit: String,
}

/// The user's profile and preferred unit; `NotFound` for an unknown id, `Corrupt` for a stored
/// zone or unit outside its domain.
pub async fn viewer(db: &Db, user: UserId) -> Result<UserView, QueryError> {
    crate::cached::viewer(db, user, || load_viewer(db, user)).await
}

async fn load_viewer(db: &Db, user: UserId) -> Result<UserView, QueryError> {
    let row = UserRow::find_by_statement(stmt(db, VIEWER, vec![user.0.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "user", id: user.0 })?;
    Ok(UserView {
        timezone: QueryError::parse_stored("users.timezone", row.timezone)?,
        default_weight_unit: QueryError::parse_stored(
            "user_preferences.default_weight_unit",
            row.default_weight_unit,
        )?,
        id: row.id,
        email: row.email,
        display_name: row.display_name,
    })
}
