//! The hand-written deciders the benchmarks use as their baseline (`benches/handwritten`)
//! decide exactly what triage decides: for every example ticket of each policy, and for
//! generated variants of every field the policy reads, the hand-written JSON line is byte for
//! byte the line triage writes.

#[path = "../benches/handwritten/mod.rs"]
mod handwritten;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone};
use serde_json::{json, Map, Value};
use triage::Policy;

use handwritten::calendar::{Calendar, SHANGHAI};
use handwritten::{after_sales, dongguan};

const CALENDAR: &str = include_str!("data/cn-mainland-2024-2026.tsv");

/// How many tickets each policy must be compared on, so that the test cannot pass vacuously.
const AT_LEAST: usize = 300;

/// A hand-written decider: one JSON line in, one decision line appended.
type Decide<'a> = dyn FnMut(&str, &mut Vec<u8>) -> Result<(), serde_json::Error> + 'a;

/// What became of the tickets given to [`Comparison::check`].
#[derive(Debug, Default)]
struct Comparison {
    /// Decided alike, byte for byte.
    compared: usize,
    /// Rejected by triage (and, as checked, by the hand-written decider).
    rejected: usize,
    /// Decided by triage with problems (a date outside the calendar): not comparable.
    skipped: usize,
    /// How often each rule and exemption fired, and each distinct effect occurred, among
    /// the tickets compared: what the comparison covered.
    seen: BTreeMap<String, usize>,
}

impl Comparison {
    /// Decide `text` with triage and by hand, and require the same JSON line.
    fn check(&mut self, policy: &Policy, text: &str, decide: &mut Decide<'_>) {
        let expected = match policy.evaluate_str(text) {
            Err(e) => {
                let by_hand = decide(text, &mut Vec::new());
                assert!(
                    by_hand.is_err(),
                    "triage rejects the ticket ({e}), the hand-written decider does not:\n{text}"
                );
                self.rejected += 1;
                return;
            }
            Ok(d) if !d.problems().is_empty() => {
                self.skipped += 1;
                return;
            }
            Ok(d) => {
                self.tally(&d);
                serde_json::to_string(&d).expect("a decision is JSON") + "\n"
            }
        };
        let mut line = Vec::new();
        if let Err(e) = decide(text, &mut line) {
            panic!("triage decides the ticket, the hand-written decider rejects it ({e}):\n{text}");
        }
        let line = String::from_utf8(line).expect("the hand-written decider writes UTF-8");
        assert_eq!(line, expected, "the hand-written decision (left) differs from triage's (right) for\n{text}");
        self.compared += 1;
    }

    /// Count the rules, exemptions and effects in triage's decision.
    fn tally(&mut self, decision: &triage::Decision<'_>) {
        let decision = serde_json::to_value(decision).expect("a decision is JSON");
        for entry in decision["trace"].as_array().into_iter().flatten() {
            let name = entry.get("rule").or(entry.get("exemption")).and_then(Value::as_str).unwrap_or_default();
            *self.seen.entry(name.to_string()).or_default() += 1;
            for effect in entry["effects"].as_array().into_iter().flatten() {
                *self.seen.entry(effect.to_string()).or_default() += 1;
            }
        }
        if decision["warnings"].as_object().is_some_and(|w| !w.is_empty()) {
            *self.seen.entry("warnings".into()).or_default() += 1;
        }
    }

    /// Require that the comparison covered each of `features` (a rule or exemption name, or
    /// an effect as JSON) at least `times` times.
    fn assert_covers(&self, features: &[&str], times: usize) {
        for feature in features {
            // Effects are tallied as serde_json writes a parsed object back, in an order that
            // depends on its features: written back the same way, the feature matches.
            let key = serde_json::from_str::<Value>(feature).map_or_else(|_| feature.to_string(), |v| v.to_string());
            let n = self.seen.get(&key).copied().unwrap_or_default();
            assert!(n >= times, "{feature} occurs {n} times, fewer than {times}: {:#?}", self.seen);
        }
    }
}

fn policy(path: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    Policy::from_file(&path).unwrap_or_else(|e| panic!("{} loads: {e:?}", path.display()))
}

/// The example tickets whose file names start with `prefix`, as text.
fn example_tickets(prefix: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tickets");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/tickets is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no example tickets {prefix}*.json");
    paths.iter().map(|p| std::fs::read_to_string(p).expect("an example ticket is readable")).collect()
}

/// A deterministic pseudo-random sequence (a 64-bit linear congruential generator with
/// Knuth's MMIX constants), so that every run checks the same variants.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Dates where working days and call windows are easy to get wrong: holidays, make-up
/// working days (补班) on weekends, weekends, year ends, and the calendar's edges.
const DATES: &[&str] = &[
    "2024-01-01", // New Year's Day
    "2024-02-04", // make-up Sunday
    "2024-02-09", // Spring Festival's eve, a working day
    "2024-02-10", // Spring Festival 2024-02-10..17
    "2024-02-17",
    "2024-02-18", // make-up Sunday
    "2024-04-28", // make-up Sunday
    "2024-04-30",
    "2024-05-01", // Labour Day 2024-05-01..05
    "2024-05-03",
    "2024-05-05",
    "2024-05-06",
    "2024-05-10", // a Friday
    "2024-05-11", // make-up Saturday
    "2024-05-12",
    "2024-05-18", // an ordinary weekend
    "2024-05-19",
    "2024-09-14", // make-up Saturday
    "2024-09-29", // make-up Sunday
    "2024-09-30",
    "2024-10-01", // National Day 2024-10-01..07
    "2024-10-04",
    "2024-10-07",
    "2024-10-08",
    "2024-10-12", // make-up Saturday
    "2024-12-31",
    "2025-01-26", // make-up Sunday
    "2025-01-28", // Spring Festival 2025-01-28..02-04
    "2025-02-04",
    "2025-02-08", // make-up Saturday
    "2025-10-01", // National Day 2025-10-01..08
    "2025-10-08",
    "2025-10-11", // make-up Saturday
    "2026-12-24", // working days may run off the calendar's end from here
    "2026-12-31",
    "2023-12-31", // outside the calendar: clock deadlines and call windows still work
    "2027-01-01",
];

/// Times of day around office hours (09:00-18:00) and the call windows (08:30-12:00,
/// 14:30-21:00).
const CLOCK: &[&str] = &[
    "00:00:00", "07:10:00", "08:29:00", "08:29:59", "08:30:00", "08:59:59", "09:00:00", "10:30:00", "11:59:59",
    "12:00:00", "12:30:00", "14:29:00", "14:29:59", "14:30:00", "17:59:59", "18:00:00", "20:59:00", "20:59:59",
    "21:00:00", "23:59:59",
];

/// An instant as a ticket gives it: mostly a date and time above, at +08:00, sometimes any
/// moment of 2024-2026, at another offset, or with a fraction of a second.
fn instant(rng: &mut Lcg) -> String {
    let date = if rng.chance(65) {
        rng.pick(DATES).parse().expect("a date")
    } else {
        NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date") + Duration::days(rng.below(3 * 365 + 1) as i64)
    };
    let time = if rng.chance(75) {
        rng.pick(CLOCK).parse().expect("a time")
    } else {
        NaiveTime::from_num_seconds_from_midnight_opt(rng.below(24 * 3600) as u32, 0).expect("a time")
    };
    let mut t = SHANGHAI.from_local_datetime(&date.and_time(time)).single().expect("+08:00 has no gaps");
    if rng.chance(8) {
        // triage writes whole seconds, cutting the fraction.
        t += Duration::milliseconds(rng.below(1000) as i64);
    }
    // The same instant at another offset: decisions are written at +08:00 whatever the
    // ticket's, and the day is the Shanghai day.
    let offset = if rng.chance(70) { 8 * 3600 } else { rng.pick(&[0, -5 * 3600, 9 * 3600 + 1800, -11 * 3600]) };
    let t: DateTime<FixedOffset> = t.with_timezone(&FixedOffset::east_opt(offset).expect("an offset"));
    t.to_rfc3339_opts(SecondsFormat::AutoSi, offset == 0 && rng.chance(50))
}

/// A ticket id: mostly plain, sometimes with characters JSON must escape.
fn id(rng: &mut Lcg, prefix: &str, n: usize) -> String {
    if rng.chance(5) {
        format!("{prefix}{n} \"quoted\" \\ tab\t newline\n bell\u{7} 中文 é")
    } else {
        format!("{prefix}{n}")
    }
}

/// Set `key` to `value`, leave it out, or set it to `null`: how a ticket says an optional
/// field is unknown.
fn optional(rng: &mut Lcg, map: &mut Map<String, Value>, key: &str, value: Value) {
    match rng.below(5) {
        0 => {}
        1 => {
            map.insert(key.into(), Value::Null);
        }
        _ => {
            map.insert(key.into(), value);
        }
    }
}

/// After-sales tickets: every combination of the flags, each grade at varied times, and
/// grades II and III at every edge date and time.
fn after_sales_variants() -> Vec<String> {
    let mut rng = Lcg(4);
    (0..1200)
        .map(|i| {
            // Every combination of the five impacts and two grade II flags, then as many
            // tickets of each grade, since most combinations are urgent.
            let flags = match i {
                0..128 => i,
                _ if i % 3 == 0 => 1 + rng.below(31) + (rng.below(4) << 5),
                _ if i % 3 == 1 => (1 + rng.below(3)) << 5,
                _ => 0,
            };
            let flag = |bit: usize| flags & (1 << bit) != 0;
            let mut ticket = json!({
                "id": id(&mut rng, "AS", i),
                "received_at": instant(&mut rng),
                "impact": {
                    "major_loss": flag(0), "group_incident": flag(1), "media": flag(2),
                    "safety": flag(3), "data_loss": flag(4),
                },
                "repeat_failure": flag(5),
                "promise_broken": flag(6),
            });
            if rng.chance(30) {
                // Fields the policy does not declare are skipped.
                ticket["channel"] = json!("online");
                ticket["impact"]["systemic"] = json!(true);
                ticket["customer"] = json!({ "tier": "vip", "region": "东莞" });
            }
            // The facts learnt later: known, unknown (absent or null), mostly known.
            let normal_use = rng.chance(40);
            if let Value::Object(impact) = &mut ticket["impact"] {
                optional(&mut rng, impact, "normal_use", json!(normal_use));
            }
            let complex = rng.chance(50);
            let completed = instant(&mut rng);
            if let Value::Object(map) = &mut ticket {
                optional(&mut rng, map, "complex", json!(complex));
                optional(&mut rng, map, "completed_at", json!(completed));
            }
            ticket.to_string()
        })
        .chain(every_edge().flat_map(|at| {
            // Grades II and III count working days: each edge date and time for both, a
            // complex general problem among them, completed at that edge.
            [true, false].map(|repeat| {
                json!({
                    "id": format!("AS {at}"),
                    "received_at": at,
                    "impact": {
                        "major_loss": false, "group_incident": false, "media": false,
                        "safety": false, "data_loss": false,
                    },
                    "repeat_failure": repeat,
                    "promise_broken": false,
                    "complex": !repeat,
                    "completed_at": at,
                })
                .to_string()
            })
        }))
        .collect()
}

/// Every date of [`DATES`] at every time of [`CLOCK`], at +08:00.
fn every_edge() -> impl Iterator<Item = String> {
    DATES.iter().flat_map(|date| CLOCK.iter().map(move |time| format!("{date}T{time}+08:00")))
}

/// DG-10's reference cases and requests in other words, then near misses that must not
/// count: the required confirmations, other verbs, 投诉 before 撤销, a phrase cut short, gaps
/// past the digest's 8 characters.
const PLEA_LIKE: &[&str] = &[
    "请你撤消投诉",
    "请您撤销投诉王工号",
    "请你不要投诉",
    "麻烦您撤销一下投诉",
    "您能不能别投诉她了",
    "可以不要投诉我同事吗",
    "撤销投诉吧",
    "您就撤消对她的投诉",
    "其实撤销这个投诉",
    "撤销一二三四五六七八投诉",
    "您是否撤销投诉？您就撤销投诉吧",
    "确认撤销投诉吗？其实撤销投诉也没什么",
    "是否，撤销投诉",
    "请问您是否撤销投诉",
    "您确认撤销投诉吗",
    "确认撤消对话务员的投诉",
    "请问您是否要撤销投诉",
    "您的投诉我们已受理",
    "请你撤回投诉",
    "请你不要再投诉",
    "您的投诉已经撤销了",
    "请您撤消投",
    "撤销一二三四五六七八九投诉",
    "撤销一二三四五六七八九十一二投诉",
];

/// Characters `mentions` ignores between a phrase's characters: white space, punctuation
/// and symbols, ASCII, general, CJK, compatibility and full-width forms, emoji.
const IGNORED: &[&str] = &[
    " ", "  ", "\n", "\t", "\u{a0}", "\u{3000}", "\u{2028}", ",", "-", "\"", "\\", "...", "，", "、", "。", "……", "！",
    "？", "：", "「", "」", "“", "”", "—", "·", "︰", "﹏", "～", "･", "（", "）", "￥", "+", "😀",
];

/// Characters that count: inserted into a phrase, they break it (a zero-width space is a
/// format character, not white space).
const BREAKERS: &[&str] = &["x", "的", "1", "①", "\u{200b}"];

const TALK: &[&str] = &[
    "",
    "女士您好，对我们服务的不周，我深表歉意。",
    "先生，真的很抱歉……我们那位同事刚来不久，",
    "好的，感谢您的理解，请问还有其它问题吗？",
    "建议您给这位同事一次改进机会。",
];

/// A transcript: talk, sometimes around a plea or a near miss with punctuation, spaces or
/// (rarely) a breaking character between its characters.
fn transcript(rng: &mut Lcg) -> String {
    let mut text = String::from(rng.pick(TALK));
    // Sometimes two of them: a plea beside a confirmation is where DG-10's exception bites.
    let phrases = if rng.chance(60) { 1 + usize::from(rng.chance(40)) } else { 0 };
    for _ in 0..phrases {
        for c in rng.pick(PLEA_LIKE).chars() {
            text.push(c);
            if rng.chance(25) {
                text.push_str(rng.pick(IGNORED));
            } else if rng.chance(3) {
                text.push_str(rng.pick(BREAKERS));
            }
        }
        text.push_str(rng.pick(TALK));
    }
    text.push_str(rng.pick(TALK));
    text
}

const KINDS: &[&str] = &["complaint", "complaint", "complaint", "complaint", "request", "suggestion", "praise"];
const CATEGORIES: &[&str] = &[
    "attitude",
    "efficiency",
    "competence",
    "compliance",
    "operation_error",
    "promise",
    "product_quality",
    "billing",
    "network",
    "other",
];
const TIERS: &[&str] = &["normal", "normal", "normal", "vip", "gotone", "double_high", "key_account", "group"];

/// Dongguan tickets: every field varied at random, weighted towards the tickets that reach
/// the later rules, then an apology call due at every edge date and time.
fn dongguan_variants() -> Vec<String> {
    let mut rng = Lcg(10086);
    let due: Value = serde_json::from_str(&example_tickets("dg-apology-callback")[0]).expect("an example is JSON");
    (0..4000)
        .map(|i| {
            let mut category: Vec<&str> = CATEGORIES.iter().copied().filter(|_| rng.chance(15)).collect();
            if rng.chance(50) {
                category.push(rng.pick(&["attitude", "competence", "promise", "operation_error"]));
            }
            let agents: &[&str] =
                rng.pick(&[&[][..], &["A1024"], &["A1024"], &["A1024", "A1024"], &["A1024", "A2048"]]);
            let mut callback = Map::new();
            callback.insert("attempts".into(), json!(rng.pick(&[0, 0, 0, 1, 2, 3, 4, -1])));
            callback.insert("refused".into(), json!(rng.chance(20)));
            let accepted = rng.chance(50);
            optional(&mut rng, &mut callback, "accepted", json!(accepted));

            let mut ticket = Map::new();
            ticket.insert("id".into(), json!(id(&mut rng, "DG", i)));
            ticket.insert("kind".into(), json!(rng.pick(KINDS)));
            ticket.insert("category".into(), json!(category));
            ticket.insert("soothed".into(), json!(rng.chance(20)));
            ticket.insert("soothing_attempted".into(), json!(rng.chance(60)));
            // Mostly verified, as the interesting rules need.
            let fault = rng.chance(70);
            optional(&mut rng, &mut ticket, "agent_fault", json!(fault));
            ticket.insert("agent_departed".into(), json!(rng.chance(20)));
            ticket.insert("agents".into(), json!(agents));
            ticket.insert("open_service_complaints".into(), json!(rng.pick(&[0, 1, 1, 1, 2])));
            ticket.insert("specialist_complainer".into(), json!(rng.chance(10)));
            ticket.insert("customer".into(), json!({ "tier": rng.pick(TIERS), "region": "东莞南城" }));
            let notified = instant(&mut rng);
            optional(&mut rng, &mut ticket, "notified_at", json!(notified));
            ticket.insert("callback".into(), Value::Object(callback));
            let picked_up = instant(&mut rng);
            optional(&mut rng, &mut ticket, "picked_up_at", json!(picked_up));
            ticket.insert("second_chance_offers".into(), json!(rng.pick(&[0, 1, 2, 3, 4, 5])));
            ticket.insert("transcript".into(), json!(transcript(&mut rng)));
            if rng.chance(30) {
                // Fields the policy does not declare are skipped.
                ticket.insert("impact".into(), json!({ "safety": false }));
                ticket.insert("repeat_of".into(), Value::Null);
            }
            Value::Object(ticket).to_string()
        })
        .chain(every_edge().map(move |at| {
            // The call windows: an apology call due, notified and picked up at each edge.
            let mut ticket = due.clone();
            ticket["id"] = json!(format!("DG {at}"));
            ticket["notified_at"] = json!(at);
            ticket["picked_up_at"] = json!(at);
            ticket.to_string()
        }))
        .collect()
}

#[test]
fn after_sales_decides_as_triage_does() {
    let policy = policy("rules/after-sales-quality.triage");
    let calendar = Calendar::load(CALENDAR);
    let mut scratch = after_sales::Decision::default();
    let mut decide = |line: &str, out: &mut Vec<u8>| after_sales::decide_line(line, &calendar, &mut scratch, out);

    let mut examples = Comparison::default();
    for text in example_tickets("as-") {
        examples.check(&policy, &text, &mut decide);
    }
    assert_eq!(examples.compared, example_tickets("as-").len(), "every example is decided: {examples:?}");

    let mut variants = Comparison::default();
    for text in after_sales_variants() {
        variants.check(&policy, &text, &mut decide);
    }
    println!(
        "after-sales: {} examples and {} variants compared, {} skipped",
        examples.compared, variants.compared, variants.skipped
    );
    assert_eq!(variants.rejected, 0, "the generated tickets are valid");
    assert!(variants.compared >= AT_LEAST, "only {} variants compared", variants.compared);
    variants.assert_covers(&["urgent", "important", "grade_i_handling", r#"{"route":"legal"}"#, "warnings"], 50);
    variants.assert_covers(&["normal_use_affected", "complex_extension", r#"{"deadline":"feedback"}"#], 50);
    variants.assert_covers(
        &[
            "grade_ii_handling",
            "grade_iii_handling",
            r#"{"deadline":"resolve_extended"}"#,
            r#"{"action":"notify_customer_of_extension"}"#,
            "feedback_after_completion",
        ],
        200,
    );
}

#[test]
fn dongguan_decides_as_triage_does() {
    let policy = policy("rules/dongguan-service-quality.triage");
    let mut scratch = dongguan::Decision::default();
    let mut decide = |line: &str, out: &mut Vec<u8>| dongguan::decide_line(line, &mut scratch, out);

    let mut examples = Comparison::default();
    for text in example_tickets("dg-") {
        examples.check(&policy, &text, &mut decide);
    }
    assert_eq!(examples.compared, example_tickets("dg-").len(), "every example is decided: {examples:?}");

    let mut variants = Comparison::default();
    for text in dongguan_variants() {
        variants.check(&policy, &text, &mut decide);
    }
    println!(
        "dongguan: {} examples and {} variants compared, {} skipped",
        examples.compared, variants.compared, variants.skipped
    );
    assert_eq!(variants.rejected, 0, "the generated tickets are valid");
    assert!(variants.compared >= AT_LEAST, "only {} variants compared", variants.compared);
    let rules = [
        "not_service_quality",
        "withdrawn",
        "complaint_ticket",
        "not_agent_fault",
        "agent_fault_notice",
        "apology_calls",
        "apology_by_sms",
        "attempts_used",
        "apology_accepted",
        "apology_not_accepted",
        "close_limit",
        "departed_agent",
        "agent_conduct",
        "opener_skipped_soothing",
        "specialist_complainer",
        "multiple_agents",
        "high_value_customer",
    ];
    variants.assert_covers(&rules, 20);
    variants.assert_covers(
        &[
            r#"{"route":"team_leader"}"#,
            r#"{"deadline":"callback"}"#,
            r#"{"deadline":"callback","unset":"missing_time"}"#,
            r#"{"deadline":"close","unset":"missing_time"}"#,
            r#"{"value":"first_call"}"#,
            r#"{"value":"first_call","unset":"undefined"}"#,
            r#"{"exempt":"apology_callback"}"#,
            r#"{"exempt":"apology_sms"}"#,
            r#"{"action":"record_call_failure"}"#,
            r#"{"dropped":"deadline","name":"callback","action":"apology_callback","because":"exempted"}"#,
            r#"{"dropped":"value","name":"first_call","action":"apology_callback","because":"exempted"}"#,
            r#"{"dropped":"value","name":"calls_left","action":"apology_callback","because":"exempted"}"#,
        ],
        10,
    );
}

/// Tickets triage rejects are rejected by hand too; that the two agree is checked inside
/// [`Comparison::check`].
#[test]
fn invalid_tickets_are_rejected_by_both() {
    let after_sales_policy = policy("rules/after-sales-quality.triage");
    let calendar = Calendar::load(CALENDAR);
    let mut scratch = after_sales::Decision::default();
    let mut decide = |line: &str, out: &mut Vec<u8>| after_sales::decide_line(line, &calendar, &mut scratch, out);
    let impact =
        r#""impact":{"major_loss":false,"group_incident":false,"media":false,"safety":false,"data_loss":false}"#;
    let mut seen = Comparison::default();
    for text in [
        // An offset without its colon, a space before the offset: chrono's relaxed reading
        // would accept them, triage does not.
        format!(
            r#"{{"id":"X","received_at":"2024-05-10T10:30:00+0800",{impact},"repeat_failure":true,"promise_broken":false}}"#
        ),
        format!(
            r#"{{"id":"X","received_at":"2024-05-10T10:30:00 +08:00",{impact},"repeat_failure":true,"promise_broken":false}}"#
        ),
        format!(
            r#"{{"id":"X","received_at":"2024-05-10T10:30:00+08:00",{impact},"repeat_failure":null,"promise_broken":false}}"#
        ),
        format!(r#"{{"id":"X","received_at":"2024-05-10T10:30:00+08:00",{impact},"promise_broken":false}}"#),
        r#"{"id":"X","received_at":"2024-05-10T10:30:00+08:00","repeat_failure":true,"promise_broken":false}"#.into(),
    ] {
        seen.check(&after_sales_policy, &text, &mut decide);
    }
    assert_eq!(seen.rejected, 5, "{seen:?}");

    let dongguan_policy = policy("rules/dongguan-service-quality.triage");
    let mut scratch = dongguan::Decision::default();
    let mut decide = |line: &str, out: &mut Vec<u8>| dongguan::decide_line(line, &mut scratch, out);
    let valid: Value = serde_json::from_str(&example_tickets("dg-apology-callback")[0]).expect("JSON");
    let mut seen = Comparison::default();
    for (path, bad) in [
        ("/kind", json!("praise!")),
        ("/category", json!(["attitude", "rudeness"])),
        ("/customer/tier", json!("platinum")),
        ("/agents", json!(["A1", 2])),
        ("/notified_at", json!("2024-05-10T12:30:00+0800")),
        ("/callback/attempts", json!(1.5)),
        ("/soothed", Value::Null),
    ] {
        let mut ticket = valid.clone();
        *ticket.pointer_mut(path).expect("the example has the field") = bad;
        seen.check(&dongguan_policy, &ticket.to_string(), &mut decide);
    }
    assert_eq!(seen.rejected, 7, "{seen:?}");
}
