//! The headless commands: `post`, `like`, `unlike`, `show`, `tail`. They
//! use the same wire format, publisher and readers as the terminal UI.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::app::{Delivery, Outgoing, glyphs};
use crate::bus::{BusConfig, BusError, Session};
use crate::feed::{Change, Feed, Tweet};
use crate::wire::{self, Event, EventKind};

/// Why a headless command failed: the bus's error, or a refusal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error("no tweet {id} in stream {stream}: nothing was sent")]
    NoSuchTweet { id: String, stream: String },
    #[error("no tweet {id} in stream {stream}")]
    NotFound { id: String, stream: String },
}

/// Publishes a new tweet and waits for its PubAck. Returns its id.
pub async fn post(cfg: &BusConfig, text: &str) -> Result<String, Error> {
    let session = Session::open(cfg, None).await?;
    let id = uuid::Uuid::new_v4().to_string();
    // A new tweet's id doubles as its Nats-Msg-Id.
    let event = Event::tweet(id.clone(), text.to_owned(), cfg.user.clone(), Utc::now());
    let result = session
        .publish(&Outgoing {
            msg_id: id.clone(),
            event,
        })
        .await;
    session.close().await;
    result?;
    Ok(id)
}

/// Likes or unlikes the tweet `id`, once it is found in the stream: an id
/// that is no tweet is refused and nothing is published. Returns the
/// tweet's event.
pub async fn like(cfg: &BusConfig, kind: EventKind, id: &str) -> Result<Event, Error> {
    let session = Session::open_existing(cfg).await?;
    let result = async {
        let Some((_, tweet)) = session.find_tweet(id).await? else {
            return Err(Error::NoSuchTweet {
                id: id.to_owned(),
                stream: cfg.stream.clone(),
            });
        };
        let event = Event::like(kind, id.to_owned(), cfg.user.clone(), Utc::now());
        session
            .publish(&Outgoing {
                msg_id: uuid::Uuid::new_v4().to_string(),
                event,
            })
            .await?;
        Ok(tweet)
    }
    .await;
    session.close().await;
    result
}

/// The tweet `id` with its like count and likers, counted over every event
/// stored after it.
pub async fn show(cfg: &BusConfig, id: &str) -> Result<(u64, Tweet), Error> {
    let session = Session::open_existing(cfg).await?;
    let result = async {
        let Some((seq, tweet)) = session.find_tweet(id).await? else {
            return Err(Error::NotFound {
                id: id.to_owned(),
                stream: cfg.stream.clone(),
            });
        };
        let last = session.span().await?.last;
        let mut feed = Feed::new();
        let _ = feed.apply_owned(seq, tweet, false);
        let mut events = session.read(seq + 1);
        // Every event stored after the tweet, up to the last one now.
        let mut at = seq;
        while at < last {
            let Some(Delivery { seq, event, .. }) = events.next().await else {
                break;
            };
            at = seq;
            if let Ok(e) = event
                && e.id == id
                && e.kind != EventKind::TweetCreated
            {
                let _ = feed.apply_owned(seq, e, false);
            }
        }
        events.close().await;
        let tweet = feed.get(id).cloned();
        tweet.map(|t| (t.seq, t)).ok_or_else(|| Error::NotFound {
            id: id.to_owned(),
            stream: cfg.stream.clone(),
        })
    }
    .await;
    session.close().await;
    result
}

/// Where `tail` starts and whether it goes on.
#[derive(Debug, Clone, Copy, Default)]
pub struct TailOptions {
    pub json: bool,
    /// Only the last N events stored.
    pub last: Option<u64>,
    /// Only events stored since this time.
    pub since: Option<DateTime<Utc>>,
    /// Stop at the end of what is stored now.
    pub no_follow: bool,
}

/// Prints the events chosen by `opts`, then, unless told not to, each new
/// one, with the tweet's like count after it (counted over the events
/// read). Moves no user's consumer: it reads through ephemeral consumers.
/// Runs until Ctrl-C.
pub async fn tail(cfg: &BusConfig, opts: TailOptions) -> Result<(), Error> {
    // Reading what is stored, it makes no stream. Following, it makes one
    // that is not there, and says so: a mistyped name is seen at once.
    let session = if opts.no_follow {
        Session::open_existing(cfg).await?
    } else {
        Session::open(cfg, None).await?
    };
    if session.made_stream() {
        eprintln!(
            "jetfeed: no stream {} on {} yet: made it, waiting for events",
            cfg.stream, cfg.servers
        );
    }
    let span = session.span().await?;
    let mut from = span.first.max(1);
    if let Some(n) = opts.last {
        from = from.max((span.last + 1).saturating_sub(n));
    }
    if let Some(since) = opts.since {
        from = from.max(session.first_since(since).await?.unwrap_or(span.last + 1));
    }
    if opts.no_follow && from > span.last {
        session.close().await;
        return Ok(());
    }
    let mut events = session.read(from);
    let mut feed = Feed::window(from);
    let mut out = std::io::stdout().lock();
    // Listening from the start: a Ctrl-C that comes while a line is being
    // printed is not lost.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let result = loop {
        let item = tokio::select! {
            item = events.next_stored() => item,
            _ = &mut interrupted => break Ok(()),
        };
        let Some((Delivery { seq, event, .. }, payload)) = item else {
            break Ok(());
        };
        let at_end = opts.no_follow && seq >= span.last;
        let line = match event {
            Err(e) => {
                eprintln!("skipped event {seq}: {e}");
                None
            }
            Ok(event) => match feed.apply(seq, &event, false) {
                Ok(Change::Tweet | Change::Likes | Change::Deferred | Change::Newer) => {
                    // A tweet from before printing started counts the
                    // likes printed since.
                    let likes = feed
                        .get(&event.id)
                        .map_or_else(|| feed.waiting_likes(&event.id), Tweet::likes);
                    Some(if opts.json {
                        json_line(seq, &event, &payload, likes)
                    } else {
                        text_line(&event, likes)
                    })
                }
                Err(skip) => {
                    eprintln!("skipped event {seq}: {skip}");
                    None
                }
            },
        };
        if let Some(line) = line
            && writeln!(out, "{line}").and_then(|()| out.flush()).is_err()
        {
            // The reader went away (a closed pipe): nothing left to do.
            break Ok(());
        }
        if at_end {
            break Ok(());
        }
    };
    events.close().await;
    session.close().await;
    result
}

/// One object a line: the event's wire fields exactly as stored, its
/// stream sequence, and the tweet's like count after it.
pub fn json_line(seq: u64, e: &Event, payload: &[u8], likes: u64) -> String {
    let date = wire::format_date(&e.date);
    let (kind, id, message, date, author) = match wire::fields(payload) {
        Some(f) => (
            if f.message_type.is_empty() {
                e.kind.as_str().into()
            } else {
                f.message_type
            },
            f.id,
            f.message,
            f.date,
            f.author,
        ),
        None => (
            e.kind.as_str().into(),
            e.id.as_str().into(),
            e.message.as_str().into(),
            date.into(),
            e.author.as_str().into(),
        ),
    };
    json!({
        "messageType": kind,
        "id": id,
        "message": message,
        "date": date,
        "author": author,
        "seq": seq,
        "likes": likes,
    })
    .to_string()
}

/// `date  kind  id  @author  ♥N  text`, tab-separated for `cut` and `awk`,
/// each field on one line as the terminal shows it (`glyphs::display`).
pub fn text_line(e: &Event, likes: u64) -> String {
    let author = if e.author.is_empty() {
        "anonymous"
    } else {
        &e.author
    };
    format!(
        "{}\t{}\t{}\t@{}\t♥{likes}\t{}",
        wire::format_date(&e.date),
        e.kind,
        glyphs::display(&e.id),
        glyphs::display(author),
        glyphs::display(&e.message)
    )
}

/// A tweet as `show` prints it for people.
pub fn show_text(seq: u64, t: &Tweet) -> String {
    let who = crate::app::views::likers_shown(t);
    let mut out = format!(
        "{}  @{}  {}\n",
        glyphs::display(&t.id),
        glyphs::display(&t.author),
        t.date
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %Z"),
    );
    for line in t.text.split('\n') {
        out.push_str("  ");
        out.push_str(&glyphs::display(line));
        out.push('\n');
    }
    out.push_str(&format!("♥ {}", t.likes()));
    if !who.is_empty() {
        out.push_str(&format!(": {}", who.join(", ")));
    }
    out.push_str(&format!("\nstream sequence {seq}"));
    out
}

/// A tweet as `show --json` prints it: the Go service's shape, with who
/// liked it.
pub fn show_json(seq: u64, t: &Tweet) -> String {
    let mut likers: Vec<&str> = t.likers().collect();
    likers.sort_unstable();
    let date = wire::format_date(&t.date);
    json!({
        "id": t.id,
        "message": t.text,
        "author": t.author,
        "created_at": date,
        "date": date,
        "likes": t.likes(),
        "liked_by": likers,
        "anonymous_likes": t.anonymous_likes(),
        "seq": seq,
    })
    .to_string()
}
