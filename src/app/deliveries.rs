//! What the stream brings: live deliveries (applied, then acked) and
//! chunks of history, folded into the feed with the selection kept in place.

use super::navigate::{
    keep_on_shown, load_newer_if_near_top, load_older_if_near_end, return_to_place,
    scroll_into_view, search_more, select_index,
};
use super::{App, Cmd, Delivery, Focus, posting, views};
use crate::feed::{Change, Feed};
use crate::wire::{Event, EventKind};

/// Live events the durable consumer skipped. An event pushed while the
/// connection was away (a node restarting, a network blip) comes again only
/// after the ack wait, by when newer ones have arrived; folded then, it
/// would be taken for a replay. So deliveries after a hole wait here while
/// the hole is read from the stream, and are folded, in order, after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
    held: Vec<Delivery>,
    /// The read failed: asked for again at the next tick.
    failed: bool,
}

/// Applies live deliveries in stream order. A delivery that skips ahead
/// waits, with those after it, until what it skipped is read.
pub fn apply_live(app: &mut App, batch: Vec<Delivery>) -> Vec<Cmd> {
    if let Some(gap) = app.gap.as_mut() {
        gap.held.extend(batch);
        return vec![];
    }
    let mut batch = batch.into_iter();
    let mut next = Vec::new();
    while let Some(d) = batch.next() {
        let last = app
            .feed
            .last_seq()
            .max(next.iter().map(|d: &Delivery| d.seq).max().unwrap_or(0));
        if d.seq > last + 1 {
            let to = d.seq - 1;
            let mut held = vec![d];
            held.extend(batch);
            let mut cmds = fold_live(app, next);
            cmds.push(open_gap(app, last + 1, to, held));
            return cmds;
        }
        next.push(d);
    }
    fold_live(app, next)
}

/// The events of a gap, read from the stream: folded, then what waited.
pub fn gap_filled(app: &mut App, from: u64, to: u64, events: Vec<Delivery>) -> Vec<Cmd> {
    let Some(gap) = app.gap.take_if(|g| (g.from, g.to) == (from, to)) else {
        return vec![];
    };
    let mut cmds = fold_live(
        app,
        events
            .into_iter()
            .filter(|d| (from..=to).contains(&d.seq))
            .collect(),
    );
    // What is not there was deleted from the stream: nothing to wait for.
    app.feed.applied_to(to);
    app.gaps_read += 1;
    cmds.extend(apply_live(app, gap.held));
    cmds
}

/// The consumer's delivered mark, as the watchdog last read it. Deliveries
/// pushed while the connection was moving to another server (a node died)
/// are lost in transit and come again only after the ack wait (30 s); a
/// later delivery shows the hole at once (`apply_live`), but when they were
/// the newest events nothing later comes. So when the consumer says, two
/// reports running, that it has delivered the same events past the feed's
/// end (it has sent nothing since, and nothing came), that tail is read
/// from the stream like any gap. A mark that moved means deliveries are
/// still flowing, and those on their way are not read twice. The
/// redeliveries, when they come, are replays.
pub fn consumer_delivered(app: &mut App, seq: u64) -> Vec<Cmd> {
    if app.loading {
        // Live deliveries wait for the history: they are not late.
        app.consumer_delivered = None;
        return vec![];
    }
    let before = app.consumer_delivered.replace(seq);
    let last = app.feed.last_seq();
    match before {
        Some(to) if to == seq && to > last && app.gap.is_none() => {
            vec![open_gap(app, last + 1, to, Vec::new())]
        }
        _ => vec![],
    }
}

/// Has the events `from..=to` read from the stream; the deliveries `held`
/// (those after them) wait, and are folded after them.
fn open_gap(app: &mut App, from: u64, to: u64, held: Vec<Delivery>) -> Cmd {
    app.gap = Some(Gap {
        from,
        to,
        held,
        failed: false,
    });
    Cmd::FillGap { from, to }
}

/// Reading a gap failed: it is asked for again at the next tick.
pub fn gap_failed(app: &mut App, from: u64, to: u64) {
    if let Some(gap) = app.gap.as_mut().filter(|g| (g.from, g.to) == (from, to)) {
        gap.failed = true;
    }
}

/// A gap whose read failed is asked for again.
pub fn retry_gap(app: &mut App) -> Vec<Cmd> {
    match app.gap.as_mut().filter(|g| g.failed) {
        Some(gap) => {
            gap.failed = false;
            vec![Cmd::FillGap {
                from: gap.from,
                to: gap.to,
            }]
        }
        None => vec![],
    }
}

/// Folds live deliveries, in order. Each is acked after it is applied, bad
/// or replayed ones too, so the consumer never redelivers them.
fn fold_live(app: &mut App, batch: Vec<Delivery>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let mut added = false;
    // On the newest tweet (or on none), the selection follows new ones.
    let follow = app.selected_index().is_none_or(|i| i == 0) && app.feed.is_top_loaded();
    for d in batch {
        match d.event {
            Ok(event) => {
                let ours = app.draft.posted_id() == Some(event.id.as_str());
                // Scrolled away from the newest, a new tweet is unread until
                // the selection passes over it (one's own tweets excepted).
                let unread = d.new || (!follow && event.author != app.user);
                if event.kind != EventKind::TweetCreated
                    && event.author == app.user
                    && app.notice.as_ref().and_then(|n| n.about.as_deref())
                        == Some(event.id.as_str())
                {
                    // The like reported as failed was stored after all.
                    app.notice = None;
                }
                // A like by someone who likes it already, or an unlike by
                // someone who does not, changes nothing: no notification.
                let no_change = event.kind != EventKind::TweetCreated
                    && !event.author.is_empty()
                    && app.feed.get(&event.id).is_some_and(|t| {
                        t.liked_by(&event.author) == (event.kind == EventKind::TweetLiked)
                    });
                let notable = (!no_change && views::is_notable(app, &event)).then(|| event.clone());
                let applied = app.feed.apply_owned(d.seq, event, unread);
                if let (Ok(_), Some(e)) = (&applied, notable) {
                    views::notice_event(app, d.seq, &e, true);
                }
                match applied {
                    Ok(Change::Tweet) => {
                        added = true;
                        if let (Some(search), Some(t)) = (app.search.as_mut(), app.feed.newest(0)) {
                            search.found(t);
                        }
                        if ours {
                            // Our own tweet came back through the stream: it is stored.
                            posting::tweet_posted(app);
                        }
                    }
                    Ok(Change::Newer) if ours => posting::tweet_posted(app),
                    Ok(Change::Likes | Change::Deferred | Change::Newer) => {}
                    Err(skip) if skip.is_bad() => app.skipped += 1,
                    Err(_) => {}
                }
            }
            Err(_) => {
                app.skipped += 1;
                // Read, if not folded: the next event follows it.
                app.feed.applied_to(d.seq);
            }
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
        keep_on_shown(app);
        let_far_tweets_go(app);
    }
    cmds
}

/// Tweets kept loaded on each side of the screen and the selection, at
/// least.
pub const KEEP_AROUND: usize = 2_000;

/// Lets the tweets far from the screen go from memory once as many again
/// as `KEEP_AROUND` have gathered on one side, so a feed left open for
/// weeks, or scrolled through from its newest tweet to its oldest, holds a
/// few thousand tweets, not all it was sent or read. They are read again,
/// with their exact counts, when the selection comes near them. Not while
/// a search, a tweet's page or a place to return to needs what is loaded.
pub fn let_far_tweets_go(app: &mut App) {
    let reading_page = app.focus == Focus::Tweet;
    if app.search.is_some() || reading_page || app.return_to.is_some() || app.loading {
        return;
    }
    let (sel, top) = (app.selected_index().unwrap_or(0), app.top_index());
    let keep = sel.max(top) + KEEP_AROUND;
    if app.feed.len() >= keep + KEEP_AROUND
        && let Some(below) = app.feed.seq_at(keep - 1)
    {
        remember_mine(app, keep..app.feed.len());
        app.feed.evict_older(below);
    }
    let highest = sel.min(top);
    if highest >= 2 * KEEP_AROUND
        && let Some(above) = app.feed.seq_at(highest - KEEP_AROUND)
    {
        remember_mine(app, 0..highest - KEEP_AROUND);
        app.feed.evict_newer(above);
    }
}

/// Remembers the user's own tweets among those at newest-first `indices`,
/// about to be let go: likes of them still make notifications.
fn remember_mine(app: &mut App, indices: std::ops::Range<usize>) {
    for t in indices.filter_map(|i| app.feed.newest(i)) {
        if t.author == app.user {
            app.mine_let_go.remember(&t.id, &t.text, t.seq);
        }
    }
}

/// Folds in a chunk of the newer tweets that were let go (and those that
/// arrived since), read again from the stream.
pub fn apply_newer(app: &mut App, from: u64, to: u64, events: Vec<Delivery>) -> Vec<Cmd> {
    app.loading_newer = false;
    if from != app.feed.loaded_to() + 1 {
        // Asked for before the feed changed under it.
        return read_on(app);
    }
    let decoded = events
        .into_iter()
        .filter_map(|d| d.event.ok().map(|e| (d.seq, e, false)));
    let before = app.feed.len();
    let loaded = app.feed.append(to, decoded);
    // Bad events among them were counted when they arrived, except likes
    // that turn out older than their tweet.
    app.skipped += app.feed.take_discarded();
    if let Some(search) = app.search.as_mut() {
        for t in (0..loaded).filter_map(|i| app.feed.newest(i)) {
            search.found(t);
        }
    }
    debug_assert_eq!(app.feed.len(), before + loaded);
    if app.to_newest && app.focus == Focus::Feed {
        select_index(app, 0);
        if app.feed.is_top_loaded() {
            app.to_newest = false;
            app.feed.mark_all_read();
        }
    } else {
        scroll_into_view(app);
    }
    keep_on_shown(app);
    let_far_tweets_go(app);
    read_on(app)
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
    } else if to + 1 != app.feed.first_seq() {
        // Asked for before the feed changed under it (a search that was
        // replaced or ended, a stream rebuilt): not next to what is loaded.
        app.loading_older = false;
        return read_on(app);
    }
    app.loading_older = false;
    // Unread when jetfeed last quit, unless one's own.
    let (unread_from, user) = (app.unread_from, app.user.clone());
    let unread_before =
        |seq: u64, e: &Event| unread_from.is_some_and(|u| seq >= u) && e.author != user;
    let decoded: Vec<(u64, Event, bool)> = events
        .into_iter()
        .filter_map(|d| match d.event {
            Ok(e) => {
                let new = d.new || unread_before(d.seq, &e);
                Some((d.seq, e, new))
            }
            Err(_) => {
                // Counted once, however often it is read again.
                app.skipped += u64::from(!app.feed.was_read(d.seq));
                None
            }
        })
        .collect();
    // Likes and mentions that may concern the user, checked once their
    // tweets are folded in.
    // A like is of the user's tweet if that tweet is in this chunk (a
    // tweet is stored before its likes, and newer chunks came first).
    let mine: foldhash::HashSet<&str> = decoded
        .iter()
        .filter(|(_, e, _)| e.kind == EventKind::TweetCreated && e.author == app.user)
        .map(|(_, e, _)| e.id.as_str())
        .collect();
    // Who likes each of them so far: the chunk holds all that happened to
    // them up to its end, so a like that changes nothing (a second one, an
    // unlike by someone who did not like it) is told apart, as live.
    let mut liking: foldhash::HashSet<(&str, &str)> = foldhash::HashSet::default();
    let notable: Vec<(u64, Event, bool)> = decoded
        .iter()
        .filter(|(_, e, _)| {
            e.author != app.user
                && match e.kind {
                    EventKind::TweetCreated => views::mentions(&e.message, &app.user),
                    _ if !mine.contains(e.id.as_str()) => false,
                    _ if e.author.is_empty() => true,
                    EventKind::TweetLiked => liking.insert((e.id.as_str(), e.author.as_str())),
                    EventKind::TweetUnliked => liking.remove(&(e.id.as_str(), e.author.as_str())),
                }
        })
        .cloned()
        .collect();
    drop((mine, liking));
    let below = app.feed.first_seq();
    match app.search.as_ref().filter(|s| !s.is_empty()) {
        // A search reading the stream keeps its matches, not all it reads.
        Some(search) => {
            app.skipped += app
                .feed
                .prepend_kept(from, decoded, at_start, &|t| search.matches(t));
        }
        None => app.skipped += app.feed.prepend(from, decoded, at_start),
    }
    if let Some(search) = app.search.as_mut() {
        for t in (app.feed.index_of_seq(below).map_or(0, |i| i + 1)..app.feed.len())
            .filter_map(|i| app.feed.newest(i))
        {
            search.found(t);
        }
    }
    for (seq, event, new) in &notable {
        views::notice_event(app, *seq, event, *new);
    }
    if app.selected.is_none() && !app.feed.is_empty() {
        select_index(app, 0);
    } else {
        scroll_into_view(app);
    }
    keep_on_shown(app);
    let_far_tweets_go(app);
    read_on(app)
}

/// Asks for the next older chunk if anything waits for it: a place to
/// return to, a selection near the oldest tweet, a search.
pub(super) fn read_on(app: &mut App) -> Vec<Cmd> {
    let mut cmds = return_to_place(app);
    if cmds.is_empty() {
        cmds = load_older_if_near_end(app);
    }
    cmds.extend(load_newer_if_near_top(app));
    if cmds.is_empty() {
        cmds = search_more(app);
    }
    cmds
}

/// The stream was deleted or recreated: everything shown came from the old
/// one.
pub fn reset(app: &mut App) {
    app.feed = Feed::new();
    // What waited was the old stream's, and so was the consumer's mark.
    app.gap = None;
    app.consumer_delivered = None;
    if let Some(search) = app.search.as_mut() {
        search.parse(&app.feed);
    }
    app.selected = None;
    app.top = None;
    app.loading_older = false;
    app.loading_newer = false;
    app.to_newest = false;
    app.mine_let_go = views::MineLetGo::default();
    app.error("stream deleted or recreated: feed rebuilt");
}
