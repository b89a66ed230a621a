//! `triage repl`: try scenarios against a policy, ask why and why not, move a clock, and
//! keep a scenario as a policy test. A thin layer over the library's [`Scenario`] and
//! [`Policy`]; this module only reads commands and words their answers.
//!
//! The same commands are read from a terminal (with completion, hints and history, see
//! [`editor`]) or line by line from a pipe, so a session can be replayed in tests and docs.

mod editor;

use std::fmt::Write as _;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use triage::{
    explain_outcome, explain_reasons, instant_words, policy_of, span_words, standing, unfinished, why, Decision,
    Policy, Scenario, Standing, TraceLevel, WhyPart,
};

use crate::Ui;

/// The most fields `:flip` changes at once, and the most tickets it decides.
const FLIP_CHANGES: usize = 3;
const FLIP_BUDGET: usize = 200_000;

/// The commands, with what they take and do, for `:help` and completion.
pub(crate) const COMMANDS: &[(&str, &str, &str)] = &[
    (":load", "FILE", "load a policy (its companion tests too); the ticket is kept"),
    (":reload", "", "load the policy again after editing it; a broken edit keeps the last good one"),
    (":ticket", "FILE", "start from a ticket in a JSON file"),
    (":new", "", "start from an empty ticket"),
    ("set", "FIELD = VALUE, …", "give fields values, typed as in a test's `given`"),
    ("unset", "FIELD", "leave an optional field out of the ticket"),
    (":show", "", "the ticket, field by field"),
    (":decide", "", "the decision, and where each deadline stands on the clock"),
    (":json", "", "the decision as JSON, as `triage eval` writes it"),
    (":why", "[grade | route | action A | deadline D | exempt E | value V]", "why the decision is so"),
    (":why-not", "RULE", "the first part of a rule's or exemption's condition that does not hold"),
    (":what-if", "FIELD = VALUE, …", "decide with these values too, and show only what changes"),
    (":flip", "grade | route | action A | deadline D | exempt E | value V", "the smallest change that moves it"),
    ("?", "EXPRESSION", "evaluate an expression against the ticket, with its type"),
    (":now", "[INSTANT]", "set the clock (`2024-05-15 10:00`), or show it"),
    (":advance", "DURATION", "move the clock: `2 h`, `1 working day`, `3 days`"),
    (":calendar", "[YYYY-MM] [CALENDAR]", "a month of the policy's calendar"),
    (":save-test", "NAME", "append this scenario and its decision as a test to the companion file"),
    (":test", "", "run the policy's tests"),
    (":help", "", "this list"),
    (":quit", "", "leave (Ctrl-D too)"),
];

/// Whether the session goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
}

/// The REPL's state: the policy, the ticket under construction and the clock.
pub(crate) struct Session {
    policy: Option<Policy>,
    path: Option<PathBuf>,
    scenario: Scenario,
    now: Option<DateTime<Utc>>,
    ui: Ui,
}

/// A command's answer: its words, and whether it failed.
type Answer = Result<String, String>;

impl Session {
    pub(crate) fn new(ui: Ui) -> Session {
        Session { policy: None, path: None, scenario: Scenario::new(), now: None, ui }
    }

    /// The loaded policy, for completion.
    pub(crate) fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// Run one command; the answer is written to `out`. `Err` when it failed. A command
    /// that panics (a bug: the library promises not to) is reported as failed, and the
    /// session goes on: nothing but `:quit` and Ctrl-D ends it.
    pub(crate) fn run(&mut self, line: &str, out: &mut String) -> Result<Flow, ()> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.command(line, out)));
        outcome.unwrap_or_else(|_| {
            out.push_str("internal error: this command failed unexpectedly; please report it with the session\n");
            Err(())
        })
    }

    fn command(&mut self, line: &str, out: &mut String) -> Result<Flow, ()> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Flow::Continue);
        }
        let (command, rest) = match line.strip_prefix('?') {
            Some(rest) => ("?", rest.trim()),
            None => line.split_once(char::is_whitespace).map_or((line, ""), |(c, r)| (c, r.trim())),
        };
        if matches!(command, ":quit" | ":q" | ":exit") {
            return Ok(Flow::Quit);
        }
        let answer = match command {
            ":load" => self.load(rest),
            ":reload" => self.reload(),
            ":ticket" => self.ticket(rest),
            ":new" => self.fresh(),
            "set" | ":set" => self.set(rest),
            "unset" | ":unset" => self.unset(rest),
            ":show" => self.show(),
            ":decide" => self.decide(),
            ":json" => self.json(),
            ":why" => self.why(rest),
            ":why-not" => self.why_not(rest),
            ":what-if" => self.what_if(rest),
            ":flip" => self.flip(rest),
            "?" => self.evaluate(rest),
            ":now" => self.now(rest),
            ":advance" => self.advance(rest),
            ":calendar" => self.calendar(rest),
            ":save-test" => self.save_test(rest),
            ":test" => self.test(),
            ":help" | ":h" => Ok(help()),
            other => {
                let names = COMMANDS.iter().map(|(c, ..)| *c);
                let hint = did_you_mean(other, names).unwrap_or_else(|| "`:help` lists the commands".into());
                Err(format!("unknown command `{other}`; {hint}"))
            }
        };
        match answer {
            Ok(text) => {
                out.push_str(&text);
                Ok(Flow::Continue)
            }
            Err(text) => {
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
                Err(())
            }
        }
    }

    fn loaded(&self) -> Result<&Policy, String> {
        self.policy.as_ref().ok_or_else(|| "no policy is loaded; `:load FILE` loads one".to_string())
    }

    /// Load a policy, keeping the ticket where it still fits.
    pub(crate) fn load(&mut self, file: &str) -> Answer {
        let file = unquote(file);
        if file.is_empty() {
            return Err("`:load` needs a policy file: `:load rules/after-sales-quality.triage`".into());
        }
        let path = policy_of(Path::new(file));
        let policy = match Policy::from_file(&path) {
            Ok(policy) => policy,
            Err(d) => {
                // With nothing loaded yet, `:reload` tries this file again once it is fixed.
                if self.policy.is_none() {
                    self.path = Some(path);
                }
                return Err(self.diagnostics(&d));
            }
        };
        let mut out = String::new();
        let label = policy.label().map(|l| format!(" \"{l}\"")).unwrap_or_default();
        let _ = writeln!(out, "loaded policy {}{label} from {}", policy.name(), path.display());
        for w in policy.warnings() {
            out.push_str(&self.ui.render(w));
        }
        if self.policy.is_some() {
            for dropped in self.scenario.rebase(&policy) {
                let _ = writeln!(out, "  {dropped}");
            }
        }
        self.policy = Some(policy);
        self.path = Some(path);
        Ok(out)
    }

    fn reload(&mut self) -> Answer {
        let Some(path) = self.path.clone() else {
            return Err("no policy is loaded; `:load FILE` loads one".into());
        };
        match self.load(&path.to_string_lossy()) {
            Ok(text) => Ok(text.replacen("loaded", "reloaded", 1)),
            Err(text) if self.policy.is_some() => {
                Err(format!("{text}the policy was not reloaded: the last good one stays loaded\n"))
            }
            Err(text) => Err(format!("{text}the policy still does not load\n")),
        }
    }

    fn ticket(&mut self, file: &str) -> Answer {
        let policy = self.loaded()?.clone();
        let file = unquote(file);
        if file.is_empty() {
            return Err("`:ticket` needs a JSON file: `:ticket examples/tickets/as-air-conditioner.json`".into());
        }
        // A ticket larger than the reader accepts is refused before it is read.
        let limit = triage::Limits::default().ticket_bytes;
        if std::fs::metadata(file).is_ok_and(|m| m.len() > limit as u64) {
            return Err(format!("`{file}` is larger than the {limit} bytes a ticket may have"));
        }
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{file}`: {e}"))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("`{file}` is not JSON: {e}"))?;
        self.scenario
            .start_from(&policy, Some(PathBuf::from(file)), json)
            .map_err(|e| format!("`{file}` does not fit policy {}: {e}", policy.name()))?;
        Ok(format!("ticket from {file}; `:show` lists its fields, `:decide` decides it\n"))
    }

    fn fresh(&mut self) -> Answer {
        self.scenario = Scenario::new();
        Ok("an empty ticket: every flag false, every number 0, times and optional fields missing\n".into())
    }

    fn set(&mut self, text: &str) -> Answer {
        let policy = self.loaded()?.clone();
        if text.is_empty() {
            return Err("`set` needs values: `set impact.safety = true, complex = false`".into());
        }
        self.scenario.set(&policy, text).map_err(|d| self.diagnostics(&d))?;
        Ok(String::new())
    }

    fn unset(&mut self, path: &str) -> Answer {
        let policy = self.loaded()?.clone();
        if path.is_empty() {
            return Err("`unset` needs a field: `unset complex`".into());
        }
        self.scenario.unset(&policy, path)?;
        Ok(String::new())
    }

    fn show(&self) -> Answer {
        let policy = self.loaded()?;
        let fields = self.scenario.show(policy).map_err(|e| e.to_string())?;
        let width = fields.iter().map(|(p, ..)| p.chars().count()).max().unwrap_or(0);
        let mut out = String::new();
        if let Some(file) = self.scenario.base_file() {
            let _ = writeln!(out, "from {}", file.display());
        }
        for (path, value, from) in fields {
            let value = shorten(&value, 60);
            let mark = match from {
                "set" => "  (set)",
                _ => "",
            };
            let _ = writeln!(out, "  {path:<width$}  {value}{mark}");
        }
        Ok(out)
    }

    /// The ticket and its decision.
    fn decided<'p>(&self, policy: &'p Policy, level: TraceLevel) -> Result<Decision<'p>, String> {
        let ticket = self.scenario.ticket(policy).map_err(|e| e.to_string())?;
        Ok(policy.decide(&ticket, level))
    }

    fn decide(&self) -> Answer {
        let policy = self.loaded()?;
        let d = self.decided(policy, TraceLevel::Rules)?;
        let mut out = explain_outcome(&d);
        if let Some(now) = self.now {
            out.push_str(&Self::clock_words(policy, &d, now, "  at", "    "));
        }
        if !d.problems().is_empty() {
            let _ = writeln!(out, "  not decided:");
            for p in d.problems() {
                let _ = writeln!(out, "    {p}");
            }
        }
        Ok(out)
    }

    /// Where each deadline stands at `now`.
    /// `heading` leads the clock's line, `indent` each deadline's.
    fn clock_words(policy: &Policy, d: &Decision<'_>, now: DateTime<Utc>, heading: &str, indent: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{heading} {}:", now_words(policy, now));
        if d.deadlines().len() == 0 {
            let _ = writeln!(out, "{indent}no deadlines");
        }
        let width = d.deadlines().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
        for (name, at) in d.deadlines() {
            let left = (at.utc() - now).num_seconds();
            let words = match standing(d, name, now) {
                Some(Standing::Breached) => format!("BREACHED {} ago", span_words(left)),
                Some(Standing::Warned) => {
                    let since = d.warnings(name).filter(|w| w.utc() <= now).map(|w| w.utc()).max();
                    let since = since
                        .map_or(String::new(), |w| format!(", warned {} ago", span_words((now - w).num_seconds())));
                    format!("warned: due in {}{since}", span_words(left))
                }
                Some(Standing::Due) => {
                    let warn = d.warnings(name).map(|w| w.utc()).min();
                    let warn =
                        warn.map_or(String::new(), |w| format!(", warns in {}", span_words((w - now).num_seconds())));
                    format!("due in {}{warn}", span_words(left))
                }
                None => continue,
            };
            let _ = writeln!(out, "{indent}{name:<width$}  {words}");
        }
        out
    }

    fn json(&self) -> Answer {
        let policy = self.loaded()?;
        let d = self.decided(policy, TraceLevel::Rules)?;
        let mut text = serde_json::to_string_pretty(&d).map_err(|e| format!("cannot write the decision: {e}"))?;
        text.push('\n');
        Ok(text)
    }

    fn why(&self, part: &str) -> Answer {
        let policy = self.loaded()?;
        let d = self.decided(policy, TraceLevel::Full)?;
        if part.is_empty() {
            return Ok(explain_reasons(&d));
        }
        let part: WhyPart = part.parse()?;
        why(policy, &d, &part)
    }

    fn why_not(&self, name: &str) -> Answer {
        let policy = self.loaded()?;
        if name.is_empty() {
            return Err(format!("`:why-not` needs a rule: {}", policy.names("rule").join(", ")));
        }
        let ticket = self.scenario.ticket(policy).map_err(|e| e.to_string())?;
        policy.why_not(&ticket, name)
    }

    fn what_if(&self, text: &str) -> Answer {
        let policy = self.loaded()?;
        if text.is_empty() {
            return Err("`:what-if` needs values: `:what-if impact.safety = false`".into());
        }
        let mut other = self.scenario.clone();
        other.set(policy, text).map_err(|d| self.diagnostics(&d))?;
        let before = self.decided(policy, TraceLevel::Rules)?;
        let ticket = other.ticket(policy).map_err(|e| e.to_string())?;
        let after = policy.decide(&ticket, TraceLevel::Rules);
        let changes = policy.changes(&before, &after);
        if changes.is_empty() {
            return Ok(format!("with {text}: nothing in the decision changes\n"));
        }
        let mut out = format!("with {text}:\n");
        let width = changes.iter().map(|c| c.what.chars().count()).max().unwrap_or(0);
        for c in changes {
            let rule = c.what.starts_with("rule ") || c.what.starts_with("exemption ");
            let words = match (c.before, c.after) {
                (Some(b), Some(a)) if b == "yes" && a == "yes" => continue,
                (Some(b), None) if b == "yes" && rule => "no longer fires".to_string(),
                (None, Some(a)) if a == "yes" && rule => "fires now".to_string(),
                (Some(b), None) if b == "yes" => "removed".to_string(),
                (None, Some(a)) if a == "yes" => "added".to_string(),
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (Some(b), None) => format!("{b} → none"),
                (None, Some(a)) => format!("none → {a}"),
                (None, None) => continue,
            };
            let _ = writeln!(out, "  {:<width$}  {words}", c.what);
        }
        Ok(out)
    }

    fn flip(&self, part: &str) -> Answer {
        let policy = self.loaded()?;
        if part.is_empty() {
            return Err("`:flip` needs a part of the decision: `:flip grade`, `:flip action notify`".into());
        }
        let part: WhyPart = part.parse()?;
        let ticket = self.scenario.ticket(policy).map_err(|e| e.to_string())?;
        let search = policy.flip(&ticket, &part, FLIP_CHANGES, FLIP_BUDGET)?;
        let mut out = format!("now: {}\n", search.before);
        match search.found.first() {
            None if search.tried == 0 && !search.exhausted_budget => {
                let _ = writeln!(out, "no field of this ticket is one the search can vary, so nothing was tried");
            }
            None => {
                let why = if search.exhausted_budget { ", stopped at the budget" } else { "" };
                let _ = writeln!(
                    out,
                    "none within {FLIP_CHANGES} changes of flags, choices, optional fields and numbers near the \
                     policy's thresholds ({} tickets decided{why})",
                    search.tried
                );
            }
            Some(first) => {
                let n = first.changes.len();
                let _ = writeln!(out, "smallest change: {n} field{}", if n == 1 { "" } else { "s" });
                const SHOWN: usize = 5;
                for flip in search.found.iter().take(SHOWN) {
                    let changes: Vec<String> = flip.changes.iter().map(|(f, v)| format!("{f} = {v}")).collect();
                    let _ = writeln!(out, "  set {}  →  {}", changes.join(", "), flip.after);
                }
                if search.found.len() > SHOWN {
                    let more = search.found.len() - SHOWN;
                    let plus = if search.found.len() == 50 { " or more" } else { "" };
                    let changes = if more == 1 && plus.is_empty() { "change" } else { "changes" };
                    let _ = writeln!(out, "  … and {more}{plus} other {changes} of this size");
                }
                let _ = writeln!(out, "(each decided to check it; {} tickets tried)", search.tried);
            }
        }
        if !search.not_searched.is_empty() {
            let _ = writeln!(
                out,
                "not varied: {} (text, times, and numbers compared with no constant; optional ones are tried left out)",
                search.not_searched.join(", ")
            );
        }
        Ok(out)
    }

    fn evaluate(&self, text: &str) -> Answer {
        let policy = self.loaded()?;
        if text.is_empty() {
            return Err("`?` needs an expression: `? impact.safety or repeat_failure`".into());
        }
        let expression = policy.expression(text).map_err(|d| self.diagnostics(&d))?;
        let ticket = self.scenario.ticket(policy).map_err(|e| e.to_string())?;
        let result = expression.evaluate(&ticket);
        let value = match result.instant() {
            Some(t) => now_words(policy, t),
            None => result.value.clone(),
        };
        let mut out = format!("{value} : {}\n", expression.type_words());
        for p in &result.problems {
            let _ = writeln!(out, "  problem: {p}");
        }
        Ok(out)
    }

    /// An instant typed at the prompt: anything the language reads as a time.
    fn instant(&self, text: &str) -> Result<DateTime<Utc>, String> {
        let policy = self.loaded()?;
        let expression = policy.expression(text).map_err(|d| self.diagnostics(&d))?;
        if !expression.type_words().contains("time") || expression.type_words().contains("duration") {
            return Err(format!("`{text}` is {}, not a time: `:now 2024-05-15 10:00`", expression.type_words()));
        }
        let ticket = self.scenario.ticket(policy).map_err(|e| e.to_string())?;
        let result = expression.evaluate(&ticket);
        match (result.instant(), result.problems.first()) {
            (Some(t), _) => Ok(t),
            (None, Some(p)) => Err(format!("`{text}` cannot be reckoned: {p}")),
            (None, None) => Err(format!("`{text}` is missing for this ticket")),
        }
    }

    fn now(&mut self, text: &str) -> Answer {
        if text.is_empty() {
            return match (self.now, self.policy.as_ref()) {
                (Some(now), Some(policy)) => Ok(format!("now is {}\n", now_words(policy, now))),
                _ => Ok("the clock is not set; `:now 2024-05-15 10:00` sets it\n".into()),
            };
        }
        self.now = Some(self.instant(text)?);
        self.clock()
    }

    fn advance(&mut self, text: &str) -> Answer {
        let Some(now) = self.now else {
            return Err("the clock is not set; `:now 2024-05-15 10:00` sets it first".into());
        };
        if text.is_empty() {
            return Err("`:advance` needs a duration: `:advance 2 h`, `:advance 1 working day`".into());
        }
        let policy = self.loaded()?;
        self.now = Some(policy.advance(now, text).map_err(|e| match e {
            triage::AdvanceError::Diagnostics(d) => self.diagnostics(&d),
            triage::AdvanceError::Other(words) => words,
        })?);
        self.clock()
    }

    /// The clock and the deadlines against it.
    fn clock(&self) -> Answer {
        let policy = self.loaded()?;
        let d = self.decided(policy, TraceLevel::None)?;
        let now = self.now.ok_or("the clock is not set")?;
        Ok(Self::clock_words(policy, &d, now, "now", "  "))
    }

    fn calendar(&self, args: &str) -> Answer {
        let policy = self.loaded()?;
        let mut month = None;
        let mut name = None;
        for word in args.split_whitespace() {
            let given = if word.starts_with(|c: char| c.is_ascii_digit()) { month.is_some() } else { name.is_some() };
            if given {
                return Err(format!("`:calendar` takes a month and a calendar, once each: `{word}` is one too many"));
            }
            if word.starts_with(|c: char| c.is_ascii_digit()) {
                month = Some(triage::parse_month(word).map_err(|e| e.to_string())?);
            } else {
                name = Some(word);
            }
        }
        let month = match (month, self.now) {
            (Some(m), _) => m,
            (None, Some(now)) => {
                let local = policy.instant(now).local();
                (local.year(), local.month())
            }
            (None, None) => return Err("`:calendar` needs a month (`:calendar 2024-05`), or the clock set".into()),
        };
        policy.calendar_month(name, month.0, month.1, self.ui.colour).map_err(|e| e.to_string())
    }

    fn save_test(&mut self, name: &str) -> Answer {
        let policy = self.loaded()?.clone();
        let name = unquote(name);
        if name.is_empty() {
            return Err("`:save-test` needs a name: `:save-test \"a safety problem is urgent\"`".into());
        }
        let Some(path) = self.path.clone() else { return Err("no policy is loaded".into()) };
        if policy.run_tests().outcomes.iter().any(|o| o.name == name) {
            return Err(format!("the policy already has a test named \"{name}\"; choose another name"));
        }
        let companion = companion_of(&path);
        let dir = companion.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let test = policy.test_text(name, &self.scenario, &dir)?;
        let before = std::fs::read_to_string(&companion).ok();
        let mut text = before.clone().unwrap_or_else(|| {
            format!(
                "# Tests of {}, kept beside it in a companion file.\n",
                path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            )
        });
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&test);
        std::fs::write(&companion, &text).map_err(|e| format!("cannot write `{}`: {e}", companion.display()))?;
        // The test must load and pass as written; otherwise the file goes back as it was.
        let restore = |why: String| {
            let _ = match &before {
                Some(old) => std::fs::write(&companion, old),
                None => std::fs::remove_file(&companion),
            };
            Err(format!("{why}; `{}` is left as it was", companion.display()))
        };
        let reloaded = match Policy::from_file(&path) {
            Ok(p) => p,
            Err(d) => return restore(format!("the test did not load:\n{}", self.diagnostics(&d))),
        };
        let outcome = reloaded.run_tests().outcomes.into_iter().find(|o| o.name == name);
        match outcome {
            Some(o) if o.passed() => {}
            Some(o) => return restore(format!("the test does not pass as written: {:?}", o.failures)),
            None => return restore("the test was not found after writing it".into()),
        }
        self.policy = Some(reloaded);
        Ok(format!("appended to {} (and it passes):\n{test}", companion.display()))
    }

    fn test(&self) -> Answer {
        let policy = self.loaded()?;
        let report = policy.run_tests();
        let mut out = String::new();
        for o in report.outcomes.iter().filter(|o| !o.passed()) {
            let _ = writeln!(out, "FAILED {} ({})", o.name, o.location);
            if let Some(e) = &o.error {
                let _ = writeln!(out, "  {e}");
            }
            for f in &o.failures {
                let _ = writeln!(out, "  {}: expected {}, found {}", f.location, f.expected, f.actual);
            }
        }
        let _ = writeln!(out, "{} passed, {} failed", report.passed(), report.failed());
        if report.failed() > 0 {
            Err(out)
        } else {
            Ok(out)
        }
    }

    /// A fragment's diagnostics, rendered as `check` renders a file's.
    fn diagnostics(&self, d: &triage::Diagnostics) -> String {
        d.iter().map(|d| self.ui.render(d)).collect()
    }
}

/// `now` as people read it, in the policy's zone.
fn now_words(policy: &Policy, now: DateTime<Utc>) -> String {
    instant_words(policy.instant(now))
}

fn help() -> String {
    let mut out = String::from("commands:\n");
    for (command, args, what) in COMMANDS {
        let usage = if args.is_empty() { command.to_string() } else { format!("{command} {args}") };
        let _ = writeln!(out, "  {usage}\n      {what}");
    }
    out.push_str("a line ending in `,` or with an open `{`, `(` or `\"` continues on the next\n");
    out
}

fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    triage::did_you_mean(word, candidates)
}

/// The companion test file of a policy file: `x.triage` → `x.tests.triage`.
fn companion_of(policy: &Path) -> PathBuf {
    let stem = policy.to_string_lossy();
    let stem = stem.strip_suffix(".triage").unwrap_or(&stem);
    PathBuf::from(format!("{stem}.tests.triage"))
}

fn unquote(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

/// At most `n` characters, with `…` for the rest.
fn shorten(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Whether `input` needs another line (see [`unfinished`]).
pub(crate) fn incomplete(input: &str) -> bool {
    unfinished(input).is_some()
}

/// Run the REPL: interactive on a terminal, else commands read line by line with each
/// echoed before its answer. The exit code is 1 when any command failed.
pub(crate) fn run(ui: Ui, policy: Option<&Path>) -> crate::Outcome {
    let mut session = Session::new(ui);
    let mut failed = false;
    let mut first = String::new();
    if let Some(path) = policy {
        match session.load(&path.to_string_lossy()) {
            Ok(text) => first = text,
            Err(text) => {
                first = text;
                failed = true;
            }
        }
    }
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        print!("{first}");
        return editor::interactive(session, failed);
    }
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(first.as_bytes());
    let mut pending = String::new();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else {
            failed = true;
            break;
        };
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if incomplete(&pending) {
            continue;
        }
        let input = std::mem::take(&mut pending);
        if input.trim().is_empty() {
            continue;
        }
        let mut out = String::new();
        let _ = writeln!(out, "> {input}");
        let flow = session.run(&input, &mut out);
        let _ = stdout.write_all(out.as_bytes());
        match flow {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(()) => failed = true,
        }
    }
    if !pending.trim().is_empty() {
        let why = unfinished(&pending).unwrap_or("it is not finished");
        let _ = writeln!(stdout, "> {pending}\nthe input ended inside this command: {why}");
        failed = true;
    }
    if failed {
        crate::Outcome::Failed
    } else {
        crate::Outcome::Done
    }
}
