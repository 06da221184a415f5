//! The draft as its pane shows it: split at its line breaks, wrapped at the
//! pane's width (at spaces where it can), each grapheme in its display form
//! (`glyphs`), with the cursor's row and column. The reducer uses it for ↑
//! and ↓ and for the pane's height; the view draws it.

use unicode_segmentation::UnicodeSegmentation;

use super::draft::MAX_TWEET_CHARS;
use super::{geometry, glyphs};

/// One grapheme of the draft as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glyph {
    /// Where it starts in the draft's text, in bytes.
    pub at: usize,
    /// Its display form.
    pub shown: String,
    pub width: usize,
    /// Past the 280th character: it would not fit in a tweet.
    pub over: bool,
}

/// One row of the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The text this row shows, in bytes: `start..end`.
    pub start: usize,
    pub end: usize,
    /// Wrapped, not ended by a line break: the next row goes on with the
    /// same line of text.
    pub wrapped: bool,
    pub glyphs: Vec<Glyph>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLayout {
    pub rows: Vec<Row>,
    /// The cursor's row and column.
    pub cursor: (usize, usize),
}

/// Lays out `text` on rows of `cols` columns, with the cursor at byte
/// `cursor`. There is always at least one row, and the cursor's column is
/// always inside the pane.
pub fn lay_out(text: &str, cursor: usize, cols: u16) -> DraftLayout {
    let cols = usize::from(cols.max(1));
    let mut rows = vec![Row {
        start: 0,
        end: 0,
        wrapped: false,
        glyphs: Vec::new(),
    }];
    let mut chars = 0;
    let mut width = 0;
    for (at, g) in text.grapheme_indices(true) {
        let over = chars >= MAX_TWEET_CHARS;
        chars += g.chars().count();
        if g.contains('\n') {
            end_row(&mut rows, at, false, at + g.len(), Vec::new());
            width = 0;
            continue;
        }
        let mut shown = glyphs::display(g).into_owned();
        let mut w = geometry::width(&shown);
        if w > cols {
            // Wider than the whole pane (a wide glyph at one column).
            shown = "…".to_owned();
            w = 1;
        }
        if width + w > cols {
            // Wrap after the row's last space if it has one and the word
            // then fits (it goes down whole), else here.
            let row = rows.last_mut().expect("never empty");
            let keep = row
                .glyphs
                .iter()
                .rposition(|g| g.shown == " ")
                .filter(|_| shown != " ")
                .map_or(row.glyphs.len(), |i| i + 1);
            let moved_width: usize = row.glyphs[keep..].iter().map(|g| g.width).sum();
            let keep = if moved_width + w > cols {
                row.glyphs.len()
            } else {
                keep
            };
            let moved = row.glyphs.split_off(keep);
            let start = moved.first().map_or(at, |g| g.at);
            width = moved.iter().map(|g| g.width).sum();
            end_row(&mut rows, start, true, start, moved);
        }
        rows.last_mut().expect("never empty").glyphs.push(Glyph {
            at,
            shown,
            width: w,
            over,
        });
        width += w;
    }
    rows.last_mut().expect("never empty").end = text.len();
    // The cursor's row: the last that starts at or before it (a cursor
    // where a row wraps is shown at the start of the next).
    let row = rows.iter().rposition(|r| r.start <= cursor).unwrap_or(0);
    let col: usize = rows[row]
        .glyphs
        .iter()
        .take_while(|g| g.at < cursor)
        .map(|g| g.width)
        .sum();
    let cursor = if col >= cols {
        // At the end of a full last row: on a row of its own.
        rows.push(Row {
            start: text.len(),
            end: text.len(),
            wrapped: false,
            glyphs: Vec::new(),
        });
        rows[row].wrapped = true;
        (row + 1, 0)
    } else {
        (row, col)
    };
    DraftLayout { rows, cursor }
}

/// Ends the last row at `end` and starts one at `start` holding `glyphs`.
fn end_row(rows: &mut Vec<Row>, end: usize, wrapped: bool, start: usize, glyphs: Vec<Glyph>) {
    let last = rows.last_mut().expect("never empty");
    last.end = end;
    last.wrapped = wrapped;
    rows.push(Row {
        start,
        end: start,
        wrapped: false,
        glyphs,
    });
}

impl DraftLayout {
    /// Where the cursor goes one row up (or down): the same column, or
    /// the nearest before it. Up from the first row is the start of the
    /// text; down from the last, its end.
    pub fn vertical(&self, up: bool) -> usize {
        self.vertical_to(up, self.cursor.1)
    }

    /// `vertical`, aiming for column `col` rather than the cursor's: the
    /// column a run of ↑ and ↓ started from, kept across shorter rows.
    pub fn vertical_to(&self, up: bool, col: usize) -> usize {
        let row = self.cursor.0;
        let target = if up {
            row.checked_sub(1)
        } else {
            Some(row + 1).filter(|&r| r < self.rows.len())
        };
        let Some(target) = target else {
            return if up {
                0
            } else {
                self.rows.last().map_or(0, |r| r.end)
            };
        };
        let row = &self.rows[target];
        let mut x = 0;
        for (i, g) in row.glyphs.iter().enumerate() {
            if x + g.width > col {
                return g.at;
            }
            x += g.width;
            // A wrapped row's end is the next row's start: stay on this
            // row, before its last grapheme.
            if i + 1 == row.glyphs.len() && row.wrapped {
                return g.at;
            }
        }
        row.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shown(layout: &DraftLayout) -> Vec<String> {
        layout
            .rows
            .iter()
            .map(|r| r.glyphs.iter().map(|g| g.shown.as_str()).collect())
            .collect()
    }

    #[test]
    fn line_breaks_start_rows_and_words_wrap_whole() {
        let text = "one\ntwo words here\n\nend";
        let l = lay_out(text, text.len(), 9);
        assert_eq!(shown(&l), ["one", "two words", " here", "", "end"]);
        assert_eq!(l.cursor, (4, 3));
        assert!(l.rows[1].wrapped && !l.rows[0].wrapped);
    }

    #[test]
    fn a_word_longer_than_a_row_is_broken() {
        let l = lay_out("abcdefgh", 0, 3);
        assert_eq!(shown(&l), ["abc", "def", "gh"]);
        assert_eq!(l.cursor, (0, 0));
    }

    #[test]
    fn the_cursor_at_the_end_of_a_full_row_gets_a_row_of_its_own() {
        let l = lay_out("abc", 3, 3);
        assert_eq!(shown(&l), ["abc", ""]);
        assert_eq!(l.cursor, (1, 0));
    }

    #[test]
    fn graphemes_past_the_limit_are_marked() {
        let text = "a".repeat(MAX_TWEET_CHARS + 2);
        let l = lay_out(&text, 0, 40);
        let over: usize = l
            .rows
            .iter()
            .flat_map(|r| &r.glyphs)
            .filter(|g| g.over)
            .count();
        assert_eq!(over, 2);
    }

    #[test]
    fn up_and_down_keep_the_column() {
        let text = "first line\nab\nthird line";
        let at = |s: &str| text.find(s).unwrap();
        let l = lay_out(text, at("line"), 20);
        assert_eq!(l.cursor, (0, 6));
        // Down to a shorter line: its end.
        assert_eq!(l.vertical(false), at("\nthird"));
        let l = lay_out(text, at("third") + 1, 20);
        assert_eq!(l.vertical(true), at("b"));
        assert_eq!(lay_out(text, at("ab"), 20).vertical(true), 0);
        assert_eq!(lay_out(text, 3, 20).vertical(true), 0, "up from the top");
        assert_eq!(lay_out(text, 3, 20).cursor, (0, 3));
        let end = lay_out(text, at("third"), 20).vertical(false);
        assert_eq!(end, text.len(), "down from the bottom");
    }

    #[test]
    fn up_into_a_wrapped_row_stays_on_it() {
        let text = "abcdef";
        let l = lay_out(text, 5, 3);
        assert_eq!(l.cursor, (1, 2));
        assert_eq!(l.vertical(true), 2, "before the row's last grapheme");
    }

    proptest! {
        #[test]
        fn rows_fit_and_cover_the_text(text in "(\\PC|\n| ){0,120}", cols in 1u16..20, at in 0usize..200) {
            let at = text.grapheme_indices(true).map(|(i, _)| i).chain([text.len()])
                .find(|&i| i >= at.min(text.len())).unwrap_or(text.len());
            let l = lay_out(&text, at, cols);
            for row in &l.rows {
                let w: usize = row.glyphs.iter().map(|g| g.width).sum();
                prop_assert!(w <= usize::from(cols));
            }
            prop_assert!(l.cursor.1 < usize::from(cols));
            prop_assert!(l.cursor.0 < l.rows.len());
            let graphemes = text.graphemes(true).filter(|g| !g.contains('\n')).count();
            let laid: usize = l.rows.iter().map(|r| r.glyphs.len()).sum();
            prop_assert_eq!(graphemes, laid);
            for up in [true, false] {
                let to = l.vertical(up);
                prop_assert!(text.is_char_boundary(to) && to <= text.len());
            }
        }
    }
}
