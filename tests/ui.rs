//! What the screen shows: snapshots of whole frames at 80×24 and 40×12, and
//! proof that text from the stream never reaches the terminal as control.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jetfeed::app::{AckToken, App, Connection, Delivery, Init, Msg, Settled, update};
use jetfeed::wire;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

mod common;
use common::terminal;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

/// Events as they come off the wire, decoded and sanitized on the way in.
fn raw(kind: &str, id: &str, message: &str, date: &str, author: &str) -> Vec<u8> {
    serde_json::json!({"messageType": kind, "id": id, "message": message, "date": date, "author": author})
        .to_string()
        .into_bytes()
}

fn deliver(app: &mut App, seq: u64, payload: &[u8], new: bool) {
    let event = wire::decode("TWITTERCLONE.x", payload);
    let d = Delivery {
        seq,
        event,
        ack: Some(AckToken(format!("ack.{seq}"))),
        new,
    };
    update(app, Msg::Delivered(vec![d]));
}

fn new_app() -> App {
    App::new(Init {
        user: "me".into(),
        server: "nats://127.0.0.1:4222".into(),
        stream: "TWITTERCLONE".into(),
        seed: 1,
        now: now(),
    })
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// A feed with what people really post: long text, CJK, emoji, likes, a
/// tweet from while the user was away, and one trying escape sequences.
fn busy_app(w: u16, h: u16) -> App {
    let mut app = new_app();
    update(&mut app, Msg::Resize(w, h));
    update(&mut app, Msg::Connection(Connection::Connected));
    update(&mut app, Msg::HistoryLoaded);
    update(&mut app, Msg::StreamMessages(9));
    let events: Vec<(Vec<u8>, bool)> = vec![
        (
            raw(
                "tweet_created",
                "t1",
                "JetStream keeps every event; this feed is a fold of them all, newest first, wrapped to the pane's width.",
                "2024-06-01T09:00:00Z",
                "ann",
            ),
            false,
        ),
        (
            raw(
                "tweet_created",
                "t2",
                "世界のみなさん、こんにちは 👋🏽 emoji and CJK keep their columns",
                "2024-06-01T11:55:00+02:00",
                "健太",
            ),
            false,
        ),
        (
            raw("tweet_liked", "t1", "", "2024-06-01T11:56:00Z", "me"),
            false,
        ),
        (
            raw("tweet_liked", "t1", "", "2024-06-01T11:56:30Z", ""),
            false,
        ),
        (
            raw(
                "tweet_created",
                "t3",
                "\u{1b}]0;owned\u{7}title change and \u{1b}[2Jscreen clear, \u{202e}reversed\u{202c} text",
                "2024-06-01T11:59:30Z",
                "mallory\u{1b}[31m",
            ),
            false,
        ),
        (
            raw("tweet_liked", "t2", "", "2024-06-01T11:59:40Z", "bob"),
            false,
        ),
        (
            raw(
                "tweet_created",
                "t4",
                "posted while you were away",
                "2024-06-01T11:59:58Z",
                "a-very-long-author-name-that-goes-on",
            ),
            true,
        ),
    ];
    for (i, (payload, new)) in events.iter().enumerate() {
        deliver(&mut app, i as u64 + 1, payload, *new);
    }
    deliver(&mut app, 8, b"{not json", false);
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| jetfeed::ui::view(app, f)).unwrap();
    let buf = t.backend().buffer().clone();
    for cell in buf.content() {
        assert!(
            jetfeed::sanitize::is_one_line(cell.symbol()),
            "control character in a cell: {:?}",
            cell.symbol()
        );
    }
    // A wide character's second cell is part of it: skip it, so each line
    // reads as the terminal shows it.
    (0..h)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < w {
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                x += jetfeed::app::geometry::width(sym).max(1) as u16;
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn feed_80x24() {
    let mut app = busy_app(80, 24);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('j'));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn feed_40x12() {
    let mut app = busy_app(40, 12);
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn scrolled_to_the_oldest_40x12() {
    let mut app = busy_app(40, 12);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('G'));
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn scrolled_down_the_title_says_how_many_tweets_are_above() {
    let mut app = busy_app(40, 12);
    key(&mut app, KeyCode::Tab);
    // At the newest, every tweet is read: nothing is above.
    key(&mut app, KeyCode::Char('g'));
    let top = screen(&app, 40, 12);
    assert!(!top.contains('↑'), "{top}");
    key(&mut app, KeyCode::Char('G'));
    let oldest = screen(&app, 40, 12);
    let above = app.top_index();
    let title = oldest.lines().next().unwrap();
    assert!(
        above > 0 && title.contains(&format!("↑ {above} above")),
        "{oldest}"
    );
}

#[test]
fn more_unread_notifications_than_are_kept_are_counted_as_a_floor() {
    let mut app = new_app();
    app.size = (80, 24);
    let kept = jetfeed::app::views::MAX_NOTIFICATIONS as u64;
    for seq in 1..=kept + 5 {
        let text = format!("hi @me, number {seq}");
        let payload = raw(
            "tweet_created",
            &format!("m{seq}"),
            &text,
            "2024-06-01T11:00:00Z",
            "bob",
        );
        deliver(&mut app, seq, &payload, true);
    }
    let s = screen(&app, 80, 24);
    let status = s.lines().last().unwrap();
    assert!(
        status.contains(&format!("{kept}+ notifications")),
        "{status}"
    );
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('N'));
    let s = screen(&app, 80, 24);
    assert!(
        !s.lines().last().unwrap().contains("notifications"),
        "all read"
    );
}

#[test]
fn a_search_scrolled_down_says_how_many_matches_are_above() {
    let mut app = new_app();
    app.size = (40, 12);
    for seq in 1..=12u64 {
        let text = if seq % 2 == 0 {
            "needle in here"
        } else {
            "only hay"
        };
        let payload = raw(
            "tweet_created",
            &format!("t{seq}"),
            text,
            "2024-06-01T11:00:00Z",
            "bob",
        );
        deliver(&mut app, seq, &payload, false);
    }
    update(&mut app, Msg::HistoryLoaded);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('/'));
    for c in "needle".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G'));
    let s = screen(&app, 40, 12);
    let title = s.lines().next().unwrap();
    let top = app.feed.seq_at(app.top_index()).unwrap();
    let above = (top + 1..=12).filter(|k| k % 2 == 0).count();
    assert!(
        above > 0 && title.contains(&format!("↑ {above} above")),
        "{s}"
    );
}

#[test]
fn matches_above_are_counted_so_far_a_frame() {
    let mut app = new_app();
    app.size = (40, 12);
    let batch: Vec<_> = (1..=10_010u64)
        .map(|seq| {
            let payload = raw(
                "tweet_created",
                &format!("t{seq}"),
                "needle",
                "2024-06-01T11:00:00Z",
                "bob",
            );
            Delivery {
                seq,
                event: jetfeed::wire::decode("TWITTERCLONE.tweet_created", &payload),
                ack: None,
                new: false,
            }
        })
        .collect();
    update(&mut app, Msg::Delivered(batch));
    update(&mut app, Msg::HistoryLoaded);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('/'));
    for c in "needle".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G'));
    let s = screen(&app, 40, 12);
    assert!(s.lines().next().unwrap().contains("↑ 10,000+ above"), "{s}");
}

#[test]
fn help_40x12() {
    let mut app = busy_app(40, 12);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn empty_feed_while_loading_80x24() {
    let mut app = new_app();
    update(&mut app, Msg::Resize(80, 24));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn a_window_without_tweets_says_older_ones_are_read_40x12() {
    let mut app = new_app();
    update(&mut app, Msg::Resize(40, 12));
    update(&mut app, Msg::Connection(Connection::Connected));
    // The newest events of a long stream: likes only.
    let likes = (900..=1000).map(|_| {
        wire::decode(
            "TWITTERCLONE.tweet_liked",
            &raw("tweet_liked", "old", "", "2024-06-01T11:00:00Z", "bot"),
        )
    });
    common::load_history(&mut app, 900, likes, false);
    insta::assert_snapshot!(screen(&app, 40, 12));
    // Had the older chunk failed, j in the feed asks again, as it says.
    update(&mut app, Msg::OlderFailed("server away".into()));
    let after = screen(&app, 40, 12);
    assert!(after.contains("Tab, then j, reads older"), "{after}");
    key(&mut app, KeyCode::Tab);
    let cmds = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
    );
    assert_eq!(cmds, [jetfeed::app::Cmd::LoadOlder { before: 900 }]);
}

#[test]
fn failed_publish_keeps_the_draft_80x24() {
    let mut app = busy_app(80, 24);
    for c in "a draft that must survive".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let id = app.draft.posted_id().unwrap().to_owned();
    update(
        &mut app,
        Msg::Published(vec![Settled {
            msg_id: id,
            result: Err("no PubAck in time: server unreachable".into()),
        }]),
    );
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn offline_tweet_and_like_wait_for_the_connection_80x24() {
    let mut app = busy_app(80, 24);
    update(&mut app, Msg::Connection(Connection::Disconnected));
    for c in "written on a train".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('l'));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

/// A draft of three lines, the last one long, pasted and typed: it grows
/// to a third of the screen and keeps the cursor's row in view.
fn multi_line_draft(w: u16, h: u16) -> App {
    let mut app = busy_app(w, h);
    update(
        &mut app,
        Msg::Paste("Release notes:\n\n- stored as written \u{2764}\u{FE0F}".into()),
    );
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
    );
    for c in "and a last line long enough to wrap around the pane".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    app
}

#[test]
fn a_multi_line_draft_80x24() {
    let app = multi_line_draft(80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn a_multi_line_draft_40x12() {
    let app = multi_line_draft(40, 12);
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn mono_tells_the_focused_pane_by_its_shape_80x24() {
    let mut app = busy_app(80, 24);
    app.theme = jetfeed::app::Theme::Mono;
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

/// Every colour each theme draws the busy feed, the help and a failed
/// draft in.
fn colours(theme: jetfeed::app::Theme) -> std::collections::BTreeSet<String> {
    let mut app = busy_app(80, 24);
    app.theme = theme;
    let mut seen = std::collections::BTreeSet::new();
    for step in 0..3 {
        if step == 1 {
            update(&mut app, Msg::Paste("x".repeat(290)));
        }
        if step == 2 {
            key(&mut app, KeyCode::Tab);
            key(&mut app, KeyCode::Char('?'));
        }
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
        for cell in t.backend().buffer().content() {
            seen.insert(format!("{:?}", cell.fg));
            seen.insert(format!("{:?}", cell.bg));
        }
    }
    seen
}

#[test]
fn each_theme_draws_in_its_own_colours() {
    use jetfeed::app::Theme;
    let mono = colours(Theme::Mono);
    assert_eq!(
        mono.into_iter().collect::<Vec<_>>(),
        ["Reset"],
        "mono: no colour"
    );
    let light = colours(Theme::Light);
    for unreadable_on_white in ["Yellow", "DarkGray"] {
        assert!(
            !light.contains(unreadable_on_white),
            "light draws {unreadable_on_white}"
        );
    }
    assert!(light.contains("Blue"), "{light:?}");
    let dark = colours(Theme::Dark);
    assert!(
        dark.contains("Cyan") && dark.contains("DarkGray"),
        "{dark:?}"
    );
}

/// The busy feed with likes of my tweet and a mention, as they arrive.
fn with_notifications(w: u16, h: u16) -> App {
    let mut app = busy_app(w, h);
    let mine = raw(
        "tweet_created",
        "mine",
        "my tweet about\nline breaks",
        "2024-06-01T11:00:00Z",
        "me",
    );
    deliver(&mut app, 9, &mine, false);
    for (seq, who) in [(10, "bob"), (11, "carol"), (12, "dan"), (13, "")] {
        let like = raw("tweet_liked", "mine", "", "2024-06-01T11:59:00Z", who);
        deliver(&mut app, seq, &like, false);
    }
    let mention = raw(
        "tweet_created",
        "hey",
        "hey @me, see this",
        "2024-06-01T11:59:30Z",
        "zed",
    );
    deliver(&mut app, 14, &mention, false);
    app
}

#[test]
fn notifications_80x24() {
    let mut app = with_notifications(80, 24);
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("5 notifications"), "{shown}");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('N'));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn notifications_40x12() {
    let mut app = with_notifications(40, 12);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('N'));
    insta::assert_snapshot!(screen(&app, 40, 12));
}

/// A tweet's page with its local date and time (which depends on the
/// machine's time zone) replaced by a marker.
fn page_screen(w: u16, h: u16) -> String {
    let mut app = with_notifications(w, h);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('N'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    let shown = screen(&app, w, h);
    let mut rows: Vec<String> = shown.lines().map(str::to_owned).collect();
    let inner = usize::from(w) - 3;
    rows[1] = format!("│ {:<inner$}│", "me · <local date and time>");
    rows.join("\n")
}

#[test]
fn a_tweets_page_80x24() {
    insta::assert_snapshot!(page_screen(80, 24));
}

#[test]
fn a_tweets_page_40x12() {
    insta::assert_snapshot!(page_screen(40, 12));
}

fn searching(w: u16, h: u16) -> App {
    let mut app = busy_app(w, h);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('/'));
    for c in "the".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    app
}

#[test]
fn an_active_search_80x24() {
    let app = searching(80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn an_active_search_40x12() {
    let mut app = searching(40, 12);
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn mono_focus_cues_40x12() {
    let mut app = busy_app(40, 12);
    app.theme = jetfeed::app::Theme::Mono;
    insta::assert_snapshot!(screen(&app, 40, 12));
}

#[test]
fn t_shows_dates_and_times_instead_of_ages_and_back() {
    let mut app = busy_app(80, 24);
    key(&mut app, KeyCode::Tab);
    assert!(screen(&app, 80, 24).contains("ann · 3h"));
    key(&mut app, KeyCode::Char('t'));
    let shown = screen(&app, 80, 24);
    // The local date and time, to the minute (the day depends on the zone).
    assert!(
        !shown.contains("ann · 3h") && shown.contains("ann · 2024-0"),
        "{shown}"
    );
    key(&mut app, KeyCode::Char('t'));
    assert!(screen(&app, 80, 24).contains("ann · 3h"));
    // On a tweet's page, ages are added to its date and time.
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Enter);
    let page = screen(&app, 80, 24);
    let line = page.lines().nth(1).unwrap();
    assert!(line.contains("-on · now · "), "{page}");
    key(&mut app, KeyCode::Char('t'));
    let page = screen(&app, 80, 24);
    let line = page.lines().nth(1).unwrap();
    assert!(line.contains("-on · ") && !line.contains("now"), "{page}");
}

#[test]
fn below_the_smallest_size_one_line_says_so() {
    let app = busy_app(19, 7);
    let shown = screen(&app, 19, 7);
    assert_eq!(
        shown.lines().next().unwrap().trim_end(),
        "jetfeed needs 20×8"
    );
    assert!(
        shown.lines().skip(1).all(|l| l.trim().is_empty()),
        "{shown}"
    );
}

#[test]
fn on_a_narrow_screen_the_connection_and_the_counter_stay() {
    let mut app = busy_app(24, 10);
    update(&mut app, Msg::Paste("x".repeat(150)));
    let shown = screen(&app, 24, 10);
    let status = shown.lines().last().unwrap();
    assert!(status.starts_with("● connected"), "{status}");
    assert!(shown.contains(" 150/280 "), "{shown}");
}

#[test]
fn the_part_of_a_draft_past_280_characters_is_marked() {
    let mut app = busy_app(80, 24);
    update(&mut app, Msg::Paste("x".repeat(285)));
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
    let buf = t.backend().buffer();
    let marked = buf
        .content()
        .iter()
        .filter(|c| c.symbol() == "x" && c.bg == ratatui::style::Color::Red)
        .count();
    assert_eq!(marked, 5);
}

#[test]
fn a_resize_reflows_the_feed() {
    let mut app = busy_app(80, 24);
    let wide = screen(&app, 80, 24);
    update(&mut app, Msg::Resize(40, 12));
    let narrow = screen(&app, 40, 12);
    assert!(wide.contains("fold of them all, newest first,"), "{wide}");
    assert!(
        narrow
            .lines()
            .all(|l| jetfeed::app::geometry::width(l) == 40),
        "{narrow}"
    );
    assert!(
        narrow.contains("title change and screen clear,  "),
        "rewrapped\n{narrow}"
    );
    assert_ne!(wide, narrow);
}

/// The bytes a real terminal would receive: only the cursor moves and
/// colours ratatui writes itself, nothing from the tweets.
#[test]
fn escape_sequences_in_a_tweet_never_reach_the_terminal() {
    let app = busy_app(80, 24);
    let area = Rect::new(0, 0, 80, 24);
    let mut out = Vec::new();
    {
        let backend = CrosstermBackend::new(&mut out);
        let mut t = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )
        .unwrap();
        t.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
    }
    // The exact bytes, as a terminal would take them.
    let term = terminal::assert_only_own_drawing(&out, 80, 24, terminal::Allowed { clears: 0 });
    let shown = terminal::rows(&term).join("\n");
    for word in ["title", "change", "screen", "clear,", "reversed"] {
        assert!(
            shown.contains(word),
            "the tweet is shown, as text: {word} missing"
        );
    }
    assert!(!shown.contains("owned"), "the OSC body is dropped with it");
}

#[test]
fn the_cursor_shows_in_the_draft_only_when_it_can_be_typed_in() {
    let mut app = busy_app(80, 24);
    let area = Rect::new(0, 0, 80, 24);
    let cursor = |app: &App| {
        let mut buf = ratatui::buffer::Buffer::empty(area);
        jetfeed::ui::render(app, area, &mut buf)
    };
    let at = cursor(&app).expect("a cursor in the draft");
    assert_eq!((at.x, at.y), (1, 21), "inside the draft pane, at its start");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.show_help);
    assert_eq!(cursor(&app), None, "hidden under the help");
    key(&mut app, KeyCode::Esc);
    assert_eq!(cursor(&app), None, "hidden while the feed has the keys");
}

#[test]
fn the_readme_lists_the_keys_of_the_key_map() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = jetfeed::app::KeyMap::default().markdown();
    assert!(
        readme.contains(&table),
        "README.md's key table is not the key map's; it should read:\n{table}"
    );
}

#[test]
fn the_readme_names_every_action_the_config_file_can_bind() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Config file")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    for (name, _) in jetfeed::app::Action::NAMED {
        assert!(
            section.contains(&format!("`{name}`")),
            "README's config section lacks `{name}`"
        );
    }
    for place in [
        "anywhere",
        "draft",
        "feed",
        "tweet",
        "notifications",
        "search",
    ] {
        assert!(
            section.contains(&format!("[keys.{place}]")),
            "lacks [keys.{place}]"
        );
    }
}

#[test]
fn the_help_scrolls_to_its_last_key_and_closes_on_any_other() {
    let mut app = busy_app(40, 12);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('?'));
    let help = jetfeed::app::KeyMap::default().help();
    let last = help.last().unwrap();
    let (keys, what) = (last.keys.join(" "), last.what);
    assert!(!screen(&app, 40, 12).contains(what));
    for _ in 0..help.len() * 2 {
        key(&mut app, KeyCode::Char('j'));
    }
    let end = screen(&app, 40, 12);
    assert!(end.contains(&keys) && end.contains(what), "{end}");
    assert!(end.contains("↑ more"), "{end}");
    // Scrolled no further than its end: one step back shows more below.
    key(&mut app, KeyCode::Char('k'));
    assert!(screen(&app, 40, 12).contains("↑↓ more"));
    key(&mut app, KeyCode::Char('x'));
    assert!(!app.show_help);
    key(&mut app, KeyCode::Char('?'));
    assert!(!screen(&app, 40, 12).contains(what), "opens at its top");
}

/// Tweets of every kind a terminal and jetfeed could measure differently.
fn hard_tweets() -> Vec<(String, String)> {
    let long =
        "a long tweet that fills its lines to the border and then some more words ".repeat(3);
    vec![
        ("ann".into(), format!("x{}", "\u{AD}".repeat(3000))),
        ("bob".into(), format!("x{}", "\u{3164}".repeat(1500))),
        (
            "cy".into(),
            format!("x{}y", "\u{FFA0}\u{70F}\u{8E2}".repeat(200)),
        ),
        (
            format!("bob{}", "\u{AD}".repeat(300)),
            "an author full of soft hyphens".into(),
        ),
        (
            "dee".into(),
            "\u{301}\u{302} leading marks and e\u{301}".into(),
        ),
        ("हिंदी".into(), "क्षत्रिय क्षत्रिय क्षत्रिय devanagari".into()),
        ("eve".into(), "new emoji \u{1FAE8}\u{1FAE8} shaking".into()),
        ("fay".into(), "flags 🇫🇷🇩🇪🇫 and a lone one".into()),
        ("gus".into(), "dev 👩\u{200D}💻 and 👋🏽 waving".into()),
        ("hal".into(), long.clone()),
        ("ivy".into(), "rainbow 🏳\u{FE0F}\u{200D}🌈 flag".into()),
        ("jo".into(), long),
        (
            "kai".into(),
            "sun ☀\u{FE0F} and keycap 1\u{FE0F}\u{20E3}".into(),
        ),
    ]
}

/// Bytes written to a terminal, kept where the test can take them.
#[derive(Clone, Default)]
struct Wire(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A terminal of a fixed size whose bytes go to a `Wire`.
struct Live {
    terminal: Terminal<CrosstermBackend<Wire>>,
    wire: Wire,
}

impl Live {
    fn new(w: u16, h: u16) -> Live {
        let wire = Wire::default();
        let terminal = Terminal::with_options(
            CrosstermBackend::new(wire.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
            },
        )
        .unwrap();
        Live { terminal, wire }
    }

    /// The exact bytes of one frame of `app`.
    fn frame(&mut self, app: &App) -> Vec<u8> {
        self.terminal.draw(|f| jetfeed::ui::view(app, f)).unwrap();
        std::mem::take(&mut *self.wire.0.borrow_mut())
    }
}

#[test]
fn scrolling_through_any_tweet_leaves_what_a_full_repaint_draws() {
    for (w, h) in [(80, 24), (40, 12)] {
        let mut app = new_app();
        update(&mut app, Msg::Resize(w, h));
        update(&mut app, Msg::Connection(Connection::Connected));
        update(&mut app, Msg::HistoryLoaded);
        for (i, (author, text)) in hard_tweets().iter().enumerate() {
            let id = format!("h{i}");
            deliver(
                &mut app,
                i as u64 + 1,
                &raw("tweet_created", &id, text, "2024-06-01T11:59:00Z", author),
                false,
            );
        }
        key(&mut app, KeyCode::Tab);
        // One terminal that is only ever sent what changed, as a real one.
        let mut live = Live::new(w, h);
        let mut screen = terminal::emulate(&[], w, h);
        let steps = hard_tweets().len() * 2;
        for step in 0..steps {
            screen.process(&live.frame(&app));
            // The same state drawn whole on a fresh terminal.
            let full = terminal::emulate(&Live::new(w, h).frame(&app), w, h);
            let (seen, whole) = (terminal::rows(&screen), terminal::rows(&full));
            let differ: Vec<String> = seen
                .iter()
                .zip(&whole)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(row, (a, b))| format!("row {row}:\n  shown {a:?}\n  whole {b:?}"))
                .collect();
            assert!(
                differ.is_empty(),
                "{w}x{h}, step {step}: the screen differs from a full repaint\n{}",
                differ.join("\n")
            );
            assert!(screen.callbacks().is_empty(), "{:?}", screen.callbacks());
            terminal::borders_intact(&screen)
                .unwrap_or_else(|e| panic!("{w}x{h}, step {step}: {e}"));
            let down = step < steps / 2;
            key(&mut app, KeyCode::Char(if down { 'j' } else { 'k' }));
        }
    }
}
