//! Diagnostics: what the parser and the checker report, located, coded and explained.
//!
//! Every diagnostic has a stable code (`triage::unknown_field`), a lowercase message with
//! user input in backticks, labels at exact spans, and usually a help line. They render
//! through miette and serialise to JSON for tools.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::source::{Source, Span};

/// How serious a diagnostic is: errors stop a policy from loading, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy cannot be used.
    Error,
    /// Probably a mistake, but the policy still works.
    Warning,
}

/// A labelled span.
#[derive(Debug, Clone)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub text: String,
}

/// One located problem in a rule file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    labels: Vec<Label>,
    help: Option<String>,
    source: Option<Arc<Source>>,
}

impl Diagnostic {
    /// An error with a stable code, e.g. `error("unknown_field", …)` for `triage::unknown_field`.
    pub(crate) fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            source: None,
        }
    }

    /// A warning with a stable code.
    pub(crate) fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    /// Point at a span.
    pub(crate) fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, text: text.into() });
        self
    }

    /// Add guidance.
    pub(crate) fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Add guidance when there is some.
    pub(crate) fn maybe_help(self, help: Option<String>) -> Diagnostic {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }

    /// The same diagnostic with another code.
    pub(crate) fn with_code(mut self, code: &'static str) -> Diagnostic {
        self.code = code;
        self
    }

    /// The same diagnostic with another message.
    pub(crate) fn with_message(mut self, message: String) -> Diagnostic {
        self.message = message;
        self
    }

    /// Attach the file the labels point into.
    pub(crate) fn in_source(mut self, source: Arc<Source>) -> Diagnostic {
        self.source = Some(source);
        self
    }

    /// The file of the first label, for attaching sources after the fact.
    pub(crate) fn primary_file(&self) -> Option<crate::source::FileId> {
        self.labels.first().map(|l| l.span.file)
    }

    /// Whether a source is attached already.
    pub(crate) fn has_source(&self) -> bool {
        self.source.is_some()
    }

    /// The stable code, with its `triage::` prefix.
    pub fn code(&self) -> String {
        format!("triage::{}", self.code)
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The help line, if any.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The labels, in the order they were added.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The text under the first label, when the source is attached.
    pub fn primary_text(&self) -> Option<&str> {
        let source = self.source.as_ref()?;
        self.labels.first().map(|l| source.slice(l.span))
    }

    /// File, line and column of the first label: `rules/x.triage:12:5`.
    pub fn location(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        let span = self.labels.first()?.span;
        let (line, column) = source.line_column(span.start);
        Some(format!("{}:{line}:{column}", source.name()))
    }

    /// A plain serialisable form, for editors and other tools.
    pub fn to_report(&self) -> DiagnosticReport {
        let (file, line, column) = match (&self.source, self.labels.first()) {
            (Some(source), Some(label)) => {
                let (line, column) = source.line_column(label.span.start);
                (Some(source.name().to_string()), Some(line), Some(column))
            }
            (Some(source), None) => (Some(source.name().to_string()), None, None),
            _ => (None, None, None),
        };
        DiagnosticReport {
            code: self.code(),
            severity: self.severity,
            message: self.message.clone(),
            file,
            line,
            column,
            help: self.help.clone(),
        }
    }
}

/// The serialisable form of a [`Diagnostic`].
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticReport {
    /// Stable code, `triage::…`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// The file, as it was named when loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// One-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// One-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Guidance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("triage::{}", self.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s.miette() as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let text = (!l.text.is_empty()).then(|| l.text.clone());
            if i == 0 {
                miette::LabeledSpan::new_primary_with_span(text, l.span.miette())
            } else {
                miette::LabeledSpan::new_with_span(text, l.span.miette())
            }
        })))
    }
}

/// Every diagnostic of a failed load: at least one is an error.
#[derive(Debug, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    /// All diagnostics, errors and warnings, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(f, "{n} error{} in the policy", if n == 1 { "" } else { "s" })?;
        for d in self.errors() {
            match d.location() {
                Some(loc) => write!(f, "\n  {loc}: {}", d.message)?,
                None => write!(f, "\n  {}", d.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        // Replacing every character is not a near miss (`V` is not a typo of `I`).
        .filter(|(d, _)| *d <= limit && *d < word.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Edit distance over characters, counting a swap of two neighbours as one edit
/// (`wehn` is one edit from `when`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Whether two words are exactly one edit apart (a character added, dropped or changed, or
/// two neighbours swapped), as [`edit_distance`] would say, but in one pass and without
/// allocating: a ticket reader asks it of every unknown key.
pub(crate) fn one_edit_apart(a: &str, b: &str) -> bool {
    let (mut left, mut right) = (a.chars(), b.chars());
    loop {
        match (left.next(), right.next()) {
            (Some(x), Some(y)) if x == y => {}
            (None, None) => return false,
            (Some(_), None) => return left.as_str().is_empty(),
            (None, Some(_)) => return right.as_str().is_empty(),
            (Some(x), Some(y)) => {
                let (rest_a, rest_b) = (left.as_str(), right.as_str());
                let swapped = rest_a.strip_prefix(y).zip(rest_b.strip_prefix(x)).is_some_and(|(p, q)| p == q);
                return rest_a == rest_b
                    || swapped
                    || rest_a.strip_prefix(y) == Some(rest_b)
                    || rest_b.strip_prefix(x) == Some(rest_a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn one_edit_apart_agrees_with_the_edit_distance(a in "[abc语]{0,6}", b in "[abc语]{0,6}") {
            proptest::prop_assert_eq!(one_edit_apart(&a, &b), edit_distance(&a, &b) == 1, "{} / {}", a, b);
        }
    }

    #[test]
    fn one_edit_apart_names_each_kind_of_edit() {
        assert!(one_edit_apart("satisfied", "satisifed"));
        assert!(one_edit_apart("satisfied", "satisfie"));
        assert!(one_edit_apart("satisfied", "satisfieds"));
        assert!(one_edit_apart("satisfied", "satisfaed"));
        assert!(!one_edit_apart("satisfied", "satisfied"));
        assert!(!one_edit_apart("satisfied", "sadisfiet"));
    }

    #[test]
    fn near_misses_are_suggested_and_far_ones_are_not() {
        let fields = ["impact.safety", "impact.media", "score"];
        assert_eq!(did_you_mean("impact.saftey", fields), Some("did you mean `impact.safety`?".into()));
        assert_eq!(did_you_mean("scor", fields), Some("did you mean `score`?".into()));
        assert_eq!(did_you_mean("customer", fields), None);
        assert_eq!(did_you_mean("wehn", ["when", "then"]), Some("did you mean `when`?".into()));
    }
}
