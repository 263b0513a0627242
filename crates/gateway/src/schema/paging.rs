//! Cursor connections over the services' keyset pages: one place decodes `after` and sizes a page.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Result};
use chrono::{DateTime, Utc};
use query::templates;

use crate::error::{ErrorCode, client_error};

/// The sort key a page starts after, from the `after` cursor a previous page handed out.
pub(super) fn decode_after<K: serde::de::DeserializeOwned + serde::Serialize>(
    ctx: &Context<'_>,
    after: Option<String>,
) -> Result<Option<K>> {
    after
        .map(|cursor| {
            OpaqueCursor::<K>::decode_cursor(&cursor).map(|it| it.0).map_err(|_| {
                client_error(ctx, ErrorCode::BadUserInput, "after: not a cursor from this list")
            })
        })
        .transpose()
}

/// A templates page's cursor: the sort key of its last template in the list's order (instants as
/// nanoseconds, which is what the database stores at most).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum TemplateCursor {
    Name(String, i64),
    Newest(i64, i64),
    LastUsed(Option<i64>, i64),
    MostUsed(i64, i64),
}

impl TemplateCursor {
    pub(super) fn from_key(key: templates::TemplateKey) -> Self {
        let nanos = |at: DateTime<Utc>| at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        match key {
            templates::TemplateKey::Name(name, id) => Self::Name(name, id),
            templates::TemplateKey::Newest(at, id) => Self::Newest(nanos(at), id),
            templates::TemplateKey::LastUsed(at, id) => Self::LastUsed(at.map(nanos), id),
            templates::TemplateKey::MostUsed(uses, id) => Self::MostUsed(uses, id),
        }
    }

    pub(super) fn into_key(self) -> templates::TemplateKey {
        match self {
            Self::Name(name, id) => templates::TemplateKey::Name(name, id),
            Self::Newest(at, id) => {
                templates::TemplateKey::Newest(DateTime::from_timestamp_nanos(at), id)
            }
            Self::LastUsed(at, id) => {
                templates::TemplateKey::LastUsed(at.map(DateTime::from_timestamp_nanos), id)
            }
            Self::MostUsed(uses, id) => templates::TemplateKey::MostUsed(uses, id),
        }
    }
}

/// The rows to fetch for a page of `first`: one more tells whether a next page exists.
pub(super) fn fetch_count(first: i32) -> u64 {
    u64::try_from(first).unwrap_or(0) + 1
}

/// A connection page of `first` from `rows` fetched with `fetch_count(first)`.
pub(super) fn page<R, C, N>(
    rows: Vec<R>,
    first: i32,
    has_previous: bool,
    cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> N,
) -> Connection<C, N>
where
    C: CursorType + Send + Sync,
    N: async_graphql::OutputType,
{
    page_with(rows, first, has_previous, EmptyFields, cursor, node)
}

/// `page` with fields of the whole list beside the edges (counts).
pub(super) fn page_with<R, C, N, F>(
    mut rows: Vec<R>,
    first: i32,
    has_previous: bool,
    fields: F,
    cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> N,
) -> Connection<C, N, F>
where
    C: CursorType + Send + Sync,
    N: async_graphql::OutputType,
    F: async_graphql::ObjectType,
{
    let first = usize::try_from(first).unwrap_or(0);
    let has_next = rows.len() > first;
    rows.truncate(first);
    let mut res = Connection::with_additional_fields(has_previous, has_next, fields);
    res.edges.extend(rows.into_iter().map(|row| Edge::new(cursor(&row), node(row))));
    res
}
