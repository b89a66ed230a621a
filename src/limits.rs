//! Limits on what a policy and a ticket may be, so that no input exhausts the stack, the
//! memory or the time of the program that reads it. Each one is reported where it is
//! exceeded: a located diagnostic for a rule file, a ticket error naming the ticket.

/// The limits a policy is loaded and its tickets are read with.
///
/// ```
/// let strict = triage::Limits { expression_depth: 16, ..triage::Limits::default() };
/// let policy = triage::Policy::from_source_with(
///     "p.triage",
///     "policy p\n  zone Asia/Shanghai\nticket\n  id text\n",
///     std::path::Path::new("."),
///     &strict,
/// );
/// assert!(policy.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How deeply an expression may nest: parentheses, `not`, and each operator of a chain
    /// such as `a + b + c` count one level. 64.
    pub expression_depth: usize,
    /// How deeply `let`s may read `let`s that read `let`s, each one's own expression
    /// depth included. 256.
    pub let_depth: usize,
    /// The size of one rule file, in bytes. 4 MiB.
    pub file_bytes: usize,
    /// How many years one calendar may cover: each is precomputed when the policy loads.
    /// 50.
    pub calendar_years: u32,
    /// The size of one ticket's JSON text, in bytes. 1 MiB.
    pub ticket_bytes: usize,
}

/// Run a step of a recursive stage (lowering, checking, compiling an expression; computing
/// a `let`) on a fresh stack segment when little of the current one is left: the limits
/// bound the depth, this makes any thread's stack enough for it, an embedder's small
/// thread stacks and unoptimised builds included.
pub(crate) fn grow<R>(step: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 << 20, step)
}

impl Default for Limits {
    fn default() -> Self {
        Limits { expression_depth: 64, let_depth: 256, file_bytes: 4 << 20, calendar_years: 50, ticket_bytes: 1 << 20 }
    }
}
