//! What each grapheme of untrusted text costs on screen, decided here so
//! that jetfeed and the terminal cannot disagree.
//!
//! ratatui measures a grapheme as a whole (👩‍💻 is 2 columns); terminals
//! such as tmux, or anything built on wcwidth, measure each code point
//! (👩‍💻 is 2 + 0 + 2), and draw some code points unicode-width calls
//! invisible (a soft hyphen as 1 column, a Hangul filler as 2). Where the
//! two disagree, a row overruns its border and a diff-based redraw leaves
//! stray cells behind. So each grapheme is shown in a form whose width is
//! the same either way:
//! - invisible format characters and fillers are not shown;
//! - an emoji sequence (ZWJ, skin tone, variation selector) shows its
//!   first emoji;
//! - a combining mark with nothing to sit on gets a dotted circle (◌);
//! - a lone regional indicator shows its letter;
//! - anything else still measured differently becomes U+FFFD.
//!
//! A grapheme that keeps its width either way but is drawn in pieces by
//! such terminals (🇫🇷, हि) is shown as it is; `drawn_in_pieces` tells the
//! view to have its trailing cells rewritten whenever they change.
//!
//! This is for the screen only: what is stored and sent is never changed.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Text as it is shown: every grapheme in a form whose width a terminal
/// measuring code points and ratatui measuring graphemes agree on.
pub fn display(text: &str) -> Cow<'_, str> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    if text
        .graphemes(true)
        .all(|g| (g.len() == 1 && !g.as_bytes()[0].is_ascii_control()) || plain(g))
    {
        return Cow::Borrowed(text);
    }
    // Line breaks and tabs are spaces on one line; invisible characters go
    // first, so that what they separated is measured as it will be shown.
    let mut shown: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' | '\t' | '\u{2028}' | '\u{2029}' => Some(' '),
            c if c.is_control() || invisible(c) => None,
            c => Some(c),
        })
        .collect();
    // A shortened emoji sequence can join what follows it into a new
    // grapheme: settle, then give up on whatever still disagrees.
    for _ in 0..4 {
        let next: String = shown
            .graphemes(true)
            .map(|g| {
                if plain(g) {
                    Cow::Borrowed(g)
                } else {
                    grapheme(g)
                }
            })
            .collect();
        if next == shown {
            break;
        }
        shown = next;
    }
    let settled: String = shown
        .graphemes(true)
        .map(|g| if plain(g) { g } else { "\u{FFFD}" })
        .collect();
    Cow::Owned(settled)
}

/// A grapheme shown as it is: the same width either way, nothing
/// invisible in it, something for its marks to sit on, and not a lone
/// regional indicator (which terminals draw one or two columns wide).
fn plain(g: &str) -> bool {
    // Halfwidth (semi-)voiced marks: a mark by segmentation, a column of
    // their own for terminals, and one more column for ratatui.
    if g.contains(['\u{FF9E}', '\u{FF9F}']) {
        return false;
    }
    let lone_region = g.chars().count() == 1 && g.chars().all(|c| region_letter(c).is_some());
    agrees(g)
        && !g.chars().any(|c| invisible(c) || c.is_control())
        && !leading_mark(g)
        && !lone_region
}

/// A regional indicator's letter: 🇫 is F.
fn region_letter(c: char) -> Option<char> {
    let n = u32::from(c).checked_sub(0x1F1E6)?;
    (n < 26).then(|| char::from(b'A' + n as u8))
}

/// Whether a terminal that measures code points draws this grapheme as
/// several cells of its own (a flag's two letters, a consonant and its
/// spacing vowel sign), where ratatui sees one wide cell. Overwriting the
/// first cell of such a grapheme does not clear the others, so the view
/// marks the rest of its cells to be written again when they change.
pub fn drawn_in_pieces(g: &str) -> bool {
    g.chars().filter(|c| c.width().unwrap_or(0) > 0).count() > 1
}

/// Whether a grapheme is measured the same by the code point and as a whole.
pub fn agrees(g: &str) -> bool {
    let by_char: usize = g.chars().filter_map(UnicodeWidthChar::width).sum();
    by_char == g.width()
}

fn grapheme(g: &str) -> Cow<'_, str> {
    if g.len() == 1 || plain(g) {
        return Cow::Borrowed(g);
    }
    let kept: String = g
        .chars()
        .filter(|&c| !invisible(c))
        .map(|c| match c {
            // As the standalone marks they stand for, which every measure
            // takes as one wide character of their own.
            '\u{FF9E}' => '\u{309B}',
            '\u{FF9F}' => '\u{309C}',
            c => c,
        })
        .collect();
    if kept.is_empty() {
        return Cow::Borrowed("");
    }
    // An emoji sequence: its first emoji alone.
    let emoji_sequence = g.chars().any(|c| {
        matches!(
            c,
            '\u{200D}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{20E3}'
        )
    });
    let shown = if emoji_sequence {
        kept.chars().next().map(String::from).unwrap_or_default()
    } else if kept.chars().all(|c| region_letter(c).is_some()) {
        // A lone regional indicator: its letter.
        kept.chars().filter_map(region_letter).collect()
    } else if leading_mark(&kept) {
        // On a dotted circle, if it sits on one; some marks (a lone Hangul
        // vowel) do not, and become U+FFFD below.
        let on_circle = format!("\u{25CC}{kept}");
        if on_circle.graphemes(true).count() == 1 {
            on_circle
        } else {
            "\u{FFFD}".to_owned()
        }
    } else {
        kept
    };
    if agrees(&shown) && !shown.is_empty() {
        Cow::Owned(shown)
    } else {
        Cow::Borrowed("\u{FFFD}")
    }
}

/// A grapheme that starts with a mark meant to sit on something before it.
fn leading_mark(g: &str) -> bool {
    g.chars()
        .next()
        .is_some_and(|c| c.width() == Some(0) && !invisible(c))
}

/// Code points that draw nothing by themselves but that some terminals
/// give a column or two: format characters, fillers, variation selectors,
/// joiners, tags, prepended concatenation marks.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}' | '\u{0600}'..='\u{0605}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}' | '\u{0891}' | '\u{08E2}' | '\u{110BD}' | '\u{110CD}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_class_gets_a_form_of_certain_width() {
        for (text, shown) in [
            ("plain ascii", "plain ascii"),
            ("东京 ok", "东京 ok"),
            ("soft\u{AD}hyphen", "softhyphen"),
            ("x\u{3164}\u{3164}y", "xy"),
            ("x\u{FFA0}\u{70F}\u{8E2}y", "xy"),
            ("dev 👩\u{200D}💻", "dev 👩💻"),
            ("hi 👋🏽", "hi 👋"),
            ("rainbow 🏳\u{FE0F}\u{200D}🌈 flag", "rainbow 🏳🌈 flag"),
            ("sun ☀\u{FE0F}", "sun ☀"),
            ("\u{301}alone", "\u{25CC}\u{301}alone"),
            ("flag 🇫🇷", "flag 🇫🇷"),
            ("flags 🇫🇷🇩🇪🇫", "flags 🇫🇷🇩🇪F"),
            ("क्षत्रिय हिंदी", "क्षत्रिय हिंदी"),
            ("e\u{301}", "e\u{301}"),
            ("ｶﾞｷﾞ", "ｶ\u{309B}ｷ\u{309B}"),
            ("\u{1161}x", "\u{FFFD}x"),
        ] {
            assert_eq!(display(text), shown, "{text:?}");
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        for s in ["hello", "héllo 世界", "e\u{301}"] {
            assert!(matches!(display(s), Cow::Borrowed(_)), "{s}");
        }
    }

    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "\\PC{0,6}",
            Just("\u{AD}".to_owned()),
            Just("\u{3164}".to_owned()),
            Just("\u{200D}".to_owned()),
            Just("\u{FE0F}".to_owned()),
            Just("\u{1F3FD}".to_owned()),
            Just("\u{301}".to_owned()),
            Just("🇫".to_owned()),
            Just("👩".to_owned()),
            Just("क्ष".to_owned()),
            Just("\u{FF9E}".to_owned()),
            Just("\u{1161}".to_owned()),
            proptest::char::any().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever a tweet holds (once cleaned, as every tweet is where
        /// it enters), what is shown measures the same by code point as by
        /// grapheme, and holds nothing invisible.
        #[test]
        fn shown_text_measures_the_same_both_ways(text in hostile()) {
            let text = crate::sanitize::text(&text);
            let shown = display(&text);
            let by_char: usize = shown.chars().filter_map(UnicodeWidthChar::width).sum();
            prop_assert_eq!(by_char, shown.width(), "{:?} shown as {:?}", text, shown);
            for g in shown.graphemes(true) {
                prop_assert!(plain(g), "{:?} in {:?} from {:?}", g, shown, text);
            }
            // What is shown is shown as it is: the forms are settled.
            prop_assert_eq!(display(&shown), shown.as_ref());
        }
    }
}
