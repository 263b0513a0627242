//! CSV downloads: `GET /export/workouts.csv` (every set line) and `GET /export/exercise.csv`
//! (one exercise's counted lines), authenticated like `/graphql` (`Authorization: Bearer`),
//! streamed a page of workouts at a time.
//!
//! Query parameters: `from`, `to` (local dates, both optional), `unit` (`kg` or `lbs`, default the
//! user's preferred unit) and, for an exercise, `exercise` (its name as the progress pages show
//! it). Every weight is in that one unit, rounded to 0.01; the unit is named in the header row.
//!
//! The file opens correctly in a spreadsheet: UTF-8 with a byte-order mark (so Excel reads
//! accents), RFC 4180 quoting and CRLF line ends (the `csv` crate), one header row, dates as ISO
//! 8601. Text a person typed (exercise and template names) that starts like a formula (`=`, `+`,
//! `-`, `@`, tab, CR) is prefixed with `'`, so opening a file never runs a formula from it
//! (CSV injection). A database error before the first byte is a 500 with no driver text; after
//! it, the download is cut short and the error logged (a truncated file, never a wrong one).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::WeightUnit;
use futures_util::stream;
use query::UserId;
use query::exports::{self, ExportFilter, ExportKey, ExportRow};

use crate::http::AppState;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Workouts,
    Exercise,
}

/// A refused download: status and a plain-text reason.
fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], reason.to_owned())
        .into_response()
}

pub(crate) async fn workouts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    download(&state, &headers, &params, Kind::Workouts).await
}

pub(crate) async fn exercise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    download(&state, &headers, &params, Kind::Exercise).await
}

fn date_param(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, String> {
    params
        .get(name)
        .map(|it| {
            it.parse::<NaiveDate>()
                .map_err(|_| format!("{name}: must be a date such as 2025-11-25"))
        })
        .transpose()
}

async fn download(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    kind: Kind,
) -> Response {
    let token = headers.get(header::AUTHORIZATION).and_then(|it| it.to_str().ok());
    let Ok(user) = state.auth.verify(token) else {
        let mut res = refuse(StatusCode::UNAUTHORIZED, "authentication required");
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    };
    let filter = match filter_of(params, kind) {
        Ok(it) => it,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, &reason),
    };
    let requested = match params.get("unit").map(|it| it.to_ascii_lowercase()) {
        None => None,
        Some(it) => match it.parse::<WeightUnit>() {
            Ok(unit) => Some(unit),
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "unit: must be kg or lbs"),
        },
    };
    let db = state.db.clone();
    let unit = match requested {
        Some(it) => it,
        None => match query::users::viewer(&db, user).await {
            Ok(viewer) => viewer.default_weight_unit,
            Err(err) => return internal(user, &err),
        },
    };
    // The first page before the first byte: a fault here is still a clean 500.
    let first = match exports::page(&db, user, &filter, None).await {
        Ok(it) => it,
        Err(err) => return internal(user, &err),
    };
    let mut head = vec![0xEF, 0xBB, 0xBF];
    head.extend(encode(&header_row(kind, unit), kind, unit, &[]));
    head.extend(encode(&[], kind, unit, &first.0));
    let rest = stream::unfold(first.1.map(|key| (db, filter, key)), move |next| async move {
        let (db, filter, key) = next?;
        match exports::page(&db, user, &filter, Some(key)).await {
            Ok((rows, more)) => {
                let bytes = Bytes::from(encode(&[], kind, unit, &rows));
                Some((Ok(bytes), more.map(|key: ExportKey| (db, filter, key))))
            }
            Err(err) => {
                tracing::error!(user = user.0, error = %err, source = ?std::error::Error::source(&err), "export cut short");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    let body = stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(head))]);
    let name = match kind {
        Kind::Workouts => "swole-workouts.csv",
        Kind::Exercise => "swole-exercise.csv",
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(futures_util::StreamExt::chain(body, rest)),
    )
        .into_response()
}

fn internal(user: UserId, err: &query::QueryError) -> Response {
    tracing::error!(user = user.0, error = %err, source = ?std::error::Error::source(err), "export failed");
    refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

fn filter_of(params: &HashMap<String, String>, kind: Kind) -> Result<ExportFilter, String> {
    let from = date_param(params, "from")?.unwrap_or(first_day());
    let to = date_param(params, "to")?.unwrap_or(last_day());
    if from > to {
        return Err("from: must not be after to".to_owned());
    }
    let exercise = match kind {
        Kind::Workouts => None,
        Kind::Exercise => match params.get("exercise").map(|it| it.trim()) {
            Some(name) if !name.is_empty() => Some(name.to_owned()),
            _ => return Err("exercise: required, the exercise's name".to_owned()),
        },
    };
    Ok(ExportFilter { from, to, exercise })
}

/// Open date bounds every backend holds.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

fn header_row(kind: Kind, unit: WeightUnit) -> Vec<String> {
    let u = unit.as_str();
    let mut res: Vec<String> = vec!["date".into(), "started_at".into(), "workout_id".into()];
    if kind == Kind::Workouts {
        res.extend(["template".into(), "exercise".into(), "exercise_as_entered".into()]);
    }
    res.extend(["set".into(), "set_type".into()]);
    res.push(format!("weight_{u}"));
    res.extend(["reps".into(), "sets".into(), "rpe".into()]);
    if kind == Kind::Workouts {
        res.push("rest_seconds".into());
    }
    res.push(format!("e1rm_{u}"));
    res.push(format!("volume_{u}"));
    res
}

/// Text a person typed, safe to open: a leading formula character is escaped with `'`.
fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn weight(unit: WeightUnit, kg: Option<f64>) -> String {
    kg.map(|it| format!("{}", (unit.from_kg(it) * 100.0).round() / 100.0)).unwrap_or_default()
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|it| it.to_string()).unwrap_or_default()
}

/// The CSV bytes of an optional header row and the rows (workouts without lines skipped).
fn encode(header: &[String], kind: Kind, unit: WeightUnit, rows: &[ExportRow]) -> Vec<u8> {
    let mut out =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut write = |record: Vec<String>| {
        if let Err(err) = out.write_record(&record) {
            tracing::error!(error = %err, "csv record not written");
        }
    };
    if !header.is_empty() {
        write(header.to_vec());
    }
    for row in rows {
        if row.line_id.is_none() {
            continue;
        }
        let mut record = vec![
            row.local_date.to_string(),
            row.workout_date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            row.session_id.to_string(),
        ];
        if kind == Kind::Workouts {
            record.push(text(row.template_name.as_deref().unwrap_or_default()));
            record.push(text(row.resolved_name.as_deref().unwrap_or_default()));
            record.push(text(row.exercise_name.as_deref().unwrap_or_default()));
        }
        record.push(opt(row.set_order.map(|it| it + 1)));
        record.push(row.set_type.clone().unwrap_or_default());
        record.push(weight(unit, row.weight_kg));
        record.push(opt(row.reps));
        record.push(opt(row.sets));
        record.push(opt(row.rpe));
        if kind == Kind::Workouts {
            record.push(opt(row.rest_seconds));
        }
        record.push(weight(unit, row.one_rm));
        record.push(weight(unit, row.volume));
        write(record);
    }
    out.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_that_looks_like_a_formula_is_escaped() {
        for (input, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-Squat", "'-Squat"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("Bench Press", "Bench Press"),
            ("Café, \"Quoted\"", "Café, \"Quoted\""),
        ] {
            assert_eq!(text(input), expected);
        }
    }

    #[test]
    fn rows_are_rfc4180_with_crlf() {
        let bytes = encode(&["a".into(), "b, c".into()], Kind::Exercise, WeightUnit::Kg, &[]);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a,\"b, c\"\r\n");
        assert_eq!(weight(WeightUnit::Lbs, Some(100.0)), "220.46");
        assert_eq!(weight(WeightUnit::Kg, Some(100.0)), "100");
        assert_eq!(weight(WeightUnit::Kg, None), "");
    }
}
