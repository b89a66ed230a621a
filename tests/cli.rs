//! The `triage` binary as a black box: arguments and standard input in; standard output,
//! standard error and the exit code out. Every command runs from the crate root.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::Run;
use serde_json::{json, Value as Json};

const AS_POLICY: &str = "rules/after-sales-quality.triage";
const AS_TICKET: &str = "examples/tickets/as-air-conditioner.json";

/// The binary, to run from the crate root.
fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_triage"));
    command.current_dir(common::crate_root());
    command
}

/// Run `triage ARGS…` from the crate root, with `stdin` as standard input.
fn triage_with_input(args: &[&str], stdin: &str) -> Run {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A binary that stops early (a usage error) leaves its input unread: a closed pipe.
    match child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin is written: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().expect("the binary ends");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn triage(args: &[&str]) -> Run {
    triage_with_input(args, "")
}

/// Standard error without the summary's timing, which differs from run to run.
fn untimed(stderr: &str) -> String {
    let untime = |l: &str| match l.starts_with("decided ") {
        true => l.rsplit_once("; ").map_or(l, |(counts, _)| counts).to_string(),
        false => l.to_string(),
    };
    stderr.lines().map(untime).collect::<Vec<_>>().join("\n")
}

/// Standard error ends with the summary: `counts`, then `; 12 ms, 250 tickets/s` (or `s`).
#[track_caller]
fn assert_summary(stderr: &str, counts: &str) {
    let last = stderr.lines().last().unwrap_or_else(|| panic!("no summary:\n{stderr}"));
    let timing = last.strip_prefix(counts).and_then(|t| t.strip_prefix("; "));
    let timing = timing.unwrap_or_else(|| panic!("`{last}` does not start with `{counts}; `"));
    let (time, rate) = timing.split_once(", ").unwrap_or_else(|| panic!("no rate in `{last}`"));
    let (amount, unit) = time.split_once(' ').unwrap_or_else(|| panic!("no time in `{last}`"));
    assert!(amount.parse::<f64>().is_ok() && ["ms", "s"].contains(&unit), "time `{time}` in `{last}`");
    let per_second = rate.strip_suffix(" tickets/s").and_then(|r| r.parse::<u64>().ok());
    assert!(per_second.is_some_and(|r| r > 0), "rate `{rate}` in `{last}`");
}

/// A fresh folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("triage-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("temp file");
        path.to_str().expect("UTF-8 temp path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn as_ticket() -> Json {
    let text = std::fs::read_to_string(common::crate_root().join(AS_TICKET)).expect("AS ticket");
    serde_json::from_str(&text).expect("AS ticket is JSON")
}

/// The AS ticket with another id and some fields changed.
fn as_variant(id: &str, changes: Json) -> Json {
    let mut t = as_ticket();
    t["id"] = json!(id);
    for (k, v) in changes.as_object().expect("an object") {
        t[k] = v.clone();
    }
    t
}

// ---------------------------------------------------------------- check

#[test]
fn check_of_a_clean_file_exits_0() {
    let run = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/ok/minimal.triage"]);
    run.exits(0);
    assert!(run.stderr.contains("0 errors, 0 warnings"), "{}", run.stderr);
}

#[test]
fn check_with_warnings_only_exits_0_and_shows_them() {
    let run = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/ok/warnings_only.triage"]);
    run.exits(0);
    assert!(run.stderr.contains("triage::unused"), "{}", run.stderr);
    assert!(run.stderr.contains("tests/corpus/check/ok/warnings_only.triage:8:3"), "{}", run.stderr);
    assert!(run.stderr.contains("0 errors, 2 warnings"), "{}", run.stderr);
}

#[test]
fn check_with_an_error_exits_1_and_names_file_and_line() {
    let run = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/err/unknown_grade.triage"]);
    run.exits(1);
    assert!(run.stderr.contains("triage::unknown_grade"), "{}", run.stderr);
    assert!(run.stderr.contains("tests/corpus/check/err/unknown_grade.triage:13:9"), "{}", run.stderr);
    assert!(run.stderr.contains("1 error, 0 warnings"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "diagnostics go to stderr: {}", run.stdout);
}

#[test]
fn check_of_standard_input_names_it_in_diagnostics_and_checks_named_files_too() {
    let broken = std::fs::read_to_string(common::crate_root().join("tests/corpus/check/err/unknown_grade.triage"))
        .expect("the corpus file reads");
    let run =
        triage_with_input(&["check", "--today", "2025-06-01", "-", "tests/corpus/check/ok/minimal.triage"], &broken);
    run.exits(1);
    assert!(run.stderr.contains("triage::unknown_grade"), "{}", run.stderr);
    assert!(run.stderr.contains("<stdin>:13:9"), "{}", run.stderr);
    assert!(run.stderr.contains("checked 2 files: 1 error, 0 warnings"), "{}", run.stderr);

    let clean = std::fs::read_to_string(common::crate_root().join("tests/corpus/check/ok/minimal.triage"))
        .expect("the corpus file reads");
    let run = triage_with_input(&["check", "--today", "2025-06-01", "-"], &clean);
    run.exits(0);
    assert!(run.stderr.contains("checked 1 file: 0 errors, 0 warnings"), "{}", run.stderr);
}

#[test]
fn standard_input_can_be_named_once() {
    for command in ["check", "test"] {
        let run = triage(&[command, "-", "-"]);
        run.exits(2);
        assert!(run.stderr.contains("standard input (`-`) can be named once"), "{}", run.stderr);
    }
}

#[test]
fn check_of_five_mistakes_reports_every_line() {
    let run = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/err/five_mistakes.triage"]);
    run.exits(1);
    for line in [18, 22, 23, 27, 28] {
        assert!(
            run.stderr.contains(&format!("tests/corpus/check/err/five_mistakes.triage:{line}:")),
            "line {line} not named:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("5 errors"), "{}", run.stderr);
}

#[test]
fn check_of_folders_counts_every_file_and_fails_if_any_fails() {
    let ok = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/ok"]);
    ok.exits(0);
    let files = std::fs::read_dir(common::crate_root().join("tests/corpus/check/ok")).unwrap().count();
    assert!(ok.stderr.contains(&format!("checked {files} files: 0 errors")), "{}", ok.stderr);
    let mixed = triage(&[
        "check",
        "--today",
        "2025-06-01",
        "tests/corpus/check/ok",
        "tests/corpus/check/err/unknown_role.triage",
    ]);
    mixed.exits(1);
    assert!(mixed.stderr.contains(&format!("checked {} files: 1 error", files + 1)), "{}", mixed.stderr);
}

#[test]
fn check_of_a_missing_file_exits_1() {
    let run = triage(&["check", "--today", "2025-06-01", "tests/corpus/check/no-such-file.triage"]);
    run.exits(1);
    assert!(run.stderr.contains("no-such-file.triage"), "{}", run.stderr);
}

/// Run in a child process: the loader's recursion on an import cycle can overflow the
/// stack, which would abort a test binary.
#[test]
fn check_of_an_import_cycle_terminates_the_same_way_every_time() {
    for file in ["tests/corpus/check/cycle/self_import.triage", "tests/corpus/check/cycle/uses_cycle.triage"] {
        let first = triage(&["check", "--json", "--today", "2025-06-01", file]);
        first.exits(0);
        assert_eq!(first.stdout, "", "{file} is valid: no reports");
        assert!(first.stderr.contains("checked 1 file: 0 errors, 0 warnings"), "{file}: {}", first.stderr);
        for _ in 0..3 {
            let again = triage(&["check", "--json", "--today", "2025-06-01", file]);
            assert_eq!(
                (again.code, &again.stdout),
                (first.code, &first.stdout),
                "{file} checks differently from one run to the next"
            );
        }
    }
}

#[test]
fn check_json_prints_one_report_per_line_for_tools() {
    let run = triage(&["check", "--today", "2025-06-01", "--json", "tests/corpus/check/err/five_mistakes.triage"]);
    run.exits(1);
    let reports: Vec<Json> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let errors: Vec<&Json> = reports.iter().filter(|r| r["severity"] == "error").collect();
    assert_eq!(errors.len(), 5, "{}", run.stdout);
    let lines: Vec<u64> = errors.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [18, 22, 23, 27, 28]);
    assert_eq!(errors[0]["code"], "triage::unknown_field");
    assert_eq!(errors[0]["file"], "tests/corpus/check/err/five_mistakes.triage");
    assert_eq!(errors[0]["help"], "did you mean `impact.safety`?");
    // Warnings wait until the errors are fixed; alone, they are reported too.
    assert!(reports.iter().all(|r| r["severity"] == "error"), "{}", run.stdout);
    let run = triage(&["check", "--today", "2025-06-01", "--json", "tests/corpus/check/ok/warnings_only.triage"]);
    run.exits(0);
    let warning: Json = serde_json::from_str(run.stdout.lines().next().expect("a warning")).unwrap();
    assert_eq!((warning["severity"].as_str(), warning["code"].as_str()), (Some("warning"), Some("triage::unused")));
}

// ---------------------------------------------------------------- eval

#[test]
fn eval_of_the_seed_example_gives_grade_ii_and_its_deadlines() {
    let run = triage(&["eval", AS_POLICY, AS_TICKET]);
    run.exits(0);
    let d: Json = serde_json::from_str(run.stdout.trim()).expect("one JSON decision");
    assert_eq!(d["ticket"], "SN20240510001");
    assert_eq!(d["grade"], "II");
    assert_eq!(d["route"], json!(["module_owner", "service_agent"]));
    assert_eq!(d["deadlines"]["respond"], "2024-05-10T14:30:00+08:00");
    assert_eq!(d["deadlines"]["plan"], "2024-05-12T10:30:00+08:00");
    assert_eq!(d["deadlines"]["resolve"], "2024-05-16T18:00:00+08:00");
    assert_eq!(d["warnings"]["resolve"], json!(["2024-05-15T09:00:00+08:00"]));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn eval_pretty_prints_the_same_decision_indented() {
    let plain = triage(&["eval", AS_POLICY, AS_TICKET]);
    let pretty = triage(&["eval", AS_POLICY, AS_TICKET, "--pretty"]);
    pretty.exits(0);
    assert!(pretty.stdout.lines().count() > 10, "{}", pretty.stdout);
    let a: Json = serde_json::from_str(&plain.stdout).unwrap();
    let b: Json = serde_json::from_str(&pretty.stdout).unwrap();
    assert_eq!(a, b);
}

#[test]
fn eval_of_several_files_writes_one_decision_per_file_in_order() {
    let dir = TempDir::new("eval-files");
    let urgent = dir.write(
        "urgent.json",
        &as_variant(
            "SN-URGENT",
            json!({"impact": {"safety": true, "data_loss": false,
            "group_incident": false, "media": false, "major_loss": false}}),
        )
        .to_string(),
    );
    let run = triage(&["eval", AS_POLICY, AS_TICKET, &urgent]);
    run.exits(0);
    let ids: Vec<Json> =
        run.stdout.lines().map(|l| serde_json::from_str::<Json>(l).unwrap()["ticket"].clone()).collect();
    assert_eq!(ids, [json!("SN20240510001"), json!("SN-URGENT")]);
}

#[test]
fn eval_of_json_lines_reports_bad_lines_and_decides_the_others_in_order() {
    let good = |id: &str| as_variant(id, json!({})).to_string();
    let invalid = as_variant("SN-BAD", json!({"repeat_failure": "yes"})).to_string();
    let input = [
        good("SN-1"),
        "{\"id\": \"SN-2\", \"received_at\": ".to_string(), // malformed JSON
        good("SN-3"),
        invalid, // valid JSON, not a valid ticket
        good("SN-5"),
        good("SN-6"),
    ]
    .join("\n");
    let run = triage_with_input(&["eval", AS_POLICY], &input);
    run.exits(1);
    let decisions: Vec<Json> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let ids: Vec<&str> = decisions.iter().map(|d| d["ticket"].as_str().unwrap()).collect();
    assert_eq!(ids, ["SN-1", "SN-3", "SN-5", "SN-6"], "every good line, in order");
    assert!(decisions.iter().all(|d| d["grade"] == "II"));
    let stderr_lines: Vec<&str> = run.stderr.lines().collect();
    assert!(stderr_lines.iter().any(|l| l.starts_with("line 2:")), "{}", run.stderr);
    let bad = stderr_lines
        .iter()
        .find(|l| l.starts_with("line 4:"))
        .unwrap_or_else(|| panic!("line 4 not reported:\n{}", run.stderr));
    assert!(bad.contains("SN-BAD"), "{bad}");
    assert!(bad.contains("repeat_failure"), "{bad}");
    assert!(
        !stderr_lines.iter().any(|l| ["line 1:", "line 3:", "line 5:", "line 6:"].iter().any(|p| l.starts_with(p))),
        "good lines are not reported:\n{}",
        run.stderr
    );
}

#[test]
fn eval_of_json_lines_decides_every_ticket_it_can_and_names_the_others() {
    let dir = TempDir::new("eval-agreed");
    let policy = dir.write(
        "agreed.triage",
        "policy agreed\n  zone Asia/Shanghai\nticket\n  id text\n  received_at time\n  \
         agreed duration\nrule answer\n  deadline answer = received_at + agreed\n",
    );
    let ticket = |id: &str, agreed: &str| {
        json!({"id": id, "received_at": "2024-05-10T10:30:00+08:00", "agreed": agreed}).to_string()
    };
    let late = json!({"id": "D4", "received_at": "9999-12-31T20:00:00+08:00", "agreed": "90 h"}).to_string();
    let input = [ticket("D1", "2 h"), ticket("D2", "2000000000000 h"), ticket("D3", "3 h"), late].join("\n");
    let run = triage_with_input(&["eval", &policy], &input);
    run.exits(1);
    let decided: Vec<Json> = run.stdout.lines().map(|l| serde_json::from_str::<Json>(l).unwrap()).collect();
    let ids: Vec<&Json> = decided.iter().map(|d| &d["ticket"]).collect();
    assert_eq!(ids, [&json!("D1"), &json!("D3"), &json!("D4")]);
    // A duration of more than a hundred years is a mistake in the ticket.
    let stderr: Vec<&str> = run.stderr.lines().collect();
    assert!(stderr[0].starts_with("line 2: D2: agreed: `2000000000000 h` is not a duration"), "{}", run.stderr);
    // A deadline past the year 9999 cannot be written: it is a problem of the decision.
    assert_eq!(decided[2]["deadlines"], json!({}));
    assert_eq!(decided[2]["problems"][0]["error"], "time_out_of_range");
    assert!(
        stderr[1].starts_with("line 4: D4: deadline `answer` in rule `answer`: the time falls outside"),
        "{}",
        run.stderr
    );
}

#[test]
fn eval_of_good_json_lines_exits_0_and_skips_blank_lines() {
    let input =
        format!("{}\n\n{}\n", as_variant("SN-A", json!({})), as_variant("SN-B", json!({"repeat_failure": false})));
    let run = triage_with_input(&["eval", AS_POLICY], &input);
    run.exits(0);
    let grades: Vec<Json> =
        run.stdout.lines().map(|l| serde_json::from_str::<Json>(l).unwrap()["grade"].clone()).collect();
    assert_eq!(grades, [json!("II"), json!("III")]);
    // Nothing went wrong: standard error holds the summary alone.
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_summary(&run.stderr, "decided 2 of 2 tickets");
}

#[test]
fn eval_with_a_broken_policy_fails_and_says_where() {
    let run = triage(&["eval", "tests/corpus/check/err/unknown_grade.triage", AS_TICKET]);
    run.exits(3);
    assert!(run.stdout.is_empty(), "no decision: {}", run.stdout);
    assert!(run.stderr.contains("tests/corpus/check/err/unknown_grade.triage:13:9"), "{}", run.stderr);
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_mentions_every_fired_rule_and_its_clause() {
    let full = triage(&["eval", AS_POLICY, AS_TICKET, "--trace", "full"]);
    full.exits(0);
    let decision: Json = serde_json::from_str(&full.stdout).unwrap();
    let run = triage(&["explain", AS_POLICY, AS_TICKET]);
    run.exits(0);
    let trace = decision["trace"].as_array().expect("a trace");
    assert!(!trace.is_empty());
    // The words of each rule that fired, `  1. …` up to the next one, in the trace's order.
    let mut blocks: Vec<String> = Vec::new();
    for line in run.stdout.lines() {
        let numbered = line
            .strip_prefix("  ")
            .and_then(|l| l.split_once(". "))
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match blocks.last_mut() {
            Some(block) if !numbered => block.push_str(&format!("{line}\n")),
            _ if numbered => blocks.push(format!("{line}\n")),
            _ => {}
        }
    }
    assert_eq!(blocks.len(), trace.len(), "one block a rule that fired:\n{}", run.stdout);
    for (entry, block) in trace.iter().zip(&blocks) {
        let rule = entry["rule"].as_str().unwrap();
        let clauses: Vec<&str> = entry["clauses"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert!(block.contains(rule), "`{rule}` missing:\n{block}");
        let cited = format!("[{}]", clauses.join(", "));
        assert!(block.contains(&cited), "`{cited}` missing:\n{block}");
        // Every fact the data gives is told in words, one a line under `because:`:
        // `repeat_failure = true`, `grade = II`.
        let facts = entry["facts"].as_array().expect("the full trace has facts");
        assert!(!facts.is_empty(), "{entry}");
        assert!(block.contains("\n     because:\n"), "`because:` missing:\n{block}");
        for fact in facts {
            let (name, value) = match (fact.get("field"), fact.get("grade")) {
                (Some(field), _) => (field.as_str().unwrap(), fact["value"].to_string()),
                (None, Some(grade)) => ("grade", grade.as_str().unwrap().to_string()),
                _ => panic!("an unexpected fact: {fact}"),
            };
            let words = format!("\n       {name} = {value}\n");
            assert!(block.contains(&words), "`{words}` missing:\n{block}");
        }
    }
    assert!(run.stdout.contains("II"), "{}", run.stdout);
    assert!(run.stdout.contains("Thu 2024-05-16 18:00 (+08:00), 5 working days"), "{}", run.stdout);
}

#[test]
fn explain_of_an_invalid_ticket_exits_1_naming_the_ticket_and_field() {
    let dir = TempDir::new("explain-invalid");
    let ticket = dir.write("bad.json", &as_variant("SN-BAD", json!({"received_at": "2024-05-10 10:30"})).to_string());
    let run = triage(&["explain", AS_POLICY, &ticket]);
    run.exits(1);
    assert!(run.stderr.contains("SN-BAD"), "{}", run.stderr);
    assert!(run.stderr.contains("received_at"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

// ---------------------------------------------------------------- test

const TESTED_POLICY: &str = r#"policy tested
  zone Asia/Shanghai

ticket
  id     text
  score  int

actions written_report, onsite_investigation, never

rule report [PM-4]
  when score >= 3
  action written_report

rule investigate [PM-4]
  when score >= 5
  action onsite_investigation

rule unreachable
  when score < 0 and score > 0
  action never

test "a score of 3 needs a written report" [PM-4]
  given score = 3
  expect action written_report, no action onsite_investigation
"#;

const FAILING_TEST: &str = r#"
test "a score of 4 needs an investigation" [PM-4]
  given score = 4
  expect action onsite_investigation
"#;

#[test]
fn test_reports_counts_and_exits_0_when_all_pass() {
    let dir = TempDir::new("test-pass");
    let policy = dir.write("tested.triage", TESTED_POLICY);
    let run = triage(&["test", &policy]);
    run.exits(0);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
}

#[test]
fn test_of_standard_input_runs_its_tests() {
    let run = triage_with_input(&["test", "-"], &format!("{TESTED_POLICY}{FAILING_TEST}"));
    run.exits(1);
    assert!(run.stdout.contains("1 passed, 1 failed"), "{}", run.stdout);
    assert!(run.stdout.contains("FAIL <stdin>:"), "{}", run.stdout);

    let run = triage_with_input(&["test", "-"], "policy broken\n  zone Nowhere/Bad\n");
    run.exits(3);
    assert!(run.stderr.contains("standard input: not tested: the policy has errors"), "{}", run.stderr);
}

#[test]
fn test_exits_1_and_names_the_failing_test() {
    let dir = TempDir::new("test-fail");
    let policy = dir.write("tested.triage", &format!("{TESTED_POLICY}{FAILING_TEST}"));
    let run = triage(&["test", &policy]);
    run.exits(1);
    assert!(run.stdout.contains("1 passed, 1 failed"), "{}", run.stdout);
    let fail =
        run.stdout.lines().find(|l| l.starts_with("FAIL")).unwrap_or_else(|| panic!("no FAIL line:\n{}", run.stdout));
    assert!(fail.contains("a score of 4 needs an investigation"), "{fail}");
    assert!(fail.contains("[PM-4]"), "{fail}");
    // The failing expectation is located: the test starts on line 26, expects on 28.
    assert!(run.stdout.contains("tested.triage:28:"), "{}", run.stdout);
    assert!(run.stdout.contains("onsite_investigation"), "{}", run.stdout);
}

#[test]
fn test_coverage_lists_rules_no_test_fires() {
    let dir = TempDir::new("test-coverage");
    let policy = dir.write("tested.triage", TESTED_POLICY);
    let run = triage(&["test", "--coverage", &policy]);
    run.exits(0);
    let uncovered: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("UNCOVERED")).collect();
    assert_eq!(uncovered.len(), 2, "{}", run.stdout);
    assert!(uncovered.iter().any(|l| l.contains("`investigate`")), "{}", run.stdout);
    assert!(uncovered.iter().any(|l| l.contains("`unreachable`")), "{}", run.stdout);
    assert!(run.stdout.contains("2 rules not covered"), "{}", run.stdout);
}

#[test]
fn test_of_a_broken_policy_exits_3() {
    let run = triage(&["test", "tests/corpus/check/err/unknown_grade.triage"]);
    run.exits(3);
    assert!(run.stdout.contains("could not be tested"), "{}", run.stdout);
    assert!(run.stdout.contains("0 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn test_of_the_shipped_after_sales_policy_passes() {
    let run = triage(&["test", AS_POLICY]);
    run.exits(0);
    assert!(run.stdout.trim_end().ends_with(" passed, 0 failed"), "{}", run.stdout);
}

const MONTHLY_POLICY: &str = r#"policy monthly
  zone Asia/Shanghai

record
  id                 text
  complaints         int >= 0
  completed_in_time  int >= 0, <= complaints

actions rectify

rule late [SI-13]
  when completed_in_time < complaints
  action rectify

test "more completed in time than complaints is refused" [SI-13]
  given complaints = 3, completed_in_time = 9
  expect refused completed_in_time
"#;

#[test]
fn test_passes_a_refusal_and_fails_a_base_record_given_out_of_bounds() {
    let dir = TempDir::new("test-refused");
    dir.write("base.json", r#"{"id": "M/2024-05", "complaints": 10, "completed_in_time": 8}"#);
    let base_test =
        "\ntest \"fewer complaints than completions\" [SI-13]\n  given ticket \"base.json\", complaints = 7\n  \
                     expect action rectify\n";
    let policy = dir.write("monthly.triage", &format!("{MONTHLY_POLICY}{base_test}"));
    let run = triage(&["test", &policy]);
    run.exits(1);
    assert!(run.stdout.contains("1 passed, 1 failed"), "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let fail = lines.iter().position(|l| l.starts_with("FAIL")).unwrap_or_else(|| panic!("no FAIL:\n{}", run.stdout));
    assert!(lines[fail].contains("fewer complaints than completions"), "{}", lines[fail]);
    assert_eq!(
        lines[fail + 1],
        "  cannot decide the scenario: the reader refuses this ticket: completed_in_time: is 8, and must be at most \
         `complaints` (7); to test the refusal, write `expect refused completed_in_time` and expect nothing else"
    );
}

#[test]
fn check_reports_a_test_that_gives_a_record_out_of_bounds_and_test_does_not_run_it() {
    let dir = TempDir::new("check-out-of-bounds");
    let decided = MONTHLY_POLICY.replace("expect refused completed_in_time", "expect no action rectify");
    let policy = dir.write("monthly.triage", &decided);
    let run = triage(&["check", &policy]);
    run.exits(1);
    assert!(run.stderr.contains("triage::out_of_bounds"), "{}", run.stderr);
    assert!(run.stderr.contains("`completed_in_time` is 9, and must be at most `complaints` (3)"), "{}", run.stderr);
    assert!(run.stderr.contains("monthly.triage:16:25"), "located at the value given: {}", run.stderr);
    triage(&["test", &policy]).exits(3);
}

// ---------------------------------------------------------------- help

#[test]
fn help_works_for_the_command_and_every_subcommand() {
    let top = triage(&["--help"]);
    top.exits(0);
    for sub in ["check", "eval", "explain", "test"] {
        assert!(top.stdout.contains(sub), "`{sub}` not listed:\n{}", top.stdout);
        let run = triage(&[sub, "--help"]);
        run.exits(0);
        assert!(run.stdout.contains(&format!("Usage: triage {sub}")), "{sub} --help:\n{}", run.stdout);
    }
    let run = triage(&["help", "eval"]);
    run.exits(0);
    assert!(run.stdout.contains("JSON Lines"), "{}", run.stdout);
}

#[test]
fn a_wrong_invocation_is_a_usage_error() {
    let run = triage(&["check"]);
    run.exits(2);
    assert!(run.stderr.contains("Usage"), "{}", run.stderr);
}

#[test]
fn a_jsonl_ticket_file_is_decided_line_by_line_and_bad_lines_are_named_by_file_and_line() {
    let ticket =
        std::fs::read_to_string(common::crate_root().join("examples/tickets/as-air-conditioner.json")).unwrap();
    let one_line: Json = serde_json::from_str(&ticket).unwrap();
    let path = std::env::temp_dir().join(format!("triage-batch-{}.jsonl", std::process::id()));
    std::fs::write(&path, format!("{one_line}\n\n{{\"id\": \"BAD\"}}\n{one_line}\n")).unwrap();
    let run = triage(&["eval", "rules/after-sales-quality.triage", path.to_str().unwrap()]);
    run.exits(1);
    assert_eq!(run.stdout.lines().count(), 2, "both good lines are decided: {}", run.stdout);
    let place = format!("{}:line 3: BAD: received_at: is missing", path.display());
    assert!(run.stderr.contains(&place), "{}", run.stderr);
    assert!(run.stderr.contains("decided 2 of 3 tickets; 1 failed"), "{}", run.stderr);
}

// ---------------------------------------------------------------- traces, problems, threads

#[test]
fn the_trace_level_is_chosen_on_the_command_line() {
    let rules: Json = serde_json::from_str(&triage(&["eval", AS_POLICY, AS_TICKET]).stdout).unwrap();
    let entry = &rules["trace"][0];
    assert_eq!(entry["rule"], "important");
    assert_eq!(entry["clauses"], json!(["AS-4"]));
    assert_eq!(entry["effects"], json!([{"grade": "II"}]));
    assert!(entry.get("facts").is_none(), "the default trace is the rules fired: {entry}");

    let full: Json = serde_json::from_str(&triage(&["eval", AS_POLICY, AS_TICKET, "--trace", "full"]).stdout).unwrap();
    assert_eq!(full["trace"][0]["facts"], json!([{"field": "repeat_failure", "value": true}]));
    let resolve =
        full["trace"][1]["reckoning"].as_array().unwrap().iter().find(|r| r["deadline"] == "resolve").unwrap();
    assert_eq!(resolve["working_days"], 5);
    assert_eq!(resolve["counted"][0], json!({"date": "2024-05-11", "makeup": "劳动节调休"}));

    let none: Json = serde_json::from_str(&triage(&["eval", AS_POLICY, AS_TICKET, "--trace", "none"]).stdout).unwrap();
    assert!(none.get("trace").is_none(), "{none}");
    assert_eq!(none["deadlines"], rules["deadlines"], "the decision is the same at every level");
}

#[test]
fn a_deadline_past_the_calendar_is_a_problem_and_the_rest_is_decided() {
    let dir = TempDir::new("calendar-edge");
    // Grade II, received on the last Monday of 2026: its five working days run into 2027.
    let ticket =
        dir.write("late.json", &as_variant("SN-EDGE", json!({"received_at": "2026-12-28T10:30:00+08:00"})).to_string());
    let run = triage(&["eval", AS_POLICY, &ticket]);
    run.exits(1);
    let d: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(d["grade"], "II");
    assert_eq!(d["route"], json!(["module_owner", "service_agent"]));
    assert_eq!(d["actions"], json!(["approval_by_department_head"]));
    assert_eq!(d["deadlines"], json!({"respond": "2026-12-28T14:30:00+08:00", "plan": "2026-12-30T10:30:00+08:00"}));
    let problems = d["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(
        (&p["deadline"], &p["rule"], &p["calendar"]),
        (&json!("resolve"), &json!("grade_ii_handling"), &json!("office"))
    );
    assert_eq!(p["years_set_in"], "rules/calendars/cn-mainland.triage:9:9", "the file to extend");
    assert_eq!(p["date_needed"], "2027-01-01");
    assert_eq!((&p["uncounted"], &p["of"]), (&json!(2), &json!(5)), "2 of the 5 working days lie in 2027");
    assert!(
        run.stderr.contains("SN-EDGE: deadline `resolve` in rule `grade_ii_handling`: 2 of 5 working days"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("decided 1 of 1 tickets; 1 with problems"), "{}", run.stderr);

    let explained = triage(&["explain", AS_POLICY, &ticket]);
    explained.exits(1);
    assert!(explained.stdout.contains("deadline resolve not set: it cannot be reckoned"), "{}", explained.stdout);
}

#[test]
fn jobs_keep_the_input_order_and_account_for_every_line() {
    let good = |i: usize| as_variant(&format!("SN{i:05}"), json!({"repeat_failure": i % 3 == 0})).to_string();
    let mut lines: Vec<String> = (0..1500).map(good).collect();
    lines[700] = "{\"id\": \"BAD\"}".into();
    lines[1400] = "not json".into();
    // From a file: the output outgrows a pipe's buffer before the input is all written.
    let dir = TempDir::new("jobs");
    let input = dir.write("tickets.jsonl", &(lines.join("\n") + "\n"));
    let one = triage(&["eval", AS_POLICY, &input]);
    let two = triage(&["eval", AS_POLICY, &input, "--jobs", "2"]);
    one.exits(1);
    two.exits(1);
    assert_eq!(two.stdout, one.stdout, "two threads write what one does, in the same order");
    assert_eq!(untimed(&two.stderr), untimed(&one.stderr));
    let ids: Vec<String> =
        two.stdout.lines().map(|l| serde_json::from_str::<Json>(l).unwrap()["ticket"].to_string()).collect();
    assert_eq!(ids.len(), 1498);
    assert_eq!(ids[0], "\"SN00000\"");
    assert_eq!(ids[1497], "\"SN01499\"");
    assert!(two.stderr.contains(&format!("{input}:line 701: BAD: received_at: is missing")), "{}", two.stderr);
    assert!(two.stderr.contains(&format!("{input}:line 1401: not valid JSON")), "{}", two.stderr);
    assert!(two.stderr.contains("decided 1498 of 1500 tickets; 2 failed"), "{}", two.stderr);
}

// ---------------------------------------------------------------- pipelines

/// `n` tickets as JSON Lines in a file of `dir`; ids `SN00000`, `SN00001`, …
fn tickets_file(dir: &TempDir, name: &str, n: usize) -> String {
    let lines: Vec<String> = (0..n).map(|i| as_variant(&format!("SN{i:05}"), json!({})).to_string()).collect();
    dir.write(name, &(lines.join("\n") + "\n"))
}

/// The ticket id of a decision (or error record) written as one line.
fn id_of(line: &str) -> String {
    let d: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    d["ticket"].as_str().unwrap_or_else(|| panic!("no ticket id: {line}")).to_string()
}

/// Read one line of standard output, drop the pipe, wait: what the binary said then.
fn read_one_line_and_go_away(mut child: Child) -> (String, Run) {
    let mut first = String::new();
    {
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        stdout.read_line(&mut first).expect("a first line");
    } // The pipe's reading end is closed here.
    let out = child.wait_with_output().expect("the binary ends");
    let run = Run {
        code: out.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    (first, run)
}

#[test]
fn a_reader_that_goes_away_ends_eval_quietly() {
    let dir = TempDir::new("closed-pipe");
    // Far more decisions than a pipe holds: the binary is still writing when the reader goes.
    let tickets = tickets_file(&dir, "big.jsonl", 20_000);
    for jobs in ["1", "2"] {
        let child = binary()
            .args(["eval", AS_POLICY, &tickets, "--jobs", jobs])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let (first, run) = read_one_line_and_go_away(child);
        assert_eq!(id_of(&first), "SN00000");
        assert_eq!(run.stderr, "", "jobs {jobs}: a closed pipe is no error");
        run.exits(0);
    }
    // From a stream too: standard input written by another thread.
    let text = std::fs::read(&tickets).unwrap();
    for jobs in ["1", "2"] {
        let mut child = binary()
            .args(["eval", AS_POLICY, "--jobs", jobs])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let text = text.clone();
        // It stops on a closed pipe of its own once the binary has gone.
        let writer = std::thread::spawn(move || stdin.write_all(&text).is_ok());
        let (first, run) = read_one_line_and_go_away(child);
        assert!(!writer.join().unwrap(), "jobs {jobs}: the binary stopped reading");
        assert_eq!(id_of(&first), "SN00000");
        assert_eq!(run.stderr, "", "jobs {jobs}: a closed pipe is no error");
        run.exits(0);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn any_other_write_error_stops_eval_with_one_message() {
    let dir = TempDir::new("full-disk");
    let tickets = tickets_file(&dir, "tickets.jsonl", 2_000);
    for jobs in ["1", "2"] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let out = binary()
            .args(["eval", AS_POLICY, &tickets, "--jobs", jobs])
            .stdout(full)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "jobs {jobs}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "jobs {jobs}: one message:\n{stderr}");
        assert!(stderr.starts_with("cannot write the decisions: "), "{stderr}");
        assert!(stderr.contains("os error 28"), "the error is named: {stderr}");
    }
}

/// A running `triage eval` fed one line at a time, each answer awaited before the next line
/// is written, as a program using it as a filter would.
struct Conversation {
    child: Child,
    input: Option<Box<dyn Write + Send>>,
    answers: mpsc::Receiver<String>,
}

impl Conversation {
    /// Start the binary; its input is its standard input, unless `input` opens another.
    fn start(args: &[&str], input: Option<&dyn Fn() -> Box<dyn Write + Send>>) -> Conversation {
        let mut child = binary()
            .args(args)
            .stdin(if input.is_some() { Stdio::null() } else { Stdio::piped() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let (tell, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tell.send(line).is_err() {
                    return;
                }
            }
        });
        let input = match input {
            Some(open) => open(),
            None => Box::new(child.stdin.take().expect("stdin is piped")) as Box<dyn Write + Send>,
        };
        Conversation { child, input: Some(input), answers }
    }

    /// Write a line and wait for the answer it gets.
    fn ask(&mut self, line: &str) -> String {
        let input = self.input.as_mut().expect("input still open");
        input.write_all(format!("{line}\n").as_bytes()).expect("the line is written");
        input.flush().expect("the line is sent");
        match self.answers.recv_timeout(Duration::from_secs(60)) {
            Ok(answer) => answer,
            Err(_) => {
                let _ = self.child.kill();
                panic!("no answer to `{line}` within a minute: the decision is held back");
            }
        }
    }

    /// Close the input and wait: what was said on standard error, and the exit code.
    fn end(mut self) -> Run {
        drop(self.input.take());
        let status = self.child.wait().expect("the binary ends");
        let mut stderr = String::new();
        self.child.stderr.take().expect("stderr is piped").read_to_string(&mut stderr).unwrap();
        Run { code: status.code(), stdout: self.answers.try_iter().collect::<Vec<_>>().join("\n"), stderr }
    }
}

impl Drop for Conversation {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three tickets and a bad one, each answered before the next is written; reports about
/// the input's lines start with `place`.
fn converse(mut talk: Conversation, place: &str) {
    for id in ["S1", "S2", "S3"] {
        assert_eq!(id_of(&talk.ask(&as_variant(id, json!({})).to_string())), id);
    }
    let record: Json = serde_json::from_str(&talk.ask(r#"{"id": "BAD"}"#)).unwrap();
    assert_eq!(
        (&record["line"], &record["ticket"], &record["error"]),
        (&json!(4), &json!("BAD"), &json!("invalid_ticket"))
    );
    let run = talk.end();
    run.exits(1);
    assert_eq!(run.stdout, "", "nothing more after the input ends");
    assert!(run.stderr.starts_with(&format!("{place}line 4: BAD: received_at: is missing")), "{}", run.stderr);
    assert_summary(&run.stderr, "decided 3 of 4 tickets; 1 failed");
}

#[test]
fn eval_answers_a_stream_line_by_line() {
    for args in [vec![], vec!["-"], vec!["--jobs", "2"], vec!["-", "--jobs", "3"]] {
        let mut all = vec!["eval", AS_POLICY, "--errors", "inline"];
        all.extend(args);
        converse(Conversation::start(&all, None), "");
    }
}

#[cfg(unix)]
#[test]
fn eval_answers_a_named_pipe_line_by_line() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("tickets.jsonl");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid, NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "{}", std::io::Error::last_os_error());
    for jobs in ["1", "2"] {
        // Opening a named pipe to write waits until the binary opens it to read.
        let open = || Box::new(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap()) as Box<dyn Write + Send>;
        let fifo = fifo.to_str().unwrap();
        let talk = Conversation::start(&["eval", AS_POLICY, fifo, "--errors", "inline", "--jobs", jobs], Some(&open));
        converse(talk, &format!("{fifo}:"));
    }
}

#[test]
fn a_dash_reads_tickets_from_standard_input_in_its_place() {
    let input = [as_variant("STDIN-1", json!({})), as_variant("STDIN-2", json!({}))].map(|t| t.to_string()).join("\n");
    let run = triage_with_input(&["eval", AS_POLICY, AS_TICKET, "-", AS_TICKET, "--quiet"], &input);
    run.exits(0);
    let ids: Vec<String> = run.stdout.lines().map(id_of).collect();
    assert_eq!(ids, ["SN20240510001", "STDIN-1", "STDIN-2", "SN20240510001"]);
    assert_eq!(run.stderr, "");

    let ticket = std::fs::read_to_string(common::crate_root().join(AS_TICKET)).unwrap();
    let from_file = triage(&["explain", AS_POLICY, AS_TICKET]);
    let from_stdin = triage_with_input(&["explain", AS_POLICY, "-"], &ticket);
    from_stdin.exits(0);
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

const STDIN_POLICY: &str = "policy agreed\n  zone Asia/Shanghai\nticket\n  id text\n  received_at time\n\
                            rule answer\n  deadline answer = received_at + 2 h\n";

#[test]
fn a_dash_reads_the_policy_from_standard_input() {
    let dir = TempDir::new("policy-stdin");
    let ticket = dir.write("t.json", r#"{"id": "P1", "received_at": "2024-05-10T10:30:00+08:00"}"#);
    let run = triage_with_input(&["eval", "-", &ticket], STDIN_POLICY);
    run.exits(0);
    let d: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((&d["policy"], &d["deadlines"]["answer"]), (&json!("agreed"), &json!("2024-05-10T12:30:00+08:00")));
    let explained = triage_with_input(&["explain", "-", &ticket], STDIN_POLICY);
    explained.exits(0);
    assert!(explained.stdout.contains("Fri 2024-05-10 12:30 (+08:00), 2 h"), "{}", explained.stdout);

    let broken = triage_with_input(&["eval", "-", &ticket], &STDIN_POLICY.replace("received_at + 2 h", "recieved_at"));
    broken.exits(3);
    assert!(broken.stderr.contains("<stdin>:7:"), "located in standard input: {}", broken.stderr);
    assert!(broken.stderr.contains("standard input: the policy has errors"), "{}", broken.stderr);
}

#[test]
fn standard_input_read_twice_is_a_usage_error() {
    for args in [&["eval", "-"][..], &["eval", "-", "-"], &["eval", AS_POLICY, "-", "-"], &["explain", "-", "-"]] {
        let run = triage_with_input(args, STDIN_POLICY);
        run.exits(2);
        assert!(run.stderr.contains("standard input"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("Usage: triage"), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn an_ndjson_file_is_json_lines() {
    let dir = TempDir::new("ndjson");
    let lines =
        [as_variant("N1", json!({})).to_string(), r#"{"id": "BAD"}"#.into(), as_variant("N3", json!({})).to_string()];
    let path = dir.write("tickets.ndjson", &lines.join("\n"));
    let run = triage(&["eval", AS_POLICY, &path]);
    run.exits(1);
    let ids: Vec<String> = run.stdout.lines().map(id_of).collect();
    assert_eq!(ids, ["N1", "N3"]);
    assert!(run.stderr.contains(&format!("{path}:line 2: BAD: received_at: is missing")), "{}", run.stderr);
    assert_summary(&run.stderr, "decided 2 of 3 tickets; 1 failed");
}

// ---------------------------------------------------------------- colour

const ESCAPE: char = '\u{1b}';
const BROKEN: &str = "tests/corpus/check/err/unknown_grade.triage";

#[test]
fn color_always_colours_diagnostics_and_never_does_not() {
    let run = |args: &[&str], no_color: Option<&str>| {
        let mut command = binary();
        command.args(args).stdin(Stdio::null());
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let out = command.output().expect("the binary runs");
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    for (args, code) in
        [(&["check", BROKEN][..], 1), (&["eval", BROKEN, AS_TICKET], 3), (&["explain", BROKEN, AS_TICKET], 3)]
    {
        let (got, always) = run(&[args, &["--color", "always"]].concat(), None);
        assert_eq!(got, Some(code));
        assert!(always.contains(ESCAPE), "{args:?}: no colour:\n{always}");
        assert!(always.contains("unknown grade `IV`"), "{always}");
        let (_, overridden) = run(&[&["--color", "always"], args].concat(), Some("1"));
        assert!(overridden.contains(ESCAPE), "{args:?}: --color always wins over NO_COLOR");
        let (_, never) = run(&[args, &["--color", "never"]].concat(), None);
        assert!(!never.contains(ESCAPE), "{args:?}:\n{never}");
        // Into a pipe, `auto` does not colour.
        let (_, auto) = run(args, None);
        assert!(!auto.contains(ESCAPE), "{args:?}:\n{auto}");
    }
}

/// What the binary writes to standard error when that is a terminal.
#[cfg(unix)]
fn stderr_on_a_terminal(args: &[&str], no_color: Option<&str>) -> String {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let null = std::ptr::null_mut();
    // SAFETY: two out-pointers to integers; no name, settings or size are asked for.
    let opened = unsafe { libc::openpty(&mut master, &mut slave, null, null as _, null as _) };
    assert_eq!(opened, 0, "a pseudo-terminal: {}", std::io::Error::last_os_error());
    // SAFETY: openpty opened both and nothing else owns them.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = binary();
    command.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::from(slave));
    match no_color {
        Some(value) => command.env("NO_COLOR", value),
        None => command.env_remove("NO_COLOR"),
    };
    let mut child = command.spawn().expect("the binary starts");
    // Only the binary holds the terminal now: reading ends when it exits.
    drop(command);
    let reader = std::thread::spawn(move || {
        let mut terminal = std::fs::File::from(master);
        let (mut said, mut buffer) = (Vec::new(), [0u8; 4096]);
        // Linux answers EIO, not end of file, once the other end is closed.
        while let Ok(n @ 1..) = terminal.read(&mut buffer) {
            said.extend_from_slice(&buffer[..n]);
        }
        said
    });
    child.wait().expect("the binary ends");
    String::from_utf8_lossy(&reader.join().unwrap()).into_owned()
}

#[cfg(unix)]
#[test]
fn on_a_terminal_diagnostics_are_coloured_unless_no_color_is_set() {
    let args = ["check", BROKEN];
    let coloured = stderr_on_a_terminal(&args, None);
    assert!(coloured.contains("unknown grade `IV`"), "{coloured}");
    assert!(coloured.contains(ESCAPE), "auto colours a terminal:\n{coloured}");
    let plain = stderr_on_a_terminal(&args, Some("1"));
    assert!(plain.contains("unknown grade `IV`"), "{plain}");
    assert!(!plain.contains(ESCAPE), "NO_COLOR=1:\n{plain}");
    assert!(stderr_on_a_terminal(&args, Some("")).contains(ESCAPE), "an empty NO_COLOR is as if unset");
    assert!(!stderr_on_a_terminal(&["check", BROKEN, "--color", "never"], None).contains(ESCAPE));
}

// ---------------------------------------------------------------- exit codes and the summary

#[test]
fn exit_codes_tell_a_policy_that_did_not_load_from_tickets_that_failed() {
    triage(&["eval", BROKEN, AS_TICKET]).exits(3);
    triage(&["explain", BROKEN, AS_TICKET]).exits(3);
    triage(&["eval", "rules/no-such-policy.triage", AS_TICKET]).exits(3);
    triage(&["test", BROKEN]).exits(3);
    triage(&["check", "--today", "2025-06-01", BROKEN]).exits(1);
    triage_with_input(&["eval", AS_POLICY], r#"{"id": "BAD"}"#).exits(1);
    triage(&["eval", AS_POLICY, "examples/tickets/no-such-ticket.json"]).exits(1);
    triage(&["eval", AS_POLICY, "--jobs", "0"]).exits(2);
    triage(&["eval", AS_POLICY, AS_TICKET]).exits(0);
    let help = triage(&["--help"]);
    help.exits(0);
    for line in [
        "Exit codes:",
        "  0  all went well",
        "  1  something failed",
        "  2  the command line is wrong",
        "  3  a policy did not load",
    ] {
        assert!(help.stdout.contains(line), "`{line}` not in --help:\n{}", help.stdout);
    }
}

#[test]
fn the_summary_follows_json_lines_unless_quiet_and_always_follows_failures() {
    let dir = TempDir::new("summary");
    let tickets = tickets_file(&dir, "three.jsonl", 3);
    let run = triage(&["eval", AS_POLICY, &tickets]);
    run.exits(0);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_summary(&run.stderr, "decided 3 of 3 tickets");
    let quiet = triage(&["eval", AS_POLICY, &tickets, "-q"]);
    quiet.exits(0);
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, run.stdout);
    // One `.json` ticket decided in full is told by its decision alone.
    assert_eq!(triage(&["eval", AS_POLICY, AS_TICKET]).stderr, "");
    // Failures are summed up even when quiet.
    let bad = dir.write("bad.json", r#"{"id": "BAD"}"#);
    let failed = triage(&["eval", AS_POLICY, AS_TICKET, &bad, "--quiet"]);
    failed.exits(1);
    assert!(failed.stderr.starts_with(&format!("{bad}: BAD: received_at: is missing")), "{}", failed.stderr);
    assert_summary(&failed.stderr, "decided 1 of 2 tickets; 1 failed");
}

#[test]
fn errors_inline_keep_the_output_aligned_with_the_input() {
    let mut no_time = as_variant("NO-TIME", json!({}));
    no_time.as_object_mut().unwrap().remove("received_at");
    let input = [
        as_variant("A1", json!({})).to_string(),
        no_time.to_string(),
        String::new(),
        "{\"id\": \"A4\", \"received_at\": ".into(),
        as_variant("A5", json!({})).to_string(),
    ]
    .join("\n");
    let run = triage_with_input(&["eval", AS_POLICY, "--errors", "inline"], &input);
    run.exits(1);
    let out: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(out.len(), 5, "one line out per line in:\n{}", run.stdout);
    assert_eq!((id_of(out[0]), id_of(out[4])), ("A1".into(), "A5".into()));
    let record: Json = serde_json::from_str(out[1]).unwrap();
    assert_eq!(
        record,
        json!({"line": 2, "ticket": "NO-TIME", "error": "invalid_ticket",
               "message": "NO-TIME: received_at: is missing",
               "problems": [{"path": "received_at", "problem": "missing", "message": "is missing"}]})
    );
    assert_eq!(out[2], "", "a blank line is answered by an empty line");
    let not_json: Json = serde_json::from_str(out[3]).unwrap();
    assert_eq!(
        (&not_json["line"], &not_json["ticket"], &not_json["error"]),
        (&json!(4), &json!("A4"), &json!("not_json"))
    );
    // Still told on standard error, as without the option, which leaves the failures out.
    assert!(
        run.stderr.starts_with("line 2: NO-TIME: received_at: is missing\nline 4: A4: not valid JSON"),
        "{}",
        run.stderr
    );
    assert_summary(&run.stderr, "decided 2 of 4 tickets; 2 failed");
    let apart = triage_with_input(&["eval", AS_POLICY], &input);
    assert_eq!(apart.stdout.lines().map(id_of).collect::<Vec<_>>(), ["A1", "A5"]);
    assert_eq!(untimed(&apart.stderr), untimed(&run.stderr));
}

#[test]
fn check_warns_when_a_calendar_runs_out_within_60_days() {
    let soon = triage(&["check", "--today", "2026-11-27", "rules/calendars/cn-mainland.triage"]);
    soon.exits(0);
    assert!(soon.stderr.contains("calendar `cn_mainland` ends on 2026-12-31, in 34 days"), "{}", soon.stderr);
    assert!(soon.stderr.contains("rules/calendars/cn-mainland.triage:9:9"), "the file to extend: {}", soon.stderr);
    assert!(soon.stderr.contains("add 2027's holidays"), "{}", soon.stderr);
    let past = triage(&["check", "--today", "2027-01-02", "rules/calendars/cn-mainland.triage"]);
    assert!(past.stderr.contains("calendar `cn_mainland` ended on 2026-12-31"), "{}", past.stderr);
    let early = triage(&["check", "--today", "2026-10-01", "rules/calendars/cn-mainland.triage"]);
    assert!(early.stderr.contains("0 errors, 0 warnings"), "{}", early.stderr);
}

/// Every shipped policy's calendar extends the mainland one and ends where it does: the
/// same warning at the same line is told once, not once a policy.
#[test]
fn the_same_warning_at_the_same_place_is_told_once() {
    let run = triage(&["check", "--today", "2026-11-27", "rules/"]);
    run.exits(0);
    assert_eq!(run.stderr.matches("calendar `office` ends on 2026-12-31").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("0 errors, 2 warnings"), "{}", run.stderr);
}

#[test]
fn a_near_miss_is_warned_about_and_refused_under_strict() {
    let dir = TempDir::new("near-miss");
    let policy = dir.write(
        "revisit.triage",
        "policy revisit\n  zone Asia/Shanghai\nticket\n  id text\n  revisit.satisfied optional bool\nactions reopen\n\
         rule reopen\n  when revisit.satisfied is false\n  action reopen\n",
    );
    let ticket = r#"{"id": "R1", "revisit": {"satisifed": false}}"#;
    let lenient = triage_with_input(&["eval", &policy], ticket);
    lenient.exits(0);
    let decision: Json = serde_json::from_str(lenient.stdout.trim()).unwrap();
    assert_eq!(decision["actions"], json!([]), "read as absent");
    assert!(
        lenient.stderr.contains(
            "line 1: R1: warning: `revisit.satisifed` is not a field of the policy, did you mean `revisit.satisfied`?"
        ),
        "{}",
        lenient.stderr
    );
    let strict = triage_with_input(&["eval", &policy, "--strict"], ticket);
    strict.exits(1);
    assert_eq!(strict.stdout, "");
    assert!(
        strict
            .stderr
            .contains("R1: revisit.satisifed: is not a field of the policy; did you mean `revisit.satisfied`?"),
        "{}",
        strict.stderr
    );
}

/// miette cannot draw a label past column 65,535; such a diagnostic is still told, located,
/// with exit 1, not a crash.
#[test]
fn a_diagnostic_past_column_65535_is_told_not_a_crash() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wide-line.triage");
    let wide = " ".repeat(70_000);
    let text = format!("policy p \"P\"\n  zone Asia/Shanghai\nticket\n  id text\n  a bool\nroles r\nrule x\n  when a{wide}and b\n  route r\n");
    std::fs::write(&path, text).unwrap();
    let run = triage(&["check", path.to_str().unwrap()]);
    run.exits(1);
    assert!(run.stderr.contains("unknown field `b`") && run.stderr.contains(":8:70013"), "{}", run.stderr);
}

/// A folder without rule files is an error for every command that looks for them: a path
/// of the wrong name would otherwise pass as checked, tested or formatted.
#[test]
fn a_folder_without_rule_files_is_an_error() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-rule-files");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    for args in [vec!["check", dir], vec!["test", dir], vec!["fmt", "--check", dir]] {
        let run = triage(&args);
        run.exits(1);
        assert!(run.stderr.contains("no `.triage` file under"), "{args:?}: {}", run.stderr);
    }
}
