//! The CSV downloads over HTTP: every row against the stored set lines (converted here), the
//! spreadsheet conventions (BOM, CRLF, header, formula escaping), paging across many workouts,
//! and refusals.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::EntityTrait;
use serde_json::json;
use test_support::backend_tests;
use tower::ServiceExt;

use super::{now, run, state};

/// GETs `uri` as user 1 (or anonymously): status, headers, body bytes.
async fn get(
    state: &gateway::AppState,
    uri: &str,
    auth: bool,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri).body(Body::empty()).unwrap();
    if auth {
        let token = state.auth.token_for(query::UserId(1), 60);
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    }
    let res = gateway::app(state.clone()).oneshot(request).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn records(body: &[u8]) -> Vec<Vec<String>> {
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 with a byte-order mark");
    let text = std::str::from_utf8(&body[3..]).unwrap();
    assert!(
        text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'),
        "CRLF line ends only"
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn lbs(kg: Option<f64>) -> String {
    kg.map(|it| format!("{}", (it / domain::KG_PER_LB * 100.0).round() / 100.0)).unwrap_or_default()
}

backend_tests! {
    async fn every_set_line_downloads_in_the_requested_unit(t: &TestDb) {
        let state = state(t).await;
        // A name typed like a formula, saved today.
        let input = json!({"clientKey": "csv-1", "workoutDate": now().to_rfc3339(), "exercises": [
            {"exerciseName": "=HYPERLINK(\"http://evil\")", "sets": [{"weight": 50.0, "unit": "KG", "reps": 5}]}]});
        let saved = run(&state, Some(1), "mutation($i: SaveWorkoutInput!) { saveWorkout(input: $i) { replayed } }", json!({"i": input})).await;
        assert!(saved["errors"].is_null(), "{saved}");
        // Enough workouts that the download takes more than one page (one statement each).
        let per_page = i64::try_from(query::exports::WORKOUTS_PER_PAGE).unwrap();
        for batch in 0..=(per_page / 20) {
            let inputs: Vec<serde_json::Value> = (0..20).map(|i| {
                let n = batch * 20 + i;
                json!({"clientKey": format!("csv-b-{n}"), "workoutDate": (now() - chrono::Duration::days(400 + n)).to_rfc3339(),
                       "exercises": [{"exerciseName": "Goblet Squat", "sets": [{"weight": 20.0 + (n % 7) as f64, "unit": "KG", "reps": 10, "sets": 2}]}]})
            }).collect();
            let res = run(&state, Some(1), "mutation($i: [SaveWorkoutInput!]!) { saveWorkouts(inputs: $i) { replayed } }", json!({"i": inputs})).await;
            assert!(res["errors"].is_null(), "{res}");
        }

        let (status, headers, body) = get(&state, "/export/workouts.csv?unit=lbs", true).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(headers[header::CONTENT_DISPOSITION], "attachment; filename=\"swole-workouts.csv\"");
        let rows = records(&body);
        assert_eq!(rows[0], ["date", "started_at", "workout_id", "template", "exercise", "exercise_as_entered", "set", "set_type", "weight_lbs", "reps", "sets", "rpe", "rest_seconds", "e1rm_lbs", "volume_lbs"]);

        // The expected rows, from the stored lines of user 1 in workout order.
        let sessions: HashMap<i64, entity::workout_session::Model> = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().map(|s| (s.id, s)).collect();
        let templates: HashMap<i64, String> = entity::workout_template::Entity::find().all(&t.db).await.unwrap().into_iter().map(|t| (t.id, t.name)).collect();
        let mut lines: Vec<entity::session_exercise::Model> = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|l| l.user_id == 1).collect();
        lines.sort_by_key(|l| (sessions[&l.session_id].workout_date, l.session_id, l.set_order, l.id));
        let workouts: std::collections::HashSet<i64> = lines.iter().map(|l| l.session_id).collect();
        assert!(workouts.len() as u64 > query::exports::WORKOUTS_PER_PAGE, "the fixture spans pages: {}", workouts.len());
        let escape = |s: &str| if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
        let expected: Vec<Vec<String>> = lines.iter().map(|l| {
            let s = &sessions[&l.session_id];
            vec![
                s.local_date.to_string(),
                s.workout_date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                l.session_id.to_string(),
                s.template_id.map(|id| escape(&templates[&id])).unwrap_or_default(),
                escape(&l.resolved_exercise_name),
                escape(&l.exercise_name),
                (l.set_order + 1).to_string(),
                l.set_type.clone(),
                lbs(l.weight_kg),
                l.reps.map(|r| r.to_string()).unwrap_or_default(),
                l.sets.to_string(),
                l.rpe.map(|r| r.to_string()).unwrap_or_default(),
                l.rest_seconds.map(|r| r.to_string()).unwrap_or_default(),
                lbs(l.one_rm_estimate),
                lbs(Some(l.volume_load)),
            ]
        }).collect();
        assert_eq!(rows.len() - 1, expected.len());
        for (got, want) in rows[1..].iter().zip(&expected) {
            assert_eq!(got, want);
        }
        let last = rows.last().unwrap();
        assert_eq!((last[4].as_str(), last[8].as_str()), ("'=HYPERLINK(\"http://evil\")", "110.23"), "escaped, in pounds");
    }

    async fn one_exercise_downloads_its_counted_lines_in_a_range(t: &TestDb) {
        let state = state(t).await;
        let lines: Vec<entity::session_exercise::Model> = entity::session_exercise::Entity::find().all(&t.db).await.unwrap().into_iter().filter(|l| l.user_id == 1).collect();
        let sessions: HashMap<i64, entity::workout_session::Model> = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().map(|s| (s.id, s)).collect();
        let name = lines.iter().find(|l| l.set_type == "warmup").map_or_else(|| lines[0].resolved_exercise_name.clone(), |l| l.resolved_exercise_name.clone());
        let (from, to) = (now().date_naive() - chrono::Duration::days(60), now().date_naive() - chrono::Duration::days(10));
        let mut want: Vec<&entity::session_exercise::Model> = lines.iter().filter(|l| {
            let day = sessions[&l.session_id].local_date;
            l.resolved_exercise_name == name && l.set_type != "warmup" && day >= from && day <= to
        }).collect();
        want.sort_by_key(|l| (sessions[&l.session_id].workout_date, l.session_id, l.set_order, l.id));
        assert!(!want.is_empty());
        let uri = format!("/export/exercise.csv?exercise={}&from={from}&to={to}&unit=KG", name.replace(' ', "%20"));
        let (status, _, body) = get(&state, &uri, true).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let rows = records(&body);
        assert_eq!(rows[0], ["date", "started_at", "workout_id", "set", "set_type", "weight_kg", "reps", "sets", "rpe", "e1rm_kg", "volume_kg"]);
        let kg = |x: Option<f64>| x.map(|it| format!("{}", (it * 100.0).round() / 100.0)).unwrap_or_default();
        let got: Vec<(String, String, String)> = rows[1..].iter().map(|r| (r[2].clone(), r[5].clone(), r[9].clone())).collect();
        let expected: Vec<(String, String, String)> = want.iter().map(|l| (l.session_id.to_string(), kg(l.weight_kg), kg(l.one_rm_estimate))).collect();
        assert_eq!(got, expected);
    }

    async fn downloads_refuse_anonymous_and_bad_parameters(t: &TestDb) {
        let state = state(t).await;
        let (status, headers, _) = get(&state, "/export/workouts.csv", false).await;
        assert_eq!((status, headers.get(header::WWW_AUTHENTICATE).map(|it| it.to_str().unwrap())), (StatusCode::UNAUTHORIZED, Some("Bearer")));
        for (uri, field) in [
            ("/export/workouts.csv?unit=stone", "unit"),
            ("/export/workouts.csv?from=yesterday", "from"),
            ("/export/workouts.csv?from=2025-02-01&to=2025-01-01", "from"),
            ("/export/exercise.csv", "exercise"),
        ] {
            let (status, _, body) = get(&state, uri, true).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert!(String::from_utf8(body).unwrap().starts_with(field), "{uri}");
        }
        // Without a unit: the preferred one (the seed's user 2 may prefer either; user 1 is set).
        run(&state, Some(1), "mutation { updatePreferences(input: {defaultWeightUnit: LBS}) { defaultWeightUnit } }", json!({})).await;
        let (_, _, body) = get(&state, "/export/workouts.csv?to=2000-01-01", true).await;
        assert_eq!(records(&body), vec![vec!["date", "started_at", "workout_id", "template", "exercise", "exercise_as_entered", "set", "set_type", "weight_lbs", "reps", "sets", "rpe", "rest_seconds", "e1rm_lbs", "volume_lbs"]]);
    }
}
