//! Phrase matching for transcripts (DG-10, EC-8): punctuation and white space are ignored,
//! full-width or ASCII, and `XX` in a phrase stands for any short text.

/// The longest text `XX` stands for, in characters: a department's name, a date.
const WILDCARD_MAX: usize = 12;

/// Whether a character is ignored when matching phrases.
fn ignored(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation() || matches!(c, '\t'..='\r' | ' ');
    }
    // General punctuation (“ ” … —), CJK punctuation (、。「」), CJK compatibility forms,
    // and the full-width forms of ASCII punctuation (，！？：); other white space lies below
    // U+3000, so most text (CJK ideographs) is decided by comparisons alone.
    matches!(c as u32,
        0x2000..=0x206F | 0x3000..=0x303F | 0xFE30..=0xFE4F
        | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
        || ((c as u32) < 0x3000 && c.is_whitespace())
}

fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// Write `text` without the characters phrases ignore into `out`, run by run.
fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let mut run = 0;
    for (at, c) in text.char_indices() {
        if ignored(c) {
            out.push_str(&text[run..at]);
            run = at + c.len_utf8();
        }
    }
    out.push_str(&text[run..]);
}

/// A phrase prepared for matching: split at `XX`, punctuation and spaces removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The phrase as written.
    pub text: std::sync::Arc<str>,
    parts: Vec<String>,
}

impl Phrase {
    /// Prepare a phrase; `XX` in it matches up to a dozen characters of anything.
    pub fn new(text: std::sync::Arc<str>) -> Phrase {
        let parts = text.split("XX").map(normalize).collect();
        Phrase { text, parts }
    }

    /// Whether the phrase occurs in a normalised text.
    fn occurs_in(&self, text: &str) -> bool {
        let Some((first, rest)) = self.parts.split_first() else { return true };
        if rest.is_empty() {
            return text.contains(first.as_str());
        }
        // Where each part may end, as byte offsets, part after part: every candidate is
        // tried once, so the work is bounded by the text's length times the gaps allowed,
        // however many `XX` the phrase has.
        let mut ends: Vec<usize> = text.match_indices(first.as_str()).map(|(at, m)| at + m.len()).collect();
        for part in rest {
            let mut next: Vec<usize> = Vec::new();
            for &end in &ends {
                let after = &text[end..];
                for (offset, c) in after.char_indices().take(WILDCARD_MAX) {
                    let start = end + offset + c.len_utf8();
                    if text[start..].starts_with(part.as_str()) {
                        next.push(start + part.len());
                    }
                }
            }
            next.sort_unstable();
            next.dedup();
            if next.is_empty() {
                return false;
            }
            ends = next;
        }
        !ends.is_empty()
    }
}

/// The first of `phrases` that occurs in `text`, ignoring punctuation and spaces. The text
/// is normalised once, into `buffer`, which is kept to be reused.
pub fn first_mentioned<'p>(text: &str, phrases: &'p [Phrase], buffer: &mut String) -> Option<&'p Phrase> {
    normalize_into(text, buffer);
    phrases.iter().find(|phrase| phrase.occurs_in(buffer))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{first_mentioned, normalize, Phrase, WILDCARD_MAX};

    /// The definition, tried at every start with every gap: exponential, for checking.
    fn by_definition(text: &[char], parts: &[Vec<char>]) -> bool {
        fn from(text: &[char], parts: &[Vec<char>]) -> bool {
            let Some((first, rest)) = parts.split_first() else { return true };
            if !text.starts_with(first) {
                return false;
            }
            let after = &text[first.len()..];
            rest.is_empty() || (1..=WILDCARD_MAX.min(after.len())).any(|gap| from(&after[gap..], rest))
        }
        (0..=text.len()).any(|start| from(&text[start..], parts))
    }

    proptest! {
        #[test]
        fn matching_agrees_with_the_definition(text in "[ab你，XX ]{0,40}", phrase in "[ab你，X]{0,8}") {
            let chars: Vec<char> = normalize(&text).chars().collect();
            let parts: Vec<Vec<char>> = phrase.split("XX").map(|p| normalize(p).chars().collect()).collect();
            prop_assert_eq!(mentions(&text, &phrase), by_definition(&chars, &parts), "{:?} in {:?}", phrase, text);
        }
    }

    #[test]
    fn white_space_and_punctuation_are_what_they_were() {
        let by_rule = |c: char| {
            c.is_whitespace()
                || c.is_ascii_punctuation()
                || matches!(c as u32,
                    0x2000..=0x206F | 0x3000..=0x303F | 0xFE30..=0xFE4F
                    | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
        };
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(super::ignored(c), by_rule(c), "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn many_wildcards_do_not_multiply_the_work() {
        let text = "你".repeat(200);
        assert!(!mentions(&text, "XX你XX你XX你XX你XX你XX你XX吗"));
        assert!(mentions(&format!("{text}吗"), "XX你XX你XX你XX你XX你XX你XX吗"));
    }

    fn mentions(text: &str, phrase: &str) -> bool {
        first_mentioned(text, &[Phrase::new(phrase.into())], &mut String::new()).is_some()
    }

    #[test]
    fn the_first_phrase_found_is_named() {
        let phrases = [Phrase::new("请你不要投诉".into()), Phrase::new("这是规定,我有什么办法".into())];
        let mut buffer = String::new();
        let found = first_mentioned("唉，这是规定，我有什么办法", &phrases, &mut buffer).map(|p| &*p.text);
        assert_eq!(found, Some("这是规定,我有什么办法"));
        assert_eq!(first_mentioned("您好，请问还有其它问题吗", &phrases, &mut buffer), None);
    }

    #[test]
    fn punctuation_and_spaces_do_not_matter() {
        let phrase = "这是规定,我有什么办法";
        assert!(mentions("嗯，这是规定，我有什么办法。", phrase));
        assert!(mentions("这是规定我有什么办法", phrase));
        assert!(mentions("这是 规定 , 我有什么办法!", phrase));
        assert!(!mentions("这是规定，你有什么办法", phrase));
    }

    #[test]
    fn xx_stands_for_a_short_text() {
        assert!(mentions("你到营业厅部门问问吧", "你到XX部门问问吧"));
        assert!(mentions("你不是说要办理吗？", "你不是说XX吗"));
        assert!(!mentions("你不是说吗", "你不是说XX吗"), "XX stands for at least one character");
        assert!(!mentions("你到一个非常非常非常非常非常远的部门问问吧", "你到XX部门问问吧"), "too long a gap");
    }
}
