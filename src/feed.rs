//! The feed: a pure fold of stream events into tweets and like counts.
//! It knows nothing of screens or NATS. Every event applies in O(1).
//!
//! The feed may hold only a recent window of the stream: history is folded
//! in chunks, newest first, each just before what the feed already holds.
//! Likes for tweets older than the window are kept per tweet (the last word
//! of each user, and a count of anonymous likes) until their tweet's chunk
//! arrives, so every tweet, whenever it is loaded, shows its exact count.
//!
//! A search reads older history with a filter (`prepend_kept`): below the
//! window it had, the feed then keeps only the tweets the filter takes,
//! with their exact counts, and `drop_kept` returns it to that window.
//!
//! Memory stays bounded however long the feed is open: `evict_older` lets
//! the oldest tweets go. Their likes so far stay behind in a packed form
//! (`Evicted`, a few bytes per like); likes that come later wait like any
//! other for a tweet not loaded. When the tweets are read again, the likes
//! in what is read again were all counted once, so they are passed over,
//! and each tweet's count is what it left behind plus what came since.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use std::hash::BuildHasher;
use std::sync::LazyLock;

use foldhash::{HashMap, HashMapExt};
use hashbrown::HashTable;

use chrono::{DateTime, FixedOffset};

use crate::wire::{Event, EventKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tweet {
    pub id: String,
    pub author: String,
    pub text: String,
    pub date: DateTime<FixedOffset>,
    /// The stream sequence of the `tweet_created` event.
    pub seq: u64,
    /// Arrived while this user was away (after their consumer's ack floor).
    pub new: bool,
    likers: Likers,
    anonymous_likes: u64,
}

/// Something per user of one tweet (a liker, a user's last word), kept
/// small: a short list, as most tweets have a few users, and a map once it
/// is long. Compared as maps, whatever the order.
#[derive(Debug, Clone)]
enum ByUser<V> {
    Few(Vec<(Box<str>, V)>),
    Many(HashMap<Box<str>, V>),
}

/// The users whose last word on a tweet is a like.
type Likers = ByUser<()>;

/// Users a list holds before it becomes a map (two in the unit tests, so
/// that their folds reach the map).
const FEW_USERS: usize = if cfg!(test) { 2 } else { 8 };

impl<V> Default for ByUser<V> {
    fn default() -> Self {
        ByUser::Few(Vec::new())
    }
}

impl<V: PartialEq> PartialEq for ByUser<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(u, v)| other.get(u) == Some(v))
    }
}

impl<V: Eq> Eq for ByUser<V> {}

impl<V> ByUser<V> {
    fn len(&self) -> usize {
        match self {
            ByUser::Few(list) => list.len(),
            ByUser::Many(map) => map.len(),
        }
    }

    fn get(&self, user: &str) -> Option<&V> {
        match self {
            ByUser::Few(list) => list.iter().find(|(u, _)| **u == *user).map(|(_, v)| v),
            ByUser::Many(map) => map.get(user),
        }
    }

    /// Sets `user`'s value, replacing one they have (`replace`) or keeping it.
    /// A user given as a `String` or `Box<str>` is kept as it is, not copied.
    fn set<U: AsRef<str> + Into<Box<str>>>(&mut self, user: U, value: V, replace: bool) {
        let name = user.as_ref();
        match self {
            ByUser::Few(list) => {
                if let Some(had) = list.iter_mut().find(|(u, _)| **u == *name) {
                    if replace {
                        had.1 = value;
                    }
                } else if list.len() < FEW_USERS {
                    // Most tweets have a user or two: room for one more.
                    list.reserve_exact(1);
                    list.push((user.into(), value));
                } else {
                    let mut map: HashMap<Box<str>, V> = list.drain(..).collect();
                    map.insert(user.into(), value);
                    *self = ByUser::Many(map);
                }
            }
            ByUser::Many(map) => {
                if let Some(had) = map.get_mut(name) {
                    if replace {
                        *had = value;
                    }
                } else {
                    map.insert(user.into(), value);
                }
            }
        }
    }

    fn remove(&mut self, user: &str) {
        match self {
            ByUser::Few(list) => list.retain(|(u, _)| **u != *user),
            ByUser::Many(map) => {
                map.remove(user);
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        let (few, many) = match self {
            ByUser::Few(list) => (Some(list.iter().map(|(u, v)| (&**u, v))), None),
            ByUser::Many(map) => (None, Some(map.iter().map(|(u, v)| (&**u, v)))),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    fn into_entries(self) -> Box<dyn Iterator<Item = (Box<str>, V)>>
    where
        V: 'static,
    {
        match self {
            ByUser::Few(list) => Box::new(list.into_iter()),
            ByUser::Many(map) => Box::new(map.into_iter()),
        }
    }
}

impl Tweet {
    /// Named likes count once per user; anonymous ones once per event.
    pub fn likes(&self) -> u64 {
        self.likers.len() as u64 + self.anonymous_likes
    }

    pub fn liked_by(&self, user: &str) -> bool {
        self.likers.get(user).is_some()
    }

    /// The users whose last word on this tweet is a like, in no order.
    pub fn likers(&self) -> impl Iterator<Item = &str> {
        self.likers.iter().map(|(u, ())| u)
    }

    /// Likes with no user, counted once per event.
    pub fn anonymous_likes(&self) -> u64 {
        self.anonymous_likes
    }

    fn like<U: AsRef<str> + Into<Box<str>>>(&mut self, user: U, liked: bool) {
        if user.as_ref().is_empty() {
            self.anonymous_likes += u64::from(liked);
        } else if liked {
            self.likers.set(user, (), false);
        } else {
            self.likers.remove(user.as_ref());
        }
    }

    /// Applies likes that came after everything already applied.
    fn apply_later(&mut self, later: LikeLog) {
        for (user, liked) in later.users.into_entries() {
            self.like(user, liked);
        }
        self.anonymous_likes += later.anonymous;
    }
}

/// What applying an event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A tweet was added.
    Tweet,
    /// A tweet's likes changed (or a repeated like left them as they were).
    Likes,
    /// A like for a tweet older than the loaded window: kept for when it loads.
    Deferred,
    /// A tweet was stored above those loaded (the newest were let go while
    /// the user read far below them): it loads when scrolled to.
    Newer,
}

/// Why an event changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// Already applied: history and live delivery overlap by design.
    #[error("event {0} already applied")]
    Seen(u64),
    #[error("a like for an unknown tweet")]
    UnknownTweet,
    #[error("a second tweet with an existing id")]
    DuplicateId,
    #[error("an unlike without a user")]
    AnonymousUnlike,
    /// The stream's limits (`max_msgs`, `max_age`) have discarded its oldest
    /// events: a like of a tweet it no longer holds is no mistake.
    #[error("a like of a tweet the stream no longer holds")]
    TweetDiscarded,
}

impl Skip {
    /// A bad event, as opposed to a replay of one already applied or a like
    /// whose tweet the stream's limits discarded.
    pub fn is_bad(&self) -> bool {
        !matches!(self, Skip::Seen(_) | Skip::TweetDiscarded)
    }
}

/// The likes one tweet got while it was not loaded: each user's last word
/// (liked or not) and the anonymous likes, with how many events that was.
/// Kept small: most such tweets have a like or two, and up to
/// `MAX_PENDING_TWEETS` of them may wait.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct LikeLog {
    /// Each user's last word: liked or not.
    users: ByUser<bool>,
    anonymous: u64,
    events: u64,
}

impl LikeLog {
    /// Records an op later than every op already recorded.
    fn later<U: AsRef<str> + Into<Box<str>>>(&mut self, user: U, liked: bool) {
        self.events += 1;
        if user.as_ref().is_empty() {
            self.anonymous += 1;
        } else {
            self.users.set(user, liked, true);
        }
    }

    /// Merges ops from before every op already recorded: where a user has a
    /// later word, the earlier one no longer matters.
    fn earlier(&mut self, before: LikeLog) {
        for (user, liked) in before.users.into_entries() {
            self.users.set(user, liked, false);
        }
        self.anonymous += before.anonymous;
        self.events += before.events;
    }
}

/// Tweets whose likes are kept while they wait for their history, at most.
/// A chunk of history holds 32,768 events, so a real window never comes
/// near it; ids that are no tweets (a flood of likes for made-up ids) stop
/// here instead of growing memory until the whole history is read.
pub const MAX_PENDING_TWEETS: usize = 100_000;

/// One event of a history chunk: its sequence, the event, whether it is new.
pub type ChunkEvent = (u64, Event, bool);

/// The part of the feed a filter thinned: below `below` it holds only the
/// tweets the filter kept.
#[derive(Debug, Clone, PartialEq)]
struct Kept {
    below: u64,
    /// Likes read below `below` for tweets older still.
    pending: HashMap<Box<str>, LikeLog>,
}

/// Bits of an evicted like that hold its tweet's sequence; the rest say
/// who liked it (a user's number, or a count of anonymous likes).
const SEQ_BITS: u32 = 40;
const WHO_BITS: u32 = 64 - SEQ_BITS;
/// Set in `who` for a count of anonymous likes.
const ANONYMOUS: u64 = 1 << (WHO_BITS - 1);
const WHO_MASK: u64 = (1 << WHO_BITS) - 1;

/// The likes of tweets let go from memory, as they were when let go: per
/// like, the tweet's sequence and who (8 bytes). Tweets go from either end
/// of what is loaded, so there is a stack for each: those older than it,
/// and those newer. Users are numbered, as the same few like many tweets.
#[derive(Debug, Clone, Default, PartialEq)]
struct Evicted {
    /// `seq << WHO_BITS | who`, ascending: tweets older than those loaded.
    older: Vec<u64>,
    /// The same, for tweets newer than those loaded.
    newer: VecDeque<u64>,
    users: Vec<Box<str>>,
    numbers: HashMap<Box<str>, u64>,
}

/// The sequence of the tweet an evicted like is of.
fn seq_of(like: &u64) -> u64 {
    like >> WHO_BITS
}

impl Evicted {
    /// Packs `tweet`'s likes: onto the older stack (`older`, the tweet newer
    /// than any there) or the newer one (older than any there). False, and
    /// nothing kept, if they do not fit the packing.
    fn keep(&mut self, tweet: &Tweet, older: bool) -> bool {
        let new_users = tweet
            .likers()
            .filter(|u| !self.numbers.contains_key(*u))
            .count() as u64;
        let in_order = if older {
            self.older.last().is_none_or(|l| seq_of(l) < tweet.seq)
        } else {
            self.newer.front().is_none_or(|l| seq_of(l) > tweet.seq)
        };
        let fits = tweet.seq < (1 << SEQ_BITS)
            && self.users.len() as u64 + new_users < ANONYMOUS
            && in_order;
        if !fits {
            return false;
        }
        let at = tweet.seq << WHO_BITS;
        let mut packed = Vec::with_capacity(tweet.likers.len() + 1);
        for user in tweet.likers() {
            let number = match self.numbers.get(user) {
                Some(n) => *n,
                None => {
                    let n = self.users.len() as u64;
                    self.users.push(user.into());
                    self.numbers.insert(user.into(), n);
                    n
                }
            };
            packed.push(at | number);
        }
        let mut anonymous = tweet.anonymous_likes;
        while anonymous > 0 {
            let n = anonymous.min(ANONYMOUS - 1);
            packed.push(at | ANONYMOUS | n);
            anonymous -= n;
        }
        if older {
            self.older.extend(packed);
        } else {
            for like in packed.into_iter().rev() {
                self.newer.push_front(like);
            }
        }
        true
    }

    /// Gives `tweet` back the likes it had when it was let go.
    fn restore(&self, tweet: &mut Tweet) {
        let seq = tweet.seq;
        let first = self.older.partition_point(|l| seq_of(l) < seq);
        let older = self.older[first..].iter();
        let first = self.newer.partition_point(|l| seq_of(l) < seq);
        let newer = self.newer.range(first..);
        for &l in older
            .take_while(|l| seq_of(l) == seq)
            .chain(newer.take_while(|l| seq_of(l) == seq))
        {
            let who = l & WHO_MASK;
            if who & ANONYMOUS != 0 {
                tweet.anonymous_likes += who & !ANONYMOUS;
            } else if let Some(user) = self.users.get(who as usize) {
                tweet.likers.set(&**user, (), false);
            }
        }
    }

    /// Forgets the older tweets' likes from `seq` on: they are loaded again.
    fn forget_older_from(&mut self, seq: u64) {
        let keep = self.older.partition_point(|l| seq_of(l) < seq);
        self.older.truncate(keep);
        if too_roomy(self.older.len(), self.older.capacity()) {
            self.older.shrink_to(2 * keep);
        }
    }

    /// Forgets the newer tweets' likes up to `seq`: they are loaded again.
    fn forget_newer_to(&mut self, seq: u64) {
        let gone = self.newer.partition_point(|l| seq_of(l) <= seq);
        self.newer.drain(..gone);
        if too_roomy(self.newer.len(), self.newer.capacity()) {
            self.newer.shrink_to(2 * self.newer.len());
        }
    }
}

/// Whether a collection has far more room than it holds: what a trip
/// through a long stream left it, given back once it shrinks to a quarter.
fn too_roomy(len: usize, capacity: usize) -> bool {
    capacity > 4096 && capacity > 4 * len
}

/// Tweet ids to where their tweets are, without a second copy of each id:
/// an entry is the id's hash and the tweet's sequence, and the id compared
/// is the tweet's own, found by that sequence. Every index hashes alike
/// (one random state per process), so a chunk's index merges into the
/// feed's by its entries' hashes; ids that share a hash are told apart by
/// comparing them.
#[derive(Debug, Clone, Default)]
struct ById(HashTable<(u64, u64)>);

/// The hasher of every `ById`: random per process, as ids are untrusted.
static ID_HASHER: LazyLock<foldhash::fast::RandomState> =
    LazyLock::new(foldhash::fast::RandomState::default);

fn id_hash(id: &str) -> u64 {
    ID_HASHER.hash_one(id)
}

fn entry_hash(entry: &(u64, u64)) -> u64 {
    entry.0
}

impl ById {
    /// Where in `tweets` (ascending sequence) the tweet `id` is.
    fn position(&self, tweets: &VecDeque<Tweet>, id: &str) -> Option<usize> {
        let hash = id_hash(id);
        let mut found = None;
        self.0.find(hash, |&(h, seq)| {
            h == hash
                && tweets
                    .binary_search_by_key(&seq, |t| t.seq)
                    .is_ok_and(|pos| {
                        found = Some(pos);
                        tweets[pos].id == id
                    })
        })?;
        found
    }

    /// Notes the tweet `id` at `seq`; the caller knows it is not there yet.
    fn insert(&mut self, id: &str, seq: u64) {
        let hash = id_hash(id);
        self.0.insert_unique(hash, (hash, seq), entry_hash);
    }

    /// Forgets the tweet `id` at `seq` (already taken out of the tweets).
    fn remove(&mut self, id: &str, seq: u64) {
        let hash = id_hash(id);
        if let Ok(entry) = self.0.find_entry(hash, |&e| e == (hash, seq)) {
            entry.remove();
        }
    }

    /// Takes in every entry of `other`, whose ids this one does not hold.
    fn merge(&mut self, other: ById) {
        self.0.reserve(other.0.len(), entry_hash);
        for entry in other.0 {
            self.0.insert_unique(entry.0, entry, entry_hash);
        }
    }

    fn capacity(&self) -> usize {
        self.0.capacity()
    }

    fn shrink_to(&mut self, capacity: usize) {
        self.0.shrink_to(capacity, entry_hash);
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// Indexes are equal when they hold the same sequences (the feeds compared
/// hold the tweets).
impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        let seqs = |b: &ById| {
            let mut seqs: Vec<(u64, u64)> = b.0.iter().copied().collect();
            seqs.sort_unstable();
            seqs
        };
        self.0.len() == other.0.len() && seqs(self) == seqs(other)
    }
}

/// The ids of tweets let go from memory (and of tweets stored above those
/// loaded), in a form that may say yes wrongly (about one id in a hundred)
/// but never says no wrongly: 10 bits an id, in Bloom filters that double
/// in size as they fill. A like of an id it has never been told of, once
/// the stream's start has been read, is of no tweet at all.
#[derive(Debug, Clone, Default, PartialEq)]
struct LetGo {
    filters: Vec<Bloom>,
}

#[derive(Debug, Clone, PartialEq)]
struct Bloom {
    bits: Vec<u64>,
    ids: usize,
    room: usize,
}

/// Bits looked at per id: 1% of wrong yeses at 10 bits an id.
const PROBES: u64 = 7;
/// Ids the first filter takes; each next one takes twice as many.
const FIRST_ROOM: usize = 1 << 14;

impl Bloom {
    fn new(room: usize) -> Self {
        Bloom {
            bits: vec![0; (room * 10).div_ceil(64)],
            ids: 0,
            room,
        }
    }
}

/// The bits of `id` in a filter of `words` 64-bit words, as (word, mask):
/// two hashes, stepped.
fn probes(words: usize, id: &str) -> impl Iterator<Item = (usize, u64)> {
    use std::hash::BuildHasher;
    let a = foldhash::quality::FixedState::with_seed(0x6a65_7466).hash_one(id);
    let b = foldhash::quality::FixedState::with_seed(0x6565_6421).hash_one(id) | 1;
    let len = words as u64 * 64;
    (0..PROBES).map(move |i| {
        let bit = a.wrapping_add(i.wrapping_mul(b)) % len;
        ((bit / 64) as usize, 1 << (bit % 64))
    })
}

impl LetGo {
    fn insert(&mut self, id: &str) {
        if self.filters.last().is_none_or(|f| f.ids >= f.room) {
            let room = self.filters.last().map_or(FIRST_ROOM, |f| f.room * 2);
            self.filters.push(Bloom::new(room));
        }
        if let Some(f) = self.filters.last_mut() {
            for (word, bit) in probes(f.bits.len(), id) {
                f.bits[word] |= bit;
            }
            f.ids += 1;
        }
    }

    /// Whether `id` may have been inserted (false: it certainly was not).
    fn may_hold(&self, id: &str) -> bool {
        self.filters
            .iter()
            .any(|f| probes(f.bits.len(), id).all(|(word, bit)| f.bits[word] & bit != 0))
    }
}

/// Tweets in stream order, indexed by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// Ascending stream sequence.
    tweets: VecDeque<Tweet>,
    /// Tweet id to the sequence of its `tweet_created`.
    by_id: ById,
    /// Likes for tweets not loaded (yet), by tweet id, as applied forward:
    /// live, or in the window.
    pending: HashMap<Box<str>, LikeLog>,
    /// Likes read in older history for tweets older still: stored before
    /// every like in `pending`. A tweet newer than what is loaded (let go by
    /// `evict_newer`) has none that are good here: they came before it.
    read_pending: HashMap<Box<str>, LikeLog>,
    /// The highest stream sequence applied so far.
    last_seq: u64,
    /// Every event from this sequence on has been folded in.
    first_seq: u64,
    /// The feed holds the stream from its start: nothing older to load.
    complete: bool,
    new_count: usize,
    /// Deferred likes found bad since last taken: their tweet was created
    /// after them, or never.
    discarded: u64,
    /// Set while a filter thins the oldest part of the feed.
    kept: Option<Kept>,
    /// Events older than this were never read: bad ones count once, however
    /// often a search reads them again.
    read_from: u64,
    /// Every event from this sequence on has been folded once: its like is
    /// counted in a loaded tweet, in `evicted` or in `pending`.
    folded_from: u64,
    /// The likes of tweets let go by `evict_older` and `evict_newer`.
    evicted: Evicted,
    /// Every tweet from `first_seq` to here is loaded. Normally `last_seq`;
    /// below it when the newest tweets were let go (`evict_newer`): those
    /// after it, and tweets that arrive meanwhile, load with `append`.
    loaded_to: u64,
    /// Tweets stored after `loaded_to`, as far as known.
    newer: u64,
    /// Set once the stream's start has been read without a filter: whether
    /// its limits had discarded events before it. From then on every tweet
    /// is loaded, let go (`let_go`), or no tweet at all.
    start: Option<bool>,
    let_go: LetGo,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// An empty feed at the start of the stream: every event after this is
    /// folded forward with `apply`.
    pub fn new() -> Self {
        Self::window(1)
    }

    /// An empty feed that will fold the stream from `first_seq` on; older
    /// events come later through `prepend`. A `first_seq` of 1 or less is
    /// the stream's start.
    pub fn window(first_seq: u64) -> Self {
        Feed {
            tweets: VecDeque::new(),
            by_id: ById::default(),
            pending: HashMap::new(),
            read_pending: HashMap::new(),
            last_seq: first_seq.saturating_sub(1),
            first_seq: first_seq.max(1),
            complete: first_seq <= 1,
            new_count: 0,
            discarded: 0,
            kept: None,
            read_from: first_seq.max(1),
            folded_from: first_seq.max(1),
            evicted: Evicted::default(),
            loaded_to: first_seq.saturating_sub(1),
            newer: 0,
            start: (first_seq <= 1).then_some(false),
            let_go: LetGo::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.tweets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tweets.is_empty()
    }

    /// The highest stream sequence applied so far.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The oldest stream sequence folded in.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Whether the feed holds everything from the stream's start.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether the event at `seq` was read before: whatever was bad about
    /// it was counted then.
    pub fn was_read(&self, seq: u64) -> bool {
        seq >= self.read_from
    }

    /// Every tweet up to this sequence (from `first_seq`) is loaded.
    pub fn loaded_to(&self) -> u64 {
        self.loaded_to
    }

    /// Whether the newest tweets are loaded (none were let go above).
    pub fn is_top_loaded(&self) -> bool {
        self.loaded_to >= self.last_seq
    }

    /// Tweets stored after those loaded (0 when the top is loaded).
    pub fn newer_not_loaded(&self) -> u64 {
        self.newer
    }

    /// How many tweets are marked new.
    pub fn new_count(&self) -> usize {
        self.new_count
    }

    /// Marks the tweet at newest-first `index` read; whether it was new.
    pub fn mark_read(&mut self, index: usize) -> bool {
        let Some(pos) = self.tweets.len().checked_sub(index + 1) else {
            return false;
        };
        match self.tweets.get_mut(pos) {
            Some(t) if t.new => {
                t.new = false;
                self.new_count -= 1;
                true
            }
            _ => false,
        }
    }

    /// Marks every tweet read.
    pub fn mark_all_read(&mut self) {
        if self.new_count > 0 {
            self.tweets.iter_mut().for_each(|t| t.new = false);
            self.new_count = 0;
        }
    }

    /// The newest-first index of the oldest tweet still new.
    pub fn oldest_new(&self) -> Option<usize> {
        if self.new_count == 0 {
            return None;
        }
        let pos = self.tweets.iter().position(|t| t.new)?;
        Some(self.tweets.len() - 1 - pos)
    }

    /// How many deferred likes turned out bad since the last call.
    pub fn take_discarded(&mut self) -> u64 {
        std::mem::take(&mut self.discarded)
    }

    /// Tweets whose likes are waiting for older history.
    #[cfg(test)]
    fn pending_tweets(&self) -> usize {
        self.pending.len() + self.read_pending.len()
    }

    /// The tweet at a newest-first index (0 is the newest).
    pub fn newest(&self, index: usize) -> Option<&Tweet> {
        self.tweets
            .len()
            .checked_sub(index + 1)
            .and_then(|pos| self.tweets.get(pos))
    }

    /// The newest-first index of the tweet created at stream sequence `seq`.
    pub fn index_of_seq(&self, seq: u64) -> Option<usize> {
        let pos = self.tweets.binary_search_by_key(&seq, |t| t.seq).ok()?;
        Some(self.tweets.len() - 1 - pos)
    }

    /// The sequence of the tweet at a newest-first index.
    pub fn seq_at(&self, index: usize) -> Option<u64> {
        self.newest(index).map(|t| t.seq)
    }

    pub fn get(&self, id: &str) -> Option<&Tweet> {
        let pos = self.by_id.position(&self.tweets, id)?;
        self.tweets.get(pos)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Tweet> {
        let pos = self.by_id.position(&self.tweets, id)?;
        self.tweets.get_mut(pos)
    }

    /// The likes of tweet `id` counted while it is not loaded (they wait
    /// for it): each user whose last word is a like, and the anonymous
    /// ones.
    pub fn waiting_likes(&self, id: &str) -> u64 {
        self.pending.get(id).map_or(0, |log| {
            log.users.iter().filter(|(_, liked)| **liked).count() as u64 + log.anonymous
        })
    }

    fn holds(&self, id: &str) -> bool {
        self.by_id.position(&self.tweets, id).is_some()
    }

    /// Applies the event stored at stream sequence `seq`, newer than all
    /// before it. Sequences at or below the last applied one are replays and
    /// change nothing, so history and live deliveries may overlap freely.
    pub fn apply(&mut self, seq: u64, event: &Event, new: bool) -> Result<Change, Skip> {
        if seq <= self.last_seq {
            return Err(Skip::Seen(seq));
        }
        self.apply_owned(seq, event.clone(), new)
    }

    /// `apply`, taking the event: its strings move into the feed.
    pub fn apply_owned(&mut self, seq: u64, event: Event, new: bool) -> Result<Change, Skip> {
        if seq <= self.last_seq {
            return Err(Skip::Seen(seq));
        }
        let top = self.is_top_loaded();
        self.last_seq = seq;
        if top {
            self.loaded_to = seq;
        }
        match event.kind {
            EventKind::TweetCreated => {
                if self.holds(&event.id) {
                    return Err(Skip::DuplicateId);
                }
                // Likes for this id came before it existed: they were bad.
                for waiting in [&mut self.pending, &mut self.read_pending] {
                    if let Some(early) = waiting.remove(event.id.as_str()) {
                        self.discarded += early.events;
                    }
                }
                if !top {
                    self.newer += 1;
                    self.let_go.insert(&event.id);
                    return Ok(Change::Newer);
                }
                self.by_id.insert(&event.id, seq);
                self.tweets.push_back(new_tweet(seq, event, new));
                self.new_count += usize::from(new);
                Ok(Change::Tweet)
            }
            EventKind::TweetLiked | EventKind::TweetUnliked => {
                let liked = event.kind == EventKind::TweetLiked;
                if !liked && event.author.is_empty() {
                    return Err(Skip::AnonymousUnlike);
                }
                let below = self.kept.as_ref().map_or(0, |k| k.below);
                if let Some(tweet) = self.get_mut(&event.id) {
                    if tweet.seq < below {
                        tweet.like(event.author.as_str(), liked);
                        // Kept by a filter: once it goes, the like waits
                        // for it again, as for any tweet not loaded.
                        self.defer(event.id, event.author.as_str(), liked);
                    } else {
                        // The user's name moves into the tweet's likers.
                        tweet.like(event.author, liked);
                    }
                    return Ok(Change::Likes);
                }
                // With a filter, a tweet not loaded may be one it passed
                // over. Else, once the stream's start was read, it is a
                // tweet let go, or none.
                if let Some(discarded) = self.start
                    && self.kept.is_none()
                    && ((self.complete && top) || !self.let_go.may_hold(&event.id))
                {
                    return Err(if discarded {
                        Skip::TweetDiscarded
                    } else {
                        Skip::UnknownTweet
                    });
                }
                if self.defer(event.id, event.author, liked) {
                    Ok(Change::Deferred)
                } else {
                    // More tweets waiting for history than any window of a
                    // real stream holds: likes of ids that were never tweets.
                    Err(Skip::UnknownTweet)
                }
            }
        }
    }

    /// Everything up to `seq` has been applied: events missing below it
    /// (deleted from the stream) are not waited for.
    pub fn applied_to(&mut self, seq: u64) {
        if self.is_top_loaded() {
            self.loaded_to = self.loaded_to.max(seq);
        }
        self.last_seq = self.last_seq.max(seq);
    }

    /// Whether as many tweets wait for their likes as may.
    fn pending_full(&self) -> bool {
        self.pending.len() + self.read_pending.len() >= MAX_PENDING_TWEETS
    }

    /// Keeps a like for when its tweet loads; false when too many tweets
    /// wait already.
    fn defer<U: AsRef<str> + Into<Box<str>>>(&mut self, id: String, user: U, liked: bool) -> bool {
        if self.pending_full() && !self.pending.contains_key(id.as_str()) {
            return false;
        }
        self.pending
            .entry(id.into_boxed_str())
            .or_default()
            .later(user, liked);
        true
    }

    /// Folds a chunk of history: every event stored from sequence `from` up
    /// to (not including) what the feed already holds, in stream order.
    /// `at_start` says the chunk begins at the stream's first message.
    /// Not while a filter thins the feed: `drop_kept` comes first.
    /// Returns how many of its events were bad.
    pub fn prepend(
        &mut self,
        from: u64,
        events: impl IntoIterator<Item = ChunkEvent>,
        at_start: bool,
    ) -> u64 {
        self.fold_older(from, events, at_start, None)
    }

    /// `prepend`, keeping only the tweets `keep` takes (each with its exact
    /// count). The feed stays thinned below where it first applied until
    /// `drop_kept`; memory grows with what is kept, not with what is read.
    pub fn prepend_kept(
        &mut self,
        from: u64,
        events: impl IntoIterator<Item = ChunkEvent>,
        at_start: bool,
        keep: &dyn Fn(&Tweet) -> bool,
    ) -> u64 {
        self.fold_older(from, events, at_start, Some(keep))
    }

    /// Whether a filter thins the oldest part of the feed.
    pub fn is_thinned(&self) -> bool {
        self.kept.is_some()
    }

    /// Forgets what `prepend_kept` kept: the feed is again the window it
    /// was, everything in it loaded. The sequences of the tweets let go.
    pub fn drop_kept(&mut self) -> Vec<u64> {
        let Some(kept) = self.kept.take() else {
            return Vec::new();
        };
        let mut gone = Vec::new();
        while self.tweets.front().is_some_and(|t| t.seq < kept.below) {
            let Some(t) = self.tweets.pop_front() else {
                break;
            };
            self.by_id.remove(&t.id, t.seq);
            self.new_count -= usize::from(t.new);
            gone.push(t.seq);
        }
        self.first_seq = kept.below;
        self.complete = kept.below <= 1;
        gone
    }

    /// Lets the tweets older than `below` go from memory (not while a filter
    /// thins the feed). Their likes so far stay behind, packed; read again
    /// with `prepend`, they come back with their exact counts. Returns how
    /// many went.
    pub fn evict_older(&mut self, below: u64) -> usize {
        let below = below.min(self.loaded_to + 1);
        if self.kept.is_some() || below <= self.first_seq {
            return 0;
        }
        let (gone, stuck) = self.let_go_while(true, |seq| seq < below);
        let until = stuck.unwrap_or(below);
        if until > self.first_seq {
            self.first_seq = until;
            self.complete = false;
        }
        self.give_room_back();
        gone
    }

    /// Lets tweets go from one end of those loaded (the oldest end, or the
    /// newest) while `goes` takes their sequence: their likes packed, their
    /// ids remembered. How many went, and the sequence of the tweet that had
    /// to stay because its likes are beyond what the packing holds (never,
    /// in practice).
    fn let_go_while(&mut self, oldest: bool, goes: impl Fn(u64) -> bool) -> (usize, Option<u64>) {
        let mut gone = 0;
        loop {
            let end = if oldest {
                self.tweets.front()
            } else {
                self.tweets.back()
            };
            let Some(t) = end.filter(|t| goes(t.seq)) else {
                return (gone, None);
            };
            if t.likes() > 0 && !self.evicted.keep(t, oldest) {
                return (gone, Some(t.seq));
            }
            let popped = if oldest {
                self.tweets.pop_front()
            } else {
                self.tweets.pop_back()
            };
            let Some(t) = popped else {
                return (gone, None);
            };
            self.by_id.remove(&t.id, t.seq);
            self.let_go.insert(&t.id);
            self.new_count -= usize::from(t.new);
            gone += 1;
        }
    }

    /// Shrinks what a large chunk, now let go, left roomy.
    fn give_room_back(&mut self) {
        let len = self.tweets.len();
        if too_roomy(len, self.tweets.capacity()) {
            self.tweets.shrink_to(2 * len);
        }
        if too_roomy(len, self.by_id.capacity()) {
            self.by_id.shrink_to(2 * len);
        }
    }

    /// Lets the tweets newer than `above` go from memory (not while a
    /// filter thins the feed), as `evict_older` does the oldest; they, and
    /// tweets that arrive meanwhile, load again with `append`. Returns how
    /// many went.
    pub fn evict_newer(&mut self, above: u64) -> usize {
        let above = above.max(self.first_seq.saturating_sub(1));
        if self.kept.is_some() || above >= self.loaded_to {
            return 0;
        }
        let (gone, stuck) = self.let_go_while(false, |seq| seq > above);
        let to = stuck.unwrap_or(above);
        if to < self.loaded_to {
            self.loaded_to = to;
            self.newer += gone as u64;
        }
        self.give_room_back();
        gone
    }

    /// Folds events stored just after the tweets loaded (`loaded_to` + 1)
    /// up to `to`, read again: the tweets `evict_newer` let go, and those
    /// that arrived since, come back with their exact counts. Returns how
    /// many tweets loaded.
    pub fn append(&mut self, to: u64, events: impl IntoIterator<Item = ChunkEvent>) -> usize {
        let to = to.min(self.last_seq);
        let from = self.loaded_to + 1;
        let mut loaded = 0;
        for (seq, event, _) in events {
            // Their likes were all folded when they arrived.
            let tweet = event.kind == EventKind::TweetCreated;
            if seq < from || seq > to || !tweet || self.holds(&event.id) {
                continue;
            }
            let mut tweet = new_tweet(seq, event, false);
            self.evicted.restore(&mut tweet);
            if let Some(later) = self.pending.remove(tweet.id.as_str()) {
                tweet.apply_later(later);
            }
            if let Some(early) = self.read_pending.remove(tweet.id.as_str()) {
                // Read in older history: stored before the tweet.
                self.discarded += early.events;
            }
            self.by_id.insert(&tweet.id, seq);
            self.tweets.push_back(tweet);
            loaded += 1;
        }
        self.evicted.forget_newer_to(to);
        self.loaded_to = self.loaded_to.max(to);
        self.newer = self.newer.saturating_sub(loaded);
        if self.is_top_loaded() {
            self.newer = 0;
            if self.complete && self.kept.is_none() {
                // Every tweet is loaded: what waits has no tweet.
                self.pending.clear();
                self.read_pending.clear();
            }
        }
        loaded as usize
    }

    fn fold_older(
        &mut self,
        from: u64,
        events: impl IntoIterator<Item = ChunkEvent>,
        at_start: bool,
        keep: Option<&dyn Fn(&Tweet) -> bool>,
    ) -> u64 {
        // Events read before were counted then.
        let fresh_below = self.read_from;
        let top = self.is_top_loaded();
        let mut bad = 0;
        let mut chunk: Feed = Feed::window(from);
        chunk.complete = false;
        // Events from here on were folded once, before their tweets were let
        // go: their likes are counted already.
        let again = self.folded_from;
        for (seq, event, new) in events {
            if seq >= self.first_seq || seq < from {
                continue;
            }
            if seq >= again && event.kind != EventKind::TweetCreated {
                continue;
            }
            let new = new && seq < again;
            let fresh = u64::from(seq < fresh_below);
            let duplicate = event.kind == EventKind::TweetCreated && self.holds(&event.id);
            if duplicate {
                bad += fresh;
                chunk.applied_to(seq);
                continue;
            }
            match chunk.apply_owned(seq, event, new) {
                Err(skip) if skip.is_bad() => bad += fresh,
                _ => {}
            }
        }
        if from < fresh_below {
            bad += chunk.discarded;
        }
        for tweet in chunk.tweets.iter_mut().filter(|t| t.seq >= again) {
            self.evicted.restore(tweet);
        }
        match keep {
            None => {
                // Likes stored after this chunk apply on top of what it
                // folded: those read in newer chunks, then the window's.
                for tweet in &mut chunk.tweets {
                    for waiting in [&mut self.read_pending, &mut self.pending] {
                        if let Some(later) = waiting.remove(tweet.id.as_str()) {
                            tweet.apply_later(later);
                        }
                    }
                }
                for (id, earlier) in chunk.pending {
                    if self.holds(&id) {
                        // Likes stored before their tweet, which is loaded:
                        // bad, and never to be applied to it if it is let
                        // go and read again.
                        bad += if from < fresh_below {
                            earlier.events
                        } else {
                            0
                        };
                        continue;
                    }
                    let full = self.pending_full();
                    match self.read_pending.entry(id) {
                        Entry::Occupied(mut later) => later.get_mut().earlier(earlier),
                        Entry::Vacant(_) if full => {
                            bad += if from < fresh_below {
                                earlier.events
                            } else {
                                0
                            };
                        }
                        Entry::Vacant(e) => {
                            e.insert(earlier);
                        }
                    }
                }
                // Loaded again: what they left behind is theirs once more.
                self.evicted.forget_older_from(from);
                self.folded_from = self.folded_from.min(from.max(1));
            }
            Some(keep) => {
                let first_seq = self.first_seq;
                let kept = self.kept.get_or_insert_with(|| Kept {
                    below: first_seq,
                    pending: HashMap::new(),
                });
                for tweet in &mut chunk.tweets {
                    // Likes read since, thinned or not, on top of its own. The
                    // window's stay where they are: they outlive the filter.
                    let id = tweet.id.as_str();
                    let between = kept.pending.remove(id);
                    let (read, newest) = (self.read_pending.get(id), self.pending.get(id));
                    if between.is_some() || read.is_some() || newest.is_some() {
                        let mut later = newest.cloned().unwrap_or_default();
                        for earlier in read.cloned().into_iter().chain(between) {
                            later.earlier(earlier);
                        }
                        tweet.apply_later(later);
                    }
                }
                chunk.tweets.retain(|t| keep(t));
                chunk.by_id.clear();
                chunk.new_count = 0;
                for t in &chunk.tweets {
                    chunk.by_id.insert(&t.id, t.seq);
                    chunk.new_count += usize::from(t.new);
                }
                for (id, earlier) in chunk.pending {
                    let full = kept.pending.len() >= MAX_PENDING_TWEETS;
                    match kept.pending.entry(id) {
                        Entry::Occupied(mut later) => later.get_mut().earlier(earlier),
                        Entry::Vacant(_) if full => {}
                        Entry::Vacant(e) => {
                            e.insert(earlier);
                        }
                    }
                }
            }
        }
        self.by_id.merge(chunk.by_id);
        self.new_count += chunk.new_count;
        while let Some(t) = chunk.tweets.pop_back() {
            self.tweets.push_front(t);
        }
        self.first_seq = self.first_seq.min(from.max(1));
        self.read_from = self.read_from.min(self.first_seq);
        self.last_seq = self.last_seq.max(self.first_seq - 1);
        if top {
            self.loaded_to = self.last_seq;
        }
        if at_start || self.first_seq <= 1 {
            self.complete = true;
            // The stream's start is not its first event: its limits
            // discarded older ones, so likes of unknown tweets may be likes
            // of those.
            let truncated = self.first_seq > 1;
            if let Some(kept) = &mut self.kept {
                // Likes of tweets never found below the window; the window's
                // own wait on: their tweets may be ones the filter passed.
                kept.pending = HashMap::new();
            } else {
                self.start = Some(truncated);
            }
            if self.kept.is_none() && top {
                // Nothing older can claim these likes: their tweets never
                // existed, or the stream's limits discarded them.
                let orphans = (self.pending.drain().chain(self.read_pending.drain()))
                    .map(|(_, log)| log.events)
                    .sum::<u64>();
                if !truncated && from < fresh_below {
                    bad += orphans;
                }
            }
        }
        bad
    }
}

fn new_tweet(seq: u64, event: Event, new: bool) -> Tweet {
    Tweet {
        id: event.id,
        author: event.author,
        text: event.message,
        date: event.date,
        seq,
        new,
        likers: Likers::default(),
        anonymous_likes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldhash::{HashSet, HashSetExt};
    use proptest::prelude::*;

    fn date() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap()
    }

    fn ev(kind: EventKind, id: &str, author: &str) -> Event {
        Event {
            kind,
            id: id.into(),
            message: "text".into(),
            date: date(),
            author: author.into(),
        }
    }

    fn tweet(id: &str) -> Event {
        ev(EventKind::TweetCreated, id, "ann")
    }
    fn like(id: &str, by: &str) -> Event {
        ev(EventKind::TweetLiked, id, by)
    }
    fn unlike(id: &str, by: &str) -> Event {
        ev(EventKind::TweetUnliked, id, by)
    }

    fn fold(events: &[Event]) -> Feed {
        let mut f = Feed::new();
        for (i, e) in events.iter().enumerate() {
            let _ = f.apply(i as u64 + 1, e, false);
        }
        f
    }

    #[test]
    fn likes_waiting_for_their_tweets_are_bounded() {
        let mut f = Feed::window(1_000_000);
        let like = |id: String| Event {
            kind: EventKind::TweetLiked,
            id,
            message: String::new(),
            date: chrono::Utc::now().fixed_offset(),
            author: "bob".into(),
        };
        let mut refused = 0;
        for i in 0..(MAX_PENDING_TWEETS as u64 + 500) {
            if f.apply(1_000_000 + i, &like(format!("fake-{i}")), false)
                .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(f.pending_tweets(), MAX_PENDING_TWEETS);
        assert_eq!(refused, 500);
        // A like for an id already waiting is still kept.
        let again = 1_000_000 + MAX_PENDING_TWEETS as u64 + 500;
        assert_eq!(
            f.apply(again, &like("fake-1".into()), false),
            Ok(Change::Deferred)
        );
    }

    #[test]
    fn newest_first_order() {
        let f = fold(&[tweet("a"), tweet("b"), tweet("c")]);
        let ids: Vec<_> = (0..3).map(|i| f.newest(i).unwrap().id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert_eq!(f.newest(3), None);
        assert_eq!(f.index_of_seq(1), Some(2));
        assert_eq!(f.index_of_seq(3), Some(0));
        assert_eq!(f.index_of_seq(4), None);
    }

    #[test]
    fn a_named_like_counts_once_however_often_repeated() {
        let f = fold(&[
            tweet("a"),
            like("a", "bob"),
            like("a", "bob"),
            like("a", "bob"),
        ]);
        assert_eq!(f.get("a").unwrap().likes(), 1);
        assert!(f.get("a").unwrap().liked_by("bob"));
        assert!(!f.get("a").unwrap().liked_by("ann"));
    }

    #[test]
    fn an_unlike_takes_the_like_back() {
        let f = fold(&[
            tweet("a"),
            like("a", "bob"),
            like("a", "cy"),
            unlike("a", "bob"),
        ]);
        let t = f.get("a").unwrap();
        assert_eq!(t.likes(), 1);
        assert!(!t.liked_by("bob"));
        assert!(t.liked_by("cy"));
    }

    #[test]
    fn unliking_what_was_never_liked_changes_nothing() {
        let f = fold(&[tweet("a"), unlike("a", "bob"), like("a", "bob")]);
        assert_eq!(f.get("a").unwrap().likes(), 1);
    }

    #[test]
    fn anonymous_likes_count_once_per_event() {
        let f = fold(&[tweet("a"), like("a", ""), like("a", ""), like("a", "bob")]);
        assert_eq!(f.get("a").unwrap().likes(), 3);
    }

    #[test]
    fn an_anonymous_unlike_is_skipped() {
        let mut f = fold(&[tweet("a"), like("a", "")]);
        assert_eq!(
            f.apply(10, &unlike("a", ""), false),
            Err(Skip::AnonymousUnlike)
        );
        assert_eq!(f.get("a").unwrap().likes(), 1);
    }

    #[test]
    fn a_like_for_an_unknown_tweet_is_skipped() {
        let mut f = fold(&[tweet("a")]);
        let skip = f.apply(5, &like("zzz", "bob"), false).unwrap_err();
        assert_eq!(skip, Skip::UnknownTweet);
        assert!(skip.is_bad());
    }

    #[test]
    fn replays_change_nothing_and_are_not_bad() {
        let mut f = fold(&[tweet("a"), like("a", "")]);
        let skip = f.apply(2, &like("a", ""), false).unwrap_err();
        assert_eq!(skip, Skip::Seen(2));
        assert!(!skip.is_bad());
        assert_eq!(f.get("a").unwrap().likes(), 1);
    }

    #[test]
    fn a_reused_tweet_id_keeps_the_first_tweet() {
        let mut f = fold(&[tweet("a")]);
        let mut again = tweet("a");
        again.message = "impostor".into();
        assert_eq!(f.apply(9, &again, false), Err(Skip::DuplicateId));
        assert_eq!(f.len(), 1);
        assert_eq!(f.get("a").unwrap().text, "text");
    }

    #[test]
    fn a_reused_id_in_older_history_hides_no_tweet_after_it() {
        // The newest tweet, "x", is loaded; older history reuses its id.
        let mut f = Feed::window(10);
        f.apply(10, &tweet("x"), false).unwrap();
        let older = [tweet("a"), tweet("x"), tweet("b"), like("b", "u")];
        let bad = f.prepend(1, (1..).zip(older).map(|(seq, e)| (seq, e, false)), true);
        assert_eq!(bad, 1, "the reused id");
        assert_eq!(f.len(), 3);
        assert_eq!(f.get("x").unwrap().seq, 10);
        assert!(f.get("a").is_some());
        assert_eq!(f.get("b").map(Tweet::likes), Some(1));
    }

    #[test]
    fn new_marks_are_counted() {
        let mut f = Feed::new();
        f.apply(1, &tweet("a"), false).unwrap();
        f.apply(2, &tweet("b"), true).unwrap();
        f.apply(3, &tweet("c"), true).unwrap();
        assert_eq!(f.new_count(), 2);
        assert!(f.get("b").unwrap().new);
        assert!(!f.get("a").unwrap().new);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Tweet(u8),
        Like(u8, u8),
        Unlike(u8, u8),
        AnonLike(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..6).prop_map(Op::Tweet),
            (0u8..6, 0u8..12).prop_map(|(t, u)| Op::Like(t, u)),
            (0u8..6, 0u8..12).prop_map(|(t, u)| Op::Unlike(t, u)),
            (0u8..6).prop_map(Op::AnonLike),
        ]
    }

    fn to_event(op: &Op) -> Event {
        match *op {
            Op::Tweet(t) => tweet(&t.to_string()),
            Op::Like(t, u) => like(&t.to_string(), &format!("u{u}")),
            Op::Unlike(t, u) => unlike(&t.to_string(), &format!("u{u}")),
            Op::AnonLike(t) => like(&t.to_string(), ""),
        }
    }

    /// The count a reader would get by replaying the log by hand.
    fn recount(ops: &[Op], id: u8) -> Option<u64> {
        let created = ops
            .iter()
            .position(|o| matches!(o, Op::Tweet(t) if *t == id))?;
        let mut users = HashSet::new();
        let mut anon = 0;
        for o in &ops[created + 1..] {
            match *o {
                Op::Like(t, u) if t == id => {
                    users.insert(u);
                }
                Op::Unlike(t, u) if t == id => {
                    users.remove(&u);
                }
                Op::AnonLike(t) if t == id => anon += 1,
                _ => {}
            }
        }
        Some(users.len() as u64 + anon)
    }

    /// Whether user `u`'s last word on tweet `id` in the log is a like
    /// given after the tweet was created.
    fn liked(ops: &[Op], id: u8, u: u8) -> bool {
        let Some(created) = ops
            .iter()
            .position(|o| matches!(o, Op::Tweet(t) if *t == id))
        else {
            return false;
        };
        ops[created + 1..].iter().fold(false, |was, o| match *o {
            Op::Like(t, v) if t == id && v == u => true,
            Op::Unlike(t, v) if t == id && v == u => false,
            _ => was,
        })
    }

    /// What happens to a feed as a user reads it: events arrive live,
    /// older history is read (with a search's filter, or not), a search
    /// ends, the oldest tweets are let go.
    #[derive(Debug, Clone)]
    enum Step {
        Live(u8),
        Read(u16),
        Search(u16),
        EndSearch,
        Evict(u16),
        EvictNewer(u16),
        ReadNewer(u16),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..20).prop_map(Step::Live),
            (0u16..150).prop_map(Step::Read),
            (0u16..150).prop_map(Step::Search),
            Just(Step::EndSearch),
            (0u16..150).prop_map(Step::Evict),
            (0u16..150).prop_map(Step::EvictNewer),
            (0u16..150).prop_map(Step::ReadNewer),
        ]
    }

    /// Keeps only the first creation of each tweet id: a log where ids are
    /// unique, as the stream's duplicate window and UUIDs make them.
    fn unique_tweets(ops: Vec<Op>) -> Vec<Op> {
        let mut seen = HashSet::new();
        ops.into_iter()
            .filter(|o| !matches!(o, Op::Tweet(t) if !seen.insert(*t)))
            .collect()
    }

    /// Folds the log backwards in chunks cut at `cuts`, as a window loads.
    fn fold_in_chunks(events: &[Event], cuts: &[usize]) -> (Feed, u64) {
        let n = events.len() as u64;
        let mut bounds: Vec<u64> = cuts.iter().map(|c| (*c as u64 % (n + 1)) + 1).collect();
        bounds.push(1);
        bounds.sort_unstable();
        bounds.dedup();
        let mut f = Feed::window(n + 1);
        let mut bad = 0;
        let mut hi = n + 1;
        for &lo in bounds.iter().rev() {
            if lo >= hi {
                continue;
            }
            let chunk = (lo..hi).map(|s| (s, events[s as usize - 1].clone(), false));
            bad += f.prepend(lo, chunk, lo == 1);
            hi = lo;
        }
        (f, bad)
    }

    #[test]
    fn likes_for_tweets_older_than_the_window_wait_for_them() {
        // 1 tweet a, 2 like a by bob, 3 tweet b, 4 unlike a by bob, 5 like a by cy, 6 anon like a
        let events = [
            tweet("a"),
            like("a", "bob"),
            tweet("b"),
            unlike("a", "bob"),
            like("a", "cy"),
            like("a", ""),
        ];
        let mut f = Feed::window(7);
        let newest = (3..7).map(|s| (s, events[s as usize - 1].clone(), false));
        assert_eq!(f.prepend(3, newest, false), 0);
        assert_eq!(f.len(), 1);
        assert!(!f.is_complete());
        assert_eq!(f.pending_tweets(), 1);
        // Live, while "a" is still not loaded.
        assert_eq!(f.apply(7, &like("a", "dee"), false), Ok(Change::Deferred));
        let oldest = (1..3).map(|s| (s, events[s as usize - 1].clone(), false));
        assert_eq!(f.prepend(1, oldest, true), 0);
        assert!(f.is_complete());
        let a = f.get("a").unwrap();
        assert_eq!(a.likes(), 3, "cy, dee and one anonymous; bob took his back");
        assert!(!a.liked_by("bob"));
        assert_eq!(f.newest(1).unwrap().id, "a");
    }

    #[test]
    fn the_ids_let_go_are_always_known_and_others_rarely_taken_for_them() {
        let mut let_go = LetGo::default();
        // Past the first filter's room, so that a second one is made.
        let n = 3 * FIRST_ROOM;
        for i in 0..n {
            let_go.insert(&format!("tweet-{i}"));
        }
        assert!(let_go.filters.len() > 1);
        assert!((0..n).all(|i| let_go.may_hold(&format!("tweet-{i}"))));
        let wrong = (0..n)
            .filter(|i| let_go.may_hold(&format!("other-{i}")))
            .count();
        assert!(wrong < n * 3 / 100, "{wrong} of {n} taken for ids let go");
    }

    #[test]
    fn a_flood_of_likes_of_made_up_ids_cannot_crowd_out_a_tweet_let_go() {
        // The whole stream is read: tweets a and b. a is let go; then come
        // likes of more made-up ids than may wait, then bob likes a.
        let mut f = Feed::new();
        f.apply(1, &tweet("a"), false).unwrap();
        f.apply(2, &tweet("b"), false).unwrap();
        assert_eq!(f.evict_older(2), 1);
        let fakes = MAX_PENDING_TWEETS + 10;
        let refused = (0..fakes)
            .filter(|&i| {
                let seq = 3 + i as u64;
                f.apply(seq, &like(&format!("fake-{i}"), "bot"), false) == Err(Skip::UnknownTweet)
            })
            .count();
        // The few the filter cannot tell from a tweet let go wait.
        assert!(refused > fakes * 95 / 100, "{refused} of {fakes} refused");
        let seq = 3 + fakes as u64;
        assert_eq!(f.apply(seq, &like("a", "bob"), false), Ok(Change::Deferred));
        f.prepend(1, [(1, tweet("a"), false)], true);
        assert_eq!(f.get("a").unwrap().likes(), 1, "bob's like waited for it");
    }

    #[test]
    fn a_complete_feed_counts_orphaned_likes_as_bad() {
        let events = [like("ghost", "bob"), tweet("a"), like("ghost", "")];
        let mut f = Feed::window(4);
        assert_eq!(
            f.prepend(
                2,
                (2..4).map(|s| (s, events[s as usize - 1].clone(), false)),
                false
            ),
            0
        );
        assert_eq!(f.prepend(1, [(1, events[0].clone(), false)], true), 2);
        assert_eq!(
            f.apply(4, &like("ghost", "x"), false),
            Err(Skip::UnknownTweet)
        );
    }

    proptest! {
        #[test]
        fn loading_in_chunks_gives_the_counts_of_a_forward_fold(
            ops in proptest::collection::vec(op(), 0..150),
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            let ops = unique_tweets(ops);
            let events: Vec<_> = ops.iter().map(to_event).collect();
            let mut forward = Feed::new();
            let mut forward_bad = 0;
            for (i, e) in events.iter().enumerate() {
                if matches!(forward.apply(i as u64 + 1, e, false), Err(s) if s.is_bad()) {
                    forward_bad += 1;
                }
            }
            let (chunked, chunked_bad) = fold_in_chunks(&events, &cuts);
            prop_assert_eq!(chunked.len(), forward.len());
            for i in 0..forward.len() {
                let (a, b) = (forward.newest(i).unwrap(), chunked.newest(i).unwrap());
                prop_assert_eq!(&a.id, &b.id);
                prop_assert_eq!(a.likes(), b.likes(), "tweet {}", a.id);
                for u in 0..12 {
                    let user = format!("u{u}");
                    prop_assert_eq!(a.liked_by(&user), b.liked_by(&user));
                }
            }
            prop_assert_eq!(chunked_bad, forward_bad);
        }

        #[test]
        fn a_filtered_read_and_its_end_never_change_a_count(
            ops in proptest::collection::vec(op(), 1..150),
            stored in 0usize..150,
            window in 0usize..150,
            keep_mask in 0u8..64,
            cuts in proptest::collection::vec(0usize..150, 0..5),
            live_steps in proptest::collection::vec(0usize..20, 0..6),
        ) {
            let ops = unique_tweets(ops);
            let events: Vec<_> = ops.iter().map(to_event).collect();
            let n = events.len() as u64;
            // Events 1..=stored are stored at start; the rest arrive live
            // while the search reads. The window holds w..=stored.
            let stored = (stored as u64).min(n);
            let w = (window as u64 % (stored + 1)) + 1;
            let mut f = Feed::window(w);
            for s in w..=stored {
                let _ = f.apply(s, &events[s as usize - 1], false);
            }
            let kept = |t: &Tweet| keep_mask & (1 << t.id.parse::<u8>().unwrap()) != 0;
            let mut bounds: Vec<u64> = cuts.iter().map(|c| (*c as u64 % w) + 1).collect();
            bounds.push(1);
            bounds.sort_unstable();
            bounds.dedup();
            let mut live = stored + 1;
            let mut steps = live_steps.iter();
            let mut hi = w;
            for &lo in bounds.iter().rev() {
                if lo >= hi {
                    continue;
                }
                let chunk = (lo..hi).map(|s| (s, events[s as usize - 1].clone(), false));
                f.prepend_kept(lo, chunk, lo == 1, &kept);
                hi = lo;
                for _ in 0..steps.next().copied().unwrap_or(0) {
                    if live <= n {
                        let _ = f.apply(live, &events[live as usize - 1], false);
                        live += 1;
                    }
                }
                // What the search shows is what the log says so far.
                for i in 0..f.len() {
                    let t = f.newest(i).unwrap();
                    prop_assert!(t.seq >= w || kept(t), "tweet {} passed over", t.id);
                    let id: u8 = t.id.parse().unwrap();
                    prop_assert_eq!(Some(t.likes()), recount(&ops[..live as usize - 1], id));
                }
            }
            // The search ends; the rest arrives; the user scrolls to the start.
            f.drop_kept();
            prop_assert!(!f.is_thinned());
            prop_assert!(f.newest(f.len().saturating_sub(1)).is_none_or(|t| t.seq >= w));
            while live <= n {
                let _ = f.apply(live, &events[live as usize - 1], false);
                live += 1;
            }
            if w > 1 {
                f.prepend(1, (1..w).map(|s| (s, events[s as usize - 1].clone(), false)), true);
            }
            let forward = fold(&events);
            prop_assert_eq!(f.len(), forward.len());
            for i in 0..forward.len() {
                let (a, b) = (forward.newest(i).unwrap(), f.newest(i).unwrap());
                prop_assert_eq!(&a.id, &b.id);
                prop_assert_eq!(a.likes(), b.likes(), "tweet {}", a.id);
                for u in 0..12 {
                    let user = format!("u{u}");
                    prop_assert_eq!(a.liked_by(&user), b.liked_by(&user));
                }
            }
        }

        #[test]
        fn evicting_and_reading_again_never_changes_a_count(
            ops in proptest::collection::vec(op(), 1..150),
            stored in 0usize..150,
            window in 0usize..150,
            steps in proptest::collection::vec(step(), 0..24),
            keep_mask in 0u8..64,
        ) {
            let ops = unique_tweets(ops);
            let events: Vec<_> = ops.iter().map(to_event).collect();
            let n = events.len() as u64;
            let event = |s: u64| (s, events[s as usize - 1].clone(), false);
            let stored = (stored as u64).min(n);
            let w = (window as u64 % (stored + 1)) + 1;
            let mut f = Feed::window(w);
            for s in w..=stored {
                let _ = f.apply(s, &events[s as usize - 1], false);
            }
            let mut live = stored + 1;
            let kept = |t: &Tweet| keep_mask & (1 << t.id.parse::<u8>().unwrap()) != 0;
            let mut evicted = 0;
            for step in steps {
                match step {
                    Step::Live(k) => {
                        for _ in 0..k {
                            if live <= n {
                                let _ = f.apply(live, &events[live as usize - 1], false);
                                live += 1;
                            }
                        }
                    }
                    // Reading without a filter follows the search's end.
                    Step::Read(cut) if !f.is_complete() && !f.is_thinned() => {
                        let hi = f.first_seq();
                        let lo = hi - (cut as u64 % (hi - 1)) - 1;
                        f.prepend(lo, (lo..hi).map(event), lo == 1);
                    }
                    Step::Search(cut) if !f.is_complete() => {
                        let hi = f.first_seq();
                        let lo = hi - (cut as u64 % (hi - 1)) - 1;
                        f.prepend_kept(lo, (lo..hi).map(event), lo == 1, &kept);
                    }
                    Step::EndSearch => {
                        f.drop_kept();
                    }
                    Step::Evict(cut) => {
                        let span = f.last_seq() + 2 - f.first_seq();
                        let below = f.first_seq() + cut as u64 % span;
                        let thinned = f.is_thinned();
                        let had = f.len();
                        let gone = f.evict_older(below);
                        prop_assert!(!thinned || gone == 0, "evicted while thinned");
                        prop_assert_eq!(f.len(), had - gone);
                        let oldest = f.newest(f.len().saturating_sub(1));
                        prop_assert!(thinned || oldest.is_none_or(|t| t.seq >= below));
                        evicted += gone;
                    }
                    Step::EvictNewer(cut) => {
                        let floor = f.first_seq() - 1;
                        let above = floor + cut as u64 % (f.loaded_to() + 1 - floor);
                        let thinned = f.is_thinned();
                        let gone = f.evict_newer(above);
                        prop_assert!(!thinned || gone == 0, "evicted while thinned");
                        prop_assert!(thinned || f.newest(0).is_none_or(|t| t.seq <= above));
                        prop_assert!(gone == 0 || !f.is_top_loaded());
                        evicted += gone;
                    }
                    Step::ReadNewer(cut) if !f.is_top_loaded() => {
                        let from = f.loaded_to() + 1;
                        let to = from + cut as u64 % (f.last_seq() + 1 - from);
                        f.append(to, (from..=to).map(event));
                        prop_assert_eq!(f.loaded_to(), to);
                    }
                    Step::ReadNewer(_) => {}
                    Step::Read(_) | Step::Search(_) => {}
                }
                // The index holds every tweet loaded, and nothing else.
                prop_assert_eq!(f.by_id.0.len(), f.len());
                // Every tweet loaded shows what the log says so far.
                for i in 0..f.len() {
                    let t = f.newest(i).unwrap();
                    let id: u8 = t.id.parse().unwrap();
                    let log = &ops[..live as usize - 1];
                    prop_assert_eq!(Some(t.likes()), recount(log, id), "tweet {}", t.id);
                    for u in 0..12 {
                        let user = format!("u{u}");
                        prop_assert_eq!(t.liked_by(&user), liked(log, id, u), "{} by {}", t.id, user);
                    }
                }
            }
            // The rest arrives; the user scrolls back to the newest tweet,
            // then to the stream's start.
            f.drop_kept();
            while live <= n {
                let _ = f.apply(live, &events[live as usize - 1], false);
                live += 1;
            }
            if !f.is_top_loaded() {
                let from = f.loaded_to() + 1;
                f.append(n, (from..=n).map(event));
            }
            prop_assert!(f.is_top_loaded());
            prop_assert_eq!(f.newer_not_loaded(), 0);
            if !f.is_complete() {
                let hi = f.first_seq();
                f.prepend(1, (1..hi).map(event), true);
            }
            let forward = fold(&events);
            prop_assert_eq!(f.len(), forward.len(), "{} evicted on the way", evicted);
            for i in 0..forward.len() {
                let (a, b) = (forward.newest(i).unwrap(), f.newest(i).unwrap());
                prop_assert_eq!(&a.id, &b.id);
                prop_assert_eq!(a.likes(), b.likes(), "tweet {}", a.id);
                for u in 0..12 {
                    let user = format!("u{u}");
                    prop_assert_eq!(a.liked_by(&user), b.liked_by(&user));
                }
            }
        }

        #[test]
        fn counts_equal_a_recount_of_the_log(ops in proptest::collection::vec(op(), 0..120)) {
            let events: Vec<_> = ops.iter().map(to_event).collect();
            let f = fold(&events);
            for id in 0u8..6 {
                let got = f.get(&id.to_string()).map(Tweet::likes);
                prop_assert_eq!(got, recount(&ops, id));
            }
        }

        #[test]
        fn replaying_the_log_twice_changes_nothing(ops in proptest::collection::vec(op(), 0..60)) {
            let events: Vec<_> = ops.iter().map(to_event).collect();
            let mut f = fold(&events);
            let before: Vec<_> = (0..f.len()).map(|p| f.newest(p).unwrap().likes()).collect();
            for (i, e) in events.iter().enumerate() {
                prop_assert!(f.apply(i as u64 + 1, e, false).is_err());
            }
            let after: Vec<_> = (0..f.len()).map(|p| f.newest(p).unwrap().likes()).collect();
            prop_assert_eq!(before, after);
        }
    }
}
