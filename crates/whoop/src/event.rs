//! A webhook delivery's body: `{user_id, id, type, trace_id}`. Each event carries only an id;
//! the receiver fetches the record (`crate::Source`).

use serde_json::Value;

/// The kinds of record WHOOP sends events for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Workout,
    Sleep,
    Recovery,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Workout, Self::Sleep, Self::Recovery];

    /// The event type's prefix (`workout` in `workout.updated`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Workout => "workout",
            Self::Sleep => "sleep",
            Self::Recovery => "recovery",
        }
    }
}

/// What happened to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Updated,
    Deleted,
}

/// A well-formed delivery. `id` is a UUID for every v2 event (a recovery's is its sleep's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub whoop_user_id: i64,
    pub id: String,
    pub event_type: String,
    pub trace_id: String,
}

/// Why a body is not a delivery, naming the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`{field}` must be {rule}")]
    Invalid { field: &'static str, rule: &'static str },
}

/// The longest id or trace id accepted (WHOOP's are UUIDs, 36 characters).
const MAX_ID_LEN: usize = 128;

impl Event {
    /// Parses a delivery's raw body.
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| EventError::NotAnObject)?;
        let Value::Object(map) = value else { return Err(EventError::NotAnObject) };
        let field = |name: &'static str| map.get(name).ok_or(EventError::Missing(name));
        let whoop_user_id = field("user_id")?
            .as_i64()
            .ok_or(EventError::Invalid { field: "user_id", rule: "an integer" })?;
        // v2 ids are UUID strings; a v1-style integer id is read as its decimal text.
        let id = match field("id")? {
            Value::String(it) => it.clone(),
            Value::Number(it) if it.is_i64() => it.to_string(),
            _ => return Err(EventError::Invalid { field: "id", rule: "a string or an integer" }),
        };
        let text = |name: &'static str| -> Result<String, EventError> {
            match field(name)? {
                Value::String(it) if !it.is_empty() && it.len() <= MAX_ID_LEN => Ok(it.clone()),
                _ => Err(EventError::Invalid {
                    field: name,
                    rule: "a non-empty string of at most 128 bytes",
                }),
            }
        };
        let event_type = text("type")?;
        let trace_id = text("trace_id")?;
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(EventError::Invalid { field: "id", rule: "non-empty, at most 128 bytes" });
        }
        Ok(Self { whoop_user_id, id, event_type, trace_id })
    }

    /// The record kind and action of a known event type (`None`: a type this build ignores,
    /// such as `cycle.updated` or a future one).
    pub fn kind(&self) -> Option<(Kind, Action)> {
        Self::kind_of(&self.event_type)
    }

    /// The record kind and action an event type names (`sleep.deleted`), if known.
    pub fn kind_of(event_type: &str) -> Option<(Kind, Action)> {
        let (kind, action) = event_type.split_once('.')?;
        let kind = Kind::ALL.into_iter().find(|it| it.name() == kind)?;
        let action = match action {
            "updated" => Action::Updated,
            "deleted" => Action::Deleted,
            _ => return None,
        };
        Some((kind, action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deliveries_and_names_what_is_wrong() {
        let ok = br#"{"user_id":10456,"id":"ecfc6a15-4661-442f-a9a4-f160dd7afae8","type":"recovery.updated","trace_id":"t-1"}"#;
        let event = Event::parse(ok).expect("valid");
        assert_eq!(event.whoop_user_id, 10456);
        assert_eq!(event.kind(), Some((Kind::Recovery, Action::Updated)));
        let cases: [(&[u8], EventError); 6] = [
            (b"not json", EventError::NotAnObject),
            (b"[1]", EventError::NotAnObject),
            (
                br#"{"id":"a","type":"sleep.updated","trace_id":"t"}"#,
                EventError::Missing("user_id"),
            ),
            (
                br#"{"user_id":"x","id":"a","type":"sleep.updated","trace_id":"t"}"#,
                EventError::Invalid { field: "user_id", rule: "an integer" },
            ),
            (
                br#"{"user_id":1,"id":true,"type":"sleep.updated","trace_id":"t"}"#,
                EventError::Invalid { field: "id", rule: "a string or an integer" },
            ),
            (br#"{"user_id":1,"id":"a","type":"sleep.updated"}"#, EventError::Missing("trace_id")),
        ];
        for (body, want) in cases {
            assert_eq!(Event::parse(body), Err(want), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn knows_the_v2_event_types_only() {
        let kind = |t: &str| {
            Event { whoop_user_id: 1, id: "a".into(), event_type: t.into(), trace_id: "t".into() }
                .kind()
        };
        assert_eq!(kind("workout.deleted"), Some((Kind::Workout, Action::Deleted)));
        assert_eq!(kind("sleep.updated"), Some((Kind::Sleep, Action::Updated)));
        for unknown in ["cycle.updated", "recovery.created", "recovery", "", "user_profile.updated"]
        {
            assert_eq!(kind(unknown), None, "{unknown}");
        }
    }
}
