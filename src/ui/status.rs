//! The status bar: connection, user, server (or the latest notice), the
//! stream's message count and the skipped-event count.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme;
use crate::app::geometry;
use crate::app::{App, Connection, Level};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let p = theme::of(app);
    let (conn, conn_style) = match &app.connection {
        Connection::Connecting => ("◌ connecting".to_owned(), p.warn),
        Connection::Connected => ("● connected".to_owned(), p.ok),
        Connection::Disconnected => ("○ reconnecting".to_owned(), p.error),
        Connection::Failed(why) => (format!("✕ {why}"), p.error),
    };
    let mut right = Vec::new();
    if let Some(n) = app.stream_messages {
        let unit = if n == 1 { "msg" } else { "msgs" };
        right.push(Span::styled(format!(" {n} {unit}"), p.dim));
    }
    if app.skipped > 0 {
        right.push(Span::styled(format!(" ⚠ {} skipped", app.skipped), p.warn));
    }
    let right_w: usize = right.iter().map(|s| geometry::width(&s.content)).sum();
    let cols = usize::from(area.width);
    let conn = geometry::ellipsize(&conn, cols.saturating_sub(right_w));
    let user = format!(" @{}", app.user);
    let (middle, middle_style) = match &app.notice {
        Some(n) => (
            format!(" {}", crate::app::glyphs::display(&n.text)),
            match n.level {
                Level::Error => p.error,
                Level::Warn => p.warn,
                Level::Info => p.ok,
            },
        ),
        None => (format!(" {}", app.server), p.dim),
    };
    let mut room = cols.saturating_sub(right_w + geometry::width(&conn));
    let user = geometry::ellipsize(&user, room.min(17));
    room = room.saturating_sub(geometry::width(&user));
    let middle = geometry::ellipsize(&middle, room);
    room = room.saturating_sub(geometry::width(&middle));
    let mut spans = vec![
        Span::styled(conn, conn_style),
        Span::styled(user, p.author),
        Span::styled(middle, middle_style),
        Span::raw(" ".repeat(room)),
    ];
    spans.extend(right);
    Line::from(spans).style(Style::new()).render(area, buf);
}
