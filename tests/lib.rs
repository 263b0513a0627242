//! End-to-end tests across crates live in `it/`; this library is empty on purpose.
