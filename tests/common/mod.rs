//! Helpers shared by the integration tests: loading corpus files, rendering diagnostics
//! the same way on every machine, and asserting one diagnostic precisely (in the manner
//! of cedar's `test_utils.rs`).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};
use triage::{check_file, Diagnostic, Severity};

/// The crate root; integration tests and the binary run from here.
pub fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the crate root, as a relative path so that diagnostics name files the
/// same way on every machine (`tests/corpus/check/err/x.triage`).
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(crate_root()).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

/// Every diagnostic `check_file` reports for a file given relative to the crate root.
pub fn diagnostics(path: &str) -> Vec<Diagnostic> {
    assert!(crate_root().join(path).is_file(), "test setup: `{path}` does not exist");
    check_file(crate_root().join(path))
}

/// The errors among the diagnostics of a file.
pub fn errors(path: &str) -> Vec<Diagnostic> {
    diagnostics(path).into_iter().filter(|d| d.severity() == Severity::Error).collect()
}

/// The one error a corpus file must produce.
pub fn single_error(path: &str) -> Diagnostic {
    let mut errors = errors(path);
    assert_eq!(errors.len(), 1, "`{path}` should produce exactly one error, got:\n{}", render_all(&errors));
    errors.remove(0)
}

/// Render a diagnostic as the command line does on a terminal without colours, at a fixed
/// width, so snapshots do not depend on the terminal.
pub fn render(d: &Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false)
        .render_report(&mut out, d)
        .expect("rendering into a string cannot fail");
    out
}

/// Render several diagnostics one after the other.
pub fn render_all(ds: &[Diagnostic]) -> String {
    ds.iter().map(render).collect::<Vec<_>>().join("\n")
}

/// One-based line of a diagnostic's primary label, read from `location()`
/// (`file:line:column`).
pub fn line_of(d: &Diagnostic) -> usize {
    let location = d.location().unwrap_or_else(|| panic!("`{}` has no location", d.message()));
    let mut parts = location.rsplitn(3, ':');
    let _column = parts.next();
    parts.next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("no line in location `{location}`"))
}

/// What one diagnostic must say, checked field by field, so that a failure names the
/// field that differs.
#[derive(Debug, Default)]
pub struct Expected<'a> {
    code: &'a str,
    severity: Option<Severity>,
    message: Option<&'a str>,
    help_contains: Vec<&'a str>,
    underlined: Option<&'a str>,
    line: Option<usize>,
}

impl<'a> Expected<'a> {
    /// An error with this code (`triage::unknown_field`).
    pub fn error(code: &'a str) -> Self {
        Expected { code, severity: Some(Severity::Error), ..Expected::default() }
    }

    /// A warning with this code.
    pub fn warning(code: &'a str) -> Self {
        Expected { code, severity: Some(Severity::Warning), ..Expected::default() }
    }

    /// The exact message.
    pub fn message(mut self, message: &'a str) -> Self {
        self.message = Some(message);
        self
    }

    /// Text the help line must contain.
    pub fn help_contains(mut self, fragment: &'a str) -> Self {
        self.help_contains.push(fragment);
        self
    }

    /// The exact source text under the primary label.
    pub fn underlined(mut self, text: &'a str) -> Self {
        self.underlined = Some(text);
        self
    }

    /// The one-based line of the primary label.
    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// Assert that `d` is this diagnostic.
    #[track_caller]
    pub fn assert(&self, d: &Diagnostic) {
        let shown = render(d);
        assert_eq!(d.code(), self.code, "code of:\n{shown}");
        if let Some(severity) = self.severity {
            assert_eq!(d.severity(), severity, "severity of:\n{shown}");
        }
        if let Some(message) = self.message {
            assert_eq!(d.message(), message, "message of:\n{shown}");
        }
        for fragment in &self.help_contains {
            let help =
                d.help_text().unwrap_or_else(|| panic!("no help, expected one containing {fragment:?}:\n{shown}"));
            assert!(help.contains(fragment), "help {help:?} should contain {fragment:?}:\n{shown}");
        }
        if let Some(text) = self.underlined {
            assert_eq!(d.primary_text(), Some(text), "underlined text of:\n{shown}");
        }
        if let Some(line) = self.line {
            assert_eq!(line_of(d), line, "line of:\n{shown}");
        }
    }
}

/// A fresh folder under the system's temporary folder, removed when dropped. Tests that
/// write files (`:save-test`, an edited policy) work on copies kept here, never on the
/// crate's own `rules/`.
pub struct TempDir(PathBuf);

impl TempDir {
    /// An empty folder named after the test; the process id keeps runs apart.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("triage-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test setup: a temporary folder");
        TempDir(dir)
    }

    /// A folder holding copies of the crate's `rules/` and `examples/`, laid out as in the
    /// crate, so that policies, their imports and their tests' `given ticket` files resolve.
    pub fn with_policies(name: &str) -> TempDir {
        let dir = TempDir::new(name);
        for folder in ["rules", "examples"] {
            copy_tree(&crate_root().join(folder), &dir.0.join(folder));
        }
        dir
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the folder.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    /// The text of a file inside the folder.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.0.join(relative)).unwrap_or_else(|e| panic!("reading `{relative}`: {e}"))
    }

    /// Write a file inside the folder.
    pub fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.0.join(relative), text).unwrap_or_else(|e| panic!("writing `{relative}`: {e}"));
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copy a folder and everything in it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating `{}`: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("listing `{}`: {e}", from.display())) {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copying `{}`: {e}", target.display()));
        }
    }
}

/// What one run of the `triage` binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code, `None` when a signal ended it.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Assert the exit code, showing what the run printed when it differs.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit code of the run:\n{}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}
