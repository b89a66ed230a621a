//! Any JSON is decided or rejected with an error by every shipped policy, without panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage::{Policy, TraceLevel};

const POLICIES: &[&str] = &[
    "after-sales-quality",
    "dongguan-service-quality",
    "property-complaints",
    "si-partners",
    "hotline-standard",
    "si-partner-assessment",
    "hotline-kpi",
];

fn policies() -> &'static [Policy] {
    static LOADED: OnceLock<Vec<Policy>> = OnceLock::new();
    LOADED.get_or_init(|| {
        POLICIES
            .iter()
            .map(|name| {
                Policy::from_file(format!("{}/../rules/{name}.triage", env!("CARGO_MANIFEST_DIR")))
                    .expect("the shipped policies load")
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for policy in policies() {
        // Straight from the text, as `triage eval` reads tickets, with the full trace.
        if let Ok(ticket) = policy.prepare_str(text) {
            let decision = policy.decide(&ticket, TraceLevel::Full);
            let _ = serde_json::to_string(&decision).expect("decisions serialise");
            let _ = triage::explain(policy, &decision);
        }
        // Through a JSON tree, as hosts holding a `serde_json::Value` do.
        if let Ok(tree) = serde_json::from_str::<serde_json::Value>(text) {
            if let Ok(decision) = policy.evaluate(&tree) {
                let _ = serde_json::to_string(&decision).expect("decisions serialise");
            }
        }
    }
});
