//! Reckoning a deadline and its early warnings, and recording how (for the full trace).

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::context::{Ctx, DeadlineState};
use super::error::{EvaluationErrorKind, Part};
use super::trace::{Applied, How, Reckoning, TraceLevel};
use super::Run;
use crate::compile::expr::Operand;
use crate::compile::{DeadlineCode, Form};
use crate::model::{DurationSpec, Id, Unit, WarningDef};

/// Reckon a deadline and its warnings into the decision; whether the deadline was set.
/// What cannot be reckoned is left out, and the context has recorded why.
pub(super) fn reckon(ctx: &mut Ctx<'_>, d: &DeadlineCode, run: &mut Run<'_>, entry: Option<u32>) -> bool {
    let problems = ctx.problems.len();
    let Some((at, from, how)) = due(ctx, &d.form) else {
        let problem = ctx.problems.len() > problems;
        run.effect(entry, Applied::DeadlineUnset { deadline: d.name, problem });
        if let Some(state) = ctx.scratch.deadlines.get_mut(d.name.index()) {
            *state = if problem { DeadlineState::Problem } else { DeadlineState::Unset };
        }
        return false;
    };
    if let Some(state) = ctx.scratch.deadlines.get_mut(d.name.index()) {
        *state = DeadlineState::At(at);
    }
    match run.deadlines.iter_mut().find(|(n, _)| *n == d.name) {
        Some(slot) => slot.1 = ctx.program.instant(at),
        None => run.deadlines.push((d.name, ctx.program.instant(at))),
    }
    // A deadline set again takes its new warnings, or none.
    run.warnings.retain(|(n, _)| *n != d.name);
    ctx.site.part = Part::Warning(d.name);
    for w in &d.warnings {
        if let Some(warn) = warning(ctx, w, &d.form, from, at) {
            run.warnings.push((d.name, ctx.program.instant(warn)));
        }
    }
    run.effect(entry, Applied::Deadline(d.name));
    if let (TraceLevel::Full, Some(entry)) = (run.level, entry) {
        run.trace.reckonings.push((entry, Reckoning { deadline: d.name, from, at, how }));
    }
    true
}

/// The deadline's instant, the instant it was reckoned from, and how.
fn due(ctx: &mut Ctx<'_>, form: &Form) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>, How)> {
    match form {
        Form::Shift { from, by, back } => {
            let t = from(ctx)?;
            let by = match by {
                Operand::Const(d) => *d,
                Operand::Code(f) => f(ctx)?,
            };
            let at = ctx.shift(t, &by, *back)?;
            Some((at, Some(t), if *back { How::Computed } else { how(ctx, &by) }))
        }
        Form::SameDay { from, calendar } => {
            let t = from(ctx)?;
            let at = ctx.calendar(*calendar, |cal| cal.same_day(t))?;
            Some((at, Some(t), How::SameDay { calendar: *calendar }))
        }
        Form::Window { from, calendar, window, end } => {
            let t = from(ctx)?;
            let w = window.index();
            let at = ctx.calendar(*calendar, |cal| if *end { cal.window_end(t, w) } else { cal.window_from(t, w) })?;
            Some((at, Some(t), How::Window { calendar: *calendar, window: *window, end: *end }))
        }
        Form::Computed(f) => Some((f(ctx)?, None, How::Computed)),
    }
}

fn how(ctx: &Ctx<'_>, by: &DurationSpec) -> How {
    match (by.unit, by.calendar) {
        (Unit::Clock, _) => How::Clock { seconds: by.amount },
        (Unit::Days, c) => {
            let zone = c.and_then(|c| ctx.program.calendar(c)).map_or(ctx.program.model.zone, |cal| cal.zone());
            How::Days { days: by.amount, zone }
        }
        (Unit::WorkingTime, Some(calendar)) => How::WorkingTime { calendar, seconds: by.amount },
        (Unit::WorkingDays, Some(calendar)) => How::WorkingDays { calendar, days: by.amount },
        (Unit::WorkingTime | Unit::WorkingDays, None) => How::Computed,
    }
}

/// An early warning of a deadline due `at`, reckoned from `from`.
fn warning(
    ctx: &mut Ctx<'_>,
    w: &WarningDef,
    form: &Form,
    from: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match w {
        WarningDef::Before(spec) => ctx.shift(at, spec, true),
        WarningDef::Share(share) => {
            // The checker allows a share only on `start + written duration`.
            let (Form::Shift { by: Operand::Const(spec), back: false, .. }, Some(start)) = (form, from) else {
                return None;
            };
            let scale = |ctx: &mut Ctx<'_>, seconds: i64| -> Option<i64> {
                match Decimal::from(seconds).checked_mul(*share).and_then(|d| i64::try_from(d.floor()).ok()) {
                    Some(s) => Some(s),
                    None => ctx.problem(EvaluationErrorKind::Overflow { op: crate::operator::ArithOp::Mul }),
                }
            };
            match (spec.unit, spec.calendar) {
                (Unit::WorkingTime | Unit::WorkingDays, Some(c)) => {
                    let total = ctx.calendar(c, |cal| cal.working_time_between(start, at))?;
                    let part = scale(ctx, total)?;
                    ctx.calendar(c, |cal| cal.add_working_time(start, part))
                }
                _ => {
                    let part = scale(ctx, (at - start).num_seconds())?;
                    match Duration::try_seconds(part).and_then(|d| start.checked_add_signed(d)) {
                        Some(t) => Some(t),
                        None => ctx.problem(EvaluationErrorKind::TimeOutOfRange),
                    }
                }
            }
        }
    }
}
