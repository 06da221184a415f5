//! The draft pane: the tweet being written, its character counter, and the
//! cursor, scrolled sideways so the cursor is always visible.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::layout;
use super::theme;
use crate::app::{App, Focus, MAX_TWEET_CHARS};

pub fn render(app: &App, area: Rect, frame: &mut Frame) {
    let focused = app.focus == Focus::Input;
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
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let cols = usize::from(inner.width);
    if draft.text.is_empty() {
        let hint = if focused {
            "What's happening? Enter posts · Tab: feed · ?: keys"
        } else {
            "Tab to write a tweet"
        };
        frame.render_widget(
            Paragraph::new(layout::ellipsize(hint, cols)).style(theme::dim()),
            inner,
        );
    } else {
        let chars: Vec<char> = draft.text.chars().collect();
        let (skip, _) = scroll(&chars, draft.cursor, cols);
        let shown: String = chars[skip..].iter().collect();
        let style = if draft.is_sending() {
            theme::dim()
        } else {
            ratatui::style::Style::new()
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                layout::truncate(&shown, cols),
                style,
            ))),
            inner,
        );
    }
    if let Some(p) = cursor(app, area) {
        frame.set_cursor_position(p);
    }
}

/// Keeps the cursor in view: how many characters are skipped off the left
/// edge, and the cursor's column after them.
fn scroll(chars: &[char], cursor: usize, cols: usize) -> (usize, usize) {
    let before: String = chars[..cursor.min(chars.len())].iter().collect();
    let mut skip = 0;
    let mut before_w = layout::width(&before);
    while before_w >= cols && skip < chars.len() {
        before_w -= layout::width(&chars[skip].to_string());
        skip += 1;
    }
    (skip, before_w)
}

/// Where the terminal's cursor goes: in the draft pane `area`, when the
/// draft has focus and can be edited.
pub fn cursor(app: &App, area: Rect) -> Option<Position> {
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    if app.focus != Focus::Input || app.draft.is_sending() || inner.is_empty() {
        return None;
    }
    let chars: Vec<char> = app.draft.text.chars().collect();
    let (_, col) = scroll(&chars, app.draft.cursor, usize::from(inner.width));
    Some(Position::new(inner.x + col as u16, inner.y))
}
