//! The parsers' properties, shared by `properties.rs` (256 cases each, in every `make test`)
//! and `parsers_at_scale.rs` (millions of cases for a time budget, `make fuzz-parsers`):
//! `TicketNumber::parse`, `TicketRef::parse`, `Subject::parse`, `Tag::parse`, `Tags::parse`,
//! `Subject::from_description` and the other text parsers never panic, and what they accept
//! obeys its own rule.

use std::collections::HashSet;

use proptest::prelude::*;
use supportdesk_domain::*;

/// Any characters at all, controls and odd whitespace included.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
        "[ \t\n\u{a0}\u{2003}\u{3000}a-zA-Z0-9@._#-]{0,80}",
        near_limits(),
    ]
}

/// Text whose length is near a limit (3, 32, 80, 200 characters) once trimmed, made of
/// characters of every UTF-8 width, with whitespace a trim or a cut must handle.
pub fn near_limits() -> impl Strategy<Value = String> {
    let length = prop_oneof![0..6usize, 30..35usize, 78..83usize, 198..203usize];
    let char_of_any_width = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('\u{e0}', '\u{ff}'),
        1 => proptest::char::range('\u{4e00}', '\u{4e80}'),
        1 => proptest::char::range('\u{1f600}', '\u{1f64f}'),
        2 => prop_oneof![Just(' '), Just('\t'), Just('\n'), Just('\u{a0}'), Just('\u{3000}'), Just('\u{2028}')],
        1 => prop_oneof![Just('.'), Just('!'), Just('?'), Just('#'), Just('\u{212a}'), Just('\u{130}')],
    ];
    let body = length.prop_flat_map(move |n| proptest::collection::vec(char_of_any_width.clone(), n));
    (body, "[ \t\n]{0,3}", "[ \t\n]{0,3}")
        .prop_map(|(chars, before, after)| format!("{before}{}{after}", String::from_iter(chars)))
}

/// Strings a ticket number parser meets: padded, signed, hashed, overflowing, with digits
/// from other scripts and full-width signs.
pub fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]?#?[0-9]{0,25}[ ]?",
        "[ \t\u{a0}]{0,2}[#\u{ff03}+-]{0,2}0{0,30}[0-9]{0,21}[ \t\u{a0}]{0,2}",
        "[0-9\u{660}-\u{669}\u{ff10}-\u{ff19}\u{6f0}-\u{6f9}]{1,12}",
        any::<u128>().prop_map(|n| n.to_string()),
        (0..40usize, any::<u64>()).prop_map(|(zeros, n)| format!("#{}{n}", "0".repeat(zeros))),
    ]
}

/// Lists of tag candidates: around [`Tags::MAX`] long, with repeats, case and width changes.
pub fn tag_list() -> impl Strategy<Value = Vec<String>> {
    let tag = prop_oneof![
        "[a-z0-9_-]{1,4}",
        "[A-Za-z0-9_ -]{0,34}",
        "[a-zA-Z\u{212a}\u{130}\u{df}\u{3a3}]{1,33}",
        any::<String>(),
    ];
    proptest::collection::vec(tag, 0..=Tags::MAX + 3)
}

/// Valid descriptions, many of them with short words, long words and runs of whitespace,
/// which is where subject generation has to cut.
pub fn description() -> impl Strategy<Value = Description> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 10..400).prop_map(String::from_iter),
        "[a-zA-Z .!?\n\t]{10,400}",
        "[a-z]{1,4}[ \t\n\u{a0}]{1,100}[a-z]{1,150}([ .!?\n]{1,3}[a-z]{1,90}){0,4}",
        "[a-z]{1,3}[.!?]? [a-zA-Z]{70,200}",
        near_limits(),
        // Words of every width, so the 80th character falls anywhere in a word or a space.
        "([a-z\u{e9}\u{4e00}-\u{4e10}\u{1f600}]{1,12}[ \n\u{a0}\u{3000}.!?]{1,2}){1,40}",
    ]
    .prop_filter_map("a valid description", |raw| Description::parse(&raw).ok())
}

/// `TicketNumber::parse` and `TicketRef::parse` never panic; what parses is at least 1 and
/// round-trips through its display form.
pub fn ticket_number(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(number) = TicketNumber::parse(raw) {
        prop_assert!(number.get() >= 1);
        prop_assert_eq!(TicketNumber::parse(&number.to_string()), Ok(number));
        match TicketRef::parse(raw) {
            Ok(TicketRef::Number(n)) => prop_assert_eq!(n, number),
            // 32 digits are a UUID in its simple form first ("00000000000000000000000000000042").
            Ok(TicketRef::Id(_)) => prop_assert!(TicketId::parse(raw).is_ok(), "{raw:?} named by id"),
            Err(error) => prop_assert!(false, "{raw:?} is number {number} but no ticket reference: {error}"),
        }
    } else {
        let _ = TicketRef::parse(raw);
    }
    Ok(())
}

/// Every number parses back from each of its spellings.
pub fn number_round_trip(n: i64) -> Result<(), TestCaseError> {
    prop_assert_eq!(TicketNumber::parse(&n.to_string()).map(TicketNumber::get), Ok(n));
    prop_assert_eq!(TicketNumber::parse(&format!("#{n:06}")).map(TicketNumber::get), Ok(n));
    prop_assert_eq!(TicketNumber::parse(&format!("{n:06}")).map(TicketNumber::get), Ok(n));
    let number = TicketNumber::new(n).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(TicketNumber::parse(&number.to_string()), Ok(number));
    Ok(())
}

/// The text parsers never panic on `raw`; a subject is 3..=200 trimmed characters, a tag
/// `[a-z0-9_-]{1,32}`, an email has an `@` and no whitespace.
pub fn text(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(subject) = Subject::parse(raw) {
        let length = subject.as_str().chars().count();
        prop_assert!((3..=200).contains(&length), "subject of {length} characters");
        prop_assert_eq!(subject.as_str(), subject.as_str().trim());
        prop_assert_eq!(Subject::parse(subject.as_str()), Ok(subject.clone()), "a subject parses as itself");
    }
    if let Ok(tag) = Tag::parse(raw) {
        let tag = tag.as_str();
        prop_assert!((1..=32).contains(&tag.chars().count()), "tag {tag:?}");
        prop_assert!(
            tag.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
            "tag {tag:?}"
        );
    }
    if let Ok(email) = Email::parse(raw) {
        let email = email.as_str();
        prop_assert!(email.contains('@'), "email {email:?}");
        prop_assert!(!email.chars().any(char::is_whitespace), "email {email:?}");
    }
    let _ = Description::parse(raw);
    let _ = MessageBody::parse(raw);
    let _ = ResolutionNote::parse(raw);
    let _ = PersonName::parse(raw);
    let _ = CategoryName::parse(raw);
    let _ = TenantKey::parse(raw);
    let _ = Slug::parse(raw);
    let _ = ExternalRef::parse(raw);
    let _ = ExternalRef::parse_delivery(raw);
    let _ = TicketRef::parse(raw);
    let _ = Status::parse(raw);
    let _ = Priority::parse(raw);
    let _ = Source::parse(raw);
    Ok(())
}

/// `Tags::parse` never panics; what it accepts is at most [`Tags::MAX`] distinct valid tags,
/// in the order first given, and parses back to itself.
pub fn tags(raw: &[String]) -> Result<(), TestCaseError> {
    let Ok(tags) = Tags::parse(raw) else {
        return Ok(());
    };
    let list = tags.as_slice();
    prop_assert!(list.len() <= Tags::MAX, "{} tags", list.len());
    let distinct: HashSet<&str> = list.iter().map(Tag::as_str).collect();
    prop_assert_eq!(distinct.len(), list.len(), "repeated tags in {:?}", list);
    let again: Vec<&str> = list.iter().map(Tag::as_str).collect();
    prop_assert_eq!(Tags::parse(&again), Ok(tags.clone()), "tags parse back to themselves");
    let firsts: Vec<Tag> = raw.iter().filter_map(|r| Tag::parse(r).ok()).fold(Vec::new(), |mut seen, tag| {
        if !seen.contains(&tag) {
            seen.push(tag);
        }
        seen
    });
    prop_assert_eq!(list, firsts.as_slice(), "tags keep the order first given");
    Ok(())
}

/// A subject made from a description is 3 to 80 characters and obeys `Subject::parse`.
pub fn subject_from(description: &Description) -> Result<(), TestCaseError> {
    let subject = Subject::from_description(description);
    let length = subject.as_str().chars().count();
    prop_assert!(
        (3..=80).contains(&length),
        "{length} characters: {:?} from {:?}",
        subject.as_str(),
        description.as_str()
    );
    prop_assert_eq!(Subject::parse(subject.as_str()), Ok(subject.clone()), "the subject obeys its own rule");
    prop_assert!(!subject.as_str().contains('\n'), "a subject is one line: {:?}", subject.as_str());
    Ok(())
}
