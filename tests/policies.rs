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
