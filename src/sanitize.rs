//! The sanitizer: what never reaches the stream or a terminal.
//!
//! `text` is applied where text enters jetfeed (events as they are decoded,
//! what the user types or pastes, a tweet before it is posted): it removes
//! only what can never be text, control characters other than the line
//! break and the tab, and escape sequences whole. Everything else is kept
//! as written: emoji variation selectors, joiners, skin tones, bidi marks.
//! How such text is shown is the view's business (`app::glyphs`).
//!
//! `line` is for text that is shown on one line as it is (error details,
//! log lines, names in a consumer's description): `text`, with line
//! breaks and tabs as spaces and bidi controls removed.

use std::borrow::Cow;

/// What the sanitizer does with one character.
enum Class {
    Keep,
    /// A line break or tab: text, kept by `text`, a space for `line`.
    Space,
    /// A line break in another form: Unicode's line and paragraph
    /// separators (kept by `text`), or a carriage return (`\n` for `text`,
    /// which stores `\r\n` and a lone `\r` as `\n`).
    Break,
    /// A control character that must never reach a terminal.
    Drop,
    /// A formatting character that reorders or hides what follows it:
    /// text, but never shown on one line as it is.
    Format,
    /// Starts an escape sequence whose body is dropped with it.
    Escape,
}

fn classify(c: char) -> Class {
    match c {
        '\n' | '\t' => Class::Space,
        '\r' | '\u{2028}' | '\u{2029}' => Class::Break,
        '\u{1B}' | '\u{90}' | '\u{98}' | '\u{9B}' | '\u{9D}' | '\u{9E}' | '\u{9F}' => Class::Escape,
        '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => Class::Drop,
        // Bidi embeddings, overrides, isolates and marks: they reorder what
        // follows them on the line, including jetfeed's own columns.
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Class::Format,
        // Invisible characters that break width arithmetic or hide text.
        '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' => {
            Class::Format
        }
        '\u{FFF9}'..='\u{FFFB}' => Class::Format,
        _ => Class::Keep,
    }
}

/// Text as jetfeed stores and keeps it: the text written, minus C0 and C1
/// controls other than `\n` and `\t` (a `\r\n` or a lone `\r` becomes
/// `\n`) and whole
/// escape sequences (CSI, OSC, DCS, APC, PM, SOS). Borrows when nothing
/// needs changing.
pub fn text(text: &str) -> Cow<'_, str> {
    clean(text, false)
}

/// Text to show on one line as it is: `text`, with line breaks and tabs as
/// spaces and bidi and invisible formatting characters removed.
pub fn line(text: &str) -> Cow<'_, str> {
    clean(text, true)
}

fn clean(text: &str, one_line: bool) -> Cow<'_, str> {
    // Most text is printable ASCII, checked eight bytes at a time; then
    // a byte at a time, with the line break and the tab that `text` keeps.
    let b = text.as_bytes();
    if printable_ascii(b)
        || b.iter()
            .all(|&b| (0x20..0x7f).contains(&b) || (!one_line && (b == b'\n' || b == b'\t')))
    {
        return Cow::Borrowed(text);
    }
    let kept = |c: char| match classify(c) {
        Class::Keep => true,
        Class::Space | Class::Format => !one_line,
        Class::Break => !one_line && c != '\r',
        Class::Drop | Class::Escape => false,
    };
    if text.chars().all(kept) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match classify(c) {
            Class::Keep => out.push(c),
            Class::Space | Class::Break if one_line => out.push(' '),
            Class::Space | Class::Format => {
                if !one_line {
                    out.push(c);
                }
            }
            // A carriage return is a line break: alone (as terminals paste
            // lines, and old files end them) it becomes `\n`; before `\n`
            // it goes.
            Class::Break if c == '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            Class::Break => out.push(c),
            Class::Drop => {}
            Class::Escape => skip_escape(c, &mut chars),
        }
    }
    Cow::Owned(out)
}

/// True when every byte of `b` is printable ASCII (0x20 to 0x7e). Eight
/// bytes at a time, each byte on its own (no carry crosses a byte): with
/// `y = x & 0x7f`, `y + 0x60` reaches the top bit unless the byte is under
/// 0x20, and `y + 0x01` does when it is 0x7f; a byte with the top bit set
/// (0x80 and over) is caught by `| x`.
fn printable_ascii(b: &[u8]) -> bool {
    use crate::swar::splat;
    let (mut words, rest) = crate::swar::words(b);
    let all = words.all(|x| {
        let y = x & splat(0x7f);
        let not_control = y + splat(0x60);
        let not_delete = !((y + splat(1)) | x) & splat(0x80);
        (not_control & not_delete & splat(0x80)) == splat(0x80)
    });
    all && rest.iter().all(|b| (0x20..0x7f).contains(b))
}

/// Consumes the body of the escape sequence introduced by `intro` (ESC or a
/// C1 introducer), as a terminal would, so none of it is shown either.
fn skip_escape(intro: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let kind = if intro == '\u{1B}' {
        match chars.peek().copied() {
            Some('[') => '\u{9B}',
            Some(']') => '\u{9D}',
            Some('P') => '\u{90}',
            Some('X') => '\u{98}',
            Some('^') => '\u{9E}',
            Some('_') => '\u{9F}',
            // A two-character sequence (ESC 7, ESC c, ...): drop the second
            // character unless it is a control, which is handled on its own.
            Some(c) if !c.is_control() => {
                chars.next();
                return;
            }
            _ => return,
        }
    } else {
        intro
    };
    if intro == '\u{1B}' {
        chars.next();
    }
    if kind == '\u{9B}' {
        // CSI: parameter and intermediate bytes, then one final byte.
        while let Some(&c) = chars.peek() {
            if ('\u{20}'..='\u{3F}').contains(&c) {
                chars.next();
            } else {
                if ('\u{40}'..='\u{7E}').contains(&c) {
                    chars.next();
                }
                return;
            }
        }
        return;
    }
    // String sequences run to BEL, ST (ESC \ or U+9C), or the end of text.
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9C}' => return,
            '\u{1B}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// True when `text` holds nothing `text` would remove.
pub fn is_clean(text: &str) -> bool {
    text.chars().all(|c| match classify(c) {
        Class::Keep | Class::Space | Class::Format => true,
        Class::Break => c != '\r',
        Class::Drop | Class::Escape => false,
    })
}

/// True when `text` holds no control or formatting character at all.
pub fn is_one_line(text: &str) -> bool {
    text.chars().all(|c| matches!(classify(c), Class::Keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn escape_sequences_go_whole() {
        for clean in [text, line] {
            assert_eq!(clean("a\u{1b}[2Jb"), "ab");
            assert_eq!(clean("a\u{1b}[38;5;196mred\u{1b}[0m"), "ared");
            assert_eq!(clean("x\u{1b}]0;title\u{7}y"), "xy");
            assert_eq!(
                clean("x\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
                "xlinky"
            );
            assert_eq!(clean("x\u{1b}Pq#0;2;0;0;0\u{1b}\\y"), "xy");
            assert_eq!(clean("x\u{9b}31mred"), "xred");
            assert_eq!(clean("x\u{9d}0;t\u{9c}y"), "xy");
            assert_eq!(clean("bell\u{7}\u{8}\u{0}"), "bell");
            assert_eq!(clean("esc at end\u{1b}"), "esc at end");
            assert_eq!(clean("\u{1b}c reset"), " reset");
        }
    }

    #[test]
    fn text_keeps_what_was_written() {
        for s in [
            "I \u{2764}\u{FE0F} NATS \u{270C}\u{FE0F}",
            "rainbow \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} flag",
            "one\ntwo\n\nthree",
            "tab\tseparated",
            "hi \u{1F44B}\u{1F3FD}",
            "\u{5E9}\u{5DC}\u{200F}\u{5D5}\u{5DD}",
            "héllo 世界",
        ] {
            assert!(matches!(text(s), Cow::Borrowed(_)), "{s:?}");
        }
        assert_eq!(text("windows\r\nline"), "windows\nline");
        // Terminals paste lines ended by a lone carriage return.
        assert_eq!(text("pasted\rlines\r\r\nend\r"), "pasted\nlines\n\nend\n");
    }

    #[test]
    fn line_flattens_and_drops_bidi_controls() {
        assert_eq!(line("a\u{202E}cba\u{202C}"), "acba");
        assert_eq!(line("\u{2066}x\u{2069}"), "x");
        assert_eq!(
            line("one\ntwo\r\nthree\u{2028}four\tfive"),
            "one two  three four five"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn printable_ascii_is_found_as_a_byte_at_a_time_check_finds_it(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x9f, 0xff, b'a']),
                    (0x20u8..0x7f),
                ],
                0..40,
            )
        ) {
            let by_byte = bytes.iter().all(|b| (0x20..0x7f).contains(b));
            proptest::prop_assert_eq!(printable_ascii(&bytes), by_byte);
        }


        #[test]
        fn cleaned_text_is_always_clean(s in ".*") {
            proptest::prop_assert!(is_clean(&text(&s)));
            proptest::prop_assert!(is_one_line(&line(&s)));
        }

        #[test]
        fn cleaning_is_idempotent(s in ".*") {
            let once = text(&s).into_owned();
            proptest::prop_assert_eq!(text(&once), once.as_str());
            let once = line(&s).into_owned();
            proptest::prop_assert_eq!(line(&once), once.as_str());
        }
    }
}
