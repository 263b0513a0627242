//! WHOOP v2 records as the API returns them, and the columns the app reads from them.
//!
//! A record keeps its payload exactly as received (`raw`), so what is stored is what WHOOP sent;
//! the columns are read from it once, when it is stored, never when it is queried.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::Kind;

/// A physiological cycle (WHOOP numbers them; the id is the number's text).
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub id: String,
    pub whoop_user_id: i64,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub timezone_offset: String,
    pub score_state: String,
    pub strain: Option<f64>,
    pub kilojoule: Option<f64>,
    pub average_heart_rate: Option<i32>,
    pub max_heart_rate: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub raw: String,
}

/// A sleep, with its stage summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Sleep {
    pub id: String,
    pub cycle_id: String,
    pub whoop_user_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone_offset: String,
    pub nap: bool,
    pub score_state: String,
    pub performance: Option<f64>,
    /// Light + slow-wave + REM.
    pub total_sleep_milli: Option<i64>,
    pub efficiency: Option<f64>,
    pub slow_wave_milli: Option<i64>,
    pub rem_milli: Option<i64>,
    pub light_milli: Option<i64>,
    pub awake_milli: Option<i64>,
    pub disturbances: Option<i32>,
    pub consistency: Option<f64>,
    pub respiratory_rate: Option<f64>,
    pub need_baseline_milli: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub raw: String,
}

/// A recovery, keyed by the id of the sleep it was computed from (as v2 webhooks name it).
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    pub sleep_id: String,
    pub cycle_id: String,
    pub whoop_user_id: i64,
    pub score_state: String,
    pub recovery_score: Option<f64>,
    pub hrv_rmssd_milli: Option<f64>,
    pub resting_heart_rate: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub raw: String,
}

/// A workout (no exercises or sets: WHOOP does not expose them).
#[derive(Debug, Clone, PartialEq)]
pub struct Workout {
    pub id: String,
    pub whoop_user_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone_offset: String,
    pub sport_name: String,
    pub score_state: String,
    pub strain: Option<f64>,
    pub average_heart_rate: Option<i32>,
    pub max_heart_rate: Option<i32>,
    pub kilojoule: Option<f64>,
    pub distance_meter: Option<f64>,
    /// `score`, `score.zone_durations` and the time range, as JSON text (the original's columns).
    pub score_json: Option<String>,
    pub zone_json: Option<String>,
    pub during_json: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Any record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Cycle(Cycle),
    Sleep(Sleep),
    Recovery(Recovery),
    Workout(Workout),
}

/// Why a payload is not a record of its kind, naming the field.
#[derive(Debug, thiserror::Error)]
#[error("not a WHOOP {kind} record: {reason}")]
pub struct RecordError {
    pub kind: &'static str,
    pub reason: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Deserialize)]
struct CycleWire {
    id: i64,
    user_id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    timezone_offset: String,
    score_state: String,
    score: Option<CycleScore>,
}

#[derive(Deserialize)]
struct CycleScore {
    strain: Option<f64>,
    kilojoule: Option<f64>,
    average_heart_rate: Option<i32>,
    max_heart_rate: Option<i32>,
}

#[derive(Deserialize)]
struct SleepWire {
    id: String,
    cycle_id: i64,
    user_id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    timezone_offset: String,
    #[serde(default)]
    nap: bool,
    score_state: String,
    score: Option<SleepScore>,
}

#[derive(Deserialize)]
struct SleepScore {
    stage_summary: Option<StageSummary>,
    sleep_needed: Option<SleepNeeded>,
    respiratory_rate: Option<f64>,
    sleep_performance_percentage: Option<f64>,
    sleep_consistency_percentage: Option<f64>,
    sleep_efficiency_percentage: Option<f64>,
}

#[derive(Deserialize)]
struct StageSummary {
    total_awake_time_milli: Option<i64>,
    total_light_sleep_time_milli: Option<i64>,
    total_slow_wave_sleep_time_milli: Option<i64>,
    total_rem_sleep_time_milli: Option<i64>,
    disturbance_count: Option<i32>,
}

#[derive(Deserialize)]
struct SleepNeeded {
    baseline_milli: Option<i64>,
}

#[derive(Deserialize)]
struct RecoveryWire {
    cycle_id: i64,
    sleep_id: String,
    user_id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    score_state: String,
    score: Option<RecoveryScore>,
}

#[derive(Deserialize)]
#[expect(clippy::struct_field_names, reason = "WHOOP's field names")]
struct RecoveryScore {
    recovery_score: Option<f64>,
    resting_heart_rate: Option<f64>,
    hrv_rmssd_milli: Option<f64>,
}

#[derive(Deserialize)]
struct WorkoutWire {
    id: String,
    user_id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    timezone_offset: String,
    sport_name: String,
    score_state: String,
    score: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct WorkoutScore {
    strain: Option<f64>,
    average_heart_rate: Option<i32>,
    max_heart_rate: Option<i32>,
    kilojoule: Option<f64>,
    distance_meter: Option<f64>,
    zone_durations: Option<Box<RawValue>>,
}

fn wire<'a, T: Deserialize<'a>>(kind: &'static str, raw: &'a str) -> Result<T, RecordError> {
    serde_json::from_str(raw).map_err(|e| RecordError { kind, reason: e.to_string() })
}

impl Record {
    /// Reads a record of `kind` (or a cycle, `kind == None`) from its payload, kept verbatim.
    pub fn parse(kind: Option<Kind>, raw: &str) -> Result<Self, RecordError> {
        Ok(match kind {
            None => Self::Cycle(Cycle::parse(raw)?),
            Some(Kind::Sleep) => Self::Sleep(Sleep::parse(raw)?),
            Some(Kind::Recovery) => Self::Recovery(Recovery::parse(raw)?),
            Some(Kind::Workout) => Self::Workout(Workout::parse(raw)?),
        })
    }

    /// The WHOOP user the record belongs to.
    pub fn whoop_user_id(&self) -> i64 {
        match self {
            Self::Cycle(it) => it.whoop_user_id,
            Self::Sleep(it) => it.whoop_user_id,
            Self::Recovery(it) => it.whoop_user_id,
            Self::Workout(it) => it.whoop_user_id,
        }
    }
}

impl Cycle {
    pub fn parse(raw: &str) -> Result<Self, RecordError> {
        let w: CycleWire = wire("cycle", raw)?;
        let score = w.score;
        Ok(Self {
            id: w.id.to_string(),
            whoop_user_id: w.user_id,
            start: w.start,
            end: w.end,
            timezone_offset: w.timezone_offset,
            score_state: w.score_state,
            strain: score.as_ref().and_then(|s| s.strain),
            kilojoule: score.as_ref().and_then(|s| s.kilojoule),
            average_heart_rate: score.as_ref().and_then(|s| s.average_heart_rate),
            max_heart_rate: score.as_ref().and_then(|s| s.max_heart_rate),
            created_at: w.created_at,
            updated_at: w.updated_at,
            raw: raw.to_owned(),
        })
    }
}

impl Sleep {
    pub fn parse(raw: &str) -> Result<Self, RecordError> {
        let w: SleepWire = wire("sleep", raw)?;
        let score = w.score.as_ref();
        let stages = score.and_then(|s| s.stage_summary.as_ref());
        let stage = |f: fn(&StageSummary) -> Option<i64>| stages.and_then(f);
        let light = stage(|s| s.total_light_sleep_time_milli);
        let sws = stage(|s| s.total_slow_wave_sleep_time_milli);
        let rem = stage(|s| s.total_rem_sleep_time_milli);
        let total = match (light, sws, rem) {
            (Some(l), Some(s), Some(r)) => Some(l + s + r),
            _ => None,
        };
        Ok(Self {
            id: w.id,
            cycle_id: w.cycle_id.to_string(),
            whoop_user_id: w.user_id,
            start: w.start,
            end: w.end,
            timezone_offset: w.timezone_offset,
            nap: w.nap,
            score_state: w.score_state,
            performance: score.and_then(|s| s.sleep_performance_percentage),
            total_sleep_milli: total,
            efficiency: score.and_then(|s| s.sleep_efficiency_percentage),
            slow_wave_milli: sws,
            rem_milli: rem,
            light_milli: light,
            awake_milli: stage(|s| s.total_awake_time_milli),
            disturbances: stages.and_then(|s| s.disturbance_count),
            consistency: score.and_then(|s| s.sleep_consistency_percentage),
            respiratory_rate: score.and_then(|s| s.respiratory_rate),
            need_baseline_milli: score
                .and_then(|s| s.sleep_needed.as_ref())
                .and_then(|n| n.baseline_milli),
            created_at: w.created_at,
            updated_at: w.updated_at,
            raw: raw.to_owned(),
        })
    }
}

impl Recovery {
    pub fn parse(raw: &str) -> Result<Self, RecordError> {
        let w: RecoveryWire = wire("recovery", raw)?;
        let score = w.score.as_ref();
        Ok(Self {
            sleep_id: w.sleep_id,
            cycle_id: w.cycle_id.to_string(),
            whoop_user_id: w.user_id,
            score_state: w.score_state,
            recovery_score: score.and_then(|s| s.recovery_score),
            hrv_rmssd_milli: score.and_then(|s| s.hrv_rmssd_milli),
            resting_heart_rate: score.and_then(|s| s.resting_heart_rate),
            created_at: w.created_at,
            updated_at: w.updated_at,
            raw: raw.to_owned(),
        })
    }
}

impl Workout {
    pub fn parse(raw: &str) -> Result<Self, RecordError> {
        let w: WorkoutWire = wire("workout", raw)?;
        let score: Option<WorkoutScore> =
            w.score.as_ref().map(|s| wire("workout", s.get())).transpose()?;
        let score = score.as_ref();
        Ok(Self {
            id: w.id,
            whoop_user_id: w.user_id,
            start: w.start,
            end: w.end,
            timezone_offset: w.timezone_offset,
            sport_name: w.sport_name,
            score_state: w.score_state,
            strain: score.and_then(|s| s.strain),
            average_heart_rate: score.and_then(|s| s.average_heart_rate),
            max_heart_rate: score.and_then(|s| s.max_heart_rate),
            kilojoule: score.and_then(|s| s.kilojoule),
            distance_meter: score.and_then(|s| s.distance_meter),
            score_json: w.score.as_ref().map(|s| s.get().to_owned()),
            zone_json: score.and_then(|s| s.zone_durations.as_ref()).map(|z| z.get().to_owned()),
            during_json: serde_json::json!({
                "lower": rfc3339(w.start), "upper": rfc3339(w.end), "bounds": "[)"
            })
            .to_string(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        })
    }
}

/// A WHOOP v2 JSON export: the four collections, each a list of records as the API returns them.
#[derive(Debug, Default)]
pub struct Export {
    pub cycles: Vec<Cycle>,
    pub sleeps: Vec<Sleep>,
    pub recoveries: Vec<Recovery>,
    pub workouts: Vec<Workout>,
}

#[derive(Deserialize)]
struct ExportWire<'a> {
    #[serde(default, borrow)]
    cycles: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    sleeps: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    recoveries: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    workouts: Vec<&'a RawValue>,
}

/// Parses every record of one collection, naming the bad one.
fn all<T>(
    name: &str,
    items: &[&RawValue],
    parse: fn(&str) -> Result<T, RecordError>,
) -> Result<Vec<T>, RecordError> {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            parse(it.get()).map_err(|e| RecordError {
                kind: e.kind,
                reason: format!("{name}[{i}]: {}", e.reason),
            })
        })
        .collect()
}
impl Export {
    /// Parses an export; an error names the collection and the position of the bad record.
    pub fn parse(text: &str) -> Result<Self, RecordError> {
        let wire: ExportWire<'_> = serde_json::from_str(text)
            .map_err(|e| RecordError { kind: "export", reason: e.to_string() })?;
        Ok(Self {
            cycles: all("cycles", &wire.cycles, Cycle::parse)?,
            sleeps: all("sleeps", &wire.sleeps, Sleep::parse)?,
            recoveries: all("recoveries", &wire.recoveries, Recovery::parse)?,
            workouts: all("workouts", &wire.workouts, Workout::parse)?,
        })
    }

    pub fn len(&self) -> usize {
        self.cycles.len() + self.sleeps.len() + self.recoveries.len() + self.workouts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLEEP: &str = r#"{"id":"ecfc6a15-4661-442f-a9a4-f160dd7afae8","cycle_id":93845,"v1_id":93845,"user_id":10129,"created_at":"2022-04-24T11:25:44.774Z","updated_at":"2022-04-24T14:25:44.774Z","start":"2022-04-24T02:25:44.774Z","end":"2022-04-24T10:25:44.774Z","timezone_offset":"-05:00","nap":false,"score_state":"SCORED","score":{"stage_summary":{"total_in_bed_time_milli":30272735,"total_awake_time_milli":1403507,"total_no_data_time_milli":0,"total_light_sleep_time_milli":14905851,"total_slow_wave_sleep_time_milli":6630370,"total_rem_sleep_time_milli":5879573,"sleep_cycle_count":3,"disturbance_count":12},"sleep_needed":{"baseline_milli":27395716,"need_from_sleep_debt_milli":352230,"need_from_recent_strain_milli":208595,"need_from_recent_nap_milli":-12312},"respiratory_rate":16.11328125,"sleep_performance_percentage":98,"sleep_consistency_percentage":90,"sleep_efficiency_percentage":91.69533848}}"#;

    #[test]
    fn reads_the_columns_of_whoops_documented_sleep() {
        let sleep = Sleep::parse(SLEEP).expect("sleep");
        assert_eq!(sleep.cycle_id, "93845");
        assert_eq!(sleep.performance, Some(98.0));
        assert_eq!(sleep.total_sleep_milli, Some(14_905_851 + 6_630_370 + 5_879_573));
        assert_eq!(sleep.disturbances, Some(12));
        assert_eq!(sleep.need_baseline_milli, Some(27_395_716));
        assert_eq!(sleep.raw, SLEEP, "kept verbatim");
    }

    #[test]
    fn an_unscored_record_has_no_scores() {
        let raw = r#"{"cycle_id":1,"sleep_id":"s","user_id":2,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","score_state":"PENDING_SCORE"}"#;
        let rec = Recovery::parse(raw).expect("recovery");
        assert_eq!((rec.recovery_score, rec.score_state.as_str()), (None, "PENDING_SCORE"));
    }

    #[test]
    fn an_export_names_the_bad_record() {
        let text = format!(r#"{{"sleeps":[{SLEEP},{{"id":"x"}}]}}"#);
        let err = Export::parse(&text).expect_err("second sleep is incomplete");
        assert!(err.reason.starts_with("sleeps[1]: missing field"), "{err}");
        let ok = Export::parse(&format!(r#"{{"sleeps":[{SLEEP}],"cycles":[]}}"#)).expect("export");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok.sleeps[0].raw, SLEEP);
    }

    #[test]
    fn workouts_keep_score_and_zones_as_sent() {
        let raw = r#"{"id":"w","user_id":3,"created_at":"2025-01-01T10:00:00Z","updated_at":"2025-01-01T10:00:00Z","start":"2025-01-01T09:00:00Z","end":"2025-01-01T10:00:00Z","timezone_offset":"+01:00","sport_name":"running","score_state":"SCORED","score":{"strain":8.25,"average_heart_rate":123,"max_heart_rate":170,"kilojoule":1569.3,"percent_recorded":100,"distance_meter":5000.5,"zone_durations":{"zone_zero_milli":1}}}"#;
        let w = Workout::parse(raw).expect("workout");
        assert_eq!(
            (w.strain, w.max_heart_rate, w.distance_meter),
            (Some(8.25), Some(170), Some(5000.5))
        );
        assert_eq!(w.zone_json.as_deref(), Some(r#"{"zone_zero_milli":1}"#));
        assert!(w.score_json.as_deref().is_some_and(|s| s.starts_with(r#"{"strain":8.25"#)));
    }
}
