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
