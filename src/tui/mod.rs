//! The run loop. Keys and JetStream deliveries arrive here as `Msg`s, go
//! through `update`, its commands go to the bus, and the screen is redrawn:
//! at most once a frame, however many events arrived. `painter` draws frames
//! on a thread of its own; `terminal` owns the real terminal.

mod painter;
mod terminal;

use std::time::Duration;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{App, Cmd, Msg, update};
use crate::bus::Bus;
use crate::ui;

pub use painter::Painter;
pub use terminal::{enter, leave, spawn_input};

/// Frames are at least this far apart when only counts and clocks changed:
/// a burst of likes coalesces into one frame.
pub const FRAME: Duration = Duration::from_millis(16);
/// A key press or a new tweet is drawn sooner: at once when the screen is
/// idle, and under load (the screen still busy with the last frame) no
/// closer than this to the frame before.
pub const URGENT_FRAME: Duration = Duration::from_millis(6);
/// Most bus messages handled between two looks at the keyboard.
const DRAIN: usize = 64;

/// Anything that carries out the reducer's commands: the bus, or a test's
/// recorder.
pub trait Effects {
    fn execute(&self, cmd: Cmd);
}

impl Effects for Bus {
    fn execute(&self, cmd: Cmd) {
        Bus::execute(self, cmd);
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Quit after the first frame that shows a tweet of the loaded feed, or
    /// all there is to read for one (for measuring start-up).
    pub exit_after_first_frame: bool,
    /// When jetfeed started: the log says how long after it the feed, and
    /// then its first tweet, were on screen.
    pub started: Option<std::time::Instant>,
    /// Panic in the run loop after this many frames. Exists only for the
    /// test that the terminal is given back after a panic
    /// (`tests/terminal_restore.rs`), set by `JETFEED_PANIC_AFTER_FRAMES`.
    pub panic_after_frames: Option<u64>,
}

/// How soon a change must reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Redraw {
    None,
    /// Within a frame: counts, clocks, the status bar.
    Soon,
    /// As soon as allowed: the user's own keys, new tweets.
    Now,
}

/// Where frames go: straight to a terminal, or through a `Painter`.
pub trait Screen {
    type Error;
    fn show(&mut self, app: &App) -> Result<(), Self::Error>;
    /// Puts `text` on the clipboard, where the terminal allows it.
    fn copy(&mut self, _text: &str) {}
    /// Whether the last frame is still being written to the terminal.
    fn busy(&self) -> bool {
        false
    }
}

impl<B: Backend> Screen for Terminal<B> {
    type Error = B::Error;
    fn show(&mut self, app: &App) -> Result<(), B::Error> {
        self.draw(|f| ui::view(app, f)).map(drop)
    }
}

/// Runs the app until it quits: input first (keys are never stuck behind a
/// burst of events), then the bus, drawing when something changed.
pub async fn run<S: Screen, E: Effects>(
    terminal: &mut S,
    app: &mut App,
    mut input: mpsc::UnboundedReceiver<Msg>,
    mut bus: mpsc::Receiver<Msg>,
    effects: &E,
    options: RunOptions,
) -> Result<(), S::Error> {
    let mut redraw = Redraw::Now;
    let mut last_draw = Instant::now() - FRAME;
    let mut bus_open = true;
    let mut frames = 0u64;
    // What is on screen yet, for the log: the feed (loaded), a tweet.
    let (mut feed_shown, mut tweet_shown) = (false, false);
    let outbox = Outbox {
        effects,
        copies: std::sync::Mutex::new(Vec::new()),
    };
    let effects = &outbox;
    while !app.quit {
        let copies = std::mem::take(&mut *outbox.copies.lock().unwrap_or_else(|p| p.into_inner()));
        for text in copies {
            terminal.copy(&text);
        }
        let gap = match redraw {
            Redraw::Now if !terminal.busy() => Duration::ZERO,
            Redraw::Now => URGENT_FRAME,
            _ => FRAME,
        };
        if redraw > Redraw::None && last_draw.elapsed() >= gap {
            terminal.show(app)?;
            redraw = Redraw::None;
            last_draw = Instant::now();
            frames += 1;
            if options.panic_after_frames.is_some_and(|n| frames >= n) {
                panic!("JETFEED_PANIC_AFTER_FRAMES: {frames} frames drawn");
            }
            if !app.loading {
                let since = |what: &str| {
                    if let Some(started) = options.started {
                        tracing::info!(
                            "{what} on screen {} ms after start",
                            started.elapsed().as_millis()
                        );
                    }
                };
                if !feed_shown {
                    feed_shown = true;
                    since("feed");
                }
                // A tweet, or all there is to read for one: nothing older
                // is being read (the stream's start was reached, or a read
                // failed and waits for the user).
                let shown = app.selected.is_some() || !app.loading_older;
                if shown && !tweet_shown {
                    tweet_shown = true;
                    since(if app.selected.is_some() {
                        "first tweet"
                    } else {
                        "all the feed there is to read"
                    });
                }
                if options.exit_after_first_frame && shown {
                    break;
                }
            }
        }
        let next_frame = last_draw + gap;
        tokio::select! {
            biased;
            msg = input.recv() => match msg {
                Some(msg) => redraw = redraw.max(handle(app, msg, effects)),
                None => break,
            },
            msg = bus.recv(), if bus_open => match msg {
                Some(msg) => {
                    redraw = redraw.max(handle(app, msg, effects));
                    for _ in 0..DRAIN {
                        match bus.try_recv() {
                            Ok(msg) => redraw = redraw.max(handle(app, msg, effects)),
                            Err(_) => break,
                        }
                    }
                }
                None => bus_open = false,
            },
            _ = tokio::time::sleep_until(next_frame), if redraw > Redraw::None => {}
        }
    }
    // The last state is on screen when the app quits.
    terminal.show(app)?;
    Ok(())
}

/// The reducer's commands: the clipboard's for the screen, the rest for
/// `effects` (the bus).
struct Outbox<'a, E> {
    effects: &'a E,
    copies: std::sync::Mutex<Vec<String>>,
}

impl<E: Effects> Effects for Outbox<'_, E> {
    fn execute(&self, cmd: Cmd) {
        match cmd {
            Cmd::Copy(text) => self
                .copies
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(text),
            cmd => self.effects.execute(cmd),
        }
    }
}

fn handle<E: Effects>(app: &mut App, msg: Msg, effects: &E) -> Redraw {
    // Time enters the reducer as a message, before the message it dates.
    if !matches!(msg, Msg::Tick(_)) {
        for cmd in update(app, Msg::Tick(Utc::now())) {
            effects.execute(cmd);
        }
    }
    let urgent = matches!(msg, Msg::Key(_) | Msg::Paste(_) | Msg::Resize(..));
    let chunk = matches!(msg, Msg::History { .. } | Msg::Newer { .. });
    let tweets = app.feed.len();
    for cmd in update(app, msg) {
        effects.execute(cmd);
    }
    if chunk {
        crate::memory::give_back();
    }
    if urgent || app.feed.len() != tweets {
        Redraw::Now
    } else {
        Redraw::Soon
    }
}
