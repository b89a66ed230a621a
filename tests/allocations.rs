//! Deciding into a reused decision allocates nothing once its buffers have grown: a host
//! deciding ticket after ticket pays for the logic, not for the allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use triage::{Policy, PreparedTicket, TraceLevel};

/// The system allocator, counting the allocations of each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Every example ticket of a policy, and variants of each with one flag flipped, so that
/// most rules fire in some ticket.
fn example_tickets(policy: &Policy, prefix: &str) -> Vec<PreparedTicket> {
    fn flips(
        json: &serde_json::Value,
        out: &mut Vec<serde_json::Value>,
        root: &serde_json::Value,
        path: &mut Vec<String>,
    ) {
        let Some(object) = json.as_object() else { return };
        for (key, value) in object {
            path.push(key.clone());
            match value {
                serde_json::Value::Bool(b) => {
                    let mut variant = root.clone();
                    let mut node = &mut variant;
                    for segment in path.iter() {
                        node = &mut node[segment.as_str()];
                    }
                    *node = serde_json::Value::Bool(!b);
                    out.push(variant);
                }
                serde_json::Value::Object(_) => flips(value, out, root, path),
                _ => {}
            }
            path.pop();
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tickets");
    let mut jsons = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with(prefix) {
            let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            flips(&json, &mut jsons, &json, &mut Vec::new());
            jsons.push(json);
        }
    }
    let tickets: Vec<PreparedTicket> = jsons.iter().filter_map(|j| policy.prepare(j).ok()).collect();
    assert!(tickets.len() >= 8, "examples of `{prefix}`: {}", tickets.len());
    tickets
}

#[test]
fn deciding_and_writing_again_allocates_nothing() {
    for (policy, prefix) in [("after-sales-quality", "as-"), ("dongguan-service-quality", "dg-")] {
        let policy = Policy::from_file(format!("{}/rules/{policy}.triage", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let tickets = example_tickets(&policy, prefix);
        for level in [TraceLevel::None, TraceLevel::Rules, TraceLevel::Full] {
            let mut decision = policy.decision(level);
            let mut out = Vec::new();
            let mut run = || {
                for ticket in &tickets {
                    policy.decide_into(ticket, &mut decision);
                    out.clear();
                    if level < TraceLevel::Full {
                        decision.write_json(&mut out);
                    }
                }
            };
            // The first round grows the buffers to what these tickets need.
            run();
            let allocations = allocations_during(&mut run);
            assert_eq!(allocations, 0, "{} at {level:?}", policy.name());
        }
    }
}
