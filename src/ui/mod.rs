//! The view: draws the state, changes nothing. Every rendered row comes from
//! here; `feed.rs` draws the tweets. The whole screen is a widget: `&App`
//! renders into any `Buffer`, and `render` also says where the terminal's
//! cursor goes.

mod feed;
mod help;
mod input;
mod notifications;
mod page;
mod status;
pub mod theme;

pub use feed::thousands;
pub use notifications::describe as describe_note;
pub use page::lines as page_lines;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;

use crate::app::{App, Focus};

/// Draws the whole screen for `app` into `buf`; returns where the
/// terminal's cursor goes, if it is shown.
/// The smallest screen the panes fit on; below it, one line says so.
pub const MIN_SIZE: (u16, u16) = (20, 8);

pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!("jetfeed needs {}×{}", MIN_SIZE.0, MIN_SIZE.1);
        let line = crate::app::geometry::ellipsize(&text, usize::from(area.width));
        ratatui::text::Line::from(line).render(
            Rect {
                height: area.height.min(1),
                ..area
            },
            buf,
        );
        return None;
    }
    let screen = app.screen_of((area.width, area.height));
    let [feed_area, input_area, status_area] = screen.panes(area);
    match app.focus {
        Focus::Tweet => page::render(app, feed_area, buf),
        Focus::Notifications => notifications::render(app, feed_area, buf),
        _ => feed::render(app, feed_area, buf),
    }
    let cursor = input::render(app, input_area, buf);
    let cursor = status::render(app, status_area, buf).or(cursor);
    fence_pieces(area, buf);
    if app.show_help {
        help::render(app, area, buf);
        return None;
    }
    cursor
}

/// The cells a grapheme drawn in pieces (`glyphs::drawn_in_pieces`) spills
/// into hold an empty symbol: whatever is drawn there next differs from it,
/// so the diff writes it and the terminal's leftover piece is replaced.
fn fence_pieces(area: Rect, buf: &mut Buffer) {
    use unicode_width::UnicodeWidthStr;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let symbol = buf[(x, y)].symbol();
            let width = symbol.width().max(1) as u16;
            if width > 1 && crate::app::glyphs::drawn_in_pieces(symbol) {
                for k in 1..width.min(area.right() - x) {
                    buf[(x + k, y)].set_symbol("");
                }
            }
            x += width;
        }
    }
}

/// The terminal's title: jetfeed's name and how many tweets are unread.
/// Set by jetfeed alone; no text from the stream is ever in it.
pub fn title(app: &App) -> String {
    match app.feed.new_count() {
        0 => "jetfeed".to_owned(),
        n => format!("({n}) jetfeed"),
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render(self, area, buf);
    }
}

/// Draws `app` into a frame, cursor included.
pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if let Some(p) = render(app, area, frame.buffer_mut()) {
        frame.set_cursor_position(p);
    }
}
