//! A decision as JSON (`domain.md` §4): names looked up, instants written as RFC 3339,
//! and the trace at the level the decision was made with.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Computed, Decision, Instant, TraceEntry};
use crate::calendar::DayKind;
use crate::eval::trace::{siblings, Applied, Fact, FactSubject, How, Owned, Reckoning, TraceLevel};
use crate::model::*;
use crate::value::Value;

impl Serialize for Decision<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.model();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("ticket", &self.ticket)?;
        map.serialize_entry("policy", &*model.name)?;
        map.serialize_entry("grade", &self.grade())?;
        map.serialize_entry("route", &Names(self.route()))?;
        map.serialize_entry("exempt", &Names(self.exempt()))?;
        map.serialize_entry("actions", &Names(self.actions()))?;
        map.serialize_entry("deadlines", &Deadlines(self))?;
        map.serialize_entry("warnings", &Warnings(self))?;
        map.serialize_entry("values", &Values(self))?;
        if self.level > TraceLevel::None {
            map.serialize_entry("trace", &Entries(self))?;
        }
        if !self.problems.is_empty() {
            map.serialize_entry("problems", &self.problems)?;
        }
        map.end()
    }
}

/// Serialises a run of names as a list, without collecting them.
struct Names<I>(I);

impl<'a, I: ExactSizeIterator<Item = &'a str> + Clone> Serialize for Names<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for name in self.0.clone() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

struct Deadlines<'d, 'p>(&'d Decision<'p>);

impl Serialize for Deadlines<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.deadlines.len()))?;
        for (name, at) in self.0.deadlines() {
            map.serialize_entry(name, &at)?;
        }
        map.end()
    }
}

/// Early warnings grouped by deadline, in the order of the deadlines.
struct Warnings<'d, 'p>(&'d Decision<'p>);

impl Serialize for Warnings<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut map = s.serialize_map(None)?;
        for (id, _) in &d.deadlines {
            if d.warnings.iter().any(|(w, _)| w == id) {
                let at: Vec<Instant> = d.warnings.iter().filter(|(w, _)| w == id).map(|(_, at)| *at).collect();
                map.serialize_entry(&**d.model().deadline_name(*id), &at)?;
            }
        }
        map.end()
    }
}

struct Values<'d, 'p>(&'d Decision<'p>);

impl Serialize for Values<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (name, value) in self.0.values() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

impl Serialize for Computed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Computed::Bool(b) => s.serialize_bool(*b),
            Computed::Int(i) => s.serialize_i64(*i),
            // Exact decimals are text, so that no reader turns them into floats.
            Computed::Decimal(d) => s.collect_str(d),
            Computed::Text(t) | Computed::Name(t) => s.serialize_str(t),
            Computed::Time(t) => t.serialize(s),
        }
    }
}

struct Entries<'d, 'p>(&'d Decision<'p>);

impl Serialize for Entries<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.trace.fired.len()))?;
        for entry in self.0.trace() {
            seq.serialize_element(&entry)?;
        }
        seq.end()
    }
}

impl Serialize for TraceEntry<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.decision;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(if self.is_exemption() { "exemption" } else { "rule" }, self.name())?;
        map.serialize_entry("clauses", &Names(self.clauses().iter().map(|c| &**c)))?;
        if let Some(reason) = self.reason() {
            map.serialize_entry("reason", reason)?;
        }
        map.serialize_entry("effects", &Effects(*self))?;
        if d.level == TraceLevel::Full {
            let facts: Vec<(u32, Fact)> = d.trace.facts.iter().filter(|(e, _)| *e == self.index()).cloned().collect();
            map.serialize_entry("facts", &Facts { decision: d, facts: &facts })?;
            let reckonings: Vec<&Reckoning> =
                d.trace.reckonings.iter().filter(|(e, _)| *e == self.index()).map(|(_, r)| r).collect();
            if !reckonings.is_empty() {
                let list: Vec<ReckoningJson<'_, '_>> =
                    reckonings.into_iter().map(|r| ReckoningJson { decision: d, reckoning: r }).collect();
                map.serialize_entry("reckoning", &list)?;
            }
        }
        map.end()
    }
}

struct Effects<'d, 'p>(TraceEntry<'d, 'p>);

impl Serialize for Effects<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.0.decision.model();
        let mut seq = s.serialize_seq(None)?;
        for applied in self.0.applied() {
            seq.serialize_element(&EffectJson { model, applied })?;
        }
        seq.end()
    }
}

struct EffectJson<'m> {
    model: &'m Model,
    applied: Applied,
}

impl Serialize for EffectJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.model;
        let mut map = s.serialize_map(None)?;
        match self.applied {
            Applied::Grade(g) => map.serialize_entry("grade", &*model.grade(g).name)?,
            Applied::Route(r) => map.serialize_entry("route", &*model.role(r).name)?,
            Applied::Action(a) => map.serialize_entry("action", &*model.action(a).name)?,
            Applied::Deadline(d) => map.serialize_entry("deadline", &**model.deadline_name(d))?,
            Applied::DeadlineUnset { deadline, problem } => {
                map.serialize_entry("deadline", &**model.deadline_name(deadline))?;
                map.serialize_entry("unset", if problem { "problem" } else { "missing_time" })?;
            }
            Applied::Value(v) => map.serialize_entry("value", &**model.value_name(v))?,
            Applied::ValueUnset { value, problem } => {
                map.serialize_entry("value", &**model.value_name(value))?;
                map.serialize_entry("unset", if problem { "problem" } else { "undefined" })?;
            }
            Applied::Exempt(a) => map.serialize_entry("exempt", &*model.action(a).name)?,
            Applied::Dropped { owned, action, exempted } => {
                let (kind, name) = match owned {
                    Owned::Deadline(d) => ("deadline", model.deadline_name(d)),
                    Owned::Value(v) => ("value", model.value_name(v)),
                };
                map.serialize_entry("dropped", kind)?;
                map.serialize_entry("name", &**name)?;
                map.serialize_entry("action", &*model.action(action).name)?;
                map.serialize_entry("because", if exempted { "exempted" } else { "not_triggered" })?;
            }
        }
        map.end()
    }
}

/// A run of facts; those nested under a `let` follow it.
struct Facts<'d, 'p> {
    decision: &'d Decision<'p>,
    facts: &'d [(u32, Fact)],
}

impl Serialize for Facts<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut i = 0;
        for fact in siblings(self.facts) {
            let nested = &self.facts[i + 1..i + 1 + fact.nested as usize];
            seq.serialize_element(&FactJson { decision: self.decision, fact, nested })?;
            i += 1 + fact.nested as usize;
        }
        seq.end()
    }
}

struct FactJson<'d, 'p> {
    decision: &'d Decision<'p>,
    fact: &'d Fact,
    nested: &'d [(u32, Fact)],
}

impl Serialize for FactJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.decision.model();
        let mut map = s.serialize_map(None)?;
        let subject = |map: &mut S::SerializeMap, subject: Option<crate::compile::expr::Subject>| match subject {
            Some(crate::compile::expr::Subject::Field(f)) => map.serialize_entry("field", &*model.field(f).path),
            Some(crate::compile::expr::Subject::Let(l)) => map.serialize_entry("let", &*model.let_def(l).name),
            None => Ok(()),
        };
        match &self.fact.subject {
            FactSubject::Field(f) => {
                map.serialize_entry("field", &*model.field(*f).path)?;
                map.serialize_entry(
                    "value",
                    &Shown { decision: self.decision, value: &self.fact.value, ty: model.field(*f).ty },
                )?;
            }
            FactSubject::Let(l) => {
                map.serialize_entry("let", &*model.let_def(*l).name)?;
                let ty = model.let_def(*l).ty;
                map.serialize_entry("value", &Shown { decision: self.decision, value: &self.fact.value, ty })?;
                if !self.nested.is_empty() {
                    let nested = Facts { decision: self.decision, facts: self.nested };
                    crate::limits::grow(|| map.serialize_entry("facts", &nested))?;
                }
            }
            FactSubject::Deadline(id) => {
                map.serialize_entry("deadline", &**model.deadline_name(*id))?;
                map.serialize_entry(
                    "value",
                    &Shown { decision: self.decision, value: &self.fact.value, ty: Type::Time },
                )?;
            }
            FactSubject::Grade => map.serialize_entry(
                "grade",
                &Shown { decision: self.decision, value: &self.fact.value, ty: Type::Grade },
            )?,
            FactSubject::Mention { subject: of, phrase } => {
                subject(&mut map, *of)?;
                map.serialize_entry("mentions", &**phrase)?;
            }
        }
        map.end()
    }
}

/// A value read by a condition, as JSON: enum values and grades by name.
pub(crate) struct Shown<'d, 'p> {
    pub decision: &'d Decision<'p>,
    pub value: &'d Value,
    pub ty: Type,
}

impl Serialize for Shown<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let model = self.decision.model();
        match (self.value, self.ty) {
            (Value::Null, _) => s.serialize_none(),
            (Value::Duration(d), _) => s.serialize_str(&crate::calendar::clock_words(d.amount)),
            (Value::EnumSet(bits), Type::EnumSet(e)) => model.enum_def(e).members(*bits).serialize(s),
            (Value::TextSet(texts), _) => texts.iter().map(|t| &**t).collect::<Vec<_>>().serialize(s),
            (v, ty) => match self.decision.computed(v, ty) {
                Some(c) => c.serialize(s),
                None => s.serialize_none(),
            },
        }
    }
}

struct ReckoningJson<'d, 'p> {
    decision: &'d Decision<'p>,
    reckoning: &'d Reckoning,
}

impl Serialize for ReckoningJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let program = self.decision.program;
        let model = &program.model;
        let r = self.reckoning;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("deadline", &**model.deadline_name(r.deadline))?;
        if let Some(from) = r.from {
            map.serialize_entry("from", &program.instant(from))?;
        }
        map.serialize_entry("at", &program.instant(r.at))?;
        match r.how {
            How::Clock { seconds } => map.serialize_entry("clock", &crate::calendar::clock_words(seconds))?,
            How::Days { days, zone } => {
                map.serialize_entry("calendar_days", &days)?;
                map.serialize_entry("zone", zone.name())?;
            }
            How::WorkingTime { calendar, seconds } => {
                map.serialize_entry("calendar", &*model.calendar(calendar).name)?;
                map.serialize_entry("working_time", &crate::calendar::clock_words(seconds))?;
                if let (Some(cal), Some(from)) = (program.calendar(calendar), r.from) {
                    let periods: Vec<[Instant; 2]> = cal
                        .periods_between(from, r.at)
                        .map(|(a, b)| [program.instant(a), program.instant(b)])
                        .collect();
                    map.serialize_entry("periods", &periods)?;
                    let skipped: Vec<DayJson<'_>> = cal
                        .days_between(from, r.at)
                        .filter(|(_, _, working)| !working)
                        .map(|(date, kind, _)| DayJson { date, kind })
                        .collect();
                    map.serialize_entry("skipped", &skipped)?;
                }
            }
            How::WorkingDays { calendar, days } => {
                map.serialize_entry("calendar", &*model.calendar(calendar).name)?;
                map.serialize_entry("working_days", &days)?;
                if let (Some(cal), Some(from)) = (program.calendar(calendar), r.from) {
                    let mut counted = Vec::new();
                    let mut skipped = Vec::new();
                    for (date, kind, working) in cal.days_between(from, r.at) {
                        let day = DayJson { date, kind };
                        if working {
                            counted.push(day);
                        } else {
                            skipped.push(day);
                        }
                    }
                    map.serialize_entry("counted", &counted)?;
                    map.serialize_entry("skipped", &skipped)?;
                }
            }
            How::SameDay { calendar } => {
                map.serialize_entry("calendar", &*model.calendar(calendar).name)?;
                if let Some((date, own)) = r.from.and_then(|t| program.calendar(calendar)?.same_day_date(t).ok()) {
                    map.serialize_entry("close_of_business", &date.to_string())?;
                    map.serialize_entry("next_working_day", &!own)?;
                }
            }
            How::Window { calendar, window, end } => {
                let spec = model.calendar(calendar);
                map.serialize_entry("calendar", &*spec.name)?;
                map.serialize_entry("window", spec.windows.get(window.index()).map_or("", |(n, _)| &**n))?;
                map.serialize_entry("window_at", if end { "end_of_day" } else { "next_open" })?;
            }
            How::Computed => map.serialize_entry("computed", &true)?,
        }
        map.end()
    }
}

/// A day a working-day count went over: its date, and why it works or not when that is
/// not the ordinary week.
struct DayJson<'c> {
    date: chrono::NaiveDate,
    kind: &'c DayKind,
}

impl Serialize for DayJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let date = self.date.to_string();
        let why = match self.kind {
            DayKind::Regular => return s.serialize_str(&date),
            DayKind::Holiday(l) => ("holiday", l),
            DayKind::Makeup(l) => ("makeup", l),
            DayKind::Off(l) => ("off", l),
            DayKind::Special(l) => ("special_hours", l),
        };
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("date", &date)?;
        map.serialize_entry(why.0, &**why.1)?;
        map.end()
    }
}
