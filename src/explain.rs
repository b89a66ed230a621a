//! A decision in plain words, for `triage explain` and anyone reading a trace.

use std::fmt::Write as _;

use crate::decision::Decision;
use crate::policy::Policy;

/// Describe a decision the way a policy owner would read it: the outcome first, then each
/// rule that fired, with its clause, the facts that made it fire, and what it did.
pub fn explain(policy: &Policy, decision: &Decision) -> String {
    let model = &policy.program().model;
    let mut out = String::new();
    let label = model.label.as_deref().map(|l| format!(" ({l})")).unwrap_or_default();
    let _ = writeln!(out, "ticket {} under policy {}{label}", decision.ticket, decision.policy);
    let grade = match &decision.grade {
        None => "none (this policy has no grades)".to_string(),
        Some(g) => {
            let label = model.grades.iter().find(|d| d.name == *g).and_then(|d| d.label.as_deref());
            label.map_or(g.to_string(), |l| format!("{g} ({l})"))
        }
    };
    let _ = writeln!(out, "  grade:      {grade}");
    let names = |v: &[std::sync::Arc<str>]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(out, "  route:      {}", names(&decision.route));
    let _ = writeln!(out, "  actions:    {}", names(&decision.actions));
    let _ = writeln!(out, "  exempt:     {}", names(&decision.exempt));
    if decision.deadlines.is_empty() {
        let _ = writeln!(out, "  deadlines:  none");
    } else {
        let _ = writeln!(out, "  deadlines:");
        for (name, at) in decision.deadlines.iter() {
            let _ = write!(out, "    {name:<18} {at}");
            if let Some(warnings) = decision.warnings.get(name) {
                let list: Vec<String> = warnings.iter().map(ToString::to_string).collect();
                let _ = write!(out, "   (warn at {})", list.join(", "));
            }
            out.push('\n');
        }
    }
    if !decision.values.is_empty() {
        let _ = writeln!(out, "  values:");
        for (name, value) in decision.values.iter() {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            let _ = writeln!(out, "    {name:<18} {value}");
        }
    }
    let _ = writeln!(out, "\nwhy:");
    if decision.trace.is_empty() {
        let _ = writeln!(out, "  no rule fired; the grade is the policy's default");
    }
    for (i, entry) in decision.trace.iter().enumerate() {
        let clause = entry.clause.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
        let label = model
            .rules
            .iter()
            .find(|r| r.name == entry.rule)
            .and_then(|r| r.label.as_deref())
            .or_else(|| model.exemptions.iter().find(|e| e.name == entry.rule).and_then(|e| e.label.as_deref()))
            .map(|l| format!(" \"{l}\""))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}. {}{clause}{label}", i + 1, entry.rule);
        let _ = writeln!(out, "     because {}", entry.because);
        for effect in &entry.effects {
            let _ = writeln!(out, "     → {effect}");
        }
        for note in &entry.deadlines {
            let _ = writeln!(out, "       {} = {}: {}", note.name, note.at, note.how);
        }
    }
    out
}
