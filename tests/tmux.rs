//! The real binary in a real terminal multiplexer (tmux measures each code
//! point with its own width tables, as most terminals do): scrolling
//! through tweets of every width class keeps every row inside its borders
//! and leaves exactly what a full repaint draws.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::NatsServer;

/// A private tmux server, killed with everything in it when dropped.
struct Tmux {
    socket: String,
    /// The program in the pane, waited for when the server is killed.
    pane_pid: std::cell::Cell<Option<i32>>,
}

impl Tmux {
    fn new() -> Tmux {
        Tmux {
            socket: format!("jetfeed-test-{}", std::process::id()),
            pane_pid: std::cell::Cell::new(None),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux is required by the tests: sudo apt-get install tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> Vec<String> {
        self.run(&["capture-pane", "-p", "-t", "jf"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_for(&self, text: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.iter().any(|l| l.contains(text)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never shown: {screen:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until jetfeed has drawn its frame at `cols` columns: its top
    /// border spans them.
    fn drawn_at(&self, cols: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            let top = screen.first().map(|l| l.trim_end()).unwrap_or_default();
            if top.ends_with('╮') && top.chars().count() == cols {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not redrawn at {cols}: {screen:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to two seconds for the screen to differ from `before`.
    fn changed_from(&self, before: &[String]) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.screen() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The screen once it has stopped changing.
    fn settled(&self) -> Vec<String> {
        let mut last = self.screen();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            std::thread::sleep(Duration::from_millis(60));
            let now = self.screen();
            if now == last || Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        // jetfeed quits on the hang-up; make sure it is gone.
        if let Some(pid) = self.pane_pid.get() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while common::alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if common::alive(pid) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Every pane row starts and ends with its border.
fn borders_hold(screen: &[String]) -> Result<(), String> {
    for (row, line) in screen
        .iter()
        .enumerate()
        .take(screen.len().saturating_sub(1))
    {
        let first = line.chars().next();
        let last = line.trim_end().chars().last();
        if !matches!(first, Some('╭' | '│' | '╰')) || !matches!(last, Some('╮' | '│' | '╯'))
        {
            return Err(format!("row {row} is out of its borders: {line:?}"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_tmux_no_tweet_breaks_a_row_and_scrolling_leaves_no_trace() {
    let server = NatsServer::start();
    let url = server.url();
    let tweets = [
        ("ann", format!("SHY x{}", "\u{AD}".repeat(3000))),
        ("bob", format!("FILLER x{}", "\u{3164}".repeat(1500))),
        (
            "cy",
            format!("MARKS x{}y", "\u{FFA0}\u{70F}\u{8E2}".repeat(200)),
        ),
        (
            &*format!("bob{}", "\u{AD}".repeat(300)),
            "AUTHOR of soft hyphens".to_owned(),
        ),
        ("dee", "\u{301}\u{302} leading marks".to_owned()),
        ("हिंदी", "क्षत्रिय devanagari".to_owned()),
        ("fay", "flags 🇫🇷🇩🇪🇫 and a lone one".to_owned()),
        ("gus", "dev 👩\u{200D}💻 and 👋🏽 waving".to_owned()),
        (
            "hal",
            "LINES one\n\ttabbed two\r\n\nfour \u{2764}\u{FE0F}\u{2028}five".to_owned(),
        ),
        ("jo", format!("LONG {}", "tweet text ".repeat(25))),
        ("ivy", "rainbow 🏳\u{FE0F}\u{200D}🌈 flag".to_owned()),
        (
            "kai",
            "sun ☀\u{FE0F} and keycap 1\u{FE0F}\u{20E3}".to_owned(),
        ),
    ];
    // The stream, as jetfeed makes it.
    common::Session::open(&common::bus_config(&url, "ann"), None)
        .await
        .unwrap()
        .close()
        .await;
    for (i, (author, text)) in tweets.iter().enumerate() {
        let payload = serde_json::json!({"messageType": "tweet_created", "id": format!("w{i}"),
            "message": text, "date": "2024-06-01T12:00:00Z", "author": author});
        common::publish_raw(
            &url,
            "TWITTERCLONE.tweet_created",
            payload.to_string().as_bytes(),
        )
        .await;
    }
    let data = tempfile::tempdir().unwrap();
    let tmux = Tmux::new();
    let line = format!(
        "exec env JETFEED_DATA_DIR={} {} --server {url} --user viewer",
        data.path().display(),
        env!("CARGO_BIN_EXE_jetfeed")
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "jf",
        "-x",
        "80",
        "-y",
        "24",
        &line,
    ]);
    let pid = tmux.run(&["display-message", "-p", "-t", "jf", "#{pane_pid}"]);
    tmux.pane_pid.set(pid.trim().parse().ok());
    tmux.wait_for("connected");
    tmux.run(&["send-keys", "-t", "jf", "Tab"]);
    let mut steps = 0;
    let mut seen = String::new();
    let mut selected_rows = std::collections::HashSet::new();
    let mut before = tmux.settled();
    let (mut broken, mut unlike_repaint) = (Vec::new(), Vec::new());
    let keys = std::iter::repeat_n("j", tweets.len()).chain(std::iter::repeat_n("k", tweets.len()));
    for key in keys {
        tmux.run(&["send-keys", "-t", "jf", key]);
        // The key answered (the screen changed), or it had nothing to move.
        tmux.changed_from(&before);
        let scrolled = tmux.settled();
        seen.push_str(&scrolled.join("\n"));
        selected_rows.insert(scrolled.iter().position(|l| l.starts_with("│▌")));
        if let Err(e) = borders_hold(&scrolled) {
            broken.push(format!("after {steps} keys: {e}\n{scrolled:#?}"));
        }
        // A resize makes jetfeed draw every cell again: the full repaint.
        tmux.run(&["resize-window", "-t", "jf", "-x", "81"]);
        tmux.drawn_at(81);
        tmux.run(&["resize-window", "-t", "jf", "-x", "80"]);
        tmux.drawn_at(80);
        let repainted = tmux.settled();
        if scrolled != repainted {
            unlike_repaint.push(format!(
                "after {steps} keys:\n{scrolled:#?}\nrepainted:\n{repainted:#?}"
            ));
        }
        before = repainted;
        steps += 1;
    }
    // The test saw what it is about: every tweet, and a moving selection.
    for mark in [
        "SHY x",
        "FILLER x",
        "MARKS xy",
        "AUTHOR of soft hyphens",
        "leading marks",
        "devanagari",
        "flags",
        "waving",
        "LINES one",
        "four",
        "LONG tweet",
        "rainbow",
        "keycap",
    ] {
        assert!(seen.contains(mark), "{mark:?} was never on screen");
    }
    assert!(
        selected_rows.len() > 3,
        "the selection hardly moved: {selected_rows:?}"
    );
    eprintln!(
        "reliability: tmux | keys {steps} | screens with a row out of its borders {} | screens unlike a full repaint {}",
        broken.len(),
        unlike_repaint.len()
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(unlike_repaint.is_empty(), "{}", unlike_repaint.join("\n"));
}
