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
