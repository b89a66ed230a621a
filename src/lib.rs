#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

//! ## Architecture
//!
#![doc = include_str!("../ARCHITECTURE.md")]

mod batch;
mod calendar;
mod check;
mod compile;
mod decision;
mod diagnostic;
mod eval;
mod explain;
mod model;
mod operator;
mod phrase;
mod policy;
mod source;
mod syntax;
mod testing;
mod ticket;
mod value;
mod zone;

pub use batch::{decide_lines, BatchError, BatchOptions, BatchSummary, Flush, LineReport};
pub use calendar::{CountedUnit, OutsideCalendar, Shortfall};
pub use decision::{Applied, Computed, Decision, Instant, TraceEntry};
pub use diagnostic::{Diagnostic, DiagnosticReport, Diagnostics, Label, Severity};
pub use eval::error::{Computing, EvaluationError, EvaluationErrorKind};
pub use eval::trace::TraceLevel;
pub use explain::explain;
pub use policy::{check_file, policy_of, EvalError, Policy};
pub use testing::{Failure, TestOutcome, TestReport};
pub use ticket::{FieldProblem, FieldProblemKind, PreparedTicket, TicketError};
