//! The decision of `domain.md` §4, as data: ids into the policy, instants, values and a
//! structured trace. Names and words are looked up only when it is read or written out.

mod instant;
mod json;
mod write;

use std::sync::Arc;

use rust_decimal::Decimal;

pub use self::instant::Instant;
pub(crate) use self::write::JsonNames;
use crate::compile::Program;
use crate::eval::context::Scratch;
use crate::eval::error::{EvaluationError, Owner};
use crate::eval::trace::{Applied as AppliedId, Owned, Trace, TraceLevel};
use crate::eval::Buffers;
use crate::model::*;
use crate::value::Value;

/// What a policy decided for one ticket. It borrows the policy that made it, for names;
/// deciding again into the same `Decision` reuses its buffers.
#[derive(Debug, Clone)]
pub struct Decision<'p> {
    pub(crate) program: &'p Program,
    pub(crate) level: TraceLevel,
    pub(crate) ticket: String,
    pub(crate) grade: Option<GradeId>,
    pub(crate) route: Vec<RoleId>,
    pub(crate) exempt: Vec<ExemptionId>,
    pub(crate) actions: Vec<ActionId>,
    /// In the order first set.
    pub(crate) deadlines: Vec<(DeadlineId, Instant)>,
    pub(crate) warnings: Vec<(DeadlineId, Instant)>,
    pub(crate) values: Vec<(ValueId, Value, Type)>,
    pub(crate) trace: Trace,
    pub(crate) problems: Vec<EvaluationError>,
    pub(crate) scratch: Scratch,
    pub(crate) buffers: Buffers,
}

/// A computed value of a decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Computed<'d> {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// An exact decimal, with the places it was computed to.
    Decimal(Decimal),
    /// Text.
    Text(&'d str),
    /// An instant.
    Time(Instant),
    /// The name of an enum value or grade.
    Name(&'d str),
}

impl std::fmt::Display for Computed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Computed::Bool(b) => b.fmt(f),
            Computed::Int(i) => i.fmt(f),
            Computed::Decimal(d) => d.fmt(f),
            Computed::Text(t) | Computed::Name(t) => f.write_str(t),
            Computed::Time(t) => t.fmt(f),
        }
    }
}

impl<'p> Decision<'p> {
    pub(crate) fn new(program: &'p Program, level: TraceLevel) -> Decision<'p> {
        Decision {
            program,
            level,
            ticket: String::new(),
            grade: None,
            route: Vec::new(),
            exempt: Vec::new(),
            actions: Vec::new(),
            deadlines: Vec::new(),
            warnings: Vec::new(),
            values: Vec::new(),
            trace: Trace::default(),
            problems: Vec::new(),
            scratch: Scratch::default(),
            buffers: Buffers::default(),
        }
    }

    /// Forget the previous ticket, keeping the buffers.
    pub(crate) fn clear(&mut self) {
        self.ticket.clear();
        self.grade = None;
        self.route.clear();
        self.exempt.clear();
        self.actions.clear();
        self.deadlines.clear();
        self.warnings.clear();
        self.values.clear();
        self.trace.clear();
        self.problems.clear();
    }

    fn model(&self) -> &'p Model {
        &self.program.model
    }

    /// The ticket's id.
    pub fn ticket(&self) -> &str {
        &self.ticket
    }

    /// The policy's name.
    pub fn policy(&self) -> &'p str {
        &self.model().name
    }

    /// How much trace this decision carries.
    pub fn trace_level(&self) -> TraceLevel {
        self.level
    }

    /// The most severe matching grade, else the default; `None` for a policy without grades.
    pub fn grade(&self) -> Option<&'p str> {
        let model = self.model();
        self.grade.map(|g| &*model.grade(g).name)
    }

    /// Who must act, lead first, without duplicates.
    pub fn route(&self) -> impl ExactSizeIterator<Item = &'p str> + Clone + '_ {
        let model = self.model();
        self.route.iter().map(move |&r| &*model.role(r).name)
    }

    /// The obligations triggered, exempted ones removed, in rule order.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = &'p str> + Clone + '_ {
        let model = self.model();
        self.actions.iter().map(move |&a| &*model.action(a).name)
    }

    /// Whether the decision holds an action.
    pub fn has_action(&self, name: &str) -> bool {
        self.actions().any(|a| a == name)
    }

    /// The exemptions that removed an action.
    pub fn exempt(&self) -> impl ExactSizeIterator<Item = &'p str> + Clone + '_ {
        let model = self.model();
        self.exempt.iter().map(move |&e| &*model.exemption(e).name)
    }

    /// A deadline, if it was set.
    pub fn deadline(&self, name: &str) -> Option<Instant> {
        let model = self.model();
        self.deadlines.iter().find(|(d, _)| &**model.deadline_name(*d) == name).map(|(_, at)| *at)
    }

    /// Every deadline set, in the order the policy first set them.
    pub fn deadlines(&self) -> impl ExactSizeIterator<Item = (&'p str, Instant)> + '_ {
        let model = self.model();
        self.deadlines.iter().map(move |(d, at)| (&**model.deadline_name(*d), *at))
    }

    /// The early-warning instants of a deadline.
    pub fn warnings(&self, deadline: &str) -> impl Iterator<Item = Instant> + '_ {
        let model = self.model();
        let deadline = deadline.to_string();
        self.warnings.iter().filter(move |(d, _)| **model.deadline_name(*d) == *deadline).map(|(_, at)| *at)
    }

    /// A computed value, if it was set.
    pub fn value(&self, name: &str) -> Option<Computed<'_>> {
        let model = self.model();
        self.values.iter().find(|(v, ..)| &**model.value_name(*v) == name).and_then(|(_, v, ty)| self.computed(v, *ty))
    }

    /// Every computed value, in the order the policy first set them.
    pub fn values(&self) -> impl Iterator<Item = (&'p str, Computed<'_>)> + '_ {
        let model = self.model();
        self.values.iter().filter_map(move |(id, v, ty)| Some((&**model.value_name(*id), self.computed(v, *ty)?)))
    }

    pub(crate) fn computed<'d>(&'d self, v: &'d Value, ty: Type) -> Option<Computed<'d>> {
        let model = self.model();
        Some(match (v, ty) {
            (Value::Bool(b), _) => Computed::Bool(*b),
            (Value::Int(i), _) => Computed::Int(*i),
            (Value::Decimal(d), _) => Computed::Decimal(*d),
            (Value::Text(t), _) => Computed::Text(t),
            (Value::Time(t), _) => Computed::Time(self.program.instant(*t)),
            (Value::Grade(g), _) => Computed::Name(&model.grade(*g).name),
            (Value::Enum(i), Type::Enum(e)) => Computed::Name(model.enum_def(e).name(*i)),
            _ => return None,
        })
    }

    /// What could not be reckoned (a date outside a calendar, an overflow): left out of the
    /// decision and listed here. Empty when everything was decided.
    pub fn problems(&self) -> &[EvaluationError] {
        &self.problems
    }

    /// The rules and exemptions that fired, in evaluation order (empty at
    /// [`TraceLevel::None`]).
    pub fn trace(&self) -> impl ExactSizeIterator<Item = TraceEntry<'_, 'p>> + '_ {
        (0..crate::convert::to_u32(self.trace.fired.len())).map(move |index| TraceEntry { decision: self, index })
    }
}

impl PartialEq for Decision<'_> {
    /// Two decisions are equal when they decide alike and trace alike, whatever policy object
    /// made them.
    fn eq(&self, other: &Self) -> bool {
        self.model().name == other.model().name
            && self.ticket == other.ticket
            && self.grade == other.grade
            && self.route == other.route
            && self.exempt == other.exempt
            && self.actions == other.actions
            && self.deadlines == other.deadlines
            && self.warnings == other.warnings
            && self.values == other.values
            && self.problems == other.problems
            && self.trace.fired == other.trace.fired
            && self.trace.effects == other.trace.effects
            && self.trace.facts == other.trace.facts
            && self.trace.reckonings == other.trace.reckonings
            && self.trace.values == other.trace.values
    }
}

/// One rule or exemption that fired.
#[derive(Debug, Clone, Copy)]
pub struct TraceEntry<'d, 'p> {
    decision: &'d Decision<'p>,
    index: u32,
}

/// Something a rule or exemption did, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied<'p> {
    /// Set the grade.
    Grade(&'p str),
    /// Routed to a role.
    Route(&'p str),
    /// Triggered an action.
    Action(&'p str),
    /// Set a deadline.
    Deadline(&'p str),
    /// Did not set a deadline: a time it needs is missing, or (`problem`) it could not be
    /// reckoned (see [`Decision::problems`]).
    DeadlineUnset {
        /// The deadline.
        deadline: &'p str,
        /// Whether a problem stopped it.
        problem: bool,
    },
    /// Set a value.
    Value(&'p str),
    /// Did not set a value: it is undefined (a value it needs is missing, or a denominator
    /// is 0), or (`problem`) could not be computed.
    ValueUnset {
        /// The value.
        value: &'p str,
        /// Whether a problem stopped it.
        problem: bool,
    },
    /// Removed an action (an exemption).
    Exempt(&'p str),
    /// A deadline or value it set was dropped because its action is not in the decision.
    Dropped {
        /// `"deadline"` or `"value"`.
        kind: &'static str,
        /// The deadline or value.
        name: &'p str,
        /// The action it belongs to.
        action: &'p str,
        /// Whether the action was exempted (else it was never triggered).
        exempted: bool,
    },
}

impl<'d, 'p> TraceEntry<'d, 'p> {
    pub(crate) fn owner(&self) -> Owner {
        self.decision.trace.fired[self.index as usize]
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The rule's or exemption's name.
    pub fn name(&self) -> &'p str {
        let model = self.decision.model();
        match self.owner() {
            Owner::Rule(r) => &model.rule(r).name,
            Owner::Exemption(e) => &model.exemption(e).name,
        }
    }

    /// Whether this is an exemption rather than a rule.
    pub fn is_exemption(&self) -> bool {
        matches!(self.owner(), Owner::Exemption(_))
    }

    /// The clauses it cites.
    pub fn clauses(&self) -> &'p [Arc<str>] {
        let model = self.decision.model();
        match self.owner() {
            Owner::Rule(r) => &model.rule(r).clauses,
            Owner::Exemption(e) => &model.exemption(e).clauses,
        }
    }

    /// Its label for people, if it has one.
    pub fn label(&self) -> Option<&'p str> {
        let model = self.decision.model();
        match self.owner() {
            Owner::Rule(r) => model.rule(r).label.as_deref(),
            Owner::Exemption(e) => model.exemption(e).label.as_deref(),
        }
    }

    /// An exemption's reason.
    pub fn reason(&self) -> Option<&'p str> {
        match self.owner() {
            Owner::Rule(_) => None,
            Owner::Exemption(e) => Some(&self.decision.model().exemption(e).because),
        }
    }

    pub(crate) fn applied(&self) -> impl Iterator<Item = AppliedId> + 'd {
        let index = self.index;
        self.decision.trace.effects.iter().filter(move |(e, _)| *e == index).map(|(_, a)| *a)
    }

    /// What it did, in order.
    pub fn effects(&self) -> impl Iterator<Item = Applied<'p>> + 'd {
        let model = self.decision.model();
        self.applied().map(move |a| match a {
            AppliedId::Grade(g) => Applied::Grade(&model.grade(g).name),
            AppliedId::Route(r) => Applied::Route(&model.role(r).name),
            AppliedId::Action(a) => Applied::Action(&model.action(a).name),
            AppliedId::Deadline(d) => Applied::Deadline(model.deadline_name(d)),
            AppliedId::DeadlineUnset { deadline, problem } => {
                Applied::DeadlineUnset { deadline: model.deadline_name(deadline), problem }
            }
            AppliedId::Value(v) => Applied::Value(model.value_name(v)),
            AppliedId::ValueUnset { value, problem } => Applied::ValueUnset { value: model.value_name(value), problem },
            AppliedId::Exempt(a) => Applied::Exempt(&model.action(a).name),
            AppliedId::Dropped { owned, action, exempted } => {
                let (kind, name) = match owned {
                    Owned::Deadline(d) => ("deadline", &**model.deadline_name(d)),
                    Owned::Value(v) => ("value", &**model.value_name(v)),
                };
                Applied::Dropped { kind, name, action: &model.action(action).name, exempted }
            }
        })
    }
}
