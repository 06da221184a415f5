//! The feed end to end against real nats-server processes: two users, two
//! terminals of one user, restarts, bad events, failed publishes, and the Go
//! service's own JSON.

mod common;

use std::time::{Duration, Instant};

use common::{Client, NatsServer, bus_config, publish_raw};
use crossterm::event::KeyCode;
use jetfeed::app::{Connection, Level, Outgoing};
use jetfeed::bus::{self, Session};
use jetfeed::headless;
use jetfeed::wire::{Event, EventKind};

/// Publishes an event as `user` through the headless path; returns the id.
async fn send(url: &str, user: &str, kind: EventKind, id: Option<&str>, text: &str) -> String {
    let cfg = bus_config(url, user);
    match (kind, id) {
        (EventKind::TweetCreated, _) => headless::post(&cfg, text).await.unwrap(),
        (kind, Some(id)) => {
            headless::like(&cfg, kind, id).await.unwrap();
            id.to_owned()
        }
        (_, None) => panic!("a like needs an id"),
    }
}

async fn stream_messages(url: &str) -> u64 {
    let client = async_nats::connect(url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.get_stream("TWITTERCLONE")
        .await
        .unwrap()
        .get_info()
        .await
        .unwrap()
        .state
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_see_each_others_tweets_and_likes() {
    let server = NatsServer::start();
    let mut ann = Client::start(&server.url(), "ann").await;
    let mut bob = Client::start(&server.url(), "bob").await;

    ann.post("hello from ann").await;
    bob.until("ann's tweet", |a| a.feed.len() == 1).await;
    assert_eq!(bob.app.feed.newest(0).unwrap().author, "ann");

    bob.key(KeyCode::Tab);
    bob.key(KeyCode::Char('l'));
    ann.until("bob's like", |a| {
        a.feed.newest(0).is_some_and(|t| t.likes() == 1)
    })
    .await;
    bob.until("bob's own like", |a| {
        a.feed.newest(0).is_some_and(|t| t.liked_by("bob"))
    })
    .await;

    let screen = bob.screen(80, 24);
    assert!(screen.contains("hello from ann"), "{screen}");
    assert!(
        screen.contains("♥ 1"),
        "bob liked it: a full heart\n{screen}"
    );
    let screen = ann.screen(80, 24);
    assert!(
        screen.contains("♡ 1"),
        "ann did not: an empty one\n{screen}"
    );

    // Every delivery was acked: bob's consumer is at the stream's end.
    common::until_acked(&server.url(), "bob", 2, Duration::from_secs(10)).await;

    // bob takes it back once his like has settled; both see it go.
    bob.until("bob's like settled", |a| a.pending_likes.is_empty())
        .await;
    bob.key(KeyCode::Char('l'));
    ann.until("bob's unlike", |a| {
        a.feed.newest(0).is_some_and(|t| t.likes() == 0)
    })
    .await;
    ann.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_terminals_of_one_user_each_see_every_event() {
    let server = NatsServer::start();
    let mut first = Client::start(&server.url(), "ann").await;
    let mut second = Client::start(&server.url(), "ann").await;
    let cfg = bus_config(&server.url(), "cy");
    for i in 0..20 {
        headless::post(&cfg, &format!("tweet {i}")).await.unwrap();
    }
    first
        .until("20 tweets in the first terminal", |a| a.feed.len() == 20)
        .await;
    second
        .until("20 tweets in the second terminal", |a| a.feed.len() == 20)
        .await;
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_rebuilds_history_counts_and_new_marks() {
    let mut server = NatsServer::start();
    let url = server.url();
    // Tweets from before bob's first visit are history, not news.
    send(&url, "ann", EventKind::TweetCreated, None, "before bob").await;
    let mut bob = Client::start(&url, "bob").await;
    assert_eq!(
        bob.app.feed.new_count(),
        0,
        "a first visit marks nothing new"
    );
    let first = send(&url, "ann", EventKind::TweetCreated, None, "first").await;
    let second = send(&url, "ann", EventKind::TweetCreated, None, "second").await;
    send(&url, "ann", EventKind::TweetLiked, Some(&first), "").await;
    send(&url, "ann", EventKind::TweetLiked, Some(&first), "").await; // repeated: once
    send(&url, "cy", EventKind::TweetLiked, Some(&first), "").await;
    send(&url, "cy", EventKind::TweetLiked, Some(&second), "").await;
    send(&url, "cy", EventKind::TweetUnliked, Some(&second), "").await;
    // Two anonymous likes, as the Go service sends them.
    let anon = format!(
        r#"{{"messageType":"tweet_liked","id":"{second}","message":"","date":"2024-01-01T00:00:00Z","author":""}}"#
    );
    publish_raw(&url, "TWITTERCLONE.tweet_liked", anon.as_bytes()).await;
    publish_raw(&url, "TWITTERCLONE.tweet_liked", anon.as_bytes()).await;
    bob.until("all events", |a| a.feed.last_seq() == 10).await;
    common::until_acked(&url, "bob", 10, Duration::from_secs(10)).await;
    bob.shutdown().await;

    // While bob is away: one more tweet, then the server restarts.
    send(
        &url,
        "ann",
        EventKind::TweetCreated,
        None,
        "while you were away",
    )
    .await;
    server.stop();
    server.restart();

    let bob = Client::start(&url, "bob").await;
    let f = &bob.app.feed;
    assert_eq!(f.len(), 4);
    assert_eq!(f.get(&first).unwrap().likes(), 2, "ann once, cy once");
    assert_eq!(
        f.get(&second).unwrap().likes(),
        2,
        "cy unliked; two anonymous"
    );
    let away = f.newest(0).unwrap();
    assert_eq!(away.text, "while you were away");
    assert!(away.new, "arrived while bob was away");
    assert!(!f.get(&first).unwrap().new && !f.get(&second).unwrap().new);
    assert_eq!(f.new_count(), 1);
    let screen = bob.screen(80, 24);
    assert!(screen.contains("1 new"), "{screen}");
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_are_acked_skipped_and_counted_without_stalling() {
    let server = NatsServer::start();
    let url = server.url();
    // Bad events in the history...
    let first = send(&url, "ann", EventKind::TweetCreated, None, "good one").await;
    publish_raw(&url, "TWITTERCLONE.tweet_created", b"not json at all").await;
    publish_raw(
        &url,
        "TWITTERCLONE.tweet_deleted",
        br#"{"id":"x","date":"2024-01-01T00:00:00Z"}"#,
    )
    .await;
    let mut bob = Client::start(&url, "bob").await;
    assert_eq!(bob.app.skipped, 2);
    assert_eq!(bob.app.feed.len(), 1);

    // ...and live, each followed by a good one that must still arrive.
    publish_raw(&url, "TWITTERCLONE.tweet_liked", br#"{"messageType":"tweet_liked","id":"no-such-tweet","date":"2024-01-01T00:00:00Z","author":"x"}"#).await;
    publish_raw(&url, "TWITTERCLONE.tweet_created", &[0xff, 0xfe, 0x00]).await;
    publish_raw(
        &url,
        "TWITTERCLONE.tweet_created",
        br#"{"messageType":"tweet_created","id":5}"#,
    )
    .await;
    send(&url, "ann", EventKind::TweetLiked, Some(&first), "").await;
    send(
        &url,
        "ann",
        EventKind::TweetCreated,
        None,
        "after the bad ones",
    )
    .await;
    bob.until("the good tweet after the bad ones", |a| a.feed.len() == 2)
        .await;
    assert_eq!(bob.app.skipped, 5);
    assert_eq!(bob.app.feed.get(&first).unwrap().likes(), 1);
    assert!(
        bob.screen(80, 24).contains("⚠ 5 skipped"),
        "{}",
        bob.screen(80, 24)
    );
    // Bad events are acked too.
    common::until_acked(&url, "bob", 8, Duration::from_secs(10)).await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_publish_keeps_the_draft_and_a_retry_stores_it_once() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    // A hung server: the connection stays up, the PubAck never comes.
    server.pause();
    ann.type_text("do not lose me");
    ann.key(KeyCode::Enter);
    ann.until("the publish to time out", |a| !a.draft.is_sending())
        .await;
    assert_eq!(ann.app.draft.text(), "do not lose me");
    assert_eq!(ann.app.notice.clone().unwrap().level, Level::Error);
    let screen = ann.screen(80, 24);
    assert!(screen.contains("draft kept"), "{screen}");

    server.resume();
    // The first attempt may be stored after all once the server wakes; the
    // retry has the same Nats-Msg-Id, so either way the tweet is stored once.
    ann.key(KeyCode::Enter);
    ann.until("the draft to be posted", |a| a.draft.text().is_empty())
        .await;
    ann.until("the tweet in the feed", |a| a.feed.len() == 1)
        .await;
    assert_eq!(stream_messages(&url).await, 1, "stored once");
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_sent_while_the_server_is_away_goes_out_once_when_it_returns() {
    let mut server = NatsServer::start();
    let url = server.url();
    let liked = send(&url, "bob", EventKind::TweetCreated, None, "like me later").await;
    let mut ann = Client::start(&url, "ann").await;
    server.kill();
    ann.until("the disconnect", |a| {
        a.connection == Connection::Disconnected
    })
    .await;
    ann.type_text("written offline");
    ann.key(KeyCode::Enter);
    ann.key(KeyCode::Tab);
    ann.key(KeyCode::Char('l'));
    assert!(ann.app.draft.is_waiting());
    assert!(ann.app.like_pending(&liked));
    let waiting = usize::from(ann.app.draft.is_waiting()) + ann.app.queued.len();
    let screen = ann.screen(80, 24);
    assert!(
        screen.contains("Waiting for the connection") && screen.contains("♡ 0…"),
        "{screen}"
    );

    server.restart();
    ann.until("the tweet, sent by itself", |a| a.feed.len() == 2)
        .await;
    ann.until("the like", |a| {
        a.feed.get(&liked).is_some_and(|t| t.likes() == 1)
    })
    .await;
    ann.until("every publish settled", |a| {
        a.draft.text().is_empty() && !a.like_pending(&liked)
    })
    .await;
    assert_eq!(
        stream_messages(&url).await,
        3,
        "bob's tweet, ann's tweet and like: once each"
    );
    let stored = stream_messages(&url).await - 1;
    eprintln!("reliability: sent while away | waiting {waiting} | stored on reconnect {stored}");
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_publish_with_the_same_msg_id_is_stored_once() {
    let server = NatsServer::start();
    let cfg = bus_config(&server.url(), "ann");
    let session = Session::open(&cfg, None).await.unwrap();
    let event = Event {
        kind: EventKind::TweetCreated,
        id: "tweet-1".into(),
        message: "once".into(),
        date: chrono::Utc::now().fixed_offset(),
        author: "ann".into(),
    };
    let out = Outgoing {
        msg_id: "tweet-1".into(),
        event,
    };
    let a = session.publish(&out).await.unwrap();
    let b = session.publish(&out).await.unwrap();
    assert_eq!(a, b, "the retry is acked with the first one's sequence");
    assert_eq!(stream_messages(&server.url()).await, 1);
}

const GO_TWEET: &str = r#"{"messageType":"tweet_created","id":"0b6f4c1e-8a59-4d1c-9f5e-2a7d3c4b5e6f","message":"written by the Go service","date":"2024-03-05T14:07:09.123456789+01:00","author":"gopher"}"#;
const GO_LIKE: &str = r#"{"messageType":"tweet_liked","id":"0b6f4c1e-8a59-4d1c-9f5e-2a7d3c4b5e6f","message":"","date":"2024-03-05T14:08:00.5+01:00","author":""}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interoperates_with_the_go_service_both_ways() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    // Go to jetfeed: its exact JSON, shown with its count.
    publish_raw(&url, "TWITTERCLONE.tweet_created", GO_TWEET.as_bytes()).await;
    publish_raw(&url, "TWITTERCLONE.tweet_liked", GO_LIKE.as_bytes()).await;
    publish_raw(&url, "TWITTERCLONE.tweet_liked", GO_LIKE.as_bytes()).await;
    ann.until("the Go tweet with two likes", |a| {
        a.feed.newest(0).is_some_and(|t| t.likes() == 2)
    })
    .await;
    assert_eq!(ann.app.skipped, 0);
    let screen = ann.screen(80, 24);
    assert!(
        screen.contains("gopher") && screen.contains("written by the Go service"),
        "{screen}"
    );

    // jetfeed to Go: the five string fields Go's struct reads, on the subject
    // it subscribes to, with a Nats-Msg-Id header.
    ann.post("written by jetfeed").await;
    ann.key(KeyCode::Tab);
    ann.key(KeyCode::Char('l'));
    ann.until("the like", |a| {
        a.feed.newest(0).is_some_and(|t| t.likes() == 1)
    })
    .await;
    let client = async_nats::connect(url.clone()).await.unwrap();
    let stream = async_nats::jetstream::new(client)
        .get_stream("TWITTERCLONE")
        .await
        .unwrap();
    for (seq, kind) in [(4, "tweet_created"), (5, "tweet_liked")] {
        let raw = stream.get_raw_message(seq).await.unwrap();
        assert_eq!(raw.subject.as_str(), format!("TWITTERCLONE.{kind}"));
        assert!(
            raw.headers.get("Nats-Msg-Id").is_some(),
            "seq {seq} has no Nats-Msg-Id"
        );
        let v: serde_json::Value = serde_json::from_slice(&raw.payload).unwrap();
        let obj = v.as_object().unwrap();
        let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["author", "date", "id", "message", "messageType"]);
        assert!(obj.values().all(|v| v.is_string()));
        assert_eq!(obj["messageType"], kind);
        assert_eq!(obj["author"], "ann");
        // Go's time.Time parses RFC 3339.
        chrono::DateTime::parse_from_rfc3339(obj["date"].as_str().unwrap()).unwrap();
    }
    ann.shutdown().await;
}

fn event(kind: EventKind, id: &str, author: &str, message: &str) -> Event {
    Event {
        kind,
        id: id.into(),
        message: message.into(),
        date: chrono::Utc::now().fixed_offset(),
        author: author.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_stream_loads_a_window_and_older_tweets_on_demand_with_exact_counts() {
    let server = NatsServer::start();
    let url = server.url();
    let filler = bus::CHUNK_EVENTS as usize + 2_000;
    let mut events = vec![
        event(EventKind::TweetCreated, "old", "ann", "the oldest tweet"),
        event(EventKind::TweetLiked, "old", "u1", ""),
    ];
    events.extend((0..filler).map(|i| {
        event(
            EventKind::TweetCreated,
            &format!("t{i}"),
            "bot",
            &format!("filler {i}"),
        )
    }));
    // Likes for the oldest tweet, stored long after it: in the newest chunk.
    events.push(event(EventKind::TweetLiked, "old", "u2", ""));
    events.push(event(EventKind::TweetLiked, "old", "", ""));
    events.push(event(EventKind::TweetUnliked, "old", "u1", ""));
    events.push(event(EventKind::TweetLiked, "old", "bob", ""));
    common::publish_many(&url, &events).await;

    let mut bob = Client::start(&url, "bob").await;
    let loaded = bob.app.feed.len();
    assert!(loaded >= bus::WINDOW_TWEETS, "a window of tweets: {loaded}");
    assert!(loaded < filler + 1, "not the whole stream: {loaded}");
    assert!(!bob.app.feed.is_complete());
    assert_eq!(
        bob.app.skipped, 0,
        "likes for older tweets are not bad events"
    );

    // Scrolling to the end asks for what is older.
    bob.key(KeyCode::Tab);
    let first = bob.app.feed.first_seq();
    bob.key(KeyCode::End);
    bob.until("older tweets", |a| a.feed.first_seq() < first)
        .await;
    for _ in 0..10 {
        if bob.app.feed.is_complete() {
            break;
        }
        bob.key(KeyCode::End);
        bob.until("more older tweets", |a| !a.loading_older).await;
    }
    assert!(bob.app.feed.is_complete());
    // The newest were let go on the way down (they load on the way up).
    assert!(bob.app.feed.get("t0").is_some());
    let (loaded, newer) = (bob.app.feed.len(), bob.app.feed.newer_not_loaded());
    assert!(newer > 0);
    assert_eq!(
        loaded + newer as usize,
        filler + 1,
        "every tweet loaded or known"
    );
    let old = bob.app.feed.get("old").unwrap();
    assert_eq!(
        old.likes(),
        3,
        "u2, bob and one anonymous; u1 took theirs back"
    );
    assert!(old.liked_by("bob") && !old.liked_by("u1"));
    assert_eq!(bob.app.skipped, 0);
    bob.key(KeyCode::End);
    assert_eq!(bob.app.selected_tweet().unwrap().id, "old");
    let screen = bob.screen(80, 24);
    assert!(
        screen.contains("the oldest tweet") && screen.contains("♥ 3"),
        "{screen}"
    );
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_consumer_is_put_back_and_the_feed_goes_on() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    send(&url, "bob", EventKind::TweetCreated, None, "before").await;
    ann.until("the first tweet", |a| a.feed.len() == 1).await;
    let js = async_nats::jetstream::new(async_nats::connect(url.clone()).await.unwrap());
    let stream = js.get_stream("TWITTERCLONE").await.unwrap();
    // What an operator's `nats consumer rm` does.
    stream
        .delete_consumer(&bus::consumer_name("ann"))
        .await
        .unwrap();
    let deleted = std::time::Instant::now();
    send(
        &url,
        "bob",
        EventKind::TweetCreated,
        None,
        "while it was gone",
    )
    .await;
    send(&url, "bob", EventKind::TweetCreated, None, "after").await;
    // The watchdog looks every two seconds: the consumer is back within
    // one look and the time to make it.
    let put_back = loop {
        if stream
            .consumer_info(bus::consumer_name("ann"))
            .await
            .is_ok()
        {
            break deleted.elapsed();
        }
        assert!(deleted.elapsed() < Duration::from_secs(10), "not put back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    ann.until("both tweets", |a| a.feed.len() == 3).await;
    // One more tweet, published after the two: when it is in, a doubled
    // one would be too.
    send(&url, "bob", EventKind::TweetCreated, None, "last").await;
    ann.until("the last tweet", |a| a.feed.len() == 4).await;
    let seen = ann.app.feed.len();
    eprintln!(
        "reliability: consumer deleted | put back after {} ms | published 4 | seen {seen} | skipped {}",
        put_back.as_millis(),
        ann.app.skipped
    );
    assert!(
        put_back < bus::WATCH_EVERY + Duration::from_secs(1),
        "put back in {put_back:?}"
    );
    assert_eq!(ann.app.skipped, 0);
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_stream_is_made_again_and_the_feed_starts_over() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    send(
        &url,
        "bob",
        EventKind::TweetCreated,
        None,
        "in the old stream",
    )
    .await;
    ann.until("the first tweet", |a| a.feed.len() == 1).await;
    let js = async_nats::jetstream::new(async_nats::connect(url.clone()).await.unwrap());
    js.delete_stream("TWITTERCLONE").await.unwrap();
    // Someone makes the stream again and writes to it before jetfeed looks:
    // those events must survive the rebuild of the feed.
    for text in ["in the new stream", "and another"] {
        send(&url, "bob", EventKind::TweetCreated, None, text).await;
    }
    ann.until("both new tweets", |a| a.feed.len() == 2).await;
    let texts: Vec<_> = (0..2)
        .map(|i| ann.app.feed.newest(i).unwrap().text.clone())
        .collect();
    assert_eq!(texts, ["and another", "in the new stream"]);
    assert_eq!(ann.app.feed.len(), 2, "nothing of the old stream");
    let screen = ann.screen(80, 24);
    assert!(screen.contains("feed rebuilt"), "{screen}");
    eprintln!(
        "reliability: stream deleted | feed rebuilt | new events seen {} | old events left {}",
        ann.app.feed.len(),
        (0..ann.app.feed.len())
            .filter(|&i| ann.app.feed.newest(i).unwrap().text.contains("old stream"))
            .count()
    );
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_event_lost_in_transit_is_read_without_waiting_for_its_redelivery() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    send(&url, "bob", EventKind::TweetCreated, None, "seen").await;
    ann.until("the first tweet", |a| a.feed.len() == 1).await;
    // The next delivery is lost on its way, and nothing comes after it to
    // show the hole: only the consumer's delivered mark says it was sent.
    ann.lose_next_deliveries(1);
    send(
        &url,
        "bob",
        EventKind::TweetCreated,
        None,
        "lost in transit",
    )
    .await;
    let t = Instant::now();
    // Well within the ack wait (30 s), after which it would come again.
    ann.until_within(Duration::from_secs(10), "the lost tweet", |a| {
        a.feed.len() == 2
    })
    .await;
    let took = t.elapsed();
    assert_eq!(ann.app.feed.newest(0).unwrap().text, "lost in transit");
    assert_eq!(ann.app.gaps_read, 1);
    eprintln!(
        "reliability: newest delivery lost in transit | read from the stream after {} ms",
        took.as_millis()
    );
    ann.shutdown().await;
}
