//! The `triage` command: a thin client of the library.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use miette::{GraphicalReportHandler, GraphicalTheme};
use triage::{
    check_file, decide_lines, policy_of, BatchOptions, BatchSummary, Diagnostic, Policy, Severity, TraceLevel,
};

#[derive(Parser)]
#[command(name = "triage", version, about = "Check complaint-handling policies and decide tickets with them")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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

#[derive(Subcommand)]
enum Command {
    /// Check rule files for mistakes
    ///
    /// Reports every error and warning, located and explained; exits 1 when any file has
    /// errors (warnings alone do not fail).
    Check {
        /// Rule files, or folders searched for `.triage` files
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print diagnostics as JSON lines for tools instead of rendering them
        #[arg(long)]
        json: bool,
    },
    /// Decide tickets, one decision per line in input order
    ///
    /// A `.json` file holds one ticket, a `.jsonl` file one per line; with no files, reads
    /// JSON Lines from standard input. A ticket that cannot be decided is reported on
    /// standard error with its file or line and id, the others are still decided, and the
    /// exit code is 1. A deadline the policy's calendars cannot reckon (a date past the
    /// years they know) is left out of its decision and listed in its `problems`; it is
    /// reported on standard error too, and the exit code is 1.
    Eval {
        /// The policy file
        policy: PathBuf,
        /// Ticket files: `.json` holds one ticket, `.jsonl` one per line; none reads JSON Lines
        /// from standard input
        tickets: Vec<PathBuf>,
        /// Indent the JSON for people
        #[arg(long)]
        pretty: bool,
        /// How much of the trace each decision carries: `rules` lists the rules that fired,
        /// their clauses and what they did; `full` adds the facts that made them fire and how
        /// each deadline was reckoned
        #[arg(long, value_enum, default_value_t = Trace::Rules)]
        trace: Trace,
        /// Decide on this many threads (output stays in input order)
        #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
    },
    /// Run the tests written in policies
    ///
    /// Tests sit in a policy file or its companion `X.tests.triage`. Prints each failing
    /// expectation, ends with `N passed, N failed`, and exits 1 on any failure.
    Test {
        /// Policy files, or folders searched for `.triage` files (calendar files are skipped)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also list the rules and exemptions that no test made fire
        #[arg(long)]
        coverage: bool,
    },
    /// Explain in plain words how a policy decides a ticket
    Explain {
        /// The policy file
        policy: PathBuf,
        /// The ticket file (JSON)
        ticket: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths, json } => check(&paths, json),
        Command::Eval { policy, tickets, pretty, trace, jobs } => {
            let options =
                BatchOptions { trace: trace.level(), pretty, jobs: usize::from(jobs), ..BatchOptions::default() };
            eval(&policy, &tickets, options)
        }
        Command::Test { paths, coverage } => test(&paths, coverage),
        Command::Explain { policy, ticket } => explain(&policy, &ticket),
    }
}

fn render(d: &Diagnostic) -> String {
    let theme = if io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    match GraphicalReportHandler::new_themed(theme).render_report(&mut out, d) {
        Ok(()) => out,
        Err(_) => format!("{}: {}\n", d.code(), d.message()),
    }
}

/// Render a failed load's diagnostics to standard error.
fn render_all(diagnostics: &triage::Diagnostics) {
    for d in diagnostics.iter() {
        eprint!("{}", render(d));
    }
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

fn check(paths: &[PathBuf], json: bool) -> ExitCode {
    let files = rule_files(paths);
    let (mut errors, mut warnings) = (0, 0);
    for file in &files {
        for d in check_file(file) {
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            if json {
                println!("{}", serde_json::to_string(&d.to_report()).expect("reports serialise"));
            } else {
                eprint!("{}", render(&d));
            }
        }
    }
    eprintln!(
        "checked {} file{}: {errors} error{}, {warnings} warning{}",
        files.len(),
        plural(files.len()),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Load a policy, rendering its diagnostics; `None` when it has errors.
fn load(path: &Path) -> Option<Policy> {
    match Policy::from_file(path) {
        Ok(policy) => Some(policy),
        Err(diagnostics) => {
            render_all(&diagnostics);
            eprintln!("{}: the policy has errors; run `triage check {}` for details", path.display(), path.display());
            None
        }
    }
}

/// What `eval` did with its inputs, so that every ticket is accounted for.
#[derive(Default)]
struct Tally {
    tickets: BatchSummary,
    unreadable: usize,
}

impl Tally {
    /// Decide JSON Lines from one input; `place` prefixes what is told about its lines, and
    /// the line is named unless the input is one ticket (`line` is false).
    fn decide(
        &mut self,
        policy: &Policy,
        place: &str,
        line: bool,
        input: impl BufRead,
        out: &mut impl Write,
        options: BatchOptions,
    ) {
        let report = |r: &triage::LineReport| match line {
            true => eprintln!("{place}line {}: {}", r.line, r.message),
            false => eprintln!("{place}{}", r.message),
        };
        match decide_lines(policy, input, out, options, report) {
            Ok(summary) => self.tickets += summary,
            Err(e) => self.unreadable(format!("{place} cannot decide: {e}")),
        }
    }

    fn unreadable(&mut self, message: String) {
        eprintln!("{message}");
        self.unreadable += 1;
    }
}

/// Decide every ticket file (or standard input); when any ticket failed or has problems,
/// say how many of each on standard error and exit 1.
fn eval(policy: &Path, tickets: &[PathBuf], options: BatchOptions) -> ExitCode {
    let Some(policy) = load(policy) else {
        return ExitCode::from(2);
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    if tickets.is_empty() {
        tally.decide(&policy, "", true, io::stdin().lock(), &mut out, options);
    }
    for path in tickets {
        let place = path.display();
        if path.extension().is_some_and(|x| x == "jsonl") {
            match std::fs::File::open(path) {
                Ok(file) => {
                    tally.decide(&policy, &format!("{place}:"), true, io::BufReader::new(file), &mut out, options)
                }
                Err(e) => tally.unreadable(format!("{place}: cannot read: {e}")),
            }
            continue;
        }
        // A `.json` file holds one ticket, which may span lines: it is decided as one line.
        match std::fs::read_to_string(path) {
            Ok(text) if text.trim().is_empty() => tally.unreadable(format!("{place}: holds no ticket")),
            Ok(text) => {
                let one_line: String = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
                tally.decide(&policy, &format!("{place}: "), false, one_line.as_bytes(), &mut out, options)
            }
            Err(e) => tally.unreadable(format!("{place}: cannot read: {e}")),
        }
    }
    if let Err(e) = out.flush() {
        tally.unreadable(format!("cannot write decisions: {e}"));
    }
    let t = tally.tickets;
    if t.failed + t.with_problems + tally.unreadable == 0 {
        return ExitCode::SUCCESS;
    }
    let mut parts =
        vec![format!("decided {} of {} tickets", t.decided + t.with_problems, t.decided + t.with_problems + t.failed)];
    if t.with_problems > 0 {
        parts.push(format!("{} with problems", t.with_problems));
    }
    if t.failed > 0 {
        parts.push(format!("{} failed", t.failed));
    }
    if tally.unreadable > 0 {
        parts.push(format!("{} input{} unreadable", tally.unreadable, plural(tally.unreadable)));
    }
    eprintln!("{}", parts.join("; "));
    ExitCode::FAILURE
}

fn test(paths: &[PathBuf], coverage: bool) -> ExitCode {
    let (mut passed, mut failed, mut broken, mut uncovered) = (0, 0, 0, 0);
    for file in rule_files(paths) {
        let policy = match Policy::from_file(&file) {
            Ok(policy) => policy,
            // Calendar files hold no policy and no tests.
            Err(d) if d.iter().all(|d| d.code() == "triage::missing_policy") => continue,
            Err(d) => {
                render_all(&d);
                eprintln!("{}: not tested: the policy has errors", file.display());
                broken += 1;
                continue;
            }
        };
        let report = policy.run_tests();
        for outcome in report.outcomes.iter().filter(|o| !o.passed()) {
            let clauses =
                if outcome.clauses.is_empty() { String::new() } else { format!(" [{}]", outcome.clauses.join(", ")) };
            println!("FAIL {} {:?}{clauses}", outcome.location, outcome.name);
            if let Some(error) = &outcome.error {
                println!("  cannot decide the scenario: {error}");
            }
            for f in &outcome.failures {
                println!("  {}: expected {}", f.location, f.expected);
                println!("  {:width$}  but got  {}", "", f.actual, width = f.location.len());
            }
        }
        passed += report.passed();
        failed += report.failed();
        if coverage {
            for (rule, clause, location) in &report.uncovered {
                let clause = clause.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
                println!("UNCOVERED {location} `{rule}`{clause}: no test makes it fire");
            }
            uncovered += report.uncovered.len();
        }
    }
    if coverage {
        println!("{uncovered} rule{} not covered by any test", plural(uncovered));
    }
    if broken > 0 {
        println!("{broken} polic{} could not be tested", if broken == 1 { "y" } else { "ies" });
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(policy_path: &Path, ticket_path: &Path) -> ExitCode {
    let Some(policy) = load(policy_path) else {
        return ExitCode::from(2);
    };
    let ticket = match std::fs::read_to_string(ticket_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| format!("not valid JSON: {e}")))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", ticket_path.display());
            return ExitCode::FAILURE;
        }
    };
    match policy.prepare(&ticket) {
        Ok(ticket) => {
            let decision = policy.decide(&ticket, TraceLevel::Full);
            print!("{}", triage::explain(&policy, &decision));
            if decision.problems().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", ticket_path.display());
            ExitCode::FAILURE
        }
    }
}
