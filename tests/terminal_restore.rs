//! However jetfeed ends, the terminal is given back as it was found: the
//! real binary on a pseudo-terminal, on its embedded server, ended by
//! SIGTERM, SIGHUP, Ctrl-C and a panic in its run loop. Each time the
//! alternate screen is left, raw mode is off, the cursor is shown, mouse
//! reporting and bracketed paste are off, the typed draft is saved, and the
//! embedded server it started has stopped.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Pty, alive, free_port, jetfeed_in, wait_for_port};

/// How the test ends jetfeed.
#[derive(Clone, Copy, Debug)]
enum End {
    Term,
    Hup,
    CtrlC,
    /// A panic in the run loop (`JETFEED_PANIC_AFTER_FRAMES`), once the
    /// draft has been typed.
    Panic,
}

fn server_pid(data: &Path) -> Option<i32> {
    std::fs::read_to_string(data.join("nats-server.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The last position of `needle` in `hay`.
fn last(hay: &[u8], needle: &str) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w == needle.as_bytes())
}

/// Each mode jetfeed switches on is switched off after it was last on.
fn modes_left(out: &[u8]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (on, off) in [
        ("\x1b[?1049h", "\x1b[?1049l"),
        ("\x1b[?25l", "\x1b[?25h"),
        ("\x1b[?1000h", "\x1b[?1000l"),
        ("\x1b[?1002h", "\x1b[?1002l"),
        ("\x1b[?1003h", "\x1b[?1003l"),
        ("\x1b[?1006h", "\x1b[?1006l"),
        ("\x1b[?1015h", "\x1b[?1015l"),
        ("\x1b[?2004h", "\x1b[?2004l"),
    ] {
        let switched_off = last(out, off);
        let ok = match last(out, on) {
            Some(at) => switched_off.is_some_and(|o| o > at),
            None => true,
        };
        if !ok {
            wrong.push(format!("{on:?} not followed by {off:?}"));
        }
    }
    wrong
}

fn ends_cleanly(end: End) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("jetfeed");
    let port = free_port();
    let mut cmd = jetfeed_in(&data);
    cmd.args(["--embedded-port", &port.to_string(), "--user", "ann"]);
    if let End::Panic = end {
        // Frames are drawn at start, then one a second for the clock and
        // one for each key: enough for the draft to be typed first.
        cmd.env("JETFEED_PANIC_AFTER_FRAMES", "40");
    }
    let mut pty = Pty::spawn(cmd, 100, 30);
    pty.wait_for("connected");
    wait_for_port(port, true);
    let server = server_pid(&data).expect("the embedded server's pid");
    assert!(pty.raw_mode(), "raw mode while running");
    let draft = format!("typed before {end:?}");
    pty.type_bytes(draft.as_bytes());
    pty.wait_for(&draft);
    let started = Instant::now();
    match end {
        End::Term => unsafe {
            libc::kill(pty.pid(), libc::SIGTERM);
        },
        End::Hup => unsafe {
            libc::kill(pty.pid(), libc::SIGHUP);
        },
        End::CtrlC => pty.type_bytes(b"\x03"),
        End::Panic => {
            // Keys make frames until the panic.
            for _ in 0..40 {
                if !alive(pty.pid()) {
                    break;
                }
                pty.type_bytes(b" \x7f");
                std::thread::sleep(Duration::from_millis(30));
            }
        }
    }
    let status = pty.wait();
    let took = started.elapsed();
    let out = pty.output();
    let said = String::from_utf8_lossy(&out).into_owned();
    if let End::Panic = end {
        assert!(!status.success(), "a panic is a failure: {status}");
        assert!(said.contains("JETFEED_PANIC_AFTER_FRAMES"), "{said}");
    } else {
        assert!(status.success(), "{end:?}: {status}");
    }
    let wrong = modes_left(&out);
    assert!(wrong.is_empty(), "{end:?}: {wrong:?}");
    assert!(!pty.raw_mode(), "{end:?}: raw mode left on");
    let saved = std::fs::read_to_string(jetfeed::drafts::path(&data, "ann"))
        .unwrap_or_else(|e| panic!("{end:?}: no draft saved: {e}"));
    assert!(saved.contains(&draft), "{end:?}: {saved}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(server) {
        assert!(
            Instant::now() < deadline,
            "{end:?}: the embedded server {server} still runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for_port(port, false);
    format!("{end:?} {} ms", took.as_millis())
}

#[test]
fn sigterm_gives_the_terminal_back() {
    let r = ends_cleanly(End::Term);
    eprintln!(
        "reliability: terminal given back | {r} | modes left on 0 | raw mode off | draft saved | embedded server stopped"
    );
}

#[test]
fn sighup_gives_the_terminal_back() {
    let r = ends_cleanly(End::Hup);
    eprintln!(
        "reliability: terminal given back | {r} | modes left on 0 | raw mode off | draft saved | embedded server stopped"
    );
}

#[test]
fn ctrl_c_gives_the_terminal_back() {
    let r = ends_cleanly(End::CtrlC);
    eprintln!(
        "reliability: terminal given back | {r} | modes left on 0 | raw mode off | draft saved | embedded server stopped"
    );
}

#[test]
fn a_panic_in_the_run_loop_gives_the_terminal_back() {
    let r = ends_cleanly(End::Panic);
    eprintln!(
        "reliability: terminal given back | {r} | modes left on 0 | raw mode off | draft saved | embedded server stopped"
    );
}
