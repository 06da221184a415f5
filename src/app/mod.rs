//! The app's state and its one reducer. `update` never awaits, never does
//! I/O, and reads no clock and no randomness: time arrives as `Msg::Tick`
//! and ids come from a seed given at start, so a recorded list of messages
//! replays to the same state and the same commands.
//!
//! - `protocol`: `Msg` in, `Cmd` out, and what they carry (all the bus sees)
//! - `keymap`: keys become `Action`s
//! - `draft`: the editor and the draft's posting state
//! - `draft_layout`: the draft as its pane shows it, rows and cursor
//! - `navigate`: selection and scrolling
//! - `deliveries`: live events and history folded into the feed
//! - `posting`: tweets and likes out, the offline queue, publish results
//! - `geometry`: pane sizes, wrapping and scroll positions, shared with the view
//! - `glyphs`: what each grapheme of untrusted text costs on screen
//! - `ids`: tweet and message ids without randomness
//! - `views`: a tweet's page, the notifications, the search

mod deliveries;
pub mod draft;
pub mod draft_layout;
pub mod geometry;
pub mod glyphs;
pub mod ids;
pub mod keymap;
mod mouse;
mod navigate;
mod posting;
pub mod protocol;
pub mod views;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};

pub use deliveries::KEEP_AROUND;
pub use draft::{Draft, Edit, Editor, MAX_TWEET_CHARS, tweet_text};
pub use ids::Ids;
pub use keymap::{Action, KeyMap, Move};
pub use protocol::{AckToken, Cmd, Connection, Delivery, Msg, Outgoing, Settled};

use crate::feed::{Feed, Tweet};
use crate::sanitize;

/// The colours the screen is drawn in (`ui::theme` has the styles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Dark,
    Light,
    /// No colour: `NO_COLOR` forces it.
    Mono,
}

/// How a tweet's time is shown: its age (`5m`), or the local date and time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeFormat {
    #[default]
    Relative,
    Absolute,
}

/// What has the keyboard: a pane, or a view shown in the feed's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Draft,
    Feed,
    /// A tweet's page (Enter on a tweet).
    Tweet,
    /// The notifications (N).
    Notifications,
    /// The search query being written (/).
    Search,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    /// A mistake of the user's own (an empty or over-long draft): shown
    /// like an error, gone like an info notice.
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Utc>,
    /// The tweet a failed like or unlike was for: the notice goes if the
    /// stream stores that like after all (its PubAck was what got lost).
    pub about: Option<String>,
    /// The pane the notice is about: it goes at the next key pressed there.
    pub pane: Option<Focus>,
}

/// How long an info or warning notice stays; errors stay until replaced.
pub const NOTICE_SECS: i64 = 4;

/// What the app starts from: who is using jetfeed, where, and the clock and id seed of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Init {
    pub user: String,
    /// The servers, as they may be shown (no credentials).
    pub server: String,
    pub stream: String,
    /// Drawn once per session, outside the reducer: the ids' seed.
    pub seed: u128,
    /// The clock when the session started.
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub user: String,
    pub server: String,
    pub stream: String,
    pub feed: Feed,
    pub focus: Focus,
    pub keys: KeyMap,
    pub theme: Theme,
    pub time: TimeFormat,
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
    /// Lines of the help scrolled off its top.
    pub help_scroll: u16,
    pub loading: bool,
    /// Older history has been asked for and has not arrived yet.
    pub loading_older: bool,
    /// Newer tweets, let go while the user read far below them, have been
    /// asked for and have not arrived yet.
    pub loading_newer: bool,
    /// `g` was pressed while the newest tweets were let go: chunks of them
    /// are read, the selection on the newest, until they are all loaded.
    pub to_newest: bool,
    /// Likes and unlikes in flight, by message id.
    pub pending_likes: HashMap<String, Outgoing>,
    /// Likes and unlikes made while the connection was away, sent in order
    /// when it returns, each with the message id it was given.
    pub queued: Vec<Outgoing>,
    /// A tweet's page, while it is open (or was last).
    pub page: Option<views::Page>,
    pub notifications: views::Notifications,
    /// The user's own tweets let go from memory, for the notifications
    /// their likes make.
    pub mine_let_go: views::MineLetGo,
    /// The search query standing, if any: the feed shows only what it
    /// matches.
    pub search: Option<views::Search>,
    /// The stream sequence of the tweet the user was reading when jetfeed
    /// last quit, until the feed has loaded it.
    pub return_to: Option<u64>,
    /// Chunks of older history read to find `return_to`.
    pub return_chunks: u32,
    /// The tweet to open once `return_to` is found (a notification's,
    /// let go from memory).
    pub open_on_return: Option<String>,
    /// The oldest tweet still unread when jetfeed last quit: while the
    /// first window loads, it and the newer tweets (but one's own) are
    /// unread again.
    pub unread_from: Option<u64>,
    /// Live events skipped by delivery, being read from the stream.
    pub gap: Option<deliveries::Gap>,
    /// How many such gaps were read and folded.
    pub gaps_read: u64,
    /// What the user's consumer last said it had delivered
    /// (`Msg::ConsumerDelivered`).
    pub consumer_delivered: Option<u64>,
    /// The time of the last `Msg::Tick`.
    pub now: DateTime<Utc>,
    pub ids: Ids,
    pub quit: bool,
}

impl App {
    pub fn new(session: Init) -> Self {
        Self {
            user: session.user,
            server: session.server,
            stream: session.stream,
            feed: Feed::new(),
            focus: Focus::Draft,
            keys: KeyMap::default(),
            theme: Theme::default(),
            time: TimeFormat::default(),
            draft: Draft::default(),
            selected: None,
            top: None,
            size: (80, 24),
            connection: Connection::Connecting,
            stream_messages: None,
            skipped: 0,
            notice: None,
            show_help: false,
            help_scroll: 0,
            loading: true,
            loading_older: false,
            loading_newer: false,
            to_newest: false,
            pending_likes: HashMap::new(),
            queued: Vec::new(),
            page: None,
            notifications: views::Notifications::default(),
            mine_let_go: views::MineLetGo::default(),
            search: None,
            return_to: None,
            unread_from: None,
            open_on_return: None,
            return_chunks: 0,
            gap: None,
            gaps_read: 0,
            consumer_delivered: None,
            now: session.now,
            ids: Ids::new(session.seed),
            quit: false,
        }
    }

    /// The screen as it is laid out now (the draft's rows included).
    pub fn screen(&self) -> geometry::Screen {
        self.screen_of(self.size)
    }

    /// The screen as it is laid out at `size`.
    pub fn screen_of(&self, size: (u16, u16)) -> geometry::Screen {
        let editor = self.draft.editor();
        let cols = geometry::draft_cols(size.0);
        let layout = draft_layout::lay_out(editor.text(), editor.cursor(), cols);
        geometry::Screen::new(size, layout.rows.len())
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

    /// Likes and unlikes not yet acknowledged: queued, or in flight (which
    /// may not be stored if jetfeed quits now).
    pub fn unsent_likes(&self) -> impl Iterator<Item = &Outgoing> {
        self.queued.iter().chain(self.pending_likes.values())
    }

    /// Whether a like or unlike of this tweet is queued or in flight.
    pub fn like_pending(&self, tweet_id: &str) -> bool {
        self.pending_likes
            .values()
            .chain(&self.queued)
            .any(|o| o.event.id == tweet_id)
    }

    pub fn selected_tweet(&self) -> Option<&Tweet> {
        self.selected_index().and_then(|i| self.feed.newest(i))
    }

    fn notify(
        &mut self,
        level: Level,
        text: impl Into<String>,
        about: Option<&str>,
        pane: Option<Focus>,
    ) {
        self.notice = Some(Notice {
            level,
            text: text.into(),
            at: self.now,
            about: about.map(str::to_owned),
            pane,
        });
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notify(Level::Info, text, None, None);
    }

    /// A mistake in the draft (empty, too long): gone at the next key there.
    fn warn(&mut self, text: impl Into<String>) {
        self.notify(Level::Warn, text, None, Some(Focus::Draft));
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notify(Level::Error, text, None, None);
    }

    /// A post of the draft failed: gone at the next key in the draft.
    fn draft_error(&mut self, text: impl Into<String>) {
        self.notify(Level::Error, text, None, Some(Focus::Draft));
    }

    /// An error about the like or unlike of one tweet.
    fn like_error(&mut self, text: impl Into<String>, tweet_id: &str) {
        self.notify(Level::Error, text, Some(tweet_id), Some(Focus::Feed));
    }

    /// Whether the feed shows this tweet: all do, unless a search stands.
    pub fn shows(&self, tweet: &Tweet) -> bool {
        self.search
            .as_ref()
            .is_none_or(|s| s.is_empty() || s.hit(tweet.seq))
    }

    /// The newest-first index of the first tweet the feed shows from
    /// `index` on, going older (`step` 1) or newer (-1). With a search,
    /// only its matches are looked at.
    pub fn shown_from(&self, index: usize, step: isize) -> Option<usize> {
        let seq = self.feed.seq_at(index)?;
        let Some(search) = self.search.as_ref().filter(|s| !s.is_empty()) else {
            return Some(index);
        };
        let mut at = seq;
        loop {
            let hit = search.nearest(at, step > 0)?;
            if let Some(i) = self.feed.index_of_seq(hit) {
                return Some(i);
            }
            // Noted but no longer loaded: look on past it.
            at = if step > 0 {
                hit.checked_sub(1)?
            } else {
                hit + 1
            };
        }
    }
}

/// The one place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Mouse(event) => mouse::on_mouse(app, event),
        Msg::PlaceRestored {
            seq,
            read_mark,
            unread_from,
        } => {
            app.return_to = seq;
            app.unread_from = unread_from;
            if let Some(mark) = read_mark {
                app.notifications.restore_mark(mark);
            }
            navigate::return_to_place(app)
        }
        Msg::Paste(text) => {
            if app.focus == Focus::Draft {
                app.draft.edit(|d| d.insert(&sanitize::text(&text)));
                navigate::scroll_into_view(app);
            }
            vec![]
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            navigate::scroll_into_view(app);
            vec![]
        }
        Msg::Tick(now) => {
            app.now = now;
            if app.notice.as_ref().is_some_and(|n| {
                n.level != Level::Error && (now - n.at).num_seconds() >= NOTICE_SECS
            }) {
                app.notice = None;
            }
            deliveries::retry_gap(app)
        }
        Msg::GapFilled { from, to, events } => deliveries::gap_filled(app, from, to, events),
        Msg::GapFailed { from, to } => {
            deliveries::gap_failed(app, from, to);
            vec![]
        }
        Msg::Quit => quit(app),
        Msg::DraftRestored { text, id, more } => {
            app.draft = Draft::restored(sanitize::text(&text).into_owned(), id);
            // Others, from other terminals of the user, come back one a start.
            app.info(match more {
                0 => "your unsent draft is back".to_owned(),
                n => format!("your unsent draft is back ({n} more saved)"),
            });
            vec![]
        }
        Msg::Reset => {
            deliveries::reset(app);
            vec![]
        }
        Msg::LikesRestored(likes) => {
            let n = likes.len();
            app.queued.extend(likes);
            app.info(format!("{n} like(s) from last time, sent when connected"));
            if app.connection == Connection::Connected {
                posting::send_waiting(app)
            } else {
                vec![]
            }
        }
        Msg::History {
            from,
            to,
            events,
            at_start,
        } => deliveries::apply_history(app, from, to, events, at_start),
        Msg::HistoryLoaded => {
            app.loading = false;
            // Tweets read again later were read in this run.
            app.unread_from = None;
            deliveries::read_on(app)
        }
        Msg::OlderFailed(why) => {
            app.loading_older = false;
            reading_failed(app, "older", &why);
            vec![]
        }
        Msg::Newer { from, to, events } => deliveries::apply_newer(app, from, to, events),
        Msg::NewerFailed(why) => {
            app.loading_newer = false;
            app.to_newest = false;
            reading_failed(app, "newer", &why);
            vec![]
        }
        Msg::Delivered(batch) => deliveries::apply_live(app, batch),
        Msg::Connection(c) => {
            app.connection = c;
            if app.connection == Connection::Connected {
                posting::send_waiting(app)
            } else {
                vec![]
            }
        }
        Msg::StreamMessages(n) => {
            app.stream_messages = Some(n);
            vec![]
        }
        Msg::ConsumerDelivered(seq) => deliveries::consumer_delivered(app, seq),
        Msg::Published(settled) => {
            let mut cmds = Vec::new();
            for Settled { msg_id, result } in settled {
                cmds.extend(posting::on_published(app, msg_id, result));
            }
            cmds
        }
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    if app.show_help {
        return help_key(app, &key);
    }
    // A notice about this pane has been read: it goes before the key acts
    // (which may make a new one).
    if app
        .notice
        .as_ref()
        .is_some_and(|n| n.pane == Some(app.focus))
    {
        app.notice = None;
    }
    match app.keys.action(app.focus, &key) {
        Some(action) => on_action(app, action),
        None => vec![],
    }
}

/// In the help, the keys that move scroll it; any other key closes it, and
/// only one that works anywhere (Ctrl-C) does more.
fn help_key(app: &mut App, key: &KeyEvent) -> Vec<Cmd> {
    let lines = app.keys.help_lines();
    let shown = geometry::help_rows(app.size, lines);
    let last = lines.saturating_sub(shown);
    let scroll = &mut app.help_scroll;
    match app.keys.action(Focus::Feed, key) {
        Some(Action::Select(Move::Older)) => *scroll = (*scroll + 1).min(last),
        Some(Action::Select(Move::Newer)) => *scroll = scroll.saturating_sub(1),
        Some(Action::Select(Move::PageOlder)) => *scroll = (*scroll + shown).min(last),
        Some(Action::Select(Move::PageNewer)) => *scroll = scroll.saturating_sub(shown),
        Some(Action::Select(Move::Oldest)) => *scroll = last,
        Some(Action::Select(Move::Newest)) => *scroll = 0,
        _ => {
            app.show_help = false;
            app.help_scroll = 0;
            return match app.keys.anywhere(key) {
                Some(Action::Quit) => quit(app),
                _ => vec![],
            };
        }
    }
    vec![]
}

/// What each action does.
pub fn on_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Quit => return quit(app),
        Action::SwitchFocus => {
            app.focus = match app.focus {
                Focus::Draft => Focus::Feed,
                _ => Focus::Draft,
            };
        }
        Action::FocusFeed => app.focus = Focus::Feed,
        Action::FocusDraft => app.focus = Focus::Draft,
        Action::ShowHelp => app.show_help = true,
        Action::Post => return posting::send_draft(app),
        // `?` in an empty draft is a question, not a tweet.
        Action::Type('?') if app.focus == Focus::Draft && app.draft.text().is_empty() => {
            app.show_help = true;
        }
        Action::Type(c) => {
            let mut buf = [0u8; 4];
            let typed = sanitize::text(c.encode_utf8(&mut buf)).into_owned();
            if app.focus == Focus::Search {
                return search_edit(app, |q| q.insert(&typed));
            }
            app.draft.edit(|d| d.insert(&typed));
            // The draft pane may have grown over the selected tweet.
            navigate::scroll_into_view(app);
        }
        Action::Edit(edit) if app.focus == Focus::Search => {
            return search_edit(app, |q| q.apply(edit));
        }
        Action::Edit(edit) => {
            let cols = geometry::draft_cols(app.size.0);
            app.draft.edit(|d| d.apply_at(edit, cols));
            navigate::scroll_into_view(app);
        }
        Action::ToggleLike if app.focus == Focus::Tweet => {
            if let Some(id) = app.page.as_ref().map(|p| p.id.clone()) {
                return posting::toggle_like_of(app, &id);
            }
        }
        Action::ToggleLike => return posting::toggle_like(app),
        Action::OpenTweet if app.focus == Focus::Notifications => {
            let rows = views::rows(&app.notifications);
            if let Some(row) = rows.get(app.notifications.cursor) {
                let (id, seq) = (row.tweet_id.to_owned(), row.tweet_seq);
                return views::open_noted_tweet(app, id, seq);
            }
        }
        Action::OpenTweet => {
            if let Some(id) = app.selected_tweet().map(|t| t.id.clone()) {
                return views::open_tweet(app, id);
            }
        }
        Action::ShowNotifications => {
            app.notifications.back = Some(app.focus);
            app.notifications.cursor = 0;
            app.notifications.mark_read();
            app.focus = Focus::Notifications;
        }
        Action::Search => {
            let search = app.search.get_or_insert_with(Default::default);
            search.query.apply(Edit::End);
            app.focus = Focus::Search;
            return navigate::search_more(app);
        }
        Action::KeepSearch => {
            app.focus = Focus::Feed;
            if app.search.as_ref().is_some_and(views::Search::is_empty) {
                return end_search(app);
            }
        }
        Action::Back => match app.focus {
            Focus::Tweet => {
                app.focus = app.page.as_ref().map_or(Focus::Feed, |p| p.back);
                app.page = None;
            }
            Focus::Notifications => {
                app.focus = app.notifications.back.take().unwrap_or(Focus::Feed);
                views::give_up_noted_tweet(app, None);
            }
            Focus::Search => {
                app.focus = Focus::Feed;
                return end_search(app);
            }
            Focus::Draft | Focus::Feed => {}
        },
        Action::CopyId => {
            if let Some(page) = &app.page {
                let id = page.id.clone();
                app.info("tweet id copied");
                return vec![Cmd::Copy(id)];
            }
        }
        Action::Select(to) if app.focus == Focus::Tweet => {
            let cols = app.screen().text_cols();
            let rows = app.screen().feed_rows();
            // The page's text, and ten rows for its header and likes: more
            // than that is scrolled past the end.
            // Laid out no further than the next page down needs: a long
            // tweet costs each key what can be on screen.
            let needed =
                app.page.as_ref().map_or(0, |p| usize::from(p.scroll)) + usize::from(rows) * 2 + 10;
            let most = app
                .page
                .as_ref()
                .and_then(|p| app.feed.get(&p.id))
                .map_or(0, |t| {
                    geometry::lines(&t.text, cols, needed).len() as u16 + 10
                })
                .saturating_sub(rows);
            if let Some(page) = app.page.as_mut() {
                let step = rows.saturating_sub(1).max(1);
                page.scroll = match to {
                    Move::Older => page.scroll.saturating_add(1),
                    Move::Newer => page.scroll.saturating_sub(1),
                    Move::PageOlder => page.scroll.saturating_add(step),
                    Move::PageNewer => page.scroll.saturating_sub(step),
                    _ => page.scroll,
                }
                .min(most);
            }
        }
        Action::Select(to) if app.focus == Focus::Notifications => {
            let last = views::rows(&app.notifications).len().saturating_sub(1);
            let cursor = &mut app.notifications.cursor;
            *cursor = match to {
                Move::Older => (*cursor + 1).min(last),
                Move::Newer => cursor.saturating_sub(1),
                _ => *cursor,
            };
        }
        Action::ToggleTime => {
            app.time = match app.time {
                TimeFormat::Relative => TimeFormat::Absolute,
                TimeFormat::Absolute => TimeFormat::Relative,
            };
        }
        Action::Select(to) => return navigate::select(app, to),
    }
    vec![]
}

/// Edits the search query; the feed follows it at once.
fn search_edit(app: &mut App, edit: impl FnOnce(&mut Editor)) -> Vec<Cmd> {
    // What an older query kept goes: the new one reads the stream afresh.
    let gone = app.feed.drop_kept();
    if let Some(search) = app.search.as_mut() {
        edit(&mut search.query);
        search.forget(&gone);
        search.parse(&app.feed);
    }
    navigate::after_filter(app);
    navigate::search_more(app)
}

/// The search is over: the feed shows everything loaded again. A tweet it
/// found below the window it had is read back with its neighbours (as a
/// place kept across runs is), within reason.
fn end_search(app: &mut App) -> Vec<Cmd> {
    app.search = None;
    let gone = app.feed.drop_kept();
    if let Some(seq) = app.selected.filter(|s| gone.contains(s)) {
        app.return_to = Some(seq);
        app.return_chunks = 0;
        navigate::select_index(app, 0);
        return navigate::return_to_place(app);
    }
    navigate::scroll_into_view(app);
    vec![]
}

/// Reading `which` (older or newer) tweets failed: said so, and a place or
/// a notification's tweet being read back is given up, so nothing is held
/// back from being let go for it.
fn reading_failed(app: &mut App, which: &str, why: &str) {
    app.error(format!("{which} tweets not loaded: {why}"));
    views::give_up_noted_tweet(app, Some(why));
    app.return_to = None;
}

fn quit(app: &mut App) -> Vec<Cmd> {
    // The run loop ends when it sees this.
    app.quit = true;
    vec![]
}
