//! The draft pane: the tweet being written, wrapped (`draft_layout`), the
//! part past the limit marked, its character counter, and the cursor,
//! scrolled so the cursor's row is always visible.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::theme;
use crate::app::{App, Focus, MAX_TWEET_CHARS};
use crate::app::{draft_layout, geometry};

/// Draws the pane; returns where the cursor goes when the draft can be
/// edited.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let p = theme::of(app);
    let focused = app.focus == Focus::Draft;
    let draft = &app.draft;
    let n = draft.chars();
    let counter_style = if n > MAX_TWEET_CHARS { p.error } else { p.dim };
    let title = if draft.is_sending() {
        " Posting… "
    } else if draft.is_waiting() {
        " Waiting for the connection "
    } else {
        " Draft "
    };
    let counter = format!(" {n}/{MAX_TWEET_CHARS} ");
    // The counter is never cut: the title gives way first.
    let room = usize::from(area.width.saturating_sub(2));
    let title = if geometry::width(title) + geometry::width(&counter) <= room {
        title
    } else {
        ""
    };
    let mut block = Block::bordered()
        .border_type(p.border_type(focused))
        .border_style(p.border(focused))
        .title(Line::from(title))
        .title(Line::from(counter).right_aligned().style(counter_style));
    let inner = block.inner(area);
    if inner.is_empty() {
        block.render(area, buf);
        return None;
    }
    // Wrapped in the same display forms as tweets (`glyphs`), scrolled so
    // the cursor's row is in view.
    let editor = draft.editor();
    let layout = draft_layout::lay_out(editor.text(), editor.cursor(), inner.width);
    let first_row = layout
        .cursor
        .0
        .saturating_sub(usize::from(inner.height) - 1);
    // Rows scrolled out of the pane are counted on its lower border.
    let below = layout
        .rows
        .len()
        .saturating_sub(first_row + usize::from(inner.height));
    let hidden = match (first_row, below) {
        (0, 0) => None,
        (0, b) => Some(format!(" ↓ {b} more ")),
        (a, 0) => Some(format!(" ↑ {a} more ")),
        (a, b) => Some(format!(" ↑ {a} ↓ {b} more ")),
    };
    if let Some(hidden) = hidden.filter(|h| geometry::width(h) <= usize::from(inner.width)) {
        block = block.title_bottom(Line::from(hidden).right_aligned().style(p.dim));
    }
    block.render(area, buf);
    if draft.text().is_empty() {
        let hint = if focused {
            "What's happening? Enter posts · Tab: feed, then ?: keys"
        } else {
            "Tab to write a tweet"
        };
        Paragraph::new(geometry::ellipsize(hint, usize::from(inner.width)))
            .style(p.dim)
            .render(inner, buf);
    } else {
        let style = if draft.is_sending() {
            p.dim
        } else {
            Style::new()
        };
        let over = p.over_limit;
        let rows = layout
            .rows
            .iter()
            .skip(first_row)
            .take(usize::from(inner.height));
        let lines: Vec<Line> = rows
            .map(|row| {
                Line::from(
                    row.glyphs
                        .iter()
                        .map(|g| Span::styled(g.shown.as_str(), if g.over { over } else { style }))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
    let editable = focused && !draft.is_sending();
    let (row, col) = layout.cursor;
    editable.then(|| Position::new(inner.x + col as u16, inner.y + (row - first_row) as u16))
}
