//! Reading a ticket straight from JSON text into slots: only the schema's paths are
//! followed, every other value is skipped without being built, and text that needs no
//! unescaping is not copied twice.

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    decimal, duration, not_one_of, text_set, time, FieldProblem, FieldProblemKind, NearMiss, PreparedTicket,
    TicketError, WHOLE,
};
use crate::model::{EnumId, FieldId, Id, Model, Type};
use crate::value::Value;

/// The schema's paths as a tree of object keys, and each enum's values, built once per
/// policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    root: Node,
    groups: usize,
    /// Where each field's last key lives: its group, the key and its [`letters`], by
    /// [`FieldId`].
    placed: Vec<(usize, Box<str>, u64)>,
    /// The values of each enum, indexed by [`EnumId`].
    enums: Vec<Names>,
}

#[derive(Debug, Clone, Default)]
struct Node {
    keys: Names,
    /// What each key names, in the order of `keys`.
    children: Vec<Child>,
    /// Its number among the schema's groups (the root is 0), to notice a group given twice.
    group: usize,
    /// Its dotted path, for problems.
    path: Box<str>,
    /// Which lengths, first bytes and last bytes the keys have (lengths one more and one
    /// less too), so that most keys that are no near miss of one are passed over at once.
    lengths: u64,
    firsts: [u64; 4],
    lasts: [u64; 4],
}

#[derive(Debug, Clone)]
enum Child {
    Field(FieldId),
    Object(Node),
}

/// Names found by hashing their length and first eight bytes: finding one costs a
/// multiplication, an integer comparison or two and, for a name longer than eight bytes,
/// one comparison of the whole name.
#[derive(Debug, Clone, Default)]
struct Names {
    names: Vec<Name>,
    /// Open addressing, at most half full: indices into `names`, or [`EMPTY`].
    table: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Name {
    len: usize,
    /// The first eight bytes, zero-padded, read as a big-endian number.
    prefix: u64,
    text: Box<str>,
}

const EMPTY: u32 = u32::MAX;

fn prefix(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = text.len().min(8);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Where a name's search starts in a table of `mask + 1` entries.
fn slot(len: usize, prefix: u64, mask: usize) -> usize {
    let mixed = (prefix ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    (mixed >> 32) as usize & mask
}

impl Names {
    fn push(&mut self, text: &str) {
        self.names.push(Name { len: text.len(), prefix: prefix(text), text: text.into() });
    }

    fn position(&self, text: &str) -> Option<usize> {
        self.names.iter().position(|n| *n.text == *text)
    }

    /// Build the table, once every name is in.
    fn index(&mut self) {
        let size = (self.names.len() * 2).next_power_of_two().max(2);
        self.table = vec![EMPTY; size];
        for (i, name) in self.names.iter().enumerate() {
            let mut at = slot(name.len, name.prefix, size - 1);
            while self.table[at] != EMPTY {
                at = (at + 1) & (size - 1);
            }
            self.table[at] = u32::try_from(i).unwrap_or(EMPTY);
        }
    }

    fn find(&self, text: &str) -> Option<usize> {
        let (len, prefix) = (text.len(), prefix(text));
        let mask = self.table.len().checked_sub(1)?;
        let mut at = slot(len, prefix, mask);
        loop {
            let i = *self.table.get(at)? as usize;
            let name = self.names.get(i)?;
            if name.len == len && name.prefix == prefix && (len <= 8 || *name.text == *text) {
                return Some(i);
            }
            at = (at + 1) & mask;
        }
    }
}

impl Schema {
    pub fn new(model: &Model) -> Schema {
        let mut root = Node::default();
        let mut groups = 1;
        for (i, field) in model.fields.iter().enumerate() {
            let Some(id) = FieldId::new(i) else { break };
            root.insert(&field.segments, id, &mut groups);
        }
        root.index();
        let mut placed = vec![(0, Box::from(""), 0); model.fields.len()];
        root.place(&mut placed);
        let enums = model
            .enums
            .iter()
            .map(|e| {
                let mut names = Names::default();
                e.values.iter().for_each(|v| names.push(&v.name));
                names.index();
                names
            })
            .collect();
        Schema { root, groups, placed, enums }
    }

    /// The index of an enum's value.
    fn enum_value(&self, e: EnumId, name: &str) -> Option<u16> {
        self.enums.get(e.index())?.find(name).and_then(|i| u16::try_from(i).ok())
    }

    /// An enum's value, or the problem of a name that is not one.
    fn enum_or(&self, model: &Model, e: EnumId, name: &str) -> Result<Value, FieldProblemKind> {
        self.enum_value(e, name).map(Value::Enum).ok_or_else(|| not_one_of(model, e, name))
    }

    /// The bit of an enum's value in a set of them, or the problem of a name that is not one.
    fn enum_bit(&self, model: &Model, e: EnumId, name: &str) -> Result<u64, FieldProblemKind> {
        self.enum_value(e, name).and_then(|i| 1u64.checked_shl(u32::from(i))).ok_or_else(|| not_one_of(model, e, name))
    }
}

impl Node {
    fn insert(&mut self, path: &[String], id: FieldId, groups: &mut usize) {
        let Some((first, rest)) = path.split_first() else { return };
        if rest.is_empty() {
            self.keys.push(first);
            self.children.push(Child::Field(id));
            return;
        }
        let at = match self.keys.position(first) {
            Some(at) => at,
            None => {
                let path = if self.path.is_empty() { first.clone() } else { format!("{}.{first}", self.path) };
                let node = Node { group: *groups, path: path.into(), ..Node::default() };
                *groups += 1;
                self.keys.push(first);
                self.children.push(Child::Object(node));
                self.children.len() - 1
            }
        };
        // The checker forbids a path that is both a field and a group of fields.
        if let Some(Child::Object(inner)) = self.children.get_mut(at) {
            inner.insert(rest, id, groups);
        }
    }

    /// Record where each field's key lives.
    fn place(&self, placed: &mut [(usize, Box<str>, u64)]) {
        for (name, child) in self.keys.names.iter().zip(&self.children) {
            match child {
                Child::Field(id) => {
                    if let Some(slot) = placed.get_mut(id.index()) {
                        *slot = (self.group, name.text.clone(), letters(&name.text));
                    }
                }
                Child::Object(node) => node.place(placed),
            }
        }
    }

    /// Whether `key` could be one edit away from one of this node's keys.
    fn might_be_misspelt(&self, key: &str) -> bool {
        let bit = |set: &[u64; 4], b: u8| set[usize::from(b / 64)] & (1u64 << (b % 64)) != 0;
        let (Some(&first), Some(&last)) = (key.as_bytes().first(), key.as_bytes().last()) else { return false };
        key.len() < 64
            && self.lengths & (1u64 << key.len()) != 0
            && (bit(&self.firsts, first) || bit(&self.lasts, last))
    }

    /// Build the lookup tables, this node's and its groups'.
    fn index(&mut self) {
        self.keys.index();
        for name in &self.keys.names {
            for len in [name.len.saturating_sub(1), name.len, name.len + 1] {
                if len < 64 {
                    self.lengths |= 1u64 << len;
                }
            }
            let bytes = name.text.as_bytes();
            for (set, byte) in [(&mut self.firsts, bytes.first()), (&mut self.lasts, bytes.last())] {
                if let Some(&b) = byte {
                    set[usize::from(b / 64)] |= 1u64 << (b % 64);
                }
            }
        }
        for child in &mut self.children {
            if let Child::Object(node) = child {
                node.index();
            }
        }
    }

    fn get(&self, key: &str) -> Option<&Child> {
        self.children.get(self.keys.find(key)?)
    }
}

/// What was found for each field while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Absent,
    Null,
    Value,
    Bad,
}

/// Read a ticket from JSON text into `out`, reusing its buffers.
pub(crate) fn read(model: &Model, schema: &Schema, json: &str, out: &mut PreparedTicket) -> Result<(), TicketError> {
    let n = model.fields.len();
    out.slots.clear();
    out.slots.resize(n, Value::Null);
    out.found.clear();
    out.found.resize(n, Found::Absent);
    out.groups.clear();
    out.groups.resize(schema.groups, false);
    out.unknown.clear();
    out.unknown_text.clear();
    out.near_misses.clear();
    let mut problems: Vec<(FieldId, FieldProblemKind)> = Vec::new();
    let mut duplicates: Vec<String> = Vec::new();
    let mut reader = Reader {
        model,
        schema,
        slots: &mut out.slots,
        found: &mut out.found,
        groups: &mut out.groups,
        unknown: &mut out.unknown,
        unknown_text: &mut out.unknown_text,
        problems: &mut problems,
        duplicates: &mut duplicates,
        not_an_object: None,
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed =
        ObjectSeed { node: &schema.root, reader: &mut reader, root: true }.deserialize(&mut de).and_then(|()| de.end());
    let not_an_object = reader.not_an_object;
    // For messages: the id read, or else whatever the ticket has under `id` (a number, say).
    let id = || match model.id_field.and_then(|f| out.slots.get(f.index())) {
        Some(Value::Text(t)) => Some(t.to_string()),
        _ => serde_json::from_str::<serde_json::Value>(json).ok().as_ref().and_then(super::ticket_id),
    };
    match parsed {
        Ok(()) => {}
        Err(_) if not_an_object.is_some() => {
            let found = not_an_object.unwrap_or("something else");
            let kind = FieldProblemKind::WrongType { expected: "a JSON object", found };
            return Err(TicketError { ticket: id(), problems: vec![FieldProblem { path: WHOLE.into(), kind }] });
        }
        Err(e) => {
            let kind = FieldProblemKind::Syntax { line: e.line(), column: e.column(), message: syntax_message(&e) };
            return Err(TicketError { ticket: id(), problems: vec![FieldProblem { path: WHOLE.into(), kind }] });
        }
    }
    for (i, (field, found)) in model.fields.iter().zip(&out.found).enumerate() {
        // A key one edit away from an absent field's, next to it, is most likely that field
        // misspelt: an optional one would be read as absent, and change the decision.
        let near = || {
            let (group, key, key_letters) = schema.placed.get(i)?;
            out.unknown.iter().filter(|u| u.group == *group).find_map(|u| {
                let given = &out.unknown_text[u.start..u.end];
                // One edit changes at most two of the letters a key is made of.
                let near = (u.letters ^ key_letters).count_ones() <= 2 && misspelt(given, key);
                near.then(|| match field.path.rsplit_once('.') {
                    Some((parent, _)) => format!("{parent}.{given}"),
                    None => given.to_string(),
                })
            })
        };
        let problem = match found {
            Found::Absent if !field.optional => match near() {
                Some(given) => FieldProblemKind::MissingNear { given },
                None => FieldProblemKind::Missing,
            },
            Found::Null if !field.optional => FieldProblemKind::Null,
            Found::Absent => {
                if let Some(given) = near() {
                    out.near_misses.push(NearMiss { given, meant: field.path.to_string() });
                }
                continue;
            }
            _ => continue,
        };
        problems.extend(FieldId::new(i).map(|id| (id, problem)));
    }
    problems.extend(super::out_of_bounds(&model.fields, &out.slots));
    let mut first: Vec<FieldProblem> =
        duplicates.into_iter().map(|path| FieldProblem { path, kind: FieldProblemKind::Duplicate }).collect();
    // A strict reader refuses a near miss rather than read the field as absent.
    if out.strict {
        first.extend(out.near_misses.iter().map(|m| FieldProblem {
            path: m.given.clone(),
            kind: FieldProblemKind::NearMiss { meant: m.meant.clone() },
        }));
    }
    if problems.is_empty() && first.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|(f, _)| *f);
    let problems = first
        .into_iter()
        .chain(problems.into_iter().map(|(f, kind)| FieldProblem { path: model.field(f).path.to_string(), kind }))
        .collect();
    Err(TicketError { ticket: id(), problems })
}

/// serde_json's message without the position it appends, which the problem carries apart.
fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

struct Reader<'a> {
    model: &'a Model,
    schema: &'a Schema,
    slots: &'a mut Vec<Value>,
    found: &'a mut Vec<Found>,
    groups: &'a mut Vec<bool>,
    /// Keys no field has that might be one misspelt.
    unknown: &'a mut Vec<Unknown>,
    unknown_text: &'a mut String,
    problems: &'a mut Vec<(FieldId, FieldProblemKind)>,
    /// Paths given more than once: which of two values is meant cannot be known.
    duplicates: &'a mut Vec<String>,
    /// What the ticket was, when it was not an object.
    not_an_object: Option<&'static str>,
}

impl Reader<'_> {
    fn set(&mut self, field: FieldId, value: Result<Value, FieldProblemKind>) {
        let i = field.index();
        if self.found[i] != Found::Absent {
            self.duplicates.push(self.model.field(field).path.to_string());
            return;
        }
        match value {
            Ok(Value::Null) => {
                self.found[i] = Found::Null;
                self.slots[i] = Value::Null;
            }
            Ok(v) => {
                self.found[i] = Found::Value;
                self.slots[i] = v;
            }
            Err(kind) => {
                self.found[i] = Found::Bad;
                self.slots[i] = Value::Null;
                self.problems.push((field, kind));
            }
        }
    }
}

/// An object of the schema: known keys are read, others skipped.
struct ObjectSeed<'r, 'a> {
    node: &'r Node,
    reader: &'r mut Reader<'a>,
    /// The ticket itself, which must be an object; nested groups that are not objects read
    /// as absent, like a path that does not exist.
    root: bool,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(KeySeed { node: self.node, reader: &mut *self.reader })? {
            match child {
                Some(Child::Field(id)) => {
                    let ty = self.reader.model.field(*id).ty;
                    let value =
                        map.next_value_seed(ValueSeed { model: self.reader.model, schema: self.reader.schema, ty })?;
                    self.reader.set(*id, value);
                }
                Some(Child::Object(node)) => {
                    if std::mem::replace(&mut self.reader.groups[node.group], true) {
                        self.reader.duplicates.push(node.path.to_string());
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    map.next_value_seed(ObjectSeed { node, reader: &mut *self.reader, root: false })?
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.root {
            return self.not_an_object("a list");
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_an_object("null")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_an_object("true or false")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_an_object("a text")
    }
}

impl ObjectSeed<'_, '_> {
    fn not_an_object<E: de::Error>(self, found: &'static str) -> Result<(), E> {
        if self.root {
            self.reader.not_an_object = Some(found);
            Err(E::invalid_type(de::Unexpected::Other(found), &"a JSON object"))
        } else {
            Ok(())
        }
    }
}

/// A key of an object: the schema's child it names, without copying the key. A key that
/// names none but might be one misspelt is noted.
struct KeySeed<'r, 'w, 'a> {
    node: &'r Node,
    reader: &'w mut Reader<'a>,
}

impl<'de, 'r> DeserializeSeed<'de> for KeySeed<'r, '_, '_> {
    type Value = Option<&'r Child>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'r> Visitor<'de> for KeySeed<'r, '_, '_> {
    type Value = Option<&'r Child>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let child = self.node.get(key);
        if child.is_none() && self.node.might_be_misspelt(key) {
            let start = self.reader.unknown_text.len();
            self.reader.unknown_text.push_str(key);
            let end = self.reader.unknown_text.len();
            self.reader.unknown.push(Unknown { group: self.node.group, start, end, letters: letters(key) });
        }
        Ok(child)
    }
}

/// A field's value, checked against its type. A value of the wrong type is a problem of
/// the field, not an error of the reading: it is consumed and the next key is read.
struct ValueSeed<'m> {
    model: &'m Model,
    schema: &'m Schema,
    ty: Type,
}

type Checked = Result<Value, FieldProblemKind>;

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Checked;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn expected(&self) -> &'static str {
        match self.ty {
            Type::Bool => "true or false",
            Type::Int => "a whole number",
            Type::Decimal => "a decimal number as text, e.g. \"12.50\"",
            Type::Text | Type::Enum(_) => "a text",
            Type::Time => "a time such as \"2024-05-10T10:30:00+08:00\"",
            Type::Duration(..) => "a duration such as \"2 h\"",
            Type::EnumSet(_) | Type::TextSet => "a list",
            Type::Grade => "nothing: grades are decided, not given",
        }
    }

    fn wrong(&self, found: &'static str) -> Checked {
        Err(FieldProblemKind::WrongType { expected: self.expected(), found })
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Ok(Value::Null))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Checked, E> {
        Ok(match self.ty {
            Type::Bool => Ok(Value::Bool(b)),
            _ => self.wrong("true or false"),
        })
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Checked, E> {
        Ok(match self.ty {
            Type::Int => Ok(Value::Int(i)),
            Type::Decimal => Ok(Value::Decimal(Decimal::from(i))),
            _ => self.wrong("a number"),
        })
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Checked, E> {
        Ok(match (self.ty, i64::try_from(u)) {
            (Type::Int, Ok(i)) => Ok(Value::Int(i)),
            (Type::Decimal, _) => Ok(Value::Decimal(Decimal::from(u))),
            _ => self.wrong("a number"),
        })
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Checked, E> {
        Ok(match self.ty {
            Type::Decimal => Err(FieldProblemKind::FloatForDecimal(f.to_string())),
            _ => self.wrong("a number"),
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Checked, E> {
        Ok(match self.ty {
            Type::Text => Ok(Value::Text(s.into())),
            Type::Decimal => decimal(s),
            Type::Time => time(s),
            Type::Duration(..) => duration(s),
            Type::Enum(e) => self.schema.enum_or(self.model, e, s),
            _ => self.wrong("a text"),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        let mut problem = None;
        let result = match self.ty {
            Type::EnumSet(e) => {
                let mut bits = 0u64;
                while let Some(item) =
                    seq.next_element_seed(Element { model: self.model, schema: self.schema, enum_id: Some(e) })?
                {
                    match item {
                        Ok(Item::Bit(b)) => bits |= b,
                        Ok(Item::Text(_)) => {}
                        Err(p) => {
                            problem.get_or_insert(p);
                        }
                    }
                }
                Ok(Value::EnumSet(bits))
            }
            Type::TextSet => {
                let mut texts = Vec::new();
                while let Some(item) =
                    seq.next_element_seed(Element { model: self.model, schema: self.schema, enum_id: None })?
                {
                    match item {
                        Ok(Item::Text(t)) => texts.push(t),
                        Ok(Item::Bit(_)) => {}
                        Err(p) => {
                            problem.get_or_insert(p);
                        }
                    }
                }
                Ok(text_set(texts))
            }
            _ => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                self.wrong("a list")
            }
        };
        Ok(match problem {
            Some(p) => Err(p),
            None => result,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.wrong("an object"))
    }
}

/// A member of a list: an enum value's bit, or a text.
enum Item {
    Bit(u64),
    Text(Arc<str>),
}

struct Element<'m> {
    model: &'m Model,
    schema: &'m Schema,
    enum_id: Option<EnumId>,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Result<Item, FieldProblemKind>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Element<'_> {
    fn not_text(found: &'static str) -> Result<Item, FieldProblemKind> {
        Err(FieldProblemKind::NotTextInList { found })
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = Result<Item, FieldProblemKind>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a text")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(match self.enum_id {
            Some(e) => self.schema.enum_bit(self.model, e, s).map(Item::Bit),
            None => Ok(Item::Text(s.into())),
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::not_text("null"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_text("true or false"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_text("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_text("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_text("a number"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_text("a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::not_text("an object"))
    }
}

/// A key no field has, kept in case it is one misspelt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unknown {
    /// The group of keys it was found among.
    group: usize,
    /// Where it is in the reader's text of unknown keys.
    start: usize,
    end: usize,
    /// Its [`letters`].
    letters: u64,
}

/// Which ASCII characters a key holds, folded into 64 bits: a set, cheap to compare, that
/// one edit changes in two bits at most (one character gone, another come), so most
/// unknown keys are told from a field's without comparing them.
fn letters(key: &str) -> u64 {
    key.bytes().filter(u8::is_ascii).fold(0, |set, b| set | 1u64 << (b & 63))
}

/// Whether `given` is one edit (a letter added, dropped, changed, or two swapped) from a
/// field's key, and long enough for that to mean a misspelling rather than another word.
fn misspelt(given: &str, key: &str) -> bool {
    // One edit changes the length by one character, four bytes at most: most keys are
    // turned away by their lengths alone, before a character is compared.
    given.len().abs_diff(key.len()) <= 4
        && given.chars().count().min(key.chars().count()) >= 4
        && crate::diagnostic::one_edit_apart(given, key)
}
