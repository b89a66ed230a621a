//! Tickets: JSON → one value per schema field, validated, in slot order.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::model::{DurationSpec, Model, Type, Unit, MAX_DURATION_SECONDS};
use crate::value::Value;

/// One thing wrong with one field of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's dotted path.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// A ticket that does not match the policy's schema, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketError {
    /// The ticket's id, when it has a readable one.
    pub ticket: Option<String>,
    /// The problems, in schema order.
    pub problems: Vec<FieldProblem>,
}

impl fmt::Display for TicketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.ticket.as_deref().unwrap_or("ticket without id");
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{id}: {}: {}", p.path, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for TicketError {}

/// The id of a ticket, if it has a text one.
fn ticket_id(json: &Json) -> Option<String> {
    json.get("id").and_then(Json::as_str).map(str::to_string)
}

/// Read a ticket into slots.
pub fn load(model: &Model, json: &Json) -> Result<Vec<Value>, TicketError> {
    if !json.is_object() {
        return Err(TicketError {
            ticket: ticket_id(json),
            problems: vec![FieldProblem {
                path: "(ticket)".into(),
                message: format!("expected a JSON object, found {}", kind(json)),
            }],
        });
    }
    let mut slots = Vec::with_capacity(model.fields.len());
    let mut problems = Vec::new();
    for field in &model.fields {
        let found = field.segments.iter().try_fold(json, |node, segment| node.get(segment));
        let value = match found {
            None | Some(Json::Null) if field.optional => Ok(Value::Null),
            None => Err("is missing".to_string()),
            Some(Json::Null) => Err("must not be null".to_string()),
            Some(v) => convert(model, field.ty, v),
        };
        match value {
            Ok(v) => slots.push(v),
            Err(message) => {
                problems.push(FieldProblem { path: field.path.to_string(), message });
                slots.push(Value::Null);
            }
        }
    }
    if problems.is_empty() {
        Ok(slots)
    } else {
        // The id is read for messages only: a decided ticket takes it from its slot.
        Err(TicketError { ticket: ticket_id(json), problems })
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "true or false",
        Json::Number(_) => "a number",
        Json::String(_) => "a text",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn convert(model: &Model, ty: Type, v: &Json) -> Result<Value, String> {
    let wrong = |expected: &str| format!("expected {expected}, found {}", kind(v));
    match ty {
        Type::Bool => v.as_bool().map(Value::Bool).ok_or_else(|| wrong("true or false")),
        Type::Int => v.as_i64().map(Value::Int).ok_or_else(|| wrong("a whole number")),
        Type::Decimal => match v {
            Json::String(s) => {
                Decimal::from_str(s.trim()).map(Value::Decimal).map_err(|_| format!("`{s}` is not a decimal number"))
            }
            Json::Number(n) if n.is_i64() => Ok(Value::Decimal(Decimal::from(n.as_i64().expect("checked")))),
            Json::Number(n) => {
                Err(format!("`{n}` is a binary floating-point number; write it as text, \"{n}\", so it stays exact"))
            }
            _ => Err(wrong("a decimal number as text, e.g. \"12.50\"")),
        },
        Type::Text => v.as_str().map(|s| Value::Text(s.into())).ok_or_else(|| wrong("a text")),
        Type::Time => {
            let s = v.as_str().ok_or_else(|| wrong("a time such as \"2024-05-10T10:30:00+08:00\""))?;
            DateTime::parse_from_rfc3339(s)
                .map(|t| Value::Time(t.with_timezone(&Utc)))
                .map_err(|_| format!("`{s}` is not a time with a zone offset, such as \"2024-05-10T10:30:00+08:00\""))
        }
        Type::Duration => {
            let s = v.as_str().ok_or_else(|| wrong("a duration such as \"2 h\""))?;
            parse_clock_duration(s).map(Value::Duration).ok_or_else(|| {
                format!("`{s}` is not a duration of at most a hundred years, such as \"30 min\" or \"2 h\"")
            })
        }
        Type::Enum(e) => {
            let s = v.as_str().ok_or_else(|| wrong("a text"))?;
            model.enums[e as usize].index(s).map(Value::Enum).ok_or_else(|| not_one_of(model, e, s))
        }
        Type::EnumSet(e) => {
            let items = v.as_array().ok_or_else(|| wrong("a list"))?;
            let mut bits = 0u64;
            for item in items {
                let s = item.as_str().ok_or_else(|| format!("expected a list of texts, found {} in it", kind(item)))?;
                bits |= 1 << model.enums[e as usize].index(s).ok_or_else(|| not_one_of(model, e, s))?;
            }
            Ok(Value::EnumSet(bits))
        }
        Type::TextSet => {
            let items = v.as_array().ok_or_else(|| wrong("a list"))?;
            let mut texts: Vec<Arc<str>> = items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(Arc::from)
                        .ok_or_else(|| format!("expected a list of texts, found {} in it", kind(i)))
                })
                .collect::<Result<_, _>>()?;
            texts.sort();
            texts.dedup();
            Ok(Value::TextSet(texts.into()))
        }
        Type::Grade => Err("grades are decided, not given".into()),
    }
}

fn not_one_of(model: &Model, e: u16, s: &str) -> String {
    let names: Vec<&str> = model.enums[e as usize].values.iter().map(|v| &*v.name).collect();
    format!("\"{s}\" is not one of {}", names.join(", "))
}

/// `"30 min"`, `"2 h"`: the clock durations a ticket may carry.
fn parse_clock_duration(s: &str) -> Option<DurationSpec> {
    let (amount, unit) = s.trim().split_once(' ')?;
    let amount: i64 = amount.parse().ok()?;
    let scale = match unit.trim() {
        "min" => 60,
        "h" => 3600,
        _ => return None,
    };
    let seconds = amount.checked_mul(scale).filter(|s| (0..=MAX_DURATION_SECONDS).contains(s))?;
    Some(DurationSpec { amount: seconds, unit: Unit::Clock, calendar: None })
}
