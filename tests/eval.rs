//! Evaluator semantics, one behaviour per test, on small inline policies.
//!
//! `yields!(name, POLICY, {ticket}, "field" => expected)` is a whole test in one line, in
//! the spirit of jaq's `yields!`: it decides the ticket and compares one field of the
//! decision's JSON (domain.md §4) with the expected JSON.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value as Json};
use triage::{EvalError, FieldProblemKind, Policy, TraceLevel};

/// Load an inline policy; imports resolve against `rules/`, so
/// `import "calendars/cn-mainland.triage"` works.
fn policy(src: &str) -> Policy {
    Policy::from_source("t.triage", src, Path::new("rules"))
        .unwrap_or_else(|e| panic!("test policy does not load: {e}"))
}

/// The decision for a ticket, as the JSON of domain.md §4, with the trace of the rules
/// that fired.
fn decide(src: &str, ticket: Json) -> Json {
    let policy = policy(src);
    let decision = policy.evaluate(&ticket).unwrap_or_else(|e| panic!("ticket not decided: {e}"));
    // Read straight from the text, the ticket is decided alike.
    let from_text = policy.evaluate_str(&ticket.to_string()).unwrap_or_else(|e| panic!("text not decided: {e}"));
    assert_eq!(from_text, decision, "the text and the tree of {ticket} are decided differently");
    // The fast writer writes what `Serialize` does.
    let mut written = Vec::new();
    decision.write_json(&mut written);
    assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&decision).unwrap());
    serde_json::to_value(decision).expect("decisions serialise")
}

/// The decision with the full trace: the facts behind each rule and how each deadline was
/// reckoned.
fn decide_full(src: &str, ticket: Json) -> Json {
    let policy = policy(src);
    let ticket = policy.prepare(&ticket).unwrap_or_else(|e| panic!("ticket not decided: {e}"));
    serde_json::to_value(policy.decide(&ticket, TraceLevel::Full)).expect("decisions serialise")
}

/// The error for a ticket that cannot be decided, the same whether it is read from a JSON
/// tree or straight from its text.
fn reject(src: &str, ticket: Json) -> EvalError {
    let policy = policy(src);
    let from_text = policy.evaluate_str(&ticket.to_string()).map(|d| d.ticket().to_string());
    match policy.evaluate(&ticket) {
        Ok(d) => panic!("ticket should be rejected, got {d:?}"),
        Err(e) => {
            assert_eq!(from_text, Err(e.clone()), "the text of {ticket} is read differently");
            e
        }
    }
}

/// The error for a ticket given as text.
fn reject_text(src: &str, text: &str) -> EvalError {
    match policy(src).evaluate_str(text) {
        Ok(d) => panic!("ticket should be rejected, got {d:?}"),
        Err(e) => e,
    }
}

macro_rules! yields {
    ($name:ident, $policy:expr, $ticket:tt, $field:literal => $expected:tt) => {
        #[test]
        fn $name() {
            let decision = decide($policy, json!($ticket));
            assert_eq!(decision[$field], json!($expected), "decision: {decision:#}");
        }
    };
}

// ---------------------------------------------------------------- grades

const GRADES: &str = r#"
policy grading
  zone Asia/Shanghai
ticket
  id              text
  impact.safety   bool
  repeat_failure  bool
  score           int
grades I > II > III, default III
rule important [AS-4]
  when repeat_failure
  grade II
rule urgent [AS-4]
  when impact.safety
  grade I
rule minor
  when score >= 1
  grade III
"#;

yields!(grade_is_the_default_when_no_grade_rule_matches, GRADES,
    {"id": "G1", "impact": {"safety": false}, "repeat_failure": false, "score": 0}, "grade" => "III");
yields!(grade_of_the_only_matching_rule, GRADES,
    {"id": "G2", "impact": {"safety": false}, "repeat_failure": true, "score": 0}, "grade" => "II");
yields!(most_severe_grade_wins_though_its_rule_comes_later, GRADES,
    {"id": "G3", "impact": {"safety": true}, "repeat_failure": true, "score": 0}, "grade" => "I");
yields!(a_later_less_severe_grade_does_not_lower_the_grade, GRADES,
    {"id": "G4", "impact": {"safety": false}, "repeat_failure": true, "score": 5}, "grade" => "II");
yields!(the_decision_names_ticket_and_policy, GRADES,
    {"id": "G5", "impact": {"safety": false}, "repeat_failure": false, "score": 0}, "ticket" => "G5");

const NO_GRADES: &str = r#"
policy ungraded
  zone Asia/Shanghai
ticket
  id     text
  score  int
actions written_report
rule report [PM-4]
  when score >= 3
  action written_report
"#;

yields!(a_policy_without_grades_decides_a_null_grade, NO_GRADES,
    {"id": "N1", "score": 4}, "grade" => null);

#[test]
fn a_policy_without_grades_still_writes_the_grade_key() {
    let d = decide(NO_GRADES, json!({"id": "N2", "score": 0}));
    assert!(d.as_object().expect("an object").contains_key("grade"), "{d}");
    assert_eq!(d["actions"], json!([]));
    assert_eq!(d["policy"], "ungraded");
}

// ---------------------------------------------------------------- routes and actions

const ROUTES: &str = r#"
policy routing
  zone Asia/Shanghai
ticket
  id       text
  major    bool
  billing  bool
roles si_support, operator_complaint_management, operator_billing_network
actions notify_leadership, rectify, revisit
rule first [SI-4]
  route si_support
  action revisit
rule major [SI-3]
  when major
  route operator_complaint_management, si_support
  action notify_leadership, revisit
rule billing [SI-7]
  when billing
  route operator_billing_network, operator_complaint_management
  action rectify
"#;

yields!(route_is_in_rule_order_without_duplicates, ROUTES,
    {"id": "R1", "major": true, "billing": true},
    "route" => ["si_support", "operator_complaint_management", "operator_billing_network"]);
yields!(actions_are_in_rule_order_without_duplicates, ROUTES,
    {"id": "R2", "major": true, "billing": true},
    "actions" => ["revisit", "notify_leadership", "rectify"]);
yields!(rules_that_do_not_fire_add_nothing, ROUTES,
    {"id": "R3", "major": false, "billing": true},
    "route" => ["si_support", "operator_billing_network", "operator_complaint_management"]);

const GUARDED: &str = r#"
policy guarded
  zone Asia/Shanghai
ticket
  id                 text
  impact.data_loss   bool
  impact.safety      bool
roles after_sales_supervisor, technical_support, legal
rule lead [AS-5]
  route after_sales_supervisor, technical_support
  route legal when impact.data_loss or impact.safety
"#;

yields!(a_guarded_route_joins_only_when_its_guard_holds, GUARDED,
    {"id": "GR1", "impact": {"data_loss": false, "safety": true}},
    "route" => ["after_sales_supervisor", "technical_support", "legal"]);
yields!(a_guarded_route_stays_out_when_its_guard_fails, GUARDED,
    {"id": "GR2", "impact": {"data_loss": false, "safety": false}},
    "route" => ["after_sales_supervisor", "technical_support"]);

// ---------------------------------------------------------------- exemptions

const EXEMPTIONS: &str = r#"
policy exemptions
  zone Asia/Shanghai
ticket
  id                     text
  agent_fault            bool
  specialist_complainer  bool
  customer.tier          (normal, vip, gotone)
actions notify_agent_and_leader, apology_callback, apology_sms, revisit
rule fault [DG-4]
  when agent_fault
  action notify_agent_and_leader, apology_callback
rule always [EC-4]
  action revisit
exempt specialist_complainer [DG-9] from notify_agent_and_leader, apology_callback, apology_sms
  when specialist_complainer
  because "a habitual complainer"
exempt high_value_customer [DG-9] from notify_agent_and_leader, apology_callback, apology_sms
  when customer.tier in {vip, gotone}
  because "avoids several calls annoying the customer"
"#;

yields!(no_exemption_leaves_the_actions, EXEMPTIONS,
    {"id": "E1", "agent_fault": true, "specialist_complainer": false, "customer": {"tier": "normal"}},
    "actions" => ["notify_agent_and_leader", "apology_callback", "revisit"]);
yields!(an_exemption_removes_the_actions_it_covers, EXEMPTIONS,
    {"id": "E2", "agent_fault": true, "specialist_complainer": false, "customer": {"tier": "vip"}},
    "actions" => ["revisit"]);
yields!(an_exemption_that_removed_something_is_named, EXEMPTIONS,
    {"id": "E3", "agent_fault": true, "specialist_complainer": false, "customer": {"tier": "gotone"}},
    "exempt" => ["high_value_customer"]);
yields!(an_exemption_that_removed_nothing_is_not_named, EXEMPTIONS,
    {"id": "E4", "agent_fault": false, "specialist_complainer": true, "customer": {"tier": "vip"}},
    "exempt" => []);
// Every exemption that holds and covers a triggered action is named, in declaration
// order, even when an earlier one already removed that action: the decision gives every
// reason the obligation is waived (DG-9: a VIP who is also a habitual complainer).
yields!(every_exemption_covering_a_triggered_action_is_named, EXEMPTIONS,
    {"id": "E5", "agent_fault": true, "specialist_complainer": true, "customer": {"tier": "vip"}},
    "exempt" => ["specialist_complainer", "high_value_customer"]);
yields!(overlapping_exemptions_remove_each_action_once, EXEMPTIONS,
    {"id": "E5", "agent_fault": true, "specialist_complainer": true, "customer": {"tier": "vip"}},
    "actions" => ["revisit"]);

#[test]
fn an_exemption_is_traced_with_its_reason_and_what_it_removed() {
    let d = decide_full(
        EXEMPTIONS,
        json!({"id": "E6", "agent_fault": true, "specialist_complainer": true, "customer": {"tier": "normal"}}),
    );
    let trace = d["trace"].as_array().expect("a trace");
    let last = trace.last().expect("entries");
    assert_eq!(last["exemption"], "specialist_complainer");
    assert_eq!(last["clauses"], json!(["DG-9"]));
    assert_eq!(last["reason"], "a habitual complainer");
    assert_eq!(last["facts"], json!([{"field": "specialist_complainer", "value": true}]));
    assert_eq!(last["effects"], json!([{"exempt": "notify_agent_and_leader"}, {"exempt": "apology_callback"}]));
}

// ---------------------------------------------------------------- the trace

// ---------------------------------------------------------------- deadlines and values of an action

const OWNED: &str = r#"
policy owned
  zone Asia/Shanghai
ticket
  id           text
  at_fault     bool
  vip          bool
  notified_at  time
actions apology_callback
rule apology [DG-5]
  when at_fault
  action apology_callback
rule callback_deadline [DG-5]
  deadline callback for apology_callback = notified_at + 2 h
  value calls_left for apology_callback = 3
exempt high_value [DG-9] from apology_callback when vip because "no calls to VIPs"
"#;

yields!(an_owned_deadline_stands_with_its_action, OWNED,
    {"id": "O1", "at_fault": true, "vip": false, "notified_at": "2024-05-10T10:00:00+08:00"},
    "deadlines" => {"callback": "2024-05-10T12:00:00+08:00"});
yields!(an_owned_deadline_goes_when_its_action_is_exempted, OWNED,
    {"id": "O2", "at_fault": true, "vip": true, "notified_at": "2024-05-10T10:00:00+08:00"},
    "deadlines" => {});
yields!(an_owned_value_goes_when_its_action_is_not_triggered, OWNED,
    {"id": "O3", "at_fault": false, "vip": false, "notified_at": "2024-05-10T10:00:00+08:00"},
    "values" => {});

#[test]
fn dropping_an_owned_deadline_is_traced_with_the_reason() {
    let decision =
        decide(OWNED, json!({"id": "O4", "at_fault": true, "vip": true, "notified_at": "2024-05-10T10:00:00+08:00"}));
    let entry = decision["trace"].as_array().unwrap().iter().find(|e| e["rule"] == "callback_deadline").unwrap();
    let effects = entry["effects"].as_array().unwrap();
    let dropped =
        json!({"dropped": "deadline", "name": "callback", "action": "apology_callback", "because": "exempted"});
    assert!(effects.contains(&dropped), "{effects:?}");
    assert_eq!(decision["exempt"], json!(["high_value"]));
}

const TRACED: &str = r#"
policy traced
  zone Asia/Shanghai
ticket
  id              text
  impact.safety   bool
  repeat_failure  bool
  score           int
  channel         (phone, email, online)
  agent_fault     bool
grades I > II > III, default III
roles module_owner, frontline
actions written_report, apology_callback
rule important [AS-4]
  when impact.safety or repeat_failure
  grade II
rule handling [AS-5]
  when grade is II
  route module_owner
rule report [PM-4, PM-5]
  when score >= 3 and channel = phone
  action written_report
rule quiet
  when score >= 100
  route frontline
rule apologise [DG-4]
  action apology_callback
exempt no_call_by_phone [DG-9] from apology_callback
  when channel = phone and agent_fault = false
  because "no fault was found"
"#;

#[test]
fn trace_lists_fired_rules_in_evaluation_order_with_clauses_and_facts() {
    let d = decide_full(
        TRACED,
        json!({"id": "T1", "impact": {"safety": false}, "repeat_failure": true, "score": 4,
               "channel": "phone", "agent_fault": false}),
    );
    let trace = d["trace"].as_array().expect("a trace");
    let rules: Vec<&str> = trace.iter().map(|e| e["rule"].as_str().or(e["exemption"].as_str()).unwrap()).collect();
    assert_eq!(rules, ["important", "handling", "report", "apologise", "no_call_by_phone"], "{d:#}");
    // The fact that decided an `or` is the part that held.
    assert_eq!(trace[0]["facts"], json!([{"field": "repeat_failure", "value": true}]));
    assert_eq!(trace[0]["clauses"], json!(["AS-4"]));
    assert_eq!(trace[1]["facts"], json!([{"grade": "II"}]));
    // Every part of an `and`.
    assert_eq!(trace[2]["facts"], json!([{"field": "score", "value": 4}, {"field": "channel", "value": "phone"}]));
    assert_eq!(trace[2]["clauses"], json!(["PM-4", "PM-5"]));
    // A rule without a condition read nothing.
    assert_eq!(trace[3]["facts"], json!([]));
    assert_eq!(trace[3]["clauses"], json!(["DG-4"]));
    assert_eq!(trace[4]["reason"], "no fault was found");
}

#[test]
fn trace_entries_say_what_each_rule_did() {
    let d = decide_full(
        TRACED,
        json!({"id": "T2", "impact": {"safety": true}, "repeat_failure": false, "score": 0,
               "channel": "email", "agent_fault": true}),
    );
    let trace = d["trace"].as_array().expect("a trace");
    assert_eq!(trace[0]["facts"], json!([{"field": "impact.safety", "value": true}]));
    assert_eq!(trace[0]["effects"], json!([{"grade": "II"}]));
    assert_eq!(trace[1]["effects"], json!([{"route": "module_owner"}]));
    assert_eq!(trace[2]["rule"], "apologise");
    assert_eq!(trace[2]["effects"], json!([{"action": "apology_callback"}]));
    assert_eq!(trace.len(), 3, "the exemption did not apply: {d:#}");
}

#[test]
fn a_grade_rule_with_other_effects_has_one_entry_with_all_of_them() {
    let src = r#"
policy graded_routes
  zone Asia/Shanghai
ticket
  id     text
  media  bool
grades I > II, default II
roles supervisor, legal
actions notify_leadership
rule urgent [AS-4, AS-5]
  when media
  grade I
  route supervisor, legal
  action notify_leadership
"#;
    let d = decide(src, json!({"id": "T4", "media": true}));
    assert_eq!(d["trace"].as_array().map(Vec::len), Some(1), "{d:#}");
    assert_eq!(
        d["trace"][0]["effects"],
        json!([{"grade": "I"}, {"route": "supervisor"}, {"route": "legal"}, {"action": "notify_leadership"}])
    );
    assert_eq!(d["route"], json!(["supervisor", "legal"]));
}

#[test]
fn a_rule_without_clause_has_no_clauses() {
    let d = decide_full(
        TRACED,
        json!({"id": "T3", "impact": {"safety": false}, "repeat_failure": false, "score": 100,
               "channel": "email", "agent_fault": true}),
    );
    let quiet = d["trace"].as_array().unwrap().iter().find(|e| e["rule"] == "quiet").expect("`quiet` fired");
    assert_eq!(quiet["clauses"], json!([]));
    assert_eq!(quiet["facts"], json!([{"field": "score", "value": 100}]));
}

// ---------------------------------------------------------------- missing values

const OPTIONAL: &str = r#"
policy optional
  zone Asia/Shanghai
ticket
  id           text
  agent_fault  optional bool
  score        optional int
  repeat_of    optional text
actions fault, no_fault, high, low, unequal, repeat, first_time
rule fault
  when agent_fault
  action fault
rule no_fault
  when not agent_fault
  action no_fault
rule high
  when score >= 3
  action high
rule low
  when score < 3
  action low
rule unequal
  when score != 3
  action unequal
rule repeat [SI-2]
  when repeat_of is set
  action repeat
rule first_time
  when repeat_of is missing
  action first_time
"#;

yields!(an_absent_optional_field_fires_only_is_missing, OPTIONAL,
    {"id": "O1"}, "actions" => ["first_time"]);
yields!(a_null_optional_field_is_missing_too, OPTIONAL,
    {"id": "O2", "agent_fault": null, "score": null, "repeat_of": null}, "actions" => ["first_time"]);
yields!(a_present_optional_field_is_compared, OPTIONAL,
    {"id": "O3", "agent_fault": false, "score": 2, "repeat_of": "SN1"},
    "actions" => ["no_fault", "low", "unequal", "repeat"]);

// ---------------------------------------------------------------- numbers

const RATES: &str = r#"
policy rates
  zone Asia/Shanghai
record
  id               text
  group_customers  int
  complaints       int
actions rectify
let per_customer = complaints / group_customers
rule assess [SI-13]
  value complaints_per_group_customer = round(per_customer, 2)
  action rectify when per_customer >= 5
"#;

yields!(division_by_zero_gives_no_value, RATES,
    {"id": "P0", "group_customers": 0, "complaints": 12}, "values" => {});
yields!(division_by_zero_gives_no_finding, RATES,
    {"id": "P0", "group_customers": 0, "complaints": 12}, "actions" => []);
yields!(rounding_is_half_up_for_the_reported_value, RATES,
    {"id": "P1", "group_customers": 400, "complaints": 1999},
    "values" => {"complaints_per_group_customer": "5.00"});
yields!(thresholds_compare_the_exact_ratio_not_the_rounded_one, RATES,
    {"id": "P1", "group_customers": 400, "complaints": 1999}, "actions" => []);
yields!(the_threshold_itself_is_reached, RATES,
    {"id": "P2", "group_customers": 400, "complaints": 2000}, "actions" => ["rectify"]);
yields!(half_way_rounds_up_not_to_even, RATES,
    {"id": "P3", "group_customers": 200, "complaints": 469},
    "values" => {"complaints_per_group_customer": "2.35"});
yields!(rounded_values_keep_their_places, RATES,
    {"id": "P4", "group_customers": 4, "complaints": 12},
    "values" => {"complaints_per_group_customer": "3.00"});

#[test]
fn round_half_up_of_4_9975_is_5_00_and_4_9975_is_below_5() {
    let src = r#"
policy literal
  zone Asia/Shanghai
ticket
  id text
actions at_or_above
rule r
  value rounded = round(4.9975, 2)
  action at_or_above when 4.9975 >= 5
"#;
    let d = decide(src, json!({"id": "L1"}));
    assert_eq!(d["values"]["rounded"], "5.00");
    assert_eq!(d["actions"], json!([]));
}

const MONEY: &str = r#"
policy money
  zone Asia/Shanghai
ticket
  id          text
  overcharge  decimal
actions double_refund
rule refund [SI-11]
  when overcharge > 0
  value refund = 2 * overcharge
  value fees = overcharge + 0.1 + 0.2
  action double_refund
"#;

yields!(decimals_are_exact_and_reported_as_text, MONEY,
    {"id": "M1", "overcharge": "12.50"}, "values" => {"refund": "25.00", "fees": "12.80"});
yields!(binary_fractions_stay_exact, MONEY,
    {"id": "M2", "overcharge": "0.10"}, "values" => {"refund": "0.20", "fees": "0.40"});
yields!(a_whole_json_number_is_a_decimal_too, MONEY,
    {"id": "M3", "overcharge": 7}, "values" => {"refund": "14", "fees": "7.3"});
yields!(a_zero_overcharge_fires_nothing, MONEY,
    {"id": "M4", "overcharge": "0.00"}, "actions" => []);

// ---------------------------------------------------------------- text and sets

const PHRASES: &str = r#"
policy phrases
  zone Asia/Shanghai
ticket
  id          text
  transcript  text
actions qa_review, withdrawal_plea
rule buck_passing [EC-8]
  when transcript mentions "这是规定,我有什么办法"
  action qa_review
rule plea [DG-10]
  when transcript mentions {"请你撤消投诉", "请你不要投诉"}
  action withdrawal_plea
"#;

yields!(mentions_ignores_full_width_punctuation, PHRASES,
    {"id": "F1", "transcript": "嗯，这是规定，我有什么办法。"}, "actions" => ["qa_review"]);
yields!(mentions_ignores_missing_punctuation, PHRASES,
    {"id": "F2", "transcript": "这是规定我有什么办法"}, "actions" => ["qa_review"]);
yields!(mentions_ignores_spaces, PHRASES,
    {"id": "F3", "transcript": "这是 规定 ， 我有什么 办法！"}, "actions" => ["qa_review"]);
yields!(mentions_needs_the_same_words, PHRASES,
    {"id": "F4", "transcript": "这是规定，你有什么办法"}, "actions" => []);
yields!(mentions_any_phrase_of_a_set, PHRASES,
    {"id": "F5", "transcript": "我们会处理，请你，不要投诉好吗"}, "actions" => ["withdrawal_plea"]);

const SETS: &str = r#"
policy sets
  zone Asia/Shanghai
ticket
  id             text
  customer.tier  (normal, vip, gotone, key_account)
  category       set of (billing, network, attitude, other)
  agents         set of text
actions high_value, ordinary, operator, no_network, named_agent, several_agents
rule high_value [DG-9]
  when customer.tier in {vip, gotone}
  action high_value
rule ordinary
  when customer.tier not in {vip, gotone}
  action ordinary
rule operator [SI-7]
  when category has billing
  action operator
rule no_network
  when category lacks network
  action no_network
rule named_agent
  when agents has "A1024"
  action named_agent
rule several_agents [DG-9]
  when count(agents) > 1
  action several_agents
"#;

yields!(in_a_set_of_enum_values, SETS,
    {"id": "S1", "customer": {"tier": "gotone"}, "category": [], "agents": []},
    "actions" => ["high_value", "no_network"]);
yields!(not_in_a_set_of_enum_values, SETS,
    {"id": "S2", "customer": {"tier": "key_account"}, "category": ["network"], "agents": []},
    "actions" => ["ordinary"]);
yields!(has_and_lacks_on_a_set_of_enum_values, SETS,
    {"id": "S3", "customer": {"tier": "normal"}, "category": ["billing", "attitude"], "agents": []},
    "actions" => ["ordinary", "operator", "no_network"]);
yields!(has_and_count_on_a_set_of_texts, SETS,
    {"id": "S4", "customer": {"tier": "normal"}, "category": ["network"], "agents": ["A1024", "A2048"]},
    "actions" => ["ordinary", "named_agent", "several_agents"]);
yields!(duplicates_in_a_set_count_once, SETS,
    {"id": "S5", "customer": {"tier": "normal"}, "category": ["network"], "agents": ["A7", "A7"]},
    "actions" => ["ordinary"]);

// ---------------------------------------------------------------- time

const CLOCK: &str = r#"
policy clock
  zone Asia/Shanghai
  default calendar office
import "calendars/cn-mainland.triage"
calendar office extends cn_mainland
  hours mon-fri 09:00-18:00
  window calls 08:30-12:00, 14:30-21:00
ticket
  id           text
  received_at  time
  notified_at  optional time
grades I > II, default II
actions outside_hours
rule urgent
  when received_at < 2024-05-10 12:00
  grade I
rule deadlines [AS-5, AS-6, PM-5, DG-5, EC-3]
  deadline respond  = received_at + 2 h
  deadline resolve  = received_at + 5 working days, warn 1 working day before
  deadline close    = received_at + 72 h, warn at 75%
  deadline forward  = received_at + 1 working hour
  deadline answer   = received_at + 2 days
  deadline today    = same day as received_at
  deadline callback = end of window calls from notified_at
rule off_hours [PM-5]
  when not (received_at in working hours)
  action outside_hours
"#;

fn deadlines_of(received_at: &str, notified_at: Json) -> Json {
    decide(CLOCK, json!({"id": "C1", "received_at": received_at, "notified_at": notified_at}))
}

#[test]
fn clock_and_working_deadlines_of_the_seed_example() {
    let d = deadlines_of("2024-05-10T10:30:00+08:00", json!("2024-05-10T11:00:00+08:00"));
    let deadlines = &d["deadlines"];
    assert_eq!(deadlines["respond"], "2024-05-10T12:30:00+08:00");
    // 05-11 is a make-up working Saturday: it counts.
    assert_eq!(deadlines["resolve"], "2024-05-16T18:00:00+08:00");
    assert_eq!(d["warnings"]["resolve"], json!(["2024-05-15T09:00:00+08:00"]));
    assert_eq!(deadlines["close"], "2024-05-13T10:30:00+08:00");
    assert_eq!(d["warnings"]["close"], json!(["2024-05-12T16:30:00+08:00"]));
    assert_eq!(deadlines["forward"], "2024-05-10T11:30:00+08:00");
    // `N days`: the day itself is not counted; 24:00 of the second day after.
    assert_eq!(deadlines["answer"], "2024-05-13T00:00:00+08:00");
    assert_eq!(deadlines["today"], "2024-05-10T18:00:00+08:00");
    assert_eq!(deadlines["callback"], "2024-05-10T21:00:00+08:00");
    assert_eq!(d["grade"], "I", "a time literal without offset is in the policy's zone");
    assert_eq!(d["actions"], json!([]));
}

#[test]
fn deadline_keys_are_in_the_order_the_policy_sets_them() {
    let policy = policy(CLOCK);
    let ticket =
        json!({"id": "K1", "received_at": "2024-05-10T10:30:00+08:00", "notified_at": "2024-05-10T11:00:00+08:00"});
    let decision = policy.evaluate(&ticket).unwrap();
    let order = ["respond", "resolve", "close", "forward", "answer", "today", "callback"];
    assert_eq!(decision.deadlines().map(|(name, _)| name).collect::<Vec<_>>(), order);
    // And so in the JSON text (a JSON map read back by a library may reorder its keys).
    let text = serde_json::to_string(&decision).unwrap();
    let at: Vec<usize> = order.iter().map(|d| text.find(&format!("\"{d}\":\"2024")).expect(d)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn instants_are_shown_in_the_policy_zone_whatever_the_ticket_offset() {
    // 02:30 UTC is 10:30 in Shanghai.
    let d = deadlines_of("2024-05-10T02:30:00Z", Json::Null);
    assert_eq!(d["deadlines"]["respond"], "2024-05-10T12:30:00+08:00");
    assert_eq!(d["grade"], "I");
}

#[test]
fn working_hours_are_half_open() {
    // 18:00 sharp on a Friday is outside working hours; the next opening is the make-up
    // Saturday 2024-05-11 at 09:00.
    let d = deadlines_of("2024-05-10T18:00:00+08:00", Json::Null);
    assert_eq!(d["actions"], json!(["outside_hours"]));
    assert_eq!(d["deadlines"]["forward"], "2024-05-11T10:00:00+08:00");
    assert_eq!(d["deadlines"]["today"], "2024-05-11T18:00:00+08:00");
    let d = deadlines_of("2024-05-13T09:00:00+08:00", Json::Null);
    assert_eq!(d["actions"], json!([]), "09:00 is inside");
    assert_eq!(d["deadlines"]["forward"], "2024-05-13T10:00:00+08:00");
}

#[test]
fn holidays_are_not_working_hours_and_make_up_days_are() {
    // National Day.
    let d = deadlines_of("2024-10-01T10:00:00+08:00", Json::Null);
    assert_eq!(d["actions"], json!(["outside_hours"]));
    assert_eq!(d["deadlines"]["forward"], "2024-10-08T10:00:00+08:00");
    assert_eq!(d["deadlines"]["today"], "2024-10-08T18:00:00+08:00");
    // The Labour Day make-up Saturday.
    let d = deadlines_of("2024-05-11T10:00:00+08:00", Json::Null);
    assert_eq!(d["actions"], json!([]));
    assert_eq!(d["deadlines"]["forward"], "2024-05-11T11:00:00+08:00");
}

#[test]
fn a_missing_start_time_sets_no_deadline() {
    let d = deadlines_of("2024-05-10T10:30:00+08:00", Json::Null);
    let deadlines = d["deadlines"].as_object().unwrap();
    assert!(!deadlines.contains_key("callback"), "{d:#}");
    assert!(deadlines.contains_key("respond"));
}

#[test]
fn call_windows_end_at_the_last_window_of_the_day_or_of_the_next_after_21_00() {
    let d = deadlines_of("2024-05-10T10:30:00+08:00", json!("2024-05-10T20:59:00+08:00"));
    assert_eq!(d["deadlines"]["callback"], "2024-05-10T21:00:00+08:00");
    let d = deadlines_of("2024-05-10T10:30:00+08:00", json!("2024-05-10T21:00:00+08:00"));
    assert_eq!(d["deadlines"]["callback"], "2024-05-11T21:00:00+08:00");
}

#[test]
fn a_date_outside_the_calendar_leaves_out_what_needs_it_and_decides_the_rest() {
    let d = decide(CLOCK, json!({"id": "FAR", "received_at": "2027-03-01T10:00:00+08:00"}));
    assert_eq!(d["ticket"], "FAR");
    assert_eq!(d["grade"], "II");
    // Clock time and calendar days need no calendar.
    assert_eq!(
        d["deadlines"],
        json!({"respond": "2027-03-01T12:00:00+08:00", "close": "2027-03-04T10:00:00+08:00",
               "answer": "2027-03-04T00:00:00+08:00"})
    );
    let problems = d["problems"].as_array().expect("problems");
    let named: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p["computing"].as_str().or(p["deadline"].as_str()).unwrap(), p["error"].as_str().unwrap()))
        .collect();
    // The off-hours condition cannot be reckoned either, so it is unknown and does not fire.
    assert_eq!(
        named,
        [
            ("resolve", "outside_calendar"),
            ("forward", "outside_calendar"),
            ("today", "outside_calendar"),
            ("condition", "outside_calendar")
        ],
        "{d:#}"
    );
    assert_eq!(d["actions"], json!([]));
    for p in problems {
        assert_eq!(p["calendar"], "office");
        assert_eq!(p["date_needed"], "2027-03-01", "the ticket's own date is the one needed: {p}");
        assert!(p["years_set_in"].as_str().unwrap().ends_with("calendars/cn-mainland.triage:9:9"), "{p}");
    }
}

const AGREED: &str = r#"
policy agreed
  zone Asia/Shanghai
ticket
  id           text
  received_at  time
  agreed       duration
rule answer [EC-2]
  deadline answer = received_at + agreed
"#;

yields!(a_duration_from_the_ticket_sets_a_deadline, AGREED,
    {"id": "A1", "received_at": "2024-05-10T10:30:00+08:00", "agreed": "90 min"},
    "deadlines" => {"answer": "2024-05-10T12:00:00+08:00"});

#[test]
fn a_duration_too_long_for_the_calendar_of_time_is_an_error_not_a_panic() {
    // Two trillion hours is a well-formed duration; the deadline cannot be represented.
    let ticket = json!({"id": "A2", "received_at": "2024-05-10T10:30:00+08:00",
                        "agreed": "2000000000000 h"});
    let policy = policy(AGREED);
    let result = std::panic::catch_unwind(|| policy.evaluate(&ticket));
    let result = result.unwrap_or_else(|_| panic!("evaluating ticket A2 panicked"));
    let error = result.expect_err("no instant is that far away");
    assert_eq!(error.ticket(), Some("A2"));
}

#[test]
fn a_policy_duration_longer_than_a_hundred_years_is_rejected_when_checked() {
    let src = r#"
policy far
  zone Asia/Shanghai
ticket
  id           text
  received_at  time
rule r
  deadline far = received_at + 999999999 days
"#;
    let errors = Policy::from_source("t.triage", src, Path::new("rules")).expect_err("the checker rejects it");
    let codes: Vec<String> = errors.iter().map(|d| d.code()).collect();
    assert_eq!(codes, ["triage::invalid_literal"], "{errors}");
}

// ---------------------------------------------------------------- tickets

const TICKET: &str = r#"
policy tickets
  zone Asia/Shanghai
ticket
  id             text
  received_at    time
  customer.tier  (normal, vip, gotone)
  score          int
  overcharge     decimal
  repeat_of      optional text
actions check
rule uses_everything
  when received_at > 2024-01-01 and customer.tier = vip and score > 0 and overcharge > 0
    and repeat_of is set
  action check
"#;

fn good_ticket() -> Json {
    json!({"id": "SN1", "received_at": "2024-05-10T10:30:00+08:00",
           "customer": {"tier": "normal"}, "score": 0, "overcharge": "0"})
}

fn with(field: &[&str], value: Json) -> Json {
    let mut t = good_ticket();
    let mut node = &mut t;
    for segment in &field[..field.len() - 1] {
        node = &mut node[*segment];
    }
    node[field[field.len() - 1]] = value;
    t
}

#[test]
fn the_good_ticket_is_decided() {
    let d = decide(TICKET, good_ticket());
    assert_eq!(d["ticket"], "SN1");
}

#[test]
fn an_unknown_enum_value_names_id_field_path_and_the_values() {
    let e = reject(TICKET, with(&["customer", "tier"], json!("platinum")));
    assert_eq!(e.to_string(), r#"SN1: customer.tier: "platinum" is not one of normal, vip, gotone"#);
    assert_eq!(e.ticket(), Some("SN1"));
    let EvalError::Ticket(t) = &e else { panic!("a ticket error: {e:?}") };
    assert_eq!(t.problems.len(), 1);
    assert_eq!(t.problems[0].path, "customer.tier");
}

#[test]
fn a_missing_required_field_is_named() {
    let mut t = good_ticket();
    t.as_object_mut().unwrap().remove("score");
    let e = reject(TICKET, t);
    let text = e.to_string();
    assert!(text.starts_with("SN1: score: "), "{text}");
    assert!(text.contains("missing"), "{text}");
}

#[test]
fn a_missing_nested_object_names_the_field_path() {
    let mut t = good_ticket();
    t.as_object_mut().unwrap().remove("customer");
    let text = reject(TICKET, t).to_string();
    assert!(text.starts_with("SN1: customer.tier: "), "{text}");
}

#[test]
fn a_null_required_field_is_rejected() {
    let text = reject(TICKET, with(&["score"], Json::Null)).to_string();
    assert!(text.starts_with("SN1: score: "), "{text}");
}

#[test]
fn a_wrong_type_is_named_with_what_was_found() {
    let text = reject(TICKET, with(&["score"], json!("3"))).to_string();
    assert!(text.starts_with("SN1: score: "), "{text}");
    assert!(text.contains("whole number"), "{text}");
}

#[test]
fn a_float_for_a_decimal_is_rejected() {
    let text = reject(TICKET, with(&["overcharge"], json!(12.5))).to_string();
    assert!(text.starts_with("SN1: overcharge: "), "{text}");
    assert!(text.contains("\"12.5\""), "the message shows how to write it: {text}");
}

#[test]
fn a_time_without_offset_is_rejected() {
    let text = reject(TICKET, with(&["received_at"], json!("2024-05-10T10:30:00"))).to_string();
    assert!(text.starts_with("SN1: received_at: "), "{text}");
    assert!(text.contains("offset"), "{text}");
}

#[test]
fn every_problem_of_a_ticket_is_reported() {
    let mut t = with(&["score"], json!(1.5));
    t["customer"]["tier"] = json!("platinum");
    let EvalError::Ticket(e) = reject(TICKET, t) else { panic!("a ticket error") };
    let paths: Vec<&str> = e.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["customer.tier", "score"]);
}

#[test]
fn an_unknown_value_in_a_set_of_enum_values_is_named() {
    let text = reject(
        SETS,
        json!({"id": "S9", "customer": {"tier": "normal"}, "category": ["billing", "roaming"], "agents": []}),
    )
    .to_string();
    assert_eq!(text, r#"S9: category: "roaming" is not one of billing, network, attitude, other"#);
}

#[test]
fn a_ticket_that_is_not_an_object_is_rejected() {
    let e = reject(TICKET, json!(["SN1"]));
    assert_eq!(e.to_string(), "expected a JSON object, found a list");
    assert_eq!(reject(TICKET, json!("SN1")).to_string(), "expected a JSON object, found a text");
}

#[test]
fn text_that_is_not_json_is_rejected_with_line_and_column() {
    let e = reject_text(TICKET, "{\"id\": \"SN1\",\n  \"score\": 3,,}");
    let EvalError::Ticket(t) = &e else { panic!("a ticket error: {e:?}") };
    let [problem] = &t.problems[..] else { panic!("one problem: {t:?}") };
    let FieldProblemKind::Syntax { line, column, .. } = problem.kind else { panic!("a syntax error: {problem:?}") };
    assert_eq!((line, column), (2, 14));
    assert_eq!(t.ticket.as_deref(), Some("SN1"), "the id was read before the mistake");
    assert!(e.to_string().starts_with("SN1: not valid JSON at line 2, column 14: "), "{e}");
    let trailing = reject_text(TICKET, &format!("{} {{}}", good_ticket()));
    assert!(trailing.to_string().contains("trailing characters"), "{trailing}");
}

#[test]
fn a_key_given_twice_is_rejected_naming_it() {
    let twice = r#"{"id": "SN1", "received_at": "2024-05-10T10:30:00+08:00", "customer": {"tier": "normal"},
                    "score": 0, "score": 3, "overcharge": "0"}"#;
    assert_eq!(reject_text(TICKET, twice).to_string(), "SN1: score: is given twice; give it once");
    // A group given twice is as ambiguous, even when its two halves name different fields.
    let group = r#"{"id": "SN1", "received_at": "2024-05-10T10:30:00+08:00", "customer": {"tier": "normal"},
                    "customer": {"region": "dongguan"}, "score": 0, "overcharge": "0"}"#;
    assert_eq!(reject_text(TICKET, group).to_string(), "SN1: customer: is given twice; give it once");
}

#[test]
fn reading_text_skips_what_the_policy_does_not_declare_however_deep() {
    let mut deep = json!(1);
    for _ in 0..100 {
        deep = json!({"a": [deep, "x", null, 1.5e300]});
    }
    let mut t = good_ticket();
    t["attachments"] = deep;
    t["customer"]["history"] = json!([{"tier": "vip"}]);
    t["score"] = json!(4);
    let d = decide(TICKET, t);
    assert_eq!(d["ticket"], "SN1");
}

#[test]
fn a_group_that_is_not_an_object_reads_as_absent() {
    let e = reject(TICKET, with(&["customer"], json!("vip")));
    assert_eq!(e.to_string(), "SN1: customer.tier: is missing");
}

#[test]
fn a_list_of_the_wrong_things_is_named() {
    let e = reject(
        SETS,
        json!({"id": "S9", "customer": {"tier": "normal"}, "category": ["billing", 3], "agents": [{"id": 1}]}),
    );
    assert_eq!(
        e.to_string(),
        "S9: category: expected a list of texts, found a number in it; S9: agents: expected a list of texts, found an object in it"
    );
}

#[test]
fn unknown_extra_fields_are_ignored() {
    let mut t = good_ticket();
    t["summary"] = json!("空调制冷效果差");
    t["customer"]["region"] = json!("dongguan");
    t["impact"] = json!({"media": true});
    assert_eq!(decide(TICKET, t), decide(TICKET, good_ticket()));
}

// ---------------------------------------------------------------- typed tickets

#[derive(Serialize)]
struct Impact {
    safety: bool,
    data_loss: bool,
}

#[derive(Serialize)]
struct AfterSalesTicket {
    id: String,
    received_at: String,
    impact: Impact,
    repeat_failure: bool,
    agent_fault: Option<bool>,
}

const TYPED: &str = r#"
policy typed
  zone Asia/Shanghai
ticket
  id              text
  received_at     time
  impact.safety   bool
  impact.data_loss bool
  repeat_failure  bool
  agent_fault     optional bool
grades I > II > III, default III
roles after_sales_supervisor, legal
rule urgent [AS-4]
  when impact.safety or impact.data_loss
  grade I
rule important [AS-4]
  when repeat_failure
  grade II
rule lead [AS-5]
  when grade is I
  route after_sales_supervisor
  route legal when impact.safety
  deadline respond = received_at + 2 h
rule verified
  when agent_fault is set
"#;

#[test]
fn evaluate_typed_takes_a_serde_struct() {
    let ticket = AfterSalesTicket {
        id: "SN20240510002".into(),
        received_at: "2024-05-10T10:30:00+08:00".into(),
        impact: Impact { safety: true, data_loss: false },
        repeat_failure: true,
        agent_fault: None,
    };
    let policy = policy(TYPED);
    let typed = policy.evaluate_typed(&ticket).expect("decided");
    assert_eq!(typed.grade(), Some("I"));
    assert_eq!(typed.route().collect::<Vec<_>>(), ["after_sales_supervisor", "legal"]);
    assert_eq!(typed.deadline("respond").map(|d| d.to_string()).as_deref(), Some("2024-05-10T12:30:00+08:00"));
    let fired: Vec<&str> = typed.trace().map(|t| t.name()).collect();
    assert_eq!(fired, ["urgent", "important", "lead"], "None is missing, so `verified` does not fire");
    // The same ticket as JSON gets the same decision.
    let json = serde_json::to_value(&ticket).unwrap();
    assert_eq!(policy.evaluate(&json).expect("decided"), typed);
}

#[test]
fn evaluate_typed_rejects_a_struct_that_does_not_match() {
    #[derive(Serialize)]
    struct Partial {
        id: &'static str,
    }
    let e = policy(TYPED).evaluate_typed(&Partial { id: "P9" }).expect_err("fields are missing");
    assert_eq!(e.ticket(), Some("P9"));
    assert!(e.to_string().contains("received_at"), "{e}");
}

// ---------------------------------------------------------------- sharing

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Policy>();
    shareable::<triage::Decision<'static>>();
    shareable::<triage::PreparedTicket>();
    shareable::<EvalError>();
};

#[test]
fn evaluating_from_several_threads_gives_identical_decisions() {
    let policy = policy(CLOCK);
    let tickets: Vec<Json> = (0..40)
        .map(|i| {
            json!({"id": format!("TH{i}"),
                   "received_at": format!("2024-05-{:02}T{:02}:15:00+08:00", 6 + i % 20, 7 + i % 14),
                   "notified_at": if i % 3 == 0 { Json::Null } else { json!("2024-05-10T20:00:00+08:00") }})
        })
        .collect();
    let alone: Vec<_> = tickets.iter().map(|t| policy.evaluate(t).expect("decided")).collect();
    let together: Vec<Vec<_>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (policy, tickets) = (&policy, &tickets);
                s.spawn(move || tickets.iter().map(|t| policy.evaluate(t).expect("decided")).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("no panic")).collect()
    });
    for decisions in together {
        assert_eq!(decisions, alone);
    }
}

const LONG_UNITS: &str = r#"
policy long_units
  zone Asia/Shanghai
ticket
  id           text
  received_at  time
rule due
  deadline a = received_at + 2 hours
  deadline b = received_at + 1 hour + 30 minutes
  deadline c = received_at + 1 minute
"#;

yields!(hours_and_minutes_may_be_written_out, LONG_UNITS,
    {"id": "L1", "received_at": "2024-05-10T10:00:00+08:00"},
    "deadlines" => {"a": "2024-05-10T12:00:00+08:00", "b": "2024-05-10T11:30:00+08:00", "c": "2024-05-10T10:01:00+08:00"});

const PHRASES_FROM_THE_TICKET: &str = r#"
policy phrases_from_ticket
  zone Asia/Shanghai
ticket
  id          text
  transcript  text
  banned      set of text
actions qa_review
rule banned_phrase [EC-8]
  when transcript mentions banned
  action qa_review
"#;

yields!(phrases_may_come_from_the_ticket, PHRASES_FROM_THE_TICKET,
    {"id": "P1", "transcript": "这是规定，我有什么办法。", "banned": ["你到XX部门问问吧", "这是规定,我有什么办法"]},
    "actions" => ["qa_review"]);
yields!(phrases_from_the_ticket_that_are_absent_do_not_fire, PHRASES_FROM_THE_TICKET,
    {"id": "P2", "transcript": "您好，请问还有其它问题吗", "banned": ["你到XX部门问问吧"]},
    "actions" => []);
yields!(phrases_from_the_ticket_have_xx_of_one_clause, PHRASES_FROM_THE_TICKET,
    {"id": "P3", "transcript": "不怪你，你不是说错了，是系统问题，好吗？", "banned": ["你不是说XX吗"]},
    "actions" => []);
yields!(phrases_from_the_ticket_ignore_symbols_and_widths, PHRASES_FROM_THE_TICKET,
    {"id": "P4", "transcript": "请联系ＶＩＰ😀专席", "banned": ["请联系VIP专席"]},
    "actions" => ["qa_review"]);

const NOT_AFTER: &str = r#"
policy not_after
  zone Asia/Shanghai
ticket
  id          text
  transcript  text
  banned      set of text
  urgent      bool
actions qa_review, urgent_review
rule withdrawal_request [DG-10]
  when transcript mentions {"撤销{0-8}投诉"} not after {"是否", "确认"} and not urgent
  action qa_review
rule banned_phrase [EC-8]
  when transcript mentions banned not after {"是否"} or urgent
  action urgent_review
"#;

yields!(not_after_leaves_out_the_confirmation, NOT_AFTER,
    {"id": "N1", "transcript": "请问您是否撤销投诉？", "banned": [], "urgent": false}, "actions" => []);
yields!(not_after_keeps_a_request_beside_it, NOT_AFTER,
    {"id": "N2", "transcript": "请问您是否撤销投诉？那您撤销一下投诉吧", "banned": [], "urgent": false},
    "actions" => ["qa_review"]);
yields!(not_after_ends_where_the_condition_goes_on, NOT_AFTER,
    {"id": "N3", "transcript": "您撤销投诉吧", "banned": [], "urgent": true}, "actions" => ["urgent_review"]);
yields!(not_after_applies_to_phrases_from_the_ticket, NOT_AFTER,
    {"id": "N4", "transcript": "您是否撤销投诉", "banned": ["撤销{0-2}投诉"], "urgent": false}, "actions" => []);
yields!(a_bounded_gap_from_the_ticket_is_a_gap, NOT_AFTER,
    {"id": "N5", "transcript": "您就撤销了投诉", "banned": ["撤销{0-2}投诉"], "urgent": false},
    "actions" => ["qa_review", "urgent_review"]);

// ---------------------------------------------------------------- overflow

const OVERFLOW: &str = r#"
policy overflow
  zone Asia/Shanghai
ticket
  id     text
  count  int
  times  int
  money  decimal
actions big
rule product [SI-13]
  value product = count * times
  value money_times = money * 1000000
rule check
  when count * times > 0
  action big
"#;

#[test]
fn an_overflow_is_a_problem_never_a_silent_unknown() {
    let d = decide(
        OVERFLOW,
        json!({"id": "OV1", "count": 4611686018427387904_i64, "times": 4, "money": "79228162514264337593543950"}),
    );
    assert_eq!(d["values"], json!({}), "{d:#}");
    assert_eq!(d["actions"], json!([]));
    let problems: Vec<(&str, &str, &str)> = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["error"].as_str().unwrap(), p["rule"].as_str().unwrap(), p["op"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [("overflow", "product", "*"), ("overflow", "product", "*"), ("overflow", "check", "*")]);
    assert_eq!(d["problems"][0]["value"], "product");
    assert_eq!(d["problems"][1]["value"], "money_times");
    assert_eq!(d["problems"][2]["computing"], "condition");
    let effects = &d["trace"][0]["effects"];
    assert_eq!(
        effects,
        &json!([{"value": "product", "unset": "problem"}, {"value": "money_times", "unset": "problem"}])
    );
    // Within range, the same policy computes.
    let d = decide(OVERFLOW, json!({"id": "OV2", "count": 3, "times": 4, "money": "1.5"}));
    assert_eq!(d["values"], json!({"product": 12, "money_times": "1500000.0"}));
    assert!(d.get("problems").is_none());
}

// ---------------------------------------------------------------- tickets as text

#[test]
fn ticket_text_may_start_with_a_byte_order_mark() {
    let policy = policy(TICKET);
    let text = format!("\u{feff}{}", good_ticket());
    assert_eq!(policy.evaluate_str(&text).unwrap().ticket(), "SN1");
}

#[test]
fn a_ticket_larger_than_the_limit_is_refused_before_it_is_read() {
    let limits = triage::Limits { ticket_bytes: 200, ..triage::Limits::default() };
    let policy = Policy::from_source_with("t.triage", TICKET, Path::new("rules"), &limits).unwrap();
    let mut t = good_ticket();
    t["summary"] = json!("x".repeat(300));
    let e = policy.evaluate_str(&t.to_string()).unwrap_err();
    let EvalError::Ticket(t) = &e else { panic!("{e:?}") };
    assert!(matches!(t.problems[0].kind, FieldProblemKind::TooLarge { limit: 200, .. }), "{e}");
    assert!(policy.evaluate_str(&good_ticket().to_string()).is_ok());
}

#[test]
fn an_impossible_date_says_so_and_a_numeric_id_is_named() {
    let e = reject(TICKET, with(&["received_at"], json!("2024-02-30T10:00:00+08:00")));
    assert_eq!(
        e.to_string(),
        "SN1: received_at: `2024-02-30T10:00:00+08:00` names a date or time that does not exist, such as 30 February or 25:00"
    );
    let e = reject(TICKET, with(&["id"], json!(20240510)));
    assert_eq!(e.ticket(), Some("20240510"), "{e}");
}

const WINDOWS: &str = r#"
policy windows
  zone Asia/Shanghai
calendar calls
  zone Asia/Shanghai
  valid 2024 to 2024
  window calls 08:30-12:00, 14:30-21:00
ticket
  id           text
  notified_at  time
rule call [DG-5]
  deadline callback = end of window calls from notified_at
"#;

#[test]
fn a_window_outside_its_calendars_years_is_a_problem_not_a_guess() {
    let d = decide(WINDOWS, json!({"id": "W1", "notified_at": "2024-05-10T10:00:00+08:00"}));
    assert_eq!(d["deadlines"]["callback"], "2024-05-10T21:00:00+08:00");
    let d = decide(WINDOWS, json!({"id": "W2", "notified_at": "2031-05-10T10:00:00+08:00"}));
    assert_eq!(d["deadlines"], json!({}));
    assert_eq!(d["problems"][0]["date_needed"], "2031-05-10");
    assert_eq!(d["problems"][0]["calendar"], "calls");
}

// ---------------------------------------------------------------- near misses

const REVISIT: &str = r#"
policy revisit
  zone Asia/Shanghai
ticket
  id                 text
  received_at        time
  revisit.satisfied  optional bool
actions reopen
rule reopen [SI-12]
  when revisit.satisfied is false
  action reopen
"#;

#[test]
fn a_misspelt_optional_field_is_noted_and_refused_when_strict() {
    let policy = policy(REVISIT);
    let text = r#"{"id": "R1", "received_at": "2024-05-10T10:00:00+08:00", "revisit": {"satisifed": false}}"#;
    let mut ticket = triage::PreparedTicket::new();
    policy.read_into(text, &mut ticket).expect("read, with a note");
    let misses: Vec<(&str, &str)> = ticket.near_misses().iter().map(|m| (&*m.given, &*m.meant)).collect();
    assert_eq!(misses, [("revisit.satisifed", "revisit.satisfied")]);
    let mut strict = triage::PreparedTicket::strict();
    let e = policy.read_into(text, &mut strict).unwrap_err();
    assert_eq!(
        e.to_string(),
        "R1: revisit.satisifed: is not a field of the policy; did you mean `revisit.satisfied`? (read as absent, it would change the decision)"
    );
    // Spelt right, nothing to note; a key that only shares a prefix is not a near miss.
    let right =
        r#"{"id": "R1", "received_at": "2024-05-10T10:00:00+08:00", "revisit": {"satisfied": false, "notes": "x"}}"#;
    policy.read_into(right, &mut strict).unwrap();
    assert!(strict.near_misses().is_empty());
}

#[test]
fn a_misspelt_required_field_is_named_in_its_error() {
    let e = policy(REVISIT).evaluate(&json!({"id": "R2", "recieved_at": "2024-05-10T10:00:00+08:00"})).unwrap_err();
    let text_error =
        policy(REVISIT).evaluate_str(r#"{"id": "R2", "recieved_at": "2024-05-10T10:00:00+08:00"}"#).unwrap_err();
    assert_eq!(text_error.to_string(), "R2: received_at: is missing; the ticket has `recieved_at`: misspelt?");
    assert_eq!(e.to_string(), "R2: received_at: is missing", "a JSON tree is read by path, without keys to compare");
}

// ---------------------------------------------------------------- deadlines from deadlines

const FORWARDED: &str = r#"
policy forwarded
  zone Asia/Shanghai
  default calendar office
import "calendars/cn-mainland.triage"
calendar office extends cn_mainland
  hours mon-fri 09:00-18:00
ticket
  id            text
  received_at   time
  forwarded_at  optional time
  phone         bool
rule forward [PM-5]
  when phone
  deadline forward = received_at + 1 working hour
rule reply [PM-6]
  deadline reply = first(forwarded_at, deadline forward, received_at) + 24 h
  deadline handle = same day as first(forwarded_at, deadline forward, received_at)
"#;

#[test]
fn a_deadline_runs_from_the_first_present_of_several_instants() {
    let ticket = |forwarded: Json, phone: bool, at: &str| json!({"id": "F1", "received_at": at, "forwarded_at": forwarded, "phone": phone});
    // Forwarded: from the office's receipt.
    let d = decide(FORWARDED, ticket(json!("2024-05-10T11:00:00+08:00"), true, "2024-05-10T10:00:00+08:00"));
    assert_eq!(d["deadlines"]["reply"], "2024-05-11T11:00:00+08:00");
    // Not yet forwarded: from the forward deadline, the latest it can arrive.
    let d = decide(FORWARDED, ticket(Json::Null, true, "2024-05-10T20:00:00+08:00"));
    assert_eq!(d["deadlines"]["forward"], "2024-05-11T10:00:00+08:00", "the make-up Saturday");
    assert_eq!(d["deadlines"]["reply"], "2024-05-12T10:00:00+08:00");
    assert_eq!(d["deadlines"]["handle"], "2024-05-11T18:00:00+08:00");
    // No forward deadline at all: from receipt.
    let d = decide(FORWARDED, ticket(Json::Null, false, "2024-05-10T20:00:00+08:00"));
    assert_eq!(d["deadlines"]["reply"], "2024-05-11T20:00:00+08:00");
    let full = decide_full(FORWARDED, ticket(Json::Null, true, "2024-05-10T20:00:00+08:00"));
    let reply = full["trace"].as_array().unwrap().iter().find(|e| e["rule"] == "reply").unwrap();
    assert_eq!(reply["reckoning"][0]["from"], "2024-05-11T10:00:00+08:00");
}

#[test]
fn a_deadline_anchored_on_one_that_cannot_be_reckoned_does_not_fall_back() {
    // The forward deadline of the last evening of 2026 needs 2027's first working hour.
    let d = decide(
        FORWARDED,
        json!({"id": "F2", "received_at": "2026-12-31T20:00:00+08:00", "forwarded_at": null, "phone": true}),
    );
    assert_eq!(d["deadlines"], json!({}), "neither reply nor handle falls back to receipt: {d:#}");
    let problems: Vec<(&str, &str)> = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["deadline"].as_str().unwrap(), p["error"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [("forward", "outside_calendar"), ("reply", "anchored_on_problem"), ("handle", "anchored_on_problem")]
    );
    assert_eq!(d["problems"][1]["anchored_on"], "forward");
}

#[test]
fn a_deadline_is_read_only_after_a_rule_has_set_it() {
    let src = r#"
policy early
  zone Asia/Shanghai
ticket
  id           text
  received_at  time
rule reply
  deadline reply = deadline forward + 24 h
rule forward
  deadline forward = received_at + 1 h
"#;
    let errors = Policy::from_source("t.triage", src, Path::new("rules")).expect_err("read before set");
    let d = errors.iter().next().unwrap();
    assert_eq!(d.code(), "triage::unknown_deadline");
    assert_eq!(d.message(), "no rule before this one sets deadline `forward`");
}

// ---------------------------------------------------------------- bounds of counts

const PARTNER_MONTH: &str = r#"
policy partner_month
  zone Asia/Shanghai
record
  id                 text
  group_customers    int >= 0
  complaints         int >= 0
  completed_in_time  int >= 0, <= complaints
actions rectify
rule late [SI-13]
  when completed_in_time * 100 / complaints < 75
  action rectify
"#;

#[test]
fn counts_keep_their_bounds_or_the_record_is_refused_naming_every_field() {
    let d =
        decide(PARTNER_MONTH, json!({"id": "P1", "group_customers": 120, "complaints": 610, "completed_in_time": 400}));
    assert_eq!(d["actions"], json!(["rectify"]));
    let e =
        reject(PARTNER_MONTH, json!({"id": "P2", "group_customers": -1, "complaints": 10, "completed_in_time": 11}));
    assert_eq!(
        e.to_string(),
        "P2: group_customers: is -1, and must be at least 0; P2: completed_in_time: is 11, and must be at most `complaints` (10)"
    );
}

#[test]
fn bounds_are_for_whole_numbers_and_name_other_whole_numbers() {
    let src = |bound: &str| {
        format!("policy b\n  zone Asia/Shanghai\nrecord\n  id text\n  rate decimal{bound}\n  total int\n  part int <= totl\n")
    };
    let errors = Policy::from_source("t.triage", &src(" >= 0"), Path::new("rules")).expect_err("bounds on a decimal");
    let codes: Vec<String> = errors.iter().map(|d| d.code()).collect();
    assert_eq!(codes, ["triage::type_mismatch", "triage::unknown_field"], "{errors}");
    assert!(errors.iter().nth(1).unwrap().help_text().unwrap_or_default().contains("total"), "{errors}");
}

/// A deadline past the last instant RFC 3339 writes in the policy's zone is a problem, not
/// a time written a year early: 9999-12-31 23:59 +08:00 plus 2 h is in the year 10000
/// there, though still 9999 in UTC.
#[test]
fn a_deadline_past_the_year_9999_in_the_policys_zone_is_a_problem() {
    let policy = Policy::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/after-sales-quality.triage")).unwrap();
    let ticket = json!({
        "id": "LAST", "received_at": "9999-12-31T23:59:00+08:00",
        "impact": {"major_loss": false, "group_incident": false, "media": false, "safety": false, "data_loss": false},
        "repeat_failure": true, "promise_broken": false
    });
    let decision = policy.evaluate(&ticket).unwrap();
    assert_eq!(decision.deadline("respond"), None);
    let codes: Vec<&str> = decision.problems().iter().map(|p| p.kind.code()).collect();
    assert!(codes.contains(&"time_out_of_range"), "{codes:?}");
}

/// An expression checked against the whole policy (the REPL's `?`) knows every deadline: an
/// unknown one is unknown, not "set by no rule before this one".
#[test]
fn an_unknown_deadline_in_an_expression_lists_the_policys_deadlines() {
    let policy = Policy::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/after-sales-quality.triage")).unwrap();
    let errors = policy.expression("deadline nosuch").unwrap_err();
    let d = errors.iter().next().unwrap();
    assert_eq!(d.message(), "no rule sets deadline `nosuch`");
    assert!(d.help_text().is_some_and(|h| h.contains("`respond`")), "{:?}", d.help_text());
    assert!(policy.expression("deadline respond").is_ok());
}
