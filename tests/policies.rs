//! The tests written inside the shipped policies, run by `cargo test`: every test passes and
//! every rule and exemption is made to fire by at least one test.

use std::path::PathBuf;

use triage::Policy;

fn shipped_policies() -> Vec<PathBuf> {
    let rules = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&rules)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "triage"))
        // A companion `X.tests.triage` is loaded with `X.triage`.
        .filter(|p| !p.to_string_lossy().ends_with(".tests.triage"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_policy_loads_without_warnings_and_passes_its_tests_with_full_coverage() {
    let files = shipped_policies();
    assert!(files.iter().any(|f| f.ends_with("after-sales-quality.triage")));
    let mut problems = Vec::new();
    for file in &files {
        let policy = match Policy::from_file(file) {
            Ok(p) => p,
            Err(d) => {
                problems.push(format!("{}: {d}", file.display()));
                continue;
            }
        };
        for w in policy.warnings() {
            problems.push(format!("{}: warning: {}", w.location().unwrap_or_default(), w.message()));
        }
        let report = policy.run_tests();
        if report.outcomes.is_empty() {
            problems.push(format!("{}: has no tests", file.display()));
        }
        for outcome in report.outcomes.iter().filter(|o| !o.passed()) {
            problems
                .push(format!("{} {:?}: {:?} {:?}", outcome.location, outcome.name, outcome.error, outcome.failures));
        }
        for (rule, _, location) in &report.uncovered {
            problems.push(format!("{location}: `{rule}` is fired by no test"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The clause ids in the `[…]` of lines starting with one of `starts`.
fn cited(text: &str, starts: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|l| starts.iter().any(|s| l.starts_with(s)))
        .filter_map(|l| l.split_once('[').and_then(|(_, rest)| rest.split_once(']')).map(|(ids, _)| ids.to_string()))
        .flat_map(|ids| ids.split(',').map(|id| id.trim().to_string()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn every_clause_a_rule_cites_is_exercised_by_at_least_three_tests() {
    let mut thin = Vec::new();
    for file in shipped_policies() {
        let mut text = std::fs::read_to_string(&file).unwrap();
        let companion = file.with_extension("tests.triage");
        if companion.is_file() {
            text.push_str(&std::fs::read_to_string(companion).unwrap());
        }
        let tests = cited(&text, &["test "]);
        let mut clauses = cited(&text, &["rule ", "exempt "]);
        clauses.sort();
        clauses.dedup();
        assert!(!clauses.is_empty(), "{}: no rule cites a clause", file.display());
        for clause in clauses {
            let n = tests.iter().filter(|t| **t == clause).count();
            if n < 3 {
                thin.push(format!("{}: {clause} has {n} tests", file.display()));
            }
        }
    }
    assert!(thin.is_empty(), "clauses with fewer than three tests:\n{}", thin.join("\n"));
}
