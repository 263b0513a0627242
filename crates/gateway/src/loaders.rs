//! Per-request DataLoaders: a nested list resolves in one batched statement per level, not one per
//! parent.
//!
//! Each request of an authenticated caller gets fresh loaders bound to that caller (so a batch
//! can only ever hold the caller's rows) and without a cache (so a mutation earlier in the same
//! request is never hidden). The batched reads chunk their `IN` lists by the parameter limit.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::BatchRequest;
use async_graphql::dataloader::{DataLoader, Loader};
use query::{Db, QueryError, UserId, exercises, templates, workouts};

/// Children fetched for many parents by one service call, and the parent each row belongs to.
pub trait Batched: Send + Sync + 'static {
    type Row: Send + Sync + Clone + 'static;

    fn parent(row: &Self::Row) -> i64;

    fn fetch(
        db: &Db,
        user: UserId,
        parents: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueryError>> + Send;
}

/// The set lines of workouts, by workout id.
#[derive(Debug)]
pub struct WorkoutSets;

impl Batched for WorkoutSets {
    type Row = workouts::SetView;

    fn parent(row: &Self::Row) -> i64 {
        row.session_id
    }

    fn fetch(
        db: &Db,
        user: UserId,
        parents: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueryError>> + Send {
        workouts::sets_for(db, user, parents)
    }
}

/// The exercise lines of templates, by template id.
#[derive(Debug)]
pub struct TemplateLines;

impl Batched for TemplateLines {
    type Row = templates::TemplateExerciseView;

    fn parent(row: &Self::Row) -> i64 {
        row.template_id
    }

    fn fetch(
        db: &Db,
        user: UserId,
        parents: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueryError>> + Send {
        templates::template_lines_for(db, user, parents)
    }
}

/// The master exercise a template exercise is linked to, by template exercise id.
#[derive(Debug)]
pub struct LinkedMasters;

impl Batched for LinkedMasters {
    type Row = exercises::LinkedMaster;

    fn parent(row: &Self::Row) -> i64 {
        row.template_exercise_id
    }

    fn fetch(
        db: &Db,
        user: UserId,
        parents: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueryError>> + Send {
        exercises::linked_masters_for(db, user, parents)
    }
}

/// The template exercises linked to master exercises, by master id.
#[derive(Debug)]
pub struct MasterLinks;

impl Batched for MasterLinks {
    type Row = exercises::LinkedLine;

    fn parent(row: &Self::Row) -> i64 {
        row.master_exercise_id
    }

    fn fetch(
        db: &Db,
        user: UserId,
        parents: &[i64],
    ) -> impl Future<Output = Result<Vec<Self::Row>, QueryError>> + Send {
        exercises::lines_linked_to(db, user, parents)
    }
}

/// A loader of `B`'s rows for one caller.
#[derive(Debug)]
pub struct ChildrenOf<B> {
    db: Db,
    user: UserId,
    kind: PhantomData<fn() -> B>,
}

impl<B: Batched> Loader<i64> for ChildrenOf<B> {
    type Value = Arc<[B::Row]>;
    type Error = Arc<QueryError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = B::fetch(&self.db, self.user, keys).await.map_err(Arc::new)?;
        let mut grouped: HashMap<i64, Vec<B::Row>> = HashMap::with_capacity(keys.len());
        for row in rows {
            grouped.entry(B::parent(&row)).or_default().push(row);
        }
        Ok(grouped.into_iter().map(|(parent, rows)| (parent, Arc::from(rows))).collect())
    }
}

/// The request data a resolver asks for to load `B`'s rows.
pub type LoaderOf<B> = Arc<DataLoader<ChildrenOf<B>>>;

fn loader<B: Batched>(db: &Db, user: UserId) -> LoaderOf<B> {
    Arc::new(DataLoader::new(
        ChildrenOf { db: db.clone(), user, kind: PhantomData },
        spawn_in_request,
    ))
}

/// Spawns a batch load as a task of the request that asked for it, so its statements count for
/// that request (`monitor::REQUEST`).
fn spawn_in_request<F>(load: F) -> tokio::task::JoinHandle<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    match crate::monitor::REQUEST.try_with(Arc::clone) {
        Ok(request) => tokio::spawn(crate::monitor::REQUEST.scope(request, load)),
        Err(_) => tokio::spawn(load),
    }
}

/// Gives `batch` fresh loaders for `user`.
pub fn install(batch: BatchRequest, db: &Db, user: UserId) -> BatchRequest {
    batch
        .data(loader::<WorkoutSets>(db, user))
        .data(loader::<TemplateLines>(db, user))
        .data(loader::<LinkedMasters>(db, user))
        .data(loader::<MasterLinks>(db, user))
}
