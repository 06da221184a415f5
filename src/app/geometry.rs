//! Geometry shared by the reducer and the view: how the screen is split, how
//! tall a tweet is at a width, and where the feed scrolls to. Pure functions;
//! every one of them touches only the tweets that can be on screen.

use ratatui::layout::{Constraint, Layout, Rect};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::feed::{Feed, Tweet};

/// The help's rows of text on a terminal of `size`, for a help of `lines`
/// lines: as many as fit inside its border.
pub fn help_rows(size: (u16, u16), lines: u16) -> u16 {
    (lines + 2).min(size.1).saturating_sub(2)
}

/// Rows of the draft pane, borders included.
pub const INPUT_ROWS: u16 = 3;
/// Rows of the status bar.
pub const STATUS_ROWS: u16 = 1;
/// Columns left of a tweet's text: the selection bar and a space.
pub const GUTTER: u16 = 2;
/// A tweet shows at most this many lines of text; the rest is elided.
pub const MAX_TEXT_LINES: usize = 12;

/// The three panes: feed, draft, status bar.
pub fn panes(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(INPUT_ROWS),
        Constraint::Length(STATUS_ROWS),
    ])
    .areas(area)
}

/// The feed pane's inner area (inside its border) for a terminal size.
pub fn feed_inner(size: (u16, u16)) -> Rect {
    let [feed, _, _] = panes(Rect::new(0, 0, size.0, size.1));
    feed.inner(ratatui::layout::Margin::new(1, 1))
}

/// Rows available to tweets in the feed pane.
pub fn feed_rows(size: (u16, u16)) -> u16 {
    feed_inner(size).height
}

/// Columns available to a tweet's text.
pub fn text_cols(size: (u16, u16)) -> u16 {
    feed_inner(size).width.saturating_sub(GUTTER)
}

/// Rows a tweet takes: its header, its wrapped text, and a blank separator.
pub fn tweet_height(tweet: &Tweet, cols: u16) -> usize {
    2 + text_lines(tweet, cols).len()
}

/// A tweet's text as shown: in its display form (`glyphs`), wrapped.
pub fn text_lines(tweet: &Tweet, cols: u16) -> Vec<String> {
    wrap(&super::glyphs::display(&tweet.text), cols, MAX_TEXT_LINES)
}

/// Display width of a string, in terminal columns, measured as ratatui
/// measures it (emoji sequences and modifiers included).
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Word-wraps `text` to `cols` columns, breaking words longer than a line,
/// and keeps at most `max_lines` lines (the last ending in `…` if cut).
pub fn wrap(text: &str, cols: u16, max_lines: usize) -> Vec<String> {
    let cols = usize::from(cols.max(1));
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_w = 0;
    let mut truncated = false;
    'words: for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word_w = width(word);
        let gap = usize::from(line_w > 0);
        if line_w + gap + word_w <= cols {
            if gap == 1 {
                line.push(' ');
            }
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
        if line_w > 0 && line_w + 1 < cols {
            line.push(' ');
            line_w += 1;
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
    lines
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

/// Whether the tweet at newest-first index `sel` fits wholly on screen when
/// the pane starts at index `top`.
pub fn is_visible(feed: &Feed, top: usize, sel: usize, size: (u16, u16)) -> bool {
    let rows = usize::from(feed_rows(size));
    let cols = text_cols(size);
    if sel < top || (sel - top) * 2 >= rows + 2 {
        // Every tweet is at least two rows: too far down to be visible.
        return false;
    }
    let used: usize = (top..=sel)
        .filter_map(|i| feed.newest(i))
        .map(|t| tweet_height(t, cols))
        .sum();
    // The last separator may fall below the pane.
    used <= rows + 1
}

/// The newest-first index to show at the top so that `sel` is visible,
/// moving as little as possible from `top`.
pub fn scroll_top(feed: &Feed, top: usize, sel: usize, size: (u16, u16)) -> usize {
    if sel <= top || is_visible(feed, top, sel, size) {
        return sel.min(top);
    }
    let rows = usize::from(feed_rows(size)) + 1;
    let cols = text_cols(size);
    let mut start = sel;
    let mut used = feed.newest(sel).map_or(0, |t| tweet_height(t, cols));
    while start > 0 {
        let h = feed.newest(start - 1).map_or(0, |t| tweet_height(t, cols));
        if used + h > rows {
            break;
        }
        used += h;
        start -= 1;
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
        assert_eq!(wrap("  spaced   out  ", 20, 9), ["spaced out"]);
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
        fn wrapping_loses_no_words(text in "[a-z ]{0,200}", cols in 8u16..40) {
            let lines = wrap(&text, cols, usize::MAX);
            let words: Vec<&str> = text.split_whitespace().collect();
            let joined = lines.concat();
            prop_assert_eq!(joined.replace(' ', ""), words.concat());
        }
    }
}
