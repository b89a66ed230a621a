//! Every date of 2024-2026 against the published State Council schedules, as recorded in
//! `tests/data/cn-mainland-2024-2026.tsv` (generated from chinesecalendar 1.11.0).

use std::path::Path;

use serde_json::json;
use triage::{EvalError, Policy};

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

fn working_at_noon(policy: &Policy, date: &str) -> Result<bool, EvalError> {
    let decision = policy.evaluate(&json!({ "id": date, "at": format!("{date}T12:00:00+08:00") }))?;
    Ok(decision.values.get("working").and_then(|v| v.as_bool()).expect("the probe always reports `working`"))
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
fn dates_outside_the_calendar_are_errors_naming_the_calendar_and_date() {
    let policy = probe();
    for date in ["2023-12-31", "2027-01-01"] {
        let err = working_at_noon(&policy, date).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("cn_mainland"), "{message}");
        assert!(message.contains(date), "{message}");
        assert!(matches!(err, EvalError::Calendar(_)));
    }
    // The last working day of 2026 closes inside the calendar, but the next one is not known.
    let err = policy.evaluate(&json!({ "id": "late", "at": "2026-12-31T19:00:00+08:00" })).unwrap_err();
    assert!(err.to_string().contains("2027-01-01"), "{err}");
}
