//! The selection and the scroll position: which tweet is selected, which
//! one is at the top of the pane, and asking for older history as the
//! selection nears the oldest tweet loaded, as a search reads on, or to
//! find the tweet the user was reading when they last quit. With a search
//! standing, the selection moves over the tweets it matches only.

use super::geometry;
use super::{App, Cmd, Move};

/// How close to the oldest loaded tweet the selection may come before older
/// ones are asked for.
const OLDER_MARGIN: usize = 20;

/// Moves the selection, then asks for older tweets if it came near the
/// oldest one loaded.
pub fn select(app: &mut App, to: Move) -> Vec<Cmd> {
    let from = app.selected_index();
    // Only `g` asks for the newest tweets all the way up.
    app.to_newest = to == Move::Newest && !app.feed.is_top_loaded();
    match to {
        Move::Older => move_by(app, 1),
        Move::Newer => move_by(app, -1),
        Move::PageOlder => move_by(app, page(app)),
        Move::PageNewer => move_by(app, -page(app)),
        Move::Newest => {
            if let Some(first) = app.shown_from(0, 1) {
                select_index(app, first);
            }
            if app.feed.is_top_loaded() {
                // Back at the top: everything is read.
                app.feed.mark_all_read();
            }
        }
        Move::Oldest => {
            if let Some(last) = app.shown_from(app.feed.len().saturating_sub(1), -1) {
                select_index(app, last);
            }
        }
        Move::OldestUnread => {
            if let Some(i) = app.feed.oldest_new() {
                select_index(app, i);
            }
        }
    }
    // The tweets the selection passed over on its way, and the one it
    // came to, are read.
    if let (Some(a), Some(b)) = (from, app.selected_index())
        && a != b
    {
        let passed = if a < b { a + 1..=b } else { b..=a - 1 };
        for i in passed {
            app.feed.mark_read(i);
        }
    }
    let mut cmds = load_older_if_near_end(app);
    cmds.extend(load_newer_if_near_top(app));
    cmds
}

/// Tweets a page moves: a pane of the smallest tweets, less one.
fn page(app: &App) -> isize {
    (app.screen().feed_rows().saturating_sub(1) / 3).max(1) as isize
}

/// Moves the selection `delta` shown tweets older (negative: newer),
/// stopping at either end.
fn move_by(app: &mut App, delta: isize) {
    let Some(from) = app.selected_index() else {
        if let Some(first) = app.shown_from(0, 1) {
            select_index(app, first);
        }
        return;
    };
    let step = delta.signum();
    let (mut at, mut left) = (from, delta.unsigned_abs());
    while left > 0 {
        let Some(next) = at
            .checked_add_signed(step)
            .filter(|&i| i < app.feed.len())
            .and_then(|i| app.shown_from(i, step))
        else {
            break;
        };
        at = next;
        left -= 1;
    }
    select_index(app, at);
}

/// The search changed: the feed shows its newest match first, selected.
pub fn after_filter(app: &mut App) {
    if let Some(i) = app.shown_from(0, 1) {
        app.selected = app.feed.seq_at(i);
        app.top = app.selected;
    }
    scroll_into_view(app);
}

/// With a search standing, a selection on a tweet it hides (none matched
/// yet) moves to the newest match once there is one.
pub fn keep_on_shown(app: &mut App) {
    if app.search.is_some() && !app.selected_tweet().is_some_and(|t| app.shows(t)) {
        after_filter(app);
    }
}

/// While a search stands, the rest of the stream is read, older chunk by
/// older chunk, until it has all been searched.
pub fn search_more(app: &mut App) -> Vec<Cmd> {
    let searching = app.search.as_ref().is_some_and(|s| !s.is_empty());
    if searching && !app.feed.is_top_loaded() {
        // The newest first: they are what a search shows first.
        return load_newer_if_near_top(app);
    }
    if !searching || app.loading || app.loading_older || app.feed.is_complete() {
        return vec![];
    }
    app.loading_older = true;
    vec![Cmd::LoadOlder {
        before: app.feed.first_seq(),
    }]
}

/// Chunks of older history read at most to find where the user was.
const RETURN_CHUNKS: u32 = 8;

/// Selects the tweet the user was reading when they last quit, once it is
/// loaded; asks for older history until it is (within reason).
pub fn return_to_place(app: &mut App) -> Vec<Cmd> {
    let Some(seq) = app.return_to else {
        return vec![];
    };
    if let Some(i) = app.feed.index_of_seq(seq) {
        app.return_to = None;
        // A notification's tweet opens if its list is still open; the feed
        // stays where it was.
        if let Some(id) = app.open_on_return.take() {
            if app.focus == super::Focus::Notifications {
                return super::views::open_tweet(app, id);
            }
            return vec![];
        }
        select_index(app, i);
        return vec![];
    }
    if app.loading {
        // The newest chunks are still coming.
        return vec![];
    }
    let older = seq < app.feed.first_seq() && !app.feed.is_complete();
    // Let go above the feed loaded (the selection far down).
    let newer = seq > app.feed.loaded_to() && !app.feed.is_top_loaded();
    if !(older || newer) || app.return_chunks >= RETURN_CHUNKS {
        // Gone from the stream, or too far back: the newest it is.
        app.return_to = None;
        if let Some(id) = app.open_on_return.take() {
            let why = if older || newer {
                "is too far from here to read back"
            } else {
                "is no longer in the stream"
            };
            app.error(format!(
                "that tweet {why}: jetfeed show {} prints it if it is there",
                crate::sanitize::line(&id)
            ));
        }
        return vec![];
    }
    if app.loading_older || app.loading_newer {
        return vec![];
    }
    app.return_chunks += 1;
    if newer {
        app.loading_newer = true;
        return vec![Cmd::LoadNewer {
            after: app.feed.loaded_to(),
            to: app.feed.last_seq(),
        }];
    }
    app.loading_older = true;
    vec![Cmd::LoadOlder {
        before: app.feed.first_seq(),
    }]
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

/// Asks for the newer tweets that were let go when the selection comes
/// within a page of the newest one loaded, when `g` was pressed, or for a
/// search (which reads them before older ones).
pub fn load_newer_if_near_top(app: &mut App) -> Vec<Cmd> {
    let searching = app.search.as_ref().is_some_and(|s| !s.is_empty());
    let near_top = app.selected_index().is_none_or(|i| i < OLDER_MARGIN);
    if app.feed.is_top_loaded()
        || app.loading_newer
        || app.loading
        || !(near_top || app.to_newest || searching)
    {
        return vec![];
    }
    app.loading_newer = true;
    vec![Cmd::LoadNewer {
        after: app.feed.loaded_to(),
        to: app.feed.last_seq(),
    }]
}

/// Moves the top of the pane so that the selected tweet is wholly visible,
/// scrolling as little as possible.
pub fn scroll_into_view(app: &mut App) {
    let Some(sel) = app.selected_index() else {
        return;
    };
    let shown = |i, step| app.shown_from(i, step);
    let top = geometry::scroll_top(&app.feed, app.top_index(), sel, app.screen(), &shown);
    app.top = app.feed.seq_at(top);
}
