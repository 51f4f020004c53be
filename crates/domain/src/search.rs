//! Full-text search, the part every store shares: how text is cut into words and folded
//! (case and accents), the query language of `q`, and how a query matches, ranks and
//! highlights a ticket's texts.
//!
//! Every store indexes the same folded words, made here, so the three stores (and the
//! snippets) agree on what matches:
//!
//! * a **word** is a run of letters and digits (`char::is_alphanumeric`); everything else
//!   separates words. `ORD-1234` is the two words `ord 1234`;
//! * a word is **folded**: decomposed (NFD), its combining marks dropped, lower-cased, and
//!   `ß` written `ss` (also `æ` `ae`, `œ` `oe`, `ø` `o`, `ł` `l`, `đ` `d`, `ı` `i`): `Straße`,
//!   `STRASSE` and `strasse` are one word, so are `Café` and `cafe`. Words longer than
//!   [`MAX_WORD_CHARS`] are cut to that length.
//!
//! The query language: words match words that start with them (`ket` finds `kettle`),
//! `"a phrase"` matches those words in a row within one field, `-word` or `-"a phrase"`
//! excludes the tickets that contain it. A query word that folds into several words (`ORD-12`)
//! is a phrase whose last word matches by prefix.

use std::fmt;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::error::{InvalidValue, Rule};

/// Words are cut to this many characters, in the index and in queries alike.
pub const MAX_WORD_CHARS: usize = 64;

/// One word of a text: where it is (in characters, `start..end`) and its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The offset of its first character, in Unicode scalar values.
    pub start: usize,
    /// The offset just past its last character, in Unicode scalar values.
    pub end: usize,
    /// The folded word.
    pub folded: String,
}

/// Whether `c` belongs to a word: letters, digits, and the marks that follow a letter.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Folds one word: no accents, lower case, `ß` as `ss`, cut to [`MAX_WORD_CHARS`].
///
/// ```
/// use supportdesk_domain::search::fold;
/// assert_eq!(fold("Straße"), "strasse");
/// assert_eq!(fold("CAFÉ"), "cafe");
/// assert_eq!(fold("Ørsted"), "orsted");
/// ```
pub fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.nfd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ß' => folded.push_str("ss"),
                'æ' => folded.push_str("ae"),
                'œ' => folded.push_str("oe"),
                'ø' => folded.push('o'),
                'ł' => folded.push('l'),
                'đ' => folded.push('d'),
                'ı' => folded.push('i'),
                other if is_word_char(other) => folded.push(other),
                _ => {}
            }
        }
    }
    match folded.char_indices().nth(MAX_WORD_CHARS) {
        Some((cut, _)) => folded[..cut].to_owned(),
        None => folded,
    }
}

/// The words of `text`, in order, with their positions in characters.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, c) in text.chars().enumerate() {
        if is_word_char(c) {
            current.get_or_insert_with(|| (index, String::new())).1.push(c);
        } else if let Some((start, raw)) = current.take() {
            push_word(&mut words, start, index, &raw);
        }
    }
    if let Some((start, raw)) = current.take() {
        let end = start + raw.chars().count();
        push_word(&mut words, start, end, &raw);
    }
    words
}

fn push_word(words: &mut Vec<Word>, start: usize, end: usize, raw: &str) {
    let folded = fold(raw);
    if !folded.is_empty() {
        words.push(Word { start, end, folded });
    }
}

/// The folded words of `text` joined by single spaces: what a store indexes, so that its
/// engine (which splits on spaces) sees exactly these words.
///
/// ```
/// use supportdesk_domain::search::index_text;
/// assert_eq!(index_text("Die Straße, ORD-12!"), "die strasse ord 12");
/// ```
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in words(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.folded);
    }
    out
}

/// One term of a query: words in a row, the last one by prefix or not, wanted or excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    words: Vec<String>,
    prefix: bool,
    excluded: bool,
}

impl Term {
    /// The folded words, at least one, to be found in this order, next to each other.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Whether the last word matches any word that starts with it (a bare word), or only
    /// itself (a quoted phrase).
    pub fn prefix(&self) -> bool {
        self.prefix
    }

    /// Whether the term excludes the tickets that contain it (`-word`).
    pub fn excluded(&self) -> bool {
        self.excluded
    }

    /// Whether the term matches at `at` in `words` (folded words in a row).
    fn matches_at(&self, words: &[&str], at: usize) -> bool {
        let Some(window) = words.get(at..at + self.words.len()) else {
            return false;
        };
        let last = self.words.len() - 1;
        self.words.iter().zip(window).enumerate().all(|(i, (wanted, found))| {
            if i == last && self.prefix {
                found.starts_with(wanted.as_str())
            } else {
                found == wanted
            }
        })
    }

    /// How many times the term occurs in `words`.
    pub fn occurrences(&self, words: &[&str]) -> usize {
        (0..words.len()).filter(|at| self.matches_at(words, *at)).count()
    }
}

/// A parsed `q`: terms to find (all of them) and terms to exclude.
///
/// ```
/// use supportdesk_domain::search::SearchQuery;
/// let q = SearchQuery::parse(r#"blue ket "arrived broken" -refund"#).unwrap();
/// assert_eq!(q.terms().len(), 4);
/// assert!(SearchQuery::parse("-refund").is_err(), "only exclusions");
/// assert!(SearchQuery::parse(" !? ").is_err(), "no words");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

impl SearchQuery {
    /// The longest `q`, in characters after trimming.
    pub const MAX_CHARS: usize = 200;
    /// The most terms a query may have.
    pub const MAX_TERMS: usize = 16;

    /// Parses `q`: 1..=200 characters; at most 16 terms; at least one term that is not
    /// excluded. An unclosed quote runs to the end.
    ///
    /// # Errors
    ///
    /// An [`InvalidValue`] for the field `q` saying which rule the text broke.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = raw.trim();
        let length = text.chars().count();
        if !(1..=Self::MAX_CHARS).contains(&length) {
            return Err(InvalidValue::new("q", Rule::Length { min: 1, max: Self::MAX_CHARS }));
        }
        let mut terms = Vec::new();
        let mut rest = text;
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let excluded = rest.starts_with('-') && rest.len() > 1 && !rest[1..].starts_with(char::is_whitespace);
            if excluded {
                rest = &rest[1..];
            }
            let (raw_term, prefix, next) = if let Some(quoted) = rest.strip_prefix('"') {
                match quoted.find('"') {
                    Some(close) => (&quoted[..close], false, &quoted[close + 1..]),
                    None => (quoted, false, ""),
                }
            } else {
                let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
                (&rest[..end], true, &rest[end..])
            };
            rest = next;
            let words: Vec<String> = words(raw_term).into_iter().map(|w| w.folded).collect();
            if !words.is_empty() {
                terms.push(Term { words, prefix, excluded });
            }
        }
        if terms.len() > Self::MAX_TERMS {
            return Err(InvalidValue::new("q", Rule::TooMany { max: Self::MAX_TERMS }));
        }
        if terms.is_empty() {
            return Err(InvalidValue::new("q", Rule::Format("at least one word of letters or digits")));
        }
        if terms.iter().all(|t| t.excluded) {
            return Err(InvalidValue::new("q", Rule::Format("at least one word to find, not only words to exclude")));
        }
        Ok(Self { terms })
    }

    /// The terms, in the order written.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The terms to find.
    pub fn wanted(&self) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(|t| !t.excluded)
    }

    /// The terms to exclude.
    pub fn excluded(&self) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(|t| t.excluded)
    }

    /// Whether a document matches: every wanted term occurs in some field and no excluded
    /// term occurs in any. Each field is a list of folded words in a row (a phrase never
    /// spans two fields).
    pub fn matches(&self, fields: &[Vec<&str>]) -> bool {
        let occurs = |term: &Term| fields.iter().any(|f| term.occurrences(f) > 0);
        self.wanted().all(occurs) && !self.excluded().any(occurs)
    }

    /// A relevance score for a matching document whose fields come with weights: the
    /// weighted occurrences of the wanted terms, each divided by the length of its field
    /// (a word in a short subject counts more than the same word in a long thread).
    pub fn score(&self, fields: &[(f64, Vec<&str>)]) -> f64 {
        let mut score = 0.0;
        for term in self.wanted() {
            for (weight, words) in fields {
                let hits = term.occurrences(words) as f64;
                if hits > 0.0 {
                    score += weight * hits / (1.0 + (words.len() as f64).ln_1p());
                }
            }
        }
        score
    }

    /// Where the wanted terms occur in `text`: character ranges over whole words, sorted
    /// and not overlapping.
    pub fn highlights(&self, text: &str) -> Vec<(usize, usize)> {
        let found = words(text);
        let folded: Vec<&str> = found.iter().map(|w| w.folded.as_str()).collect();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for term in self.wanted() {
            for at in 0..folded.len() {
                if term.matches_at(&folded, at) {
                    let last = at + term.words.len() - 1;
                    ranges.push((found[at].start, found[last].end));
                }
            }
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }

    /// How many different wanted terms occur in `text`.
    pub fn terms_found_in(&self, text: &str) -> usize {
        let found = words(text);
        let folded: Vec<&str> = found.iter().map(|w| w.folded.as_str()).collect();
        self.wanted().filter(|t| t.occurrences(&folded) > 0).count()
    }
}

impl fmt::Display for SearchQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if term.excluded {
                f.write_str("-")?;
            }
            let words = term.words.join(" ");
            if term.prefix && term.words.len() == 1 {
                f.write_str(&words)?;
            } else {
                write!(f, "\"{words}\"")?;
                if term.prefix {
                    f.write_str("*")?;
                }
            }
        }
        Ok(())
    }
}

/// A snippet of a text and where the query's words are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// Plain text: a window of the original text (line breaks and tabs as spaces), with `…`
    /// where it was cut.
    pub text: String,
    /// `[start, end)` ranges of the snippet to highlight, in Unicode scalar values (not
    /// bytes, not UTF-16 units).
    pub highlights: Vec<(usize, usize)>,
}

/// The snippet of `text` around the first place `query` occurs, at most about `width`
/// characters; `None` when no wanted term occurs in it.
///
/// ```
/// use supportdesk_domain::search::{snippet, SearchQuery};
/// let q = SearchQuery::parse("kettle").unwrap();
/// let s = snippet(&q, "The blue Kettle arrived broken", 80).unwrap();
/// assert_eq!(s.text, "The blue Kettle arrived broken");
/// assert_eq!(s.highlights, [(9, 15)]);
/// ```
pub fn snippet(query: &SearchQuery, text: &str, width: usize) -> Option<Snippet> {
    let ranges = query.highlights(text);
    let first = *ranges.first()?;
    let chars: Vec<char> = text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    let (mut from, mut to) = (0, chars.len());
    if chars.len() > width {
        // A third of the window before the first match, the rest after; moved to word
        // boundaries so no word is cut.
        from = first.0.saturating_sub(width / 3);
        to = (from + width).min(chars.len()).max(first.1);
        while from > 0 && from < first.0 && is_word_char(chars[from - 1]) {
            from += 1;
        }
        while to < chars.len() && to > first.1 && is_word_char(chars[to]) {
            to -= 1;
        }
    }
    let window: String = chars[from..to].iter().collect();
    let leading = window.len() - window.trim_start().len();
    let leading = window[..leading].chars().count();
    let body = window.trim();
    let mut text = String::new();
    let shift = from + leading;
    let mut offset = 0;
    if from > 0 {
        text.push('…');
        offset = 1;
    }
    text.push_str(body);
    let body_chars = body.chars().count();
    if to < chars.len() {
        text.push('…');
    }
    let highlights = ranges
        .into_iter()
        .filter(|(start, end)| *start >= shift && *end <= shift + body_chars)
        .map(|(start, end)| (start - shift + offset, end - shift + offset))
        .collect();
    Some(Snippet { text, highlights })
}

/// A lookup in the customer directory (`GET /admin/customers?q=`): a customer matches when
/// the folded words of `q` begin one of the words of their name and continue it in order
/// ("ale" and "alex cu" find "Alex Customer", "müll" finds "Jana Müller"), or when `q`
/// (in lower case) begins their email address.
///
/// ```
/// use supportdesk_domain::search::{directory_email_key, directory_name_key, DirectoryQuery};
/// let q = DirectoryQuery::parse("Mull").unwrap();
/// assert!(q.matches(&directory_name_key("Jana Müller"), &directory_email_key(Some("jana@example.com"))));
/// let q = DirectoryQuery::parse("JANA@EX").unwrap();
/// assert!(q.matches(&directory_name_key("J. M."), &directory_email_key(Some("jana@example.com"))));
/// assert!(!q.matches(&directory_name_key("Jana"), &directory_email_key(None)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryQuery {
    name: String,
    email: String,
}

impl DirectoryQuery {
    /// The longest `q`, in characters after trimming.
    pub const MAX_CHARS: usize = 200;

    /// Parses `q`: 1 to [`Self::MAX_CHARS`] characters after trimming.
    ///
    /// # Errors
    ///
    /// [`Rule::Length`] on `q`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = raw.trim();
        if !(1..=Self::MAX_CHARS).contains(&text.chars().count()) {
            return Err(InvalidValue::new("q", Rule::Length { min: 1, max: Self::MAX_CHARS }));
        }
        Ok(Self { name: index_text(text), email: text.to_lowercase() })
    }

    /// What a name key must begin with, or hold right after a space; empty when `q` has no
    /// letter or digit (then no name matches).
    pub fn name_prefix(&self) -> &str {
        &self.name
    }

    /// What an email key must begin with.
    pub fn email_prefix(&self) -> &str {
        &self.email
    }

    /// Whether a customer with these keys ([`directory_name_key`], [`directory_email_key`])
    /// matches.
    pub fn matches(&self, name_key: &str, email_key: &str) -> bool {
        let name = !self.name.is_empty()
            && (name_key.starts_with(&self.name)
                || name_key.match_indices(' ').any(|(at, _)| name_key[at + 1..].starts_with(&self.name)));
        name || email_key.starts_with(&self.email)
    }
}

/// A customer's name as the directory compares it: [`index_text`].
pub fn directory_name_key(name: &str) -> String {
    index_text(name)
}

/// A customer's email as the directory compares it: lower case; empty without one.
pub fn directory_email_key(email: Option<&str>) -> String {
    email.map(str::to_lowercase).unwrap_or_default()
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn q(raw: &str) -> SearchQuery {
        SearchQuery::parse(raw).unwrap()
    }

    fn fields(texts: &[String]) -> Vec<Vec<&str>> {
        texts.iter().map(|t| t.split(' ').filter(|w| !w.is_empty()).collect()).collect()
    }

    fn matches(query: &str, texts: &[&str]) -> bool {
        let indexed: Vec<String> = texts.iter().map(|t| index_text(t)).collect();
        q(query).matches(&fields(&indexed))
    }

    #[test]
    fn words_match_by_prefix_whatever_the_case_and_accents() {
        assert!(matches("ket", &["The blue Kettle"]));
        assert!(matches("KETTLE", &["the blue kettle"]));
        assert!(matches("cafe", &["Café au lait"]));
        assert!(matches("café", &["CAFE AU LAIT"]));
        assert!(matches("hauptstrasse", &["Hauptstraße 1"]));
        assert!(matches("STRASSE", &["Straße"]));
        assert!(matches("straße", &["strasse"]));
        assert!(!matches("kettles", &["kettle"]), "a longer word is not a prefix");
        assert!(!matches("ettle", &["kettle"]), "words match from their start only");
    }

    #[test]
    fn every_word_must_occur_in_some_field() {
        assert!(matches("blue kettle", &["blue box", "a kettle"]));
        assert!(!matches("blue kettle", &["blue box", "a teapot"]));
    }

    #[test]
    fn a_phrase_matches_its_words_in_a_row_exactly() {
        assert!(matches("\"arrived broken\"", &["It arrived broken."]));
        assert!(!matches("\"arrived broken\"", &["broken, it arrived"]));
        assert!(!matches("\"arrived brok\"", &["it arrived broken"]), "a phrase's words are whole");
        assert!(!matches("\"arrived broken\"", &["it arrived", "broken"]), "not across fields");
    }

    #[test]
    fn an_excluded_word_removes_the_document() {
        assert!(matches("kettle -refund", &["kettle", "replacement"]));
        assert!(!matches("kettle -refund", &["kettle", "I want a refund"]));
        assert!(!matches("kettle -\"want a\"", &["kettle", "I want a refund"]));
        assert!(matches("kettle -\"a want\"", &["kettle", "I want a refund"]));
    }

    #[test]
    fn a_word_with_punctuation_is_a_phrase_with_a_prefix_at_the_end() {
        assert!(matches("ORD-12", &["ORD-1234"]));
        assert!(matches("alex@example.c", &["alex@example.com"]));
        assert!(!matches("ORD-12", &["ORD 9 12"]));
    }

    #[test]
    fn bad_queries_are_refused_with_the_rule() {
        assert_eq!(SearchQuery::parse("").unwrap_err().rule, Rule::Length { min: 1, max: 200 });
        assert_eq!(SearchQuery::parse(&"a".repeat(201)).unwrap_err().rule, Rule::Length { min: 1, max: 200 });
        assert!(matches!(SearchQuery::parse("-a -b").unwrap_err().rule, Rule::Format(_)));
        assert!(matches!(SearchQuery::parse("%% ... --").unwrap_err().rule, Rule::Format(_)));
        let many = (0..17).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert_eq!(SearchQuery::parse(&many).unwrap_err().rule, Rule::TooMany { max: 16 });
        assert_eq!(SearchQuery::parse("a b").unwrap().terms().len(), 2);
    }

    #[test]
    fn a_lone_dash_and_an_unclosed_quote_are_read_sensibly() {
        let query = q("kettle - \"arrived broken");
        assert_eq!(query.terms().len(), 2);
        assert!(query.terms().iter().all(|t| !t.excluded()));
        assert_eq!(query.terms()[1].words(), ["arrived", "broken"]);
        assert!(!query.terms()[1].prefix());
    }

    #[test]
    fn highlights_count_characters_not_bytes() {
        let query = q("kettle");
        let s = snippet(&query, "Ünïcödé kettle", 80).unwrap();
        assert_eq!(s.highlights, [(8, 14)]);
        let chars: Vec<char> = s.text.chars().collect();
        assert_eq!(chars[8..14].iter().collect::<String>(), "kettle");
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_match_with_ellipses() {
        let text = format!("{} the kettle arrived broken {}", "intro ".repeat(40), "outro ".repeat(40));
        let query = q("kettle");
        let s = snippet(&query, &text, 60).unwrap();
        assert!(s.text.starts_with('…') && s.text.ends_with('…'), "{}", s.text);
        assert!(s.text.chars().count() <= 62);
        let (start, end) = s.highlights[0];
        let chars: Vec<char> = s.text.chars().collect();
        assert_eq!(chars[start..end].iter().collect::<String>(), "kettle");
    }

    #[test]
    fn highlights_cover_whole_words_and_phrases() {
        let query = q("ket \"arrived broken\"");
        assert_eq!(query.highlights("Kettle arrived broken"), [(0, 6), (7, 21)]);
        assert_eq!(query.highlights("nothing here"), []);
    }

    #[test]
    fn the_query_prints_in_its_own_syntax() {
        assert_eq!(
            q(r#"Blue "Arrived Broken" -Réfund ORD-12"#).to_string(),
            r#"blue "arrived broken" -refund "ord 12"*"#
        );
    }

    proptest::proptest! {
        #[test]
        fn folding_twice_changes_nothing(word in "\\PC{0,30}") {
            let once = fold(&word);
            proptest::prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn every_word_of_a_text_finds_the_text_by_any_prefix(text in "[a-zA-Zéüß ,.-]{1,60}", cut in 1usize..8) {
            let indexed = index_text(&text);
            for word in words(&text) {
                let prefix: String = word.folded.chars().take(cut).collect();
                let query = SearchQuery::parse(&prefix).unwrap();
                proptest::prop_assert!(query.matches(&fields(std::slice::from_ref(&indexed))), "{prefix} in {text}");
                let highlights = query.highlights(&text);
                proptest::prop_assert!(highlights.contains(&(word.start, word.end)));
            }
        }
    }
}
