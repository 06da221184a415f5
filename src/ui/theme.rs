//! The styles the screen uses, one palette per theme. With `mono` (and
//! whenever `NO_COLOR` is set) nothing depends on colour: the focused pane
//! has a thick border and a bold title, the selected tweet a bar and bold
//! text, warnings their sign.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

use crate::app::{App, Theme};

pub struct Palette {
    pub accent: Style,
    pub author: Style,
    pub dim: Style,
    pub liked: Style,
    pub new_mark: Style,
    pub error: Style,
    pub ok: Style,
    pub warn: Style,
    /// Draft text past the 280th character.
    pub over_limit: Style,
    focused: Style,
    unfocused: Style,
    /// The focused pane is told by its border's shape too (no colour).
    thick_focus: bool,
}

impl Palette {
    /// A pane's border: the focused one stands out by style and by shape.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.focused
        } else {
            self.unfocused
        }
    }

    pub fn border_type(&self, focused: bool) -> BorderType {
        if focused && self.thick_focus {
            BorderType::Thick
        } else {
            BorderType::Rounded
        }
    }
}

const fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

const BOLD: Modifier = Modifier::BOLD;

static DARK: Palette = Palette {
    accent: fg(Color::Cyan),
    author: fg(Color::Cyan).add_modifier(BOLD),
    dim: fg(Color::DarkGray),
    liked: fg(Color::Red).add_modifier(BOLD),
    new_mark: fg(Color::Yellow).add_modifier(BOLD),
    error: fg(Color::Red),
    ok: fg(Color::Green),
    warn: fg(Color::Yellow),
    over_limit: Style::new().fg(Color::White).bg(Color::Red),
    focused: fg(Color::Cyan),
    unfocused: fg(Color::DarkGray),
    thick_focus: false,
};

/// For light backgrounds: no yellow or light grey text on white.
static LIGHT: Palette = Palette {
    accent: fg(Color::Blue),
    author: fg(Color::Blue).add_modifier(BOLD),
    dim: fg(Color::Gray),
    liked: fg(Color::Red).add_modifier(BOLD),
    new_mark: fg(Color::Magenta).add_modifier(BOLD),
    error: fg(Color::Red),
    ok: fg(Color::Green),
    warn: fg(Color::Magenta),
    over_limit: Style::new().fg(Color::White).bg(Color::Red),
    focused: fg(Color::Blue),
    unfocused: fg(Color::Gray),
    thick_focus: false,
};

/// No colour at all: weight, reverse video and shape only.
static MONO: Palette = Palette {
    accent: Style::new().add_modifier(BOLD),
    author: Style::new().add_modifier(BOLD),
    dim: Style::new(),
    liked: Style::new().add_modifier(BOLD),
    new_mark: Style::new().add_modifier(BOLD),
    error: Style::new().add_modifier(BOLD),
    ok: Style::new(),
    warn: Style::new().add_modifier(BOLD),
    over_limit: Style::new().add_modifier(Modifier::REVERSED),
    focused: Style::new().add_modifier(BOLD),
    unfocused: Style::new(),
    thick_focus: true,
};

/// The frame of a view shown in the feed's place (a tweet's page, the
/// notifications): focused, titled, its keys along the bottom.
pub fn view_block<'a>(app: &App, title: &'a str, keys: &'a str) -> ratatui::widgets::Block<'a> {
    use ratatui::text::Line;
    let p = of(app);
    ratatui::widgets::Block::bordered()
        .border_type(p.border_type(true))
        .border_style(p.border(true))
        .title(Line::from(title).style(p.author))
        .title_bottom(Line::from(keys).right_aligned().style(p.dim))
}

pub fn palette(theme: Theme) -> &'static Palette {
    match theme {
        Theme::Dark => &DARK,
        Theme::Light => &LIGHT,
        Theme::Mono => &MONO,
    }
}

/// The palette of the app's theme.
pub fn of(app: &App) -> &'static Palette {
    palette(app.theme)
}
