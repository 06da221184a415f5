//! The view: draws the state, changes nothing. Every rendered row comes from
//! here; `feed.rs` draws the tweets.

mod feed;
mod help;
mod input;
pub mod layout;
mod status;

use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};

use crate::app::App;

/// Draws the whole screen for `app`.
pub fn view(app: &App, frame: &mut Frame) {
    let [feed_area, input_area, status_area] = layout::panes(frame.area());
    feed::render(app, feed_area, frame.buffer_mut());
    input::render(app, input_area, frame);
    status::render(app, status_area, frame.buffer_mut());
    if app.show_help {
        help::render(frame.area(), frame.buffer_mut());
    }
}

/// Where the terminal's cursor goes on a screen of `area`, if anywhere.
pub fn cursor(app: &App, area: ratatui::layout::Rect) -> Option<ratatui::layout::Position> {
    let [_, input_area, _] = layout::panes(area);
    input::cursor(app, input_area)
}

/// The few styles the screen uses, in one place.
pub(crate) mod theme {
    use super::*;

    pub const ACCENT: Color = Color::Cyan;
    pub fn border(focused: bool) -> Style {
        if focused {
            Style::new().fg(ACCENT)
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }
    pub fn author() -> Style {
        Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
    }
    pub fn dim() -> Style {
        Style::new().fg(Color::DarkGray)
    }
    pub fn liked() -> Style {
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn new_mark() -> Style {
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn error() -> Style {
        Style::new().fg(Color::Red)
    }
    pub fn ok() -> Style {
        Style::new().fg(Color::Green)
    }
    pub fn warn() -> Style {
        Style::new().fg(Color::Yellow)
    }
}
