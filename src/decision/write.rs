//! A decision written as compact JSON straight into a buffer: the same text `Serialize`
//! gives (a test holds the two equal), with every name of the policy escaped once, when the
//! policy is compiled, rather than for every decision.

use std::io::Write as _;

use super::{Computed, Decision};
use crate::eval::trace::{Applied, Owned, TraceLevel};
use crate::model::*;

/// The policy's names as JSON text, ready to copy.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonNames {
    policy: String,
    grades: Vec<String>,
    roles: Vec<String>,
    actions: Vec<String>,
    exemptions: Vec<String>,
    deadlines: Vec<String>,
    values: Vec<String>,
    /// `{"rule":…,"clauses":[…],"effects":[` of each rule.
    rule_heads: Vec<String>,
    /// `{"exemption":…,"clauses":[…],"reason":…,"effects":[` of each exemption.
    exemption_heads: Vec<String>,
}

/// A string as JSON text.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

impl JsonNames {
    pub fn new(model: &Model) -> JsonNames {
        let names = |d: &[Declared]| d.iter().map(|d| quoted(&d.name)).collect();
        let clauses = |c: &[std::sync::Arc<str>]| c.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(",");
        JsonNames {
            policy: quoted(&model.name),
            grades: names(&model.grades),
            roles: names(&model.roles),
            actions: names(&model.actions),
            exemptions: model.exemptions.iter().map(|e| quoted(&e.name)).collect(),
            deadlines: model.deadlines.iter().map(|d| quoted(d)).collect(),
            values: model.values.iter().map(|v| quoted(v)).collect(),
            rule_heads: model
                .rules
                .iter()
                .map(|r| format!("{{\"rule\":{},\"clauses\":[{}],\"effects\":[", quoted(&r.name), clauses(&r.clauses)))
                .collect(),
            exemption_heads: model
                .exemptions
                .iter()
                .map(|e| {
                    let (name, cited, reason) = (quoted(&e.name), clauses(&e.clauses), quoted(&e.because));
                    format!("{{\"exemption\":{name},\"clauses\":[{cited}],\"reason\":{reason},\"effects\":[")
                })
                .collect(),
        }
    }
}

/// Names from one table, as a JSON list.
fn list<I: Id>(out: &mut Vec<u8>, table: &[String], ids: &[I]) {
    out.push(b'[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(table[id.index()].as_bytes());
    }
    out.push(b']');
}

impl Decision<'_> {
    /// Append the decision as compact JSON, the text `serde_json::to_writer` writes, faster.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        if self.level == TraceLevel::Full {
            // Facts and reckonings are for people reading one decision, not for bulk.
            let _ = serde_json::to_writer(&mut *out, self);
            return;
        }
        let names = &self.program.json;
        let mut instant = [0u8; 25];
        out.extend_from_slice(b"{\"ticket\":");
        let _ = serde_json::to_writer(&mut *out, &self.ticket);
        out.extend_from_slice(b",\"policy\":");
        out.extend_from_slice(names.policy.as_bytes());
        out.extend_from_slice(b",\"grade\":");
        match self.grade {
            Some(g) => out.extend_from_slice(names.grades[g.index()].as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"route\":");
        list(out, &names.roles, &self.route);
        out.extend_from_slice(b",\"exempt\":");
        list(out, &names.exemptions, &self.exempt);
        out.extend_from_slice(b",\"actions\":");
        list(out, &names.actions, &self.actions);
        out.extend_from_slice(b",\"deadlines\":{");
        for (i, (d, at)) in self.deadlines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(names.deadlines[d.index()].as_bytes());
            out.extend_from_slice(b":\"");
            let n = at.write(&mut instant);
            out.extend_from_slice(&instant[..n]);
            out.push(b'"');
        }
        out.extend_from_slice(b"},\"warnings\":{");
        let mut first = true;
        for (d, _) in &self.deadlines {
            if !self.warnings.iter().any(|(w, _)| w == d) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(names.deadlines[d.index()].as_bytes());
            out.extend_from_slice(b":[");
            for (i, (_, at)) in self.warnings.iter().filter(|(w, _)| w == d).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                let n = at.write(&mut instant);
                out.extend_from_slice(&instant[..n]);
                out.push(b'"');
            }
            out.push(b']');
        }
        out.extend_from_slice(b"},\"values\":{");
        let mut first = true;
        for (id, value, ty) in &self.values {
            let Some(value) = self.computed(value, *ty) else { continue };
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(names.values[id.index()].as_bytes());
            out.push(b':');
            match value {
                Computed::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                Computed::Int(i) => _ = write!(out, "{i}"),
                Computed::Decimal(d) => _ = write!(out, "\"{d}\""),
                Computed::Text(t) | Computed::Name(t) => _ = serde_json::to_writer(&mut *out, t),
                Computed::Time(t) => {
                    out.push(b'"');
                    let n = t.write(&mut instant);
                    out.extend_from_slice(&instant[..n]);
                    out.push(b'"');
                }
            }
        }
        out.push(b'}');
        if self.level > TraceLevel::None {
            out.extend_from_slice(b",\"trace\":[");
            for entry in self.trace() {
                if entry.index() > 0 {
                    out.push(b',');
                }
                let head = match entry.owner() {
                    crate::eval::error::Owner::Rule(r) => &names.rule_heads[r.index()],
                    crate::eval::error::Owner::Exemption(e) => &names.exemption_heads[e.index()],
                };
                out.extend_from_slice(head.as_bytes());
                for (i, applied) in entry.applied().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    effect(out, names, applied);
                }
                out.extend_from_slice(b"]}");
            }
            out.push(b']');
        }
        if !self.problems.is_empty() {
            out.extend_from_slice(b",\"problems\":");
            let _ = serde_json::to_writer(&mut *out, &self.problems);
        }
        out.push(b'}');
    }
}

fn effect(out: &mut Vec<u8>, names: &JsonNames, applied: Applied) {
    let mut pair = |key: &[u8], table: &[String], index: usize, rest: &[u8]| {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(key);
        out.extend_from_slice(b"\":");
        out.extend_from_slice(table[index].as_bytes());
        out.extend_from_slice(rest);
        out.push(b'}');
    };
    match applied {
        Applied::Grade(g) => pair(b"grade", &names.grades, g.index(), b""),
        Applied::Route(r) => pair(b"route", &names.roles, r.index(), b""),
        Applied::Action(a) => pair(b"action", &names.actions, a.index(), b""),
        Applied::Deadline(d) => pair(b"deadline", &names.deadlines, d.index(), b""),
        Applied::DeadlineUnset { deadline, problem } => {
            let rest: &[u8] = if problem { b",\"unset\":\"problem\"" } else { b",\"unset\":\"missing_time\"" };
            pair(b"deadline", &names.deadlines, deadline.index(), rest)
        }
        Applied::Value(v) => pair(b"value", &names.values, v.index(), b""),
        Applied::ValueUnset { value, problem } => {
            let rest: &[u8] = if problem { b",\"unset\":\"problem\"" } else { b",\"unset\":\"undefined\"" };
            pair(b"value", &names.values, value.index(), rest)
        }
        Applied::Exempt(a) => pair(b"exempt", &names.actions, a.index(), b""),
        Applied::Dropped { owned, action, exempted } => {
            let (kind, name): (&[u8], &String) = match owned {
                Owned::Deadline(d) => (b"{\"dropped\":\"deadline\",\"name\":", &names.deadlines[d.index()]),
                Owned::Value(v) => (b"{\"dropped\":\"value\",\"name\":", &names.values[v.index()]),
            };
            out.extend_from_slice(kind);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b",\"action\":");
            out.extend_from_slice(names.actions[action.index()].as_bytes());
            out.extend_from_slice(if exempted {
                b",\"because\":\"exempted\"}"
            } else {
                b",\"because\":\"not_triggered\"}"
            });
        }
    }
}
