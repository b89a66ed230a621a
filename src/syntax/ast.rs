//! The syntax tree of a rule file, with a span on everything a diagnostic may point at.
//!
//! Nothing here is resolved: names are still text and types are still what was written.
//! The checker turns this into the resolved form of [`crate::check`].

pub use crate::operator::{ArithOp, CompareOp};
use crate::source::{Span, Spanned};

/// A whole `.triage` file.
#[derive(Debug, Clone, Default)]
pub struct File {
    pub policy: Vec<PolicyHeader>,
    pub imports: Vec<Spanned<String>>,
    pub calendars: Vec<CalendarDecl>,
    pub schemas: Vec<Schema>,
    pub grades: Vec<GradesDecl>,
    pub roles: Vec<Named>,
    pub actions: Vec<Named>,
    pub lets: Vec<LetDecl>,
    pub rules: Vec<RuleDecl>,
    pub exemptions: Vec<Exemption>,
    pub tests: Vec<Test>,
}

impl File {
    /// Where each item that is not a test starts (a companion test file may hold none).
    pub fn non_test_items(&self) -> impl Iterator<Item = Span> + '_ {
        let named = |n: &Named| n.name.span;
        self.policy
            .iter()
            .map(|p| p.name.span)
            .chain(self.imports.iter().map(|i| i.span))
            .chain(self.calendars.iter().map(|c| c.name.span))
            .chain(self.schemas.iter().map(|s| s.keyword))
            .chain(self.grades.iter().map(|g| g.span))
            .chain(self.roles.iter().map(named))
            .chain(self.actions.iter().map(named))
            .chain(self.lets.iter().map(|l| l.name.span))
            .chain(self.rules.iter().map(|r| r.name.span))
            .chain(self.exemptions.iter().map(|e| e.name.span))
    }
}

/// `policy name "label"` with its settings.
#[derive(Debug, Clone)]
pub struct PolicyHeader {
    pub name: Spanned<String>,
    pub label: Option<String>,
    pub zone: Option<Spanned<String>>,
    pub default_calendar: Option<Spanned<String>>,
}

/// A declared name with an optional human label (`legal "法务"`).
#[derive(Debug, Clone)]
pub struct Named {
    pub name: Spanned<String>,
    pub label: Option<String>,
}

/// A clock time of day in minutes since midnight; `24:00` is 1440.
pub type Minute = u32;

/// A working period or window, `09:00-12:00`; it crosses midnight when `end <= start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Minute,
    pub end: Minute,
    pub span: Span,
}

/// `calendar name extends base "label"` and its items.
#[derive(Debug, Clone)]
pub struct CalendarDecl {
    pub name: Spanned<String>,
    pub extends: Option<Spanned<String>>,
    pub label: Option<String>,
    pub items: Vec<CalendarItem>,
}

/// One line of a calendar.
#[derive(Debug, Clone)]
pub enum CalendarItem {
    Zone(Spanned<String>),
    Valid {
        from: Spanned<i32>,
        to: Spanned<i32>,
    },
    /// Weekly hours: weekdays numbered from Monday = 0.
    Hours {
        days: Spanned<Vec<u32>>,
        periods: Vec<Period>,
    },
    MakeupHours(Vec<Period>),
    MakeupOff,
    Holiday {
        from: Spanned<chrono::NaiveDate>,
        to: Spanned<chrono::NaiveDate>,
        label: Option<String>,
    },
    Workday {
        date: Spanned<chrono::NaiveDate>,
        label: Option<String>,
        periods: Option<Vec<Period>>,
    },
    Off {
        from: Spanned<chrono::NaiveDate>,
        to: Spanned<chrono::NaiveDate>,
        label: Option<String>,
    },
    Special {
        date: Spanned<chrono::NaiveDate>,
        periods: Vec<Period>,
        label: Option<String>,
    },
    /// A named daily window; its label is for readers of the file.
    Window {
        name: Spanned<String>,
        periods: Vec<Period>,
    },
}

/// `ticket` or `record` and its fields.
#[derive(Debug, Clone)]
pub struct Schema {
    pub keyword: Span,
    pub fields: Vec<FieldDecl>,
}

/// `customer.tier (normal, vip) "客户级别"`; the label is for readers of the file.
#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub path: Spanned<String>,
    pub ty: Spanned<TypeExpr>,
    /// `>= 0`, `<= complaints`.
    pub bounds: Vec<Spanned<BoundDecl>>,
}

/// A bound on a whole-number field, as written.
#[derive(Debug, Clone)]
pub struct BoundDecl {
    /// `>=` or `<=`.
    pub at_least: bool,
    pub to: BoundTo,
}

/// What a field is bounded by.
#[derive(Debug, Clone)]
pub enum BoundTo {
    Number(rust_decimal::Decimal),
    Field(Spanned<String>),
}

/// A field type as written.
#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub optional: bool,
    pub base: BaseType,
}

/// The type without `optional`.
#[derive(Debug, Clone)]
pub enum BaseType {
    Bool,
    Int,
    Decimal,
    Text,
    Time,
    Duration,
    Enum(Vec<Named>),
    SetOfEnum(Vec<Named>),
    SetOfText,
}

/// `grades I > II > III, default III`.
#[derive(Debug, Clone)]
pub struct GradesDecl {
    pub span: Span,
    pub grades: Vec<Named>,
    pub default: Option<Spanned<String>>,
}

/// `let name = expr`.
#[derive(Debug, Clone)]
pub struct LetDecl {
    pub name: Spanned<String>,
    pub expr: Expr,
}

/// `rule name [AS-4] "label" when … statements`.
#[derive(Debug, Clone)]
pub struct RuleDecl {
    pub name: Spanned<String>,
    pub clauses: Vec<String>,
    pub label: Option<String>,
    pub condition: Option<Expr>,
    pub statements: Vec<Statement>,
}

/// One statement inside a rule.
#[derive(Debug, Clone)]
pub enum Statement {
    Grade(Spanned<String>),
    Route {
        roles: Vec<Spanned<String>>,
        guard: Option<Expr>,
    },
    Action {
        actions: Vec<Spanned<String>>,
        guard: Option<Expr>,
    },
    /// `deadline name [for action] = …`: with an owner, it stands only while the action does.
    Deadline {
        name: Spanned<String>,
        owner: Option<Spanned<String>>,
        expr: Expr,
        warnings: Vec<Warning>,
        guard: Option<Expr>,
    },
    /// `value name [for action] = …`.
    Value {
        name: Spanned<String>,
        owner: Option<Spanned<String>>,
        expr: Expr,
        guard: Option<Expr>,
    },
}

/// An early warning on a deadline.
#[derive(Debug, Clone)]
pub enum Warning {
    /// `warn at 75%`: that share of the allowed time has passed.
    At(Spanned<rust_decimal::Decimal>),
    /// `warn 2 h before`.
    Before(Spanned<Duration>),
}

/// `exempt name [DG-9] from a, b when … because "…"`.
#[derive(Debug, Clone)]
pub struct Exemption {
    pub name: Spanned<String>,
    pub clauses: Vec<String>,
    pub label: Option<String>,
    pub actions: Vec<Spanned<String>>,
    pub condition: Expr,
    pub because: String,
}

/// `field = value`, as a test gives it.
pub type Assignment = (Spanned<String>, Expr);

/// `test "name" [AS-4] given … expect …`.
#[derive(Debug, Clone)]
pub struct Test {
    pub name: Spanned<String>,
    pub clauses: Vec<String>,
    pub base: Option<Spanned<String>>,
    pub given: Vec<Assignment>,
    pub expect: Vec<Spanned<Expectation>>,
}

/// One expectation of a policy test.
#[derive(Debug, Clone)]
pub enum Expectation {
    Grade(Option<Spanned<String>>),
    RouteIs(Vec<Spanned<String>>),
    RouteStartsWith(Spanned<String>),
    RouteHas(Spanned<String>),
    RouteLacks(Spanned<String>),
    Action(Spanned<String>, bool),
    Exempt(Spanned<String>, bool),
    Deadline(Spanned<String>, Option<Spanned<String>>),
    /// `warn d = t`, or `no warn d` (`None`): no warning for deadline `d` at all.
    Warning(Spanned<String>, Option<Spanned<String>>),
    Value(Spanned<String>, Option<Expr>),
    /// `refused a, b`: the ticket reader refuses the given ticket for these fields.
    Refused(Vec<Spanned<String>>),
}

/// A duration as written: `5 working days`, optionally `of calendar`.
#[derive(Debug, Clone)]
pub struct Duration {
    pub amount: rust_decimal::Decimal,
    pub unit: DurationUnit,
    pub calendar: Option<Spanned<String>>,
}

/// The units of `domain.md` §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Minutes,
    Hours,
    Days,
    WorkingMinutes,
    WorkingHours,
    WorkingDays,
}

/// An expression with its span.
pub type Expr = Spanned<ExprKind>;

/// The shapes of expressions.
#[derive(Debug, Clone)]
pub enum ExprKind {
    Bool(bool),
    Number(rust_decimal::Decimal, bool),
    Text(String),
    /// A date-time literal, kept as written until the checker knows the zone.
    Time(String),
    Duration(Duration),
    /// `{vip, gotone}` or `{"a", "b"}`.
    Set(Vec<Spanned<SetElement>>),
    /// A dotted name: a field, a `let`, or (in context) an enum value or grade.
    Path(String),
    Grade,
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Negate(Box<Expr>),
    Binary(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    /// `x in s`, `x not in s`.
    In(Box<Expr>, Box<Expr>, bool),
    /// `s has x`, `s lacks x`.
    Has(Box<Expr>, Box<Expr>, bool),
    Contains(Box<Expr>, Box<Expr>),
    /// `text mentions phrases [not after texts]`.
    Mentions(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    IsSet(Box<Expr>, bool),
    InWorkingHours(Box<Expr>, Option<Spanned<String>>),
    InWindow(Box<Expr>, Spanned<String>),
    WindowFrom(Spanned<String>, Box<Expr>),
    WindowEnd(Spanned<String>, Box<Expr>),
    SameDay(Box<Expr>),
    Call(Spanned<String>, Vec<Expr>),
    /// `deadline forward`: a deadline this decision has set.
    Deadline(Spanned<String>),
}

/// An element of a set literal.
#[derive(Debug, Clone)]
pub enum SetElement {
    Name(String),
    Text(String),
}
