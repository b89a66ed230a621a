//! Runtime values of fields, `let`s and expressions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{DurationSpec, GradeId};

/// A value during evaluation. `Null` is an absent optional field or an undefined result
/// (a rate whose denominator is 0): comparisons with it are neither true nor false, and a
/// rule fires only when its condition is true.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent or undefined.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// An exact decimal (money, rates).
    Decimal(Decimal),
    /// Unicode text.
    Text(Arc<str>),
    /// An instant.
    Time(DateTime<Utc>),
    /// A duration, clock or working.
    Duration(DurationSpec),
    /// A value of an enum, by index.
    Enum(u16),
    /// A set of values of one enum, as a bit set (enums have at most 64 values).
    EnumSet(u64),
    /// A set of texts, sorted and without duplicates.
    TextSet(Arc<[Arc<str>]>),
    /// A grade, by index: 0 is the most severe.
    Grade(GradeId),
}

impl Value {
    /// Whether the value is known.
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Null)
    }

    /// The value as an exact decimal, for mixed int/decimal arithmetic.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}
