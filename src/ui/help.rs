//! The key help, drawn over the screen by `?`: made from the key map
//! itself, so it lists exactly the keys that work.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::theme;
use crate::app::App;
use crate::app::geometry;
use crate::app::keymap::{HelpRow, Scope};

/// The widest the help gets; narrower terminals get all of their width.
const MAX_WIDTH: u16 = 64;
/// The key column never takes more than this.
const MAX_KEYS_WIDTH: usize = 18;

/// The help's lines: each place's heading, then its keys.
pub fn lines(rows: &[HelpRow], width: u16, p: &theme::Palette) -> Vec<Line<'static>> {
    let keys_width = rows
        .iter()
        .map(|r| geometry::width(&r.keys.join(" ")))
        .max()
        .unwrap_or(0)
        .min(MAX_KEYS_WIDTH)
        // On a narrow screen, what a key does keeps half the width.
        .min((usize::from(width) / 2).saturating_sub(2));
    let mut lines = Vec::new();
    let mut scope = None;
    for row in rows {
        if scope != Some(row.scope) {
            scope = Some(row.scope);
            let heading = match row.scope {
                Scope::Anywhere => "Anywhere",
                Scope::In(crate::app::Focus::Draft) => "In the draft",
                Scope::In(crate::app::Focus::Feed) => "In the feed",
                Scope::In(crate::app::Focus::Tweet) => "On a tweet's page",
                Scope::In(crate::app::Focus::Notifications) => "In the notifications",
                Scope::In(crate::app::Focus::Search) => "Writing a search",
            };
            let heading = geometry::ellipsize(heading, usize::from(width));
            lines.push(Line::from(Span::styled(heading, p.dim)));
        }
        let keys = geometry::ellipsize(&row.keys.join(" "), keys_width);
        let pad = keys_width.saturating_sub(geometry::width(&keys));
        let keys = format!(" {keys}{} ", " ".repeat(pad));
        let room = usize::from(width).saturating_sub(geometry::width(&keys));
        lines.push(Line::from(vec![
            Span::styled(keys, p.author),
            Span::raw(geometry::ellipsize(row.what, room)),
        ]));
    }
    lines
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let p = theme::of(app);
    let width = area.width.min(MAX_WIDTH);
    let lines = lines(&app.keys.help(), width.saturating_sub(2), p);
    let total = lines.len() as u16;
    let shown = geometry::help_rows((area.width, area.height), total);
    let height = (shown + 2).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    Clear.render(popup, buf);
    let scroll = app.help_scroll.min(total.saturating_sub(shown));
    let mut block = Block::bordered()
        .border_type(p.border_type(true))
        .border_style(p.border(true))
        .title(" Keys ");
    if shown < total {
        let more = match (scroll > 0, scroll + shown < total) {
            (true, true) => " ↑↓ more ",
            (false, true) => " ↓ more ",
            _ => " ↑ more ",
        };
        block = block.title_bottom(Line::from(more).right_aligned().style(p.dim));
    }
    Paragraph::new(lines)
        .scroll((scroll, 0))
        .block(block)
        .render(popup, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::KeyMap;

    #[test]
    fn every_binding_is_in_the_help() {
        let keys = KeyMap::default();
        let text: Vec<String> = lines(&keys.help(), 80, theme::palette(crate::app::Theme::Dark))
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text.len(), usize::from(keys.help_lines()));
        for b in keys.bindings() {
            let label = b.key.label();
            assert!(
                text.iter()
                    .any(|l| l.contains(&label) && l.contains(b.action.describe_in(b.scope))),
                "{label} ({}) missing from the help",
                b.action.describe_in(b.scope)
            );
        }
    }

    #[test]
    fn on_a_narrow_screen_what_each_key_does_still_shows() {
        let keys = KeyMap::default();
        let palette = theme::palette(crate::app::Theme::Dark);
        for width in [18, 24, 30] {
            for line in lines(&keys.help(), width, palette) {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                assert!(geometry::width(&text) <= usize::from(width), "{text:?}");
                if let [_, what] = &line.spans[..] {
                    // Whole, or cut with six columns shown at least.
                    let cut = what.content.ends_with('…');
                    assert!(
                        !what.content.is_empty() && (!cut || geometry::width(&what.content) >= 6),
                        "{text:?} at {width}"
                    );
                }
            }
        }
    }
}
