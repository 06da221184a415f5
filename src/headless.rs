//! The headless commands: `post`, `like`, `unlike`, `tail`. They use the
//! same wire format, publisher and readers as the terminal UI.

use std::io::Write;

use chrono::Utc;
use serde_json::json;

use crate::app::Outgoing;
use crate::bus::{self, BusConfig, BusError, connect, consumer, publish};
use crate::feed::{Change, Feed};
use crate::wire::{self, Event, EventKind};

/// Publishes one event and waits for its PubAck. Returns the tweet's id.
pub async fn send(
    cfg: &BusConfig,
    kind: EventKind,
    id: Option<&str>,
    text: &str,
) -> Result<String, BusError> {
    let client = connect::connect(&cfg.servers, None).await?;
    let js = bus::context(&client, cfg.publish_timeout);
    bus::stream::ensure(&js, &cfg.stream, cfg.replicas, &cfg.servers).await?;
    let msg_id = uuid::Uuid::new_v4().to_string();
    let event = Event {
        kind,
        // A new tweet's id doubles as its Nats-Msg-Id.
        id: id.map_or_else(|| msg_id.clone(), str::to_owned),
        message: text.to_owned(),
        date: Utc::now().fixed_offset(),
        author: cfg.user.clone(),
    };
    let out = Outgoing { msg_id, event };
    publish::publish(&js, &cfg.stream, &out).await?;
    let _ = client.flush().await;
    Ok(out.event.id)
}

/// Prints every event from the stream's start, then each new one, with the
/// tweet's like count after it. Moves no user's consumer: it reads through
/// an ordered consumer. Runs until Ctrl-C.
pub async fn tail(cfg: &BusConfig, as_json: bool) -> Result<(), BusError> {
    let client = connect::connect(&cfg.servers, None).await?;
    let js = bus::context(&client, cfg.publish_timeout);
    let stream = bus::stream::ensure(&js, &cfg.stream, cfg.replicas, &cfg.servers).await?;
    let mut reader = consumer::read_from(stream, 1);
    let mut feed = Feed::new();
    let mut out = std::io::stdout().lock();
    let result = loop {
        let item = tokio::select! {
            item = reader.recv() => item,
            _ = tokio::signal::ctrl_c() => break Ok(()),
        };
        let Some((msg, info)) = item else {
            break Ok(());
        };
        let seq = info.stream_seq;
        let event = match wire::decode(&msg.subject, &msg.payload) {
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
    reader.close().await;
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
