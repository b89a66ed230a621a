//! A decision in plain words, for `triage explain`, the REPL's `:why` and anyone reading a
//! trace: rendered from the decision's data, never stored in it, in the policy's own words
//! (the labels its owners wrote, with the identifiers beside them).

mod why;
mod words;

use std::fmt::Write as _;

pub use self::why::{why, WhyPart};
pub(crate) use self::words::facts_tree;
pub use self::words::instant_words;
use self::words::{deadline_length, declared, entry_body, labelled, owner_heading};
use crate::decision::{Decision, Instant};
use crate::eval::error::Owner;
use crate::eval::trace::TraceLevel;
use crate::policy::Policy;

/// Describe a decision the way a policy owner would read it: the outcome first, then each
/// rule that fired, with its clauses, the facts that made it fire (when the decision was
/// made with the full trace), what it did and how each deadline was reckoned, then what
/// could not be reckoned.
pub fn explain(_policy: &Policy, decision: &Decision<'_>) -> String {
    format!("{}\nwhy:\n{}", explain_outcome(decision), explain_reasons(decision))
}

/// The first part of [`explain`]: grade, route, actions, exemptions, deadlines with their
/// warnings, and values, each in the policy's words.
pub fn explain_outcome(decision: &Decision<'_>) -> String {
    // The decision holds ids into the policy that made it: names are read from that one.
    let d = decision;
    let model = &d.program.model;
    let mut out = String::new();
    let _ = writeln!(out, "ticket {} under policy {}", d.ticket(), labelled(&model.name, model.label.as_deref()));
    let grade = match d.grade {
        None if model.grades.is_empty() => "none (this policy has no grades)".to_string(),
        None => "none (no rule set one, and the policy has no default)".to_string(),
        Some(g) => declared(model.grade(g)),
    };
    let _ = writeln!(out, "  grade:      {grade}");
    list(&mut out, "route:", d.route.iter().map(|r| declared(model.role(*r))).collect());
    list(&mut out, "actions:", d.actions.iter().map(|a| declared(model.action(*a))).collect());
    list(
        &mut out,
        "exempt:",
        d.exempt
            .iter()
            .map(|e| {
                let e = model.exemption(*e);
                labelled(&e.name, e.label.as_deref())
            })
            .collect(),
    );
    if d.deadlines.is_empty() {
        let _ = writeln!(out, "  deadlines:  none");
    } else {
        let _ = writeln!(out, "  deadlines:");
        let width = d.deadlines.iter().map(|(x, _)| model.deadline_name(*x).chars().count()).max().unwrap_or(0);
        for &(x, at) in &d.deadlines {
            let name = model.deadline_name(x);
            let _ = writeln!(out, "    {name:<width$}  {}", deadline_words(at, deadline_length(d, x)));
            for warn in d.warnings.iter().filter(|(w, _)| *w == x) {
                let _ = writeln!(out, "    {:<width$}  warn at {}", "", instant_words(warn.1));
            }
        }
    }
    if d.values().next().is_some() {
        let _ = writeln!(out, "  values:");
        let width = d.values.iter().map(|(v, ..)| model.value_name(*v).chars().count()).max().unwrap_or(0);
        for (v, value, ty) in &d.values {
            let _ = writeln!(out, "    {:<width$}  {}", model.value_name(*v), words::show(d, value, *ty));
        }
    }
    out
}

/// The second part of [`explain`]: each rule and exemption that fired, with what made it
/// fire and what it did, then what could not be reckoned.
pub fn explain_reasons(decision: &Decision<'_>) -> String {
    let d = decision;
    let model = &d.program.model;
    let mut out = String::new();
    match d.trace_level() {
        TraceLevel::None => _ = writeln!(out, "  not recorded: decide with the rules or the full trace to see why"),
        _ if d.trace.fired.is_empty() && d.grade.is_some() => {
            let _ = writeln!(out, "  no rule fired; the grade is the policy's default");
        }
        _ if d.trace.fired.is_empty() => _ = writeln!(out, "  no rule fired"),
        _ => {}
    }
    for (number, (entry, owner)) in (1..).zip(d.trace.fired.iter().enumerate()) {
        let kind = if matches!(owner, Owner::Exemption(_)) { "exemption " } else { "" };
        let _ = writeln!(out, "  {number}. {kind}{}", owner_heading(model, *owner));
        entry_body(&mut out, d, crate::convert::to_u32(entry), 5, |_| true);
    }
    if d.trace_level() == TraceLevel::Rules {
        let _ = writeln!(out, "\n(the facts behind each rule and how each deadline was reckoned need the full trace)");
    }
    if !d.problems().is_empty() {
        let _ = writeln!(out, "\nnot decided (outside what the policy's calendars know, or too large to compute):");
        for problem in d.problems() {
            let _ = writeln!(out, "  - {problem}");
        }
    }
    out
}

/// A heading and its items: on the heading's line when there is at most one, else one a
/// line below it, in order (a route's lead first).
fn list(out: &mut String, heading: &str, items: Vec<String>) {
    match items.as_slice() {
        [] => _ = writeln!(out, "  {heading:<11} none"),
        [one] => _ = writeln!(out, "  {heading:<11} {one}"),
        many => {
            let _ = writeln!(out, "  {heading}");
            for item in many {
                let _ = writeln!(out, "    {item}");
            }
        }
    }
}

/// A deadline with its weekday, local time and length as its rule wrote it:
/// `Thu 2024-05-16 18:00 (+08:00), 5 working days`.
fn deadline_words(at: Instant, length: Option<String>) -> String {
    match length {
        Some(length) => format!("{}, {length}", instant_words(at)),
        None => instant_words(at),
    }
}
