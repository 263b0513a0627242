//! Several processes on one PostgreSQL database, kept coherent (issue 16): what every write
//! announces, and what a process does with what it hears.
//!
//! Each process caches answers per user and routes reads to replicas by what it knows each user
//! wrote. A write made by another process must reach both, so every write's transaction, on
//! PostgreSQL, sends `pg_notify(<channel>, '<instance> <user>,<user>…')`: delivered to every
//! listening session exactly when the transaction commits, never if it rolls back. A process
//! that listens (the gateway's `coherence` task, on the channel [`CHANNEL_SQL`] names) hands
//! the payloads to [`Db::hear`], which retires those users' cached answers and notes, for the
//! replica routing, the primary's WAL position read after hearing them (at or past their
//! commit). When it may have missed some, [`Db::forget_everything`].

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Db, QueryError, UserId};

/// The channel of the current schema, as an SQL expression: processes on other schemas of one
/// database (one per test) do not hear each other. Hashed to stay within PostgreSQL's 63-byte
/// identifiers.
pub const CHANNEL_SQL: &str = "'swole_' || left(md5(current_schema()), 16)";

/// Longest payload sent (PostgreSQL refuses 8,000 bytes and more); a longer list of users is sent
/// as "everyone".
const MAX_PAYLOAD: usize = 7_900;

/// What one notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Heard {
    /// Sent by this process: its caches were retired at the commit already.
    Own,
    Users(Vec<UserId>),
    /// Any user may have changed (a long list, or a payload this version cannot read).
    Everyone,
}

/// The payload announcing that `instance` wrote `users`' data.
pub(crate) fn payload(instance: &str, users: &[UserId]) -> String {
    let list: Vec<String> = users.iter().map(|it| it.0.to_string()).collect();
    let text = format!("{instance} {}", list.join(","));
    if text.len() > MAX_PAYLOAD { format!("{instance} *") } else { text }
}

/// Reads a payload; anything unreadable means "everyone" (a cache retired too often is safe).
pub(crate) fn parse(instance: &str, payload: &str) -> Heard {
    let Some((from, users)) = payload.split_once(' ') else {
        return Heard::Everyone;
    };
    if from == instance {
        return Heard::Own;
    }
    if users == "*" {
        return Heard::Everyone;
    }
    users
        .split(',')
        .map(|it| it.parse().map(UserId))
        .collect::<Result<Vec<_>, _>>()
        .map_or(Heard::Everyone, Heard::Users)
}

/// A name for this process's services, unique across processes and restarts.
pub(crate) fn instance_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |it| it.as_nanos());
    format!("{:x}.{nanos:x}", std::process::id())
}

/// Sends the notification of a write of `users`, inside its transaction (PostgreSQL only; the
/// caller skips SQLite, where one process owns the database).
pub(crate) async fn announce<C: ConnectionTrait>(
    txn: &C,
    instance: &str,
    users: &[UserId],
) -> Result<(), QueryError> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT pg_notify({CHANNEL_SQL}, $1)"),
        [payload(instance, users).into()],
    ))
    .await?;
    Ok(())
}

impl Db {
    /// This process's name in the notifications of its writes.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Applies notifications heard on the listening connection (their payloads): retires the
    /// caches of the users other processes wrote and, given the primary's WAL position read
    /// after hearing them (`lsn`), routes those users' reads to replicas only past it. Returns
    /// how many came from other processes.
    pub fn hear<'a>(&self, payloads: impl IntoIterator<Item = &'a str>, lsn: Option<i64>) -> u64 {
        let mut heard = 0;
        for it in payloads {
            let users = match parse(&self.instance, it) {
                Heard::Own => continue,
                Heard::Users(users) => users,
                Heard::Everyone => {
                    heard += 1;
                    self.forget_everything(lsn);
                    continue;
                }
            };
            heard += 1;
            if let Some(caches) = self.caches() {
                for user in &users {
                    caches.retire(*user);
                }
            }
            if let (Some(replicas), Some(lsn)) = (self.replicas(), lsn) {
                replicas.wrote(&users, lsn);
            }
        }
        heard
    }

    /// Retires every cached answer and, given the primary's WAL position (`lsn`), routes every
    /// user's reads to replicas only past it: writes may have gone unheard before it.
    pub fn forget_everything(&self, lsn: Option<i64>) {
        if let Some(caches) = self.caches() {
            caches.retire_all();
        }
        if let (Some(replicas), Some(lsn)) = (self.replicas(), lsn) {
            replicas.wrote_anyone(lsn);
        }
    }

    /// The same services reading through the caches (still retiring them on writes): for a
    /// request that could not confirm it heard every write.
    #[must_use]
    pub fn bypassing_caches(&self) -> Self {
        Self { bypass_caches: true, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back() {
        let cases: [(&str, &[UserId], Heard); 3] = [
            ("b", &[UserId(1), UserId(42)], Heard::Users(vec![UserId(1), UserId(42)])),
            ("a", &[UserId(7)], Heard::Own),
            ("b", &[], Heard::Everyone),
        ];
        for (reader, users, expected) in cases {
            assert_eq!(parse(reader, &payload("a", users)), expected, "{users:?} read by {reader}");
        }
    }

    #[test]
    fn unreadable_or_long_payloads_mean_everyone() {
        for text in ["", "a", "a 1,x", "a *", "a 1,,2"] {
            assert_eq!(parse("b", text), Heard::Everyone, "{text:?}");
        }
        let many: Vec<UserId> = (0..5_000).map(UserId).collect();
        let long = payload("a", &many);
        assert!(long.len() <= MAX_PAYLOAD);
        assert_eq!(parse("b", &long), Heard::Everyone);
    }
}
