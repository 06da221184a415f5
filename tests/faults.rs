//! Faults survived, against real nats-server processes: a server killed
//! outright while two users' feeds are live and events are being published.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Client, NatsServer, bus_config};
use jetfeed::app::{Connection, Outgoing};
use jetfeed::bus::Session;
use jetfeed::feed::Feed;
use jetfeed::wire::{Event, EventKind};

/// Folds the whole stream from its start: the recount every feed must match.
async fn recount(url: &str) -> Feed {
    let session = Session::open(&bus_config(url, "recount"), None)
        .await
        .unwrap();
    let last = session.span().await.unwrap().last;
    let mut reader = session.read(1);
    let mut feed = Feed::new();
    while feed.last_seq() < last {
        let d = reader.next().await.unwrap();
        if let Ok(e) = d.event {
            let _ = feed.apply(d.seq, &e, false);
        }
    }
    reader.close().await;
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_stream_loses_and_doubles_nothing() {
    let mut server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    let mut bob = Client::start(&url, "bob").await;

    // A third client publishes tweets and likes throughout, through the crash.
    let cfg = bus_config(&url, "cy");
    let session = Session::open(&cfg, None).await.unwrap();
    let publisher = tokio::spawn(async move {
        let mut acked_tweets = Vec::new();
        let mut acked = 0;
        for i in 0..240u32 {
            let tweet_id = format!("t{}", i / 4 * 4);
            let (kind, id, author) = match i % 4 {
                0 => (EventKind::TweetCreated, tweet_id, "cy".to_owned()),
                1 => (EventKind::TweetLiked, tweet_id, format!("u{}", i % 3)),
                2 => (EventKind::TweetLiked, tweet_id, String::new()),
                _ => (
                    EventKind::TweetUnliked,
                    tweet_id,
                    format!("u{}", (i + 1) % 3),
                ),
            };
            let event = Event {
                kind,
                id,
                message: format!("event {i}"),
                date: chrono::Utc::now().fixed_offset(),
                author,
            };
            let out = Outgoing {
                msg_id: format!("m{i}"),
                event,
            };
            // Retried with the same id until acked: a retry is never stored twice.
            if common::publish_until_acked(&session, &out, 40).await {
                acked += 1;
                if out.event.kind == EventKind::TweetCreated {
                    acked_tweets.push(out.event.id.clone());
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (acked, acked_tweets)
    });

    ann.until("events flowing", |a| a.feed.len() >= 10).await;
    server.kill();
    ann.until("ann sees the server go", |a| {
        a.connection == Connection::Disconnected
    })
    .await;
    bob.until("bob sees the server go", |a| {
        a.connection == Connection::Disconnected
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart();

    let (acked, acked_tweets) = publisher.await.unwrap();
    assert_eq!(acked, 240, "every publish was acked in the end");
    let truth = recount(&url).await;
    let last = truth.last_seq();
    assert_eq!(last, 240, "the stream holds each event once");
    for c in [&mut ann, &mut bob] {
        c.until("the whole stream", |a| a.feed.last_seq() == last)
            .await;
        c.settle(Duration::from_millis(300)).await;
        assert_eq!(c.app.skipped, 0, "nothing doubled, nothing bad");
        let ids: HashSet<_> = (0..c.app.feed.len())
            .map(|i| c.app.feed.newest(i).unwrap().id.clone())
            .collect();
        assert_eq!(ids.len(), c.app.feed.len());
        for id in &acked_tweets {
            let got = c.app.feed.get(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(
                got.likes(),
                truth.get(id).unwrap().likes(),
                "{id}: count equals the recount"
            );
        }
        assert_eq!(c.app.feed.len(), acked_tweets.len());
        let log = &c.connection_log;
        let gone = log
            .iter()
            .position(|s| *s == Connection::Disconnected)
            .expect("saw the disconnect");
        assert!(
            log[gone..].contains(&Connection::Connected),
            "and the reconnect: {log:?}"
        );
        assert_eq!(c.app.connection, Connection::Connected);
    }
    let missing = |c: &Client| {
        acked_tweets
            .iter()
            .filter(|id| c.app.feed.get(id).is_none())
            .count()
    };
    let unlike_recount = |c: &Client| {
        acked_tweets
            .iter()
            .filter(|id| c.app.feed.get(id).map(|t| t.likes()) != truth.get(id).map(|t| t.likes()))
            .count()
    };
    eprintln!(
        "reliability: server SIGKILL | acked {acked} | stored {last} | events in ann's feed {} and bob's {} | acked tweets missing {} and {} | counts unlike a recount {} and {}",
        ann.app.feed.last_seq(),
        bob.app.feed.last_seq(),
        missing(&ann),
        missing(&bob),
        unlike_recount(&ann),
        unlike_recount(&bob),
    );
    ann.shutdown().await;
    bob.shutdown().await;
}

/// The bus, with every ack it is asked to send noted by stream sequence.
struct CountingAcks {
    bus: jetfeed::bus::Bus,
    acked: std::sync::Mutex<Vec<u64>>,
}

impl jetfeed::tui::Effects for CountingAcks {
    fn execute(&self, cmd: jetfeed::app::Cmd) {
        if let jetfeed::app::Cmd::Ack(token) = &cmd {
            // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<...>
            let seq = token.0.split('.').nth(5).and_then(|s| s.parse().ok());
            self.acked
                .lock()
                .unwrap()
                .push(seq.expect("an ack subject"));
        }
        self.bus.execute(cmd);
    }
}

/// A screen that remembers, for each frame, how far the feed was and where
/// the focus was.
#[derive(Default)]
struct Recorder {
    frames: Vec<(u64, jetfeed::app::Focus)>,
}

impl jetfeed::tui::Screen for Recorder {
    type Error = std::convert::Infallible;
    fn show(&mut self, app: &jetfeed::app::App) -> Result<(), Self::Error> {
        self.frames.push((app.feed.last_seq(), app.focus));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_100000_events_is_taken_whole_while_keys_are_answered() {
    const N: usize = 100_000;
    let server = NatsServer::start();
    let url = server.url();
    let cfg = bus_config(&url, "ann");
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let bus = CountingAcks {
        bus: common::follow(&cfg, tx).await,
        acked: Default::default(),
    };
    let (in_tx, in_rx) = tokio::sync::mpsc::unbounded_channel();
    let viewer = tokio::spawn(async move {
        let mut app = common::new_app("ann", "", "TWITTERCLONE");
        jetfeed::app::update(&mut app, jetfeed::app::Msg::Resize(100, 30));
        let mut screen = Recorder::default();
        jetfeed::tui::run(&mut screen, &mut app, in_rx, rx, &bus, Default::default())
            .await
            .unwrap();
        let acked = bus.acked.into_inner().unwrap();
        bus.bus.shutdown().await;
        (app, screen, acked)
    });
    let events: Vec<Event> = (0..N)
        .map(|i| {
            let (kind, id, author) = if i % 2 == 0 {
                (EventKind::TweetCreated, format!("b{i}"), "bot".to_owned())
            } else {
                (
                    EventKind::TweetLiked,
                    format!("b{}", i - 1),
                    format!("u{}", i % 7),
                )
            };
            Event {
                kind,
                id,
                message: format!("burst {i}"),
                date: chrono::Utc::now().fixed_offset(),
                author,
            }
        })
        .collect();
    let (first, second) = events.split_at(N / 2);
    common::publish_many(&url, first).await;
    // A key in the middle of the burst.
    in_tx
        .send(jetfeed::app::Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Tab,
        )))
        .unwrap();
    common::publish_many(&url, second).await;

    // Wait until everything is in and acked, then quit.
    common::until_acked(&url, "ann", N as u64, Duration::from_secs(60)).await;
    in_tx.send(jetfeed::app::Msg::Quit).unwrap();
    let (app, screen, acked) = viewer.await.unwrap();

    // Each event applied then acked exactly once: no gap, no repeat.
    let mut distinct = acked.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let repeats = acked.len() - distinct.len();
    let lost = (1..=N as u64)
        .filter(|s| distinct.binary_search(s).is_err())
        .count();
    // Every tweet loaded has the count of a recount of the stream (the
    // oldest were let go: reading them again is the feed's own tests').
    let truth = recount(&url).await;
    let wrong_counts = (0..app.feed.len())
        .filter_map(|i| app.feed.newest(i))
        .filter(|t| truth.get(&t.id).map(|all| all.likes()) != Some(t.likes()))
        .count();
    let frames = screen.frames.len();
    eprintln!(
        "reliability: burst | sent {N} | applied and acked {} | repeated {repeats} | lost {lost} | tweets loaded {} | counts unlike a recount {wrong_counts} | frames {frames}",
        distinct.len(),
        app.feed.len(),
    );
    assert_eq!((lost, repeats), (0, 0), "each event acked once");
    assert_eq!(distinct.len(), N);
    assert_eq!(wrong_counts, 0);
    // The newest are loaded, and a few thousand of them only.
    let keep = jetfeed::app::KEEP_AROUND;
    assert!(
        (keep..2 * keep).contains(&app.feed.len()),
        "{}",
        app.feed.len()
    );
    assert_eq!(app.feed.newest(0).unwrap().id, format!("b{}", N - 2));
    assert_eq!(app.skipped, 0);
    let answered = screen
        .frames
        .iter()
        .any(|(seq, focus)| *focus == jetfeed::app::Focus::Feed && *seq < N as u64);
    assert!(answered, "the key was answered before the burst was over");
    // This screen is never busy, so each wake-up of the loop that brings
    // a new tweet is drawn at once (as on an idle terminal); what must not
    // happen is a frame per event, or per few events.
    assert!(
        frames < N / 50,
        "{frames} frames for {N} events: redraws are coalesced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_of_tweets_the_streams_limits_discarded_are_not_bad_events() {
    let server = NatsServer::start();
    let url = server.url();
    // An operator's stream that keeps only the last five events.
    let client = async_nats::connect(&url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "TWITTERCLONE".into(),
        subjects: vec!["TWITTERCLONE.*".into()],
        max_messages: 5,
        ..Default::default()
    })
    .await
    .unwrap();
    let old = jetfeed::headless::post(&common::bus_config(&url, "ann"), "soon discarded")
        .await
        .unwrap();
    for i in 0..5 {
        jetfeed::headless::post(&common::bus_config(&url, "ann"), &format!("kept {i}"))
            .await
            .unwrap();
    }
    // A like of the discarded tweet, as another client that saw it sends it.
    let like = format!(
        r#"{{"messageType":"tweet_liked","id":"{old}","message":"","date":"2024-01-01T00:00:00Z","author":"bob"}}"#
    );
    common::publish_raw(&url, "TWITTERCLONE.tweet_liked", like.as_bytes()).await;
    let mut cy = Client::start(&url, "cy").await;
    assert_eq!(
        cy.app.feed.len(),
        4,
        "the limit kept four tweets and the like"
    );
    // And one arriving live.
    common::publish_raw(
        &url,
        "TWITTERCLONE.tweet_liked",
        like.replace("bob", "dee").as_bytes(),
    )
    .await;
    cy.settle(Duration::from_millis(500)).await;
    assert_eq!(cy.app.skipped, 0, "not shown as skipped");
    assert!(!cy.screen(80, 24).contains("skipped"));
    cy.shutdown().await;
}
