//! Stage 2, check: syntax trees → [`Model`], reporting every error of every file in one run.

mod calendars;
mod expr;
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::calendar::CalendarSpec;
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::limits::Limits;
use crate::model::*;
use crate::source::{Span, Spanned};
use crate::syntax::ast;
use crate::value::Value;

/// What checking produced: a model when there were no errors, and every diagnostic.
pub struct Checked {
    /// The checked policy, when error-free.
    pub model: Option<Model>,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Check a policy file together with the files it imports (`files[main]` is the policy).
/// Every `let`'s depth is bounded by `limits`; given `today`, calendars that end within 60
/// days of it are warned about.
pub fn check(files: &[ast::File], main: usize, limits: &Limits, today: Option<NaiveDate>) -> Checked {
    let mut checker = Checker { limits: limits.clone(), today, ..Checker::default() };
    let model = checker.run(files, main);
    let failed = checker.diags.iter().any(|d| d.severity() == crate::diagnostic::Severity::Error);
    Checked { model: if failed { None } else { model }, diagnostics: checker.diags }
}

/// The checker's state while it walks the files.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) diags: Vec<Diagnostic>,
    zone: Option<Tz>,
    fields: Vec<Field>,
    field_index: HashMap<String, FieldId>,
    field_used: Vec<bool>,
    enums: Vec<EnumDef>,
    grades: Vec<Declared>,
    roles: Vec<Declared>,
    role_used: Vec<bool>,
    actions: Vec<Declared>,
    action_used: Vec<bool>,
    lets: Vec<LetDef>,
    let_index: HashMap<String, LetId>,
    let_used: Vec<bool>,
    let_uses_grade: Vec<bool>,
    calendars: Vec<CalendarSpec>,
    calendar_index: HashMap<String, CalendarId>,
    default_calendar: Option<CalendarId>,
    /// The header names a default calendar that does not exist (already reported).
    default_calendar_unknown: bool,
    deadlines: Vec<Arc<str>>,
    values: Vec<Arc<str>>,
    exemption_names: Vec<Arc<str>>,
    /// Set while checking an expression that mentions `grade`, directly or through a `let`.
    uses_grade: bool,
    limits: Limits,
    today: Option<NaiveDate>,
    /// How deep each `let` evaluates: its own expression and the `let`s it reads.
    let_depth: Vec<usize>,
    /// The deepest `let` read by the expression being checked.
    deepest_let: usize,
    /// Checking a fragment against a whole checked policy (`for_model`), not a file.
    whole_policy: bool,
}

impl Checker {
    fn run(&mut self, files: &[ast::File], main: usize) -> Option<Model> {
        let file = &files[main];
        let calendar_decls: Vec<&ast::CalendarDecl> = files.iter().flat_map(|f| f.calendars.iter()).collect();
        self.calendars(&calendar_decls);

        let is_policy = !file.policy.is_empty();
        let has_policy_content = !file.schemas.is_empty()
            || !file.rules.is_empty()
            || !file.grades.is_empty()
            || !file.exemptions.is_empty();
        if !is_policy {
            if file.calendars.is_empty() && !has_policy_content && file.tests.is_empty() {
                self.diags.push(
                    Diagnostic::error("empty_file", "this file declares nothing")
                        // Files are numbered in the order they were loaded, as `files` is.
                        .label(Span { file: crate::source::FileId::try_from(main).unwrap_or_default(), start: 0, end: 0 }, "here")
                        .help("a policy file starts with `policy name \"label\"`; a calendar file declares `calendar name`"),
                );
            }
            if has_policy_content {
                let span = first_span(file);
                self.diags.push(
                    Diagnostic::error("missing_policy", "rules need a policy header")
                        .label(span, "this file has rules but no `policy` line")
                        .help("start the file with `policy my_policy \"label\"` and `zone Asia/Shanghai`"),
                );
            }
            return Some(self.calendar_only_model());
        }
        for extra in &file.policy[1..] {
            self.diags.push(
                Diagnostic::error("duplicate_name", "a file holds one policy")
                    .label(extra.name.span, "second policy header")
                    .label(file.policy[0].name.span, "first policy header")
                    .help("put each policy in its own file"),
            );
        }
        let header = &file.policy[0];
        self.zone = match &header.zone {
            Some(z) => self.zone(z),
            None => {
                self.diags.push(
                    Diagnostic::error("missing_zone", format!("policy `{}` has no time zone", header.name.node))
                        .label(header.name.span, "declared here")
                        .help("add `zone Asia/Shanghai` (or your zone) under the policy line"),
                );
                None
            }
        };
        if let Some(cal) = &header.default_calendar {
            self.default_calendar = self.calendar_ref(cal);
            self.default_calendar_unknown = self.default_calendar.is_none();
        }

        self.schema(&file.schemas);
        self.declarations(file);
        for decl in &file.lets {
            self.let_decl(decl);
        }
        let rules = self.rules(&file.rules);
        let exemptions = self.exemptions(&file.exemptions);
        let tests = file.tests.iter().filter_map(|t| self.test(t)).collect();
        // With errors, "never used" is mostly a misspelt reference's echo: say it once the
        // errors are fixed.
        if !self.diags.iter().any(|d| d.severity() == crate::diagnostic::Severity::Error) {
            self.unused();
        }

        let default_grade = file.grades.first().and_then(|g| g.default.as_ref()).and_then(|d| self.grade_ref(d));
        Some(Model {
            name: header.name.node.as_str().into(),
            label: header.label.clone(),
            zone: self.zone.unwrap_or(Tz::UTC),
            id_field: self.field_index.get("id").copied(),
            fields: std::mem::take(&mut self.fields),
            enums: std::mem::take(&mut self.enums),
            grades: std::mem::take(&mut self.grades),
            default_grade,
            roles: std::mem::take(&mut self.roles),
            actions: std::mem::take(&mut self.actions),
            lets: std::mem::take(&mut self.lets),
            calendars: std::mem::take(&mut self.calendars),
            default_calendar: self.default_calendar,
            rules,
            exemptions,
            deadlines: std::mem::take(&mut self.deadlines),
            values: std::mem::take(&mut self.values),
            tests,
        })
    }

    /// A checker that knows an already checked model's names, for fragments written against
    /// it: the REPL's `set field = value` and `? expression`.
    pub(crate) fn for_model(model: &Model, limits: &Limits) -> Checker {
        fn index<I: Id>(names: impl Iterator<Item = String>) -> HashMap<String, I> {
            names.enumerate().filter_map(|(i, name)| Some((name, I::new(i)?))).collect()
        }
        Checker {
            zone: Some(model.zone),
            fields: model.fields.clone(),
            field_index: index(model.fields.iter().map(|f| f.path.to_string())),
            field_used: vec![false; model.fields.len()],
            enums: model.enums.clone(),
            grades: model.grades.clone(),
            roles: model.roles.clone(),
            role_used: vec![false; model.roles.len()],
            actions: model.actions.clone(),
            action_used: vec![false; model.actions.len()],
            lets: model.lets.clone(),
            let_index: index(model.lets.iter().map(|l| l.name.to_string())),
            let_used: vec![false; model.lets.len()],
            let_uses_grade: vec![false; model.lets.len()],
            let_depth: model.lets.iter().map(|l| l.expr.depth()).collect(),
            calendars: model.calendars.clone(),
            calendar_index: index(model.calendars.iter().map(|c| c.name.to_string())),
            default_calendar: model.default_calendar,
            deadlines: model.deadlines.clone(),
            values: model.values.clone(),
            exemption_names: model.exemptions.iter().map(|e| e.name.clone()).collect(),
            limits: limits.clone(),
            whole_policy: true,
            ..Checker::default()
        }
    }

    /// Check the values of `path = value, …` against the fields' types, as a test's `given`
    /// is checked: each a value written out, not computed.
    pub(crate) fn assignments(&mut self, given: &[ast::Assignment]) -> Option<Vec<(FieldId, Value)>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (path, value) in given {
            let Some(&slot) = self.field_index.get(&path.node) else {
                self.unknown_field(path, "the fields are those of the policy's `ticket` block");
                ok = false;
                continue;
            };
            match self.constant(value, Some(self.fields[slot.index()].ty)) {
                Some(v) => out.push((slot, v)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Check an expression written on its own, of any type.
    pub(crate) fn lone_expr(&mut self, e: &ast::Expr) -> Option<Expr> {
        self.expr(e, None).map(|(e, _)| e)
    }

    fn calendar_only_model(&mut self) -> Model {
        Model {
            name: "".into(),
            label: None,
            zone: Tz::UTC,
            fields: Vec::new(),
            id_field: None,
            enums: Vec::new(),
            grades: Vec::new(),
            default_grade: None,
            roles: Vec::new(),
            actions: Vec::new(),
            lets: Vec::new(),
            calendars: std::mem::take(&mut self.calendars),
            default_calendar: None,
            rules: Vec::new(),
            exemptions: Vec::new(),
            deadlines: Vec::new(),
            values: Vec::new(),
            tests: Vec::new(),
        }
    }

    pub(crate) fn zone(&mut self, z: &Spanned<String>) -> Option<Tz> {
        match z.node.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("unknown_zone", format!("unknown time zone `{}`", z.node))
                        .label(z.span, "not an IANA time zone name")
                        .maybe_help(
                            did_you_mean(&z.node, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                                .or(Some("use a zone name such as `Asia/Shanghai` or `Europe/Berlin`".into())),
                        ),
                );
                None
            }
        }
    }

    pub(crate) fn calendar_ref(&mut self, name: &Spanned<String>) -> Option<CalendarId> {
        match self.calendar_index.get(&name.node) {
            Some(&i) => Some(i),
            None => {
                self.diags.push(
                    Diagnostic::error("unknown_calendar", format!("unknown calendar `{}`", name.node))
                        .label(name.span, "no calendar of this name is declared or imported")
                        .maybe_help(
                            did_you_mean(&name.node, self.calendar_index.keys().map(String::as_str))
                                .or(Some("declare it with `calendar NAME`, or `import` the file that does".into())),
                        ),
                );
                None
            }
        }
    }

    // ------------------------------------------------------------ schema

    fn schema(&mut self, schemas: &[ast::Schema]) {
        for field in schemas.iter().flat_map(|s| s.fields.iter()) {
            let _ = self.field(field);
        }
        // Bounds may name fields declared after them.
        for field in schemas.iter().flat_map(|s| s.fields.iter()) {
            self.bounds(field);
        }
        // A path may not be both a value and a group of values.
        for f in &self.fields {
            let prefix = format!("{}.", f.path);
            if let Some(child) = self.fields.iter().find(|g| g.path.starts_with(&prefix)) {
                self.diags.push(
                    Diagnostic::error("duplicate_name", format!("`{}` is both a field and a group of fields", f.path))
                        .label(f.span, "declared as a field here")
                        .label(child.span, "and as a group here")
                        .help("a dotted path names a field inside an object; the object itself cannot also be a field"),
                );
            }
        }
        let schema_span = schemas.first().map(|s| s.keyword);
        match (self.field_index.get("id"), schema_span) {
            (Some(&id), _) if self.fields[id.index()].ty != Type::Text || self.fields[id.index()].optional => {
                self.diags.push(
                    Diagnostic::error("type_mismatch", "the `id` field must be required text")
                        .label(self.fields[id.index()].span, "declared here")
                        .help("declare it as `id text`"),
                );
            }
            (Some(&id), _) => self.field_used[id.index()] = true,
            (None, Some(span)) => self.diags.push(
                Diagnostic::error("missing_id_field", "the ticket has no `id` field")
                    .label(span, "this schema")
                    .help("add `id text`: every decision and every error names its ticket by id"),
            ),
            (None, None) => {}
        }
    }

    fn field(&mut self, decl: &ast::FieldDecl) -> Option<()> {
        if let Some(&first) = self.field_index.get(&decl.path.node) {
            let first = self.fields[first.index()].span;
            self.diags.push(declared_twice("field", &decl.path, first, "remove one of the two declarations"));
            return None;
        }
        let ty = match &decl.ty.node.base {
            ast::BaseType::Bool => Type::Bool,
            ast::BaseType::Int => Type::Int,
            ast::BaseType::Decimal => Type::Decimal,
            ast::BaseType::Text => Type::Text,
            ast::BaseType::Time => Type::Time,
            // A ticket gives clock durations: `"30 min"`, `"2 h"`.
            ast::BaseType::Duration => Type::Duration(Unit::Clock, None),
            ast::BaseType::SetOfText => Type::TextSet,
            ast::BaseType::Enum(values) => Type::Enum(self.enum_def(values, decl.ty.span)?),
            ast::BaseType::SetOfEnum(values) => Type::EnumSet(self.enum_def(values, decl.ty.span)?),
        };
        let id = self.new_id(self.fields.len(), decl.path.span, "fields")?;
        self.field_index.insert(decl.path.node.clone(), id);
        self.field_used.push(false);
        self.fields.push(Field {
            path: decl.path.node.as_str().into(),
            segments: decl.path.node.split('.').map(str::to_string).collect(),
            ty,
            optional: decl.ty.node.optional,
            bounds: Vec::new(),
            span: decl.path.span,
        });
        Some(())
    }

    /// `>= 0`, `<= complaints`: on whole numbers, by a number or another whole-number field.
    fn bounds(&mut self, decl: &ast::FieldDecl) {
        let Some(&id) = self.field_index.get(&decl.path.node) else { return };
        for bound in &decl.bounds {
            if self.fields[id.index()].ty != Type::Int {
                self.diags.push(
                    Diagnostic::error("type_mismatch", "only whole numbers take bounds")
                        .label(bound.span, "a bound")
                        .label(decl.ty.span, "not `int`")
                        .help("bound counts: `complaints int >= 0`, `completed_in_time int >= 0, <= complaints`"),
                );
                return;
            }
            let to = match &bound.node.to {
                ast::BoundTo::Number(n) => {
                    match rust_decimal::prelude::ToPrimitive::to_i64(n).filter(|_| n.fract().is_zero()) {
                        Some(n) => BoundTo::Number(n),
                        None => {
                            self.diags.push(
                                Diagnostic::error("invalid_literal", format!("`{n}` is not a whole number"))
                                    .label(bound.span, "here")
                                    .help("a whole-number field is bounded by a whole number"),
                            );
                            continue;
                        }
                    }
                }
                ast::BoundTo::Field(other) => match self.field_index.get(&other.node) {
                    Some(&o) if self.fields[o.index()].ty == Type::Int && o != id => {
                        self.field_used[o.index()] = true;
                        BoundTo::Field(o)
                    }
                    Some(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                "type_mismatch",
                                format!("`{}` is not another whole-number field", other.node),
                            )
                            .label(other.span, "here")
                            .help("a part is bounded by its whole: `completed_in_time int <= complaints`"),
                        );
                        continue;
                    }
                    None => {
                        self.diags.push(
                            Diagnostic::error("unknown_field", format!("unknown field `{}`", other.node))
                                .label(other.span, "not a field of the ticket")
                                .maybe_help(did_you_mean(&other.node, self.fields.iter().map(|f| &*f.path))),
                        );
                        continue;
                    }
                },
            };
            self.fields[id.index()].bounds.push(Bound { at_least: bound.node.at_least, to });
        }
    }

    fn enum_def(&mut self, values: &[ast::Named], span: Span) -> Option<EnumId> {
        let mut declared = self.declare_all(values, "value");
        if declared.len() > 64 {
            self.diags.push(
                Diagnostic::error("enum_too_large", "an enum may have at most 64 values")
                    .label(span, format!("this one has {}", declared.len()))
                    .help("use `text` for open-ended values"),
            );
            // Sets of values are 64-bit sets: later references to the rest are unknown values.
            declared.truncate(64);
        }
        let id = self.new_id(self.enums.len(), span, "enum types")?;
        self.enums.push(EnumDef { values: declared });
        Some(id)
    }

    /// Report every name declared a second time.
    fn unique_names<'a>(&mut self, names: impl Iterator<Item = &'a Spanned<String>>, what: &str, help: &str) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for name in names {
            if let Some(first) = seen.insert(&name.node, name.span) {
                self.diags.push(declared_twice(what, name, first, help));
            }
        }
    }

    /// Declare names, reporting duplicates among them.
    fn declare_all(&mut self, names: &[ast::Named], what: &str) -> Vec<Declared> {
        let mut out: Vec<Declared> = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for n in names {
            if let Some(&first) = seen.get(n.name.node.as_str()) {
                self.diags.push(declared_twice(what, &n.name, first, "remove one of the two"));
                continue;
            }
            if self.new_id::<RoleId>(out.len(), n.name.span, &format!("{what}s of one kind")).is_none() {
                break;
            }
            seen.insert(&n.name.node, n.name.span);
            out.push(Declared { name: n.name.node.as_str().into(), label: n.label.clone(), span: n.name.span });
        }
        out
    }

    // ------------------------------------------------------------ grades, roles, actions, lets

    fn declarations(&mut self, file: &ast::File) {
        for extra in file.grades.iter().skip(1) {
            self.diags.push(
                Diagnostic::error("duplicate_name", "the grade scale is declared twice")
                    .label(extra.span, "second scale")
                    .label(file.grades[0].span, "first scale")
                    .help("a policy has one ordered scale: `grades I > II > III, default III`"),
            );
        }
        if let Some(g) = file.grades.first() {
            self.grades = self.declare_all(&g.grades, "grade");
            if self.grades.len() > 64 {
                self.diags.push(
                    Diagnostic::error("enum_too_large", "a grade scale may have at most 64 grades")
                        .label(g.span, format!("this one has {}", self.grades.len()))
                        .help("a scale of a few grades is easier to apply consistently"),
                );
            }
        }
        self.roles = self.declare_all(&file.roles, "role");
        self.role_used = vec![false; self.roles.len()];
        self.actions = self.declare_all(&file.actions, "action");
        self.action_used = vec![false; self.actions.len()];
    }

    fn let_decl(&mut self, decl: &ast::LetDecl) {
        let name = &decl.name.node;
        if self.field_index.contains_key(name) || self.let_index.contains_key(name) {
            self.diags.push(
                Diagnostic::error("duplicate_name", format!("`{name}` is already a field or a `let`"))
                    .label(decl.name.span, "declared again here")
                    .help("give it a name of its own"),
            );
            return;
        }
        self.uses_grade = false;
        self.deepest_let = 0;
        let Some((expr, ty)) = self.expr(&decl.expr, None) else {
            return;
        };
        // Evaluating a `let` evaluates the `let`s it reads inside it: their depths add up.
        let depth = expr.depth() + self.deepest_let;
        if depth > self.limits.let_depth {
            self.diags.push(
                Diagnostic::error(
                    "too_deep",
                    format!("`{name}` reads `let`s {depth} levels deep; at most {} are allowed", self.limits.let_depth),
                )
                .label(decl.name.span, "declared here")
                .help("read the fields it needs directly, rather than through a long chain of `let`s"),
            );
            return;
        }
        let Some(id) = self.new_id(self.lets.len(), decl.name.span, "`let`s") else { return };
        self.let_depth.push(depth);
        self.let_index.insert(name.clone(), id);
        self.let_used.push(false);
        self.let_uses_grade.push(self.uses_grade);
        self.lets.push(LetDef { name: name.as_str().into(), expr, ty, span: decl.name.span });
    }

    // ------------------------------------------------------------ rules

    pub(crate) fn grade_ref(&mut self, name: &Spanned<String>) -> Option<GradeId> {
        let grades = || self.grades.iter().map(|g| &*g.name);
        resolve(&mut self.diags, name, grades(), ("unknown_grade", "grade"), "not on the grade scale", || {
            match self.grades.is_empty() {
                true => "declare the scale first: `grades I > II > III, default III`".to_string(),
                false => format!("the grades are {}", list(grades())),
            }
        })
    }

    fn named_ref<I: Id>(&mut self, name: &Spanned<String>, kind: NameKind) -> Option<I> {
        let (declared, used, words, how) = match kind {
            NameKind::Role => (&self.roles, &mut self.role_used, ("unknown_role", "role"), "roles"),
            NameKind::Action => (&self.actions, &mut self.action_used, ("unknown_action", "action"), "actions"),
        };
        let label = format!("no {} of this name is declared", words.1);
        let i: I = resolve(&mut self.diags, name, declared.iter().map(|d| &*d.name), words, &label, || {
            format!("declare it first: `{how} {}`", name.node)
        })?;
        used[i.index()] = true;
        Some(i)
    }

    fn rules(&mut self, rules: &[ast::RuleDecl]) -> Vec<RuleDef> {
        let help = "rule names appear in every decision's trace, so each must be unique";
        self.unique_names(rules.iter().map(|r| &r.name), "rule", help);
        let mut out = Vec::new();
        for rule in rules {
            if let Some(def) = self.rule(rule) {
                out.push(def);
            }
        }
        out
    }

    fn rule(&mut self, rule: &ast::RuleDecl) -> Option<RuleDef> {
        self.uses_grade = false;
        let condition = rule.condition.as_ref().and_then(|c| self.condition(c));
        let condition_uses_grade = self.uses_grade;
        let mut grade = None;
        let mut effects = Vec::new();
        for statement in &rule.statements {
            match statement {
                ast::Statement::Grade(name) => {
                    if grade.is_some() {
                        self.diags.push(
                            Diagnostic::error("duplicate_name", "a rule sets one grade")
                                .label(name.span, "second grade")
                                .help("split it into two rules with their own conditions"),
                        );
                    }
                    grade = self.grade_ref(name);
                    if condition_uses_grade {
                        let span = rule.condition.as_ref().map_or(name.span, |c| c.span);
                        self.diags.push(
                            Diagnostic::error("grade_cycle", "a rule that sets the grade cannot depend on the grade")
                                .label(span, "this condition reads `grade`")
                                .label(name.span, "while this sets it")
                                .help("the grade is decided first, from rules that do not read it; move this `grade` into a rule whose condition does not mention `grade`"),
                        );
                    }
                }
                ast::Statement::Route { roles, guard } => {
                    let ids = roles.iter().filter_map(|r| self.named_ref(r, NameKind::Role)).collect();
                    let guard = guard.as_ref().and_then(|g| self.condition(g));
                    effects.push(Effect { kind: EffectKind::Route(ids), guard });
                }
                ast::Statement::Action { actions, guard } => {
                    let ids = actions.iter().filter_map(|a| self.named_ref(a, NameKind::Action)).collect();
                    let guard = guard.as_ref().and_then(|g| self.condition(g));
                    effects.push(Effect { kind: EffectKind::Action(ids), guard });
                }
                ast::Statement::Deadline { name, owner, expr, warnings, guard } => {
                    let guard = guard.as_ref().and_then(|g| self.condition(g));
                    let owner = owner.as_ref().and_then(|o| self.named_ref(o, NameKind::Action));
                    if let Some(def) = self.deadline(name, expr, warnings) {
                        effects.push(Effect { kind: EffectKind::Deadline(DeadlineDef { owner, ..def }), guard });
                    }
                }
                ast::Statement::Value { name, owner, expr, guard } => {
                    let guard = guard.as_ref().and_then(|g| self.condition(g));
                    let owner = owner.as_ref().and_then(|o| self.named_ref(o, NameKind::Action));
                    if let Some((value, ty)) = self.expr(expr, None) {
                        if matches!(ty, Type::EnumSet(_) | Type::TextSet | Type::Duration(..)) {
                            self.diags.push(
                                Diagnostic::error("type_mismatch", format!("a value cannot be {}", self.type_name(ty)))
                                    .label(expr.span, "this is not a number, text, flag, time or name")
                                    .help("report a count instead, e.g. `count(category)`"),
                            );
                        }
                        let Some(id) = self.intern(Names::Values, &name.node, name.span) else { continue };
                        let def = ValueDef { name: id, expr: value, ty, owner };
                        effects.push(Effect { kind: EffectKind::Value(def), guard });
                    }
                }
            }
        }
        Some(RuleDef {
            name: rule.name.node.as_str().into(),
            clauses: rule.clauses.iter().map(|c| Arc::from(c.as_str())).collect(),
            label: rule.label.clone(),
            condition,
            grade,
            effects,
            span: rule.name.span,
        })
    }

    fn deadline(&mut self, name: &Spanned<String>, expr: &ast::Expr, warnings: &[ast::Warning]) -> Option<DeadlineDef> {
        let (checked, _) = self.expect_type(expr, Type::Time)?;
        let has_duration =
            matches!(&checked.kind, ExprKind::Shift { by, back: false, .. } if matches!(by.kind, ExprKind::Const(_)));
        let mut defs = Vec::new();
        for w in warnings {
            match w {
                ast::Warning::At(share) => {
                    if !has_duration {
                        self.diags.push(
                            Diagnostic::error("warning_needs_duration", "a warning at a share of the time needs a start and a duration")
                                .label(share.span, "a share of what?")
                                .label(expr.span, "this deadline is not `start + duration`")
                                .help("write the deadline as `received_at + 5 working days`, or warn a fixed time before: `warn 2 h before`"),
                        );
                    }
                    defs.push(WarningDef::Share(share.node / rust_decimal::Decimal::from(100)));
                }
                ast::Warning::Before(d) => {
                    if let Some(spec) = self.duration(&d.node, d.span) {
                        defs.push(WarningDef::Before(spec));
                    }
                }
            }
        }
        let id = self.intern(Names::Deadlines, &name.node, name.span)?;
        Some(DeadlineDef { name: id, expr: checked, warnings: defs, owner: None })
    }

    fn condition(&mut self, e: &ast::Expr) -> Option<Expr> {
        self.expect_type(e, Type::Bool).map(|(e, _)| e)
    }

    fn exemptions(&mut self, exemptions: &[ast::Exemption]) -> Vec<ExemptionDef> {
        let help = "each exemption is named in decisions, so names must be unique";
        self.unique_names(exemptions.iter().map(|e| &e.name), "exemption", help);
        let mut out = Vec::new();
        for e in exemptions {
            let actions = e.actions.iter().filter_map(|a| self.named_ref(a, NameKind::Action)).collect();
            let Some(condition) = self.condition(&e.condition) else {
                continue;
            };
            if e.because.trim().is_empty() {
                self.diags.push(
                    Diagnostic::error("missing_reason", format!("exemption `{}` gives no reason", e.name.node))
                        .label(e.name.span, "here")
                        .help("say why in `because \"…\"`: the reason is shown to whoever reads the decision"),
                );
            }
            self.exemption_names.push(e.name.node.as_str().into());
            out.push(ExemptionDef {
                name: e.name.node.as_str().into(),
                clauses: e.clauses.iter().map(|c| Arc::from(c.as_str())).collect(),
                label: e.label.clone(),
                actions,
                condition,
                because: e.because.as_str().into(),
                span: e.name.span,
            });
        }
        out
    }

    fn unused(&mut self) {
        let fields = self.fields.iter().zip(&self.field_used).map(|(f, u)| {
            (
                *u,
                f.span,
                format!("field `{}` is never used", f.path),
                "remove it, or use it in a rule; tickets may carry fields the policy does not declare",
            )
        });
        let roles = self.roles.iter().zip(&self.role_used).map(|(r, u)| {
            (*u, r.span, format!("role `{}` is never routed to", r.name), "remove it, or add `route` to a rule")
        });
        let actions = self.actions.iter().zip(&self.action_used).map(|(a, u)| {
            (*u, a.span, format!("action `{}` is never triggered", a.name), "remove it, or add `action` to a rule")
        });
        let lets =
            self.lets.iter().zip(&self.let_used).map(|(l, u)| {
                (*u, l.span, format!("`{}` is never used", l.name), "remove it, or use it in a condition")
            });
        let warnings: Vec<Diagnostic> = fields
            .chain(roles)
            .chain(actions)
            .chain(lets)
            .filter(|(used, ..)| !used)
            .map(|(_, span, message, help)| {
                Diagnostic::warning("unused", message).label(span, "declared here").help(help)
            })
            .collect();
        self.diags.extend(warnings);
    }
}

#[derive(Clone, Copy)]
enum NameKind {
    Role,
    Action,
}

/// The tables of names a rule introduces by using them.
#[derive(Clone, Copy)]
enum Names {
    Deadlines,
    Values,
}

impl Checker {
    /// The id of the `index`th entry of a table, or an error at `span` when the table is full.
    pub(crate) fn new_id<I: Id>(&mut self, index: usize, span: Span, what: &str) -> Option<I> {
        let id = I::new(index);
        // Reported once, at the first entry past the limit.
        if id.is_none() && index == MAX_ENTRIES {
            self.diags.push(
                Diagnostic::error("too_many_names", format!("a policy may declare at most {MAX_ENTRIES} {what}"))
                    .label(span, "one too many")
                    .help("split the policy into several"),
            );
        }
        id
    }

    /// The id of a deadline or value name, adding it when new.
    fn intern<I: Id>(&mut self, table: Names, name: &str, span: Span) -> Option<I> {
        let (names, what) = match table {
            Names::Deadlines => (&mut self.deadlines, "deadlines"),
            Names::Values => (&mut self.values, "values"),
        };
        if let Some(i) = names.iter().position(|n| &**n == name) {
            return I::new(i);
        }
        let index = names.len();
        names.push(name.into());
        self.new_id(index, span, what)
    }
}

/// `what `name` is declared twice`, at both declarations.
pub(crate) fn declared_twice(what: &str, again: &Spanned<String>, first: Span, help: &str) -> Diagnostic {
    Diagnostic::error("duplicate_name", format!("{what} `{}` is declared twice", again.node))
        .label(again.span, "declared again here")
        .label(first, "first declared here")
        .help(help)
}

/// What kind of name is looked up, for [`resolve`]'s error: its code and its word.
pub(crate) type NameWords = (&'static str, &'static str);

/// The index of `name` among `candidates`; otherwise an error at the name, suggesting the
/// nearest candidate or else saying `otherwise`.
pub(crate) fn resolve<'a, I: Id>(
    diags: &mut Vec<Diagnostic>,
    name: &Spanned<String>,
    candidates: impl Iterator<Item = &'a str> + Clone,
    (code, what): NameWords,
    label: &str,
    otherwise: impl FnOnce() -> String,
) -> Option<I> {
    if let Some(i) = candidates.clone().position(|c| c == name.node) {
        return I::new(i);
    }
    let help = did_you_mean(&name.node, candidates).unwrap_or_else(otherwise);
    diags.push(Diagnostic::error(code, format!("unknown {what} `{}`", name.node)).label(name.span, label).help(help));
    None
}

/// `a, b, c` with backticks.
pub(crate) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn first_span(file: &ast::File) -> Span {
    file.schemas
        .first()
        .map(|s| s.keyword)
        .or(file.rules.first().map(|r| r.name.span))
        .or(file.grades.first().map(|g| g.span))
        .or(file.exemptions.first().map(|e| e.name.span))
        .unwrap_or_default()
}
