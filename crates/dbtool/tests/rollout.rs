//! `dbtool rollout` on seeded databases, both backends: apply and rollback keep the phase-0 data
//! byte for byte, leave a usable backup and move the switches; a second apply is refused while
//! one runs; the shadow comparison passes on a sound database and names the item of a wrong one.

#![allow(clippy::unwrap_used, reason = "test helpers may panic")]

use std::time::Duration;

use chrono::NaiveDate;
use datagen::SeedConfig;
use dbtool::rollout::{self, Progress, RolloutError, Run, Step, Target};
use query::Item;
use sea_orm::ConnectionTrait;
use test_support::TestDb;

async fn seed(t: &TestDb, phase: i64) {
    let end = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
    let config = SeedConfig::new(6, 20, 42, end, phase, 100).unwrap();
    datagen::write::prepare(&t.db, &config, false).await.unwrap();
    datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
}

/// Records the steps it is shown.
#[derive(Default)]
struct Steps(Vec<String>);

impl Progress for Steps {
    fn begin(&mut self, _: usize, _: usize, step: &Step) {
        self.0.push(step.kind.to_string());
    }
    fn advance(&mut self, _: u64, _: u64) {}
    fn finish(&mut self, _: Duration, _: &str) {}
}

fn run(to: u32, percent: u8, dir: &std::path::Path) -> Run {
    Run { to, percent, backup_dir: Some(dir.to_owned()), settle: Duration::from_millis(10) }
}

async fn percents(t: &TestDb) -> Vec<Option<u8>> {
    query::rollout::read(&t.db).await.unwrap().1.to_vec()
}

/// A file database (the rollout lock is a file beside it) or a schema of its own.
macro_rules! both {
    ($($name:ident($t:ident) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn body($t: &TestDb) $body
            #[tokio::test]
            async fn sqlite() {
                body(&TestDb::sqlite_file().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(t) = TestDb::postgres().await {
                    body(&t).await;
                }
            }
        }
    )*};
}

both! {
    the_whoop_compaction_applies_and_rolls_back_with_the_payloads_intact(t) {
        seed(t, 2).await;
        let before = datagen::inspect::phase0_checksum(&t.db).await.unwrap();
        let content = datagen::inspect::content_checksum(&t.db).await.unwrap();
        let dir = std::env::temp_dir().join(format!("swole-backups-3-{}", std::process::id()));
        let target = Target::connect(t.config.clone()).await.unwrap();
        let out = rollout::apply(&target, &run(3, 100, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 3);
        assert_eq!(out.checksum_after.as_deref(), Some(before.as_str()));
        let moved = t.db.query_one_raw(sea_orm::Statement::from_string(t.db.get_database_backend(), "SELECT COUNT(*) FROM whoop_sleep WHERE raw_data = ''")).await.unwrap().unwrap();
        assert!(moved.try_get_by_index::<i64>(0).unwrap() > 100);
        let out = rollout::rollback(&target, &run(2, 0, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 2);
        assert_eq!(out.checksum_after.as_deref(), Some(before.as_str()));
        assert_eq!(datagen::inspect::content_checksum(&t.db).await.unwrap(), content);
        let _ = std::fs::remove_dir_all(&dir);
    }

    apply_and_rollback_keep_the_data_and_move_the_switches(t) {
        seed(t, 0).await;
        let before = datagen::inspect::phase0_checksum(&t.db).await.unwrap();
        let dir = std::env::temp_dir().join(format!("swole-backups-{}", std::process::id()));
        let target = Target::connect(t.config.clone()).await.unwrap();

        let mut steps = Steps::default();
        let out = rollout::apply(&target, &run(1, 100, &dir), &mut steps).await.unwrap();
        assert_eq!(out.phase, 1);
        assert_eq!(out.checksum_before.as_deref(), Some(before.as_str()));
        assert_eq!(out.checksum_after.as_deref(), Some(before.as_str()));
        // The new items are switched off before their tables exist and on after the checks.
        let off = steps.0.iter().position(|it| it.contains("to 0 %")).unwrap();
        let up = steps.0.iter().position(|it| it.starts_with("migrate up")).unwrap();
        let on = steps.0.iter().position(|it| it.contains("to 100 %")).unwrap();
        assert!(off < up && up < on, "{:?}", steps.0);
        assert_eq!(percents(t).await, [Some(100), Some(100), None, None]);
        let backup = out.backup.unwrap();
        assert!(std::fs::metadata(&backup).unwrap().len() > 0);
        if t.backend() == db::Backend::Sqlite {
            // The backup is a database at the phase it was taken, with the same data.
            let url = format!("sqlite://{}", backup.display());
            let copy = db::connect(&db::DbConfig::new(&url).unwrap()).await.unwrap();
            assert_eq!(datagen::inspect::phase0_checksum(&copy).await.unwrap(), before);
            assert_eq!(migration::current_phase(&copy).await.unwrap(), Some(0));
        }

        let out = rollout::apply(&target, &run(2, 25, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 2);
        assert_eq!(percents(t).await, [Some(100), Some(100), Some(25), Some(25)]);
        // Re-running at the target phase migrates nothing and only re-sets its items.
        let out = rollout::apply(&target, &run(2, 50, &dir), &mut Steps::default()).await.unwrap();
        assert!(out.steps.iter().all(|(it, _)| !it.starts_with("migrate")), "{:?}", out.steps);
        assert_eq!(percents(t).await, [Some(100), Some(100), Some(50), Some(50)]);

        let out = rollout::rollback(&target, &run(0, 0, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 0);
        assert_eq!(out.checksum_after.as_deref(), Some(before.as_str()));
        assert_eq!(percents(t).await, [Some(0), Some(0), Some(0), Some(0)]);
        let refused = rollout::apply(&target, &run(9, 100, &dir), &mut Steps::default()).await;
        assert!(refused.unwrap_err().to_string().contains("phase 9 does not exist"));

        let out = rollout::apply(&target, &run(2, 100, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 2);
        assert_eq!(datagen::inspect::phase0_checksum(&t.db).await.unwrap(), before);
        assert_eq!(percents(t).await, vec![Some(100); 4]);
        let status = rollout::status(&target).await.unwrap();
        let later = migration::steps_through_phase(migration::LATEST_PHASE).unwrap()
            - migration::steps_through_phase(2).unwrap();
        assert_eq!(status.pending.len(), later, "only the phases after 2 are pending");
        assert!(status.render().contains("summaries: fresh"), "{}", status.render());
        let _ = std::fs::remove_dir_all(&dir);
    }

    a_second_apply_is_refused_while_one_runs(t) {
        seed(t, 0).await;
        let first = Target::connect(t.config.clone()).await.unwrap();
        let held = rollout::lock(&first).await.unwrap();
        let second = Target::connect(t.config.clone()).await.unwrap();
        let dir = std::env::temp_dir().join(format!("swole-backups-lock-{}", std::process::id()));
        let err = rollout::apply(&second, &run(1, 100, &dir), &mut Steps::default()).await.unwrap_err();
        assert!(
            matches!(err.downcast_ref::<RolloutError>(), Some(RolloutError::Busy(_))),
            "{err:#}"
        );
        assert_eq!(migration::current_phase(&t.db).await.unwrap(), Some(0), "nothing ran");
        // The lock goes with its holder (a killed process included).
        drop(held);
        first.conn.close().await.unwrap();
        let out = rollout::apply(&second, &run(1, 100, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    shadow_passes_on_sound_data_and_names_a_wrong_summary(t) {
        seed(t, 2).await;
        let limit = db::ParamLimit::D1;
        let report =
            dbtool::shadow::shadow(&t.db, limit, 2, 100, Duration::ZERO).await.unwrap();
        assert!(report.passed(), "{}", report.render());
        assert_eq!(report.users, 1, "a zero duration compares one user");
        let items: Vec<Item> = report.timings.keys().copied().collect();
        assert_eq!(items, Item::ALL.to_vec());

        t.db.execute_unprepared("UPDATE user_daily_summary SET volume = volume + 1 WHERE user_id = 1")
            .await
            .unwrap();
        let report =
            dbtool::shadow::shadow(&t.db, limit, 2, 100, Duration::ZERO).await.unwrap();
        assert!(!report.passed());
        assert!(report.mismatches.iter().all(|it| it.item == Item::Summaries && it.user == 1));
        assert!(report.render().contains("FAIL"), "{}", report.render());
        let refused = dbtool::shadow::shadow(&t.db, limit, 3, 100, Duration::ZERO).await;
        assert!(refused.is_err());
    }
}

both! {
    a_killed_apply_completes_when_run_again(t) {
        // Enough set lines (about 25,000) that the summaries' migration takes a while.
        let end = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
        let config = SeedConfig::new(12, 40, 7, end, 0, 100).unwrap();
        datagen::write::prepare(&t.db, &config, false).await.unwrap();
        datagen::write::write_all(&t.db, &config, |_| {}).await.unwrap();
        let before = datagen::inspect::phase0_checksum(&t.db).await.unwrap();
        let dir = std::env::temp_dir().join(format!("swole-backups-kill-{}", std::process::id()));
        let mut args = vec![
            "rollout".to_owned(),
            "--database-url".to_owned(),
            t.config.url().to_owned(),
            "apply".to_owned(),
            "--to".to_owned(),
            "2".to_owned(),
            "--backup-dir".to_owned(),
            dir.display().to_string(),
        ];
        if let Some(schema) = &t.config.pg_schema {
            args.extend(["--schema".to_owned(), schema.clone()]);
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dbtool"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut seen = Vec::new();
        for line in std::io::BufRead::lines(stdout) {
            let line = line.unwrap();
            let at_summaries = line.contains("migrate up: m20251201_000001_create_summaries");
            seen.push(line);
            if at_summaries {
                child.kill().unwrap(); // SIGKILL, mid-migration
                break;
            }
        }
        child.wait().unwrap();
        assert!(seen.iter().any(|it| it.contains("create_summaries")), "{seen:#?}");
        // The run's migrations are one transaction: the kill left the database as it was.
        assert_eq!(migration::current_phase(&t.db).await.unwrap(), Some(0), "{seen:#?}");
        assert_eq!(datagen::inspect::phase0_checksum(&t.db).await.unwrap(), before);

        let target = Target::connect(t.config.clone()).await.unwrap();
        let out = rollout::apply(&target, &run(2, 100, &dir), &mut Steps::default()).await.unwrap();
        assert_eq!(out.phase, 2);
        assert_eq!(out.checksum_after.as_deref(), Some(before.as_str()));
        assert!(
            out.steps.iter().any(|(it, _)| it.contains("against a rebuild")),
            "the summaries were checked: {:?}",
            out.steps
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The fallback when a write slips in after a live SQLite migration: the same steps on a copy of
/// the backup, compared there.
#[tokio::test]
async fn the_migration_verifies_on_a_copy_of_the_backup() {
    let t = TestDb::sqlite_file().await;
    seed(&t, 0).await;
    let before = datagen::inspect::phase0_checksum(&t.db).await.unwrap();
    let dir = std::env::temp_dir().join(format!("swole-backups-copy-{}", std::process::id()));
    let target = Target::connect(t.config.clone()).await.unwrap();
    let backup = rollout::backup(&target, &dir).await.unwrap();
    let steps = rollout::plan(&target, 2, 100).await.unwrap();
    let block: Vec<Step> =
        steps.into_iter().filter(|it| matches!(it.kind, rollout::StepKind::Up(_))).collect();
    assert_eq!(block.len(), 5);
    let (a, b) = rollout::verify_on_copy(&backup, &block).await.unwrap();
    assert_eq!((a.as_str(), b.as_str()), (before.as_str(), before.as_str()));
    // The copy is gone and the live database untouched.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(migration::current_phase(&t.db).await.unwrap(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
