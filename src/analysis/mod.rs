//! Static analysis of a checked, compiled policy: conflicts, shadowed grade rules,
//! unreachable rules, dead exemptions, and tickets left without a grade or (once the facts
//! the routes read are known) a route, each with the rules involved and, where one exists, a
//! counterexample ticket decided by the real evaluator before it is shown.
//!
//! The method is case splitting over finite domains (see [`cases`]): the fields two
//! conditions read are given one value of each class their conditions tell apart, and every
//! combination is tried. A condition that reads anything else (text, times, arithmetic,
//! calendars, deadlines) is beyond the method and the check that needs it is skipped: the
//! analysis never reports what it has not shown, and lists each skipped check with its
//! reason ([`SkippedCheck`], shown by `triage check --explain-skipped`). A budget of cases
//! keeps a large policy's analysis within seconds; past it, the remaining checks are skipped.

mod cases;
mod witness;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use self::cases::{domain, Eval, Reads};
use crate::compile::Program;
use crate::diagnostic::Diagnostic;
use crate::eval::error::Owner;
use crate::model::{ActionId, DeadlineId, EffectKind, Expr, FieldId, GradeId, Id, Model, RuleId, ValueId};
use crate::value::Value;

/// The most cases one check may try: more, and the check is skipped.
const CASES_PER_CHECK: u64 = 1 << 14;
/// The most cases the whole analysis may try.
const CASES_IN_ALL: u64 = 1 << 24;
/// The most findings shown: past them, a policy has a pattern to fix, not a list to read.
const MAX_FINDINGS: usize = 200;
/// How many satisfying cases a conflict is verified with before it is given up.
const VERIFY_ATTEMPTS: usize = 4;

/// A check the analysis did not make, because a condition it needs is beyond the method or
/// its cases are too many to try; `triage check --explain-skipped` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedCheck {
    /// The finding it would look for: `conflict`, `shadowed`, `unreachable`,
    /// `dead_exemption` or `gap`.
    pub check: &'static str,
    /// The rules and exemptions it concerns, by name.
    pub rules: Vec<String>,
    /// What was not checked and why: "rules `a` and `b` both set deadline `resolve`; not
    /// compared: `a`'s condition reads `transcript` (text)".
    pub reason: String,
}

impl fmt::Display for SkippedCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.reason)
    }
}

/// Whose condition is read, for a reason: a rule's, a statement's own `when`, or an
/// exemption's.
#[derive(Debug, Clone, Copy)]
enum Whose<'m> {
    Condition(&'m str),
    Guard(&'m str),
    Exemption(&'m str),
}

impl<'m> Whose<'m> {
    /// The rule or exemption the expression belongs to.
    fn name(&self) -> &'m str {
        match self {
            Whose::Condition(name) | Whose::Guard(name) | Whose::Exemption(name) => name,
        }
    }
}

impl fmt::Display for Whose<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Whose::Condition(rule) => write!(f, "`{rule}`'s condition"),
            Whose::Guard(rule) => write!(f, "a `when` of `{rule}`"),
            Whose::Exemption(name) => write!(f, "exemption `{name}`'s condition"),
        }
    }
}

/// Why the cases of a check were not tried, when its conditions are all within the method.
const TOO_MANY: &str = "the values read make more combinations than one check may try";

/// Analyse a policy that checked without errors; the findings as diagnostics, and the
/// checks that were beyond the method.
pub(crate) fn analyse(program: &Program) -> (Vec<Diagnostic>, Vec<SkippedCheck>) {
    let mut analysis = Analysis::new(program);
    analysis.unreachable_rules();
    analysis.conflicts();
    analysis.shadowed();
    analysis.dead_exemptions();
    analysis.gaps();
    analysis.route_gaps();
    if analysis.budget == 0 {
        analysis.diagnostics.push(
            Diagnostic::warning("analysis_incomplete", "the analysis stopped before it was done").help(format!(
                "it tries at most {CASES_IN_ALL} cases in all, so that a large policy is checked in seconds, and \
                 shows at most {MAX_FINDINGS} findings; what was found is shown, and later rules may hide more"
            )),
        );
    }
    (analysis.diagnostics, analysis.skipped)
}

/// What a deadline or value statement sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Deadline(DeadlineId),
    Value(ValueId),
}

/// A statement that sets a deadline or value: its rule, guard and expression, what its rule
/// and guard read (`None`: beyond the method), and its expression written without spans.
struct Setter<'m> {
    rule: RuleId,
    guard: Option<&'m Expr>,
    expr: &'m Expr,
    reads: Result<Reads, String>,
    shape: String,
}

struct Analysis<'p> {
    program: &'p Program,
    model: &'p Model,
    base: Vec<Value>,
    /// What deciding the grade reads, or why it is beyond the method.
    grade_reads: Result<Reads, String>,
    /// Rules whose condition can never hold.
    never: Vec<bool>,
    budget: u64,
    /// How many rules set a grade: the work of deciding the grade in one case.
    grade_rules: u64,
    diagnostics: Vec<Diagnostic>,
    /// The checks not made, with their reasons.
    skipped: Vec<SkippedCheck>,
}

impl<'p> Analysis<'p> {
    fn new(program: &'p Program) -> Analysis<'p> {
        let model = &program.model;
        let mut grade_reads = Ok(Reads::default());
        for rule in model.rules.iter().filter(|r| r.grade.is_some()) {
            if let Some(c) = &rule.condition {
                match (Reads::of(model, c), grade_reads.as_mut()) {
                    (Ok(r), Ok(all)) => all.merge(&r),
                    (Err(why), Ok(_)) => {
                        grade_reads = Err(format!("{} {}", Whose::Condition(&rule.name), why.0));
                    }
                    (_, Err(_)) => {}
                }
            }
        }
        Analysis {
            program,
            model,
            base: witness::base_slots(model),
            grade_reads,
            never: vec![false; model.rules.len()],
            budget: CASES_IN_ALL,
            grade_rules: u64::try_from(model.rules.iter().filter(|r| r.grade.is_some()).count()).unwrap_or(u64::MAX),
            diagnostics: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Note a check not made: `what` it would have told, `why` not.
    fn skip(&mut self, check: &'static str, rules: Vec<String>, what: String, why: &str) {
        // Past the budget, `analysis_incomplete` says so once.
        if self.budget > 0 {
            self.skipped.push(SkippedCheck { check, rules, reason: format!("{what}; not checked: {why}") });
        }
    }

    /// Whether no ticket satisfies `condition`, told as a warning `check` when so:
    /// `Some(true)`. `None` when it reads something beyond the method, `Some(false)` when a
    /// ticket satisfies it or there are too many cases to tell (both noted as skipped).
    /// `words`: what the check tells, and the warning's message.
    fn never_holds(
        &mut self,
        check: &'static str,
        whose: Whose<'_>,
        condition: &Expr,
        [what, message]: [String; 2],
    ) -> Option<bool> {
        let owner = whose.name().to_string();
        let reads = match self.reads(&[(whose, condition)]) {
            Ok(reads) => reads,
            Err(why) => {
                self.skip(check, vec![owner], what, &why);
                return None;
            }
        };
        match self.cases(&reads, |eval| eval.truth(condition) == Some(true)) {
            None => {
                self.skip(check, vec![owner], what, TOO_MANY);
                Some(false)
            }
            Some(true) => Some(false),
            Some(false) => {
                self.diagnostics.push(
                    Diagnostic::warning(check, message)
                        .label(condition.span, "no ticket satisfies this condition")
                        .help(format!(
                            "every combination of the values it reads was tried: {}",
                            self.field_list(&reads)
                        )),
                );
                Some(true)
            }
        }
    }

    /// Take `cost` from the budget; `None`, and nothing more is tried, when it is spent.
    fn spend(&mut self, cost: u64) -> Option<()> {
        if cost > self.budget || self.diagnostics.len() >= MAX_FINDINGS {
            self.budget = 0;
            return None;
        }
        self.budget -= cost;
        Some(())
    }

    /// What these conditions read, the grade's own reads included when they read it; else
    /// why one is beyond the method ("`a`'s condition reads `transcript` (text)").
    fn reads(&self, exprs: &[(Whose<'_>, &Expr)]) -> Result<Reads, String> {
        let mut all = Reads::default();
        for (whose, e) in exprs {
            let reads = Reads::of(self.model, e).map_err(|why| format!("{whose} {}", why.0))?;
            if reads.grade {
                if let Err(why) = &self.grade_reads {
                    return Err(format!("{whose} reads the grade, and {why}"));
                }
            }
            all.merge(&reads);
        }
        if all.grade {
            all.merge(self.grade_reads.as_ref().map_err(Clone::clone)?);
        }
        Ok(all)
    }

    /// Try every case of what `reads` reads, calling `visit` with each case's evaluator
    /// until it returns true. `None` when the budget does not allow it; else whether
    /// `visit` stopped the search.
    fn cases(&mut self, reads: &Reads, mut visit: impl FnMut(&Eval<'_>) -> bool) -> Option<bool> {
        let fields: Vec<FieldId> = reads.fields.keys().chain(reads.presence.keys()).copied().collect();
        let domains: Vec<Vec<Value>> =
            fields.iter().map(|f| domain(self.model, reads, *f, self.base.get(f.index())?)).collect::<Option<_>>()?;
        let mut total: u64 = 1;
        for d in &domains {
            total = total.checked_mul(u64::try_from(d.len()).ok()?)?;
            if total > CASES_PER_CHECK {
                return None;
            }
        }
        // A case that reads the grade decides it first, from every grade rule.
        let cost = if reads.grade { total.saturating_mul(1 + self.grade_rules) } else { total };
        self.spend(cost)?;
        let mut slots = self.base.clone();
        let mut digits = vec![0usize; fields.len()];
        loop {
            for ((f, d), i) in fields.iter().zip(&domains).zip(&digits) {
                if let (Some(slot), Some(v)) = (slots.get_mut(f.index()), d.get(*i)) {
                    *slot = v.clone();
                }
            }
            let grade = if reads.grade { Eval::decide_grade(self.model, &slots) } else { None };
            let eval = Eval { model: self.model, slots: &slots, grade };
            if visit(&eval) {
                return Some(true);
            }
            // The next case, as a mixed-radix counter.
            let mut position = 0;
            loop {
                let (Some(digit), Some(d)) = (digits.get_mut(position), domains.get(position)) else {
                    return Some(false);
                };
                *digit += 1;
                if *digit < d.len() {
                    break;
                }
                *digit = 0;
                position += 1;
            }
        }
    }

    /// `triage::unreachable`: a rule whose condition no ticket satisfies.
    /// Also a statement's guard that never holds while its rule fires.
    fn unreachable_rules(&mut self) {
        for (i, rule) in self.model.rules.iter().enumerate() {
            let condition = rule.condition.as_ref();
            if let Some(c) = condition {
                let words =
                    [format!("whether rule `{}` can fire", rule.name), format!("rule `{}` can never fire", rule.name)];
                match self.never_holds("unreachable", Whose::Condition(&rule.name), c, words) {
                    None => continue,
                    Some(true) => {
                        self.never[i] = true;
                        continue;
                    }
                    Some(false) => {}
                }
            }
            for effect in &rule.effects {
                let Some(guard) = &effect.guard else { continue };
                let mut exprs = vec![(Whose::Guard(&rule.name), guard)];
                exprs.extend(condition.map(|c| (Whose::Condition(&rule.name), c)));
                let what = || format!("whether a `when` of rule `{}` can hold while the rule fires", rule.name);
                let reads = match self.reads(&exprs) {
                    Ok(reads) => reads,
                    Err(why) => {
                        self.skip("unreachable", vec![rule.name.to_string()], what(), &why);
                        continue;
                    }
                };
                let outcome = self.cases(&reads, |eval| eval.fires(condition) && eval.truth(guard) == Some(true));
                if outcome.is_none() {
                    self.skip("unreachable", vec![rule.name.to_string()], what(), TOO_MANY);
                }
                if outcome != Some(false) {
                    continue;
                }
                let mut d = Diagnostic::warning(
                    "unreachable",
                    format!(
                        "a statement of rule `{}` never applies: its `when` never holds while the rule fires",
                        rule.name
                    ),
                )
                .label(guard.span, "never holds when the rule fires");
                if let Some(c) = condition {
                    d = d.label(c.span, "the rule fires only when this holds");
                }
                self.diagnostics.push(
                    d.help(format!("every combination of the values they read was tried: {}", self.field_list(&reads))),
                );
            }
        }
    }

    /// `triage::conflict`: two rules that both fire for one ticket and set one deadline or
    /// value to different results.
    fn conflicts(&mut self) {
        let mut setters: BTreeMap<Target, Vec<Setter<'p>>> = BTreeMap::new();
        for (i, rule) in self.model.rules.iter().enumerate() {
            let Some(id) = RuleId::new(i) else { break };
            if self.never[i] {
                continue;
            }
            for effect in &rule.effects {
                let (target, expr) = match &effect.kind {
                    EffectKind::Deadline(d) => (Target::Deadline(d.name), &d.expr),
                    EffectKind::Value(v) => (Target::Value(v.name), &v.expr),
                    _ => continue,
                };
                let mut exprs: Vec<(Whose<'_>, &Expr)> = Vec::new();
                exprs.extend(rule.condition.as_ref().map(|c| (Whose::Condition(&rule.name), c)));
                exprs.extend(effect.guard.as_ref().map(|g| (Whose::Guard(&rule.name), g)));
                let reads = self.reads(&exprs);
                let shape = without_spans(&format!("{:?}", expr.kind));
                setters.entry(target).or_default().push(Setter {
                    rule: id,
                    guard: effect.guard.as_ref(),
                    expr,
                    reads,
                    shape,
                });
            }
        }
        for (target, list) in &setters {
            for (a, first) in list.iter().enumerate() {
                for second in list.iter().skip(a + 1) {
                    // Written alike, two statements cannot give different results.
                    if first.shape == second.shape {
                        continue;
                    }
                    // Every pair costs a little, so that many pairs beyond the method end too.
                    if self.spend(1).is_none() {
                        return;
                    }
                    if let Some(why) = first.reads.as_ref().err().or(second.reads.as_ref().err()) {
                        let what = self.setting_both(*target, first, second);
                        let rules = self.rule_names(&[first.rule, second.rule]);
                        self.skipped.push(SkippedCheck {
                            check: "conflict",
                            rules,
                            reason: format!("{what}; not compared: {why}"),
                        });
                        continue;
                    }
                    self.conflict(*target, first, second, list);
                }
            }
        }
    }

    fn conflict(&mut self, target: Target, first: &Setter<'p>, second: &Setter<'p>, list: &[Setter<'p>]) {
        let model = self.model;
        let (c1, c2) = (model.rule(first.rule).condition.as_ref(), model.rule(second.rule).condition.as_ref());
        let (Ok(r1), Ok(r2)) = (&first.reads, &second.reads) else { return };
        let mut reads = r1.clone();
        reads.merge(r2);
        let mut found: Vec<Vec<Value>> = Vec::new();
        let outcome = self.cases(&reads, |eval| {
            if eval.fires(c1) && eval.fires(first.guard) && eval.fires(c2) && eval.fires(second.guard) {
                found.push(eval.slots.to_vec());
            }
            found.len() >= VERIFY_ATTEMPTS
        });
        if outcome.is_none() {
            let what = self.setting_both(target, first, second);
            self.skip("conflict", self.rule_names(&[first.rule, second.rule]), what, TOO_MANY);
        }
        // Each case as found, then with other values for the fields it leaves alone.
        let fixed: Vec<FieldId> = reads.fields.keys().chain(reads.presence.keys()).copied().collect();
        let candidates = found.iter().flat_map(|slots| {
            // Where each statement's result stands among those its rule sets for this ticket.
            let grade = if reads.grade { Eval::decide_grade(model, slots) } else { None };
            let eval = Eval { model, slots, grade };
            let place = |setter: &Setter<'p>| -> Option<(usize, usize)> {
                let applying: Vec<&Setter<'p>> =
                    list.iter().filter(|s| s.rule == setter.rule && eval.fires(s.guard)).collect();
                let at = applying.iter().position(|s| std::ptr::eq(*s, setter))?;
                Some((at, applying.len()))
            };
            let places = place(first).zip(place(second));
            std::iter::once(slots.clone())
                .chain(witness::variants(model, slots, &fixed))
                .filter_map(move |s| Some((witness::ticket_json(model, &s), places?)))
        });
        for (json, places) in candidates {
            let Some((one, two)) = self.set_by_both(&json, target, (first, second), places) else { continue };
            if one == two {
                continue;
            }
            let (what, name) = match target {
                Target::Deadline(d) => ("deadline", model.deadline_name(d)),
                Target::Value(v) => ("value", model.value_name(v)),
            };
            let (r1, r2) = (&model.rule(first.rule).name, &model.rule(second.rule).name);
            let json = witness::one_line(&json);
            let d = if first.rule == second.rule {
                Diagnostic::error(
                    "conflict",
                    format!(
                        "two statements of rule `{r1}` set {what} `{name}` to different results for the same ticket"
                    ),
                )
                .label(first.expr.span, format!("this sets `{name}` to {one}"))
                .label(second.expr.span, format!("this sets `{name}` to {two}"))
                .help(format!(
                    "both apply to this ticket, and the later one wins silently: {json}; make their `when`s exclusive, \
                     or write the two cases as one statement"
                ))
            } else {
                Diagnostic::error(
                    "conflict",
                    format!("rules `{r1}` and `{r2}` set {what} `{name}` to different results for the same ticket"),
                )
                .label(first.expr.span, format!("`{r1}` sets `{name}` to {one}"))
                .label(second.expr.span, format!("`{r2}` sets `{name}` to {two}"))
                .help(format!(
                    "both rules fire for this ticket, and the later one wins silently: {json}; make their conditions \
                     exclusive, or write the two cases as one rule"
                ))
            };
            self.diagnostics.push(d);
            return;
        }
    }

    /// Decide a ticket; what the two statements set the target to, when both set it. A
    /// rule's results are told apart by their order: `places` says where each statement's
    /// stands among the results its rule sets, and how many it sets, which the decision
    /// must bear out.
    fn set_by_both(
        &self,
        json: &Json,
        target: Target,
        (first, second): (&Setter<'p>, &Setter<'p>),
        places: ((usize, usize), (usize, usize)),
    ) -> Option<(String, String)> {
        let decision = witness::decide(self.program, json)?;
        let trace = &decision.trace;
        let entry =
            |rule: RuleId| trace.fired.iter().position(|o| *o == Owner::Rule(rule)).and_then(|i| u32::try_from(i).ok());
        let result = |setter: &Setter<'p>, (at, count): (usize, usize)| -> Option<String> {
            let entry = entry(setter.rule)?;
            let results: Vec<String> = match target {
                Target::Deadline(d) => trace
                    .reckonings
                    .iter()
                    .filter(|(e, r)| *e == entry && r.deadline == d)
                    .map(|(_, r)| self.program.instant(r.at).to_string())
                    .collect(),
                Target::Value(v) => trace
                    .values
                    .iter()
                    .filter(|(e, name, ..)| *e == entry && *name == v)
                    .filter_map(|(_, _, value, ty)| decision.computed(value, *ty).map(|c| c.to_string()))
                    .collect(),
            };
            if results.len() != count {
                return None;
            }
            results.into_iter().nth(at)
        };
        Some((result(first, places.0)?, result(second, places.1)?))
    }

    /// `triage::shadowed`: a grade rule that never decides the grade, because a rule of a
    /// more severe grade fires whenever it does.
    fn shadowed(&mut self) {
        let model = self.model;
        let graded: Vec<(RuleId, GradeId)> = model
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.never.get(*i).copied().unwrap_or(true))
            .filter_map(|(i, r)| Some((RuleId::new(i)?, r.grade?)))
            .collect();
        for &(b, gb) in &graded {
            let Some(cb) = model.rule(b).condition.as_ref() else { continue };
            let mut reported = false;
            for &(a, ga) in &graded {
                if ga >= gb {
                    continue;
                }
                if self.spend(1).is_none() {
                    return;
                }
                let ca = model.rule(a).condition.as_ref();
                let (ra, rb) = (&model.rule(a).name, &model.rule(b).name);
                let mut exprs = vec![(Whose::Condition(rb), cb)];
                exprs.extend(ca.map(|c| (Whose::Condition(ra), c)));
                let what = || {
                    let (na, nb) = (&model.grade(ga).name, &model.grade(gb).name);
                    format!("whether `{ra}` (grade {na}) fires whenever `{rb}` (grade {nb}) does")
                };
                let reads = match self.reads(&exprs) {
                    Ok(reads) => reads,
                    Err(why) => {
                        self.skip("shadowed", self.rule_names(&[a, b]), what(), &why);
                        continue;
                    }
                };
                let mut example: Option<Json> = None;
                let escaped = self.cases(&reads, |eval| {
                    if !eval.fires(Some(cb)) {
                        return false;
                    }
                    if example.is_none() {
                        example = Some(witness::ticket_json(model, eval.slots));
                    }
                    !eval.fires(ca)
                });
                if escaped.is_none() {
                    self.skip("shadowed", self.rule_names(&[a, b]), what(), TOO_MANY);
                }
                let (Some(false), Some(json)) = (escaped, example) else { continue };
                if !self.verify_shadow(&json, a, b, ga) {
                    continue;
                }
                let (na, nb) = (&model.grade(ga).name, &model.grade(gb).name);
                let mut d = Diagnostic::warning(
                    "shadowed",
                    format!("rule `{rb}` never decides the grade: whenever it fires, `{ra}` gives grade {na}"),
                )
                .label(cb.span, format!("whenever this holds, grade {nb} is overruled"));
                if let Some(ca) = ca {
                    d = d.label(ca.span, format!("this holds too, and grade {na} is more severe"));
                }
                self.diagnostics.push(d.help(format!(
                    "for example, both rules fire for this ticket, and it gets grade {na}: {}; remove `{rb}`, or give \
                     it a condition that `{ra}` does not cover",
                    witness::one_line(&json)
                )));
                reported = true;
                break;
            }
            if !reported {
                self.shadowed_by_several(&graded, b, gb, cb);
            }
        }
    }

    /// A grade rule that no one more severe rule covers, but several together do.
    fn shadowed_by_several(&mut self, graded: &[(RuleId, GradeId)], b: RuleId, gb: GradeId, cb: &'p Expr) {
        let model = self.model;
        let severe: Vec<(RuleId, Option<&Expr>)> =
            graded.iter().filter(|(_, g)| *g < gb).map(|(r, _)| (*r, model.rule(*r).condition.as_ref())).collect();
        if severe.len() < 2 || self.spend(1).is_none() {
            return;
        }
        // Each pair this covers was noted when skipped, so this notes nothing itself.
        let mut exprs = vec![(Whose::Condition(&model.rule(b).name), cb)];
        exprs.extend(severe.iter().filter_map(|(r, c)| Some((Whose::Condition(&model.rule(*r).name), (*c)?))));
        let Ok(reads) = self.reads(&exprs) else { return };
        let mut example: Option<Json> = None;
        let escaped = self.cases(&reads, |eval| {
            if !eval.fires(Some(cb)) {
                return false;
            }
            if example.is_none() {
                example = Some(witness::ticket_json(model, eval.slots));
            }
            !severe.iter().any(|(_, c)| eval.fires(*c))
        });
        let (Some(false), Some(json)) = (escaped, example) else { return };
        let Some(decision) = witness::decide(self.program, &json) else { return };
        let fired: Vec<RuleId> =
            severe.iter().map(|(r, _)| *r).filter(|r| decision.trace.fired.contains(&Owner::Rule(*r))).collect();
        let Some(grade) = decision.grade.filter(|g| *g < gb) else { return };
        if fired.is_empty() || !decision.trace.fired.contains(&Owner::Rule(b)) {
            return;
        }
        let names: Vec<String> = severe.iter().map(|(r, _)| format!("`{}`", model.rule(*r).name)).collect();
        let (rb, nb, ng) = (&model.rule(b).name, &model.grade(gb).name, &model.grade(grade).name);
        let mut d = Diagnostic::warning(
            "shadowed",
            format!(
                "rule `{rb}` never decides the grade: whenever it fires, one of {} gives a more severe one",
                names.join(", ")
            ),
        )
        .label(cb.span, format!("whenever this holds, grade {nb} is overruled"));
        for (r, c) in &severe {
            if let Some(c) = c {
                let text =
                    if fired.contains(r) { "this holds for the ticket below" } else { "this covers the other cases" };
                d = d.label(c.span, text);
            }
        }
        self.diagnostics.push(d.help(format!(
            "for example, this ticket gets grade {ng}: {}; remove `{rb}`, or give it a condition the others do not \
             cover",
            witness::one_line(&json)
        )));
    }

    fn verify_shadow(&self, json: &Json, a: RuleId, b: RuleId, ga: GradeId) -> bool {
        let Some(decision) = witness::decide(self.program, json) else { return false };
        let fired = |r: RuleId| decision.trace.fired.contains(&Owner::Rule(r));
        fired(a) && fired(b) && decision.grade.is_some_and(|g| g <= ga)
    }

    /// `triage::dead_exemption`: an exemption whose condition never holds, or never while a
    /// rule triggers an action it removes.
    fn dead_exemptions(&mut self) {
        let model = self.model;
        for exemption in &model.exemptions {
            let condition = &exemption.condition;
            let name = vec![exemption.name.to_string()];
            let what = || format!("whether exemption `{}` can apply", exemption.name);
            let words = [what(), format!("exemption `{}` can never apply", exemption.name)];
            if self.never_holds("dead_exemption", Whose::Exemption(&exemption.name), condition, words) != Some(false) {
                continue;
            }
            // The statements that trigger an action it removes, with their rules.
            let triggers: Vec<(&str, Option<&Expr>, Option<&Expr>)> = model
                .rules
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.never.get(*i).copied().unwrap_or(true))
                .flat_map(|(_, r)| {
                    r.effects.iter().filter_map(move |e| match &e.kind {
                        EffectKind::Action(actions) if actions.iter().any(|a| exemption.actions.contains(a)) => {
                            Some((&*r.name, r.condition.as_ref(), e.guard.as_ref()))
                        }
                        _ => None,
                    })
                })
                .collect();
            if triggers.is_empty() {
                // The checker already names actions no rule triggers; here, every rule that
                // triggers one can never fire.
                let triggered_somewhere = model.rules.iter().any(|r| {
                    r.effects.iter().any(|e| {
                        matches!(&e.kind, EffectKind::Action(actions) if actions.iter().any(|a| exemption.actions.contains(a)))
                    })
                });
                if triggered_somewhere {
                    let names = self.action_list(&exemption.actions);
                    self.diagnostics.push(
                        Diagnostic::warning(
                            "dead_exemption",
                            format!("exemption `{}` can never apply", exemption.name),
                        )
                        .label(condition.span, format!("{names} is never triggered"))
                        .help("every rule that triggers an action it removes can never fire (see above)"),
                    );
                }
                continue;
            }
            let mut exprs = vec![(Whose::Exemption(&exemption.name), condition)];
            for (rule, c, g) in &triggers {
                exprs.extend(c.map(|c| (Whose::Condition(rule), c)));
                exprs.extend(g.map(|g| (Whose::Guard(rule), g)));
            }
            let what = format!(
                "whether exemption `{}` can apply while {} is triggered",
                exemption.name,
                self.action_list(&exemption.actions)
            );
            let mut names = name.clone();
            names.extend(triggers.iter().map(|(r, ..)| r.to_string()));
            names.dedup();
            let reads = match self.reads(&exprs) {
                Ok(reads) => reads,
                Err(why) => {
                    self.skip("dead_exemption", names, what, &why);
                    continue;
                }
            };
            let applies = self.cases(&reads, |eval| {
                eval.truth(condition) == Some(true) && triggers.iter().any(|(_, c, g)| eval.fires(*c) && eval.fires(*g))
            });
            if applies.is_none() {
                self.skip("dead_exemption", names, what, TOO_MANY);
            }
            if applies == Some(false) {
                let names = self.action_list(&exemption.actions);
                self.diagnostics.push(
                    Diagnostic::warning("dead_exemption", format!("exemption `{}` can never apply", exemption.name))
                        .label(condition.span, format!("this never holds while {names} is triggered"))
                        .help("an exemption applies only to a ticket whose rules trigger an action it removes"),
                );
            }
        }
    }

    /// `triage::gap`: a ticket no grade rule grades, in a graded policy without a default
    /// grade.
    fn gaps(&mut self) {
        let model = self.model;
        let grading: Vec<(&str, Option<&Expr>)> =
            model.rules.iter().filter(|r| r.grade.is_some()).map(|r| (&*r.name, r.condition.as_ref())).collect();
        if grading.is_empty() || model.default_grade.is_some() {
            return;
        }
        let exprs: Vec<(Whose<'_>, &Expr)> =
            grading.iter().filter_map(|(r, c)| Some((Whose::Condition(r), (*c)?))).collect();
        let rules = grading.iter().map(|(r, _)| r.to_string()).collect();
        let candidates = self.uncovered("whether every ticket gets a grade", rules, &exprs, false, |eval| {
            grading.iter().any(|(_, c)| eval.fires(*c))
        });
        let Some(json) =
            candidates.into_iter().find(|json| witness::decide(self.program, json).is_some_and(|d| d.grade.is_none()))
        else {
            return;
        };
        let mut d = Diagnostic::error("gap", "some tickets get no grade").help(format!(
            "no grade rule fires for this ticket, and the grades have no default: {}; add `, default …` to the \
             grades, or a rule for these tickets",
            witness::one_line(&json)
        ));
        if let Some((_, c)) = exprs.first() {
            d = d.label(c.span, "the first condition that grades");
        }
        self.diagnostics.push(d);
    }

    /// `triage::gap`: a ticket that no route statement routes even when every optional field
    /// they read is present. A later fact still missing may defer routing (the shipped
    /// policies route an escalation only once it is known whether the receiver can resolve
    /// the ticket), but once the facts are known every ticket must have a route. A policy
    /// that routes nowhere is not checked: it has nothing to route.
    fn route_gaps(&mut self) {
        let model = self.model;
        let statements: Vec<(&str, Option<&Expr>, Option<&Expr>)> = model
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.never.get(*i).copied().unwrap_or(true))
            .flat_map(|(_, r)| {
                r.effects.iter().filter_map(move |e| match &e.kind {
                    EffectKind::Route(_) => Some((&*r.name, r.condition.as_ref(), e.guard.as_ref())),
                    _ => None,
                })
            })
            .collect();
        if statements.is_empty() {
            return;
        }
        let mut exprs: Vec<(Whose<'_>, &Expr)> = Vec::new();
        for (rule, c, g) in &statements {
            exprs.extend(c.map(|c| (Whose::Condition(rule), c)));
            exprs.extend(g.map(|g| (Whose::Guard(rule), g)));
        }
        let mut rules: Vec<String> = statements.iter().map(|(r, ..)| r.to_string()).collect();
        rules.dedup();
        let what = "whether every ticket gets a route once the facts its routes read are known";
        let candidates = self.uncovered(what, rules, &exprs, true, |eval| {
            statements.iter().any(|(_, c, g)| eval.fires(*c) && eval.fires(*g))
        });
        let Some(json) =
            candidates.into_iter().find(|json| witness::decide(self.program, json).is_some_and(|d| d.route.is_empty()))
        else {
            return;
        };
        let mut d =
            Diagnostic::error("gap", "some tickets get no route, even once every fact the routes read is known").help(
                format!(
                    "no route statement applies to this ticket, in which every optional field they read is given: {}; \
                 a missing later fact may defer routing, but once the facts are known every ticket needs a route: \
                 add a route for these tickets, or widen a condition",
                    witness::one_line(&json)
                ),
            );
        for (_, c, g) in statements.iter().take(3) {
            if let Some(e) = g.or(*c) {
                d = d.label(e.span, "routes only when this holds");
            }
        }
        self.diagnostics.push(d);
    }

    /// Cases in which `covered` does not hold, as ticket JSON (a few, each to be decided
    /// before one is shown). With `known`, only cases in which every optional field the
    /// conditions read is present. A check beyond the method is noted as skipped.
    fn uncovered(
        &mut self,
        what: &str,
        rules: Vec<String>,
        exprs: &[(Whose<'_>, &Expr)],
        known: bool,
        covered: impl Fn(&Eval<'_>) -> bool,
    ) -> Vec<Json> {
        let reads = match self.reads(exprs) {
            Ok(reads) => reads,
            Err(why) => {
                self.skip("gap", rules, what.to_string(), &why);
                return Vec::new();
            }
        };
        let model = self.model;
        let optional: Vec<FieldId> = if known {
            reads.fields.keys().chain(reads.presence.keys()).copied().filter(|f| model.field(*f).optional).collect()
        } else {
            Vec::new()
        };
        let mut found = Vec::new();
        let outcome = self.cases(&reads, |eval| {
            let missing = optional.iter().any(|f| matches!(eval.slots.get(f.index()), None | Some(Value::Null)));
            if missing || covered(eval) {
                return false;
            }
            found.push(witness::ticket_json(model, eval.slots));
            found.len() >= VERIFY_ATTEMPTS
        });
        if outcome.is_none() {
            self.skip("gap", rules, what.to_string(), TOO_MANY);
        }
        found
    }

    /// The names of some rules, in order, each once.
    fn rule_names(&self, rules: &[RuleId]) -> Vec<String> {
        let mut names: Vec<String> = rules.iter().map(|r| self.model.rule(*r).name.to_string()).collect();
        names.dedup();
        names
    }

    /// "rules `a` and `b` both set deadline `resolve`", for a conflict not compared.
    fn setting_both(&self, target: Target, first: &Setter<'_>, second: &Setter<'_>) -> String {
        let model = self.model;
        let (what, name) = match target {
            Target::Deadline(d) => ("deadline", model.deadline_name(d)),
            Target::Value(v) => ("value", model.value_name(v)),
        };
        let (r1, r2) = (&model.rule(first.rule).name, &model.rule(second.rule).name);
        if first.rule == second.rule {
            format!("two statements of rule `{r1}` both set {what} `{name}`")
        } else {
            format!("rules `{r1}` and `{r2}` both set {what} `{name}`")
        }
    }

    fn field_list(&self, reads: &Reads) -> String {
        let mut names: Vec<String> = reads
            .fields
            .keys()
            .chain(reads.presence.keys())
            .map(|f| format!("`{}`", self.model.field(*f).path))
            .collect();
        if names.is_empty() {
            names.push("no field".into());
        }
        names.join(", ")
    }

    fn action_list(&self, actions: &[ActionId]) -> String {
        let names: Vec<String> = actions.iter().map(|a| format!("`{}`", self.model.action(*a).name)).collect();
        names.join(" or ")
    }
}

/// An expression's debug form with every span left out: two expressions written alike,
/// wherever they stand, have the same (spans are the only part that differs between them).
fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find("span: Span {") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
