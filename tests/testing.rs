//! Policy tests written in the language (`test "…" given … expect …`): each expectation form
//! made to pass and to fail, as `Policy::run_tests` (and so `triage test`) reports it.

use std::path::Path;

use triage::{Failure, Policy, TestOutcome};

/// A small policy over a monthly record with bounds, and deadlines with and without warnings.
const POLICY: &str = r#"
policy month
  zone Asia/Shanghai

record
  id           text
  received_at  time
  urgent       bool
  complaints   int >= 0
  completed    int >= 0, <= complaints
  repeats      int >= 0, <= complaints

actions rectify

rule urgent_response
  when urgent
  deadline respond = received_at + 2 h, warn at 75%

rule general_response
  when not urgent
  deadline respond = received_at + 8 h

rule repeats_followed_up
  when repeats > 0
  deadline follow_up = received_at + 24 h, warn 2 h before

rule late
  when completed < complaints
  action rectify
"#;

/// The outcomes of `tests`, written after the policy, in file order.
fn run(tests: &str) -> Vec<TestOutcome> {
    let policy = Policy::from_source("month.triage", &format!("{POLICY}{tests}"), Path::new("."))
        .unwrap_or_else(|d| panic!("the policy loads: {d}"));
    policy.run_tests().outcomes
}

/// The one test of `test`, run.
fn outcome(test: &str) -> TestOutcome {
    let mut outcomes = run(test);
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    outcomes.remove(0)
}

/// The one failure of the one test of `test`, as (expected, actual).
fn failure(test: &str) -> (String, String) {
    let outcome = outcome(test);
    assert_eq!(outcome.error, None, "decided: {outcome:?}");
    match &outcome.failures[..] {
        [Failure { expected, actual, .. }] => (expected.clone(), actual.clone()),
        other => panic!("one failing expectation expected, got {other:?}"),
    }
}

fn assert_passes(test: &str) {
    let outcome = outcome(test);
    assert!(outcome.passed(), "{outcome:?}");
}

// ---------------------------------------------------------------- no warn

#[test]
fn no_warn_holds_for_a_deadline_set_without_a_warning() {
    assert_passes(
        r#"
test "a general ticket's response carries no warning"
  given received_at = 2024-05-10 10:30
  expect deadline respond = 2024-05-10 18:30, no warn respond
"#,
    );
}

#[test]
fn no_warn_holds_for_a_deadline_not_set_at_all() {
    assert_passes(
        r#"
test "no repeats, no follow-up, no warning of it"
  given received_at = 2024-05-10 10:30
  expect no deadline follow_up, no warn follow_up
"#,
    );
}

#[test]
fn no_warn_fails_naming_the_warnings_there_are() {
    let (expected, actual) = failure(
        r#"
test "an urgent ticket's response warns"
  given received_at = 2024-05-10 10:30, urgent = true
  expect no warn respond
"#,
    );
    assert_eq!(expected, "no warn respond");
    assert_eq!(actual, "warn respond = 2024-05-10T12:00:00+08:00");
    let (expected, actual) = failure(
        r#"
test "a follow-up warns two hours before"
  given received_at = 2024-05-10 10:30, complaints = 2, repeats = 1
  expect deadline follow_up = 2024-05-11 10:30, no warn follow_up
"#,
    );
    assert_eq!(
        (expected.as_str(), actual.as_str()),
        ("no warn follow_up", "warn follow_up = 2024-05-11T08:30:00+08:00")
    );
}

#[test]
fn warn_at_a_time_fails_as_no_warn_when_there_is_none() {
    let (expected, actual) = failure(
        r#"
test "a general ticket does not warn"
  given received_at = 2024-05-10 10:30
  expect warn respond = 2024-05-10 16:30
"#,
    );
    assert_eq!(expected, "warn respond = 2024-05-10T16:30:00+08:00");
    assert_eq!(actual, "no warn respond");
}

#[test]
fn no_warn_and_warn_sit_in_one_expect() {
    let outcomes = run(r#"
test "urgent: the response warns, and no follow-up"
  given received_at = 2024-05-10 10:30, urgent = true
  expect warn respond = 2024-05-10 12:00, no warn follow_up

test "general: neither warns"
  given received_at = 2024-05-10 10:30
  expect no warn respond, no warn follow_up
"#);
    assert!(outcomes.iter().all(TestOutcome::passed), "{outcomes:?}");
}

// ---------------------------------------------------------------- expect refused

#[test]
fn refused_holds_when_the_reader_refuses_the_field_named() {
    assert_passes(
        r#"
test "more completed than complaints is refused"
  given complaints = 3, completed = 9
  expect refused completed
"#,
    );
}

#[test]
fn refused_names_every_field_at_fault_in_any_order_in_one_expectation_or_several() {
    // complaints = -1 breaks its own bound, and puts `completed` (0) and `repeats` (2) above
    // their whole: three fields at fault, one of them not given at all.
    let outcomes = run(r#"
test "in schema order"
  given complaints = -1, repeats = 2
  expect refused complaints, completed, repeats

test "in another order"
  given complaints = -1, repeats = 2
  expect refused repeats, complaints, completed

test "one field an expectation"
  given complaints = -1, repeats = 2
  expect refused repeats
  expect refused complaints, refused completed

test "a field named twice is named"
  given complaints = -1, repeats = 2
  expect refused repeats, complaints, completed, repeats
"#);
    assert_eq!(outcomes.len(), 4);
    assert!(outcomes.iter().all(TestOutcome::passed), "{outcomes:?}");
}

#[test]
fn a_field_that_breaks_two_bounds_is_one_field_at_fault() {
    // completed = -1 is below 0 and above complaints (-5); repeats (0) is above it too.
    assert_passes(
        r#"
test "two bounds broken by one field"
  given complaints = -5, completed = -1
  expect refused complaints, completed, repeats
"#,
    );
}

#[test]
fn refused_fails_when_the_ticket_is_accepted() {
    let (expected, actual) = failure(
        r#"
test "a part equal to its whole is refused"
  given complaints = 3, completed = 3
  expect refused completed
"#,
    );
    assert_eq!(expected, "refused completed");
    assert_eq!(actual, "accepted: no field breaks its bounds");
}

#[test]
fn refused_fails_when_another_field_is_refused_too() {
    let (expected, actual) = failure(
        r#"
test "more completed than complaints"
  given complaints = 3, completed = 9, repeats = 5
  expect refused completed
"#,
    );
    assert_eq!(expected, "refused completed");
    assert_eq!(
        actual,
        "refused completed, repeats (completed: is 9, and must be at most `complaints` (3); \
         repeats: is 5, and must be at most `complaints` (3))"
    );
}

#[test]
fn refused_fails_when_a_field_named_is_not_refused() {
    let (expected, actual) = failure(
        r#"
test "repeats are within their whole"
  given complaints = 3, completed = 9, repeats = 3
  expect refused completed, repeats
"#,
    );
    assert_eq!(expected, "refused completed, repeats");
    assert_eq!(actual, "refused completed (completed: is 9, and must be at most `complaints` (3))");
}

#[test]
fn the_failure_of_several_refused_expectations_is_reported_once_at_the_first() {
    let outcome = outcome(
        r#"
test "negative counts"
  given complaints = 3, completed = -1
  expect refused complaints
  expect refused completed
"#,
    );
    assert_eq!(outcome.failures.len(), 1, "{outcome:?}");
    let failure = &outcome.failures[0];
    assert!(failure.location.ends_with(":33:10"), "{}", failure.location);
    assert_eq!(failure.expected, "refused complaints, completed");
    assert_eq!(failure.actual, "refused completed (completed: is -1, and must be at least 0)");
}

#[test]
fn a_test_of_refusal_decides_nothing_so_it_covers_no_rule() {
    let policy = Policy::from_source(
        "month.triage",
        &format!("{POLICY}\ntest \"refused\"\n  given complaints = 1, completed = 2\n  expect refused completed\n"),
        Path::new("."),
    )
    .unwrap();
    let report = policy.run_tests();
    assert_eq!((report.passed(), report.failed()), (1, 0), "{:?}", report.outcomes);
    let uncovered: Vec<&str> = report.uncovered.iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(uncovered, ["urgent_response", "general_response", "repeats_followed_up", "late"]);
}

/// A folder removed when dropped.
struct Folder(std::path::PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The outcomes of `tests`, written after the policy, in a folder beside a base record
/// `base.json` (10 complaints, 8 completed, 1 repeat), and which rules no test fired.
fn with_base_record(name: &str, tests: &str) -> triage::TestReport {
    let dir = Folder(std::env::temp_dir().join(format!("triage-testing-{name}-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let base = r#"{"id": "M/2024-05", "received_at": "2024-05-10T10:30:00+08:00", "urgent": false,
                   "complaints": 10, "completed": 8, "repeats": 1}"#;
    std::fs::write(dir.0.join("base.json"), base).unwrap();
    std::fs::write(dir.0.join("month.triage"), format!("{POLICY}{tests}")).unwrap();
    let policy = Policy::from_file(dir.0.join("month.triage")).unwrap_or_else(|d| panic!("the policy loads: {d}"));
    policy.run_tests()
}

#[test]
fn refused_is_judged_on_a_base_record_with_the_values_given_over_it() {
    let report = with_base_record(
        "refused",
        r#"
test "the base record is accepted"
  given ticket "base.json"
  expect action rectify

test "more repeats than the base record's complaints"
  given ticket "base.json", repeats = 11
  expect refused repeats

test "fewer complaints than the base record's completions and repeats"
  given ticket "base.json", complaints = 7
  expect refused completed

test "no complaints: the base record's completions and repeats are refused"
  given ticket "base.json", complaints = 0
  expect refused completed

test "a base record given nothing out of bounds is accepted"
  given ticket "base.json", completed = 10
  expect refused completed
"#,
    );
    let outcomes = report.outcomes;
    let passed: Vec<bool> = outcomes.iter().map(TestOutcome::passed).collect();
    assert_eq!(passed, [true, true, true, false, false], "{outcomes:?}");
    assert_eq!(
        outcomes[3].failures[0].actual,
        "refused completed, repeats (completed: is 8, and must be at most `complaints` (0); \
         repeats: is 1, and must be at most `complaints` (0))"
    );
    assert_eq!(outcomes[4].failures[0].actual, "accepted: no field breaks its bounds");
}

#[test]
fn refused_stays_free_for_a_field_name() {
    // `refused` is recognised by position only: a field may have the name, even the first
    // field `expect refused` names.
    let policy = r#"
policy callbacks
  zone Asia/Shanghai
ticket
  id        text
  refused   int >= 0
  attempts  int >= 0, <= refused
actions stop
rule enough
  when refused > 2
  action stop

test "three refusals stop the calls"
  given refused = 3
  expect action stop

test "a negative count is refused"
  given refused = -1
  expect refused refused, attempts
"#;
    let report = Policy::from_source("callbacks.triage", policy, Path::new(".")).unwrap().run_tests();
    assert_eq!((report.passed(), report.failed()), (2, 0), "{:?}", report.outcomes);
}

// ---------------------------------------------------------------- a given ticket the reader refuses

#[test]
fn a_base_record_made_out_of_bounds_is_not_decided_and_the_test_fails_saying_why() {
    let report = with_base_record(
        "out-of-bounds",
        r#"
test "fewer complaints than the base record's completions"
  given ticket "base.json", complaints = 7
  expect action rectify
"#,
    );
    let outcome = &report.outcomes[0];
    assert!(!outcome.passed());
    assert!(outcome.failures.is_empty(), "nothing is decided, so nothing is compared: {outcome:?}");
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            "the reader refuses this ticket: completed: is 8, and must be at most `complaints` (7); \
             to test the refusal, write `expect refused completed` and expect nothing else"
        )
    );
    // Not decided, so `late` (which a decision would fire) is not covered by it.
    assert!(report.uncovered.iter().any(|(name, ..)| name == "late"), "{:?}", report.uncovered);
}

#[test]
fn a_given_ticket_out_of_bounds_does_not_load() {
    let text = format!("{POLICY}\ntest \"more completed than complaints\"\n  given complaints = 3, completed = 9\n  expect no action rectify\n");
    let errors = Policy::from_source("month.triage", &text, Path::new(".")).expect_err("refused at check time");
    let codes: Vec<String> = errors.errors().map(|d| d.code()).collect();
    assert_eq!(codes, ["triage::out_of_bounds"]);
}
