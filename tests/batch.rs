//! `decide_lines`: every line accounted for, in input order, on one thread or several, however
//! the input is split by the reader.

use std::io::{BufRead, BufReader, Read};

use triage::{decide_lines, BatchOptions, BatchSummary, LineReport, Policy, TraceLevel};

fn policy() -> Policy {
    Policy::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/after-sales-quality.triage")).unwrap()
}

fn ticket(i: usize) -> String {
    format!(
        r#"{{"id":"SN{i:05}","received_at":"2024-05-{:02}T{:02}:30:00+08:00","summary":"{}","impact":{{"safety":{},"data_loss":false,"group_incident":false,"media":false,"major_loss":false}},"repeat_failure":{},"promise_broken":false}}"#,
        1 + i % 28,
        i % 24,
        "空调".repeat(i % 7),
        i % 11 == 0,
        i % 3 == 0
    )
}

/// A reader that hands out at most `step` bytes at a time, to split lines anywhere.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn run(policy: &Policy, input: impl BufRead, jobs: usize) -> (String, Vec<LineReport>, BatchSummary) {
    let mut out = Vec::new();
    let mut reports = Vec::new();
    let options = BatchOptions { trace: TraceLevel::Rules, pretty: false, jobs };
    let summary = decide_lines(policy, input, &mut out, options, |r| reports.push(r.clone())).unwrap();
    (String::from_utf8(out).unwrap(), reports, summary)
}

/// What deciding each line on its own gives: the expected output and reports.
fn one_by_one(policy: &Policy, lines: &[Vec<u8>]) -> (String, Vec<(usize, String)>) {
    let mut out = String::new();
    let mut reports = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(line) else {
            reports.push((i + 1, "utf-8".to_string()));
            continue;
        };
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        match policy.evaluate_str(text) {
            Ok(d) => {
                out.push_str(&serde_json::to_string(&d).unwrap());
                out.push('\n');
            }
            Err(e) => reports.push((i + 1, e.to_string())),
        }
    }
    (out, reports)
}

#[test]
fn every_line_is_decided_or_reported_in_order_however_the_input_arrives() {
    let policy = policy();
    let mut lines: Vec<Vec<u8>> = (0..3000).map(|i| ticket(i).into_bytes()).collect();
    lines[10] = Vec::new();
    lines[11] = b"   ".to_vec();
    lines[500] = br#"{"id": "BAD"}"#.to_vec();
    lines[501] = b"not json".to_vec();
    lines[502] = vec![b'{', 0xff, b'}'];
    lines[1200] = format!("{}\r", ticket(1200)).into_bytes();
    // A line longer than a chunk, decided like any other.
    lines[2000] =
        ticket(2000).replace("\"summary\":\"", &format!("\"summary\":\"{}", "长".repeat(100_000))).into_bytes();
    let mut input = lines.join(&b'\n');
    let (expected, expected_reports) = one_by_one(&policy, &lines);
    assert_eq!(expected.lines().count(), 2995);
    for trailing_newline in [false, true] {
        if trailing_newline {
            input.push(b'\n');
        }
        for jobs in [1, 2, 3] {
            for step in [1 << 20, 4096, 777] {
                let reader = BufReader::with_capacity(8192, Trickle { data: &input, step });
                let (out, reports, summary) = run(&policy, reader, jobs);
                assert!(out == expected, "jobs {jobs}, step {step}: the decisions differ");
                let got: Vec<usize> = reports.iter().map(|r| r.line).collect();
                let want: Vec<usize> = expected_reports.iter().map(|(l, _)| *l).collect();
                assert_eq!(got, want, "jobs {jobs}, step {step}");
                assert!(reports[0].message.contains("BAD: received_at: is missing"), "{:?}", reports[0]);
                assert!(reports[2].message.contains("UTF-8"), "{:?}", reports[2]);
                assert_eq!(summary, BatchSummary { decided: 2995, with_problems: 0, failed: 3 });
            }
        }
    }
}

#[test]
fn a_decision_with_problems_is_written_and_reported() {
    let policy = policy();
    let late =
        ticket(7).replace("2024-05-08", "2026-12-28").replace("\"repeat_failure\":false", "\"repeat_failure\":true");
    let input = format!("{}\n{late}\n{}\n", ticket(1), ticket(2));
    for jobs in [1, 2] {
        let (out, reports, summary) = run(&policy, input.as_bytes(), jobs);
        assert_eq!(out.lines().count(), 3);
        assert_eq!(summary, BatchSummary { decided: 2, with_problems: 1, failed: 0 });
        let [report] = &reports[..] else { panic!("{reports:?}") };
        assert_eq!((report.line, report.decided), (2, true));
        assert!(report.message.starts_with("SN00007: deadline `resolve`"), "{}", report.message);
    }
}
