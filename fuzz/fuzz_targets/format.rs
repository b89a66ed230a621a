//! Any text is formatted or refused with diagnostics, without panics; what is formatted is
//! formatted already.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(formatted) = triage::format_source(text) {
        assert_eq!(triage::format_source(&formatted).ok().as_deref(), Some(formatted.as_str()), "idempotent");
    }
});
