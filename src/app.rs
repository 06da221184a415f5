//! The app's state and its one reducer. `update` never awaits and never does
//! I/O: it changes the state and returns the commands the bus carries out.
//! Every key press and every JetStream delivery enters here as a `Msg`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::feed::{Change, Feed};
use crate::ui::layout;
use crate::wire::{self, DecodeError, Event, EventKind};

/// The longest tweet, in characters.
pub const MAX_TWEET_CHARS: usize = 280;

/// The text a draft is posted as: sanitized and trimmed, 1 to 280
/// characters. The terminal UI and `jetfeed post` both post through it.
pub fn tweet_text(draft: &str) -> Result<String, String> {
    let text = wire::sanitize(draft).trim().to_owned();
    let n = text.chars().count();
    if n == 0 {
        return Err("nothing to post: type a tweet first".into());
    }
    if n > MAX_TWEET_CHARS {
        return Err(format!("too long: {n}/{MAX_TWEET_CHARS} characters"));
    }
    Ok(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Input,
    Feed,
}

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
/// through an ordered consumer that needs no acks).
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
    Paste(String),
    /// The terminal's new size, in columns and rows.
    Resize(u16, u16),
    Tick,
    /// Quit as if `q` were pressed (a signal, a closed terminal).
    Quit,
    /// The stream was deleted or recreated: the feed starts again from it.
    Reset,
    /// A draft saved when jetfeed last quit, and the id it was posted under.
    DraftRestored {
        text: String,
        id: Option<String>,
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
    /// Events delivered live by this user's durable consumer.
    Delivered(Vec<Delivery>),
    Connection(Connection),
    StreamMessages(u64),
    /// The PubAck for `msg_id` arrived, or the publish failed with an error.
    Published {
        msg_id: String,
        result: Result<u64, String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Ack(AckToken),
    Publish(Outgoing),
    /// Read the chunk of history just before sequence `before`.
    LoadOlder {
        before: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// How long an info notice stays; errors stay until replaced.
pub const NOTICE_SECS: i64 = 4;

/// The text being composed. While a publish of it is in flight it cannot be
/// edited; if the publish fails it stays, and a retry reuses its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    /// Cursor position, in characters.
    pub cursor: usize,
    /// The text last posted and the id (tweet id and Nats-Msg-Id) it was
    /// posted under: a retry of exactly this text reuses it, so the server
    /// stores the tweet once however often it is sent.
    pub attempt: Option<(String, String)>,
    pub posting: Posting,
}

/// Where a posted draft is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Posting {
    /// Being written (or a post failed): editable, Enter posts.
    #[default]
    Editing,
    /// The publish of `attempt` is in flight: read-only until it settles.
    Sending,
    /// Posted while the connection was away: sent when it returns.
    Waiting,
}

impl Draft {
    pub fn is_sending(&self) -> bool {
        self.posting == Posting::Sending
    }

    pub fn is_waiting(&self) -> bool {
        self.posting == Posting::Waiting
    }

    /// The id this draft was last posted under.
    pub fn posted_id(&self) -> Option<&str> {
        self.attempt.as_ref().map(|(_, id)| id.as_str())
    }

    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    fn insert(&mut self, s: &str) {
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, s);
        self.cursor += s.chars().count();
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.chars() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    fn delete_word(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
        self.text.replace_range(from..to, "");
        self.cursor = start;
    }
}

#[derive(Debug, Clone)]
pub struct App {
    pub user: String,
    pub server: String,
    pub stream: String,
    pub feed: Feed,
    pub focus: Focus,
    pub draft: Draft,
    /// Stream sequence of the selected tweet.
    pub selected: Option<u64>,
    /// Stream sequence of the tweet shown at the top of the pane.
    pub top: Option<u64>,
    /// Columns and rows of the whole terminal.
    pub size: (u16, u16),
    pub connection: Connection,
    pub stream_messages: Option<u64>,
    pub skipped: u64,
    pub notice: Option<Notice>,
    pub show_help: bool,
    pub loading: bool,
    /// Older history has been asked for and has not arrived yet.
    pub loading_older: bool,
    /// Likes and unlikes in flight, by message id.
    pub pending_likes: HashMap<String, Outgoing>,
    /// Likes and unlikes made while the connection was away, sent in order
    /// when it returns, each with the message id it was given.
    pub queued: Vec<Outgoing>,
    /// The clock the view and new events use; the run loop sets it.
    pub now: DateTime<Utc>,
    pub quit: bool,
}

impl App {
    pub fn new(user: &str, server: &str, stream: &str, now: DateTime<Utc>) -> Self {
        Self {
            user: user.to_owned(),
            server: server.to_owned(),
            stream: stream.to_owned(),
            feed: Feed::new(),
            focus: Focus::Input,
            draft: Draft::default(),
            selected: None,
            top: None,
            size: (80, 24),
            connection: Connection::Connecting,
            stream_messages: None,
            skipped: 0,
            notice: None,
            show_help: false,
            loading: true,
            loading_older: false,
            pending_likes: HashMap::new(),
            queued: Vec::new(),
            now,
            quit: false,
        }
    }

    /// Newest-first index of the selected tweet.
    pub fn selected_index(&self) -> Option<usize> {
        self.selected.and_then(|s| self.feed.index_of_seq(s))
    }

    /// Newest-first index of the tweet at the top of the pane.
    pub fn top_index(&self) -> usize {
        self.top
            .and_then(|s| self.feed.index_of_seq(s))
            .unwrap_or(0)
    }

    /// Whether a like or unlike of this tweet is queued or in flight.
    pub fn like_pending(&self, tweet_id: &str) -> bool {
        self.pending_likes
            .values()
            .chain(&self.queued)
            .any(|o| o.event.id == tweet_id)
    }

    /// The selected tweet.
    pub fn selected_tweet(&self) -> Option<&crate::feed::Tweet> {
        self.selected_index().and_then(|i| self.feed.newest(i))
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            level: Level::Info,
            text: text.into(),
            at: self.now,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            level: Level::Error,
            text: text.into(),
            at: self.now,
        });
    }
}

/// The one place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => {
            if app.focus == Focus::Input && !app.draft.is_sending() {
                app.draft.insert(&wire::sanitize(&text));
            }
            vec![]
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            scroll_into_view(app);
            vec![]
        }
        Msg::Tick => {
            if app.notice.as_ref().is_some_and(|n| {
                n.level == Level::Info && (app.now - n.at).num_seconds() >= NOTICE_SECS
            }) {
                app.notice = None;
            }
            vec![]
        }
        Msg::Quit => quit(app),
        Msg::DraftRestored { text, id } => {
            let text = wire::sanitize(&text).into_owned();
            app.draft = Draft {
                cursor: text.chars().count(),
                attempt: id.map(|id| (text.trim().to_owned(), id)),
                text,
                ..Draft::default()
            };
            app.info("your unsent draft is back");
            vec![]
        }
        Msg::Reset => {
            app.feed = Feed::new();
            app.selected = None;
            app.top = None;
            app.loading_older = false;
            app.error("stream deleted or recreated: feed rebuilt");
            vec![]
        }
        Msg::History {
            from,
            to,
            events,
            at_start,
        } => apply_history(app, from, to, events, at_start),
        Msg::HistoryLoaded => {
            app.loading = false;
            load_older_if_near_end(app)
        }
        Msg::OlderFailed(why) => {
            app.loading_older = false;
            app.error(format!("older tweets not loaded: {why}"));
            vec![]
        }
        Msg::Delivered(batch) => apply_deliveries(app, batch),
        Msg::Connection(c) => {
            app.connection = c;
            if app.connection == Connection::Connected {
                send_waiting(app)
            } else {
                vec![]
            }
        }
        Msg::StreamMessages(n) => {
            app.stream_messages = Some(n);
            vec![]
        }
        Msg::Published { msg_id, result } => on_published(app, msg_id, result),
    }
}

fn apply_deliveries(app: &mut App, batch: Vec<Delivery>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let mut added = false;
    // On the newest tweet (or on none), the selection follows new ones.
    let follow = app.selected_index().is_none_or(|i| i == 0);
    for d in batch {
        match d.event {
            Ok(event) => {
                let ours = app.draft.posted_id() == Some(event.id.as_str());
                match app.feed.apply_owned(d.seq, event, d.new) {
                    Ok(Change::Tweet) => {
                        added = true;
                        if ours {
                            // Our own tweet came back through the stream: it is stored.
                            tweet_posted(app);
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

fn apply_history(
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

fn tweet_posted(app: &mut App) {
    app.draft = Draft::default();
    app.info("posted");
}

/// Sends what was posted or liked while the connection was away, each with
/// the id it was first given.
fn send_waiting(app: &mut App) -> Vec<Cmd> {
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

fn on_published(app: &mut App, msg_id: String, result: Result<u64, String>) -> Vec<Cmd> {
    if let Some(out) = app.pending_likes.remove(&msg_id) {
        if let Err(e) = result {
            if app.connection == Connection::Connected {
                app.error(format!("like not sent: {e}"));
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
        Err(e) => app.error(format!("not posted, draft kept (Enter retries): {e}")),
    }
    vec![]
}

fn wait_for_connection(app: &mut App) {
    app.draft.posting = Posting::Waiting;
    app.info("offline: the tweet will be posted when the connection returns");
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return quit(app);
    }
    if app.show_help {
        app.show_help = false;
        return vec![];
    }
    if key.code == KeyCode::Tab || key.code == KeyCode::BackTab {
        app.focus = match app.focus {
            Focus::Input => Focus::Feed,
            Focus::Feed => Focus::Input,
        };
        return vec![];
    }
    match app.focus {
        Focus::Input => on_input_key(app, key, ctrl),
        Focus::Feed => on_feed_key(app, key),
    }
}

fn quit(app: &mut App) -> Vec<Cmd> {
    // The run loop ends when it sees this.
    app.quit = true;
    vec![]
}

fn on_input_key(app: &mut App, key: KeyEvent, ctrl: bool) -> Vec<Cmd> {
    if key.code == KeyCode::Esc {
        app.focus = Focus::Feed;
        return vec![];
    }
    if key.code == KeyCode::Enter {
        return send_draft(app);
    }
    if app.draft.is_sending() {
        return vec![];
    }
    let before = app.draft.text.len();
    let cmds = edit_draft(app, key, ctrl);
    if app.draft.text.len() != before {
        // An edited draft is a new tweet: posted only on Enter.
        app.draft.posting = Posting::Editing;
    }
    cmds
}

fn edit_draft(app: &mut App, key: KeyEvent, ctrl: bool) -> Vec<Cmd> {
    let d = &mut app.draft;
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let at = d.byte_at(d.cursor);
            d.text.replace_range(..at, "");
            d.cursor = 0;
        }
        KeyCode::Char('w') if ctrl => d.delete_word(),
        KeyCode::Char('a') if ctrl => d.cursor = 0,
        KeyCode::Char('e') if ctrl => d.cursor = d.chars(),
        KeyCode::Char(c) if !ctrl && !c.is_control() => {
            let mut buf = [0u8; 4];
            d.insert(wire::sanitize(c.encode_utf8(&mut buf)).as_ref());
        }
        KeyCode::Backspace => d.backspace(),
        KeyCode::Delete => d.delete(),
        KeyCode::Left => d.cursor = d.cursor.saturating_sub(1),
        KeyCode::Right => d.cursor = (d.cursor + 1).min(d.chars()),
        KeyCode::Home => d.cursor = 0,
        KeyCode::End => d.cursor = d.chars(),
        _ => {}
    }
    vec![]
}

fn send_draft(app: &mut App) -> Vec<Cmd> {
    if app.draft.is_sending() {
        return vec![];
    }
    let text = match tweet_text(&app.draft.text) {
        Ok(text) => text,
        Err(why) => {
            app.error(why);
            return vec![];
        }
    };
    let id = match &app.draft.attempt {
        Some((tried, id)) if *tried == text => id.clone(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    app.draft.attempt = Some((text.clone(), id.clone()));
    if app.connection != Connection::Connected {
        wait_for_connection(app);
        return vec![];
    }
    app.draft.posting = Posting::Sending;
    app.info("posting…");
    let event = Event {
        kind: EventKind::TweetCreated,
        id: id.clone(),
        message: text,
        date: app.now.fixed_offset(),
        author: app.user.clone(),
    };
    // A tweet's id doubles as its Nats-Msg-Id: one id, one stored tweet.
    vec![Cmd::Publish(Outgoing { msg_id: id, event })]
}

fn on_feed_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let page = usize::from(layout::feed_rows(app.size).saturating_sub(1) / 3).max(1);
    let index = app.selected_index();
    match key.code {
        KeyCode::Char('q') => return quit(app),
        KeyCode::Char('?') => app.show_help = true,
        KeyCode::Char('j') | KeyCode::Down => move_by(app, index, 1),
        KeyCode::Char('k') | KeyCode::Up => move_by(app, index, -1),
        KeyCode::PageDown | KeyCode::Char(' ') => move_by(app, index, page as isize),
        KeyCode::PageUp => move_by(app, index, -(page as isize)),
        KeyCode::Char('g') | KeyCode::Home => select_index(app, 0),
        KeyCode::Char('G') | KeyCode::End => {
            select_index(app, app.feed.len().saturating_sub(1));
        }
        KeyCode::Char('l') => return toggle_like(app),
        KeyCode::Char('i') | KeyCode::Esc => app.focus = Focus::Input,
        _ => {}
    }
    load_older_if_near_end(app)
}

fn move_by(app: &mut App, index: Option<usize>, delta: isize) {
    let last = app.feed.len().saturating_sub(1);
    let target = index.map_or(0, |i| i.saturating_add_signed(delta).min(last));
    select_index(app, target);
}

fn select_index(app: &mut App, index: usize) {
    app.selected = app.feed.seq_at(index);
    if index == 0 {
        app.top = app.feed.seq_at(0);
    }
    scroll_into_view(app);
}

/// Asks for older history when the selection comes within a page of the
/// oldest tweet loaded.
fn load_older_if_near_end(app: &mut App) -> Vec<Cmd> {
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

/// How close to the oldest loaded tweet the selection may come before older
/// ones are asked for.
const OLDER_MARGIN: usize = 20;

/// Moves the top of the pane so that the selected tweet is wholly visible,
/// scrolling as little as possible.
fn scroll_into_view(app: &mut App) {
    let Some(sel) = app.selected_index() else {
        return;
    };
    let top = layout::scroll_top(&app.feed, app.top_index(), sel, app.size);
    app.top = app.feed.seq_at(top);
}

fn toggle_like(app: &mut App) -> Vec<Cmd> {
    let Some(tweet) = app.selected_tweet() else {
        app.info("no tweet selected");
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
    let event = Event {
        kind,
        id: tweet.id.clone(),
        message: String::new(),
        date: app.now.fixed_offset(),
        author: app.user.clone(),
    };
    let out = Outgoing {
        msg_id: uuid::Uuid::new_v4().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn app() -> App {
        let mut a = App::new("me", "nats://127.0.0.1:4222", "TWITTERCLONE", now());
        update(&mut a, Msg::Resize(80, 24));
        update(&mut a, Msg::Connection(Connection::Connected));
        a
    }

    fn key(code: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    fn type_text(a: &mut App, s: &str) {
        for c in s.chars() {
            update(a, key(KeyCode::Char(c)));
        }
    }

    fn event(kind: EventKind, id: &str, author: &str) -> Event {
        Event {
            kind,
            id: id.into(),
            message: format!("tweet {id}"),
            date: now().fixed_offset(),
            author: author.into(),
        }
    }

    fn delivered(seq: u64, e: Event) -> Msg {
        Msg::Delivered(vec![Delivery {
            seq,
            event: Ok(e),
            ack: Some(AckToken(format!("ack.{seq}"))),
            new: false,
        }])
    }

    fn with_tweets(n: usize) -> App {
        let mut a = app();
        let batch = (1..=n)
            .map(|i| Delivery {
                seq: i as u64,
                event: Ok(event(EventKind::TweetCreated, &format!("t{i}"), "ann")),
                ack: None,
                new: false,
            })
            .collect();
        update(
            &mut a,
            Msg::History {
                from: 1,
                to: n as u64,
                events: batch,
                at_start: true,
            },
        );
        update(&mut a, Msg::HistoryLoaded);
        a
    }

    fn published(cmds: &[Cmd]) -> &Outgoing {
        match cmds {
            [Cmd::Publish(o)] => o,
            other => panic!("expected one publish, got {other:?}"),
        }
    }

    /// Presses Enter, which must publish; returns the message id.
    fn enter(a: &mut App) -> String {
        published(&update(a, key(KeyCode::Enter))).msg_id.clone()
    }

    /// The bus reports how the publish of `msg_id` ended.
    fn settle(a: &mut App, msg_id: String, result: Result<u64, String>) {
        update(a, Msg::Published { msg_id, result });
    }

    #[test]
    fn focus_starts_in_the_input_and_typing_edits_the_draft() {
        let mut a = app();
        assert_eq!(a.focus, Focus::Input);
        type_text(&mut a, "hello qjkl");
        assert_eq!(a.draft.text, "hello qjkl");
        assert!(!a.quit, "q in the input is a letter");
        update(&mut a, key(KeyCode::Backspace));
        update(&mut a, key(KeyCode::Left));
        update(&mut a, key(KeyCode::Left));
        type_text(&mut a, "X");
        assert_eq!(a.draft.text, "hello qXjk");
        update(&mut a, ctrl('w'));
        assert_eq!(a.draft.text, "hello jk");
    }

    #[test]
    fn enter_returns_a_publish_command_and_does_no_io() {
        let mut a = app();
        type_text(&mut a, "  first tweet ");
        let cmds = update(&mut a, key(KeyCode::Enter));
        let out = published(&cmds);
        assert_eq!(out.event.kind, EventKind::TweetCreated);
        assert_eq!(out.event.message, "first tweet");
        assert_eq!(out.event.author, "me");
        assert_eq!(out.msg_id, out.event.id, "tweet id doubles as Nats-Msg-Id");
        assert_eq!(
            a.draft.text, "  first tweet ",
            "the draft stays until the PubAck"
        );
        assert!(a.draft.is_sending());
        assert_eq!(a.draft.posted_id(), Some(out.msg_id.as_str()));
    }

    #[test]
    fn the_draft_is_cleared_only_by_a_puback() {
        let mut a = app();
        type_text(&mut a, "hi");
        let id = enter(&mut a);
        type_text(&mut a, "!");
        assert_eq!(a.draft.text, "hi", "no edits while in flight");
        settle(&mut a, id, Ok(7));
        assert_eq!(a.draft.text, "");
        assert!(!a.draft.is_sending());
    }

    #[test]
    fn a_failed_publish_keeps_the_draft_and_a_retry_reuses_the_id() {
        let mut a = app();
        type_text(&mut a, "keep me");
        let id = enter(&mut a);
        settle(&mut a, id.clone(), Err("timed out".into()));
        assert_eq!(a.draft.text, "keep me");
        let notice = a.notice.clone().unwrap();
        assert_eq!(notice.level, Level::Error);
        assert!(notice.text.contains("timed out"), "{notice:?}");
        let retry = enter(&mut a);
        assert_eq!(retry, id);
        // Edited text is a different tweet: a new id.
        settle(&mut a, retry, Err("again".into()));
        type_text(&mut a, "!");
        let edited = enter(&mut a);
        assert_ne!(edited, id);
    }

    #[test]
    fn our_tweet_arriving_through_the_stream_settles_the_draft() {
        let mut a = app();
        type_text(&mut a, "late ack");
        let id = enter(&mut a);
        settle(&mut a, id.clone(), Err("timed out".into()));
        update(
            &mut a,
            delivered(1, event(EventKind::TweetCreated, &id, "me")),
        );
        assert_eq!(a.draft.text, "");
    }

    #[test]
    fn a_tweet_posted_offline_waits_and_goes_out_once_on_reconnect() {
        let mut a = app();
        update(&mut a, Msg::Connection(Connection::Disconnected));
        type_text(&mut a, "offline thought");
        assert!(
            update(&mut a, key(KeyCode::Enter)).is_empty(),
            "nothing is sent while away"
        );
        assert!(a.draft.is_waiting());
        let id = a.draft.attempt.clone().unwrap().1;
        let cmds = update(&mut a, Msg::Connection(Connection::Connected));
        let out = published(&cmds);
        assert_eq!(
            (out.msg_id.as_str(), out.event.message.as_str()),
            (id.as_str(), "offline thought")
        );
        assert!(!a.draft.is_waiting());
        assert!(
            update(&mut a, Msg::Connection(Connection::Connected)).is_empty(),
            "sent once"
        );
    }

    #[test]
    fn a_publish_that_fails_while_away_waits_for_the_connection() {
        let mut a = app();
        type_text(&mut a, "in flight");
        let id = enter(&mut a);
        update(&mut a, Msg::Connection(Connection::Disconnected));
        settle(&mut a, id.clone(), Err("timed out".into()));
        assert!(a.draft.is_waiting());
        assert_eq!(
            published(&update(&mut a, Msg::Connection(Connection::Connected))).msg_id,
            id
        );
    }

    #[test]
    fn editing_a_waiting_draft_stops_it_going_out() {
        let mut a = app();
        update(&mut a, Msg::Connection(Connection::Disconnected));
        type_text(&mut a, "first");
        update(&mut a, key(KeyCode::Enter));
        type_text(&mut a, " thoughts");
        assert!(!a.draft.is_waiting());
        assert!(update(&mut a, Msg::Connection(Connection::Connected)).is_empty());
    }

    #[test]
    fn likes_made_offline_are_queued_and_sent_in_order_with_their_ids() {
        let mut a = with_tweets(2);
        update(&mut a, key(KeyCode::Tab));
        update(&mut a, Msg::Connection(Connection::Disconnected));
        assert!(update(&mut a, key(KeyCode::Char('l'))).is_empty());
        update(&mut a, key(KeyCode::Char('j')));
        assert!(update(&mut a, key(KeyCode::Char('l'))).is_empty());
        assert!(a.like_pending("t2") && a.like_pending("t1"));
        let queued: Vec<String> = a.queued.iter().map(|o| o.msg_id.clone()).collect();
        let cmds = update(&mut a, Msg::Connection(Connection::Connected));
        let sent: Vec<String> = cmds
            .iter()
            .map(|c| match c {
                Cmd::Publish(o) => o.msg_id.clone(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(sent, queued);
        // A like that then fails while the connection is away again waits again.
        update(&mut a, Msg::Connection(Connection::Disconnected));
        settle(&mut a, sent[0].clone(), Err("gone".into()));
        assert_eq!(a.queued.len(), 1);
        assert_eq!(a.queued[0].msg_id, sent[0]);
    }

    #[test]
    fn a_restored_draft_keeps_its_id_for_the_retry() {
        let mut a = app();
        update(
            &mut a,
            Msg::DraftRestored {
                text: "from last time".into(),
                id: Some("id-7".into()),
            },
        );
        assert_eq!(a.draft.text, "from last time");
        assert_eq!(a.draft.cursor, 14);
        assert_eq!(
            published(&update(&mut a, key(KeyCode::Enter))).msg_id,
            "id-7"
        );
    }

    #[test]
    fn older_history_is_asked_for_near_the_end_and_a_failure_waits_for_the_next_scroll() {
        let mut a = app();
        // A window of tweets 101..=105 of a longer stream.
        let batch = (101..=105)
            .map(|i| Delivery {
                seq: i,
                event: Ok(event(EventKind::TweetCreated, &format!("t{i}"), "ann")),
                ack: None,
                new: false,
            })
            .collect();
        update(
            &mut a,
            Msg::History {
                from: 101,
                to: 105,
                events: batch,
                at_start: false,
            },
        );
        assert_eq!(
            update(&mut a, Msg::HistoryLoaded),
            vec![Cmd::LoadOlder { before: 101 }]
        );
        assert!(a.loading_older);
        update(&mut a, key(KeyCode::Tab));
        assert!(
            update(&mut a, key(KeyCode::Char('j'))).is_empty(),
            "one request at a time"
        );
        assert!(
            update(&mut a, Msg::OlderFailed("server away".into())).is_empty(),
            "no retry storm"
        );
        assert!(!a.loading_older);
        assert!(a.notice.as_ref().unwrap().text.contains("server away"));
        assert_eq!(
            update(&mut a, key(KeyCode::Char('j'))),
            vec![Cmd::LoadOlder { before: 101 }]
        );
    }

    #[test]
    fn info_notices_fade_and_errors_stay() {
        let mut a = app();
        type_text(&mut a, "hi");
        let id = enter(&mut a);
        settle(&mut a, id, Ok(1));
        assert_eq!(a.notice.as_ref().unwrap().text, "posted");
        a.now += chrono::Duration::seconds(NOTICE_SECS);
        update(&mut a, Msg::Tick);
        assert_eq!(a.notice, None);
        type_text(&mut a, "x");
        let id = enter(&mut a);
        settle(&mut a, id, Err("down".into()));
        a.now += chrono::Duration::seconds(60);
        update(&mut a, Msg::Tick);
        assert_eq!(a.notice.as_ref().unwrap().level, Level::Error);
    }

    #[test]
    fn empty_and_overlong_drafts_are_not_sent() {
        let mut a = app();
        type_text(&mut a, "   ");
        assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
        let long = "x".repeat(MAX_TWEET_CHARS + 1);
        update(&mut a, Msg::Paste(long.clone()));
        assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
        assert_eq!(a.draft.text.trim(), long, "nothing typed is lost");
        assert_eq!(a.notice.unwrap().level, Level::Error);
    }

    #[test]
    fn pasted_control_characters_never_enter_the_draft() {
        let mut a = app();
        update(&mut a, Msg::Paste("a\u{1b}[2Jb\nc".into()));
        assert_eq!(a.draft.text, "ab c");
    }

    #[test]
    fn each_delivery_is_applied_then_acked_and_bad_ones_counted() {
        let mut a = with_tweets(1);
        let batch = vec![
            Delivery {
                seq: 2,
                event: Ok(event(EventKind::TweetLiked, "t1", "bob")),
                ack: Some(AckToken("a2".into())),
                new: false,
            },
            Delivery {
                seq: 3,
                event: Err(DecodeError::MissingId),
                ack: Some(AckToken("a3".into())),
                new: false,
            },
            Delivery {
                seq: 4,
                event: Ok(event(EventKind::TweetLiked, "nope", "bob")),
                ack: Some(AckToken("a4".into())),
                new: false,
            },
            Delivery {
                seq: 1,
                event: Ok(event(EventKind::TweetCreated, "t1", "ann")),
                ack: Some(AckToken("a1".into())),
                new: false,
            },
        ];
        let cmds = update(&mut a, Msg::Delivered(batch));
        let acks: Vec<_> = cmds
            .iter()
            .map(|c| match c {
                Cmd::Ack(t) => t.0.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(
            acks,
            ["a2", "a3", "a4", "a1"],
            "every delivery is acked, bad or replayed"
        );
        assert_eq!(a.skipped, 2, "a replay is not a bad event");
        assert_eq!(a.feed.get("t1").unwrap().likes(), 1);
    }

    #[test]
    fn selection_starts_on_the_newest_and_follows_it() {
        let mut a = with_tweets(3);
        assert_eq!(a.selected_index(), Some(0));
        update(
            &mut a,
            delivered(4, event(EventKind::TweetCreated, "t4", "ann")),
        );
        assert_eq!(a.selected_tweet().unwrap().id, "t4");
    }

    #[test]
    fn a_moved_selection_stays_on_its_tweet_when_new_ones_arrive() {
        let mut a = with_tweets(3);
        update(&mut a, key(KeyCode::Tab));
        update(&mut a, key(KeyCode::Char('j')));
        assert_eq!(a.selected_tweet().unwrap().id, "t2");
        update(
            &mut a,
            delivered(4, event(EventKind::TweetCreated, "t4", "ann")),
        );
        assert_eq!(a.selected_tweet().unwrap().id, "t2");
    }

    #[test]
    fn feed_keys_move_like_and_quit() {
        let mut a = with_tweets(5);
        update(&mut a, key(KeyCode::Tab));
        assert_eq!(a.focus, Focus::Feed);
        update(&mut a, key(KeyCode::Char('G')));
        assert_eq!(a.selected_index(), Some(4));
        update(&mut a, key(KeyCode::Down));
        assert_eq!(a.selected_index(), Some(4), "stops at the bottom");
        update(&mut a, key(KeyCode::Char('k')));
        update(&mut a, key(KeyCode::Up));
        assert_eq!(a.selected_index(), Some(2));
        update(&mut a, key(KeyCode::Char('g')));
        assert_eq!(a.selected_index(), Some(0));
        update(&mut a, key(KeyCode::Char('?')));
        assert!(a.show_help);
        update(&mut a, key(KeyCode::Char('x')));
        assert!(!a.show_help);
        assert!(update(&mut a, key(KeyCode::Char('q'))).is_empty());
        assert!(a.quit);
    }

    #[test]
    fn ctrl_c_quits_from_the_input() {
        let mut a = app();
        update(&mut a, ctrl('c'));
        assert!(a.quit);
    }

    #[test]
    fn l_likes_then_unlikes_the_selected_tweet() {
        let mut a = with_tweets(2);
        update(&mut a, key(KeyCode::Tab));
        let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
        assert_eq!(
            (
                like.event.kind,
                like.event.id.as_str(),
                like.event.author.as_str()
            ),
            (EventKind::TweetLiked, "t2", "me")
        );
        assert!(
            update(&mut a, key(KeyCode::Char('l'))).is_empty(),
            "one like in flight per tweet"
        );
        settle(&mut a, like.msg_id.clone(), Ok(3));
        update(&mut a, delivered(3, like.event));
        assert_eq!(a.feed.get("t2").unwrap().likes(), 1);
        let unlike = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
        assert_eq!(unlike.event.kind, EventKind::TweetUnliked);
        assert_ne!(unlike.msg_id, like.msg_id);
    }

    #[test]
    fn a_failed_like_is_reported() {
        let mut a = with_tweets(1);
        update(&mut a, key(KeyCode::Tab));
        let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
        settle(&mut a, like.msg_id, Err("no responders".into()));
        assert!(a.notice.unwrap().text.contains("no responders"));
        assert!(a.pending_likes.is_empty());
    }

    #[test]
    fn the_selection_is_kept_in_view_when_scrolling() {
        let mut a = with_tweets(50);
        update(&mut a, Msg::Resize(40, 12));
        update(&mut a, key(KeyCode::Tab));
        for _ in 0..20 {
            update(&mut a, key(KeyCode::Char('j')));
        }
        let (top, sel) = (a.top_index(), a.selected_index().unwrap());
        assert!(top <= sel && top > 0, "top {top} sel {sel}");
        assert!(layout::is_visible(&a.feed, top, sel, a.size));
    }
}
