//! Tickets: JSON → one value per schema field, validated, in slot order.
//!
//! From a JSON tree ([`from_json`]) or straight from text ([`read`]), which follows only the
//! schema's paths and skips everything else without building a tree.

mod read;

pub(crate) use self::read::{read, Schema};

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use crate::model::{BoundTo, DurationSpec, EnumId, Field, FieldId, Id, Model, Type, Unit, MAX_DURATION_SECONDS};
use crate::value::Value;

/// One thing wrong with one field of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's dotted path; `(ticket)` for the ticket as a whole.
    pub path: String,
    /// What is wrong.
    pub kind: FieldProblemKind,
}

/// What can be wrong with a field of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblemKind {
    /// A required field is absent.
    Missing,
    /// A required field is `null`.
    Null,
    /// A value of the wrong JSON type.
    WrongType {
        /// What the schema wants, in words: `true or false`.
        expected: &'static str,
        /// What the ticket has, in words: `a text`.
        found: &'static str,
    },
    /// A list holds something other than texts.
    NotTextInList {
        /// What the list holds, in words.
        found: &'static str,
    },
    /// Text that is not a decimal number.
    NotDecimal(String),
    /// A JSON number with a fraction for a decimal: binary floating point is not exact.
    FloatForDecimal(String),
    /// Text that is not an RFC 3339 time with an offset.
    NotTime(String),
    /// An RFC 3339 time that names a day or hour that does not exist (`2024-02-30`).
    NoSuchTime(String),
    /// Text that is not a clock duration such as `30 min`.
    NotDuration(String),
    /// An enum value the schema does not declare.
    NotOneOf {
        /// The value given.
        value: String,
        /// The values the schema declares.
        allowed: Vec<Arc<str>>,
    },
    /// The key appears twice in its object: which value is meant cannot be known.
    Duplicate,
    /// A whole number past one of its field's bounds.
    OutOfBounds {
        /// The value given.
        value: i64,
        /// The bound in words: `at least 0`, `at most complaints (610)`.
        bound: String,
    },
    /// A required field is absent, and a key one edit away from it is there.
    MissingNear {
        /// The key the ticket has, as a dotted path.
        given: String,
    },
    /// A key one edit away from an optional field the ticket lacks (refused when reading
    /// strictly).
    NearMiss {
        /// The field it resembles.
        meant: String,
    },
    /// The ticket's text is larger than the policy reads.
    TooLarge {
        /// Its size, in bytes.
        bytes: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The input is not JSON at all.
    Syntax {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// serde_json's description.
        message: String,
    },
}

impl FieldProblemKind {
    /// A stable code, for tools: `missing`, `wrong_type`, `not_one_of`, …
    pub fn code(&self) -> &'static str {
        match self {
            FieldProblemKind::Missing => "missing",
            FieldProblemKind::MissingNear { .. } => "missing_near",
            FieldProblemKind::Null => "null",
            FieldProblemKind::WrongType { .. } => "wrong_type",
            FieldProblemKind::NotTextInList { .. } => "not_text_in_list",
            FieldProblemKind::NotDecimal(_) => "not_decimal",
            FieldProblemKind::FloatForDecimal(_) => "float_for_decimal",
            FieldProblemKind::NotTime(_) => "not_time",
            FieldProblemKind::NoSuchTime(_) => "no_such_time",
            FieldProblemKind::NotDuration(_) => "not_duration",
            FieldProblemKind::NotOneOf { .. } => "not_one_of",
            FieldProblemKind::OutOfBounds { .. } => "out_of_bounds",
            FieldProblemKind::Duplicate => "duplicate",
            FieldProblemKind::NearMiss { .. } => "near_miss",
            FieldProblemKind::TooLarge { .. } => "too_large",
            FieldProblemKind::Syntax { .. } => "syntax",
        }
    }
}

impl fmt::Display for FieldProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblemKind::Missing => f.write_str("is missing"),
            FieldProblemKind::Null => f.write_str("must not be null"),
            FieldProblemKind::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            FieldProblemKind::NotTextInList { found } => write!(f, "expected a list of texts, found {found} in it"),
            FieldProblemKind::NotDecimal(s) => write!(f, "`{s}` is not a decimal number"),
            FieldProblemKind::FloatForDecimal(n) => {
                write!(f, "`{n}` is a binary floating-point number; write it as text, \"{n}\", so it stays exact")
            }
            FieldProblemKind::NoSuchTime(s) => {
                write!(f, "`{s}` names a date or time that does not exist, such as 30 February or 25:00")
            }
            FieldProblemKind::NotTime(s) => {
                write!(f, "`{s}` is not a time with a zone offset, such as \"2024-05-10T10:30:00+08:00\"")
            }
            FieldProblemKind::NotDuration(s) => {
                write!(f, "`{s}` is not a duration of at most a hundred years, such as \"30 min\" or \"2 h\"")
            }
            FieldProblemKind::NotOneOf { value, allowed } => {
                let names: Vec<&str> = allowed.iter().map(|a| &**a).collect();
                write!(f, "\"{value}\" is not one of {}", names.join(", "))
            }
            FieldProblemKind::Duplicate => f.write_str("is given twice; give it once"),
            FieldProblemKind::OutOfBounds { value, bound } => write!(f, "is {value}, and must be {bound}"),
            FieldProblemKind::MissingNear { given } => write!(f, "is missing; the ticket has `{given}`: misspelt?"),
            FieldProblemKind::NearMiss { meant } => {
                write!(f, "is not a field of the policy; did you mean `{meant}`? (read as absent, it would change the decision)")
            }
            FieldProblemKind::TooLarge { bytes, limit } => {
                write!(f, "the ticket is {bytes} bytes, more than the {limit} a ticket may have")
            }
            FieldProblemKind::Syntax { line, column, message } => {
                write!(f, "not valid JSON at line {line}, column {column}: {message}")
            }
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)
    }
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
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            // A problem of the whole input is told without a path; one of a field names it.
            match (&self.ticket, p.path.as_str()) {
                (Some(id), WHOLE) => write!(f, "{id}: {}", p.kind)?,
                (None, WHOLE) => write!(f, "{}", p.kind)?,
                (id, _) => write!(f, "{}: {p}", id.as_deref().unwrap_or("ticket without id"))?,
            }
        }
        Ok(())
    }
}

/// The path of a problem of the ticket as a whole.
pub(crate) const WHOLE: &str = "(ticket)";

/// Every whole number past one of its bounds (`>= 0`, `<= complaints`): a record that
/// breaks them is refused, never decided. Over the schema's `fields` (not a whole model), so
/// that the checker can apply the same rule to the tickets a policy's tests give.
pub(crate) fn out_of_bounds(fields: &[Field], slots: &[Value]) -> Vec<(FieldId, FieldProblemKind)> {
    let mut problems = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let (Some(id), Some(Value::Int(value))) = (FieldId::new(i), slots.get(i)) else { continue };
        for bound in &field.bounds {
            let (limit, words) = match bound.to {
                BoundTo::Number(n) => (n, n.to_string()),
                BoundTo::Field(other) => match (slots.get(other.index()), fields.get(other.index())) {
                    (Some(Value::Int(n)), Some(other)) => (*n, format!("`{}` ({n})", other.path)),
                    _ => continue,
                },
            };
            let (holds, relation) =
                if bound.at_least { (*value >= limit, "at least") } else { (*value <= limit, "at most") };
            if !holds {
                problems
                    .push((id, FieldProblemKind::OutOfBounds { value: *value, bound: format!("{relation} {words}") }));
            }
        }
    }
    problems
}

/// A ticket too large to read.
pub(crate) fn too_large(bytes: usize, limit: usize) -> TicketError {
    let kind = FieldProblemKind::TooLarge { bytes, limit };
    TicketError { ticket: None, problems: vec![FieldProblem { path: WHOLE.into(), kind }] }
}

impl std::error::Error for TicketError {}

/// A ticket read into a policy's slots, validated: decide it as often as needed.
#[derive(Debug, Clone, Default)]
pub struct PreparedTicket {
    pub(crate) slots: Vec<Value>,
    /// What reading found for each field and group; kept to reuse the buffers.
    found: Vec<read::Found>,
    groups: Vec<bool>,
    /// Keys no field has that might be one misspelt, kept to reuse the buffers.
    unknown: Vec<read::Unknown>,
    unknown_text: String,
    near_misses: Vec<NearMiss>,
    /// Whether a near miss is refused.
    strict: bool,
}

/// A key of a ticket one edit away from an optional field the ticket lacks: most likely
/// that field misspelt, which reading would otherwise take as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The key as the ticket gives it, as a dotted path.
    pub given: String,
    /// The field it resembles.
    pub meant: String,
}

impl PartialEq for PreparedTicket {
    fn eq(&self, other: &Self) -> bool {
        self.slots == other.slots
    }
}

impl PreparedTicket {
    /// An empty ticket to read into, so that reading many reuses one buffer.
    pub fn new() -> PreparedTicket {
        PreparedTicket::default()
    }

    /// An empty ticket to read into that refuses a near miss (`revisit.satisifed` for the
    /// optional `revisit.satisfied`) instead of reading the field as absent.
    pub fn strict() -> PreparedTicket {
        PreparedTicket { strict: true, ..PreparedTicket::default() }
    }

    /// Keys of the last ticket read that look like optional fields misspelt.
    pub fn near_misses(&self) -> &[NearMiss] {
        &self.near_misses
    }

    /// A ticket of slots made directly (a policy test's scenario).
    pub(crate) fn from_slots(slots: Vec<Value>) -> PreparedTicket {
        PreparedTicket { slots, ..PreparedTicket::default() }
    }
}

/// The id of a ticket, for messages: a text, or a number as written.
pub(crate) fn ticket_id(json: &Json) -> Option<String> {
    match json.get("id")? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Read a ticket given as a JSON tree into slots.
pub(crate) fn from_json(model: &Model, json: &Json, out: &mut PreparedTicket) -> Result<(), TicketError> {
    out.slots.clear();
    if !json.is_object() {
        return Err(TicketError {
            ticket: ticket_id(json),
            problems: vec![FieldProblem {
                path: WHOLE.into(),
                kind: FieldProblemKind::WrongType { expected: "a JSON object", found: kind(json) },
            }],
        });
    }
    let mut problems = Vec::new();
    for field in &model.fields {
        let found = field.segments.iter().try_fold(json, |node, segment| node.get(segment));
        let value = match found {
            None | Some(Json::Null) if field.optional => Ok(Value::Null),
            None => Err(FieldProblemKind::Missing),
            Some(Json::Null) => Err(FieldProblemKind::Null),
            Some(v) => convert(model, field.ty, v),
        };
        match value {
            Ok(v) => out.slots.push(v),
            Err(kind) => {
                problems.push(FieldProblem { path: field.path.to_string(), kind });
                out.slots.push(Value::Null);
            }
        }
    }
    problems.extend(
        out_of_bounds(&model.fields, &out.slots)
            .into_iter()
            .map(|(f, kind)| FieldProblem { path: model.field(f).path.to_string(), kind }),
    );
    if problems.is_empty() {
        Ok(())
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

fn convert(model: &Model, ty: Type, v: &Json) -> Result<Value, FieldProblemKind> {
    let wrong = |expected: &'static str| FieldProblemKind::WrongType { expected, found: kind(v) };
    match ty {
        Type::Bool => v.as_bool().map(Value::Bool).ok_or_else(|| wrong("true or false")),
        Type::Int => v.as_i64().map(Value::Int).ok_or_else(|| wrong("a whole number")),
        Type::Decimal => match v {
            Json::String(s) => decimal(s),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Ok(Value::Decimal(Decimal::from(i))),
                None => Err(FieldProblemKind::FloatForDecimal(n.to_string())),
            },
            _ => Err(wrong("a decimal number as text, e.g. \"12.50\"")),
        },
        Type::Text => v.as_str().map(|s| Value::Text(s.into())).ok_or_else(|| wrong("a text")),
        Type::Time => time(v.as_str().ok_or_else(|| wrong("a time such as \"2024-05-10T10:30:00+08:00\""))?),
        Type::Duration(..) => duration(v.as_str().ok_or_else(|| wrong("a duration such as \"2 h\""))?),
        Type::Enum(e) => enum_value(model, e, v.as_str().ok_or_else(|| wrong("a text"))?),
        Type::EnumSet(e) => {
            let items = v.as_array().ok_or_else(|| wrong("a list"))?;
            let mut bits = 0u64;
            for item in items {
                let s = item.as_str().ok_or(FieldProblemKind::NotTextInList { found: kind(item) })?;
                bits |= enum_bit(model, e, s)?;
            }
            Ok(Value::EnumSet(bits))
        }
        Type::TextSet => {
            let items = v.as_array().ok_or_else(|| wrong("a list"))?;
            let texts = items
                .iter()
                .map(|i| i.as_str().map(Arc::from).ok_or(FieldProblemKind::NotTextInList { found: kind(i) }))
                .collect::<Result<Vec<Arc<str>>, _>>()?;
            Ok(text_set(texts))
        }
        Type::Grade => Err(wrong("nothing: grades are decided, not given")),
    }
}

pub(crate) fn decimal(s: &str) -> Result<Value, FieldProblemKind> {
    Decimal::from_str(s.trim()).map(Value::Decimal).map_err(|_| FieldProblemKind::NotDecimal(s.to_string()))
}

pub(crate) fn time(s: &str) -> Result<Value, FieldProblemKind> {
    DateTime::parse_from_rfc3339(s).map(|t| Value::Time(t.with_timezone(&Utc))).map_err(|e| match e.kind() {
        chrono::format::ParseErrorKind::OutOfRange | chrono::format::ParseErrorKind::Impossible => {
            FieldProblemKind::NoSuchTime(s.to_string())
        }
        _ => FieldProblemKind::NotTime(s.to_string()),
    })
}

pub(crate) fn duration(s: &str) -> Result<Value, FieldProblemKind> {
    parse_clock_duration(s).map(Value::Duration).ok_or_else(|| FieldProblemKind::NotDuration(s.to_string()))
}

pub(crate) fn enum_value(model: &Model, e: EnumId, s: &str) -> Result<Value, FieldProblemKind> {
    model.enum_def(e).index(s).map(Value::Enum).ok_or_else(|| not_one_of(model, e, s))
}

/// The bit of an enum value in a set of them.
pub(crate) fn enum_bit(model: &Model, e: EnumId, s: &str) -> Result<u64, FieldProblemKind> {
    model.enum_def(e).index(s).and_then(|i| 1u64.checked_shl(u32::from(i))).ok_or_else(|| not_one_of(model, e, s))
}

/// A set of texts: sorted, without duplicates.
pub(crate) fn text_set(mut texts: Vec<Arc<str>>) -> Value {
    texts.sort();
    texts.dedup();
    Value::TextSet(texts.into())
}

pub(crate) fn not_one_of(model: &Model, e: EnumId, s: &str) -> FieldProblemKind {
    let allowed = model.enum_def(e).values.iter().map(|v| v.name.clone()).collect();
    FieldProblemKind::NotOneOf { value: s.to_string(), allowed }
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
