//! `triage repl` from a pipe: scripted sessions run through the real binary, each command
//! echoed as `> command` before its answer, compared as transcripts (insta snapshots); the
//! exit code (0 when every command succeeded, 1 otherwise) is asserted apart.
//!
//! Every session runs in a temporary copy of `rules/` and `examples/`, so that `:save-test`
//! and edited policies never touch the crate's own files. The sessions are in
//! `tests/data/repl/`; the interactive REPL (completion, history) is driven through a
//! pseudo-terminal in `tests/repl_pty.rs`.

mod common;

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Run, TempDir};

const AS_POLICY: &str = "rules/after-sales-quality.triage";
const AS_TESTS: &str = "rules/after-sales-quality.tests.triage";
const DG_POLICY: &str = "rules/dongguan-service-quality.triage";
const DG_TESTS: &str = "rules/dongguan-service-quality.tests.triage";
const AS_TICKET: &str = "examples/tickets/as-air-conditioner.json";

impl Run {
    /// The transcript: standard output, with the temporary folder's path replaced, after
    /// checking that nothing went to standard error (the REPL answers on standard output).
    #[track_caller]
    fn transcript(&self, dir: &TempDir) -> String {
        assert_eq!(self.stderr, "", "the REPL writes nothing to standard error");
        placeholders(&self.stdout, dir)
    }
}

/// The text with the temporary folder and the crate root replaced by placeholders.
fn placeholders(text: &str, dir: &TempDir) -> String {
    let dir = dir.path().to_string_lossy();
    let root = common::crate_root().to_string_lossy();
    text.replace(&*dir, "[TMP]").replace(&*root, "[ROOT]")
}

/// `triage repl [POLICY]` from `dir`, plain (`NO_COLOR`), its history kept in `dir`.
fn repl_command(dir: &TempDir, policy: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_triage"));
    command.current_dir(dir.path()).arg("repl").args(policy);
    command.env("NO_COLOR", "1").env("TRIAGE_HISTORY", dir.join("history"));
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Run a whole session: `stdin` is written, then closed.
fn repl(dir: &TempDir, policy: Option<&str>, stdin: &str) -> Run {
    let mut child = repl_command(dir, policy).spawn().expect("the binary starts");
    let stdout = read_all(child.stdout.take().expect("stdout is piped"));
    let stderr = read_all(child.stderr.take().expect("stderr is piped"));
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_string();
    // Written from a thread, so that a REPL that stops reading cannot block the test.
    let writer = std::thread::spawn(move || match input.write_all(stdin.as_bytes()) {
        // The REPL stops reading at `:quit`: the rest of the input meets a closed pipe.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    });
    let status = wait_at_most(&mut child, LIMIT);
    writer.join().expect("the writer ends").expect("stdin is written");
    let (stdout, stderr) = (text(stdout), text(stderr));
    let status = status.unwrap_or_else(|| panic!("the session did not end within {LIMIT:?}:\n{stdout}\n{stderr}"));
    Run { code: status.code(), stdout, stderr }
}

/// How long a session may take before it is killed and the test fails: far more than any
/// needs, so that a hang fails the test instead of stopping the suite.
const LIMIT: Duration = Duration::from_secs(60);

/// Read a pipe to its end on a thread of its own, so that a full pipe never blocks the
/// binary.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn text(reader: std::thread::JoinHandle<Vec<u8>>) -> String {
    String::from_utf8(reader.join().expect("the reader ends")).expect("the REPL writes UTF-8")
}

/// The child's exit status, or `None` (and the child killed) when it runs past `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the child is waited for") {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A session file of `tests/data/repl/`.
fn session(name: &str) -> String {
    let path = common::crate_root().join("tests/data/repl").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("test setup: `{}`: {e}", path.display()))
}

/// The answer to the first `command` in a transcript: what follows its echo, up to the
/// next echo.
#[track_caller]
fn answer<'t>(transcript: &'t str, command: &str) -> &'t str {
    nth_answer(transcript, command, 0)
}

/// The answer to the `n`th `command` (from 0) in a transcript.
#[track_caller]
fn nth_answer<'t>(transcript: &'t str, command: &str, n: usize) -> &'t str {
    let echo = format!("> {command}\n");
    let start = transcript.match_indices(&echo).nth(n).map(|(i, _)| i + echo.len());
    let start = start.unwrap_or_else(|| panic!("no `{command}` number {n} in:\n{transcript}"));
    let rest = &transcript[start..];
    &rest[..rest.find("\n> ").map_or(rest.len(), |i| i + 1)]
}

/// `triage test POLICY` in `dir`: its exit code and what it said.
fn policy_tests(dir: &TempDir, policy: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_triage"))
        .current_dir(dir.path())
        .args(["test", policy])
        .output()
        .expect("the binary runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// `(passed, failed)` from `triage test`'s last line, `38 passed, 0 failed`.
#[track_caller]
fn counts(report: &str) -> (usize, usize) {
    let last = report.lines().last().unwrap_or_else(|| panic!("no summary in:\n{report}"));
    let numbers: Vec<usize> = last.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    match numbers[..] {
        [passed, failed] => (passed, failed),
        _ => panic!("no `N passed, M failed` in `{last}`"),
    }
}

// ---------------------------------------------------------------- the issue's session

/// The issue's "Done when", as a new user types it: a ticket from an example, one fact
/// changed, the decision, why, what if, the smallest change, the clock, and the scenario
/// kept as a test that `triage test` then runs and passes.
#[test]
fn the_issues_session_reads_well_and_saves_a_passing_test() {
    let dir = TempDir::with_policies("repl-done-when");
    let (_, before) = policy_tests(&dir, AS_POLICY);
    let (passed, failed) = counts(&before);
    assert_eq!(failed, 0, "the copied policy's tests pass:\n{before}");

    let run = repl(&dir, Some(AS_POLICY), &session("as-done-when.repl"));
    run.exits(0);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("as_done_when", transcript);
    assert!(answer(&transcript, ":why grade").contains("impact.safety = true"), "{transcript}");

    // The test is in the companion file, as the transcript shows it, and passes.
    let saved = answer(&transcript, ":save-test \"a safety problem makes the air conditioner urgent\"");
    let test = saved.split_once("(and it passes):\n").map(|(_, t)| t).expect("the saved test is shown");
    let companion = dir.read(AS_TESTS);
    assert!(companion.ends_with(test), "the companion file ends with the saved test:\n{companion}");
    assert!(test.contains("given impact.safety = true") && test.contains("expect grade I"), "{test}");
    let (code, after) = policy_tests(&dir, AS_POLICY);
    assert_eq!((code, counts(&after)), (Some(0), (passed + 1, 0)), "one more test, passing:\n{after}");
    let original = std::fs::read_to_string(common::crate_root().join(AS_TESTS)).expect("the crate's tests");
    assert_eq!(companion.strip_suffix(test).map(str::trim_end), Some(original.trim_end()), "only appended");

    // The saved test states the decision: when the policy changes it, the test fails.
    let policy = dir.read(AS_POLICY);
    let edited = policy.replace("deadline respond = received_at + 2 h", "deadline respond = received_at + 3 h");
    assert_ne!(edited, policy, "test setup: the urgent respond deadline is `received_at + 2 h`");
    dir.write(AS_POLICY, &edited);
    let (code, report) = policy_tests(&dir, AS_POLICY);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("FAIL") && report.contains("\"a safety problem makes the air conditioner urgent\""),
        "{report}"
    );
}

// ---------------------------------------------------------------- every command, working

#[test]
fn building_a_ticket_field_by_field() {
    let dir = TempDir::with_policies("repl-ticket");
    let run = repl(&dir, Some(AS_POLICY), &session("as-ticket.repl"));
    // `:quit` ends the session: the unknown command after it is never read.
    run.exits(0);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("as_ticket", transcript);
    assert!(!transcript.contains(":this-is-never-read"), "{transcript}");
    // The multi-line `set` is one command, and both of its fields are set.
    assert!(transcript.contains("> set repeat_failure = false,\n    promise_broken = true\n"), "{transcript}");
    let shown = nth_answer(&transcript, ":show", 2);
    assert!(shown.contains("repeat_failure         false  (set)\n"), "{shown}");
    assert!(shown.contains("promise_broken         true  (set)\n"), "{shown}");
    // A piped session keeps no history.
    assert!(!dir.join("history").exists(), "a piped session wrote history");
}

#[test]
fn why_why_not_what_if_and_flip() {
    let dir = TempDir::with_policies("repl-why");
    let run = repl(&dir, Some(AS_POLICY), &session("as-why.repl"));
    run.exits(0);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("as_why", transcript);
    let flip = answer(&transcript, ":flip grade");
    assert!(flip.starts_with("now: grade II\nsmallest change: 1 field\n"), "{flip}");
    assert!(flip.contains("  set impact.safety = true  →  grade I\n"), "{flip}");
    let none = answer(&transcript, ":flip deadline feedback");
    assert!(none.contains("none within 3 changes"), "{none}");
}

#[test]
fn the_clock_and_the_calendar() {
    let dir = TempDir::with_policies("repl-clock");
    let run = repl(&dir, Some(AS_POLICY), &session("as-clock.repl"));
    run.exits(0);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("as_clock", transcript);
    let at_receipt = answer(&transcript, ":now 2024-05-10 10:30");
    assert!(at_receipt.contains("  respond  due in 4 h, warns in 3 h\n"), "{at_receipt}");
    let warned = answer(&transcript, ":advance 195 min");
    assert!(warned.starts_with("now Fri 2024-05-10 13:45 (+08:00):\n"), "{warned}");
    assert!(warned.contains("  respond  warned: due in 45 min, warned 15 min ago\n"), "{warned}");
    // The make-up Saturday of Labour Day is a working day.
    let working_day = answer(&transcript, ":advance 1 working day");
    assert!(working_day.starts_with("now Sat 2024-05-11 18:00 (+08:00):\n"), "{working_day}");
    assert!(working_day.contains("  respond  BREACHED 1 day 3 h ago\n"), "{working_day}");
}

/// The Dongguan policy's labels are Chinese: decisions, why, the calendar and a saved test
/// (with a Chinese name) read in them; the saved test passes in a new companion file.
#[test]
fn the_dongguan_policy_in_its_own_words() {
    let dir = TempDir::with_policies("repl-dg");
    assert!(!dir.join(DG_TESTS).exists(), "test setup: the Dongguan policy has no companion file yet");
    let (_, before) = policy_tests(&dir, DG_POLICY);
    let (passed, _) = counts(&before);

    let run = repl(&dir, Some(DG_POLICY), &session("dg-chinese.repl"));
    run.exits(0);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("dg_chinese", transcript);
    assert!(answer(&transcript, ":decide").contains("综援室 (complaint_support)"), "{transcript}");

    let companion = dir.read(DG_TESTS);
    assert!(companion.contains("test \"全球通客户不外呼致歉，请求撤销投诉要质检\""), "{companion}");
    assert!(companion.contains("given ticket \"../examples/tickets/dg-apology-callback.json\""), "{companion}");
    let (code, after) = policy_tests(&dir, DG_POLICY);
    assert_eq!((code, counts(&after)), (Some(0), (passed + 1, 0)), "{after}");
}

// ---------------------------------------------------------------- hostile input

/// Every mistake is answered, located where it can be, and the session goes on: the last
/// command still decides the ticket built before the mistakes.
#[test]
fn mistakes_are_answered_and_the_session_goes_on() {
    let dir = TempDir::with_policies("repl-hostile-as");
    let stdin = format!(":ticket {AS_TICKET}\nset impact.safety = true\n{}", session("hostile-as.repl"));
    let run = repl(&dir, Some(AS_POLICY), &stdin);
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("hostile_as", transcript);
    for mistyped in ["set impact.safty = true", "? impact.safty", ":what-if impact.safty = false"] {
        let said = answer(&transcript, mistyped);
        assert!(said.contains("help: did you mean `impact.safety`?"), "`{mistyped}`:\n{said}");
        assert!(said.contains("──────┬─────"), "`{mistyped}` is underlined:\n{said}");
    }
    assert!(answer(&transcript, "unset impact.safty").contains("did you mean `impact.safety`?"), "{transcript}");
    assert!(answer(&transcript, ":decid").contains("did you mean `:decide`?"), "{transcript}");
    let advance = answer(&transcript, ":advance 1 working day");
    assert!(advance.contains("the clock is not set"), "{advance}");
    // A failed `set` changes nothing: `repeat_failure = 1` is refused and safety stays set.
    let shown = answer(&transcript, ":show");
    assert!(shown.contains("impact.safety          true  (set)\n"), "{shown}");
    assert!(shown.contains("repeat_failure         true\n"), "{shown}");
    assert!(answer(&transcript, ":decide").contains("grade:      紧急 (I)"), "{transcript}");
    // No policy file was written by the failed `:save-test`s.
    let original = std::fs::read_to_string(common::crate_root().join(AS_TESTS)).expect("the crate's tests");
    assert_eq!(dir.read(AS_TESTS), original);
}

#[test]
fn values_of_the_wrong_kind_for_enums_sets_and_texts() {
    let dir = TempDir::with_policies("repl-hostile-dg");
    let run = repl(&dir, Some(DG_POLICY), &session("hostile-dg.repl"));
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("hostile_dg", transcript);
    // A ticket that does not fit leaves the one before in place.
    assert!(answer(&transcript, ":show").starts_with("from examples/tickets/dg-apology-callback.json\n"));
}

/// Each failing command alone fails the session (exit 1), and each answering command
/// alone does not (exit 0): the exit code tells them apart, whatever the words.
#[test]
fn the_exit_code_is_1_exactly_when_a_command_failed() {
    let dir = TempDir::with_policies("repl-exit-codes");
    let setup = format!(":ticket {AS_TICKET}\n");
    let failing = [
        ":frobnicate",
        "set impact.safty = true",
        "set impact.safety = 3",
        "set",
        "unset received_at",
        "unset nothing.here",
        "? 1 +",
        "?",
        ":advance 2 h",
        ":now 2 h",
        ":why nonsense",
        ":why deadline nope",
        ":why exempt nope",
        ":why value nope",
        ":why-not",
        ":why-not nope",
        ":what-if",
        ":what-if nothing.here = 1",
        ":flip",
        ":flip action nope",
        ":calendar",
        ":calendar 1999-01",
        ":calendar 2024-05 nope",
        ":ticket nope.json",
        ":ticket rules/after-sales-quality.triage",
        ":load",
        ":load rules/nope.triage",
        ":save-test",
        ":save-test \"a safety issue is urgent and involves legal\"",
    ];
    for command in failing {
        let run = repl(&dir, Some(AS_POLICY), &format!("{setup}{command}\n"));
        assert_eq!(run.code, Some(1), "`{command}` should fail the session:\n{}", run.stdout);
        assert!(!answer(&run.stdout, command).trim().is_empty(), "`{command}` says why:\n{}", run.stdout);
    }
    let answering = [
        ":help",
        ":show",
        ":decide",
        ":json",
        ":why",
        ":why deadline feedback",
        ":why-not urgent",
        ":what-if impact.safety = false",
        ":flip deadline feedback",
        "? received_at",
        ":now",
        ":now 2024-05-15 10:00",
        ":calendar 2024-05",
        ":test",
        ":new",
        ":reload",
        "unset complex",
        "# a comment",
        "",
        ":quit",
    ];
    for command in answering {
        let run = repl(&dir, Some(AS_POLICY), &format!("{setup}{command}\n"));
        assert_eq!(run.code, Some(0), "`{command}` should not fail the session:\n{}", run.stdout);
    }
}

/// `:quit` and its short forms end the session: nothing after them is read.
#[test]
fn quit_ends_the_session() {
    let dir = TempDir::with_policies("repl-quit");
    for quit in [":quit", ":q", ":exit"] {
        let run = repl(&dir, Some(AS_POLICY), &format!(":decide\n{quit}\n:frobnicate\n"));
        run.exits(0);
        assert!(run.stdout.ends_with(&format!("> {quit}\n")), "`{quit}`:\n{}", run.stdout);
    }
}

/// Without a policy, every command that needs one says how to load one; loading one then
/// works, but the session has failed.
#[test]
fn a_session_without_a_policy() {
    let dir = TempDir::with_policies("repl-no-policy");
    let run = repl(&dir, None, &session("no-policy.repl"));
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("no_policy", transcript);
    let empty = repl(&dir, None, "");
    empty.exits(0);
    assert_eq!(empty.stdout, "", "nothing to say without a policy or a command");
}

/// A policy that fails to load at start: its diagnostics, then a session that goes on
/// without a policy until one is loaded; the session has failed.
#[test]
fn a_policy_that_fails_to_load_at_start() {
    let dir = TempDir::with_policies("repl-broken-start");
    let policy = dir.read(AS_POLICY);
    let broken = policy.replacen("  grade II\n", "  grade IV\n", 1);
    assert_ne!(broken, policy, "test setup: a rule says `grade II`");
    dir.write(AS_POLICY, &broken);
    let stdin =
        format!(":decide\n:reload\n:load {DG_POLICY}\n:ticket examples/tickets/dg-gotone-exempt.json\n:decide\n");
    let run = repl(&dir, Some(AS_POLICY), &stdin);
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("broken_at_start", transcript);
    assert!(transcript.starts_with("triage::unknown_grade"), "{transcript}");

    let missing = repl(&dir, Some("rules/nope.triage"), "");
    missing.exits(1);
    assert!(missing.stdout.contains("cannot read `rules/nope.triage`"), "{}", missing.stdout);
    // A policy that loads, and nothing else to do: the session succeeds.
    repl(&dir, Some(DG_POLICY), "").exits(0);
}

/// Input that ends inside a command (an open `{`, `(` or `"`) is not run; the commands
/// before it are, and the session has failed.
#[test]
fn a_session_that_ends_inside_a_command() {
    let dir = TempDir::with_policies("repl-unfinished");
    let stdin = ":ticket examples/tickets/dg-apology-callback.json\nset category = {attitude,\n  billing\n";
    let run = repl(&dir, Some(DG_POLICY), stdin);
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("unfinished_brace", transcript);
    assert!(transcript.contains("ticket from examples/tickets/dg-apology-callback.json"), "{transcript}");

    for (unfinished, open) in [("? (received_at + 2 h", "a `{` or `(`"), ("set transcript = \"不要投诉", "a `\"`")]
    {
        let run = repl(&dir, Some(DG_POLICY), &format!("{unfinished}\n"));
        run.exits(1);
        assert_eq!(
            answer(&run.stdout, unfinished),
            format!("the input ended inside this command: {open} is not closed\n"),
            "{}",
            run.stdout
        );
    }
    // Closed on a later line, the same command runs.
    let closed = repl(&dir, Some(DG_POLICY), "? (notified_at\n  + 2 h)\n");
    closed.exits(0);
    assert!(closed.stdout.ends_with("> ? (notified_at\n  + 2 h)\nmissing : a time\n"), "{}", closed.stdout);
}

/// Very long lines: a transcript of 100,000 characters is set and searched; an unknown
/// command and a broken value of 20,000 characters each are refused. None stops the session.
#[test]
fn very_long_lines() {
    let dir = TempDir::with_policies("repl-long-lines");
    let transcript = "您好，请问您是否撤销投诉？".repeat(100_000 / 13);
    let command = "x".repeat(20_000);
    let broken = format!("set transcript = \"a\" {}", "y".repeat(20_000));
    let stdin = [
        format!("set transcript = \"{transcript}\""),
        "? transcript mentions {\"撤销{0-8}投诉\"} not after {\"是否\", \"确认\"}".into(),
        "? transcript contains \"撤销投诉\"".into(),
        command.clone(),
        broken.clone(),
        "? transcript contains \"撤销投诉\"".into(),
    ]
    .join("\n");
    let started = Instant::now();
    let run = repl(&dir, Some(DG_POLICY), &stdin);
    run.exits(1);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let out = &run.stdout;
    assert!(out.contains(&format!("> set transcript = \"{transcript}\"\n> ?")), "the long value is set silently");
    let answers: Vec<&str> = out.lines().filter(|l| l.ends_with(": a yes/no flag (`bool`)")).collect();
    assert_eq!(
        answers,
        ["false : a yes/no flag (`bool`)", "true : a yes/no flag (`bool`)", "true : a yes/no flag (`bool`)"]
    );
    assert!(answer(out, &command).starts_with(&format!("unknown command `{command}`")), "the long command is named");
    let refused = answer(out, &broken);
    assert!(refused.contains("triage::syntax") && refused.contains("expected the end of the input"), "{refused}");
}

// ---------------------------------------------------------------- reloading an edited policy

/// A session fed a command at a time, so that files can be edited between commands.
struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    said: mpsc::Receiver<Vec<u8>>,
    out: Vec<u8>,
    marks: usize,
}

impl Live {
    fn start(dir: &TempDir, policy: &str) -> Live {
        let mut child = repl_command(dir, Some(policy)).spawn().expect("the binary starts");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (tx, said) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                if tx.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Live { child, stdin, said, out: Vec::new(), marks: 0 }
    }

    /// Send commands, and wait until they are all answered: a comment sent after them is
    /// echoed once they are.
    fn run(&mut self, commands: &str) {
        self.marks += 1;
        let mark = format!("# sync {}", self.marks);
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "{commands}\n{mark}\n").expect("commands are written");
        stdin.flush().expect("commands are sent");
        let echo = format!("> {mark}\n");
        let deadline = Instant::now() + LIMIT;
        while !String::from_utf8_lossy(&self.out).contains(&echo) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.said.recv_timeout(left) {
                Ok(chunk) => self.out.extend(chunk),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no answer to {commands:?} in time; so far:\n{}", String::from_utf8_lossy(&self.out));
                }
            }
        }
    }

    /// Close standard input and wait for the end.
    fn finish(mut self) -> Run {
        drop(self.stdin.take());
        let stderr = read_all(self.child.stderr.take().expect("stderr is piped"));
        let status = wait_at_most(&mut self.child, LIMIT);
        // The reader ends at the end of the output, once the binary has ended.
        while let Ok(chunk) = self.said.recv_timeout(Duration::from_secs(5)) {
            self.out.extend(chunk);
        }
        let stdout = String::from_utf8(self.out).expect("the REPL writes UTF-8");
        let status = status.unwrap_or_else(|| panic!("the session did not end within {LIMIT:?}:\n{stdout}"));
        Run { code: status.code(), stdout, stderr: text(stderr) }
    }
}

/// `:reload` after an edit: a broken edit shows the checker's diagnostics and keeps the
/// last good policy and the ticket; a good edit is taken, the ticket still there.
#[test]
fn reload_after_a_broken_edit_keeps_the_last_good_policy_and_the_ticket() {
    let dir = TempDir::with_policies("repl-reload");
    let good = dir.read(AS_POLICY);
    let mut live = Live::start(&dir, AS_POLICY);
    live.run(&format!(":ticket {AS_TICKET}\nset impact.safety = true\n:decide"));

    let broken = good.replacen("  grade II\n", "  grade IV\n", 1);
    assert_ne!(broken, good, "test setup: a rule says `grade II`");
    dir.write(AS_POLICY, &broken);
    live.run(":reload\n:show\n:decide");

    let edited = good.replace("deadline respond = received_at + 2 h", "deadline respond = received_at + 3 h");
    assert_ne!(edited, good, "test setup: the urgent respond deadline is `received_at + 2 h`");
    dir.write(AS_POLICY, &edited);
    live.run(":reload\n:show\n:decide");
    let run = live.finish();
    run.exits(1);
    let transcript = run.transcript(&dir);
    insta::assert_snapshot!("reload", transcript);

    let reloads: Vec<&str> = transcript.split("> :reload\n").skip(1).collect();
    let [after_broken, after_good] = reloads[..] else { panic!("two reloads:\n{transcript}") };
    assert!(after_broken.contains("unknown grade `IV`"), "{after_broken}");
    assert!(after_broken.contains("the last good one stays loaded"), "{after_broken}");
    assert!(after_good.starts_with("reloaded policy after_sales_quality"), "{after_good}");
    for (after, respond) in
        [(after_broken, "respond  Fri 2024-05-10 12:30"), (after_good, "respond  Fri 2024-05-10 13:30")]
    {
        assert!(after.contains("impact.safety          true  (set)"), "the ticket survives:\n{after}");
        assert!(after.contains("grade:      紧急 (I)") && after.contains(respond), "{after}");
    }
}

// ---------------------------------------------------------------- colour

/// Plain text from a pipe, unless colour is asked for with `--color always`.
#[test]
fn colour_only_when_asked_for() {
    let dir = TempDir::with_policies("repl-colour");
    let stdin = "set impact.safty = true\n:calendar 2024-05\n";
    let plain = repl(&dir, Some(AS_POLICY), stdin);
    assert!(!plain.stdout.contains('\x1b'), "{}", plain.stdout);
    let mut command = repl_command(&dir, Some(AS_POLICY));
    command.env_remove("NO_COLOR").arg("--color").arg("always");
    let mut child = command.spawn().expect("the binary starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin is written");
    let out = child.wait_with_output().expect("the binary ends");
    let coloured = String::from_utf8_lossy(&out.stdout);
    let (diagnostic, calendar) = coloured.split_once("> :calendar").expect("both answers");
    assert!(diagnostic.contains("\x1b[") && diagnostic.contains("did you mean"), "{diagnostic}");
    assert!(calendar.contains("\x1b["), "the calendar marks its days in colour:\n{calendar}");
}

// ---------------------------------------------------------------- known bugs

/// A line that starts with `#` is a comment, whole on its own line; one that ends in `,`
/// or holds a `{` should not swallow the next command.
#[test]
fn a_comment_never_continues_onto_the_next_line() {
    let dir = TempDir::with_policies("repl-bug-comment");
    let run = repl(&dir, Some(AS_POLICY), "# a, b,\n:frobnicate\n");
    assert_eq!(run.code, Some(1), "`:frobnicate` was not run:\n{}", run.stdout);
    let run = repl(&dir, Some(AS_POLICY), "# see {\n:decide\n");
    run.exits(0);
    assert!(answer(&run.stdout, ":decide").contains("grade:"), "{}", run.stdout);
}

/// `:why-not` of a rule that fired says so on a line of its own.
#[test]
fn why_not_of_a_rule_that_fired_ends_its_line() {
    let dir = TempDir::with_policies("repl-bug-why-not-fired");
    let run = repl(&dir, Some(AS_POLICY), &format!(":ticket {AS_TICKET}\n:why-not important\n:show\n"));
    run.exits(0);
    assert!(run.stdout.contains("`:why` shows what it did\n> :show\n"), "{}", run.stdout);
}

/// `:why-not` of a rule whose `or` is false lists every alternative it read: each one is
/// a reason the rule did not fire.
#[test]
fn why_not_lists_every_alternative_of_a_false_or() {
    let dir = TempDir::with_policies("repl-bug-why-not-or");
    let run = repl(&dir, Some(AS_POLICY), &format!(":ticket {AS_TICKET}\n:why-not urgent\n"));
    run.exits(0);
    let said = answer(&run.stdout, ":why-not urgent");
    for flag in ["major_loss", "group_incident", "media", "safety", "data_loss"] {
        assert!(said.contains(&format!("impact.{flag} = false")), "`impact.{flag}` is not listed:\n{said}");
    }
}

/// `:flip` names every field it did not vary; an optional time that is missing cannot be
/// given a value by the search, and it is the one that would set the deadline.
#[test]
fn flip_names_the_optional_times_it_did_not_vary() {
    let dir = TempDir::with_policies("repl-bug-flip-optional");
    let run = repl(&dir, Some(AS_POLICY), &format!(":ticket {AS_TICKET}\n:flip deadline feedback\n"));
    run.exits(0);
    let said = answer(&run.stdout, ":flip deadline feedback");
    assert!(said.contains("none within 3 changes"), "test setup: nothing flips it:\n{said}");
    let not_varied = said.lines().find(|l| l.starts_with("not varied")).unwrap_or_default();
    assert!(not_varied.contains("completed_at"), "{said}");
}

/// Input that ends after a trailing `,` is unfinished because of the comma, not because of
/// a bracket or quote.
#[test]
fn input_ending_after_a_comma_says_so() {
    let dir = TempDir::with_policies("repl-bug-comma");
    let run = repl(&dir, Some(AS_POLICY), "set impact.safety = true,\n");
    run.exits(1);
    let said = answer(&run.stdout, "set impact.safety = true,");
    assert!(said.contains("`,`"), "{said}");
}

/// `:advance` diagnostics point at what was typed, not at an expression the REPL made up
/// with the clock written in UTC.
#[test]
fn advance_diagnostics_show_what_was_typed() {
    let dir = TempDir::with_policies("repl-bug-advance");
    let run = repl(&dir, Some(AS_POLICY), ":now 2024-05-15 10:00\n:advance 1\n");
    run.exits(1);
    let said = answer(&run.stdout, ":advance 1");
    assert!(!said.contains("2024-05-15T02:00:00Z"), "{said}");
}

/// `:flip value V` on a policy without values says so, as `:why value V` does.
#[test]
fn flip_of_an_unknown_value_without_values() {
    let dir = TempDir::with_policies("repl-bug-flip-value");
    let run = repl(&dir, Some(AS_POLICY), ":flip value x\n");
    run.exits(1);
    let said = answer(&run.stdout, ":flip value x");
    assert!(!said.trim_end().ends_with("the values are"), "{said}");
}

/// `:what-if` words the changes as `:decide` does: an exemption is not a rule, and a time
/// value reads as a deadline does.
#[test]
fn what_if_does_not_call_an_exemption_a_rule() {
    let dir = TempDir::with_policies("repl-bug-what-if-exemption");
    let stdin = ":ticket examples/tickets/dg-gotone-exempt.json\n:what-if customer.tier = normal\n";
    let run = repl(&dir, Some(DG_POLICY), stdin);
    run.exits(0);
    let said = answer(&run.stdout, ":what-if customer.tier = normal");
    assert!(said.contains("exempt high_value_customer"), "test setup: the exemption stops applying:\n{said}");
    assert!(!said.contains("rule high_value_customer"), "{said}");
}

#[test]
fn what_if_words_time_values_as_decide_does() {
    let dir = TempDir::with_policies("repl-bug-what-if-value");
    let stdin = ":ticket examples/tickets/dg-apology-callback.json\n:decide\n:what-if customer.tier = gotone\n";
    let run = repl(&dir, Some(DG_POLICY), stdin);
    run.exits(0);
    assert!(answer(&run.stdout, ":decide").contains("first_call  Fri 2024-05-10 14:30 (+08:00)"), "{}", run.stdout);
    let said = answer(&run.stdout, ":what-if customer.tier = gotone");
    assert!(said.contains("value first_call"), "test setup: the value goes:\n{said}");
    assert!(said.contains("Fri 2024-05-10 14:30 (+08:00) → none"), "{said}");
}

/// A syntax error in a typed fragment gets help about fragments, not about the items of a
/// policy file.
#[test]
fn fragment_syntax_errors_get_help_about_fragments() {
    let dir = TempDir::with_policies("repl-bug-fragment-help");
    let run = repl(&dir, Some(AS_POLICY), "? impact.safety impact.media\nset impact.safety = true false\n");
    run.exits(1);
    for command in ["? impact.safety impact.media", "set impact.safety = true false"] {
        let said = answer(&run.stdout, command);
        assert!(said.contains("expected the end of the input"), "test setup:\n{said}");
        assert!(!said.contains("`import`") && !said.contains("each item starts with `policy`"), "{said}");
    }
}

/// The policy named on the command line is the one `:reload` reads, even when it failed to
/// load at start: fixing it and reloading is the way out of a broken start.
#[test]
fn reload_retries_a_policy_that_failed_at_start() {
    let dir = TempDir::with_policies("repl-bug-reload-start");
    let good = dir.read(AS_POLICY);
    dir.write(AS_POLICY, &good.replacen("  grade II\n", "  grade IV\n", 1));
    let mut live = Live::start(&dir, AS_POLICY);
    live.run(":show");
    dir.write(AS_POLICY, &good);
    live.run(":reload\n:show");
    let run = live.finish();
    let reloaded = answer(&run.stdout, ":reload");
    assert!(reloaded.starts_with("reloaded policy after_sales_quality"), "{}", run.stdout);
}

/// A field given twice in one `set` is refused, as a ticket with a key given twice is; a
/// third word to `:calendar` is one too many, not a calendar's name.
#[test]
fn a_field_set_twice_and_a_calendar_asked_twice_are_refused() {
    let dir = TempDir::with_policies("repl-twice");
    let run =
        repl(&dir, Some(AS_POLICY), "set complex = true, complex = false\n:calendar 2024-02 office extra\n:show\n");
    run.exits(1);
    assert!(
        answer(&run.stdout, "set complex = true, complex = false").contains("`complex` is given twice"),
        "{}",
        run.stdout
    );
    assert!(
        answer(&run.stdout, ":calendar 2024-02 office extra").contains("`extra` is one too many"),
        "{}",
        run.stdout
    );
    let show = answer(&run.stdout, ":show");
    assert!(
        show.lines().any(|l| l.trim_start().starts_with("complex") && l.contains("missing")),
        "nothing was set:\n{show}"
    );
}
