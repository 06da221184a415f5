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
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{App, Msg, update};
use crate::bus::Bus;
use crate::ui::view;

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
    fn execute(&self, cmd: crate::app::Cmd);
}

impl Effects for Bus {
    fn execute(&self, cmd: crate::app::Cmd) {
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

/// Runs the app until it quits: input first (keys are never stuck behind a
/// burst of events), then the bus, drawing when something changed.
pub async fn run<B: Backend, E: Effects>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: mpsc::UnboundedReceiver<Msg>,
    mut bus: mpsc::Receiver<Msg>,
    effects: &E,
    options: RunOptions,
) -> Result<(), B::Error> {
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
            terminal.draw(|f| view(app, f))?;
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
    terminal.draw(|f| view(app, f))?;
    Ok(())
}

fn handle<E: Effects>(app: &mut App, msg: Msg, effects: &E) -> Redraw {
    app.now = Utc::now();
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
            if ticks.send(Msg::Tick).is_err() {
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
