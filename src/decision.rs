//! The decision of `domain.md` §4, and the trace that explains it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// An instant shown in the policy's zone, serialised as RFC 3339 with its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(pub DateTime<Tz>);

impl Instant {
    pub(crate) fn new(t: DateTime<Utc>, zone: Tz) -> Instant {
        Instant(t.with_timezone(&zone))
    }

    /// The instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }
}

impl std::fmt::Display for Instant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Names mapped to values, in the order the policy produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMap<V>(pub Vec<(Arc<str>, V)>);

impl<V> Default for NamedMap<V> {
    fn default() -> Self {
        NamedMap(Vec::new())
    }
}

impl<V> NamedMap<V> {
    /// The value of a name.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }

    /// Set a name, keeping its first position when it is set again.
    pub(crate) fn set(&mut self, name: &Arc<str>, value: V) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value,
            None => self.0.push((name.clone(), value)),
        }
    }

    /// Unset a name.
    pub(crate) fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| &**n != name);
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(n, v)| (&**n, v))
    }
}

impl<V: Serialize> Serialize for NamedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&**k, v)?;
        }
        map.end()
    }
}

/// What a policy decided for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The ticket's id.
    pub ticket: Arc<str>,
    /// The policy's name.
    pub policy: Arc<str>,
    /// The most severe matching grade, else the default; `None` for a policy without grades.
    pub grade: Option<Arc<str>>,
    /// Who must act, lead first, without duplicates.
    pub route: Vec<Arc<str>>,
    /// The exemptions that removed an action.
    pub exempt: Vec<Arc<str>>,
    /// The obligations triggered, exempted ones removed.
    pub actions: Vec<Arc<str>>,
    /// Named deadlines.
    pub deadlines: NamedMap<Instant>,
    /// Early-warning instants per deadline.
    pub warnings: NamedMap<Vec<Instant>>,
    /// Computed values: numbers, exact decimals (as text), text, names.
    pub values: NamedMap<serde_json::Value>,
    /// Every rule that fired, in evaluation order.
    pub trace: Vec<TraceEntry>,
}

/// Why one rule fired and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    /// The rule's (or exemption's) name.
    pub rule: Arc<str>,
    /// The clauses it cites.
    pub clause: Option<Arc<str>>,
    /// The facts that made it fire: `repeat_failure = true`.
    pub because: String,
    /// What it did, in order: `grade II`, `route module_owner`, `exempt apology_callback`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<String>,
    /// How each deadline it set was reckoned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<DeadlineNote>,
}

/// How a deadline was reckoned: which calendar, which periods or days were counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadlineNote {
    /// The deadline.
    pub name: Arc<str>,
    /// When it falls.
    pub at: Instant,
    /// How it was reached, in words.
    pub how: String,
}
