//! Lowers pest's parse tree into our own spanned syntax tree, and turns pest's errors into
//! diagnostics worded for a policy owner.
//!
//! The `expect`s and `unreachable!`s here state the shape the grammar gives each pair
//! (a `let` has a value, a statement is one of the statements): pest guarantees it for
//! every input, so one failing is a mistake in this file, not in a rule file.
#![allow(clippy::unreachable)]

use std::str::FromStr;

use chrono::NaiveDate;
use pest::iterators::Pair;
use pest::Parser as _;
use rust_decimal::Decimal;

use super::ast::*;
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::source::{FileId, Span, Spanned};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/triage.pest"]
struct Grammar;

// Rebuild when the grammar changes: pest_derive alone does not tell cargo about the file.
const _GRAMMAR: &str = include_str!("../../grammar/triage.pest");

/// Words that start a top-level item; after a syntax error, parsing resumes at the next
/// line that starts with one of them, so one run reports the errors of every item.
const ITEM_KEYWORDS: &[&str] = &[
    "policy", "import", "calendar", "ticket", "record", "grades", "roles", "actions", "let", "rule", "exempt", "test",
];

/// Parse a whole file. On failure, returns a diagnostic for every item that failed.
/// Expressions deeper than `max_depth` are errors, found before they are lowered, so that
/// nothing after the parser recurses deeper than that.
pub fn parse(text: &str, file: FileId, max_depth: usize) -> Result<File, Vec<Diagnostic>> {
    let mut out = File::default();
    let mut errors = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let lowerer = Lowerer { file, offset: start, max_depth };
        match Grammar::parse(Rule::file, rest) {
            Ok(mut pairs) => {
                let root = pairs.next().expect("the file rule always yields a pair");
                if let Err(e) = lowerer.file(root, &mut out) {
                    errors.extend(e);
                }
                break;
            }
            Err(e) => {
                let (diagnostic, at) = syntax_error(&e, file, start, text);
                // Pest gives up on parentheses nested past what its stack allows; say so.
                let diagnostic = match too_many_parentheses(text, start, max_depth) {
                    Some(open) if open <= at => Diagnostic::error(
                        "too_deep",
                        format!("parentheses nest more than {max_depth} levels deep here"),
                    )
                    .label(Span::new(file, open, open + 1), format!("level {} starts here", max_depth + 1))
                    .help("name parts of the expression with `let` instead of nesting them"),
                    _ => diagnostic,
                };
                errors.push(diagnostic);
                // Resume at the next item: the one the error points at when it starts
                // there (the item before it was cut short), else the next one after it.
                let resume = if at > start && starts_item(&text[line_start(text, at)..]) && line_start(text, at) == at {
                    Some(at)
                } else {
                    next_item_start(text, at)
                };
                match resume {
                    Some(next) => start = next,
                    None => break,
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Parse `path = value, …`, as a test's `given` writes it: what a host or the REPL gives a
/// scenario. Spans point into `text` as file `file`.
pub fn parse_assignments(text: &str, file: FileId, max_depth: usize) -> Result<Vec<Assignment>, Vec<Diagnostic>> {
    let help = "write `field = value`, several separated by commas: `impact.safety = true, complex = false`";
    let root = fragment(Rule::assignments, text, file, max_depth, help)?;
    let lowerer = Lowerer { file, offset: 0, max_depth };
    let mut out = Vec::new();
    for a in root.into_inner().filter(|p| p.as_rule() == Rule::assignment) {
        let mut parts = a.into_inner();
        let path = lowerer.spanned(&parts.next().expect("a field"));
        out.push((path, lowerer.top_expr(parts.next().expect("a value"))?));
    }
    Ok(out)
}

/// Parse an expression on its own, such as the REPL's `? score >= 3`.
pub fn parse_expression(text: &str, file: FileId, max_depth: usize) -> Result<Expr, Vec<Diagnostic>> {
    let help = "write one expression, such as `impact.safety or repeat_failure`, or `received_at + 2 h`";
    let root = fragment(Rule::lone_expr, text, file, max_depth, help)?;
    let lowerer = Lowerer { file, offset: 0, max_depth };
    let expr = root.into_inner().find(|p| p.as_rule() == Rule::expr).expect("an expression");
    lowerer.top_expr(expr)
}

/// One fragment's parse tree, or its syntax error: the end of a fragment is the end of the
/// input, not the place for a new item, and the help is about the fragment, not a file.
fn fragment<'i>(
    rule: Rule,
    text: &'i str,
    file: FileId,
    max_depth: usize,
    help: &str,
) -> Result<Pair<'i, Rule>, Vec<Diagnostic>> {
    match Grammar::parse(rule, text) {
        Ok(mut pairs) => Ok(pairs.next().expect("a fragment rule always yields a pair")),
        Err(e) => {
            let (diagnostic, at) = syntax_error(&e, file, 0, text);
            let diagnostic = match too_many_parentheses(text, 0, max_depth) {
                Some(open) if open <= at => {
                    Diagnostic::error("too_deep", format!("parentheses nest more than {max_depth} levels deep here"))
                        .label(Span::new(file, open, open + 1), format!("level {} starts here", max_depth + 1))
                }
                _ => diagnostic,
            };
            let message = diagnostic.to_string().replace("a new item", "the end of the input");
            // Help about a file's items or keywords (`did you mean `import`?`) does not fit a
            // fragment; help about the expression itself does.
            let for_files = diagnostic.help_text().is_some_and(|h| h.contains("item") || h.contains("did you mean"));
            let diagnostic = diagnostic.with_message(message);
            Err(vec![if for_files { diagnostic.help(help) } else { diagnostic }])
        }
    }
}

/// Where, after `start`, parentheses (or braces or brackets) first open past `limit`
/// levels, outside texts and comments.
fn too_many_parentheses(text: &str, start: usize, limit: usize) -> Option<usize> {
    let (mut depth, mut in_text, mut in_comment, mut escaped) = (0usize, false, false, false);
    for (i, b) in text.bytes().enumerate().skip(start) {
        match b {
            b'\n' => in_comment = false,
            _ if in_comment => {}
            b'\\' if in_text => escaped = !escaped,
            b'"' if !escaped => in_text = !in_text,
            _ if in_text => escaped = false,
            b'#' => in_comment = true,
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if b != b'\\' {
            escaped = false;
        }
    }
    None
}

/// `text` without trailing white space and trailing comments.
fn trim_trailing_blanks(text: &str) -> &str {
    let mut text = text.trim_end();
    loop {
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        // A `#` outside quotes starts a comment; quotes are balanced before it.
        let comment = text[line_start..]
            .char_indices()
            .find(|&(i, c)| c == '#' && text[line_start..line_start + i].matches('"').count() % 2 == 0);
        match comment {
            Some((i, _)) if line_start + i > 0 => text = text[..line_start + i].trim_end(),
            _ => return text,
        }
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether a line starts, unindented, with an item keyword.
fn starts_item(line: &str) -> bool {
    let word: String = line.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    ITEM_KEYWORDS.contains(&word.as_str())
}

/// The byte offset of the first line after `at` that starts (unindented) with an item keyword.
fn next_item_start(text: &str, at: usize) -> Option<usize> {
    let mut offset = text[at..].find('\n')? + at + 1;
    loop {
        let line = &text[offset..];
        if starts_item(line) {
            return Some(offset);
        }
        offset += line.find('\n')? + 1;
    }
}

fn syntax_error(e: &pest::error::Error<Rule>, file: FileId, offset: usize, text: &str) -> (Diagnostic, usize) {
    let at = offset
        + match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
    let found = text[at..].chars().next();
    let end = at + found.map_or(0, char::len_utf8);
    let found_words = match found {
        None => "the end of the file".to_string(),
        Some('\n') | Some('\r') => "the end of the line".to_string(),
        Some(_) => {
            let token: String = text[at..].chars().take_while(|c| !c.is_whitespace()).take(20).collect();
            format!("`{token}`")
        }
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = positives.iter().map(|r| describe(*r)).collect();
            words.sort_unstable();
            words.dedup();
            // What could continue an expression is noise beside what the item needs next
            // (`because "reason"` after an exemption's condition).
            if words.iter().any(|w| !CONTINUATIONS.contains(w)) {
                words.retain(|w| !CONTINUATIONS.contains(w));
            }
            if words.len() > 1 {
                words.retain(|w| *w != "more input");
            }
            // `calendar` starts an item too.
            if words.contains(&"a new item") {
                words.retain(|w| *w != "`calendar`");
            }
            words
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let word: String = text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let unclosed = found == Some('"') && !text[at + 1..].lines().next().unwrap_or("").contains('"');
    // Pest names no rule when only a literal such as `)` would fit; a comma there is
    // nearly always a list written in parentheses.
    let only_literal = expected.is_empty() || expected == ["more input"];
    let (message, help) = if unclosed {
        ("this text is not closed".to_string(), "a quoted text ends with `\"` on the same line".to_string())
    } else if only_literal && found == Some(',') {
        (
            "a list of values is written in braces".to_string(),
            "write `customer.tier in {vip, gotone}`; parentheses only group a condition".to_string(),
        )
    } else if only_literal {
        (format!("unexpected {found_words}"), syntax_help(&expected))
    } else {
        let misspelt = !KEYWORDS.contains(&word.as_str());
        let help = misspelt
            .then(|| did_you_mean(&word, KEYWORDS.iter().copied()))
            .flatten()
            .unwrap_or_else(|| syntax_help(&expected));
        (format!("expected {}, found {found_words}", one_of(&expected)), help)
    };
    let diagnostic = Diagnostic::error("syntax", message).label(Span::new(file, at, end), "here").help(help);
    (diagnostic, at)
}

/// Descriptions of what may continue an expression.
const CONTINUATIONS: &[&str] = &[
    "`and`",
    "`or`",
    "`in`",
    "`is`",
    "an arithmetic operator",
    "a comparison such as `=` or `>=`",
    "a duration such as `2 h` or `5 working days`",
];

/// Words a misspelling may have meant.
const KEYWORDS: &[&str] = &[
    "policy", "import", "calendar", "ticket", "record", "grades", "roles", "actions", "let", "rule", "exempt", "test",
    "when", "grade", "route", "action", "deadline", "value", "because", "from", "given", "expect", "warn", "zone",
    "default", "extends", "hours", "holiday", "workday", "window", "valid", "optional", "decimal", "duration",
];

fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn syntax_help(expected: &[&str]) -> String {
    if expected == ["`because \"reason\"`"] {
        "every exemption says why it applies: end it with `because \"…\"`".into()
    } else if expected == ["a value or condition"] {
        "the expression is incomplete: a condition such as `score >= 3`, or a value such as `received_at + 2 h`".into()
    } else if expected.iter().any(|w| w.contains("a new item")) {
        "each item starts with `policy`, `calendar`, `ticket`, `grades`, `roles`, `actions`, `let`, `rule`, `exempt` or `test`".into()
    } else if expected.iter().any(|w| w.contains("a name")) {
        "names are ASCII letters, digits and `_`, starting with a letter, and may not be a keyword such as `rule` or `when`".into()
    } else {
        "see the language tour in README.md for the shape of each item".into()
    }
}

/// What a grammar rule is, in a policy owner's words.
fn describe(r: Rule) -> &'static str {
    match r {
        Rule::EOI
        | Rule::policy
        | Rule::import
        | Rule::calendar
        | Rule::schema
        | Rule::grades
        | Rule::roles
        | Rule::actions
        | Rule::let_decl
        | Rule::rule_decl
        | Rule::exemption
        | Rule::test => "a new item",
        Rule::name | Rule::named | Rule::name_list => "a name",
        Rule::path | Rule::field => "a field name",
        Rule::label | Rule::string => "a quoted text",
        Rule::number => "a number",
        Rule::percent => "a percentage such as `75%`",
        Rule::year => "a year such as `2024`",
        Rule::date => "a date such as `2024-05-10`",
        Rule::clock => "a time of day such as `09:00`",
        Rule::period | Rule::periods => "a period such as `09:00-18:00`",
        Rule::day_spec | Rule::day_range | Rule::weekday => "weekdays such as `mon-fri`",
        Rule::datetime => "a date and time such as `2024-05-10 10:30`",
        Rule::zone_name => "a time zone such as `Asia/Shanghai`",
        Rule::clause_id | Rule::clauses => "a clause reference such as `[AS-4]`",
        Rule::field_type | Rule::scalar_type | Rule::enum_type | Rule::set_type => {
            "a type (`bool`, `int`, `decimal`, `text`, `time`, `duration`, `(a, b)` or `set of …`)"
        }
        Rule::statement
        | Rule::grade_stmt
        | Rule::route_stmt
        | Rule::action_stmt
        | Rule::deadline_stmt
        | Rule::value_stmt => "a rule statement (`grade`, `route`, `action`, `deadline` or `value`)",
        Rule::condition | Rule::when_kw => "`when`",
        Rule::warnings | Rule::warning => "a warning such as `warn at 75%` or `warn 2 h before`",
        Rule::expr
        | Rule::disjunction
        | Rule::conjunction
        | Rule::negation
        | Rule::comparison
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::primary => "a value or condition",
        Rule::compare_op | Rule::compare => "a comparison such as `=` or `>=`",
        Rule::add_op | Rule::mul_op => "an arithmetic operator",
        Rule::duration | Rule::duration_unit | Rule::working_unit | Rule::clock_unit => {
            "a duration such as `2 h` or `5 working days`"
        }
        Rule::expect | Rule::expectation => "an expectation such as `grade I` or `action revisit`",
        Rule::given | Rule::assignment => "`given field = value`",
        Rule::or_kw => "`or`",
        Rule::and_kw => "`and`",
        Rule::because_kw => "`because \"reason\"`",
        Rule::from_kw => "`from`",
        Rule::of_kw => "`of`",
        Rule::to_kw => "`to`",
        Rule::in_kw => "`in`",
        Rule::hours_kw => "`hours`",
        Rule::days_kw => "`days`",
        Rule::default_kw => "`default`",
        Rule::calendar_kw => "`calendar`",
        Rule::extends_kw => "`extends`",
        Rule::expect_kw => "`expect`",
        Rule::given_kw => "`given`",
        Rule::is_kw | Rule::is_not | Rule::is_set | Rule::is_missing => "`is`",
        Rule::set_kw => "`set`",
        Rule::as_kw => "`as`",
        Rule::at_kw => "`at`",
        Rule::before_kw => "`before`",
        Rule::with_kw => "`with`",
        _ => "more input",
    }
}

struct Lowerer {
    file: FileId,
    offset: usize,
    max_depth: usize,
}

type Lowered<T> = Result<T, Vec<Diagnostic>>;

impl Lowerer {
    /// The pair's span, without the blanks and comments pest consumed after it while
    /// looking for an optional continuation.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let text = trim_trailing_blanks(pair.as_str());
        Span::new(self.file, self.offset + s.start(), self.offset + s.start() + text.len())
    }

    fn spanned(&self, pair: &Pair<Rule>) -> Spanned<String> {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    fn invalid(&self, pair: &Pair<Rule>, message: String, help: &str) -> Vec<Diagnostic> {
        vec![Diagnostic::error("invalid_literal", message).label(self.span(pair), "here").help(help)]
    }

    fn file(&self, root: Pair<Rule>, out: &mut File) -> Lowered<()> {
        let mut errors = Vec::new();
        for item in root.into_inner() {
            let result = match item.as_rule() {
                Rule::policy => self.policy(item).map(|p| out.policy.push(p)),
                Rule::calendar => self.calendar(item).map(|c| out.calendars.push(c)),
                Rule::schema => self.schema(item).map(|s| out.schemas.push(s)),
                Rule::let_decl => self.let_decl(item).map(|l| out.lets.push(l)),
                Rule::rule_decl => self.rule(item).map(|r| out.rules.push(r)),
                Rule::exemption => self.exemption(item).map(|e| out.exemptions.push(e)),
                Rule::test => self.test(item).map(|t| out.tests.push(t)),
                Rule::import => {
                    let s = item.into_inner().nth(1).expect("import has a string");
                    out.imports.push(Spanned::new(string_value(&s), self.span(&s)));
                    Ok(())
                }
                Rule::grades => {
                    out.grades.push(self.grades(item));
                    Ok(())
                }
                Rule::roles => {
                    out.roles.extend(item.into_inner().skip(1).map(|p| self.named(p)));
                    Ok(())
                }
                Rule::actions => {
                    out.actions.extend(item.into_inner().skip(1).map(|p| self.named(p)));
                    Ok(())
                }
                Rule::EOI => Ok(()),
                other => unreachable!("not an item: {other:?}"),
            };
            if let Err(e) = result {
                errors.extend(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn named(&self, pair: Pair<Rule>) -> Named {
        let mut inner = pair.into_inner();
        let name = self.spanned(&inner.next().expect("named has a name"));
        let label = inner.next().map(|l| label_value(&l));
        Named { name, label }
    }

    fn policy(&self, pair: Pair<Rule>) -> Lowered<PolicyHeader> {
        let mut inner = pair.into_inner().skip(1);
        let name = self.spanned(&inner.next().expect("policy has a name"));
        let mut header = PolicyHeader { name, label: None, zone: None, default_calendar: None };
        for p in inner {
            match p.as_rule() {
                Rule::label => header.label = Some(label_value(&p)),
                Rule::zone => header.zone = Some(self.spanned(&p.into_inner().nth(1).expect("zone name"))),
                Rule::default_calendar => {
                    header.default_calendar = Some(self.spanned(&p.into_inner().nth(2).expect("calendar name")))
                }
                other => unreachable!("policy setting {other:?}"),
            }
        }
        Ok(header)
    }

    fn calendar(&self, pair: Pair<Rule>) -> Lowered<CalendarDecl> {
        let mut inner = pair.into_inner().skip(1).peekable();
        let name = self.spanned(&inner.next().expect("calendar has a name"));
        let mut decl = CalendarDecl { name, extends: None, label: None, items: Vec::new() };
        let mut errors = Vec::new();
        while let Some(p) = inner.next() {
            let item = match p.as_rule() {
                Rule::extends_kw => {
                    decl.extends = Some(self.spanned(&inner.next().expect("extends has a name")));
                    continue;
                }
                Rule::label => {
                    decl.label = Some(label_value(&p));
                    continue;
                }
                _ => self.calendar_item(p),
            };
            match item {
                Ok(item) => decl.items.push(item),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(decl)
        } else {
            Err(errors)
        }
    }

    fn calendar_item(&self, pair: Pair<Rule>) -> Lowered<CalendarItem> {
        let kind = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        Ok(match kind {
            Rule::zone => CalendarItem::Zone(self.spanned(&inner.next().expect("zone name"))),
            Rule::valid => {
                let from = self.year(&inner.next().expect("valid has a year"))?;
                let to = match inner.next() {
                    Some(p) => self.year(&p)?,
                    None => from.clone(),
                };
                CalendarItem::Valid { from, to }
            }
            Rule::weekly_hours => {
                let days = self.day_spec(inner.next().expect("hours has days"))?;
                let periods = self.periods(inner.next().expect("hours has periods"))?;
                CalendarItem::Hours { days, periods }
            }
            Rule::makeup_hours => CalendarItem::MakeupHours(self.periods(inner.next().expect("periods"))?),
            Rule::makeup_off => CalendarItem::MakeupOff,
            Rule::holiday | Rule::day_off => {
                let from = self.date(&inner.next().expect("a date"))?;
                let mut to = from.clone();
                let mut label = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::date => to = self.date(&p)?,
                        _ => label = Some(label_value(&p)),
                    }
                }
                if to.node < from.node {
                    return Err(vec![Diagnostic::error(
                        "invalid_literal",
                        "a date range must not end before it starts",
                    )
                    .label(from.span.to(to.span), "this range runs backwards")
                    .help("write the earlier date first: `holiday 2024-10-01 to 2024-10-07`")]);
                }
                if kind == Rule::holiday {
                    CalendarItem::Holiday { from, to, label }
                } else {
                    CalendarItem::Off { from, to, label }
                }
            }
            Rule::workday => {
                let date = self.date(&inner.next().expect("a date"))?;
                let mut label = None;
                let mut periods = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::label => label = Some(label_value(&p)),
                        _ => periods = Some(self.periods(p)?),
                    }
                }
                CalendarItem::Workday { date, label, periods }
            }
            Rule::special_day => {
                let date = self.date(&inner.next().expect("a date"))?;
                let periods = self.periods(inner.next().expect("periods"))?;
                let label = inner.next().map(|l| label_value(&l));
                CalendarItem::Special { date, periods, label }
            }
            Rule::window => {
                let name = self.spanned(&inner.next().expect("window name"));
                let periods = inner.find(|p| p.as_rule() == Rule::periods).expect("window periods");
                CalendarItem::Window { name, periods: self.periods(periods)? }
            }
            other => unreachable!("calendar item {other:?}"),
        })
    }

    fn year(&self, pair: &Pair<Rule>) -> Lowered<Spanned<i32>> {
        let year = pair.as_str().parse().expect("four digits");
        Ok(Spanned::new(year, self.span(pair)))
    }

    fn date(&self, pair: &Pair<Rule>) -> Lowered<Spanned<NaiveDate>> {
        match NaiveDate::parse_from_str(pair.as_str(), "%Y-%m-%d") {
            Ok(d) => Ok(Spanned::new(d, self.span(pair))),
            Err(_) => Err(self.invalid(
                pair,
                format!("`{}` is not a date in the calendar", pair.as_str()),
                "write dates as year-month-day, e.g. `2024-02-29`",
            )),
        }
    }

    fn day_spec(&self, pair: Pair<Rule>) -> Lowered<Spanned<Vec<u32>>> {
        let span = self.span(&pair);
        let mut days = Vec::new();
        for range in pair.into_inner() {
            let range_span = self.span(&range);
            let ends: Vec<u32> = range.into_inner().map(|d| weekday_number(d.as_str())).collect();
            let (first, last) = (ends[0], *ends.last().expect("a weekday"));
            if last < first {
                return Err(vec![Diagnostic::error(
                    "invalid_literal",
                    "a weekday range must run from Monday towards Sunday",
                )
                .label(range_span, "this range runs backwards")
                .help("write `mon-fri`, or list days apart: `sat, sun`")]);
            }
            days.extend(first..=last);
        }
        days.sort_unstable();
        days.dedup();
        Ok(Spanned::new(days, span))
    }

    fn periods(&self, pair: Pair<Rule>) -> Lowered<Vec<Period>> {
        pair.into_inner().map(|p| self.period(p)).collect()
    }

    fn period(&self, pair: Pair<Rule>) -> Lowered<Period> {
        let span = self.span(&pair);
        let mut clocks = pair.into_inner();
        let start = self.clock(&clocks.next().expect("a start"))?;
        let end = self.clock(&clocks.next().expect("an end"))?;
        if start == 24 * 60 {
            return Err(vec![Diagnostic::error("invalid_literal", "a period cannot start at `24:00`")
                .label(span, "here")
                .help("a period that starts at midnight starts at `00:00`")]);
        }
        if start == end {
            return Err(vec![Diagnostic::error("invalid_literal", "a period must not be empty")
                .label(span, "starts and ends at the same time")
                .help("a period such as `22:00-02:00` crosses midnight; `00:00-24:00` is the whole day")]);
        }
        Ok(Period { start, end, span })
    }

    fn clock(&self, pair: &Pair<Rule>) -> Lowered<Minute> {
        let (h, m) = pair.as_str().split_once(':').expect("hh:mm");
        let (h, m): (u32, u32) = (h.parse().expect("digits"), m.parse().expect("digits"));
        if m >= 60 || h > 24 || (h == 24 && m > 0) {
            return Err(self.invalid(
                pair,
                format!("`{}` is not a time of day", pair.as_str()),
                "times run from `00:00` to `24:00`",
            ));
        }
        Ok(h * 60 + m)
    }

    fn schema(&self, pair: Pair<Rule>) -> Lowered<Schema> {
        let mut inner = pair.into_inner();
        let keyword = self.span(&inner.next().expect("ticket or record"));
        let fields = inner
            .map(|f| {
                let mut parts = f.into_inner();
                let path = self.spanned(&parts.next().expect("a path"));
                let ty_pair = parts.next().expect("a type");
                let ty = Spanned::new(self.field_type(ty_pair.clone()), self.span(&ty_pair));
                let bounds = parts
                    .filter(|p| p.as_rule() == Rule::bounds)
                    .flat_map(|b| b.into_inner())
                    .map(|b| self.bound(b))
                    .collect::<Lowered<Vec<_>>>()?;
                Ok(FieldDecl { path, ty, bounds })
            })
            .collect::<Lowered<Vec<_>>>()?;
        Ok(Schema { keyword, fields })
    }

    fn bound(&self, pair: Pair<Rule>) -> Lowered<Spanned<BoundDecl>> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let at_least = parts.next().expect("an operator").as_str() == ">=";
        let target = parts.next().expect("a bound");
        let to = match target.as_rule() {
            Rule::number => BoundTo::Number(Decimal::from_str(target.as_str()).map_err(|_| {
                self.invalid(
                    &target,
                    format!("`{}` is too large a number", target.as_str()),
                    "numbers have at most 28 digits",
                )
            })?),
            _ => BoundTo::Field(self.spanned(&target)),
        };
        Ok(Spanned::new(BoundDecl { at_least, to }, span))
    }

    fn field_type(&self, pair: Pair<Rule>) -> TypeExpr {
        let mut optional = false;
        let mut base = BaseType::Bool;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::optional_kw => optional = true,
                Rule::scalar_type => {
                    base = match p.into_inner().next().expect("a scalar").as_rule() {
                        Rule::bool_kw => BaseType::Bool,
                        Rule::int_kw => BaseType::Int,
                        Rule::decimal_kw => BaseType::Decimal,
                        Rule::text_kw => BaseType::Text,
                        Rule::time_kw => BaseType::Time,
                        _ => BaseType::Duration,
                    }
                }
                Rule::enum_type => base = BaseType::Enum(p.into_inner().map(|n| self.named(n)).collect()),
                Rule::set_type => {
                    let element = p.into_inner().nth(2).expect("set element type");
                    base = match element.as_rule() {
                        Rule::enum_type => BaseType::SetOfEnum(element.into_inner().map(|n| self.named(n)).collect()),
                        _ => BaseType::SetOfText,
                    }
                }
                other => unreachable!("type part {other:?}"),
            }
        }
        TypeExpr { optional, base }
    }

    fn grades(&self, pair: Pair<Rule>) -> GradesDecl {
        let span = self.span(&pair);
        let mut grades = Vec::new();
        let mut default = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::named => grades.push(self.named(p)),
                Rule::name => default = Some(self.spanned(&p)),
                _ => {}
            }
        }
        GradesDecl { span, grades, default }
    }

    fn let_decl(&self, pair: Pair<Rule>) -> Lowered<LetDecl> {
        let mut inner = pair.into_inner().skip(1);
        let name = self.spanned(&inner.next().expect("let has a name"));
        let expr = self.top_expr(inner.next().expect("let has a value"))?;
        Ok(LetDecl { name, expr })
    }

    fn clauses(pair: Pair<Rule>) -> Vec<String> {
        pair.into_inner().map(|c| c.as_str().to_string()).collect()
    }

    fn condition(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        self.top_expr(pair.into_inner().nth(1).expect("when has a condition"))
    }

    fn name_list(&self, pair: Pair<Rule>) -> Vec<Spanned<String>> {
        pair.into_inner().map(|n| self.spanned(&n)).collect()
    }

    fn rule(&self, pair: Pair<Rule>) -> Lowered<RuleDecl> {
        let mut inner = pair.into_inner().skip(1);
        let name = self.spanned(&inner.next().expect("rule has a name"));
        let mut rule = RuleDecl { name, clauses: Vec::new(), label: None, condition: None, statements: Vec::new() };
        for p in inner {
            match p.as_rule() {
                Rule::clauses => rule.clauses = Self::clauses(p),
                Rule::label => rule.label = Some(label_value(&p)),
                Rule::condition => rule.condition = Some(self.condition(p)?),
                _ => rule.statements.push(self.statement(p)?),
            }
        }
        Ok(rule)
    }

    fn statement(&self, pair: Pair<Rule>) -> Lowered<Statement> {
        let kind = pair.as_rule();
        let mut inner = pair.into_inner().skip(1);
        Ok(match kind {
            Rule::grade_stmt => Statement::Grade(self.spanned(&inner.next().expect("a grade"))),
            Rule::route_stmt | Rule::action_stmt => {
                let names = self.name_list(inner.next().expect("names"));
                let guard = inner.next().map(|c| self.condition(c)).transpose()?;
                if kind == Rule::route_stmt {
                    Statement::Route { roles: names, guard }
                } else {
                    Statement::Action { actions: names, guard }
                }
            }
            Rule::deadline_stmt | Rule::value_stmt => {
                let name = self.spanned(&inner.next().expect("a name"));
                let mut inner = inner.peekable();
                let owner = inner
                    .next_if(|p| p.as_rule() == Rule::owner)
                    .map(|p| self.spanned(&p.into_inner().nth(1).expect("an action")));
                let expr = self.top_expr(inner.next().expect("an expression"))?;
                let mut warnings = Vec::new();
                let mut guard = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::warnings => {
                            for w in p.into_inner().filter(|w| w.as_rule() == Rule::warning) {
                                warnings.push(self.warning(w)?);
                            }
                        }
                        _ => guard = Some(self.condition(p)?),
                    }
                }
                if kind == Rule::deadline_stmt {
                    Statement::Deadline { name, owner, expr, warnings, guard }
                } else {
                    Statement::Value { name, owner, expr, guard }
                }
            }
            other => unreachable!("statement {other:?}"),
        })
    }

    fn warning(&self, pair: Pair<Rule>) -> Lowered<Warning> {
        let p = pair.into_inner().find(|p| !is_keyword(p.as_rule())).expect("a warning");
        match p.as_rule() {
            Rule::percent => {
                let number = p.clone().into_inner().next().expect("a number");
                let Ok(value) = Decimal::from_str(number.as_str()) else {
                    return Err(self.invalid(
                        &p,
                        format!("`{}` is not a share of the time", p.as_str()),
                        "warn at a share of the allowed time strictly between 0% and 100%",
                    ));
                };
                if value <= Decimal::ZERO || value >= Decimal::from(100) {
                    return Err(self.invalid(
                        &p,
                        format!("a warning at `{}` never comes before the deadline", p.as_str()),
                        "warn at a share of the allowed time strictly between 0% and 100%",
                    ));
                }
                Ok(Warning::At(Spanned::new(value, self.span(&p))))
            }
            _ => {
                let span = self.span(&p);
                Ok(Warning::Before(Spanned::new(self.duration(p)?, span)))
            }
        }
    }

    fn exemption(&self, pair: Pair<Rule>) -> Lowered<Exemption> {
        let mut inner = pair.into_inner().skip(1);
        let name = self.spanned(&inner.next().expect("exemption has a name"));
        let mut e = Exemption {
            name,
            clauses: Vec::new(),
            label: None,
            actions: Vec::new(),
            condition: Spanned::new(ExprKind::Bool(true), Span::default()),
            because: String::new(),
        };
        for p in inner {
            match p.as_rule() {
                Rule::clauses => e.clauses = Self::clauses(p),
                Rule::label => e.label = Some(label_value(&p)),
                Rule::name_list => e.actions = self.name_list(p),
                Rule::condition => e.condition = self.condition(p)?,
                Rule::string => e.because = string_value(&p),
                _ => {}
            }
        }
        Ok(e)
    }

    fn test(&self, pair: Pair<Rule>) -> Lowered<Test> {
        let mut inner = pair.into_inner().skip(1);
        let name_pair = inner.next().expect("test has a name");
        let name = Spanned::new(string_value(&name_pair), self.span(&name_pair));
        let mut test = Test { name, clauses: Vec::new(), base: None, given: Vec::new(), expect: Vec::new() };
        for p in inner {
            match p.as_rule() {
                Rule::clauses => test.clauses = Self::clauses(p),
                Rule::given => {
                    for g in p.into_inner().skip(1) {
                        match g.as_rule() {
                            Rule::base_ticket => {
                                let s = g.into_inner().nth(1).expect("a path");
                                test.base = Some(Spanned::new(string_value(&s), self.span(&s)));
                            }
                            _ => {
                                let mut parts = g.into_inner();
                                let path = self.spanned(&parts.next().expect("a field"));
                                test.given.push((path, self.top_expr(parts.next().expect("a value"))?));
                            }
                        }
                    }
                }
                Rule::expect => {
                    for e in p.into_inner().skip(1) {
                        let span = self.span(&e);
                        test.expect.push(Spanned::new(self.expectation(e)?, span));
                    }
                }
                other => unreachable!("test part {other:?}"),
            }
        }
        Ok(test)
    }

    fn expectation(&self, pair: Pair<Rule>) -> Lowered<Expectation> {
        let kind = pair.as_rule();
        let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let mut next_name = || self.spanned(&parts.next().expect("a name"));
        Ok(match kind {
            Rule::expect_grade => Expectation::Grade(Some(next_name())),
            Rule::expect_no_grade => Expectation::Grade(None),
            Rule::expect_action => Expectation::Action(next_name(), true),
            Rule::expect_no_action => Expectation::Action(next_name(), false),
            Rule::expect_exempt => Expectation::Exempt(next_name(), true),
            Rule::expect_no_exempt => Expectation::Exempt(next_name(), false),
            Rule::expect_no_deadline => Expectation::Deadline(next_name(), None),
            Rule::expect_no_warning => Expectation::Warning(next_name(), None),
            Rule::expect_refused => Expectation::Refused(parts.map(|p| self.spanned(&p)).collect()),
            Rule::expect_deadline | Rule::expect_warning => {
                let name = next_name();
                let at = next_name();
                if kind == Rule::expect_deadline {
                    Expectation::Deadline(name, Some(at))
                } else {
                    Expectation::Warning(name, Some(at))
                }
            }
            Rule::expect_no_value => Expectation::Value(next_name(), None),
            Rule::expect_value => {
                let name = next_name();
                Expectation::Value(name, Some(self.top_expr(parts.next().expect("a value"))?))
            }
            Rule::expect_route => {
                let check = parts.next().expect("a route check");
                let check_rule = check.as_rule();
                let mut names = check.into_inner().filter(|p| !is_keyword(p.as_rule()));
                match check_rule {
                    Rule::route_exact => Expectation::RouteIs(self.name_list(names.next().expect("names"))),
                    Rule::route_starts => Expectation::RouteStartsWith(self.spanned(&names.next().expect("a name"))),
                    Rule::route_has => Expectation::RouteHas(self.spanned(&names.next().expect("a name"))),
                    _ => Expectation::RouteLacks(self.spanned(&names.next().expect("a name"))),
                }
            }
            other => unreachable!("expectation {other:?}"),
        })
    }

    // ------------------------------------------------------------ expressions

    /// An expression a statement holds: its depth is measured first, without recursing, and
    /// one too deep is an error rather than a stack overflow in what follows.
    fn top_expr(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        if let (depth, Some(past)) = expression_depth(&pair, self.max_depth) {
            let span = self.span(&past);
            return Err(vec![Diagnostic::error(
                "too_deep",
                format!("this expression nests {depth} levels deep; at most {} are allowed", self.max_depth),
            )
            .label(span, format!("level {} starts here", self.max_depth + 1))
            .help("name parts of it with `let` (`let urgent = …`), or list the terms of a long `and`/`or` instead of nesting them")]);
        }
        self.expr(pair)
    }

    fn expr(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        crate::limits::grow(|| self.lower_expr(pair))
    }

    fn lower_expr(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        let span = self.span(&pair);
        let kind = pair.as_rule();
        let node = match kind {
            Rule::expr | Rule::unary if kind == Rule::expr => {
                return self.expr(pair.into_inner().next().expect("expr has a body"));
            }
            Rule::disjunction | Rule::conjunction => {
                let parts: Vec<Expr> = pair
                    .into_inner()
                    .filter(|p| !is_keyword(p.as_rule()))
                    .map(|p| self.expr(p))
                    .collect::<Lowered<_>>()?;
                if parts.len() == 1 {
                    return Ok(parts.into_iter().next().expect("one part"));
                }
                if kind == Rule::disjunction {
                    ExprKind::Or(parts)
                } else {
                    ExprKind::And(parts)
                }
            }
            Rule::negation => {
                let mut inner = pair.into_inner();
                let first = inner.next().expect("negation has a body");
                if first.as_rule() == Rule::not_kw {
                    ExprKind::Not(Box::new(self.expr(inner.next().expect("not has an operand"))?))
                } else {
                    return self.expr(first);
                }
            }
            Rule::comparison => {
                let mut inner = pair.into_inner();
                let left = self.expr(inner.next().expect("a left side"))?;
                match inner.next() {
                    None => return Ok(left),
                    Some(tail) => self.test_tail(left, tail)?,
                }
            }
            Rule::sum | Rule::product => {
                let mut inner = pair.into_inner();
                let mut left = self.expr(inner.next().expect("an operand"))?;
                while let Some(op) = inner.next() {
                    let right = self.expr(inner.next().expect("an operand"))?;
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        _ => ArithOp::Div,
                    };
                    let span = left.span.to(right.span);
                    left = Spanned::new(ExprKind::Binary(op, Box::new(left), Box::new(right)), span);
                }
                return Ok(left);
            }
            Rule::unary => {
                let mut inner = pair.into_inner();
                let first = inner.next().expect("unary has a body");
                if first.as_rule() == Rule::minus {
                    ExprKind::Negate(Box::new(self.expr(inner.next().expect("an operand"))?))
                } else {
                    return self.expr(first);
                }
            }
            Rule::number => {
                let text = pair.as_str();
                let value = Decimal::from_str(text).map_err(|_| {
                    self.invalid(&pair, format!("`{text}` is too large a number"), "numbers have at most 28 digits")
                })?;
                ExprKind::Number(value, text.contains('.'))
            }
            Rule::string => ExprKind::Text(string_value(&pair)),
            Rule::boolean => {
                ExprKind::Bool(pair.into_inner().next().expect("true or false").as_rule() == Rule::true_kw)
            }
            Rule::datetime => ExprKind::Time(pair.as_str().to_string()),
            Rule::duration => ExprKind::Duration(self.duration(pair)?),
            Rule::path => ExprKind::Path(pair.as_str().to_string()),
            Rule::grade_ref => ExprKind::Grade,
            Rule::set_literal => ExprKind::Set(
                pair.into_inner()
                    .map(|e| {
                        let span = self.span(&e);
                        let element = match e.as_rule() {
                            Rule::string => SetElement::Text(string_value(&e)),
                            _ => SetElement::Name(e.as_str().to_string()),
                        };
                        Spanned::new(element, span)
                    })
                    .collect(),
            ),
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.spanned(&inner.next().expect("a function name"));
                let args = inner.map(|a| self.expr(a)).collect::<Lowered<_>>()?;
                ExprKind::Call(name, args)
            }
            Rule::deadline_ref => {
                let name = pair.into_inner().find(|p| p.as_rule() == Rule::name).expect("a deadline's name");
                ExprKind::Deadline(self.spanned(&name))
            }
            Rule::same_day => {
                let operand = pair.into_inner().last().expect("an instant");
                ExprKind::SameDay(Box::new(self.expr(operand)?))
            }
            Rule::window_end | Rule::window_from => {
                let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
                let name = self.spanned(&parts.next().expect("a window"));
                let at = Box::new(self.expr(parts.next().expect("an instant"))?);
                if kind == Rule::window_end {
                    ExprKind::WindowEnd(name, at)
                } else {
                    ExprKind::WindowFrom(name, at)
                }
            }
            other => unreachable!("expression {other:?}"),
        };
        Ok(Spanned::new(node, span))
    }

    fn test_tail(&self, left: Expr, tail: Pair<Rule>) -> Lowered<ExprKind> {
        let kind = tail.as_rule();
        let mut inner = tail.into_inner().filter(|p| !is_keyword(p.as_rule()) || p.as_rule() == Rule::is_not);
        let left = Box::new(left);
        let mut operand = || -> Lowered<Box<Expr>> { Ok(Box::new(self.expr(inner.next().expect("an operand"))?)) };
        Ok(match kind {
            Rule::in_working_hours => {
                let calendar = inner.next().map(|c| self.spanned(&c));
                ExprKind::InWorkingHours(left, calendar)
            }
            Rule::in_window => ExprKind::InWindow(left, self.spanned(&inner.next().expect("a window"))),
            Rule::is_set => ExprKind::IsSet(left, true),
            Rule::is_missing => ExprKind::IsSet(left, false),
            Rule::not_in => ExprKind::In(left, operand()?, true),
            Rule::is_in => ExprKind::In(left, operand()?, false),
            Rule::has => ExprKind::Has(left, operand()?, false),
            Rule::lacks => ExprKind::Has(left, operand()?, true),
            Rule::contains => ExprKind::Contains(left, operand()?),
            Rule::mentions => {
                let phrases = operand()?;
                let not_after = match inner.next() {
                    Some(clause) => {
                        let texts = clause.into_inner().find(|p| !is_keyword(p.as_rule())).expect("texts");
                        Some(Box::new(self.expr(texts)?))
                    }
                    None => None,
                };
                ExprKind::Mentions(left, phrases, not_after)
            }
            Rule::compare => {
                let mut parts = std::iter::from_fn(|| inner.next());
                let op = parts.next().expect("an operator");
                let op = match op.as_str() {
                    "<=" => CompareOp::Le,
                    ">=" => CompareOp::Ge,
                    "!=" => CompareOp::Ne,
                    "<" => CompareOp::Lt,
                    ">" => CompareOp::Gt,
                    "=" => CompareOp::Eq,
                    s if s.starts_with("is") && s.contains("not") => CompareOp::Ne,
                    _ => CompareOp::Eq,
                };
                let right = self.expr(parts.next().expect("a right side"))?;
                ExprKind::Compare(op, left, Box::new(right))
            }
            other => unreachable!("test tail {other:?}"),
        })
    }

    fn duration(&self, pair: Pair<Rule>) -> Lowered<Duration> {
        let mut inner = pair.into_inner();
        let number = inner.next().expect("a number");
        let amount = Decimal::from_str(number.as_str()).map_err(|_| {
            self.invalid(&number, format!("`{}` is too large a number", number.as_str()), "use fewer digits")
        })?;
        let unit_pair = inner.next().expect("a unit").into_inner().next().expect("a unit kind");
        let working = unit_pair.as_rule() == Rule::working_unit;
        let word = unit_pair.into_inner().last().expect("a unit word").as_rule();
        let unit = match (working, word) {
            (false, Rule::h_kw | Rule::hours_kw | Rule::hour_kw) => DurationUnit::Hours,
            (false, Rule::min_kw | Rule::minutes_kw | Rule::minute_kw) => DurationUnit::Minutes,
            (false, _) => DurationUnit::Days,
            (true, Rule::hours_kw | Rule::hour_kw) => DurationUnit::WorkingHours,
            (true, Rule::min_kw | Rule::minutes_kw | Rule::minute_kw) => DurationUnit::WorkingMinutes,
            (true, _) => DurationUnit::WorkingDays,
        };
        let calendar = inner.find(|p| p.as_rule() == Rule::name).map(|c| self.spanned(&c));
        Ok(Duration { amount, unit, calendar })
    }
}

/// Keyword tokens are the grammar's `*_kw` rules; lowering skips them. Reading the rule's
/// name keeps this in step with the grammar without listing eighty rules (parse time only).
fn is_keyword(r: Rule) -> bool {
    format!("{r:?}").ends_with("_kw")
}

fn weekday_number(day: &str) -> u32 {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    crate::convert::to_u32(days.iter().position(|d| *d == day).expect("a weekday"))
}

fn label_value(pair: &Pair<Rule>) -> String {
    match pair.as_rule() {
        Rule::label => string_value(&pair.clone().into_inner().next().expect("label has a string")),
        _ => string_value(pair),
    }
}

/// The text of a string literal with its escapes resolved.
fn string_value(pair: &Pair<Rule>) -> String {
    let raw = pair.as_str();
    let body = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The depth of the syntax tree an expression lowers to, and, when it is deeper than
/// `limit`, the first part of it that goes past the limit: measured with a stack of our own
/// rather than by recursing. One level counts for each pair of parentheses, `not`, minus,
/// comparison, function and time form, for an `and`/`or` of several parts, and for each
/// operator of a chain of `+ - * /` (a chain lowers to a tree as deep as it is long).
fn expression_depth<'i>(pair: &Pair<'i, Rule>, limit: usize) -> (usize, Option<Pair<'i, Rule>>) {
    let mut deepest = 0;
    let mut past: Option<Pair<'i, Rule>> = None;
    // The expression itself counts no level; one in parentheses inside it does.
    let mut stack: Vec<(Pair<'i, Rule>, usize)> = pair.clone().into_inner().map(|p| (p, 0)).collect();
    while let Some((p, outer)) = stack.pop() {
        let parts = || p.clone().into_inner().filter(|c| !is_keyword(c.as_rule()));
        let first = p.clone().into_inner().next().map(|f| f.as_rule());
        let own = match p.as_rule() {
            Rule::negation if first == Some(Rule::not_kw) => 1,
            Rule::unary if first == Some(Rule::minus) => 1,
            Rule::disjunction | Rule::conjunction if parts().count() > 1 => 1,
            Rule::comparison if parts().count() > 1 => 1,
            Rule::sum | Rule::product => parts().count().saturating_sub(1) / 2,
            Rule::same_day | Rule::window_end | Rule::window_from | Rule::call | Rule::set_literal => 1,
            Rule::expr => 1,
            _ => 0,
        };
        let depth = outer + own;
        deepest = deepest.max(depth);
        let earlier = |q: &Pair<'i, Rule>| q.as_span().start() < p.as_span().start();
        if outer <= limit && depth > limit && !past.as_ref().is_some_and(earlier) {
            past = Some(p.clone());
        }
        stack.extend(p.into_inner().map(|child| (child, depth)));
    }
    (deepest, past)
}

/// What a token of a rule file is, as the formatter needs to know it: spacing depends on
/// it (`max(`, `mon-fri`, `-x`), nothing else does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A word, name, number, string, date or operator the grammar reads as one piece.
    Word,
    /// The name of a function being called: no space before its `(`.
    CallName,
    /// A weekday or clock time, joined to its range's `-` without spaces.
    RangeEnd,
    /// A unary minus: no space after it.
    Minus,
    /// Punctuation the grammar writes as a literal: `,`, `(`, `=`, `-` of a range, ….
    Punct,
    /// A `#` comment, up to the end of its line.
    Comment,
}

/// The kind of line a token starts, in the canonical layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineStart {
    /// A top-level item (`policy`, `rule`, `test`, …), at column 0.
    Item(ItemKind),
    /// A statement of an item (`when`, `route`, a ticket field, a calendar's `hours`, …),
    /// indented.
    Statement(StatementKind),
}

/// Items the layout treats apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// `let`: a run of them may stand without blank lines, their `=` aligned.
    Let,
    /// `import`: a run of them may stand without blank lines.
    Import,
    /// Any other item.
    Other,
}

/// Statements the layout treats apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatementKind {
    /// A field of a `ticket` or `record` block: its type column is aligned.
    Field,
    /// `deadline d = …`: a run of them has its `=` aligned.
    Deadline,
    /// `value v = …`: a run of them has its `=` aligned.
    Value,
    /// Any other statement.
    Other,
}

/// One token of a rule file: a byte range of the text, what it is, and the line it starts
/// in the canonical layout, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayoutToken {
    /// Byte offset of the first character.
    pub(crate) start: usize,
    /// Byte offset just past the last character.
    pub(crate) end: usize,
    /// What the token is.
    pub(crate) kind: TokenKind,
    /// The line it starts, when it starts one.
    pub(crate) starts: Option<LineStart>,
}

/// Every token and comment of a file that parses, in order, for the formatter. A file that
/// does not parse gives the diagnostics `parse` gives. Pest's tree is walked with an explicit
/// stack, so no nesting depth overflows this function's stack.
pub(crate) fn layout_tokens(text: &str, file: FileId, max_depth: usize) -> Result<Vec<LayoutToken>, Vec<Diagnostic>> {
    // The full parse reports every error (and expressions nested too deeply) as `check` does.
    parse(text, file, max_depth)?;
    let root = match Grammar::parse(Rule::file, text) {
        Ok(mut pairs) => pairs.next(),
        Err(e) => return Err(vec![syntax_error(&e, file, 0, text).0]),
    };
    let mut leaves: Vec<LayoutToken> = Vec::new();
    let mut starts: std::collections::BTreeMap<usize, LineStart> = std::collections::BTreeMap::new();
    // (pair, its parent's rule, whether it is its parent's first child)
    let mut stack: Vec<(Pair<Rule>, Option<Rule>, bool)> = root.into_iter().map(|p| (p, None, true)).collect();
    while let Some((pair, parent, first)) = stack.pop() {
        let rule = pair.as_rule();
        let span = pair.as_span();
        if let Some(role) = line_start_of(rule, parent) {
            starts.entry(span.start()).or_insert(role);
        }
        let atomic = matches!(rule, Rule::string | Rule::percent);
        let children: Vec<Pair<Rule>> = if atomic { Vec::new() } else { pair.clone().into_inner().collect() };
        if children.is_empty() {
            if span.start() < span.end() {
                let kind = match rule {
                    Rule::name if parent == Some(Rule::call) && first => TokenKind::CallName,
                    Rule::weekday | Rule::clock => TokenKind::RangeEnd,
                    Rule::minus => TokenKind::Minus,
                    _ => TokenKind::Word,
                };
                leaves.push(LayoutToken { start: span.start(), end: span.end(), kind, starts: None });
            }
            continue;
        }
        // Pushed in reverse, so that they are popped in order.
        for (i, child) in children.into_iter().enumerate().rev() {
            stack.push((child, Some(rule), i == 0));
        }
    }
    for leaf in &mut leaves {
        leaf.starts = starts.get(&leaf.start).copied();
    }
    // What lies between the tokens of the tree: white space, comments and the literal
    // punctuation of the grammar.
    let mut out = Vec::with_capacity(leaves.len() * 2);
    let mut at = 0;
    for leaf in leaves.into_iter().chain(std::iter::once(LayoutToken {
        start: text.len(),
        end: text.len(),
        kind: TokenKind::Word,
        starts: None,
    })) {
        let gap = text.get(at..leaf.start).unwrap_or("");
        let mut chars = gap.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{feff}' => {}
                '#' => {
                    let len = gap[i..].find('\n').unwrap_or(gap.len() - i);
                    out.push(LayoutToken { start: at + i, end: at + i + len, kind: TokenKind::Comment, starts: None });
                    while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                        chars.next();
                    }
                }
                _ => out.push(LayoutToken {
                    start: at + i,
                    end: at + i + c.len_utf8(),
                    kind: TokenKind::Punct,
                    starts: None,
                }),
            }
        }
        if leaf.start < leaf.end {
            at = leaf.end;
            out.push(leaf);
        }
    }
    Ok(out)
}

/// The line a pair starts in the canonical layout, given its parent's rule.
fn line_start_of(rule: Rule, parent: Option<Rule>) -> Option<LineStart> {
    use Rule as R;
    let statement = |kind| Some(LineStart::Statement(kind));
    match rule {
        R::let_decl => Some(LineStart::Item(ItemKind::Let)),
        R::import => Some(LineStart::Item(ItemKind::Import)),
        R::policy
        | R::calendar
        | R::schema
        | R::grades
        | R::roles
        | R::actions
        | R::rule_decl
        | R::exemption
        | R::test => Some(LineStart::Item(ItemKind::Other)),
        R::field => statement(StatementKind::Field),
        R::deadline_stmt => statement(StatementKind::Deadline),
        R::value_stmt => statement(StatementKind::Value),
        R::zone
        | R::default_calendar
        | R::valid
        | R::weekly_hours
        | R::makeup_hours
        | R::makeup_off
        | R::holiday
        | R::workday
        | R::day_off
        | R::special_day
        | R::window
        | R::grade_stmt
        | R::route_stmt
        | R::action_stmt
        | R::given
        | R::expect => statement(StatementKind::Other),
        R::condition | R::from_kw | R::because_kw if matches!(parent, Some(R::rule_decl | R::exemption)) => {
            statement(StatementKind::Other)
        }
        _ => None,
    }
}
