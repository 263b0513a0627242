//! `POST /webhooks/whoop` end to end: signatures, statuses, the queue, and a loopback server
//! that plays WHOOP's API.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use chrono::Utc;
use gateway::webhooks::{Webhooks, process_due};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use test_support::{TestDb, backend_tests};

use crate::http::send;
use crate::{seed, state_on};

const SECRET: &[u8] = b"whoop-client-secret";
/// The WHOOP user each test connects user 1 to.
const WHOOP_USER: i64 = 10_007;
const SLEEP_ID: &str = "0b7f4b43-7a5e-4e4e-9d2e-000000000001";

fn sleep_payload() -> String {
    format!(
        r#"{{"id":"{SLEEP_ID}","cycle_id":777001,"v1_id":1,"user_id":{WHOOP_USER},"created_at":"2025-11-24T07:10:00.000Z","updated_at":"2025-11-24T07:25:00.000Z","start":"2025-11-23T22:30:00.000Z","end":"2025-11-24T06:40:00.000Z","timezone_offset":"+00:00","nap":false,"score_state":"SCORED","score":{{"stage_summary":{{"total_in_bed_time_milli":29400000,"total_awake_time_milli":1800000,"total_no_data_time_milli":0,"total_light_sleep_time_milli":14000000,"total_slow_wave_sleep_time_milli":6000000,"total_rem_sleep_time_milli":7600000,"sleep_cycle_count":5,"disturbance_count":7}},"sleep_needed":{{"baseline_milli":28000000,"need_from_sleep_debt_milli":0,"need_from_recent_strain_milli":0,"need_from_recent_nap_milli":0}},"respiratory_rate":15.2,"sleep_performance_percentage":91.0,"sleep_consistency_percentage":80.0,"sleep_efficiency_percentage":93.9}}}}"#
    )
}

fn recovery_payload() -> String {
    format!(
        r#"{{"cycle_id":777001,"sleep_id":"{SLEEP_ID}","user_id":{WHOOP_USER},"created_at":"2025-11-24T07:12:00.000Z","updated_at":"2025-11-24T07:26:00.000Z","score_state":"SCORED","score":{{"user_calibrating":false,"recovery_score":71.0,"resting_heart_rate":52.0,"hrv_rmssd_milli":64.5,"spo2_percentage":97.1,"skin_temp_celsius":33.9}}}}"#
    )
}

/// A loopback server that answers as WHOOP's API v2 for one sleep and its recovery, and counts
/// the requests it served.
async fn fake_whoop() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use axum::routing::get;
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (h1, h2) = (hits.clone(), hits.clone());
    let app = axum::Router::new()
        .route(
            "/v2/activity/sleep/{id}",
            get(move |axum::extract::Path(id): axum::extract::Path<String>| {
                h1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    if id == SLEEP_ID {
                        (StatusCode::OK, sleep_payload())
                    } else {
                        (StatusCode::NOT_FOUND, String::new())
                    }
                }
            }),
        )
        .route(
            "/v2/cycle/{id}/recovery",
            get(move || {
                h2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move { (StatusCode::OK, recovery_payload()) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

fn delivery(body: &str, timestamp_ms: i64, secret: &[u8]) -> HttpRequest<Body> {
    let ts = timestamp_ms.to_string();
    HttpRequest::post("/webhooks/whoop")
        .header("content-type", "application/json")
        .header("x-whoop-signature-timestamp", &ts)
        .header("x-whoop-signature", whoop::sign(secret, &ts, body.as_bytes()))
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn event(kind: &str, id: &str, trace: &str) -> String {
    json!({ "user_id": WHOOP_USER, "id": id, "type": kind, "trace_id": trace }).to_string()
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    let row =
        t.db.query_one_raw(Statement::from_string(t.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

backend_tests! {
    async fn each_delivery_gets_its_own_answer_and_is_recorded_once(t: &TestDb) {
        seed(t).await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1).with_webhooks(Webhooks::new(SECRET));
        query::whoop::connect(&state.db, query::UserId(1), WHOOP_USER, Some("token-1"), Utc::now()).await.unwrap();
        let now = Utc::now().timestamp_millis();
        let good = event("sleep.updated", SLEEP_ID, "trace-1");
        let cases: Vec<(&str, HttpRequest<Body>, StatusCode, Value)> = vec![
            ("bad signature", delivery(&good, now, b"another-secret"), StatusCode::UNAUTHORIZED, json!({"error": "bad signature"})),
            ("stale", delivery(&good, now - 6 * 60 * 1000, SECRET), StatusCode::UNAUTHORIZED, json!({"error": "stale timestamp"})),
            ("no signature", HttpRequest::post("/webhooks/whoop").body(Body::from(good.clone())).unwrap(), StatusCode::UNAUTHORIZED, json!({"error": "missing signature"})),
            ("malformed", delivery(r#"{"user_id":"x"}"#, now, SECRET), StatusCode::BAD_REQUEST, json!({"error": "malformed body: `user_id` must be an integer"})),
            ("unknown user", delivery(&json!({"user_id": 1, "id": "a", "type": "sleep.updated", "trace_id": "t"}).to_string(), now, SECRET), StatusCode::OK, json!({"status": "ignored", "reason": "unknown user"})),
            ("unknown type", delivery(&event("cycle.updated", "1", "t"), now, SECRET), StatusCode::OK, json!({"status": "ignored", "reason": "unknown event type"})),
        ];
        for (name, request, status, body) in cases {
            let (got, _, answer) = send(&state, request).await;
            assert_eq!((got, answer), (status, body), "{name}");
        }
        let (got, _, answer) = send(&state, delivery(&good, now, SECRET)).await;
        assert_eq!((got, &answer["status"]), (StatusCode::ACCEPTED, &json!("queued")));
        let (got, _, answer) = send(&state, delivery(&good, now + 1000, SECRET)).await;
        assert_eq!((got, answer), (StatusCode::OK, json!({"status": "duplicate"})), "redelivered");
        // A body over the limit is refused before it is read, signed or not, and not recorded.
        let huge = "x".repeat(gateway::Limits::DEFAULT.max_body_bytes + 1);
        let (got, _, _) = send(&state, delivery(&huge, now, SECRET)).await;
        assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE);
        // Every delivery recorded with its outcome; the duplicate once.
        assert_eq!(count(t, "SELECT COUNT(*) FROM webhook_events").await, 7);
        assert_eq!(count(t, "SELECT COUNT(*) FROM webhook_events WHERE status = 'rejected'").await, 4);
        assert_eq!(count(t, "SELECT COUNT(*) FROM webhook_events WHERE status = 'ignored'").await, 2);
        assert_eq!(count(t, "SELECT COUNT(*) FROM webhook_events WHERE status = 'received'").await, 1);
        // The outcomes are counted on /metrics (the recorder is the process's: present, not exact).
        let (_, _, metrics) = send(&state, HttpRequest::get("/metrics").body(Body::empty()).unwrap()).await;
        let text = metrics.as_str().unwrap_or_default().to_owned();
        for outcome in ["queued", "duplicate", "ignored", "rejected", "malformed"] {
            let series = format!("swole_whoop_deliveries_total{{outcome=\"{outcome}\"}}");
            assert!(text.contains(&series), "{series} missing");
        }
    }

    async fn a_delivery_acknowledged_before_a_crash_is_processed_at_the_next_start(t: &TestDb) {
        seed(t).await;
        let (base, hits) = fake_whoop().await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1).with_webhooks(Webhooks::new(SECRET));
        query::whoop::connect(&state.db, query::UserId(1), WHOOP_USER, Some("token-1"), Utc::now()).await.unwrap();
        let now = Utc::now().timestamp_millis();
        // Acknowledged, and the process "dies": no worker ever ran.
        for (kind, trace) in [("sleep.updated", "s-1"), ("recovery.updated", "r-1")] {
            let (got, _, _) = send(&state, delivery(&event(kind, SLEEP_ID, trace), now, SECRET)).await;
            assert_eq!(got, StatusCode::ACCEPTED);
        }
        assert_eq!(count(t, &format!("SELECT COUNT(*) FROM whoop_sleep WHERE whoop_sleep_id = '{SLEEP_ID}'")).await, 0);

        // The next process: a worker over the same database finds both and stores the records.
        let source = whoop::HttpSource::new(whoop::HttpSourceConfig {
            base_url: base,
            timeout: Duration::from_secs(5),
            attempts: 2,
            backoff: Duration::from_millis(10),
        })
        .unwrap();
        let db = state.db.clone();
        assert_eq!(process_due(&db, &source, gateway::webhooks::LEASE).await.unwrap(), 2);
        assert_eq!(count(t, "SELECT COUNT(*) FROM webhook_events WHERE status = 'processed'").await, 2);
        let sleep = format!("SELECT COUNT(*) FROM whoop_sleep WHERE user_id = 1 AND whoop_sleep_id = '{SLEEP_ID}' AND raw_data = '' AND raw_zstd IS NOT NULL AND sleep_quality_tier = 'excellent'");
        assert_eq!(count(t, &sleep).await, 1, "stored compressed, with its columns");
        let recovery = format!("SELECT COUNT(*) FROM whoop_recovery WHERE user_id = 1 AND whoop_recovery_id = '{SLEEP_ID}' AND recovery_score = 71 AND recovery_score_tier = 'high'");
        assert_eq!(count(t, &recovery).await, 1);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 3, "sleep, then sleep + cycle recovery");
        // The stored payload is what WHOOP served, byte for byte.
        let codec = migration::whoop_codec(&t.db).await.unwrap();
        let row = t.db.query_one_raw(Statement::from_string(t.db.get_database_backend(), format!("SELECT raw_zstd, raw_dict FROM whoop_sleep WHERE whoop_sleep_id = '{SLEEP_ID}'"))).await.unwrap().unwrap();
        let (bytes, dict): (Vec<u8>, Option<i64>) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        assert_eq!(migration::whoop_payload(&codec, String::new(), Some(&bytes), dict).unwrap(), sleep_payload());

        // Processing again finds nothing; a redelivery is a duplicate; nothing is written twice.
        assert_eq!(process_due(&db, &source, gateway::webhooks::LEASE).await.unwrap(), 0);
        let (got, _, _) = send(&state, delivery(&event("sleep.updated", SLEEP_ID, "s-1"), now, SECRET)).await;
        assert_eq!(got, StatusCode::OK);
        assert_eq!(count(t, &format!("SELECT COUNT(*) FROM whoop_sleep WHERE whoop_sleep_id = '{SLEEP_ID}'")).await, 1);

        // A deletion deletes the sleep and its recovery.
        let (got, _, _) = send(&state, delivery(&event("sleep.deleted", SLEEP_ID, "d-1"), now, SECRET)).await;
        assert_eq!(got, StatusCode::ACCEPTED);
        assert_eq!(process_due(&db, &source, gateway::webhooks::LEASE).await.unwrap(), 1);
        assert_eq!(count(t, &format!("SELECT COUNT(*) FROM whoop_sleep WHERE whoop_sleep_id = '{SLEEP_ID}'")).await, 0);
        assert_eq!(count(t, &format!("SELECT COUNT(*) FROM whoop_recovery WHERE whoop_recovery_id = '{SLEEP_ID}'")).await, 0);
    }

    async fn a_claimed_event_whose_worker_died_is_taken_again_after_its_lease(t: &TestDb) {
        seed(t).await;
        let state = state_on(t.db.clone(), db::ParamLimit::D1).with_webhooks(Webhooks::new(SECRET));
        query::whoop::connect(&state.db, query::UserId(1), WHOOP_USER, Some("token-1"), Utc::now()).await.unwrap();
        let now = Utc::now();
        let (got, _, _) = send(&state, delivery(&event("workout.deleted", "w-1", "t"), now.timestamp_millis(), SECRET)).await;
        assert_eq!(got, StatusCode::ACCEPTED);
        let lease = chrono::Duration::seconds(60);
        let first = query::whoop::claim(&state.db, now, lease).await.unwrap().expect("claimed");
        // The worker dies holding it: nobody else may take it during the lease...
        assert!(query::whoop::claim(&state.db, now, lease).await.unwrap().is_none());
        // ...and after it, another worker does.
        let again = query::whoop::claim(&state.db, now + lease + chrono::Duration::seconds(1), lease).await.unwrap();
        assert_eq!(again.map(|j| (j.event_id, j.attempts)), Some((first.event_id, 2)));
    }
}

/// One delivery over TCP with WHOOP's headers; the status code.
fn deliver(addr: &str, body: &str, secret: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let ts = Utc::now().timestamp_millis().to_string();
    let signature = whoop::sign(secret, &ts, body.as_bytes());
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /webhooks/whoop HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\ncontent-type: application/json\r\n\
         x-whoop-signature-timestamp: {ts}\r\nx-whoop-signature: {signature}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).and_then(|it| it.parse().ok()).unwrap_or(0)
}

/// The binary is killed while its worker fetches the record of a delivery it acknowledged; the
/// next process, once the lease ends, processes it, and it is stored once.
fn killed_after_acknowledging(url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let conn = runtime.block_on(async {
        let conn = db::connect(&db::DbConfig::new(url).unwrap()).await.unwrap();
        let end = crate::now().date_naive() - chrono::Duration::days(1);
        let config =
            datagen::SeedConfig::new(2, 2, 42, end, i64::from(migration::LATEST_PHASE), 100)
                .unwrap();
        datagen::write::prepare(&conn, &config, false).await.unwrap();
        datagen::write::write_all(&conn, &config, |_| {}).await.unwrap();
        let db = query::Db::new(
            conn.clone(),
            migration::LATEST_PHASE,
            db::ParamLimit::D1,
            query::Flags::OPTIMIZED,
        )
        .unwrap();
        query::whoop::connect(&db, query::UserId(1), WHOOP_USER, Some("token-1"), Utc::now())
            .await
            .unwrap();
        conn
    });
    let count = |sql: &str| -> i64 {
        runtime.block_on(async {
            let row = conn
                .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        })
    };
    // A WHOOP that accepts connections and never answers: the worker's fetch hangs.
    let stall = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_addr = stall.local_addr().unwrap();
    let (accepted_tx, accepted) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in stall.incoming().flatten() {
            held.push(stream);
            let _ = accepted_tx.send(());
        }
    });
    let api = format!("http://{stall_addr}");
    let common = [
        "--database-url",
        url,
        "--jwt-secret",
        "s",
        "--whoop-webhook-secret",
        "hook",
        "--whoop-lease-ms",
        "1500",
    ];
    let mut first =
        crate::binary::start(&[&common[..], &["--whoop-api-url", &api]].concat()).unwrap();
    assert_eq!(deliver(&first.addr, &event("sleep.updated", SLEEP_ID, "crash-1"), b"hook"), 202);
    accepted.recv_timeout(Duration::from_secs(20)).expect("the worker fetches");
    first.child.kill().unwrap(); // SIGKILL, mid-fetch
    first.child.wait().unwrap();
    assert_eq!(
        count("SELECT COUNT(*) FROM webhook_events WHERE status = 'received'"),
        1,
        "acknowledged, not processed"
    );

    let export = std::env::temp_dir().join(format!(
        "swole-whoop-export-{}-{}.json",
        std::process::id(),
        url.len()
    ));
    std::fs::write(&export, format!(r#"{{"sleeps":[{}]}}"#, sleep_payload())).unwrap();
    let path = export.display().to_string();
    let second =
        crate::binary::start(&[&common[..], &["--whoop-source-file", &path]].concat()).unwrap();
    let stored = format!("SELECT COUNT(*) FROM whoop_sleep WHERE whoop_sleep_id = '{SLEEP_ID}'");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count("SELECT COUNT(*) FROM webhook_events WHERE status = 'processed'") == 0 {
        assert!(std::time::Instant::now() < deadline, "not processed after the restart");
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
    }
    assert_eq!(count(&stored), 1);
    assert_eq!(
        count("SELECT CAST(MAX(attempts) AS BIGINT) FROM webhook_events"),
        2,
        "claimed by each process once"
    );
    assert_eq!(
        deliver(&second.addr, &event("sleep.updated", SLEEP_ID, "crash-1"), b"hook"),
        200,
        "a redelivery is a duplicate"
    );
    assert!(second.terminate().success());
    let _ = std::fs::remove_file(&export);
}

#[test]
fn killed_after_acknowledging_sqlite() {
    let file = crate::binary::TempSqlite::new("whoop-crash");
    killed_after_acknowledging(&file.url());
}

#[test]
fn killed_after_acknowledging_postgres() {
    let Some(pg) = crate::binary::PgDatabase::create("whoop_crash") else { return };
    killed_after_acknowledging(&pg.url);
}
