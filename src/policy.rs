//! The public facade: load a policy (with its imports), evaluate tickets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

use crate::analysis::SkippedCheck;
use crate::check::check;
use crate::compile::{compile, Program};
use crate::decision::Decision;
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::eval::evaluate;
use crate::eval::trace::TraceLevel;
use crate::limits::Limits;
use crate::source::{FileId, Source};
use crate::syntax::{ast, parse};
use crate::ticket::{self, PreparedTicket, TicketError};

/// A checked, compiled policy. Cheap to clone and safe to share between threads.
#[derive(Debug, Clone)]
pub struct Policy {
    program: Arc<Program>,
    /// The largest ticket text read, in bytes.
    ticket_bytes: usize,
    warnings: Arc<[Diagnostic]>,
    sources: Arc<[Arc<Source>]>,
    origin: Option<PathBuf>,
}

/// Why a ticket could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The ticket does not match the policy's schema, or is not JSON.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// A typed ticket could not be turned into JSON.
    #[error("cannot read the ticket: {message}")]
    Serialize {
        /// serde's message.
        message: String,
    },
}

impl EvalError {
    /// The id of the ticket the error is about, when known.
    pub fn ticket(&self) -> Option<&str> {
        match self {
            EvalError::Ticket(t) => t.ticket.as_deref(),
            EvalError::Serialize { .. } => None,
        }
    }
}

impl Policy {
    /// Load, check and compile a policy file and the files it imports.
    /// Tests in a companion file `X.tests.triage` beside `X.triage` are loaded with it, and
    /// loading the companion loads its policy.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Diagnostics> {
        Policy::from_file_with(path, &Limits::default())
    }

    /// [`from_file`](Self::from_file) with other [`Limits`] than the default ones.
    pub fn from_file_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Policy, Diagnostics> {
        let path = policy_of(path.as_ref());
        let mut loader = Loader::new(limits);
        loader.load_policy(&path);
        let mut policy = loader.finish()?;
        policy.origin = Some(path);
        Ok(policy)
    }

    /// Load a policy from text named `name`; imports resolve against `base_dir`.
    pub fn from_source(name: &str, text: &str, base_dir: &Path) -> Result<Policy, Diagnostics> {
        Policy::from_source_with(name, text, base_dir, &Limits::default())
    }

    /// [`from_source`](Self::from_source) with other [`Limits`] than the default ones.
    pub fn from_source_with(name: &str, text: &str, base_dir: &Path, limits: &Limits) -> Result<Policy, Diagnostics> {
        let mut loader = Loader::new(limits);
        loader.load_text(name, text, base_dir);
        loader.finish()
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.program.model.name
    }

    /// The policy's label for people, if it has one.
    pub fn label(&self) -> Option<&str> {
        self.program.model.label.as_deref()
    }

    /// The file it was loaded from, if any.
    pub fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }

    /// An instant as this policy's decisions show it: at the offset its zone has then.
    pub fn instant(&self, t: chrono::DateTime<chrono::Utc>) -> crate::decision::Instant {
        self.program.instant(t)
    }

    /// Warnings found while checking (errors prevent loading).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Decide a ticket given as a JSON tree, with the trace of the rules that fired.
    pub fn evaluate(&self, ticket: &serde_json::Value) -> Result<Decision<'_>, EvalError> {
        Ok(self.decide(&self.prepare(ticket)?, TraceLevel::Rules))
    }

    /// Decide a ticket given as JSON text, read straight into the policy's fields.
    pub fn evaluate_str(&self, ticket: &str) -> Result<Decision<'_>, EvalError> {
        Ok(self.decide(&self.prepare_str(ticket)?, TraceLevel::Rules))
    }

    /// Decide a ticket of any type that serialises to the ticket JSON.
    pub fn evaluate_typed<T: Serialize>(&self, ticket: &T) -> Result<Decision<'_>, EvalError> {
        let json = serde_json::to_string(ticket).map_err(|e| EvalError::Serialize { message: e.to_string() })?;
        self.evaluate_str(&json)
    }

    /// Read and validate a ticket given as a JSON tree, to decide it once or many times.
    pub fn prepare(&self, ticket: &serde_json::Value) -> Result<PreparedTicket, TicketError> {
        let mut prepared = PreparedTicket::new();
        ticket::from_json(&self.program.model, ticket, &mut prepared)?;
        Ok(prepared)
    }

    /// Read and validate a ticket given as JSON text. Only the fields the policy declares
    /// are read; everything else is skipped without being built.
    pub fn prepare_str(&self, ticket: &str) -> Result<PreparedTicket, TicketError> {
        let mut prepared = PreparedTicket::new();
        self.read_into(ticket, &mut prepared)?;
        Ok(prepared)
    }

    /// Read JSON text into a prepared ticket, reusing its buffers: reading many tickets one
    /// after another allocates only what their texts need.
    pub fn read_into(&self, ticket: &str, out: &mut PreparedTicket) -> Result<(), TicketError> {
        if ticket.len() > self.ticket_bytes {
            return Err(ticket::too_large(ticket.len(), self.ticket_bytes));
        }
        // A byte-order mark, as some editors write, is not part of the JSON.
        let ticket = ticket.strip_prefix('\u{feff}').unwrap_or(ticket);
        ticket::read(&self.program.model, &self.program.schema, ticket, out)
    }

    /// Decide a prepared ticket.
    pub fn decide(&self, ticket: &PreparedTicket, trace: TraceLevel) -> Decision<'_> {
        let mut decision = self.decision(trace);
        self.decide_into(ticket, &mut decision);
        decision
    }

    /// An empty decision to decide into, again and again, with [`decide_into`](Self::decide_into).
    pub fn decision(&self, trace: TraceLevel) -> Decision<'_> {
        Decision::new(&self.program, trace)
    }

    /// Decide a prepared ticket into a decision made by [`decision`](Self::decision), reusing
    /// its buffers: after the first few tickets, deciding allocates nothing but what the
    /// decision must hold (a text value, a problem).
    pub fn decide_into<'p>(&'p self, ticket: &PreparedTicket, out: &mut Decision<'p>) {
        out.program = &self.program;
        evaluate(&self.program, &ticket.slots, out);
    }

    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    pub(crate) fn sources(&self) -> &[Arc<Source>] {
        &self.sources
    }
}

impl FromStr for Policy {
    type Err = Diagnostics;

    /// Load a policy from text; imports resolve against the current directory.
    fn from_str(text: &str) -> Result<Policy, Diagnostics> {
        Policy::from_source("<policy>", text, Path::new("."))
    }
}

/// Check one rule file (a policy or a calendar file) and return every diagnostic.
/// A companion test file is checked with its policy.
pub fn check_file(path: impl AsRef<Path>) -> Vec<Diagnostic> {
    check_file_with(path, &Limits::default(), None)
}

/// [`check_file_with`], and the checks of the analysis that were beyond its method (a
/// condition that reads text, times or arithmetic between fields; too many cases), each
/// with its rules and the reason, as `triage check --explain-skipped` shows them.
pub fn check_file_explained(
    path: impl AsRef<Path>,
    limits: &Limits,
    today: Option<chrono::NaiveDate>,
) -> (Vec<Diagnostic>, Vec<SkippedCheck>) {
    Loader::check(limits, today, |loader| loader.load_policy(&policy_of(path.as_ref())))
}

/// [`check_source_with`], and the checks of the analysis that were beyond its method, as
/// [`check_file_explained`] gives them.
pub fn check_source_explained(
    name: &str,
    text: &str,
    base_dir: &Path,
    limits: &Limits,
    today: Option<chrono::NaiveDate>,
) -> (Vec<Diagnostic>, Vec<SkippedCheck>) {
    Loader::check(limits, today, |loader| _ = loader.load_text(name, text, base_dir))
}

/// [`check_file`] with other [`Limits`], and, given `today`, a warning for every calendar
/// the file uses that ends within 60 days of it (the clock is passed in, so checks are
/// repeatable).
pub fn check_file_with(path: impl AsRef<Path>, limits: &Limits, today: Option<chrono::NaiveDate>) -> Vec<Diagnostic> {
    check_file_explained(path, limits, today).0
}

/// [`check_file_with`] for a policy given as text (standard input, an editor's buffer):
/// `name` stands for its file in diagnostics, and its imports are found from `base_dir`.
pub fn check_source_with(
    name: &str,
    text: &str,
    base_dir: &Path,
    limits: &Limits,
    today: Option<chrono::NaiveDate>,
) -> Vec<Diagnostic> {
    check_source_explained(name, text, base_dir, limits, today).0
}

const COMPANION: &str = ".tests.triage";

/// The policy file a path stands for: itself, or for `X.tests.triage`, `X.triage`.
pub fn policy_of(path: &Path) -> PathBuf {
    match path.to_str().and_then(|p| p.strip_suffix(COMPANION)) {
        Some(stem) => PathBuf::from(format!("{stem}.triage")),
        None => path.to_path_buf(),
    }
}

/// Reads files and their imports, parses each once, and attaches sources to diagnostics.
struct Loader {
    limits: Limits,
    /// The date calendars are checked to run beyond, when given.
    today: Option<chrono::NaiveDate>,
    /// Whether a policy that checks is analysed too (`triage check`); loading a policy to
    /// decide tickets does not wait for it.
    analyse: bool,
    /// The analysis's checks that were beyond its method.
    skipped: Vec<SkippedCheck>,
    sources: Vec<Arc<Source>>,
    files: Vec<ast::File>,
    by_path: HashMap<PathBuf, FileId>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader {
    fn new(limits: &Limits) -> Loader {
        Loader {
            limits: limits.clone(),
            today: None,
            analyse: false,
            skipped: Vec::new(),
            sources: Vec::new(),
            files: Vec::new(),
            by_path: HashMap::new(),
            diagnostics: Vec::new(),
        }
    }

    fn load_path(&mut self, path: &Path, imported_at: Option<Diagnostic>) -> Option<FileId> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(&id) = self.by_path.get(&key) {
            return Some(id);
        }
        // A file too large to be a policy is refused before it is read.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.len() > self.limits.file_bytes as u64 {
                let d = imported_at.unwrap_or_else(|| Diagnostic::error("io", ""));
                let message = format!(
                    "`{}` is {} bytes, more than the {} a rule file may have",
                    path.display(),
                    meta.len(),
                    self.limits.file_bytes
                );
                self.diagnostics.push(d.with_code("too_large").with_message(message));
                return None;
            }
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let Ok(id) = FileId::try_from(self.sources.len()) else {
                    let d = imported_at.unwrap_or_else(|| Diagnostic::error("io", ""));
                    self.diagnostics.push(d.with_code("too_large").with_message(format!(
                        "`{}` is one file too many: a policy reads at most {} files",
                        path.display(),
                        FileId::MAX
                    )));
                    return None;
                };
                // Known before its imports are read, so an import cycle ends here.
                self.by_path.insert(key, id);
                let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                // A byte-order mark, as some editors write, is not part of the policy.
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                Some(self.load_text(&path.display().to_string(), text, &base))
            }
            Err(e) => {
                let d = imported_at.unwrap_or_else(|| Diagnostic::error("io", ""));
                self.diagnostics.push(d.with_message(format!("cannot read `{}`: {e}", path.display())));
                None
            }
        }
    }

    /// Load a policy file, its imports, and its companion test file if there is one.
    fn load_policy(&mut self, path: &Path) {
        self.load_path(path, None);
        let companion = path.to_str().and_then(|p| p.strip_suffix(".triage")).map(|stem| format!("{stem}{COMPANION}"));
        let Some(companion) = companion.map(PathBuf::from).filter(|c| c.is_file()) else { return };
        let Some(id) = self.load_path(&companion, None) else { return };
        // The companion's tests join the policy's; anything else in it is a mistake.
        let tests = std::mem::take(&mut self.files[id as usize].tests);
        if let Some(span) = self.files[id as usize].non_test_items().min_by_key(|s| s.start) {
            self.diagnostics.push(
                Diagnostic::error("companion_content", "a companion test file holds only tests")
                    .label(span, "this belongs in the policy file")
                    .help(format!("move it to `{}`", path.display()))
                    .in_source(self.sources[id as usize].clone()),
            );
        }
        if let Some(main) = self.files.first_mut() {
            main.tests.extend(tests);
        }
    }

    fn load_text(&mut self, name: &str, text: &str, base: &Path) -> FileId {
        // Files read from disk were measured before reading; text given directly is here.
        let text = if text.len() > self.limits.file_bytes {
            self.diagnostics.push(Diagnostic::error(
                "too_large",
                format!(
                    "`{name}` is {} bytes, more than the {} a rule file may have",
                    text.len(),
                    self.limits.file_bytes
                ),
            ));
            ""
        } else {
            text
        };
        // `load_path` stops at the most files an id can number; text given directly is the first.
        let id = FileId::try_from(self.sources.len()).unwrap_or(FileId::MAX);
        let source = Arc::new(Source::new(name, text));
        self.sources.push(source.clone());
        let file = match parse(text, id, self.limits.expression_depth) {
            Ok(file) => file,
            Err(errors) => {
                self.diagnostics.extend(errors.into_iter().map(|d| d.in_source(source.clone())));
                ast::File::default()
            }
        };
        let imports = file.imports.clone();
        self.files.push(file);
        for import in imports {
            let at = Diagnostic::error("import", "")
                .label(import.span, "imported here")
                .help("import paths are relative to the importing file")
                .in_source(source.clone());
            self.load_path(&base.join(&import.node), Some(at));
        }
        id
    }

    /// `file:line:column` of a span, for the compiled program's messages.
    fn location(&self, span: crate::source::Span) -> String {
        match self.sources.get(usize::from(span.file)) {
            Some(source) => source.location(span.start),
            None => "<policy>".into(),
        }
    }

    /// Load with `load`, check and analyse: every diagnostic, and the checks the analysis
    /// left out.
    fn check(
        limits: &Limits,
        today: Option<chrono::NaiveDate>,
        load: impl FnOnce(&mut Loader),
    ) -> (Vec<Diagnostic>, Vec<SkippedCheck>) {
        let mut loader = Loader::new(limits);
        loader.today = today;
        loader.analyse = true;
        load(&mut loader);
        let diagnostics = loader.diagnose().1;
        (diagnostics, loader.skipped)
    }

    /// Check what was loaded: the model (if error-free) and every diagnostic.
    fn diagnose(&mut self) -> (Option<crate::model::Model>, Vec<Diagnostic>) {
        if self.files.is_empty() || self.diagnostics.iter().any(|d| d.severity() == Severity::Error) {
            return (None, std::mem::take(&mut self.diagnostics));
        }
        let checked = check(&self.files, 0, &self.limits, self.today);
        let mut diagnostics = checked.diagnostics;
        if let Some(model) = checked.model.as_ref().filter(|m| self.analyse && !m.name.is_empty()) {
            if diagnostics.iter().all(|d| d.severity() != Severity::Error) {
                // The analysis verifies every counterexample with the evaluator, so it needs
                // the compiled program.
                let program = compile(model.clone(), |span| self.location(span));
                let (found, skipped) = crate::analysis::analyse(&program);
                diagnostics.extend(found);
                self.skipped = skipped;
            }
        }
        let sources = &self.sources;
        self.diagnostics.extend(diagnostics.into_iter().map(|d| match d.primary_file() {
            Some(file) if !d.has_source() => d.in_source(sources[file as usize].clone()),
            _ => d,
        }));
        (checked.model, std::mem::take(&mut self.diagnostics))
    }

    fn finish(mut self) -> Result<Policy, Diagnostics> {
        let (model, diagnostics) = self.diagnose();
        let (errors, warnings): (Vec<_>, Vec<_>) =
            diagnostics.into_iter().partition(|d| d.severity() == Severity::Error);
        match model {
            Some(model) if errors.is_empty() && !model.name.is_empty() => Ok(Policy {
                program: Arc::new(compile(model, |span| self.location(span))),
                ticket_bytes: self.limits.ticket_bytes,
                warnings: warnings.into(),
                sources: self.sources.into(),
                origin: None,
            }),
            Some(_) if errors.is_empty() => {
                Err(Diagnostics(vec![Diagnostic::error("missing_policy", "this file declares no policy").help(
                    "a policy file starts with `policy name \"label\"`; calendar files are imported by policies",
                )]))
            }
            _ => Err(Diagnostics(errors.into_iter().chain(warnings).collect())),
        }
    }
}
