//! The terminal and the run loop. Keys and JetStream deliveries arrive here
//! as `Msg`s, go through `update`, its commands go to the bus, and the screen
//! is redrawn: at most once a frame, however many events arrived.

use std::io::{self, Write};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event, EventStream};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use std::sync::{Arc, Condvar, Mutex};

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{App, Cmd, Msg, update};
use crate::bus::Bus;
use crate::ui;

/// Frames are at least this far apart when only counts and clocks changed:
/// a burst of likes coalesces into one frame.
pub const FRAME: Duration = Duration::from_millis(16);
/// A key press or a new tweet is drawn sooner, but frames are never closer
/// than this.
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
    /// Quit after the first frame that shows the loaded feed (for measuring
    /// start-up).
    pub exit_after_first_frame: bool,
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
}

impl<B: Backend> Screen for Terminal<B> {
    type Error = B::Error;
    fn show(&mut self, app: &App) -> Result<(), B::Error> {
        self.draw(|f| ui::view(app, f)).map(drop)
    }
}

/// Paints frames on a thread of its own, so a slow or stuck terminal never
/// holds up consuming and acking. The run loop renders each frame off
/// screen (a fraction of a millisecond) and hands over only the latest: a
/// frame the terminal could not take in time is replaced, never queued.
pub struct Painter {
    /// The frame being rendered, reused from frame to frame.
    offscreen: Buffer,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    state: Mutex<Handover>,
    wake: Condvar,
}

#[derive(Default)]
struct Handover {
    frame: Option<(Buffer, Option<Position>)>,
    stop: bool,
    error: Option<String>,
}

impl Painter {
    pub fn new<B: Backend + Send + 'static>(mut terminal: Terminal<B>) -> std::io::Result<Painter>
    where
        B::Error: std::fmt::Display,
    {
        let shared = Arc::new(Shared {
            state: Mutex::new(Handover::default()),
            wake: Condvar::new(),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("painter".into())
            .spawn(move || {
                loop {
                    let (frame, cursor) = {
                        let mut state = theirs.state.lock().unwrap_or_else(|p| p.into_inner());
                        while state.frame.is_none() && !state.stop {
                            state = theirs.wake.wait(state).unwrap_or_else(|p| p.into_inner());
                        }
                        match state.frame.take() {
                            Some(f) => f,
                            None => return,
                        }
                    };
                    let drawn = terminal.draw(|f| {
                        // A frame made for another size waits for the next.
                        if f.area() == frame.area {
                            *f.buffer_mut() = frame;
                            if let Some(p) = cursor {
                                f.set_cursor_position(p);
                            }
                        }
                    });
                    if let Err(e) = drawn {
                        theirs.state.lock().unwrap_or_else(|p| p.into_inner()).error =
                            Some(e.to_string());
                        return;
                    }
                }
            })?;
        Ok(Painter {
            offscreen: Buffer::empty(Rect::default()),
            shared,
            thread: Some(thread),
        })
    }

    /// Paints what was handed over last, then stops.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Painter {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Screen for Painter {
    type Error = std::io::Error;
    fn show(&mut self, app: &App) -> Result<(), std::io::Error> {
        let (w, h) = app.size;
        let area = Rect::new(0, 0, w, h);
        if self.offscreen.area == area {
            self.offscreen.reset();
        } else {
            self.offscreen = Buffer::empty(area);
        }
        let cursor = ui::render(app, area, &mut self.offscreen);
        let frame = self.offscreen.clone();
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = state.error.take() {
            return Err(std::io::Error::other(e));
        }
        state.frame = Some((frame, cursor));
        drop(state);
        self.shared.wake.notify_one();
        Ok(())
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
    while !app.quit {
        let gap = if redraw == Redraw::Now {
            URGENT_FRAME
        } else {
            FRAME
        };
        if redraw > Redraw::None && last_draw.elapsed() >= gap {
            terminal.show(app)?;
            redraw = Redraw::None;
            last_draw = Instant::now();
            if options.exit_after_first_frame && !app.loading {
                break;
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

fn handle<E: Effects>(app: &mut App, msg: Msg, effects: &E) -> Redraw {
    // Time enters the reducer as a message, before the message it dates.
    if !matches!(msg, Msg::Tick(_)) {
        update(app, Msg::Tick(Utc::now()));
    }
    let urgent = matches!(msg, Msg::Key(_) | Msg::Paste(_) | Msg::Resize(..));
    let tweets = app.feed.len();
    for cmd in update(app, msg) {
        effects.execute(cmd);
    }
    if urgent || app.feed.len() != tweets {
        Redraw::Now
    } else {
        Redraw::Soon
    }
}

/// Puts the terminal in raw mode on the alternate screen, and makes sure it
/// is put back on every exit, a panic included.
pub fn enter() -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Restores the terminal. Safe to call more than once.
pub fn leave() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// Forwards terminal events and a once-a-second tick (relative times age).
pub fn spawn_input(tx: mpsc::UnboundedSender<Msg>) {
    let ticks = tx.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            if ticks.send(Msg::Tick(Utc::now())).is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let msg = match event {
                Event::Key(k) => Msg::Key(k),
                Event::Paste(s) => Msg::Paste(s),
                Event::Resize(w, h) => Msg::Resize(w, h),
                _ => continue,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}
