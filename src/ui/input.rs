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
    let title = if draft.sending.is_some() {
        " Posting… "
    } else if draft.waiting {
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
        // Keep the cursor in view: skip whole characters off the left edge.
        let chars: Vec<char> = draft.text.chars().collect();
        let before: String = chars[..draft.cursor.min(chars.len())].iter().collect();
        let mut skip = 0;
        let mut before_w = layout::width(&before);
        while before_w >= cols && skip < chars.len() {
            before_w -= layout::width(&chars[skip].to_string());
            skip += 1;
        }
        let shown: String = chars[skip..].iter().collect();
        let style = if draft.sending.is_some() {
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
        if focused && draft.sending.is_none() {
            frame.set_cursor_position(Position::new(inner.x + before_w as u16, inner.y));
        }
        return;
    }
    if focused {
        frame.set_cursor_position(Position::new(inner.x, inner.y));
    }
}
