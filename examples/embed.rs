//! Embedding `triage` in a host program: compile a policy once, then decide tickets from
//! typed Rust values on several threads.
//!
//! Run with `cargo run --example embed`.

use serde::Serialize;
use triage::Policy;

#[derive(Serialize)]
struct Impact {
    major_loss: bool,
    group_incident: bool,
    media: bool,
    safety: bool,
    data_loss: bool,
}

#[derive(Serialize)]
struct Ticket {
    id: String,
    received_at: String,
    impact: Impact,
    repeat_failure: bool,
    promise_broken: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::from_file("rules/after-sales-quality.triage")?;
    let tickets: Vec<Ticket> = (0..4)
        .map(|i| Ticket {
            id: format!("SN2024051000{i}"),
            received_at: format!("2024-05-1{i}T10:30:00+08:00"),
            impact: Impact { major_loss: false, group_incident: false, media: false, safety: i == 2, data_loss: false },
            repeat_failure: i == 1,
            promise_broken: false,
        })
        .collect();

    // `Policy` is `Send + Sync` and cheap to clone: share it between worker threads.
    std::thread::scope(|scope| {
        let handles: Vec<_> = tickets
            .iter()
            .map(|ticket| {
                let policy = &policy;
                scope.spawn(move || policy.evaluate_typed(ticket))
            })
            .collect();
        for handle in handles {
            match handle.join().expect("no worker panics") {
                Ok(d) => println!(
                    "{}: grade {}, route {}, resolve by {}",
                    d.ticket,
                    d.grade.as_deref().unwrap_or("-"),
                    d.route.join(" + "),
                    d.deadlines.get("resolve").map_or("-".to_string(), ToString::to_string)
                ),
                Err(e) => eprintln!("{e}"),
            }
        }
    });
    Ok(())
}
