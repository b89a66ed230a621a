//! Evaluation speed. Figures are read as ratios to the baseline measured in the same run:
//! `deadline/clock_1h` (a deadline an hour of clock time away).

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use triage::Policy;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

fn deadline_policy(duration: &str) -> Policy {
    let src = format!(
        "policy bench\n  zone Asia/Shanghai\n  default calendar cn_mainland\nimport \"calendars/cn-mainland.triage\"\n\
         ticket\n  id text\n  received_at time\nrule due\n  deadline due = received_at + {duration}\n"
    );
    Policy::from_source("bench.triage", &src, Path::new(RULES)).expect("the bench policy loads")
}

fn deadlines(c: &mut Criterion) {
    let ticket = json!({ "id": "B1", "received_at": "2024-03-04T10:30:00+08:00" });
    let mut group = c.benchmark_group("deadline");
    // A year of working time and a year of working days must cost what an hour does:
    // the calendar is precomputed, and each deadline is a binary search.
    for (name, duration) in [
        ("clock_1h", "1 h"),
        ("working_1h", "1 working hour"),
        ("working_100h", "100 working hours"),
        ("working_2000h", "2000 working hours"),
        ("working_days_1", "1 working day"),
        ("working_days_240", "240 working days"),
    ] {
        let policy = deadline_policy(duration);
        group.bench_function(name, |b| b.iter(|| policy.evaluate(black_box(&ticket)).unwrap()));
    }
    group.finish();
}

fn after_sales(c: &mut Criterion) {
    let policy = Policy::from_file(format!("{RULES}/after-sales-quality.triage")).unwrap();
    let ticket: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tickets/as-air-conditioner.json"))
            .unwrap(),
    )
    .unwrap();
    c.bench_function("after_sales/evaluate", |b| b.iter(|| policy.evaluate(black_box(&ticket)).unwrap()));
    c.bench_function("after_sales/load_and_compile", |b| {
        b.iter(|| Policy::from_file(format!("{RULES}/after-sales-quality.triage")).unwrap())
    });
}

criterion_group!(benches, deadlines, after_sales);
criterion_main!(benches);
