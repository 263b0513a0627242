//! The HTTP surface: routes, the GraphQL handler (authentication, batch limit, request ids),
//! health checks, body-size and time limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensions, ServerError};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use query::{Db, UserId};
use tower_http::timeout::TimeoutLayer;

use crate::auth::Auth;
use crate::error::RequestId;
use crate::schema::{AppSchema, Viewer, build_schema};

/// Request limits, all from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub timeout: Duration,
    /// Production: no GraphiQL, no introspection.
    pub production: bool,
}

impl Limits {
    /// The defaults the binary starts with.
    pub const DEFAULT: Self = Self {
        max_depth: 10,
        max_complexity: 500,
        max_batch: 5,
        max_body_bytes: 64 * 1024,
        timeout: Duration::from_secs(10),
        production: false,
    };
}

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: Db,
    pub auth: Auth,
    pub limits: Limits,
    next_request: Arc<AtomicU64>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(db: Db, auth: Auth, limits: Limits) -> Self {
        let schema = build_schema(db.clone(), &limits);
        Self { schema, db, auth, limits, next_request: Arc::new(AtomicU64::new(1)) }
    }

    /// A fresh id for a request, echoed in every error so a client report can be found in logs.
    pub fn next_request_id(&self) -> String {
        format!("req-{:08x}", self.next_request.fetch_add(1, Ordering::Relaxed))
    }

    /// Executes a request for `viewer` and gives every error a stable `extensions.code`: errors the
    /// resolvers raised already carry one; the rest come from parsing and validation, before any
    /// resolver ran: `LIMIT_EXCEEDED` for depth, complexity and recursion limits, else
    /// `BAD_USER_INPUT`.
    /// Logs one line per request: id, caller, operation names, error codes and duration.
    pub async fn execute(&self, batch: BatchRequest, viewer: Option<UserId>) -> BatchResponse {
        let started = std::time::Instant::now();
        let request_id = self.next_request_id();
        let operations: Vec<String> = batch
            .iter()
            .map(|it| it.operation_name.clone().unwrap_or_else(|| "-".into()))
            .collect();
        let mut batch = batch.data(RequestId(request_id.clone()));
        if let Some(user) = viewer {
            batch = crate::loaders::install(batch.data(Viewer(user)), &self.db, user);
        }
        let mut res = self.schema.execute_batch(batch).await;
        let responses: Vec<&mut async_graphql::Response> = match &mut res {
            BatchResponse::Single(it) => vec![it],
            BatchResponse::Batch(list) => list.iter_mut().collect(),
        };
        let mut codes = Vec::new();
        for response in responses {
            for err in &mut response.errors {
                let coded = err.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
                if !coded {
                    let limit = ["nested too deep", "too complex", "recursion depth", "directives"]
                        .iter()
                        .any(|it| err.message.contains(it));
                    let code = if limit { "LIMIT_EXCEEDED" } else { "BAD_USER_INPUT" };
                    let ext = err.extensions.get_or_insert_with(Default::default);
                    ext.set("code", code);
                    ext.set("requestId", request_id.clone());
                }
                if let Some(async_graphql::Value::String(code)) =
                    err.extensions.as_ref().and_then(|ext| ext.get("code"))
                {
                    codes.push(code.clone());
                }
            }
        }
        tracing::info!(
            request_id,
            user = viewer.map(|it| it.0),
            operations = operations.join(","),
            errors = codes.join(","),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "graphql request"
        );
        res
    }
}

/// The router: `POST /graphql`, GraphiQL at `/` (not in production), `/healthz`, `/readyz`.
pub fn app(state: AppState) -> Router {
    let limits = state.limits;
    let mut router = Router::new()
        .route("/graphql", axum::routing::post(graphql))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    if !limits.production {
        router = router.route(
            "/",
            get(|| async { Html(GraphiQLSource::build().endpoint("/graphql").finish()) }),
        );
    }
    router
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.timeout))
        .with_state(state)
}

fn limit_exceeded(message: &str, request_id: &str) -> Response {
    let mut err = ServerError::new(message, None);
    err.extensions = async_graphql::Error::new(message)
        .extend_with(|_, ext| {
            ext.set("code", "LIMIT_EXCEEDED");
            ext.set("requestId", request_id.to_owned());
        })
        .extensions;
    let body = BatchResponse::Single(async_graphql::Response::from_errors(vec![err]));
    GraphQLResponse::from(body).into_response()
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let batch = request.into_inner();
    let n_operations = batch.iter().count();
    if n_operations > state.limits.max_batch {
        let message = format!("at most {} operations per request", state.limits.max_batch);
        return limit_exceeded(&message, &state.next_request_id());
    }
    let viewer =
        state.auth.verify(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())).ok();
    GraphQLResponse::from(state.execute(batch, viewer).await).into_response()
}

/// Ready when the database answers and no migration is pending.
async fn readyz(State(state): State<AppState>) -> Response {
    match migration::pending_count(&state.db.conn).await {
        Ok(0) => (StatusCode::OK, "ready").into_response(),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}
