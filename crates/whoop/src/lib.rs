//! The WHOOP v2 protocol, in one place: what a webhook delivery says and how it is signed
//! (`event`, `signature`), the records the API returns and the columns read from them
//! (`record`), where records come from (`source`: the HTTP API, or a file), and the codec that
//! stores a record's payload compressed (`codec`).
//!
//! No SQL here: the query services store what this crate reads, and the gateway answers WHOOP.

mod codec;
mod event;
mod record;
mod signature;
mod source;

pub use codec::{Codec, CodecError, Compressed, Dictionary, LEVEL, MIN_SAMPLES, train};
pub use event::{Action, Event, EventError, Kind};
pub use record::{Cycle, Export, Record, RecordError, Recovery, Sleep, Workout};
pub use signature::{Rejection, WINDOW_MS, sign, verify};
pub use source::{Fetch, FetchError, FileSource, HttpSource, HttpSourceConfig, Source};
