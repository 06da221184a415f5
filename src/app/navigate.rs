//! The selection and the scroll position: which tweet is selected, which
//! one is at the top of the pane, and asking for older history as the
//! selection nears the oldest tweet loaded.

use super::geometry;
use super::{App, Cmd, Move};

/// How close to the oldest loaded tweet the selection may come before older
/// ones are asked for.
const OLDER_MARGIN: usize = 20;

/// Moves the selection, then asks for older tweets if it came near the
/// oldest one loaded.
pub fn select(app: &mut App, to: Move) -> Vec<Cmd> {
    match to {
        Move::Older => move_by(app, 1),
        Move::Newer => move_by(app, -1),
        Move::PageOlder => move_by(app, page(app)),
        Move::PageNewer => move_by(app, -page(app)),
        Move::Newest => select_index(app, 0),
        Move::Oldest => select_index(app, app.feed.len().saturating_sub(1)),
    }
    load_older_if_near_end(app)
}

/// Tweets a page moves: a pane of the smallest tweets, less one.
fn page(app: &App) -> isize {
    (app.screen().feed_rows().saturating_sub(1) / 3).max(1) as isize
}

/// Moves the selection `delta` tweets older (negative: newer), stopping at
/// either end.
fn move_by(app: &mut App, delta: isize) {
    let last = app.feed.len().saturating_sub(1);
    let target = app
        .selected_index()
        .map_or(0, |i| i.saturating_add_signed(delta).min(last));
    select_index(app, target);
}

/// Selects the tweet at newest-first `index` and scrolls it into view; the
/// newest tweet is shown at the top.
pub fn select_index(app: &mut App, index: usize) {
    app.selected = app.feed.seq_at(index);
    if index == 0 {
        app.top = app.feed.seq_at(0);
    }
    scroll_into_view(app);
}

/// Asks for older history when the selection comes within a page of the
/// oldest tweet loaded.
pub fn load_older_if_near_end(app: &mut App) -> Vec<Cmd> {
    let near_end = app
        .selected_index()
        .is_none_or(|i| i + OLDER_MARGIN >= app.feed.len());
    if app.loading || app.loading_older || app.feed.is_complete() || !near_end {
        return vec![];
    }
    app.loading_older = true;
    vec![Cmd::LoadOlder {
        before: app.feed.first_seq(),
    }]
}

/// Moves the top of the pane so that the selected tweet is wholly visible,
/// scrolling as little as possible.
pub fn scroll_into_view(app: &mut App) {
    let Some(sel) = app.selected_index() else {
        return;
    };
    let top = geometry::scroll_top(&app.feed, app.top_index(), sel, app.screen());
    app.top = app.feed.seq_at(top);
}
