//! Policy tests: scenarios written in the policy language, run against the policy.

use std::path::Path;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::compile::Program;
use crate::decision::{Computed, Decision, Instant};
use crate::eval::error::Owner;
use crate::eval::trace::TraceLevel;
use crate::model::{ExpectDef, ExpectKind, Field, FieldId, Id, Model, TestDef, Type};
use crate::policy::Policy;
use crate::source::Span;
use crate::ticket::{out_of_bounds, FieldProblem, FieldProblemKind, PreparedTicket};
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
        let mut fired_rules = vec![false; model.rules.len()];
        let mut fired_exemptions = vec![false; model.exemptions.len()];
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
                let ticket = match self.scenario(test) {
                    Ok(ticket) => ticket,
                    Err(e) => {
                        outcome.error = Some(e);
                        return outcome;
                    }
                };
                let refused = out_of_bounds(&model.fields, &ticket.slots);
                match test.expect.iter().find(|e| matches!(e.kind, ExpectKind::Refused(_))) {
                    // A test of refusal: the ticket is not decided, and covers no rule.
                    Some(at) => outcome.failures = self.refusal(test, at, &refused).into_iter().collect(),
                    // The checker refuses a test's own values out of bounds; a base ticket is
                    // read only now. Deciding a ticket the reader refuses would test what
                    // never happens.
                    None if !refused.is_empty() => {
                        let mut names: Vec<&str> = refused.iter().map(|(f, _)| &*model.field(*f).path).collect();
                        names.dedup();
                        outcome.error = Some(format!(
                            "the reader refuses this ticket: {}; to test the refusal, write `expect refused {}` and \
                             expect nothing else",
                            refused_problems(model, &refused),
                            names.join(", ")
                        ));
                    }
                    None => {
                        let decision = self.decide(&ticket, TraceLevel::Rules);
                        for entry in decision.trace() {
                            match entry.owner() {
                                Owner::Rule(r) => fired_rules[r.index()] = true,
                                Owner::Exemption(e) => fired_exemptions[e.index()] = true,
                            }
                        }
                        outcome.failures = test
                            .expect
                            .iter()
                            .filter_map(|e| {
                                check(self.program(), &e.kind, &decision).map(|(expected, actual)| Failure {
                                    location: self.location(e.span),
                                    expected,
                                    actual,
                                })
                            })
                            .collect();
                        if !decision.problems().is_empty() {
                            let problems: Vec<String> = decision.problems().iter().map(ToString::to_string).collect();
                            outcome.error = Some(format!("not everything could be decided: {}", problems.join("; ")));
                        }
                    }
                }
                outcome
            })
            .collect();
        let rules = model.rules.iter().zip(&fired_rules).map(|(r, fired)| (&r.name, &r.clauses, r.span, *fired));
        let exemptions =
            model.exemptions.iter().zip(&fired_exemptions).map(|(e, fired)| (&e.name, &e.clauses, e.span, *fired));
        let uncovered = rules
            .chain(exemptions)
            .filter(|(.., fired)| !fired)
            .map(|(name, clauses, span, _)| {
                let clauses = (!clauses.is_empty()).then(|| clauses.join(", "));
                (name.to_string(), clauses, self.location(span))
            })
            .collect();
        TestReport { outcomes, uncovered }
    }

    /// `expect refused a, b`: `None` when the reader refuses the ticket for exactly the fields
    /// the test's `refused` expectations name together (in any order, each however many
    /// bounds it breaks), else the failure, reported at the first of them (`at`).
    fn refusal(&self, test: &TestDef, at: &ExpectDef, refused: &[(FieldId, FieldProblemKind)]) -> Option<Failure> {
        let model = &self.program().model;
        let mut expected: Vec<FieldId> = Vec::new();
        for e in &test.expect {
            let ExpectKind::Refused(fields) = &e.kind else { continue };
            for f in fields {
                if !expected.contains(f) {
                    expected.push(*f);
                }
            }
        }
        // The reader lists a field's problems together, in schema order.
        let mut actual: Vec<FieldId> = refused.iter().map(|(f, _)| *f).collect();
        actual.dedup();
        let same = expected.len() == actual.len() && expected.iter().all(|f| actual.contains(f));
        if same {
            return None;
        }
        let names = |fields: &[FieldId]| fields.iter().map(|f| &*model.field(*f).path).collect::<Vec<_>>().join(", ");
        let actual = if refused.is_empty() {
            "accepted: no field breaks its bounds".to_string()
        } else {
            format!("refused {} ({})", names(&actual), refused_problems(model, refused))
        };
        Some(Failure { location: self.location(at.span), expected: format!("refused {}", names(&expected)), actual })
    }

    /// `file:line:column` of a span in the policy's sources.
    pub(crate) fn location(&self, span: Span) -> String {
        match self.sources().get(span.file as usize) {
            Some(source) => source.location(span.start),
            None => String::from("<policy>"),
        }
    }

    /// The scenario's ticket: the base ticket or each field's empty value, then the givens.
    fn scenario(&self, test: &TestDef) -> Result<PreparedTicket, String> {
        let model = &self.program().model;
        let mut ticket = match &test.base {
            Some(path) => {
                let dir = self.origin().and_then(Path::parent).unwrap_or(Path::new("."));
                let file = dir.join(path);
                let text =
                    std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
                self.prepare_str(&text).map_err(|e| format!("`{}`: {e}", file.display()))?
            }
            None => PreparedTicket::from_slots(empty_slots(&model.fields, model.id_field, &test.name)),
        };
        for (field, value) in &test.given {
            if let Some(slot) = ticket.slots.get_mut(field.index()) {
                *slot = value.clone();
            }
        }
        Ok(ticket)
    }
}

/// What the reader says of each field it refuses, in its words (`FieldProblem`'s), e.g.
/// completed_in_time: is 9, and must be at most `complaints` (3).
fn refused_problems(model: &Model, refused: &[(FieldId, FieldProblemKind)]) -> String {
    let problems: Vec<String> = refused
        .iter()
        .map(|(f, kind)| FieldProblem { path: model.field(*f).path.to_string(), kind: kind.clone() }.to_string())
        .collect();
    problems.join("; ")
}

/// A ticket with every field at its empty value: false, 0, "", the first enum value, an
/// empty set, and missing for times and optional fields; the id names the test. The checker
/// starts from it too, to find the values a test gives that the reader would refuse.
pub(crate) fn empty_slots(fields: &[Field], id_field: Option<FieldId>, name: &str) -> Vec<Value> {
    fields
        .iter()
        .enumerate()
        .map(|(slot, f)| match f.ty {
            _ if id_field.is_some_and(|id| id.index() == slot) => Value::Text(format!("test: {name}").into()),
            _ if f.optional => Value::Null,
            Type::Bool => Value::Bool(false),
            Type::Int => Value::Int(0),
            Type::Decimal => Value::Decimal(Decimal::ZERO),
            Type::Text => Value::Text("".into()),
            Type::Enum(_) => Value::Enum(0),
            Type::EnumSet(_) => Value::EnumSet(0),
            Type::TextSet => Value::TextSet(Arc::from(Vec::new())),
            Type::Time | Type::Duration(..) | Type::Grade => Value::Null,
        })
        .collect()
}

/// `None` when the expectation holds, else what was expected and what was found.
fn check(program: &Program, kind: &ExpectKind, d: &Decision<'_>) -> Option<(String, String)> {
    let model = &program.model;
    let names = |v: Vec<&str>| if v.is_empty() { "nothing".to_string() } else { v.join(", ") };
    let holds_or = |ok: bool, expected: String, actual: String| (!ok).then_some((expected, actual));
    // `action x`, `no action x`, `exempt e`, `route has r`, …: a name present in a list, or not.
    let member = |want: &str, present: bool, list: Vec<&str>, words: [&str; 3]| {
        let [yes, no, shown] = words;
        let word = if present { yes } else { no };
        holds_or(list.contains(&want) == present, format!("{word} {want}"), format!("{shown} = {}", names(list)))
    };
    let grade_words = |g: Option<&str>| g.map_or("no grade".into(), |g| format!("grade {g}"));
    match kind {
        ExpectKind::Grade(g) => {
            holds_or(d.grade == *g, grade_words(g.map(|g| &*model.grade(g).name)), grade_words(d.grade()))
        }
        ExpectKind::RouteIs(roles) => {
            let want: Vec<&str> = roles.iter().map(|r| &*model.role(*r).name).collect();
            holds_or(
                d.route == *roles,
                format!("route = {}", names(want)),
                format!("route = {}", names(d.route().collect())),
            )
        }
        ExpectKind::RouteStartsWith(r) => holds_or(
            d.route.first() == Some(r),
            format!("route starts with {}", model.role(*r).name),
            format!("route = {}", names(d.route().collect())),
        ),
        ExpectKind::RouteHas(r, present) => {
            member(&model.role(*r).name, *present, d.route().collect(), ["route has", "route lacks", "route"])
        }
        ExpectKind::Action(a, present) => {
            member(&model.action(*a).name, *present, d.actions().collect(), ["action", "no action", "actions"])
        }
        ExpectKind::Exempt(x, present) => {
            member(&model.exemption(*x).name, *present, d.exempt().collect(), ["exempt", "no exempt", "exempt"])
        }
        ExpectKind::Deadline(id, at) => {
            let name = model.deadline_name(*id);
            let actual = d.deadlines.iter().find(|(x, _)| x == id).map(|(_, i)| i.utc());
            let show = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
                Some(t) => format!("deadline {name} = {}", program.instant(t)),
                None => format!("no deadline {name}"),
            };
            holds_or(actual == *at, show(*at), show(actual))
        }
        ExpectKind::Warning(id, at) => {
            let name = model.deadline_name(*id);
            let warnings: Vec<Instant> = d.warnings.iter().filter(|(x, _)| x == id).map(|(_, i)| *i).collect();
            let actual: Vec<String> = warnings.iter().map(ToString::to_string).collect();
            let actual = if actual.is_empty() {
                format!("no warn {name}")
            } else {
                format!("warn {name} = {}", actual.join(", "))
            };
            match at {
                // A deadline may warn more than once: the one written must be among them.
                Some(at) => holds_or(
                    warnings.iter().any(|i| i.utc() == *at),
                    format!("warn {name} = {}", program.instant(*at)),
                    actual,
                ),
                None => holds_or(warnings.is_empty(), format!("no warn {name}"), actual),
            }
        }
        // Judged on the ticket, which is then not decided (`Policy::refusal`): the checker
        // keeps `refused` out of a test that expects a decision.
        ExpectKind::Refused(_) => None,
        ExpectKind::Value(id, want) => {
            let name = model.value_name(*id);
            let actual = d.value(name);
            let shown_actual = match actual {
                Some(v) => format!("value {name} = {v}"),
                None => format!("no value {name}"),
            };
            let (held, shown_expected) = match want {
                None => (actual.is_none(), format!("no value {name}")),
                Some(want) => (
                    actual.is_some_and(|a| same_value(want, &a)),
                    format!("value {name} = {}", show_expected(want, program)),
                ),
            };
            holds_or(held, shown_expected, shown_actual)
        }
    }
}

fn show_expected(v: &Value, program: &Program) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Time(t) => program.instant(*t).to_string(),
        other => format!("{other:?}"),
    }
}

/// Whether a reported value is the one a test wrote. A decimal must be reported as written,
/// places included (`25.00` is not `25.0`): policy owners state how money is shown. A time
/// is the same instant, whatever its offset.
fn same_value(expected: &Value, actual: &Computed<'_>) -> bool {
    match (expected, actual) {
        (Value::Bool(b), Computed::Bool(a)) => a == b,
        (Value::Int(i), Computed::Int(a)) => a == i,
        (Value::Int(i), Computed::Decimal(a)) => *a == Decimal::from(*i),
        (Value::Decimal(d), Computed::Decimal(a)) => a.to_string() == d.to_string(),
        (Value::Decimal(d), Computed::Int(a)) => d.scale() == 0 && Decimal::from(*a) == *d,
        (Value::Text(t), Computed::Text(a) | Computed::Name(a)) => **t == **a,
        (Value::Time(t), Computed::Time(a)) => a.utc() == *t,
        // A time written as the decision shows it, in quotes.
        (Value::Text(t), Computed::Time(a)) => {
            chrono::DateTime::parse_from_rfc3339(t).is_ok_and(|t| t.with_timezone(&chrono::Utc) == a.utc())
        }
        _ => false,
    }
}
