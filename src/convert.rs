//! Conversions between integer widths that cannot fail for the sizes the limits allow;
//! written once, so that no `as` cast truncates or wraps silently elsewhere.

/// A count or index of a table that the limits keep far below `u32::MAX` (days and
/// periods of a calendar of at most a few dozen years, entries of a decision's trace).
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A count as a number the language computes with.
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
