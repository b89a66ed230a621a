//! `decide_lines`: every line accounted for, in input order, on one thread or several, however
//! the input is split by the reader; a stream answered line by line; a failed writer stopping
//! the batch at once; error records keeping output aligned with input.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::rc::Rc;

use serde_json::{json, Value as Json};
use triage::{decide_lines, BatchError, BatchOptions, BatchSummary, Flush, LineReport, Policy, TraceLevel};

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
    run_with(policy, input, BatchOptions { trace: TraceLevel::Rules, jobs, ..BatchOptions::default() })
}

fn run_with(policy: &Policy, input: impl BufRead, options: BatchOptions) -> (String, Vec<LineReport>, BatchSummary) {
    let mut out = Vec::new();
    let mut reports = Vec::new();
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
        // A stream's reads are cut into pieces for the threads, as big as what arrives.
        for (jobs, flush) in [1, 2, 3].into_iter().flat_map(|j| [(j, Flush::Blocks), (j, Flush::Streaming)]) {
            for step in [1 << 20, 4096, 777] {
                let reader = BufReader::with_capacity(1 << 17, Trickle { data: &input, step });
                let options = BatchOptions { jobs, flush, ..BatchOptions::default() };
                let (out, reports, summary) = run_with(&policy, reader, options);
                assert!(out == expected, "jobs {jobs}, {flush:?}, step {step}: the decisions differ");
                let got: Vec<usize> = reports.iter().map(|r| r.line).collect();
                let want: Vec<usize> = expected_reports.iter().map(|(l, _)| *l).collect();
                assert_eq!(got, want, "jobs {jobs}, {flush:?}, step {step}");
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
        assert_eq!((report.line, report.kind), (2, triage::ReportKind::Problem));
        assert!(report.message.starts_with("SN00007: deadline `resolve`"), "{}", report.message);
    }
}

/// Tickets without end; how many bytes were taken from it.
struct Endless {
    next: usize,
    pending: Vec<u8>,
    read: Rc<RefCell<usize>>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            // Every tenth line cannot be decided, so reports keep coming too.
            self.pending = match self.next % 10 {
                9 => br#"{"id": "BAD"}"#.to_vec(),
                _ => ticket(self.next).into_bytes(),
            };
            self.pending.push(b'\n');
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        *self.read.borrow_mut() += n;
        Ok(n)
    }
}

/// A reader that has gone away after `room` bytes: every write fails as a closed pipe does.
struct ClosedAfter {
    room: usize,
    tries_after_closing: usize,
}

impl Write for ClosedAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            self.tries_after_closing += 1;
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_that_fails_stops_the_batch_at_once() {
    let policy = policy();
    for jobs in [1, 2, 3] {
        for flush in [Flush::Blocks, Flush::Streaming] {
            let read = Rc::new(RefCell::new(0));
            let input = BufReader::new(Endless { next: 0, pending: Vec::new(), read: read.clone() });
            let mut output = ClosedAfter { room: 100_000, tries_after_closing: 0 };
            let mut reports = 0;
            let options = BatchOptions { jobs, flush, ..BatchOptions::default() };
            let result = decide_lines(&policy, input, &mut output, options, |_| reports += 1);
            let Err(BatchError::Write(e)) = result else { panic!("jobs {jobs}, {flush:?}: {result:?}") };
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            assert_eq!(output.tries_after_closing, 1, "jobs {jobs}, {flush:?}: nothing is written after a failure");
            // What was read is bounded by what is in flight (a few chunks a thread), not by
            // the input, which has no end.
            let read = *read.borrow();
            assert!(read < 8 << 20, "jobs {jobs}, {flush:?}: {read} bytes read after the writer failed");
            // The reports are those of lines whose decisions were written, or nearly: none
            // are told once the batch has stopped.
            assert!(reports < read / 500, "jobs {jobs}, {flush:?}: {reports} reports");
        }
    }
}

/// Both ends of a conversation with a program that writes a ticket, then waits for its
/// decision before writing the next: the reader records each time it is asked for more
/// while a decision of what it gave is not yet flushed (where a real stream would wait
/// forever).
#[derive(Default)]
struct Conversation {
    /// Lines to hand out, each in two halves.
    lines: Vec<Vec<u8>>,
    /// Halves handed out.
    halves: usize,
    /// Written, not flushed.
    written: Vec<u8>,
    /// Flushed: what the other side has seen.
    flushed: Vec<u8>,
    /// Times more input was asked for while an answer was held back.
    held_back: usize,
}

/// The answers the other side has seen: one per line, blank lines included.
fn answers(c: &Conversation) -> usize {
    c.flushed.iter().filter(|&&b| b == b'\n').count()
}

struct Asker(Rc<RefCell<Conversation>>);

impl Read for Asker {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut c = self.0.borrow_mut();
        if c.halves % 2 == 0 && answers(&c) < c.halves / 2 {
            c.held_back += 1;
        }
        let Some(line) = c.lines.get(c.halves / 2) else { return Ok(0) };
        let half = line.len() / 2;
        let part = if c.halves % 2 == 0 { &line[..half] } else { &line[half..] };
        let n = part.len().min(buf.len());
        assert_eq!(n, part.len(), "test setup: a half fits the buffer");
        buf[..n].copy_from_slice(part);
        c.halves += 1;
        Ok(n)
    }
}

struct Answerer(Rc<RefCell<Conversation>>);

impl Write for Answerer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut c = self.0.borrow_mut();
        let written = std::mem::take(&mut c.written);
        c.flushed.extend_from_slice(&written);
        Ok(())
    }
}

#[test]
fn a_stream_is_answered_line_by_line_before_more_is_read() {
    let policy = policy();
    let lines: Vec<Vec<u8>> = (0..40)
        .map(|i| match i {
            7 => b"{\"id\": \"BAD\"}\n".to_vec(),
            13 => b"  \n".to_vec(),
            _ => format!("{}\n", ticket(i)).into_bytes(),
        })
        .collect();
    for jobs in [1, 2, 3] {
        for flush in [Flush::Streaming, Flush::Blocks] {
            let talk = Rc::new(RefCell::new(Conversation { lines: lines.clone(), ..Conversation::default() }));
            let options = BatchOptions { jobs, flush, inline_errors: true, ..BatchOptions::default() };
            let mut answerer = Answerer(talk.clone());
            let summary = decide_lines(&policy, BufReader::new(Asker(talk.clone())), &mut answerer, options, |_| ())
                .expect("no error");
            answerer.flush().unwrap();
            assert_eq!(summary, BatchSummary { decided: 38, with_problems: 0, failed: 1 });
            let talk = talk.borrow();
            assert_eq!(answers(&talk), 40, "one answer a line");
            match flush {
                Flush::Streaming => assert_eq!(talk.held_back, 0, "jobs {jobs}: an answer was held back"),
                // Blocks keep answers until they are many: the other side would wait forever.
                Flush::Blocks => assert!(talk.held_back > 30, "jobs {jobs}: {}", talk.held_back),
            }
        }
    }
}

#[test]
fn inline_errors_keep_output_aligned_with_input_line_for_line() {
    let policy = policy();
    let missing_received_at = {
        let mut t: Json = serde_json::from_str(&ticket(3)).unwrap();
        t.as_object_mut().unwrap().remove("received_at");
        t["id"] = json!("NO-TIME");
        t.to_string().into_bytes()
    };
    let mut lines: Vec<Vec<u8>> = (0..3000).map(|i| ticket(i).into_bytes()).collect();
    lines[1] = missing_received_at;
    lines[2] = b"{\"id\": \"SN2\", \"received_at\": ".to_vec();
    lines[3] = b"  ".to_vec();
    lines[4] = vec![b'{', 0xff, b'}'];
    lines[5] = br#"{"id": "SN5", "received_at": 7}"#.to_vec();
    lines[2500] = br#"{"id": "FAR"}"#.to_vec();
    let input = lines.join(&b'\n');
    let mut outputs = Vec::new();
    for jobs in [1, 2, 3] {
        let options = BatchOptions { jobs, inline_errors: true, ..BatchOptions::default() };
        let reader = BufReader::with_capacity(8192, Trickle { data: &input, step: 4096 });
        let (out, reports, summary) = run_with(&policy, reader, options);
        assert_eq!(summary, BatchSummary { decided: 2994, with_problems: 0, failed: 5 });
        let out: Vec<&str> = out.lines().collect();
        assert_eq!(out.len(), lines.len(), "jobs {jobs}: one output line per input line");
        let record = |n: usize| -> Json { serde_json::from_str(out[n - 1]).unwrap() };
        assert_eq!(
            record(2),
            json!({"line": 2, "ticket": "NO-TIME", "error": "invalid_ticket",
                   "message": "NO-TIME: received_at: is missing",
                   "problems": [{"path": "received_at", "problem": "missing", "message": "is missing"}]})
        );
        let not_json = record(3);
        assert_eq!((&not_json["line"], &not_json["error"]), (&json!(3), &json!("not_json")));
        assert_eq!(not_json["problems"][0]["path"], Json::Null, "the ticket as a whole");
        assert_eq!(not_json["problems"][0]["problem"], "syntax");
        assert_eq!(out[3], "", "a blank line is answered by an empty line");
        assert_eq!((&record(5)["error"], &record(5)["ticket"]), (&json!("not_utf8"), &Json::Null));
        assert_eq!(record(6)["problems"][0]["problem"], "wrong_type");
        assert_eq!((&record(2501)["line"], &record(2501)["ticket"]), (&json!(2501), &json!("FAR")));
        assert_eq!(record(1)["ticket"], "SN00000");
        assert!(record(1).get("error").is_none(), "a decision has no `error` key");
        assert_eq!(record(3000)["ticket"], "SN02999");
        let told: Vec<usize> = reports.iter().map(|r| r.line).collect();
        assert_eq!(told, [2, 3, 5, 6, 2501], "jobs {jobs}: reports are told as before");
        outputs.push(out.join("\n"));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "every number of threads writes the same");
}

/// Asking for more threads than a batch starts (`--jobs 65535`) decides as one thread does.
#[test]
fn more_jobs_than_the_batch_starts_decide_the_same() {
    let policy = policy();
    let lines: Vec<Vec<u8>> = (0..3000).map(|i| ticket(i).into_bytes()).collect();
    let input = lines.join(&b'\n');
    let (expected, _) = one_by_one(&policy, &lines);
    let (out, reports, summary) = run(&policy, &input[..], 65_535);
    assert!(reports.is_empty(), "{reports:?}");
    assert_eq!(summary.decided, 3000);
    assert_eq!(out, expected);
}
