#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

//! ## Architecture
//!
#![doc = include_str!("../ARCHITECTURE.md")]

mod calendar;
mod check;
mod compile;
mod decision;
mod diagnostic;
mod eval;
mod explain;
mod model;
mod phrase;
mod policy;
mod source;
mod syntax;
mod testing;
mod ticket;
mod value;

pub use calendar::OutsideCalendar;
pub use decision::{DeadlineNote, Decision, Instant, NamedMap, TraceEntry};
pub use diagnostic::{Diagnostic, DiagnosticReport, Diagnostics, Label, Severity};
pub use eval::CalendarError;
pub use explain::explain;
pub use policy::{check_file, policy_of, EvalError, Policy};
pub use testing::{Failure, TestOutcome, TestReport};
pub use ticket::{FieldProblem, TicketError};
