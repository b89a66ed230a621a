//! Scenarios: a ticket built up field by field against one policy, and the questions a
//! policy owner asks of it — what an expression gives, why a rule did not fire, what moved
//! between two decisions, and the smallest change to the ticket that changes one part of
//! its decision. The REPL is a thin layer over this module; hosts can ask the same.
//!
//! Fragments (`impact.safety = true`, `score >= 3`) are parsed and checked against the
//! loaded policy's names with the same parser and checker as rule files, so a fragment
//! means what it would mean in a rule, and a mistake gets the same located diagnostic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::calendar::clock_words;
use crate::check::Checker;
use crate::compile::expr::{Compiled, Compiler, FactPlan};
use crate::decision::{Computed, Decision};
use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics};
use crate::eval::context::{Ctx, DeadlineState, Scratch};
use crate::eval::error::{Owner, Site};
use crate::eval::trace::{record_facts, Fact, TraceLevel};
use crate::explain::{instant_words, WhyPart};
use crate::limits::Limits;
use crate::model::*;
use crate::policy::Policy;
use crate::source::{FileId, Source};
use crate::testing::empty_slots;
use crate::ticket::{out_of_bounds, FieldProblem, PreparedTicket};
use crate::value::Value;

/// How many changes of the smallest size `flip` keeps.
const FLIPS_KEPT: usize = 50;

/// The name fragments are shown under in diagnostics.
const INPUT: &str = "<input>";

/// A field given a value by hand, checked against the policy's schema.
#[derive(Debug, Clone)]
struct Given {
    field: FieldId,
    /// `None` to leave the field out of the ticket (`unset`).
    value: Option<Value>,
    /// The value as written, to check it again against an edited policy.
    text: Option<String>,
}

/// A ticket under construction: an optional base ticket read from JSON, and the fields set
/// or unset over it, in order. It holds text, not ids, where a policy is edited under it:
/// [`Scenario::rebase`] checks it again against the new policy.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// The base ticket's file, when it came from one, and its JSON.
    base: Option<(Option<PathBuf>, serde_json::Value)>,
    given: Vec<(String, Given)>,
}

/// One thing that differs between two decisions, in words: `what` (`grade`, `action
/// notify`, …), and the part before and after (`None` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The part of the decision.
    pub what: String,
    /// Before, if present.
    pub before: Option<String>,
    /// After, if present.
    pub after: Option<String>,
}

/// The smallest change to a ticket found to change one part of its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    /// Each field changed, with its new value as the language writes it (`missing` for an
    /// absent optional field).
    pub changes: Vec<(String, String)>,
    /// The part of the decision after the change.
    pub after: String,
}

/// What a search for a flip found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlipSearch {
    /// The part of the decision now.
    pub before: String,
    /// The smallest changes found, all of the same size, in schema order: up to 50.
    pub found: Vec<Flip>,
    /// How many decisions were tried.
    pub tried: usize,
    /// Whether the search stopped at its budget before trying every change of its size.
    pub exhausted_budget: bool,
    /// Fields the search does not vary (text, times and sets of texts are not finite).
    pub not_searched: Vec<String>,
}

/// A deadline against the REPL's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not yet due, and not yet warned.
    Due,
    /// Past its (first) warning, not yet due.
    Warned,
    /// Past due.
    Breached,
}

/// An expression checked against a policy, ready to evaluate against tickets.
pub struct Expression {
    policy: Policy,
    code: Compiled,
    ty: Type,
    type_words: String,
    memos: usize,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression").field("type", &self.type_words).finish()
    }
}

/// What an expression gave for one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The value as the language writes it (`missing` when unknown).
    pub value: String,
    /// Problems met computing it (a date outside a calendar, an overflow).
    pub problems: Vec<String>,
    instant: Option<DateTime<Utc>>,
}

impl Evaluated {
    /// The value, when it is an instant.
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        self.instant
    }
}

impl Policy {
    /// A fragment's source, numbered after the policy's own files.
    fn fragment(&self, text: &str) -> (Arc<Source>, FileId) {
        let file = FileId::try_from(self.sources().len()).unwrap_or(FileId::MAX);
        (Arc::new(Source::new(INPUT, text)), file)
    }

    fn fragment_errors(source: &Arc<Source>, diagnostics: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics(diagnostics.into_iter().map(|d| d.in_source(source.clone())).collect())
    }

    /// Check `path = value, …` (as a test's `given` writes it) against the ticket's fields:
    /// each path a field, each value written out and of the field's type.
    /// Each value comes with its text as written, to check it again against an edited
    /// policy.
    fn check_assignments(&self, text: &str) -> Result<Vec<(FieldId, Value, String)>, Diagnostics> {
        let (source, file) = self.fragment(text);
        let limits = Limits::default();
        let parsed = crate::syntax::parse_assignments(text, file, limits.expression_depth)
            .map_err(|d| Self::fragment_errors(&source, d))?;
        let mut checker = Checker::for_model(&self.program().model, &limits);
        let checked = checker.assignments(&parsed);
        // One value a field: which of two would be meant cannot be known (a ticket with a
        // key given twice is refused too).
        for (i, (path, _)) in parsed.iter().enumerate() {
            if let Some((first, _)) = parsed[..i].iter().find(|(p, _)| p.node == path.node) {
                checker.diags.push(
                    Diagnostic::error("duplicate_field", format!("`{}` is given twice", path.node))
                        .label(path.span, "again here")
                        .label(first.span, "first here")
                        .help("give each field one value"),
                );
            }
        }
        let errors: Vec<Diagnostic> =
            checker.diags.into_iter().filter(|d| d.severity() == crate::diagnostic::Severity::Error).collect();
        match checked {
            Some(values) if errors.is_empty() => Ok(values
                .into_iter()
                .zip(&parsed)
                .map(|((field, value), (_, written))| (field, value, source.slice(written.span).to_string()))
                .collect()),
            _ => Err(Self::fragment_errors(&source, errors)),
        }
    }

    /// Check an expression written on its own against the policy's fields, `let`s,
    /// calendars and deadlines, and compile it. It is evaluated after the ticket is
    /// decided, so it may read the grade and the decision's deadlines.
    pub fn expression(&self, text: &str) -> Result<Expression, Diagnostics> {
        let (source, file) = self.fragment(text);
        let limits = Limits::default();
        let parsed = crate::syntax::parse_expression(text, file, limits.expression_depth)
            .map_err(|d| Self::fragment_errors(&source, d))?;
        let model = &self.program().model;
        let mut checker = Checker::for_model(model, &limits);
        let checked = checker.lone_expr(&parsed);
        let errors: Vec<Diagnostic> =
            checker.diags.iter().filter(|d| d.severity() == crate::diagnostic::Severity::Error).cloned().collect();
        let expr = match checked {
            Some(e) if errors.is_empty() => e,
            _ => return Err(Self::fragment_errors(&source, errors)),
        };
        let mut compiler = Compiler::continuing(self.program().mentions);
        let code = compiler.compile(&expr);
        Ok(Expression {
            policy: self.clone(),
            code,
            ty: expr.ty,
            type_words: checker.type_name(expr.ty),
            memos: compiler.mention_slots(),
        })
    }

    /// `from` moved on by a duration written in the language (`2 h`, `1 working day`,
    /// `3 days`), reckoned as a deadline is: working time counts the policy's calendar.
    pub fn advance(&self, from: DateTime<Utc>, duration: &str) -> Result<DateTime<Utc>, AdvanceError> {
        let expression = self.expression(duration).map_err(AdvanceError::Diagnostics)?;
        let Compiled::Duration(code) = &expression.code else {
            return Err(AdvanceError::Other(format!(
                "`{duration}` is {}, not a duration: write `2 h`, `1 working day` or `3 days`",
                expression.type_words
            )));
        };
        let program = self.program();
        let model = &program.model;
        let slots = empty_slots(&model.fields, model.id_field, "clock");
        let mut scratch = Scratch::default();
        scratch.reset(program);
        settle(&mut scratch, expression.memos, &[]);
        let mut problems = Vec::new();
        let mut ctx = Ctx {
            program,
            slots: &slots,
            scratch: &mut scratch,
            problems: &mut problems,
            grade: None,
            site: Site::condition(probe_owner(model)),
            replaying: false,
        };
        let moved = code(&mut ctx).and_then(|by| ctx.shift(from, &by, false));
        match (moved, problems.first()) {
            (Some(t), _) => Ok(t),
            (None, Some(p)) => Err(AdvanceError::Other(format!("the clock cannot move by `{duration}`: {}", p.kind))),
            (None, None) => Err(AdvanceError::Other(format!("`{duration}` has no value"))),
        }
    }

    /// The ticket's field paths, in schema order.
    pub fn field_paths(&self) -> impl Iterator<Item = &str> {
        self.program().model.fields.iter().map(|f| &*f.path)
    }

    /// A field's type in words, and the values it may take when they are few (an enum's
    /// or a set's members, `true`/`false`).
    pub fn field_type(&self, path: &str) -> Option<(String, Vec<String>)> {
        let model = &self.program().model;
        let field = model.fields.iter().find(|f| &*f.path == path)?;
        let checker = Checker::for_model(model, &Limits::default());
        let mut words = checker.type_name(field.ty);
        if field.optional {
            words.push_str(", optional");
        }
        let values = match field.ty {
            Type::Bool => vec!["true".into(), "false".into()],
            Type::Enum(e) | Type::EnumSet(e) => model.enum_def(e).values.iter().map(|v| v.name.to_string()).collect(),
            _ => Vec::new(),
        };
        Some((words, values))
    }

    /// Names the policy declares, by kind (`rule`, `exemption`, `action`, `deadline`,
    /// `value`, `role`, `grade`, `calendar`), in file order.
    pub fn names(&self, kind: &str) -> Vec<&str> {
        let model = &self.program().model;
        match kind {
            "rule" => model.rules.iter().map(|r| &*r.name).collect(),
            "exemption" | "exempt" => model.exemptions.iter().map(|e| &*e.name).collect(),
            "action" => model.actions.iter().map(|a| &*a.name).collect(),
            "deadline" => model.deadlines.iter().map(|d| &**d).collect(),
            "value" => model.values.iter().map(|v| &**v).collect(),
            "role" => model.roles.iter().map(|r| &*r.name).collect(),
            "grade" => model.grades.iter().map(|g| &*g.name).collect(),
            "calendar" => model.calendars.iter().map(|c| &*c.name).collect(),
            _ => Vec::new(),
        }
    }

    /// Why a rule or exemption did not fire for a ticket: the first part of its condition
    /// that is not true, with the facts that part read. Said in words; an unknown name is
    /// an error with the closest names.
    pub fn why_not(&self, ticket: &PreparedTicket, name: &str) -> Result<String, String> {
        let model = &self.program().model;
        let rule = model.rules.iter().position(|r| &*r.name == name).and_then(RuleId::new);
        let exemption = model.exemptions.iter().position(|e| &*e.name == name).and_then(ExemptionId::new);
        let (owner, condition) = match (rule, exemption) {
            (Some(r), _) => (Owner::Rule(r), model.rule(r).condition.as_ref()),
            (None, Some(e)) => (Owner::Exemption(e), Some(&model.exemption(e).condition)),
            (None, None) => {
                let names = model.rules.iter().map(|r| &*r.name).chain(model.exemptions.iter().map(|e| &*e.name));
                let all: Vec<&str> = names.collect();
                let hint = did_you_mean(name, all.iter().copied())
                    .unwrap_or_else(|| format!("the rules and exemptions are {}", all.join(", ")));
                return Err(format!("no rule or exemption is named `{name}`; {hint}"));
            }
        };
        let mut decision = self.decide(ticket, TraceLevel::Full);
        let what = if rule.is_some() { "rule" } else { "exemption" };
        if decision.trace.fired.contains(&owner) {
            return Ok(format!("{what} `{name}` fired for this ticket; `:why` shows what it did\n"));
        }
        let Some(condition) = condition else {
            return Ok(format!("{what} `{name}` has no condition, so it always fires\n"));
        };
        let parts: Vec<&Expr> = match &condition.kind {
            ExprKind::And(parts) => parts.iter().collect(),
            _ => vec![condition],
        };
        let mut compiler = Compiler::continuing(self.program().mentions);
        // A part that fails as a whole: every alternative of an `or` failed, so each is told.
        let plan = |c: &mut Compiler, p: &Expr| match &p.kind {
            ExprKind::Or(alternatives) => FactPlan::All(alternatives.iter().map(|a| c.facts(a)).collect()),
            _ => c.facts(p),
        };
        let compiled: Vec<(crate::compile::expr::BoolCode, FactPlan)> =
            parts.iter().map(|p| (compiler.bool(p), plan(&mut compiler, p))).collect();
        let memos = compiler.mention_slots();
        let mut problems = Vec::new();
        let failed = after_decision(&mut decision, &ticket.slots, memos, owner, &mut problems, |ctx| {
            for (part, (test, plan)) in parts.iter().zip(&compiled) {
                let held = test(ctx);
                if held != Some(true) {
                    let mut facts: Vec<(u32, Fact)> = Vec::new();
                    record_facts(ctx, plan, 0, &mut facts);
                    return Some((part, held, facts));
                }
            }
            None
        });
        let mut out = String::new();
        if let Some((part, held, facts)) = failed {
            let written = self.written(part.span);
            let state = if held.is_none() { "cannot be decided (a value it reads is missing)" } else { "is false" };
            let _ = writeln!(out, "{what} `{name}` did not fire: `{written}` {state}");
            if !facts.is_empty() {
                let _ = writeln!(out, "  it read:");
                crate::explain::facts_tree(&mut out, &decision, &facts, 4);
            }
        }
        if out.is_empty() {
            // Every part holds: an exemption that waives nothing this ticket triggered.
            if let Owner::Exemption(e) = owner {
                let def = model.exemption(e);
                let actions: Vec<&str> = def.actions.iter().map(|a| &*model.action(*a).name).collect();
                let _ = writeln!(
                    out,
                    "exemption `{name}` holds, but waives nothing here: none of its actions ({}) was triggered",
                    actions.join(", ")
                );
            } else {
                let _ = writeln!(out, "rule `{name}`'s condition holds, but its grade was decided elsewhere");
            }
        }
        for p in problems {
            let _ = writeln!(out, "  problem: {}", p.kind);
        }
        Ok(out)
    }

    /// The text of the policy a span covers, on one line.
    fn written(&self, span: crate::source::Span) -> String {
        let text = self.sources().get(usize::from(span.file)).map_or("", |s| s.slice(span));
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// What differs between two decisions of this policy, part by part: grade, route,
    /// actions, exemptions, the rules that fired, deadlines, warnings, values and problems.
    /// A member of a list (`action x`, `exempt e`, `rule r`) is `yes` where present.
    pub fn changes(&self, before: &Decision<'_>, after: &Decision<'_>) -> Vec<Change> {
        let mut out = Vec::new();
        let mut push = |what: String, b: Option<String>, a: Option<String>| {
            if b != a {
                out.push(Change { what, before: b, after: a });
            }
        };
        push("grade".into(), before.grade().map(str::to_string), after.grade().map(str::to_string));
        let route = |d: &Decision<'_>| Some(d.route().collect::<Vec<_>>().join(", ")).filter(|r| !r.is_empty());
        push("route".into(), route(before), route(after));
        let mut members = |kind: &str, b: Vec<&str>, a: Vec<&str>| {
            let mut names: Vec<&str> = b.clone();
            names.extend(a.iter().filter(|n| !b.contains(n)));
            for n in names {
                let present = |list: &[&str]| list.contains(&n).then(|| "yes".to_string());
                push(format!("{kind} {n}"), present(&b), present(&a));
            }
        };
        members("action", before.actions().collect(), after.actions().collect());
        members("exempt", before.exempt().collect(), after.exempt().collect());
        for exemptions in [false, true] {
            let fired = |d: &Decision<'_>| -> Vec<String> {
                d.trace().filter(|e| e.is_exemption() == exemptions).map(|e| e.name().to_string()).collect()
            };
            let (b, a) = (fired(before), fired(after));
            members(
                if exemptions { "exemption" } else { "rule" },
                b.iter().map(String::as_str).collect(),
                a.iter().map(String::as_str).collect(),
            );
        }
        let model = &self.program().model;
        for name in model.deadlines.iter() {
            push(
                format!("deadline {name}"),
                before.deadline(name).map(instant_words),
                after.deadline(name).map(instant_words),
            );
            let warnings = |d: &Decision<'_>| {
                Some(d.warnings(name).map(instant_words).collect::<Vec<_>>().join(", ")).filter(|w| !w.is_empty())
            };
            push(format!("warn {name}"), warnings(before), warnings(after));
        }
        for name in model.values.iter() {
            push(
                format!("value {name}"),
                before.value(name).map(computed_words),
                after.value(name).map(computed_words),
            );
        }
        let problems = |d: &Decision<'_>| {
            Some(d.problems().iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")).filter(|p| !p.is_empty())
        };
        push("problems".into(), problems(before), problems(after));
        out
    }

    /// Search for the smallest change to a ticket's fields that changes `part` of its
    /// decision (`part` maps a decision to what is compared): every field of a finite
    /// domain (flags, enums, sets of enums, optional fields left out) and whole numbers and
    /// decimals around the constants the policy compares them with, one field changed,
    /// then two, up to `max_changes`. Every change found was decided; at most `budget`
    /// changes are tried.
    pub fn flip(
        &self,
        ticket: &PreparedTicket,
        part: &WhyPart,
        max_changes: usize,
        budget: usize,
    ) -> Result<FlipSearch, String> {
        let model = &self.program().model;
        let (kind, name) = match part {
            WhyPart::Grade | WhyPart::Route => ("", ""),
            WhyPart::Action(n) => ("action", n.as_str()),
            WhyPart::Deadline(n) => ("deadline", n.as_str()),
            WhyPart::Exempt(n) => ("exemption", n.as_str()),
            WhyPart::Value(n) => ("value", n.as_str()),
        };
        if !kind.is_empty() && !self.names(kind).contains(&name) {
            let names = self.names(kind);
            if names.is_empty() {
                return Err(format!("no {kind} is named `{name}`: this policy has no {kind}s"));
            }
            let hint = did_you_mean(name, names.iter().copied())
                .unwrap_or_else(|| format!("the {kind}s are {}", names.join(", ")));
            return Err(format!("no {kind} is named `{name}`; {hint}"));
        }
        let part = |d: &Decision<'_>| part_words(d, part);
        let mut decision = self.decision(TraceLevel::None);
        self.decide_into(ticket, &mut decision);
        let before = part(&decision);
        let candidates = self.candidates(ticket);
        // What the search never gives a value: text, times, durations and numbers the policy
        // compares with no constant (an optional one is still tried left out).
        let not_searched = model
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                let id = FieldId::new(*i);
                let valued = candidates.iter().any(|(c, v)| Some(*c) == id && v.is_known());
                id != model.id_field && !valued && !matches!(f.ty, Type::Bool | Type::Enum(_) | Type::EnumSet(_))
            })
            .map(|(_, f)| f.path.to_string())
            .collect();
        let mut search =
            FlipSearch { before: before.clone(), found: Vec::new(), tried: 0, exhausted_budget: false, not_searched };
        let mut trial = ticket.clone();
        let mut visited = 0usize;
        for size in 1..=max_changes.min(candidates.len()) {
            let mut chosen: Vec<usize> = Vec::with_capacity(size);
            self.combinations(&candidates, size, 0, &mut chosen, &mut |picked: &[usize]| {
                // Changes the reader would refuse count too: they cost a bounds check each.
                visited += 1;
                if visited > budget {
                    search.exhausted_budget = true;
                    return false;
                }
                trial.slots.clone_from(&ticket.slots);
                for &c in picked {
                    let (field, value) = &candidates[c];
                    trial.slots[field.index()] = value.clone();
                }
                if !out_of_bounds(&model.fields, &trial.slots).is_empty() {
                    return true;
                }
                search.tried += 1;
                self.decide_into(&trial, &mut decision);
                let after = part(&decision);
                if after != before {
                    let changes = picked
                        .iter()
                        .map(|&c| {
                            let (field, value) = &candidates[c];
                            (model.field(*field).path.to_string(), literal(model, model.field(*field).ty, value))
                        })
                        .collect();
                    search.found.push(Flip { changes, after });
                }
                search.found.len() < FLIPS_KEPT
            });
            if !search.found.is_empty() || search.exhausted_budget {
                break;
            }
        }
        Ok(search)
    }

    /// Each field's other values worth trying, as (field, value) pairs.
    fn candidates(&self, ticket: &PreparedTicket) -> Vec<(FieldId, Value)> {
        let model = &self.program().model;
        let constants = compared_constants(model);
        let mut out = Vec::new();
        for (i, field) in model.fields.iter().enumerate() {
            let Some(id) = FieldId::new(i) else { break };
            if Some(id) == model.id_field {
                continue;
            }
            let current = ticket.slots.get(i).cloned().unwrap_or(Value::Null);
            let mut values: Vec<Value> = match field.ty {
                Type::Bool => vec![Value::Bool(true), Value::Bool(false)],
                Type::Enum(e) => {
                    (0..model.enum_def(e).values.len()).filter_map(|v| u16::try_from(v).ok()).map(Value::Enum).collect()
                }
                Type::EnumSet(e) => {
                    let bits = match current {
                        Value::EnumSet(b) => b,
                        _ => 0,
                    };
                    (0..model.enum_def(e).values.len())
                        .filter_map(|v| 1u64.checked_shl(u32::try_from(v).ok()?))
                        .map(|bit| Value::EnumSet(bits ^ bit))
                        .collect()
                }
                Type::Int => constants
                    .iter()
                    .filter(|(f, _)| *f == id)
                    .filter_map(|(_, c)| c.as_decimal())
                    .filter_map(|c| rust_decimal::prelude::ToPrimitive::to_i64(&c.floor()))
                    .flat_map(|c| [c.checked_sub(1), Some(c), c.checked_add(1)])
                    .flatten()
                    .map(Value::Int)
                    .collect(),
                Type::Decimal => constants
                    .iter()
                    .filter(|(f, _)| *f == id)
                    .filter_map(|(_, c)| c.as_decimal())
                    .flat_map(|c| {
                        let step = Decimal::new(1, c.scale().max(2));
                        [c.checked_sub(step), Some(c), c.checked_add(step)]
                    })
                    .flatten()
                    .map(Value::Decimal)
                    .collect(),
                _ => Vec::new(),
            };
            if field.optional {
                values.push(Value::Null);
            }
            let mut seen: Vec<Value> = Vec::new();
            for v in values {
                if v != current && !seen.contains(&v) {
                    seen.push(v.clone());
                    out.push((id, v));
                }
            }
        }
        out
    }

    /// Call `visit` with every choice of `size` candidates of distinct fields, in order;
    /// `visit` returns false to stop.
    fn combinations(
        &self,
        candidates: &[(FieldId, Value)],
        size: usize,
        from: usize,
        chosen: &mut Vec<usize>,
        visit: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        if chosen.len() == size {
            return visit(chosen);
        }
        for c in from..candidates.len() {
            if chosen.iter().any(|&p| candidates[p].0 == candidates[c].0) {
                continue;
            }
            chosen.push(c);
            let go_on = self.combinations(candidates, size, c + 1, chosen, visit);
            chosen.pop();
            if !go_on {
                return false;
            }
        }
        true
    }

    /// A policy test that states a scenario's decision, in the language, ready to review
    /// and append to the policy's companion file: the ticket as given (the base ticket's
    /// file and the fields set over it, or every field that is not empty), and every part
    /// of the decision as an expectation. `test_dir` is the directory of the file it will
    /// be written to, for the base ticket's path.
    pub fn test_text(&self, name: &str, scenario: &Scenario, test_dir: &Path) -> Result<String, String> {
        let model = &self.program().model;
        let ticket = scenario.ticket(self).map_err(|e| e.to_string())?;
        let mut out = String::new();
        let _ = writeln!(out, "test {}", quoted(name));
        let mut givens: Vec<String> = Vec::new();
        let base_file = match &scenario.base {
            Some((Some(path), _))
                if scenario.given.iter().all(|(_, g)| g.value.is_some() || model.field(g.field).optional) =>
            {
                Some(relative(path, test_dir))
            }
            _ => None,
        };
        match base_file {
            Some(file) => {
                let _ = writeln!(out, "  given ticket {}", quoted(&file));
                for (path, given) in &scenario.given {
                    if let Some(v) = &given.value {
                        givens.push(format!("{path} = {}", literal(model, model.field(given.field).ty, v)));
                    } else {
                        return Err(format!(
                            "a test cannot leave `{path}` out of its base ticket; set it to a value, or start from no \
                             base ticket"
                        ));
                    }
                }
            }
            None => {
                let empty = empty_slots(&model.fields, model.id_field, name);
                for (i, (field, value)) in model.fields.iter().zip(&ticket.slots).enumerate() {
                    if FieldId::new(i) == model.id_field || empty.get(i) == Some(value) {
                        continue;
                    }
                    if !value.is_known() {
                        return Err(format!(
                            "a test cannot leave the required field `{}` out; set it to a value",
                            field.path
                        ));
                    }
                    givens.push(format!("{} = {}", field.path, literal(model, field.ty, value)));
                }
            }
        }
        if !givens.is_empty() {
            let _ = writeln!(out, "  given {}", givens.join(",\n        "));
        }
        let refused = out_of_bounds(&model.fields, &ticket.slots);
        if !refused.is_empty() {
            let mut names: Vec<&str> = refused.iter().map(|(f, _)| &*model.field(*f).path).collect();
            names.dedup();
            let _ = writeln!(out, "  expect refused {}", names.join(", "));
            return Ok(out);
        }
        let d = self.decide(&ticket, TraceLevel::None);
        if !d.problems().is_empty() {
            let problems: Vec<String> = d.problems().iter().map(ToString::to_string).collect();
            return Err(format!(
                "this ticket is not wholly decided ({}); a test expects a whole decision",
                problems.join("; ")
            ));
        }
        // One line for the outcome, one for actions and exemptions, one per deadline with
        // its warnings, one for values: a reviewer reads each part where it belongs.
        let mut lines: Vec<Vec<String>> = Vec::new();
        let mut outcome = Vec::new();
        if model.grades.is_empty() {
            outcome.push("no grade".to_string());
        } else if let Some(g) = d.grade() {
            outcome.push(format!("grade {g}"));
        }
        let route: Vec<&str> = d.route().collect();
        if !route.is_empty() {
            outcome.push(format!("route = {}", route.join(", ")));
        }
        lines.push(outcome);
        lines.push(
            d.actions().map(|a| format!("action {a}")).chain(d.exempt().map(|e| format!("exempt {e}"))).collect(),
        );
        for (name, at) in d.deadlines() {
            let mut line = vec![format!("deadline {name} = {}", time_literal(at.utc(), model))];
            line.extend(d.warnings(name).map(|w| format!("warn {name} = {}", time_literal(w.utc(), model))));
            lines.push(line);
        }
        lines.push(
            d.values
                .iter()
                .map(|(id, v, ty)| format!("value {} = {}", model.value_name(*id), literal(model, *ty, v)))
                .collect(),
        );
        for line in lines.iter().filter(|l| !l.is_empty()) {
            let _ = writeln!(out, "  expect {}", line.join(", "));
        }
        Ok(out)
    }
}

/// A computed value in words: instants by weekday and local time.
fn computed_words(v: Computed<'_>) -> String {
    match v {
        Computed::Time(t) => instant_words(t),
        other => other.to_string(),
    }
}

/// One part of a decision in words, to tell whether a change moved it.
pub fn part_words(d: &Decision<'_>, part: &WhyPart) -> String {
    let present = |yes: bool| if yes { "yes" } else { "no" }.to_string();
    match part {
        WhyPart::Grade => d.grade().map_or_else(|| "no grade".into(), |g| format!("grade {g}")),
        WhyPart::Route => {
            let route: Vec<&str> = d.route().collect();
            if route.is_empty() {
                "no route".into()
            } else {
                format!("route {}", route.join(", "))
            }
        }
        WhyPart::Action(n) => format!("action {n}: {}", present(d.has_action(n))),
        WhyPart::Exempt(n) => format!("exempt {n}: {}", present(d.exempt().any(|e| e == n))),
        WhyPart::Deadline(n) => {
            d.deadline(n).map_or_else(|| format!("no deadline {n}"), |t| format!("deadline {n} = {}", instant_words(t)))
        }
        WhyPart::Value(n) => d.value(n).map_or_else(|| format!("no value {n}"), |v| format!("value {n} = {v}")),
    }
}

/// Whom a problem met evaluating an expression of the user's is put down to: no rule owns
/// it, and a policy may have no rule to lend.
fn probe_owner(model: &Model) -> Owner {
    match (model.rules.is_empty(), model.exemptions.is_empty()) {
        (true, false) => Owner::Exemption(ExemptionId::default()),
        _ => Owner::Rule(RuleId::default()),
    }
}

/// Run `f` in an evaluation context over a decided ticket: `let`s and phrase searches as
/// the decision left them, each deadline as it ended, and memo slots for `memos`.
fn after_decision<R>(
    decision: &mut Decision<'_>,
    slots: &[Value],
    memos: usize,
    owner: Owner,
    problems: &mut Vec<crate::eval::error::EvaluationError>,
    f: impl FnOnce(&mut Ctx<'_>) -> R,
) -> R {
    let deadlines = final_deadlines(decision);
    let (program, grade) = (decision.program, decision.grade);
    settle(&mut decision.scratch, memos, &deadlines);
    let mut ctx = Ctx {
        program,
        slots,
        scratch: &mut decision.scratch,
        problems,
        grade,
        site: Site::condition(owner),
        replaying: false,
    };
    f(&mut ctx)
}

/// The deadlines a decision ends with.
fn final_deadlines(decision: &Decision<'_>) -> Vec<(DeadlineId, DateTime<Utc>)> {
    decision.deadlines.iter().map(|(d, at)| (*d, at.utc())).collect()
}

/// Make a decided ticket's scratch ready for more evaluation: memo slots for the extra
/// code's phrase searches, and each deadline as the decision has it (exemptions may have
/// dropped some the rules set).
fn settle(scratch: &mut Scratch, memos: usize, deadlines: &[(DeadlineId, DateTime<Utc>)]) {
    if scratch.mentions.len() < memos {
        scratch.mentions.resize(memos, None);
    }
    scratch.deadlines.iter_mut().for_each(|d| *d = DeadlineState::Unset);
    for (id, at) in deadlines {
        if let Some(slot) = scratch.deadlines.get_mut(id.index()) {
            *slot = DeadlineState::At(*at);
        }
    }
}

impl Expression {
    /// The expression's type, in the checker's words.
    pub fn type_words(&self) -> &str {
        &self.type_words
    }

    /// The expression's value in `ctx` (`Null` when unknown).
    fn value(&self, ctx: &mut Ctx<'_>) -> Value {
        match &self.code {
            Compiled::Bool(c) => c(ctx).map(Value::Bool),
            Compiled::Int(c) => c(ctx).map(Value::Int),
            Compiled::Decimal(c) => c(ctx).map(Value::Decimal),
            Compiled::Text(c) => c(ctx).map(|t| Value::Text(Arc::from(&*t))),
            Compiled::Time(c) => c(ctx).map(Value::Time),
            Compiled::Duration(c) => c(ctx).map(Value::Duration),
            Compiled::Enum(c) => c(ctx).map(Value::Enum),
            Compiled::Bits(c) => c(ctx).map(Value::EnumSet),
            Compiled::Texts(c) => c(ctx).map(|t| Value::TextSet(Arc::from(t.to_vec()))),
            Compiled::Grade(c) => c(ctx).map(Value::Grade),
        }
        .unwrap_or(Value::Null)
    }

    /// Evaluate against a ticket, after deciding it (so `grade` and `deadline d` read the
    /// decision's).
    pub fn evaluate(&self, ticket: &PreparedTicket) -> Evaluated {
        let policy = &self.policy;
        let program = policy.program();
        let mut decision = policy.decide(ticket, TraceLevel::None);
        let mut problems = Vec::new();
        let owner = probe_owner(&program.model);
        let value =
            after_decision(&mut decision, &ticket.slots, self.memos, owner, &mut problems, |ctx| self.value(ctx));

        let instant = match value {
            Value::Time(t) => Some(t),
            _ => None,
        };
        Evaluated {
            value: literal(&program.model, self.ty, &value),
            problems: problems.iter().map(|p| p.kind.to_string()).collect(),
            instant,
        }
    }
}

/// Why the clock could not be moved.
#[derive(Debug, Clone)]
pub enum AdvanceError {
    /// The duration does not check: located diagnostics.
    Diagnostics(Diagnostics),
    /// It is not a duration, or moving by it cannot be reckoned (past a calendar's years).
    Other(String),
}

/// Why a scenario has no ticket to decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The base ticket does not fit the policy.
    #[error("the base ticket does not fit the policy: {0}")]
    Base(String),
    /// The reader would refuse the ticket: a value breaks a field's bounds.
    #[error("the reader refuses this ticket: {0}")]
    Refused(String),
}

impl Scenario {
    /// A scenario with no base ticket: every field empty (false, 0, "", the first enum
    /// value, times and optional fields missing), as a policy test starts.
    pub fn new() -> Scenario {
        Scenario::default()
    }

    /// Start again from a ticket read from JSON, checked against `policy`; the fields set
    /// so far are forgotten.
    pub fn start_from(
        &mut self,
        policy: &Policy,
        path: Option<PathBuf>,
        json: serde_json::Value,
    ) -> Result<(), String> {
        policy.prepare(&json).map_err(|e| e.to_string())?;
        self.base = Some((path, json));
        self.given.clear();
        Ok(())
    }

    /// Set fields: `text` is `path = value, …`, as a test's `given` writes it. Nothing is
    /// set unless every value checks and the ticket stays within its fields' bounds.
    pub fn set(&mut self, policy: &Policy, text: &str) -> Result<(), Diagnostics> {
        let values = policy.check_assignments(text)?;
        let model = &policy.program().model;
        let mut next = self.clone();
        for (field, value, written) in values {
            let path = model.field(field).path.to_string();
            next.put(path, Given { field, value: Some(value), text: Some(written) });
        }
        if let Ok(ticket) = next.ticket(policy) {
            let refused = out_of_bounds(&model.fields, &ticket.slots);
            if !refused.is_empty() {
                let problems: Vec<String> = refused
                    .iter()
                    .map(|(f, kind)| {
                        FieldProblem { path: model.field(*f).path.to_string(), kind: kind.clone() }.to_string()
                    })
                    .collect();
                let d = Diagnostic::error(
                    "out_of_bounds",
                    format!("the reader would refuse this ticket: {}", problems.join("; ")),
                )
                .help("a ticket with these values is refused, not decided; give values within the fields' bounds");
                return Err(Diagnostics(vec![d]));
            }
        }
        *self = next;
        Ok(())
    }

    /// Leave a field out of the ticket; only optional fields may be.
    pub fn unset(&mut self, policy: &Policy, path: &str) -> Result<(), String> {
        let model = &policy.program().model;
        let Some(i) = model.fields.iter().position(|f| &*f.path == path) else {
            let hint = did_you_mean(path, model.fields.iter().map(|f| &*f.path))
                .unwrap_or_else(|| "`:show` lists the fields".into());
            return Err(format!("unknown field `{path}`; {hint}"));
        };
        let field = &model.fields[i];
        if !field.optional {
            return Err(format!("`{path}` is not optional: every ticket has it; set it to another value instead"));
        }
        let Some(id) = FieldId::new(i) else { return Err("too many fields".into()) };
        self.put(path.to_string(), Given { field: id, value: None, text: None });
        Ok(())
    }

    fn put(&mut self, path: String, given: Given) {
        self.given.retain(|(p, _)| *p != path);
        self.given.push((path, given));
    }

    /// The fields set or unset by hand, as `path = value` (`path` alone when unset).
    pub fn edits(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.given.iter().map(|(p, g)| (p.as_str(), g.value.as_ref().map(|_| g.text.as_deref().unwrap_or("?"))))
    }

    /// The base ticket's file, if it came from one.
    pub fn base_file(&self) -> Option<&Path> {
        self.base.as_ref().and_then(|(p, _)| p.as_deref())
    }

    /// Check the scenario again against an edited policy: each field set is checked anew
    /// from its text. Returns what no longer fits, in words; those edits are dropped.
    pub fn rebase(&mut self, policy: &Policy) -> Vec<String> {
        let mut dropped = Vec::new();
        if let Some((path, json)) = &self.base {
            if let Err(e) = policy.prepare(json) {
                let name = path.as_ref().map_or("the base ticket".to_string(), |p| format!("`{}`", p.display()));
                dropped.push(format!("{name} no longer fits the policy ({e}); starting from no base ticket"));
                self.base = None;
            }
        }
        let old = std::mem::take(&mut self.given);
        let model = &policy.program().model;
        for (path, given) in old {
            let again = match &given.text {
                Some(text) => match policy.check_assignments(&format!("{path} = {text}")) {
                    Ok(mut v) => {
                        v.pop().map(|(field, value, _)| Given { field, value: Some(value), text: given.text.clone() })
                    }
                    Err(_) => None,
                },
                None => model
                    .fields
                    .iter()
                    .position(|f| *f.path == *path && f.optional)
                    .and_then(FieldId::new)
                    .map(|field| Given { field, value: None, text: None }),
            };
            match again {
                Some(g) => self.given.push((path, g)),
                None => dropped.push(format!("`{path}` no longer fits the policy; its value is dropped")),
            }
        }
        dropped
    }

    /// The ticket to decide.
    pub fn ticket(&self, policy: &Policy) -> Result<PreparedTicket, ScenarioError> {
        let model = &policy.program().model;
        let mut ticket = match &self.base {
            Some((_, json)) => policy.prepare(json).map_err(|e| ScenarioError::Base(e.to_string()))?,
            None => PreparedTicket::from_slots(empty_slots(&model.fields, model.id_field, "repl")),
        };
        for (_, given) in &self.given {
            if let Some(slot) = ticket.slots.get_mut(given.field.index()) {
                *slot = given.value.clone().unwrap_or(Value::Null);
            }
        }
        Ok(ticket)
    }

    /// Every field of the ticket with its value as the language writes it, and where the
    /// value comes from (`set`, `base`, `empty`).
    pub fn show(&self, policy: &Policy) -> Result<Vec<(String, String, &'static str)>, ScenarioError> {
        let model = &policy.program().model;
        let ticket = self.ticket(policy)?;
        Ok(model
            .fields
            .iter()
            .zip(&ticket.slots)
            .map(|(f, v)| {
                let from = if self.given.iter().any(|(p, _)| *p == *f.path) {
                    "set"
                } else if self.base.is_some() {
                    "base"
                } else {
                    "empty"
                };
                (f.path.to_string(), literal(model, f.ty, v), from)
            })
            .collect())
    }
}

/// Where a deadline stands at `now`.
pub fn standing(decision: &Decision<'_>, deadline: &str, now: DateTime<Utc>) -> Option<Standing> {
    let at = decision.deadline(deadline)?.utc();
    if now >= at {
        return Some(Standing::Breached);
    }
    let warned = decision.warnings(deadline).any(|w| w.utc() <= now);
    Some(if warned { Standing::Warned } else { Standing::Due })
}

/// A span of clock time in words: `2 h 30 min`, `3 days 4 h`.
pub fn span_words(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (days, hours, minutes) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(if days == 1 { "1 day".to_string() } else { format!("{days} days") });
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 && days == 0 {
        parts.push(format!("{minutes} min"));
    }
    if parts.is_empty() {
        parts.push(if s < 60 { "less than a minute".into() } else { clock_words(seconds.abs()) });
    }
    parts.join(" ")
}

/// What leaves a fragment unfinished, in words, if anything does: an open quote, an open
/// brace or parenthesis, or a trailing comma (a list that goes on). A comment line (`# …`)
/// is whole. The REPL reads another line while this says something.
pub fn unfinished(fragment: &str) -> Option<&'static str> {
    if fragment.trim_start().starts_with('#') {
        return None;
    }
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for c in fragment.chars() {
        match c {
            _ if std::mem::take(&mut escaped) => {}
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if quoted => {}
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            _ => {}
        }
    }
    if quoted {
        Some("a `\"` is not closed")
    } else if depth > 0 {
        Some("a `{` or `(` is not closed")
    } else if fragment.trim_end().ends_with(',') {
        Some("it ends with `,`, which continues it on the next line")
    } else {
        None
    }
}

/// Constants the policy compares fields with, anywhere: `(field, constant)`.
fn compared_constants(model: &Model) -> Vec<(FieldId, Value)> {
    let mut out = Vec::new();
    let mut visit = |e: &Expr| walk(e, &mut out);
    model.lets.iter().for_each(|l| visit(&l.expr));
    for rule in &model.rules {
        if let Some(c) = &rule.condition {
            visit(c);
        }
        rule.effects.iter().filter_map(|e| e.guard.as_ref()).for_each(&mut visit);
    }
    model.exemptions.iter().for_each(|e| visit(&e.condition));
    out
}

fn walk(e: &Expr, out: &mut Vec<(FieldId, Value)>) {
    crate::limits::grow(|| match &e.kind {
        ExprKind::Compare { left, right, .. } => match (&left.kind, &right.kind) {
            (ExprKind::Field(f), ExprKind::Const(c)) | (ExprKind::Const(c), ExprKind::Field(f)) => {
                out.push((*f, c.clone()))
            }
            _ => {}
        },
        ExprKind::Not(x) => walk(x, out),
        ExprKind::And(ps) | ExprKind::Or(ps) => ps.iter().for_each(|p| walk(p, out)),
        _ => {}
    })
}

/// A value as the language writes it, so that it can be pasted into a `set` or a test.
pub(crate) fn literal(model: &Model, ty: Type, v: &Value) -> String {
    match (v, ty) {
        (Value::Null, _) => "missing".into(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Int(i), _) => i.to_string(),
        (Value::Decimal(d), _) => d.to_string(),
        (Value::Text(t), _) => quoted(t),
        (Value::Time(t), _) => time_literal(*t, model),
        (Value::Duration(d), _) => duration_literal(model, d),
        (Value::Enum(i), Type::Enum(e)) => model.enum_def(e).name(*i).to_string(),
        (Value::EnumSet(bits), Type::EnumSet(e)) => format!("{{{}}}", model.enum_def(e).members(*bits).join(", ")),
        (Value::TextSet(texts), _) => {
            let texts: Vec<String> = texts.iter().map(|t| quoted(t)).collect();
            format!("{{{}}}", texts.join(", "))
        }
        (Value::Grade(g), _) => model.grades.get(g.index()).map_or_else(|| "?".into(), |g| g.name.to_string()),
        (Value::Enum(i), _) => i.to_string(),
        (Value::EnumSet(bits), _) => format!("{bits:#b}"),
    }
}

/// An instant as the language writes it: local time in the policy's zone, with the
/// offset when it is not the zone's usual one (so the text reads back to the same instant).
fn time_literal(t: DateTime<Utc>, model: &Model) -> String {
    let local = t.with_timezone(&model.zone);
    let format = if chrono::Timelike::second(&local) == 0 { "%Y-%m-%d %H:%M" } else { "%Y-%m-%d %H:%M:%S" };
    local.format(format).to_string()
}

fn duration_literal(model: &Model, d: &DurationSpec) -> String {
    let on = |c: Option<CalendarId>| match c {
        Some(c) if Some(c) != model.default_calendar => format!(" of {}", model.calendar(c).name),
        _ => String::new(),
    };
    match d.unit {
        Unit::Clock => clock_words(d.amount),
        Unit::Days => format!("{} days{}", d.amount, on(d.calendar)),
        Unit::WorkingDays => format!("{} working days{}", d.amount, on(d.calendar)),
        Unit::WorkingTime => {
            let words = clock_words(d.amount).replace(" h", " working hours").replace(" min", " working minutes");
            format!("{words}{}", on(d.calendar))
        }
    }
}

/// A text as the language quotes it.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `path` relative to `dir` when it lies under it or beside it, else as given.
fn relative(path: &Path, dir: &Path) -> String {
    let abs = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (path, dir) = (abs(path), abs(dir));
    let common: Vec<_> = path.components().zip(dir.components()).take_while(|(a, b)| a == b).collect();
    let ups = dir.components().count() - common.len();
    let mut out = PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    out.extend(path.components().skip(common.len()));
    out.to_string_lossy().into_owned()
}
