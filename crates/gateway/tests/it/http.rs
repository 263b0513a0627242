//! `/graphql` as an HTTP endpoint, on the real router: the body limit (with and without
//! `Content-Length`, before buffering), media types, malformed bodies, methods, status codes by
//! `Accept`, request ids on every error, the time limit, and `/readyz`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{Request as HttpRequest, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use test_support::{TestDb, backend_tests};
use tower::ServiceExt;

use super::{now, seed, state_on};
use gateway::{AppState, Auth, Clock, Limits, app};

const TWO_MB: usize = 2 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// A body of `total` bytes produced lazily in `CHUNK`s, counting the bytes the server pulled.
struct CountingBody {
    left: usize,
    pulled: Arc<AtomicUsize>,
}

impl futures_core::Stream for CountingBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(CHUNK);
        self.left -= n;
        self.pulled.fetch_add(n, Ordering::SeqCst);
        // A JSON string that never ends: only the limit can stop reading it.
        let mut chunk = vec![b'a'; n];
        if self.pulled.load(Ordering::SeqCst) == n {
            chunk[..10].copy_from_slice(br#"{"query":""#);
        }
        Poll::Ready(Some(Ok(Bytes::from(chunk))))
    }
}

/// Sends one request to a fresh router; the status, the headers and the body as JSON.
pub(crate) async fn send(
    state: &AppState,
    request: HttpRequest<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

async fn send_owned(
    state: AppState,
    request: HttpRequest<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    send(&state, request).await
}

fn post(content_type: Option<&str>, body: impl Into<Body>) -> HttpRequest<Body> {
    let mut request = HttpRequest::post("/graphql");
    if let Some(it) = content_type {
        request = request.header(header::CONTENT_TYPE, it);
    }
    request.body(body.into()).unwrap()
}

/// The one error of a refused request: its code, and a request id that is there.
fn refused(body: &Value) -> &str {
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("no errors: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    let id = errors[0]["extensions"]["requestId"].as_str().unwrap_or_default();
    assert!(id.starts_with("req-"), "no request id: {body}");
    errors[0]["extensions"]["code"].as_str().unwrap()
}

async fn empty_state() -> (TestDb, AppState) {
    let t = TestDb::sqlite().await;
    seed(&t).await;
    let state = state_on(t.db.clone(), db::ParamLimit::D1);
    (t, state)
}

#[tokio::test]
async fn a_large_body_is_refused_before_it_is_read() {
    let (_t, state) = empty_state().await;
    // Declared: refused at once, not one byte read.
    let pulled = Arc::new(AtomicUsize::new(0));
    let stream = CountingBody { left: TWO_MB, pulled: Arc::clone(&pulled) };
    let request = HttpRequest::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, TWO_MB)
        .body(Body::from_stream(stream))
        .unwrap();
    let (status, headers, body) = send(&state, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(refused(&body), "LIMIT_EXCEEDED");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "a declared oversize body was read");

    // Chunked, no length: refused as soon as it passes the limit, without buffering the rest.
    let pulled = Arc::new(AtomicUsize::new(0));
    let stream = CountingBody { left: TWO_MB, pulled: Arc::clone(&pulled) };
    let request = post(Some("application/json"), Body::from_stream(stream));
    let (status, _, body) = send(&state, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(refused(&body), "LIMIT_EXCEEDED");
    let read = pulled.load(Ordering::SeqCst);
    assert!(read <= Limits::DEFAULT.max_body_bytes + CHUNK, "read {read} bytes of a 2 MB body");

    // Every route: the limit holds before routing.
    for path in ["/", "/healthz", "/readyz", "/no-such-route"] {
        let request = HttpRequest::post(path)
            .header(header::CONTENT_LENGTH, TWO_MB)
            .body(Body::from(vec![b' '; TWO_MB]))
            .unwrap();
        assert_eq!(send(&state, request).await.0, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // Just under the limit is read and answered.
    let query = json!({"query": format!("{{ __typename }}{}", " ".repeat(60_000))}).to_string();
    let (status, _, body) = send(&state, post(Some("application/json"), query)).await;
    assert_eq!((status, &body["data"]["__typename"]), (StatusCode::OK, &json!("QueryRoot")));
}

#[tokio::test]
async fn only_json_posts_execute() {
    let (t, state) = empty_state().await;
    let token = state.auth.token_for(query::UserId(1), 60);
    let mutation = json!({"query": "mutation { startWorkout { id } }"}).to_string();
    let before = datagen::inspect::content_checksum(&t.db).await.unwrap();
    // What a cross-site form or `fetch` without preflight can send: refused, nothing executed.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = post(content_type, mutation.clone());
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let (status, _, body) = send(&state, request).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {body}");
        assert_eq!(refused(&body), "BAD_REQUEST");
    }
    assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), before);
    let query = json!({"query": "{ __typename }"}).to_string();
    let (status, _, _) = send(&state, post(Some("Application/JSON; charset=utf-8"), query)).await;
    assert_eq!(status, StatusCode::OK);

    // GET and other methods: 405 with Allow, as GraphQL JSON; no query runs from a link.
    for method in ["GET", "PUT", "DELETE"] {
        let request = HttpRequest::builder()
            .method(method)
            .uri("/graphql?query=%7B__typename%7D")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(&state, request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(headers[header::ALLOW], "POST");
        assert_eq!(refused(&body), "BAD_REQUEST");
    }
}

#[tokio::test]
async fn malformed_requests_are_told_why_in_words() {
    let (_t, state) = empty_state().await;
    let cases = [
        (
            r#"{"query": "{ viewer { id } }""#,
            "the request body ends before its JSON is complete (line 1, column 29)",
        ),
        (r#"{"query": null}"#, "`query` must be a string holding a GraphQL document"),
        (r#"{"variables": {}}"#, "`query` must be a string holding a GraphQL document"),
        (
            r#"{"query": "{ __typename }", "variables": [1]}"#,
            "`variables` must be an object when given",
        ),
        (
            r#"{"query": "{ __typename }", "operationName": 7}"#,
            "`operationName` must be a string when given",
        ),
        ("[]", "a batch must hold at least one request"),
        (
            r#"["{ viewer { id } }"]"#,
            "request 0: a request must be a JSON object with a `query` string",
        ),
        (
            r#"[["{ viewer { id } }"]]"#,
            "request 0: a request must be a JSON object with a `query` string",
        ),
        (
            r#"[{"query": "{ __typename }"}, 3]"#,
            "request 1: a request must be a JSON object with a `query` string",
        ),
        (r#""{ __typename }""#, "a request must be a JSON object with a `query` string"),
        ("", "the request body ends before its JSON is complete (line 1, column 0)"),
        (
            "{\"query\": \"{ __typename }\"} trailing",
            "the request body is not valid JSON (line 1, column 29)",
        ),
    ];
    for (body, message) in cases {
        let (status, headers, res) = send(&state, post(Some("application/json"), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {res}");
        assert_eq!(refused(&res), "BAD_REQUEST", "{body}");
        assert_eq!(res["errors"][0]["message"], message, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    }
}

#[tokio::test]
async fn status_codes_follow_the_accepted_media_type() {
    let (_t, state) = empty_state().await;
    let token = state.auth.token_for(query::UserId(1), 60);
    let ask = |accept: &str, query: &str| {
        let mut request = post(Some("application/json"), json!({"query": query}).to_string());
        let headers = request.headers_mut();
        headers.insert(header::ACCEPT, accept.parse().unwrap());
        headers.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        request
    };
    let modern = "application/graphql-response+json, application/json;q=0.9";
    // A request that never executed: 400 for clients that accept the new media type.
    for query in [
        "{ noSuchField }",
        "{ viewer { id }",
        "{ recentWorkouts(first: 1000000) { edges { cursor } } }",
    ] {
        let (status, headers, body) = send(&state, ask(modern, query)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/graphql-response+json")
        );
        assert!(body["data"].is_null());
        let (status, headers, _) = send(&state, ask("application/json", query)).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    }
    // Executed, even with a field error: 200 in both.
    let (status, _, body) = send(&state, ask(modern, "{ viewer { id } }")).await;
    assert_eq!((status, &body["data"]["viewer"]["id"]), (StatusCode::OK, &json!("1")));
    let (status, _, body) =
        send(&state, ask(modern, r#"{ workout(id: "987654321") { id } }"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(refused(&body), "NOT_FOUND");
}

#[tokio::test]
async fn introspection_alone_may_nest_deeper_than_queries() {
    let (t, state) = empty_state().await;
    let token = state.auth.token_for(query::UserId(1), 60);
    let deep = "__schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }";
    let ask = |state: &AppState, query: String| {
        let mut request = post(Some("application/json"), json!({"query": query}).to_string());
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        send_owned(state.clone(), request)
    };
    // Depth 12, over the limit of 10: answered, as GraphiQL needs to load the schema.
    let (status, _, body) = ask(&state, format!("query IntrospectionQuery {{ {deep} }}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["errors"].is_null() && body["data"]["__schema"]["types"].is_array(), "{body}");
    // The same depth beside an ordinary field is an ordinary query: refused.
    let (_, _, body) = ask(&state, format!("{{ viewer {{ id }} {deep} }}")).await;
    assert_eq!(refused(&body), "LIMIT_EXCEEDED", "{body}");
    // Past the introspection bound, refused too.
    let deeper = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(40),
        " }".repeat(40)
    );
    let (_, _, body) = ask(&state, deeper).await;
    assert_eq!(refused(&body), "LIMIT_EXCEEDED", "{body}");
    // In production there is no introspection at all.
    let db = query::Db::new(
        t.db.clone(),
        migration::LATEST_PHASE,
        db::ParamLimit::D1,
        query::Flags::OPTIMIZED,
    )
    .unwrap();
    let production = AppState::new(
        db,
        Auth::new(b"test-secret"),
        Limits { production: true, ..Limits::DEFAULT },
    );
    let (_, _, body) = ask(&production, format!("{{ {deep} }}")).await;
    assert_eq!(body, json!({"data": {"__schema": null}}));
}

#[tokio::test]
async fn every_error_carries_the_request_id_of_its_log_line() {
    let (_t, state) = empty_state().await;
    let token = state.auth.token_for(query::UserId(1), 60);
    let query = json!({"query": r#"{ a: workout(id: "987654321") { id } b: workout(id: "x") { id } viewer { id } }"#}).to_string();
    let mut request = post(Some("application/json"), query);
    request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    let (_, _, body) = send(&state, request).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    let ids: Vec<&str> =
        errors.iter().map(|it| it["extensions"]["requestId"].as_str().unwrap()).collect();
    assert!(ids[0].starts_with("req-") && ids[0] == ids[1], "one request, one id: {ids:?}");
    // Unauthenticated, invalid and refused requests carry one too, each its own.
    let (_, _, other) = send(
        &state,
        post(Some("application/json"), json!({"query": "{ viewer { id } }"}).to_string()),
    )
    .await;
    assert_eq!(refused(&other), "UNAUTHENTICATED");
    let (_, _, invalid) = send(&state, post(Some("application/json"), "{")).await;
    let seen = [
        ids[0],
        other["errors"][0]["extensions"]["requestId"].as_str().unwrap(),
        invalid["errors"][0]["extensions"]["requestId"].as_str().unwrap(),
    ];
    assert!(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2], "{seen:?}");
}

backend_tests! {
    async fn a_request_that_outlives_the_time_limit_answers_408(t: &TestDb) {
        seed(t).await;
        let db = query::Db::new(t.db.clone(), migration::LATEST_PHASE, db::ParamLimit::D1, query::Flags::OPTIMIZED).unwrap();
        let limits = Limits { timeout: std::time::Duration::from_millis(300), ..Limits::DEFAULT };
        let state = AppState::with_clock(db, Auth::new(b"test-secret"), limits, Clock::Fixed(now()));
        let token = state.auth.token_for(query::UserId(1), 60);
        // Hold what the request needs: SQLite's only in-memory connection, PostgreSQL's table lock.
        let blocker = db::begin_write(&t.db).await.unwrap();
        if t.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            blocker.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE").await.unwrap();
        }
        let mut request = post(Some("application/json"), json!({"query": "{ viewer { id } }"}).to_string());
        request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let (status, _, body) = send(&state, request).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
        assert_eq!(refused(&body), "TIMEOUT");
        blocker.rollback().await.unwrap();
        // Released: the same request answers.
        let mut request = post(Some("application/json"), json!({"query": "{ viewer { id } }"}).to_string());
        request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let (status, _, body) = send(&state, request).await;
        assert_eq!((status, &body["data"]["viewer"]["id"]), (StatusCode::OK, &json!("1")));
    }

    async fn readyz_answers_503_between_phases_and_200_at_any_phase(t: &TestDb) {
        // One pool, the test's own, so that closing it below closes the gateway's.
        seed(t).await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1);
        let ready = |state: AppState| async move {
            let request = HttpRequest::get("/readyz").body(Body::empty()).unwrap();
            let (status, _, body) = send(&state, request).await;
            (status, body)
        };
        let latest = format!("ready at schema phase {}", migration::LATEST_PHASE);
        assert_eq!(ready(state.clone()).await, (StatusCode::OK, json!(latest)));
        migration::migrate_to_phase(&t.db, 0).await.unwrap();
        assert_eq!(
            ready(state.clone()).await,
            (StatusCode::OK, json!(format!("ready at schema phase 0 ({} migrations of later phases not applied)", migration::steps_through_phase(migration::LATEST_PHASE).unwrap() - migration::steps_through_phase(0).unwrap())))
        );
        // One migration of phase 1 without the rest of its phase.
        <migration::Migrator as migration::MigratorTrait>::up(&t.db, Some(1)).await.unwrap();
        assert_eq!(ready(state.clone()).await, (StatusCode::SERVICE_UNAVAILABLE, json!("schema between phases")));
        migration::migrate_to_phase(&t.db, migration::LATEST_PHASE).await.unwrap();
        assert_eq!(ready(state.clone()).await.0, StatusCode::OK);
        t.db.clone().close().await.unwrap();
        assert_eq!(ready(state).await, (StatusCode::SERVICE_UNAVAILABLE, json!("database unavailable")));
    }
}
