//! Geometry shared by the reducer and the view: how the screen is split, how
//! tall a tweet is at a width, and where the feed scrolls to. Pure functions;
//! every one of them touches only the tweets that can be on screen.

use ratatui::layout::{Constraint, Layout, Rect};
use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::feed::{Feed, Tweet};

/// The help's rows of text on a terminal of `size`, for a help of `lines`
/// lines: as many as fit inside its border.
pub fn help_rows(size: (u16, u16), lines: u16) -> u16 {
    (lines + 2).min(size.1).saturating_sub(2)
}

/// Rows of the status bar.
pub const STATUS_ROWS: u16 = 1;
/// Columns left of a tweet's text: the selection bar and a space.
pub const GUTTER: u16 = 2;
/// A tweet shows at most this many lines of text; the rest is elided.
pub const MAX_TEXT_LINES: usize = 12;

/// The screen as the panes are laid out on it: the terminal's size, and
/// the rows the draft's text takes (it grows as it is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub size: (u16, u16),
    pub draft_rows: u16,
}

impl Screen {
    /// A screen of `size` whose draft shows `rows` rows of text, as many
    /// as fit: up to a third of the screen, borders included.
    pub fn new(size: (u16, u16), rows: usize) -> Self {
        let most = (size.1 / 3).saturating_sub(2).max(1);
        let draft_rows = u16::try_from(rows).unwrap_or(u16::MAX).clamp(1, most);
        Self { size, draft_rows }
    }

    /// The three panes in `area` (the screen): feed, draft, status bar.
    pub fn panes(self, area: Rect) -> [Rect; 3] {
        Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(self.draft_rows + 2),
            Constraint::Length(STATUS_ROWS),
        ])
        .areas(area)
    }

    /// The feed pane's inner area (inside its border).
    pub fn feed_inner(self) -> Rect {
        let [feed, _, _] = self.panes(Rect::new(0, 0, self.size.0, self.size.1));
        feed.inner(ratatui::layout::Margin::new(1, 1))
    }

    /// Rows available to tweets in the feed pane.
    pub fn feed_rows(self) -> u16 {
        self.feed_inner().height
    }

    /// Columns available to a tweet's text.
    pub fn text_cols(self) -> u16 {
        self.feed_inner().width.saturating_sub(GUTTER)
    }
}

/// Columns of the draft's text on a terminal `cols` wide: inside its border.
pub fn draft_cols(cols: u16) -> u16 {
    cols.saturating_sub(2)
}

/// Rows a tweet takes: its header, its wrapped text, and a blank separator.
pub fn tweet_height(tweet: &Tweet, cols: u16) -> usize {
    2 + text_lines(tweet, cols).len()
}

/// A tweet's text as shown: line by line, each in its display form
/// (`glyphs`) and wrapped, at most `MAX_TEXT_LINES` lines in all.
pub fn text_lines(tweet: &Tweet, cols: u16) -> Vec<String> {
    lines(&tweet.text, cols, MAX_TEXT_LINES)
}

/// `text` broken at its line breaks, each line in its display form and
/// wrapped to `cols`, at most `max_lines` lines in all (the last ending in
/// `…` if cut). A blank line stays a blank line; blank lines at the end go.
/// Costs what fits in `max_lines`, not what the text holds: a line is
/// looked at no further than its first `max_lines` rows could show.
pub fn lines(text: &str, cols: u16, max_lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cut = false;
    for line in text.trim_end().split(['\n', '\u{2028}', '\u{2029}']) {
        let room = max_lines - out.len();
        if room == 0 {
            cut = true;
            break;
        }
        // Four characters a column is room enough for marks and joiners.
        let most = room.saturating_mul(usize::from(cols) + 1).saturating_mul(4);
        let (line, long) = match line.char_indices().nth(most) {
            Some((at, _)) => (&line[..at], true),
            None => (line, false),
        };
        // Tabs that indent a line indent it by four columns each; others
        // are a space, as on one line.
        let tabs = line.len() - line.trim_start_matches('\t').len();
        let line = if tabs == 0 {
            Cow::Borrowed(line)
        } else {
            Cow::Owned("    ".repeat(tabs) + &line[tabs..])
        };
        let (mut wrapped, line_cut) = wrap_cut(&super::glyphs::display(&line), cols, room);
        if wrapped.is_empty() {
            wrapped.push(String::new());
        }
        out.extend(wrapped);
        if line_cut {
            return out;
        }
        if long {
            cut = true;
            break;
        }
    }
    if cut && let Some(last) = out.last_mut() {
        *last = truncate(last, usize::from(cols.max(1)) - 1);
        last.push('…');
    }
    // A text that is only white space shows as nothing, as an empty one.
    if out.iter().all(String::is_empty) {
        out.clear();
    }
    out
}

/// Display width of a string, in terminal columns, measured as ratatui
/// measures it (emoji sequences and modifiers included).
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Word-wraps `text` to `cols` columns, breaking words longer than a line,
/// and keeps at most `max_lines` lines (the last ending in `…` if cut).
/// Spaces are kept as written (indentation, runs between words) but where
/// a line is broken, and at the text's end.
pub fn wrap(text: &str, cols: u16, max_lines: usize) -> Vec<String> {
    wrap_cut(text, cols, max_lines).0
}

/// `wrap`, and whether it cut the text.
fn wrap_cut(text: &str, cols: u16, max_lines: usize) -> (Vec<String>, bool) {
    let cols = usize::from(cols.max(1));
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_w = 0;
    let mut truncated = false;
    // The spaces before each word: the indentation, then those written
    // between words.
    let mut spaces = 0;
    let words = text.split(' ').filter_map(|piece| {
        if piece.is_empty() {
            spaces += 1;
            return None;
        }
        Some((std::mem::replace(&mut spaces, 1), piece))
    });
    'words: for (spaces, word) in words {
        let word_w = width(word);
        // A line broken here starts with its word; indentation gives way
        // to a word that would not fit beside it.
        let gap = match (line_w, lines.is_empty()) {
            (0, false) => 0,
            (0, true) => spaces.min(cols.saturating_sub(word_w)),
            _ => spaces,
        };
        if line_w + gap + word_w <= cols {
            line.extend(std::iter::repeat_n(' ', gap));
            line.push_str(word);
            line_w += gap + word_w;
            continue;
        }
        if word_w <= cols {
            lines.push(std::mem::take(&mut line));
            if lines.len() == max_lines {
                truncated = true;
                break;
            }
            line.push_str(word);
            line_w = word_w;
            continue;
        }
        // A word wider than a line: fill the current line, then break it.
        if line_w > 0 && line_w + gap < cols {
            line.extend(std::iter::repeat_n(' ', gap));
            line_w += gap;
        } else if line_w > 0 {
            lines.push(std::mem::take(&mut line));
            line_w = 0;
            if lines.len() == max_lines {
                truncated = true;
                break;
            }
        }
        for c in word.graphemes(true) {
            let w = c.width();
            if w > cols {
                // Wider than the whole pane (a wide glyph at one column).
                continue;
            }
            if line_w + w > cols {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
                if lines.len() == max_lines {
                    truncated = true;
                    break 'words;
                }
            }
            line.push_str(c);
            line_w += w;
        }
    }
    if !truncated && !line.is_empty() {
        lines.push(line);
    }
    if truncated && let Some(last) = lines.last_mut() {
        *last = truncate(last, cols.saturating_sub(1));
        last.push('…');
    }
    (lines, truncated)
}

/// Cuts `s` to at most `cols` columns.
pub fn truncate(s: &str, cols: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in s.graphemes(true) {
        let cw = c.width();
        if w + cw > cols {
            break;
        }
        out.push_str(c);
        w += cw;
    }
    out
}

/// Cuts `s` to `cols` columns, marking a cut with `…`.
pub fn ellipsize(s: &str, cols: usize) -> String {
    if width(s) <= cols {
        return s.to_owned();
    }
    if cols == 0 {
        return String::new();
    }
    let mut out = truncate(s, cols - 1);
    out.push('…');
    out
}

/// The first newest-first index from `index` on, going older (`step` 1)
/// or newer (-1), whose tweet the feed shows (a search hides the rest).
pub type ShownFrom<'a> = &'a dyn Fn(usize, isize) -> Option<usize>;

/// Whether the tweet at newest-first index `sel` fits wholly on screen when
/// the pane starts at index `top`. Only shown tweets are looked at.
pub fn is_visible(feed: &Feed, top: usize, sel: usize, screen: Screen, shown: ShownFrom) -> bool {
    let rows = usize::from(screen.feed_rows());
    let cols = screen.text_cols();
    if sel < top {
        return false;
    }
    let mut used = 0;
    let mut at = shown(top, 1);
    while let Some(i) = at.filter(|&i| i <= sel) {
        used += feed.newest(i).map_or(0, |t| tweet_height(t, cols));
        if used > rows + 1 {
            return false;
        }
        at = shown(i + 1, 1);
    }
    // The last separator may fall below the pane.
    used <= rows + 1
}

/// The newest-first index to show at the top so that `sel` is visible,
/// moving as little as possible from `top`.
pub fn scroll_top(feed: &Feed, top: usize, sel: usize, screen: Screen, shown: ShownFrom) -> usize {
    if sel <= top || is_visible(feed, top, sel, screen, shown) {
        return sel.min(top);
    }
    let rows = usize::from(screen.feed_rows()) + 1;
    let cols = screen.text_cols();
    let mut start = sel;
    let mut used = feed.newest(sel).map_or(0, |t| tweet_height(t, cols));
    while let Some(newer) = start.checked_sub(1).and_then(|i| shown(i, -1)) {
        let h = feed.newest(newer).map_or(0, |t| tweet_height(t, cols));
        if used + h > rows {
            break;
        }
        used += h;
        start = newer;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(
            wrap("the quick brown fox", 10, 9),
            ["the quick", "brown fox"]
        );
        assert_eq!(wrap("", 10, 9), Vec::<String>::new());
        // Spaces as written, but at the end and where a line is broken.
        assert_eq!(wrap("  spaced   out  ", 20, 9), ["  spaced   out"]);
        assert_eq!(wrap("ab   cd   ef", 7, 9), ["ab   cd", "ef"]);
        assert_eq!(wrap("      indented", 10, 9), ["  indented"]);
    }

    #[test]
    fn indentation_and_runs_of_spaces_show_as_written() {
        assert_eq!(
            lines("code:\n    four\n\ttab\na     b  c", 40, 9),
            ["code:", "    four", "    tab", "a     b  c"]
        );
    }

    #[test]
    fn line_breaks_are_kept_up_to_the_cap() {
        assert_eq!(
            lines("one\ntwo\n\nfour\n\n", 20, 9),
            ["one", "two", "", "four"]
        );
        assert_eq!(lines("a\nb\nc", 20, 2), ["a", "b…"]);
        assert_eq!(lines("one two three\nfour", 7, 2), ["one two", "three…"]);
        assert_eq!(lines("\n\n\n", 20, 9), Vec::<String>::new());
        assert_eq!(
            lines("tab\tand\u{2028}separator", 20, 9),
            ["tab and", "separator"]
        );
    }

    #[test]
    fn a_huge_line_costs_what_fits() {
        let huge = "word ".repeat(200_000);
        assert_eq!(
            lines(&huge, 10, 3),
            ["word word", "word word", "word word…"]
        );
        let filler = format!("x{}", "\u{3164}".repeat(3000));
        assert_eq!(lines(&filler, 10, 3), ["x…"]);
    }

    #[test]
    fn breaks_words_longer_than_a_line() {
        assert_eq!(wrap("abcdefghij", 4, 9), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("hi abcdefgh", 5, 9), ["hi ab", "cdefg", "h"]);
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(wrap("世界世界世", 4, 9), ["世界", "世界", "世"]);
        assert_eq!(width("👍 ok"), 5);
        assert_eq!(width("👋🏽"), 2, "a skin tone is part of its emoji");
        assert_eq!(wrap("👋🏽👋🏽👋🏽", 4, 9), ["👋🏽👋🏽", "👋🏽"]);
    }

    #[test]
    fn cuts_long_text_with_an_ellipsis() {
        let lines = wrap(&"word ".repeat(100), 10, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
    }

    #[test]
    fn ellipsize_marks_the_cut() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
        assert_eq!(ellipsize("世界世界", 5), "世界…");
    }

    proptest! {
        #[test]
        fn no_wrapped_line_is_wider_than_the_pane(text in "\\PC{0,300}", cols in 1u16..60) {
            for line in wrap(&text, cols, MAX_TEXT_LINES) {
                prop_assert!(width(&line) <= usize::from(cols), "{line:?} > {cols}");
            }
        }

        #[test]
        fn a_line_that_fits_shows_as_written(text in "[a-z ]{0,40}", cols in 40u16..60) {
            let lines = wrap(&text, cols, 9);
            let shown = text.trim_end();
            prop_assert_eq!(lines, if shown.is_empty() { vec![] } else { vec![shown.to_owned()] });
        }

        #[test]
        fn wrapping_loses_no_words(text in "[a-z ]{0,200}", cols in 8u16..40) {
            let lines = wrap(&text, cols, usize::MAX);
            let words: Vec<&str> = text.split_whitespace().collect();
            let joined = lines.concat();
            prop_assert_eq!(joined.replace(' ', ""), words.concat());
        }
    }
}
