//! The interactive `triage repl`, driven through a pseudo-terminal as a person types:
//! Tab completion (fields, commands, enum values, names, files), hints, answers, Ctrl-C
//! cancelling a half-typed line, Ctrl-D leaving with code 0, and history kept in
//! `TRIAGE_HISTORY` and read back by the next session.
//!
//! The terminal is read with a deadline: a REPL that stops answering is killed and the test
//! fails with everything it said. Keys are typed only once the prompt or the line they edit
//! is shown (rustyline reads keys in raw mode only while it edits a line), so the tests hold
//! on a slow machine.

#![cfg(unix)]

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::TempDir;

const AS_POLICY: &str = "rules/after-sales-quality.triage";
const DG_POLICY: &str = "rules/dongguan-service-quality.triage";
const AS_PROMPT: &str = "after_sales_quality> ";
const DG_PROMPT: &str = "dongguan_service_quality> ";

/// How long one expected text may take to appear.
const PATIENCE: Duration = Duration::from_secs(20);

/// The binary on a pseudo-terminal, and what it has shown so far.
struct Terminal {
    master: File,
    child: Child,
    /// Every byte the binary wrote to the terminal.
    raw: Vec<u8>,
    /// How much of the plain text (escapes stripped) earlier waits have consumed.
    consumed: usize,
    /// The REPL's prompt, `after_sales_quality> `.
    prompt: String,
}

impl Terminal {
    /// `triage repl POLICY` in `dir`, on a terminal of 200 columns, `TERM=xterm` (rustyline
    /// edits lines only on a terminal it supports), history in `dir/history`.
    fn start(dir: &TempDir, policy: &str, prompt: &str, env: &[(&str, Option<&str>)]) -> Terminal {
        // Tests run on several threads: while one opens a terminal, another must not start a
        // binary, which would inherit the terminal and keep it open after its test.
        static SPAWNING: Mutex<()> = Mutex::new(());
        let _spawning = SPAWNING.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut master, mut slave) = (0, 0);
        let mut size = libc::winsize { ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0 };
        let null = std::ptr::null_mut();
        // SAFETY: out-pointers to two integers and to a live winsize; no name or settings.
        let opened = unsafe { libc::openpty(&mut master, &mut slave, null, null as _, &mut size as *mut _ as _) };
        assert_eq!(opened, 0, "a pseudo-terminal: {}", std::io::Error::last_os_error());
        for fd in [master, slave] {
            // SAFETY: a descriptor openpty just opened. Closed on exec, so that the binary
            // holds only the copies it is given as standard input, output and error.
            assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }, 0, "close-on-exec");
        }
        // SAFETY: openpty opened both and nothing else owns them.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut command = Command::new(env!("CARGO_BIN_EXE_triage"));
        command.current_dir(dir.path()).args(["repl", policy]);
        command.env("TERM", "xterm").env("NO_COLOR", "1").env("TRIAGE_HISTORY", dir.join("history"));
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let copy = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("the terminal's other end is shared"));
        command.stdin(copy(&slave)).stdout(copy(&slave)).stderr(Stdio::from(slave));
        let child = command.spawn().expect("the binary starts");
        // Only the binary holds the terminal's other end now: reading ends when it exits.
        drop(command);
        Terminal { master: File::from(master), child, raw: Vec::new(), consumed: 0, prompt: prompt.to_string() }
    }

    /// Type keys.
    fn press(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("keys are typed");
        self.master.flush().expect("keys are sent");
    }

    /// The terminal's text so far, without escape sequences and carriage returns.
    fn plain(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.raw))
    }

    /// Wait until `text` appears after what earlier waits consumed; return what came
    /// before it since then. Past the deadline, kill the binary and fail with what it said.
    #[track_caller]
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let plain = self.plain();
            if let Some(at) = plain[self.consumed..].find(text) {
                let before = plain[self.consumed..self.consumed + at].to_string();
                self.consumed += at + text.len();
                return before;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || (!self.read_some(left.min(Duration::from_millis(200))) && self.exited()) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "`{text}` did not appear in time; after the consumed part the terminal shows:\n{}\n\nraw: {:?}",
                    &plain[self.consumed..],
                    String::from_utf8_lossy(&self.raw)
                );
            }
        }
    }

    /// Wait for a new prompt, on a line of its own (rustyline redraws the line being edited,
    /// prompt included, at each key); return what was shown before it: the answer.
    #[track_caller]
    fn answer(&mut self) -> String {
        let prompt = format!("\n{}", self.prompt);
        self.wait_for(&prompt)
    }

    /// Read what is there within `wait`; false when the terminal is closed.
    fn read_some(&mut self, wait: Duration) -> bool {
        let mut poll = libc::pollfd { fd: self.master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let millis = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one pollfd, alive for the call.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready <= 0 {
            return true;
        }
        let mut buffer = [0u8; 4096];
        // Linux answers EIO, not end of file, once the binary has closed its end.
        match self.master.read(&mut buffer) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buffer[..n]);
                true
            }
        }
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Wait for the binary to end; its exit code. Past the deadline, kill it and fail.
    #[track_caller]
    fn exit_code(mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the binary is waited for") {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the REPL did not leave in time; the terminal shows:\n{}", self.plain());
            }
            self.read_some(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    /// A test that fails leaves no REPL behind.
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Text without ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL`, and
/// two-byte `ESC x`) and without carriage returns. An escape cut short at the end is
/// dropped, so the text of a prefix of the output is a prefix of the text of the whole.
fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' | '\x07' => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn stripping_escapes_keeps_the_text() {
    let raw = "\x1b[?2004h\ras> \x1b[Kset impact.saf\x1b[6n\x07\r\n\x1b]0;title\x07ok\x1b[1;31mred\x1b[0m\x1b[";
    assert_eq!(strip_escapes(raw), "as> set impact.saf\nokred");
}

/// The session a person has: completion of a field and of a command, answers, a hint,
/// Ctrl-C cancelling a half-typed line without leaving, Ctrl-D leaving with code 0, and the
/// commands typed in the history file.
#[test]
fn completion_answers_ctrl_c_ctrl_d_and_history() {
    let dir = TempDir::with_policies("pty-session");
    let mut term = Terminal::start(&dir, AS_POLICY, AS_PROMPT, &[]);
    let welcome = term.answer();
    assert!(welcome.contains("loaded policy after_sales_quality"), "{welcome}");
    assert!(welcome.contains("Tab completes, Ctrl-D leaves"), "{welcome}");

    // A field path: `impact.saf` has one completion.
    term.press("set impact.saf");
    term.wait_for("set impact.saf");
    term.press("\t");
    term.wait_for("set impact.safety");
    term.press(" = true\r");
    term.answer();
    term.press("? impact.safety\r");
    let answer = term.answer();
    assert!(answer.contains("true : a yes/no flag (`bool`)"), "the completed field was set:\n{answer}");
    assert!(!answer.contains("unknown field"), "{answer}");

    // A command: `:wh` has three; Tab goes round them, and typing on takes the one shown.
    term.press(":wh");
    term.wait_for(":wh");
    term.press("\t");
    term.wait_for(":why");
    term.press("\t");
    term.wait_for(":why-not");
    term.press("\t");
    term.wait_for(":what-if");
    term.press(" impact.safety = false\r");
    let answer = term.answer();
    assert!(answer.contains("with impact.safety = false:"), "{answer}");
    assert!(answer.lines().any(|l| l.starts_with("  grade ") && l.ends_with(" I → III")), "{answer}");

    // A hint of what a command takes, once its name is typed.
    term.press(":calendar");
    term.wait_for("[YYYY-MM] [CALENDAR]");
    term.press(" 2024-05\r");
    let answer = term.answer();
    assert!(answer.contains("calendar office \"售后部门工作时间\": May 2024"), "{answer}");

    // Ctrl-C cancels the line: it is not run, and the REPL goes on.
    term.press("set impact.safety = false");
    term.wait_for("set impact.safety = false");
    term.press("\x03");
    term.answer();
    term.press("? impact.safety\r");
    let answer = term.answer();
    assert!(answer.contains("true : a yes/no flag (`bool`)"), "the cancelled line was not run:\n{answer}");

    // A mistake is answered in plain text (`NO_COLOR`), and the REPL goes on.
    term.press("set impact.safty = true\r");
    let answer = term.answer();
    assert!(answer.contains("did you mean `impact.safety`?"), "{answer}");
    let raw = String::from_utf8_lossy(&term.raw).into_owned();
    assert!(!has_colour(&raw), "NO_COLOR=1, yet colour on the terminal: {raw:?}");

    // Ctrl-D on an empty line leaves, successfully although a command failed.
    term.press("\x04");
    assert_eq!(term.exit_code(), Some(0));

    let history = dir.read("history");
    let lines: Vec<&str> = history.lines().collect();
    for typed in [
        "set impact.safety = true",
        "? impact.safety",
        ":what-if impact.safety = false",
        ":calendar 2024-05",
        "set impact.safty = true",
    ] {
        assert!(lines.contains(&typed), "`{typed}` is not in the history:\n{history}");
    }
    assert!(!lines.contains(&"set impact.safety = false"), "a cancelled line is not history:\n{history}");
}

/// Completion of enum values, rule and exemption names, parts and names after `:why`, and
/// files after `:ticket`; history from an earlier session is there to recall (Up).
#[test]
fn completion_of_values_names_files_and_recalled_history() {
    let dir = TempDir::with_policies("pty-names");
    dir.write("history", "#V2\n:ticket examples/tickets/dg-gotone-exempt.json\n");
    let mut term = Terminal::start(&dir, DG_POLICY, DG_PROMPT, &[]);
    term.answer();

    // A file after `:ticket`.
    term.press(":ticket examples/tickets/dg-apo");
    term.wait_for("dg-apo");
    term.press("\t");
    term.wait_for(":ticket examples/tickets/dg-apology-callback.json");
    term.press("\r");
    let answer = term.answer();
    assert!(answer.contains("ticket from examples/tickets/dg-apology-callback.json"), "{answer}");

    // An enum value after `field =`.
    term.press("set customer.tier = go");
    term.wait_for("= go");
    term.press("\t");
    term.wait_for("set customer.tier = gotone");
    term.press("\r");
    term.answer();

    // A part, then an exemption's name, after `:why`.
    term.press(":why ex");
    term.wait_for(":why ex");
    term.press("\t");
    term.wait_for(":why exempt");
    term.press(" high_v\t");
    term.wait_for(":why exempt high_value_customer");
    term.press("\r");
    let answer = term.answer();
    assert!(answer.contains("(high_value_customer) applies"), "the tier was set to gotone:\n{answer}");

    // A rule's name after `:why-not`.
    term.press(":why-not apology_b\t");
    term.wait_for(":why-not apology_by_sms");
    term.press("\r");
    let answer = term.answer();
    assert!(answer.contains("rule `apology_by_sms` did not fire"), "{answer}");

    // Up recalls the last command, here the one from the earlier session's history.
    term.press("\x1b[A");
    term.wait_for(":why-not apology_by_sms");
    term.press("\x1b[A");
    term.wait_for(":why exempt high_value_customer");
    term.press("\x1b[A\x1b[A\x1b[A");
    term.wait_for(":ticket examples/tickets/dg-gotone-exempt.json");
    term.press("\r");
    let answer = term.answer();
    assert!(answer.contains("ticket from examples/tickets/dg-gotone-exempt.json"), "{answer}");

    term.press(":quit\r");
    assert_eq!(term.exit_code(), Some(0));
}

/// Without `NO_COLOR`, a terminal gets coloured diagnostics.
#[test]
fn a_terminal_without_no_color_gets_colour() {
    let dir = TempDir::with_policies("pty-colour");
    let mut term = Terminal::start(&dir, AS_POLICY, AS_PROMPT, &[("NO_COLOR", None)]);
    term.answer();
    term.press("set impact.safty = true\r");
    term.answer();
    let raw = String::from_utf8_lossy(&term.raw).into_owned();
    // The answer comes after the line's last redraw; hints are coloured too, but not there.
    let (_, answer) = raw.rsplit_once("safty = true").expect("the typed line is shown");
    assert!(strip_escapes(answer).contains("did you mean `impact.safety`?"), "{answer:?}");
    assert!(has_colour(answer), "no colour on a terminal without NO_COLOR: {answer:?}");
    term.press("\x04");
    assert_eq!(term.exit_code(), Some(0));
}

/// Whether text holds a colour or style (SGR) sequence other than a reset: `ESC [ 1;31 m`.
fn has_colour(raw: &str) -> bool {
    raw.split("\x1b[").skip(1).any(|rest| {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(rest.len());
        rest[end..].starts_with('m') && !matches!(&rest[..end], "" | "0")
    })
}
