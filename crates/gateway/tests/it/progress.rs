//! The progress pages through the API, each field against figures computed here from the stored
//! rows (in kg, so no unit conversion hides a difference): an exercise's detail, daily volume
//! paged, set and rep distribution, strength pulse, exercise list, top exercises' trends and
//! filtered records with volume.

#![allow(clippy::float_cmp, reason = "rounded values are compared exactly on purpose")]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use test_support::backend_tests;

use super::{now, run, state};

const USER: i64 = 1;

/// A counted line of user 1 with its workout's day, instant and id, oldest first.
#[derive(Debug, Clone)]
struct Row {
    day: NaiveDate,
    session: i64,
    name: String,
    alias: String,
    weight: Option<f64>,
    reps: Option<i32>,
    sets: i32,
    one_rm: Option<f64>,
    volume: f64,
    warmup: bool,
}

async fn rows(db: &sea_orm::DatabaseConnection) -> Vec<Row> {
    let sessions: HashMap<i64, entity::workout_session::Model> =
        entity::workout_session::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let mut lines: Vec<_> = entity::session_exercise::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.user_id == USER)
        .collect();
    lines.sort_by_key(|l| {
        let s = &sessions[&l.session_id];
        (s.local_date, s.workout_date, l.session_id, l.set_order, l.id)
    });
    lines
        .into_iter()
        .map(|l| Row {
            day: sessions[&l.session_id].local_date,
            session: l.session_id,
            name: l.resolved_exercise_name,
            alias: l.exercise_name,
            weight: l.weight_kg,
            reps: l.reps,
            sets: l.sets,
            one_rm: l.one_rm_estimate,
            volume: l.volume_load,
            warmup: l.set_type == "warmup",
        })
        .collect()
}

/// The user's "today" as the gateway computes it (their zone at the fixed clock).
async fn today(db: &sea_orm::DatabaseConnection) -> NaiveDate {
    let user = entity::user::Entity::find_by_id(USER).one(db).await.unwrap().unwrap();
    domain::local_date(now(), user.timezone.parse().unwrap())
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

backend_tests! {
    async fn an_exercises_detail_matches_its_rows(t: &TestDb) {
        let state = state(t).await;
        let all = rows(&t.db).await;
        let today = today(&t.db).await;
        let (from, previous_from) = (today - chrono::Duration::days(89), today - chrono::Duration::days(179));
        let counted: Vec<&Row> = all.iter().filter(|r| !r.warmup).collect();
        // The exercise with most lines in the quarter.
        let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
        for r in counted.iter().filter(|r| r.day >= from) {
            *per_name.entry(&r.name).or_default() += 1;
        }
        let name = per_name.iter().max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n))).unwrap().0.to_string();
        let mine: Vec<&Row> = counted.iter().copied().filter(|r| r.name == name).collect();
        let current: Vec<&Row> = mine.iter().copied().filter(|r| r.day >= from).collect();
        let previous: Vec<&Row> = mine.iter().copied().filter(|r| r.day >= previous_from && r.day < from).collect();

        let q = "query($n: String!) { exerciseProgress(exercise: $n, range: QUARTER, unit: KG) { exerciseName unit
            current { bestOneRm bestWeight bestLineVolume volume sessionCount days { localDate maxOneRm volume } }
            previous { bestOneRm sessionCount }
            oneRmChange frequencyPerWeek trendPerWeek prsPerMonth averageIntensity
            recentPrs(first: 100) { kind localDate value previous }
            topSets { localDate oneRm shareOfBest } heaviestSet { weight } latestHeavySet { localDate shareOfBest } } }";
        let res = run(&state, Some(USER), q, json!({"n": format!("  {name} ")})).await;
        assert!(res["errors"].is_null(), "{res}");
        let it = &res["data"]["exerciseProgress"];
        assert_eq!(it["exerciseName"], json!(name));

        let best = |rows: &[&Row]| rows.iter().filter_map(|r| r.one_rm).reduce(f64::max);
        let sessions = |rows: &[&Row]| rows.iter().map(|r| r.session).collect::<BTreeSet<_>>().len();
        assert_eq!(it["current"]["bestOneRm"].as_f64(), best(&current).map(r2));
        assert_eq!(it["previous"]["bestOneRm"].as_f64(), best(&previous).map(r2));
        assert_eq!(it["current"]["bestWeight"].as_f64(), current.iter().filter_map(|r| r.weight).reduce(f64::max).map(r2));
        assert_eq!(it["current"]["bestLineVolume"].as_f64(), current.iter().map(|r| r.volume).reduce(f64::max).map(r2));
        assert_eq!(it["current"]["sessionCount"].as_u64(), Some(sessions(&current) as u64));
        assert_eq!(it["previous"]["sessionCount"].as_u64(), Some(sessions(&previous) as u64));
        let volume: f64 = current.iter().map(|r| r.volume).sum();
        assert!((it["current"]["volume"].as_f64().unwrap() - volume).abs() < 0.01, "{volume}");
        let days: BTreeSet<NaiveDate> = current.iter().map(|r| r.day).collect();
        let shown: Vec<NaiveDate> = it["current"]["days"].as_array().unwrap().iter().map(|d| date(&d["localDate"])).collect();
        assert_eq!(shown, days.into_iter().collect::<Vec<_>>());
        assert_eq!(it["frequencyPerWeek"].as_f64(), Some(r2(sessions(&current) as f64 * 7.0 / 90.0)));

        // PR events: a line beating every earlier line (the whole history), counted in the period.
        let mut maxima = [None::<f64>; 3];
        let mut expected = Vec::new();
        for r in &mine {
            for (slot, (kind, mark)) in [("ONE_RM", r.one_rm), ("WEIGHT", r.weight.filter(|w| *w > 0.0)), ("VOLUME", Some(r.volume).filter(|v| *v > 0.0))].into_iter().enumerate() {
                if let Some(value) = mark
                    && maxima[slot].is_none_or(|m| value > m)
                {
                    if r.day >= from {
                        expected.push((kind.to_owned(), r.day, r2(value)));
                    }
                    maxima[slot] = Some(value);
                }
            }
        }
        let events: Vec<(String, NaiveDate, f64)> = it["recentPrs"].as_array().unwrap().iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), date(&e["localDate"]), e["value"].as_f64().unwrap()))
            .collect();
        let keep = expected.len().saturating_sub(100);
        assert_eq!(events, expected[keep..].to_vec());
        assert_eq!(it["prsPerMonth"].as_f64(), Some(r2(expected.len() as f64 * 30.0 / 90.0)));

        // Top sets: the best line is 100% of the best; a heavy set is at least 85%.
        let top = it["topSets"].as_array().unwrap();
        assert!(!top.is_empty() && top.len() <= 5);
        assert_eq!(top[0]["shareOfBest"].as_f64(), Some(100.0));
        assert_eq!(top[0]["oneRm"].as_f64(), best(&current).map(r2));
        let shares: Vec<f64> = top.iter().map(|s| s["shareOfBest"].as_f64().unwrap()).collect();
        assert!(shares.windows(2).all(|p| p[0] >= p[1]), "{shares:?}");
        let best_now = best(&current).unwrap();
        let heavy = current.iter().rev().find(|r| r.one_rm.is_some_and(|o| o / best_now * 100.0 >= 85.0)).unwrap();
        assert_eq!(date(&it["latestHeavySet"]["localDate"]), heavy.day);
        assert_eq!(it["heaviestSet"]["weight"].as_f64(), current.iter().filter_map(|r| r.weight).reduce(f64::max).map(r2));
        let intensities: Vec<f64> = current.iter().filter_map(|r| r.one_rm).map(|o| o / best_now * 100.0).collect();
        let mean = intensities.iter().sum::<f64>() / intensities.len() as f64;
        assert_eq!(it["averageIntensity"].as_f64(), Some(r2(mean)));

        // An exercise never trained: empty periods, no PRs, no top sets.
        let none = run(&state, Some(USER), q, json!({"n": "Underwater Basket Weaving"})).await;
        let it = &none["data"]["exerciseProgress"];
        assert_eq!((it["current"]["sessionCount"].as_i64(), &it["recentPrs"], &it["topSets"], &it["trendPerWeek"]), (Some(0), &json!([]), &json!([]), &Value::Null), "{none}");
    }

    async fn overview_reads_match_their_rows(t: &TestDb) {
        let state = state(t).await;
        let all = rows(&t.db).await;
        let today = today(&t.db).await;
        let month = today - chrono::Duration::days(29);
        let counted: Vec<&Row> = all.iter().filter(|r| !r.warmup).collect();
        let in_month: Vec<&Row> = counted.iter().copied().filter(|r| r.day >= month).collect();
        assert!(!in_month.is_empty(), "the fixture trains in the last month");

        // Daily volume, paged 4 days at a time, newest first.
        let q = "query($a: String) { volumeByDay(range: MONTH, first: 4, after: $a, unit: KG) { edges { node { localDate sessionCount sets reps volume exerciseCount } } pageInfo { hasNextPage endCursor } } }";
        let mut got = Vec::new();
        let mut after = Value::Null;
        loop {
            let res = run(&state, Some(USER), q, json!({"a": after})).await;
            assert!(res["errors"].is_null(), "{res}");
            let page = &res["data"]["volumeByDay"];
            got.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()));
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() { break; }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let mut by_day: BTreeMap<NaiveDate, Vec<&Row>> = BTreeMap::new();
        for r in &in_month {
            by_day.entry(r.day).or_default().push(r);
        }
        let expected: Vec<Value> = by_day.iter().rev().map(|(day, rows)| json!({
            "localDate": day.to_string(),
            "sessionCount": rows.iter().map(|r| r.session).collect::<BTreeSet<_>>().len(),
            "sets": rows.iter().map(|r| i64::from(r.sets)).sum::<i64>(),
            "reps": rows.iter().map(|r| i64::from(r.reps.unwrap_or(0)) * i64::from(r.sets)).sum::<i64>(),
            // Summed to the gram (as every summed volume is), then shown to 0.01.
            "volume": r2((rows.iter().map(|r| r.volume).sum::<f64>() * 1000.0).round() / 1000.0),
            "exerciseCount": rows.iter().map(|r| &r.name).collect::<BTreeSet<_>>().len(),
        })).collect();
        assert_eq!(got, expected);

        // Set and rep distribution of the month.
        let res = run(&state, Some(USER), "{ setRepDistribution(range: MONTH) { totalSets repRanges { range sets } reps { reps sets } } }", json!({})).await;
        let it = &res["data"]["setRepDistribution"];
        assert_eq!(it["totalSets"].as_i64(), Some(in_month.iter().map(|r| i64::from(r.sets)).sum()));
        let bucket = |lo: i32, hi: i32| in_month.iter().filter(|r| r.reps.is_some_and(|x| x >= lo && x <= hi)).map(|r| i64::from(r.sets)).sum::<i64>();
        let ranges: Vec<i64> = it["repRanges"].as_array().unwrap().iter().map(|r| r["sets"].as_i64().unwrap()).collect();
        assert_eq!(ranges, [bucket(1, 5), bucket(6, 8), bucket(9, 12), bucket(13, 15), bucket(16, i32::MAX)]);
        let top_reps = &it["reps"][0];
        let reps = i32::try_from(top_reps["reps"].as_i64().unwrap()).unwrap();
        assert_eq!(top_reps["sets"].as_i64(), Some(bucket(reps, reps)));

        // Strength pulse of the month against the month before.
        let res = run(&state, Some(USER), "{ strengthPulse(range: MONTH, unit: KG) { topLift { exerciseName oneRm heavySets } previousBestOneRm heavySets lifts { exerciseName oneRm previousOneRm heavySets } } }", json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let it = &res["data"]["strengthPulse"];
        let previous_from = today - chrono::Duration::days(59);
        let mut best: BTreeMap<&str, f64> = BTreeMap::new();
        for r in &in_month {
            if let Some(o) = r.one_rm {
                let e = best.entry(&r.name).or_insert(o);
                *e = e.max(o);
            }
        }
        let lifts = it["lifts"].as_array().unwrap();
        assert_eq!(lifts.iter().map(|l| l["exerciseName"].as_str().unwrap()).collect::<Vec<_>>(), best.keys().copied().collect::<Vec<_>>());
        let mut heavy_total = 0usize;
        for lift in lifts {
            let name = lift["exerciseName"].as_str().unwrap();
            let top = best[name];
            let heavy = in_month.iter().filter(|r| r.name == name && r.one_rm.is_some_and(|o| o * 100.0 >= 85.0 * top)).count();
            heavy_total += heavy;
            assert_eq!((lift["oneRm"].as_f64(), lift["heavySets"].as_u64()), (Some(r2(top)), Some(heavy as u64)), "{name}");
            let before = counted.iter().filter(|r| r.name == name && r.day >= previous_from && r.day < month).filter_map(|r| r.one_rm).reduce(f64::max);
            assert_eq!(lift["previousOneRm"].as_f64(), before.map(r2), "{name}");
        }
        assert_eq!(it["heavySets"].as_u64(), Some(heavy_total as u64));
        let (top_name, top_value) = best.iter().fold(("", f64::MIN), |acc, (n, v)| if *v > acc.1 { (n, *v) } else { acc });
        assert_eq!((it["topLift"]["exerciseName"].as_str(), it["topLift"]["oneRm"].as_f64()), (Some(top_name), Some(r2(top_value))));

        // The exercise list: every resolved name once, its other spellings, its last day.
        let res = run(&state, Some(USER), "{ exerciseList { name aliases lastUsed lineCount } }", json!({})).await;
        let list = res["data"]["exerciseList"].as_array().unwrap();
        let mut expected: BTreeMap<&str, (BTreeSet<&str>, NaiveDate, usize)> = BTreeMap::new();
        for r in &all {
            let e = expected.entry(&r.name).or_insert((BTreeSet::new(), r.day, 0));
            if r.alias != r.name { e.0.insert(&r.alias); }
            e.1 = e.1.max(r.day);
            e.2 += 1;
        }
        assert_eq!(list.len(), expected.len());
        for item in list {
            let (aliases, last, lines) = &expected[item["name"].as_str().unwrap()];
            assert_eq!(item["aliases"], json!(aliases.iter().collect::<Vec<_>>()));
            assert_eq!((date(&item["lastUsed"]), item["lineCount"].as_u64()), (*last, Some(*lines as u64)));
        }
        let lasts: Vec<NaiveDate> = list.iter().map(|i| date(&i["lastUsed"])).collect();
        assert!(lasts.windows(2).all(|p| p[0] >= p[1]), "most recent first");
    }

    async fn top_exercises_and_records_carry_trends_volume_and_a_filter(t: &TestDb) {
        let state = state(t).await;
        let all = rows(&t.db).await;
        let today = today(&t.db).await;
        let from = today - chrono::Duration::days(89);
        let res = run(&state, Some(USER), "{ topExercises(range: QUARTER, first: 3, unit: KG) { name sessionCount frequencyPerWeek averageOneRm trend } }", json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        for top in res["data"]["topExercises"].as_array().unwrap() {
            let name = top["name"].as_str().unwrap();
            let mut daily: BTreeMap<NaiveDate, f64> = BTreeMap::new();
            for r in all.iter().filter(|r| !r.warmup && r.name == name && r.day >= from) {
                if let Some(o) = r.one_rm {
                    let e = daily.entry(r.day).or_insert(o);
                    *e = e.max(o);
                }
            }
            let series: Vec<f64> = daily.into_values().collect();
            let mean = series.iter().sum::<f64>() / series.len() as f64;
            assert_eq!(top["averageOneRm"].as_f64(), Some(r2(mean)), "{name}");
            let change = (series[series.len() - 1] - series[0]) / series[0] * 100.0;
            let trend = if change >= 5.0 { "IMPROVING" } else if change <= -5.0 { "DECLINING" } else { "STABLE" };
            assert_eq!(top["trend"], json!(trend), "{name}: {change}");
            assert_eq!(top["frequencyPerWeek"].as_f64(), Some(r2(top["sessionCount"].as_f64().unwrap() * 7.0 / 90.0)));
        }

        let all_records = run(&state, Some(USER), "{ personalRecords(unit: KG) { exerciseName maxVolume maxVolumeDate } }", json!({})).await;
        let records = all_records["data"]["personalRecords"].as_array().unwrap();
        let name = records[0]["exerciseName"].as_str().unwrap();
        let mut by_day: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        for r in all.iter().filter(|r| !r.warmup && r.name == name) {
            *by_day.entry(r.day).or_default() += r.volume;
        }
        let g = |x: f64| (x * 1000.0).round() / 1000.0;
        let best = by_day.values().map(|v| g(*v)).reduce(f64::max).unwrap();
        let first = by_day.iter().find(|(_, v)| g(**v) == best).map(|(d, _)| *d).unwrap();
        assert_eq!((records[0]["maxVolume"].as_f64(), date(&records[0]["maxVolumeDate"])), (Some(r2(best)), first));
        let filtered = run(&state, Some(USER), "query($n: [String!]) { personalRecords(exercises: $n) { exerciseName } }", json!({"n": [name, "No Such Lift"]})).await;
        assert_eq!(filtered["data"]["personalRecords"], json!([{"exerciseName": name}]), "{filtered}");
    }
    async fn highlights_match_their_rows(t: &TestDb) {
        let state = state(t).await;
        let all = rows(&t.db).await;
        let today = today(&t.db).await;
        let from = today - chrono::Duration::days(89);
        let q = "{ progressHighlights(range: QUARTER, unit: KG) { from to prs(first: 5) { total oneRm weight volume events { exerciseName kind localDate value previous } } volume { totalVolume workouts exerciseCount heaviestDay { localDate volume } topExercise { exerciseName volume sets reps } } streaks { workouts bestWeek { weekStart workouts } lastWorkoutAt consistency { workoutDays } } } }";
        let res = run(&state, Some(USER), q, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
        let h = &res["data"]["progressHighlights"];
        assert_eq!((h["from"].as_str().unwrap(), h["to"].as_str().unwrap()), (from.to_string().as_str(), today.to_string().as_str()));

        // PR events: running maxima per exercise over every counted line, kept from `from` on.
        let mut by_name: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for r in all.iter().filter(|r| !r.warmup && r.day <= today) {
            by_name.entry(r.name.as_str()).or_default().push(r);
        }
        let mut events: Vec<(NaiveDate, String, &str, f64, Option<f64>)> = Vec::new();
        for (name, lines) in &by_name {
            let mut best: [Option<f64>; 3] = [None; 3];
            for r in lines {
                let marks = [("ONE_RM", r.one_rm), ("WEIGHT", r.weight.filter(|w| *w > 0.0)), ("VOLUME", Some(r.volume).filter(|v| *v > 0.0))];
                for (slot, (kind, mark)) in marks.into_iter().enumerate() {
                    let Some(v) = mark else { continue };
                    if best[slot].is_none_or(|b| v > b) {
                        if r.day >= from {
                            events.push((r.day, (*name).to_owned(), kind, v, best[slot]));
                        }
                        best[slot] = Some(v);
                    }
                }
            }
        }
        // Newest day first, then by exercise; a day's events in line order.
        events.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let count = |k: &str| events.iter().filter(|e| e.2 == k).count();
        let prs = &h["prs"];
        assert!(!events.is_empty(), "the fixture sets records in the quarter");
        assert_eq!((&prs["total"], &prs["oneRm"], &prs["weight"], &prs["volume"]), (&json!(events.len()), &json!(count("ONE_RM")), &json!(count("WEIGHT")), &json!(count("VOLUME"))));
        let expected: Vec<Value> = events.iter().take(5).map(|(day, name, kind, v, prev)| json!({
            "exerciseName": name, "kind": kind, "localDate": day.to_string(), "value": r2(*v), "previous": prev.map(r2)
        })).collect();
        assert_eq!(prs["events"], json!(expected));

        // Volume: totals of the quarter's counted lines.
        let in_q: Vec<&Row> = all.iter().filter(|r| !r.warmup && r.day >= from && r.day <= today).collect();
        let total: f64 = in_q.iter().map(|r| r.volume).sum();
        let workouts: BTreeSet<i64> = in_q.iter().map(|r| r.session).collect();
        let mut per_name: BTreeMap<&str, (f64, i64, i64)> = BTreeMap::new();
        let mut per_day: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        for r in &in_q {
            let e = per_name.entry(r.name.as_str()).or_default();
            e.0 += r.volume;
            e.1 += i64::from(r.sets);
            e.2 += i64::from(r.reps.unwrap_or(0)) * i64::from(r.sets);
            *per_day.entry(r.day).or_default() += r.volume;
        }
        let top = per_name.iter().fold(None::<(&str, (f64, i64, i64))>, |best, (n, v)| match best {
            Some((_, b)) if r2(b.0) >= r2(v.0) => best,
            _ => Some((n, *v)),
        }).unwrap();
        let heaviest = per_day.iter().fold(None::<(NaiveDate, f64)>, |best, (d, v)| match best {
            Some((_, b)) if r2(b) > r2(*v) => best,
            _ => Some((*d, *v)),
        }).unwrap();
        assert_eq!(h["volume"], json!({
            "totalVolume": r2(total), "workouts": workouts.len(), "exerciseCount": per_name.len(),
            "heaviestDay": {"localDate": heaviest.0.to_string(), "volume": r2(heaviest.1)},
            "topExercise": {"exerciseName": top.0, "volume": r2(top.1.0), "sets": top.1.1, "reps": top.1.2},
        }));

        // Streaks: the quarter's workouts, its busiest ISO week (the latest on ties), its last workout.
        let sessions: HashMap<i64, entity::workout_session::Model> = entity::workout_session::Entity::find().all(&t.db).await.unwrap().into_iter().map(|s| (s.id, s)).collect();
        let mut weeks: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for id in &workouts {
            *weeks.entry(domain::iso_week_start(sessions[id].local_date)).or_default() += 1;
        }
        let best = weeks.iter().max_by_key(|(w, n)| (**n, **w)).unwrap();
        let last = workouts.iter().map(|id| sessions[id].workout_date).max().unwrap();
        assert_eq!(h["streaks"]["workouts"], json!(workouts.len()));
        assert_eq!(h["streaks"]["bestWeek"], json!({"weekStart": best.0.to_string(), "workouts": best.1}));
        assert_eq!(h["streaks"]["lastWorkoutAt"], json!(last.to_rfc3339()));
        let days: BTreeSet<NaiveDate> = in_q.iter().map(|r| r.day).collect();
        assert_eq!(h["streaks"]["consistency"]["workoutDays"], json!(days.len()));
    }
}
