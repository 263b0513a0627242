//! Workouts: how they are read (`read`: pages, by id, last sets of an exercise, batched set lines)
//! and written (`write`: start, save a whole session, save offline workouts, update sets, delete).

pub(crate) mod read;
pub(crate) mod write;

pub use read::*;
pub use write::*;
