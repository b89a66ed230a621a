//! The decision of every example ticket under its policy, with the full trace (the facts
//! behind each rule and how each deadline was reckoned), as reviewed snapshots. A ticket's
//! policy is named by its file's prefix (see `examples/README.md`).

use std::path::Path;

use triage::{Policy, TraceLevel};

/// The policy each example prefix belongs to; longer prefixes first.
const POLICIES: &[(&str, &str)] = &[
    ("si13-", "si-partner-assessment"),
    ("ec5-", "hotline-kpi"),
    ("as-", "after-sales-quality"),
    ("dg-", "dongguan-service-quality"),
    ("pm-", "property-complaints"),
    ("si-", "si-partners"),
    ("ec-", "hotline-standard"),
];

fn policy_for(ticket: &Path) -> &'static str {
    let name = ticket.file_name().unwrap().to_str().unwrap();
    POLICIES.iter().find(|(prefix, _)| name.starts_with(prefix)).map(|(_, p)| *p).unwrap_or_else(|| {
        panic!("{name}: example tickets are named after their policy's prefix (as-, dg-, pm-, si-, ec-, si13-, ec5-)")
    })
}

#[test]
fn example_tickets_are_decided_as_their_clauses_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    insta::glob!("../examples/tickets", "*.json", |path| {
        let policy = Policy::from_file(root.join("rules").join(format!("{}.triage", policy_for(path)))).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let ticket = policy.prepare_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let decision = policy.decide(&ticket, TraceLevel::Full);
        assert!(decision.problems().is_empty(), "{}: {:?}", path.display(), decision.problems());
        insta::assert_json_snapshot!(decision);
        // At every level, the fast writer writes what `Serialize` does.
        for level in [TraceLevel::None, TraceLevel::Rules, TraceLevel::Full] {
            let decision = policy.decide(&ticket, level);
            let mut written = Vec::new();
            decision.write_json(&mut written);
            assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&decision).unwrap(), "{level:?}");
        }
    });
}
