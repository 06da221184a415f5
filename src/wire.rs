//! Events on the wire: the JSON that jetfeed and the Go example service
//! exchange on `TWITTERCLONE.<messageType>`, decoded tolerantly and cleaned
//! once, here, of what can never be text (`sanitize::text`), before any of
//! it reaches the rest of the app. How it is shown is the view's business.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::sanitize;

/// The kinds of event on the stream. `TweetUnliked` is jetfeed's addition;
/// the Go service never sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    TweetCreated,
    TweetLiked,
    TweetUnliked,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [Self::TweetCreated, Self::TweetLiked, Self::TweetUnliked];

    /// The `messageType` value, also the last token of the subject.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TweetCreated => "tweet_created",
            Self::TweetLiked => "tweet_liked",
            Self::TweetUnliked => "tweet_unliked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The subject events of this kind are published on, in `stream`.
    pub fn subject(self, stream: &str) -> String {
        format!("{stream}.{self}")
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event, decoded and cleaned: its strings hold no control character
/// but the line break and the tab, and no escape sequence. They are shown
/// through `app::glyphs::display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The tweet's id: the new tweet for `tweet_created`, the liked one otherwise.
    pub id: String,
    /// The tweet's text; empty for likes.
    pub message: String,
    pub date: DateTime<FixedOffset>,
    /// Who wrote the tweet, or who liked it. Empty for an anonymous like.
    pub author: String,
}

impl Event {
    /// A new tweet by `author`, dated `at`.
    pub fn tweet(id: String, message: String, author: String, at: DateTime<Utc>) -> Self {
        Self {
            kind: EventKind::TweetCreated,
            id,
            message,
            date: at.fixed_offset(),
            author,
        }
    }

    /// A like or an unlike (`kind`) of tweet `id` by `author` (empty:
    /// anonymous, as the Go service sends them), dated `at`.
    pub fn like(kind: EventKind, id: String, author: String, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            id,
            message: String::new(),
            date: at.fixed_offset(),
            author,
        }
    }

    /// The subject this event is published on, in `stream`.
    pub fn subject(&self, stream: &str) -> String {
        self.kind.subject(stream)
    }

    /// The JSON the Go service reads: its five fields, in its order.
    pub fn encode(&self) -> Vec<u8> {
        let out = OutEvent {
            message_type: self.kind.as_str(),
            id: &self.id,
            message: &self.message,
            date: format_date(&self.date),
            author: &self.author,
        };
        // Serializing a struct of strings cannot fail.
        serde_json::to_vec(&out).unwrap_or_default()
    }
}

/// RFC 3339 as Go's `time.Time` marshals it (RFC3339Nano): fractional
/// seconds without trailing zeros, `Z` for UTC.
pub fn format_date(date: &DateTime<FixedOffset>) -> String {
    let full = date.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // "2024-03-05T13:08:00.500000000Z" -> "2024-03-05T13:08:00.5Z"
    let Some(dot) = full.find('.') else {
        return full;
    };
    let zone_at = full[dot..]
        .find(['Z', '+', '-'])
        .map_or(full.len(), |i| dot + i);
    let digits = full[dot + 1..zone_at].trim_end_matches('0');
    let frac = if digits.is_empty() {
        String::new()
    } else {
        format!(".{digits}")
    };
    format!("{}{frac}{}", &full[..dot], &full[zone_at..])
}

/// Why an event could not be used. Shown in logs; counted in the status bar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not a JSON event object: {0}")]
    Json(String),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event has no id")]
    MissingId,
    #[error("event id longer than {MAX_ID_BYTES} bytes")]
    IdTooLong,
    #[error("bad date {0:?}")]
    Date(String),
}

#[derive(Serialize)]
struct OutEvent<'a> {
    #[serde(rename = "messageType")]
    message_type: &'a str,
    id: &'a str,
    message: &'a str,
    date: String,
    author: &'a str,
}

/// The fields as they are in the payload, exactly as stored: borrowed
/// unless they hold escapes. Not cleaned: `decode` cleans them.
///
/// Read as Go's `encoding/json` reads the example's `Event` struct: a key
/// names a field whatever its case (`"MessageType"`, `"ID"`; Go's case
/// folding also takes `ſ` for `s` and the Kelvin sign for `k`), the last
/// of duplicate keys wins, `null` leaves a field empty, other keys are
/// ignored.
#[derive(Default)]
pub struct Fields<'a> {
    pub message_type: Cow<'a, str>,
    pub id: Cow<'a, str>,
    pub message: Cow<'a, str>,
    pub date: Cow<'a, str>,
    pub author: Cow<'a, str>,
}

impl<'a> Fields<'a> {
    /// The field `key` names, as Go's `encoding/json` matches it; `None`
    /// for a key it ignores.
    fn named(&mut self, key: &str) -> Option<&mut Cow<'a, str>> {
        Some(match field_named(key)? {
            0 => &mut self.message_type,
            1 => &mut self.id,
            2 => &mut self.message,
            3 => &mut self.date,
            _ => &mut self.author,
        })
    }
}

/// The field a key names, as Go's `encoding/json` matches it.
fn field_named(key: &str) -> Option<usize> {
    const NAMES: [&str; 5] = ["messagetype", "id", "message", "date", "author"];
    // Keys as the Go service and jetfeed write them, and any other ASCII
    // spelling, are matched a byte at a time.
    match key {
        "messageType" => return Some(0),
        "id" => return Some(1),
        "message" => return Some(2),
        "date" => return Some(3),
        "author" => return Some(4),
        _ if key.is_ascii() => {
            return NAMES.iter().position(|name| key.eq_ignore_ascii_case(name));
        }
        _ => {}
    }
    // Go folds each rune with unicode.SimpleFold: for these ASCII names,
    // only ASCII letters, the long s and the Kelvin sign fold onto them.
    let fold = |c: char| match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    NAMES.iter().position(|name| {
        let mut chars = key.chars();
        name.chars().all(|n| chars.next().map(fold) == Some(n)) && chars.next().is_none()
    })
}

impl<'de: 'a, 'a> Deserialize<'de> for Fields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        #[derive(Deserialize)]
        struct Key<'a>(#[serde(borrow)] Cow<'a, str>);
        struct Text<'a>(Cow<'a, str>);
        impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                nullable(d).map(Text)
            }
        }
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Fields<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Fields<'a>, M::Error> {
                let mut out = Fields::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let Some(field) = out.named(&key) else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    };
                    // The last of duplicate keys wins, as in Go.
                    let Text(value) = map.next_value::<Text<'de>>()?;
                    *field = value;
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// The payload's fields exactly as stored, for `tail --json`; `None` if it
/// is not a JSON event object.
pub fn fields(payload: &[u8]) -> Option<Fields<'_>> {
    read_fields(payload).ok()
}

/// The payload's fields: by `plain_fields` when it can, by serde_json
/// otherwise. Both read every payload the same way; the first is the fast
/// path for the events every producer writes (a whole decode takes about
/// half the time with it).
fn read_fields(payload: &[u8]) -> Result<Fields<'_>, serde_json::Error> {
    match plain_fields(payload) {
        Some(fields) => Ok(fields),
        None => serde_json::from_slice(payload),
    }
}

/// The fields of an event written plainly: one JSON object of string
/// values, none with an escape, as the Go service and jetfeed write them.
/// `None` for anything else (an escape, a `null`, a number, a nested value,
/// a control character, bytes that are not UTF-8, a malformed object),
/// which serde_json then reads or refuses.
fn plain_fields(payload: &[u8]) -> Option<Fields<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    if let Some(fields) = written_in_order(text) {
        return Some(fields);
    }
    let b = text.as_bytes();
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while b
            .get(*at)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            *at += 1;
        }
    };
    // A string without escapes or control characters, from the quote at `at`.
    let string = |at: &mut usize| -> Option<&str> {
        if b.get(*at) != Some(&b'"') {
            return None;
        }
        let start = *at + 1;
        let end = start + string_end(&b[start..])?;
        if b[end] != b'"' {
            return None;
        }
        *at = end + 1;
        // Both ends sit on ASCII quotes: char boundaries.
        Some(&text[start..end])
    };
    let mut out = Fields::default();
    skip_ws(&mut at);
    if b.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    skip_ws(&mut at);
    if b.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            skip_ws(&mut at);
            let key = string(&mut at)?;
            skip_ws(&mut at);
            if b.get(at) != Some(&b':') {
                return None;
            }
            at += 1;
            skip_ws(&mut at);
            let value = string(&mut at)?;
            // The last of duplicate keys wins, as in Go.
            if let Some(field) = out.named(key) {
                *field = Cow::Borrowed(value);
            }
            skip_ws(&mut at);
            match b.get(at) {
                Some(b',') => at += 1,
                Some(b'}') => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    skip_ws(&mut at);
    (at == b.len()).then_some(out)
}

/// The fields of an event exactly as the Go service and jetfeed write it:
/// the five keys in their order, no space, plain strings. Read by matching
/// the keys whole; `None` for anything else, which `plain_fields` reads
/// key by key.
fn written_in_order(text: &str) -> Option<Fields<'_>> {
    const KEYS: [&[u8]; 5] = [
        b"{\"messageType\":\"",
        b"\",\"id\":\"",
        b"\",\"message\":\"",
        b"\",\"date\":\"",
        b"\",\"author\":\"",
    ];
    let b = text.as_bytes();
    let mut values = [""; 5];
    let mut at = 0;
    for (key, value) in KEYS.iter().zip(&mut values) {
        if !b[at..].starts_with(key) {
            return None;
        }
        at += key.len();
        let end = at + string_end(&b[at..])?;
        if b[end] != b'"' {
            return None;
        }
        // Both ends sit on ASCII quotes: char boundaries.
        *value = &text[at..end];
        // The closing quote starts the next key, or the end.
        at = end;
    }
    if &b[at..] != b"\"}" {
        return None;
    }
    let [message_type, id, message, date, author] = values.map(Cow::Borrowed);
    Some(Fields {
        message_type,
        id,
        message,
        date,
        author,
    })
}

/// Where a JSON string's plain run ends in `b`: the first quote,
/// backslash or control character, `None` if there is none. Eight bytes at
/// a time: a byte equal to the quote or the backslash is a zero byte after
/// an XOR, and a zero byte or one under 0x20 shows in the top bit of
/// `x - 0x01..` (or `x - 0x20..`) where `x` lacks it. A borrow can mark a
/// byte above a true match, never below one, so the lowest mark is exact.
fn string_end(b: &[u8]) -> Option<usize> {
    use crate::swar::splat;
    const ONES: u64 = splat(1);
    let (words, rest) = crate::swar::words(b);
    for (n, x) in words.enumerate() {
        let quote = x ^ splat(b'"');
        let slash = x ^ splat(b'\\');
        let marks = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(splat(0x20)) & !x);
        let marks = marks & splat(0x80);
        if marks != 0 {
            return Some(n * 8 + (marks.trailing_zeros() / 8) as usize);
        }
    }
    let len = rest
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    Some(b.len() - rest.len() + len)
}

/// Go writes `null` for nothing in some hand-rolled producers; read it as "".
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'de>>::deserialize(d)?
        .map(|t| t.0)
        .unwrap_or_default())
}

/// The longest id an event may carry: four times a UUID, the longest id
/// any producer of this format makes. A longer one is a bad event, so that
/// likes waiting for their tweet stay small.
pub const MAX_ID_BYTES: usize = 144;

/// Longest error detail kept from untrusted input.
const DETAIL_MAX: usize = 64;

/// Decodes one event received on `subject`. Unknown fields are ignored; a
/// missing `messageType` is taken from the subject's last token.
pub fn decode(subject: &str, payload: &[u8]) -> Result<Event, DecodeError> {
    let raw: Fields = read_fields(payload).map_err(|e| {
        // serde_json's messages quote no input beyond a short token.
        DecodeError::Json(truncate(&sanitize::line(&e.to_string()), DETAIL_MAX))
    })?;
    let type_name = if raw.message_type.is_empty() {
        subject.rsplit('.').next().unwrap_or_default()
    } else {
        raw.message_type.as_ref()
    };
    let kind = EventKind::parse(type_name).ok_or_else(|| {
        DecodeError::UnknownType(truncate(&sanitize::line(type_name), DETAIL_MAX))
    })?;
    let id = sanitize::line(&raw.id).trim().to_owned();
    if id.is_empty() {
        return Err(DecodeError::MissingId);
    }
    if id.len() > MAX_ID_BYTES {
        return Err(DecodeError::IdTooLong);
    }
    let date = parse_date(raw.date.trim())
        .ok_or_else(|| DecodeError::Date(truncate(&sanitize::line(&raw.date), DETAIL_MAX)))?;
    Ok(Event {
        kind,
        id,
        message: sanitize::text(&raw.message).into_owned(),
        date,
        author: sanitize::text(&raw.author).trim().to_owned(),
    })
}

/// An RFC 3339 date, as chrono reads one. The form every producer of
/// this format writes (`2024-03-05T14:07:09.123456789+01:00`, or with `Z`,
/// with fewer digits or none after the seconds) is read here directly;
/// anything else, chrono reads or refuses.
fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    plain_date(s.as_bytes()).or_else(|| DateTime::parse_from_rfc3339(s).ok())
}

/// `YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|+HH:MM|-HH:MM)` with a real date, a
/// second under 60 and an offset under a day; `None` for anything else.
fn plain_date(b: &[u8]) -> Option<DateTime<FixedOffset>> {
    let number = |at: usize, len: usize| -> Option<u32> {
        b.get(at..at + len)?.iter().try_fold(0u32, |n, &c| {
            let d = c.wrapping_sub(b'0');
            (d < 10).then(|| n * 10 + u32::from(d))
        })
    };
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 2)?,
        number(8, 2)?,
    )?;
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    if second > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = number(at + 1, digits)? * 10u32.pow(9 - digits as u32);
        at += 1 + digits;
    }
    let offset = match b.get(at..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, 2)?, number(at + 4, 2)?);
            if minutes > 59 {
                return None;
            }
            let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let offset = FixedOffset::east_opt(offset)?;
    date.and_time(time).and_local_timezone(offset).single()
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::is_one_line;

    // Exactly what the Go service publishes: time.Time with nanoseconds and a
    // zone offset, likes with empty message and author.
    const GO_TWEET: &str = r#"{"messageType":"tweet_created","id":"6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e","message":"hello from go","date":"2024-03-05T14:07:09.123456789+01:00","author":"gopher"}"#;
    const GO_LIKE: &str = r#"{"messageType":"tweet_liked","id":"6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e","message":"","date":"2024-03-05T13:08:00.5Z","author":""}"#;

    #[test]
    fn decodes_the_go_services_tweet() {
        let e = decode("TWITTERCLONE.tweet_created", GO_TWEET.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::TweetCreated);
        assert_eq!(e.id, "6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e");
        assert_eq!(e.message, "hello from go");
        assert_eq!(e.author, "gopher");
        assert_eq!(e.date.timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(e.date.offset().local_minus_utc(), 3600);
        assert_eq!(
            e.date.to_utc().to_rfc3339_opts(SecondsFormat::Nanos, true),
            "2024-03-05T13:07:09.123456789Z"
        );
    }

    #[test]
    fn decodes_the_go_services_anonymous_like() {
        let e = decode("TWITTERCLONE.tweet_liked", GO_LIKE.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::TweetLiked);
        assert_eq!(e.author, "");
        assert_eq!(e.message, "");
        assert_eq!(e.date.timestamp_subsec_millis(), 500);
    }

    #[test]
    fn encodes_what_it_decodes_byte_for_byte() {
        for json in [GO_TWEET, GO_LIKE] {
            let e = decode("TWITTERCLONE.x", json.as_bytes()).unwrap();
            assert_eq!(String::from_utf8(e.encode()).unwrap(), json);
        }
    }

    #[test]
    fn dates_are_written_as_go_writes_them() {
        let d = |s: &str| format_date(&DateTime::parse_from_rfc3339(s).unwrap());
        assert_eq!(
            d("2024-03-05T13:08:00.500000000Z"),
            "2024-03-05T13:08:00.5Z"
        );
        assert_eq!(d("2024-03-05T13:08:00Z"), "2024-03-05T13:08:00Z");
        assert_eq!(
            d("2024-03-05T13:08:00.000000001-07:00"),
            "2024-03-05T13:08:00.000000001-07:00"
        );
        assert_eq!(
            d("2024-03-05T13:08:00.120+05:30"),
            "2024-03-05T13:08:00.12+05:30"
        );
    }

    #[test]
    fn encoded_field_names_are_the_go_services() {
        let e = decode("S.tweet_created", GO_TWEET.as_bytes()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&e.encode()).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["author", "date", "id", "message", "messageType"]);
    }

    #[test]
    fn unknown_fields_are_ignored_and_type_comes_from_subject() {
        let json = r#"{"id":"t1","message":"m","date":"2024-01-01T00:00:00Z","author":"a","extra":{"x":[1,2]}}"#;
        let e = decode("TWITTERCLONE.tweet_liked", json.as_bytes()).unwrap();
        assert_eq!(e.kind, EventKind::TweetLiked);
    }

    #[test]
    fn null_fields_read_as_empty() {
        let json = r#"{"messageType":"tweet_liked","id":"t1","message":null,"date":"2024-01-01T00:00:00Z","author":null}"#;
        let e = decode("S.tweet_liked", json.as_bytes()).unwrap();
        assert_eq!((e.message.as_str(), e.author.as_str()), ("", ""));
    }

    #[test]
    fn bad_events_are_errors_not_panics() {
        let d = |p: &str| decode("TWITTERCLONE.tweet_created", p.as_bytes());
        assert!(matches!(d("not json"), Err(DecodeError::Json(_))));
        assert!(matches!(d("[1,2]"), Err(DecodeError::Json(_))));
        assert!(matches!(d(r#"{"id":5}"#), Err(DecodeError::Json(_))));
        assert_eq!(
            d(r#"{"messageType":"tweet_deleted","id":"x","date":"2024-01-01T00:00:00Z"}"#),
            Err(DecodeError::UnknownType("tweet_deleted".into()))
        );
        assert_eq!(
            d(r#"{"id":"","date":"2024-01-01T00:00:00Z"}"#),
            Err(DecodeError::MissingId)
        );
        assert!(matches!(
            d(r#"{"id":"x","date":"yesterday"}"#),
            Err(DecodeError::Date(_))
        ));
        assert!(matches!(d(r#"{"id":"x"}"#), Err(DecodeError::Date(_))));
        assert!(decode("S.tweet_created", &[0xff, 0xfe, b'{']).is_err());
    }

    /// Each payload, and the fields Go's encoding/json read from it into
    /// the example's Event struct: printed by go1.19.8 (Debian 12's
    /// golang-go) with `json.Unmarshal` then `json.Marshal`, no error for
    /// any of them.
    #[test]
    fn keys_are_read_as_go_reads_them() {
        let cases = [
            (
                r#"{"MessageType":"tweet_created","ID":"a","Message":"m","DATE":"2024-01-01T00:00:00Z","AUTHOR":"x"}"#,
                ("tweet_created", "a", "m", "x"),
            ),
            (
                r#"{"messageType":"tweet_created","id":"first","id":"second","date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_created", "second", "", ""),
            ),
            (
                r#"{"messageType":"tweet_created","id":"lower","ID":"upper","Id":"mixed","date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_created", "mixed", "", ""),
            ),
            (
                r#"{"meſſageType":"tweet_liked","id":"x","meſſage":"long s","date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_liked", "x", "long s", ""),
            ),
            (
                r#"{"messageType":"tweet_created","id":"x","message":null,"author":null,"date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_created", "x", "", ""),
            ),
            (
                r#"{"messageType":"tweet_created","id":"x","extra":{"nested":[1,2]},"message_type":"tweet_liked","date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_created", "x", "", ""),
            ),
            (
                r#"{"messageType":"tweet_created","id":"x","message":"first","MESSAGE":"last","date":"2024-01-01T00:00:00Z"}"#,
                ("tweet_created", "x", "last", ""),
            ),
        ];
        for (payload, (kind, id, message, author)) in cases {
            let e =
                decode("S.other", payload.as_bytes()).unwrap_or_else(|e| panic!("{payload}: {e}"));
            assert_eq!(
                (
                    e.kind.as_str(),
                    e.id.as_str(),
                    e.message.as_str(),
                    e.author.as_str()
                ),
                (kind, id, message, author),
                "{payload}"
            );
        }
    }

    #[test]
    fn an_id_longer_than_any_real_one_is_a_bad_event() {
        let event = |id: &str| {
            format!(r#"{{"messageType":"tweet_liked","id":"{id}","date":"2024-01-01T00:00:00Z"}}"#)
        };
        let uuid = "6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e";
        assert!(decode("S.x", event(uuid).as_bytes()).is_ok());
        assert!(decode("S.x", event(&"x".repeat(MAX_ID_BYTES)).as_bytes()).is_ok());
        assert_eq!(
            decode("S.x", event(&"x".repeat(10_000)).as_bytes()),
            Err(DecodeError::IdTooLong)
        );
    }

    #[test]
    fn an_error_never_carries_control_characters() {
        let p = "{\"messageType\":\"\u{1b}]0;owned\u{7}x\",\"id\":\"i\",\"date\":\"2024-01-01T00:00:00Z\"}";
        let err = decode("S.x", p.as_bytes()).unwrap_err().to_string();
        assert!(is_one_line(&err), "{err:?}");
    }

    /// Any text, weighted towards what attacks terminals.
    fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "\\PC{0,8}",
            Just("\u{1b}[2J".to_owned()),
            Just("\u{1b}]0;t\u{7}".to_owned()),
            Just("\u{1b}P".to_owned()),
            Just("\u{9b}".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{fe0f}".to_owned()),
            proptest::char::any().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    /// What a terminal did besides printing.
    #[derive(Default)]
    struct Acted(usize);

    impl vt100::Callbacks for Acted {
        fn audible_bell(&mut self, _: &mut vt100::Screen) {
            self.0 += 1;
        }
        fn set_window_title(&mut self, _: &mut vt100::Screen, _: &[u8]) {
            self.0 += 1;
        }
        fn set_window_icon_name(&mut self, _: &mut vt100::Screen, _: &[u8]) {
            self.0 += 1;
        }
        fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], _: &[u8]) {
            self.0 += 1;
        }
        fn unhandled_control(&mut self, _: &mut vt100::Screen, _: u8) {
            self.0 += 1;
        }
        fn unhandled_escape(&mut self, _: &mut vt100::Screen, _: Option<u8>, _: Option<u8>, _: u8) {
            self.0 += 1;
        }
        fn unhandled_csi(
            &mut self,
            _: &mut vt100::Screen,
            _: Option<u8>,
            _: Option<u8>,
            _: &[&[u16]],
            _: char,
        ) {
            self.0 += 1;
        }
        fn unhandled_osc(&mut self, _: &mut vt100::Screen, _: &[&[u8]]) {
            self.0 += 1;
        }
    }

    fn as_tuple<'a>(f: &'a Fields<'a>) -> [&'a str; 5] {
        [&f.message_type, &f.id, &f.message, &f.date, &f.author]
    }

    /// Whatever `plain_fields` reads, serde_json reads the same way.
    fn agrees_with_serde(payload: &[u8]) -> Result<(), String> {
        let Some(plain) = plain_fields(payload) else {
            return Ok(());
        };
        match serde_json::from_slice::<Fields>(payload) {
            Ok(full) if as_tuple(&full) == as_tuple(&plain) => Ok(()),
            Ok(full) => Err(format!(
                "{:?}: plain {:?}, serde {:?}",
                String::from_utf8_lossy(payload),
                as_tuple(&plain),
                as_tuple(&full)
            )),
            Err(e) => Err(format!(
                "{:?}: plain read {:?}, serde refused: {e}",
                String::from_utf8_lossy(payload),
                as_tuple(&plain)
            )),
        }
    }

    #[test]
    fn events_as_producers_write_them_are_read_without_serde() {
        let ours = Event {
            kind: EventKind::TweetCreated,
            id: "x".into(),
            message: "hi".into(),
            date: DateTime::parse_from_rfc3339("2024-03-05T13:08:00Z").unwrap(),
            author: "me".into(),
        }
        .encode();
        for payload in [GO_TWEET.as_bytes(), GO_LIKE.as_bytes(), &ours] {
            let text = std::str::from_utf8(payload).unwrap();
            assert!(written_in_order(text).is_some(), "{text}");
            agrees_with_serde(payload).unwrap();
        }
        // Other orders and spacing are read key by key, still without serde.
        let reordered = r#"{ "id": "x", "author": "me", "messageType": "tweet_liked" }"#;
        assert!(written_in_order(reordered).is_none());
        assert!(plain_fields(reordered.as_bytes()).is_some());
        agrees_with_serde(reordered.as_bytes()).unwrap();
    }

    #[test]
    fn an_event_written_in_order_with_more_after_it_is_read_as_serde_reads_it() {
        for event in [GO_TWEET, GO_LIKE] {
            let body = event.strip_suffix('}').unwrap();
            for tail in [r#","id":"later"}"#, "}x", "} ", "}}", ",}", r#"",}"#, ""] {
                agrees_with_serde(format!("{body}{tail}").as_bytes()).unwrap();
            }
        }
    }

    #[test]
    fn the_plain_reader_agrees_with_serde_or_leaves_it_the_payload() {
        for payload in [
            r#"{}"#,
            r#" { "id" : "a" , "ID":"b" } "#,
            r#"{"id":"a",}"#,
            r#"{"id":"a" "date":"b"}"#,
            r#"{"id":"a"}x"#,
            r#"{"id":"a"}}"#,
            r#"{"id":null}"#,
            r#"{"id":"a\"b"}"#,
            r#"{"\u0069d":"a"}"#,
            "{\"id\":\"tab\tinside\"}",
            r#"{"id":1}"#,
            r#"{"other":{"id":"x"},"id":"a"}"#,
            r#"{"other":"v","id":"a"}"#,
            r#"{"MESSAGETYPE":"tweet_liked","ıd":"a","ſ":"b"}"#,
            r#"{"messageType":"tweet_liked","id":"a","message":"é ✓ 😀","author":"K"}"#,
            "{\"id\":\"a\u{7f}\"}",
            "\u{feff}{\"id\":\"a\"}",
            r#"["id","a"]"#,
            r#"{"id""a"}"#,
            r#"{"id":"a""#,
            r#"{"id":"a"#,
            "",
        ] {
            agrees_with_serde(payload.as_bytes()).unwrap();
        }
        // Bytes that are not UTF-8 inside a string: left to serde_json.
        assert!(plain_fields(b"{\"id\":\"a\xff\"}").is_none());
        // Plain objects with escapes and nulls: left to serde_json too.
        assert!(plain_fields(br#"{"id":"a\"b"}"#).is_none());
        assert!(plain_fields(br#"{"id":null}"#).is_none());
    }

    #[test]
    fn dates_as_producers_write_them_are_read_without_chrono() {
        for date in [
            "2024-03-05T14:07:09.123456789+01:00",
            "2024-03-05T13:08:00.5Z",
            "2024-03-05T13:08:00Z",
            "2024-02-29T23:59:59.000001-09:30",
        ] {
            let plain = plain_date(date.as_bytes()).expect(date);
            let by_chrono = DateTime::parse_from_rfc3339(date).unwrap();
            assert_eq!(plain, by_chrono, "{date}");
            assert_eq!(plain.offset(), by_chrono.offset(), "{date}");
        }
        for date in [
            "2023-02-29T00:00:00Z",
            "2024-03-05t13:08:00Z",
            "2024-03-05T13:08:60Z",
        ] {
            assert!(plain_date(date.as_bytes()).is_none(), "{date}");
        }
    }

    proptest::proptest! {
        /// Dates built from pieces that are mostly right: whenever the
        /// direct reader takes one, chrono reads the same instant and
        /// offset.
        #[test]
        fn a_date_read_directly_is_the_date_chrono_reads(
            year in proptest::sample::select(vec!["2024", "1999", "0000", "9999", "20a4", "202"]),
            month in proptest::sample::select(vec!["01", "02", "12", "13", "00", "1"]),
            day in proptest::sample::select(vec!["01", "28", "29", "30", "31", "32"]),
            t in proptest::sample::select(vec!["T", "t", " ", "X"]),
            time in proptest::sample::select(vec!["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:00"]),
            fraction in proptest::sample::select(vec!["", ".", ".5", ".123456789", ".1234567891", ".00"]),
            zone in proptest::sample::select(vec!["Z", "z", "+01:00", "-09:30", "+23:59", "+24:00", "-00:00", "+0100", "+01:60", ""]),
        ) {
            let date = format!("{year}-{month}-{day}{t}{time}{fraction}{zone}");
            if let Some(plain) = plain_date(date.as_bytes()) {
                let by_chrono = DateTime::parse_from_rfc3339(&date);
                proptest::prop_assert_eq!(Ok(plain), by_chrono, "{}", date);
                let by_chrono = by_chrono.unwrap();
                proptest::prop_assert_eq!(plain.offset(), by_chrono.offset(), "{}", date);
            }
        }

        #[test]
        fn a_plain_strings_end_is_found_as_a_byte_at_a_time_search_finds_it(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![b'"', b'\\', 0x1f, 0x20, 0x21, 0x7f, 0x80, b'a']),
                ],
                0..40,
            )
        ) {
            let by_byte = bytes.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            proptest::prop_assert_eq!(string_end(&bytes), by_byte);
        }

        /// Any event as written with bytes inserted, replaced or removed:
        /// when the plain reader takes it, it reads it as serde_json does.
        #[test]
        fn the_plain_reader_never_reads_a_payload_otherwise_than_serde(
            base in proptest::sample::select(vec![GO_TWEET, GO_LIKE, r#"{"id":"a","ID":"b"}"#]),
            edits in proptest::collection::vec(
                (0usize..200, proptest::sample::select(b" \t\n\"\\:,{}[]0an\x01\x7f\xc3\xa9".to_vec()), 0u8..3),
                0..6,
            ),
        ) {
            let mut payload = base.as_bytes().to_vec();
            for (at, byte, how) in edits {
                let at = at % (payload.len() + 1);
                match how {
                    0 => payload.insert(at, byte),
                    1 if at < payload.len() => payload[at] = byte,
                    _ if at < payload.len() => {
                        payload.remove(at);
                    }
                    _ => {}
                }
            }
            if let Err(e) = agrees_with_serde(&payload) {
                proptest::prop_assert!(false, "{}", e);
            }
        }
    }

    /// A decoded field holds no control but the line break and the tab,
    /// and what the view shows of it is safe by the oracle below.
    fn shown_safely(field: &str) -> bool {
        field
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t')
            && safe_for_a_terminal(&crate::app::glyphs::display(field))
    }

    /// An oracle that shares nothing with the sanitizer's classifier:
    /// Unicode's general category Cc (std's `char::is_control`) and its
    /// Bidi_Control list, then an emulated terminal, which must print the
    /// text on one line, in order, and be asked for nothing else.
    fn safe_for_a_terminal(s: &str) -> bool {
        const BIDI_CONTROL: [char; 12] = [
            '\u{61C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ];
        if s.chars()
            .any(|c| c.is_control() || BIDI_CONTROL.contains(&c))
        {
            return false;
        }
        let size = |n| std::num::NonZeroU16::new(n).unwrap();
        let mut term = vt100::Parser::new_with_callbacks(size(4), size(1000), 0, Acted::default());
        term.process(s.as_bytes());
        let (row, _) = term.screen().cursor_position();
        row == 0 && term.callbacks().0 == 0
    }

    #[test]
    fn the_oracle_tells_attacks_from_text() {
        for bad in [
            "\u{1b}[2J",
            "a\u{7}",
            "x\u{202e}y",
            "\u{9b}31m",
            "l1\nl2",
            "\u{1b}]0;t\u{7}",
        ] {
            assert!(!safe_for_a_terminal(bad), "{bad:?}");
        }
        for good in ["hello", "東京 👋🏽 🏳️‍🌈", "e\u{301}", ""] {
            assert!(safe_for_a_terminal(good), "{good:?}");
        }
    }

    proptest::proptest! {
        // The fuzzing of the decoder and the sanitizer: thousands of cases
        // each on every test run, a few seconds in all.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]


        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = decode("TWITTERCLONE.tweet_created", &bytes);
        }

        /// Structured fuzzing: well-formed events whose strings hold any
        /// characters at all, controls and escapes included. Every one
        /// decodes, and what the view shows of it is safe by an oracle of
        /// its own.
        #[test]
        fn hostile_fields_decode_to_text_a_terminal_only_prints(
            kind in proptest::sample::select(vec!["tweet_created", "tweet_liked", "tweet_unliked"]),
            id in any_text(),
            message in any_text(),
            author in any_text(),
        ) {
            // An id with at least one plain character, so it is not empty
            // once cleaned.
            let id = format!("x{id}");
            let payload = serde_json::json!({
                "messageType": kind, "id": id, "message": message,
                "date": "2024-01-01T00:00:00.5+05:30", "author": author,
            });
            let payload = serde_json::to_vec(&payload).unwrap();
            let e = decode("TWITTERCLONE.tweet_created", &payload);
            proptest::prop_assert!(e.is_ok(), "{:?}", e);
            let e = e.unwrap();
            for field in [&e.id, &e.message, &e.author] {
                proptest::prop_assert!(shown_safely(field), "{field:?}");
            }
        }

        /// Malformed events: missing, empty and wrong fields. Each is an
        /// event or an error, and either way holds nothing a terminal acts on.
        #[test]
        fn malformed_events_are_errors_or_clean_events(
            kind in proptest::sample::select(vec!["tweet_created", "tweet_liked", "", "x\u{1b}[2J"]),
            id in proptest::option::of(any_text()),
            message in proptest::option::of(any_text()),
            author in proptest::option::of(any_text()),
            date in proptest::option::of(proptest::sample::select(vec![
                "2024-01-01T00:00:00Z".to_owned(), "garbage\u{1b}]0;t\u{7}".to_owned(),
                "".to_owned(), "9999-12-31T23:59:59Z".to_owned()])),
        ) {
            let mut obj = serde_json::Map::new();
            obj.insert("messageType".into(), kind.into());
            for (k, v) in [("id", id), ("message", message), ("author", author), ("date", date)] {
                if let Some(v) = v {
                    obj.insert(k.into(), v.into());
                }
            }
            let payload = serde_json::to_vec(&obj).unwrap();
            match decode("TWITTERCLONE.tweet_created", &payload) {
                Ok(e) => {
                    proptest::prop_assert!(!e.id.is_empty());
                    for field in [&e.id, &e.message, &e.author] {
                        proptest::prop_assert!(shown_safely(field), "{field:?}");
                    }
                }
                Err(err) => proptest::prop_assert!(safe_for_a_terminal(&err.to_string()), "{err}"),
            }
        }

        #[test]
        fn decode_encode_round_trips(
            id in "[a-z0-9-]{1,36}",
            message in "\\PC{0,80}",
            author in "\\PC{0,20}",
            secs in 0i64..4_000_000_000,
            nanos in 0u32..1_000_000_000,
            offset_min in -720i32..=720,
        ) {
            let date = DateTime::from_timestamp(secs, nanos).unwrap()
                .with_timezone(&FixedOffset::east_opt(offset_min * 60).unwrap());
            let e = Event {
                kind: EventKind::TweetCreated,
                id: id.clone(),
                message: sanitize::text(&message).into_owned(),
                date,
                author: sanitize::text(&author).trim().to_owned(),
            };
            let back = decode("S.tweet_created", &e.encode()).unwrap();
            proptest::prop_assert_eq!(back, e);
        }
    }
}
