//! Templates: how they are read (`read`: by id, pages, lines, batched lines) and written
//! (`write`: create idempotently, update in place, delete).

pub(crate) mod read;
pub(crate) mod write;

pub use read::*;
pub use write::*;
