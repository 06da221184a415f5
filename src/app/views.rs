//! The views shown in the feed's place: a tweet's page, the notifications,
//! and the search that filters the feed.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::draft::Editor;
use super::{App, Cmd, Focus};
use crate::feed::{Feed, Tweet};
use crate::wire::{Event, EventKind};

/// A tweet's page: the whole tweet, scrolled, and where Esc goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub id: String,
    /// Rows scrolled off the top.
    pub scroll: u16,
    pub back: Focus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Liked,
    Unliked,
    Mentioned,
}

/// Something that happened to the user: a like or unlike of their tweet, or
/// a tweet that mentions them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub seq: u64,
    pub kind: NoteKind,
    /// Who did it; empty for an anonymous like.
    pub who: String,
    pub tweet_id: String,
    /// Where the tweet is stored, when known: it is read back from there
    /// to be opened once it has been let go from memory.
    pub tweet_seq: Option<u64>,
    /// The start of the tweet, for the list.
    pub snippet: String,
    /// Stored while the user was away (or arrived live): unread until the
    /// view has been opened once.
    pub new: bool,
}

/// Notifications kept, newest first: enough for weeks of a busy user.
pub const MAX_NOTIFICATIONS: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifications {
    /// Newest first.
    pub items: VecDeque<Notification>,
    /// Everything stored up to this sequence has been seen in the view;
    /// `None` until the view is first opened (what arrived while the user
    /// was away is unread then).
    pub read_mark: Option<u64>,
    pub unread: usize,
    /// Unread ones were dropped past `MAX_NOTIFICATIONS`: `unread` counts
    /// those kept, and there were more.
    pub unread_dropped: bool,
    /// The selected row.
    pub cursor: usize,
    pub back: Option<Focus>,
}

impl Notifications {
    pub fn is_unread(&self, note: &Notification) -> bool {
        self.read_mark.map_or(note.new, |mark| note.seq > mark)
    }

    /// Adds one, in sequence order, counted unread when it is.
    fn add(&mut self, note: Notification) {
        if self.items.iter().any(|n| n.seq == note.seq) {
            return;
        }
        self.unread += usize::from(self.is_unread(&note));
        let at = self
            .items
            .iter()
            .position(|n| n.seq < note.seq)
            .unwrap_or(self.items.len());
        self.items.insert(at, note);
        if self.items.len() > MAX_NOTIFICATIONS
            && let Some(old) = self.items.pop_back()
            && self.is_unread(&old)
        {
            self.unread = self.unread.saturating_sub(1);
            self.unread_dropped = true;
        }
    }

    /// All read, up to the newest.
    pub fn mark_read(&mut self) {
        if let Some(newest) = self.items.front() {
            self.read_mark = Some(self.read_mark.unwrap_or(0).max(newest.seq));
        }
        self.unread = 0;
        self.unread_dropped = false;
    }

    /// The mark to keep for the next run: the read mark, or just before the
    /// oldest notification still unread (so those stay unread).
    pub fn mark_to_save(&self) -> Option<u64> {
        if self.read_mark.is_some() {
            return self.read_mark;
        }
        let oldest_unread = self.items.iter().filter(|n| n.new).map(|n| n.seq).min();
        match oldest_unread {
            Some(seq) => Some(seq - 1),
            None => self.items.front().map(|n| n.seq),
        }
    }

    /// The read mark saved from an earlier run: what is older is read.
    pub fn restore_mark(&mut self, mark: u64) {
        self.read_mark = Some(mark);
        self.unread = self.items.iter().filter(|n| n.seq > mark).count();
    }
}

/// Whether `text` mentions `@user` (case-insensitive, as a whole name).
pub fn mentions(text: &str, user: &str) -> bool {
    if user.is_empty() || !text.contains('@') {
        return false;
    }
    let needle = format!("@{}", user.to_lowercase());
    let text = text.to_lowercase();
    text.match_indices(&needle).any(|(at, _)| {
        text[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
    })
}

fn snippet(text: &str) -> String {
    let flat = crate::sanitize::line(text);
    match flat.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat.into_owned(),
    }
}

/// Whether a live event may make a notification: a like or unlike of one
/// of the user's tweets (loaded, or let go) by someone else, or a mention.
pub fn is_notable(app: &App, event: &Event) -> bool {
    event.author != app.user
        && match event.kind {
            EventKind::TweetCreated => mentions(&event.message, &app.user),
            _ => my_tweet_snippet(app, &event.id).is_some(),
        }
}

/// The snippet of the user's tweet `id`, if it is theirs and known: loaded,
/// or let go from memory (`App::mine_let_go`).
fn my_tweet_snippet(app: &App, id: &str) -> Option<String> {
    match app.feed.get(id) {
        Some(t) => (t.author == app.user).then(|| snippet(&t.text)),
        None => app.mine_let_go.snippet(id).map(str::to_owned),
    }
}

/// The user's own tweets let go from memory, by id, with their snippet, so
/// that likes of them still make notifications: the last `MAX_MINE_LET_GO`
/// to go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MineLetGo {
    /// Each tweet's snippet and sequence.
    snippets: HashMap<String, (String, u64)>,
    /// The ids, in the order they went.
    order: VecDeque<String>,
}

/// The user's tweets let go from memory whose likes still make
/// notifications, at most.
pub const MAX_MINE_LET_GO: usize = 10_000;

impl MineLetGo {
    /// Remembers the user's tweet `id` as it is let go; the one that went
    /// longest ago is forgotten past `MAX_MINE_LET_GO`.
    pub fn remember(&mut self, id: &str, text: &str, seq: u64) {
        if self.snippets.contains_key(id) {
            return;
        }
        if self.snippets.len() >= MAX_MINE_LET_GO
            && let Some(old) = self.order.pop_front()
        {
            self.snippets.remove(&old);
        }
        self.snippets.insert(id.to_owned(), (snippet(text), seq));
        self.order.push_back(id.to_owned());
    }

    pub fn snippet(&self, id: &str) -> Option<&str> {
        self.snippets.get(id).map(|(s, _)| s.as_str())
    }

    /// Where the tweet `id` is stored.
    pub fn seq(&self, id: &str) -> Option<u64> {
        self.snippets.get(id).map(|&(_, seq)| seq)
    }
}

/// The notification an event makes for `app`'s user, if any: called after
/// the event is folded in, so its tweet is known when loaded.
pub fn notice_event(app: &mut App, seq: u64, event: &Event, new: bool) {
    if event.author == app.user {
        return;
    }
    let (kind, text) = match event.kind {
        EventKind::TweetCreated => {
            if !mentions(&event.message, &app.user) {
                return;
            }
            (NoteKind::Mentioned, snippet(&event.message))
        }
        EventKind::TweetLiked | EventKind::TweetUnliked => {
            let Some(text) = my_tweet_snippet(app, &event.id) else {
                return;
            };
            let kind = if event.kind == EventKind::TweetLiked {
                NoteKind::Liked
            } else {
                NoteKind::Unliked
            };
            (kind, text)
        }
    };
    let note = Notification {
        seq,
        kind,
        who: event.author.clone(),
        tweet_id: event.id.clone(),
        tweet_seq: match event.kind {
            EventKind::TweetCreated => Some(seq),
            _ => app
                .feed
                .get(&event.id)
                .map(|t| t.seq)
                .or_else(|| app.mine_let_go.seq(&event.id)),
        },
        snippet: text,
        new,
    };
    // Seen as it arrives if the view is open.
    let open = app.focus == Focus::Notifications;
    app.notifications.add(note);
    if open {
        app.notifications.mark_read();
    }
}

/// One row of the notifications view: likes of one tweet in a row are one
/// row (`bob, carol and 3 others liked your tweet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow<'a> {
    pub kind: NoteKind,
    pub who: Vec<&'a str>,
    pub anonymous: usize,
    pub tweet_id: &'a str,
    pub tweet_seq: Option<u64>,
    pub snippet: &'a str,
    pub unread: bool,
}

/// The notifications as the view lists them, grouped.
pub fn rows(n: &Notifications) -> Vec<NoteRow<'_>> {
    let mut rows: Vec<NoteRow> = Vec::new();
    for note in &n.items {
        let unread = n.is_unread(note);
        match rows.last_mut() {
            Some(row)
                if row.kind == NoteKind::Liked
                    && note.kind == NoteKind::Liked
                    && row.tweet_id == note.tweet_id =>
            {
                if note.who.is_empty() {
                    row.anonymous += 1;
                } else if !row.who.contains(&note.who.as_str()) {
                    row.who.push(&note.who);
                }
                row.unread |= unread;
                row.tweet_seq = row.tweet_seq.or(note.tweet_seq);
            }
            _ => rows.push(NoteRow {
                kind: note.kind,
                who: if note.who.is_empty() {
                    vec![]
                } else {
                    vec![&note.who]
                },
                anonymous: usize::from(note.who.is_empty()),
                tweet_id: &note.tweet_id,
                tweet_seq: note.tweet_seq,
                snippet: &note.snippet,
                unread,
            }),
        }
    }
    rows
}

/// The search: its query as written, what it asks for, and which loaded
/// tweets match it (by stream sequence), so that a frame or a key looks
/// only at matches, however many tweets the query hides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub query: Editor,
    /// Lowercase words the text must hold, and `@names` the author must be.
    words: Vec<String>,
    authors: Vec<String>,
    hits: BTreeSet<u64>,
}

impl Search {
    /// Reads the query again after an edit, and finds its matches among
    /// the tweets loaded.
    pub fn parse(&mut self, feed: &Feed) {
        self.words.clear();
        self.authors.clear();
        for word in self.query.text().split_whitespace() {
            match word.strip_prefix('@') {
                Some(name) if !name.is_empty() => self.authors.push(name.to_lowercase()),
                _ => self.words.push(word.to_lowercase()),
            }
        }
        self.hits.clear();
        if !self.is_empty() {
            let hits = (0..feed.len())
                .filter_map(|i| feed.newest(i))
                .filter(|t| self.matches(t))
                .map(|t| t.seq)
                .collect();
            self.hits = hits;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.authors.is_empty()
    }

    /// Whether a tweet matches: every word in its text, in any case; any
    /// `@name` its author.
    pub fn matches(&self, tweet: &Tweet) -> bool {
        if !self.authors.is_empty()
            && !self
                .authors
                .iter()
                .any(|a| tweet.author.to_lowercase() == *a)
        {
            return false;
        }
        if self.words.is_empty() {
            return true;
        }
        let text = tweet.text.to_lowercase();
        self.words.iter().all(|w| text.contains(w.as_str()))
    }

    /// A tweet came into the feed: noted if it matches.
    pub fn found(&mut self, tweet: &Tweet) {
        if !self.is_empty() && self.matches(tweet) {
            self.hits.insert(tweet.seq);
        }
    }

    /// Tweets the feed let go.
    pub fn forget(&mut self, gone: &[u64]) {
        for seq in gone {
            self.hits.remove(seq);
        }
    }

    /// Whether the loaded tweet at stream sequence `seq` matches.
    pub fn hit(&self, seq: u64) -> bool {
        self.hits.contains(&seq)
    }

    /// How many matches are newer than `seq`, counting to `most` at most
    /// (a frame asks: it never walks more than that).
    pub fn hits_above(&self, seq: u64, most: usize) -> usize {
        self.hits.range(seq.saturating_add(1)..).take(most).count()
    }

    /// The sequence of the nearest match at or older than `seq` (`older`),
    /// or at or newer than it.
    pub fn nearest(&self, seq: u64, older: bool) -> Option<u64> {
        if older {
            self.hits.range(..=seq).next_back().copied()
        } else {
            self.hits.range(seq..).next().copied()
        }
    }
}

/// Who liked a tweet, as people read it: names in order, in their display
/// form, then how many anonymous likes (`bob, carol, 2 anonymous`).
pub fn likers_shown(tweet: &Tweet) -> Vec<String> {
    let mut likers: Vec<&str> = tweet.likers().collect();
    likers.sort_unstable();
    let mut who: Vec<String> = likers
        .iter()
        .map(|u| super::glyphs::display(u).into_owned())
        .collect();
    if tweet.anonymous_likes() > 0 {
        who.push(format!("{} anonymous", tweet.anonymous_likes()));
    }
    who
}

/// Opens the tweet of a notification: at once if it is loaded, else once
/// it has been read back from where it is stored (`seq`), as a place kept
/// across runs is; the feed's selection stays where it was.
pub fn open_noted_tweet(app: &mut App, id: String, seq: Option<u64>) -> Vec<Cmd> {
    if app.feed.get(&id).is_some() {
        return open_tweet(app, id);
    }
    if app.search.as_ref().is_some_and(|s| !s.is_empty()) {
        // What a search reads back, it keeps only if it matches.
        app.error("that tweet is not loaded: end the search (Esc) to open it");
        return vec![];
    }
    let Some(seq) = seq else {
        app.error(format!(
            "that tweet is no longer known here: jetfeed show {} prints it",
            crate::sanitize::line(&id)
        ));
        return vec![];
    };
    app.return_to = Some(seq);
    app.return_chunks = 0;
    app.open_on_return = Some(id);
    app.info("reading back to the tweet…");
    super::navigate::return_to_place(app)
}

/// The tweet a notification was to open is given up: the user left the
/// list, or reading it back failed (`why`).
pub fn give_up_noted_tweet(app: &mut App, why: Option<&str>) {
    if app.open_on_return.take().is_some() {
        app.return_to = None;
        if let Some(why) = why {
            app.error(format!("tweet not opened: {why}"));
        }
    }
}

/// Opens the page of the tweet `id`, coming from where the focus is.
pub fn open_tweet(app: &mut App, id: String) -> Vec<Cmd> {
    let back = if app.focus == Focus::Tweet {
        app.page.as_ref().map_or(Focus::Feed, |p| p.back)
    } else {
        app.focus
    };
    app.page = Some(Page {
        id,
        scroll: 0,
        back,
    });
    app.focus = Focus::Tweet;
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_is_a_whole_name() {
        assert!(mentions("hi @Ann!", "ann"));
        assert!(mentions("@ann", "ann"));
        assert!(!mentions("hi @anna", "ann"));
        assert!(!mentions("mail ann@x", "ann"));
        assert!(!mentions("hi", ""));
    }
}
