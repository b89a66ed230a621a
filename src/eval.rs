//! Stage 4, evaluate: a [`Program`] and one ticket's slots → a [`Decision`].
//!
//! The grade is decided first, from the rules that set one (their conditions cannot read
//! the grade, the checker sees to that); then every rule runs in file order; then the
//! exemptions remove the actions they cover.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::calendar::{add_days, local_instant, OutsideCalendar};
use crate::compile::Program;
use crate::decision::{DeadlineNote, Decision, Instant, NamedMap, TraceEntry};
use crate::model::*;
use crate::phrase::{self, Phrase};
use crate::syntax::ast::CompareOp;
use crate::value::Value;

/// Why a valid ticket could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ticket}: {context}: {source}")]
pub struct CalendarError {
    /// The ticket's id.
    pub ticket: String,
    /// What was being computed: `deadline `resolve` in rule `grade-iii``.
    pub context: String,
    /// The calendar's complaint.
    pub source: OutsideCalendar,
}

type Eval<T> = Result<T, OutsideCalendar>;

/// A deadline's instant, and the instant it was reckoned from, if any.
type Due = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Evaluate one ticket.
pub fn evaluate(program: &Program, slots: &[Value]) -> Result<Decision, CalendarError> {
    let model = &program.model;
    let ticket: Arc<str> = match model.id_slot.map(|s| &slots[s]) {
        Some(Value::Text(t)) => t.clone(),
        _ => "".into(),
    };
    let mut env = Env {
        program,
        slots,
        lets: vec![None; model.lets.len()],
        grade: None,
        routes: Vec::new(),
        actions: Vec::new(),
        owned: Vec::new(),
        entry_index: 0,
    };
    let fail = |context: String, source: OutsideCalendar| CalendarError { ticket: ticket.to_string(), context, source };
    let mut trace = Vec::new();
    // Which trace entry each rule made, so effects of grade rules join their entry.
    let mut entry_of: Vec<Option<usize>> = vec![None; model.rules.len()];

    let mut grade: Option<u16> = None;
    for (i, rule) in model.rules.iter().enumerate() {
        let Some(g) = rule.grade else { continue };
        let fired = env.fires(rule.condition.as_ref()).map_err(|e| fail(format!("rule `{}`", rule.name), e))?;
        if fired {
            grade = Some(grade.map_or(g, |current| current.min(g)));
            entry_of[i] = Some(trace.len());
            trace.push(env.entry(&rule.name, &rule.clause, rule.condition.as_ref()));
            trace.last_mut().expect("just pushed").effects.push(format!("grade {}", model.grades[g as usize].name));
        }
    }
    env.grade = grade.or(model.default_grade);

    let mut decision = Decision {
        ticket: ticket.clone(),
        policy: model.name.clone(),
        grade: env.grade.map(|g| model.grades[g as usize].name.clone()),
        route: Vec::new(),
        exempt: Vec::new(),
        actions: Vec::new(),
        deadlines: NamedMap::default(),
        warnings: NamedMap::default(),
        values: NamedMap::default(),
        trace: Vec::new(),
    };

    for (i, rule) in model.rules.iter().enumerate() {
        let index = match entry_of[i] {
            Some(index) => index,
            None if rule.grade.is_some() => continue,
            None => {
                let fired = env.fires(rule.condition.as_ref()).map_err(|e| fail(format!("rule `{}`", rule.name), e))?;
                if !fired {
                    continue;
                }
                trace.push(env.entry(&rule.name, &rule.clause, rule.condition.as_ref()));
                trace.len() - 1
            }
        };
        env.entry_index = index;
        for effect in &rule.effects {
            env.apply(effect, &mut decision, &mut trace[index])
                .map_err(|e| fail(format!("{} in rule `{}`", effect_name(model, effect), rule.name), e))?;
        }
    }

    // Every exemption that holds is named, even when an earlier one already removed the
    // same action: the decision says all the reasons the obligation is waived.
    let triggered = env.actions.clone();
    for exemption in &model.exemptions {
        let fired =
            env.fires(Some(&exemption.condition)).map_err(|e| fail(format!("exemption `{}`", exemption.name), e))?;
        if !fired {
            continue;
        }
        let removed: Vec<u16> = exemption.actions.iter().copied().filter(|a| triggered.contains(a)).collect();
        if removed.is_empty() {
            continue;
        }
        env.actions.retain(|a| !removed.contains(a));
        decision.exempt.push(exemption.name.clone());
        let mut entry = env.entry(&exemption.name, &exemption.clause, Some(&exemption.condition));
        entry.because = format!("{}: {}", exemption.because, entry.because);
        entry.effects = removed.iter().map(|&a| format!("exempt {}", model.actions[a as usize].name)).collect();
        trace.push(entry);
    }
    // A deadline or value set for an action stands only while the action does.
    for owned in std::mem::take(&mut env.owned) {
        if env.actions.contains(&owned.owner) {
            continue;
        }
        let action = &model.actions[owned.owner as usize].name;
        let what = if owned.deadline { "deadline" } else { "value" };
        if owned.deadline {
            decision.deadlines.remove(&owned.name);
            decision.warnings.remove(&owned.name);
            trace[owned.entry].deadlines.retain(|note| note.name != owned.name);
        } else {
            decision.values.remove(&owned.name);
        }
        let why = if triggered.contains(&owned.owner) { "is exempted" } else { "is not triggered" };
        trace[owned.entry].effects.push(format!("{what} {} dropped: its action {action} {why}", owned.name));
    }
    decision.route = env.routes.iter().map(|&r| model.roles[r as usize].name.clone()).collect();
    decision.actions = env.actions.iter().map(|&a| model.actions[a as usize].name.clone()).collect();
    decision.trace = trace;
    Ok(decision)
}

fn effect_name(model: &Model, effect: &Effect) -> String {
    match effect {
        Effect::Deadline(d, _) => format!("deadline `{}`", model.deadlines[d.name as usize]),
        Effect::Value(v, _) => format!("value `{}`", model.values[v.name as usize]),
        Effect::Route(..) => "route".into(),
        Effect::Action(..) => "action".into(),
    }
}

/// A deadline or value that belongs to an action, and the trace entry that set it.
struct Owned {
    deadline: bool,
    name: Arc<str>,
    owner: u16,
    entry: usize,
}

struct Env<'a> {
    program: &'a Program,
    slots: &'a [Value],
    /// `let`s are computed when first read.
    lets: Vec<Option<Value>>,
    grade: Option<u16>,
    /// Roles routed to and actions triggered so far, by index, in order.
    routes: Vec<u16>,
    actions: Vec<u16>,
    /// Deadlines and values set for an action, checked once exemptions are done.
    owned: Vec<Owned>,
    /// The trace entry effects are being applied for.
    entry_index: usize,
}

impl Env<'_> {
    fn model(&self) -> &Model {
        &self.program.model
    }

    fn fires(&mut self, condition: Option<&Expr>) -> Eval<bool> {
        match condition {
            None => Ok(true),
            Some(c) => Ok(self.eval(c)?.is_true()),
        }
    }

    fn entry(&mut self, rule: &Arc<str>, clause: &Option<Arc<str>>, condition: Option<&Expr>) -> TraceEntry {
        let because = match condition {
            None => "always".to_string(),
            Some(c) => {
                let mut facts = Vec::new();
                self.facts(c, &mut facts);
                facts.join(", ")
            }
        };
        TraceEntry { rule: rule.clone(), clause: clause.clone(), because, effects: Vec::new(), deadlines: Vec::new() }
    }

    fn apply(&mut self, effect: &Effect, decision: &mut Decision, entry: &mut TraceEntry) -> Eval<()> {
        let model = &self.program.model;
        let guard = match effect {
            Effect::Route(_, g) | Effect::Action(_, g) | Effect::Deadline(_, g) | Effect::Value(_, g) => g.as_ref(),
        };
        if !self.fires(guard)? {
            return Ok(());
        }
        match effect {
            Effect::Route(roles, _) => {
                for &r in roles {
                    if !self.routes.contains(&r) {
                        self.routes.push(r);
                        entry.effects.push(format!("route {}", model.roles[r as usize].name));
                    }
                }
            }
            Effect::Action(actions, _) => {
                for &a in actions {
                    if !self.actions.contains(&a) {
                        self.actions.push(a);
                        entry.effects.push(format!("action {}", model.actions[a as usize].name));
                    }
                }
            }
            Effect::Deadline(def, _) => {
                let name = &model.deadlines[def.name as usize];
                let Some((at, from)) = self.deadline(&def.expr)? else {
                    entry.effects.push(format!("deadline {name} not set: a time it needs is missing"));
                    return Ok(());
                };
                let mut warnings = Vec::new();
                for w in &def.warnings {
                    warnings.push(Instant::new(self.warning(w, &def.expr, from, at)?, model.zone));
                }
                let how = self.reckoning(&def.expr, from, at)?;
                decision.deadlines.set(name, Instant::new(at, model.zone));
                if let Some(owner) = def.owner {
                    self.owned.push(Owned { deadline: true, name: name.clone(), owner, entry: self.entry_index });
                }
                if !warnings.is_empty() {
                    decision.warnings.set(name, warnings);
                }
                entry.effects.push(format!("deadline {name}"));
                entry.deadlines.push(DeadlineNote { name: name.clone(), at: Instant::new(at, model.zone), how });
            }
            Effect::Value(def, _) => {
                let value = self.eval(&def.expr)?;
                let name = &model.values[def.name as usize];
                match self.to_json(&value, &def.expr) {
                    Some(json) => {
                        entry.effects.push(format!("value {name} = {}", self.show(&value, &def.expr)));
                        decision.values.set(name, json);
                        if let Some(owner) = def.owner {
                            self.owned.push(Owned {
                                deadline: false,
                                name: name.clone(),
                                owner,
                                entry: self.entry_index,
                            });
                        }
                    }
                    None => entry.effects.push(format!(
                        "value {name} not reported: undefined (a value it needs is missing, or a denominator is 0)"
                    )),
                }
            }
        }
        Ok(())
    }

    /// A deadline's instant, and the instant it was reckoned from when it is written as a
    /// time computed from another (`t + d`, `same day as t`, windows).
    fn deadline(&mut self, expr: &Expr) -> Eval<Option<Due>> {
        let (value, from) = match anchor(expr) {
            Some(a) => match self.eval(a)? {
                Value::Time(t) => (self.time_form(expr, t)?, Some(t)),
                _ => return Ok(None),
            },
            None => (self.eval(expr)?, None),
        };
        Ok(match value {
            Value::Time(at) => Some((at, from)),
            _ => None,
        })
    }

    /// The value of a time form (see [`anchor`]) given its anchor's value.
    fn time_form(&mut self, expr: &Expr, t: DateTime<Utc>) -> Eval<Value> {
        let calendars = &self.program.calendars;
        Ok(match &expr.kind {
            ExprKind::Shift(_, d, negative) => match self.eval(d)? {
                Value::Duration(spec) => Value::Time(self.shift(t, &spec, *negative)?),
                _ => Value::Null,
            },
            ExprKind::SameDay(_, c) => Value::Time(calendars[*c as usize].same_day(t)?),
            ExprKind::WindowFrom(_, c, w) => Value::Time(calendars[*c as usize].window_from(t, *w as usize)),
            ExprKind::WindowEnd(_, c, w) => Value::Time(calendars[*c as usize].window_end(t, *w as usize)),
            _ => unreachable!("only time forms have an anchor"),
        })
    }

    /// How a deadline was reckoned, in words, for its trace note: which calendar, which
    /// working periods or days.
    fn reckoning(&mut self, expr: &Expr, from: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Eval<String> {
        let model = &self.program.model;
        let calendars = &self.program.calendars;
        let Some(t) = from else { return Ok("computed".into()) };
        Ok(match &expr.kind {
            ExprKind::Shift(_, d, false) => match self.eval(d)? {
                Value::Duration(spec) => match (spec.unit, spec.calendar) {
                    (Unit::Clock, _) => format!("{} of clock time", clock_text(spec.amount)),
                    (Unit::Days, c) => {
                        let zone = c.map_or(model.zone, |c| calendars[c as usize].zone());
                        format!("{} calendar days, to midnight in {zone}", spec.amount)
                    }
                    (Unit::WorkingTime, Some(c)) => {
                        let cal = &calendars[c as usize];
                        let counted = cal.explain_working_time(t, at);
                        format!("{} of working time on calendar `{}`: {counted}", clock_text(spec.amount), cal.name())
                    }
                    (_, c) => {
                        let cal = &calendars[c.expect("working units have a calendar") as usize];
                        let days = if spec.amount == 1 {
                            "1 working day".into()
                        } else {
                            format!("{} working days", spec.amount)
                        };
                        format!("{days} on calendar `{}`: {}", cal.name(), cal.explain_working_days(t, spec.amount)?)
                    }
                },
                _ => "computed".into(),
            },
            ExprKind::SameDay(_, c) => {
                let cal = &calendars[*c as usize];
                format!("same day on calendar `{}`: {}", cal.name(), cal.explain_same_day(t)?)
            }
            ExprKind::WindowEnd(_, c, w) | ExprKind::WindowFrom(_, c, w) => {
                let calendar = &model.calendars[*c as usize];
                let window = &calendar.windows[*w as usize].0;
                if matches!(expr.kind, ExprKind::WindowEnd(..)) {
                    format!("end of the day's last `{window}` window of calendar `{}`", calendar.name)
                } else {
                    format!("first moment inside window `{window}` of calendar `{}`", calendar.name)
                }
            }
            _ => "computed".into(),
        })
    }

    fn warning(
        &mut self,
        w: &WarningDef,
        deadline_expr: &Expr,
        from: Option<DateTime<Utc>>,
        deadline: DateTime<Utc>,
    ) -> Eval<DateTime<Utc>> {
        match w {
            WarningDef::Before(spec) => self.shift(deadline, spec, true),
            WarningDef::Share(share) => {
                let (ExprKind::Shift(_, d, false), Some(start)) = (&deadline_expr.kind, from) else {
                    unreachable!("the checker requires `start + duration` for shares")
                };
                let ExprKind::Const(Value::Duration(spec)) = d.kind else {
                    unreachable!("the checker requires a written duration for shares")
                };
                let scale = |seconds: i64| -> i64 {
                    let scaled = Decimal::from(seconds) * share;
                    scaled.floor().try_into().unwrap_or(seconds)
                };
                match (spec.unit, spec.calendar) {
                    (Unit::WorkingTime | Unit::WorkingDays, Some(c)) => {
                        let cal = &self.program.calendars[c as usize];
                        let total = cal.working_time_between(start, deadline)?;
                        cal.add_working_time(start, scale(total))
                    }
                    _ => Ok(start + Duration::seconds(scale((deadline - start).num_seconds()))),
                }
            }
        }
    }

    /// `t` plus or minus a duration.
    fn shift(&self, t: DateTime<Utc>, spec: &DurationSpec, negative: bool) -> Eval<DateTime<Utc>> {
        let sign = if negative { -1 } else { 1 };
        match spec.unit {
            Unit::Clock => Ok(t + Duration::seconds(sign * spec.amount)),
            Unit::Days => {
                let zone = spec.calendar.map_or(self.model().zone, |c| self.program.calendars[c as usize].zone());
                Ok(if negative {
                    local_instant(zone, t.with_timezone(&zone).date_naive() - Duration::days(spec.amount), 0)
                } else {
                    add_days(zone, t, spec.amount)
                })
            }
            Unit::WorkingTime | Unit::WorkingDays => {
                let cal = &self.program.calendars[spec.calendar.expect("working units have a calendar") as usize];
                match (spec.unit, negative) {
                    (Unit::WorkingTime, _) => cal.add_working_time(t, sign * spec.amount),
                    (_, false) => cal.add_working_days(t, spec.amount),
                    (_, true) => cal.sub_working_days(t, spec.amount),
                }
            }
        }
    }

    fn let_value(&mut self, id: u16) -> Eval<Value> {
        if let Some(v) = &self.lets[id as usize] {
            return Ok(v.clone());
        }
        let program = self.program;
        let v = self.eval(&program.model.lets[id as usize].expr)?;
        self.lets[id as usize] = Some(v.clone());
        Ok(v)
    }

    fn eval(&mut self, e: &Expr) -> Eval<Value> {
        Ok(match &e.kind {
            ExprKind::Const(v) => v.clone(),
            ExprKind::Field(slot) => self.slots[*slot].clone(),
            ExprKind::Let(id) => self.let_value(*id)?,
            ExprKind::Grade => self.grade.map_or(Value::Null, Value::Grade),
            ExprKind::Not(x) => match self.eval(x)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            ExprKind::And(parts) => self.kleene(parts, false)?,
            ExprKind::Or(parts) => self.kleene(parts, true)?,
            ExprKind::Negate(x) => match self.eval(x)? {
                Value::Int(i) => i.checked_neg().map_or(Value::Null, Value::Int),
                Value::Decimal(d) => Value::Decimal(-d),
                _ => Value::Null,
            },
            ExprKind::Arith(op, l, r) => arith(*op, self.eval(l)?, self.eval(r)?),
            ExprKind::Shift(t, ..)
            | ExprKind::SameDay(t, _)
            | ExprKind::WindowFrom(t, ..)
            | ExprKind::WindowEnd(t, ..) => match self.eval(t)? {
                Value::Time(t) => self.time_form(e, t)?,
                _ => Value::Null,
            },
            ExprKind::Compare(op, l, r) => {
                let (l, r) = (self.eval(l)?, self.eval(r)?);
                match compare(&l, &r) {
                    None => Value::Null,
                    Some(ord) => Value::Bool(match op {
                        CompareOp::Eq => ord == Ordering::Equal,
                        CompareOp::Ne => ord != Ordering::Equal,
                        CompareOp::Lt => ord == Ordering::Less,
                        CompareOp::Le => ord != Ordering::Greater,
                        CompareOp::Gt => ord == Ordering::Greater,
                        CompareOp::Ge => ord != Ordering::Less,
                    }),
                }
            }
            ExprKind::In(x, set, negated) => {
                let found = match (self.eval(x)?, self.eval(set)?) {
                    (Value::Enum(i) | Value::Grade(i), Value::EnumSet(bits)) => Some(bits & (1 << i) != 0),
                    (Value::Text(t), Value::TextSet(texts)) => Some(texts.binary_search(&t).is_ok()),
                    _ => None,
                };
                found.map_or(Value::Null, |f| Value::Bool(f != *negated))
            }
            ExprKind::Contains(t, x) => match (self.eval(t)?, self.eval(x)?) {
                (Value::Text(t), Value::Text(x)) => Value::Bool(t.contains(&*x)),
                _ => Value::Null,
            },
            ExprKind::Mentions(t, x) => match self.mentioned(t, x)? {
                Some(found) => Value::Bool(found.is_some()),
                None => Value::Null,
            },
            ExprKind::IsSet(x, set) => Value::Bool((self.eval(x)? != Value::Null) == *set),
            ExprKind::InWorkingHours(t, c) => match self.eval(t)? {
                Value::Time(t) => Value::Bool(self.program.calendars[*c as usize].in_working_hours(t)?),
                _ => Value::Null,
            },
            ExprKind::InWindow(t, c, w) => match self.eval(t)? {
                Value::Time(t) => Value::Bool(self.program.calendars[*c as usize].in_window(t, *w as usize)),
                _ => Value::Null,
            },
            ExprKind::Count(x) => match self.eval(x)? {
                Value::EnumSet(bits) => Value::Int(i64::from(bits.count_ones())),
                Value::TextSet(texts) => Value::Int(texts.len() as i64),
                Value::Text(t) => Value::Int(t.chars().count() as i64),
                _ => Value::Null,
            },
            ExprKind::Round(x, places) => match self.eval(x)?.as_decimal() {
                Some(d) => {
                    let mut rounded = d.round_dp_with_strategy(*places, RoundingStrategy::MidpointAwayFromZero);
                    rounded.rescale(*places);
                    Value::Decimal(rounded)
                }
                None => Value::Null,
            },
            ExprKind::Min(parts) | ExprKind::Max(parts) => {
                let want = if matches!(e.kind, ExprKind::Min(_)) { Ordering::Less } else { Ordering::Greater };
                let mut best: Option<Value> = None;
                for p in parts {
                    let v = self.eval(p)?;
                    if v == Value::Null {
                        return Ok(Value::Null);
                    }
                    best = match best {
                        Some(b) if compare(&v, &b) != Some(want) => Some(b),
                        _ => Some(v),
                    };
                }
                best.unwrap_or(Value::Null)
            }
        })
    }

    /// The first phrase the text mentions; `None` when the text or phrases are unknown.
    fn mentioned(&mut self, text: &Expr, phrases: &Phrases) -> Eval<Option<Option<Arc<str>>>> {
        let Value::Text(text) = self.eval(text)? else { return Ok(None) };
        let found = |phrases: &[Phrase]| phrase::first_mentioned(&text, phrases).map(|p| p.text.clone());
        Ok(match phrases {
            Phrases::Written(phrases) => Some(found(phrases)),
            Phrases::Computed(e) => match self.eval(e)? {
                Value::Text(p) => Some(found(&[Phrase::new(p)])),
                Value::TextSet(ps) => Some(found(&ps.iter().cloned().map(Phrase::new).collect::<Vec<_>>())),
                _ => None,
            },
        })
    }

    /// Three-valued `and` (`decisive` false) and `or` (`decisive` true): one decisive part
    /// settles it; otherwise any unknown part leaves it unknown.
    fn kleene(&mut self, parts: &[Expr], decisive: bool) -> Eval<Value> {
        let mut unknown = false;
        for p in parts {
            match self.eval(p)? {
                Value::Bool(b) if b == decisive => return Ok(Value::Bool(decisive)),
                Value::Bool(_) => {}
                _ => unknown = true,
            }
        }
        Ok(if unknown { Value::Null } else { Value::Bool(!decisive) })
    }

    /// The facts that decided a condition: for `or`, the first part that held; for `and`,
    /// every part; otherwise the fields and values it read.
    fn facts(&mut self, e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::And(parts) => parts.iter().for_each(|p| self.facts(p, out)),
            ExprKind::Or(parts) => {
                let decisive = parts.iter().find(|p| self.eval(p).is_ok_and(|v| v.is_true())).unwrap_or(&parts[0]);
                self.facts(decisive, out);
            }
            _ => self.reads(e, out),
        }
    }

    fn reads(&mut self, e: &Expr, out: &mut Vec<String>) {
        let fact = match &e.kind {
            ExprKind::Field(slot) => {
                let v = self.slots[*slot].clone();
                Some(format!("{} = {}", self.model().fields[*slot].path, self.show(&v, e)))
            }
            ExprKind::Let(id) => {
                // A `let` is shown with the facts behind it, so the trace reaches the ticket.
                let v = self.let_value(*id).unwrap_or(Value::Null);
                let program = self.program;
                let mut behind = Vec::new();
                self.facts(&program.model.lets[*id as usize].expr, &mut behind);
                let name = &program.model.lets[*id as usize].name;
                match behind.is_empty() {
                    true => Some(format!("{name} = {}", self.show(&v, e))),
                    false => Some(format!("{name} = {} ({})", self.show(&v, e), behind.join(", "))),
                }
            }
            ExprKind::Mentions(text, phrases) => {
                // Name the phrase that was found, not just the transcript.
                let found = self.mentioned(text, phrases).ok().flatten().flatten();
                found.map(|p| {
                    let mut subject = Vec::new();
                    self.reads(text, &mut subject);
                    let subject = subject.first().and_then(|f| f.split(" = ").next()).unwrap_or("the text");
                    format!("{subject} mentions {p:?}")
                })
            }
            ExprKind::Grade => Some(format!("grade = {}", self.show(&self.grade.map_or(Value::Null, Value::Grade), e))),
            _ => None,
        };
        if let Some(f) = fact {
            if !out.contains(&f) {
                out.push(f);
            }
            return;
        }
        match &e.kind {
            ExprKind::Not(x)
            | ExprKind::Negate(x)
            | ExprKind::IsSet(x, _)
            | ExprKind::Count(x)
            | ExprKind::Round(x, _) => self.reads(x, out),
            ExprKind::InWorkingHours(x, _)
            | ExprKind::InWindow(x, ..)
            | ExprKind::WindowFrom(x, ..)
            | ExprKind::WindowEnd(x, ..)
            | ExprKind::SameDay(x, _) => self.reads(x, out),
            ExprKind::And(ps) | ExprKind::Or(ps) | ExprKind::Min(ps) | ExprKind::Max(ps) => {
                ps.iter().for_each(|p| self.reads(p, out))
            }
            ExprKind::Arith(_, a, b)
            | ExprKind::Shift(a, b, _)
            | ExprKind::Compare(_, a, b)
            | ExprKind::In(a, b, _)
            | ExprKind::Contains(a, b) => {
                self.reads(a, out);
                self.reads(b, out);
            }
            ExprKind::Mentions(a, phrases) => {
                self.reads(a, out);
                if let Phrases::Computed(b) = phrases {
                    self.reads(b, out);
                }
            }
            _ => {}
        }
    }

    /// A value in words, naming enum values by the type of the expression it came from.
    fn show(&self, v: &Value, source: &Expr) -> String {
        let model = self.model();
        let ty = match &source.kind {
            ExprKind::Field(slot) => Some(model.fields[*slot].ty),
            ExprKind::Let(id) => Some(model.lets[*id as usize].ty),
            _ => None,
        };
        match (v, ty) {
            (Value::Null, _) => "missing".into(),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Int(i), _) => i.to_string(),
            // Exact values can have 28 digits; people read six places at most.
            (Value::Decimal(d), _) if d.scale() > 6 => format!("{}…", d.round_dp(6)),
            (Value::Decimal(d), _) => d.to_string(),
            (Value::Text(t), _) => format!("{t:?}"),
            (Value::Time(t), _) => Instant::new(*t, model.zone).to_string(),
            (Value::Duration(d), _) => clock_text(d.amount),
            (Value::Grade(g), _) => model.grades[*g as usize].name.to_string(),
            (Value::Enum(i), Some(Type::Enum(e))) => model.enums[e as usize].values[*i as usize].name.to_string(),
            (Value::EnumSet(bits), Some(Type::EnumSet(e))) => {
                let names: Vec<&str> = model.enums[e as usize]
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, v)| &*v.name)
                    .collect();
                format!("{{{}}}", names.join(", "))
            }
            (Value::TextSet(texts), _) => format!("{texts:?}"),
            (Value::Enum(i), _) => format!("#{i}"),
            (Value::EnumSet(bits), _) => format!("{bits:#b}"),
        }
    }

    fn to_json(&self, v: &Value, source: &Expr) -> Option<serde_json::Value> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Decimal(d) => d.to_string().into(),
            Value::Text(t) => t.to_string().into(),
            Value::Time(t) => Instant::new(*t, self.model().zone).to_string().into(),
            Value::Grade(_) | Value::Enum(_) => self.show(v, source).into(),
            Value::Duration(_) | Value::EnumSet(_) | Value::TextSet(_) => return None,
        })
    }
}

/// The instant a time form is computed from: `t` in `t + d`, `same day as t` and the
/// window forms; `None` for other expressions.
fn anchor(expr: &Expr) -> Option<&Expr> {
    match &expr.kind {
        ExprKind::Shift(t, ..) | ExprKind::SameDay(t, _) | ExprKind::WindowFrom(t, ..) | ExprKind::WindowEnd(t, ..) => {
            Some(t)
        }
        _ => None,
    }
}

fn clock_text(seconds: i64) -> String {
    match (seconds % 3600, seconds % 60) {
        (0, _) => format!("{} h", seconds / 3600),
        (_, 0) => format!("{} min", seconds / 60),
        _ => format!("{seconds} s"),
    }
}

fn arith(op: Arith, l: Value, r: Value) -> Value {
    if let (Value::Int(a), Value::Int(b), false) = (&l, &r, op == Arith::Div) {
        let result = match op {
            Arith::Add => a.checked_add(*b),
            Arith::Sub => a.checked_sub(*b),
            _ => a.checked_mul(*b),
        };
        // Overflow of 64-bit counts is not a policy's business; it is left undefined.
        return result.map_or(Value::Null, Value::Int);
    }
    let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else {
        return Value::Null;
    };
    let result = match op {
        Arith::Add => a.checked_add(b),
        Arith::Sub => a.checked_sub(b),
        Arith::Mul => a.checked_mul(b),
        // A rate whose denominator is 0 is not computed (domain.md §3).
        Arith::Div => a.checked_div(b),
    };
    result.map_or(Value::Null, Value::Decimal)
}

/// Order two values of one type; `None` when either is unknown or they cannot be compared.
fn compare(l: &Value, r: &Value) -> Option<Ordering> {
    match (l, r) {
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
        (Value::Enum(a), Value::Enum(b)) => Some(a.cmp(b)),
        (Value::EnumSet(a), Value::EnumSet(b)) => Some(a.cmp(b)),
        (Value::TextSet(a), Value::TextSet(b)) => Some(a.cmp(b)),
        // Grade 0 is the most severe, so it orders highest.
        (Value::Grade(a), Value::Grade(b)) => Some(b.cmp(a)),
        (Value::Duration(a), Value::Duration(b)) if a.unit == b.unit => Some(a.amount.cmp(&b.amount)),
        _ => Some(l.as_decimal()?.cmp(&r.as_decimal()?)),
    }
}
