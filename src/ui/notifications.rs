//! The notifications: likes and unlikes of the user's tweets and tweets
//! that mention them, newest first, likes of one tweet grouped.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme;
use crate::app::views::{self, NoteKind, NoteRow};
use crate::app::{App, geometry, glyphs};

/// `bob, carol and 3 others liked your tweet "…"`.
pub fn describe(row: &NoteRow) -> String {
    let mut names: Vec<String> = row
        .who
        .iter()
        .map(|w| glyphs::display(w).into_owned())
        .collect();
    let named = names.len();
    let others = row.anonymous + named.saturating_sub(2);
    names.truncate(2);
    let who = match (names.len(), others) {
        (0, 1) => "someone".to_owned(),
        (0, n) => format!("{n} people"),
        (1, 0) => names[0].clone(),
        (2, 0) => format!("{} and {}", names[0], names[1]),
        (_, 1) => format!("{} and 1 other", names.join(", ")),
        (_, n) => format!("{} and {n} others", names.join(", ")),
    };
    let what = match row.kind {
        NoteKind::Liked => "liked your tweet",
        NoteKind::Unliked => "took back a like of your tweet",
        NoteKind::Mentioned => "mentioned you:",
    };
    format!("{who} {what} \"{}\"", glyphs::display(row.snippet))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let p = theme::of(app);
    let block = theme::view_block(app, " Notifications ", " Enter open · Esc back ");
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let rows = views::rows(&app.notifications);
    if rows.is_empty() {
        Paragraph::new(
            "No notifications yet: likes of your tweets and mentions of @you show here.",
        )
        .style(p.dim)
        .wrap(ratatui::widgets::Wrap { trim: true })
        .render(inner, buf);
        return;
    }
    let height = usize::from(inner.height);
    let cursor = app.notifications.cursor.min(rows.len() - 1);
    let first = cursor.saturating_sub(height.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(first).take(height) {
        let selected = i == cursor;
        let mark = if selected { "▌ " } else { "  " };
        let dot = if row.unread { "• " } else { "  " };
        let mut style = if row.unread {
            p.author
        } else {
            ratatui::style::Style::new()
        };
        if selected {
            style = style.add_modifier(Modifier::BOLD);
        }
        let room = usize::from(inner.width).saturating_sub(4);
        let text = geometry::ellipsize(&describe(row), room);
        let y = inner.y + (i - first) as u16;
        Line::from(vec![
            Span::styled(mark, p.accent),
            Span::styled(dot, p.new_mark),
            Span::styled(text, style),
        ])
        .render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}
