//! Counterexample tickets: the ticket the cases start from, a case written as ticket JSON,
//! and that JSON decided by the real evaluator, so that no finding rests on the analysis
//! alone.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use crate::compile::Program;
use crate::decision::Decision;
use crate::eval::evaluate;
use crate::eval::trace::TraceLevel;
use crate::model::{BoundTo, DurationSpec, FieldId, Id, Model, Type, Unit};
use crate::ticket::{from_json, PreparedTicket};
use crate::value::Value;

/// The id counterexample tickets carry.
const TICKET_ID: &str = "counterexample";

/// A value of a type for a field that must hold one: times fall on a working Tuesday
/// morning inside the years the shipped calendars know.
pub(super) fn written(model: &Model, ty: Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(false),
        Type::Int => Value::Int(0),
        Type::Decimal => Value::Decimal(Decimal::ZERO),
        Type::Text => Value::Text("".into()),
        Type::Time => {
            let local = NaiveDate::from_ymd_opt(2025, 6, 10).and_then(|d| d.and_hms_opt(10, 30, 0));
            match local.and_then(|l| model.zone.from_local_datetime(&l).single()) {
                Some(t) => Value::Time(t.with_timezone(&chrono::Utc)),
                None => Value::Null,
            }
        }
        Type::Duration(..) => Value::Duration(DurationSpec { amount: 0, unit: Unit::Clock, calendar: None }),
        Type::Enum(_) => Value::Enum(0),
        Type::EnumSet(_) => Value::EnumSet(0),
        Type::TextSet => Value::TextSet(Arc::from(Vec::new())),
        Type::Grade => Value::Null,
    }
}

/// Other values to give the fields a case does not split on, when two results that differ
/// in general come out alike on the base ticket (`overcharge` and `overcharge * 2` are both
/// 0 there): ordinary numbers, and a Friday late afternoon for times.
pub(super) fn variants(model: &Model, slots: &[Value], fixed: &[FieldId]) -> Vec<Vec<Value>> {
    let friday = NaiveDate::from_ymd_opt(2025, 6, 13)
        .and_then(|d| d.and_hms_opt(17, 30, 0))
        .and_then(|l| model.zone.from_local_datetime(&l).single())
        .map(|t| Value::Time(t.with_timezone(&chrono::Utc)));
    let mut out = Vec::new();
    for choice in 0..2 {
        let mut variant = slots.to_vec();
        for (i, (f, v)) in model.fields.iter().zip(variant.iter_mut()).enumerate() {
            if fixed.iter().any(|x| x.index() == i) || matches!(v, Value::Null) {
                continue;
            }
            match (f.ty, choice) {
                (Type::Int, 0) if f.bounds.is_empty() => *v = Value::Int(7),
                (Type::Decimal, 0) => *v = Value::Decimal(Decimal::new(1250, 2)),
                (Type::Time, 1) => {
                    if let Some(t) = &friday {
                        *v = t.clone();
                    }
                }
                _ => {}
            }
        }
        out.push(variant);
    }
    out
}

/// The ticket cases start from: optional fields missing, every other field at a value the
/// reader accepts (a whole number inside its constant bounds).
pub(super) fn base_slots(model: &Model) -> Vec<Value> {
    model
        .fields
        .iter()
        .enumerate()
        .map(|(slot, f)| {
            if model.id_field.is_some_and(|id| id.index() == slot) {
                return Value::Text(TICKET_ID.into());
            }
            if f.optional {
                return Value::Null;
            }
            match f.ty {
                Type::Int => {
                    let mut v: i64 = 0;
                    for b in &f.bounds {
                        match b.to {
                            BoundTo::Number(n) if b.at_least => v = v.max(n),
                            BoundTo::Number(n) => v = v.min(n),
                            BoundTo::Field(_) => {}
                        }
                    }
                    Value::Int(v)
                }
                ty => written(model, ty),
            }
        })
        .collect()
}

/// A case as ticket JSON, nested along the fields' dotted paths; missing fields left out.
pub(super) fn ticket_json(model: &Model, slots: &[Value]) -> Json {
    let mut root = Map::new();
    for (field, value) in model.fields.iter().zip(slots) {
        let json = match (value, field.ty) {
            (Value::Null, _) => continue,
            (Value::Bool(b), _) => Json::Bool(*b),
            (Value::Int(i), _) => Json::from(*i),
            // Decimals are written as text: money is never a float.
            (Value::Decimal(d), _) => Json::String(d.to_string()),
            (Value::Text(t), _) => Json::String(t.to_string()),
            (Value::Time(t), _) => Json::String(t.with_timezone(&model.zone).to_rfc3339()),
            (Value::Duration(d), _) => Json::String(format!("{} min", d.amount / 60)),
            (Value::Enum(i), Type::Enum(e)) => Json::String(model.enum_def(e).name(*i).to_string()),
            (Value::EnumSet(bits), Type::EnumSet(e)) => Json::Array(
                model
                    .enum_def(e)
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        u32::try_from(*i).ok().and_then(|i| bits.checked_shr(i)).is_some_and(|b| b & 1 == 1)
                    })
                    .map(|(_, v)| Json::String(v.name.to_string()))
                    .collect(),
            ),
            (Value::TextSet(texts), _) => Json::Array(texts.iter().map(|t| Json::String(t.to_string())).collect()),
            _ => continue,
        };
        insert(&mut root, &field.segments, json);
    }
    Json::Object(root)
}

fn insert(map: &mut Map<String, Json>, path: &[String], value: Json) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map.entry(first.clone()).or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Decide a ticket as the evaluator would, with the full trace; `None` when the reader
/// refuses it (a finding is then not shown).
pub(super) fn decide<'p>(program: &'p Program, json: &Json) -> Option<Decision<'p>> {
    let mut prepared = PreparedTicket::new();
    from_json(&program.model, json, &mut prepared).ok()?;
    let mut decision = Decision::new(program, TraceLevel::Full);
    evaluate(program, &prepared.slots, &mut decision);
    Some(decision)
}

/// The ticket JSON on one line, as `triage eval` reads it, with a space after each `,` and
/// `:` between tokens: a terminal wraps the help text at spaces, which keeps every token
/// whole, so the wrapped text is still the same JSON when pasted.
pub(super) fn one_line(json: &Json) -> String {
    let compact = serde_json::to_string(json).unwrap_or_default();
    let mut out = String::with_capacity(compact.len() * 2);
    let (mut in_string, mut escaped) = (false, false);
    for c in compact.chars() {
        out.push(c);
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                ',' | ':' => out.push(' '),
                _ => {}
            }
        }
    }
    out
}
