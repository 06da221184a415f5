//! The run loop: a burst of events is coalesced into few frames, keys are
//! answered during a burst, and each delivery is acked before the frame that
//! shows it.

use std::sync::{Arc, Mutex};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent};
use jetfeed::app::{AckToken, App, Cmd, Delivery, Msg, update};
use jetfeed::tui::{self, Effects, RunOptions};
use jetfeed::wire::{Event, EventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

mod common;
use common::Hooked;

/// What happened, in order: frames drawn and commands carried out.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// A frame reached the terminal, showing this like count (if any).
    Frame(Option<u64>),
    Ack(String),
    Other,
}

impl Step {
    fn is_frame(&self) -> bool {
        matches!(self, Step::Frame(_))
    }
}

/// The like count a screen shows for the one tweet: the number after ♡.
fn shown_likes(backend: &TestBackend) -> Option<u64> {
    let text: String = backend
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    let after = text.split("♡ ").nth(1)?;
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Step>>>);

impl Effects for Log {
    fn execute(&self, cmd: Cmd) {
        let step = match cmd {
            Cmd::Ack(AckToken(t)) => Step::Ack(t),
            _ => Step::Other,
        };
        self.0.lock().unwrap().push(step);
    }
}

/// A test terminal that logs each frame it is given.
fn counting(log: &Log) -> Hooked<impl FnMut(&TestBackend) + Send + use<>> {
    let log = log.clone();
    Hooked {
        inner: TestBackend::new(80, 24),
        on_flush: move |b: &TestBackend| log.0.lock().unwrap().push(Step::Frame(shown_likes(b))),
    }
}

/// An 80×24 app whose feed holds one tweet, id "t", at sequence 1.
fn app_with_tweet(text: &str) -> App {
    let mut app = common::new_app("me", "", "TWITTERCLONE");
    update(&mut app, Msg::Resize(80, 24));
    let tweet = Event {
        kind: EventKind::TweetCreated,
        id: "t".into(),
        message: text.into(),
        date: Utc::now().fixed_offset(),
        author: "ann".into(),
    };
    common::load_history(&mut app, 1, [Ok(tweet)], true);
    app
}

fn like(seq: u64) -> Msg {
    let event = Event {
        kind: EventKind::TweetLiked,
        id: "t".into(),
        message: String::new(),
        date: Utc::now().fixed_offset(),
        author: String::new(),
    };
    Msg::Delivered(vec![Delivery {
        seq,
        event: Ok(event),
        ack: Some(AckToken(seq.to_string())),
        new: false,
    }])
}

/// Opens a stuck terminal's gate when dropped, on success or panic alike.
struct Release(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Drop for Release {
    fn drop(&mut self) {
        let (open, cv) = &*self.0;
        *open.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }
}

/// Whether every frame on the timeline shows no more likes than were acked
/// before it; returns how many frames it checked.
fn frames_follow_acks(steps: &[Step]) -> Result<usize, String> {
    let (mut acked, mut checked) = (0, 0);
    for step in steps {
        match step {
            Step::Ack(_) => acked += 1,
            Step::Frame(Some(shown)) if *shown > acked => {
                return Err(format!("a frame shows {shown} likes, {acked} acked"));
            }
            Step::Frame(Some(_)) => checked += 1,
            _ => {}
        }
    }
    Ok(checked)
}

#[test]
fn the_timeline_check_sees_a_frame_ahead_of_its_acks() {
    let ack = |n: u64| Step::Ack(n.to_string());
    assert_eq!(
        frames_follow_acks(&[ack(2), Step::Frame(Some(1)), ack(3), Step::Frame(Some(2))]),
        Ok(2)
    );
    assert!(frames_follow_acks(&[ack(2), Step::Frame(Some(2)), ack(3)]).is_err());
}

#[tokio::test]
async fn a_burst_of_likes_is_drawn_in_few_frames_and_acked_before_it_is_shown() {
    let log = Log::default();
    let mut terminal = Terminal::new(counting(&log)).unwrap();
    let mut app = app_with_tweet("liked a lot");

    const BURST: u64 = 10_000;
    let (bus_tx, bus_rx) = mpsc::channel(BURST as usize + 1);
    for seq in 2..BURST + 2 {
        bus_tx.try_send(like(seq)).unwrap();
    }
    drop(bus_tx);
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    // Quit once every like is in: all acked, and a frame drawn after that.
    let watched = log.clone();
    let quitter = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let steps = watched.0.lock().unwrap().clone();
            let acked = steps.iter().filter(|s| matches!(s, Step::Ack(_))).count() as u64;
            if acked == BURST && steps.last().is_some_and(Step::is_frame) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{acked} of {BURST} acked"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        in_tx.send(Msg::Key(KeyEvent::from(KeyCode::Tab))).unwrap();
        in_tx
            .send(Msg::Key(KeyEvent::from(KeyCode::Char('q'))))
            .unwrap();
    });
    tui::run(
        &mut terminal,
        &mut app,
        in_rx,
        bus_rx,
        &log,
        RunOptions::default(),
    )
    .await
    .unwrap();
    quitter.await.unwrap();

    assert_eq!(app.feed.get("t").unwrap().likes(), BURST);
    let steps = log.0.lock().unwrap().clone();
    let frames = steps.iter().filter(|s| s.is_frame()).count() as u64;
    // At most one frame per batch of deliveries handled between two looks at
    // the keyboard: never one per event.
    assert!(
        frames <= BURST / 65 + 3,
        "{frames} frames for {BURST} likes"
    );
    // Acks go out in order, each before the frame that first shows its event.
    let acks: Vec<u64> = steps
        .iter()
        .filter_map(|s| {
            if let Step::Ack(t) = s {
                t.parse().ok()
            } else {
                None
            }
        })
        .collect();
    assert_eq!(acks, (2..BURST + 2).collect::<Vec<_>>());
    // On one timeline: every frame shows only likes already acked.
    let checked = frames_follow_acks(&steps).unwrap();
    assert!(checked >= 2, "frames were checked: {checked}");
    let screen: String = {
        let buf = terminal.backend().inner.buffer();
        buf.content().iter().map(|c| c.symbol()).collect()
    };
    assert!(
        screen.contains(&format!("♡ {BURST}")),
        "the last frame shows the final count"
    );
}

#[tokio::test]
async fn keys_are_answered_in_the_middle_of_a_burst() {
    let log = Log::default();
    let mut terminal = Terminal::new(counting(&log)).unwrap();
    let mut app = common::new_app("me", "", "TWITTERCLONE");
    update(&mut app, Msg::Resize(80, 24));
    update(&mut app, Msg::HistoryLoaded);
    // A bus that never stops talking.
    let (bus_tx, bus_rx) = mpsc::channel(64);
    let flood = tokio::spawn(async move {
        let mut seq = 1;
        loop {
            if bus_tx.send(Msg::StreamMessages(seq)).await.is_err() {
                return;
            }
            seq += 1;
        }
    });
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    in_tx.send(Msg::Key(KeyEvent::from(KeyCode::Tab))).unwrap();
    in_tx
        .send(Msg::Key(KeyEvent::from(KeyCode::Char('q'))))
        .unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tui::run(
            &mut terminal,
            &mut app,
            in_rx,
            bus_rx,
            &log,
            RunOptions::default(),
        ),
    )
    .await
    .expect("q quits while the bus floods")
    .unwrap();
    assert!(app.quit);
    flood.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_terminal_never_holds_up_consuming_and_acking() {
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    // A terminal that takes no output until it is let go.
    let held = gate.clone();
    let stuck = Hooked {
        inner: TestBackend::new(80, 24),
        on_flush: move |_: &TestBackend| {
            let (open, cv) = &*held;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
        },
    };
    let mut painter = tui::Painter::new(Terminal::new(stuck).unwrap(), None).unwrap();
    // Whatever happens, the terminal is let go before the painter is
    // dropped (so declared after it): a failed check fails the test, and a
    // panicking driver drops its input channel, which ends the run loop.
    let _release = Release(gate.clone());
    let log = Log::default();
    let mut app = app_with_tweet("liked while the terminal hangs");

    const LIKES: u64 = 2_000;
    let (bus_tx, bus_rx) = mpsc::channel(64);
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let acks = log.clone();
    let driver = tokio::spawn(async move {
        for seq in 2..LIKES + 2 {
            bus_tx.send(like(seq)).await.unwrap();
        }
        // Every like acked while the terminal still takes nothing.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let acked = loop {
            let n = acks
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|s| matches!(s, Step::Ack(_)))
                .count() as u64;
            if n == LIKES {
                break n;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {n} acks while the terminal is stuck"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        let (open, cv) = &*gate;
        *open.lock().unwrap() = true;
        cv.notify_all();
        in_tx.send(Msg::Key(KeyEvent::from(KeyCode::Tab))).unwrap();
        in_tx
            .send(Msg::Key(KeyEvent::from(KeyCode::Char('q'))))
            .unwrap();
        acked
    });
    tui::run(
        &mut painter,
        &mut app,
        in_rx,
        bus_rx,
        &log,
        RunOptions::default(),
    )
    .await
    .unwrap();
    let acked_while_stuck = driver.await.unwrap();
    painter.stop();
    let applied = app.feed.get("t").unwrap().likes();
    eprintln!(
        "reliability: stuck terminal | deliveries {LIKES} | acked while stuck {acked_while_stuck} | applied {applied}"
    );
    assert_eq!(applied, LIKES);
}
