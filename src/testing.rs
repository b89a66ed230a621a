//! Policy tests: scenarios written in the policy language, run against the policy.

use std::path::Path;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::decision::Decision;
use crate::eval::evaluate;
use crate::model::{ExpectKind, Model, TestDef, Type};
use crate::policy::Policy;
use crate::source::{Source, Span};
use crate::ticket::load;
use crate::value::Value;

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `file:line:column` of the expectation.
    pub location: String,
    /// What the test expected, in the language's words.
    pub expected: String,
    /// What the decision had.
    pub actual: String,
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// The clauses it exercises.
    pub clauses: Vec<String>,
    /// `file:line:column` of the test.
    pub location: String,
    /// Expectations that did not hold.
    pub failures: Vec<Failure>,
    /// Why the scenario could not be decided at all, if it could not.
    pub error: Option<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }
}

/// The results of a policy's tests, and which rules no test made fire.
#[derive(Debug, Clone)]
pub struct TestReport {
    /// One outcome per test, in file order.
    pub outcomes: Vec<TestOutcome>,
    /// Rules and exemptions that fired in no test: `(name, clause, file:line:column)`.
    pub uncovered: Vec<(String, Option<String>, String)>,
}

impl TestReport {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

impl Policy {
    /// Run the tests written in the policy file.
    pub fn run_tests(&self) -> TestReport {
        let model = &self.program().model;
        let mut fired = std::collections::HashSet::new();
        let outcomes = model
            .tests
            .iter()
            .map(|test| {
                let location = self.location(test.span);
                let mut outcome = TestOutcome {
                    name: test.name.clone(),
                    clauses: test.clauses.clone(),
                    location,
                    failures: Vec::new(),
                    error: None,
                };
                match self.decide(test) {
                    Ok(decision) => {
                        fired.extend(decision.trace.iter().map(|t| t.rule.clone()));
                        outcome.failures = test
                            .expect
                            .iter()
                            .filter_map(|e| {
                                check(model, &e.kind, &decision).map(|(expected, actual)| Failure {
                                    location: self.location(e.span),
                                    expected,
                                    actual,
                                })
                            })
                            .collect();
                    }
                    Err(e) => outcome.error = Some(e),
                }
                outcome
            })
            .collect();
        let uncovered = model
            .rules
            .iter()
            .map(|r| (&r.name, &r.clause, r.span))
            .chain(model.exemptions.iter().map(|e| (&e.name, &e.clause, e.span)))
            .filter(|(name, ..)| !fired.contains(*name))
            .map(|(name, clause, span)| (name.to_string(), clause.as_deref().map(str::to_string), self.location(span)))
            .collect();
        TestReport { outcomes, uncovered }
    }

    fn location(&self, span: Span) -> String {
        match self.sources().get(span.file as usize) {
            Some(source) => location(source, span),
            None => String::from("<policy>"),
        }
    }

    /// The scenario's ticket: the base ticket or each field's empty value, then the givens.
    fn decide(&self, test: &TestDef) -> Result<Decision, String> {
        let program = self.program();
        let model = &program.model;
        let mut slots = match &test.base {
            Some(path) => {
                let dir = self.origin().and_then(Path::parent).unwrap_or(Path::new("."));
                let file = dir.join(path);
                let text =
                    std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("`{}` is not valid JSON: {e}", file.display()))?;
                load(model, &json).map_err(|e| e.to_string())?
            }
            None => empty_ticket(model, &test.name),
        };
        for (slot, value) in &test.given {
            slots[*slot] = value.clone();
        }
        evaluate(program, &slots).map_err(|e| e.to_string())
    }
}

fn location(source: &Arc<Source>, span: Span) -> String {
    let (line, column) = source.line_column(span.start);
    format!("{}:{line}:{column}", source.name())
}

/// A ticket with every field at its empty value: false, 0, "", the first enum value, an
/// empty set, and missing for times and optional fields.
fn empty_ticket(model: &Model, name: &str) -> Vec<Value> {
    model
        .fields
        .iter()
        .enumerate()
        .map(|(slot, f)| match f.ty {
            _ if Some(slot) == model.id_slot => Value::Text(format!("test: {name}").into()),
            _ if f.optional => Value::Null,
            Type::Bool => Value::Bool(false),
            Type::Int => Value::Int(0),
            Type::Decimal => Value::Decimal(Decimal::ZERO),
            Type::Text => Value::Text("".into()),
            Type::Enum(_) => Value::Enum(0),
            Type::EnumSet(_) => Value::EnumSet(0),
            Type::TextSet => Value::TextSet(Arc::from(Vec::new())),
            Type::Time | Type::Duration | Type::Grade => Value::Null,
        })
        .collect()
}

/// `None` when the expectation holds, else what was expected and what was found.
fn check(model: &Model, kind: &ExpectKind, d: &Decision) -> Option<(String, String)> {
    let names = |v: &[Arc<str>]| {
        if v.is_empty() {
            "nothing".to_string()
        } else {
            v.join(", ")
        }
    };
    let role = |r: &u16| model.roles[*r as usize].name.clone();
    let holds_or = |ok: bool, expected: String, actual: String| (!ok).then_some((expected, actual));
    // `action x`, `no action x`, `exempt e`, `route has r`, …: a name present in a list, or not.
    let member = |want: &Arc<str>, present: bool, list: &[Arc<str>], words: [&str; 3]| {
        let [yes, no, shown] = words;
        let word = if present { yes } else { no };
        holds_or(list.contains(want) == present, format!("{word} {want}"), format!("{shown} = {}", names(list)))
    };
    match kind {
        ExpectKind::Grade(g) => {
            let want = g.map(|g| model.grades[g as usize].name.clone());
            holds_or(
                d.grade == want,
                want.map_or("no grade".into(), |g| format!("grade {g}")),
                d.grade.as_ref().map_or("no grade".into(), |g| format!("grade {g}")),
            )
        }
        ExpectKind::RouteIs(roles) => {
            let want: Vec<Arc<str>> = roles.iter().map(role).collect();
            holds_or(d.route == want, format!("route = {}", names(&want)), format!("route = {}", names(&d.route)))
        }
        ExpectKind::RouteStartsWith(r) => {
            let want = role(r);
            holds_or(
                d.route.first() == Some(&want),
                format!("route starts with {want}"),
                format!("route = {}", names(&d.route)),
            )
        }
        ExpectKind::RouteHas(r, present) => member(&role(r), *present, &d.route, ["route has", "route lacks", "route"]),
        ExpectKind::Action(a, present) => {
            member(&model.actions[*a as usize].name, *present, &d.actions, ["action", "no action", "actions"])
        }
        ExpectKind::Exempt(x, present) => {
            member(&model.exemptions[*x as usize].name, *present, &d.exempt, ["exempt", "no exempt", "exempt"])
        }
        ExpectKind::Deadline(id, at) => {
            let name = &model.deadlines[*id as usize];
            let actual = d.deadlines.get(name).map(|i| i.utc());
            let show = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
                Some(t) => format!("deadline {name} = {}", crate::decision::Instant::new(t, model.zone)),
                None => format!("no deadline {name}"),
            };
            holds_or(actual == *at, show(*at), show(actual))
        }
        ExpectKind::Warning(id, at) => {
            let name = &model.deadlines[*id as usize];
            let actual: Vec<String> =
                d.warnings.get(name).map(|w| w.iter().map(ToString::to_string).collect()).unwrap_or_default();
            let held = d.warnings.get(name).is_some_and(|w| w.iter().any(|i| i.utc() == *at));
            let want = crate::decision::Instant::new(*at, model.zone);
            holds_or(
                held,
                format!("warn {name} = {want}"),
                if actual.is_empty() {
                    format!("no warning for {name}")
                } else {
                    format!("warn {name} = {}", actual.join(", "))
                },
            )
        }
        ExpectKind::Value(id, want) => {
            let name = &model.values[*id as usize];
            let actual = d.values.get(name);
            let shown_actual = match actual {
                Some(v) => format!("value {name} = {}", v.as_str().map_or(v.to_string(), str::to_string)),
                None => format!("no value {name}"),
            };
            let (held, shown_expected) = match want {
                None => (actual.is_none(), format!("no value {name}")),
                Some(want) => (
                    actual.is_some_and(|a| same_value(want, a)),
                    format!("value {name} = {}", show_expected(want, model)),
                ),
            };
            holds_or(held, shown_expected, shown_actual)
        }
    }
}

fn show_expected(v: &Value, model: &Model) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Time(t) => crate::decision::Instant::new(*t, model.zone).to_string(),
        other => format!("{other:?}"),
    }
}

/// Whether a reported value is the one a test wrote. A decimal must be reported as written,
/// places included (`25.00` is not `25.0`): policy owners state how money is shown. A time
/// is the same instant, whatever its offset.
fn same_value(expected: &Value, actual: &serde_json::Value) -> bool {
    match (expected, actual) {
        (Value::Bool(b), serde_json::Value::Bool(a)) => a == b,
        (Value::Int(i), serde_json::Value::Number(n)) => n.as_i64() == Some(*i),
        (Value::Int(i), serde_json::Value::String(s)) => s.parse::<Decimal>().is_ok_and(|d| d == Decimal::from(*i)),
        (Value::Decimal(d), serde_json::Value::String(s)) => *s == d.to_string(),
        (Value::Decimal(d), serde_json::Value::Number(n)) => {
            d.scale() == 0 && n.as_i64().map(Decimal::from) == Some(*d)
        }
        (Value::Text(t), serde_json::Value::String(s)) => **t == **s,
        (Value::Time(t), serde_json::Value::String(s)) => {
            chrono::DateTime::parse_from_rfc3339(s).is_ok_and(|a| a.with_timezone(&chrono::Utc) == *t)
        }
        _ => false,
    }
}
