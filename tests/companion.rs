//! Tests may sit in a companion file `X.tests.triage` beside the policy `X.triage`.

use std::path::PathBuf;

use triage::{check_file, Policy, Severity};

const POLICY: &str = "policy p\n  zone Asia/Shanghai\nticket\n  id text\n  score int\nactions report\nrule r [PM-4]\n  when score >= 3\n  action report\n";

fn folder(name: &str, companion: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("triage-companion-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.triage"), POLICY).unwrap();
    std::fs::write(dir.join("p.tests.triage"), companion).unwrap();
    dir
}

#[test]
fn companion_tests_run_with_the_policy_and_report_their_own_location() {
    let dir = folder("ok", "test \"three is enough\" [PM-4]\n  given score = 3\n  expect action report\n\ntest \"two is not\" [PM-4]\n  given score = 2\n  expect action report\n");
    for path in [dir.join("p.triage"), dir.join("p.tests.triage")] {
        let report = Policy::from_file(&path).unwrap().run_tests();
        assert_eq!((report.passed(), report.failed()), (1, 1), "loading {}", path.display());
        let failed = report.outcomes.iter().find(|o| !o.passed()).unwrap();
        assert_eq!(failed.name, "two is not");
        assert!(failed.location.ends_with("p.tests.triage:5:6"), "{}", failed.location);
        assert!(report.uncovered.is_empty());
    }
}

#[test]
fn a_companion_holds_only_tests() {
    let dir = folder("stray", "rule extra\n  action report\n");
    let diagnostics = check_file(dir.join("p.tests.triage"));
    let error = diagnostics.iter().find(|d| d.severity() == Severity::Error).expect("an error");
    assert_eq!(error.code(), "triage::companion_content");
    assert!(error.location().unwrap().ends_with("p.tests.triage:1:6"), "{:?}", error.location());
}

#[test]
fn any_item_but_a_test_is_misplaced_in_a_companion() {
    for (name, stray) in [("actions", "actions extra\n"), ("let", "let high = score > 4\n"), ("roles", "roles desk\n")]
    {
        let dir = folder(name, &format!("test \"fine\"\n  given score = 3\n  expect action report\n\n{stray}"));
        let errors: Vec<String> = check_file(dir.join("p.triage"))
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .map(|d| format!("{} {}", d.code(), d.location().unwrap_or_default()))
            .collect();
        assert_eq!(errors.len(), 1, "`{stray}`: {errors:?}");
        assert!(
            errors[0].starts_with("triage::companion_content") && errors[0].contains("p.tests.triage:5:"),
            "{errors:?}"
        );
    }
}
