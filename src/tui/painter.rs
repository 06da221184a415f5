//! The painter: frames drawn on a thread of its own.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

use super::Screen;
use crate::app::App;
use crate::ui;

/// Paints frames on a thread of its own, so a slow or stuck terminal never
/// holds up consuming and acking. The run loop renders each frame off
/// screen (a fraction of a millisecond) and hands over only the latest: a
/// frame the terminal could not take in time is replaced, never queued.
pub struct Painter {
    /// The frame being rendered, reused from frame to frame.
    offscreen: Buffer,
    /// The terminal's title as last set.
    title: String,
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
    /// The terminal's title, when it changed.
    title: Option<String>,
    /// Texts for the clipboard, in order.
    copies: Vec<String>,
    /// A frame is being written to the terminal.
    drawing: bool,
    stop: bool,
    error: Option<String>,
}

impl Painter {
    /// A painter of frames on `terminal`. `extras`, when given, is where
    /// the terminal's title and clipboard are written (the terminal's own
    /// output, after the frame that goes with them).
    pub fn new<B: Backend + Send + 'static>(
        mut terminal: Terminal<B>,
        mut extras: Option<Box<dyn std::io::Write + Send>>,
    ) -> std::io::Result<Painter>
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
                    let (frame, cursor, title, copies) = {
                        let mut state = theirs.state.lock().unwrap_or_else(|p| p.into_inner());
                        while state.frame.is_none() && !state.stop {
                            state = theirs.wake.wait(state).unwrap_or_else(|p| p.into_inner());
                        }
                        match state.frame.take() {
                            Some((f, c)) => {
                                state.drawing = true;
                                (f, c, state.title.take(), std::mem::take(&mut state.copies))
                            }
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
                    if let Some(out) = extras.as_mut() {
                        // Failing to set a title or the clipboard is no
                        // reason to stop drawing.
                        let _ = write_extras(out, title.as_deref(), &copies);
                    }
                    theirs
                        .state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .drawing = false;
                }
            })?;
        Ok(Painter {
            title: String::new(),
            offscreen: Buffer::empty(Rect::default()),
            shared,
            thread: Some(thread),
        })
    }

    /// Paints what was handed over last, then stops.
    pub fn stop(self) {
        self.stop_within(Duration::MAX);
    }

    /// Paints what was handed over last and stops, waiting at most
    /// `patience`. Returns false when the terminal takes no more output
    /// (a stalled connection): the painter is then left blocked, for the
    /// process's exit to end, so quitting never hangs on it.
    pub fn stop_within(mut self, patience: Duration) -> bool {
        self.ask_to_stop();
        let Some(thread) = self.thread.take() else {
            return true;
        };
        let deadline = Instant::now().checked_add(patience);
        while !thread.is_finished() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = thread.join();
        true
    }

    fn ask_to_stop(&self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
    }
}

impl Drop for Painter {
    fn drop(&mut self) {
        self.ask_to_stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The title (OSC 0) and clipboard (OSC 52) sequences, written by jetfeed
/// itself: the title holds only what `ui::title` makes, the clipboard only
/// what the user asked to copy, base64-encoded.
fn write_extras(
    out: &mut Box<dyn std::io::Write + Send>,
    title: Option<&str>,
    copies: &[String],
) -> std::io::Result<()> {
    use base64::Engine;
    if let Some(title) = title {
        write!(out, "\x1b]0;{}\x07", crate::sanitize::line(title))?;
    }
    for text in copies {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        write!(out, "\x1b]52;c;{encoded}\x07")?;
    }
    out.flush()
}

impl Screen for Painter {
    type Error = std::io::Error;

    fn busy(&self) -> bool {
        let state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.drawing || state.frame.is_some()
    }

    fn copy(&mut self, text: &str) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.copies.push(text.to_owned());
    }

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
        let title = ui::title(app);
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = state.error.take() {
            return Err(std::io::Error::other(e));
        }
        if title != self.title {
            state.title = Some(title.clone());
            self.title = title;
        }
        state.frame = Some((frame, cursor));
        drop(state);
        self.shared.wake.notify_one();
        Ok(())
    }
}
