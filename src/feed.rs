//! The feed: a pure fold of stream events into tweets and like counts.
//! It knows nothing of screens or NATS. Every event applies in O(1).

use std::collections::{HashMap, HashSet};

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
    likers: HashSet<String>,
    anonymous_likes: u64,
}

impl Tweet {
    /// Named likes count once per user; anonymous ones once per event.
    pub fn likes(&self) -> u64 {
        self.likers.len() as u64 + self.anonymous_likes
    }

    pub fn liked_by(&self, user: &str) -> bool {
        self.likers.contains(user)
    }
}

/// What applying an event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A tweet was added at this arrival position.
    Tweet(usize),
    /// The likes of the tweet at this arrival position changed (or a repeated
    /// like left them as they were).
    Likes(usize),
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
}

impl Skip {
    /// A bad event, as opposed to a replay of one already applied.
    pub fn is_bad(&self) -> bool {
        !matches!(self, Skip::Seen(_))
    }
}

/// Tweets in arrival (stream) order, indexed by id.
#[derive(Debug, Default, Clone)]
pub struct Feed {
    tweets: Vec<Tweet>,
    by_id: HashMap<String, usize>,
    last_seq: u64,
    new_count: usize,
}

impl Feed {
    pub fn new() -> Self {
        Self::default()
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

    /// How many tweets are marked new.
    pub fn new_count(&self) -> usize {
        self.new_count
    }

    /// The tweet at an arrival position (0 is the oldest).
    pub fn at(&self, pos: usize) -> Option<&Tweet> {
        self.tweets.get(pos)
    }

    /// The tweet at a newest-first index (0 is the newest).
    pub fn newest(&self, index: usize) -> Option<&Tweet> {
        self.tweets
            .len()
            .checked_sub(index + 1)
            .and_then(|pos| self.tweets.get(pos))
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Tweet> {
        self.position(id).map(|pos| &self.tweets[pos])
    }

    /// Newest-first index of an arrival position.
    pub fn index_of(&self, pos: usize) -> usize {
        self.tweets.len().saturating_sub(pos + 1)
    }

    /// Arrival position of a newest-first index.
    pub fn pos_of(&self, index: usize) -> Option<usize> {
        self.tweets.len().checked_sub(index + 1)
    }

    /// Applies the event stored at stream sequence `seq`. Sequences at or
    /// below the last applied one are replays and change nothing, so history
    /// and live deliveries may overlap freely.
    pub fn apply(&mut self, seq: u64, event: &Event, new: bool) -> Result<Change, Skip> {
        if seq <= self.last_seq {
            return Err(Skip::Seen(seq));
        }
        self.last_seq = seq;
        match event.kind {
            EventKind::TweetCreated => {
                if self.by_id.contains_key(&event.id) {
                    return Err(Skip::DuplicateId);
                }
                let pos = self.tweets.len();
                self.tweets.push(Tweet {
                    id: event.id.clone(),
                    author: event.author.clone(),
                    text: event.message.clone(),
                    date: event.date,
                    seq,
                    new,
                    likers: HashSet::new(),
                    anonymous_likes: 0,
                });
                self.by_id.insert(event.id.clone(), pos);
                self.new_count += usize::from(new);
                Ok(Change::Tweet(pos))
            }
            EventKind::TweetLiked | EventKind::TweetUnliked => {
                let pos = self.position(&event.id).ok_or(Skip::UnknownTweet)?;
                let tweet = &mut self.tweets[pos];
                match (event.kind, event.author.is_empty()) {
                    (EventKind::TweetLiked, true) => tweet.anonymous_likes += 1,
                    (EventKind::TweetLiked, false) => {
                        if !tweet.likers.contains(&event.author) {
                            tweet.likers.insert(event.author.clone());
                        }
                    }
                    (_, true) => return Err(Skip::AnonymousUnlike),
                    (_, false) => {
                        tweet.likers.remove(&event.author);
                    }
                }
                Ok(Change::Likes(pos))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn newest_first_order() {
        let f = fold(&[tweet("a"), tweet("b"), tweet("c")]);
        let ids: Vec<_> = (0..3).map(|i| f.newest(i).unwrap().id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert_eq!(f.newest(3), None);
        assert_eq!(f.index_of(0), 2);
        assert_eq!(f.pos_of(0), Some(2));
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
            (0u8..6, 0u8..4).prop_map(|(t, u)| Op::Like(t, u)),
            (0u8..6, 0u8..4).prop_map(|(t, u)| Op::Unlike(t, u)),
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

    proptest! {
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
            let before: Vec<_> = (0..f.len()).map(|p| f.at(p).unwrap().likes()).collect();
            for (i, e) in events.iter().enumerate() {
                prop_assert!(f.apply(i as u64 + 1, e, false).is_err());
            }
            let after: Vec<_> = (0..f.len()).map(|p| f.at(p).unwrap().likes()).collect();
            prop_assert_eq!(before, after);
        }
    }
}
