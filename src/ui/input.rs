//! The draft pane: the tweet being written, its character counter, and the
//! cursor, scrolled sideways so the cursor is always visible.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};
use unicode_segmentation::UnicodeSegmentation;

use super::theme;
use crate::app::{App, Focus, MAX_TWEET_CHARS};
use crate::app::{geometry, glyphs};

/// Draws the pane; returns where the cursor goes when the draft can be
/// edited.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let focused = app.focus == Focus::Draft;
    let draft = &app.draft;
    let n = draft.chars();
    let counter_style = if n > MAX_TWEET_CHARS {
        theme::error()
    } else {
        theme::dim()
    };
    let title = if draft.is_sending() {
        " Posting… "
    } else if draft.is_waiting() {
        " Waiting for the connection "
    } else {
        " Draft "
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme::border(focused))
        .title(Line::from(title))
        .title(
            Line::from(format!(" {n}/{MAX_TWEET_CHARS} "))
                .right_aligned()
                .style(counter_style),
        );
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return None;
    }
    let cols = usize::from(inner.width);
    // Drawn in the same display forms as tweets (`glyphs`), the cursor
    // placed by the shown text before it.
    let (text, before) = (draft.text(), draft.editor().before_cursor());
    let (all, before) = match (glyphs::display(text), glyphs::display(before)) {
        (all, shown) if all.starts_with(shown.as_ref()) => (all, shown),
        _ => (text.into(), before.into()),
    };
    let (skip, cursor_col) = scroll(&before, cols);
    if draft.text().is_empty() {
        let hint = if focused {
            "What's happening? Enter posts · Tab: feed, then ?: keys"
        } else {
            "Tab to write a tweet"
        };
        Paragraph::new(geometry::ellipsize(hint, cols))
            .style(theme::dim())
            .render(inner, buf);
    } else {
        let style = if draft.is_sending() {
            theme::dim()
        } else {
            Style::new()
        };
        let shown = &all[skip..];
        Paragraph::new(Line::from(Span::styled(
            geometry::truncate(shown, cols),
            style,
        )))
        .render(inner, buf);
    }
    let editable = focused && !draft.is_sending();
    editable.then(|| Position::new(inner.x + cursor_col as u16, inner.y))
}

/// Keeps the cursor in view on a line of `cols` columns: how many bytes of
/// the text are scrolled off the left edge (always a whole number of
/// graphemes), and the cursor's column after them.
fn scroll(before_cursor: &str, cols: usize) -> (usize, usize) {
    let mut width = geometry::width(before_cursor);
    let mut skip = 0;
    for (at, g) in before_cursor.grapheme_indices(true) {
        if width < cols {
            break;
        }
        width -= geometry::width(g);
        skip = at + g.len();
    }
    (skip, width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_cursor_stays_in_view() {
        assert_eq!(scroll("", 10), (0, 0));
        assert_eq!(scroll("abc", 10), (0, 3));
        assert_eq!(scroll("abcdefghij", 10), (1, 9));
        assert_eq!(scroll("👋🏽x", 1), ("👋🏽x".len(), 0));
        assert_eq!(scroll("世界", 3), ("世".len(), 2));
        assert_eq!(scroll("世界", 2), ("世界".len(), 0), "room for the cursor");
    }

    proptest! {
        #[test]
        fn scrolling_keeps_the_cursor_inside_the_pane(text in "\\PC{0,60}", cols in 1usize..30) {
            let (skip, col) = scroll(&text, cols);
            prop_assert!(text.is_char_boundary(skip));
            prop_assert!(col < cols, "cursor at {col} of {cols}");
            prop_assert_eq!(col, geometry::width(&text[skip..]));
        }
    }
}
