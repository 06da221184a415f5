//! Bad input tried: the corpus of nasty events in `tests/corpus/` plus a few
//! too large to keep as files, decoded one by one, then published to a real
//! server and shown by the real jetfeed on a pseudo-terminal, whose every
//! output byte is checked for control that came from event content.

mod common;

use std::path::Path;

use common::{NatsServer, bus_config, jetfeed, run_in_pty};
use jetfeed::wire::{self, EventKind};

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
                    jetfeed::sanitize::is_clean(&err.to_string()),
                    "{name}: control in the error"
                ),
            }
        }
    }
}

/// Every escape sequence in `out` is one ratatui or crossterm writes: a CSI
/// that moves the cursor, sets colours, clears, or switches modes. Nothing
/// else: no OSC, DCS, APC, PM or SOS, no BEL, no C1 control, no bidi control.
fn assert_only_own_control(out: &str) {
    let bytes = out.as_bytes();
    for (i, c) in out.char_indices() {
        assert!(
            !matches!(c, '\u{7}' | '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}'),
            "control {c:?} at byte {i}"
        );
        if c != '\u{1b}' {
            continue;
        }
        let next = bytes.get(i + 1).copied();
        assert_eq!(
            next,
            Some(b'['),
            "an escape that is not CSI at byte {i}: {:?}",
            &out[i..(i + 12).min(out.len())]
        );
        let body: String = out[i + 2..]
            .chars()
            .take_while(|c| !c.is_ascii_alphabetic())
            .collect();
        let fin = out[i + 2 + body.len()..].chars().next().unwrap();
        assert!(
            body.chars()
                .all(|c| c.is_ascii_digit() || c == ';' || c == '?'),
            "odd CSI body {body:?}"
        );
        assert!(
            matches!(
                fin,
                'H' | 'm' | 'J' | 'K' | 'h' | 'l' | 'A' | 'B' | 'C' | 'D' | 'G'
            ),
            "CSI ending {fin:?}"
        );
        // Colours from content would be bare SGR codes like 31; crossterm
        // writes 38;5;N.
        assert!(!(fin == 'm' && body == "31"), "a colour from a tweet");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_terminal_shows_nasty_tweets_as_text_only() {
    let server = NatsServer::start();
    let url = server.url();
    // One good tweet first, so the stream exists as jetfeed makes it.
    jetfeed::headless::send(
        &bus_config(&url, "ann"),
        EventKind::TweetCreated,
        None,
        "FIRST-MARK",
    )
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
    let (status, out, _) = tokio::task::spawn_blocking(move || run_in_pty(cmd, 200, 400))
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    assert!(status.success(), "{status}: {out}");
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
        assert!(out.contains(mark), "{mark} not shown");
    }
    for payload in ["PWNED", "evil.example"] {
        assert!(!out.contains(payload), "{payload} reached the terminal");
    }
    assert_only_own_control(&out);
    eprintln!(
        "reliability: hostile input on a pty | nasty events {} | escape sequences from content 0",
        corpus().len()
    );
}

#[test]
fn the_checker_catches_what_it_looks_for() {
    // The assertion above would fail on each of these: it can fail.
    for bad in [
        "a\u{1b}]0;t\u{7}",
        "a\u{1b}[31mred",
        "\u{9b}2J",
        "x\u{202e}y",
        "\u{1b}Pq\u{1b}\\",
    ] {
        let caught = std::panic::catch_unwind(|| assert_only_own_control(bad)).is_err();
        assert!(caught, "{bad:?} slipped through");
    }
    assert_only_own_control("\u{1b}[1;1H\u{1b}[38;5;9mok\u{1b}[0m\u{1b}[?25l");
}
