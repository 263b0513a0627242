//! Background upkeep the gateway runs while it serves: deleting abandoned empty workouts (started,
//! never saved) once they are older than the configured age, as the original did after 4 hours.

use std::time::Duration;

use query::{Db, workouts};

use crate::schema::Clock;

/// Deletes empty workouts created more than `max_age` ago, now and then every `every`; logs what
/// it removed. Runs until the task is dropped.
pub async fn clean_empty_workouts(db: Db, clock: Clock, max_age: Duration, every: Duration) {
    let Ok(max_age) = chrono::Duration::from_std(max_age) else {
        tracing::error!("empty-workout age out of range; clean-up disabled");
        return;
    };
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match workouts::delete_empty(&db, clock.now() - max_age).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted abandoned empty workouts"),
            Err(err) => tracing::warn!(error = %err, "empty-workout clean-up failed"),
        }
    }
}
