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
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::mpsc;

/// What happened, in order: frames drawn and commands carried out.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Frame,
    Ack(String),
    Other,
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

struct Counting {
    inner: TestBackend,
    log: Log,
}

impl Backend for Counting {
    type Error = std::convert::Infallible;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.log.0.lock().unwrap().push(Step::Frame);
        Ok(())
    }
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

#[tokio::test]
async fn a_burst_of_likes_is_drawn_in_few_frames_and_acked_before_it_is_shown() {
    let log = Log::default();
    let mut terminal = Terminal::new(Counting {
        inner: TestBackend::new(80, 24),
        log: log.clone(),
    })
    .unwrap();
    let mut app = App::new("me", "", "TWITTERCLONE", Utc::now());
    update(&mut app, Msg::Resize(80, 24));
    let tweet = Event {
        kind: EventKind::TweetCreated,
        id: "t".into(),
        message: "liked a lot".into(),
        date: Utc::now().fixed_offset(),
        author: "ann".into(),
    };
    update(
        &mut app,
        Msg::History {
            from: 1,
            to: 1,
            events: vec![Delivery {
                seq: 1,
                event: Ok(tweet),
                ack: None,
                new: false,
            }],
            at_start: true,
        },
    );
    update(&mut app, Msg::HistoryLoaded);

    const BURST: u64 = 10_000;
    let (bus_tx, bus_rx) = mpsc::channel(BURST as usize + 1);
    for seq in 2..BURST + 2 {
        bus_tx.try_send(like(seq)).unwrap();
    }
    drop(bus_tx);
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    // Quit once every like is in.
    let quitter = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
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
    let frames = steps.iter().filter(|s| **s == Step::Frame).count() as u64;
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
    let mut terminal = Terminal::new(Counting {
        inner: TestBackend::new(80, 24),
        log: log.clone(),
    })
    .unwrap();
    let mut app = App::new("me", "", "TWITTERCLONE", Utc::now());
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

/// A terminal that takes no output until it is let go.
struct Stuck {
    inner: TestBackend,
    gate: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl Backend for Stuck {
    type Error = std::convert::Infallible;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let (open, cv) = &*self.gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_terminal_never_holds_up_consuming_and_acking() {
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let stuck = Stuck {
        inner: TestBackend::new(80, 24),
        gate: gate.clone(),
    };
    let mut painter = tui::Painter::new(Terminal::new(stuck).unwrap()).unwrap();
    let log = Log::default();
    let mut app = App::new("me", "", "TWITTERCLONE", Utc::now());
    update(&mut app, Msg::Resize(80, 24));
    let tweet = Event {
        kind: EventKind::TweetCreated,
        id: "t".into(),
        message: "liked while the terminal hangs".into(),
        date: Utc::now().fixed_offset(),
        author: "ann".into(),
    };
    update(
        &mut app,
        Msg::History {
            from: 1,
            to: 1,
            events: vec![Delivery {
                seq: 1,
                event: Ok(tweet),
                ack: None,
                new: false,
            }],
            at_start: true,
        },
    );
    update(&mut app, Msg::HistoryLoaded);

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
        loop {
            let n = acks
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|s| matches!(s, Step::Ack(_)))
                .count() as u64;
            if n == LIKES {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {n} acks while the terminal is stuck"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let (open, cv) = &*gate;
        *open.lock().unwrap() = true;
        cv.notify_all();
        in_tx.send(Msg::Key(KeyEvent::from(KeyCode::Tab))).unwrap();
        in_tx
            .send(Msg::Key(KeyEvent::from(KeyCode::Char('q'))))
            .unwrap();
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
    driver.await.unwrap();
    painter.stop();
    assert_eq!(app.feed.get("t").unwrap().likes(), LIKES);
    eprintln!("reliability: stuck terminal | deliveries {LIKES} | acked while stuck {LIKES}");
}
