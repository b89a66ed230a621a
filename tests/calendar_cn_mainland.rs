//! Every date of 2024-2026 against the published State Council schedules, as recorded in
//! `tests/data/cn-mainland-2024-2026.tsv` (generated from chinesecalendar 1.11.0).

use std::path::Path;

use serde_json::json;
use triage::{Computed, Computing, EvaluationError, EvaluationErrorKind, Policy};

/// A probe policy: is noon of a date inside the national calendar's working hours?
const PROBE: &str = r#"
policy probe
  zone Asia/Shanghai
  default calendar cn_mainland

import "calendars/cn-mainland.triage"

ticket
  id  text
  at  time

rule probe
  value working = at in working hours
  deadline next_close = same day as at
"#;

fn probe() -> Policy {
    Policy::from_source("probe.triage", PROBE, Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")))
        .expect("the probe policy loads")
}

/// Whether noon of a date is working time; the first problem when the calendar cannot say.
fn working_at_noon(policy: &Policy, date: &str) -> Result<bool, Box<EvaluationError>> {
    let decision = policy.evaluate(&json!({ "id": date, "at": format!("{date}T12:00:00+08:00") })).unwrap();
    match (decision.value("working"), decision.problems().first()) {
        (Some(Computed::Bool(working)), None) => Ok(working),
        (None, Some(problem)) => Err(Box::new(problem.clone())),
        (value, problem) => panic!("{date}: `working` is {value:?} and the problem {problem:?}"),
    }
}

#[test]
fn every_date_of_2024_to_2026_matches_the_published_schedule() {
    let policy = probe();
    let data =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-mainland-2024-2026.tsv")).unwrap();
    let rows: Vec<(&str, &str)> = data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("date"))
        .map(|l| l.split_once('\t').expect("date<TAB>status"))
        .collect();
    assert_eq!(rows.len(), 1096, "three years, one a leap year");
    let mismatches: Vec<String> = rows
        .iter()
        .filter(|(date, status)| working_at_noon(&policy, date).unwrap() != (*status == "working"))
        .map(|(date, status)| format!("{date}: expected {status}"))
        .collect();
    assert!(mismatches.is_empty(), "dates that disagree with the schedule:\n{}", mismatches.join("\n"));
}

#[test]
fn make_up_days_and_holidays_are_what_the_notices_say() {
    let policy = probe();
    // 2024-09-29 is a Sunday worked for National Day; 2024-10-01 is a Tuesday off.
    assert!(working_at_noon(&policy, "2024-09-29").unwrap());
    assert!(!working_at_noon(&policy, "2024-10-01").unwrap());
    // 2025-01-28..02-04 is the Spring Festival; 2025-02-08 a Saturday worked.
    assert!(!working_at_noon(&policy, "2025-02-03").unwrap());
    assert!(working_at_noon(&policy, "2025-02-08").unwrap());
    // An ordinary Saturday is off.
    assert!(!working_at_noon(&policy, "2026-03-07").unwrap());
}

#[test]
fn dates_outside_the_calendar_are_problems_naming_the_calendar_the_date_and_the_file() {
    let policy = probe();
    for date in ["2023-12-31", "2027-01-01"] {
        let problem = working_at_noon(&policy, date).unwrap_err();
        assert_eq!(problem.computing, Computing::Value("working".into()));
        let EvaluationErrorKind::OutsideCalendar(outside) = &problem.kind else { panic!("{problem:?}") };
        assert_eq!(&*outside.calendar, "cn_mainland");
        assert_eq!(outside.date.to_string(), date);
        assert!(outside.years_set_in.ends_with("calendars/cn-mainland.triage:9:9"), "{}", outside.years_set_in);
        assert_eq!(outside.shortfall, None, "the ticket's own date is outside");
        let message = problem.to_string();
        assert!(message.contains("cn_mainland") && message.contains(date), "{message}");
    }
    // The last working day of 2026 has closed; the next one is not known.
    let decision = policy.evaluate(&json!({ "id": "late", "at": "2026-12-31T19:00:00+08:00" })).unwrap();
    assert_eq!(decision.deadline("next_close"), None);
    assert_eq!(decision.value("working"), Some(Computed::Bool(false)), "what can be decided still is");
    let [problem] = decision.problems() else { panic!("one problem: {:?}", decision.problems()) };
    assert_eq!(problem.computing, Computing::Deadline("next_close".into()));
    let EvaluationErrorKind::OutsideCalendar(outside) = &problem.kind else { panic!("{problem:?}") };
    assert_eq!(outside.date.to_string(), "2027-01-01");
    assert_eq!(outside.shortfall.map(|s| (s.missing, s.of)), Some((1, 1)));
}
