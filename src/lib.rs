#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
// No input may panic: no unwrap, panic or unreachable on an input's path, and no cast that
// truncates or wraps. An `expect` states an invariant, and says which.
#![deny(
    clippy::unwrap_used,
    clippy::panic,
    clippy::unreachable,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

//! ## Architecture
//!
#![doc = include_str!("../ARCHITECTURE.md")]

mod analysis;
mod batch;
mod calendar;
mod calendar_view;
mod check;
mod compile;
mod convert;
mod decision;
mod diagnostic;
mod eval;
mod explain;
mod fmt;
mod limits;
mod model;
mod operator;
mod phrase;
mod policy;
mod scenario;
mod source;
mod syntax;
mod testing;
mod ticket;
mod value;
mod zone;

pub use analysis::SkippedCheck;
pub use batch::{decide_lines, BatchError, BatchOptions, BatchSummary, Flush, LineReport, ReportKind, MAX_JOBS};
pub use calendar::{CountedUnit, OutsideCalendar, Shortfall};
pub use calendar_view::{parse_month, CalendarViewError};
pub use decision::{Applied, Computed, Decision, Instant, TraceEntry};
pub use diagnostic::{did_you_mean, Diagnostic, DiagnosticReport, Diagnostics, Label, Severity};
pub use eval::error::{Computing, EvaluationError, EvaluationErrorKind};
pub use eval::trace::TraceLevel;
pub use explain::{explain, explain_outcome, explain_reasons, instant_words, why, WhyPart};
pub use fmt::{format_named, format_source};
pub use limits::Limits;
pub use policy::{
    check_file, check_file_explained, check_file_with, check_source_explained, check_source_with, policy_of, EvalError,
    Policy,
};
pub use scenario::{
    part_words, span_words, standing, unfinished, AdvanceError, Change, Evaluated, Expression, Flip, FlipSearch,
    Scenario, ScenarioError, Standing,
};
pub use testing::{Failure, TestOutcome, TestReport};
pub use ticket::{FieldProblem, FieldProblemKind, NearMiss, PreparedTicket, TicketError};
