//! Master exercises and links: how they are read (`read`: pages, all masters, batched links) and
//! written (`write`: link, unlink, reject linking, merge, rename).

pub(crate) mod read;
pub(crate) mod write;

pub use read::*;
pub use write::*;
