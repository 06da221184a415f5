//! The headless commands: `post`, `like`, `unlike`, `tail`. They use the
//! same wire format, publisher and readers as the terminal UI.

use std::io::Write;

use chrono::Utc;
use serde_json::json;

use crate::app::{Delivery, Outgoing};
use crate::bus::{BusConfig, BusError, Session};
use crate::feed::{Change, Feed};
use crate::wire::{self, Event, EventKind};

/// Publishes one event and waits for its PubAck. Returns the tweet's id:
/// a new one for a tweet, `id` for a like or an unlike.
pub async fn send(
    cfg: &BusConfig,
    kind: EventKind,
    id: Option<&str>,
    text: &str,
) -> Result<String, BusError> {
    let session = Session::open(cfg, None).await?;
    let msg_id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    // A new tweet's id doubles as its Nats-Msg-Id.
    let id = id.map_or_else(|| msg_id.clone(), str::to_owned);
    let event = match kind {
        EventKind::TweetCreated => Event::tweet(id, text.to_owned(), cfg.user.clone(), now),
        kind => Event::like(kind, id, cfg.user.clone(), now),
    };
    let out = Outgoing { msg_id, event };
    session.publish(&out).await?;
    session.close().await;
    Ok(out.event.id)
}

/// Prints every event from the stream's start, then each new one, with the
/// tweet's like count after it. Moves no user's consumer: it reads through
/// ephemeral consumers. Runs until Ctrl-C.
pub async fn tail(cfg: &BusConfig, as_json: bool) -> Result<(), BusError> {
    let session = Session::open(cfg, None).await?;
    let mut events = session.read(1);
    let mut feed = Feed::new();
    let mut out = std::io::stdout().lock();
    // Listening from the start: a Ctrl-C that comes while a line is being
    // printed is not lost.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let result = loop {
        let item = tokio::select! {
            item = events.next() => item,
            _ = &mut interrupted => break Ok(()),
        };
        let Some(Delivery { seq, event, .. }) = item else {
            break Ok(());
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                eprintln!("skipped event {seq}: {e}");
                continue;
            }
        };
        let likes = match feed.apply(seq, &event, false) {
            Ok(Change::Tweet | Change::Likes | Change::Deferred) => {
                feed.get(&event.id).map_or(0, |t| t.likes())
            }
            Err(skip) => {
                eprintln!("skipped event {seq}: {skip}");
                continue;
            }
        };
        let line = if as_json {
            json_line(seq, &event, likes)
        } else {
            text_line(&event, likes)
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            // The reader went away (a closed pipe): nothing left to do.
            break Ok(());
        }
    };
    events.close().await;
    session.close().await;
    result
}

/// One object a line: the event's wire fields, its stream sequence, and the
/// tweet's like count after it.
pub fn json_line(seq: u64, e: &Event, likes: u64) -> String {
    json!({
        "messageType": e.kind.as_str(),
        "id": e.id,
        "message": e.message,
        "date": wire::format_date(&e.date),
        "author": e.author,
        "seq": seq,
        "likes": likes,
    })
    .to_string()
}

/// `date  kind  id  @author  ♥N  text`, tab-separated for `cut` and `awk`.
pub fn text_line(e: &Event, likes: u64) -> String {
    let author = if e.author.is_empty() {
        "anonymous"
    } else {
        &e.author
    };
    format!(
        "{}\t{}\t{}\t@{author}\t♥{likes}\t{}",
        wire::format_date(&e.date),
        e.kind,
        e.id,
        e.message
    )
}
