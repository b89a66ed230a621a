//! The `triage` command: a thin client of the library.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use miette::{GraphicalReportHandler, GraphicalTheme};
use triage::{check_file, policy_of, Diagnostic, Policy, Severity};

#[derive(Parser)]
#[command(name = "triage", version, about = "Check complaint-handling policies and decide tickets with them")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// exit code is 1.
    Eval {
        /// The policy file
        policy: PathBuf,
        /// Ticket files: `.json` holds one ticket, `.jsonl` one per line; none reads JSON Lines
        /// from standard input
        tickets: Vec<PathBuf>,
        /// Indent the JSON for people
        #[arg(long)]
        pretty: bool,
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
        Command::Eval { policy, tickets, pretty } => eval(&policy, &tickets, pretty),
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

/// Counts of a batch, so that every input is accounted for.
#[derive(Default)]
struct Tally {
    decided: usize,
    failed: usize,
}

impl Tally {
    /// Decide one ticket's JSON text; errors go to standard error, prefixed by `place`.
    fn decide(&mut self, policy: &Policy, place: &str, json: &str, out: &mut impl Write, pretty: bool) {
        let ticket = match serde_json::from_str::<serde_json::Value>(json) {
            Ok(ticket) => ticket,
            Err(e) => return self.fail(format!("{place}: not valid JSON: {e}")),
        };
        match policy.evaluate(&ticket) {
            Ok(decision) => {
                let text =
                    if pretty { serde_json::to_string_pretty(&decision) } else { serde_json::to_string(&decision) };
                match writeln!(out, "{}", text.expect("decisions serialise")) {
                    Ok(()) => self.decided += 1,
                    Err(e) => self.fail(format!("{place}: cannot write the decision: {e}")),
                }
            }
            Err(e) => self.fail(format!("{place}: {e}")),
        }
    }

    /// Decide JSON Lines, one ticket a line; blank lines are skipped, every other line is
    /// decided or reported as `{prefix}line N`.
    fn decide_lines(&mut self, policy: &Policy, prefix: &str, input: impl BufRead, out: &mut impl Write, pretty: bool) {
        for (n, line) in input.lines().enumerate() {
            let place = format!("{prefix}line {}", n + 1);
            match line {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => self.decide(policy, &place, &line, out, pretty),
                Err(e) => self.fail(format!("{place}: cannot read: {e}")),
            }
        }
    }

    fn fail(&mut self, message: String) {
        self.failed += 1;
        eprintln!("{message}");
    }
}

fn eval(policy: &Path, tickets: &[PathBuf], pretty: bool) -> ExitCode {
    let Some(policy) = load(policy) else {
        return ExitCode::from(2);
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    if tickets.is_empty() {
        tally.decide_lines(&policy, "", io::stdin().lock(), &mut out, pretty);
    } else {
        for path in tickets {
            let place = path.display().to_string();
            let lines = path.extension().is_some_and(|x| x == "jsonl");
            match std::fs::File::open(path) {
                Ok(file) if lines => {
                    tally.decide_lines(&policy, &format!("{place}:"), io::BufReader::new(file), &mut out, pretty)
                }
                Ok(_) => match std::fs::read_to_string(path) {
                    Ok(text) => tally.decide(&policy, &place, &text, &mut out, pretty),
                    Err(e) => tally.fail(format!("{place}: cannot read: {e}")),
                },
                Err(e) => tally.fail(format!("{place}: cannot read: {e}")),
            }
        }
    }
    if let Err(e) = out.flush() {
        tally.fail(format!("cannot write decisions: {e}"));
    }
    if tally.failed > 0 {
        eprintln!("decided {} of {} tickets; {} failed", tally.decided, tally.decided + tally.failed, tally.failed);
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
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
    match policy.evaluate(&ticket) {
        Ok(decision) => {
            print!("{}", triage::explain(&policy, &decision));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", ticket_path.display());
            ExitCode::FAILURE
        }
    }
}
