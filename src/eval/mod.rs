//! Stage 4, evaluate: a [`Program`] and one ticket's slots → a [`Decision`].
//!
//! The grade is decided first, from the rules that set one (their conditions cannot read
//! the grade, the checker sees to that); then every rule runs in file order; then the
//! exemptions remove the actions they cover, and deadlines and values that belonged to a
//! removed action go with it.

pub(crate) mod context;
mod deadline;
pub(crate) mod error;
pub(crate) mod trace;

use self::context::Ctx;
use self::error::{Owner, Part, Site};
use self::trace::{record_facts, Applied, Owned, TraceLevel};
use crate::compile::{Condition, EffectCodeKind, Program, RuleCode};
use crate::decision::{Decision, Instant};
use crate::model::*;
use crate::value::Value;

/// Lists one evaluation keeps, held by the decision so that deciding again reuses them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Buffers {
    /// Deadlines and values set for an action, checked once exemptions are done.
    owned: Vec<OwnedBy>,
    /// The grade rules that fired, with their trace entries, for their other effects.
    fired_grades: Vec<(RuleId, Option<u32>)>,
    /// The actions triggered before exemptions.
    triggered: Vec<ActionId>,
}

/// A deadline or value that belongs to an action, and the trace entry that set it.
#[derive(Debug, Clone, Copy)]
struct OwnedBy {
    owned: Owned,
    owner: ActionId,
    entry: Option<u32>,
}

/// Decide one ticket into `out`, which is cleared first; its trace level is kept.
pub(crate) fn evaluate<'p>(program: &'p Program, slots: &[Value], out: &mut Decision<'p>) {
    out.clear();
    let model = &program.model;
    if let Some(Value::Text(id)) = model.id_field.and_then(|f| slots.get(f.index())) {
        out.ticket.push_str(id);
    }
    out.scratch.reset(program);
    let level = out.level;
    let Decision {
        scratch, problems, trace, route, actions, exempt, deadlines, warnings, values, grade, buffers, ..
    } = out;
    let Buffers { owned, fired_grades, triggered } = buffers;
    owned.clear();
    fired_grades.clear();
    let mut ctx = Ctx {
        program,
        slots,
        scratch,
        problems,
        grade: None,
        site: Site::condition(Owner::Rule(RuleId::default())),
        replaying: false,
    };
    let mut run = Run { level, trace, route, actions, deadlines, warnings, values, owned };

    // Grades first. The entries of grade rules that fired, for their other effects later.
    let mut decided: Option<GradeId> = None;
    for &id in &program.grade_rules {
        let Some(g) = model.rule(id).grade else { continue };
        if !fires(&mut ctx, Owner::Rule(id), program.rules[id.index()].condition.as_ref()) {
            continue;
        }
        decided = Some(decided.map_or(g, |current| current.min(g)));
        let entry = run.enter(&mut ctx, Owner::Rule(id), program.rules[id.index()].condition.as_ref());
        run.effect(entry, Applied::Grade(g));
        fired_grades.push((id, entry));
    }
    ctx.grade = decided.or(model.default_grade);
    *grade = ctx.grade;

    for (i, rule) in program.rules.iter().enumerate() {
        let Some(id) = RuleId::new(i) else { break };
        let entry = match fired_grades.iter().find(|(r, _)| *r == id) {
            Some(&(_, entry)) => entry,
            None if model.rule(id).grade.is_some() => continue,
            None => {
                if !fires(&mut ctx, Owner::Rule(id), rule.condition.as_ref()) {
                    continue;
                }
                run.enter(&mut ctx, Owner::Rule(id), rule.condition.as_ref())
            }
        };
        run.apply(&mut ctx, id, rule, entry);
    }

    // Every exemption that holds is named, even when an earlier one already removed the
    // same action: the decision says all the reasons the obligation is waived.
    triggered.clone_from(run.actions);
    for (i, condition) in program.exemptions.iter().enumerate() {
        let Some(id) = ExemptionId::new(i) else { break };
        let def = model.exemption(id);
        let holds = fires(&mut ctx, Owner::Exemption(id), Some(condition));
        if !holds || !def.actions.iter().any(|a| triggered.contains(a)) {
            continue;
        }
        run.actions.retain(|a| !def.actions.contains(a));
        exempt.push(id);
        let entry = run.enter(&mut ctx, Owner::Exemption(id), Some(condition));
        for &a in def.actions.iter().filter(|a| triggered.contains(a)) {
            run.effect(entry, Applied::Exempt(a));
        }
    }

    // A deadline or value set for an action stands only while the action does.
    for i in 0..run.owned.len() {
        let owned = run.owned[i];
        if run.actions.contains(&owned.owner) {
            continue;
        }
        match owned.owned {
            Owned::Deadline(d) => {
                run.deadlines.retain(|(n, _)| *n != d);
                run.warnings.retain(|(n, _)| *n != d);
                if let Some(entry) = owned.entry {
                    run.trace.reckonings.retain(|(e, r)| *e != entry || r.deadline != d);
                }
            }
            Owned::Value(v) => run.values.retain(|(n, ..)| *n != v),
        }
        let exempted = triggered.contains(&owned.owner);
        if let Some(entry) = owned.entry {
            run.effect(Some(entry), Applied::Dropped { owned: owned.owned, action: owned.owner, exempted });
        }
    }
}

/// Whether a condition holds (no condition always does); unknown never fires.
fn fires(ctx: &mut Ctx<'_>, owner: Owner, condition: Option<&Condition>) -> bool {
    ctx.site = Site::condition(owner);
    condition.map_or(true, |c| (c.test)(ctx) == Some(true))
}

/// The parts of a decision a run fills, borrowed apart from the evaluation context.
struct Run<'a> {
    level: TraceLevel,
    trace: &'a mut trace::Trace,
    route: &'a mut Vec<RoleId>,
    actions: &'a mut Vec<ActionId>,
    deadlines: &'a mut Vec<(DeadlineId, Instant)>,
    warnings: &'a mut Vec<(DeadlineId, Instant)>,
    values: &'a mut Vec<(ValueId, Value, Type)>,
    owned: &'a mut Vec<OwnedBy>,
}

impl Run<'_> {
    /// Open a trace entry for a rule or exemption that fired: its number, unless untraced.
    fn enter(&mut self, ctx: &mut Ctx<'_>, owner: Owner, condition: Option<&Condition>) -> Option<u32> {
        if self.level == TraceLevel::None {
            return None;
        }
        let entry = crate::convert::to_u32(self.trace.fired.len());
        self.trace.fired.push(owner);
        if let (TraceLevel::Full, Some(c)) = (self.level, condition) {
            record_facts(ctx, &c.facts, entry, &mut self.trace.facts);
        }
        Some(entry)
    }

    fn effect(&mut self, entry: Option<u32>, applied: Applied) {
        if let Some(entry) = entry {
            self.trace.effects.push((entry, applied));
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<'_>, id: RuleId, rule: &RuleCode, entry: Option<u32>) {
        for effect in &rule.effects {
            if let Some(guard) = &effect.guard {
                ctx.site = Site { owner: Owner::Rule(id), part: Part::Guard, via: None };
                if guard(ctx) != Some(true) {
                    continue;
                }
            }
            match &effect.kind {
                EffectCodeKind::Route(roles) => {
                    for &r in roles {
                        if !self.route.contains(&r) {
                            self.route.push(r);
                            self.effect(entry, Applied::Route(r));
                        }
                    }
                }
                EffectCodeKind::Action(actions) => {
                    for &a in actions {
                        if !self.actions.contains(&a) {
                            self.actions.push(a);
                            self.effect(entry, Applied::Action(a));
                        }
                    }
                }
                EffectCodeKind::Deadline(d) => {
                    ctx.site = Site { owner: Owner::Rule(id), part: Part::Deadline(d.name), via: None };
                    let set = deadline::reckon(ctx, d, self, entry);
                    if set {
                        if let Some(owner) = d.owner {
                            self.owned.push(OwnedBy { owned: Owned::Deadline(d.name), owner, entry });
                        }
                    }
                }
                EffectCodeKind::Value { name, value, ty, owner } => {
                    ctx.site = Site { owner: Owner::Rule(id), part: Part::Value(*name), via: None };
                    let problems = ctx.problems.len();
                    let v = value(ctx);
                    if !v.is_known() {
                        let problem = ctx.problems.len() > problems;
                        self.effect(entry, Applied::ValueUnset { value: *name, problem });
                        continue;
                    }
                    if let (TraceLevel::Full, Some(entry)) = (self.level, entry) {
                        self.trace.values.push((entry, *name, v.clone(), *ty));
                    }
                    match self.values.iter_mut().find(|(n, ..)| n == name) {
                        Some(slot) => *slot = (*name, v, *ty),
                        None => self.values.push((*name, v, *ty)),
                    }
                    self.effect(entry, Applied::Value(*name));
                    if let Some(owner) = owner {
                        self.owned.push(OwnedBy { owned: Owned::Value(*name), owner: *owner, entry });
                    }
                }
            }
        }
    }
}
