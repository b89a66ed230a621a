//! The analysis of `triage check`: conflicts, shadowed grade rules, unreachable rules, dead
//! exemptions, and tickets left without a grade or a route; the checks beyond its method.
//!
//! `tests/corpus/analysis/` holds policies with planted findings, each snapshotted as a
//! policy owner sees it; `tests/corpus/analysis/ok/` holds policies that must analyse clean,
//! and every shipped policy in `rules/` must too, but for the true findings listed in
//! `KNOWN_FINDINGS`. Beside the snapshots, the counterexample
//! tickets are decided again through the public API, as a user pasting them would.

mod common;

use common::{relative, render_all};
use triage::{check_file, Diagnostic, Policy};

const CODES: [&str; 6] = [
    "triage::conflict",
    "triage::shadowed",
    "triage::unreachable",
    "triage::dead_exemption",
    "triage::gap",
    "triage::analysis_incomplete",
];

fn findings(path: &std::path::Path) -> Vec<Diagnostic> {
    check_file(path).into_iter().filter(|d| CODES.contains(&d.code().as_str())).collect()
}

fn triage_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(common::crate_root().join(dir))
        .expect("folder")
        .map(|e| relative(&e.expect("entry").path()))
        .filter(|p| p.extension().is_some_and(|x| x == "triage"))
        .filter(|p| !p.to_string_lossy().ends_with(".tests.triage"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} holds no policy");
    files
}

/// The counterexample ticket in a finding's help.
fn ticket_of(d: &Diagnostic) -> serde_json::Value {
    let help = d.help_text().expect("a finding with a ticket has help");
    let (start, end) = (help.find('{').expect("a ticket"), help.rfind('}').expect("a ticket"));
    serde_json::from_str(&help[start..=end]).expect("the ticket is JSON")
}

#[test]
fn every_planted_finding_renders() {
    insta::glob!("corpus/analysis/*.triage", |path| {
        let shown = relative(path);
        let ds = findings(&shown);
        assert!(!ds.is_empty(), "`{}` has a planted finding, but none was reported", shown.display());
        insta::assert_snapshot!(render_all(&ds));
    });
}

#[test]
fn clean_policies_have_no_findings() {
    for path in triage_files("tests/corpus/analysis/ok") {
        let ds = findings(&path);
        assert!(ds.is_empty(), "`{}` should analyse clean, got:\n{}", path.display(), render_all(&ds));
    }
}

#[test]
fn every_shipped_policy_has_no_findings() {
    for path in triage_files("rules") {
        let ds = findings(&path);
        assert!(ds.is_empty(), "`{}` should analyse clean, got:\n{}", path.display(), render_all(&ds));
    }
}

#[test]
fn a_second_resolve_deadline_for_grade_ii_phone_tickets_is_one_conflict() {
    let path = common::crate_root().join("tests/corpus/analysis/conflict_after_sales.triage");
    let ds = findings(&path);
    assert_eq!(ds.len(), 1, "{}", render_all(&ds));
    let d = &ds[0];
    assert_eq!(d.code(), "triage::conflict");
    assert!(d.message().contains("`grade_ii_handling`") && d.message().contains("`phone_resolve`"), "{}", d.message());
    assert_eq!(d.labels().len(), 2);
    // The ticket, decided as `triage eval` would, fires both rules; the later one's
    // deadline is the one the decision keeps.
    let policy = Policy::from_file(&path).expect("the policy loads: the analysis runs in `check`");
    let ticket = ticket_of(d);
    assert_eq!(ticket["channel"], "phone");
    let decision = policy.evaluate(&ticket).expect("the ticket is valid");
    assert_eq!(decision.grade(), Some("II"));
    let fired: Vec<&str> = decision.trace().map(|t| t.name()).collect();
    assert!(fired.contains(&"grade_ii_handling") && fired.contains(&"phone_resolve"), "{fired:?}");
    let resolve = decision.deadline("resolve").expect("a resolve deadline").to_string();
    let labels: Vec<String> = d.labels().iter().map(|l| l.text.clone()).collect();
    assert!(labels[1].ends_with(&resolve), "{labels:?} against {resolve}");
    assert!(!labels[0].ends_with(&resolve), "the two deadlines differ: {labels:?}");
}

#[test]
fn a_grade_ii_rule_implied_by_a_grade_i_rule_is_shadowed() {
    let path = common::crate_root().join("tests/corpus/analysis/shadowed_after_sales.triage");
    let ds = findings(&path);
    assert_eq!(ds.len(), 1, "{}", render_all(&ds));
    assert_eq!(ds[0].code(), "triage::shadowed");
    let policy = Policy::from_file(&path).expect("the policy loads");
    let decision = policy.evaluate(&ticket_of(&ds[0])).expect("the ticket is valid");
    assert_eq!(decision.grade(), Some("I"));
    let fired: Vec<&str> = decision.trace().map(|t| t.name()).collect();
    assert!(fired.contains(&"urgent") && fired.contains(&"safety_and_repeat"), "{fired:?}");
}

/// `triage check` with its diagnostics as the command line writes them, wrapped.
fn check_as_shown(path: &str) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(["check", "--color", "never", path])
        .current_dir(common::crate_root())
        .output()
        .expect("triage runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_counterexample_copied_from_the_terminal_is_the_ticket_eval_decides() {
    let path = "tests/corpus/analysis/conflict_after_sales.triage";
    let (code, shown) = check_as_shown(path);
    assert_eq!(code, 1, "a conflict is an error:\n{shown}");
    // The help's ticket, as a user selects it: from `{` to the `}` before `; make`,
    // across the wrapped lines with their indentation.
    let help = &shown[shown.find("wins silently: ").expect("the conflict's help")..];
    let (start, end) = (help.find('{').expect("a ticket"), help.find("}; make").expect("a ticket"));
    let copied = &help[start..=end];
    // Pasted as it is, line breaks and indentation included.
    let file = std::env::temp_dir().join(format!("triage-analysis-{}.json", std::process::id()));
    std::fs::write(&file, copied).expect("temp file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(["eval", path, file.to_str().expect("utf-8 path")])
        .current_dir(common::crate_root())
        .output()
        .expect("triage runs");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a decision");
    assert_eq!(decision["grade"], "II");
    assert_eq!(decision["deadlines"]["resolve"], "2025-06-13T18:00:00+08:00", "the later rule's deadline");
}

#[test]
fn a_route_gap_is_shown_with_its_later_fact_known_and_the_ticket_goes_nowhere() {
    let path = common::crate_root().join("tests/corpus/analysis/gap_routes_later_fact.triage");
    let ds = findings(&path);
    assert_eq!(ds.len(), 1, "{}", render_all(&ds));
    assert_eq!(ds[0].code(), "triage::gap");
    let ticket = ticket_of(&ds[0]);
    assert_eq!(ticket["receiver_can_resolve"], true, "the later fact is given: {ticket}");
    let policy = Policy::from_file(&path).expect("the policy loads");
    let decision = policy.evaluate(&ticket).expect("the ticket is valid");
    assert_eq!(decision.route().count(), 0);
}

#[test]
fn a_conflict_beyond_the_method_is_listed_as_skipped_with_its_reason() {
    let path = common::crate_root().join("tests/corpus/analysis/ok/beyond.triage");
    let (diagnostics, skipped) = triage::check_file_explained(&path, &triage::Limits::default(), None);
    assert!(diagnostics.is_empty(), "{}", render_all(&diagnostics));
    let conflict = skipped.iter().find(|s| s.check == "conflict").expect("the pair setting `reply` was skipped");
    assert_eq!(conflict.rules, ["rude", "backlog"]);
    assert_eq!(
        conflict.reason,
        "rules `rude` and `backlog` both set deadline `reply`; not compared: `rude`'s condition searches text \
         (`transcript`)"
    );
    let backlog = skipped.iter().find(|s| s.check == "unreachable" && s.rules == ["backlog"]).expect("backlog");
    assert!(
        backlog.reason.ends_with("compares `complaints` with a value computed from `solved`"),
        "{}",
        backlog.reason
    );
}

/// `triage check` on the Dongguan policy, with or without `--explain-skipped`.
fn check_dongguan(explain: bool) -> (i32, String) {
    let mut args = vec!["check", "--color", "never", "--today", "2025-06-01"];
    if explain {
        args.push("--explain-skipped");
    }
    args.push("rules/dongguan-service-quality.triage");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(&args)
        .current_dir(common::crate_root())
        .output()
        .expect("triage runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn explain_skipped_lists_what_was_beyond_the_method_after_the_diagnostics_and_only_when_asked() {
    let (code, plain) = check_dongguan(false);
    assert_eq!(code, 0, "{plain}");
    assert_eq!(plain, "checked 1 file: 0 errors, 0 warnings\n", "the default output is unchanged");
    let (code, explained) = check_dongguan(true);
    assert_eq!(code, 0, "{explained}");
    let lines: Vec<&str> = explained.lines().collect();
    assert!(
        lines.first().is_some_and(|l| l.starts_with("rules/dongguan-service-quality.triage: ")
            && l.ends_with("beyond the analysis's method:")),
        "{explained}"
    );
    assert!(
        lines.contains(&"  unreachable: whether rule `agent_conduct` can fire; not checked: `agent_conduct`'s condition searches text (`transcript`)"),
        "{explained}"
    );
    assert!(lines.iter().any(|l| l.starts_with("  gap: whether every ticket gets a route")), "{explained}");
    assert_eq!(lines.last(), Some(&"checked 1 file: 0 errors, 0 warnings"), "{explained}");
}
