//! The state of one evaluation, which compiled expressions read and write.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};

use super::error::{EvaluationError, EvaluationErrorKind, Site};
use crate::calendar::{add_days, local_instant, OutsideCalendar, WorkingCalendar};
use crate::compile::{LetCode, Program};
use crate::model::{CalendarId, DurationSpec, GradeId, Id, LetId, Unit};
use crate::value::Value;

/// A condition `let` not computed yet for this ticket.
const NOT_YET: u8 = 0;
const UNKNOWN: u8 = 1;
const FALSE: u8 = 2;
const TRUE: u8 = 3;

/// Buffers an evaluation fills, kept with the decision so that deciding again reuses them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    /// `let` values, computed when first read.
    pub lets: Vec<Option<Value>>,
    /// Values of conditions among the `let`s, computed when first read: [`NOT_YET`], else
    /// [`UNKNOWN`], [`FALSE`] or [`TRUE`].
    pub conditions: Vec<u8>,
    /// For each written-out `mentions`: the phrase found, once searched.
    pub mentions: Vec<Option<Option<Arc<str>>>>,
    /// A transcript read for phrase matching, kept to reuse its buffers.
    pub normalized: crate::phrase::Normalized,
    /// Each deadline as the rules so far have set it, for `deadline NAME`.
    pub deadlines: Vec<DeadlineState>,
}

/// A deadline as far as the rules run so far have got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DeadlineState {
    /// No rule has set it (yet), or a time it needs is missing.
    #[default]
    Unset,
    At(DateTime<Utc>),
    /// It could not be reckoned: whatever is reckoned from it cannot be either.
    Problem,
}

impl Scratch {
    /// Forget the last ticket's values.
    pub fn reset(&mut self, program: &Program) {
        self.lets.clear();
        self.lets.resize(program.lets.len(), None);
        self.conditions.clear();
        self.conditions.resize(program.lets.len(), NOT_YET);
        self.mentions.clear();
        self.mentions.resize(program.mentions, None);
        self.deadlines.clear();
        self.deadlines.resize(program.model.deadlines.len(), DeadlineState::Unset);
    }
}

/// One evaluation: the program, the ticket's slots, and what has been learnt so far.
pub(crate) struct Ctx<'t> {
    pub program: &'t Program,
    pub slots: &'t [Value],
    pub scratch: &'t mut Scratch,
    pub problems: &'t mut Vec<EvaluationError>,
    /// The decided grade, once grades are decided.
    pub grade: Option<GradeId>,
    /// What is being evaluated, for problems.
    pub site: Site,
    /// Evaluating again to explain: problems were recorded the first time.
    pub replaying: bool,
}

/// Text read during evaluation: borrowed from the ticket, or shared with the policy or a
/// `let`, never copied.
pub(crate) enum Str<'t> {
    Borrowed(&'t str),
    Shared(Arc<str>),
}

impl Deref for Str<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Shared(s) => s,
        }
    }
}

/// A set of texts read during evaluation (sorted, without duplicates).
pub(crate) enum Texts<'t> {
    Borrowed(&'t [Arc<str>]),
    Shared(Arc<[Arc<str>]>),
}

impl Deref for Texts<'_> {
    type Target = [Arc<str>];

    fn deref(&self) -> &[Arc<str>] {
        match self {
            Texts::Borrowed(s) => s,
            Texts::Shared(s) => s,
        }
    }
}

impl<'t> Ctx<'t> {
    /// A field's value.
    pub fn slot(&self, index: usize) -> &'t Value {
        self.slots.get(index).unwrap_or(&Value::Null)
    }

    /// A `let`'s value, computed on first use.
    pub fn let_value(&mut self, id: LetId) -> &Value {
        static VALUES: [Value; 3] = [Value::Null, Value::Bool(false), Value::Bool(true)];
        let i = id.index();
        let program = self.program;
        match program.lets.get(i) {
            Some(LetCode::Bool(_)) => {
                return match self.let_condition(id) {
                    None => &VALUES[0],
                    Some(b) => &VALUES[1 + usize::from(b)],
                };
            }
            Some(LetCode::Value(code)) if matches!(self.scratch.lets.get(i), Some(None)) => {
                let outer = self.site.via.replace(id);
                let value = crate::limits::grow(|| code(self));
                self.site.via = outer;
                self.scratch.lets[i] = Some(value);
            }
            _ => {}
        }
        match self.scratch.lets.get(i) {
            Some(Some(v)) => v,
            _ => &Value::Null,
        }
    }

    /// A condition `let`, computed on first use.
    pub fn let_condition(&mut self, id: LetId) -> Option<bool> {
        let i = id.index();
        match self.scratch.conditions.get(i) {
            Some(&FALSE) => return Some(false),
            Some(&TRUE) => return Some(true),
            Some(&UNKNOWN) | None => return None,
            Some(_) => {}
        }
        let program = self.program;
        let Some(LetCode::Bool(code)) = program.lets.get(i) else { return None };
        let outer = self.site.via.replace(id);
        let value = crate::limits::grow(|| code(self));
        self.site.via = outer;
        self.scratch.conditions[i] = match value {
            None => UNKNOWN,
            Some(false) => FALSE,
            Some(true) => TRUE,
        };
        value
    }

    /// Record a problem at the current site; the caller then treats the result as unknown.
    pub fn problem<T>(&mut self, kind: EvaluationErrorKind) -> Option<T> {
        if !self.replaying {
            self.problems.push(self.site.error(&self.program.model, kind));
        }
        None
    }

    /// A calendar query's answer, or a problem when it needs a date outside the calendar.
    pub fn calendar<T>(
        &mut self,
        calendar: CalendarId,
        query: impl FnOnce(&WorkingCalendar) -> Result<T, OutsideCalendar>,
    ) -> Option<T> {
        match self.program.calendars.get(calendar.index()).map(query)? {
            Ok(answer) => Some(answer),
            Err(outside) => self.problem(EvaluationErrorKind::OutsideCalendar(outside)),
        }
    }

    /// An instant a decision can hold: RFC 3339 writes years 0001 to 9999, at the policy
    /// zone's offset then, in whole minutes (a local mean time such as +08:05:43 has none).
    fn representable(&mut self, t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match t {
            // Far from either end, and from local mean times, no offset can matter.
            Some(t) if (1901..=9998).contains(&t.year()) => Some(t),
            Some(t) => {
                let local = self.program.instant(t).local();
                let whole_minutes = local.offset().local_minus_utc() % 60 == 0;
                if (1..=9999).contains(&local.year()) && whole_minutes {
                    Some(t)
                } else {
                    self.problem(EvaluationErrorKind::TimeOutOfRange)
                }
            }
            None => self.problem(EvaluationErrorKind::TimeOutOfRange),
        }
    }

    /// `t` plus, or minus when `back`, a duration.
    pub fn shift(&mut self, t: DateTime<Utc>, by: &DurationSpec, back: bool) -> Option<DateTime<Utc>> {
        match (by.unit, by.calendar) {
            (Unit::Clock, _) => {
                let d = Duration::try_seconds(by.amount)?;
                let at = if back { t.checked_sub_signed(d) } else { t.checked_add_signed(d) };
                self.representable(at)
            }
            (Unit::Days, calendar) => {
                let zone = match calendar {
                    Some(c) => self.program.calendars.get(c.index())?.zone(),
                    None => self.program.model.zone,
                };
                let days = Duration::try_days(by.amount)?;
                let date = t.with_timezone(&zone).date_naive();
                let target = if back { date.checked_sub_signed(days) } else { date.checked_add_signed(days) };
                let at = match target {
                    Some(date) if date.year() > 9999 || date.year() < 1 => None,
                    Some(date) if back => Some(local_instant(zone, date, 0)),
                    Some(_) => Some(add_days(zone, t, by.amount)),
                    None => None,
                };
                self.representable(at)
            }
            (Unit::WorkingTime, Some(c)) => {
                let seconds = if back { -by.amount } else { by.amount };
                self.calendar(c, |cal| cal.add_working_time(t, seconds))
            }
            (Unit::WorkingDays, Some(c)) if back => self.calendar(c, |cal| cal.sub_working_days(t, by.amount)),
            (Unit::WorkingDays, Some(c)) => self.calendar(c, |cal| cal.add_working_days(t, by.amount)),
            // The checker gives every working duration a calendar.
            (Unit::WorkingTime | Unit::WorkingDays, None) => None,
        }
    }
}
