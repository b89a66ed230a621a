//! Decisions in words, as reviewed snapshots: `explain` of whole decisions in the policies'
//! own labels, and `why` of each kind of part, present and absent, at every trace level,
//! with the errors for names a policy does not declare.

use serde_json::{json, Value as Json};
use triage::{explain, why, Policy, TraceLevel, WhyPart};

const DG: &str = "dongguan-service-quality";
const AS: &str = "after-sales-quality";

fn policy(name: &str) -> Policy {
    // Relative to the crate root, where tests run, so that locations read the same on every
    // machine.
    let path = format!("rules/{name}.triage");
    Policy::from_file(&path).unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

/// An example ticket with some of its fields changed (dotted paths reach into objects).
fn ticket(example: &str, changes: Json) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tickets").join(example);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut ticket: Json = serde_json::from_str(&text).unwrap();
    for (path, value) in changes.as_object().expect("changes are an object") {
        let mut at = &mut ticket;
        for segment in path.split('.') {
            at = &mut at[segment];
        }
        *at = value.clone();
    }
    ticket
}

/// The words `f` makes of the decision of `ticket` under `policy`, decided at `level`.
fn words<T>(
    policy: &Policy,
    ticket: &Json,
    level: TraceLevel,
    f: impl FnOnce(&Policy, &triage::Decision<'_>) -> T,
) -> T {
    let prepared = policy.prepare(ticket).unwrap_or_else(|e| panic!("ticket not decided: {e}"));
    let decision = policy.decide(&prepared, level);
    f(policy, &decision)
}

fn explained(policy_name: &str, ticket: &Json) -> String {
    words(&policy(policy_name), ticket, TraceLevel::Full, explain)
}

/// `why` of one part, written as the REPL's `:why` takes it, at a trace level.
fn why_at(policy_name: &str, ticket: &Json, part: &str, level: TraceLevel) -> Result<String, String> {
    let part: WhyPart = part.parse().unwrap_or_else(|e| panic!("`{part}` does not parse: {e}"));
    words(&policy(policy_name), ticket, level, |p, d| why(p, d, &part))
}

/// `why` of one part of a decision made with the full trace.
fn why_full(policy_name: &str, ticket: &Json, part: &str) -> String {
    why_at(policy_name, ticket, part, TraceLevel::Full).unwrap_or_else(|e| panic!("`{part}` is not explained: {e}"))
}

fn unknown(policy_name: &str, ticket: &Json, part: &str) -> String {
    match why_at(policy_name, ticket, part, TraceLevel::Full) {
        Ok(words) => panic!("`{part}` should be unknown, got:\n{words}"),
        Err(e) => e,
    }
}

fn apology() -> Json {
    ticket("dg-apology-callback.json", json!({}))
}

fn gotone() -> Json {
    ticket("dg-gotone-exempt.json", json!({}))
}

fn air_conditioner() -> Json {
    ticket("as-air-conditioner.json", json!({}))
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_speaks_the_dongguan_policys_labels_with_facts_as_a_tree() {
    let words = explained(DG, &apology());
    assert!(words.contains("综援室 (complaint_support)"), "{words}");
    assert!(words.contains("     because:\n       ticket_opened = true\n         service_quality = true\n"), "{words}");
    assert!(words.contains("callback  Fri 2024-05-10 21:00 (+08:00), end of window calls"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn explain_names_the_exemption_and_what_it_dropped() {
    insta::assert_snapshot!(explained(DG, &gotone()));
}

#[test]
fn explain_counts_the_working_days_of_an_after_sales_deadline() {
    let words = explained(AS, &air_conditioner());
    assert!(words.contains("resolve  Thu 2024-05-16 18:00 (+08:00), 5 working days"), "{words}");
    assert!(words.contains("warn at Wed 2024-05-15 09:00 (+08:00)"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn explain_names_the_holidays_a_count_of_working_days_passed_over() {
    let ticket = ticket("as-air-conditioner.json", json!({"received_at": "2024-04-30T10:30:00+08:00"}));
    let words = explained(AS, &ticket);
    assert!(words.contains("passed over Wed 2024-05-01 to Sun 2024-05-05 (劳动节)"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn explain_at_the_rules_level_says_the_facts_need_the_full_trace() {
    insta::assert_snapshot!(words(&policy(AS), &air_conditioner(), TraceLevel::Rules, explain));
}

#[test]
fn explain_without_a_trace_gives_the_outcome_and_says_why_is_not_recorded() {
    insta::assert_snapshot!(words(&policy(DG), &apology(), TraceLevel::None, explain));
}

// ---------------------------------------------------------------- why: present

#[test]
fn why_grade_names_the_rule_that_set_it() {
    insta::assert_snapshot!(why_full(AS, &air_conditioner(), "grade"));
}

#[test]
fn why_grade_of_the_default_lists_the_rules_that_set_one() {
    let ticket = ticket("as-air-conditioner.json", json!({"repeat_failure": false}));
    insta::assert_snapshot!(why_full(AS, &ticket, "grade"));
}

#[test]
fn why_grade_of_a_policy_without_grades() {
    insta::assert_snapshot!(why_full(DG, &apology(), "grade"), @"no grade: this policy has no grades");
}

#[test]
fn why_route_names_the_rule_behind_each_role() {
    insta::assert_snapshot!(why_full(DG, &apology(), "route"));
}

#[test]
fn why_route_when_nothing_routes() {
    let praise = ticket("dg-apology-callback.json", json!({"kind": "praise"}));
    insta::assert_snapshot!(why_full(DG, &praise, "route"));
}

#[test]
fn why_action_names_the_rule_that_triggered_it_and_its_facts() {
    insta::assert_snapshot!(why_full(DG, &apology(), "action apology_callback"));
}

#[test]
fn why_deadline_tells_how_the_working_days_were_counted() {
    insta::assert_snapshot!(why_full(AS, &air_conditioner(), "deadline resolve"));
}

#[test]
fn why_deadline_of_a_window() {
    insta::assert_snapshot!(why_full(DG, &apology(), "deadline callback"));
}

#[test]
fn why_exempt_gives_the_reason_and_the_facts() {
    insta::assert_snapshot!(why_full(DG, &gotone(), "exempt high_value_customer"));
}

#[test]
fn why_value_gives_the_rule_and_the_value_as_written() {
    insta::assert_snapshot!(why_full(DG, &apology(), "value first_call"));
}

// ---------------------------------------------------------------- why: absent

#[test]
fn why_action_exempted() {
    let words = why_full(DG, &gotone(), "action apology_callback");
    assert!(
        words.starts_with(
            "action apology_callback was triggered by rule apology_calls but exempted by high_value_customer because "
        ),
        "{words}"
    );
    insta::assert_snapshot!(words);
}

#[test]
fn why_action_not_triggered_lists_the_rules_that_would() {
    let words = why_full(DG, &apology(), "action record_withdrawal");
    assert!(words.starts_with("no rule triggered action record_withdrawal for this ticket"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn why_deadline_held_back_by_its_statements_own_when() {
    // `deadline resolve = received_at + 24 h when scope is partial`: not for the operator's part.
    let operator = ticket("si-partial-scope.json", json!({"scope": "operator"}));
    let words = why_full("si-partners", &operator, "deadline resolve");
    assert!(words.contains("fired, but `when scope is partial` did not hold"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn why_deadline_no_rule_sets() {
    let words = why_full(AS, &air_conditioner(), "deadline feedback");
    assert!(words.starts_with("no rule sets deadline feedback for this ticket"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn why_deadline_dropped_with_its_exempted_action() {
    insta::assert_snapshot!(why_full(DG, &gotone(), "deadline callback"));
}

#[test]
fn why_deadline_without_the_time_it_is_reckoned_from() {
    let unnotified = ticket("dg-apology-callback.json", json!({"notified_at": null}));
    insta::assert_snapshot!(why_full(DG, &unnotified, "deadline callback"));
}

#[test]
fn why_deadline_past_the_calendar() {
    let late = ticket("as-air-conditioner.json", json!({"received_at": "2026-12-28T10:30:00+08:00"}));
    insta::assert_snapshot!(why_full(AS, &late, "deadline resolve"));
}

#[test]
fn why_exempt_whose_condition_did_not_hold() {
    insta::assert_snapshot!(why_full(DG, &apology(), "exempt high_value_customer"));
}

#[test]
fn why_exempt_with_nothing_to_remove() {
    let withdrawn = ticket("dg-soothed-withdrawal.json", json!({"customer.tier": "vip"}));
    insta::assert_snapshot!(why_full(DG, &withdrawn, "exempt high_value_customer"));
}

#[test]
fn why_value_dropped_with_its_exempted_action() {
    let words = why_full(DG, &gotone(), "value calls_left");
    assert!(words.starts_with("value calls_left not reported: "), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn why_value_undefined() {
    let unnotified = ticket("dg-apology-callback.json", json!({"notified_at": null}));
    insta::assert_snapshot!(why_full(DG, &unnotified, "value first_call"));
}

#[test]
fn why_value_when_no_rule_that_sets_it_fired() {
    let withdrawn = ticket("dg-soothed-withdrawal.json", json!({}));
    insta::assert_snapshot!(why_full(DG, &withdrawn, "value calls_left"));
}

// ---------------------------------------------------------------- why: lower trace levels

#[test]
fn why_at_the_rules_level_answers_from_the_rules_that_fired() {
    let words = why_at(DG, &gotone(), "action apology_callback", TraceLevel::Rules).unwrap();
    assert!(words.ends_with("need the full trace)\n"), "{words}");
    insta::assert_snapshot!(words);
}

#[test]
fn why_without_a_trace_gives_the_outcome_only() {
    let words = why_at(AS, &air_conditioner(), "deadline resolve", TraceLevel::None).unwrap();
    insta::assert_snapshot!(words);
}

// ---------------------------------------------------------------- why: names and words

#[test]
fn unknown_names_are_errors_with_a_suggestion_and_the_declared_names() {
    insta::assert_snapshot!("unknown_action_near_miss", unknown(DG, &apology(), "action apolgy_callback"));
    insta::assert_snapshot!("unknown_deadline_near_miss", unknown(DG, &apology(), "deadline clos"));
    insta::assert_snapshot!("unknown_value", unknown(DG, &apology(), "value nothing_like_it"));
    insta::assert_snapshot!("unknown_exemption_an_action", unknown(DG, &apology(), "exempt apology_callback"));
    insta::assert_snapshot!("unknown_exemption_none_declared", unknown(AS, &air_conditioner(), "exempt anything"));
}

#[test]
fn parts_are_read_as_the_repl_writes_them() {
    let parts = [
        ("grade", WhyPart::Grade),
        ("route", WhyPart::Route),
        ("action apology_callback", WhyPart::Action("apology_callback".into())),
        ("deadline  resolve ", WhyPart::Deadline("resolve".into())),
        ("exempt high_value_customer", WhyPart::Exempt("high_value_customer".into())),
        ("value calls_left", WhyPart::Value("calls_left".into())),
    ];
    for (text, part) in parts {
        assert_eq!(text.parse::<WhyPart>(), Ok(part.clone()), "{text}");
        assert_eq!(part.to_string().parse::<WhyPart>(), Ok(part), "written back");
    }
    let error = |text: &str| text.parse::<WhyPart>().unwrap_err();
    insta::assert_snapshot!(error("action"), @"`action` needs a name: `action NAME`");
    insta::assert_snapshot!(error("grade II"), @"`grade` takes no name; expected `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`");
    insta::assert_snapshot!(error("grad"), @"cannot explain `grad` (did you mean `grade`?); expected `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`");
    insta::assert_snapshot!(error("action a b"), @"`action` takes one name: `action NAME`");
    insta::assert_snapshot!(error("why grade"), @"cannot explain `why grade`; expected `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`");
    insta::assert_snapshot!(error(""), @"what should be explained? expected `grade`, `route`, `action NAME`, `deadline NAME`, `exempt NAME` or `value NAME`");
}

#[test]
fn why_grade_when_no_rule_set_one_and_the_policy_has_no_default() {
    let policy = Policy::from_source(
        "small.triage",
        "policy small\n  zone Asia/Shanghai\nticket\n  id text\n  urgent bool\n\
         grades high \"紧急\" > low\nrule hot\n  when urgent\n  grade high\n",
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let calm = json!({"id": "S1", "urgent": false});
    let why_grade = words(&policy, &calm, TraceLevel::Full, |p, d| why(p, d, &WhyPart::Grade)).unwrap();
    insta::assert_snapshot!(why_grade, @r"
    grade: none: no rule that sets a grade fired, and the policy has no default
    rules that set a grade:
      rule hot: grade 紧急 (high)
    ");
    let explained = words(&policy, &calm, TraceLevel::Full, explain);
    assert!(explained.contains("  grade:      none (no rule set one, and the policy has no default)\n"), "{explained}");
}
