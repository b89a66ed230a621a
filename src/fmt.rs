//! `triage fmt`: the one canonical layout of a rule file.
//!
//! The formatter works from the file's tokens (the parser's tree, with the punctuation and
//! comments between its pieces), never from the syntax tree, so every comment stays where it
//! was written and nothing but white space changes. The layout, as the shipped policies
//! write it:
//!
//! - an item (`policy`, `ticket`, `rule`, …) starts at column 0, each of its statements (a
//!   field, `when`, `route`, `given`, a calendar's `hours`, …) on a line of its own at
//!   column 2; items are separated by one blank line (a run of `let`s or of `import`s may
//!   stand together), and at most one blank line is kept anywhere;
//! - one space between tokens, none before `,` or inside brackets, none in `mon-fri`,
//!   `09:00-18:00`, `max(` or `-x`;
//! - the author's line breaks inside a statement are kept; a continuation line is aligned
//!   after the innermost open bracket, else after the statement's first word when the line
//!   before ends with a comma (a list), else indented two more than its statement;
//! - a line longer than [`WIDTH`] is broken before `or`/`and` (the least nested ones);
//! - the types of a `ticket` block's fields are aligned in one column, and so are the `=`
//!   of a run of `let`s, of `deadline`s or of `value`s on consecutive lines;
//! - an own-line comment takes the indentation of the line after it, unless it sits right
//!   under a line with a blank line after it (a note closing a rule): then it keeps the
//!   indentation of the line above; a trailing comment stays at the end of its line, one
//!   space after it.
//!
//! The result is checked before it is returned: its tokens and comments must be the
//! original's, in order, or formatting fails rather than change a policy.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::limits::Limits;
use crate::source::Source;
use crate::syntax::{layout_tokens, ItemKind, LayoutToken, LineStart, StatementKind, TokenKind};

/// The width past which a line is broken before `or`/`and`, where it has one.
const WIDTH: usize = 100;

/// How a text that is not named is called in diagnostics.
const UNNAMED: &str = "<input>";

/// Format a rule file's text in the canonical layout.
///
/// A text that does not parse is an error, with the diagnostics `triage check` gives for it.
///
/// ```
/// let messy = "policy  p\n zone Asia/Shanghai\nticket\n  id text\n  a   bool # why\nrule r when a   grade X\n";
/// let tidy = triage::format_source(messy).unwrap();
/// assert_eq!(
///     tidy,
///     "policy p\n  zone Asia/Shanghai\n\nticket\n  id  text\n  a   bool # why\n\nrule r\n  when a\n  grade X\n"
/// );
/// assert_eq!(triage::format_source(&tidy).unwrap(), tidy);
/// ```
pub fn format_source(text: &str) -> Result<String, Diagnostics> {
    format_named(UNNAMED, text)
}

/// [`format_source`], with the name diagnostics give the text (its path, or `<stdin>`).
pub fn format_named(name: &str, text: &str) -> Result<String, Diagnostics> {
    let source = Arc::new(Source::new(name, text));
    let attach = |ds: Vec<Diagnostic>| Diagnostics(ds.into_iter().map(|d| d.in_source(source.clone())).collect());
    let limits = Limits::default();
    if text.len() > limits.file_bytes {
        return Err(attach(vec![Diagnostic::error(
            "too_large",
            format!("`{name}` is {} bytes, more than the {} a rule file may have", text.len(), limits.file_bytes),
        )]));
    }
    let tokens = layout_tokens(text, 0, limits.expression_depth).map_err(attach)?;
    let out = layout(text, &tokens);
    // INVARIANT: formatting changes white space only. Checked, so that a mistake here is an
    // error and never a changed policy.
    let again = layout_tokens(&out, 0, limits.expression_depth);
    if !again.is_ok_and(|again| same_tokens(text, &tokens, &out, &again)) {
        return Err(attach(vec![Diagnostic::error(
            "fmt_changed",
            "formatting this file would change more than its layout, so it was left alone",
        )
        .help("this is a mistake in `triage fmt`; please report it with the file")]));
    }
    Ok(out)
}

/// Whether two token lists read the same: same texts in the same order, comments compared
/// without the white space that ends them.
fn same_tokens(a_text: &str, a: &[LayoutToken], b_text: &str, b: &[LayoutToken]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let (sx, sy) = (a_text.get(x.start..x.end).unwrap_or(""), b_text.get(y.start..y.end).unwrap_or(""));
            x.kind == y.kind && x.starts == y.starts && sx.trim_end() == sy.trim_end()
        })
}

/// One line of output.
#[derive(Debug)]
struct Line {
    /// Spaces before the text.
    indent: usize,
    /// The text, trailing comment included.
    text: String,
    /// A blank line goes before it.
    blank_before: bool,
    /// Only a comment.
    comment: bool,
    /// The item it starts, if any.
    item: Option<ItemKind>,
    /// The tokens on it (indices) and the column each starts at, for breaking it.
    tokens: Vec<(usize, usize)>,
    /// Its width so far, indent included, in characters.
    width: usize,
}

/// The whole layout: the lines, with breaks added before `or`/`and` until no line that can
/// be broken is too long.
fn layout(text: &str, tokens: &[LayoutToken]) -> String {
    let newlines = newlines_before(text, tokens);
    let align = alignments(text, tokens, &newlines);
    let mut breaks: HashSet<usize> = HashSet::new();
    // Each round adds breaks to every line still too long; the breaks only grow, and there
    // are finitely many `or`/`and`, so this ends (usually after one round), and the bound
    // makes sure of it.
    let mut lines = lay_out(text, tokens, &newlines, &align, &breaks);
    for _ in 0..tokens.len() {
        let before = breaks.len();
        for line in &lines {
            breaks.extend(breaks_for(text, tokens, line));
        }
        if breaks.len() == before {
            break;
        }
        lines = lay_out(text, tokens, &newlines, &align, &breaks);
    }
    render(lines)
}

/// How many line breaks the source has before each token (after the token or comment
/// before it).
fn newlines_before(text: &str, tokens: &[LayoutToken]) -> Vec<usize> {
    let mut at = 0;
    tokens
        .iter()
        .map(|t| {
            let n = text.get(at..t.start).map_or(0, |gap| gap.matches('\n').count());
            at = t.end;
            n
        })
        .collect()
}

fn slice<'a>(text: &'a str, t: &LayoutToken) -> &'a str {
    text.get(t.start..t.end).unwrap_or("")
}

fn is_punct(text: &str, t: &LayoutToken, p: &str) -> bool {
    t.kind == TokenKind::Punct && slice(text, t) == p
}

/// The space written between two tokens on one line.
fn space_between(text: &str, prev: &LayoutToken, next: &LayoutToken) -> &'static str {
    let p = if prev.kind == TokenKind::Punct { slice(text, prev) } else { "" };
    let n = if next.kind == TokenKind::Punct { slice(text, next) } else { "" };
    let tight = matches!(n, "," | ")" | "]" | "}")
        || matches!(p, "(" | "[" | "{")
        || (n == "(" && prev.kind == TokenKind::CallName)
        || prev.kind == TokenKind::Minus
        // The only `-` the grammar writes as a literal are those of `mon-fri` and `09:00-18:00`.
        || (n == "-" && prev.kind == TokenKind::RangeEnd)
        || p == "-";
    if tight {
        ""
    } else {
        " "
    }
}

/// Columns some tokens are aligned to: a field's type, the `=` of a run of `let`s,
/// `deadline`s or `value`s. Keyed by token index; the column counts from the line's indent.
fn alignments(text: &str, tokens: &[LayoutToken], newlines: &[usize]) -> HashMap<usize, usize> {
    let mut align = HashMap::new();
    // Fields: the type column of each `ticket` or `record` block.
    let mut block: Vec<usize> = Vec::new();
    let flush_fields = |block: &mut Vec<usize>, align: &mut HashMap<usize, usize>| {
        let width = block.iter().map(|&i| tokens.get(i).map_or(0, |t| slice(text, t).chars().count())).max();
        for &i in block.iter() {
            // The type follows its path on the same line, or it is not aligned.
            if newlines.get(i + 1) == Some(&0) && tokens.get(i + 1).is_some_and(|t| t.kind != TokenKind::Comment) {
                align.insert(i + 1, width.unwrap_or(0) + 2);
            }
        }
        block.clear();
    };
    for (i, t) in tokens.iter().enumerate() {
        match t.starts {
            Some(LineStart::Statement(StatementKind::Field)) => block.push(i),
            Some(LineStart::Item(_)) => flush_fields(&mut block, &mut align),
            _ => {}
        }
    }
    flush_fields(&mut block, &mut align);

    // Runs of `let`, `deadline` or `value`: (index of `=`, width before it) of each.
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut run_kind: Option<LineStart> = None;
    let flush_run = |run: &mut Vec<(usize, usize)>, align: &mut HashMap<usize, usize>| {
        if run.len() > 1 {
            let width = run.iter().map(|&(_, w)| w).max().unwrap_or(0);
            for &(eq, _) in run.iter() {
                align.insert(eq, width + 1);
            }
        }
        run.clear();
    };
    for (i, t) in tokens.iter().enumerate() {
        let Some(start) = t.starts else {
            // A comment on its own line ends a run, as a blank line does.
            if t.kind == TokenKind::Comment && newlines.get(i).is_some_and(|&n| n > 0) {
                flush_run(&mut run, &mut align);
                run_kind = None;
            }
            continue;
        };
        let alignable = matches!(
            start,
            LineStart::Item(ItemKind::Let)
                | LineStart::Statement(StatementKind::Deadline)
                | LineStart::Statement(StatementKind::Value)
        );
        if !alignable || run_kind != Some(start) || newlines.get(i).is_some_and(|&n| n > 1) {
            flush_run(&mut run, &mut align);
        }
        run_kind = alignable.then_some(start);
        if alignable {
            // The `=` of the statement, on its first line.
            let mut width = slice(text, t).chars().count();
            let mut j = i + 1;
            while let Some(u) = tokens.get(j) {
                if newlines.get(j).is_some_and(|&n| n > 0) || u.kind == TokenKind::Comment || u.starts.is_some() {
                    break;
                }
                if is_punct(text, u, "=") {
                    run.push((j, width));
                    break;
                }
                if let Some(prev) = tokens.get(j - 1) {
                    width += space_between(text, prev, u).len();
                }
                width += slice(text, u).chars().count();
                j += 1;
            }
        }
    }
    flush_run(&mut run, &mut align);
    align
}

/// Lay the tokens out in lines, with the source's breaks and the given extra ones.
fn lay_out(
    text: &str,
    tokens: &[LayoutToken],
    newlines: &[usize],
    align: &HashMap<usize, usize>,
    breaks: &HashSet<usize>,
) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<Line> = None;
    let mut pending: Vec<Line> = Vec::new();
    // The statement being laid out: its indent and the column of its second token.
    let mut statement_indent = 0;
    let mut second_column: Option<usize> = None;
    let mut statement_tokens = 0;
    let mut brackets: Vec<Bracket> = Vec::new();
    let mut prev: Option<usize> = None;

    for (i, t) in tokens.iter().enumerate() {
        let s = slice(text, t);
        let nl = newlines.get(i).copied().unwrap_or(0);
        let blank_before = nl > 1;
        if t.kind == TokenKind::Comment {
            let s = s.trim_end();
            match current.as_mut() {
                Some(line) if nl == 0 => {
                    line.text.push(' ');
                    line.text.push_str(s);
                }
                _ => {
                    lines.extend(current.take());
                    pending.push(Line {
                        indent: 0,
                        text: s.to_string(),
                        blank_before,
                        comment: true,
                        item: None,
                        tokens: Vec::new(),
                        width: 0,
                    });
                }
            }
            continue;
        }
        let new_line = t.starts.is_some() || nl > 0 || breaks.contains(&i) || current.is_none();
        if new_line {
            lines.extend(current.take());
            let indent = match t.starts {
                Some(LineStart::Item(_)) => 0,
                Some(LineStart::Statement(_)) => 2,
                None => {
                    let after_comma = prev.and_then(|p| tokens.get(p)).is_some_and(|p| is_punct(text, p, ","));
                    let closing = t.kind == TokenKind::Punct && matches!(s, ")" | "]" | "}");
                    match (brackets.last(), second_column) {
                        (Some(b), _) if b.hanging != Some(false) => b.line_indent + if closing { 2 } else { 4 },
                        (Some(b), _) => b.column_after,
                        (None, Some(column)) if after_comma => column,
                        _ => statement_indent + 2,
                    }
                }
            };
            if t.starts.is_some() {
                statement_indent = indent;
                second_column = None;
                statement_tokens = 0;
                brackets.clear();
            }
            // Comments right under a line, with a blank line after them, close what is above
            // (a note at the end of a rule): they keep its indent and stay with it. Any
            // others lead into the line after them and take its indent.
            let closing = match (pending.first(), lines.last()) {
                (Some(first), Some(_)) if !first.blank_before => {
                    let end = pending.iter().skip(1).position(|c| c.blank_before).map_or(pending.len(), |p| p + 1);
                    if end < pending.len() || blank_before {
                        end
                    } else {
                        0
                    }
                }
                _ => 0,
            };
            let above = lines.last().map_or(0, |l| l.indent);
            for (n, mut comment) in pending.drain(..).enumerate() {
                comment.indent = if n < closing { above } else { indent };
                lines.push(comment);
            }
            current = Some(Line {
                indent,
                text: String::new(),
                blank_before,
                comment: false,
                item: match t.starts {
                    Some(LineStart::Item(kind)) => Some(kind),
                    _ => None,
                },
                tokens: Vec::new(),
                width: indent,
            });
        }
        let Some(line) = current.as_mut() else { continue };
        if let Some(b) = brackets.last_mut() {
            if b.hanging.is_none() {
                b.hanging = Some(new_line);
            }
        }
        if !line.text.is_empty() {
            let pad = match (align.get(&i), prev.and_then(|p| tokens.get(p))) {
                (Some(&column), _) => (line.indent + column).saturating_sub(line.width).max(1),
                (None, Some(p)) => space_between(text, p, t).len(),
                (None, None) => 0,
            };
            line.text.extend(std::iter::repeat(' ').take(pad));
            line.width += pad;
        }
        let column = line.width;
        statement_tokens += 1;
        if statement_tokens == 2 {
            second_column = Some(column);
        }
        line.text.push_str(s);
        line.width += s.chars().count();
        line.tokens.push((i, column));
        if t.kind == TokenKind::Punct {
            match s {
                "(" | "[" | "{" => {
                    brackets.push(Bracket { column_after: column + 1, line_indent: line.indent, hanging: None })
                }
                ")" | "]" | "}" => {
                    brackets.pop();
                }
                _ => {}
            }
        }
        prev = Some(i);
    }
    lines.extend(current.take());
    lines.append(&mut pending);
    lines
}

/// An open bracket of the statement being laid out.
struct Bracket {
    /// The column just after it, where a line inside it is aligned.
    column_after: usize,
    /// The indent of its line.
    line_indent: usize,
    /// Whether it ends its line, so that what is inside is indented from its line's
    /// indent instead (known once the token after it is placed).
    hanging: Option<bool>,
}

/// Where to break a line that is too long: before its `or`s least nested in brackets (its
/// `and`s when it has no `or`), each time at the last that leaves the line short enough,
/// else at the first. A continuation's indent is guessed (two more than a statement's
/// line); the next round corrects a wrong guess.
fn breaks_for(text: &str, tokens: &[LayoutToken], line: &Line) -> Vec<usize> {
    if line.comment || line.width <= WIDTH {
        return Vec::new();
    }
    let mut depth = 0usize;
    // (rank: depth, `or` before `and`; column where the token starts; index)
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (n, &(i, column)) in line.tokens.iter().enumerate() {
        let Some(t) = tokens.get(i) else { continue };
        let s = slice(text, t);
        if n > 0 && t.kind == TokenKind::Word && matches!(s, "or" | "and") {
            // `or` binds loosest: breaking before it never splits an `and` of its operands.
            candidates.push((depth * 2 + usize::from(s == "and"), column, i));
        }
        if t.kind == TokenKind::Punct {
            match s {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    let Some(least) = candidates.iter().map(|c| c.0).min() else { return Vec::new() };
    let outer: Vec<(usize, usize)> = candidates.iter().filter(|c| c.0 == least).map(|c| (c.1, c.2)).collect();
    let continuation = if line.item.is_some() || line.indent == 2 { line.indent + 2 } else { line.indent };
    let mut out = Vec::new();
    // The first candidate of the current piece, and how far its columns move left once
    // broken off.
    let (mut next, mut shift) = (0usize, 0usize);
    while line.width.saturating_sub(shift) > WIDTH && next < outer.len() {
        // The piece before a break ends one space before the `or`: the last that fits,
        // else the first.
        let mut chosen = next;
        while outer.get(chosen + 1).is_some_and(|c| c.0.saturating_sub(shift) <= WIDTH + 1) {
            chosen += 1;
        }
        let Some(&(column, at)) = outer.get(chosen) else { break };
        out.push(at);
        next = chosen + 1;
        shift = column.saturating_sub(continuation);
    }
    out
}

/// The lines as text: one blank line between items (a run of `let`s or `import`s may stand
/// together), at most one anywhere, none at the start, one line break at the end.
fn render(mut lines: Vec<Line>) -> String {
    let mut previous_item: Option<ItemKind> = None;
    for i in 0..lines.len() {
        let Some(kind) = lines.get(i).and_then(|l| l.item) else { continue };
        let together = matches!(
            (previous_item, kind),
            (Some(ItemKind::Let), ItemKind::Let) | (Some(ItemKind::Import), ItemKind::Import)
        );
        previous_item = Some(kind);
        if together {
            continue;
        }
        // The blank line goes before the comments that lead into the item.
        let mut first = i;
        while first > 0
            && lines.get(first - 1).is_some_and(|l| l.comment)
            && !lines.get(first).is_some_and(|l| l.blank_before)
        {
            first -= 1;
        }
        if let Some(line) = lines.get_mut(first) {
            line.blank_before = true;
        }
    }
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        if line.blank_before && n > 0 {
            out.push('\n');
        }
        out.extend(std::iter::repeat(' ').take(line.indent));
        out.push_str(line.text.trim_end());
        out.push('\n');
    }
    out
}
