//! What can go wrong while deciding a valid ticket, as data a host can match on.
//!
//! None of it stops a decision: what could not be reckoned is left out and listed among the
//! decision's problems, and everything else is still decided (`domain.md` §2).

use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::calendar::{CountedUnit, OutsideCalendar};
use crate::model::{DeadlineId, ExemptionId, Id, LetId, Model, RuleId, ValueId};
use crate::operator::ArithOp;

/// Why part of a decision could not be reckoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluationErrorKind {
    /// A calendar was asked about a date outside the years it declares.
    OutsideCalendar(OutsideCalendar),
    /// Whole-number arithmetic went past 64 bits, or decimal arithmetic past 28 digits.
    Overflow {
        /// The operation, `+`, `-`, `*` or `/`; `-` also for negation.
        op: ArithOp,
    },
    /// A time went past the instants that can be represented.
    TimeOutOfRange,
    /// It is reckoned from a deadline that could not be reckoned (and never falls back to
    /// a later choice of a `first`).
    AnchoredOn {
        /// That deadline.
        deadline: Arc<str>,
    },
}

impl EvaluationErrorKind {
    /// A stable code for tools: `outside_calendar`, `overflow`, `time_out_of_range`.
    pub fn code(&self) -> &'static str {
        match self {
            EvaluationErrorKind::OutsideCalendar(_) => "outside_calendar",
            EvaluationErrorKind::Overflow { .. } => "overflow",
            EvaluationErrorKind::TimeOutOfRange => "time_out_of_range",
            EvaluationErrorKind::AnchoredOn { .. } => "anchored_on_problem",
        }
    }
}

impl fmt::Display for EvaluationErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvaluationErrorKind::OutsideCalendar(outside) => outside.fmt(f),
            EvaluationErrorKind::Overflow { op } => write!(f, "`{op}` overflowed: the result is too large to be exact"),
            EvaluationErrorKind::TimeOutOfRange => f.write_str("the time falls outside the years 0001 to 9999"),
            EvaluationErrorKind::AnchoredOn { deadline } => {
                write!(f, "it is reckoned from deadline `{deadline}`, which could not be reckoned")
            }
        }
    }
}

/// What was being computed when a problem arose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Computing {
    /// The condition of a rule or exemption.
    Condition,
    /// The `when` guard of one of a rule's statements.
    Guard,
    /// A deadline.
    Deadline(Arc<str>),
    /// An early warning of a deadline.
    Warning(Arc<str>),
    /// A computed value.
    Value(Arc<str>),
}

/// A problem met while deciding a ticket: where in the policy, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationError {
    /// The rule or exemption being evaluated.
    pub rule: Arc<str>,
    /// Whether [`rule`](Self::rule) is an exemption.
    pub exemption: bool,
    /// What in it was being computed.
    pub computing: Computing,
    /// The `let` being computed for it, when the problem arose inside one.
    pub via_let: Option<Arc<str>>,
    /// What went wrong.
    pub kind: EvaluationErrorKind,
}

impl fmt::Display for EvaluationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = if self.exemption { "exemption" } else { "rule" };
        match &self.computing {
            Computing::Condition => write!(f, "condition of {owner} `{}`", self.rule)?,
            Computing::Guard => write!(f, "a `when` in {owner} `{}`", self.rule)?,
            Computing::Deadline(d) => write!(f, "deadline `{d}` in {owner} `{}`", self.rule)?,
            Computing::Warning(d) => write!(f, "early warning of deadline `{d}` in {owner} `{}`", self.rule)?,
            Computing::Value(v) => write!(f, "value `{v}` in {owner} `{}`", self.rule)?,
        }
        if let Some(l) = &self.via_let {
            write!(f, " (computing `{l}`)")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for EvaluationError {}

impl Serialize for EvaluationError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("error", self.kind.code())?;
        let (key, name) = match &self.computing {
            Computing::Condition | Computing::Guard => ("computing", None),
            Computing::Deadline(d) => ("deadline", Some(d)),
            Computing::Warning(d) => ("warning", Some(d)),
            Computing::Value(v) => ("value", Some(v)),
        };
        match name {
            Some(name) => map.serialize_entry(key, &**name)?,
            None => {
                map.serialize_entry(key, if self.computing == Computing::Condition { "condition" } else { "guard" })?
            }
        }
        map.serialize_entry(if self.exemption { "exemption" } else { "rule" }, &*self.rule)?;
        if let Some(l) = &self.via_let {
            map.serialize_entry("let", &**l)?;
        }
        match &self.kind {
            EvaluationErrorKind::OutsideCalendar(o) => {
                map.serialize_entry("calendar", &*o.calendar)?;
                map.serialize_entry("years_set_in", &*o.years_set_in)?;
                map.serialize_entry("valid", &[o.first.to_string(), o.last.to_string()])?;
                map.serialize_entry("date_needed", &o.date.to_string())?;
                if let Some(short) = o.shortfall {
                    let unit = match short.unit {
                        CountedUnit::WorkingDays => "working_days",
                        CountedUnit::WorkingSeconds => "working_seconds",
                    };
                    map.serialize_entry("uncounted", &short.missing)?;
                    map.serialize_entry("of", &short.of)?;
                    map.serialize_entry("unit", unit)?;
                }
            }
            EvaluationErrorKind::Overflow { op } => map.serialize_entry("op", &op.to_string())?,
            EvaluationErrorKind::TimeOutOfRange => {}
            EvaluationErrorKind::AnchoredOn { deadline } => map.serialize_entry("anchored_on", &**deadline)?,
        }
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// Where evaluation stands, in ids, so that a problem can say where it arose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Site {
    pub owner: Owner,
    pub part: Part,
    /// The `let` being computed, if any.
    pub via: Option<LetId>,
}

/// A rule or an exemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    Rule(RuleId),
    Exemption(ExemptionId),
}

/// The part of a rule being evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Condition,
    Guard,
    Deadline(DeadlineId),
    Warning(DeadlineId),
    Value(ValueId),
}

impl Site {
    /// The condition of a rule or exemption.
    pub fn condition(owner: Owner) -> Site {
        Site { owner, part: Part::Condition, via: None }
    }

    /// The problem `kind`, arising here.
    pub fn error(self, model: &Model, kind: EvaluationErrorKind) -> EvaluationError {
        // An expression evaluated on its own (the REPL's `?`) is owned by no rule; a policy
        // may have none to lend it.
        let (rule, exemption) = match self.owner {
            Owner::Rule(r) => (model.rules.get(r.index()).map_or_else(|| "".into(), |r| r.name.clone()), false),
            Owner::Exemption(e) => {
                (model.exemptions.get(e.index()).map_or_else(|| "".into(), |e| e.name.clone()), true)
            }
        };
        let computing = match self.part {
            Part::Condition => Computing::Condition,
            Part::Guard => Computing::Guard,
            Part::Deadline(d) => Computing::Deadline(model.deadline_name(d).clone()),
            Part::Warning(d) => Computing::Warning(model.deadline_name(d).clone()),
            Part::Value(v) => Computing::Value(model.value_name(v).clone()),
        };
        let via_let = self.via.map(|l| model.let_def(l).name.clone());
        EvaluationError { rule, exemption, computing, via_let, kind }
    }
}
