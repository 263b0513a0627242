//! Where records come from: WHOOP's API (`HttpSource`), or a v2 JSON export on disk
//! (`FileSource`, for the seed, demos and replays). Both answer "the record of this kind with
//! this id", as the payload text WHOOP serves.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::{Export, Kind};

/// A fetch in flight (boxed, so a `dyn Source` can be shared by the gateway's workers).
pub type Fetch<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, FetchError>> + Send + 'a>>;

/// A place to fetch WHOOP records from. `Ok(None)`: WHOOP has no such record (deleted since).
pub trait Source: Send + Sync + std::fmt::Debug {
    /// The record of `kind` with `id` (a recovery by its sleep's id), read with the user's
    /// OAuth access token when the source needs one.
    fn fetch<'a>(&'a self, kind: Kind, id: &'a str, token: Option<&'a str>) -> Fetch<'a>;
}

/// Why a fetch failed. `Transient` failures are retried later; the rest are final.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("WHOOP is unavailable for now: {0}")]
    Transient(String),
    #[error("WHOOP refused the request: {0}")]
    Refused(String),
    #[error("the user has no WHOOP access token")]
    NoToken,
    #[error("WHOOP answered something that is not a record: {0}")]
    Malformed(String),
}

impl FetchError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// How the HTTP client talks to WHOOP.
#[derive(Debug, Clone)]
pub struct HttpSourceConfig {
    /// `https://api.prod.whoop.com/developer` in production; a loopback server in tests.
    pub base_url: String,
    /// The whole of one request, connection included.
    pub timeout: Duration,
    /// Attempts per fetch, the first included; 429 and 5xx answers and timeouts are retried.
    pub attempts: u32,
    /// The wait before the first retry; doubled for each further one, or WHOOP's `Retry-After`.
    pub backoff: Duration,
}

impl Default for HttpSourceConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.prod.whoop.com/developer".to_owned(),
            timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_millis(500),
        }
    }
}

/// WHOOP's API v2 over HTTPS (rustls on the ring provider).
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: reqwest::Client,
    config: HttpSourceConfig,
}

/// The longest `Retry-After` honoured; a longer wait is the queue's job, not a request's.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

impl HttpSource {
    pub fn new(config: HttpSourceConfig) -> Result<Self, FetchError> {
        // Idempotent: fails only when a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("swole-tracker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Refused(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { client, config })
    }

    /// One GET with retries: `Ok(None)` on 404.
    async fn get(&self, path: &str, token: &str) -> Result<Option<String>, FetchError> {
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        let mut wait = self.config.backoff;
        let mut attempt = 1;
        loop {
            let res = self.client.get(&url).bearer_auth(token).send().await;
            let retry_after = match res {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        let text = resp
                            .text()
                            .await
                            .map_err(|e| FetchError::Transient(format!("{path}: {e}")))?;
                        return Ok(Some(text));
                    }
                    if status == reqwest::StatusCode::NOT_FOUND {
                        return Ok(None);
                    }
                    if status != reqwest::StatusCode::TOO_MANY_REQUESTS && !status.is_server_error()
                    {
                        return Err(FetchError::Refused(format!("{path}: HTTP {status}")));
                    }
                    if attempt >= self.config.attempts {
                        return Err(FetchError::Transient(format!("{path}: HTTP {status}")));
                    }
                    resp.headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER))
                }
                Err(e) => {
                    if attempt >= self.config.attempts {
                        return Err(FetchError::Transient(format!("{path}: {e}")));
                    }
                    None
                }
            };
            tracing::debug!(path, attempt, "WHOOP fetch retried");
            tokio::time::sleep(retry_after.unwrap_or(wait)).await;
            wait *= 2;
            attempt += 1;
        }
    }

    async fn fetch_record(
        &self,
        kind: Kind,
        id: &str,
        token: Option<&str>,
    ) -> Result<Option<String>, FetchError> {
        let token = token.ok_or(FetchError::NoToken)?;
        match kind {
            Kind::Workout => self.get(&format!("/v2/activity/workout/{id}"), token).await,
            Kind::Sleep => self.get(&format!("/v2/activity/sleep/{id}"), token).await,
            // A v2 recovery event names its sleep; the recovery is served under the sleep's cycle.
            Kind::Recovery => {
                let Some(sleep) = self.get(&format!("/v2/activity/sleep/{id}"), token).await?
                else {
                    return Ok(None);
                };
                let sleep = crate::Sleep::parse(&sleep)
                    .map_err(|e| FetchError::Malformed(e.to_string()))?;
                self.get(&format!("/v2/cycle/{}/recovery", sleep.cycle_id), token).await
            }
        }
    }
}

impl Source for HttpSource {
    fn fetch<'a>(&'a self, kind: Kind, id: &'a str, token: Option<&'a str>) -> Fetch<'a> {
        Box::pin(self.fetch_record(kind, id, token))
    }
}

/// Records from a WHOOP v2 JSON export, by kind and id (no token needed).
#[derive(Debug, Default)]
pub struct FileSource {
    records: HashMap<(Kind, String), String>,
}

impl FileSource {
    pub fn new(export: &Export) -> Self {
        let mut records = HashMap::new();
        for it in &export.sleeps {
            records.insert((Kind::Sleep, it.id.clone()), it.raw.clone());
        }
        for it in &export.recoveries {
            records.insert((Kind::Recovery, it.sleep_id.clone()), it.raw.clone());
        }
        for it in &export.workouts {
            // The export holds workouts as records; rebuild nothing, keep what was read.
            records.insert((Kind::Workout, it.id.clone()), workout_payload(it));
        }
        Self { records }
    }

    /// Reads an export file.
    pub fn open(path: &std::path::Path) -> Result<Self, FetchError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FetchError::Refused(format!("{}: {e}", path.display())))?;
        let export = Export::parse(&text).map_err(|e| FetchError::Malformed(e.to_string()))?;
        Ok(Self::new(&export))
    }
}

/// A workout as the API serves it, from its stored parts.
fn workout_payload(w: &crate::Workout) -> String {
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let score = w.score_json.as_deref().unwrap_or("null");
    format!(
        r#"{{"id":{},"user_id":{},"created_at":"{}","updated_at":"{}","start":"{}","end":"{}","timezone_offset":{},"sport_name":{},"score_state":{},"score":{score}}}"#,
        serde_json::Value::from(w.id.as_str()),
        w.whoop_user_id,
        time(w.created_at),
        time(w.updated_at),
        time(w.start),
        time(w.end),
        serde_json::Value::from(w.timezone_offset.as_str()),
        serde_json::Value::from(w.sport_name.as_str()),
        serde_json::Value::from(w.score_state.as_str()),
    )
}

impl Source for FileSource {
    fn fetch<'a>(&'a self, kind: Kind, id: &'a str, _token: Option<&'a str>) -> Fetch<'a> {
        let found = self.records.get(&(kind, id.to_owned())).cloned();
        Box::pin(async move { Ok(found) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::http::StatusCode;
    use axum::routing::get;

    use super::*;

    /// A loopback server playing WHOOP: `/v2/activity/workout/{id}` answers the statuses of
    /// `script` in turn (then 200), and counts the requests and their bearer tokens.
    async fn server(script: Vec<u16>) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().route(
            "/v2/activity/workout/{id}",
            get(move |headers: axum::http::HeaderMap| {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let status = script.get(n).copied().unwrap_or(200);
                async move {
                    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
                        == Some("Bearer token-1");
                    let status = if authorized { status } else { 401 };
                    (StatusCode::from_u16(status).expect("status"), r#"{"id":"w"}"#)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        (format!("http://{addr}"), hits)
    }

    fn source(base: String) -> HttpSource {
        HttpSource::new(HttpSourceConfig {
            base_url: base,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(5),
        })
        .expect("client")
    }

    #[tokio::test]
    async fn retries_429_and_5xx_then_gives_up_and_refuses_the_rest() {
        type Case = (&'static str, Vec<u16>, Option<&'static str>, &'static str, usize);
        let cases: Vec<Case> = vec![
            ("answers at once", vec![], Some("token-1"), "ok", 1),
            ("a 429 and a 503, then the record", vec![429, 503], Some("token-1"), "ok", 3),
            (
                "three 500s: transient, retried later",
                vec![500, 500, 500],
                Some("token-1"),
                "transient",
                3,
            ),
            ("a 404: the record is gone", vec![404], Some("token-1"), "gone", 1),
            ("a 403 is final", vec![403], Some("token-1"), "refused", 1),
            ("a wrong token is refused", vec![], Some("other"), "refused", 1),
            ("no token: no request", vec![], None, "no token", 0),
        ];
        for (name, script, token, want, requests) in cases {
            let (base, hits) = server(script).await;
            let got = match source(base).fetch(Kind::Workout, "w", token).await {
                Ok(Some(_)) => "ok",
                Ok(None) => "gone",
                Err(FetchError::Transient(_)) => "transient",
                Err(FetchError::Refused(_)) => "refused",
                Err(FetchError::NoToken) => "no token",
                Err(FetchError::Malformed(_)) => "malformed",
            };
            assert_eq!((got, hits.load(Ordering::SeqCst)), (want, requests), "{name}");
        }
    }

    #[tokio::test]
    async fn a_file_source_serves_an_exports_records() {
        let sleep = r#"{"id":"s1","cycle_id":1,"user_id":2,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","start":"2025-01-01T00:00:00Z","end":"2025-01-01T07:00:00Z","timezone_offset":"+00:00","score_state":"PENDING_SCORE"}"#;
        let export = Export::parse(&format!(r#"{{"sleeps":[{sleep}]}}"#)).expect("export");
        let source = FileSource::new(&export);
        assert_eq!(
            source.fetch(Kind::Sleep, "s1", None).await.expect("ok").as_deref(),
            Some(sleep)
        );
        assert_eq!(source.fetch(Kind::Sleep, "s2", None).await.expect("ok"), None);
    }
}
