//! The view: draws the state, changes nothing. Every rendered row comes from
//! here; `feed.rs` draws the tweets. The whole screen is a widget: `&App`
//! renders into any `Buffer`, and `render` also says where the terminal's
//! cursor goes.

mod feed;
mod help;
mod input;
mod status;
pub mod theme;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;

use crate::app::App;

/// Draws the whole screen for `app` into `buf`; returns where the
/// terminal's cursor goes, if it is shown.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let screen = app.screen_of((area.width, area.height));
    let [feed_area, input_area, status_area] = screen.panes(area);
    feed::render(app, feed_area, buf);
    let cursor = input::render(app, input_area, buf);
    status::render(app, status_area, buf);
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
