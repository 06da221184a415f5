//! Reading against a real nats-server: unread arrivals, notifications made
//! while away, a search past the loaded window, the place kept across a
//! restart of the real binary, and the mouse through the real run loop.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use base64::Engine;
use common::{Client, NatsServer, bus_config, jetfeed_in, publish_many};
use crossterm::event::KeyCode;
use jetfeed::headless;
use jetfeed::wire::{Event, EventKind};

async fn post(url: &str, user: &str, text: &str) -> String {
    headless::post(&bus_config(url, user), text).await.unwrap()
}

async fn like(url: &str, user: &str, id: &str) {
    headless::like(&bus_config(url, user), EventKind::TweetLiked, id)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_while_scrolled_away_are_counted_on_screen_and_in_the_title() {
    let server = NatsServer::start();
    let url = server.url();
    for i in 0..5 {
        post(&url, "bob", &format!("old {i}")).await;
    }
    let mut ann = Client::start(&url, "ann").await;
    ann.key(KeyCode::Tab);
    ann.key(KeyCode::Char('j'));
    ann.key(KeyCode::Char('j'));
    for i in 0..3 {
        post(&url, "bob", &format!("arrived {i}")).await;
    }
    ann.until("three arrivals", |a| a.feed.len() == 8).await;
    assert_eq!(ann.app.feed.new_count(), 3);
    assert_eq!(jetfeed::ui::title(&ann.app), "(3) jetfeed");
    assert!(
        ann.screen(80, 24).contains("↑ 3 new"),
        "{}",
        ann.screen(80, 24)
    );
    ann.key(KeyCode::Char('g'));
    assert_eq!(ann.app.feed.new_count(), 0);
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_made_while_away_are_unread_notifications_on_return() {
    let server = NatsServer::start();
    let url = server.url();
    let mut ann = Client::start(&url, "ann").await;
    ann.post("ann's tweet").await;
    let id = ann.app.feed.newest(0).unwrap().id.clone();
    common::until_acked(&url, "ann", 1, Duration::from_secs(10)).await;
    ann.shutdown().await;

    // While ann is away.
    like(&url, "bob", &id).await;
    like(&url, "carol", &id).await;
    post(&url, "dan", "hello @ann").await;

    let mut ann = Client::start(&url, "ann").await;
    ann.until("the likes", |a| a.notifications.unread == 3)
        .await;
    let screen = ann.screen(80, 24);
    assert!(screen.contains("3 notifications"), "{screen}");
    ann.key(KeyCode::Tab);
    ann.key(KeyCode::Char('N'));
    let screen = ann.screen(80, 24);
    assert!(
        screen.contains("carol and bob liked your tweet \"ann's tweet\"")
            && screen.contains("dan mentioned you: \"hello @ann\""),
        "{screen}"
    );
    assert_eq!(ann.app.notifications.unread, 0);
    ann.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_finds_a_tweet_older_than_the_loaded_window() {
    let server = NatsServer::start();
    let url = server.url();
    let needle = post(&url, "ann", "the needle in the haystack").await;
    // More than the newest window jetfeed loads at start.
    let filler: Vec<Event> = (0..(jetfeed::bus::CHUNK_EVENTS as usize * 3))
        .map(|i| {
            Event::tweet(
                format!("hay-{i}"),
                format!("hay {i}"),
                "bulk".into(),
                chrono::Utc::now(),
            )
        })
        .collect();
    publish_many(&url, &filler).await;
    let mut bob = Client::start(&url, "bob").await;
    assert!(
        bob.app.feed.get(&needle).is_none(),
        "the needle is older than what is loaded"
    );
    bob.key(KeyCode::Tab);
    bob.key(KeyCode::Char('/'));
    bob.type_text("NEEDLE");
    bob.until_within(
        Duration::from_secs(60),
        "the search to read the stream",
        |a| a.feed.is_complete(),
    )
    .await;
    bob.key(KeyCode::Enter);
    let found = bob.app.selected_tweet().unwrap();
    assert_eq!(found.text, "the needle in the haystack");
    assert!(bob.screen(80, 24).contains("the needle in the haystack"));
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ending_in_a_flood_of_heavy_likes_is_on_screen_before_the_flood_is_read() {
    let server = NatsServer::start();
    let url = server.url();
    let now = chrono::Utc::now();
    let tweet = |id: &str| Event::tweet(id.into(), format!("tweet {id}"), "bob".into(), now);
    let like =
        |id: &str, user: &str| Event::like(EventKind::TweetLiked, id.into(), user.into(), now);
    let mut events = vec![
        tweet("t1"),
        tweet("t2"),
        like("t1", "ann"),
        like("t1", "cy"),
    ];
    // 20 MB of likes of 10,000-character ids (bad events, each read all
    // the same), then one real like.
    let flood = 2_000;
    events.extend((0..flood).map(|i| like(&format!("{i:0>10000}"), "bot")));
    events.push(like("t2", "dan"));
    publish_many(&url, &events).await;

    let mut ann = Client::start(&url, "ann").await;
    let window_from = ann.app.feed.first_seq();
    // The first window stopped at its weight, in the flood.
    assert!(
        window_from > 4,
        "the whole flood was read before the feed was shown (window from {})",
        ann.app.feed.first_seq()
    );
    assert!(ann.app.feed.is_empty());
    // The rest is read on behind it, with every count exact.
    ann.until_within(Duration::from_secs(30), "the tweets", |a| {
        a.feed.len() == 2 && a.feed.is_complete()
    })
    .await;
    assert_eq!(ann.app.feed.get("t1").unwrap().likes(), 2);
    assert_eq!(ann.app.feed.get("t2").unwrap().likes(), 1);
    assert_eq!(ann.app.skipped, flood);
    ann.shutdown().await;

    // The real binary gets as far, and logs the flood in a line per chunk
    // read, not a line per bad event.
    let data = tempfile::tempdir().unwrap();
    let mut cmd = jetfeed_in(data.path());
    cmd.args([
        "--server",
        &url,
        "--user",
        "eve",
        "--exit-after-first-frame",
    ]);
    let (status, _, _) = tokio::task::spawn_blocking(move || common::run_in_pty(cmd, 80, 24))
        .await
        .unwrap();
    assert!(status.success());
    let log = std::fs::read_to_string(data.path().join("jetfeed.log")).unwrap();
    assert!(log.contains("first tweet on screen"), "{log}");
    let lines = log.lines().filter(|l| l.contains("skipped event")).count();
    eprintln!(
        "reliability: flood at start | {flood} likes with 10,000-character ids after 2 tweets, {} events | first window from event {window_from}, no tweet in it | then counts 2 and 1 as stored | bad events {flood} | log lines about them {lines}",
        events.len()
    );
    assert!(
        (1..50).contains(&lines),
        "{lines} log lines for {flood} bad events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_of_history_heavier_than_guessed_is_asked_again_smaller() {
    let server = NatsServer::start();
    let url = server.url();
    let now = chrono::Utc::now();
    let tweet = |i: usize, text: String| Event::tweet(format!("t{i}"), text, "bob".into(), now);
    // 200 tweets of 200 KB (40 MB), then 1,100 light ones: the first chunk
    // read is light, so the guess for the next is far too many heavy ones.
    let heavy = "x".repeat(200_000);
    let mut events: Vec<Event> = (0..200).map(|i| tweet(i, heavy.clone())).collect();
    events.extend((200..1_300).map(|i| tweet(i, format!("light {i}"))));
    publish_many(&url, &events).await;

    let mut ann = Client::start(&url, "ann").await;
    ann.key(KeyCode::Tab);
    // To the oldest tweet, again and again, until there is none older.
    for _ in 0..100 {
        if ann.app.feed.is_complete() {
            break;
        }
        ann.key(KeyCode::Char('G'));
        ann.until_within(Duration::from_secs(30), "a chunk", |a| !a.loading_older)
            .await;
    }
    assert_eq!(ann.app.feed.len(), 1_300);
    let heaviest = ann.chunks.iter().map(|c| c.1).max().unwrap();
    eprintln!(
        "reliability: heavy history | 200 tweets of 200 KB under 1,100 light ones | chunks read (events, text bytes) {:?} | heaviest {heaviest} bytes",
        ann.chunks
    );
    // No chunk holds much more than its weight limit (16 MiB), and one
    // event over it at most.
    assert!(
        heaviest <= (16 << 20) + 200_000,
        "a chunk of {heaviest} bytes of text"
    );
    ann.shutdown().await;
}

#[test]
fn the_real_binary_returns_to_the_tweet_being_read_and_takes_the_mouse() {
    let server = NatsServer::start();
    let url = server.url();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(post(&url, "bob", &format!("tweet number {i:02}")).await);
        }
        ids
    });
    let data = tempfile::tempdir().unwrap();
    let run = || common::tui(data.path(), &url, "ann", &[]);
    let mut first = run();
    first.wait_for("tweet number 11");
    // The wheel, as SGR mouse reports: three notches down.
    for _ in 0..3 {
        first.type_bytes(b"\x1b[<65;10;5M");
    }
    first.wait_for("▌ tweet number 08");
    // A click on the second tweet shown selects it.
    let screen = first.screen();
    let row = screen
        .lines()
        .position(|l| l.contains("tweet number 07"))
        .unwrap();
    first.type_bytes(format!("\x1b[<0;10;{}M\x1b[<0;10;{}m", row + 1, row + 1).as_bytes());
    first.wait_for("▌ tweet number 07");
    // A click on its heart likes it.
    let header = row; // the header is the row above the text (0-based)
    first.type_bytes(format!("\x1b[<0;77;{}M\x1b[<0;77;{}m", header, header).as_bytes());
    first.wait_for("♥ 1");
    first.type_bytes(b"q");
    assert!(first.wait().success());

    rt.block_on(async {
        post(&url, "bob", "came while ann was away").await;
    });
    let mut second = run();
    second.wait_for("▌ tweet number 07");
    second.wait_for("↑ 1 new");
    // The terminal's title says so too, set by jetfeed itself.
    second.wait_for_bytes(b"\x1b]0;(1) jetfeed\x07");
    // The tweet's page: y puts its id on the clipboard (OSC 52).
    second.type_bytes(b"\t\r");
    second.wait_for("l like · y copy id");
    second.type_bytes(b"y");
    let copied = format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(&ids[7])
    );
    second.wait_for_bytes(copied.as_bytes());
    // Esc goes back to the same place in the feed.
    second.type_bytes(b"\x1b");
    second.wait_for("▌ tweet number 07");
    second.type_bytes(b"q");
    assert!(second.wait().success());

    // Never passed over, the tweet is unread in the next run too, though
    // the consumer has acked it by now.
    let mut third = run();
    third.wait_for("▌ tweet number 07");
    third.wait_for("↑ 1 new");
    third.type_bytes(b"\x03");
    assert!(third.wait().success());
}

#[test]
fn with_no_mouse_the_terminal_keeps_the_mouse() {
    let server = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let mouse_on = b"\x1b[?1000h";
    let contains = |hay: &[u8]| hay.windows(mouse_on.len()).any(|w| w == mouse_on);
    for (flag, reports) in [(None, true), (Some("--no-mouse"), false)] {
        let mut cmd = jetfeed_in(data.path());
        cmd.args([
            "--server",
            &server.url(),
            "--user",
            "ann",
            "--exit-after-first-frame",
        ]);
        cmd.args(flag);
        let (status, out, _) = common::run_in_pty(cmd, 80, 24);
        assert!(status.success());
        assert_eq!(contains(&out), reports, "{flag:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trip_to_the_oldest_tweet_and_back_shows_every_count_with_a_few_thousand_loaded() {
    use std::collections::HashMap;
    let keep = jetfeed::app::KEEP_AROUND;
    let server = NatsServer::start();
    let url = server.url();
    // Tweets, each liked by a few of five users, some likes taken back,
    // some anonymous.
    let tweets = 10 * keep + 500;
    let event = |kind, id: String, author: &str| Event {
        kind,
        id,
        message: "a tweet on a long trip".into(),
        date: chrono::Utc::now().fixed_offset(),
        author: author.into(),
    };
    let mut events = Vec::new();
    for i in 0..tweets {
        let id = format!("trip-{i}");
        events.push(event(EventKind::TweetCreated, id.clone(), "bob"));
        for u in 0..i % 4 {
            events.push(event(EventKind::TweetLiked, id.clone(), &format!("u{u}")));
        }
        if i % 3 == 0 {
            events.push(event(EventKind::TweetUnliked, id.clone(), "u0"));
        }
        if i % 5 == 0 {
            events.push(event(EventKind::TweetLiked, id, ""));
        }
    }
    publish_many(&url, &events).await;
    let mut ann = Client::start(&url, "ann").await;
    ann.until("the window", |a| !a.loading).await;
    ann.key(KeyCode::Tab);
    // Every count on screen after every message the app handles, the last
    // one seen for each tweet; and the most tweets loaded at once.
    let seen: RefCell<HashMap<String, u64>> = RefCell::default();
    let most = std::cell::Cell::new(0);
    let note = |a: &jetfeed::app::App| {
        most.set(most.get().max(a.feed.len()));
        let mut seen = seen.borrow_mut();
        for t in (0..a.feed.len()).filter_map(|i| a.feed.newest(i)) {
            seen.insert(t.id.clone(), t.likes());
        }
    };
    ann.go_to_oldest(note).await;
    assert!(!ann.app.feed.is_top_loaded(), "the newest were let go");
    // The feed's title says how many newer tweets are not loaded.
    let screen = ann.screen(80, 24);
    let newer = ann.app.feed.newer_not_loaded();
    assert!(newer > 0);
    assert!(
        screen.contains(&format!("↑ {} newer", jetfeed::ui::thousands(newer))),
        "{screen}"
    );
    // Likes arrive live for the oldest tweet (loaded) and the newest (let
    // go): one is counted at once, the other when it loads again.
    let newest = format!("trip-{}", tweets - 1);
    for (id, user) in [
        ("trip-0", "cy"),
        (newest.as_str(), "cy"),
        (newest.as_str(), "u3"),
    ] {
        like(&url, user, id).await;
        events.push(event(EventKind::TweetLiked, id.into(), user));
    }
    let last = events.len() as u64;
    ann.until("the live likes", |a| a.feed.last_seq() >= last)
        .await;
    note(&ann.app);
    ann.go_to_newest(note).await;
    assert_eq!(ann.app.selected_tweet().unwrap().id, newest);
    // Again: the oldest were let go on the way up, and are read again.
    assert!(!ann.app.feed.is_complete(), "the oldest were let go");
    seen.borrow_mut().clear();
    ann.go_to_oldest(note).await;
    ann.go_to_newest(note).await;
    assert_eq!(ann.app.selected_tweet().unwrap().id, newest);
    let (seen, most) = (seen.into_inner(), most.get());
    // The counts a forward fold of the whole stream gives.
    let mut truth = jetfeed::feed::Feed::new();
    for (i, e) in events.iter().enumerate() {
        let _ = truth.apply(i as u64 + 1, e, false);
    }
    assert_eq!(seen.len(), tweets, "every tweet was on the trip");
    let wrong: Vec<_> = (0..truth.len())
        .filter_map(|i| truth.newest(i))
        .filter(|t| seen.get(&t.id) != Some(&t.likes()))
        .map(|t| (t.id.clone(), t.likes(), seen.get(&t.id).copied()))
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "counts unlike the stream's: {wrong:?}");
    // u1 and u2 from the start (u0 took theirs back), cy and u3 live.
    assert_eq!(truth.get(&newest).unwrap().likes(), 4);
    assert!(most < 4 * keep, "{most} of {tweets} tweets loaded at most");
    assert_eq!(ann.app.skipped, 0);
    eprintln!(
        "reliability: trip | {tweets} tweets, {} events, there and back twice | every count seen on the second trip equals the stream's | at most {most} loaded",
        events.len()
    );
    ann.shutdown().await;
}
