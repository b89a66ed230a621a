//! The words explanations are made of, shared by `explain` and `why`: names with the labels
//! the policy gives them, instants with weekday and local time, a deadline's length as its
//! rule wrote it, facts as a tree, what a rule did and how each deadline was reckoned.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Timelike, Utc};

use crate::calendar::{clock_words, DayKind, WorkingCalendar};
use crate::compile::expr::Subject;
use crate::compile::Program;
use crate::decision::{Decision, Instant};
use crate::eval::error::Owner;
use crate::eval::trace::{siblings, Applied, Fact, FactSubject, How, Owned, Reckoning, TraceLevel};
use crate::model::*;
use crate::value::Value;

/// A name as people read it: the label the policy gives it with the identifier beside it
/// (`综援室 (complaint_support)`), or the identifier alone when it has no label.
pub(crate) fn labelled(name: &str, label: Option<&str>) -> String {
    match label {
        Some(label) if !label.is_empty() && label != name => format!("{label} ({name})"),
        _ => name.to_string(),
    }
}

/// A declared grade, role, action or enum value, as people read it.
pub(super) fn declared(d: &Declared) -> String {
    labelled(&d.name, d.label.as_deref())
}

/// A calendar, as people read it.
fn calendar_words(model: &Model, id: CalendarId) -> String {
    let spec = model.calendar(id);
    format!("calendar {}", labelled(&spec.name, spec.label.as_deref()))
}

/// A rule or exemption with its label and the clauses it cites:
/// `客户不接受解释：落投诉工单交综援室 (complaint_ticket) [DG-3]`.
pub(super) fn owner_heading(model: &Model, owner: Owner) -> String {
    let (name, label, clauses) = match owner {
        Owner::Rule(r) => {
            let rule = model.rule(r);
            (&*rule.name, rule.label.as_deref(), &rule.clauses)
        }
        Owner::Exemption(e) => {
            let exemption = model.exemption(e);
            (&*exemption.name, exemption.label.as_deref(), &exemption.clauses)
        }
    };
    let mut heading = labelled(name, label);
    if !clauses.is_empty() {
        let list: Vec<&str> = clauses.iter().map(|c| &**c).collect();
        let _ = write!(heading, " [{}]", list.join(", "));
    }
    heading
}

/// An instant as people read a date: weekday, local date and time in the policy's zone,
/// and the zone's offset then: `Thu 2024-05-16 18:00 (+08:00)`. Seconds only when there are
/// some.
pub fn instant_words(at: Instant) -> String {
    let local = at.local();
    let clock = if local.second() == 0 { "%a %Y-%m-%d %H:%M" } else { "%a %Y-%m-%d %H:%M:%S" };
    format!("{} ({})", local.format(clock), local.format("%:z"))
}

/// A date with its weekday: `Sat 2024-05-11`.
fn date_words(date: NaiveDate) -> String {
    date.format("%a %Y-%m-%d").to_string()
}

/// A duration as the language writes it: `2 h`, `3 calendar days`, `5 working days`.
pub(super) fn duration_words(spec: &DurationSpec) -> String {
    let count = |n: i64, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let n = spec.amount;
    match spec.unit {
        Unit::Clock => clock_words(n),
        Unit::Days => count(n, "calendar day", "calendar days"),
        Unit::WorkingDays => count(n, "working day", "working days"),
        Unit::WorkingTime => match (n % 3600, n % 60) {
            (0, _) => count(n / 3600, "working hour", "working hours"),
            (_, 0) => count(n / 60, "working minute", "working minutes"),
            _ => count(n, "working second", "working seconds"),
        },
    }
}

/// How long a deadline is, as its expression says: `5 working days`, `same day`,
/// `window calls`; `None` when it is computed otherwise (`min(…)`, `t - 2 h`).
fn length_of(model: &Model, expr: &Expr) -> Option<String> {
    let window = |calendar: CalendarId, window: WindowId| {
        model.calendar(calendar).windows.get(window.index()).map_or("?", |(name, _)| &**name).to_string()
    };
    match &expr.kind {
        ExprKind::Shift { by, back: false, .. } => match &by.kind {
            ExprKind::Const(Value::Duration(spec)) => Some(duration_words(spec)),
            _ => None,
        },
        ExprKind::SameDay { .. } => Some("same day".into()),
        ExprKind::WindowFrom { calendar, window: w, .. } => Some(format!("window {}", window(*calendar, *w))),
        ExprKind::WindowEnd { calendar, window: w, .. } => Some(format!("end of window {}", window(*calendar, *w))),
        _ => None,
    }
}

/// The statements of a rule that set a deadline.
pub(super) fn deadline_defs(rule: &RuleDef, deadline: DeadlineId) -> impl Iterator<Item = (&DeadlineDef, &Effect)> {
    rule.effects.iter().filter_map(move |e| match &e.kind {
        EffectKind::Deadline(def) if def.name == deadline => Some((def, e)),
        _ => None,
    })
}

/// The one length all of them say, if they agree.
fn agreed(mut lengths: impl Iterator<Item = Option<String>>) -> Option<String> {
    let first = lengths.next()??;
    lengths.all(|l| l.as_deref() == Some(&*first)).then_some(first)
}

/// How long a deadline of the decision is, as the rule that set it last wrote it; without a
/// trace, as every rule that sets it writes it, when they agree.
pub(super) fn deadline_length(d: &Decision<'_>, deadline: DeadlineId) -> Option<String> {
    let model = &d.program.model;
    let lengths =
        |rule: &RuleDef| deadline_defs(rule, deadline).map(|(def, _)| length_of(model, &def.expr)).collect::<Vec<_>>();
    if d.trace_level() == TraceLevel::None {
        return agreed(model.rules.iter().flat_map(lengths));
    }
    let (entry, _) = d.trace.effects.iter().rev().find(|(_, a)| *a == Applied::Deadline(deadline))?;
    match d.trace.fired.get(*entry as usize)? {
        Owner::Rule(r) => agreed(lengths(model.rule(*r)).into_iter()),
        Owner::Exemption(_) => None,
    }
}

/// What one rule or exemption did and why, below its heading: the facts its condition read
/// (with the full trace), then the effects `keep` selects, each deadline with its instant
/// and how it was reckoned.
pub(super) fn entry_body(
    out: &mut String,
    d: &Decision<'_>,
    entry: u32,
    indent: usize,
    keep: impl Fn(Applied) -> bool,
) {
    let model = &d.program.model;
    let reason = match d.trace.fired.get(entry as usize) {
        Some(Owner::Exemption(e)) => Some(&*model.exemption(*e).because),
        _ => None,
    };
    // An entry's facts were recorded together, in one run.
    let start = d.trace.facts.iter().position(|(e, _)| *e == entry).unwrap_or(d.trace.facts.len());
    let facts = d.trace.facts.get(start..).unwrap_or_default();
    let facts = facts.get(..facts.iter().take_while(|(e, _)| *e == entry).count()).unwrap_or_default();
    let pad = "";
    let full = d.trace_level() == TraceLevel::Full;
    match (reason, facts.is_empty()) {
        (Some(reason), false) => _ = writeln!(out, "{pad:indent$}because {reason}:"),
        (None, false) => _ = writeln!(out, "{pad:indent$}because:"),
        (Some(reason), true) => _ = writeln!(out, "{pad:indent$}because {reason}"),
        (None, true) if full => _ = writeln!(out, "{pad:indent$}because always"),
        (None, true) => {}
    }
    facts_tree(out, d, facts, indent + 2);
    let mut reckoned: Vec<DeadlineId> = Vec::new();
    for applied in d.trace.effects.iter().filter(|(e, _)| *e == entry).map(|(_, a)| *a) {
        // The nth deadline statement of an entry was the nth reckoning of that deadline.
        let reckoning = match applied {
            Applied::Deadline(x) => {
                let nth = reckoned.iter().filter(|r| **r == x).count();
                reckoned.push(x);
                d.trace.reckonings.iter().filter(|(e, r)| *e == entry && r.deadline == x).nth(nth)
            }
            _ => None,
        };
        if !keep(applied) {
            continue;
        }
        let _ = write!(out, "{pad:indent$}→ {}", effect_words(d, entry, applied));
        match reckoning {
            Some((_, r)) => {
                let _ = writeln!(out, " = {}", instant_words(d.program.instant(r.at)));
                for line in reckoning_lines(d, r) {
                    let _ = writeln!(out, "{pad:indent$}    {line}");
                }
            }
            None => out.push('\n'),
        }
    }
}

/// One effect in words: `route 综援室 (complaint_support)`.
pub(super) fn effect_words(d: &Decision<'_>, entry: u32, applied: Applied) -> String {
    let model = &d.program.model;
    match applied {
        Applied::Grade(g) => format!("grade {}", declared(model.grade(g))),
        Applied::Route(r) => format!("route {}", declared(model.role(r))),
        Applied::Action(a) => format!("action {}", declared(model.action(a))),
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
            match set {
                Some((_, _, value, ty)) => format!("value {name} = {}", show(d, value, *ty)),
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
        Applied::Exempt(a) => format!("exempt {}", declared(model.action(a))),
        Applied::Dropped { owned, action, exempted } => {
            let (what, name) = match owned {
                Owned::Deadline(x) => ("deadline", model.deadline_name(x)),
                Owned::Value(v) => ("value", model.value_name(v)),
            };
            let why = if exempted { "is exempted" } else { "is not triggered" };
            format!("{what} {name} dropped: its action {} {why}", declared(model.action(action)))
        }
    }
}

/// Facts as a tree, one a line, what a `let` read indented under it by two spaces:
///
/// ```text
/// ticket_opened = true
///   service_quality = true
///   soothed = false
/// ```
pub(crate) fn facts_tree(out: &mut String, d: &Decision<'_>, facts: &[(u32, Fact)], indent: usize) {
    let mut i = 0;
    for fact in siblings(facts) {
        let nested = facts.get(i + 1..i + 1 + fact.nested as usize).unwrap_or_default();
        i += 1 + fact.nested as usize;
        let _ = writeln!(out, "{:indent$}{}", "", fact_words(d, fact));
        if !nested.is_empty() {
            // `let`s nest only as deep as the checker allows; grow the stack for deep ones.
            crate::limits::grow(|| facts_tree(out, d, nested, indent + 2));
        }
    }
}

/// One fact, in the words of the condition that read it: `customer.tier = gotone`.
fn fact_words(d: &Decision<'_>, fact: &Fact) -> String {
    let model = &d.program.model;
    match &fact.subject {
        FactSubject::Field(f) => {
            let field = model.field(*f);
            format!("{} = {}", field.path, show(d, &fact.value, field.ty))
        }
        FactSubject::Let(l) => {
            let def = model.let_def(*l);
            format!("{} = {}", def.name, show(d, &fact.value, def.ty))
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
    }
}

/// A value in words, naming enum values by their type and instants by weekday and local
/// time.
pub(super) fn show(d: &Decision<'_>, v: &Value, ty: Type) -> String {
    let model = &d.program.model;
    match (v, ty) {
        (Value::Null, _) => "missing".into(),
        // Exact values can have 28 digits; people read six places at most.
        (Value::Decimal(x), _) if x.scale() > 6 => format!("{}…", x.round_dp(6)),
        (Value::Text(t), _) => format!("{t:?}"),
        (Value::Time(t), _) => instant_words(d.program.instant(*t)),
        (Value::Duration(x), _) => duration_words(x),
        (Value::EnumSet(bits), Type::EnumSet(e)) => format!("{{{}}}", model.enum_def(e).members(*bits).join(", ")),
        (Value::TextSet(texts), _) => format!("{texts:?}"),
        (v, ty) => d.computed(v, ty).map_or_else(|| format!("{v:?}"), |c| c.to_string()),
    }
}

/// How a deadline was reckoned, a line each: the arithmetic and where it started, then for
/// working time the periods or days counted and the holidays passed over.
pub(super) fn reckoning_lines(d: &Decision<'_>, r: &Reckoning) -> Vec<String> {
    let program = d.program;
    let model = &program.model;
    let since = r.from.map(|t| format!(" from {}", instant_words(program.instant(t)))).unwrap_or_default();
    let mut lines = Vec::new();
    match (r.how, r.from) {
        (How::Clock { seconds }, Some(_)) => lines.push(format!("{} of clock time{since}", clock_words(seconds))),
        (How::Days { days, zone }, Some(_)) => {
            let n = if days == 1 { "1 calendar day".to_string() } else { format!("{days} calendar days") };
            lines.push(format!("{n}{since}, to midnight in {zone}"));
        }
        (How::WorkingTime { calendar, seconds }, Some(from)) => {
            let on = calendar_words(model, calendar);
            lines.push(format!("{} of working time on {on}{since}", clock_words(seconds)));
            if let Some(cal) = program.calendar(calendar) {
                lines.push(periods_words(cal.periods_between(from, r.at).collect(), program));
                lines.extend(passed_over(cal, from, r.at));
            }
        }
        (How::WorkingDays { calendar, days }, Some(from)) => {
            let n = if days == 1 { "1 working day".to_string() } else { format!("{days} working days") };
            let on = calendar_words(model, calendar);
            lines.push(format!("{n} on {on}{since}, due at close of business"));
            if let Some(cal) = program.calendar(calendar) {
                let days: Vec<(NaiveDate, &DayKind)> =
                    cal.days_between(from, r.at).filter(|(_, _, working)| *working).map(|(d, k, _)| (d, k)).collect();
                lines.push(format!("counted {}", days_words(&days)));
                lines.extend(passed_over(cal, from, r.at));
            }
        }
        (How::SameDay { calendar }, Some(from)) => {
            let cal = program.calendar(calendar);
            let day = match cal.and_then(|cal| cal.same_day_date(from).ok()) {
                Some((date, true)) => format!("close of business on {}", date_words(date)),
                Some((date, false)) => format!("close of business on the next working day, {}", date_words(date)),
                None => "close of business".into(),
            };
            lines.push(format!("same day on {}{since}: {day}", calendar_words(model, calendar)));
            lines.extend(cal.and_then(|cal| passed_over(cal, from, r.at)));
        }
        (How::Window { calendar, window, end }, _) => {
            let spec = model.calendar(calendar);
            let w = spec.windows.get(window.index()).map_or("", |(n, _)| &**n);
            let on = calendar_words(model, calendar);
            lines.push(if end {
                format!("end of the day's last `{w}` window of {on}{since}")
            } else {
                format!("first moment inside window `{w}` of {on}{since}")
            });
        }
        _ => lines.push(format!("computed{since}")),
    }
    lines
}

/// The first few days counted, then how many more, so describing a deadline a year away
/// reads like one a day away.
fn days_words(days: &[(NaiveDate, &DayKind)]) -> String {
    const SHOWN: usize = 10;
    if days.is_empty() {
        return "no working day".into();
    }
    let mut out = String::new();
    for (n, (date, kind)) in days.iter().enumerate() {
        if n == SHOWN {
            let _ = write!(out, " and {} more", days.len() - SHOWN);
            break;
        }
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(&date_words(*date));
        if let DayKind::Makeup(label) | DayKind::Special(label) = kind {
            let _ = write!(out, " ({label})");
        }
    }
    out
}

/// The holidays and days off a count of working time passed over, in runs of one name:
/// `passed over Wed 2024-05-01 to Sun 2024-05-05 (劳动节)`. Weekends go unsaid.
fn passed_over(cal: &WorkingCalendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<String> {
    const SHOWN: usize = 6;
    let mut runs: Vec<(NaiveDate, NaiveDate, &str)> = Vec::new();
    for (date, kind, working) in cal.days_between(from, to) {
        let (DayKind::Holiday(label) | DayKind::Off(label)) = kind else { continue };
        if working {
            continue;
        }
        match runs.last_mut() {
            Some((_, end, name)) if *name == &**label && end.succ_opt() == Some(date) => *end = date,
            _ => runs.push((date, date, label)),
        }
    }
    if runs.is_empty() {
        return None;
    }
    let mut out = String::from("passed over ");
    for (n, (first, last, label)) in runs.iter().take(SHOWN).enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(&date_words(*first));
        if last != first {
            let _ = write!(out, " to {}", date_words(*last));
        }
        let _ = write!(out, " ({label})");
    }
    if runs.len() > SHOWN {
        let _ = write!(out, " and {} more", runs.len() - SHOWN);
    }
    Some(out)
}

/// The first few working periods counted, then how many more.
fn periods_words(periods: Vec<(DateTime<Utc>, DateTime<Utc>)>, program: &Program) -> String {
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
        let _ = write!(
            out,
            "{} {:02}:{:02}-{:02}:{:02}",
            date_words(s.date_naive()),
            s.hour(),
            s.minute(),
            e.hour(),
            e.minute()
        );
    }
    if periods.len() > SHOWN {
        let _ = write!(out, " and {} more periods", periods.len() - SHOWN);
    }
    out
}
