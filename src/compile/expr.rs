//! Expressions compiled into typed closures: evaluating one never matches on a syntax tree,
//! a field is read in place, an enum `in` is a bit test, and text is borrowed, not copied.
//!
//! Every closure answers `None` for "unknown": an absent optional value, a rate whose
//! denominator is 0, or a problem (overflow, a date outside a calendar), which the closure
//! records in the context before answering.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::convert::to_i64;
use crate::eval::context::{Ctx, DeadlineState, Str, Texts};
use crate::eval::error::EvaluationErrorKind;
use crate::model::*;
use crate::phrase::{self, NotAfter, Phrase};
use crate::source::Span;
use crate::value::Value;

/// A compiled expression yielding `T`, or `None` when unknown.
pub(crate) type Code<T> = Arc<dyn Fn(&mut Ctx<'_>) -> Option<T> + Send + Sync + UnwindSafe + RefUnwindSafe>;
/// A compiled condition.
pub(crate) type BoolCode = Code<bool>;
/// A compiled time.
pub(crate) type TimeCode = Code<DateTime<Utc>>;
/// A compiled text, borrowed from the ticket where it comes from one.
pub(crate) type TextCode =
    Arc<dyn for<'t> Fn(&mut Ctx<'t>) -> Option<Str<'t>> + Send + Sync + UnwindSafe + RefUnwindSafe>;
/// A compiled set of texts.
pub(crate) type TextsCode =
    Arc<dyn for<'t> Fn(&mut Ctx<'t>) -> Option<Texts<'t>> + Send + Sync + UnwindSafe + RefUnwindSafe>;
/// A compiled expression of any type, as a [`Value`] (`Null` when unknown): for `let`s and
/// computed values, which are stored.
pub(crate) type ValueCode = Arc<dyn Fn(&mut Ctx<'_>) -> Value + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// What compiled code must be for a policy to be shared between threads and to survive a
/// host's `catch_unwind`: it holds no state of its own.
pub(crate) trait Shareable: Send + Sync + UnwindSafe + RefUnwindSafe {}

impl<T: Send + Sync + UnwindSafe + RefUnwindSafe> Shareable for T {}

/// A compiled expression, by the type the checker gave it.
pub(crate) enum Compiled {
    Bool(BoolCode),
    Int(Code<i64>),
    Decimal(Code<Decimal>),
    Text(TextCode),
    Time(TimeCode),
    Duration(Code<DurationSpec>),
    /// An enum value's index.
    Enum(Code<u16>),
    /// A set of enum values, or of grades, as bits.
    Bits(Code<u64>),
    Texts(TextsCode),
    Grade(Code<GradeId>),
}

/// An operand known when the policy is compiled, or computed per ticket.
pub(crate) enum Operand<T> {
    Const(T),
    Code(Code<T>),
}

/// What a condition read, for explaining why it held: compiled beside the condition and
/// walked only when a caller asks for the full trace.
pub(crate) enum FactPlan {
    /// `and`: the facts of every part.
    All(Vec<FactPlan>),
    /// `or`: the facts of the first part that holds.
    FirstTrue(Vec<(BoolCode, FactPlan)>),
    /// Anything else: the fields, `let`s and grade it reads.
    Reads(Vec<Read>),
}

/// One thing a condition reads.
pub(crate) enum Read {
    Field(FieldId),
    Let(LetId),
    Grade,
    /// A deadline this decision has set.
    Deadline(DeadlineId),
    /// A `mentions`: the phrase found, or else what it read.
    Mention {
        memo: usize,
        subject: Option<Subject>,
        otherwise: Vec<Read>,
    },
}

/// The field or `let` a text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Field(FieldId),
    Let(LetId),
}

/// Compiles the expressions of one model.
#[derive(Default)]
pub(crate) struct Compiler {
    /// The memo slot of each written-out `mentions`, by where it is written.
    mentions: HashMap<Span, usize>,
    /// The first memo slot this compiler hands out: past a program's own, when compiling
    /// an expression to run beside it.
    first_memo: usize,
}

fn code<T>(f: impl Fn(&mut Ctx<'_>) -> Option<T> + Shareable + 'static) -> Code<T> {
    Arc::new(f)
}

/// The checker types every expression; a node of the wrong type here is a bug in it, met
/// when a policy loads, never while deciding a ticket.
#[allow(clippy::panic)]
fn mistyped(e: &Expr, wanted: &str) -> ! {
    panic!("the checker typed {:?} as {:?}, not {wanted}", e.kind, e.ty)
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn as_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Time(t) => Some(*t),
        _ => None,
    }
}

fn as_duration(v: &Value) -> Option<DurationSpec> {
    match v {
        Value::Duration(d) => Some(*d),
        _ => None,
    }
}

fn as_enum(v: &Value) -> Option<u16> {
    match v {
        Value::Enum(i) => Some(*i),
        _ => None,
    }
}

fn as_bits(v: &Value) -> Option<u64> {
    match v {
        Value::EnumSet(b) => Some(*b),
        _ => None,
    }
}

fn as_grade(v: &Value) -> Option<GradeId> {
    match v {
        Value::Grade(g) => Some(*g),
        _ => None,
    }
}

/// Three-valued `and` (`decisive` false) and `or` (`decisive` true): one decisive part
/// settles it; otherwise any unknown part leaves it unknown.
fn kleene(parts: &[BoolCode], ctx: &mut Ctx<'_>, decisive: bool) -> Option<bool> {
    let mut unknown = false;
    for part in parts {
        match part(ctx) {
            Some(b) if b == decisive => return Some(decisive),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(!decisive)
}

impl Compiler {
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// A compiler for expressions evaluated beside a program whose code uses `memos` memo
    /// slots, so that theirs do not overlap.
    pub fn continuing(memos: usize) -> Compiler {
        Compiler { first_memo: memos, ..Compiler::default() }
    }

    /// How many `mentions` memo slots the compiled code uses (with those it continues).
    pub fn mention_slots(&self) -> usize {
        self.first_memo + self.mentions.len()
    }

    /// Compile by the expression's type.
    pub fn compile(&mut self, e: &Expr) -> Compiled {
        crate::limits::grow(|| self.compile_typed(e))
    }

    fn compile_typed(&mut self, e: &Expr) -> Compiled {
        match e.ty {
            Type::Bool => Compiled::Bool(self.bool(e)),
            Type::Int => Compiled::Int(self.int(e)),
            Type::Decimal => Compiled::Decimal(self.decimal(e)),
            Type::Text => Compiled::Text(self.text(e)),
            Type::Time => Compiled::Time(self.time(e)),
            Type::Duration(..) => {
                Compiled::Duration(self.read(e, as_duration).unwrap_or_else(|| mistyped(e, "a duration")))
            }
            Type::Enum(_) => Compiled::Enum(self.read(e, as_enum).unwrap_or_else(|| mistyped(e, "an enum"))),
            Type::EnumSet(_) => Compiled::Bits(self.bits(e)),
            Type::TextSet => Compiled::Texts(self.texts(e)),
            Type::Grade => Compiled::Grade(self.grade(e)),
        }
    }

    /// Compile into a stored value.
    pub fn value(&mut self, e: &Expr) -> ValueCode {
        match self.compile(e) {
            Compiled::Bool(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Bool)),
            Compiled::Int(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Int)),
            Compiled::Decimal(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Decimal)),
            Compiled::Text(f) => Arc::new(move |ctx| match f(ctx) {
                Some(Str::Shared(s)) => Value::Text(s),
                Some(Str::Borrowed(s)) => Value::Text(s.into()),
                None => Value::Null,
            }),
            Compiled::Time(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Time)),
            Compiled::Duration(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Duration)),
            Compiled::Enum(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Enum)),
            Compiled::Bits(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::EnumSet)),
            Compiled::Texts(f) => Arc::new(move |ctx| match f(ctx) {
                Some(Texts::Shared(s)) => Value::TextSet(s),
                Some(Texts::Borrowed(s)) => Value::TextSet(s.into()),
                None => Value::Null,
            }),
            Compiled::Grade(f) => Arc::new(move |ctx| f(ctx).map_or(Value::Null, Value::Grade)),
        }
    }

    /// Whether an expression of any type is known.
    fn known(&mut self, e: &Expr) -> BoolCode {
        match self.compile(e) {
            Compiled::Bool(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Int(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Decimal(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Text(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Time(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Duration(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Enum(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Bits(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Texts(f) => code(move |ctx| Some(f(ctx).is_some())),
            Compiled::Grade(f) => code(move |ctx| Some(f(ctx).is_some())),
        }
    }

    /// A constant, field or `let` read as `T`; `None` for other expressions.
    fn read<T: Clone + Shareable + 'static>(
        &self,
        e: &Expr,
        from: impl Fn(&Value) -> Option<T> + Copy + Shareable + 'static,
    ) -> Option<Code<T>> {
        match &e.kind {
            ExprKind::Const(v) => {
                let v = from(v);
                Some(code(move |_| v.clone()))
            }
            ExprKind::Field(id) => {
                let i = id.index();
                Some(code(move |ctx| from(ctx.slot(i))))
            }
            ExprKind::Let(id) => {
                let id = *id;
                Some(code(move |ctx| from(ctx.let_value(id))))
            }
            _ => None,
        }
    }

    fn operand<T: Clone + Shareable + 'static>(
        &mut self,
        e: &Expr,
        from: impl Fn(&Value) -> Option<T> + Copy + Shareable + 'static,
        compile: impl FnOnce(&mut Self, &Expr) -> Code<T>,
    ) -> Option<Operand<T>> {
        match &e.kind {
            ExprKind::Const(v) => from(v).map(Operand::Const),
            _ => Some(Operand::Code(compile(self, e))),
        }
    }

    // ------------------------------------------------------------ conditions

    pub fn bool(&mut self, e: &Expr) -> BoolCode {
        crate::limits::grow(|| self.condition(e))
    }

    fn condition(&mut self, e: &Expr) -> BoolCode {
        if let ExprKind::Let(id) = e.kind {
            return code(move |ctx| ctx.let_condition(id));
        }
        if let Some(f) = self.read(e, as_bool) {
            return f;
        }
        match &e.kind {
            ExprKind::Not(x) => {
                let f = self.bool(x);
                code(move |ctx| f(ctx).map(|b| !b))
            }
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let decisive = matches!(e.kind, ExprKind::Or(_));
                let parts: Vec<BoolCode> = parts.iter().map(|p| self.bool(p)).collect();
                code(move |ctx| kleene(&parts, ctx, decisive))
            }
            ExprKind::Compare { op, left, right } => self.compare(*op, left, right),
            ExprKind::In { element, set, negated } => self.membership(element, set, *negated),
            ExprKind::Contains { text, part } => {
                let text = self.text(text);
                match &part.kind {
                    ExprKind::Const(Value::Text(p)) => {
                        let p = p.clone();
                        code(move |ctx| Some(text(ctx)?.contains(&*p)))
                    }
                    _ => {
                        let part = self.text(part);
                        code(move |ctx| {
                            let t = text(ctx)?;
                            Some(t.contains(&*part(ctx)?))
                        })
                    }
                }
            }
            ExprKind::Mentions { text, phrases, not_after } => self.mentions(e.span, text, phrases, not_after),
            ExprKind::IsSet { value, set } => {
                let known = self.known(value);
                let set = *set;
                code(move |ctx| known(ctx).map(|k| k == set))
            }
            ExprKind::InWorkingHours { time, calendar } => {
                let time = self.time(time);
                let calendar = *calendar;
                code(move |ctx| {
                    let t = time(ctx)?;
                    ctx.calendar(calendar, |cal| cal.in_working_hours(t))
                })
            }
            ExprKind::First(parts) => {
                let parts: Vec<BoolCode> = parts.iter().map(|p| self.bool(p)).collect();
                first(parts)
            }
            ExprKind::InWindow { time, calendar, window } => {
                let time = self.time(time);
                let (calendar, window) = (*calendar, window.index());
                code(move |ctx| {
                    let t = time(ctx)?;
                    ctx.calendar(calendar, |cal| cal.in_window(t, window))
                })
            }
            _ => mistyped(e, "a condition"),
        }
    }

    fn compare(&mut self, op: CompareOp, left: &Expr, right: &Expr) -> BoolCode {
        match (left.ty, right.ty) {
            (Type::Int, Type::Int) => self.ordered(op, left, right, as_int, Self::int, Ord::cmp),
            (Type::Int | Type::Decimal, _) => self.ordered(op, left, right, Value::as_decimal, Self::decimal, Ord::cmp),
            (Type::Bool, _) => self.ordered(op, left, right, as_bool, Self::bool, Ord::cmp),
            (Type::Time, _) => self.ordered(op, left, right, as_time, Self::time, Ord::cmp),
            (Type::Enum(_), _) => {
                let read = |c: &mut Self, e: &Expr| c.read(e, as_enum).unwrap_or_else(|| mistyped(e, "an enum"));
                self.ordered(op, left, right, as_enum, read, Ord::cmp)
            }
            (Type::EnumSet(_), _) => self.ordered(op, left, right, as_bits, Self::bits, Ord::cmp),
            // Grade 0 is the most severe, so it orders highest.
            (Type::Grade, _) => self.ordered(op, left, right, as_grade, Self::grade, |a, b| b.cmp(a)),
            (Type::Duration(..), _) => {
                let read = |c: &mut Self, e: &Expr| c.read(e, as_duration).unwrap_or_else(|| mistyped(e, "a duration"));
                let l = self.operand(left, as_duration, read);
                let r = self.operand(right, as_duration, read);
                let (Some(l), Some(r)) = (l, r) else { return code(|_| None) };
                let l = Self::dynamic(l);
                let r = Self::dynamic(r);
                // Durations of different units do not compare.
                code(move |ctx| {
                    let (a, b) = (l(ctx)?, r(ctx)?);
                    (a.unit == b.unit && a.calendar == b.calendar).then(|| op.holds(a.amount.cmp(&b.amount)))
                })
            }
            (Type::Text, _) => {
                let l = self.text(left);
                match &right.kind {
                    ExprKind::Const(Value::Text(r)) => {
                        let r = r.clone();
                        code(move |ctx| Some(op.holds((*l(ctx)?).cmp(&*r))))
                    }
                    _ => {
                        let r = self.text(right);
                        code(move |ctx| {
                            let a = l(ctx)?;
                            Some(op.holds((*a).cmp(&*r(ctx)?)))
                        })
                    }
                }
            }
            (Type::TextSet, _) => {
                let (l, r) = (self.texts(left), self.texts(right));
                code(move |ctx| {
                    let a = l(ctx)?;
                    Some(op.holds((*a).cmp(&*r(ctx)?)))
                })
            }
        }
    }

    fn dynamic<T: Clone + Shareable + 'static>(operand: Operand<T>) -> Code<T> {
        match operand {
            Operand::Const(c) => code(move |_| Some(c.clone())),
            Operand::Code(f) => f,
        }
    }

    /// A comparison of two operands of one type, specialised for a constant on either side.
    fn ordered<T: Clone + Shareable + 'static>(
        &mut self,
        op: CompareOp,
        left: &Expr,
        right: &Expr,
        from: impl Fn(&Value) -> Option<T> + Copy + Shareable + 'static,
        compile: impl Fn(&mut Self, &Expr) -> Code<T> + Copy,
        order: fn(&T, &T) -> Ordering,
    ) -> BoolCode {
        let l = self.operand(left, from, compile);
        let r = self.operand(right, from, compile);
        match (l, r) {
            (Some(Operand::Code(l)), Some(Operand::Const(c))) => code(move |ctx| Some(op.holds(order(&l(ctx)?, &c)))),
            (Some(Operand::Const(c)), Some(Operand::Code(r))) => code(move |ctx| Some(op.holds(order(&c, &r(ctx)?)))),
            (Some(l), Some(r)) => {
                let (l, r) = (Self::dynamic(l), Self::dynamic(r));
                code(move |ctx| {
                    let a = l(ctx)?;
                    Some(op.holds(order(&a, &r(ctx)?)))
                })
            }
            _ => code(|_| None),
        }
    }

    /// `x in set`, `set has x`, negated for `not in` and `lacks`.
    fn membership(&mut self, element: &Expr, set: &Expr, negated: bool) -> BoolCode {
        match element.ty {
            Type::Enum(_) | Type::Grade => {
                let index: Code<u64> = match element.ty {
                    Type::Grade => {
                        let g = self.grade(element);
                        code(move |ctx| g(ctx).map(|g| g.index() as u64))
                    }
                    _ => {
                        let e = self.read(element, as_enum).unwrap_or_else(|| mistyped(element, "an enum"));
                        code(move |ctx| e(ctx).map(u64::from))
                    }
                };
                // Sets hold at most 64 values; an index past them is in no set.
                let member = |bits: u64, i: u64| {
                    u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)).is_some_and(|m| bits & m != 0)
                };
                match &set.kind {
                    ExprKind::Const(Value::EnumSet(bits)) => {
                        let bits = *bits;
                        code(move |ctx| Some(member(bits, index(ctx)?) != negated))
                    }
                    _ => {
                        let bits = self.bits(set);
                        code(move |ctx| {
                            let i = index(ctx)?;
                            Some(member(bits(ctx)?, i) != negated)
                        })
                    }
                }
            }
            Type::Text => {
                let (element, set) = (self.text(element), self.texts(set));
                code(move |ctx| {
                    let t = element(ctx)?;
                    let found = set(ctx)?.binary_search_by(|s| (**s).cmp(&*t)).is_ok();
                    Some(found != negated)
                })
            }
            _ => mistyped(element, "an enum value, a grade or a text"),
        }
    }

    fn mentions(&mut self, span: Span, text: &Expr, phrases: &Phrases, not_after: &NotAfter) -> BoolCode {
        let memo = self.memo(span);
        let text = self.text(text);
        let not_after = not_after.clone();
        match phrases {
            Phrases::Written(phrases) => {
                let phrases = phrases.clone();
                code(move |ctx| {
                    let t = text(ctx)?;
                    let found = phrase::first_mentioned(&t, &phrases, &not_after, &mut ctx.scratch.normalized)
                        .map(|p| p.text.clone());
                    let hit = found.is_some();
                    ctx.scratch.mentions[memo] = Some(found);
                    Some(hit)
                })
            }
            Phrases::Computed(e) => {
                let phrases: TextsCode = match e.ty {
                    Type::Text => {
                        let one = self.text(e);
                        Arc::new(move |ctx| {
                            let p: Arc<str> = Arc::from(&*one(ctx)?);
                            Some(Texts::Shared(Arc::from(vec![p])))
                        })
                    }
                    _ => self.texts(e),
                };
                code(move |ctx| {
                    let t = text(ctx)?;
                    let prepared: Vec<Phrase> = phrases(ctx)?.iter().cloned().map(Phrase::new).collect();
                    let found = phrase::first_mentioned(&t, &prepared, &not_after, &mut ctx.scratch.normalized)
                        .map(|p| p.text.clone());
                    let hit = found.is_some();
                    ctx.scratch.mentions[memo] = Some(found);
                    Some(hit)
                })
            }
        }
    }

    fn memo(&mut self, span: Span) -> usize {
        let next = self.first_memo + self.mentions.len();
        *self.mentions.entry(span).or_insert(next)
    }

    // ------------------------------------------------------------ numbers

    fn int(&mut self, e: &Expr) -> Code<i64> {
        if let Some(f) = self.read(e, as_int) {
            return f;
        }
        match &e.kind {
            ExprKind::Negate(x) => {
                let x = self.int(x);
                code(move |ctx| match x(ctx)?.checked_neg() {
                    Some(n) => Some(n),
                    None => ctx.problem(EvaluationErrorKind::Overflow { op: ArithOp::Sub }),
                })
            }
            ExprKind::Arith { op, left, right } => {
                let (l, r, op) = (self.int(left), self.int(right), *op);
                code(move |ctx| {
                    let (a, b) = (l(ctx)?, r(ctx)?);
                    let result = match op {
                        ArithOp::Add => a.checked_add(b),
                        ArithOp::Sub => a.checked_sub(b),
                        ArithOp::Mul => a.checked_mul(b),
                        // Division is typed decimal by the checker.
                        ArithOp::Div => return None,
                    };
                    match result {
                        Some(n) => Some(n),
                        None => ctx.problem(EvaluationErrorKind::Overflow { op }),
                    }
                })
            }
            ExprKind::Count(x) => match self.compile(x) {
                Compiled::Bits(f) => code(move |ctx| f(ctx).map(|b| i64::from(b.count_ones()))),
                Compiled::Texts(f) => code(move |ctx| f(ctx).map(|t| to_i64(t.len()))),
                Compiled::Text(f) => code(move |ctx| f(ctx).map(|t| to_i64(t.chars().count()))),
                _ => mistyped(x, "a set or a text"),
            },
            ExprKind::First(parts) => first(parts.iter().map(|p| self.int(p)).collect()),
            ExprKind::Min(parts) | ExprKind::Max(parts) => {
                let parts: Vec<Code<i64>> = parts.iter().map(|p| self.int(p)).collect();
                let min = matches!(e.kind, ExprKind::Min(_));
                code(move |ctx| extreme(&parts, ctx, min))
            }
            _ => mistyped(e, "a whole number"),
        }
    }

    fn decimal(&mut self, e: &Expr) -> Code<Decimal> {
        if e.ty == Type::Int {
            let f = self.int(e);
            return code(move |ctx| f(ctx).map(Decimal::from));
        }
        if let Some(f) = self.read(e, Value::as_decimal) {
            return f;
        }
        match &e.kind {
            ExprKind::Negate(x) => {
                let x = self.decimal(x);
                code(move |ctx| x(ctx).map(|d| -d))
            }
            ExprKind::Arith { op, left, right } => {
                let (l, r, op) = (self.decimal(left), self.decimal(right), *op);
                code(move |ctx| {
                    let (a, b) = (l(ctx)?, r(ctx)?);
                    let result = match op {
                        ArithOp::Add => a.checked_add(b),
                        ArithOp::Sub => a.checked_sub(b),
                        ArithOp::Mul => a.checked_mul(b),
                        // A rate whose denominator is 0 is not computed (domain.md §3).
                        ArithOp::Div if b.is_zero() => return None,
                        ArithOp::Div => a.checked_div(b),
                    };
                    match result {
                        Some(d) => Some(d),
                        None => ctx.problem(EvaluationErrorKind::Overflow { op }),
                    }
                })
            }
            ExprKind::Round { value, places } => {
                let (x, places) = (self.decimal(value), *places);
                code(move |ctx| {
                    let mut rounded = x(ctx)?.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
                    rounded.rescale(places);
                    Some(rounded)
                })
            }
            ExprKind::First(parts) => first(parts.iter().map(|p| self.decimal(p)).collect()),
            ExprKind::Min(parts) | ExprKind::Max(parts) => {
                let parts: Vec<Code<Decimal>> = parts.iter().map(|p| self.decimal(p)).collect();
                let min = matches!(e.kind, ExprKind::Min(_));
                code(move |ctx| extreme(&parts, ctx, min))
            }
            _ => mistyped(e, "a decimal number"),
        }
    }

    // ------------------------------------------------------------ times

    pub fn time(&mut self, e: &Expr) -> TimeCode {
        if let Some(f) = self.read(e, as_time) {
            return f;
        }
        match &e.kind {
            ExprKind::Shift { time, by, back } => {
                let time = self.time(time);
                let back = *back;
                match self.duration(by) {
                    Operand::Const(d) => code(move |ctx| {
                        let t = time(ctx)?;
                        ctx.shift(t, &d, back)
                    }),
                    Operand::Code(by) => code(move |ctx| {
                        let t = time(ctx)?;
                        let d = by(ctx)?;
                        ctx.shift(t, &d, back)
                    }),
                }
            }
            ExprKind::SameDay { time, calendar } => {
                let (time, calendar) = (self.time(time), *calendar);
                code(move |ctx| {
                    let t = time(ctx)?;
                    ctx.calendar(calendar, |cal| cal.same_day(t))
                })
            }
            ExprKind::WindowFrom { time, calendar, window } | ExprKind::WindowEnd { time, calendar, window } => {
                let time = self.time(time);
                let (calendar, window) = (*calendar, window.index());
                let end = matches!(e.kind, ExprKind::WindowEnd { .. });
                code(move |ctx| {
                    let t = time(ctx)?;
                    ctx.calendar(
                        calendar,
                        |cal| {
                            if end {
                                cal.window_end(t, window)
                            } else {
                                cal.window_from(t, window)
                            }
                        },
                    )
                })
            }
            ExprKind::First(parts) => first(parts.iter().map(|p| self.time(p)).collect()),
            ExprKind::Deadline(id) => {
                let id = *id;
                code(move |ctx| match ctx.scratch.deadlines.get(id.index()).copied() {
                    Some(DeadlineState::At(t)) => Some(t),
                    Some(DeadlineState::Problem) => {
                        let deadline = ctx.program.model.deadline_name(id).clone();
                        ctx.problem(EvaluationErrorKind::AnchoredOn { deadline })
                    }
                    _ => None,
                })
            }
            ExprKind::Min(parts) | ExprKind::Max(parts) => {
                let parts: Vec<TimeCode> = parts.iter().map(|p| self.time(p)).collect();
                let min = matches!(e.kind, ExprKind::Min(_));
                code(move |ctx| extreme(&parts, ctx, min))
            }
            _ => mistyped(e, "a time"),
        }
    }

    /// A duration: written out in the policy, or read from a ticket.
    pub fn duration(&mut self, e: &Expr) -> Operand<DurationSpec> {
        match &e.kind {
            ExprKind::Const(Value::Duration(d)) => Operand::Const(*d),
            _ => Operand::Code(self.read(e, as_duration).unwrap_or_else(|| mistyped(e, "a duration"))),
        }
    }

    // ------------------------------------------------------------ texts, sets, grades

    pub fn text(&mut self, e: &Expr) -> TextCode {
        match &e.kind {
            ExprKind::Const(Value::Text(t)) => {
                let t = t.clone();
                Arc::new(move |_| Some(Str::Shared(t.clone())))
            }
            ExprKind::Field(id) => {
                let i = id.index();
                Arc::new(move |ctx| match ctx.slot(i) {
                    Value::Text(t) => Some(Str::Borrowed(t)),
                    _ => None,
                })
            }
            ExprKind::Let(id) => {
                let id = *id;
                Arc::new(move |ctx| match ctx.let_value(id) {
                    Value::Text(t) => Some(Str::Shared(t.clone())),
                    _ => None,
                })
            }
            _ => mistyped(e, "a text"),
        }
    }

    fn texts(&mut self, e: &Expr) -> TextsCode {
        match &e.kind {
            ExprKind::Const(Value::TextSet(t)) => {
                let t = t.clone();
                Arc::new(move |_| Some(Texts::Shared(t.clone())))
            }
            ExprKind::Field(id) => {
                let i = id.index();
                Arc::new(move |ctx| match ctx.slot(i) {
                    Value::TextSet(t) => Some(Texts::Borrowed(t)),
                    _ => None,
                })
            }
            ExprKind::Let(id) => {
                let id = *id;
                Arc::new(move |ctx| match ctx.let_value(id) {
                    Value::TextSet(t) => Some(Texts::Shared(t.clone())),
                    _ => None,
                })
            }
            _ => mistyped(e, "a set of texts"),
        }
    }

    fn bits(&mut self, e: &Expr) -> Code<u64> {
        self.read(e, as_bits).unwrap_or_else(|| mistyped(e, "a set of values"))
    }

    fn grade(&mut self, e: &Expr) -> Code<GradeId> {
        match &e.kind {
            ExprKind::Grade => code(|ctx| ctx.grade),
            _ => self.read(e, as_grade).unwrap_or_else(|| mistyped(e, "a grade")),
        }
    }

    // ------------------------------------------------------------ facts

    /// What a condition reads, for the full trace.
    pub fn facts(&mut self, e: &Expr) -> FactPlan {
        crate::limits::grow(|| self.fact_plan(e))
    }

    fn fact_plan(&mut self, e: &Expr) -> FactPlan {
        match &e.kind {
            ExprKind::And(parts) => FactPlan::All(parts.iter().map(|p| self.facts(p)).collect()),
            ExprKind::Or(parts) => FactPlan::FirstTrue(parts.iter().map(|p| (self.bool(p), self.facts(p))).collect()),
            _ => {
                let mut reads = Vec::new();
                self.reads(e, &mut reads);
                FactPlan::Reads(reads)
            }
        }
    }

    fn reads(&mut self, e: &Expr, out: &mut Vec<Read>) {
        crate::limits::grow(|| self.reads_of(e, out))
    }

    fn reads_of(&mut self, e: &Expr, out: &mut Vec<Read>) {
        match &e.kind {
            ExprKind::Const(_) => {}
            ExprKind::Field(id) => out.push(Read::Field(*id)),
            ExprKind::Let(id) => out.push(Read::Let(*id)),
            ExprKind::Grade => out.push(Read::Grade),
            ExprKind::Deadline(id) => out.push(Read::Deadline(*id)),
            ExprKind::Mentions { text, phrases, .. } => {
                let memo = self.memo(e.span);
                let subject = match text.kind {
                    ExprKind::Field(f) => Some(Subject::Field(f)),
                    ExprKind::Let(l) => Some(Subject::Let(l)),
                    _ => None,
                };
                let mut otherwise = Vec::new();
                self.reads(text, &mut otherwise);
                if let Phrases::Computed(p) = phrases {
                    self.reads(p, &mut otherwise);
                }
                out.push(Read::Mention { memo, subject, otherwise });
            }
            ExprKind::Not(x) | ExprKind::Negate(x) | ExprKind::Count(x) => self.reads(x, out),
            ExprKind::IsSet { value: x, .. } | ExprKind::Round { value: x, .. } => self.reads(x, out),
            ExprKind::InWorkingHours { time, .. }
            | ExprKind::InWindow { time, .. }
            | ExprKind::WindowFrom { time, .. }
            | ExprKind::WindowEnd { time, .. }
            | ExprKind::SameDay { time, .. } => self.reads(time, out),
            ExprKind::And(ps) | ExprKind::Or(ps) | ExprKind::Min(ps) | ExprKind::Max(ps) | ExprKind::First(ps) => {
                ps.iter().for_each(|p| self.reads(p, out))
            }
            ExprKind::Arith { left: a, right: b, .. }
            | ExprKind::Shift { time: a, by: b, .. }
            | ExprKind::Compare { left: a, right: b, .. }
            | ExprKind::In { element: a, set: b, .. }
            | ExprKind::Contains { text: a, part: b } => {
                self.reads(a, out);
                self.reads(b, out);
            }
        }
    }
}

/// The first of `parts` that is known; one that could not be reckoned (it recorded a
/// problem) ends the search, so a chain never falls back past a problem (`domain.md` §2).
fn first<T: 'static>(parts: Vec<Code<T>>) -> Code<T> {
    code(move |ctx| {
        for part in &parts {
            let problems = ctx.problems.len();
            if let Some(v) = part(ctx) {
                return Some(v);
            }
            if ctx.problems.len() > problems {
                return None;
            }
        }
        None
    })
}

/// The least (`min`) or greatest of known values; unknown if any is.
fn extreme<T: Ord>(parts: &[Code<T>], ctx: &mut Ctx<'_>, min: bool) -> Option<T> {
    let mut best: Option<T> = None;
    for part in parts {
        let v = part(ctx)?;
        best = match best {
            Some(b) if (v < b) != min || v == b => Some(b),
            _ => Some(v),
        };
    }
    best
}
