//! Whatever a policy owner types, loading reports diagnostics and never panics: mutations
//! of the shipped policies, and arbitrary text.

use std::path::Path;

use proptest::prelude::*;
use triage::Policy;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

fn shipped() -> Vec<String> {
    ["after-sales-quality", "dongguan-service-quality", "property-complaints", "si-partners", "hotline-kpi"]
        .iter()
        .map(|name| std::fs::read_to_string(format!("{RULES}/{name}.triage")).unwrap())
        .collect()
}

/// Load a text and, when it loads, run its tests: nothing may panic.
fn load(text: &str) {
    if let Ok(policy) = Policy::from_source("fuzz.triage", text, Path::new(RULES)) {
        let _ = policy.run_tests();
    }
}

/// Cut `text` at char boundaries near the given fractions.
fn boundary(text: &str, fraction: f64) -> usize {
    let mut i = ((text.len() as f64) * fraction) as usize;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_policy_with_a_piece_removed_or_replaced_never_panics(
        which in 0usize..5, from in 0.0f64..1.0, len in 0.0f64..0.05, insert in "[a-z_ .,:=<>{}()\\[\\]\"#\\n0-9-]{0,12}",
    ) {
        let text = &shipped()[which];
        let start = boundary(text, from);
        let end = boundary(text, (from + len).min(1.0)).max(start);
        load(&format!("{}{insert}{}", &text[..start], &text[end..]));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        load(&text);
    }
}

/// An expression built from the language's operators, nested as deep as the strategy goes.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("score > 1".to_string()),
        Just("impact.safety".to_string()),
        Just("tier in {vip, gotone}".to_string()),
        Just("received_at + 2 working days > received_at".to_string()),
        Just("transcript mentions {\"XX你XX吗\", \"请你撤消投诉\"}".to_string()),
        Just("count(agents) >= 2".to_string()),
    ];
    leaf.prop_recursive(120, 400, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("not {e}")),
            inner.clone().prop_map(|e| format!("({e})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (1usize..80).prop_map(|n| format!("{} > 3", vec!["score"; n].join(" + "))),
            (1usize..80).prop_map(|n| format!("{}score > 1{}", "(".repeat(n), ")".repeat(n))),
        ]
    })
}

/// A policy around one condition, with a ticket schema for every leaf above.
fn policy_with(condition: &str) -> String {
    format!(
        "policy generated\n  zone Asia/Shanghai\n  default calendar cn_mainland\nimport \"calendars/cn-mainland.triage\"\n\
         ticket\n  id text\n  received_at time\n  score int\n  impact.safety bool\n  tier (normal, vip, gotone)\n  \
         transcript text\n  agents set of text\nactions flag\nlet deep = {condition}\nrule r\n  when deep or {condition}\n  action flag\n"
    )
}

/// Example tickets as JSON texts, for mutation.
fn examples() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tickets");
    let mut texts: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    texts.sort();
    texts
}

/// A JSON value of any kind, odd ones included: huge numbers, deep nesting, odd text.
fn odd_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1e300f64..1e300).prop_map(serde_json::Value::from),
        "\\PC{0,20}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2024-02-30T10:00:00+08:00")),
        Just(serde_json::Value::from("9999-12-31T23:59:59-12:00")),
        Just(serde_json::Value::from("0001-01-01T00:00:00+14:00")),
        Just(serde_json::Value::from("79228162514264337593543950335")),
        Just(serde_json::Value::from("-0.0000000000000000000000000001")),
        Just(serde_json::Value::from("2000000 h")),
    ];
    leaf.prop_recursive(40, 200, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every shipped policy, loaded once.
fn policies() -> &'static [Policy] {
    static LOADED: std::sync::OnceLock<Vec<Policy>> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        [
            "after-sales-quality",
            "dongguan-service-quality",
            "property-complaints",
            "si-partners",
            "hotline-standard",
            "si-partner-assessment",
            "hotline-kpi",
        ]
        .iter()
        .map(|name| Policy::from_file(format!("{RULES}/{name}.triage")).unwrap())
        .collect()
    })
}

/// Decide a text under every policy, at the full trace, and write and explain what is
/// decided: nothing may panic, and what reads as a tree reads as text alike.
fn decide_everywhere(text: &str) {
    for policy in policies() {
        if let Ok(ticket) = policy.prepare_str(text) {
            let decision = policy.decide(&ticket, triage::TraceLevel::Full);
            let json = serde_json::to_string(&decision).expect("decisions serialise");
            assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "{json}");
            let _ = triage::explain(policy, &decision);
        }
        if let Ok(tree) = serde_json::from_str::<serde_json::Value>(text) {
            let from_tree = policy.prepare(&tree).ok();
            let from_text = policy.prepare_str(text).ok();
            // A key given twice is refused from text, while a tree keeps one of them.
            if from_text.is_some() {
                assert_eq!(from_tree, from_text, "{text}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// Deep and long expressions load, or are refused with a located diagnostic, and a
    /// policy that loads decides a ticket: no stack overflow at any stage.
    #[test]
    fn deep_and_long_expressions_never_overflow(condition in expression()) {
        match Policy::from_source("generated.triage", &policy_with(&condition), Path::new(RULES)) {
            Ok(policy) => {
                let ticket = r#"{"id": "G1", "received_at": "2024-05-10T10:00:00+08:00", "score": 2,
                    "impact": {"safety": true}, "tier": "vip", "transcript": "你不是说过吗", "agents": ["A", "B"]}"#;
                let decision = policy.prepare_str(ticket).map(|t| policy.decide(&t, triage::TraceLevel::Full));
                prop_assert!(decision.is_ok());
            }
            Err(diagnostics) => {
                for d in diagnostics.iter() {
                    prop_assert!(d.location().is_some() || d.code() == "triage::too_large", "{d:?}");
                }
            }
        }
    }

    /// Example tickets with one value replaced by something odd.
    #[test]
    fn odd_values_in_tickets_never_panic(which in 0usize..28, key in "[a-z_.]{1,20}", value in odd_json()) {
        let texts = examples();
        let mut ticket: serde_json::Value = serde_json::from_str(&texts[which % texts.len()]).unwrap();
        let object = ticket.as_object_mut().unwrap();
        let keys: Vec<String> = object.keys().cloned().collect();
        let key = keys.iter().find(|k| k.starts_with(&key[..1])).cloned().unwrap_or(key);
        object.insert(key, value);
        decide_everywhere(&ticket.to_string());
    }

    /// Example tickets cut, and with characters inserted, anywhere.
    #[test]
    fn broken_ticket_text_never_panics(which in 0usize..28, at in 0.0f64..1.0, insert in "[\\]\\[{}\",:0-9a-z\\\\ ]{0,6}") {
        let texts = examples();
        let text = &texts[which % texts.len()];
        let cut = boundary(text, at);
        decide_everywhere(&format!("{}{insert}{}", &text[..cut], &text[cut..]));
        decide_everywhere(&text[..cut]);
    }
}
