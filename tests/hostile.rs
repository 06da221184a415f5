//! Bad input tried: the corpus of nasty events in `tests/corpus/` plus a few
//! too large to keep as files, decoded one by one, then published to a real
//! server and shown by the real jetfeed on a pseudo-terminal, whose every
//! output byte is checked for control that came from event content.

mod common;

use std::path::Path;

use common::{NatsServer, bus_config, jetfeed, run_in_pty, terminal};
use jetfeed::wire;

/// Every nasty payload: the kept corpus, and the generated large ones.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut cases: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus is in the repository");
    let tweet = |id: &str, message: &str| {
        serde_json::json!({"messageType": "tweet_created", "id": id, "message": message,
            "date": "2024-06-01T12:00:00Z", "author": "mallory"})
        .to_string()
        .into_bytes()
    };
    // Just under the server's default max payload of 1 MiB.
    cases.push((
        "near-max-payload".into(),
        tweet("big", &format!("BIG-MARK {}", "x ".repeat(500_000))),
    ));
    cases.push((
        "deeply-nested".into(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
    ));
    cases.push(("nested-in-field".into(), format!(r#"{{"messageType":"tweet_created","id":"deep","message":{}1{},"date":"2024-06-01T12:00:00Z"}}"#, "[".repeat(5000), "]".repeat(5000)).into_bytes()));
    cases.push((
        "id-of-10000-characters".into(),
        tweet(&"i".repeat(10_000), "LONGID-MARK"),
    ));
    cases
}

#[test]
fn the_decoder_takes_every_nasty_event_without_panic_or_control() {
    for (name, payload) in corpus() {
        for subject in [
            "TWITTERCLONE.tweet_created",
            "TWITTERCLONE.tweet_liked",
            "TWITTERCLONE",
        ] {
            match wire::decode(subject, &payload) {
                Ok(e) => {
                    for text in [&e.id, &e.message, &e.author] {
                        assert!(
                            jetfeed::sanitize::is_clean(text),
                            "{name}: control left in {text:?}"
                        );
                    }
                }
                Err(err) => assert!(
                    jetfeed::sanitize::is_one_line(&err.to_string()),
                    "{name}: control in the error"
                ),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_terminal_shows_nasty_tweets_as_text_only() {
    let server = NatsServer::start();
    let url = server.url();
    // One good tweet first, so the stream exists as jetfeed makes it.
    jetfeed::headless::post(&bus_config(&url, "ann"), "FIRST-MARK")
        .await
        .unwrap();
    for (name, payload) in corpus() {
        let subject = if name.starts_with("like-") {
            "TWITTERCLONE.tweet_liked"
        } else {
            "TWITTERCLONE.tweet_created"
        };
        common::publish_raw(&url, subject, &payload).await;
    }
    let data = tempfile::tempdir().unwrap();
    let mut cmd = jetfeed();
    cmd.args([
        "--server",
        &url,
        "--user",
        "viewer",
        "--exit-after-first-frame",
    ])
    .env("JETFEED_DATA_DIR", data.path());
    let (status, out, _) = tokio::task::spawn_blocking(move || run_in_pty(cmd, COLS, ROWS))
        .await
        .unwrap();
    assert!(
        status.success(),
        "{status}: {}",
        String::from_utf8_lossy(&out)
    );
    // Scanned as raw bytes, never decoded lossily first.
    let found = terminal::scan(&out, OWN);
    // What a terminal shows after those exact bytes.
    let term = terminal::emulate(&out, COLS, ROWS);
    let shown = terminal::rows(&term).join("\n");
    eprintln!(
        "reliability: hostile input on a pty | nasty events {} | escape sequences of jetfeed's own {} | from content {} | other requests to the terminal {:?}",
        corpus().len(),
        found.own,
        found.foreign.len(),
        term.callbacks()
    );
    // The tweets were on screen, as plain text.
    for mark in [
        "OSCTITLE-MARK",
        "LINK-MARK",
        "CLEAR-MARK",
        "RED-MARK",
        "DCS-MARK",
        "C1CSI-MARK",
        "C1OSC-MARK",
        "BIDI-MARK",
        "ZWJ-MARK",
        "SEPS-MARK",
        "AUTHOR-MARK",
        "IDESC-MARK",
        "FIRST-MARK",
    ] {
        assert!(shown.contains(mark), "{mark} not shown");
    }
    for payload in ["PWNED", "evil.example"] {
        assert!(!shown.contains(payload), "{payload} reached the screen");
    }
    assert!(found.foreign.is_empty(), "{:?}", found.foreign);
    assert!(term.callbacks().is_empty(), "{:?}", term.callbacks());
    terminal::borders_intact(&term).unwrap();
}

/// The pseudo-terminal's size, columns by rows.
const COLS: u16 = 200;
const ROWS: u16 = 400;
/// jetfeed never clears the whole screen: it draws every cell.
const OWN: terminal::Allowed = terminal::Allowed { clears: 0 };

/// A frame as jetfeed draws it, into the bytes a terminal receives.
fn drawn(text: &str) -> Vec<u8> {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::widgets::{Block, Paragraph};
    use ratatui::{Terminal, TerminalOptions, Viewport};
    let mut out = Vec::new();
    {
        let backend = CrosstermBackend::new(&mut out);
        let viewport = Viewport::Fixed(Rect::new(0, 0, 40, 6));
        let mut t = Terminal::with_options(backend, TerminalOptions { viewport }).unwrap();
        t.draw(|f| {
            let [top, rest] = ratatui::layout::Layout::vertical([
                ratatui::layout::Constraint::Length(5),
                ratatui::layout::Constraint::Length(1),
            ])
            .areas(f.area());
            let block = Block::bordered().border_type(ratatui::widgets::BorderType::Rounded);
            f.render_widget(Paragraph::new(text).block(block), top);
            f.render_widget(Paragraph::new("status"), rest);
        })
        .unwrap();
    }
    out
}

#[test]
fn the_checker_catches_what_it_looks_for() {
    let clean = drawn("hello");
    assert!(terminal::scan(&clean, OWN).foreign.is_empty());
    let term = terminal::emulate(&clean, 40, 6);
    assert!(term.callbacks().is_empty());
    terminal::borders_intact(&term).unwrap();
    // Each attack, planted in the middle of a real frame's bytes, is caught
    // by the byte scan, the emulator, or both.
    let attacks: [(&str, &[u8]); 12] = [
        ("clear and home", b"\x1b[2J\x1b[H"),
        ("bold red", b"\x1b[1;31m"),
        ("bare red", b"\x1b[31m"),
        ("backspace", b"\x08\x08"),
        ("nul", b"\x00"),
        ("carriage return", b"\r"),
        ("line feeds", b"\n\n\n\n\n\n\n"),
        ("raw 8-bit CSI", b"\x9b2J"),
        ("C1 CSI as UTF-8", "\u{9b}2J".as_bytes()),
        ("title", b"\x1b]0;PWNED\x07"),
        ("bell", b"\x07"),
        ("bidi override", "\u{202e}".as_bytes()),
    ];
    let expected = term.screen().contents_formatted();
    let mut missed_by_terminal = Vec::new();
    for (name, attack) in attacks {
        // Inside the tweet's text, as an unsanitized tweet would put it.
        let at = clean.windows(3).position(|w| w == b"hel").unwrap() + 2;
        let mut bad = clean.clone();
        bad.splice(at..at, attack.iter().copied());
        let by_scan = !terminal::scan(&bad, OWN).foreign.is_empty();
        let term = terminal::emulate(&bad, 40, 6);
        let by_terminal = !term.callbacks().is_empty()
            || terminal::borders_intact(&term).is_err()
            || term.screen().contents_formatted() != expected;
        assert!(by_scan, "{name}: the byte scan missed it");
        if !by_terminal {
            missed_by_terminal.push(name);
        }
    }
    assert!(
        missed_by_terminal.is_empty(),
        "the emulated terminal missed {missed_by_terminal:?}"
    );
}
