//! Request limits, all from configuration: the one place the gateway's bounds on a request live
//! (bounds on input values live in `domain::Limits`).

use std::time::Duration;

/// Request limits, all from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Recursion depth of fragments and nested selections.
    pub max_recursion: usize,
    /// Directives on one field.
    pub max_directives: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub timeout: Duration,
    /// Production: no GraphiQL, no introspection.
    pub production: bool,
}

impl Limits {
    /// Depth and recursion allowed to operations that only introspect the schema (outside
    /// production): GraphiQL's introspection query nests type references about 15 levels deep,
    /// over a schema whose size is fixed, so its cost is bounded whatever the depth.
    pub const INTROSPECTION_DEPTH: usize = 32;

    /// The limits of introspection-only operations: these, with depth and recursion relaxed.
    #[must_use]
    pub fn for_introspection(self) -> Self {
        Self {
            max_depth: self.max_depth.max(Self::INTROSPECTION_DEPTH),
            max_recursion: self.max_recursion.max(Self::INTROSPECTION_DEPTH),
            ..self
        }
    }

    /// The defaults the binary starts with.
    pub const DEFAULT: Self = Self {
        max_depth: 10,
        max_complexity: 500,
        max_recursion: 10,
        max_directives: 8,
        max_batch: 5,
        max_body_bytes: 64 * 1024,
        timeout: Duration::from_secs(10),
        production: false,
    };
}
