//! The GraphQL schema: the gateway's own types (converted from the services' views) and resolvers.
//!
//! Every resolver starts with `caller(ctx)`, the one choke point that yields the authenticated user
//! (or `UNAUTHENTICATED`) and the services; every service call is scoped to that user, so another
//! user's ids answer `NOT_FOUND` exactly like ids that do not exist.
//!
//! - `units`: the API's enums (units, ranges, set types) and the one place derived weights are
//!   converted and rounded for a person to read.
//! - `paging`: cursor connections over the services' keyset pages.
//! - `types`: output types and their conversions from the services' views.
//! - `query`, `mutation`: the roots; `progress` holds the progress pages' queries, merged into
//!   the query root; `wellness` the check-ins and
//!   `lifts` the key lifts, plateaus, milestones and forecasts, each merged into both roots.

mod lifts;
mod mutation;
mod paging;
mod progress;
mod query;
mod types;
mod units;
mod wellness;
mod whoop;

use std::ops::RangeInclusive;
use std::sync::Arc;

use ::query::{Db, UserId};
use async_graphql::{
    Context, CustomValidator, EmptySubscription, ID, InputType, InputValueError, Result, Schema,
};
use chrono::{DateTime, Utc};

use crate::error::{ErrorCode, OrClient, client_error, to_client};
use crate::limits::Limits;
use crate::loaders::{Batched, LoaderOf};

pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use units::{SetType, TimeRange, WeightUnit};

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The authenticated user of a request (absent when the request carried no valid token).
#[derive(Debug, Clone, Copy)]
pub struct Viewer(pub UserId);

/// Where resolvers read "now" from: the system clock, or a fixed instant (tests, replays), so
/// that "today" and every range relative to it are reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Fixed(at) => at,
        }
    }
}

/// Builds the schema with every limit from `limits`; introspection is off in production.
pub fn build_schema(db: Db, limits: &Limits, clock: Clock) -> AppSchema {
    let mut builder =
        Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
            .data(db)
            .data(clock)
            .limit_depth(limits.max_depth)
            .limit_complexity(limits.max_complexity)
            .limit_recursive_depth(limits.max_recursion)
            .limit_directives(limits.max_directives)
            .extension(crate::monitor::FieldTimer);
    if limits.production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The choke point: the calling user and the services, or `UNAUTHENTICATED`.
fn caller<'a>(ctx: &Context<'a>) -> Result<(UserId, &'a Db)> {
    let viewer = ctx
        .data_opt::<Viewer>()
        .ok_or_else(|| client_error(ctx, ErrorCode::Unauthenticated, "authentication required"))?;
    let db =
        ctx.data::<Db>().map_err(|_| client_error(ctx, ErrorCode::Internal, "internal error"))?;
    Ok((viewer.0, db))
}

/// The instant the request is served at.
fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    ctx.data_opt::<Clock>().copied().unwrap_or_default().now()
}

/// The rows `B` holds for `parent`, batched with every other parent the request asks about.
async fn children_of<B: Batched>(ctx: &Context<'_>, parent: i64) -> Result<Arc<[B::Row]>> {
    caller(ctx)?;
    let loader = ctx
        .data::<LoaderOf<B>>()
        .map_err(|_| client_error(ctx, ErrorCode::Internal, "internal error"))?;
    let rows = loader.load_one(parent).await.map_err(|err| to_client(ctx, &err))?;
    Ok(rows.unwrap_or_else(|| Arc::from([])))
}

/// An id argument as the services' integer key, or `BAD_USER_INPUT` naming `field`.
fn parse_id(ctx: &Context<'_>, field: &str, id: &ID) -> Result<i64> {
    id.parse::<i64>()
        .map_err(|_| client_error(ctx, ErrorCode::BadUserInput, format!("{field}: must be an id")))
}

/// An optional id argument, parsed like `parse_id`.
fn parse_opt_id(ctx: &Context<'_>, field: &str, id: Option<&ID>) -> Result<Option<i64>> {
    id.map(|it| parse_id(ctx, field, it)).transpose()
}

/// An integer argument within a range of `domain::Limits`.
struct Within(RangeInclusive<i32>);

impl CustomValidator<i32> for Within {
    fn check(&self, value: &i32) -> Result<(), InputValueError<i32>> {
        if self.0.contains(value) {
            Ok(())
        } else {
            Err(InputValueError::custom(format!(
                "must be between {} and {}",
                self.0.start(),
                self.0.end()
            )))
        }
    }
}

/// A list argument of at most a `domain::Limits` count of items.
struct AtMost(usize);

impl<T: InputType> CustomValidator<Vec<T>> for AtMost {
    fn check(&self, value: &Vec<T>) -> Result<(), InputValueError<Vec<T>>> {
        if value.len() <= self.0 {
            Ok(())
        } else {
            Err(InputValueError::custom(format!("at most {} items", self.0)))
        }
    }
}

/// The unit to answer in and the user's local "today", from one read of the user's row.
async fn unit_and_today(
    ctx: &Context<'_>,
    db: &Db,
    user: UserId,
    requested: Option<WeightUnit>,
) -> Result<(domain::WeightUnit, chrono::NaiveDate)> {
    let viewer = ::query::users::viewer(db, user).await.or_client(ctx)?;
    let unit = requested.map_or(viewer.default_weight_unit, Into::into);
    Ok((unit, domain::local_date(now(ctx), viewer.timezone)))
}

/// The unit to answer in: the requested one, else the user's preferred one.
async fn answer_unit(
    ctx: &Context<'_>,
    db: &Db,
    user: UserId,
    requested: Option<WeightUnit>,
) -> Result<domain::WeightUnit> {
    if let Some(unit) = requested {
        return Ok(unit.into());
    }
    Ok(::query::users::viewer(db, user).await.or_client(ctx)?.default_weight_unit)
}
