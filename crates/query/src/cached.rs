//! What the services cache (PDR §6), over the `cache` crate: the viewer row, resolved exercise
//! names, and progress answers (dashboard per range, strength progression, records, top
//! exercises, consistency, trends).
//!
//! Every key holds the user's generation number; `writes::Write::commit` bumps it after the
//! commit, which retires all of that user's entries at once. So a user's read issued after their
//! write returned is never served from before it. Other processes' writes arrive as PostgreSQL
//! notifications (`coherence`), which retire the same way; entries also expire. A `Db` without
//! caches (`--no-cache`, tests of the raw paths), or one that could not confirm it has heard every
//! write (`Db::bypassing_caches`), loads every time.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cache::{Cache, CacheConfig, CacheStats, Generations, Weigh};
use chrono::NaiveDate;
use domain::Consistency;

use crate::analytics::{PersonalRecord, ProgressPoint, TopExercise, TrendWeek};
use crate::progress::{Dashboard, TimeRange};
use crate::users::UserView;
use crate::{Db, QueryError, UserId};

/// The bound and expiry of each cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    pub viewer: CacheConfig,
    pub names: CacheConfig,
    pub progress: CacheConfig,
}

impl Default for CacheSettings {
    /// Sized for tens of thousands of active users on a small machine: 4 + 8 + 64 MiB at most.
    fn default() -> Self {
        let ttl = Duration::from_mins(5);
        Self {
            viewer: CacheConfig { name: "viewer", max_bytes: 4 << 20, ttl },
            names: CacheConfig { name: "names", max_bytes: 8 << 20, ttl },
            progress: CacheConfig { name: "progress", max_bytes: 64 << 20, ttl },
        }
    }
}

/// A cached progress question: which answer, with every argument that shapes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Question {
    Dashboard { range: TimeRange, today: NaiveDate },
    Progression { exercise: String, from: NaiveDate, to: NaiveDate },
    Records,
    TopExercises { from: NaiveDate, to: NaiveDate, limit: u32 },
    Consistency { today: NaiveDate, period_days: i64 },
    Trends { exercise: String, weeks: u32, today: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key<Q> {
    epoch: u64,
    user: i64,
    generation: u64,
    question: Q,
}

/// A cached progress answer.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Dashboard(Dashboard),
    Progression(Vec<ProgressPoint>),
    Records(Vec<PersonalRecord>),
    TopExercises(Vec<TopExercise>),
    Consistency(Consistency),
    Trends(Vec<TrendWeek>),
}

/// Size of a value and what its strings hold.
fn shallow<T>(strings: usize) -> u64 {
    u64::try_from(std::mem::size_of::<T>() + strings).unwrap_or(u64::MAX)
}

fn rows<T>(items: &[T], strings: impl Fn(&T) -> usize) -> u64 {
    items.iter().map(|it| shallow::<T>(strings(it))).sum()
}

impl Weigh for Answer {
    fn weigh(&self) -> u64 {
        let own = shallow::<Self>(0);
        own + match self {
            Self::Dashboard(it) => {
                rows(&it.workout_dates, |_| 0) + rows(&it.exercises, |e| e.name.capacity())
            }
            Self::Progression(it) => rows(it, |_| 0),
            Self::Records(it) => rows(it, |r| r.name.capacity()),
            Self::TopExercises(it) => rows(it, |t| t.name.capacity()),
            Self::Consistency(_) => 0,
            Self::Trends(it) => rows(it, |_| 0),
        }
    }
}

/// Converts a service's answer to and from the cached form.
pub(crate) trait Cacheable: Sized {
    fn into_answer(self) -> Answer;
    fn from_answer(answer: &Answer) -> Option<Self>;
}

macro_rules! cacheable {
    ($($ty:ty => $variant:ident),* $(,)?) => {$(
        impl Cacheable for $ty {
            fn into_answer(self) -> Answer {
                Answer::$variant(self)
            }

            fn from_answer(answer: &Answer) -> Option<Self> {
                match answer {
                    Answer::$variant(it) => Some(it.clone()),
                    _ => None,
                }
            }
        }
    )*};
}

cacheable! {
    Dashboard => Dashboard,
    Vec<ProgressPoint> => Progression,
    Vec<PersonalRecord> => Records,
    Vec<TopExercise> => TopExercises,
    Consistency => Consistency,
    Vec<TrendWeek> => Trends,
}

#[derive(Debug, Clone)]
struct Viewer(Arc<UserView>);

impl Weigh for Viewer {
    fn weigh(&self) -> u64 {
        let it = &self.0;
        shallow::<UserView>(
            it.email.capacity() + it.display_name.as_ref().map_or(0, String::capacity),
        )
    }
}

/// A template exercise's resolved name (`None`: not one of the user's).
#[derive(Debug, Clone)]
struct Name(Option<Arc<str>>);

impl Weigh for Name {
    fn weigh(&self) -> u64 {
        shallow::<Self>(self.0.as_ref().map_or(0, |it| it.len()))
    }
}

/// The caches of one process.
#[derive(Debug)]
pub struct Caches {
    /// Bumped to retire every entry at once (`retire_all`).
    epoch: AtomicU64,
    generations: Generations,
    viewer: Cache<Key<()>, Viewer>,
    names: Cache<Key<i64>, Name>,
    progress: Cache<Key<Question>, Arc<Answer>>,
    /// The generation each user was last warmed at.
    warmed: Mutex<std::collections::HashMap<i64, (u64, u64)>>,
}

impl Caches {
    pub fn new(settings: CacheSettings) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            generations: Generations::new(),
            viewer: Cache::new(settings.viewer),
            names: Cache::new(settings.names),
            progress: Cache::new(settings.progress),
            warmed: Mutex::default(),
        }
    }

    fn key<Q>(&self, user: UserId, question: Q) -> Key<Q> {
        Key {
            epoch: self.epoch.load(Ordering::Acquire),
            user: user.0,
            generation: self.generations.of(user.0),
            question,
        }
    }

    /// Retires every cached answer of `user` (after a commit that changed their data).
    pub(crate) fn retire(&self, user: UserId) {
        self.generations.bump(user.0);
    }

    /// Retires every cached answer of every user (invalidations may have been missed: the
    /// listening connection was lost, `coherence`).
    pub(crate) fn retire_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Each cache's name, counters, bytes held and entries.
    pub fn stats(&self) -> Vec<(&'static str, CacheStats, u64, usize)> {
        vec![
            (
                self.viewer.config().name,
                self.viewer.stats(),
                self.viewer.weight(),
                self.viewer.len(),
            ),
            (self.names.config().name, self.names.stats(), self.names.weight(), self.names.len()),
            (
                self.progress.config().name,
                self.progress.stats(),
                self.progress.weight(),
                self.progress.len(),
            ),
        ]
    }

    /// Whether `user`'s hot entries should be loaded now: true once per user and generation (the
    /// first request after start, and the first after each of their writes).
    pub fn claim_warming(&self, user: UserId) -> bool {
        let stamp = (self.epoch.load(Ordering::Acquire), self.generations.of(user.0));
        let mut warmed = self.warmed.lock().unwrap_or_else(PoisonError::into_inner);
        warmed.insert(user.0, stamp) != Some(stamp)
    }
}

/// The user's row from the viewer cache, else from `load`.
pub(crate) async fn viewer<F, Fut>(db: &Db, user: UserId, load: F) -> Result<UserView, QueryError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<UserView, QueryError>>,
{
    let Some(caches) = db.live_caches() else {
        return load().await;
    };
    let key = caches.key(user, ());
    let found = caches
        .viewer
        .get_or_load(&key, || async { Ok::<_, QueryError>(Viewer(Arc::new(load().await?))) });
    Ok(UserView::clone(&found.await?.0))
}

/// A template exercise's resolved name from the names cache, else from `load`.
pub(crate) async fn name<F, Fut>(
    db: &Db,
    user: UserId,
    template_exercise_id: i64,
    load: F,
) -> Result<Option<String>, QueryError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<String>, QueryError>>,
{
    let Some(caches) = db.live_caches() else {
        return load().await;
    };
    let key = caches.key(user, template_exercise_id);
    let found = caches
        .names
        .get_or_load(&key, || async { Ok::<_, QueryError>(Name(load().await?.map(Arc::from))) });
    Ok(found.await?.0.as_deref().map(str::to_owned))
}

/// A progress answer from the progress cache, else from `load`.
pub(crate) async fn progress<T, F, Fut>(
    db: &Db,
    user: UserId,
    question: Question,
    load: F,
) -> Result<T, QueryError>
where
    T: Cacheable,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, QueryError>>,
{
    let Some(caches) = db.live_caches() else {
        return load().await;
    };
    let key = caches.key(user, question);
    let answer = caches
        .progress
        .get_or_load(&key, || async { Ok::<_, QueryError>(Arc::new(load().await?.into_answer())) });
    T::from_answer(&*answer.await?)
        .ok_or(QueryError::Unavailable("a cached answer of another kind"))
}

/// Loads `user`'s hot entries: the viewer row and the dashboard of every range (the home
/// screen), for the user's local today at `now`. Meant to run in the background on the user's
/// first request (`Caches::claim_warming`); concurrent reads of the same entries wait for these
/// loads instead of repeating them.
pub async fn warm(
    db: &Db,
    user: UserId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), QueryError> {
    let viewer = crate::users::viewer(db, user).await?;
    let today = domain::local_date(now, viewer.timezone);
    for range in TimeRange::ALL {
        crate::progress::dashboard(db, user, range, today).await?;
    }
    Ok(())
}
