//! Counting what is sent to the database: statements, and the most parameters any one statement
//! bound. Tests use it to prove the parameter limit holds at the connection (not by reading our
//! own code) and to count statements per GraphQL request.
//!
//! Two ways in: `Metered` wraps any `ConnectionTrait` (for code generic over the connection);
//! `meter_connection` hooks a `DatabaseConnection`'s metric callback, so code that holds the
//! concrete connection (and the transactions it opens) is counted too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::entity::prelude::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};

/// Statement and parameter counters, shared by whoever records into them.
#[derive(Debug, Default)]
pub struct StatementCounter {
    statements: AtomicUsize,
    max_params: AtomicUsize,
    total_params: AtomicUsize,
}

/// What a counter has seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meter {
    pub statements: usize,
    pub max_params: usize,
    pub total_params: usize,
}

impl StatementCounter {
    pub fn meter(&self) -> Meter {
        Meter {
            statements: self.statements.load(Ordering::Relaxed),
            max_params: self.max_params.load(Ordering::Relaxed),
            total_params: self.total_params.load(Ordering::Relaxed),
        }
    }

    /// Starts counting afresh.
    pub fn reset(&self) {
        self.statements.store(0, Ordering::Relaxed);
        self.max_params.store(0, Ordering::Relaxed);
        self.total_params.store(0, Ordering::Relaxed);
    }

    fn record(&self, n_params: usize) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.total_params.fetch_add(n_params, Ordering::Relaxed);
        self.max_params.fetch_max(n_params, Ordering::Relaxed);
    }

    fn record_statement(&self, stmt: &Statement) {
        self.record(stmt.values.as_ref().map_or(0, |it| it.0.len()));
    }
}

/// A copy of `conn` (same pool) whose every prepared statement, in or out of a transaction, is
/// counted in the returned counter. `conn` itself is not counted.
pub fn meter_connection(conn: &DatabaseConnection) -> (DatabaseConnection, Arc<StatementCounter>) {
    let counter = Arc::new(StatementCounter::default());
    let mut metered = conn.clone();
    let sink = Arc::clone(&counter);
    metered.set_metric_callback(move |info| sink.record_statement(info.statement));
    (metered, counter)
}

/// Counts statements and bound parameters passing through `inner`.
#[derive(Debug)]
pub struct Metered<C> {
    inner: C,
    counter: StatementCounter,
}

impl<C> Metered<C> {
    pub fn new(inner: C) -> Self {
        Self { inner, counter: StatementCounter::default() }
    }

    pub fn inner(&self) -> &C {
        &self.inner
    }

    pub fn meter(&self) -> Meter {
        self.counter.meter()
    }

    fn record(&self, n_params: usize) {
        self.counter.record(n_params);
    }

    fn record_statement(&self, stmt: &Statement) {
        self.counter.record_statement(stmt);
    }
}

#[async_trait::async_trait]
impl<C> ConnectionTrait for Metered<C>
where
    C: ConnectionTrait + Send,
{
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.record_statement(&stmt);
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.record(0);
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.record_statement(&stmt);
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.record_statement(&stmt);
        self.inner.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}
