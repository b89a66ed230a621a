//! Speed, read as ratios to a baseline measured in the same run (see `BENCHMARKS.md`):
//!
//! - `prepared/*`: deciding tickets already read, against the same policy written by hand
//!   in Rust (`handwritten/`, checked equal to triage by `tests/handwritten.rs`);
//! - `end_to_end/*`: JSON Lines in, JSON Lines out, against a hand-written serde decider;
//! - `jobs/*`: `decide_lines` on two threads against one;
//! - `load/*`: loading generated policies of 100, 1,000 and 10,000 rules;
//! - `deadline/*`: calendar arithmetic, against a deadline an hour of clock time away.
//!
//! Run with `cargo bench --bench evaluate`; `python3 benches/ratios.py` then prints the
//! ratios from criterion's results.

#[path = "handwritten/mod.rs"]
mod handwritten;

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;
use triage::{decide_lines, BatchOptions, Policy, PreparedTicket, TraceLevel};

use handwritten::calendar::Calendar;
use handwritten::{after_sales, dongguan};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn rules(name: &str) -> Policy {
    Policy::from_file(format!("{ROOT}/rules/{name}.triage")).expect("the shipped policy loads")
}

fn calendar() -> Calendar {
    Calendar::load(&std::fs::read_to_string(format!("{ROOT}/tests/data/cn-mainland-2024-2026.tsv")).unwrap())
}

/// A small deterministic generator, so every run decides the same tickets.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    /// An instant in 2024-2025, on any day, at any minute.
    fn instant(&mut self) -> String {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap() + chrono::Duration::days(self.below(700) as i64);
        format!("{day}T{:02}:{:02}:00+08:00", self.below(24), self.below(60))
    }
}

/// After-sales tickets in the canonical shape of `domain.md` §3, fields the policy does not
/// read included (they must be skipped), one JSON text each.
fn after_sales_tickets(n: usize) -> Vec<String> {
    let mut r = Lcg(11);
    (0..n)
        .map(|i| {
            let serious = r.chance(8);
            json!({
                "id": format!("SN{i:08}"), "kind": "complaint", "received_at": r.instant(),
                "channel": "online", "source": "customer",
                "customer": {"tier": "normal", "region": "dongguan"}, "category": ["efficiency"],
                "summary": "5月9日安装的空调制冷效果差，安装人员未调试即离开；报修后再次出现制冷不足",
                "impact": {"safety": serious && r.chance(2), "data_loss": serious && r.chance(3),
                           "group_incident": false, "media": serious && r.chance(2), "major_loss": false,
                           "systemic": false},
                "repeat_failure": r.chance(3), "promise_broken": r.chance(5),
            })
            .to_string()
        })
        .collect()
}

/// Dongguan tickets covering every branch of the policy, transcripts included.
fn dongguan_tickets(n: usize) -> Vec<String> {
    let mut r = Lcg(23);
    let transcripts = [
        "女士您好，对我们服务的不周，我深表歉意。请问您之前反映的是什么问题？……好的，我已经帮您记录，会有专人跟进处理。",
        "先生，这个问题我们会尽快处理，请你撤消投诉好吗？我们保证下次不会了。",
        "请问您是否撤销投诉？好的，您的投诉我们已受理，会有专人联系您。",
        "您好，请问还有其它问题吗？感谢您的来电，再见。",
    ];
    let categories = ["attitude", "competence", "promise", "operation_error", "billing", "network"];
    let tiers = ["normal", "normal", "normal", "vip", "gotone", "double_high", "key_account"];
    (0..n)
        .map(|i| {
            let notified = if r.chance(4) { serde_json::Value::Null } else { json!(r.instant()) };
            let accepted = match r.below(4) {
                0 => json!(true),
                1 => json!(false),
                _ => serde_json::Value::Null,
            };
            json!({
                "id": format!("DG{i:08}"), "kind": if r.chance(10) { "praise" } else { "complaint" },
                "received_at": r.instant(), "channel": "phone", "source": "customer",
                "customer": {"tier": tiers[r.below(tiers.len() as u64) as usize], "region": "东莞南城"},
                "category": [categories[r.below(categories.len() as u64) as usize]],
                "summary": "话务员解释家庭宽带续约优惠有误，客户不接受解释，要求投诉",
                "agents": if r.chance(6) { json!(["A2048", "A1024"]) } else { json!(["A2048"]) },
                "agent_departed": r.chance(8), "open_service_complaints": 1 + r.below(2) * r.below(2),
                "specialist_complainer": r.chance(10), "prior_complaints": 0, "repeat_of": null,
                "soothing_attempted": !r.chance(5), "soothed": r.chance(4),
                "second_chance_offers": r.below(5),
                "agent_fault": match r.below(3) { 0 => json!(true), 1 => json!(false), _ => serde_json::Value::Null },
                "notified_at": notified, "picked_up_at": r.instant(),
                "callback": {"attempts": r.below(4), "refused": r.chance(6), "accepted": accepted},
                "transcript": transcripts[r.below(transcripts.len() as u64) as usize],
            })
            .to_string()
        })
        .collect()
}

/// Deciding tickets already read: the policy's logic and calendar arithmetic, nothing else.
fn prepared(c: &mut Criterion) {
    let cal = calendar();
    const N: usize = 256;

    let policy = rules("after-sales-quality");
    let texts = after_sales_tickets(N);
    let mut group = c.benchmark_group("prepared/after_sales");
    group.throughput(Throughput::Elements(N as u64));
    let hand: Vec<after_sales::Ticket<'_>> = texts.iter().map(|t| serde_json::from_str(t).unwrap()).collect();
    let mut out = after_sales::Decision::default();
    group.bench_function("handwritten", |b| {
        b.iter(|| hand.iter().for_each(|t| after_sales::decide_into(black_box(t), &cal, &mut out)))
    });
    bench_triage(&mut group, &policy, &texts);
    group.finish();

    let policy = rules("dongguan-service-quality");
    let texts = dongguan_tickets(N);
    let mut group = c.benchmark_group("prepared/dongguan");
    group.throughput(Throughput::Elements(N as u64));
    let hand: Vec<dongguan::Ticket<'_>> = texts.iter().map(|t| serde_json::from_str(t).unwrap()).collect();
    let mut out = dongguan::Decision::default();
    group.bench_function("handwritten", |b| {
        b.iter(|| hand.iter().for_each(|t| dongguan::decide_into(black_box(t), &mut out)))
    });
    bench_triage(&mut group, &policy, &texts);
    group.finish();
}

fn bench_triage(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    policy: &Policy,
    texts: &[String],
) {
    let tickets: Vec<PreparedTicket> = texts.iter().map(|t| policy.prepare_str(t).unwrap()).collect();
    for (name, level) in [("triage/no_trace", TraceLevel::None), ("triage/rules_fired", TraceLevel::Rules)] {
        let mut decision = policy.decision(level);
        group.bench_function(name, |b| {
            b.iter(|| tickets.iter().for_each(|t| policy.decide_into(black_box(t), &mut decision)))
        });
    }
}

/// The lines of JSON Lines input as a hand-written decider reads them from standard input:
/// into one reused buffer, checked to be UTF-8, as `BufRead::read_line` does.
fn for_each_line(mut input: impl BufRead, mut decide: impl FnMut(&str)) {
    let mut line = String::new();
    while input.read_line(&mut line).expect("UTF-8 input") > 0 {
        decide(line.trim_end_matches('\n'));
        line.clear();
    }
}

/// JSON Lines in, one decision per line out, as `triage eval` does.
fn end_to_end(c: &mut Criterion) {
    let cal = calendar();
    const N: usize = 2000;
    let options = BatchOptions { trace: TraceLevel::Rules, ..BatchOptions::default() };

    let policy = rules("after-sales-quality");
    let input = after_sales_tickets(N).join("\n");
    let mut group = c.benchmark_group("end_to_end/after_sales");
    group.throughput(Throughput::Elements(N as u64));
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut scratch = after_sales::Decision::default();
    group.bench_function("handwritten", |b| {
        b.iter(|| {
            out.clear();
            for_each_line(input.as_bytes(), |line| {
                after_sales::decide_line(line, &cal, &mut scratch, &mut out).unwrap()
            });
        })
    });
    group.bench_function("triage", |b| {
        b.iter(|| {
            out.clear();
            decide_lines(&policy, input.as_bytes(), &mut out, options, |_| panic!("every ticket is decided")).unwrap()
        })
    });
    group.finish();

    let policy = rules("dongguan-service-quality");
    let input = dongguan_tickets(N).join("\n");
    let mut group = c.benchmark_group("end_to_end/dongguan");
    group.throughput(Throughput::Elements(N as u64));
    let mut scratch = dongguan::Decision::default();
    group.bench_function("handwritten", |b| {
        b.iter(|| {
            out.clear();
            for_each_line(input.as_bytes(), |line| dongguan::decide_line(line, &mut scratch, &mut out).unwrap());
        })
    });
    group.bench_function("triage", |b| {
        b.iter(|| {
            out.clear();
            decide_lines(&policy, input.as_bytes(), &mut out, options, |_| panic!("every ticket is decided")).unwrap()
        })
    });
    group.finish();
}

/// The same batch on one thread and on two.
fn jobs(c: &mut Criterion) {
    const N: usize = 20_000;
    let policy = rules("after-sales-quality");
    let input = after_sales_tickets(N).join("\n");
    let mut group = c.benchmark_group("jobs");
    group.throughput(Throughput::Elements(N as u64)).sample_size(20);
    let mut out = Vec::with_capacity(input.len() * 2);
    for jobs in [1, 2] {
        let options = BatchOptions { trace: TraceLevel::Rules, jobs, ..BatchOptions::default() };
        group.bench_function(format!("{jobs}"), |b| {
            b.iter(|| {
                out.clear();
                decide_lines(&policy, input.as_bytes(), &mut out, options, |_| panic!("every ticket is decided"))
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// A policy of `n` rules in the style of the shipped ones: conditions over several fields,
/// routes, actions, deadlines over the national calendar.
fn generated_policy(n: usize) -> String {
    let mut src = String::from(concat!(
        "policy generated\n  zone Asia/Shanghai\n  default calendar office\n",
        "import \"calendars/cn-mainland.triage\"\n",
        "calendar office extends cn_mainland\n  hours mon-fri 09:00-18:00\n",
        "ticket\n  id text\n  received_at time\n  score int\n  channel (phone, email, online, web)\n",
        "  impact.safety bool\n  customer.tier (normal, vip, gotone)\n  category set of (billing, network, attitude, other)\n",
        "grades I > II > III, default III\n",
    ));
    let roles: Vec<String> = (0..20).map(|i| format!("role_{i}")).collect();
    let actions: Vec<String> = (0..30).map(|i| format!("action_{i}")).collect();
    src += &format!("roles {}\nactions {}\n", roles.join(", "), actions.join(", "));
    src += "let serious = impact.safety or score >= 5\n";
    for i in 0..n {
        src += &format!(
            "rule r_{i} [X-{i}] \"rule {i}\"\n  when (score >= {} and channel in {{phone, email}}) or (serious and customer.tier != normal) or category has billing\n  route role_{}\n  action action_{}\n  deadline d_{} = received_at + {} working hours, warn at 75%\n",
            i % 10,
            i % 20,
            i % 30,
            i % 10,
            1 + i % 40
        );
        if i % 7 == 0 {
            src += "  grade II\n";
        }
    }
    src
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    let dir = Path::new(ROOT).join("rules");
    for n in [100, 1_000, 10_000] {
        let src = generated_policy(n);
        Policy::from_source("generated.triage", &src, &dir).expect("the generated policy loads");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_rules"), |b| {
            b.iter_batched(
                || src.clone(),
                |src| Policy::from_source("generated.triage", &src, &dir).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn deadline_policy(duration: &str) -> Policy {
    let src = format!(
        "policy bench\n  zone Asia/Shanghai\n  default calendar cn_mainland\nimport \"calendars/cn-mainland.triage\"\n\
         ticket\n  id text\n  received_at time\nrule due\n  deadline due = received_at + {duration}\n"
    );
    Policy::from_source("bench.triage", &src, &Path::new(ROOT).join("rules")).expect("the bench policy loads")
}

/// A year of working time and a year of working days must cost what an hour does: the
/// calendar is precomputed, and each deadline is a binary search.
fn deadlines(c: &mut Criterion) {
    let mut group = c.benchmark_group("deadline");
    for (name, duration) in [
        ("clock_1h", "1 h"),
        ("working_1h", "1 working hour"),
        ("working_100h", "100 working hours"),
        ("working_2000h", "2000 working hours"),
        ("working_days_1", "1 working day"),
        ("working_days_240", "240 working days"),
    ] {
        let policy = deadline_policy(duration);
        let ticket = policy.prepare_str(r#"{"id": "B1", "received_at": "2024-03-04T10:30:00+08:00"}"#).unwrap();
        let mut decision = policy.decision(TraceLevel::None);
        group.bench_function(name, |b| b.iter(|| policy.decide_into(black_box(&ticket), &mut decision)));
    }
    group.finish();
}

criterion_group!(benches, prepared, end_to_end, jobs, load, deadlines);
criterion_main!(benches);
