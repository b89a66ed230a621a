//! Checking of policy tests: their givens and expectations name real fields, grades,
//! roles, actions, exemptions, deadlines and values, and the ticket a test gives is one the
//! reader accepts unless the test expects it refused.

use super::{resolve, Checker};
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::model::*;
use crate::source::{Span, Spanned};
use crate::syntax::ast::{self, Expectation};
use crate::testing::empty_slots;
use crate::ticket::out_of_bounds;
use crate::value::Value;

impl Checker {
    pub(super) fn test(&mut self, test: &ast::Test) -> Option<TestDef> {
        let mut ok = true;
        let mut given = Vec::new();
        // Where each field is given, to point at a value the reader would refuse.
        let mut given_at: Vec<(FieldId, Span)> = Vec::new();
        for (path, value) in &test.given {
            let Some(&slot) = self.field_index.get(&path.node) else {
                self.unknown_field(path, "a test gives values to fields of the `ticket` block");
                ok = false;
                continue;
            };
            match self.constant(value, Some(self.fields[slot.index()].ty)) {
                Some(v) => {
                    given.push((slot, v));
                    given_at.push((slot, path.span.to(value.span)));
                }
                None => ok = false,
            }
        }
        let givens_ok = ok;
        let mut expect = Vec::new();
        for e in &test.expect {
            match self.expectation(&e.node) {
                Some(kind) => expect.push(ExpectDef { kind, span: e.span }),
                None => ok = false,
            }
        }
        let refused = test.expect.iter().find(|e| matches!(e.node, Expectation::Refused(_)));
        let decided = test.expect.iter().find(|e| !matches!(e.node, Expectation::Refused(_)));
        if let (Some(refused), Some(decided)) = (refused, decided) {
            self.diags.push(
                Diagnostic::error("refused_and_decided", "a test expects its ticket both refused and decided")
                    .label(refused.span, "a refused ticket is not decided")
                    .label(decided.span, "so this is never reached")
                    .help("expect the decision in a test whose ticket the reader accepts"),
            );
            ok = false;
        }
        // A test of refusal gives values the reader refuses on purpose.
        if givens_ok && refused.is_none() {
            self.refused_givens(test, &given, &given_at);
        }
        ok.then(|| TestDef {
            name: test.name.node.clone(),
            clauses: test.clauses.clone(),
            base: test.base.as_ref().map(|b| b.node.clone()),
            given,
            expect,
            span: test.name.span,
        })
    }

    /// A value written out in a test; computed expressions are not allowed there.
    pub(super) fn constant(&mut self, e: &ast::Expr, ty: Option<Type>) -> Option<Value> {
        let (checked, found) = self.expr(e, ty)?;
        if let Some(want) = ty {
            if found != want && !(want == Type::Decimal && found == Type::Int) {
                let expected = self.type_name(want);
                let found = self.type_name(found);
                self.diags.push(
                    Diagnostic::error("type_mismatch", format!("expected {expected}, found {found}"))
                        .label(e.span, format!("this is {found}"))
                        .help("give the field a value of its own type"),
                );
                return None;
            }
        }
        match checked.kind {
            ExprKind::Const(Value::Int(i)) if ty == Some(Type::Decimal) => Some(Value::Decimal(i.into())),
            ExprKind::Const(v) => Some(v),
            ExprKind::Negate(inner) => match inner.kind {
                ExprKind::Const(Value::Int(i)) => Some(Value::Int(-i)),
                ExprKind::Const(Value::Decimal(d)) => Some(Value::Decimal(-d)),
                _ => None,
            },
            _ => {
                self.diags.push(
                    Diagnostic::error("not_constant", "a test gives values written out")
                        .label(e.span, "this is computed")
                        .help("write the value itself, e.g. `score = 3` or `received_at = 2024-05-10 10:30`"),
                );
                None
            }
        }
    }

    fn expectation(&mut self, e: &Expectation) -> Option<ExpectKind> {
        Some(match e {
            Expectation::Grade(None) => ExpectKind::Grade(None),
            Expectation::Grade(Some(g)) => ExpectKind::Grade(Some(self.grade_ref(g)?)),
            Expectation::RouteIs(roles) => {
                ExpectKind::RouteIs(roles.iter().map(|r| self.declared_ref(r, Which::Role)).collect::<Option<_>>()?)
            }
            Expectation::RouteStartsWith(r) => ExpectKind::RouteStartsWith(self.declared_ref(r, Which::Role)?),
            Expectation::RouteHas(r) => ExpectKind::RouteHas(self.declared_ref(r, Which::Role)?, true),
            Expectation::RouteLacks(r) => ExpectKind::RouteHas(self.declared_ref(r, Which::Role)?, false),
            Expectation::Action(a, present) => ExpectKind::Action(self.declared_ref(a, Which::Action)?, *present),
            Expectation::Exempt(x, present) => ExpectKind::Exempt(self.declared_ref(x, Which::Exemption)?, *present),
            Expectation::Deadline(name, at) => {
                let id = self.declared_ref(name, Which::Deadline)?;
                let at = match at {
                    Some(at) => Some(self.time_literal(&at.node, at.span)?),
                    None => None,
                };
                ExpectKind::Deadline(id, at)
            }
            Expectation::Warning(name, at) => {
                let id = self.declared_ref(name, Which::Deadline)?;
                let at = match at {
                    Some(at) => Some(self.time_literal(&at.node, at.span)?),
                    None => None,
                };
                ExpectKind::Warning(id, at)
            }
            Expectation::Refused(fields) => {
                // Every field is looked at, so that each mistake is reported in one run.
                let ids: Vec<Option<FieldId>> = fields.iter().map(|f| self.refused_field(f)).collect();
                ExpectKind::Refused(ids.into_iter().collect::<Option<_>>()?)
            }
            Expectation::Value(name, value) => {
                let id = self.declared_ref(name, Which::Value)?;
                let value = match value {
                    Some(v) => Some(self.constant(v, None)?),
                    None => None,
                };
                ExpectKind::Value(id, value)
            }
        })
    }

    /// A test decides only a ticket the reader accepts: report each value it gives that breaks
    /// a bound, by the reader's own check. Without a base ticket every value is known: the
    /// givens and the empty values. With one, the base is read when the test runs (and checked
    /// then), so here only the bounds between given values are: the rest is left unknown.
    fn refused_givens(&mut self, test: &ast::Test, given: &[(FieldId, Value)], given_at: &[(FieldId, Span)]) {
        let mut slots = match test.base {
            None => empty_slots(&self.fields, self.field_index.get("id").copied(), &test.name.node),
            Some(_) => vec![Value::Null; self.fields.len()],
        };
        for (field, value) in given {
            if let Some(slot) = slots.get_mut(field.index()) {
                *slot = value.clone();
            }
        }
        let refused = out_of_bounds(&self.fields, &slots);
        let mut names: Vec<&str> = refused.iter().map(|(f, _)| &*self.fields[f.index()].path).collect();
        names.dedup();
        let help = format!(
            "give values the reader accepts; or, to test the refusal, write `expect refused {}` \
             and expect nothing else",
            names.join(", ")
        );
        for (field, kind) in &refused {
            let path = &self.fields[field.index()].path;
            let d =
                Diagnostic::error("out_of_bounds", format!("the reader refuses this test's ticket: `{path}` {kind}"));
            // The last value given wins, as in the scenario.
            let d = match given_at.iter().rev().find(|(f, _)| f == field) {
                Some((_, span)) => d.label(*span, "out of bounds"),
                None => d.label(test.name.span, format!("this test does not give `{path}`, so it has its empty value")),
            };
            self.diags.push(d.help(help.clone()));
        }
    }

    pub(super) fn unknown_field(&mut self, path: &Spanned<String>, help: &str) {
        let help = did_you_mean(&path.node, self.fields.iter().map(|f| &*f.path)).unwrap_or_else(|| help.into());
        self.diags.push(
            Diagnostic::error("unknown_field", format!("unknown field `{}`", path.node))
                .label(path.span, "not a field of the ticket")
                .help(help),
        );
    }

    /// A field `expect refused` names. The reader refuses a test's values only for breaking
    /// a bound: the checker holds them to their field's type, enum values and durations
    /// already. So a field without bounds is never refused, and naming one is a mistake.
    fn refused_field(&mut self, path: &Spanned<String>) -> Option<FieldId> {
        let Some(&id) = self.field_index.get(&path.node) else {
            self.unknown_field(path, "a test names fields of the `ticket` or `record` block");
            return None;
        };
        if self.fields[id.index()].bounds.is_empty() {
            let bounded: Vec<String> =
                self.fields.iter().filter(|f| !f.bounds.is_empty()).map(|f| format!("`{}`", f.path)).collect();
            let help = if bounded.is_empty() {
                "no field of this policy has bounds, such as `complaints int >= 0`".to_string()
            } else {
                format!("the fields with bounds are {}", bounded.join(", "))
            };
            self.diags.push(
                Diagnostic::error("never_refused", format!("`{}` has no bounds, so it is never refused", path.node))
                    .label(path.span, "the reader takes any value of its type here")
                    .help(help),
            );
            return None;
        }
        Some(id)
    }

    /// A name a test expects; using it in a test is not using it in the policy.
    fn declared_ref<I: Id>(&mut self, name: &Spanned<String>, which: Which) -> Option<I> {
        let names: Vec<&str> = match which {
            Which::Role => self.roles.iter().map(|r| &*r.name).collect(),
            Which::Action => self.actions.iter().map(|a| &*a.name).collect(),
            Which::Exemption => self.exemption_names.iter().map(|e| &**e).collect(),
            Which::Deadline => self.deadlines.iter().map(|d| &**d).collect(),
            Which::Value => self.values.iter().map(|v| &**v).collect(),
        };
        let words = match which {
            Which::Role => ("unknown_role", "role"),
            Which::Action => ("unknown_action", "action"),
            Which::Exemption => ("unknown_exemption", "exemption"),
            Which::Deadline => ("unknown_deadline", "deadline"),
            Which::Value => ("unknown_value", "value"),
        };
        let label = format!("not a {} of this policy", words.1);
        resolve(&mut self.diags, name, names.iter().copied(), words, &label, || {
            format!("no rule of this policy sets a {} of this name", words.1)
        })
    }
}

#[derive(Clone, Copy)]
enum Which {
    Role,
    Action,
    Exemption,
    Deadline,
    Value,
}
