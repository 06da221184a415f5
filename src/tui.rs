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

/// Frames are at least this far apart: bursts of events coalesce into one.
pub const FRAME: Duration = Duration::from_millis(16);
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

/// Runs the app until it quits: input first (keys are never stuck behind a
/// burst of events), then the bus, drawing when something changed.
pub async fn run<B: Backend, E: Effects>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: mpsc::UnboundedReceiver<Msg>,
    mut bus: mpsc::Receiver<Msg>,
    effects: &E,
) -> Result<(), B::Error> {
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut bus_open = true;
    while !app.quit {
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| view(app, f))?;
            dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + FRAME;
        tokio::select! {
            biased;
            msg = input.recv() => match msg {
                Some(msg) => dirty |= handle(app, msg, effects),
                None => break,
            },
            msg = bus.recv(), if bus_open => match msg {
                Some(msg) => {
                    dirty |= handle(app, msg, effects);
                    for _ in 0..DRAIN {
                        match bus.try_recv() {
                            Ok(msg) => dirty |= handle(app, msg, effects),
                            Err(_) => break,
                        }
                    }
                }
                None => bus_open = false,
            },
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
    // The last state is on screen when the app quits.
    terminal.draw(|f| view(app, f))?;
    Ok(())
}

fn handle<E: Effects>(app: &mut App, msg: Msg, effects: &E) -> bool {
    app.now = Utc::now();
    for cmd in update(app, msg) {
        effects.execute(cmd);
    }
    true
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
