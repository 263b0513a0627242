//! Crash safety of the running binary, on both backends: `swole-gateway` is killed (`SIGKILL`) twenty
//! times while clients save, edit and delete workouts, and restarted each time. Afterwards every
//! acknowledged write is in the database, none is half-written, SQLite's `integrity_check` is
//! `ok`, and every user's summaries equal a rebuild.
//!
//! Each client owns one user and keeps a model of the workouts it wrote. A request that broke
//! after it was sent is *ambiguous*: a save is retried with the same client key (the server
//! keeps it exactly once), an edit or a delete is resolved by reading the workout back, which
//! must then be wholly before or wholly after the change, never in between.

#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive processes from plain threads, outside any async runtime"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gateway::Auth;
use query::UserId;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::binary::{Gateway, PgDatabase, TempSqlite, post_graphql, start};
use crate::rollout::seed_url;

const KILLS: u32 = 20;
const CLIENTS: i64 = 3;

/// A set line as the model knows it: its id, weight (kg) and reps.
type Lines = Vec<(i64, f64, i64)>;

#[derive(Debug, Default)]
struct Counts {
    saves: u64,
    updates: u64,
    deletes: u64,
    ambiguous: u64,
}

/// xorshift64: the clients' choices, reproducible per user.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One client: a user, its token, and the workouts it knows are stored.
struct Client {
    user: i64,
    addr: String,
    token: String,
    rng: Rng,
    workouts: BTreeMap<i64, Lines>,
    counts: Counts,
}

enum Outcome {
    Answered(Value),
    /// The request may or may not have been applied.
    Ambiguous,
}

impl Client {
    /// Sends `body` until it is answered or breaks after being sent; waits out restarts.
    fn call(&self, body: &Value) -> Outcome {
        loop {
            match post_graphql(&self.addr, &self.token, &body.to_string()) {
                Ok(res) => {
                    let Ok(value) = serde_json::from_str::<Value>(&res.body) else {
                        return Outcome::Ambiguous; // cut off mid-body
                    };
                    return Outcome::Answered(value);
                }
                Err(true) => return Outcome::Ambiguous,
                Err(false) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// `call`, retried until answered: for reads and idempotent saves.
    fn answered(&mut self, body: &Value) -> Value {
        loop {
            match self.call(body) {
                Outcome::Answered(value) => return value,
                Outcome::Ambiguous => self.counts.ambiguous += 1,
            }
        }
    }

    /// The set lines of a workout in the API's shape, by line id.
    fn lines_of(workout: &Value) -> Lines {
        let mut res: Lines = workout["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["sets"].as_array().unwrap().iter())
            .map(|s| {
                (
                    s["id"].as_str().unwrap().parse().unwrap(),
                    s["weight"].as_f64().unwrap(),
                    s["reps"].as_i64().unwrap(),
                )
            })
            .collect();
        res.sort_by_key(|it| it.0);
        res
    }

    /// The workout as stored now, or `None` when it is gone.
    fn read(&mut self, id: i64) -> Option<Lines> {
        let body = json!({
            "query": "query($id: ID!) { workout(id: $id) { exercises { sets { id weight reps } } } }",
            "variables": { "id": id.to_string() },
        });
        let value = self.answered(&body);
        if value["errors"][0]["extensions"]["code"] == "NOT_FOUND" {
            return None;
        }
        assert!(value.get("errors").is_none(), "{value}");
        Some(Self::lines_of(&value["data"]["workout"]))
    }

    fn save(&mut self, n: u64) {
        let set = |weight: u64, reps: u64| json!({ "weight": weight, "unit": "KG", "reps": reps, "sets": 1 });
        let body = json!({
            "query": "mutation($input: SaveWorkoutInput!) { saveWorkout(input: $input) { workout { id exercises { sets { id weight reps } } } } }",
            "variables": { "input": {
                "clientKey": format!("crash-{}-{n}", self.user),
                "workoutDate": "2025-11-20T10:00:00Z",
                "exercises": [
                    { "exerciseName": "Crash Squat", "sets": [set(100 + n % 40, 5), set(100 + n % 40, 5), set(90, 8)] },
                    { "exerciseName": "Crash Row", "sets": [set(60, 10), set(60 + n % 10, 9)] },
                ],
            } },
        });
        // Retried with the same client key until answered: stored exactly once.
        let value = self.answered(&body);
        assert!(value.get("errors").is_none(), "{value}");
        let workout = &value["data"]["saveWorkout"]["workout"];
        let id = workout["id"].as_str().unwrap().parse().unwrap();
        let lines = Self::lines_of(workout);
        assert_eq!(lines.len(), 5);
        self.workouts.insert(id, lines);
        self.counts.saves += 1;
    }

    fn update(&mut self, id: i64) {
        let old = self.workouts[&id].clone();
        let bump = 1 + self.rng.below(20);
        let new: Lines = old
            .iter()
            .map(|(line, weight, reps)| {
                (*line, weight + f64::from(u32::try_from(bump).unwrap()), (reps % 12) + 1)
            })
            .collect();
        let updates: Vec<Value> = new
            .iter()
            .map(|(line, weight, reps)| json!({ "id": line.to_string(), "weight": weight, "unit": "KG", "reps": reps }))
            .collect();
        let body = json!({
            "query": "mutation($u: [SetUpdateInput!]!) { updateSets(updates: $u) }",
            "variables": { "u": updates },
        });
        match self.call(&body) {
            Outcome::Answered(value) => {
                assert_eq!(value["data"]["updateSets"], true, "{value}");
                self.workouts.insert(id, new);
                self.counts.updates += 1;
            }
            Outcome::Ambiguous => {
                self.counts.ambiguous += 1;
                let found = self.read(id).expect("an edited workout exists");
                assert!(
                    found == old || found == new,
                    "half-written edit: {found:?} is neither {old:?} nor {new:?}"
                );
                self.workouts.insert(id, found);
            }
        }
    }

    fn delete(&mut self, id: i64) {
        let body = json!({ "query": "mutation($id: ID!) { deleteWorkout(id: $id) }", "variables": { "id": id.to_string() } });
        match self.call(&body) {
            Outcome::Answered(value) => {
                assert_eq!(value["data"]["deleteWorkout"], true, "{value}");
                self.workouts.remove(&id);
                self.counts.deletes += 1;
            }
            Outcome::Ambiguous => {
                self.counts.ambiguous += 1;
                match self.read(id) {
                    None => {
                        self.workouts.remove(&id);
                    }
                    Some(found) => assert_eq!(found, self.workouts[&id], "a delete half-done"),
                }
            }
        }
    }

    fn run(mut self, stop: &AtomicBool) -> Self {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let choice = self.rng.below(100);
            let ids: Vec<i64> = self.workouts.keys().copied().collect();
            if ids.len() < 2 || choice < 45 {
                n += 1;
                self.save(n);
            } else {
                let id = ids[usize::try_from(self.rng.below(ids.len() as u64)).unwrap()];
                if choice < 80 { self.update(id) } else { self.delete(id) }
            }
        }
        self
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the gateway on `addr` (the port may be in `TIME_WAIT` for a moment after a kill).
fn start_on(url: &str, addr: &str) -> Gateway {
    for _ in 0..100 {
        if let Ok(it) = start(&["--database-url", url, "--jwt-secret", "s", "--listen", addr]) {
            return it;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the gateway did not restart on {addr}");
}

fn crash_loop(url: &str, schema: Option<String>) {
    seed_url(url, schema, CLIENTS);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut gateway = start_on(url, &addr);
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|user| {
            let client = Client {
                user,
                addr: addr.clone(),
                token: Auth::new(b"s").token_for(UserId(user), 3600),
                rng: Rng(0x9E37_79B9_7F4A_7C15 ^ u64::try_from(user).unwrap()),
                workouts: BTreeMap::new(),
                counts: Counts::default(),
            };
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || client.run(&stop))
        })
        .collect();
    let mut rng = Rng(42);
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(150 + rng.below(350)));
        gateway.child.kill().unwrap(); // SIGKILL
        gateway.child.wait().unwrap();
        gateway = start_on(url, &addr);
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let clients: Vec<Client> = clients.into_iter().map(|it| it.join().unwrap()).collect();
    assert!(gateway.terminate().success());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let conn = db::connect(&db::DbConfig::new(url).unwrap()).await.unwrap();
        let (mut saves, mut updates, mut deletes, mut ambiguous, mut found) = (0, 0, 0, 0, 0);
        for client in &clients {
            // Exactly the workouts the client knows of, each exactly as it knows it.
            let rows = conn
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    conn.get_database_backend(),
                    "SELECT se.session_id, se.id, se.weight, se.reps FROM session_exercises se \
                     JOIN workout_client_keys k ON k.session_id = se.session_id \
                     WHERE se.user_id = $1 AND k.client_key LIKE 'crash-%' ORDER BY se.session_id, se.id",
                    [client.user.into()],
                ))
                .await
                .unwrap();
            let mut stored: BTreeMap<i64, Lines> = BTreeMap::new();
            for row in rows {
                let session: i64 = row.try_get("", "session_id").unwrap();
                let line: i64 = row.try_get("", "id").unwrap();
                let weight: f64 = row.try_get("", "weight").unwrap();
                let reps: i32 = row.try_get("", "reps").unwrap();
                stored.entry(session).or_default().push((line, weight, i64::from(reps)));
            }
            for lines in client.workouts.values() {
                assert_eq!(lines.len(), 5, "every save has five lines");
            }
            assert_eq!(stored, client.workouts, "user {}: stored vs acknowledged", client.user);
            // Rebuilding the summaries gives what the writes maintained.
            let expected = aggregation::compute_user(&conn, client.user).await.unwrap();
            let kept = aggregation::stored_user(&conn, client.user).await.unwrap();
            assert!(kept.differences(&expected).is_empty(), "{:?}", kept.differences(&expected));
            saves += client.counts.saves;
            updates += client.counts.updates;
            deletes += client.counts.deletes;
            ambiguous += client.counts.ambiguous;
            found += stored.len();
        }
        if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    "PRAGMA integrity_check",
                ))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
        }
        assert!(saves > 0 && updates > 0 && deletes > 0, "every kind of write ran");
        println!(
            "crash test ({:?}): {KILLS} kills; acknowledged writes: {saves} saves, {updates} edits, \
             {deletes} deletes; {ambiguous} requests cut by a kill, each resolved whole; \
             workouts expected {} and found {found}; summaries equal a rebuild",
            conn.get_database_backend(),
            clients.iter().map(|it| it.workouts.len()).sum::<usize>(),
        );
    });
}

#[test]
fn sigkill_loses_no_acknowledged_write_on_sqlite() {
    let file = TempSqlite::new("crash");
    crash_loop(&file.url(), None);
}

#[test]
fn sigkill_loses_no_acknowledged_write_on_postgres() {
    let Some(pg) = PgDatabase::create("crash") else {
        return;
    };
    crash_loop(&pg.url, None);
}
