//! Any JSON is decided or rejected with an error by every shipped policy, without panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage::Policy;

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
    let Ok(ticket) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for policy in policies() {
        if let Ok(decision) = policy.evaluate(&ticket) {
            let _ = serde_json::to_string(&decision).expect("decisions serialise");
        }
    }
});
