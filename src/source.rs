//! Source files and the spans that point into them.

use std::sync::Arc;

use miette::NamedSource;

/// Which loaded file a span points into: an index into the loader's file list.
pub type FileId = u16;

/// A byte range in one source file. Spans take no part in equality of the things they
/// are attached to, so two expressions written alike compare equal wherever they stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first character.
    pub start: u32,
    /// Byte offset just past the last character.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        // Rule files are limited to a few MiB, so offsets fit.
        Span { file, start: crate::convert::to_u32(start), end: crate::convert::to_u32(end) }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The range as miette wants it.
    pub fn miette(self) -> miette::SourceSpan {
        (self.start as usize, (self.end - self.start) as usize).into()
    }
}

/// A value with the span it was written at.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Attach a span.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

/// One loaded source file: its display name and its text.
#[derive(Debug, Clone)]
pub struct Source {
    named: NamedSource<Arc<str>>,
    name: String,
    text: Arc<str>,
}

impl Source {
    /// A source from a name (usually the path as the user wrote it) and its text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Source {
        let name = name.into();
        let text = text.into();
        Source { named: NamedSource::new(name.clone(), text.clone()), name, text }
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: u32) -> (usize, usize) {
        let before = &self.text[..(offset as usize).min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// `name:line:column` of a byte offset, as a user types it to open the file there.
    pub fn location(&self, offset: u32) -> String {
        let (line, column) = self.line_column(offset);
        format!("{}:{line}:{column}", self.name)
    }

    pub(crate) fn miette(&self) -> &NamedSource<Arc<str>> {
        &self.named
    }
}
