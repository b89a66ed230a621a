//! Phrase matching for transcripts (DG-10, EC-8): punctuation and white space are ignored,
//! full-width or ASCII, and `XX` in a phrase stands for any short text.

/// The longest text `XX` stands for, in characters: a department's name, a date.
const WILDCARD_MAX: usize = 12;

/// Whether a character is ignored when matching phrases.
fn ignored(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        // General punctuation (“ ” … —), CJK punctuation (、。「」), CJK compatibility forms,
        // and the full-width forms of ASCII punctuation (，！？：).
        || matches!(c as u32,
            0x2000..=0x206F | 0x3000..=0x303F | 0xFE30..=0xFE4F
            | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
}

fn normalize(text: &str) -> Vec<char> {
    text.chars().filter(|c| !ignored(*c)).collect()
}

/// A phrase prepared for matching: split at `XX`, punctuation and spaces removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The phrase as written.
    pub text: std::sync::Arc<str>,
    parts: Vec<Vec<char>>,
}

impl Phrase {
    /// Prepare a phrase; `XX` in it matches up to a dozen characters of anything.
    pub fn new(text: std::sync::Arc<str>) -> Phrase {
        let parts = text.split("XX").map(normalize).collect();
        Phrase { text, parts }
    }
}

/// The first of `phrases` that occurs in `text`, ignoring punctuation and spaces. The text
/// is normalised once.
pub fn first_mentioned<'p>(text: &str, phrases: &'p [Phrase]) -> Option<&'p Phrase> {
    let text = normalize(text);
    phrases.iter().find(|phrase| (0..=text.len()).any(|start| matches_from(&text[start..], &phrase.parts)))
}

/// Whether `parts` match at the very start of `text`, with a short gap between parts.
fn matches_from(text: &[char], parts: &[Vec<char>]) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return true;
    };
    if !text.starts_with(first) {
        return false;
    }
    let after = &text[first.len()..];
    if rest.is_empty() {
        return true;
    }
    (1..=WILDCARD_MAX.min(after.len())).any(|gap| matches_from(&after[gap..], rest))
}

#[cfg(test)]
mod tests {
    use super::{first_mentioned, Phrase};

    fn mentions(text: &str, phrase: &str) -> bool {
        first_mentioned(text, &[Phrase::new(phrase.into())]).is_some()
    }

    #[test]
    fn the_first_phrase_found_is_named() {
        let phrases = [Phrase::new("请你不要投诉".into()), Phrase::new("这是规定,我有什么办法".into())];
        let found = first_mentioned("唉，这是规定，我有什么办法", &phrases).map(|p| &*p.text);
        assert_eq!(found, Some("这是规定,我有什么办法"));
        assert_eq!(first_mentioned("您好，请问还有其它问题吗", &phrases), None);
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
