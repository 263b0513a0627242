//! Cursor connections over the services' keyset pages: one place decodes `after` and sizes a page.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Result};

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

/// The rows to fetch for a page of `first`: one more tells whether a next page exists.
pub(super) fn fetch_count(first: i32) -> u64 {
    u64::try_from(first).unwrap_or(0) + 1
}

/// A connection page of `first` from `rows` fetched with `fetch_count(first)`.
pub(super) fn page<R, C, N>(
    mut rows: Vec<R>,
    first: i32,
    has_previous: bool,
    cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> N,
) -> Connection<C, N>
where
    C: CursorType + Send + Sync,
    N: async_graphql::OutputType,
{
    let first = usize::try_from(first).unwrap_or(0);
    let has_next = rows.len() > first;
    rows.truncate(first);
    let mut res = Connection::new(has_previous, has_next);
    res.edges.extend(rows.into_iter().map(|row| Edge::new(cursor(&row), node(row))));
    res
}
