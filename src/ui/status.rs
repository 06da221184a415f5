//! The status bar: connection, user, server (or the latest notice), unread
//! notifications, the skipped-event count and the stream's message count;
//! while a search is written, its query line.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme;
use crate::app::geometry;
use crate::app::{App, Connection, Focus, Level};

/// Draws the status bar; returns where the cursor goes when a search
/// query is being written there.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let p = theme::of(app);
    if app.focus == Focus::Search {
        return search_line(app, area, buf);
    }
    let (conn, conn_style) = match &app.connection {
        Connection::Connecting => ("◌ connecting".to_owned(), p.warn),
        Connection::Connected => ("● connected".to_owned(), p.ok),
        Connection::Disconnected => ("○ reconnecting".to_owned(), p.error),
        Connection::Failed(why) => (format!("✕ {why}"), p.error),
    };
    let cols = usize::from(area.width);
    // The connection's state comes first: counts give way before it does.
    let conn = geometry::ellipsize(&conn, cols);
    let mut room = cols.saturating_sub(geometry::width(&conn));
    let mut right = Vec::new();
    let unread = app.notifications.unread;
    let counts = [
        (unread > 0).then(|| {
            let unit = if unread == 1 {
                "notification"
            } else {
                "notifications"
            };
            // More were unread than are kept: the count is a floor.
            let more = if app.notifications.unread_dropped {
                "+"
            } else {
                ""
            };
            (format!(" {unread}{more} {unit}"), p.new_mark)
        }),
        app.stream_messages.map(|n| {
            let unit = if n == 1 { "msg" } else { "msgs" };
            (format!(" {n} {unit}"), p.dim)
        }),
        (app.skipped > 0).then(|| (format!(" ⚠ {} skipped", app.skipped), p.warn)),
    ];
    for (text, style) in counts.into_iter().flatten() {
        let w = geometry::width(&text);
        if w <= room {
            room -= w;
            right.push(Span::styled(text, style));
        }
    }
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
    None
}

/// `/query` being written, with how much of the stream it has searched.
fn search_line(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let p = theme::of(app);
    let query = app.search.as_ref().map(|s| &s.query);
    let text = query.map_or("", |q| q.text());
    let before = query.map_or("", |q| q.before_cursor());
    let progress = super::feed::progress(app).unwrap_or_default();
    let cols = usize::from(area.width);
    let progress = if geometry::width(&progress) + 4 < cols {
        progress
    } else {
        String::new()
    };
    let room = cols.saturating_sub(geometry::width(&progress) + 2);
    let shown = crate::app::glyphs::display(text);
    let before_w = geometry::width(&crate::app::glyphs::display(before)).min(room);
    let line = Line::from(vec![
        Span::styled("/", p.author),
        Span::raw(geometry::truncate(&shown, room)),
    ]);
    line.render(area, buf);
    Line::from(Span::styled(progress, p.dim))
        .right_aligned()
        .render(area, buf);
    Some(Position::new(area.x + 1 + before_w as u16, area.y))
}
