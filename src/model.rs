//! The checked policy: every name resolved to an index, every expression typed.
//!
//! The checker builds it from the syntax tree; the compiler adds precomputed calendars;
//! the evaluator runs it. Field references are slot numbers, so evaluating a ticket
//! never looks a field up by name.

use std::sync::Arc;

use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::calendar::CalendarSpec;
use crate::source::Span;
use crate::value::Value;

/// Index of a field's slot.
pub type Slot = usize;

/// A checked policy (or a calendar-only file, when `name` is empty).
#[derive(Debug, Clone)]
pub struct Model {
    pub name: Arc<str>,
    pub label: Option<String>,
    pub zone: Tz,
    pub fields: Vec<Field>,
    /// The slot of the `id` field.
    pub id_slot: Option<Slot>,
    pub enums: Vec<EnumDef>,
    /// Grades, most severe first.
    pub grades: Vec<Declared>,
    pub default_grade: Option<u16>,
    pub roles: Vec<Declared>,
    pub actions: Vec<Declared>,
    pub lets: Vec<LetDef>,
    pub calendars: Vec<CalendarSpec>,
    pub rules: Vec<RuleDef>,
    pub exemptions: Vec<ExemptionDef>,
    /// Deadline names in order of first appearance.
    pub deadlines: Vec<Arc<str>>,
    /// Value names in order of first appearance.
    pub values: Vec<Arc<str>>,
    pub tests: Vec<TestDef>,
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
    pub span: Span,
}

/// An enum type: its values in declared order.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub values: Vec<Declared>,
}

impl EnumDef {
    /// The index of a value name.
    pub fn index(&self, name: &str) -> Option<u16> {
        self.values.iter().position(|v| &*v.name == name).map(|i| i as u16)
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
    Duration,
    Enum(u16),
    EnumSet(u16),
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
    pub clause: Option<Arc<str>>,
    pub label: Option<String>,
    pub condition: Option<Expr>,
    pub grade: Option<u16>,
    pub effects: Vec<Effect>,
    pub span: Span,
}

/// What a rule does when it fires.
#[derive(Debug, Clone)]
pub enum Effect {
    Route(Vec<u16>, Option<Expr>),
    Action(Vec<u16>, Option<Expr>),
    Deadline(DeadlineDef, Option<Expr>),
    Value(ValueDef, Option<Expr>),
}

/// `deadline name = start + duration, warn …`.
#[derive(Debug, Clone)]
pub struct DeadlineDef {
    /// Index into [`Model::deadlines`].
    pub name: u16,
    pub expr: Expr,
    pub warnings: Vec<WarningDef>,
    /// The action it belongs to: without that action in the decision, no deadline.
    pub owner: Option<u16>,
}

/// `value name [for action] = expr`.
#[derive(Debug, Clone)]
pub struct ValueDef {
    /// Index into [`Model::values`].
    pub name: u16,
    pub expr: Expr,
    /// The action it belongs to: without that action in the decision, no value.
    pub owner: Option<u16>,
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
    pub clause: Option<Arc<str>>,
    pub label: Option<String>,
    pub actions: Vec<u16>,
    pub condition: Expr,
    pub because: String,
    pub span: Span,
}

/// A duration with its unit and, for working and calendar-day units, its calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec {
    /// Seconds for clock and working-time units; days for day units.
    pub amount: i64,
    pub unit: Unit,
    /// Index into [`Model::calendars`]; `None` for clock units.
    pub calendar: Option<u16>,
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
}

/// The shapes of a checked expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Value),
    Field(Slot),
    Let(u16),
    Grade,
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Negate(Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// `time + duration` (or `-` when the flag is set).
    Shift(Box<Expr>, Box<Expr>, bool),
    Compare(crate::syntax::ast::CompareOp, Box<Expr>, Box<Expr>),
    /// Membership of an element in a set expression; the flag negates.
    In(Box<Expr>, Box<Expr>, bool),
    /// Text containment.
    Contains(Box<Expr>, Box<Expr>),
    /// Phrase match ignoring punctuation and spaces.
    Mentions(Box<Expr>, Phrases),
    IsSet(Box<Expr>, bool),
    InWorkingHours(Box<Expr>, u16),
    InWindow(Box<Expr>, u16, u16),
    WindowFrom(Box<Expr>, u16, u16),
    WindowEnd(Box<Expr>, u16, u16),
    SameDay(Box<Expr>, u16),
    Count(Box<Expr>),
    Round(Box<Expr>, u32),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
}

/// The phrases of `mentions`: prepared once when written out in the policy, else computed
/// per ticket (a set of texts from a field).
#[derive(Debug, Clone)]
pub enum Phrases {
    Written(Arc<[crate::phrase::Phrase]>),
    Computed(Box<Expr>),
}

/// Arithmetic on numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// A policy test, checked.
#[derive(Debug, Clone)]
pub struct TestDef {
    pub name: String,
    pub clauses: Vec<String>,
    pub base: Option<String>,
    pub given: Vec<(Slot, Value)>,
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
    Grade(Option<u16>),
    RouteIs(Vec<u16>),
    RouteStartsWith(u16),
    RouteHas(u16, bool),
    Action(u16, bool),
    Exempt(u16, bool),
    Deadline(u16, Option<chrono::DateTime<chrono::Utc>>),
    Warning(u16, chrono::DateTime<chrono::Utc>),
    Value(u16, Option<Value>),
}
