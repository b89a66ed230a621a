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

fn shipped(name: &str) -> Policy {
    Policy::from_file(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/rules")).join(format!("{name}.triage")))
        .unwrap_or_else(|e| panic!("{name} loads: {e}"))
}

fn example(name: &str) -> serde_json::Value {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tickets")).join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The fields a record is refused for, in schema order, each once: `None` when it is decided.
fn refused_for(policy: &Policy, record: &serde_json::Value) -> Option<(Option<String>, Vec<String>)> {
    match policy.prepare(record) {
        Ok(_) => None,
        Err(e) => {
            let mut paths: Vec<String> = e.problems.iter().map(|p| p.path.clone()).collect();
            paths.dedup();
            assert!(
                e.problems.iter().all(|p| p.kind.code() == "out_of_bounds"),
                "only the record constraints are broken: {e}"
            );
            Some((e.ticket, paths))
        }
    }
}

/// domain.md §3: counts are non-negative, and each part listed is at most its whole; a record
/// that breaks this is refused with its id and every field at fault, never decided. The
/// policies' own tests say so with `expect refused`; this checks the reader on JSON records.
#[test]
fn monthly_records_that_break_the_digest_constraints_are_refused_naming_every_field() {
    let kpi = shipped("hotline-kpi");
    let base = example("ec5-all-on-target.json");
    assert_eq!(refused_for(&kpi, &base), None, "the base record is decided");
    let with = |changes: &[(&str, i64)]| {
        let mut r = base.clone();
        for (field, n) in changes {
            r[*field] = serde_json::json!(n);
        }
        r
    };
    let id = Some("HL/2024-06".to_string());
    // The repeat rate of a month with more repeats than complaints was once -166.67 %.
    let more_repeats = with(&[("complaints", 3), ("complaints_replied_in_time", 3), ("repeat_complaints", 8)]);
    assert_eq!(refused_for(&kpi, &more_repeats), Some((id.clone(), vec!["repeat_complaints".to_string()])));
    // Each pair of the digest, broken alone by one.
    for (part, whole) in [
        ("consultations_replied", "consultations"),
        ("consultations_replied_in_time", "consultations_replied"),
        ("satisfied_consultations", "consultations"),
        ("complaints_replied_in_time", "complaints"),
        ("repeat_complaints", "complaints"),
        ("cross_province_satisfied", "cross_province_complaints"),
        ("key_account_satisfied", "key_account_complaints"),
        ("calls_connected", "calls_offered"),
        ("manual_answered", "manual_requests"),
    ] {
        let over = base[whole].as_i64().unwrap() + 1;
        let refused = refused_for(&kpi, &with(&[(part, over)]));
        assert_eq!(refused, Some((id.clone(), vec![part.to_string()])), "{part} > {whole}");
        // Equal is allowed.
        let equal = with(&[(part, base[whole].as_i64().unwrap())]);
        assert_eq!(refused_for(&kpi, &equal), None, "{part} = {whole} is decided");
    }
    // Negative counts, every field at fault named.
    let negative = with(&[("consultations", -1), ("calls_offered", -5), ("manual_answered", -2)]);
    let (ticket, fields) = refused_for(&kpi, &negative).expect("refused");
    assert_eq!(ticket, id);
    for field in ["consultations", "calls_offered", "manual_answered"] {
        assert!(fields.contains(&field.to_string()), "{field}: {fields:?}");
    }
    // consultations -1 also puts every consultation part above its whole.
    for field in ["consultations_replied", "satisfied_consultations"] {
        assert!(fields.contains(&field.to_string()), "{field}: {fields:?}");
    }
    // The shipped examples are all valid records.
    for name in ["ec5-2024-05.json", "ec5-bad-month.json", "ec5-quiet-month.json"] {
        assert_eq!(refused_for(&kpi, &example(name)), None, "{name}");
    }

    let partners = shipped("si-partner-assessment");
    let base = example("si13-three-bad-months.json");
    assert_eq!(refused_for(&partners, &base), None);
    let mut late = base.clone();
    late["completed_in_time"] = serde_json::json!(611);
    assert_eq!(
        refused_for(&partners, &late),
        Some((Some("SI-0042/2024-05".to_string()), vec!["completed_in_time".to_string()]))
    );
    late["completed_in_time"] = serde_json::json!(610);
    assert_eq!(refused_for(&partners, &late), None, "all completed in time is allowed");
    let mut negative = base.clone();
    for field in ["group_customers", "complaints", "consecutive_months_at_or_above_5"] {
        negative[field] = serde_json::json!(-1);
    }
    let (_, fields) = refused_for(&partners, &negative).expect("refused");
    assert_eq!(fields, ["group_customers", "complaints", "completed_in_time", "consecutive_months_at_or_above_5"]);
    for name in ["si13-compliant-partner.json", "si13-no-group-customers.json", "si13-overloaded-late.json"] {
        assert_eq!(refused_for(&partners, &example(name)), None, "{name}");
    }
}

/// The problems of a decision as (deadline, error) pairs, in order.
fn problems(decision: &triage::Decision<'_>) -> Vec<(String, String)> {
    let json = serde_json::to_value(decision).unwrap();
    json["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["deadline"].as_str().unwrap_or_default().to_string(), p["error"].as_str().unwrap().to_string()))
        .collect()
}

/// PM-6 at the calendar's edge (domain.md §2): a `forward` deadline the calendar cannot
/// reckon is a problem, and so are `handle` and `reply`, which are reckoned from it; they never
/// fall back to receipt. Everything else is still decided.
#[test]
fn pm6_limits_anchored_on_a_forward_past_the_calendar_are_problems_too() {
    let policy = shipped("property-complaints");
    let mut ticket = example("pm-online-friday-evening.json");
    // After closing on the last day the calendar knows: the next opening is in 2027.
    ticket["received_at"] = serde_json::json!("2026-12-31T19:00:00+08:00");
    let d = policy.evaluate(&ticket).unwrap();
    assert_eq!(
        problems(&d),
        [
            ("forward".to_string(), "outside_calendar".to_string()),
            ("handle".to_string(), "anchored_on_problem".to_string()),
            ("reply".to_string(), "anchored_on_problem".to_string()),
        ]
    );
    assert!(d.deadline("handle").is_none() && d.deadline("reply").is_none());
    assert_eq!(d.actions().collect::<Vec<_>>(), ["notify_office_head", "feedback_to_cs_center"]);

    // Once the office's receipt is known, the reply runs from it; handling that evening still
    // needs the next working day, which the calendar does not know.
    ticket["forwarded_at"] = serde_json::json!("2026-12-31T19:30:00+08:00");
    let d = policy.evaluate(&ticket).unwrap();
    assert_eq!(
        problems(&d),
        [
            ("forward".to_string(), "outside_calendar".to_string()),
            ("handle".to_string(), "outside_calendar".to_string()),
        ]
    );
    assert_eq!(d.deadline("reply").unwrap().to_string(), "2027-01-01T19:30:00+08:00");

    // A visit in working hours on that day has no forward limit: all is reckoned.
    ticket["forwarded_at"] = serde_json::Value::Null;
    ticket["channel"] = serde_json::json!("visit");
    ticket["received_at"] = serde_json::json!("2026-12-31T10:00:00+08:00");
    let d = policy.evaluate(&ticket).unwrap();
    assert!(d.problems().is_empty(), "{:?}", d.problems());
    assert_eq!(d.deadline("handle").unwrap().to_string(), "2026-12-31T18:00:00+08:00");
    assert_eq!(d.deadline("reply").unwrap().to_string(), "2027-01-01T10:00:00+08:00");
}

/// AS-12 warns before every deadline of grades I and II, and of no other grade. The policy's
/// own tests say it of grade III with `expect no warn`; this checks it over the JSON a host
/// reads, every deadline against the warnings.
#[test]
fn as12_general_tickets_carry_no_warnings_and_urgent_ones_warn_on_every_deadline() {
    let policy = shipped("after-sales-quality");
    let mut ticket = example("as-air-conditioner-completed.json");
    for (repeat, normal_use, safety, warned) in [
        (false, false, false, false),
        (true, false, false, true),
        (false, true, false, true),
        (false, false, true, true),
    ] {
        ticket["repeat_failure"] = serde_json::json!(repeat);
        ticket["impact"]["normal_use"] = serde_json::json!(normal_use);
        ticket["impact"]["safety"] = serde_json::json!(safety);
        ticket["complex"] = serde_json::json!(true);
        let d = policy.evaluate(&ticket).unwrap();
        assert!(d.problems().is_empty(), "{:?}", d.problems());
        let deadlines: Vec<&str> = d.deadlines().map(|(name, _)| name).collect();
        let json = serde_json::to_value(&d).unwrap();
        let warnings = json["warnings"].as_object().unwrap();
        if warned {
            let mut names: Vec<&str> = warnings.keys().map(String::as_str).collect();
            let mut deadlines = deadlines.clone();
            names.sort_unstable();
            deadlines.sort_unstable();
            assert_eq!(names, deadlines, "grade {:?}: every deadline warns", d.grade());
        } else {
            assert_eq!(d.grade(), Some("III"));
            assert_eq!(deadlines, ["respond", "resolve", "resolve_extended", "feedback"]);
            assert!(warnings.is_empty(), "grade III warns: {warnings:?}");
        }
    }
}

/// The deadlines reckoned from later facts (AS-6's extension, AS-8's feedback, SI-10's visits)
/// at the calendar's edge (domain.md §2): what the calendar cannot reckon is a problem naming
/// the deadline, and the rest of the decision stands.
#[test]
fn deadlines_from_later_facts_past_the_calendar_are_problems() {
    let after_sales = shipped("after-sales-quality");
    let mut ticket = example("as-air-conditioner-completed.json");
    // A complex general problem received on Thursday 2026-12-24: 3 working days end on
    // 12-29, 7 need 2027; completed on the last day, its feedback needs 2027 too.
    ticket["repeat_failure"] = serde_json::json!(false);
    ticket["impact"]["normal_use"] = serde_json::Value::Null;
    ticket["complex"] = serde_json::json!(true);
    ticket["received_at"] = serde_json::json!("2026-12-24T10:30:00+08:00");
    ticket["completed_at"] = serde_json::json!("2026-12-31T17:00:00+08:00");
    let d = after_sales.evaluate(&ticket).unwrap();
    assert_eq!(
        problems(&d),
        [
            ("resolve_extended".to_string(), "outside_calendar".to_string()),
            ("feedback".to_string(), "outside_calendar".to_string())
        ]
    );
    assert_eq!(d.deadline("resolve").unwrap().to_string(), "2026-12-29T18:00:00+08:00");
    assert!(d.actions().any(|a| a == "notify_customer_of_extension"));

    let si = shipped("si-partners");
    let mut request = example("si-onsite-second-visit.json");
    request["received_at"] = serde_json::json!("2026-12-28T10:00:00+08:00");
    request["need_confirmed_at"] = serde_json::json!("2026-12-30T10:00:00+08:00");
    request["first_visit_at"] = serde_json::json!("2026-12-29T15:00:00+08:00");
    let d = si.evaluate(&request).unwrap();
    assert_eq!(
        problems(&d),
        [
            ("arrive".to_string(), "outside_calendar".to_string()),
            ("second_visit".to_string(), "outside_calendar".to_string())
        ]
    );
    assert_eq!(d.deadline("reply").unwrap().to_string(), "2026-12-29T18:00:00+08:00");
    // Without the confirmation, the visit runs from receipt: 12-29 and 12-30.
    request["need_confirmed_at"] = serde_json::Value::Null;
    let d = si.evaluate(&request).unwrap();
    assert_eq!(d.deadline("arrive").unwrap().to_string(), "2026-12-30T18:00:00+08:00");
    assert_eq!(problems(&d), [("second_visit".to_string(), "outside_calendar".to_string())]);
}

/// The canonical ticket of domain.md §3, as the digest gives it.
const CANONICAL: &str = r#"{
  "id": "SN20240510001",
  "kind": "complaint",
  "received_at": "2024-05-10T10:30:00+08:00",
  "channel": "online",
  "source": "customer",
  "customer": { "tier": "normal", "region": "dongguan" },
  "category": ["efficiency"],
  "agents": ["A1024"],
  "agent_departed": false,
  "open_service_complaints": 1,
  "specialist_complainer": false,
  "prior_complaints": 0,
  "repeat_of": null,
  "soothing_attempted": true,
  "soothed": false,
  "second_chance_offers": 1,
  "agent_fault": true,
  "impact": { "safety": false, "data_loss": false, "group_incident": false, "media": false, "major_loss": false, "systemic": false },
  "repeat_failure": false,
  "promise_broken": false,
  "handling_rounds": 0,
  "escalating": false,
  "score": 0,
  "urgency": "normal",
  "scope": "si_only",
  "demands": ["explanation"],
  "onsite": false,
  "overcharge": "12.50",
  "notified_at": null,
  "picked_up_at": "2024-05-10T11:00:00+08:00",
  "callback": { "attempts": 0, "refused": false },
  "transcript": ""
}"#;

/// The facts learnt later in a ticket's life (domain.md §3's second table): optional in every
/// shipped policy.
const LATER_FACTS: &[&str] = &[
    "callback.accepted",
    "receiver_can_resolve",
    "forwarded_at",
    "reply_delayed",
    "unresolvable",
    "open_at_year_end",
    "difficulties",
    "need_confirmed_at",
    "first_visit_at",
    "second_visit_needed",
    "revisit.satisfied",
    "answer_found_wrong",
    "impact.normal_use",
    "complex",
    "completed_at",
];

/// The shipped policies that decide tickets (not monthly records).
const TICKET_POLICIES: &[&str] =
    &["after-sales-quality", "dongguan-service-quality", "hotline-standard", "property-complaints", "si-partners"];

/// domain.md §3: a ticket in the canonical shape, with none of the later facts, is decided by
/// every shipped policy, and so is every example ticket with its later facts removed; none of
/// them is required.
#[test]
fn the_canonical_ticket_and_every_example_without_its_later_facts_are_decided() {
    let canonical: serde_json::Value = serde_json::from_str(CANONICAL).unwrap();
    for name in TICKET_POLICIES {
        let policy = shipped(name);
        let d = policy.evaluate(&canonical).unwrap_or_else(|e| panic!("{name} refuses the canonical ticket: {e}"));
        assert!(d.problems().is_empty(), "{name}: {:?}", d.problems());
    }

    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tickets"));
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(name) =
            [("as-", "after-sales-quality"), ("dg-", "dongguan-service-quality"), ("pm-", "property-complaints")]
                .into_iter()
                .chain([("si-", "si-partners"), ("ec-", "hotline-standard")])
                .find(|(prefix, _)| file.starts_with(prefix))
                .map(|(_, name)| name)
        else {
            continue; // monthly records: si13-, ec5-
        };
        let mut ticket = example(&file);
        let mut removed = 0;
        for fact in LATER_FACTS {
            let (parent, key) = match fact.split_once('.') {
                Some((parent, key)) => (ticket.get_mut(parent), key),
                None => (Some(&mut ticket), *fact),
            };
            if let Some(object) = parent.and_then(serde_json::Value::as_object_mut) {
                removed += usize::from(object.remove(key).is_some());
            }
        }
        let policy = shipped(name);
        let d = policy.evaluate(&ticket).unwrap_or_else(|e| panic!("{file} without its {removed} later facts: {e}"));
        assert!(d.problems().is_empty(), "{file}: {:?}", d.problems());
        // And the canonical ticket's fields are all a policy needs: each example also decides
        // with every later fact set to null.
        let mut nulled = example(&file);
        for fact in LATER_FACTS {
            if let Some(value) = nulled.pointer_mut(&format!("/{}", fact.replace('.', "/"))) {
                *value = serde_json::Value::Null;
            }
        }
        policy.evaluate(&nulled).unwrap_or_else(|e| panic!("{file} with its later facts null: {e}"));
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} example tickets");
}
