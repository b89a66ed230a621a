//! The `triage` command: a thin client of the library.

mod repl;

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use miette::{GraphicalReportHandler, GraphicalTheme};
use triage::{
    check_file_explained, check_source_explained, decide_lines, format_named, policy_of, BatchError, BatchOptions,
    BatchSummary, Diagnostic, Flush, Limits, Policy, Severity, SkippedCheck, TraceLevel,
};

/// The exit codes, as `triage --help` and the README list them.
const EXIT_CODES: &str = "\
Exit codes:
  0  all went well: every ticket decided in full, no errors found, every test passed
  1  something failed: a ticket could not be decided or its decision has problems, an input
     could not be read or the output written (eval, explain); errors found (check); a test
     failed (test); a file not formatted (fmt --check), not parsed, read or written (fmt);
     no rule file under the paths given (check, test, fmt)
  2  the command line is wrong: an unknown option, a missing argument
  3  a policy did not load: it has errors or cannot be read (eval, explain, test)

A reader that goes away (`triage eval … | head -1`) ends `eval` quietly: nothing more is
decided, nothing is said, and the exit code is that of the tickets decided until then.";

#[derive(Parser)]
#[command(
    name = "triage",
    version,
    about = "Check complaint-handling policies and decide tickets with them",
    after_help = EXIT_CODES
)]
struct Cli {
    /// When to colour diagnostics: `auto` colours them when standard error is a terminal and
    /// NO_COLOR is unset or empty
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Colour::Auto)]
    color: Colour,
    #[command(subcommand)]
    command: Command,
}

/// When diagnostics are coloured.
#[derive(Clone, Copy, ValueEnum)]
enum Colour {
    /// On a terminal, unless NO_COLOR is set to something
    Auto,
    /// Always, even into a file or a pipe, and whatever NO_COLOR says
    Always,
    /// Never
    Never,
}

/// How much trace a decision carries.
#[derive(Clone, Copy, ValueEnum)]
enum Trace {
    /// The outcome only
    None,
    /// The rules that fired, their clauses and what they did
    Rules,
    /// Also the facts behind each rule and how each deadline was reckoned
    Full,
}

impl Trace {
    fn level(self) -> TraceLevel {
        match self {
            Trace::None => TraceLevel::None,
            Trace::Rules => TraceLevel::Rules,
            Trace::Full => TraceLevel::Full,
        }
    }
}

/// Where a ticket that cannot be decided is told.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Errors {
    /// On standard error only: the output holds decisions alone
    Stderr,
    /// Also in the output, as an error record in the ticket's place (and an empty line for a
    /// blank one), so that output line N answers input line N
    Inline,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files for mistakes
    ///
    /// Reports every error and warning, located and explained; exits 1 when any file has
    /// errors (warnings alone do not fail).
    Check {
        /// Rule files, or folders searched for `.triage` files; `-` reads one from standard
        /// input (its imports are then found from the current folder)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print diagnostics as JSON lines for tools instead of rendering them
        #[arg(long)]
        json: bool,
        /// The date calendars are checked against: one that ends within 60 days of it is
        /// warned about (default: today, by this computer's clock)
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<chrono::NaiveDate>,
        /// After the diagnostics, list the analysis's checks that were beyond its method
        /// (conditions on text, times, arithmetic between fields), each with its rules and why
        #[arg(long)]
        explain_skipped: bool,
    },
    /// Decide tickets, one decision per line in input order
    ///
    /// A `.json` file holds one ticket, a `.jsonl` or `.ndjson` file one per line; `-`, or no
    /// file at all, reads JSON Lines from standard input. From a stream (a pipe, a terminal,
    /// a named pipe) decisions are written out as soon as the lines that have arrived are
    /// decided, before more are awaited, so `eval` works as a filter; from files, they are
    /// written in large blocks.
    ///
    /// A ticket that cannot be decided is reported on standard error with its file or line
    /// and id, the others are still decided, and the exit code is 1. A deadline the
    /// policy's calendars cannot reckon (a date past the years they know) is left out of its
    /// decision and listed in its `problems`; it is reported on standard error too, and the
    /// exit code is 1. After JSON Lines, a summary on standard error counts the tickets and
    /// says how long they took.
    Eval {
        /// The policy file; `-` reads it from standard input (its imports are then found from
        /// the current folder, and ticket files must be named)
        policy: PathBuf,
        /// Ticket files: `.json` holds one ticket, `.jsonl` or `.ndjson` one per line; `-` or
        /// none reads JSON Lines from standard input
        tickets: Vec<PathBuf>,
        /// Indent the JSON for people
        #[arg(long)]
        pretty: bool,
        /// How much of the trace each decision carries: `rules` lists the rules that fired,
        /// their clauses and what they did; `full` adds the facts that made them fire and how
        /// each deadline was reckoned
        #[arg(long, value_enum, default_value_t = Trace::Rules)]
        trace: Trace,
        /// Decide on this many threads, at most 256 (output stays in input order)
        #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        /// Where a ticket that cannot be decided is told: `inline` also writes, in its place,
        /// `{"line": 3, "ticket": "BAD", "error": "invalid_ticket", "message": …, "problems":
        /// [{"path": "received_at", "problem": "missing", "message": "is missing"}]}`
        #[arg(long, value_enum, value_name = "WHERE", default_value_t = Errors::Stderr)]
        errors: Errors,
        /// No summary at the end unless something went wrong
        #[arg(long, short)]
        quiet: bool,
        /// Refuse a ticket with a key one edit away from an optional field it lacks
        /// (`revisit.satisifed`); without it, such a key is warned about on standard error
        /// and the field is read as absent
        #[arg(long)]
        strict: bool,
    },
    /// Run the tests written in policies
    ///
    /// Tests sit in a policy file or its companion `X.tests.triage`. Prints each failing
    /// expectation, ends with `N passed, N failed`, and exits 1 on any failure, 3 when a
    /// policy has errors and cannot be tested.
    Test {
        /// Policy files, or folders searched for `.triage` files (calendar files are skipped);
        /// `-` reads a policy from standard input (its imports and `given ticket` files are
        /// then found from the current folder)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also list the rules and exemptions that no test made fire
        #[arg(long)]
        coverage: bool,
    },
    /// Try scenarios against a policy: build a ticket, decide it, ask why and why not
    ///
    /// On a terminal: completion (Tab), hints, history and multi-line input. From a pipe or a
    /// file, the same commands are read line by line and each is echoed before its answer,
    /// so a session can be replayed (`triage repl rules/x.triage < session.txt`); the exit
    /// code is then 1 if any command failed. `:help` lists the commands.
    Repl {
        /// The policy to load first
        policy: Option<PathBuf>,
    },
    /// Explain in plain words how a policy decides a ticket
    Explain {
        /// The policy file; `-` reads it from standard input
        policy: PathBuf,
        /// The ticket file (JSON); `-` reads it from standard input
        ticket: PathBuf,
    },
    /// Rewrite rule files in the one canonical layout, comments kept
    ///
    /// Rewrites each file that is not laid out canonically, in place, and lists it; with
    /// `--check`, changes nothing and shows what would change as a diff. A file that does
    /// not parse is reported as `check` reports it and left alone. Exits 1 when `--check`
    /// finds a file to change, or a file does not parse or cannot be read or written.
    Fmt {
        /// Rule files, or folders searched for `.triage` files (calendars and companion test
        /// files included); `-` reads one from standard input and writes it formatted to
        /// standard output
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing: print a diff of each file that is not formatted and exit 1 if any
        #[arg(long)]
        check: bool,
    },
}

/// How a command ended. Usage errors (2) are clap's, which exits by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    /// Everything went well.
    Done = 0,
    /// Some tickets failed or have problems, errors were found, a test failed.
    Failed = 1,
    /// A policy did not load.
    PolicyNotLoaded = 3,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = Ui { colour: colour(cli.color, io::stderr().is_terminal(), std::env::var_os("NO_COLOR").as_deref()) };
    let outcome = match cli.command {
        Command::Check { paths, json, today, explain_skipped } => {
            // The only place the clock is read: calendars that run out soon are warned about.
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            check(&ui, &paths, json, today, explain_skipped)
        }
        Command::Eval { policy, tickets, pretty, trace, jobs, errors, quiet, strict } => {
            let options = BatchOptions {
                trace: trace.level(),
                pretty,
                jobs: usize::from(jobs),
                inline_errors: errors == Errors::Inline,
                strict,
                ..BatchOptions::default()
            };
            eval(&ui, &policy, &tickets, options, quiet)
        }
        Command::Test { paths, coverage } => test(&ui, &paths, coverage),
        Command::Explain { policy, ticket } => explain(&ui, &policy, &ticket),
        Command::Fmt { paths, check } => format_files(&ui, &paths, check),
        Command::Repl { policy } => {
            // The REPL writes its answers, diagnostics included, to standard output.
            let colour = colour(cli.color, io::stdout().is_terminal(), std::env::var_os("NO_COLOR").as_deref());
            repl::run(Ui { colour }, policy.as_deref())
        }
    };
    ExitCode::from(outcome as u8)
}

/// Write a line to standard error. Standard error that cannot be written is no reason to
/// stop (nor to panic, as `eprintln!` would).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr().lock(), $($arg)*);
    }};
}

/// Whether diagnostics are coloured: `auto` colours a terminal unless `NO_COLOR` is set to
/// anything but the empty text (<https://no-color.org>); `always` and `never` override it.
fn colour(choice: Colour, terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => terminal && no_color.map_or(true, OsStr::is_empty),
    }
}

/// How diagnostics are shown on standard error.
pub(crate) struct Ui {
    pub(crate) colour: bool,
}

impl Ui {
    pub(crate) fn render(&self, d: &Diagnostic) -> String {
        let theme = if self.colour { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        // miette panics on a label past column 65,535 (a padding width past what `format!`
        // takes): such a diagnostic is told without its source lines rather than crash.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let rendered = std::panic::catch_unwind(|| {
            let mut out = String::new();
            GraphicalReportHandler::new_themed(theme).render_report(&mut out, d).map(|()| out)
        });
        std::panic::set_hook(hook);
        match rendered {
            Ok(Ok(out)) => out,
            _ => {
                let at = d.location().map(|l| format!("\n  at {l}")).unwrap_or_default();
                let help = d.help_text().map(|h| format!("\n  help: {h}")).unwrap_or_default();
                format!("{}: {}{at}{help}\n", d.code(), d.message())
            }
        }
    }

    /// Render a failed load's diagnostics to standard error.
    fn render_all(&self, diagnostics: &triage::Diagnostics) {
        let mut stderr = io::stderr().lock();
        for d in diagnostics.iter() {
            let _ = stderr.write_all(self.render(d).as_bytes());
        }
    }
}

/// Standard output for `check --json`, `test` and `explain`. A reader that goes away (a
/// closed pipe) silences the rest and is no failure; any other write error is told once and
/// fails the command.
struct Report {
    out: io::StdoutLock<'static>,
    failed: Option<io::Error>,
}

impl Report {
    fn new() -> Report {
        Report { out: io::stdout().lock(), failed: None }
    }

    fn line(&mut self, line: fmt::Arguments<'_>) {
        if self.failed.is_none() {
            self.failed = writeln!(self.out, "{line}").err();
        }
    }

    fn text(&mut self, text: &str) {
        if self.failed.is_none() {
            self.failed = self.out.write_all(text.as_bytes()).err();
        }
    }

    fn finish(mut self, outcome: Outcome) -> Outcome {
        match self.failed.take().or_else(|| self.out.flush().err()) {
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => outcome,
            Some(e) => {
                say!("cannot write to standard output: {e}");
                outcome.max(Outcome::Failed)
            }
            None => outcome,
        }
    }
}

/// Stop with a usage error (exit code 2), worded and shown as clap shows its own.
fn usage_error(command: &str, message: &str) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let sub = cli.find_subcommand_mut(command).expect("a known subcommand");
    sub.error(clap::error::ErrorKind::ArgumentConflict, message).exit()
}

/// Whether a path means standard input.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Every policy or calendar file under the given paths, in a stable order.
fn rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                if e.is_dir() || e.extension().is_some_and(|x| x == "triage") {
                    walk(&e, out);
                }
            }
        } else {
            out.push(path.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    // A companion test file stands for its policy, which loads it.
    let mut policies: Vec<PathBuf> = Vec::new();
    for path in out.iter().map(|p| policy_of(p)) {
        if !policies.contains(&path) {
            policies.push(path);
        }
    }
    policies
}

fn check(ui: &Ui, paths: &[PathBuf], json: bool, today: chrono::NaiveDate, explain_skipped: bool) -> Outcome {
    let files = rule_files_or_stdin("check", paths);
    let mut report = Report::new();
    let (mut errors, mut warnings) = (0, 0);
    let mut skipped: Vec<(String, Vec<SkippedCheck>)> = Vec::new();
    // Policies that import one calendar file each warn of it at its own line: told once.
    let mut told: std::collections::HashSet<(String, String, Option<String>)> = std::collections::HashSet::new();
    for file in &files {
        let (diagnostics, not_analysed) = match file {
            RuleFile::Path(path) => check_file_explained(path, &Limits::default(), Some(today)),
            RuleFile::Stdin => match read_stdin() {
                Ok(text) => check_source_explained(STDIN_NAME, &text, Path::new("."), &Limits::default(), Some(today)),
                Err(e) => {
                    say!("standard input: cannot read the policy: {e}");
                    errors += 1;
                    continue;
                }
            },
        };
        for d in diagnostics {
            if !told.insert((d.code(), d.message().to_string(), d.location())) {
                continue;
            }
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            if json {
                report.line(format_args!("{}", serde_json::to_string(&d.to_report()).expect("reports serialise")));
            } else {
                let _ = io::stderr().lock().write_all(ui.render(&d).as_bytes());
            }
        }
        if !not_analysed.is_empty() {
            let name = match file {
                RuleFile::Path(path) => path.display().to_string(),
                RuleFile::Stdin => STDIN_NAME.to_string(),
            };
            skipped.push((name, not_analysed));
        }
    }
    if explain_skipped {
        // After the diagnostics, on standard error with them; `--json` output stays JSON.
        for (name, checks) in &skipped {
            say!("{name}: {} check{} beyond the analysis's method:", checks.len(), plural(checks.len()));
            for c in checks {
                say!("  {c}");
            }
        }
    }
    say!(
        "checked {} file{}: {errors} error{}, {warnings} warning{}",
        files.len(),
        plural(files.len()),
        plural(errors),
        plural(warnings)
    );
    report.finish(if errors > 0 { Outcome::Failed } else { Outcome::Done })
}

/// Every `.triage` file under the given paths, in a stable order: unlike `rule_files`, a
/// companion test file and a calendar are files of their own, as each is formatted alone.
fn triage_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = paths.iter().rev().cloned().collect();
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            todo.extend(
                entries.into_iter().rev().filter(|e| e.is_dir() || e.extension().is_some_and(|x| x == "triage")),
            );
        } else if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// `triage fmt`: rewrite (or, with `check`, diff) each file; standard input is written
/// formatted to standard output.
fn format_files(ui: &Ui, paths: &[PathBuf], check: bool) -> Outcome {
    let files = files_or_stdin("fmt", paths, triage_files);
    let mut report = Report::new();
    let mut outcome = Outcome::Done;
    let (mut changed, mut failed) = (0, 0);
    for file in &files {
        let (name, text) = match file {
            RuleFile::Path(path) => match std::fs::read_to_string(path) {
                Ok(text) => (path.display().to_string(), text),
                Err(e) => {
                    say!("{}: cannot read: {e}", path.display());
                    failed += 1;
                    continue;
                }
            },
            RuleFile::Stdin => match read_stdin() {
                Ok(text) => (STDIN_NAME.to_string(), text),
                Err(e) => {
                    say!("standard input: cannot read the policy: {e}");
                    failed += 1;
                    continue;
                }
            },
        };
        let formatted = match format_named(&name, &text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                ui.render_all(&diagnostics);
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            if matches!(file, RuleFile::Stdin) && !check {
                report.text(&formatted);
            }
            continue;
        }
        changed += 1;
        if check {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let unified =
                diff.unified_diff().context_radius(3).header(&name, &format!("{name} (formatted)")).to_string();
            report.text(&unified);
            continue;
        }
        match file {
            RuleFile::Stdin => report.text(&formatted),
            RuleFile::Path(path) => match std::fs::write(path, &formatted) {
                Ok(()) => report.line(format_args!("{name}")),
                Err(e) => {
                    say!("{name}: cannot write: {e}");
                    failed += 1;
                }
            },
        }
    }
    if check && changed > 0 {
        say!("{changed} of {} file{} not formatted", files.len(), plural(files.len()));
        outcome = Outcome::Failed;
    }
    if failed > 0 {
        say!("{failed} file{} could not be formatted", plural(failed));
        outcome = Outcome::Failed;
    }
    report.finish(outcome)
}

/// A rule file named on the command line.
enum RuleFile {
    Path(PathBuf),
    /// `-`: standard input.
    Stdin,
}

/// How a policy read from standard input is named in diagnostics.
const STDIN_NAME: &str = "<stdin>";

fn read_stdin() -> io::Result<String> {
    let mut text = String::new();
    io::stdin().read_to_string(&mut text).map(|_| text)
}

/// The files `rule_files` finds, and standard input where `-` is named (once at most).
fn rule_files_or_stdin(command: &str, paths: &[PathBuf]) -> Vec<RuleFile> {
    files_or_stdin(command, paths, rule_files)
}

/// The files `list` finds under the named paths, and standard input last if `-` is among
/// them. Finding no file at all is an error: a folder of the wrong name would otherwise
/// pass as checked, tested or formatted.
fn files_or_stdin(command: &str, paths: &[PathBuf], list: fn(&[PathBuf]) -> Vec<PathBuf>) -> Vec<RuleFile> {
    let (stdin, named): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| is_stdin(p));
    if stdin.len() > 1 {
        usage_error(command, "standard input (`-`) can be named once");
    }
    let named: Vec<PathBuf> = named.into_iter().cloned().collect();
    let mut files: Vec<RuleFile> = list(&named).into_iter().map(RuleFile::Path).collect();
    if !stdin.is_empty() {
        files.push(RuleFile::Stdin);
    }
    if files.is_empty() {
        let names: Vec<String> = named.iter().map(|p| format!("`{}`", p.display())).collect();
        say!("no `.triage` file under {}", names.join(", "));
        std::process::exit(Outcome::Failed as i32);
    }
    files
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Load a policy from its file or, for `-`, from standard input, rendering its
/// diagnostics; `None` when it has errors.
fn load(ui: &Ui, path: &Path) -> Option<Policy> {
    let loaded = if is_stdin(path) {
        let text = match read_stdin() {
            Ok(text) => text,
            Err(e) => {
                say!("standard input: cannot read the policy: {e}");
                return None;
            }
        };
        Policy::from_source(STDIN_NAME, &text, Path::new("."))
    } else {
        Policy::from_file(path)
    };
    match loaded {
        Ok(policy) => Some(policy),
        Err(diagnostics) => {
            ui.render_all(&diagnostics);
            match is_stdin(path) {
                true => say!("standard input: the policy has errors"),
                false => {
                    say!("{}: the policy has errors; run `triage check {}` for details", path.display(), path.display())
                }
            }
            None
        }
    }
}

/// Whether standard input is a regular file (`< tickets.jsonl`) rather than a stream.
fn stdin_is_a_file() -> bool {
    #[cfg(unix)]
    let file = {
        use std::os::fd::AsFd;
        io::stdin().as_fd().try_clone_to_owned().map(std::fs::File::from)
    };
    #[cfg(windows)]
    let file = {
        use std::os::windows::io::AsHandle;
        io::stdin().as_handle().try_clone_to_owned().map(std::fs::File::from)
    };
    #[cfg(not(any(unix, windows)))]
    let file: io::Result<std::fs::File> = Err(io::ErrorKind::Unsupported.into());
    file.and_then(|f| f.metadata()).is_ok_and(|m| m.is_file())
}

/// Decisions from a regular file go out in blocks; from anything else (a pipe, a terminal,
/// a named pipe), as soon as the lines at hand are decided.
fn flush_for(regular_file: bool) -> Flush {
    if regular_file {
        Flush::Blocks
    } else {
        Flush::Streaming
    }
}

/// Bytes read at a time: a fast pipe hands over all it holds, enough to share among threads.
const READ_BUFFER: usize = 1 << 17;

/// How an input is named in what is told about it.
struct Place {
    /// The input as a whole: `standard input`, `tickets.jsonl`.
    name: String,
    /// What starts each line report: ``, `tickets.jsonl:`, `one.json: `.
    prefix: String,
    /// Whether a report names its line (not for a file of one ticket).
    lines: bool,
}

/// What `eval` did with its inputs, so that every ticket is accounted for.
#[derive(Default)]
struct Tally {
    tickets: BatchSummary,
    unreadable: usize,
    /// Whether any line was reported: what the exit code says when a batch stops early.
    reported: bool,
    /// Whether JSON Lines were read (from a file or standard input), which earns a summary.
    json_lines: bool,
}

impl Tally {
    /// Decide one input: `-` is standard input, `.jsonl` and `.ndjson` files hold JSON Lines,
    /// any other file one ticket. Only an error writing the decisions is returned: it ends
    /// the whole run.
    fn input(&mut self, policy: &Policy, path: &Path, out: &mut impl Write, options: BatchOptions) -> io::Result<()> {
        let name = path.display().to_string();
        if is_stdin(path) {
            self.json_lines = true;
            let options = BatchOptions { flush: flush_for(stdin_is_a_file()), ..options };
            let input = io::BufReader::with_capacity(READ_BUFFER, io::stdin().lock());
            let place = Place { name: "standard input".into(), prefix: String::new(), lines: true };
            return self.decide(policy, &place, input, out, options);
        }
        if path.extension().is_some_and(|x| x == "jsonl" || x == "ndjson") {
            self.json_lines = true;
            match std::fs::File::open(path) {
                Ok(file) => {
                    let regular = file.metadata().is_ok_and(|m| m.is_file());
                    let options = BatchOptions { flush: flush_for(regular), ..options };
                    let input = io::BufReader::with_capacity(READ_BUFFER, file);
                    let place = Place { prefix: format!("{name}:"), name, lines: true };
                    self.decide(policy, &place, input, out, options)?;
                }
                Err(e) => self.unreadable(format!("{name}: cannot read: {e}")),
            }
            return Ok(());
        }
        // A `.json` file holds one ticket, which may span lines: it is decided as one line.
        match std::fs::read_to_string(path) {
            Ok(text) if text.trim().is_empty() => self.unreadable(format!("{name}: holds no ticket")),
            Ok(text) => {
                let one_line: String = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
                let place = Place { prefix: format!("{name}: "), name, lines: false };
                self.decide(policy, &place, one_line.as_bytes(), out, options)?;
            }
            Err(e) => self.unreadable(format!("{name}: cannot read: {e}")),
        }
        Ok(())
    }

    /// Decide JSON Lines from one input, telling on standard error about its lines.
    fn decide(
        &mut self,
        policy: &Policy,
        place: &Place,
        input: impl BufRead,
        out: &mut impl Write,
        options: BatchOptions,
    ) -> io::Result<()> {
        let mut reported = false;
        let report = |r: &triage::LineReport| {
            // A warning leaves the decision whole: it is told, and changes no exit code.
            reported |= r.kind != triage::ReportKind::Warning;
            match place.lines {
                true => say!("{}line {}: {}", place.prefix, r.line, r.message),
                false => say!("{}{}", place.prefix, r.message),
            }
        };
        let result = decide_lines(policy, input, out, options, report);
        self.reported |= reported;
        match result {
            Ok(summary) => self.tickets += summary,
            Err(BatchError::Read(e)) => self.unreadable(format!("{}: cannot read: {e}", place.name)),
            Err(BatchError::Write(e)) => return Err(e),
        }
        Ok(())
    }

    fn unreadable(&mut self, message: String) {
        say!("{message}");
        self.unreadable += 1;
    }

    /// Whether anything went wrong.
    fn outcome(&self) -> Outcome {
        let t = self.tickets;
        if self.reported || t.failed + t.with_problems + self.unreadable > 0 {
            Outcome::Failed
        } else {
            Outcome::Done
        }
    }

    /// `decided 19998 of 20000 tickets; 2 failed; 840 ms, 23810 tickets/s`: after JSON Lines
    /// unless `quiet`, and whenever something went wrong.
    fn summarise(&self, elapsed: Duration, quiet: bool) {
        if self.outcome() == Outcome::Done && (quiet || !self.json_lines) {
            return;
        }
        let t = self.tickets;
        let total = t.decided + t.with_problems + t.failed;
        let mut parts = vec![format!("decided {} of {total} tickets", t.decided + t.with_problems)];
        if t.with_problems > 0 {
            parts.push(format!("{} with problems", t.with_problems));
        }
        if t.failed > 0 {
            parts.push(format!("{} failed", t.failed));
        }
        if self.unreadable > 0 {
            parts.push(format!("{} input{} unreadable", self.unreadable, plural(self.unreadable)));
        }
        let seconds = elapsed.as_secs_f64();
        let time = match seconds < 1.0 {
            true => format!("{:.0} ms", seconds * 1000.0),
            false => format!("{seconds:.2} s"),
        };
        parts.push(match total {
            0 => time,
            _ => format!("{time}, {:.0} tickets/s", total as f64 / seconds.max(1e-6)),
        });
        say!("{}", parts.join("; "));
    }
}

/// Decide every ticket file (or standard input). When any ticket failed or has problems,
/// or JSON Lines were read, say how many of each on standard error; exit 1 on any failure.
fn eval(ui: &Ui, policy: &Path, tickets: &[PathBuf], options: BatchOptions, quiet: bool) -> Outcome {
    let from_stdin = tickets.iter().filter(|t| is_stdin(t)).count() + usize::from(tickets.is_empty());
    if is_stdin(policy) && from_stdin > 0 {
        usage_error("eval", "standard input holds the policy (`-`), so name the ticket files");
    }
    if from_stdin > 1 {
        usage_error("eval", "standard input (`-`) can be read only once");
    }
    let Some(policy) = load(ui, policy) else {
        return Outcome::PolicyNotLoaded;
    };
    let started = Instant::now();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut tally = Tally::default();
    let stdin = [PathBuf::from("-")];
    let inputs = if tickets.is_empty() { &stdin[..] } else { tickets };
    let mut stopped = None;
    for path in inputs {
        if let Err(e) = tally.input(&policy, path, &mut out, options) {
            stopped = Some(e);
            break;
        }
    }
    match stopped.or_else(|| out.flush().err()) {
        // The reader has what it wanted: nothing more to decide, nothing to say.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return tally.outcome(),
        Some(e) => {
            say!("cannot write the decisions: {e}");
            return Outcome::Failed;
        }
        None => {}
    }
    tally.summarise(started.elapsed(), quiet);
    tally.outcome()
}

fn test(ui: &Ui, paths: &[PathBuf], coverage: bool) -> Outcome {
    let mut out = Report::new();
    let (mut passed, mut failed, mut broken, mut uncovered) = (0, 0, 0, 0);
    for file in rule_files_or_stdin("test", paths) {
        let (loaded, name) = match &file {
            RuleFile::Path(path) => (Policy::from_file(path), path.display().to_string()),
            RuleFile::Stdin => match read_stdin() {
                Ok(text) => (Policy::from_source(STDIN_NAME, &text, Path::new(".")), "standard input".to_string()),
                Err(e) => {
                    say!("standard input: cannot read the policy: {e}");
                    broken += 1;
                    continue;
                }
            },
        };
        let policy = match loaded {
            Ok(policy) => policy,
            // Calendar files hold no policy and no tests.
            Err(d) if d.iter().all(|d| d.code() == "triage::missing_policy") => continue,
            Err(d) => {
                ui.render_all(&d);
                say!("{name}: not tested: the policy has errors");
                broken += 1;
                continue;
            }
        };
        let report = policy.run_tests();
        for outcome in report.outcomes.iter().filter(|o| !o.passed()) {
            let clauses =
                if outcome.clauses.is_empty() { String::new() } else { format!(" [{}]", outcome.clauses.join(", ")) };
            out.line(format_args!("FAIL {} {:?}{clauses}", outcome.location, outcome.name));
            if let Some(error) = &outcome.error {
                out.line(format_args!("  cannot decide the scenario: {error}"));
            }
            for f in &outcome.failures {
                out.line(format_args!("  {}: expected {}", f.location, f.expected));
                out.line(format_args!("  {:width$}  but got  {}", "", f.actual, width = f.location.len()));
            }
        }
        passed += report.passed();
        failed += report.failed();
        if coverage {
            for (rule, clause, location) in &report.uncovered {
                let clause = clause.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                out.line(format_args!("UNCOVERED {location} `{rule}`{clause}: no test makes it fire"));
            }
            uncovered += report.uncovered.len();
        }
    }
    if coverage {
        out.line(format_args!("{uncovered} rule{} not covered by any test", plural(uncovered)));
    }
    if broken > 0 {
        out.line(format_args!("{broken} polic{} could not be tested", if broken == 1 { "y" } else { "ies" }));
    }
    out.line(format_args!("{passed} passed, {failed} failed"));
    out.finish(match (broken, failed) {
        (0, 0) => Outcome::Done,
        (0, _) => Outcome::Failed,
        _ => Outcome::PolicyNotLoaded,
    })
}

fn explain(ui: &Ui, policy_path: &Path, ticket_path: &Path) -> Outcome {
    if is_stdin(policy_path) && is_stdin(ticket_path) {
        usage_error("explain", "standard input (`-`) can hold the policy or the ticket, not both");
    }
    let Some(policy) = load(ui, policy_path) else {
        return Outcome::PolicyNotLoaded;
    };
    let (name, text) = if is_stdin(ticket_path) {
        ("standard input".to_string(), read_stdin())
    } else {
        (ticket_path.display().to_string(), std::fs::read_to_string(ticket_path))
    };
    let ticket = match text
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| format!("not valid JSON: {e}")))
    {
        Ok(t) => t,
        Err(e) => {
            say!("{name}: {e}");
            return Outcome::Failed;
        }
    };
    match policy.prepare(&ticket) {
        Ok(ticket) => {
            let decision = policy.decide(&ticket, TraceLevel::Full);
            let mut out = Report::new();
            out.text(&triage::explain(&policy, &decision));
            out.finish(if decision.problems().is_empty() { Outcome::Done } else { Outcome::Failed })
        }
        Err(e) => {
            say!("{name}: {e}");
            Outcome::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_colour_off_in_auto_only_when_it_is_not_empty() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(colour(Colour::Auto, true, None));
        assert!(!colour(Colour::Auto, true, set));
        assert!(colour(Colour::Auto, true, empty), "an empty NO_COLOR is as if unset");
        assert!(!colour(Colour::Auto, false, None), "auto colours a terminal only");
        assert!(colour(Colour::Always, false, set), "always overrides NO_COLOR");
        assert!(!colour(Colour::Never, true, None));
    }
}
