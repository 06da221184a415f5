//! The mouse: the wheel scrolls, a click selects a tweet, a click on its
//! heart likes or unlikes it, a click in the draft focuses it.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Margin, Position, Rect};

use super::geometry::{self, GUTTER};
use super::{Action, App, Cmd, Focus, Move, navigate, on_action, posting};

pub fn on_mouse(app: &mut App, event: MouseEvent) -> Vec<Cmd> {
    if app.show_help {
        return vec![];
    }
    let [feed, draft, _] = app.screen().panes(Rect::new(0, 0, app.size.0, app.size.1));
    let at = Position::new(event.column, event.row);
    match event.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if !feed.contains(at) {
                return vec![];
            }
            let to = if event.kind == MouseEventKind::ScrollDown {
                Move::Older
            } else {
                Move::Newer
            };
            if matches!(app.focus, Focus::Draft | Focus::Search) {
                // Scrolling the feed does not take the keyboard from the
                // draft or the search being written.
                return navigate::select(app, to);
            }
            on_action(app, Action::Select(to))
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if draft.contains(at) {
                app.focus = Focus::Draft;
                return vec![];
            }
            if !feed.contains(at) || !matches!(app.focus, Focus::Draft | Focus::Feed) {
                return vec![];
            }
            click_feed(app, feed, at)
        }
        _ => vec![],
    }
}

/// A click in the feed pane: the tweet under it is selected; on its heart,
/// liked or unliked too.
fn click_feed(app: &mut App, feed: Rect, at: Position) -> Vec<Cmd> {
    let inner = feed.inner(Margin::new(1, 1));
    if !inner.contains(at) {
        return vec![];
    }
    let cols = inner.width.saturating_sub(GUTTER);
    let mut y = inner.y;
    let mut next = app.shown_from(app.top_index(), 1);
    while y < inner.bottom() {
        let Some((index, tweet)) = next.and_then(|i| Some((i, app.feed.newest(i)?))) else {
            return vec![];
        };
        let height = geometry::tweet_height(tweet, cols) as u16;
        if at.y < y + height - 1 {
            let on_heart = at.y == y && at.x + 4 >= inner.right();
            app.focus = Focus::Feed;
            navigate::select_index(app, index);
            app.feed.mark_read(index);
            let mut cmds = navigate::load_older_if_near_end(app);
            cmds.extend(navigate::load_newer_if_near_top(app));
            if on_heart {
                cmds.extend(posting::toggle_like(app));
            }
            return cmds;
        }
        y += height;
        next = app.shown_from(index + 1, 1);
    }
    vec![]
}
