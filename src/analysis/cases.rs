//! Case splitting over finite domains: what a condition reads, the values worth trying for
//! each field it reads, and a small three-valued evaluator over the checked model.
//!
//! A condition is within the method when it reads only flags, enum values, membership in
//! sets of enum values, whole numbers, decimals, times and clock durations compared with
//! constants, and whether an optional field is set (through `let`s and `grade`, which are inlined). Trying one value of
//! each class of values the constants split a domain into is then exact: two values of one
//! class decide every condition alike.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::model::{BoundTo, CompareOp, DurationSpec, Expr, ExprKind, FieldId, GradeId, Id, Model, Type, Unit};
use crate::value::Value;

/// A condition reads something beyond the method (text, times, arithmetic, calendars…):
/// what it reads and how, in words that follow the condition's owner ("reads `transcript`
/// (text)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Beyond(pub String);

/// How many fields a reason names.
const NAMED_FIELDS: usize = 3;

impl Beyond {
    /// Why `e` is beyond the method, naming the fields it reads.
    fn of(model: &Model, e: &Expr) -> Beyond {
        let named = |e: &Expr| {
            let mut fields = Vec::new();
            fields_in(model, e, &mut fields);
            let names: Vec<String> = fields.iter().map(|f| format!("`{}`", model.field(*f).path)).collect();
            if names.is_empty() {
                "constants".to_string()
            } else {
                names.join(", ")
            }
        };
        let text = match &e.kind {
            ExprKind::Field(f) => {
                let field = model.field(*f);
                format!("reads `{}` ({})", field.path, type_word(field.ty))
            }
            ExprKind::Deadline(d) => format!("reads deadline `{}`", model.deadline_name(*d)),
            ExprKind::Contains { .. } | ExprKind::Mentions { .. } => {
                format!("searches text ({})", named(e))
            }
            ExprKind::Negate(_)
            | ExprKind::Arith { .. }
            | ExprKind::Round { .. }
            | ExprKind::Min(_)
            | ExprKind::Max(_)
            | ExprKind::Count(_) => format!("computes with {}", named(e)),
            ExprKind::Shift { .. }
            | ExprKind::InWorkingHours { .. }
            | ExprKind::InWindow { .. }
            | ExprKind::WindowFrom { .. }
            | ExprKind::WindowEnd { .. }
            | ExprKind::SameDay { .. }
            | ExprKind::First(_) => format!("reckons times ({})", named(e)),
            ExprKind::Compare { left, right, .. } => match (&left.kind, &right.kind) {
                (ExprKind::Const(_), _) => return Beyond::of(model, right),
                (_, ExprKind::Const(_)) => return Beyond::of(model, left),
                _ => {
                    let side = |x: &Expr| match &x.kind {
                        ExprKind::Field(f) => format!("`{}`", model.field(*f).path),
                        _ => format!("a value computed from {}", named(x)),
                    };
                    format!("compares {} with {}", side(left), side(right))
                }
            },
            ExprKind::In { element, .. } if !matches!(element.kind, ExprKind::Const(_)) => {
                return Beyond::of(model, element)
            }
            ExprKind::In { set, .. } => return Beyond::of(model, set),
            ExprKind::Let(id) => return crate::limits::grow(|| Beyond::of(model, &model.let_def(*id).expr)),
            _ => format!("reads {}", named(e)),
        };
        Beyond(text)
    }
}

/// A type in a few words, for a reason.
fn type_word(ty: Type) -> &'static str {
    match ty {
        Type::Text => "text",
        Type::Time => "a time, not compared with a constant",
        Type::Duration(..) => "a duration, not compared with a constant of clock time",
        Type::TextSet => "a set of texts",
        Type::Int => "a whole number, not compared with a constant",
        Type::Decimal => "a decimal, not compared with a constant",
        Type::Bool | Type::Enum(_) | Type::EnumSet(_) | Type::Grade => "a value",
    }
}

/// The first few fields an expression reads, `let`s inlined.
fn fields_in(model: &Model, e: &Expr, out: &mut Vec<FieldId>) {
    if out.len() >= NAMED_FIELDS {
        return;
    }
    let mut each = |x: &Expr| crate::limits::grow(|| fields_in(model, x, out));
    match &e.kind {
        ExprKind::Field(f) => {
            if !out.contains(f) {
                out.push(*f);
            }
        }
        ExprKind::Let(id) => each(&model.let_def(*id).expr),
        ExprKind::Not(x) | ExprKind::Negate(x) | ExprKind::Count(x) => each(x),
        ExprKind::Round { value, .. } | ExprKind::IsSet { value, .. } => each(value),
        ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Min(xs) | ExprKind::Max(xs) | ExprKind::First(xs) => {
            xs.iter().for_each(each)
        }
        ExprKind::Arith { left, right, .. } | ExprKind::Compare { left, right, .. } => {
            each(left);
            each(right);
        }
        ExprKind::Shift { time, by, .. } => {
            each(time);
            each(by);
        }
        ExprKind::In { element, set, .. } => {
            each(element);
            each(set);
        }
        ExprKind::Contains { text, part } => {
            each(text);
            each(part);
        }
        ExprKind::Mentions { text, phrases, .. } => {
            each(text);
            if let crate::model::Phrases::Computed(x) = phrases {
                each(x);
            }
        }
        ExprKind::InWorkingHours { time, .. }
        | ExprKind::InWindow { time, .. }
        | ExprKind::WindowFrom { time, .. }
        | ExprKind::WindowEnd { time, .. }
        | ExprKind::SameDay { time, .. } => each(time),
        ExprKind::Const(_) | ExprKind::Grade | ExprKind::Deadline(_) => {}
    }
}

/// What some conditions read, all of it within the method.
#[derive(Debug, Clone, Default)]
pub(super) struct Reads {
    /// Fields whose values are read, with the numbers each is compared with.
    pub fields: BTreeMap<FieldId, Vec<Decimal>>,
    /// Fields of other types read only for whether they are set.
    pub presence: BTreeMap<FieldId, ()>,
    /// Whether the decided grade is read.
    pub grade: bool,
    /// The enum values written in the conditions, per enum type: a set-of-enum field is
    /// tried with every subset of these (the others cannot change a condition).
    pub mentioned: BTreeMap<usize, u64>,
}

impl Reads {
    /// Add what another set of conditions reads.
    pub fn merge(&mut self, other: &Reads) {
        for (f, numbers) in &other.fields {
            self.fields.entry(*f).or_default().extend(numbers.iter().copied());
        }
        self.presence.extend(other.presence.iter().map(|(f, ())| (*f, ())));
        self.grade |= other.grade;
        for (e, bits) in &other.mentioned {
            *self.mentioned.entry(*e).or_default() |= bits;
        }
    }

    /// What an expression reads (`let`s inlined; the grade is noted, not inlined).
    pub fn of(model: &Model, e: &Expr) -> Result<Reads, Beyond> {
        let mut reads = Reads::default();
        reads.collect(model, e)?;
        Ok(reads)
    }

    fn collect(&mut self, model: &Model, e: &Expr) -> Result<(), Beyond> {
        crate::limits::grow(|| self.walk(model, e))
    }

    fn mention(&mut self, ty: Type, value: &Value) {
        match (ty, value) {
            (Type::Enum(e) | Type::EnumSet(e), Value::Enum(i)) => {
                *self.mentioned.entry(e.index()).or_default() |= 1u64.checked_shl(u32::from(*i)).unwrap_or(0);
            }
            (Type::Enum(e) | Type::EnumSet(e), Value::EnumSet(bits)) => {
                *self.mentioned.entry(e.index()).or_default() |= bits;
            }
            _ => {}
        }
    }

    fn walk(&mut self, model: &Model, e: &Expr) -> Result<(), Beyond> {
        match &e.kind {
            ExprKind::Const(v) => {
                self.mention(e.ty, v);
                Ok(())
            }
            ExprKind::Field(f) => match model.field(*f).ty {
                Type::Bool | Type::Enum(_) | Type::EnumSet(_) => {
                    self.fields.entry(*f).or_default();
                    Ok(())
                }
                // Numbers only where compared with a constant (below).
                _ => Err(Beyond::of(model, e)),
            },
            ExprKind::Let(id) => self.collect(model, &model.let_def(*id).expr),
            ExprKind::Grade => {
                self.grade = true;
                Ok(())
            }
            ExprKind::Not(x) => self.collect(model, x),
            ExprKind::And(parts) | ExprKind::Or(parts) => parts.iter().try_for_each(|p| self.collect(model, p)),
            ExprKind::Compare { op, left, right } => match left.ty {
                Type::Int | Type::Decimal => {
                    let (field, number) = match (&left.kind, &right.kind, &right.ty) {
                        (ExprKind::Field(f), ExprKind::Const(c), _) | (ExprKind::Const(c), ExprKind::Field(f), _) => {
                            (*f, c.as_decimal().ok_or_else(|| Beyond::of(model, e))?)
                        }
                        _ => return Err(Beyond::of(model, e)),
                    };
                    if !model.field(field).ty.is_numeric() {
                        return Err(Beyond::of(model, e));
                    }
                    self.fields.entry(field).or_default().push(number);
                    Ok(())
                }
                // A time or a clock duration against a constant orders like a number: its
                // seconds (a time's since 1970).
                Type::Time | Type::Duration(Unit::Clock, _) => {
                    let (field, number) = match (&left.kind, &right.kind) {
                        (ExprKind::Field(f), ExprKind::Const(c)) | (ExprKind::Const(c), ExprKind::Field(f))
                            if model.field(*f).ty == left.ty =>
                        {
                            (*f, seconds(c).ok_or_else(|| Beyond::of(model, e))?)
                        }
                        _ => return Err(Beyond::of(model, e)),
                    };
                    self.fields.entry(field).or_default().push(Decimal::from(number));
                    Ok(())
                }
                Type::Bool | Type::Enum(_) | Type::Grade => {
                    self.collect(model, left)?;
                    self.collect(model, right)
                }
                // Two sets read from fields may differ in a value neither names: only a set
                // compared with a written one is within the method.
                Type::EnumSet(_)
                    if matches!(op, CompareOp::Eq | CompareOp::Ne)
                        && (matches!(left.kind, ExprKind::Const(_)) || matches!(right.kind, ExprKind::Const(_))) =>
                {
                    self.collect(model, left)?;
                    self.collect(model, right)
                }
                _ => Err(Beyond::of(model, e)),
            },
            ExprKind::In { element, set, .. } => match element.ty {
                Type::Enum(e) => {
                    // A field's value in a set field: any value may be the one, so a set of
                    // that enum is tried with every value, not only those written.
                    if !matches!(element.kind, ExprKind::Const(_)) && !matches!(set.kind, ExprKind::Const(_)) {
                        let all = model.enum_def(e).values.len();
                        let bits = if all >= 64 { u64::MAX } else { (1u64 << all) - 1 };
                        *self.mentioned.entry(e.index()).or_default() |= bits;
                    }
                    self.collect(model, element)?;
                    self.collect(model, set)
                }
                Type::Grade => {
                    self.collect(model, element)?;
                    self.collect(model, set)
                }
                _ => Err(Beyond::of(model, e)),
            },
            ExprKind::IsSet { value, .. } => match &value.kind {
                ExprKind::Field(f) => {
                    match model.field(*f).ty {
                        Type::Bool | Type::Enum(_) | Type::EnumSet(_) => {
                            self.fields.entry(*f).or_default();
                        }
                        _ => {
                            self.presence.insert(*f, ());
                        }
                    }
                    Ok(())
                }
                _ => self.collect(model, value),
            },
            _ => Err(Beyond::of(model, e)),
        }
    }
}

/// The values worth trying for a field: one of each class its conditions tell apart.
/// `base` is the field's value in the ticket the cases start from. `None` when there are
/// too many to try, or none the schema allows.
pub(super) fn domain(model: &Model, reads: &Reads, field: FieldId, base: &Value) -> Option<Vec<Value>> {
    let def = model.field(field);
    let mut values = match (def.ty, reads.fields.get(&field)) {
        (Type::Bool, Some(_)) => vec![Value::Bool(false), Value::Bool(true)],
        (Type::Enum(e), Some(_)) => {
            (0..model.enum_def(e).values.len()).filter_map(|i| u16::try_from(i).ok()).map(Value::Enum).collect()
        }
        (Type::EnumSet(e), Some(_)) => {
            let mentioned = reads.mentioned.get(&e.index()).copied().unwrap_or(0);
            // One value no condition names stands for all of them: a set holding any of
            // them is not equal to a set written in the policy.
            let all = model.enum_def(e).values.len();
            let every = if all >= 64 { u64::MAX } else { (1u64 << all) - 1 };
            let other = every & !mentioned;
            let mask = mentioned | (other & other.wrapping_neg());
            subsets(mask).into_iter().map(Value::EnumSet).collect()
        }
        (Type::Int, Some(numbers)) => int_classes(def, numbers),
        (Type::Decimal, Some(numbers)) => decimal_classes(numbers),
        (Type::Time, Some(numbers)) if !numbers.is_empty() => time_classes(numbers),
        (Type::Duration(Unit::Clock, calendar), Some(numbers)) if !numbers.is_empty() => {
            clock_classes(numbers, calendar)
        }
        // Read only for whether it is set: the base value (when present), or one written.
        _ => vec![present(model, field, base)],
    };
    if values.is_empty() {
        return None;
    }
    // Missing first: the first case found is then the shortest ticket to read.
    if def.optional {
        values.insert(0, Value::Null);
    }
    Some(values)
}

/// A value for a field read only for whether it is set.
fn present(model: &Model, field: FieldId, base: &Value) -> Value {
    if !matches!(base, Value::Null) {
        return base.clone();
    }
    super::witness::written(model, model.field(field).ty)
}

/// Every subset of a mask's bits (at most 2^k for k bits; the budget bounds k).
fn subsets(mask: u64) -> Vec<u64> {
    if mask.count_ones() > 12 {
        return Vec::new();
    }
    let mut out = vec![0];
    let mut sub = mask;
    while sub != 0 {
        out.push(sub);
        sub = (sub - 1) & mask;
    }
    // Smaller sets first: the first case found is then the shortest ticket to read.
    out.sort_unstable_by_key(|bits| (bits.count_ones(), *bits));
    out
}

/// A time's or a clock duration's seconds, for comparing with a constant.
fn seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Time(t) => Some(t.timestamp()),
        Value::Duration(DurationSpec { amount, unit: Unit::Clock, .. }) => Some(*amount),
        _ => None,
    }
}

/// The ordered points that split at `numbers`: each, and one `step` on either side (which
/// lies in the range between two constants, when there is one).
fn around(numbers: &[Decimal], step: i64) -> Vec<i64> {
    let mut points: Vec<i64> = numbers
        .iter()
        .filter_map(rust_decimal::prelude::ToPrimitive::to_i64)
        .flat_map(|n| [n.checked_sub(step), Some(n), n.checked_add(step)])
        .flatten()
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Times compared with constants: each constant and a second on either side.
fn time_classes(numbers: &[Decimal]) -> Vec<Value> {
    around(numbers, 1).into_iter().filter_map(|s| chrono::DateTime::from_timestamp(s, 0)).map(Value::Time).collect()
}

/// Clock durations compared with constants: each constant and a minute on either side (a
/// ticket gives durations in whole minutes), none below zero.
fn clock_classes(numbers: &[Decimal], calendar: Option<crate::model::CalendarId>) -> Vec<Value> {
    around(numbers, 60)
        .into_iter()
        .filter(|s| *s >= 0 && s % 60 == 0)
        .map(|amount| Value::Duration(DurationSpec { amount, unit: Unit::Clock, calendar }))
        .collect()
}

/// Whole numbers: each constant, and one number in each range between and beyond them,
/// kept only when the field's constant bounds allow it.
fn int_classes(def: &crate::model::Field, numbers: &[Decimal]) -> Vec<Value> {
    let mut points: Vec<i64> = Vec::new();
    let mut bound_numbers: Vec<Decimal> = numbers.to_vec();
    for b in &def.bounds {
        if let BoundTo::Number(n) = b.to {
            bound_numbers.push(Decimal::from(n));
        }
    }
    for n in &bound_numbers {
        let floor = n.floor();
        let Ok(i) = i64::try_from(floor) else { continue };
        for p in [i.checked_sub(1), Some(i), i.checked_add(1), i.checked_add(2)].into_iter().flatten() {
            points.push(p);
        }
    }
    if points.is_empty() {
        points.push(0);
    }
    points.sort_unstable();
    points.dedup();
    points
        .into_iter()
        .filter(|p| {
            def.bounds.iter().all(|b| match b.to {
                BoundTo::Number(n) if b.at_least => *p >= n,
                BoundTo::Number(n) => *p <= n,
                BoundTo::Field(_) => true,
            })
        })
        .map(Value::Int)
        .collect()
}

/// Decimals: each constant, the middle of each range between two, and one beyond each end.
fn decimal_classes(numbers: &[Decimal]) -> Vec<Value> {
    let mut sorted: Vec<Decimal> = numbers.iter().map(|n| n.normalize()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    if let (Some(first), Some(last)) = (sorted.first(), sorted.last()) {
        out.extend(first.checked_sub(Decimal::ONE));
        out.extend(last.checked_add(Decimal::ONE));
    } else {
        out.push(Decimal::ZERO);
    }
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            out.extend(a.checked_add(*b).and_then(|s| s.checked_div(Decimal::TWO)));
        }
    }
    out.extend(sorted);
    out.into_iter().map(Value::Decimal).collect()
}

/// A three-valued evaluator of conditions within the method, over one case's slots.
pub(super) struct Eval<'a> {
    pub model: &'a Model,
    pub slots: &'a [Value],
    pub grade: Option<GradeId>,
}

impl Eval<'_> {
    /// The grade the evaluator would decide for these slots: the most severe grade whose
    /// rule fires, else the default. Grade rules cannot read the grade.
    pub fn decide_grade(model: &Model, slots: &[Value]) -> Option<GradeId> {
        let eval = Eval { model, slots, grade: None };
        let mut decided: Option<GradeId> = None;
        for rule in &model.rules {
            let Some(g) = rule.grade else { continue };
            if rule.condition.as_ref().map_or(true, |c| eval.truth(c) == Some(true)) {
                decided = Some(decided.map_or(g, |d| d.min(g)));
            }
        }
        decided.or(model.default_grade)
    }

    /// Whether a condition fires (no condition always does); unknown never fires.
    pub fn fires(&self, condition: Option<&Expr>) -> bool {
        condition.map_or(true, |c| self.truth(c) == Some(true))
    }

    /// A condition's truth; `None` is unknown.
    pub fn truth(&self, e: &Expr) -> Option<bool> {
        crate::limits::grow(|| self.truth_of(e))
    }

    fn truth_of(&self, e: &Expr) -> Option<bool> {
        match &e.kind {
            ExprKind::Not(x) => self.truth(x).map(|b| !b),
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let decisive = matches!(e.kind, ExprKind::Or(_));
                let mut unknown = false;
                for p in parts {
                    match self.truth(p) {
                        Some(b) if b == decisive => return Some(decisive),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                (!unknown).then_some(!decisive)
            }
            ExprKind::Compare { op, left, right } => {
                let (l, r) = (self.value(left)?, self.value(right)?);
                let order = match (&l, &r) {
                    (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
                    (Value::Int(a), Value::Int(b)) => a.cmp(b),
                    (Value::Time(a), Value::Time(b)) => a.cmp(b),
                    (Value::Duration(a), Value::Duration(b)) if a.unit == b.unit => a.amount.cmp(&b.amount),
                    (Value::Enum(a), Value::Enum(b)) => a.cmp(b),
                    (Value::EnumSet(a), Value::EnumSet(b)) => a.cmp(b),
                    // Grade 0 is the most severe, so it orders highest.
                    (Value::Grade(a), Value::Grade(b)) => b.cmp(a),
                    _ => l.as_decimal()?.cmp(&r.as_decimal()?),
                };
                Some(op.holds(order))
            }
            ExprKind::In { element, set, negated } => {
                let index = match self.value(element)? {
                    Value::Enum(i) => u32::from(i),
                    Value::Grade(g) => u32::try_from(g.index()).ok()?,
                    _ => return None,
                };
                let Value::EnumSet(bits) = self.value(set)? else { return None };
                let holds = bits.checked_shr(index).is_some_and(|b| b & 1 == 1);
                Some(holds != *negated)
            }
            ExprKind::IsSet { value, set } => Some(self.value(value).is_some() == *set),
            _ => match self.value(e)? {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// A value; `None` when missing or unknown.
    pub fn value(&self, e: &Expr) -> Option<Value> {
        match &e.kind {
            ExprKind::Const(Value::Null) => None,
            ExprKind::Const(v) => Some(v.clone()),
            ExprKind::Field(f) => match self.slots.get(f.index()) {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.clone()),
            },
            ExprKind::Let(id) => crate::limits::grow(|| self.value(&self.model.let_def(*id).expr)),
            ExprKind::Grade => self.grade.map(Value::Grade),
            _ if e.ty == Type::Bool => self.truth(e).map(Value::Bool),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(values: &[Value]) -> Vec<i64> {
        values.iter().filter_map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).collect()
    }

    fn field(bounds: Vec<crate::model::Bound>) -> crate::model::Field {
        crate::model::Field {
            path: "n".into(),
            segments: vec!["n".into()],
            ty: Type::Int,
            optional: false,
            bounds,
            span: crate::source::Span::default(),
        }
    }

    #[test]
    fn whole_numbers_get_one_value_of_each_class_the_constants_make() {
        let numbers = [Decimal::from(3), Decimal::from(5)];
        let classes = ints(&int_classes(&field(Vec::new()), &numbers));
        // Below 3, 3, between, 5, above 5: every class has a value.
        for wanted in [2, 3, 4, 5, 6] {
            assert!(classes.contains(&wanted), "{classes:?}");
        }
    }

    #[test]
    fn whole_numbers_keep_inside_their_constant_bounds() {
        let at_least_zero = crate::model::Bound { at_least: true, to: BoundTo::Number(0) };
        let classes = ints(&int_classes(&field(vec![at_least_zero]), &[Decimal::ZERO]));
        assert!(classes.iter().all(|c| *c >= 0), "{classes:?}");
        assert!(classes.contains(&0) && classes.contains(&1), "{classes:?}");
    }

    #[test]
    fn decimals_get_the_middle_of_each_range() {
        let classes = decimal_classes(&[Decimal::from(1), Decimal::from(2)]);
        let wanted = [Decimal::ZERO, Decimal::ONE, Decimal::new(15, 1), Decimal::TWO, Decimal::from(3)];
        for w in wanted {
            assert!(classes.contains(&Value::Decimal(w)), "{classes:?}");
        }
    }

    #[test]
    fn sets_of_enum_values_are_split_on_the_values_written() {
        let mut all = subsets(0b1010);
        all.sort_unstable();
        assert_eq!(all, [0b0000, 0b0010, 0b1000, 0b1010]);
        assert!(subsets(u64::MAX).is_empty(), "too many to try");
    }
}
