//! What the stream brings: live deliveries (applied, then acked) and
//! chunks of history, folded into the feed with the selection kept in place.

use super::navigate::{load_older_if_near_end, scroll_into_view, select_index};
use super::{App, Cmd, Delivery, posting};
use crate::feed::{Change, Feed};
use crate::wire::{Event, EventKind};

/// Applies live deliveries in order. Each is acked after it is applied,
/// bad or replayed ones too, so the consumer never redelivers them.
pub fn apply_live(app: &mut App, batch: Vec<Delivery>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let mut added = false;
    // On the newest tweet (or on none), the selection follows new ones.
    let follow = app.selected_index().is_none_or(|i| i == 0);
    for d in batch {
        match d.event {
            Ok(event) => {
                let ours = app.draft.posted_id() == Some(event.id.as_str());
                if event.kind != EventKind::TweetCreated
                    && event.author == app.user
                    && app.notice.as_ref().and_then(|n| n.about.as_deref())
                        == Some(event.id.as_str())
                {
                    // The like reported as failed was stored after all.
                    app.notice = None;
                }
                match app.feed.apply_owned(d.seq, event, d.new) {
                    Ok(Change::Tweet) => {
                        added = true;
                        if ours {
                            // Our own tweet came back through the stream: it is stored.
                            posting::tweet_posted(app);
                        }
                    }
                    Ok(Change::Likes | Change::Deferred) => {}
                    Err(skip) if skip.is_bad() => app.skipped += 1,
                    Err(_) => {}
                }
            }
            Err(_) => app.skipped += 1,
        }
        // Applied first, acked second, rendered third.
        if let Some(token) = d.ack {
            cmds.push(Cmd::Ack(token));
        }
    }
    app.skipped += app.feed.take_discarded();
    if added {
        if follow {
            select_index(app, 0);
        } else {
            scroll_into_view(app);
        }
    }
    cmds
}

/// Folds in one chunk of history, older than everything loaded so far.
pub fn apply_history(
    app: &mut App,
    from: u64,
    to: u64,
    events: Vec<Delivery>,
    at_start: bool,
) -> Vec<Cmd> {
    if app.loading && app.feed.is_empty() && app.feed.last_seq() == 0 {
        // The first chunk is the newest: the feed is a window ending at `to`.
        app.feed = Feed::window(to + 1);
    }
    app.loading_older = false;
    let decoded: Vec<(u64, Event, bool)> = events
        .into_iter()
        .filter_map(|d| match d.event {
            Ok(e) => Some((d.seq, e, d.new)),
            Err(_) => {
                app.skipped += 1;
                None
            }
        })
        .collect();
    app.skipped += app.feed.prepend(from, decoded, at_start);
    if app.selected.is_none() && !app.feed.is_empty() {
        select_index(app, 0);
    } else {
        scroll_into_view(app);
    }
    load_older_if_near_end(app)
}

/// The stream was deleted or recreated: everything shown came from the old
/// one.
pub fn reset(app: &mut App) {
    app.feed = Feed::new();
    app.selected = None;
    app.top = None;
    app.loading_older = false;
    app.error("stream deleted or recreated: feed rebuilt");
}
