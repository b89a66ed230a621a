//! Decisions depend on the instant, never on the offset it was written with.

use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;
use serde_json::json;
use triage::Policy;

fn ticket(received_at: &str, safety: bool, repeat: bool) -> serde_json::Value {
    json!({
        "id": "P1", "received_at": received_at, "repeat_failure": repeat, "promise_broken": false,
        "impact": { "major_loss": false, "group_incident": false, "media": false, "safety": safety, "data_loss": false }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_same_instant_at_any_offset_gets_the_same_decision(
        seconds in 1_704_067_200i64..1_782_777_600, // 2024-01-01 .. 2026-06-30
        offset_hours in -12i32..=14,
        safety: bool,
        repeat: bool,
    ) {
        let policy = Policy::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/after-sales-quality.triage")).unwrap();
        let utc = DateTime::from_timestamp(seconds, 0).unwrap();
        let shanghai = utc.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).to_rfc3339();
        let other = utc.with_timezone(&FixedOffset::east_opt(offset_hours * 3600).unwrap()).to_rfc3339();
        let a = policy.evaluate(&ticket(&shanghai, safety, repeat)).unwrap();
        let b = policy.evaluate(&ticket(&other, safety, repeat)).unwrap();
        prop_assert_eq!(a, b);
    }
}
