//! What the user sends: the draft as a tweet, likes and unlikes, what
//! waits while the connection is away, and how each publish ended.

use super::draft::{Attempt, Draft, Posting, tweet_text};
use super::{App, Cmd, Connection, Outgoing};
use crate::wire::{Event, EventKind};

/// Posts the draft: a new id for new text, the last one for a retry.
pub fn send_draft(app: &mut App) -> Vec<Cmd> {
    if app.draft.is_sending() {
        return vec![];
    }
    let text = match tweet_text(app.draft.text()) {
        Ok(text) => text,
        Err(why) => {
            app.warn(why);
            return vec![];
        }
    };
    let id = match app.draft.retry_id() {
        Some(id) => id.to_owned(),
        None => app.ids.next_id(),
    };
    app.draft.attempt = Some(Attempt {
        text: text.clone(),
        id: id.clone(),
    });
    if app.connection != Connection::Connected {
        wait_for_connection(app);
        return vec![];
    }
    app.draft.posting = Posting::Sending;
    app.info("posting…");
    let event = Event::tweet(id.clone(), text, app.user.clone(), app.now);
    // A tweet's id doubles as its Nats-Msg-Id: one id, one stored tweet.
    vec![Cmd::Publish(Outgoing { msg_id: id, event })]
}

pub fn tweet_posted(app: &mut App) {
    app.draft = Draft::default();
    app.info("posted");
}

fn wait_for_connection(app: &mut App) {
    app.draft.posting = Posting::Waiting;
    app.info("offline: the tweet will be posted when the connection returns");
}

/// Likes the selected tweet, or takes the user's like back.
pub fn toggle_like(app: &mut App) -> Vec<Cmd> {
    let Some(id) = app.selected_tweet().map(|t| t.id.clone()) else {
        app.info("no tweet selected");
        return vec![];
    };
    toggle_like_of(app, &id)
}

/// Likes the tweet `id` (one loaded in the feed), or takes the like back.
pub fn toggle_like_of(app: &mut App, id: &str) -> Vec<Cmd> {
    let Some(tweet) = app.feed.get(id) else {
        app.info("that tweet is not loaded");
        return vec![];
    };
    if app.like_pending(&tweet.id) {
        return vec![];
    }
    let kind = if tweet.liked_by(&app.user) {
        EventKind::TweetUnliked
    } else {
        EventKind::TweetLiked
    };
    let event = Event::like(kind, tweet.id.clone(), app.user.clone(), app.now);
    let out = Outgoing {
        msg_id: app.ids.next_id(),
        event,
    };
    if app.connection != Connection::Connected {
        app.queued.push(out);
        app.info("offline: the like will be sent when the connection returns");
        return vec![];
    }
    app.pending_likes.insert(out.msg_id.clone(), out.clone());
    vec![Cmd::Publish(out)]
}

/// Sends what was posted or liked while the connection was away, each with
/// the id it was first given.
pub fn send_waiting(app: &mut App) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for out in std::mem::take(&mut app.queued) {
        app.pending_likes.insert(out.msg_id.clone(), out.clone());
        cmds.push(Cmd::Publish(out));
    }
    if app.draft.is_waiting() {
        app.draft.posting = Posting::Editing;
        cmds.extend(send_draft(app));
    }
    cmds
}

/// A publish ended: with its PubAck, or with an error.
pub fn on_published(app: &mut App, msg_id: String, result: Result<u64, String>) -> Vec<Cmd> {
    if let Some(out) = app.pending_likes.remove(&msg_id) {
        if let Err(e) = result {
            if app.connection == Connection::Connected {
                app.like_error(format!("like not sent: {e}"), &out.event.id);
            } else {
                // Sent again, with the same id, when the connection returns.
                app.queued.push(out);
            }
        }
        return vec![];
    }
    if !app.draft.is_sending() || app.draft.posted_id() != Some(msg_id.as_str()) {
        // Already settled: the tweet came back through the stream first.
        return vec![];
    }
    app.draft.posting = Posting::Editing;
    match result {
        Ok(_) => tweet_posted(app),
        Err(_) if app.connection != Connection::Connected => wait_for_connection(app),
        Err(e) => app.draft_error(format!("not posted, draft kept (Enter retries): {e}")),
    }
    vec![]
}
