//! The HTTP surface: routes, the GraphQL handler (media types, body limit, authentication, batch
//! limit, time limit, request ids), health checks.
//!
//! Every answer of `/graphql`, errors included, is a GraphQL JSON response whose errors carry an
//! `extensions.code` and the `requestId` of the log line the request wrote. Status codes follow
//! the GraphQL-over-HTTP specification: with `Accept: application/graphql-response+json` a request
//! that never executed (malformed, invalid, over a limit) is 4xx; with `application/json` a
//! well-formed request answers 200 whatever its errors. Bodies are limited before they are
//! buffered (413), only JSON is accepted (415: a form or `text/plain` post from another site never
//! executes), and `GET` is refused (405), so no mutation can run from a link.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::{BatchRequest, BatchResponse, ServerError};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use query::{Db, UserId};
use tower_http::timeout::TimeoutLayer;

use crate::auth::Auth;
use crate::error::{ErrorCode, RequestId, coded};
use crate::limits::Limits;
use crate::schema::{AppSchema, Clock, Viewer, build_schema};

/// The response header that carries how many SQL statements a GraphQL request ran.
pub const STATEMENTS_HEADER: &str = "x-swole-statements";

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    /// The same schema with `Limits::for_introspection`, for operations that only introspect.
    introspection: AppSchema,
    pub db: Db,
    pub auth: Auth,
    pub limits: Limits,
    clock: Clock,
    next_request: Arc<AtomicU64>,
    /// Requests and statements at least this slow are logged (`monitor`).
    slow_query: std::time::Duration,
    db_bytes: Arc<crate::monitor::BytesSample>,
    storage_capacity: u64,
    /// `POST /webhooks/whoop`, when a client secret is configured.
    pub(crate) webhooks: Option<crate::webhooks::Webhooks>,
    /// The listening task's state, when other processes may write to the database.
    pub(crate) coherence: Option<Arc<crate::coherence::Coherence>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl AppState {
    /// A state whose resolvers read the system clock.
    pub fn new(db: Db, auth: Auth, limits: Limits) -> Self {
        Self::with_clock(db, auth, limits, Clock::System)
    }

    /// A state whose resolvers read "now" from `clock`.
    pub fn with_clock(db: Db, auth: Auth, limits: Limits, clock: Clock) -> Self {
        // Metrics recorded before the recorder exists would be lost.
        crate::monitor::handle();
        let schema = build_schema(db.clone(), &limits, clock);
        let introspection = build_schema(db.clone(), &limits.for_introspection(), clock);
        let next_request = Arc::new(AtomicU64::new(1));
        Self {
            schema,
            introspection,
            db,
            auth,
            limits,
            clock,
            next_request,
            slow_query: Self::SLOW_QUERY,
            db_bytes: Arc::default(),
            storage_capacity: Self::STORAGE_CAPACITY,
            webhooks: None,
            coherence: None,
        }
    }

    /// The same state, answering WHOOP's webhooks.
    #[must_use]
    pub fn with_webhooks(self, webhooks: crate::webhooks::Webhooks) -> Self {
        Self { webhooks: Some(webhooks), ..self }
    }

    /// The same state kept coherent with other processes writing to the database: every request
    /// that would use a cache or a replica first passes `coherence`'s fence (run
    /// [`crate::coherence::listen`] with the same `Coherence` beside it).
    #[must_use]
    pub fn with_coherence(self, coherence: Arc<crate::coherence::Coherence>) -> Self {
        Self { coherence: Some(coherence), ..self }
    }

    /// The services one request runs on. With other writers to follow, first waits until every
    /// write committed before the request has been heard; if that cannot be confirmed, the
    /// request reads the primary past the caches. Then a query-only request (`reads_only`) goes
    /// to a replica that has replayed the viewer's last write (`Db::for_reads_of`); anything else
    /// to the primary.
    async fn route(
        &self,
        viewer: Option<UserId>,
        reads_only: bool,
    ) -> (Db, query::replicas::Target) {
        let uses_copies = self.db.caches().is_some() || self.db.replicas().is_some();
        if let Some(coherence) = self.coherence.as_deref().filter(|_| uses_copies)
            && !coherence.sync().await
        {
            return (self.db.bypassing_caches(), query::replicas::Target::Primary);
        }
        if reads_only && self.db.replicas().is_some() {
            self.db.for_reads_of(viewer)
        } else {
            (self.db.clone(), query::replicas::Target::Primary)
        }
    }

    /// The default storage capacity: Cloudflare D1's 10 GB per database, the original's bound.
    pub const STORAGE_CAPACITY: u64 = 10_000_000_000;

    /// The same state, reporting `bytes` as the storage the database may fill.
    #[must_use]
    pub fn with_storage_capacity(self, bytes: u64) -> Self {
        Self { storage_capacity: bytes, ..self }
    }

    /// The default slow-query threshold.
    pub const SLOW_QUERY: std::time::Duration = std::time::Duration::from_millis(500);

    /// The same state, logging requests slower than `threshold` (the pools' statements are
    /// logged by their own callback, `monitor::observe_pool`).
    #[must_use]
    pub fn with_slow_query(self, threshold: std::time::Duration) -> Self {
        Self { slow_query: threshold, ..self }
    }

    /// A fresh id for a request, echoed in every error so a client report can be found in logs.
    pub fn next_request_id(&self) -> String {
        format!("req-{:08x}", self.next_request.fetch_add(1, Ordering::Relaxed))
    }

    /// Executes a request for `viewer` under a fresh request id.
    pub async fn execute(&self, batch: BatchRequest, viewer: Option<UserId>) -> BatchResponse {
        self.execute_as(batch, viewer, &self.next_request_id()).await.0
    }

    /// On a user's first request since start or since their last write, loads their hot cache
    /// entries in the background; the request does not wait for it.
    fn warm(&self, user: UserId) {
        if !self.db.caches().is_some_and(|it| it.claim_warming(user)) {
            return;
        }
        let db = self.db.clone();
        let now = self.clock.now();
        tokio::spawn(async move {
            if let Err(err) = query::warm(&db, user, now).await {
                tracing::warn!(user = user.0, error = %err, "cache warming failed");
            }
        });
    }

    /// Runs `batch` over `db` (its reads' pool) for `viewer`.
    async fn run_on(
        &self,
        batch: BatchRequest,
        db: &Db,
        viewer: Option<UserId>,
        request_id: &str,
        introspection: bool,
        meter: &Arc<crate::monitor::RequestMeter>,
    ) -> BatchResponse {
        let mut batch = batch.data(RequestId(request_id.to_owned())).data(db.clone());
        if let Some(user) = viewer {
            self.warm(user);
            batch = crate::loaders::install(batch.data(Viewer(user)), db, user);
        }
        let schema = if introspection { &self.introspection } else { &self.schema };
        crate::monitor::REQUEST.scope(Arc::clone(meter), schema.execute_batch(batch)).await
    }

    /// Executes a request for `viewer` and gives every error a stable `extensions.code` and the
    /// request id: errors the resolvers raised already carry a code; the rest come from parsing
    /// and validation, before any resolver ran (`ErrorCode::of_request_error`).
    /// Logs one line per request: id, caller, operation names, error codes and duration.
    /// Also returns the statements the request ran.
    async fn execute_as(
        &self,
        batch: BatchRequest,
        viewer: Option<UserId>,
        request_id: &str,
    ) -> (BatchResponse, u64) {
        let started = std::time::Instant::now();
        let operations: Vec<String> = batch
            .iter()
            .map(|it| it.operation_name.clone().unwrap_or_else(|| "-".into()))
            .collect();
        let introspection =
            matches!(&batch, BatchRequest::Single(it) if is_introspection(&it.query));
        // Reads go to a replica that has replayed the viewer's last write, when replicas are
        // configured; a request with a mutation runs on the primary (its reads may decide a write).
        // With other gateways on the database, first every write they committed is heard (or
        // the request uses no cache and no replica).
        let (db, target) = self.route(viewer, !has_mutation(&batch)).await;
        // What a retry on the primary needs, should the replica fail under the request.
        let retry: Option<Vec<async_graphql::Request>> =
            matches!(target, query::replicas::Target::Replica(_)).then(|| {
                batch
                    .iter()
                    .map(|it| {
                        let mut again = async_graphql::Request::new(it.query.clone())
                            .variables(it.variables.clone());
                        again.operation_name.clone_from(&it.operation_name);
                        again
                    })
                    .collect()
            });
        let meter = Arc::new(crate::monitor::RequestMeter::new(viewer.map(|it| it.0), request_id));
        let mut res = self.run_on(batch, &db, viewer, request_id, introspection, &meter).await;
        if let (query::replicas::Target::Replica(i), Some(requests)) = (target, retry) {
            if has_internal_error(&res) {
                // The replica failed under the request (stopped, lost): never the client's
                // problem. Skip it until a poll finds it well, and answer from the primary.
                tracing::warn!(
                    request_id,
                    replica = i,
                    "a read failed on a replica; retried on the primary"
                );
                if let Some(replicas) = self.db.replicas() {
                    replicas.failed(i);
                }
                let again = if requests.len() == 1 {
                    requests.into_iter().next().map(BatchRequest::Single)
                } else {
                    Some(BatchRequest::Batch(requests))
                };
                if let Some(again) = again {
                    res = self
                        .run_on(again, &self.db, viewer, request_id, introspection, &meter)
                        .await;
                }
                crate::monitor::record_read_target("primary");
            } else {
                crate::monitor::record_read_target("replica");
            }
        } else if self.db.replicas().is_some() {
            crate::monitor::record_read_target("primary");
        }
        let responses: Vec<&mut async_graphql::Response> = match &mut res {
            BatchResponse::Single(it) => vec![it],
            BatchResponse::Batch(list) => list.iter_mut().collect(),
        };
        let mut codes = Vec::new();
        for response in responses {
            for err in &mut response.errors {
                let coded = err.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
                if !coded {
                    let code = ErrorCode::of_request_error(err);
                    let ext = err.extensions.get_or_insert_with(Default::default);
                    ext.set("code", code.as_str());
                    ext.set("requestId", request_id.to_owned());
                }
                if let Some(async_graphql::Value::String(code)) =
                    err.extensions.as_ref().and_then(|ext| ext.get("code"))
                {
                    codes.push(code.clone());
                }
            }
        }
        let elapsed = started.elapsed();
        crate::monitor::record_request(elapsed, meter.statements(), &codes);
        tracing::info!(
            request_id,
            user = viewer.map(|it| it.0),
            operations = operations.join(","),
            errors = codes.join(","),
            statements = meter.statements(),
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "graphql request"
        );
        if elapsed >= self.slow_query {
            tracing::warn!(
                request_id,
                user = viewer.map(|it| it.0),
                operations = operations.join(","),
                statements = meter.statements(),
                elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                "slow request"
            );
        }
        (res, meter.statements())
    }
}

/// Whether every operation of `query` is a query that selects only introspection fields (`__schema`,
/// `__type`, `__typename`) at its root. Such operations run with relaxed depth and recursion
/// (`Limits::for_introspection`) so that GraphiQL can load the schema; in production the schema
/// refuses introspection anyway.
fn is_introspection(query: &str) -> bool {
    use async_graphql::parser::types::{OperationType, Selection};
    if !query.contains("__schema") && !query.contains("__type") {
        return false;
    }
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    doc.operations.iter().all(|(_, op)| {
        op.node.ty == OperationType::Query
            && op.node.selection_set.node.items.iter().all(|item| {
                matches!(&item.node, Selection::Field(field) if field.node.name.node.starts_with("__"))
            })
    })
}

/// Whether any operation of `batch` is a mutation (unparsable text counts as one: it runs where
/// everything is fresh, and fails there).
fn has_mutation(batch: &BatchRequest) -> bool {
    batch.iter().any(|it| match async_graphql::parser::parse_query(&it.query) {
        Ok(doc) => doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Mutation),
        Err(_) => true,
    })
}

/// Whether an answer carries an error that a database fault explains (`INTERNAL`, `UNAVAILABLE`).
fn has_internal_error(res: &BatchResponse) -> bool {
    let responses: Vec<&async_graphql::Response> = match res {
        BatchResponse::Single(it) => vec![it],
        BatchResponse::Batch(list) => list.iter().collect(),
    };
    responses.iter().flat_map(|r| &r.errors).any(|err| {
        matches!(
            err.extensions.as_ref().and_then(|ext| ext.get("code")),
            Some(async_graphql::Value::String(code)) if code == "INTERNAL" || code == "UNAVAILABLE"
        )
    })
}

/// The router: `POST /graphql`, the CSV downloads under `/export/` (`export`), GraphiQL at `/`
/// (not in production), `/healthz`, `/readyz`, `/metrics` (Prometheus text, `monitor`).
/// The body limit holds on every route; the time limit on every route (on `/graphql` it answers
/// a GraphQL error).
pub fn app(state: AppState) -> Router {
    let limits = state.limits;
    let mut others = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/export/workouts.csv", get(crate::export::workouts))
        .route("/export/exercise.csv", get(crate::export::exercise))
        .route("/webhooks/whoop", post(crate::webhooks::whoop));
    if !limits.production {
        others = others.merge(crate::graphiql::routes());
    }
    let others =
        others.layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.timeout));
    Router::new()
        .route("/graphql", post(graphql).fallback(method_not_allowed))
        .merge(others)
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .with_state(state)
}

/// The media type of `/graphql` answers, from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/json`: a well-formed request answers 200 whatever its errors.
    Json,
    /// `application/graphql-response+json`: a request that never executed answers 4xx.
    GraphqlResponse,
}

impl Media {
    fn of(headers: &HeaderMap) -> Self {
        let accepts = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|it| it.to_str().ok())
            .any(|it| it.to_ascii_lowercase().contains("application/graphql-response+json"));
        if accepts { Self::GraphqlResponse } else { Self::Json }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json",
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// A GraphQL JSON answer holding one error with `code`.
fn error_response(
    status: StatusCode,
    media: Media,
    code: ErrorCode,
    message: &str,
    request_id: &str,
) -> Response {
    let err = coded(code, message, request_id);
    let mut server_error = ServerError::new(message, None);
    server_error.extensions = err.extensions;
    let body = async_graphql::Response::from_errors(vec![server_error]);
    tracing::info!(
        request_id,
        status = status.as_u16(),
        errors = code.as_str(),
        "graphql request refused"
    );
    json_response(status, media, &BatchResponse::Single(body))
}

fn json_response(status: StatusCode, media: Media, body: &BatchResponse) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            (status, [(header::CONTENT_TYPE, media.content_type())], bytes).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Refuses bodies over the limit before they are buffered: at once when `Content-Length` says so,
/// else as soon as the streamed body passes the limit (every route's body is length-limited).
async fn limit_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let max = state.limits.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|it| it.to_str().ok())
        .and_then(|it| it.parse::<u64>().ok());
    if declared.is_some_and(|it| it > max as u64) {
        return too_large(&state, Media::of(request.headers()));
    }
    next.run(request.map(|body| Body::new(Limited::new(body, max)))).await
}

fn too_large(state: &AppState, media: Media) -> Response {
    let message = format!("the request body is larger than {} bytes", state.limits.max_body_bytes);
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        media,
        ErrorCode::LimitExceeded,
        &message,
        &state.next_request_id(),
    )
}

async fn method_not_allowed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut res = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        Media::of(&headers),
        ErrorCode::BadRequest,
        "send GraphQL requests with POST",
        &state.next_request_id(),
    );
    res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    res
}

/// Whether the request's content type is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|it| it.to_str().ok())
        .and_then(|it| it.split(';').next())
        .is_some_and(|it| it.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether reading a body failed because it passed the length limit.
fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(it) = cause {
        if it.is::<LengthLimitError>() {
            return true;
        }
        cause = it.source();
    }
    false
}

/// Why a body is not a GraphQL request, in words for a person; `None` when it is one.
fn request_problem(body: &serde_json::Value) -> Option<String> {
    let items: Vec<&serde_json::Value> = match body {
        serde_json::Value::Array(list) if list.is_empty() => {
            return Some("a batch must hold at least one request".to_owned());
        }
        serde_json::Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    for (idx, item) in items.iter().enumerate() {
        let at = if matches!(body, serde_json::Value::Array(_)) {
            format!("request {idx}: ")
        } else {
            String::new()
        };
        let Some(fields) = item.as_object() else {
            return Some(format!("{at}a request must be a JSON object with a `query` string"));
        };
        if !fields.get("query").is_some_and(serde_json::Value::is_string) {
            return Some(format!("{at}`query` must be a string holding a GraphQL document"));
        }
        for (name, ok) in [
            ("operationName", serde_json::Value::is_string as fn(&serde_json::Value) -> bool),
            ("variables", serde_json::Value::is_object),
            ("extensions", serde_json::Value::is_object),
        ] {
            if fields.get(name).is_some_and(|it| !it.is_null() && !ok(it)) {
                let kind = if name == "operationName" { "a string" } else { "an object" };
                return Some(format!("{at}`{name}` must be {kind} when given"));
            }
        }
    }
    None
}

/// The batch a body holds, or the 400 that says why it holds none. The body is checked as JSON
/// first: async-graphql's own parsing is lenient (serde reads a request from an array too, so
/// `["{ viewer { id } }"]` would run), and its errors are Rust text, not sentences.
fn parse_batch(bytes: &Bytes) -> Result<BatchRequest, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        let what = match err.classify() {
            serde_json::error::Category::Eof => "ends before its JSON is complete",
            _ => "is not valid JSON",
        };
        format!("the request body {what} (line {}, column {})", err.line(), err.column())
    })?;
    if let Some(problem) = request_problem(&value) {
        return Err(problem);
    }
    serde_json::from_value(value).map_err(|_| "the request is not a GraphQL request".to_owned())
}

/// Whether a response is a request error: nothing executed (no data, and no error has a path).
fn never_executed(res: &BatchResponse) -> bool {
    match res {
        BatchResponse::Single(it) => {
            it.data == async_graphql::Value::Null
                && !it.errors.is_empty()
                && it.errors.iter().all(|err| err.path.is_empty())
        }
        BatchResponse::Batch(_) => false,
    }
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let media = Media::of(&headers);
    let request_id = state.next_request_id();
    if !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            ErrorCode::BadRequest,
            "send the request as application/json",
            &request_id,
        );
    }
    let work = async {
        // The body arrives length-limited by `limit_body`; its error says when it passed the limit.
        let bytes = match body.collect().await {
            Ok(it) => it.to_bytes(),
            Err(err) if is_length_limit(&err) => return too_large(&state, media),
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    media,
                    ErrorCode::BadRequest,
                    "the request body could not be read",
                    &request_id,
                );
            }
        };
        let batch = match parse_batch(&bytes) {
            Ok(it) => it,
            Err(message) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    media,
                    ErrorCode::BadRequest,
                    &message,
                    &request_id,
                );
            }
        };
        let n_operations = batch.iter().count();
        if n_operations > state.limits.max_batch {
            let status = match media {
                Media::Json => StatusCode::OK,
                Media::GraphqlResponse => StatusCode::BAD_REQUEST,
            };
            let message = format!("at most {} operations per request", state.limits.max_batch);
            return error_response(status, media, ErrorCode::LimitExceeded, &message, &request_id);
        }
        let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let viewer = state.auth.verify(token).ok();
        let (res, statements) = state.execute_as(batch, viewer, &request_id).await;
        let status = if media == Media::GraphqlResponse && never_executed(&res) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let mut answer = json_response(status, media, &res);
        // For load tools and debugging: what the request cost the database (a count, no data).
        answer.headers_mut().insert(STATEMENTS_HEADER, HeaderValue::from(statements));
        answer
    };
    match tokio::time::timeout(state.limits.timeout, work).await {
        Ok(res) => res,
        Err(_) => error_response(
            StatusCode::REQUEST_TIMEOUT,
            media,
            ErrorCode::Timeout,
            &format!("the request took longer than {} ms", state.limits.timeout.as_millis()),
            &request_id,
        ),
    }
}

/// Prometheus text: every metric of the process, with the pools, caches and database size
/// sampled now.
async fn metrics(State(state): State<AppState>) -> Response {
    if let Some(coherence) = state.coherence.as_deref() {
        crate::monitor::record_coherence(coherence);
    }
    let body = crate::monitor::render(&state.db, &state.db_bytes, state.storage_capacity).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// Ready when both pools answer and the schema sits at a whole rollout phase: the latest, or an
/// earlier one an operator keeps it at while rolling out (`cargo xtask rollout`), where the
/// gateway serves the original paths. Between phases (a migration step applied by hand without
/// the rest of its phase) it is not ready.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.ping().await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    }
    let Ok(pending) = migration::pending_count(&state.db.conn).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    };
    let known = <migration::Migrator as migration::MigratorTrait>::migrations().len();
    let applied = known.saturating_sub(pending);
    let phase = migration::phase_of_applied(applied);
    // Replicas never make the gateway unready (reads fall back to the primary); their state is
    // shown: `; replica1 ok, 12 ms behind` or `; replica1 down`.
    let replicas: String = state.db.replicas().map_or_else(String::new, |r| {
        r.status()
            .into_iter()
            .map(|(name, healthy, lag)| {
                if healthy {
                    format!("; {name} ok, {lag} ms behind")
                } else {
                    format!("; {name} down")
                }
            })
            .collect()
    });
    // Other gateways' writes: while not heard, this one serves no cached answer (still ready).
    let replicas = match state.coherence.as_deref() {
        Some(it) if it.is_listening() => format!("{replicas}; listening for other writers"),
        Some(_) => format!("{replicas}; not listening for other writers (caches bypassed)"),
        None => replicas,
    };
    match phase.filter(|it| migration::steps_through_phase(*it) == Some(applied)) {
        Some(phase) if pending == 0 => {
            (StatusCode::OK, format!("ready at schema phase {phase}{replicas}")).into_response()
        }
        Some(phase) => (
            StatusCode::OK,
            format!(
                "ready at schema phase {phase} ({pending} migrations of later phases not applied){replicas}"
            ),
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "schema between phases").into_response(),
    }
}
