//! The trace as data: which rules fired, what each did, the facts that made it fire and how
//! each deadline was reckoned. Ids and values only; words are rendered from it by
//! `explain`, and JSON by the decision's `Serialize`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::context::{Ctx, DeadlineState};
use super::error::Owner;
use crate::compile::expr::{FactPlan, Read, Subject};
use crate::model::*;
use crate::value::Value;

/// How much of the trace a caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TraceLevel {
    /// No trace: the outcome only.
    None,
    /// Each rule and exemption that fired, with its clauses and what it did: what an audit
    /// needs.
    #[default]
    Rules,
    /// Also the facts that made each fire, and how each deadline was reckoned.
    Full,
}

/// The trace of one decision. Entries are numbered in evaluation order; effects, facts and
/// reckonings carry the number of the entry they belong to, so recording one never
/// allocates per entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trace {
    pub fired: Vec<Owner>,
    pub effects: Vec<(u32, Applied)>,
    pub facts: Vec<(u32, Fact)>,
    pub reckonings: Vec<(u32, Reckoning)>,
    /// Each value as its entry set it (the decision keeps the last, and drops those whose
    /// action went).
    pub values: Vec<(u32, ValueId, Value, Type)>,
}

impl Trace {
    pub fn clear(&mut self) {
        self.fired.clear();
        self.effects.clear();
        self.facts.clear();
        self.reckonings.clear();
        self.values.clear();
    }
}

/// What a rule or exemption did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Grade(GradeId),
    Route(RoleId),
    Action(ActionId),
    Deadline(DeadlineId),
    /// Not set: a time it needs is missing, or (`problem`) could not be reckoned.
    DeadlineUnset {
        deadline: DeadlineId,
        problem: bool,
    },
    Value(ValueId),
    /// Not reported: undefined (a value it needs is missing, or a denominator is 0), or
    /// (`problem`) could not be computed.
    ValueUnset {
        value: ValueId,
        problem: bool,
    },
    Exempt(ActionId),
    /// A deadline or value that belonged to an action the decision does not hold.
    Dropped {
        owned: Owned,
        action: ActionId,
        exempted: bool,
    },
}

/// A deadline or value that belongs to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owned {
    Deadline(DeadlineId),
    Value(ValueId),
}

/// A fact a condition read, and (for a `let`) the facts behind it, which follow it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fact {
    pub subject: FactSubject,
    pub value: Value,
    /// How many of the facts that follow are nested under this one.
    pub nested: u32,
}

/// What a fact is about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FactSubject {
    Field(FieldId),
    Let(LetId),
    Grade,
    /// A deadline this decision set.
    Deadline(DeadlineId),
    /// A text mentioned a phrase.
    Mention {
        subject: Option<Subject>,
        phrase: Arc<str>,
    },
}

/// How a deadline was reckoned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reckoning {
    pub deadline: DeadlineId,
    /// The instant it was reckoned from, for the forms anchored on one.
    pub from: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub how: How,
}

/// The arithmetic of a deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum How {
    Clock { seconds: i64 },
    Days { days: i64, zone: Tz },
    WorkingTime { calendar: CalendarId, seconds: i64 },
    WorkingDays { calendar: CalendarId, days: i64 },
    SameDay { calendar: CalendarId },
    Window { calendar: CalendarId, window: WindowId, end: bool },
    Computed,
}

/// Record the facts a condition read, under trace entry `entry`. Evaluating again reads
/// memoised `let`s and phrase searches; only the comparisons of an `or` run again.
pub(crate) fn record_facts(ctx: &mut Ctx<'_>, plan: &FactPlan, entry: u32, out: &mut Vec<(u32, Fact)>) {
    let replaying = std::mem::replace(&mut ctx.replaying, true);
    let start = out.len();
    collect(ctx, plan, entry, out, start);
    ctx.replaying = replaying;
}

fn collect(ctx: &mut Ctx<'_>, plan: &FactPlan, entry: u32, out: &mut Vec<(u32, Fact)>, level: usize) {
    match plan {
        FactPlan::All(parts) => parts.iter().for_each(|p| collect(ctx, p, entry, out, level)),
        FactPlan::FirstTrue(parts) => {
            let decisive = parts.iter().find(|(test, _)| test(ctx) == Some(true)).or(parts.first());
            if let Some((_, plan)) = decisive {
                collect(ctx, plan, entry, out, level);
            }
        }
        FactPlan::Reads(reads) => reads.iter().for_each(|r| read(ctx, r, entry, out, level)),
    }
}

fn read(ctx: &mut Ctx<'_>, r: &Read, entry: u32, out: &mut Vec<(u32, Fact)>, level: usize) {
    let (subject, value) = match r {
        Read::Field(id) => (FactSubject::Field(*id), ctx.slot(id.index()).clone()),
        Read::Let(id) => (FactSubject::Let(*id), ctx.let_value(*id).clone()),
        Read::Grade => (FactSubject::Grade, ctx.grade.map_or(Value::Null, Value::Grade)),
        Read::Deadline(id) => match ctx.scratch.deadlines.get(id.index()) {
            Some(DeadlineState::At(t)) => (FactSubject::Deadline(*id), Value::Time(*t)),
            _ => (FactSubject::Deadline(*id), Value::Null),
        },
        Read::Mention { memo, subject, otherwise } => match ctx.scratch.mentions.get(*memo) {
            Some(Some(Some(phrase))) => {
                (FactSubject::Mention { subject: *subject, phrase: phrase.clone() }, Value::Bool(true))
            }
            _ => return otherwise.iter().for_each(|r| read(ctx, r, entry, out, level)),
        },
    };
    // A fact is told once among its siblings, however often the condition reads it.
    if siblings(&out[level..]).any(|f| f.subject == subject) {
        return;
    }
    let at = out.len();
    out.push((entry, Fact { subject, value, nested: 0 }));
    if let Read::Let(id) = r {
        let program = ctx.program;
        if let Some(plan) = program.let_facts.get(id.index()) {
            crate::limits::grow(|| collect(ctx, plan, entry, out, at + 1));
        }
        out[at].1.nested = crate::convert::to_u32(out.len() - at - 1);
    }
}

/// The top-level facts of a run of facts, skipping those nested under them.
pub(crate) fn siblings(facts: &[(u32, Fact)]) -> impl Iterator<Item = &Fact> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let (_, f) = facts.get(i)?;
        i += 1 + f.nested as usize;
        Some(f)
    })
}
