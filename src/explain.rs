//! A decision in plain words, for `triage explain` and anyone reading a trace: rendered
//! from the decision's data, never stored in it.

use std::fmt::Write as _;

use crate::calendar::{clock_words, DayKind};
use crate::compile::expr::Subject;
use crate::compile::Program;
use crate::decision::{Decision, TraceEntry};
use crate::eval::trace::{siblings, Applied, Fact, FactSubject, How, Owned, Reckoning};
use crate::model::*;
use crate::policy::Policy;
use crate::value::Value;

/// Describe a decision the way a policy owner would read it: the outcome first, then each
/// rule that fired, with its clauses, the facts that made it fire (when the decision was
/// made with the full trace), what it did and how each deadline was reckoned, then what
/// could not be reckoned.
pub fn explain(policy: &Policy, decision: &Decision<'_>) -> String {
    let model = &policy.program().model;
    let mut out = String::new();
    let label = model.label.as_deref().map(|l| format!(" ({l})")).unwrap_or_default();
    let _ = writeln!(out, "ticket {} under policy {}{label}", decision.ticket(), decision.policy());
    let grade = match decision.grade {
        None => "none (this policy has no grades)".to_string(),
        Some(g) => {
            let grade = model.grade(g);
            grade.label.as_deref().map_or(grade.name.to_string(), |l| format!("{} ({l})", grade.name))
        }
    };
    let _ = writeln!(out, "  grade:      {grade}");
    let names = |v: Vec<&str>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let _ = writeln!(out, "  route:      {}", names(decision.route().collect()));
    let _ = writeln!(out, "  actions:    {}", names(decision.actions().collect()));
    let _ = writeln!(out, "  exempt:     {}", names(decision.exempt().collect()));
    if decision.deadlines.is_empty() {
        let _ = writeln!(out, "  deadlines:  none");
    } else {
        let _ = writeln!(out, "  deadlines:");
        for (name, at) in decision.deadlines() {
            let _ = write!(out, "    {name:<18} {at}");
            let warnings: Vec<String> = decision.warnings(name).map(|w| w.to_string()).collect();
            if !warnings.is_empty() {
                let _ = write!(out, "   (warn at {})", warnings.join(", "));
            }
            out.push('\n');
        }
    }
    if decision.values().next().is_some() {
        let _ = writeln!(out, "  values:");
        for (name, value) in decision.values() {
            let _ = writeln!(out, "    {name:<18} {value}");
        }
    }
    let _ = writeln!(out, "\nwhy:");
    if decision.trace.fired.is_empty() {
        let _ = writeln!(out, "  no rule fired; the grade is the policy's default");
    }
    for (i, entry) in decision.trace().enumerate() {
        entry_words(&mut out, decision, &entry, i + 1);
    }
    if !decision.problems().is_empty() {
        let _ = writeln!(out, "\nnot decided (outside what the policy's calendars know, or too large to compute):");
        for problem in decision.problems() {
            let _ = writeln!(out, "  - {problem}");
        }
    }
    out
}

fn entry_words(out: &mut String, d: &Decision<'_>, entry: &TraceEntry<'_, '_>, number: usize) {
    let model = &d.program.model;
    let clauses = if entry.clauses().is_empty() {
        String::new()
    } else {
        let list: Vec<&str> = entry.clauses().iter().map(|c| &**c).collect();
        format!(" [{}]", list.join(", "))
    };
    let label = entry.label().map(|l| format!(" \"{l}\"")).unwrap_or_default();
    let _ = writeln!(out, "  {number}. {}{clauses}{label}", entry.name());
    let facts: Vec<(u32, Fact)> = d.trace.facts.iter().filter(|(e, _)| *e == entry.index()).cloned().collect();
    let mut because = facts_words(d, &facts);
    if because.is_empty() && d.trace_level() == crate::eval::trace::TraceLevel::Full {
        because = "always".into();
    }
    match (entry.reason(), because.is_empty()) {
        (Some(reason), false) => _ = writeln!(out, "     because {reason}: {because}"),
        (Some(reason), true) => _ = writeln!(out, "     because {reason}"),
        (None, false) => _ = writeln!(out, "     because {because}"),
        (None, true) => {}
    }
    for applied in entry.applied() {
        let _ = writeln!(out, "     → {}", effect_words(d, entry.index(), applied));
    }
    for (_, r) in d.trace.reckonings.iter().filter(|(e, _)| *e == entry.index()) {
        let name = model.deadline_name(r.deadline);
        let _ = writeln!(out, "       {name} = {}: {}", d.program.instant(r.at), reckoning_words(d, r));
    }
}

fn effect_words(d: &Decision<'_>, entry: u32, applied: Applied) -> String {
    let model = &d.program.model;
    match applied {
        Applied::Grade(g) => format!("grade {}", model.grade(g).name),
        Applied::Route(r) => format!("route {}", model.role(r).name),
        Applied::Action(a) => format!("action {}", model.action(a).name),
        Applied::Deadline(x) => format!("deadline {}", model.deadline_name(x)),
        Applied::DeadlineUnset { deadline, problem: false } => {
            format!("deadline {} not set: a time it needs is missing", model.deadline_name(deadline))
        }
        Applied::DeadlineUnset { deadline, problem: true } => {
            format!("deadline {} not set: it cannot be reckoned (see below)", model.deadline_name(deadline))
        }
        Applied::Value(v) => {
            let name = model.value_name(v);
            let set = d.trace.values.iter().find(|(e, id, ..)| *e == entry && *id == v);
            match set.and_then(|(_, _, value, ty)| d.computed(value, *ty)) {
                Some(value) => format!("value {name} = {value}"),
                None => format!("value {name}"),
            }
        }
        Applied::ValueUnset { value, problem: false } => format!(
            "value {} not reported: undefined (a value it needs is missing, or a denominator is 0)",
            model.value_name(value)
        ),
        Applied::ValueUnset { value, problem: true } => {
            format!("value {} not reported: it cannot be computed (see below)", model.value_name(value))
        }
        Applied::Exempt(a) => format!("exempt {}", model.action(a).name),
        Applied::Dropped { owned, action, exempted } => {
            let (what, name) = match owned {
                Owned::Deadline(x) => ("deadline", model.deadline_name(x)),
                Owned::Value(v) => ("value", model.value_name(v)),
            };
            let why = if exempted { "is exempted" } else { "is not triggered" };
            format!("{what} {name} dropped: its action {} {why}", model.action(action).name)
        }
    }
}

/// Facts as one line: `ticket_opened = true (service_quality = true (…), soothed = false)`.
fn facts_words(d: &Decision<'_>, facts: &[(u32, Fact)]) -> String {
    let model = &d.program.model;
    let mut parts = Vec::new();
    let mut i = 0;
    for fact in siblings(facts) {
        let nested = &facts[i + 1..i + 1 + fact.nested as usize];
        i += 1 + fact.nested as usize;
        let text = match &fact.subject {
            FactSubject::Field(f) => {
                let field = model.field(*f);
                format!("{} = {}", field.path, show(d, &fact.value, field.ty))
            }
            FactSubject::Let(l) => {
                let def = model.let_def(*l);
                let behind = crate::limits::grow(|| facts_words(d, nested));
                let value = show(d, &fact.value, def.ty);
                if behind.is_empty() {
                    format!("{} = {value}", def.name)
                } else {
                    format!("{} = {value} ({behind})", def.name)
                }
            }
            FactSubject::Grade => format!("grade = {}", show(d, &fact.value, Type::Grade)),
            FactSubject::Deadline(id) => {
                format!("deadline {} = {}", model.deadline_name(*id), show(d, &fact.value, Type::Time))
            }
            FactSubject::Mention { subject, phrase } => {
                let of = match subject {
                    Some(Subject::Field(f)) => model.field(*f).path.to_string(),
                    Some(Subject::Let(l)) => model.let_def(*l).name.to_string(),
                    None => "the text".into(),
                };
                format!("{of} mentions {phrase:?}")
            }
        };
        parts.push(text);
    }
    parts.join(", ")
}

/// A value in words, naming enum values by their type.
fn show(d: &Decision<'_>, v: &Value, ty: Type) -> String {
    let model = &d.program.model;
    match (v, ty) {
        (Value::Null, _) => "missing".into(),
        // Exact values can have 28 digits; people read six places at most.
        (Value::Decimal(x), _) if x.scale() > 6 => format!("{}…", x.round_dp(6)),
        (Value::Text(t), _) => format!("{t:?}"),
        (Value::Duration(x), _) => clock_words(x.amount),
        (Value::EnumSet(bits), Type::EnumSet(e)) => {
            let names: Vec<&str> = model
                .enum_def(e)
                .values
                .iter()
                .enumerate()
                .filter(|(i, _)| bits.checked_shr(crate::convert::to_u32(*i)).is_some_and(|b| b & 1 == 1))
                .map(|(_, v)| &*v.name)
                .collect();
            format!("{{{}}}", names.join(", "))
        }
        (Value::TextSet(texts), _) => format!("{texts:?}"),
        (v, ty) => d.computed(v, ty).map_or_else(|| format!("{v:?}"), |c| c.to_string()),
    }
}

fn reckoning_words(d: &Decision<'_>, r: &Reckoning) -> String {
    let program = d.program;
    let model = &program.model;
    let calendar_name = |c: CalendarId| model.calendar(c).name.clone();
    match (r.how, r.from) {
        (How::Clock { seconds }, Some(_)) => format!("{} of clock time", clock_words(seconds)),
        (How::Days { days, zone }, Some(_)) => format!("{days} calendar days, to midnight in {zone}"),
        (How::WorkingTime { calendar, seconds }, Some(from)) => {
            let counted = program
                .calendar(calendar)
                .map_or(String::new(), |cal| periods_words(cal.periods_between(from, r.at).collect(), program));
            format!("{} of working time on calendar `{}`: {counted}", clock_words(seconds), calendar_name(calendar))
        }
        (How::WorkingDays { calendar, days }, Some(from)) => {
            let n = if days == 1 { "1 working day".to_string() } else { format!("{days} working days") };
            let counted = program.calendar(calendar).map_or(String::new(), |cal| {
                let days: Vec<(chrono::NaiveDate, &DayKind)> =
                    cal.days_between(from, r.at).filter(|(_, _, working)| *working).map(|(d, k, _)| (d, k)).collect();
                days_words(&days)
            });
            format!("{n} on calendar `{}`: counted {counted}; due at close of business", calendar_name(calendar))
        }
        (How::SameDay { calendar }, Some(from)) => {
            let day = match program.calendar(calendar).and_then(|cal| cal.same_day_date(from).ok()) {
                Some((date, true)) => format!("close of business on {date}"),
                Some((date, false)) => format!("close of business on the next working day, {date}"),
                None => "close of business".into(),
            };
            format!("same day on calendar `{}`: {day}", calendar_name(calendar))
        }
        (How::Window { calendar, window, end }, _) => {
            let spec = model.calendar(calendar);
            let w = spec.windows.get(window.index()).map_or("", |(n, _)| &**n);
            if end {
                format!("end of the day's last `{w}` window of calendar `{}`", spec.name)
            } else {
                format!("first moment inside window `{w}` of calendar `{}`", spec.name)
            }
        }
        _ => "computed".into(),
    }
}

/// The first few days counted, then how many more, so describing a deadline a year away
/// reads like one a day away.
fn days_words(days: &[(chrono::NaiveDate, &DayKind)]) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    for (n, (date, kind)) in days.iter().enumerate() {
        if n == SHOWN {
            let _ = write!(out, " and {} more", days.len() - SHOWN);
            break;
        }
        if n > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{date}");
        if let DayKind::Makeup(label) | DayKind::Special(label) = kind {
            let _ = write!(out, " ({label})");
        }
    }
    out
}

/// The first few working periods counted, then how many more.
fn periods_words(
    periods: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    program: &Program,
) -> String {
    const SHOWN: usize = 6;
    if periods.is_empty() {
        return "counted no working time".into();
    }
    let mut out = String::from("counted ");
    for (n, (s, e)) in periods.iter().take(SHOWN).enumerate() {
        let (s, e) = (program.instant(*s).local(), program.instant(*e).local());
        if n > 0 {
            out.push_str(", ");
        }
        use chrono::Timelike;
        let _ = write!(out, "{} {:02}:{:02}-{:02}:{:02}", s.date_naive(), s.hour(), s.minute(), e.hour(), e.minute());
    }
    if periods.len() > SHOWN {
        let _ = write!(out, " and {} more periods", periods.len() - SHOWN);
    }
    out
}
