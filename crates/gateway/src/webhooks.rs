//! `POST /webhooks/whoop`: WHOOP's deliveries, answered in milliseconds and processed after.
//!
//! The handler checks the signature (`whoop::verify`: 401 when missing, wrong or stale), reads
//! the body (400 when it is not a delivery), records the delivery in `webhook_events` (one
//! statement: a redelivery of the same WHOOP id, event type and trace id is a duplicate) and
//! answers. Every delivery is recorded, refused ones included, with its outcome. A queued
//! delivery wakes [`process`], which claims it (`query::whoop::claim`, a lease), fetches the
//! record from a [`whoop::Source`] and stores or deletes it. The row is the queue: a process
//! killed after answering leaves it `received`, and the next one processes it at start.
//! `/metrics` counts deliveries by outcome (`swole_whoop_deliveries_total{outcome}`: queued,
//! duplicate, ignored, rejected, malformed) and processed events by status
//! (`swole_whoop_events_total{status}`: processed, ignored, failed, retried).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use query::Db;
use query::whoop::{Outcome, Verdict};
use serde_json::json;
use tokio::sync::Notify;

use crate::http::AppState;

/// What the webhook route needs: the app's client secret, and the worker's bell.
#[derive(Clone)]
pub struct Webhooks {
    secret: Arc<[u8]>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: Arc::from(secret), wake: Arc::new(Notify::new()) }
    }

    /// The bell [`process`] waits on.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// The headers kept with a delivery (never the signature's secret: there is none in them).
fn kept_headers(headers: &HeaderMap) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    json!({
        "signature": get("x-whoop-signature"),
        "timestamp": get("x-whoop-signature-timestamp"),
        "userAgent": get("user-agent"),
        "contentType": get("content-type"),
    })
    .to_string()
}

/// The handler.
pub(crate) async fn whoop(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(hooks) = state.webhooks.clone() else {
        return answer(
            StatusCode::NOT_FOUND,
            json!({ "error": "WHOOP webhooks are not configured" }),
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verdict = match whoop::verify(
        &hooks.secret,
        header("x-whoop-signature-timestamp"),
        header("x-whoop-signature"),
        &body,
        Utc::now().timestamp_millis(),
    ) {
        Err(whoop::Rejection::Missing) => Verdict::Rejected("missing signature"),
        Err(whoop::Rejection::Invalid) => Verdict::Rejected("bad signature"),
        Err(whoop::Rejection::Stale) => Verdict::Rejected("stale timestamp"),
        Ok(()) => match whoop::Event::parse(&body) {
            Ok(event) => Verdict::Event(event),
            Err(e) => Verdict::Malformed(e.to_string()),
        },
    };
    let recorded = query::whoop::record_delivery(
        &state.db,
        &verdict,
        &body,
        &kept_headers(&headers),
        Utc::now(),
    )
    .await;
    let outcome = match recorded {
        Ok(outcome) => outcome,
        Err(query::QueryError::Unavailable(why)) => {
            return answer(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": why }));
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a WHOOP delivery failed");
            // WHOOP retries a 5xx with backoff: nothing is lost.
            return answer(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": "try again later" }));
        }
    };
    let label = match (&verdict, &outcome) {
        (Verdict::Malformed(_), _) => "malformed",
        (Verdict::Rejected(_), _) | (_, Outcome::Rejected) => "rejected",
        (_, Outcome::Queued(_)) => "queued",
        (_, Outcome::Duplicate) => "duplicate",
        (_, Outcome::Ignored(_)) => "ignored",
    };
    metrics::counter!("swole_whoop_deliveries_total", "outcome" => label).increment(1);
    match (&verdict, outcome) {
        (Verdict::Rejected(reason), _) => {
            answer(StatusCode::UNAUTHORIZED, json!({ "error": reason }))
        }
        (Verdict::Malformed(reason), _) => {
            answer(StatusCode::BAD_REQUEST, json!({ "error": format!("malformed body: {reason}") }))
        }
        (_, Outcome::Queued(id)) => {
            hooks.wake.notify_one();
            answer(StatusCode::ACCEPTED, json!({ "status": "queued", "event": id }))
        }
        (_, Outcome::Duplicate) => answer(StatusCode::OK, json!({ "status": "duplicate" })),
        (_, Outcome::Ignored(reason)) => {
            answer(StatusCode::OK, json!({ "status": "ignored", "reason": reason }))
        }
        (_, Outcome::Rejected) => answer(StatusCode::UNAUTHORIZED, json!({ "error": "refused" })),
    }
}

/// How long a claimed event is kept from other workers by default (`--whoop-lease-ms`); past it,
/// another may take it. Longer than a fetch with its retries can take.
pub const LEASE: Duration = Duration::from_mins(1);
/// Transient fetch failures are retried this many times, backing off, then the event fails.
pub const MAX_ATTEMPTS: i32 = 8;

/// Processes queued deliveries until the task is dropped: at start (what a previous process
/// acknowledged and never finished), whenever `wake` rings, and every `idle` in any case (retries
/// that came due, leases that ended).
pub async fn process(
    db: Db,
    source: Arc<dyn whoop::Source>,
    wake: Arc<Notify>,
    idle: Duration,
    lease: Duration,
) {
    loop {
        match process_due(&db, source.as_ref(), lease).await {
            Ok(0) | Err(_) => {
                let _ = tokio::time::timeout(idle, wake.notified()).await;
            }
            Ok(_) => {}
        }
    }
}

/// Processes every event due now; returns how many it finished or put back.
pub async fn process_due(
    db: &Db,
    source: &dyn whoop::Source,
    lease: Duration,
) -> Result<usize, query::QueryError> {
    let lease = chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(60));
    let mut done = 0;
    loop {
        let claimed = query::whoop::claim(db, Utc::now(), lease).await;
        let job = match claimed {
            Ok(Some(job)) => job,
            Ok(None) => return Ok(done),
            Err(e) => {
                tracing::warn!(error = %e, "claiming a WHOOP event failed");
                return Err(e);
            }
        };
        let fetched = match job.action {
            whoop::Action::Deleted => Ok(None),
            whoop::Action::Updated => {
                source.fetch(job.kind, &job.entity_id, job.token.as_deref()).await
            }
        };
        let res = match fetched {
            Ok(record) => {
                query::whoop::apply(db, &job, record.as_deref(), Utc::now()).await.map(|_| ())
            }
            Err(e) if e.is_transient() && job.attempts < MAX_ATTEMPTS => {
                metrics::counter!("swole_whoop_events_total", "status" => "retried").increment(1);
                let wait =
                    chrono::Duration::seconds(2_i64.pow(job.attempts.clamp(0, 12).unsigned_abs()));
                query::whoop::retry_at(db, job.event_id, Utc::now() + wait, &e.to_string()).await
            }
            Err(e) => {
                query::whoop::finish(db, job.event_id, "failed", Some(&e.to_string()), Utc::now())
                    .await
            }
        };
        if let Err(e) = res {
            tracing::warn!(event = job.event_id, error = %e, "processing a WHOOP event failed; its lease will end");
        }
        done += 1;
    }
}
