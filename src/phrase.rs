//! Phrase matching for transcripts (DG-10, EC-8).
//!
//! A phrase is found anywhere in a text. White space (the Unicode `White_Space` property)
//! is removed from both first, everywhere. Punctuation and symbols (general categories P*
//! and S*, full-width or ASCII, the middle dot included) are ignored between the characters
//! of a phrase's fixed parts, in the text as in the phrase. Full-width and half-width forms
//! of a character match each other. `XX` in a phrase stands for 1 to 12 characters of one
//! clause: punctuation right at its ends is skipped and not counted, but it never spans a
//! punctuation mark inside. `{m-n}` stands for `m` to `n` characters with no punctuation
//! from the character before it to the one after (DG-10: 撤销, then within 8 characters of
//! the clause, 投诉). `not after` texts leave out an occurrence that starts straight after
//! one of them in its clause (DG-10: not 是否撤销).
//!
//! How: the text is read once into the characters that count (white space and punctuation
//! left out, widths folded), noting where punctuation ended a clause. A fixed part is then a
//! plain substring of those characters, and `XX` between two parts a condition on the two
//! positions: 1 to 12 characters apart, in one clause (`{m-n}`: `m` to `n` apart, and the
//! characters either side in the clause too). A phrase without a gap, or one of
//! whose parts does not occur at all, is decided by substring search alone (std's, linear in
//! the worst case). Otherwise the text's characters are indexed with their clauses, once,
//! and part after part the positions where the phrase so far can end are kept in a sorted
//! list; the next part's occurrences, found in order with Knuth-Morris-Pratt, need only be
//! checked against the latest of them that lies before. Each part costs one pass over the
//! text, so a phrase costs its number of parts times the text's length (plus its own
//! length), whatever the text and the phrase: nothing backtracks, and memory is the text's
//! length.
//! The `not after` texts are found the same way, once per text, marking where each ends;
//! an occurrence whose start is marked is left out.

use std::sync::Arc;

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// The most characters `XX` stands for: a department's name, a date.
const WILDCARD_MAX: usize = 12;

/// Which of U+3000..U+303F (CJK symbols and punctuation: 、。「」〜) are punctuation or
/// symbols, bit by bit; a test checks these tables against the general categories.
const CJK_PUNCTUATION: u64 = 0xe0c1_0001_ffff_ff1e;
/// The same for U+FF00..U+FF7F (full-width ASCII，！？ and half-width CJK forms).
const FORMS_PUNCTUATION: [u64; 2] = [0xf800_0001_fc00_fffe, 0x0000_003f_f800_0001];
/// The same for U+2000..U+207F (general punctuation: “ ” … —).
const GENERAL_PUNCTUATION: [u64; 2] = [0xffff_00ff_ffff_0000, 0x7c00_0000_7fff_ffff];

/// Whether a character is punctuation or a symbol (general categories P* and S*).
fn punctuation_or_symbol(c: char) -> bool {
    let bit = |table: u64, at: u32| table >> (at % 64) & 1 == 1;
    match c as u32 {
        // ASCII's punctuation and symbols are exactly these.
        0..=0x7F => c.is_ascii_punctuation(),
        // The blocks of most transcripts, tabled; CJK ideographs are letters.
        0x4E00..=0x9FFF => false,
        u @ 0x3000..=0x303F => bit(CJK_PUNCTUATION, u),
        u @ 0xFF00..=0xFF7F => bit(FORMS_PUNCTUATION[(u as usize - 0xFF00) / 64], u),
        u @ 0x2000..=0x207F => bit(GENERAL_PUNCTUATION[(u as usize - 0x2000) / 64], u),
        _ => matches!(c.general_category_group(), GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol),
    }
}

/// A character's width-neutral form: the full-width forms of ASCII and the half-width forms
/// of katakana, hangul and symbols (Unicode's `<wide>` and `<narrow>` decompositions, all
/// in U+FF01..U+FFEE; U+3000, the other `<wide>` one, is white space) become the character
/// they are a form of.
fn fold_width(c: char) -> char {
    let hangul = |from: u32, to: u32| char::from_u32(c as u32 - from + to).unwrap_or(c);
    match c {
        // Half-width hangul are forms of the compatibility jamo (ﾡ of ㄱ); the crate only
        // gives the full decomposition, on to the conjoining jamo, so these are by hand.
        '\u{FFA0}' => '\u{3164}',
        '\u{FFA1}'..='\u{FFBE}' => hangul(0xFFA1, 0x3131),
        '\u{FFC2}'..='\u{FFC7}' => hangul(0xFFC2, 0x314F),
        '\u{FFCA}'..='\u{FFCF}' => hangul(0xFFCA, 0x3155),
        '\u{FFD2}'..='\u{FFD7}' => hangul(0xFFD2, 0x315B),
        '\u{FFDA}'..='\u{FFDC}' => hangul(0xFFDA, 0x3161),
        '\u{FF01}'..='\u{FFEE}' => {
            let mut folded = c;
            unicode_normalization::char::decompose_compatible(c, |d| folded = d);
            folded
        }
        _ => c,
    }
}

/// Write the characters of `text` that count into `out` (cleared first), width-folded, and
/// call `clause` with the byte offset in `out` of each character that follows punctuation.
/// Characters kept as they are are copied run by run.
fn read_into(text: &str, out: &mut String, mut clause: impl FnMut(usize)) {
    out.clear();
    // Where the characters not yet written start in `text`: all of them count, unchanged.
    let mut run = 0;
    let mut after_punctuation = false;
    for (at, c) in text.char_indices() {
        // CJK ideographs, most of a transcript, count as they are.
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) && !after_punctuation {
            continue;
        }
        let space = c.is_whitespace();
        if space || punctuation_or_symbol(c) {
            out.push_str(&text[run..at]);
            run = at + c.len_utf8();
            after_punctuation |= !space;
            continue;
        }
        let starts_clause = std::mem::take(&mut after_punctuation);
        if starts_clause {
            clause(out.len() + (at - run));
        }
        let folded = fold_width(c);
        if folded != c {
            out.push_str(&text[run..at]);
            run = at + c.len_utf8();
            // A half-width voiced sound mark (ﾞ, ﾟ) folds to a combining mark; right after
            // the kana it voices, the two are one full-width character (ｶﾞ is ガ).
            let voiced = match folded {
                '\u{3099}' | '\u{309A}' if !starts_clause => {
                    out.chars().next_back().and_then(|kana| unicode_normalization::char::compose(kana, folded))
                }
                _ => None,
            };
            if let Some(voiced) = voiced {
                out.pop();
                out.push(voiced);
            } else {
                out.push(folded);
            }
        }
    }
    out.push_str(&text[run..]);
}

/// A text read for phrase matching, and the work lists of matching; kept to be reused from
/// ticket to ticket.
#[derive(Debug, Default, Clone)]
pub(crate) struct Normalized {
    /// The text last read, as given: a condition that searches one transcript for several
    /// lists of phrases reads it once.
    source: Option<String>,
    /// The characters that count, width-folded.
    text: String,
    /// The byte offsets in `text` of the characters that follow punctuation, ascending.
    clauses: Vec<usize>,
    /// Whether `chars` and `clause` hold `text`, once a phrase with `XX` needed them.
    indexed: bool,
    /// `text`'s characters.
    chars: Vec<char>,
    /// For each of `chars`, the index of the first character of its clause.
    clause: Vec<usize>,
    /// Where the phrase matched so far may end, ascending.
    ends: Vec<usize>,
    /// The same after the next part.
    next: Vec<usize>,
    /// For each position in `chars`, whether one of the `not after` texts ends there, in the
    /// clause of the character there.
    after: Vec<bool>,
}

impl Normalized {
    /// Read `text`, replacing what was read before.
    fn read(&mut self, text: &str) {
        if self.source.as_deref() == Some(text) {
            return;
        }
        let source = self.source.get_or_insert_with(String::new);
        source.clear();
        source.push_str(text);
        let clauses = &mut self.clauses;
        clauses.clear();
        read_into(text, &mut self.text, |at| clauses.push(at));
        self.indexed = false;
    }

    /// Mark in `after` where one of `not_after` ends, in the clause of what follows; whether
    /// any does. Each text is one pass over the characters, so a long text before a long
    /// phrase costs their lengths' sum, not their product.
    fn mark_after(&mut self, not_after: &NotAfter) -> bool {
        if !not_after.parts.iter().any(|p| self.text.contains(p.text.as_str())) {
            return false;
        }
        self.index();
        let Normalized { chars, clause, after, .. } = self;
        after.clear();
        after.resize(chars.len() + 1, false);
        for part in &not_after.parts {
            part.each_occurrence(chars, |start| {
                let s = start + part.chars.len();
                // The character at `s` (the last one, at the end) is in the text's clause.
                let here = clause.get(s).or_else(|| clause.get(s - 1));
                if here == Some(&clause[start]) {
                    after[s] = true;
                }
            });
        }
        true
    }

    /// Fill `chars` and `clause` from `text`, once per text.
    fn index(&mut self) {
        if self.indexed {
            return;
        }
        self.chars.clear();
        self.clause.clear();
        let (mut clauses, mut start) = (self.clauses.iter().peekable(), 0);
        for (at, c) in self.text.char_indices() {
            if clauses.next_if_eq(&&at).is_some() {
                start = self.chars.len();
            }
            self.chars.push(c);
            self.clause.push(start);
        }
        self.indexed = true;
    }
}

/// A fixed part of a phrase: the characters that count, and where to go on comparing after
/// a mismatch (Knuth-Morris-Pratt).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    text: String,
    chars: Vec<char>,
    /// For each prefix length `i + 1`, the length of its longest proper prefix that is also
    /// its suffix.
    border: Vec<usize>,
}

impl Part {
    fn new(written: &str) -> Part {
        let mut text = String::new();
        read_into(written, &mut text, |_| {});
        let chars: Vec<char> = text.chars().collect();
        let mut border = vec![0; chars.len()];
        let mut k = 0;
        for i in 1..chars.len() {
            while k > 0 && chars[i] != chars[k] {
                k = border[k - 1];
            }
            if chars[i] == chars[k] {
                k += 1;
            }
            border[i] = k;
        }
        Part { text, chars, border }
    }

    /// Call `each` with the start of every occurrence in `text`, overlapping ones included,
    /// in ascending order. The part is not empty.
    fn each_occurrence(&self, text: &[char], mut each: impl FnMut(usize)) {
        let m = self.chars.len();
        let mut k = 0;
        for (i, &c) in text.iter().enumerate() {
            while k > 0 && c != self.chars[k] {
                k = self.border[k - 1];
            }
            if c == self.chars[k] {
                k += 1;
            }
            if k == m {
                each(i + 1 - m);
                k = self.border[m - 1];
            }
        }
    }
}

/// A gap between two fixed parts of a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    /// The fewest and the most characters it stands for.
    min: usize,
    max: usize,
    /// `XX`: punctuation right at its ends is skipped, only its own characters must be in
    /// one clause. `{m-n}`: the characters either side of it are in its clause too.
    loose: bool,
}

impl Gap {
    /// `XX`: 1 to 12 characters of one clause.
    const XX: Gap = Gap { min: 1, max: WILDCARD_MAX, loose: true };

    /// Whether characters `e..s` can stand for the gap, where `e` is the end of what comes
    /// before it and `s` the start of what comes after; `before` and `after` say whether a
    /// fixed character of the phrase is there. The answer for the latest `e` not after
    /// `s - min` is the best there is for `s`: a later start is never worse.
    fn fits(self, clause: &[usize], e: usize, s: usize, before: bool, after: bool) -> bool {
        if s < e || s - e < self.min || s - e > self.max {
            return false;
        }
        let (first, last) = if self.loose {
            (e, s.wrapping_sub(1))
        } else {
            (if before { e - 1 } else { e }, if after { s } else { s.wrapping_sub(1) })
        };
        // No character, or one, is one clause; `wrapping_sub` above stands for "none".
        first >= last || last == usize::MAX || clause[first] == clause[last]
    }
}

/// Read a phrase as written into its fixed parts and the gaps between them: `XX`, or `{m-n}`
/// with `m <= n` in ASCII digits (white space around them allowed). Anything else is text (braces are punctuation, and so are
/// ignored).
fn split(written: &str) -> (Vec<Part>, Vec<Gap>) {
    let (mut parts, mut gaps): (Vec<Part>, Vec<Gap>) = (Vec::new(), Vec::new());
    let (mut literal, mut at) = (0, 0);
    while at < written.len() {
        let rest = &written[at..];
        let gap = if rest.starts_with("XX") { Some((Gap::XX, 2)) } else { bounded_gap(rest).ok().flatten() };
        match gap {
            Some((gap, len)) => {
                let part = Part::new(&written[literal..at]);
                match gaps.last_mut() {
                    // `{a-b}{c-d}` is one gap of one clause, `{a+c-b+d}`: kept as two, the
                    // characters where they meet would not be held to one clause.
                    Some(last) if part.chars.is_empty() && !last.loose && !gap.loose => {
                        last.min = last.min.saturating_add(gap.min);
                        last.max = last.max.saturating_add(gap.max);
                    }
                    _ => {
                        parts.push(part);
                        gaps.push(gap);
                    }
                }
                at += len;
                literal = at;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    parts.push(Part::new(&written[literal..]));
    (parts, gaps)
}

/// The `{m-n}` gap that `text` starts with, and its length in bytes: `Ok(None)` when it does
/// not start like one, `Err` with the reason when it starts like one and is not.
fn bounded_gap(text: &str) -> Result<Option<(Gap, usize)>, &'static str> {
    // Each scan stops at the first character that cannot be in a gap (a brace among them),
    // so reading every position of a text is linear, however many braces it holds.
    let run = |from: usize, keep: fn(char) -> bool| {
        from + text[from..].chars().take_while(|&c| keep(c)).map(char::len_utf8).sum::<usize>()
    };
    let space = |from: usize| run(from, char::is_whitespace);
    let number = |from: usize| -> Option<(usize, usize)> {
        let end = run(from, |c| c.is_ascii_digit());
        (end > from).then_some((from, end))
    };
    if !text.starts_with('{') {
        return Ok(None);
    }
    let Some((min_at, min_end)) = number(space(1)) else { return Ok(None) };
    let dash = space(min_end);
    if !text[dash..].starts_with('-') {
        return Ok(None);
    }
    let Some((max_at, max_end)) = number(space(dash + 1)) else { return Ok(None) };
    let close = space(max_end);
    if !text[close..].starts_with('}') {
        return Ok(None);
    }
    let (Ok(min), Ok(max)) = (text[min_at..min_end].parse::<usize>(), text[max_at..max_end].parse::<usize>()) else {
        return Err("its numbers are too large");
    };
    if min > max {
        return Err("the smaller number comes first");
    }
    Ok(Some((Gap { min, max, loose: false }, close + 1)))
}

/// Why a phrase written in a policy holds a `{m-n}` that is not a gap, and where (byte
/// offset in the phrase), for the checker: a phrase from a ticket is read as it is.
pub(crate) fn malformed_gap(written: &str) -> Option<(usize, &'static str)> {
    written.char_indices().find_map(|(at, _)| bounded_gap(&written[at..]).err().map(|why| (at, why)))
}

/// Whether a text holds a gap (`XX` or `{m-n}`).
pub(crate) fn has_gap(written: &str) -> bool {
    !split(written).1.is_empty()
}

/// A phrase prepared for matching: split at its gaps, each part read like a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The phrase as written.
    pub text: Arc<str>,
    /// The fixed parts between the gaps; one more than there are gaps.
    parts: Vec<Part>,
    /// The gaps, `gaps[i]` after `parts[i]`.
    gaps: Vec<Gap>,
}

/// What a phrase's occurrence must not come straight after, in its clause, to count
/// (`mentions … not after {"是否", "确认"}`): texts read like a phrase's fixed parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotAfter {
    parts: Vec<Part>,
}

impl NotAfter {
    /// Prepare the texts; empty ones are left out, as nothing comes before them.
    pub fn new<'t>(texts: impl IntoIterator<Item = &'t str>) -> NotAfter {
        NotAfter { parts: texts.into_iter().map(Part::new).filter(|p| !p.chars.is_empty()).collect() }
    }
}

impl Phrase {
    /// Prepare a phrase: `XX` in it stands for 1 to 12 characters of one clause, `{m-n}` for
    /// `m` to `n` characters with no punctuation from the character before to the one after.
    pub fn new(text: Arc<str>) -> Phrase {
        let (parts, gaps) = split(&text);
        Phrase { text, parts, gaps }
    }

    /// Whether the phrase occurs in a text read into `t`; when `excluding`, not where
    /// `t.after` marks a start.
    fn occurs_in(&self, t: &mut Normalized, excluding: bool) -> bool {
        if !self.parts.iter().all(|part| t.text.contains(part.text.as_str())) {
            return false;
        }
        let Some((first, rest)) = self.parts.split_first() else { return true };
        if rest.is_empty() && !excluding {
            return true;
        }
        t.index();
        let Normalized { chars, clause, ends, next, after, .. } = t;
        let n = chars.len();
        let counts = |s: usize| !excluding || !after[s];
        ends.clear();
        if first.chars.is_empty() {
            ends.extend((0..=n).filter(|&s| counts(s)));
        } else {
            first.each_occurrence(chars, |s| {
                if counts(s) {
                    ends.push(s + first.chars.len());
                }
            });
        }
        let mut before = !first.chars.is_empty();
        for (part, &gap) in rest.iter().zip(&self.gaps) {
            if ends.is_empty() {
                return false;
            }
            next.clear();
            let after = !part.chars.is_empty();
            if !after {
                // A gap then nothing: wherever a gap from one of `ends` may stop. The gaps'
                // last ends rise with their first, so pushing past the last one pushed keeps
                // the list ascending and without repeats.
                for &e in ends.iter() {
                    let fewest = e.saturating_add(gap.min);
                    let from = next.last().map_or(fewest, |&last| (last + 1).max(fewest));
                    for s in from..=e.saturating_add(gap.max).min(n) {
                        if !gap.fits(clause, e, s, before, false) {
                            break;
                        }
                        next.push(s);
                    }
                }
            } else {
                // A gap then a part starting at `s`: if any of `ends` can start the gap, the
                // latest that leaves room for its fewest characters can.
                let mut later = ends.iter().copied().peekable();
                let mut latest = None;
                part.each_occurrence(chars, |s| {
                    while let Some(e) = later.next_if(|&e| e.saturating_add(gap.min) <= s) {
                        latest = Some(e);
                    }
                    if latest.is_some_and(|e| gap.fits(clause, e, s, before, true)) {
                        next.push(s + part.chars.len());
                    }
                });
            }
            std::mem::swap(ends, next);
            before = after;
        }
        !ends.is_empty()
    }
}

/// The first of `phrases`, in their order, that occurs in `text` other than straight after
/// `not_after`. The text is read once, into `buffer`, which is kept to be reused.
pub(crate) fn first_mentioned<'p>(
    text: &str,
    phrases: &'p [Phrase],
    not_after: &NotAfter,
    buffer: &mut Normalized,
) -> Option<&'p Phrase> {
    buffer.read(text);
    let excluding = buffer.mark_after(not_after);
    phrases.iter().find(|phrase| phrase.occurs_in(buffer, excluding))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

    use super::{first_mentioned, malformed_gap, Normalized, NotAfter, Phrase, WILDCARD_MAX};

    fn mentions(text: &str, phrase: &str) -> bool {
        mentions_not_after(text, phrase, &[])
    }

    fn mentions_not_after(text: &str, phrase: &str, not_after: &[&str]) -> bool {
        let not_after = NotAfter::new(not_after.iter().copied());
        first_mentioned(text, &[Phrase::new(phrase.into())], &not_after, &mut Normalized::default()).is_some()
    }

    /// The first of `phrases` found in `text`, as the trace names it.
    fn found<'p>(text: &str, phrases: &[&'p str]) -> Option<&'p str> {
        let prepared: Vec<Phrase> = phrases.iter().map(|&p| Phrase::new(p.into())).collect();
        let at = first_mentioned(text, &prepared, &NotAfter::default(), &mut Normalized::default())
            .map(|p| prepared.iter().position(|q| std::ptr::eq(p, q)).expect("one of the phrases"));
        at.map(|i| phrases[i])
    }

    // ------------------------------------------------------------ the reference definition

    /// A character of a text as the digest sees it once white space is gone.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Item {
        /// Punctuation or a symbol (general categories P* and S*).
        Mark,
        /// A character that counts, its full-width form folded to ASCII.
        Char(char),
    }

    /// The digest's reading of a text, written plainly: white space removed, punctuation and
    /// symbols marked, full-width ASCII folded (the texts generated here hold no half-width
    /// kana, which the unit tests cover).
    fn items(text: &str) -> Vec<Item> {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c.general_category_group() {
                GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol => Item::Mark,
                _ if ('\u{FF01}'..='\u{FF5E}').contains(&c) => {
                    Item::Char(char::from_u32(c as u32 - 0xFEE0).expect("an ASCII character"))
                }
                _ => Item::Char(c),
            })
            .collect()
    }

    /// A gap as the definition reads it: `None` for `XX`, else the bounds of `{m-n}`.
    type Gap = Option<(usize, usize)>;

    /// A phrase's fixed parts (their characters that count) and the gaps between them,
    /// read plainly: `XX`, or `{m-n}` with one digit each (all the texts generated here hold).
    fn parts_and_gaps(phrase: &str) -> (Vec<Vec<char>>, Vec<Gap>) {
        let fixed = |p: &str| -> Vec<char> {
            items(p).into_iter().filter_map(|i| if let Item::Char(c) = i { Some(c) } else { None }).collect()
        };
        let chars: Vec<char> = phrase.chars().collect();
        let (mut parts, mut gaps, mut part) = (Vec::new(), Vec::new(), String::new());
        let mut i = 0;
        while i < chars.len() {
            let digit = |c: char| c.to_digit(10).map(|d| d as usize);
            let (gap, len) = match chars[i..] {
                ['X', 'X', ..] => (Some(None), 2),
                ['{', m, '-', n, '}', ..] => match (digit(m), digit(n)) {
                    (Some(m), Some(n)) if m <= n => (Some(Some((m, n))), 5),
                    _ => (None, 1),
                },
                _ => (None, 1),
            };
            match gap {
                Some(gap) => {
                    parts.push(fixed(&std::mem::take(&mut part)));
                    gaps.push(gap);
                }
                None => part.push(chars[i]),
            }
            i += len;
        }
        parts.push(fixed(&part));
        (parts, gaps)
    }

    /// The definition, tried at every start with every choice: exponential, for checking.
    fn by_definition(text: &str, phrase: &str) -> bool {
        by_definition_not_after(text, phrase, &[])
    }

    /// The same, where an occurrence starting straight after one of `not_after` (no
    /// punctuation between; an empty text is before nothing) does not count. The phrase
    /// starts with a fixed character.
    fn by_definition_not_after(text: &str, phrase: &str, not_after: &[&str]) -> bool {
        let text = items(text);
        let (parts, gaps) = parts_and_gaps(phrase);
        let preceded = |start: usize| {
            not_after.iter().any(|before| {
                let (before, _) = parts_and_gaps(before);
                let before = &before[0];
                !before.is_empty()
                    && start >= before.len()
                    && before.iter().enumerate().all(|(j, &c)| text[start - before.len() + j] == Item::Char(c))
            })
        };
        (0..=text.len()).any(|start| part_at(&text, start, &parts, &gaps) && !preceded(start))
    }

    /// `parts[0]` starts at `at` (its characters in order, punctuation between them skipped),
    /// then the gaps and the other parts follow.
    fn part_at(text: &[Item], mut at: usize, parts: &[Vec<char>], gaps: &[Gap]) -> bool {
        let (part, rest) = parts.split_first().expect("a phrase has a part");
        for (i, &c) in part.iter().enumerate() {
            while i > 0 && text.get(at) == Some(&Item::Mark) {
                at += 1;
            }
            if text.get(at) != Some(&Item::Char(c)) {
                return false;
            }
            at += 1;
        }
        match gaps.split_first() {
            None => true,
            Some((None, gaps)) => wildcard_at(text, at, rest, gaps),
            Some((Some((min, max)), gaps)) => bounded_at(text, at, (*min, *max), rest, gaps),
        }
    }

    /// `XX` from `at`, then `parts`: punctuation skipped, 1 to 12 characters with no
    /// punctuation among them, any of the punctuation after them skipped, then the parts.
    fn wildcard_at(text: &[Item], mut at: usize, parts: &[Vec<char>], gaps: &[Gap]) -> bool {
        while text.get(at) == Some(&Item::Mark) {
            at += 1;
        }
        for len in 1..=WILDCARD_MAX {
            if !matches!(text.get(at + len - 1), Some(Item::Char(_))) {
                return false;
            }
            let mut after = at + len;
            loop {
                if part_at(text, after, parts, gaps) {
                    return true;
                }
                if text.get(after) != Some(&Item::Mark) {
                    break;
                }
                after += 1;
            }
        }
        false
    }

    /// `{min-max}` from `at`, then `parts`: `min` to `max` characters right there, no
    /// punctuation before, among or after them, then the parts.
    fn bounded_at(text: &[Item], at: usize, (min, max): (usize, usize), parts: &[Vec<char>], gaps: &[Gap]) -> bool {
        for len in 0..=max {
            if len > 0 && !matches!(text.get(at + len - 1), Some(Item::Char(_))) {
                return false;
            }
            if len >= min && part_at(text, at + len, parts, gaps) {
                return true;
            }
        }
        false
    }

    fn joined(tokens: Vec<&str>) -> String {
        tokens.concat()
    }

    const TEXT: &[&str] = &["a", "a", "b", "你", "吗", "，", "·", "!", "😀", " ", "\u{3000}", "Ａ", "A"];
    const PHRASE: &[&str] = &["a", "b", "你", "吗", "，", "·", " ", "Ａ", "A", "XX", "XX", "X"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn matching_agrees_with_the_definition(
            text in prop::collection::vec(prop::sample::select(TEXT), 0..40).prop_map(joined),
            phrase in prop::collection::vec(prop::sample::select(PHRASE), 0..7).prop_map(joined)
                .prop_filter("at most three XX", |p| p.matches("XX").count() <= 3),
        ) {
            prop_assert_eq!(mentions(&text, &phrase), by_definition(&text, &phrase), "{:?} in {:?}", phrase, text);
        }

        /// Long runs and few kinds of character: the limits of `XX` and of clauses.
        #[test]
        fn gaps_agree_with_the_definition(
            text in prop::collection::vec(prop::sample::select(&["a", "a", "a", "a", "b", "，"][..]), 0..60).prop_map(joined),
            phrase in prop::collection::vec(prop::sample::select(&["a", "b", "XX", "XX", "，"][..]), 0..6).prop_map(joined)
                .prop_filter("at most three XX", |p| p.matches("XX").count() <= 3),
        ) {
            prop_assert_eq!(mentions(&text, &phrase), by_definition(&text, &phrase), "{:?} in {:?}", phrase, text);
        }

        /// `{m-n}` beside fixed parts, `XX` and each other, with malformed ones as text.
        #[test]
        fn bounded_gaps_agree_with_the_definition(
            text in prop::collection::vec(prop::sample::select(&["a", "a", "a", "b", "b", "，", " ", "1"][..]), 0..30).prop_map(joined),
            phrase in prop::collection::vec(prop::sample::select(&["a", "b", "{0-2}", "{1-3}", "{2-2}", "{0-0}", "{3-1}", "XX", "，"][..]), 0..6).prop_map(joined)
                .prop_filter("at most three gaps", |p| p.matches("XX").count() + p.matches('{').count() <= 3),
        ) {
            prop_assert_eq!(mentions(&text, &phrase), by_definition(&text, &phrase), "{:?} in {:?}", phrase, text);
        }

        /// `not after`: an occurrence straight after one of the texts does not count, another
        /// occurrence still does.
        #[test]
        fn not_after_agrees_with_the_definition(
            text in prop::collection::vec(prop::sample::select(&["a", "a", "b", "b", "c", "，", " "][..]), 0..30).prop_map(joined),
            first in prop::sample::select(&["a", "b", "ab"][..]),
            phrase in prop::collection::vec(prop::sample::select(&["a", "b", "c", "{0-2}", "XX"][..]), 0..4).prop_map(joined)
                .prop_filter("at most two gaps", |p| p.matches("XX").count() + p.matches('{').count() <= 2),
            not_after in prop::collection::vec(prop::sample::select(&["a", "b", "c", "ab", "b，a", "cb", ""][..]), 0..3),
        ) {
            let phrase = format!("{first}{phrase}");
            prop_assert_eq!(
                mentions_not_after(&text, &phrase, &not_after),
                by_definition_not_after(&text, &phrase, &not_after),
                "{:?} not after {:?} in {:?}", phrase, not_after, text
            );
        }
    }

    /// Shrunk cases the property tests found while the matcher was written.
    #[test]
    fn cases_the_property_tests_found() {
        for (text, phrase) in [("，Ａ", ""), ("ba，abab", "bXXbXX"), ("你a，aＡ", "你XXＡ")] {
            assert_eq!(mentions(text, phrase), by_definition(text, phrase), "{phrase:?} in {text:?}");
        }
    }

    #[test]
    fn the_definition_reads_the_digest_as_the_tests_below_do() {
        assert!(by_definition("你不是说，明天就能到货吗？", "你不是说XX吗"));
        assert!(!by_definition("不怪你，你不是说错了，是系统问题，好吗？", "你不是说XX吗"));
        assert!(by_definition("这是规定·我有什么办法", "这是规定,我有什么办法"));
        assert!(!by_definition("你不是说吗", "你不是说XX吗"));
    }

    // ------------------------------------------------------------ white space

    /// The code points with the Unicode `White_Space` property (PropList.txt).
    const WHITE_SPACE: &[char] = &[
        '\u{9}', '\u{A}', '\u{B}', '\u{C}', '\u{D}', ' ', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2001}',
        '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200A}',
        '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}',
    ];

    #[derive(Debug, PartialEq, Eq)]
    enum Kind {
        WhiteSpace,
        Punctuation,
        Counts,
    }

    /// What matching makes of `c`, seen from outside: read between two letters, it is gone
    /// (white space), it ends a clause (punctuation), or it is a character.
    fn kind(c: char, buffer: &mut Normalized, text: &mut String) -> Kind {
        text.clear();
        text.push('a');
        text.push(c);
        text.push('b');
        buffer.read(text);
        buffer.index();
        match (buffer.chars.len(), buffer.clause.as_slice()) {
            (2, [0, 0]) => Kind::WhiteSpace,
            (2, [0, 1]) => Kind::Punctuation,
            (3, _) => Kind::Counts,
            other => panic!("{c:?} read as {other:?}"),
        }
    }

    #[test]
    fn white_space_punctuation_and_symbols_are_the_unicode_properties() {
        let (mut buffer, mut text) = (Normalized::default(), String::new());
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let expected = if WHITE_SPACE.contains(&c) {
                Kind::WhiteSpace
            } else if matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol
            ) {
                Kind::Punctuation
            } else {
                Kind::Counts
            };
            assert_eq!(kind(c, &mut buffer, &mut text), expected, "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn white_space_is_removed_everywhere() {
        let phrase = "这是规定,我有什么办法";
        assert!(mentions("这是 规定 ， 我有什么 办法！", phrase));
        assert!(mentions("这是\u{3000}规定\u{A0}我有\t什么\n办法", phrase));
        assert!(mentions("这是规定我有什么办法", "这 是 规 定 我有什么办法"));
        // Inside `XX` it is not counted: twelve characters with spaces among them.
        assert!(mentions("你到一 二 三 四 五 六\u{3000}七八九十一二部门问问吧", "你到XX部门问问吧"));
        // Nor does it end a clause.
        assert!(mentions("你不是说 明天 就能到货吗", "你不是说XX吗"));
        // Only white space: a zero-width space (a format character) is a character.
        assert!(!mentions("这是规定\u{200B}我有什么办法", phrase));
    }

    // ------------------------------------------------------------ punctuation and symbols

    #[test]
    fn punctuation_and_symbols_are_ignored_in_fixed_parts() {
        let phrase = "这是规定,我有什么办法";
        // The digest's examples.
        assert!(mentions("这是规定，我有什么办法", phrase));
        assert!(mentions("这是规定我有什么办法", phrase));
        // Anywhere between the phrase's characters, in the text or in the phrase.
        assert!(mentions("这是规定我，有什么办法", phrase));
        assert!(mentions("这是规定我有什么办法", "这是「规定」……我有什么办法？"));
        // Full-width or ASCII, P* and S* of every kind: the middle dots, a dash, brackets,
        // quotes, an ellipsis, currency, maths, modifiers, emoji.
        for mark in
            ["·", "・", "･", "—", "-", "_", "（", "）", "「", "“", "”", "…", "¥", "＄", "～", "+", "^", "゛", "😀", "©"]
        {
            assert!(mentions(&format!("这是规定{mark}我有什么{mark}{mark}办法"), phrase), "{mark}");
        }
        // Characters that are neither are not ignored: letters, digits, marks, formats.
        for other in ["的", "x", "1", "①", "\u{301}", "\u{200B}"] {
            assert!(!mentions(&format!("这是规定{other}我有什么办法"), phrase), "{other:?}");
        }
        assert!(!mentions("这是规定，你有什么办法", phrase));
    }

    // ------------------------------------------------------------ widths

    #[test]
    fn full_width_and_half_width_forms_match_each_other() {
        for ascii in (0x21..=0x7E_u8).map(char::from).filter(char::is_ascii_alphanumeric) {
            let full = char::from_u32(ascii as u32 + 0xFEE0).unwrap();
            assert!(mentions(&format!("工号{full}号"), &format!("工号{ascii}号")), "{full} in the text");
            assert!(mentions(&format!("工号{ascii}号"), &format!("工号{full}号")), "{full} in the phrase");
            assert!(!mentions(&format!("工号{full}号"), "工号_号"));
        }
        assert!(mentions("请联系ＶＩＰ专席", "请联系VIP专席"));
        assert!(mentions("ｶﾀｶﾅ", "カタカナ"));
        assert!(mentions("カタカナ", "ｶﾀｶﾅ"));
        // A voiced sound mark joins the kana before it: ｶﾞ is one character, ガ.
        assert!(mentions("ｶﾞｲﾄﾞﾌﾞｯｸ", "ガイドブック"));
        assert!(mentions("パス", "ﾊﾟｽ"));
        assert!(mentions("你到ガイドガイドガイドガイド部门", "你到XX部门"));
        assert!(mentions("你到ｶﾞｲﾄﾞｶﾞｲﾄﾞｶﾞｲﾄﾞｶﾞｲﾄﾞ部门", "你到XX部门"), "twelve characters, sixteen code points");
        assert!(mentions("ﾡﾤ", "ㄱㄴ"), "half-width hangul");
        // Full-width punctuation is punctuation still.
        assert!(mentions("大点声！听不见！", "大点声!听不见"));
    }

    // ------------------------------------------------------------ XX

    #[test]
    fn xx_stands_for_one_to_twelve_characters() {
        let phrase = "你到XX部门问问吧";
        assert!(mentions("你到营业厅部门问问吧", phrase));
        assert!(mentions("你到一部门问问吧", phrase));
        assert!(mentions("你到一二三四五六七八九十一二部门问问吧", phrase));
        assert!(!mentions("你到一二三四五六七八九十一二三部门问问吧", phrase), "thirteen");
        assert!(!mentions("你到部门问问吧", phrase), "none");
        assert!(!mentions("你不是说吗", "你不是说XX吗"));
    }

    #[test]
    fn punctuation_at_the_ends_of_xx_is_skipped_and_not_counted() {
        let phrase = "你到XX部门问问吧";
        assert!(mentions("你到，一二三四五六七八九十一二，部门问问吧", phrase));
        assert!(mentions("你到：「一二三四五六七八九十一二」部门问问吧", phrase));
        assert!(!mentions("你到「一二三四五六七八九十一二三」部门问问吧", phrase));
        assert!(!mentions("你到，，部门问问吧", phrase), "punctuation alone is no text");
        assert!(mentions("你不是说，明天就能到货吗？", "你不是说XX吗"));
    }

    #[test]
    fn xx_never_spans_punctuation_inside() {
        assert!(!mentions("不怪你，你不是说错了，是系统问题，好吗？", "你不是说XX吗"));
        assert!(!mentions("你到财务，客服部门问问吧", "你到XX部门问问吧"));
        assert!(!mentions("你到财务😀客服部门问问吧", "你到XX部门问问吧"), "a symbol ends a clause too");
        // White space does not.
        assert!(mentions("你到财务 客服部门问问吧", "你到XX部门问问吧"));
        // A fixed part may span punctuation while `XX` may not.
        assert!(mentions("你到客服部，门问问吧", "你到XX部门问问吧"));
    }

    #[test]
    fn xx_may_open_or_close_a_phrase() {
        assert!(mentions("财务部门", "XX部门"));
        assert!(mentions("财务，部门", "XX部门"));
        assert!(!mentions("，部门", "XX部门"));
        assert!(!mentions("部门", "XX部门"));
        assert!(mentions("你到了", "你到XX"));
        assert!(mentions("你到，了", "你到XX"));
        assert!(!mentions("你到，", "你到XX"));
        assert!(mentions("一", "XX"));
        assert!(!mentions("，。", "XX"));
    }

    #[test]
    fn xx_after_xx_is_two_texts_of_one_clause_each() {
        let phrase = "甲XXXX乙";
        assert!(!mentions("甲一乙", phrase));
        assert!(mentions("甲一二乙", phrase));
        assert!(mentions(&format!("甲{}乙", "一".repeat(24)), phrase));
        assert!(!mentions(&format!("甲{}乙", "一".repeat(25)), phrase));
        assert!(mentions("甲一，二乙", phrase));
        assert!(!mentions("甲一，二，三乙", phrase));
    }

    // ------------------------------------------------------------ {m-n}

    #[test]
    fn a_bounded_gap_stands_for_its_number_of_characters() {
        let phrase = "撤销{0-8}投诉";
        assert!(mentions("请您撤销投诉", phrase), "none");
        assert!(mentions("麻烦您撤销一下投诉好吗", phrase));
        assert!(mentions("撤销一二三四五六七八投诉", phrase), "eight");
        assert!(!mentions("撤销一二三四五六七八九投诉", phrase), "nine");
        assert!(mentions("撤销一二投诉", "撤销{2-2}投诉"));
        assert!(!mentions("撤销一投诉", "撤销{2-3}投诉"));
        assert!(!mentions("撤销一二三四投诉", "撤销{2-3}投诉"));
        // White space is not a character.
        assert!(mentions("撤销 一下 投诉", "撤销{2-2}投诉"));
    }

    #[test]
    fn a_bounded_gap_keeps_to_one_clause_at_its_ends_too() {
        let phrase = "撤销{0-8}投诉";
        assert!(!mentions("撤销，投诉", phrase));
        assert!(!mentions("撤销一下，投诉", phrase));
        assert!(!mentions("撤销，一下投诉", phrase));
        assert!(!mentions("您撤销了吗？投诉我们已受理", phrase));
        // `XX` skips punctuation at its ends; a fixed part ignores it inside.
        assert!(mentions("撤销，一下，投诉", "撤销XX投诉"));
        assert!(mentions("撤，销一下投诉", phrase));
        // At the ends of a phrase, the clause of what the phrase does hold.
        assert!(!mentions("一二三，撤销", "{2-3}撤销"));
        assert!(mentions("一，二三撤销", "{2-3}撤销"));
        assert!(mentions("撤销一二", "撤销{0-2}"));
        assert!(mentions("撤销，", "撤销{0-2}"), "no characters");
        assert!(!mentions("撤销，一", "撤销{1-2}"));
    }

    #[test]
    fn bounded_gaps_side_by_side_are_one() {
        assert!(mentions("甲一二乙", "甲{0-1}{0-1}乙"));
        assert!(!mentions("甲一，二乙", "甲{0-1}{0-1}乙"));
        assert!(!mentions("甲一二三乙", "甲{0-1}{0-1}乙"));
        // Beside `XX` they are two.
        assert!(mentions("甲一，二乙", "甲XX{0-1}乙"));
    }

    #[test]
    fn braces_that_are_no_gap_are_punctuation() {
        assert!(mentions("撤销8-0投诉", "撤销{8-0}投诉"), "the digits are text");
        assert!(mentions("撤销投诉", "撤销{}投诉"));
        assert!(mentions("撤销一投诉", "撤销{一}投诉"));
        assert!(mentions("撤销1投诉", "撤销{1}投诉"));
        assert!(mentions("撤销一投诉", "撤销{ 1 - 2 }投诉"), "white space around the numbers");
        assert!(mentions("撤销1 2投诉", "撤销{1 2}投诉"), "no dash: text");
        assert_eq!(malformed_gap("撤销{8-0}投诉"), Some(("撤销".len(), "the smaller number comes first")));
        assert_eq!(malformed_gap("{0-99999999999999999999999}"), Some((0, "its numbers are too large")));
        assert_eq!(malformed_gap("撤销{0-8}投诉{}{a-b}{1}"), None);
        assert!(super::has_gap("撤销{0-8}投诉") && super::has_gap("你到XX部门") && !super::has_gap("{8-0}"));
    }

    // ------------------------------------------------------------ not after

    #[test]
    fn an_occurrence_straight_after_a_listed_text_does_not_count() {
        let not_after = ["是否", "确认"];
        let plea = "撤销{0-8}投诉";
        assert!(!mentions_not_after("请问您是否撤销投诉？", plea, &not_after));
        assert!(!mentions_not_after("您确认撤销投诉吗", plea, &not_after));
        assert!(mentions_not_after("请您撤销投诉", plea, &not_after));
        // Another occurrence still counts, in the same clause or another.
        assert!(mentions_not_after("您是否撤销投诉？请您撤销投诉吧", plea, &not_after));
        assert!(mentions_not_after("是否撤销投诉就撤销投诉", plea, &not_after));
        // Straight after: punctuation between, or a character, and it counts.
        assert!(mentions_not_after("是否，撤销投诉", plea, &not_after));
        assert!(mentions_not_after("是否要撤销投诉", plea, &not_after));
        // White space is removed first.
        assert!(!mentions_not_after("是 否 撤销投诉", plea, &not_after));
        // Only the start of an occurrence is looked at.
        assert!(mentions_not_after("撤销确认投诉", plea, &not_after));
        // A listed text that occurs nowhere leaves every occurrence be.
        assert!(mentions_not_after("撤销投诉", "撤销投诉", &not_after));
        // An empty one is before nothing.
        assert!(mentions_not_after("撤销投诉", "撤销投诉", &[""]));
    }

    #[test]
    fn the_tables_of_punctuation_are_the_general_categories() {
        for c in ('\u{2000}'..='\u{207F}').chain('\u{3000}'..='\u{303F}').chain('\u{FF00}'..='\u{FF7F}') {
            let by_category =
                matches!(c.general_category_group(), GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol);
            assert_eq!(super::punctuation_or_symbol(c), by_category, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn every_width_form_folds_to_a_character_outside_the_forms() {
        let (mut buffer, mut text) = (Normalized::default(), String::new());
        for c in ('\u{FF01}'..='\u{FFEE}').filter(|&c| !super::punctuation_or_symbol(c)) {
            let folded = super::fold_width(c);
            let assigned = unicode_normalization::char::is_public_assigned(c);
            assert_eq!(folded != c, assigned, "U+{:04X} folds to U+{:04X}", c as u32, folded as u32);
            assert!(!('\u{FF00}'..='\u{FFEF}').contains(&folded) || !assigned, "U+{:04X}", c as u32);
            assert_eq!(super::fold_width(folded), folded, "U+{:04X}", c as u32);
            assert_eq!(kind(folded, &mut buffer, &mut text), Kind::Counts, "U+{:04X}", c as u32);
        }
        for (form, of) in
            [('ﾡ', 'ㄱ'), ('ﾠ', '\u{3164}'), ('ￂ', 'ㅏ'), ('ￜ', 'ㅣ'), ('ｦ', 'ヲ'), ('ｱ', 'ア'), ('ﾝ', 'ン')]
        {
            assert_eq!(super::fold_width(form), of, "{form}");
        }
    }

    #[test]
    fn a_phrase_with_nothing_to_find_is_found_anywhere() {
        assert!(mentions("", ""));
        assert!(mentions("您好", "，"));
    }

    // ------------------------------------------------------------ the digest's tables

    /// EC-8: the seed's list, in its order.
    const EC8: &[&str] = &[
        "你不是说XX吗",
        "不是告诉你了,怎么还不明白",
        "大点声,听不见",
        "是我办的,不知道,不清楚",
        "你到XX部门问问吧",
        "你怎么连这个也不懂",
        "这是规定,我有什么办法",
    ];

    #[test]
    fn ec8_reference_cases() {
        for (transcript, phrase) in [
            ("你不是说，明天就能到货吗？", "你不是说XX吗"),
            ("这是规定·我有什么办法", "这是规定,我有什么办法"),
            ("你到客服中心投诉部门问问吧", "你到XX部门问问吧"),
            ("大点声！听不见！", "大点声,听不见"),
        ] {
            assert_eq!(found(transcript, EC8), Some(phrase), "{transcript}");
        }
        for transcript in ["不怪你，你不是说错了，是系统问题，好吗？", "您好，请问有什么可以帮您？", "你不是说吗"]
        {
            assert_eq!(found(transcript, EC8), None, "{transcript}");
        }
    }

    /// DG-10, the digest's rule as the shipped policy writes it, on every row of its table
    /// and on requests beside a confirmation.
    #[test]
    fn dg10_the_digests_rule() {
        let pleas = [Phrase::new("不要投诉".into()), Phrase::new("别投诉".into())];
        let withdraw = [Phrase::new("撤销{0-8}投诉".into()), Phrase::new("撤消{0-8}投诉".into())];
        let not_after = NotAfter::new(["是否", "确认"]);
        let mut buffer = Normalized::default();
        let mut request = |text: &str| {
            first_mentioned(text, &pleas, &NotAfter::default(), &mut buffer).is_some()
                || first_mentioned(text, &withdraw, &not_after, &mut buffer).is_some()
        };
        for yes in [
            "请你撤消投诉好吗",
            "请您撤销投诉王工号",
            "请你 不要投诉 好吗？",
            "麻烦您撤销一下投诉好吗",
            "您能不能别投诉她了",
            "可以不要投诉我同事吗",
            "请问您是否撤销投诉？您就撤销投诉吧",
            "您确认撤销投诉吗？其实撤销投诉也没什么",
        ] {
            assert!(request(yes), "{yes}");
        }
        for no in [
            "请问您是否撤销投诉？",
            "您确认撤销投诉吗",
            "您的投诉我们已受理",
            "撤销我们这边刚才那位同事的工作投诉",
            "您撤销了吗？投诉已受理",
        ] {
            assert!(!request(no), "{no}");
        }
    }

    /// DG-10's rows that plain phrases decide: a clause with 不要投诉 or 别投诉, 撤销 or 撤消
    /// right before 投诉 or a short text before it. (Its exception, not right after 是否 or
    /// 确认, is not a phrase: the policy must say it.)
    #[test]
    fn dg10_reference_cases_that_are_plain_phrases() {
        let pleas = ["不要投诉", "别投诉", "撤消投诉", "撤销投诉", "撤消XX投诉", "撤销XX投诉"];
        for (transcript, phrase) in [
            ("请你撤消投诉好吗", "撤消投诉"),
            ("请您撤销投诉王工号", "撤销投诉"),
            ("请你 不要投诉 好吗？", "不要投诉"),
            ("麻烦您撤销一下投诉好吗", "撤销XX投诉"),
            ("您能不能别投诉她了", "别投诉"),
            ("可以不要投诉我同事吗", "不要投诉"),
        ] {
            assert_eq!(found(transcript, &pleas), Some(phrase), "{transcript}");
        }
        assert_eq!(found("您的投诉我们已受理", &pleas), None);
        // The seed's own pleas, as the shipped policy lists them, leave the confirmation be.
        let seed = ["请你撤消投诉", "请你撤销投诉", "请您撤消投诉", "请您撤销投诉", "请你不要投诉", "请您不要投诉"];
        for transcript in ["请问您是否撤销投诉？", "您确认撤销投诉吗", "您的投诉我们已受理"]
        {
            assert_eq!(found(transcript, &seed), None, "{transcript}");
        }
        assert_eq!(found("请你 不要投诉 好吗？", &seed), Some("请你不要投诉"));
    }

    #[test]
    fn the_first_phrase_in_the_policys_order_is_named() {
        let phrases = ["请你不要投诉", "这是规定,我有什么办法"];
        assert_eq!(found("唉，这是规定，我有什么办法", &phrases), Some("这是规定,我有什么办法"));
        // Both occur: the first listed is named, not the first in the text.
        assert_eq!(found("这是规定，我有什么办法。请你不要投诉", &phrases), Some("请你不要投诉"));
        assert_eq!(found("您好，请问还有其它问题吗", &phrases), None);
    }

    #[test]
    fn a_buffer_is_reused_from_text_to_text() {
        let phrases = [Phrase::new("你到XX部门问问吧".into())];
        let mut buffer = Normalized::default();
        assert!(first_mentioned(
            "你到一二三四五六七八九十一二部门问问吧，好吗，好吗，好吗",
            &phrases,
            &NotAfter::default(),
            &mut buffer
        )
        .is_some());
        assert!(first_mentioned("你到，部门问问吧", &phrases, &NotAfter::default(), &mut buffer).is_none());
        assert!(first_mentioned("你到财务部门问问吧", &phrases, &NotAfter::default(), &mut buffer).is_some());
    }

    // ------------------------------------------------------------ hostile input

    /// Inputs that take seconds, or far longer, on a matcher that backtracks or compares at
    /// every start; here each part is one pass over the text.
    #[test]
    fn hostile_phrases_and_texts_take_linear_time() {
        let text = "你".repeat(10_000);
        let many = "XX你XX你XX你XX你XX你XX你XX吗";
        assert!(!mentions(&text, many));
        assert!(mentions(&format!("{text}吗"), many));
        assert!(mentions(&format!("{text}，吗"), many), "punctuation at the end of the last XX");
        assert!(!mentions(&format!("吗{text}"), many));

        // A long part nearly found everywhere.
        let long = format!("{}吗", "你".repeat(5_000));
        assert!(!mentions(&text, &long));
        assert!(mentions(&format!("{text}吗"), &long));

        // Gaps everywhere, in a text of one clause and in one of many.
        let gaps = "XX".repeat(50);
        assert!(mentions(&text, &gaps));
        let clauses = "你，".repeat(10_000);
        assert!(mentions(&clauses, &format!("你{gaps}你")), "one character a clause, a clause an XX");
        assert!(!mentions(&clauses, &format!("你{gaps}吗")));
        // Bounded gaps as wide as the text, and a text of braces that look like gaps.
        assert!(mentions(&format!("{text}吗"), "你{0-1000000}吗{0-1000000}"));
        assert!(!mentions(&text, &format!("你{}吗", "{0-1000000}".repeat(50))));
        let braces = "{1".repeat(20_000) + "{1-";
        assert!(mentions(&braces, &braces));
        assert_eq!(malformed_gap(&braces), None);
        // A long text before a phrase: only the first occurrences of 你 have too few before.
        let before = "你".repeat(5_000);
        assert!(mentions_not_after(&text, "你", &[&before]));
        assert!(!mentions_not_after(&format!("{text}吗"), "吗", &[&before]));
        assert!(!mentions_not_after(&format!("{text}吗"), "你{0-3}吗", &[&before]));
        let ab = "ab".repeat(5_000);
        assert!(!mentions(&ab, &format!("{}c", "aXXb".repeat(20))));
    }
}
