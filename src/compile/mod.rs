//! Stage 3, compile: a checked [`Model`] → a [`Program`] ready to evaluate. Every calendar is
//! precomputed, so a deadline a year away costs what one an hour away does, and every
//! condition, `let` and statement is compiled into closures ([`expr`]).

pub(crate) mod expr;

use std::fmt;

use self::expr::{BoolCode, Compiler, FactPlan, Operand, TimeCode, ValueCode};
use crate::calendar::WorkingCalendar;
use crate::decision::{Instant, JsonNames};
use crate::model::*;
use crate::source::Span;
use crate::ticket::Schema;
use crate::zone::ZoneOffsets;

/// A compiled policy: the model, its calendars' tables and its compiled code.
pub struct Program {
    /// The checked policy.
    pub model: Model,
    /// One compiled calendar per [`Model::calendars`] entry, same index.
    pub calendars: Vec<WorkingCalendar>,
    /// One per [`Model::lets`] entry.
    pub(crate) lets: Vec<LetCode>,
    /// What each `let` reads, for the full trace.
    pub(crate) let_facts: Vec<FactPlan>,
    /// One per [`Model::rules`] entry.
    pub(crate) rules: Vec<RuleCode>,
    /// The rules that set a grade, in file order: decided before all others.
    pub(crate) grade_rules: Vec<RuleId>,
    /// One per [`Model::exemptions`] entry.
    pub(crate) exemptions: Vec<Condition>,
    /// How many `mentions` remember the phrase they found.
    pub(crate) mentions: usize,
    /// The ticket fields' paths, for reading tickets straight from text.
    pub(crate) schema: Schema,
    /// The policy zone's offsets over the years its calendars cover.
    pub(crate) zone: ZoneOffsets,
    /// The policy's names as JSON text, for writing decisions.
    pub(crate) json: JsonNames,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program").field("policy", &self.model.name).field("rules", &self.rules.len()).finish()
    }
}

/// A compiled `let`: conditions, most `let`s are, are remembered in a byte each.
pub(crate) enum LetCode {
    Bool(BoolCode),
    Value(ValueCode),
}

/// A condition and what it reads.
pub(crate) struct Condition {
    pub test: BoolCode,
    pub facts: FactPlan,
}

/// A compiled rule.
pub(crate) struct RuleCode {
    pub condition: Option<Condition>,
    pub effects: Vec<EffectCode>,
}

/// A compiled statement of a rule.
pub(crate) struct EffectCode {
    pub guard: Option<BoolCode>,
    pub kind: EffectCodeKind,
}

pub(crate) enum EffectCodeKind {
    Route(Vec<RoleId>),
    Action(Vec<ActionId>),
    Deadline(DeadlineCode),
    Value { name: ValueId, value: ValueCode, ty: Type, owner: Option<ActionId> },
}

/// A compiled deadline.
pub(crate) struct DeadlineCode {
    pub name: DeadlineId,
    pub owner: Option<ActionId>,
    pub form: Form,
    pub warnings: Vec<WarningDef>,
}

/// How a deadline is computed from the instant it is anchored on.
pub(crate) enum Form {
    /// `from + by`, or `from - by` when `back`.
    Shift { from: TimeCode, by: Operand<DurationSpec>, back: bool },
    /// `same day as from`.
    SameDay { from: TimeCode, calendar: CalendarId },
    /// `window w from t` (the first moment inside it) or `end of window w from t`.
    Window { from: TimeCode, calendar: CalendarId, window: WindowId, end: bool },
    /// Any other time expression.
    Computed(TimeCode),
}

/// Compile a checked model; `locate` turns a span into `file:line:column`, for errors that
/// point a user at a file (where a calendar's years are set).
pub fn compile(model: Model, locate: impl Fn(Span) -> String) -> Program {
    let calendars =
        model.calendars.iter().map(|spec| WorkingCalendar::compile(spec, locate(spec.valid_at).into())).collect();
    let mut c = Compiler::new();
    let lets = model
        .lets
        .iter()
        .map(|l| match l.ty {
            Type::Bool => LetCode::Bool(c.bool(&l.expr)),
            _ => LetCode::Value(c.value(&l.expr)),
        })
        .collect();
    let let_facts = model.lets.iter().map(|l| c.facts(&l.expr)).collect();
    let condition = |c: &mut Compiler, e: &Expr| Condition { test: c.bool(e), facts: c.facts(e) };
    let rules = model
        .rules
        .iter()
        .map(|rule| RuleCode {
            condition: rule.condition.as_ref().map(|e| condition(&mut c, e)),
            effects: rule.effects.iter().map(|effect| effect_code(&mut c, effect)).collect(),
        })
        .collect();
    let exemptions = model.exemptions.iter().map(|e| condition(&mut c, &e.condition)).collect();
    let grade_rules =
        model.rules.iter().enumerate().filter(|(_, r)| r.grade.is_some()).filter_map(|(i, _)| RuleId::new(i)).collect();
    let mentions = c.mention_slots();
    let schema = Schema::new(&model);
    let years = model.calendars.iter().map(|c| c.valid).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let zone = ZoneOffsets::new(model.zone, years);
    let json = JsonNames::new(&model);
    Program { calendars, lets, let_facts, rules, grade_rules, exemptions, mentions, schema, zone, json, model }
}

fn effect_code(c: &mut Compiler, effect: &Effect) -> EffectCode {
    let guard = effect.guard.as_ref().map(|g| c.bool(g));
    let kind = match &effect.kind {
        EffectKind::Route(roles) => EffectCodeKind::Route(roles.clone()),
        EffectKind::Action(actions) => EffectCodeKind::Action(actions.clone()),
        EffectKind::Deadline(def) => EffectCodeKind::Deadline(DeadlineCode {
            name: def.name,
            owner: def.owner,
            form: form(c, &def.expr),
            warnings: def.warnings.clone(),
        }),
        EffectKind::Value(def) => {
            EffectCodeKind::Value { name: def.name, value: c.value(&def.expr), ty: def.ty, owner: def.owner }
        }
    };
    EffectCode { guard, kind }
}

fn form(c: &mut Compiler, e: &Expr) -> Form {
    match &e.kind {
        ExprKind::Shift { time, by, back } => Form::Shift { from: c.time(time), by: c.duration(by), back: *back },
        ExprKind::SameDay { time, calendar } => Form::SameDay { from: c.time(time), calendar: *calendar },
        ExprKind::WindowFrom { time, calendar, window } => {
            Form::Window { from: c.time(time), calendar: *calendar, window: *window, end: false }
        }
        ExprKind::WindowEnd { time, calendar, window } => {
            Form::Window { from: c.time(time), calendar: *calendar, window: *window, end: true }
        }
        _ => Form::Computed(c.time(e)),
    }
}

impl Program {
    /// An instant as decisions show it: at the offset the policy's zone has then.
    pub(crate) fn instant(&self, t: chrono::DateTime<chrono::Utc>) -> Instant {
        self.zone.instant(t)
    }

    /// The compiled calendar of an id.
    pub(crate) fn calendar(&self, id: CalendarId) -> Option<&WorkingCalendar> {
        self.calendars.get(id.index())
    }
}
