//! WHOOP v2 records for a lifter who wears one: a cycle, a sleep and a recovery per day, a
//! workout for most training sessions and the odd run. `raw_data` holds the record as the WHOOP
//! API v2 returns it (the original stored the whole payload), so its size is realistic.

use chrono::{DateTime, Duration, NaiveDate, Offset, Utc};
use domain::UserTimeZone;
use entity::{whoop_cycle, whoop_recovery, whoop_sleep, whoop_workout, workout_session};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::generate::local_to_utc;
use crate::rng::uuid;

/// Next ids for the WHOOP tables, plus WHOOP's own cycle numbering.
#[derive(Debug, Clone)]
pub(crate) struct WhoopIds {
    pub(crate) cycle: i64,
    pub(crate) sleep: i64,
    pub(crate) recovery: i64,
    pub(crate) workout: i64,
    pub(crate) whoop_cycle_number: i64,
}

impl Default for WhoopIds {
    fn default() -> Self {
        Self { cycle: 1, sleep: 1, recovery: 1, workout: 1, whoop_cycle_number: 93_845_000 }
    }
}

/// One user's WHOOP rows.
#[derive(Debug, Clone, Default)]
pub struct WhoopData {
    pub cycles: Vec<whoop_cycle::Model>,
    pub sleeps: Vec<whoop_sleep::Model>,
    pub recoveries: Vec<whoop_recovery::Model>,
    pub workouts: Vec<whoop_workout::Model>,
}

fn take(counter: &mut i64) -> i64 {
    let id = *counter;
    *counter += 1;
    id
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `±hh:mm` of the zone at that instant, as WHOOP reports `timezone_offset`.
fn offset(zone: UserTimeZone, at: DateTime<Utc>) -> String {
    let secs = at.with_timezone(&zone.tz()).offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Generates the WHOOP history of one user from `from` to `to` (inclusive).
pub(crate) fn generate(
    rng: &mut ChaCha8Rng,
    user_id: i64,
    zone: UserTimeZone,
    from: NaiveDate,
    to: NaiveDate,
    sessions: &[workout_session::Model],
    ids: &mut WhoopIds,
) -> WhoopData {
    let whoop_user_id = 10_000 + user_id * 7;
    let mut res = WhoopData::default();
    let base_hrv: f64 = rng.random_range(35.0..110.0);
    let base_rhr: f64 = rng.random_range(46.0..66.0);
    let base_resp: f64 = rng.random_range(13.0..17.5);
    let mut session_idx = 0;
    let mut day = from;
    let mut recent_recovery: Vec<(f64, f64, f64)> = Vec::new();
    while day <= to {
        let onset = local_to_utc(zone.tz(), day - Duration::days(1), 22, 0)
            + Duration::minutes(rng.random_range(0..150));
        let slept_ms: i64 = rng.random_range(5 * 3_600_000..9 * 3_600_000);
        let wake = onset + Duration::milliseconds(slept_ms + rng.random_range(600_000..2_400_000));
        let tz_offset = offset(zone, wake);
        let now_state = match rng.random_range(0..1000) {
            0..=9 => "PENDING_SCORE",
            10..=14 => "UNSCORABLE",
            _ => "SCORED",
        };
        let scored = now_state == "SCORED";

        // The cycle runs from sleep onset to the next sleep onset; the last one is still open.
        let cycle_number = take(&mut ids.whoop_cycle_number);
        let cycle_end = (day < to)
            .then(|| onset + Duration::hours(24) + Duration::minutes(rng.random_range(-60..60)));
        let trained_today = sessions.get(session_idx).is_some_and(|s| s.local_date == day);
        let strain: f64 = round1(
            rng.random_range(4.0..12.0)
                + if trained_today { rng.random_range(3.0..8.0) } else { 0.0 },
        );
        let kilojoule = round1(rng.random_range(7_000.0..14_000.0) + strain * 150.0);
        let avg_hr = rng.random_range(58..76);
        let max_hr = rng.random_range(120..190);
        let cycle_json = json!({
            "id": cycle_number,
            "user_id": whoop_user_id,
            "created_at": rfc3339(onset + Duration::minutes(5)),
            "updated_at": rfc3339(wake + Duration::minutes(30)),
            "start": rfc3339(onset),
            "end": cycle_end.map(rfc3339),
            "timezone_offset": tz_offset,
            "score_state": now_state,
            "score": scored.then(|| json!({
                "strain": strain, "kilojoule": kilojoule,
                "average_heart_rate": avg_hr, "max_heart_rate": max_hr,
            })),
        });
        res.cycles.push(whoop_cycle::Model {
            id: take(&mut ids.cycle),
            user_id,
            whoop_cycle_id: cycle_number.to_string(),
            start_time: onset,
            end_time: cycle_end,
            timezone_offset: tz_offset.clone(),
            score_state: now_state.to_owned(),
            day_strain: scored.then_some(strain),
            kilojoule: scored.then_some(kilojoule),
            average_heart_rate: scored.then_some(avg_hr),
            max_heart_rate: scored.then_some(max_hr),
            raw_data: cycle_json.to_string(),
            created_at: onset + Duration::minutes(5),
            updated_at: wake + Duration::minutes(30),
        });

        // The night's sleep, with its stage breakdown.
        let sleep_id = uuid(rng);
        let in_bed = (wake - onset).num_milliseconds();
        let awake = rng.random_range(1_200_000..3_600_000).min(in_bed / 4);
        let asleep = in_bed - awake;
        let sws = asleep * rng.random_range(15..25) / 100;
        let rem = asleep * rng.random_range(18..28) / 100;
        let light = asleep - sws - rem;
        let disturbances = rng.random_range(2..18);
        let performance = round1(rng.random_range(55.0..100.0));
        let efficiency = round1(asleep as f64 / in_bed as f64 * 100.0);
        let consistency = round1(rng.random_range(45.0..95.0));
        let resp = round1(base_resp + rng.random_range(-0.8..0.8));
        let need_baseline = rng.random_range(27_000_000..30_600_000);
        let sleep_json = json!({
            "id": sleep_id,
            "cycle_id": cycle_number,
            "v1_id": 700_000_000 + cycle_number,
            "user_id": whoop_user_id,
            "created_at": rfc3339(wake + Duration::minutes(10)),
            "updated_at": rfc3339(wake + Duration::minutes(25)),
            "start": rfc3339(onset),
            "end": rfc3339(wake),
            "timezone_offset": tz_offset,
            "nap": false,
            "score_state": now_state,
            "score": scored.then(|| json!({
                "stage_summary": {
                    "total_in_bed_time_milli": in_bed,
                    "total_awake_time_milli": awake,
                    "total_no_data_time_milli": 0,
                    "total_light_sleep_time_milli": light,
                    "total_slow_wave_sleep_time_milli": sws,
                    "total_rem_sleep_time_milli": rem,
                    "sleep_cycle_count": rng.random_range(3..7),
                    "disturbance_count": disturbances,
                },
                "sleep_needed": {
                    "baseline_milli": need_baseline,
                    "need_from_sleep_debt_milli": rng.random_range(0..3_600_000),
                    "need_from_recent_strain_milli": rng.random_range(0..1_800_000),
                    "need_from_recent_nap_milli": 0,
                },
                "respiratory_rate": resp,
                "sleep_performance_percentage": performance,
                "sleep_consistency_percentage": consistency,
                "sleep_efficiency_percentage": efficiency,
            })),
        });
        res.sleeps.push(whoop_sleep::Model {
            id: take(&mut ids.sleep),
            user_id,
            whoop_sleep_id: sleep_id.clone(),
            cycle_id: cycle_number.to_string(),
            start_time: onset,
            end_time: wake,
            timezone_offset: tz_offset.clone(),
            nap: false,
            score_state: now_state.to_owned(),
            sleep_performance_percentage: scored.then_some(performance),
            total_sleep_time_milli: scored.then_some(asleep),
            sleep_efficiency_percentage: scored.then_some(efficiency),
            slow_wave_sleep_time_milli: scored.then_some(sws),
            rem_sleep_time_milli: scored.then_some(rem),
            light_sleep_time_milli: scored.then_some(light),
            wake_time_milli: scored.then_some(awake),
            disturbance_count: scored.then_some(disturbances),
            sleep_consistency_percentage: scored.then_some(consistency),
            respiratory_rate: scored.then_some(resp),
            sleep_need_baseline_milli: scored.then_some(need_baseline),
            raw_data: sleep_json.to_string(),
            webhook_received_at: Some(wake + Duration::minutes(rng.random_range(10..60))),
            created_at: wake + Duration::minutes(10),
            updated_at: wake + Duration::minutes(25),
        });

        // Recovery follows from the night: better sleep and an easier day before mean more.
        let hrv = round1(
            (base_hrv * rng.random_range(0.75..1.25) * (0.8 + performance / 500.0)).max(10.0),
        );
        let rhr = round1(base_rhr + rng.random_range(-4.0..5.0));
        let score = (hrv / base_hrv * 55.0 + performance * 0.3 + rng.random_range(-10.0..10.0))
            .clamp(1.0, 99.0)
            .round();
        let window = recent_recovery.len().min(7);
        let (hrv_base, rhr_base, resp_base) = if window == 0 {
            (hrv, rhr, resp)
        } else {
            let recent = &recent_recovery[recent_recovery.len() - window..];
            let mean = |f: fn(&(f64, f64, f64)) -> f64| {
                round1(recent.iter().map(f).sum::<f64>() / window as f64)
            };
            (mean(|it| it.0), mean(|it| it.1), mean(|it| it.2))
        };
        recent_recovery.push((hrv, rhr, resp));
        let recovery_json = json!({
            "cycle_id": cycle_number,
            "sleep_id": sleep_id,
            "user_id": whoop_user_id,
            "created_at": rfc3339(wake + Duration::minutes(12)),
            "updated_at": rfc3339(wake + Duration::minutes(26)),
            "score_state": now_state,
            "score": scored.then(|| json!({
                "user_calibrating": recent_recovery.len() < 4,
                "recovery_score": score,
                "resting_heart_rate": rhr,
                "hrv_rmssd_milli": hrv,
                "spo2_percentage": round1(rng.random_range(94.0..99.5)),
                "skin_temp_celsius": round1(rng.random_range(33.0..35.5)),
            })),
        });
        res.recoveries.push(whoop_recovery::Model {
            id: take(&mut ids.recovery),
            user_id,
            whoop_recovery_id: sleep_id,
            cycle_id: cycle_number.to_string(),
            date: wake,
            score_state: now_state.to_owned(),
            recovery_score: scored.then_some(score),
            hrv_rmssd_milli: scored.then_some(hrv),
            hrv_rmssd_baseline: scored.then_some(hrv_base),
            resting_heart_rate: scored.then_some(rhr),
            resting_heart_rate_baseline: scored.then_some(rhr_base),
            respiratory_rate: scored.then_some(resp),
            respiratory_rate_baseline: scored.then_some(resp_base),
            raw_data: recovery_json.to_string(),
            timezone_offset: tz_offset.clone(),
            webhook_received_at: Some(wake + Duration::minutes(rng.random_range(12..70))),
            created_at: wake + Duration::minutes(12),
            updated_at: wake + Duration::minutes(26),
        });

        // A WHOOP workout for most lifting sessions that day, and an occasional run.
        let mut activities: Vec<(DateTime<Utc>, &str, i64)> = Vec::new();
        while let Some(session) = sessions.get(session_idx).filter(|s| s.local_date <= day) {
            if session.local_date == day && rng.random_bool(0.7) {
                activities.push((session.workout_date, "weightlifting", rng.random_range(45..95)));
            }
            session_idx += 1;
        }
        if rng.random_bool(0.12) {
            activities.push((
                local_to_utc(zone.tz(), day, 7, rng.random_range(0..50)),
                "running",
                rng.random_range(20..60),
            ));
        }
        for (start, sport, minutes) in activities {
            let end = start + Duration::minutes(minutes);
            let workout_id = uuid(rng);
            let w_strain = round1(rng.random_range(5.0..15.0));
            let zones: Vec<i64> = (0..6).map(|_| rng.random_range(0..minutes * 20_000)).collect();
            let zone_json = json!({
                "zone_zero_milli": zones[0], "zone_one_milli": zones[1], "zone_two_milli": zones[2],
                "zone_three_milli": zones[3], "zone_four_milli": zones[4], "zone_five_milli": zones[5],
            });
            let score_json = json!({
                "strain": w_strain,
                "average_heart_rate": rng.random_range(100..150),
                "max_heart_rate": rng.random_range(150..195),
                "kilojoule": round1(rng.random_range(600.0..2_500.0)),
                "percent_recorded": 100.0,
                "distance_meter": (sport == "running").then(|| round1(rng.random_range(3_000.0..12_000.0))),
                "altitude_gain_meter": (sport == "running").then(|| round1(rng.random_range(0.0..120.0))),
                "altitude_change_meter": (sport == "running").then(|| round1(rng.random_range(-20.0..20.0))),
                "zone_durations": zone_json,
            });
            res.workouts.push(whoop_workout::Model {
                id: take(&mut ids.workout),
                user_id,
                whoop_workout_id: workout_id,
                start_time: start,
                end_time: end,
                timezone_offset: offset(zone, start),
                sport_name: sport.to_owned(),
                score_state: "SCORED".to_owned(),
                score: Some(score_json.to_string()),
                during: Some(
                    json!({ "lower": rfc3339(start), "upper": rfc3339(end), "bounds": "[)" })
                        .to_string(),
                ),
                zone_duration: Some(zone_json.to_string()),
                created_at: end + Duration::minutes(5),
                updated_at: end + Duration::minutes(20),
            });
        }
        day += Duration::days(1);
    }
    res
}
