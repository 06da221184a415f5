//! The key help, drawn over the screen by `?`.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};

use super::theme;

/// Every key, as the README lists them.
pub const KEYS: [(&str, &str); 10] = [
    ("Tab", "switch draft / feed"),
    ("Enter", "post the draft"),
    ("j k ↓ ↑", "select older / newer"),
    ("g G", "newest / oldest"),
    ("PgDn PgUp", "page down / up"),
    ("l", "like / unlike"),
    ("i Esc", "back to the draft"),
    ("?", "this help"),
    ("q", "quit (from the feed)"),
    ("Ctrl-C", "quit"),
];

pub fn render(area: Rect, buf: &mut Buffer) {
    let height = (KEYS.len() as u16 + 2).min(area.height);
    let width = 36.min(area.width);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    Clear.render(popup, buf);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<10}"), theme::author()),
                Span::raw(*what),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme::border(true))
                .title(" Keys "),
        )
        .render(popup, buf);
}
