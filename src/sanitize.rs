//! The sanitizer: untrusted text (tweets, author names, error details) made
//! safe to show. Applied once, where events enter (`wire::decode`), and to
//! what the user pastes or types; nothing else in jetfeed needs to think
//! about escape sequences.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// VARIATION SELECTOR-16: "show the character before as an emoji".
const VS16: char = '\u{FE0F}';

/// What the sanitizer does with one character.
enum Class {
    Keep,
    /// A line break or tab: becomes one space, so words stay apart.
    Space,
    /// A control or formatting character that must never reach a terminal.
    Drop,
    /// Starts an escape sequence whose body is dropped with it.
    Escape,
}

fn classify(c: char) -> Class {
    match c {
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
            Class::Space
        }
        '\u{1B}' | '\u{90}' | '\u{98}' | '\u{9B}' | '\u{9D}' | '\u{9E}' | '\u{9F}' => Class::Escape,
        '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => Class::Drop,
        // Bidi embeddings, overrides, isolates and marks: they reorder what
        // follows them on the line, including jetfeed's own columns.
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Class::Drop,
        // Invisible characters that break width arithmetic or hide text.
        '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' => Class::Drop,
        '\u{FFF9}'..='\u{FFFB}' => Class::Drop,
        _ => Class::Keep,
    }
}

/// Makes untrusted text safe to show: line breaks and tabs become spaces;
/// C0 and C1 controls, whole escape sequences (CSI, OSC, DCS, APC, PM, SOS)
/// and bidi controls are removed. Borrows when nothing needs changing.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    // Most text is printable ASCII: checked a byte at a time, vectorized.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    if text
        .chars()
        .all(|c| matches!(classify(c), Class::Keep) && c != VS16)
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev = '\0';
    while let Some(c) = chars.next() {
        match classify(c) {
            // Terminals disagree on the width of a narrow symbol made emoji
            // by VS16 (☀️): some draw one column, some two. Without it every
            // terminal draws one, and the columns stay aligned.
            Class::Keep if c == VS16 && prev.width() == Some(1) => {}
            Class::Keep => {
                out.push(c);
                prev = c;
            }
            Class::Space => out.push(' '),
            Class::Drop => {}
            Class::Escape => skip_escape(c, &mut chars),
        }
    }
    Cow::Owned(out)
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

/// True when `text` holds nothing a terminal would act on.
pub fn is_clean(text: &str) -> bool {
    text.chars().all(|c| matches!(classify(c), Class::Keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sanitize_removes_escape_sequences_whole() {
        assert_eq!(sanitize("a\u{1b}[2Jb"), "ab");
        assert_eq!(sanitize("a\u{1b}[38;5;196mred\u{1b}[0m"), "ared");
        assert_eq!(sanitize("x\u{1b}]0;title\u{7}y"), "xy");
        assert_eq!(
            sanitize("x\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(sanitize("x\u{1b}Pq#0;2;0;0;0\u{1b}\\y"), "xy");
        assert_eq!(sanitize("x\u{9b}31mred"), "xred");
        assert_eq!(sanitize("x\u{9d}0;t\u{9c}y"), "xy");
        assert_eq!(sanitize("bell\u{7}\u{8}\u{0}"), "bell");
        assert_eq!(sanitize("esc at end\u{1b}"), "esc at end");
        assert_eq!(sanitize("\u{1b}c reset"), " reset");
    }

    #[test]
    fn sanitize_drops_bidi_controls_and_flattens_lines() {
        assert_eq!(sanitize("a\u{202E}cba\u{202C}"), "acba");
        assert_eq!(sanitize("\u{2066}x\u{2069}"), "x");
        assert_eq!(
            sanitize("one\ntwo\r\nthree\u{2028}four"),
            "one two  three four"
        );
    }

    #[test]
    fn sanitize_drops_vs16_only_after_narrow_symbols() {
        assert_eq!(sanitize("sun \u{2600}\u{FE0F} ok"), "sun \u{2600} ok");
        assert_eq!(sanitize("\u{1F44D}\u{FE0F}"), "\u{1F44D}\u{FE0F}");
    }

    #[test]
    fn sanitize_keeps_emoji_cjk_and_joiners() {
        for s in ["héllo 世界", "👩‍💻 ok", "👍🏽", "ﾊﾝｶｸ", "עברית", ""] {
            assert!(matches!(sanitize(s), Cow::Borrowed(_)), "{s}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn sanitized_text_is_always_clean(s in ".*") {
            let clean = sanitize(&s);
            proptest::prop_assert!(is_clean(&clean));
        }

        #[test]
        fn sanitize_is_idempotent(s in ".*") {
            let once = sanitize(&s).into_owned();
            proptest::prop_assert_eq!(sanitize(&once), once.as_str());
        }
    }
}
