//! The reducer's tests: messages in, state and commands out. Helpers
//! here; the tests by seam beside them.

mod posting;
mod reading;
mod replay;
mod views;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::wire::{Event, EventKind};

pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

pub(super) fn init() -> Init {
    Init {
        user: "me".into(),
        server: "nats://127.0.0.1:4222".into(),
        stream: "TWITTERCLONE".into(),
        seed: 7,
        now: now(),
    }
}

pub(super) fn app() -> App {
    let mut a = App::new(init());
    update(&mut a, Msg::Resize(80, 24));
    update(&mut a, Msg::Connection(Connection::Connected));
    a
}

pub(super) fn mouse(kind: crossterm::event::MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(super) fn type_text(a: &mut App, s: &str) {
    for c in s.chars() {
        update(a, key(KeyCode::Char(c)));
    }
}

pub(super) fn event(kind: EventKind, id: &str, author: &str) -> Event {
    Event {
        kind,
        id: id.into(),
        message: format!("tweet {id}"),
        date: now().fixed_offset(),
        author: author.into(),
    }
}

pub(super) fn delivered(seq: u64, e: Event) -> Msg {
    Msg::Delivered(vec![Delivery {
        seq,
        event: Ok(e),
        ack: Some(AckToken(format!("ack.{seq}"))),
        new: false,
    }])
}

/// A tweet `t{seq}` by ann at each sequence of `from..=to`, with no acks.
pub(super) fn tweets(from: u64, to: u64) -> Vec<Delivery> {
    (from..=to)
        .map(|seq| Delivery {
            seq,
            event: Ok(event(EventKind::TweetCreated, &format!("t{seq}"), "ann")),
            ack: None,
            new: false,
        })
        .collect()
}

/// A chunk of history: a tweet `t{seq}` by ann at each sequence of
/// `from..=to`; `at_start` when nothing older exists.
pub(super) fn history(from: u64, to: u64, at_start: bool) -> Msg {
    Msg::History {
        from,
        to,
        events: tweets(from, to),
        at_start,
    }
}

/// Goes to the oldest tweet (the feed focused): G, again as older tweets
/// load, each request answered with up to 1,000 events of `read(from,
/// to)`; `after` sees the app after each chunk. Returns the chunks read.
pub(super) fn read_to_oldest(
    a: &mut App,
    read: impl Fn(u64, u64) -> Vec<Delivery>,
    mut after: impl FnMut(&App),
) -> usize {
    let mut reads = 0;
    let mut cmds = update(a, key(KeyCode::Char('G')));
    while let [Cmd::LoadOlder { before }] = cmds[..] {
        reads += 1;
        assert!(reads < 100, "reads for ever");
        let from = before.saturating_sub(1_000).max(1);
        update(
            a,
            Msg::History {
                from,
                to: before - 1,
                events: read(from, before - 1),
                at_start: from == 1,
            },
        );
        after(a);
        cmds = update(a, key(KeyCode::Char('G')));
    }
    reads
}

/// The events `from..=to` of `log` (its first event at sequence 1), as
/// a chunk of history delivers them.
pub(super) fn log_chunk(log: &[Event], from: u64, to: u64) -> Vec<Delivery> {
    (from..=to)
        .map(|seq| Delivery {
            seq,
            event: Ok(log[seq as usize - 1].clone()),
            ack: None,
            new: false,
        })
        .collect()
}

/// An app whose start-up window is the newest 1,000 events of `log`.
pub(super) fn with_newest_of(log: &[Event]) -> App {
    let mut a = app();
    let last = log.len() as u64;
    let from = last - 999;
    update(
        &mut a,
        Msg::History {
            from,
            to: last,
            events: log_chunk(log, from, last),
            at_start: false,
        },
    );
    update(&mut a, Msg::HistoryLoaded);
    a
}

pub(super) fn with_tweets(n: usize) -> App {
    let mut a = app();
    update(&mut a, history(1, n as u64, true));
    update(&mut a, Msg::HistoryLoaded);
    a
}

pub(super) fn published(cmds: &[Cmd]) -> &Outgoing {
    match cmds {
        [Cmd::Publish(o)] => o,
        other => panic!("expected one publish, got {other:?}"),
    }
}

/// Presses Enter, which must publish; returns the message id.
pub(super) fn enter(a: &mut App) -> String {
    published(&update(a, key(KeyCode::Enter))).msg_id.clone()
}

/// The bus reports how the publish of `msg_id` ended.
pub(super) fn settle(a: &mut App, msg_id: String, result: Result<u64, String>) {
    update(a, Msg::Published(vec![Settled { msg_id, result }]));
}
