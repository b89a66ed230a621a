//! Type checking of expressions.
//!
//! A bare name such as `vip` is resolved by context: a field or `let` when one has that
//! name, otherwise a value of the enum (or grade) on the other side of the comparison.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{list, Checker};
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::model::*;
use crate::phrase::{self, NotAfter, Phrase};
use crate::source::Span;
use crate::syntax::ast::{self, ArithOp, CompareOp, DurationUnit, SetElement};
use crate::value::Value;

type Typed = Option<(Expr, Type)>;

/// The texts of a constant text or set of texts.
fn constant_texts(e: &Expr) -> Option<&[Arc<str>]> {
    match &e.kind {
        ExprKind::Const(Value::Text(p)) => Some(std::slice::from_ref(p)),
        ExprKind::Const(Value::TextSet(ps)) => Some(ps),
        _ => None,
    }
}

fn typed(kind: ExprKind, span: Span, ty: Type) -> Typed {
    Some((Expr { kind, span, ty }, ty))
}

impl Checker {
    pub(crate) fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "a yes/no flag (`bool`)".into(),
            Type::Int => "a whole number (`int`)".into(),
            Type::Decimal => "a decimal number".into(),
            Type::Text => "text".into(),
            Type::Time => "a time".into(),
            Type::Duration(unit, calendar) => {
                let on = |c: Option<CalendarId>| match c.and_then(|c| self.calendars.get(c.index())) {
                    Some(cal) => format!(" on calendar `{}`", cal.name),
                    None => String::new(),
                };
                match unit {
                    Unit::Clock => "a duration of clock time (`min`, `h`)".into(),
                    Unit::Days => format!("a number of calendar days{}", on(calendar)),
                    Unit::WorkingTime => format!("a duration of working time{}", on(calendar)),
                    Unit::WorkingDays => format!("a number of working days{}", on(calendar)),
                }
            }
            Type::Enum(e) => format!("one of {}", self.enum_values(e)),
            Type::EnumSet(e) => format!("a set of {}", self.enum_values(e)),
            Type::TextSet => "a set of texts".into(),
            Type::Grade => "a grade".into(),
        }
    }

    fn enum_values(&self, e: EnumId) -> String {
        let values = &self.enums[e.index()].values;
        let shown: Vec<&str> = values.iter().take(4).map(|v| &*v.name).collect();
        let more = if values.len() > 4 { ", …" } else { "" };
        format!("({}{more})", shown.join(", "))
    }

    /// An error for a `{m-n}` in a phrase of the policy that is not a gap (a phrase from a
    /// ticket is read as it is: its braces are punctuation).
    fn gap_written(&mut self, span: Span, phrase: &str) {
        if let Some((at, why)) = phrase::malformed_gap(phrase) {
            let written: String = phrase[at..].chars().take_while(|&c| c != '}').chain(['}']).collect();
            self.diags.push(
                Diagnostic::error("bad_gap", format!("`{written}` in \"{phrase}\" is not a gap: {why}"))
                    .label(span, "in this phrase")
                    .help("`{0-8}` stands for 0 to 8 characters of one clause, `XX` for 1 to 12"),
            );
        }
    }

    /// The texts of `mentions … not after {…}`: written in the policy, and fixed (a gap
    /// before an occurrence would be no rule a policy owner could read).
    fn not_after(&mut self, texts: &ast::Expr) -> Option<NotAfter> {
        let (checked, ty) = self.expr(texts, Some(Type::TextSet))?;
        let Some(written) = constant_texts(&checked) else {
            let help = "write the texts out: `transcript mentions {\"撤销{0-8}投诉\"} not after {\"是否\", \"确认\"}`";
            if matches!(ty, Type::Text | Type::TextSet) {
                self.diags.push(
                    Diagnostic::error("not_after_computed", "`not after` takes texts written in the policy")
                        .label(texts.span, "this is computed per ticket")
                        .help(help),
                );
            } else {
                self.mismatch(texts.span, "a text or a set of texts", ty, help);
            }
            return None;
        };
        if let Some(gap) = written.iter().find(|t| phrase::has_gap(t) || phrase::malformed_gap(t).is_some()) {
            self.diags.push(
                Diagnostic::error("not_after_gap", format!("\"{gap}\" holds a gap, and `not after` texts are fixed"))
                    .label(texts.span, "in these texts")
                    .help("list each text that may come straight before the phrase: `not after {\"是否\", \"确认\"}`"),
            );
            return None;
        }
        Some(NotAfter::new(written.iter().map(|t| &**t)))
    }

    fn mismatch(&mut self, span: Span, expected: &str, found: Type, help: &str) {
        let found = self.type_name(found);
        self.diags.push(
            Diagnostic::error("type_mismatch", format!("expected {expected}, found {found}"))
                .label(span, format!("this is {found}"))
                .help(help),
        );
    }

    /// Check `e` and require a type.
    pub(crate) fn expect_type(&mut self, e: &ast::Expr, want: Type) -> Typed {
        let (expr, ty) = self.expr(e, Some(want))?;
        let compatible = ty == want || (want == Type::Decimal && ty == Type::Int);
        if !compatible {
            let expected = self.type_name(want);
            let help = match (want, ty) {
                (Type::Bool, Type::Int | Type::Decimal) => "compare it with something: `score >= 3`",
                (Type::Bool, Type::Enum(_)) => "compare it with one of its values: `urgency = urgent`",
                (Type::Bool, Type::EnumSet(_) | Type::TextSet) => {
                    "ask whether it holds a value: `category has billing`"
                }
                (Type::Time, Type::Duration(..)) => {
                    "a deadline is an instant: add the duration to a time, `received_at + 2 h`"
                }
                _ => "check which field or value is meant here",
            };
            self.mismatch(e.span, &expected, ty, help);
            return None;
        }
        Some((expr, ty))
    }

    /// Check an expression; `hint` is the type the context wants, used to resolve bare
    /// names and set literals.
    pub(crate) fn expr(&mut self, e: &ast::Expr, hint: Option<Type>) -> Typed {
        crate::limits::grow(|| self.check_expr(e, hint))
    }

    fn check_expr(&mut self, e: &ast::Expr, hint: Option<Type>) -> Typed {
        let span = e.span;
        match &e.node {
            ast::ExprKind::Bool(b) => typed(ExprKind::Const(Value::Bool(*b)), span, Type::Bool),
            ast::ExprKind::Number(d, point) => {
                if *point || hint == Some(Type::Decimal) {
                    typed(ExprKind::Const(Value::Decimal(*d)), span, Type::Decimal)
                } else {
                    match d.to_i64() {
                        Some(i) => typed(ExprKind::Const(Value::Int(i)), span, Type::Int),
                        None => typed(ExprKind::Const(Value::Decimal(*d)), span, Type::Decimal),
                    }
                }
            }
            ast::ExprKind::Text(t) => typed(ExprKind::Const(Value::Text(t.as_str().into())), span, Type::Text),
            ast::ExprKind::Time(t) => {
                let at = self.time_literal(t, span)?;
                typed(ExprKind::Const(Value::Time(at)), span, Type::Time)
            }
            ast::ExprKind::Duration(d) => {
                let spec = self.duration(d, span)?;
                typed(ExprKind::Const(Value::Duration(spec)), span, Type::Duration(spec.unit, spec.calendar))
            }
            ast::ExprKind::Set(elements) => self.set_literal(elements, span, hint),
            ast::ExprKind::Path(p) => self.path(p, span, hint),
            ast::ExprKind::Grade => {
                self.uses_grade = true;
                if self.grades.is_empty() {
                    self.diags.push(
                        Diagnostic::error("unknown_grade", "this policy has no grades")
                            .label(span, "nothing to read here")
                            .help("declare the scale first: `grades I > II > III, default III`"),
                    );
                    return None;
                }
                typed(ExprKind::Grade, span, Type::Grade)
            }
            ast::ExprKind::Not(inner) => {
                let (inner, _) = self.expect_type(inner, Type::Bool)?;
                typed(ExprKind::Not(Box::new(inner)), span, Type::Bool)
            }
            ast::ExprKind::And(parts) | ast::ExprKind::Or(parts) => {
                let checked: Vec<Option<(Expr, Type)>> =
                    parts.iter().map(|p| self.expect_type(p, Type::Bool)).collect();
                let checked: Vec<Expr> =
                    checked.into_iter().collect::<Option<Vec<_>>>()?.into_iter().map(|(e, _)| e).collect();
                let kind = if matches!(e.node, ast::ExprKind::And(_)) {
                    ExprKind::And(checked)
                } else {
                    ExprKind::Or(checked)
                };
                typed(kind, span, Type::Bool)
            }
            ast::ExprKind::Negate(inner) => {
                let (inner, ty) = self.expr(inner, hint)?;
                if !ty.is_numeric() {
                    self.mismatch(inner.span, "a number", ty, "only numbers can be negated");
                    return None;
                }
                typed(ExprKind::Negate(Box::new(inner)), span, ty)
            }
            ast::ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
            ast::ExprKind::Compare(op, l, r) => self.compare(*op, l, r, span),
            ast::ExprKind::In(x, set, negated) => self.membership(x, set, *negated, span),
            ast::ExprKind::Has(set, x, negated) => self.membership(x, set, *negated, span),
            ast::ExprKind::Contains(t, x) => {
                let (t_checked, t_ty) = self.expr(t, None)?;
                if t_ty != Type::Text {
                    let help = if matches!(t_ty, Type::EnumSet(_) | Type::TextSet) {
                        "to ask whether a set holds a value, write `has`: `category has billing`"
                    } else {
                        "`contains` looks for text inside text"
                    };
                    self.mismatch(t.span, "text", t_ty, help);
                    return None;
                }
                let (x, _) = self.expect_type(x, Type::Text)?;
                typed(ExprKind::Contains { text: Box::new(t_checked), part: Box::new(x) }, span, Type::Bool)
            }
            ast::ExprKind::Mentions(t, x, not_after) => {
                let (t, _) = self.expect_type(t, Type::Text)?;
                let (x_checked, x_ty) = self.expr(x, Some(Type::TextSet))?;
                if !matches!(x_ty, Type::Text | Type::TextSet) {
                    self.mismatch(
                        x.span,
                        "a phrase or a set of phrases",
                        x_ty,
                        "write `transcript mentions {\"请你不要投诉\", \"请你撤消投诉\"}`",
                    );
                    return None;
                }
                let phrases = match constant_texts(&x_checked) {
                    Some(texts) => {
                        for text in texts {
                            self.gap_written(x.span, text);
                        }
                        Phrases::Written(texts.iter().cloned().map(Phrase::new).collect())
                    }
                    None => Phrases::Computed(Box::new(x_checked)),
                };
                let not_after = match not_after {
                    Some(n) => self.not_after(n)?,
                    None => NotAfter::default(),
                };
                typed(ExprKind::Mentions { text: Box::new(t), phrases, not_after }, span, Type::Bool)
            }
            ast::ExprKind::IsSet(x, set) => {
                let (x, _) = self.expr(x, None)?;
                typed(ExprKind::IsSet { value: Box::new(x), set: *set }, span, Type::Bool)
            }
            ast::ExprKind::InWorkingHours(x, calendar) => {
                let (x, _) = self.expect_type(x, Type::Time)?;
                let cal = self.calendar_or_default(calendar.as_ref(), span, "working hours")?;
                typed(ExprKind::InWorkingHours { time: Box::new(x), calendar: cal }, span, Type::Bool)
            }
            ast::ExprKind::InWindow(x, window)
            | ast::ExprKind::WindowFrom(window, x)
            | ast::ExprKind::WindowEnd(window, x) => {
                let (x, _) = self.expect_type(x, Type::Time)?;
                let (calendar, window) = self.window(window)?;
                let time = Box::new(x);
                match &e.node {
                    ast::ExprKind::InWindow(..) => {
                        typed(ExprKind::InWindow { time, calendar, window }, span, Type::Bool)
                    }
                    ast::ExprKind::WindowFrom(..) => {
                        typed(ExprKind::WindowFrom { time, calendar, window }, span, Type::Time)
                    }
                    _ => typed(ExprKind::WindowEnd { time, calendar, window }, span, Type::Time),
                }
            }
            ast::ExprKind::SameDay(x) => {
                let (x, _) = self.expect_type(x, Type::Time)?;
                let cal = self.calendar_or_default(None, span, "`same day`")?;
                typed(ExprKind::SameDay { time: Box::new(x), calendar: cal }, span, Type::Time)
            }
            ast::ExprKind::Call(name, args) => self.call(name, args, span),
            ast::ExprKind::Deadline(name) => {
                // Rules run in file order: a deadline can be read once a rule before has set it.
                match self.deadlines.iter().position(|d| **d == *name.node).and_then(DeadlineId::new) {
                    Some(id) => typed(ExprKind::Deadline(id), span, Type::Time),
                    None => {
                        // A fragment is checked against the whole policy: every deadline is
                        // known, and the order of rules is no excuse.
                        let (message, label, otherwise) = if self.whole_policy {
                            (
                                format!("no rule sets deadline `{}`", name.node),
                                "not a deadline of this policy",
                                format!("its deadlines are {}", list(self.deadlines.iter().map(|d| &**d))),
                            )
                        } else {
                            (
                                format!("no rule before this one sets deadline `{}`", name.node),
                                "not set yet",
                                "rules run in file order; move the rule that sets it above this one".to_string(),
                            )
                        };
                        self.diags.push(
                            Diagnostic::error("unknown_deadline", message).label(name.span, label).help(
                                did_you_mean(&name.node, self.deadlines.iter().map(|d| &**d)).unwrap_or(otherwise),
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    fn path(&mut self, p: &str, span: Span, hint: Option<Type>) -> Typed {
        // A value of the enum the context wants wins over a field or `let` of another type
        // with the same name: in `kind = complaint`, `complaint` is the kind.
        if let Some(Type::Enum(e)) = hint {
            let same_type_name = self
                .field_index
                .get(p)
                .map(|&s| self.fields[s.index()].ty)
                .or(self.let_index.get(p).map(|&l| self.lets[l.index()].ty))
                == hint;
            if let (Some(i), false) = (self.enums[e.index()].index(p), same_type_name) {
                return typed(ExprKind::Const(Value::Enum(i)), span, Type::Enum(e));
            }
        }
        if let Some(&id) = self.field_index.get(p) {
            self.field_used[id.index()] = true;
            return typed(ExprKind::Field(id), span, self.fields[id.index()].ty);
        }
        if let Some(&id) = self.let_index.get(p) {
            self.let_used[id.index()] = true;
            self.uses_grade |= self.let_uses_grade[id.index()];
            self.deepest_let = self.deepest_let.max(self.let_depth.get(id.index()).copied().unwrap_or(0));
            return typed(ExprKind::Let(id), span, self.lets[id.index()].ty);
        }
        match hint {
            Some(Type::Enum(e)) => {
                if let Some(i) = self.enums[e.index()].index(p) {
                    return typed(ExprKind::Const(Value::Enum(i)), span, Type::Enum(e));
                }
                let values = &self.enums[e.index()].values;
                let help = did_you_mean(p, values.iter().map(|v| &*v.name))
                    .unwrap_or_else(|| format!("the values are {}", list(values.iter().map(|v| &*v.name))));
                self.diags.push(
                    Diagnostic::error(
                        "unknown_enum_value",
                        match self.fields.iter().find(|f| matches!(f.ty, Type::Enum(x) | Type::EnumSet(x) if x == e)) {
                            Some(field) => format!("`{p}` is not a value of `{}`", field.path),
                            None => format!("`{p}` is not one of the values this is compared with"),
                        },
                    )
                    .label(span, "unknown value")
                    .help(help),
                );
                return None;
            }
            Some(Type::EnumSet(e)) if self.enums[e.index()].index(p).is_some() => {
                let set = self.fields.iter().find(|f| f.ty == Type::EnumSet(e)).map_or("the set", |f| &*f.path);
                self.diags.push(
                    Diagnostic::error("type_mismatch", format!("`{p}` is one value, and `{set}` is a set of values"))
                        .label(span, "one value")
                        .help(format!("ask whether the set holds it: `{set} has {p}`")),
                );
                return None;
            }
            Some(Type::Grade) => {
                let grade = self.grade_ref(&crate::source::Spanned::new(p.to_string(), span))?;
                return typed(ExprKind::Const(Value::Grade(grade)), span, Type::Grade);
            }
            _ => {}
        }
        let names: Vec<&str> = self.fields.iter().map(|f| &*f.path).chain(self.lets.iter().map(|l| &*l.name)).collect();
        let help = did_you_mean(p, names).unwrap_or_else(|| {
            "declare it in the `ticket` block, or define it with `let`; a value of an enum must be compared with a field of that enum".into()
        });
        self.diags.push(
            Diagnostic::error("unknown_field", format!("unknown field `{p}`"))
                .label(span, "not a field of the ticket")
                .help(help),
        );
        None
    }

    /// Whether an expression is a bare name that only context can resolve.
    fn is_contextual(&self, e: &ast::Expr) -> bool {
        match &e.node {
            ast::ExprKind::Path(p) => !self.field_index.contains_key(p) && !self.let_index.contains_key(p),
            ast::ExprKind::Set(_) => true,
            _ => false,
        }
    }

    fn binary(&mut self, op: ArithOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Typed {
        let (left, lt) = self.expr(l, None)?;
        let (right, rt) = self.expr(r, Some(lt))?;
        match (lt, rt) {
            (Type::Time, Type::Duration(..)) if matches!(op, ArithOp::Add | ArithOp::Sub) => {
                let kind = ExprKind::Shift { time: Box::new(left), by: Box::new(right), back: op == ArithOp::Sub };
                typed(kind, span, Type::Time)
            }
            (Type::Duration(..), Type::Time) if op == ArithOp::Add => {
                typed(ExprKind::Shift { time: Box::new(right), by: Box::new(left), back: false }, span, Type::Time)
            }
            (a, b) if a.is_numeric() && b.is_numeric() => {
                let ty = if op == ArithOp::Div || a == Type::Decimal || b == Type::Decimal {
                    Type::Decimal
                } else {
                    Type::Int
                };
                typed(ExprKind::Arith { op, left: Box::new(left), right: Box::new(right) }, span, ty)
            }
            (a, b) => {
                let (a, b) = (self.type_name(a), self.type_name(b));
                self.diags.push(
                    Diagnostic::error("type_mismatch", format!("cannot do arithmetic on {a} and {b}"))
                        .label(l.span, a)
                        .label(r.span, b)
                        .help("numbers combine with `+ - * /`; a time takes `+` or `-` a duration, e.g. `received_at + 2 h`"),
                );
                None
            }
        }
    }

    fn compare(&mut self, op: CompareOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Typed {
        // Check the side that stands on its own first, so `complaint = kind` resolves too.
        let swap = self.is_contextual(l) && !self.is_contextual(r);
        let (first, second) = if swap { (r, l) } else { (l, r) };
        let (a, at) = self.expr(first, None)?;
        let (b, bt) = self.expr(second, Some(at))?;
        let (left, lt, right, rt) = if swap { (b, bt, a, at) } else { (a, at, b, bt) };
        let same = lt == rt || (lt.is_numeric() && rt.is_numeric());
        let ordered = matches!(lt, Type::Int | Type::Decimal | Type::Time | Type::Duration(..) | Type::Grade);
        if !same {
            let (a, b) = (self.type_name(lt), self.type_name(rt));
            let help = match (lt, rt) {
                (Type::Duration(..), Type::Duration(..)) => {
                    "clock time, calendar days, working time and working days do not convert into one another (a day is not always 24 hours, nor 9 working hours); compare durations of one unit, or compare the deadlines they give"
                }
                _ => "both sides of a comparison must be of the same kind",
            };
            self.diags.push(
                Diagnostic::error("type_mismatch", format!("cannot compare {a} with {b}"))
                    .label(left.span, a)
                    .label(right.span, b)
                    .help(help),
            );
            return None;
        }
        if !matches!(op, CompareOp::Eq | CompareOp::Ne) && !ordered {
            let name = self.type_name(lt);
            self.diags.push(
                Diagnostic::error("type_mismatch", format!("{name} has no order, so `{op}` does not apply"))
                    .label(span, "here")
                    .help("use `=` or `!=`; `<`, `>`, `<=`, `>=` compare numbers, times, durations and grades"),
            );
            return None;
        }
        typed(ExprKind::Compare { op, left: Box::new(left), right: Box::new(right) }, span, Type::Bool)
    }

    /// `x in set`, `x not in set`, `set has x`, `set lacks x`.
    fn membership(&mut self, x: &ast::Expr, set: &ast::Expr, negated: bool, span: Span) -> Typed {
        let (element, set_checked) = if self.is_contextual(x) && !self.is_contextual(set) {
            let (set_checked, st) = self.expr(set, None)?;
            let element_type = match st {
                Type::EnumSet(e) => Type::Enum(e),
                Type::TextSet => Type::Text,
                other => {
                    self.mismatch(set.span, "a set", other, "`has` and `in` ask whether a set holds a value");
                    return None;
                }
            };
            (self.expect_type(x, element_type)?.0, set_checked)
        } else {
            let (element, et) = self.expr(x, None)?;
            let set_type = match et {
                Type::Enum(e) => Type::EnumSet(e),
                Type::Text => Type::TextSet,
                Type::Grade => Type::Grade,
                other => {
                    let name = self.type_name(other);
                    self.diags.push(
                        Diagnostic::error("type_mismatch", format!("{name} cannot be looked up in a set"))
                            .label(x.span, "this")
                            .help("`in` asks whether an enum value, a grade or a text is among several: `customer.tier in {vip, gotone}`"),
                    );
                    return None;
                }
            };
            let (set_checked, st) = self.expr(set, Some(set_type))?;
            if st != set_type {
                let expected = match &x.node {
                    ast::ExprKind::Path(p) => format!("a set of values like `{p}`"),
                    _ => "a set of values like this one".to_string(),
                };
                self.mismatch(set.span, &expected, st, "write the values in braces: `{vip, gotone}`");
                return None;
            }
            (element, set_checked)
        };
        let kind = ExprKind::In { element: Box::new(element), set: Box::new(set_checked), negated };
        typed(kind, span, Type::Bool)
    }

    fn set_literal(
        &mut self,
        elements: &[crate::source::Spanned<SetElement>],
        span: Span,
        hint: Option<Type>,
    ) -> Typed {
        match hint {
            Some(Type::EnumSet(e)) | Some(Type::Enum(e)) => {
                let mut bits = 0u64;
                for el in elements {
                    let name = match &el.node {
                        SetElement::Name(n) | SetElement::Text(n) => n,
                    };
                    let (c, _) = self.path(name, el.span, Some(Type::Enum(e)))?;
                    if let ExprKind::Const(Value::Enum(i)) = c.kind {
                        bits |= 1 << i;
                    }
                }
                typed(ExprKind::Const(Value::EnumSet(bits)), span, Type::EnumSet(e))
            }
            Some(Type::Grade) => {
                let mut bits = 0u64;
                for el in elements {
                    let (SetElement::Name(n) | SetElement::Text(n)) = &el.node;
                    bits |= 1 << self.grade_ref(&crate::source::Spanned::new(n.clone(), el.span))?.index();
                }
                typed(ExprKind::Const(Value::EnumSet(bits)), span, Type::Grade)
            }
            _ => {
                let mut texts: Vec<Arc<str>> = Vec::new();
                for el in elements {
                    match &el.node {
                        SetElement::Text(t) => texts.push(t.as_str().into()),
                        SetElement::Name(n) => {
                            self.diags.push(
                                Diagnostic::error("unknown_enum_value", format!("cannot tell what `{n}` is here"))
                                    .label(el.span, "a bare name in a set of texts")
                                    .help("quote texts (`{\"a\", \"b\"}`); names of values need a field to compare with, e.g. `customer.tier in {vip, gotone}`"),
                            );
                            return None;
                        }
                    }
                }
                texts.sort();
                texts.dedup();
                typed(ExprKind::Const(Value::TextSet(texts.into())), span, Type::TextSet)
            }
        }
    }

    fn call(&mut self, name: &crate::source::Spanned<String>, args: &[ast::Expr], span: Span) -> Typed {
        let arity = |n: usize| args.len() == n;
        match name.node.as_str() {
            "count" if arity(1) => {
                let (x, ty) = self.expr(&args[0], None)?;
                if !matches!(ty, Type::EnumSet(_) | Type::TextSet | Type::Text) {
                    self.mismatch(
                        args[0].span,
                        "a set or a text",
                        ty,
                        "`count` counts the members of a set, or the characters of a text",
                    );
                    return None;
                }
                typed(ExprKind::Count(Box::new(x)), span, Type::Int)
            }
            "round" if arity(2) => {
                let (x, ty) = self.expr(&args[0], None)?;
                if !ty.is_numeric() {
                    self.mismatch(args[0].span, "a number", ty, "`round(rate, 2)` rounds half up to 2 places");
                    return None;
                }
                let places = match &args[1].node {
                    ast::ExprKind::Number(d, false) if *d <= Decimal::from(28) => d.to_u32().unwrap_or(0),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                "type_mismatch",
                                "the places to round to must be a whole number written out",
                            )
                            .label(args[1].span, "here")
                            .help("write e.g. `round(rate, 2)`"),
                        );
                        return None;
                    }
                };
                typed(ExprKind::Round { value: Box::new(x), places }, span, Type::Decimal)
            }
            "min" | "max" if args.len() >= 2 => {
                let mut checked = Vec::new();
                let mut ty: Option<Type> = None;
                for a in args {
                    let (x, t) = self.expr(a, ty)?;
                    let fits = match ty {
                        None => t.is_numeric() || t == Type::Time,
                        Some(prev) => prev == t || (prev.is_numeric() && t.is_numeric()),
                    };
                    if !fits {
                        self.mismatch(a.span, "numbers or times alike", t, "`min` and `max` compare numbers or times");
                        return None;
                    }
                    ty = Some(if ty == Some(Type::Decimal) { Type::Decimal } else { t });
                    checked.push(x);
                }
                let kind = if name.node == "min" { ExprKind::Min(checked) } else { ExprKind::Max(checked) };
                typed(kind, span, ty.expect("at least two arguments"))
            }
            "first" if args.len() >= 2 => {
                let mut checked = Vec::new();
                let mut ty: Option<Type> = None;
                for a in args {
                    let (x, t) = self.expr(a, ty)?;
                    let fits = match ty {
                        None => true,
                        Some(prev) => prev == t || (prev.is_numeric() && t.is_numeric()),
                    };
                    if !fits {
                        let expected = ty.map_or_else(String::new, |t| self.type_name(t));
                        self.mismatch(a.span, &expected, t, "`first` chooses among values of one kind: `first(forwarded_at, deadline forward, received_at)`");
                        return None;
                    }
                    ty = Some(if ty == Some(Type::Decimal) { Type::Decimal } else { t });
                    checked.push(x);
                }
                let ty = ty.unwrap_or(Type::Bool);
                if !matches!(ty, Type::Bool | Type::Int | Type::Decimal | Type::Time) {
                    self.mismatch(
                        span,
                        "times, numbers or yes/no values",
                        ty,
                        "`first` chooses among times, numbers or yes/no values",
                    );
                    return None;
                }
                typed(ExprKind::First(checked), span, ty)
            }
            known @ ("count" | "round" | "min" | "max" | "first") => {
                let usage = match known {
                    "count" => "`count(agents)`",
                    "round" => "`round(rate, 2)`",
                    "first" => "`first(forwarded_at, deadline forward, received_at)`",
                    _ => "`min(a, b)` or `max(a, b, c)`",
                };
                self.diags.push(
                    Diagnostic::error("wrong_arguments", format!("`{known}` takes different arguments"))
                        .label(span, format!("{} given", args.len()))
                        .help(format!("write {usage}")),
                );
                None
            }
            other => {
                // The arguments are still read, so their fields count as used.
                for a in args {
                    let _ = self.expr(a, None);
                }
                self.diags.push(
                    Diagnostic::error("unknown_function", format!("unknown function `{other}`"))
                        .label(name.span, "not a function of the language")
                        .help(
                            did_you_mean(other, ["count", "round", "min", "max", "first"]).unwrap_or_else(|| {
                                "the functions are `count`, `round`, `min`, `max` and `first`".into()
                            }),
                        ),
                );
                None
            }
        }
    }

    fn calendar_or_default(
        &mut self,
        name: Option<&crate::source::Spanned<String>>,
        span: Span,
        what: &str,
    ) -> Option<CalendarId> {
        match name {
            Some(n) => self.calendar_ref(n),
            None => match self.default_calendar {
                Some(c) => Some(c),
                // The header's calendar is unknown, and that was reported once already.
                None if self.default_calendar_unknown => None,
                None => {
                    self.diags.push(
                        Diagnostic::error("no_calendar", format!("{what} need a calendar, and the policy names none"))
                            .label(span, "here")
                            .help("add `default calendar NAME` under the policy line, after declaring or importing the calendar"),
                    );
                    None
                }
            },
        }
    }

    fn window(&mut self, window: &crate::source::Spanned<String>) -> Option<(CalendarId, WindowId)> {
        // The default calendar first, then every other one, so a window name is unambiguous
        // in the common case of one office calendar.
        let order = self.default_calendar.into_iter().chain(every(self.calendars.len()));
        for cal in order {
            if let Some(w) = self.calendars[cal.index()].window(&window.node) {
                return Some((cal, WindowId::new(w)?));
            }
        }
        let names: Vec<&str> = self.calendars.iter().flat_map(|c| c.windows.iter().map(|(n, _)| &**n)).collect();
        self.diags.push(
            Diagnostic::error("unknown_window", format!("unknown window `{}`", window.node))
                .label(window.span, "no calendar declares this window")
                .help(
                    did_you_mean(&window.node, names)
                        .unwrap_or_else(|| "declare it in a calendar: `window calls 08:30-12:00, 14:30-21:00`".into()),
                ),
        );
        None
    }

    /// Check a duration and resolve its calendar.
    pub(crate) fn duration(&mut self, d: &ast::Duration, span: Span) -> Option<DurationSpec> {
        let (unit, scale, what) = match d.unit {
            DurationUnit::Minutes => (Unit::Clock, 60, "minutes"),
            DurationUnit::Hours => (Unit::Clock, 3600, "hours"),
            DurationUnit::Days => (Unit::Days, 1, "days"),
            DurationUnit::WorkingMinutes => (Unit::WorkingTime, 60, "working minutes"),
            DurationUnit::WorkingHours => (Unit::WorkingTime, 3600, "working hours"),
            DurationUnit::WorkingDays => (Unit::WorkingDays, 1, "working days"),
        };
        let scaled = d.amount * Decimal::from(scale);
        let seconds_per_unit = if matches!(unit, Unit::Days | Unit::WorkingDays) { 86_400 } else { 1 };
        let amount = match scaled.to_i64() {
            Some(a) if a.saturating_mul(seconds_per_unit) > MAX_DURATION_SECONDS => {
                self.diags.push(
                    Diagnostic::error(
                        "invalid_literal",
                        format!("`{} {what}` is longer than a hundred years", d.amount),
                    )
                    .label(span, "here")
                    .help("a deadline is at most a hundred years away"),
                );
                return None;
            }
            Some(a) if scaled.fract().is_zero() && a > 0 => a,
            _ => {
                let help = if matches!(unit, Unit::Days | Unit::WorkingDays) {
                    "days are counted whole; for part of a day use hours, e.g. `4 working hours`"
                } else {
                    "durations are positive and whole in seconds"
                };
                self.diags.push(
                    Diagnostic::error("invalid_literal", format!("`{}` is not a usable number of {what}", d.amount))
                        .label(span, "here")
                        .help(help),
                );
                return None;
            }
        };
        let calendar = match unit {
            Unit::Clock => None,
            Unit::Days => match &d.calendar {
                Some(c) => Some(self.calendar_ref(c)?),
                None => None,
            },
            Unit::WorkingTime | Unit::WorkingDays => {
                Some(self.calendar_or_default(d.calendar.as_ref(), span, "working durations")?)
            }
        };
        Some(DurationSpec { amount, unit, calendar })
    }

    /// A date-time literal: with an offset it is absolute; without, it is local to the
    /// policy's zone.
    pub(crate) fn time_literal(&mut self, text: &str, span: Span) -> Option<DateTime<Utc>> {
        let normalized = text.replacen(' ', "T", 1);
        if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
            return Some(t.with_timezone(&Utc));
        }
        let naive = NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| {
                NaiveDate::parse_from_str(&normalized, "%Y-%m-%d").map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
            });
        let (Ok(naive), Some(zone)) = (naive, self.zone) else {
            self.diags.push(
                Diagnostic::error("invalid_literal", format!("`{text}` is not a date and time"))
                    .label(span, "here")
                    .help("write `2024-05-10 10:30`, or with an offset `2024-05-10T10:30:00+08:00`"),
            );
            return None;
        };
        use chrono::TimeZone;
        match zone.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(..) => {
                self.diags.push(
                    Diagnostic::error("ambiguous_time", format!("`{text}` happens twice in {zone}"))
                        .label(span, "the clocks go back over this time")
                        .help("add the offset you mean, e.g. `2024-11-03T01:30:00-04:00`"),
                );
                None
            }
            chrono::LocalResult::None => {
                self.diags.push(
                    Diagnostic::error("nonexistent_time", format!("`{text}` does not exist in {zone}"))
                        .label(span, "the clocks skip this time")
                        .help("daylight saving time skips it; use a time after the change"),
                );
                None
            }
        }
    }
}
