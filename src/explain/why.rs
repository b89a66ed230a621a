//! One part of a decision explained from its trace, for the REPL's `:why`: the rules and
//! exemptions behind it, the facts their conditions read and how a deadline was reckoned;
//! and when the part is absent, why not, in words.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::words::{
    deadline_defs, deadline_length, declared, entry_body, instant_words, labelled, owner_heading, show,
};
use crate::decision::Decision;
use crate::diagnostic::did_you_mean;
use crate::eval::error::{Computing, Owner};
use crate::eval::trace::{Applied, Owned, TraceLevel};
use crate::model::*;
use crate::policy::Policy;
use crate::source::Span;

/// A part of a decision to explain with [`why`]; parsed from the words the REPL's `:why`
/// takes: `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME`, `value NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhyPart {
    /// The grade.
    Grade,
    /// The route.
    Route,
    /// An action, by name: why it is in the decision, or why not.
    Action(String),
    /// A deadline, by name.
    Deadline(String),
    /// An exemption, by name.
    Exempt(String),
    /// A computed value, by name.
    Value(String),
}

const ACCEPTED: &str = "`grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`";

impl FromStr for WhyPart {
    type Err = String;

    /// `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`; the
    /// error says what is accepted.
    fn from_str(text: &str) -> Result<WhyPart, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["grade"] => Ok(WhyPart::Grade),
            ["route"] => Ok(WhyPart::Route),
            ["action", name] => Ok(WhyPart::Action((*name).to_string())),
            ["deadline", name] => Ok(WhyPart::Deadline((*name).to_string())),
            ["exempt", name] => Ok(WhyPart::Exempt((*name).to_string())),
            ["value", name] => Ok(WhyPart::Value((*name).to_string())),
            [kind @ ("action" | "deadline" | "exempt" | "value")] => {
                Err(format!("`{kind}` needs a name: `{kind} NAME`"))
            }
            [kind @ ("action" | "deadline" | "exempt" | "value"), ..] => {
                Err(format!("`{kind}` takes one name: `{kind} NAME`"))
            }
            [kind @ ("grade" | "route"), ..] => Err(format!("`{kind}` takes no name; expected {ACCEPTED}")),
            [] => Err(format!("what should be explained? expected {ACCEPTED}")),
            [first, ..] => {
                let kinds = ["grade", "route", "action", "deadline", "exempt", "value"];
                let hint = did_you_mean(first, kinds).map(|h| format!(" ({h})")).unwrap_or_default();
                Err(format!("cannot explain `{}`{hint}; expected {ACCEPTED}", text.trim()))
            }
        }
    }
}

impl fmt::Display for WhyPart {
    /// The words [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhyPart::Grade => f.write_str("grade"),
            WhyPart::Route => f.write_str("route"),
            WhyPart::Action(name) => write!(f, "action {name}"),
            WhyPart::Deadline(name) => write!(f, "deadline {name}"),
            WhyPart::Exempt(name) => write!(f, "exempt {name}"),
            WhyPart::Value(name) => write!(f, "value {name}"),
        }
    }
}

/// Explain one part of a decision from its trace: the rules and exemptions whose effects
/// produced it, each with its clauses, label and the facts its condition read, and for a
/// deadline how it was reckoned; when the part is absent, why not. Decide with
/// [`TraceLevel::Full`] for the facts and reckonings; at a lower level the answer is what
/// the rules that fired tell, and says so.
///
/// A name the policy does not declare is an error, with the names it does declare.
pub fn why(policy: &Policy, decision: &Decision<'_>, part: &WhyPart) -> Result<String, String> {
    let model = &decision.program.model;
    let mut why = Why { policy, d: decision, model, out: String::new() };
    match part {
        WhyPart::Grade => why.grade(),
        WhyPart::Route => why.route(),
        WhyPart::Action(name) => why.action(find(model, Kind::Action, name)?),
        WhyPart::Deadline(name) => why.deadline(find(model, Kind::Deadline, name)?),
        WhyPart::Exempt(name) => why.exemption(find(model, Kind::Exemption, name)?),
        WhyPart::Value(name) => why.value(find(model, Kind::Value, name)?),
    }
    match decision.trace_level() {
        TraceLevel::None => why.line(
            0,
            "(the decision was made without a trace: decide with the rules or the full trace to see the rules behind it)",
        ),
        TraceLevel::Rules => {
            why.line(0, "(the facts behind each rule and how each deadline was reckoned need the full trace)")
        }
        TraceLevel::Full => {}
    }
    Ok(why.out)
}

/// The kinds of names a part of a decision is asked about by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Action,
    Deadline,
    Exemption,
    Value,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Action, Kind::Deadline, Kind::Exemption, Kind::Value];

    fn names(self, model: &Model) -> Vec<&str> {
        match self {
            Kind::Action => model.actions.iter().map(|a| &*a.name).collect(),
            Kind::Deadline => model.deadlines.iter().map(|d| &**d).collect(),
            Kind::Exemption => model.exemptions.iter().map(|e| &*e.name).collect(),
            Kind::Value => model.values.iter().map(|v| &**v).collect(),
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Kind::Action => "action",
            Kind::Deadline => "deadline",
            Kind::Exemption => "exemption",
            Kind::Value => "value",
        }
    }

    /// The word `:why` takes before a name of this kind.
    fn asked_as(self) -> &'static str {
        match self {
            Kind::Exemption => "exempt",
            other => other.singular(),
        }
    }
}

/// The position of a declared name in its table, or an error naming what is declared: the
/// near miss, the same name declared as another kind, and every name of this kind.
fn find<I: Id>(model: &Model, kind: Kind, name: &str) -> Result<I, String> {
    let names = kind.names(model);
    if let Some(id) = names.iter().position(|n| *n == name).and_then(I::new) {
        return Ok(id);
    }
    let what = kind.singular();
    let mut message = format!("no {what} `{name}` in policy `{}`", model.name);
    if let Some(other) = Kind::ALL.into_iter().find(|k| *k != kind && k.names(model).contains(&name)) {
        let _ =
            write!(message, "; `{name}` is {} {}: ask `{} {name}`", article(other), other.singular(), other.asked_as());
    } else if let Some(hint) = did_you_mean(name, names.iter().copied()) {
        let _ = write!(message, "; {hint}");
    }
    if names.is_empty() {
        let _ = write!(message, "\nthe policy declares no {what}s");
    } else {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let _ = write!(message, "\nits {what}s: {}", list.join(", "));
    }
    Err(message)
}

fn article(kind: Kind) -> &'static str {
    match kind {
        Kind::Action | Kind::Exemption => "an",
        Kind::Deadline | Kind::Value => "a",
    }
}

/// An answer being written.
struct Why<'a, 'p> {
    policy: &'a Policy,
    d: &'a Decision<'p>,
    model: &'p Model,
    out: String,
}

impl Why<'_, '_> {
    fn line(&mut self, indent: usize, text: impl fmt::Display) {
        let _ = writeln!(self.out, "{:indent$}{text}", "");
    }

    fn traced(&self) -> bool {
        self.d.trace_level() != TraceLevel::None
    }

    /// The trace entries with an effect `pick` selects, in evaluation order.
    fn entries(&self, pick: impl Fn(Applied) -> bool) -> Vec<u32> {
        let mut entries: Vec<u32> = Vec::new();
        for &(entry, applied) in &self.d.trace.effects {
            if pick(applied) && !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        entries.sort_unstable();
        entries
    }

    /// The trace entry of a rule or exemption that fired.
    fn entry_of(&self, owner: Owner) -> Option<u32> {
        self.d.trace.fired.iter().position(|o| *o == owner).map(crate::convert::to_u32)
    }

    fn owner(&self, entry: u32) -> Option<Owner> {
        self.d.trace.fired.get(entry as usize).copied()
    }

    /// A rule or exemption that fired, its heading at `indent`, and below it the facts its
    /// condition read and the effects `keep` selects.
    fn block(&mut self, indent: usize, entry: u32, keep: impl Fn(Applied) -> bool) {
        let Some(owner) = self.owner(entry) else { return };
        let kind = match owner {
            Owner::Rule(_) => "rule",
            Owner::Exemption(_) => "exemption",
        };
        let heading = owner_heading(self.model, owner);
        self.line(indent, format_args!("{kind} {heading}"));
        entry_body(&mut self.out, self.d, entry, indent + 2, keep);
    }

    /// A span of the policy as written, on one line; only when the decision was made by
    /// this policy (its spans point into this policy's files).
    fn written(&self, span: Span) -> Option<String> {
        if !std::ptr::eq(self.policy.program(), self.d.program) {
            return None;
        }
        let source = self.policy.sources().get(usize::from(span.file))?;
        let text = source.miette().inner().get(span.start as usize..span.end as usize)?;
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The rules with a statement `has` selects, and what became of each for this ticket:
    /// not fired, fired with the statement's own `when` false, or fired and recorded in the
    /// trace (then with the facts it read and the effects `keep` selects).
    fn candidates(&mut self, heading: &str, has: impl Fn(&EffectKind) -> bool, keep: impl Fn(Applied) -> bool + Copy) {
        let rules: Vec<RuleId> = every::<RuleId>(self.model.rules.len())
            .filter(|r| self.model.rule(*r).effects.iter().any(|e| has(&e.kind)))
            .collect();
        if rules.is_empty() {
            return;
        }
        self.line(0, heading);
        for r in rules {
            let Some(entry) = self.entry_of(Owner::Rule(r)) else {
                let heading = owner_heading(self.model, Owner::Rule(r));
                self.line(2, format_args!("rule {heading}: did not fire"));
                continue;
            };
            let recorded = self.d.trace.effects.iter().any(|&(e, a)| e == entry && keep(a));
            if recorded {
                self.block(2, entry, keep);
                continue;
            }
            let guards: Vec<String> = self
                .model
                .rule(r)
                .effects
                .iter()
                .filter(|e| has(&e.kind))
                .filter_map(|e| e.guard.as_ref().and_then(|g| self.written(g.span)))
                .map(|g| format!("`when {g}`"))
                .collect();
            let heading = owner_heading(self.model, Owner::Rule(r));
            let guard = if guards.is_empty() { "the statement's own `when`".to_string() } else { guards.join(", ") };
            self.line(2, format_args!("rule {heading}: fired, but {guard} did not hold"));
        }
    }

    fn grade(&mut self) {
        let model = self.model;
        if model.grades.is_empty() {
            self.line(0, "no grade: this policy has no grades");
            return;
        }
        let grade = self.d.grade.map(|g| declared(model.grade(g)));
        if !self.traced() {
            self.line(0, format_args!("grade: {}", grade.as_deref().unwrap_or("none")));
            return;
        }
        let is_grade = |a: Applied| matches!(a, Applied::Grade(_));
        let setters = self.entries(is_grade);
        let grade = match (grade, setters.len()) {
            (Some(grade), 0) => {
                self.line(0, format_args!("grade: {grade}, the policy's default: no rule that sets a grade fired"));
                return self.grade_rules();
            }
            (None, _) => {
                self.line(0, "grade: none: no rule that sets a grade fired, and the policy has no default");
                return self.grade_rules();
            }
            (Some(grade), _) => grade,
        };
        match setters.len() {
            1 => {
                self.line(0, format_args!("grade: {grade}"));
                self.line(0, "set by:");
            }
            _ => {
                self.line(0, format_args!("grade: {grade}"));
                self.line(0, "set by (the most severe grade stands):");
            }
        }
        for entry in setters {
            self.block(2, entry, is_grade);
        }
    }

    /// The rules that set a grade, with the grade each sets.
    fn grade_rules(&mut self) {
        let model = self.model;
        let rules: Vec<RuleId> =
            every::<RuleId>(model.rules.len()).filter(|r| model.rule(*r).grade.is_some()).collect();
        if !rules.is_empty() {
            self.line(0, "rules that set a grade:");
        }
        for r in rules {
            let sets = model.rule(r).grade.map(|g| declared(model.grade(g))).unwrap_or_default();
            self.line(2, format_args!("rule {}: grade {sets}", owner_heading(model, Owner::Rule(r))));
        }
    }

    fn route(&mut self) {
        let model = self.model;
        let roles: Vec<String> = self.d.route.iter().map(|r| declared(model.role(*r))).collect();
        let is_route = |a: Applied| matches!(a, Applied::Route(_));
        if roles.is_empty() {
            self.line(0, "route: none");
            if self.traced() {
                self.line(0, "no rule routes this ticket");
                self.candidates("rules that route:", |k| matches!(k, EffectKind::Route(_)), is_route);
            }
            return;
        }
        self.line(0, format_args!("route, lead first: {}", roles.join(", ")));
        if !self.traced() {
            return;
        }
        self.line(0, "set by:");
        for entry in self.entries(is_route) {
            self.block(2, entry, is_route);
        }
    }

    fn action(&mut self, action: ActionId) {
        let model = self.model;
        let name = &*model.action(action).name;
        let words = declared(model.action(action));
        let triggers = |a: Applied| a == Applied::Action(action);
        if self.d.actions.contains(&action) {
            self.line(0, format_args!("action: {words}"));
            if self.traced() {
                self.line(0, "triggered by:");
                for entry in self.entries(triggers) {
                    self.block(2, entry, triggers);
                }
            }
            return;
        }
        if !self.traced() {
            self.line(0, format_args!("action {words} is not in the decision"));
            return;
        }
        let exempts = |a: Applied| a == Applied::Exempt(action);
        let triggered = self.entries(triggers);
        let exempted = self.entries(exempts);
        if let (Some(&by), Some(&first)) = (triggered.first(), exempted.first()) {
            let rule = self.owner(by).map(|o| self.owner_name(o)).unwrap_or_default();
            let (exemption, because) = self.exemption_reason(first);
            self.line(
                0,
                format_args!(
                    "action {name} was triggered by rule {rule} but exempted by {exemption} because {because}"
                ),
            );
            self.line(0, format_args!("action: {words}"));
            self.line(0, "triggered by:");
            for entry in triggered {
                self.block(2, entry, triggers);
            }
            self.line(0, "exempted by:");
            for entry in exempted {
                self.block(2, entry, exempts);
            }
            return;
        }
        self.line(0, format_args!("no rule triggered action {name} for this ticket"));
        self.line(0, format_args!("action: {words}"));
        self.candidates(
            "rules that trigger it:",
            |k| matches!(k, EffectKind::Action(a) if a.contains(&action)),
            triggers,
        );
    }

    fn owner_name(&self, owner: Owner) -> String {
        match owner {
            Owner::Rule(r) => self.model.rule(r).name.to_string(),
            Owner::Exemption(e) => self.model.exemption(e).name.to_string(),
        }
    }

    /// The name and reason of the exemption of a trace entry.
    fn exemption_reason(&self, entry: u32) -> (String, String) {
        match self.owner(entry) {
            Some(Owner::Exemption(e)) => {
                let e = self.model.exemption(e);
                (e.name.to_string(), e.because.to_string())
            }
            Some(owner) => (self.owner_name(owner), String::new()),
            None => (String::new(), String::new()),
        }
    }

    /// Why a deadline or value that belongs to an action is not in the decision, when the
    /// trace says it was dropped: `rule R set it for action A, which was exempted by E
    /// because …`.
    fn dropped(&self, owned: Owned) -> Option<String> {
        let &(entry, applied) =
            self.d.trace.effects.iter().find(|(_, a)| matches!(a, Applied::Dropped { owned: o, .. } if *o == owned))?;
        let Applied::Dropped { action, exempted, .. } = applied else { return None };
        let rule = self.owner(entry).map(|o| self.owner_name(o)).unwrap_or_default();
        let action_name = &self.model.action(action).name;
        if !exempted {
            return Some(format!("rule {rule} set it for action {action_name}, which was not triggered"));
        }
        let by = self.entries(|a| a == Applied::Exempt(action));
        let reason = match by.first() {
            Some(&first) => {
                let (exemption, because) = self.exemption_reason(first);
                format!(" by {exemption} because {because}")
            }
            None => String::new(),
        };
        Some(format!("rule {rule} set it for action {action_name}, which was exempted{reason}"))
    }

    fn deadline(&mut self, deadline: DeadlineId) {
        let model = self.model;
        let name = model.deadline_name(deadline).clone();
        let sets = |a: Applied| {
            matches!(a, Applied::Deadline(x) | Applied::DeadlineUnset { deadline: x, .. } if x == deadline)
                || matches!(a, Applied::Dropped { owned: Owned::Deadline(x), .. } if x == deadline)
        };
        let present = self.d.deadlines.iter().find(|(x, _)| *x == deadline).map(|(_, at)| *at);
        let warning_problems: Vec<String> = (self.d.problems().iter())
            .filter(|p| matches!(&p.computing, Computing::Warning(n) if *n == name))
            .map(|p| p.kind.to_string())
            .collect();
        if let Some(at) = present {
            let length = deadline_length(self.d, deadline).map(|l| format!(", {l}")).unwrap_or_default();
            self.line(0, format_args!("deadline {name}: {}{length}", instant_words(at)));
            let warnings: Vec<String> =
                self.d.warnings.iter().filter(|(x, _)| *x == deadline).map(|(_, w)| instant_words(*w)).collect();
            for w in warnings {
                self.line(2, format_args!("warn at {w}"));
            }
            for p in warning_problems {
                self.line(2, format_args!("an early warning could not be reckoned: {p}"));
            }
            if !self.traced() {
                return;
            }
            let setters = self.entries(|a| a == Applied::Deadline(deadline));
            self.line(0, if setters.len() > 1 { "set by (the last one stands):" } else { "set by:" });
            for entry in setters {
                self.block(2, entry, |a| a == Applied::Deadline(deadline));
                self.written_deadline(entry, deadline);
            }
            return;
        }
        if !self.traced() {
            self.line(0, format_args!("deadline {name} is not set"));
            return;
        }
        let unset = self.d.trace.effects.iter().find_map(|&(e, a)| match a {
            Applied::DeadlineUnset { deadline: x, problem } if x == deadline => Some((e, problem)),
            _ => None,
        });
        let headline = match (self.dropped(Owned::Deadline(deadline)), unset) {
            (Some(dropped), _) => format!("deadline {name} is not set: {dropped}"),
            (None, Some((entry, false))) => {
                let rule = self.owner(entry).map(|o| self.owner_name(o)).unwrap_or_default();
                format!("deadline {name} is not set: rule {rule} fired, but a time it is reckoned from is missing")
            }
            (None, Some((_, true))) => format!("deadline {name} is not set: it cannot be reckoned (see below)"),
            (None, None) => format!("no rule sets deadline {name} for this ticket"),
        };
        self.line(0, headline);
        self.candidates("rules that set it:", |k| matches!(k, EffectKind::Deadline(def) if def.name == deadline), sets);
        self.not_decided(|c| matches!(c, Computing::Deadline(n) if *n == name));
    }

    /// The problems that kept a deadline or value out of the decision, in full, as
    /// `explain` lists them.
    fn not_decided(&mut self, of: impl Fn(&Computing) -> bool) {
        let problems: Vec<String> =
            self.d.problems().iter().filter(|p| of(&p.computing)).map(|p| p.to_string()).collect();
        if problems.is_empty() {
            return;
        }
        self.line(0, "not decided:");
        for p in problems {
            self.line(2, format_args!("- {p}"));
        }
    }

    /// The deadline statements of an entry's rule as written.
    fn written_deadline(&mut self, entry: u32, deadline: DeadlineId) {
        let Some(Owner::Rule(r)) = self.owner(entry) else { return };
        let name = self.model.deadline_name(deadline).clone();
        let lines: Vec<String> = deadline_defs(self.model.rule(r), deadline)
            .filter_map(|(def, effect)| {
                let expr = self.written(def.expr.span)?;
                let guard = effect.guard.as_ref().and_then(|g| self.written(g.span));
                Some(match guard {
                    Some(g) => format!("written: deadline {name} = {expr} when {g}"),
                    None => format!("written: deadline {name} = {expr}"),
                })
            })
            .collect();
        for l in lines {
            self.line(4, l);
        }
    }

    fn exemption(&mut self, exemption: ExemptionId) {
        let model = self.model;
        let def = model.exemption(exemption);
        let words = labelled(&def.name, def.label.as_deref());
        let removes = |a: Applied| matches!(a, Applied::Exempt(_));
        if self.d.exempt.contains(&exemption) {
            self.line(0, format_args!("exemption {words} applies"));
            if let Some(entry) = self.entry_of(Owner::Exemption(exemption)) {
                self.block(2, entry, removes);
            }
            return;
        }
        if !self.traced() {
            self.line(0, format_args!("exemption {words} does not apply"));
            return;
        }
        // The actions the rules triggered: those that stand and those exemptions removed.
        let exempted: Vec<ActionId> = self
            .d
            .trace
            .effects
            .iter()
            .filter_map(|(_, a)| match a {
                Applied::Exempt(x) => Some(*x),
                _ => None,
            })
            .collect();
        let triggered: Vec<ActionId> =
            def.actions.iter().copied().filter(|a| self.d.actions.contains(a) || exempted.contains(a)).collect();
        let names = |actions: &[ActionId]| actions.iter().map(|a| declared(model.action(*a))).collect::<Vec<_>>();
        if triggered.is_empty() {
            self.line(
                0,
                format_args!("exemption {words} does not apply: none of the actions it removes was triggered"),
            );
            self.line(0, "it removes:");
        } else {
            let condition = self.written(def.condition.span).map(|c| format!(" `{c}`")).unwrap_or_default();
            self.line(0, format_args!("exemption {words} does not apply: its condition{condition} did not hold"));
            self.line(0, "so these actions it would remove stand:");
        }
        let listed = if triggered.is_empty() { names(&def.actions) } else { names(&triggered) };
        for action in listed {
            self.line(2, format_args!("action {action}"));
        }
    }

    fn value(&mut self, value: ValueId) {
        let model = self.model;
        let name = model.value_name(value).clone();
        let sets = |a: Applied| {
            matches!(a, Applied::Value(x) | Applied::ValueUnset { value: x, .. } if x == value)
                || matches!(a, Applied::Dropped { owned: Owned::Value(x), .. } if x == value)
        };
        if let Some((_, v, ty)) = self.d.values.iter().find(|(x, ..)| *x == value) {
            let shown = show(self.d, v, *ty);
            self.line(0, format_args!("value {name} = {shown}"));
            if !self.traced() {
                return;
            }
            let setters = self.entries(|a| a == Applied::Value(value));
            self.line(0, if setters.len() > 1 { "set by (the last one stands):" } else { "set by:" });
            for entry in setters {
                self.block(2, entry, |a| a == Applied::Value(value));
                self.written_value(entry, value);
            }
            return;
        }
        if !self.traced() {
            self.line(0, format_args!("value {name} not reported"));
            return;
        }
        let unset = self.d.trace.effects.iter().find_map(|&(_, a)| match a {
            Applied::ValueUnset { value: x, problem } if x == value => Some(problem),
            _ => None,
        });
        let because = match (self.dropped(Owned::Value(value)), unset) {
            (Some(dropped), _) => dropped,
            (None, Some(false)) => "undefined (a value it needs is missing, or a denominator is 0)".into(),
            (None, Some(true)) => "it cannot be computed (see below)".into(),
            (None, None) => "no rule that sets it fired".into(),
        };
        self.line(0, format_args!("value {name} not reported: {because}"));
        self.candidates("rules that set it:", |k| matches!(k, EffectKind::Value(def) if def.name == value), sets);
        self.not_decided(|c| matches!(c, Computing::Value(n) if *n == name));
    }

    /// The value statements of an entry's rule as written.
    fn written_value(&mut self, entry: u32, value: ValueId) {
        let Some(Owner::Rule(r)) = self.owner(entry) else { return };
        let name = self.model.value_name(value).clone();
        let lines: Vec<String> = self
            .model
            .rule(r)
            .effects
            .iter()
            .filter_map(|effect| match &effect.kind {
                EffectKind::Value(def) if def.name == value => {
                    let expr = self.written(def.expr.span)?;
                    let guard = effect.guard.as_ref().and_then(|g| self.written(g.span));
                    Some(match guard {
                        Some(g) => format!("written: value {name} = {expr} when {g}"),
                        None => format!("written: value {name} = {expr}"),
                    })
                }
                _ => None,
            })
            .collect();
        for l in lines {
            self.line(4, l);
        }
    }
}
