//! Embedding `triage` in a host program: compile a policy once, then decide tickets from
//! JSON bytes on several threads, each thread reusing one ticket buffer and one decision.
//!
//! Run with `cargo run --example embed` (from the crate's folder), or copy this file into
//! your own program: it uses only the library's public API.

use std::sync::mpsc;

use serde::Serialize;
use triage::{Policy, PreparedTicket, TraceLevel};

/// A ticket as a host's own type: anything that serialises to the ticket JSON will do.
#[derive(Serialize)]
struct Ticket<'a> {
    id: &'a str,
    received_at: &'a str,
    impact: Impact,
    repeat_failure: bool,
    promise_broken: bool,
}

#[derive(Serialize)]
struct Impact {
    major_loss: bool,
    group_incident: bool,
    media: bool,
    safety: bool,
    data_loss: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::from_file("rules/after-sales-quality.triage")?;

    // Tickets as they arrive from a queue or a file: JSON text, one per message. Fields the
    // policy does not declare (`channel`, `summary`, …) are skipped without being parsed.
    let lines: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"id":"SN2024051{i:04}","channel":"online","received_at":"2024-05-{:02}T{:02}:30:00+08:00","summary":"空调制冷差","impact":{{"safety":{},"data_loss":false,"group_incident":false,"media":false,"major_loss":false}},"repeat_failure":{},"promise_broken":false}}"#,
                10 + i % 15,
                8 + i % 10,
                i % 7 == 0,
                i % 3 == 0,
            )
        })
        .collect();

    // `Policy` is `Send + Sync`: share it by reference between worker threads. Each worker
    // keeps one prepared ticket and one decision and decides into them again and again.
    let (results, received) = mpsc::channel();
    std::thread::scope(|scope| {
        for part in lines.chunks(lines.len().div_ceil(4)) {
            let (policy, results) = (&policy, results.clone());
            scope.spawn(move || {
                let mut ticket = PreparedTicket::new();
                let mut decision = policy.decision(TraceLevel::Rules);
                let mut grades = [0usize; 3];
                let mut rejected = Vec::new();
                for line in part {
                    if let Err(e) = policy.read_into(line, &mut ticket) {
                        rejected.push(e.to_string());
                        continue;
                    }
                    policy.decide_into(&ticket, &mut decision);
                    match decision.grade() {
                        Some("I") => grades[0] += 1,
                        Some("II") => grades[1] += 1,
                        _ => grades[2] += 1,
                    }
                    // Hand a decision on as JSON text, or read it field by field.
                    if !decision.problems().is_empty() {
                        rejected.push(format!("{}: {:?}", decision.ticket(), decision.problems()));
                    }
                }
                let _ = results.send((grades, rejected));
            });
        }
    });
    drop(results);
    let (mut grades, mut rejected) = ([0usize; 3], Vec::new());
    for (g, r) in received {
        (0..3).for_each(|i| grades[i] += g[i]);
        rejected.extend(r);
    }
    println!(
        "decided {} tickets: grade I {}, II {}, III {}",
        lines.len() - rejected.len(),
        grades[0],
        grades[1],
        grades[2]
    );
    for r in &rejected {
        eprintln!("not decided: {r}");
    }

    // A ticket from the host's own type, decided once and written out as JSON.
    let ticket = Ticket {
        id: "SN20240510001",
        received_at: "2024-05-10T10:30:00+08:00",
        impact: Impact { major_loss: false, group_incident: false, media: false, safety: false, data_loss: false },
        repeat_failure: true,
        promise_broken: false,
    };
    let decision = policy.evaluate_typed(&ticket)?;
    println!(
        "{}: grade {}, route {}, resolve by {}",
        decision.ticket(),
        decision.grade().unwrap_or("-"),
        decision.route().collect::<Vec<_>>().join(" + "),
        decision.deadline("resolve").map_or("-".to_string(), |d| d.to_string())
    );
    println!("{}", serde_json::to_string(&decision)?);
    Ok(())
}
