//! The checked policy: every name resolved to an index, every expression typed.
//!
//! The checker builds it from the syntax tree; the compiler adds precomputed calendars;
//! the evaluator runs it. Field references are slot numbers, so evaluating a ticket
//! never looks a field up by name, and every reference is a typed id.

mod id;

use std::sync::Arc;

use chrono_tz::Tz;
use rust_decimal::Decimal;

pub use self::id::*;
use crate::calendar::CalendarSpec;
pub use crate::operator::{ArithOp, CompareOp};
use crate::source::Span;
use crate::value::Value;

/// A checked policy (or a calendar-only file, when `name` is empty).
#[derive(Debug, Clone)]
pub struct Model {
    pub name: Arc<str>,
    pub label: Option<String>,
    pub zone: Tz,
    /// Indexed by [`FieldId`].
    pub fields: Vec<Field>,
    /// The `id` field.
    pub id_field: Option<FieldId>,
    /// Indexed by [`EnumId`].
    pub enums: Vec<EnumDef>,
    /// Grades, most severe first; indexed by [`GradeId`].
    pub grades: Vec<Declared>,
    pub default_grade: Option<GradeId>,
    /// Indexed by [`RoleId`].
    pub roles: Vec<Declared>,
    /// Indexed by [`ActionId`].
    pub actions: Vec<Declared>,
    /// Indexed by [`LetId`]; a `let` reads only fields and earlier `let`s.
    pub lets: Vec<LetDef>,
    /// Indexed by [`CalendarId`].
    pub calendars: Vec<CalendarSpec>,
    /// The calendar of working durations that name none.
    pub default_calendar: Option<CalendarId>,
    /// Indexed by [`RuleId`], in file order.
    pub rules: Vec<RuleDef>,
    /// Indexed by [`ExemptionId`], in file order.
    pub exemptions: Vec<ExemptionDef>,
    /// Deadline names in order of first appearance; indexed by [`DeadlineId`].
    pub deadlines: Vec<Arc<str>>,
    /// Value names in order of first appearance; indexed by [`ValueId`].
    pub values: Vec<Arc<str>>,
    pub tests: Vec<TestDef>,
}

impl Model {
    /// A field's declaration.
    pub fn field(&self, id: FieldId) -> &Field {
        &self.fields[id.index()]
    }

    /// A `let`'s declaration.
    pub fn let_def(&self, id: LetId) -> &LetDef {
        &self.lets[id.index()]
    }

    /// A grade's declaration.
    pub fn grade(&self, id: GradeId) -> &Declared {
        &self.grades[id.index()]
    }

    /// A role's declaration.
    pub fn role(&self, id: RoleId) -> &Declared {
        &self.roles[id.index()]
    }

    /// An action's declaration.
    pub fn action(&self, id: ActionId) -> &Declared {
        &self.actions[id.index()]
    }

    /// A rule.
    pub fn rule(&self, id: RuleId) -> &RuleDef {
        &self.rules[id.index()]
    }

    /// An exemption.
    pub fn exemption(&self, id: ExemptionId) -> &ExemptionDef {
        &self.exemptions[id.index()]
    }

    /// A deadline's name.
    pub fn deadline_name(&self, id: DeadlineId) -> &Arc<str> {
        &self.deadlines[id.index()]
    }

    /// A value's name.
    pub fn value_name(&self, id: ValueId) -> &Arc<str> {
        &self.values[id.index()]
    }

    /// An enum type.
    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        &self.enums[id.index()]
    }

    /// A calendar as declared.
    pub fn calendar(&self, id: CalendarId) -> &CalendarSpec {
        &self.calendars[id.index()]
    }
}

/// A declared name with its label.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: Arc<str>,
    pub label: Option<String>,
    pub span: Span,
}

/// A ticket field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The dotted path as written.
    pub path: Arc<str>,
    /// The path split at dots, for walking the JSON.
    pub segments: Vec<String>,
    pub ty: Type,
    pub optional: bool,
    /// Bounds a whole number must keep, checked when a ticket is read.
    pub bounds: Vec<Bound>,
    pub span: Span,
}

/// `>= 0` or `<= complaints`: a bound on a whole-number field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// `>=` when true, `<=` when false.
    pub at_least: bool,
    pub to: BoundTo,
}

/// What a field is bounded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundTo {
    Number(i64),
    Field(FieldId),
}

/// An enum type: its values in declared order (at most 64, so a set of them is a `u64`).
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub values: Vec<Declared>,
}

impl EnumDef {
    /// The index of a value name.
    pub fn index(&self, name: &str) -> Option<u16> {
        self.values.iter().position(|v| &*v.name == name).and_then(|i| u16::try_from(i).ok())
    }

    /// A value's name.
    pub fn name(&self, index: u16) -> &str {
        self.values.get(usize::from(index)).map_or("?", |v| &v.name)
    }

    /// The names of the values in a set of them, in declared order.
    pub fn members(&self, bits: u64) -> Vec<&str> {
        self.values
            .iter()
            .enumerate()
            .filter(|(i, _)| u32::try_from(*i).ok().and_then(|i| bits.checked_shr(i)).is_some_and(|b| b & 1 == 1))
            .map(|(_, v)| &*v.name)
            .collect()
    }
}

/// The types of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int,
    Decimal,
    Text,
    Time,
    /// A duration of one unit (and, for working units and days in another zone, one
    /// calendar): clock time, calendar days and working time do not mix.
    Duration(Unit, Option<CalendarId>),
    Enum(EnumId),
    EnumSet(EnumId),
    TextSet,
    Grade,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }
}

/// `let name = expr`.
#[derive(Debug, Clone)]
pub struct LetDef {
    pub name: Arc<str>,
    pub expr: Expr,
    pub ty: Type,
    pub span: Span,
}

/// A rule, in file order.
#[derive(Debug, Clone)]
pub struct RuleDef {
    pub name: Arc<str>,
    /// The clauses it cites, as written: `AS-5`.
    pub clauses: Vec<Arc<str>>,
    pub label: Option<String>,
    pub condition: Option<Expr>,
    pub grade: Option<GradeId>,
    pub effects: Vec<Effect>,
    pub span: Span,
}

/// What a rule does when it fires, unless its own guard is false.
#[derive(Debug, Clone)]
pub struct Effect {
    pub kind: EffectKind,
    /// `… when condition` after the statement.
    pub guard: Option<Expr>,
}

/// The statements of a rule.
#[derive(Debug, Clone)]
pub enum EffectKind {
    Route(Vec<RoleId>),
    Action(Vec<ActionId>),
    Deadline(DeadlineDef),
    Value(ValueDef),
}

/// `deadline name = start + duration, warn …`.
#[derive(Debug, Clone)]
pub struct DeadlineDef {
    pub name: DeadlineId,
    pub expr: Expr,
    pub warnings: Vec<WarningDef>,
    /// The action it belongs to: without that action in the decision, no deadline.
    pub owner: Option<ActionId>,
}

/// `value name [for action] = expr`.
#[derive(Debug, Clone)]
pub struct ValueDef {
    pub name: ValueId,
    pub expr: Expr,
    pub ty: Type,
    /// The action it belongs to: without that action in the decision, no value.
    pub owner: Option<ActionId>,
}

/// An early warning.
#[derive(Debug, Clone)]
pub enum WarningDef {
    /// A share of the allowed time, measured as the deadline's duration is (working or
    /// clock); needs the deadline to be `start + duration`.
    Share(Decimal),
    /// A fixed lead before the deadline.
    Before(DurationSpec),
}

/// `exempt name from actions when … because …`.
#[derive(Debug, Clone)]
pub struct ExemptionDef {
    pub name: Arc<str>,
    pub clauses: Vec<Arc<str>>,
    pub label: Option<String>,
    pub actions: Vec<ActionId>,
    pub condition: Expr,
    pub because: Arc<str>,
    pub span: Span,
}

/// A duration with its unit and, for working and calendar-day units, its calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec {
    /// Seconds for clock and working-time units; days for day units.
    pub amount: i64,
    pub unit: Unit,
    /// The calendar for working units, and for calendar days in another zone; `None` for
    /// clock units.
    pub calendar: Option<CalendarId>,
}

/// The longest duration the language accepts, in seconds: a hundred years. Longer ones are
/// mistakes, and would run past the instants a computer can represent.
pub const MAX_DURATION_SECONDS: i64 = 100 * 366 * 86_400;

/// Duration units after checking: minutes and hours are both counted in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Elapsed seconds.
    Clock,
    /// Calendar days: 24:00 of the Nth day after, in the policy's zone.
    Days,
    /// Seconds counted inside working periods.
    WorkingTime,
    /// Working days: close of business of the Nth working day after.
    WorkingDays,
}

/// A typed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    pub ty: Type,
}

impl Expr {
    /// How deep the expression is: the parser bounds it, so this recursion is bounded too.
    pub fn depth(&self) -> usize {
        crate::limits::grow(|| self.measure())
    }

    fn measure(&self) -> usize {
        let deepest = |parts: &[&Expr]| parts.iter().map(|p| p.depth()).max().unwrap_or(0);
        1 + match &self.kind {
            ExprKind::Const(_) | ExprKind::Field(_) | ExprKind::Let(_) | ExprKind::Grade | ExprKind::Deadline(_) => 0,
            ExprKind::And(ps) | ExprKind::Or(ps) | ExprKind::Min(ps) | ExprKind::Max(ps) | ExprKind::First(ps) => {
                deepest(&ps.iter().collect::<Vec<_>>())
            }
            ExprKind::Not(x) | ExprKind::Negate(x) | ExprKind::Count(x) => x.depth(),
            ExprKind::IsSet { value: x, .. } | ExprKind::Round { value: x, .. } => x.depth(),
            ExprKind::InWorkingHours { time, .. }
            | ExprKind::InWindow { time, .. }
            | ExprKind::WindowFrom { time, .. }
            | ExprKind::WindowEnd { time, .. }
            | ExprKind::SameDay { time, .. } => time.depth(),
            ExprKind::Mentions { text, phrases, .. } => match phrases {
                Phrases::Written(_) => text.depth(),
                Phrases::Computed(p) => deepest(&[text, p]),
            },
            ExprKind::Arith { left: a, right: b, .. }
            | ExprKind::Shift { time: a, by: b, .. }
            | ExprKind::Compare { left: a, right: b, .. }
            | ExprKind::In { element: a, set: b, .. }
            | ExprKind::Contains { text: a, part: b } => deepest(&[a, b]),
        }
    }
}

/// The shapes of a checked expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Value),
    Field(FieldId),
    Let(LetId),
    Grade,
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Negate(Box<Expr>),
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `time + by`, or `time - by` when `back`.
    Shift {
        time: Box<Expr>,
        by: Box<Expr>,
        back: bool,
    },
    Compare {
        op: CompareOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// Whether a set holds an element; `negated` for `not in` and `lacks`.
    In {
        element: Box<Expr>,
        set: Box<Expr>,
        negated: bool,
    },
    /// Text containment.
    Contains {
        text: Box<Expr>,
        part: Box<Expr>,
    },
    /// Phrase match (DG-10, EC-8): white space removed, punctuation and symbols ignored
    /// between the phrase's characters, widths folded, `XX` 1 to 12 characters of one clause,
    /// `{m-n}` m to n characters with no punctuation from the character before to the one
    /// after; an occurrence straight after one of `not_after` does not count.
    Mentions {
        text: Box<Expr>,
        phrases: Phrases,
        not_after: crate::phrase::NotAfter,
    },
    /// `x is set` (`set` true) or `x is missing`.
    IsSet {
        value: Box<Expr>,
        set: bool,
    },
    InWorkingHours {
        time: Box<Expr>,
        calendar: CalendarId,
    },
    InWindow {
        time: Box<Expr>,
        calendar: CalendarId,
        window: WindowId,
    },
    /// The first moment inside the window at or after `time`.
    WindowFrom {
        time: Box<Expr>,
        calendar: CalendarId,
        window: WindowId,
    },
    /// The end of the day's last period of the window.
    WindowEnd {
        time: Box<Expr>,
        calendar: CalendarId,
        window: WindowId,
    },
    SameDay {
        time: Box<Expr>,
        calendar: CalendarId,
    },
    Count(Box<Expr>),
    Round {
        value: Box<Expr>,
        places: u32,
    },
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    /// The first known of several values; one that could not be reckoned ends the search.
    First(Vec<Expr>),
    /// A deadline this decision has set.
    Deadline(DeadlineId),
}

/// The phrases of `mentions`: prepared once when written out in the policy, else computed
/// per ticket (a set of texts from a field).
#[derive(Debug, Clone)]
pub enum Phrases {
    Written(Arc<[crate::phrase::Phrase]>),
    Computed(Box<Expr>),
}

/// A policy test, checked.
#[derive(Debug, Clone)]
pub struct TestDef {
    pub name: String,
    pub clauses: Vec<String>,
    pub base: Option<String>,
    pub given: Vec<(FieldId, Value)>,
    pub expect: Vec<ExpectDef>,
    pub span: Span,
}

/// One checked expectation, with the span to report a failure at.
#[derive(Debug, Clone)]
pub struct ExpectDef {
    pub kind: ExpectKind,
    pub span: Span,
}

/// What a test expects of the decision.
#[derive(Debug, Clone)]
pub enum ExpectKind {
    Grade(Option<GradeId>),
    RouteIs(Vec<RoleId>),
    RouteStartsWith(RoleId),
    RouteHas(RoleId, bool),
    Action(ActionId, bool),
    Exempt(ExemptionId, bool),
    Deadline(DeadlineId, Option<chrono::DateTime<chrono::Utc>>),
    /// `warn d = t`: one of `d`'s warnings is at `t`; `no warn d` (`None`): `d` has none.
    Warning(DeadlineId, Option<chrono::DateTime<chrono::Utc>>),
    Value(ValueId, Option<Value>),
    /// `refused a, b`: the ticket is refused, not decided; the fields at fault are exactly
    /// those all the test's `refused` expectations name.
    Refused(Vec<FieldId>),
}
