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
