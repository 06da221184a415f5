//! What flows between the reducer and the world: the messages it takes
//! (`Msg`) and the commands it returns (`Cmd`), with the types they carry.
//! The bus sees the app only through this file.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::wire::{DecodeError, Event};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Connected,
    Disconnected,
    /// The connection is gone for good; the text says why.
    Failed(String),
}

/// One event as the bus received it: where it sits in the stream, what it
/// decoded to, and the token that acks it (none for history, which is read
/// through ephemeral consumers that need no acks).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub seq: u64,
    pub event: Result<Event, DecodeError>,
    pub ack: Option<AckToken>,
    /// Stored after this user's consumer last acked: not seen yet.
    pub new: bool,
}

/// The reply subject that acks one JetStream delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckToken(pub String);

/// An event to publish, with the `Nats-Msg-Id` that every retry reuses.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub msg_id: String,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Where the user was when jetfeed last quit: the tweet they had
    /// selected, how far they had read their notifications, and the oldest
    /// tweet they had not read.
    PlaceRestored {
        seq: Option<u64>,
        read_mark: Option<u64>,
        unread_from: Option<u64>,
    },
    Paste(String),
    /// The terminal's new size, in columns and rows.
    Resize(u16, u16),
    /// The clock moved on: the reducer's only source of time. Relative
    /// times age, info notices fade, new events are dated by it.
    Tick(DateTime<Utc>),
    /// Quit as if `q` were pressed (a signal, a closed terminal).
    Quit,
    /// The stream was deleted or recreated: the feed starts again from it.
    Reset,
    /// Likes and unlikes that had not gone out when jetfeed last quit, each
    /// with its message id: they go out (again) now.
    LikesRestored(Vec<Outgoing>),
    /// A draft saved when jetfeed last quit, the id it was posted under,
    /// and how many more wait (saved by other terminals of the user).
    DraftRestored {
        text: String,
        id: Option<String>,
        more: usize,
    },
    /// A chunk of history: every event stored from `from` to `to`, read
    /// newest chunk first (no acks). `at_start`: nothing older exists.
    History {
        from: u64,
        to: u64,
        events: Vec<Delivery>,
        at_start: bool,
    },
    HistoryLoaded,
    /// Older history was asked for and could not be read; scrolling asks again.
    OlderFailed(String),
    /// Events stored from `from` to `to`, read again because the newest
    /// tweets were let go while the user read far below them (no acks).
    Newer {
        from: u64,
        to: u64,
        events: Vec<Delivery>,
    },
    /// They could not be read now; scrolling asks again.
    NewerFailed(String),
    /// The events stored from `from` to `to`, read from the stream because
    /// live delivery skipped them (no acks: their redeliveries are acked).
    GapFilled {
        from: u64,
        to: u64,
        events: Vec<Delivery>,
    },
    /// They could not be read now; asked for again at the next tick.
    GapFailed {
        from: u64,
        to: u64,
    },
    /// Events delivered live by this user's durable consumer.
    Delivered(Vec<Delivery>),
    Connection(Connection),
    StreamMessages(u64),
    /// The last stream sequence the user's consumer says it has delivered
    /// (the watchdog asks every few seconds).
    ConsumerDelivered(u64),
    /// PubAcks that arrived, or publishes that failed: those settled
    /// together come together (a burst of publishes is answered in a few
    /// messages, not one each).
    Published(Vec<Settled>),
}

/// How the publish of `msg_id` ended: the stream sequence it was stored
/// at, or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub msg_id: String,
    pub result: Result<u64, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Ack(AckToken),
    Publish(Outgoing),
    /// Read the chunk of history just before sequence `before`.
    LoadOlder {
        before: u64,
    },
    /// Read a chunk of the events stored after `after`, up to `to` at most.
    LoadNewer {
        after: u64,
        to: u64,
    },
    /// Read the events stored from `from` to `to`: live delivery skipped
    /// them (delivered while the connection was away, redelivered later).
    FillGap {
        from: u64,
        to: u64,
    },
    /// Put this text on the clipboard (the terminal's, through OSC 52).
    Copy(String),
}
