//! Users' calendars: the local date of an instant in the user's IANA time zone, and ISO weeks.
//!
//! Sessions store the instant (UTC) and the local date it fell on for the user, so "today", streaks
//! and weekly buckets follow the lifter's calendar, not the server's.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

/// A validated IANA time zone such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserTimeZone(Tz);

impl UserTimeZone {
    pub const UTC: Self = Self(Tz::UTC);

    /// The underlying zone, for computing local times.
    pub fn tz(self) -> Tz {
        self.0
    }

    /// The IANA name, as stored in `users.timezone`.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for UserTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A time-zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{0}`: expected an IANA name such as `Europe/Berlin`")]
pub struct TimeZoneError(pub String);

impl FromStr for UserTimeZone {
    type Err = TimeZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Tz>().map(Self).map_err(|_| TimeZoneError(s.to_owned()))
    }
}

/// The calendar date an instant falls on for a user in `zone`.
pub fn local_date(instant: DateTime<Utc>, zone: UserTimeZone) -> NaiveDate {
    instant.with_timezone(&zone.tz()).date_naive()
}

/// The Monday that starts the ISO week containing `date`.
pub fn iso_week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}
