//! The real terminal: raw mode and the alternate screen, restored on every
//! exit, and its events turned into messages.

use std::io::{self, Write};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, MouseEventKind,
};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::Msg;

/// Puts the terminal in raw mode on the alternate screen, and makes sure it
/// is put back on every exit, a panic included.
/// With `mouse`, the terminal reports clicks and the wheel (and leaves text
/// selection to Shift-drag, in most terminals).
pub fn enter(mouse: bool) -> io::Result<()> {
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
    )?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Restores the terminal. Safe to call more than once.
pub fn leave() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
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
                // Moves are many and mean nothing here.
                Event::Mouse(m) if m.kind != MouseEventKind::Moved => Msg::Mouse(m),
                _ => continue,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}
