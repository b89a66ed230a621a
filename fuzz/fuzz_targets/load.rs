//! Any text loads into a policy or into diagnostics, and a policy's tests run, without panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use triage::Policy;

fuzz_target!(|text: &str| {
    let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules"));
    match Policy::from_source("fuzz.triage", text, rules) {
        Ok(policy) => {
            let _ = policy.run_tests();
        }
        Err(diagnostics) => {
            for d in diagnostics.iter() {
                let _ = (d.to_report(), d.location());
            }
        }
    }
});
