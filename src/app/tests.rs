//! The reducer's tests: messages in, state and commands out.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::wire::{DecodeError, Event, EventKind};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn init() -> Init {
    Init {
        user: "me".into(),
        server: "nats://127.0.0.1:4222".into(),
        stream: "TWITTERCLONE".into(),
        seed: 7,
        now: now(),
    }
}

fn app() -> App {
    let mut a = App::new(init());
    update(&mut a, Msg::Resize(80, 24));
    update(&mut a, Msg::Connection(Connection::Connected));
    a
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(a: &mut App, s: &str) {
    for c in s.chars() {
        update(a, key(KeyCode::Char(c)));
    }
}

fn event(kind: EventKind, id: &str, author: &str) -> Event {
    Event {
        kind,
        id: id.into(),
        message: format!("tweet {id}"),
        date: now().fixed_offset(),
        author: author.into(),
    }
}

fn delivered(seq: u64, e: Event) -> Msg {
    Msg::Delivered(vec![Delivery {
        seq,
        event: Ok(e),
        ack: Some(AckToken(format!("ack.{seq}"))),
        new: false,
    }])
}

fn with_tweets(n: usize) -> App {
    let mut a = app();
    let batch = (1..=n)
        .map(|i| Delivery {
            seq: i as u64,
            event: Ok(event(EventKind::TweetCreated, &format!("t{i}"), "ann")),
            ack: None,
            new: false,
        })
        .collect();
    update(
        &mut a,
        Msg::History {
            from: 1,
            to: n as u64,
            events: batch,
            at_start: true,
        },
    );
    update(&mut a, Msg::HistoryLoaded);
    a
}

fn published(cmds: &[Cmd]) -> &Outgoing {
    match cmds {
        [Cmd::Publish(o)] => o,
        other => panic!("expected one publish, got {other:?}"),
    }
}

/// Presses Enter, which must publish; returns the message id.
fn enter(a: &mut App) -> String {
    published(&update(a, key(KeyCode::Enter))).msg_id.clone()
}

/// The bus reports how the publish of `msg_id` ended.
fn settle(a: &mut App, msg_id: String, result: Result<u64, String>) {
    update(a, Msg::Published { msg_id, result });
}

#[test]
fn focus_starts_in_the_input_and_typing_edits_the_draft() {
    let mut a = app();
    assert_eq!(a.focus, Focus::Input);
    type_text(&mut a, "hello qjkl");
    assert_eq!(a.draft.text(), "hello qjkl");
    assert!(!a.quit, "q in the input is a letter");
    update(&mut a, key(KeyCode::Backspace));
    update(&mut a, key(KeyCode::Left));
    update(&mut a, key(KeyCode::Left));
    type_text(&mut a, "X");
    assert_eq!(a.draft.text(), "hello qXjk");
    update(&mut a, ctrl('w'));
    assert_eq!(a.draft.text(), "hello jk");
}

#[test]
fn enter_returns_a_publish_command_and_does_no_io() {
    let mut a = app();
    type_text(&mut a, "  first tweet ");
    let cmds = update(&mut a, key(KeyCode::Enter));
    let out = published(&cmds);
    assert_eq!(out.event.kind, EventKind::TweetCreated);
    assert_eq!(out.event.message, "first tweet");
    assert_eq!(out.event.author, "me");
    assert_eq!(out.msg_id, out.event.id, "tweet id doubles as Nats-Msg-Id");
    assert_eq!(
        a.draft.text(),
        "  first tweet ",
        "the draft stays until the PubAck"
    );
    assert!(a.draft.is_sending());
    assert_eq!(a.draft.posted_id(), Some(out.msg_id.as_str()));
}

#[test]
fn the_draft_is_cleared_only_by_a_puback() {
    let mut a = app();
    type_text(&mut a, "hi");
    let id = enter(&mut a);
    type_text(&mut a, "!");
    assert_eq!(a.draft.text(), "hi", "no edits while in flight");
    settle(&mut a, id, Ok(7));
    assert_eq!(a.draft.text(), "");
    assert!(!a.draft.is_sending());
}

#[test]
fn a_failed_publish_keeps_the_draft_and_a_retry_reuses_the_id() {
    let mut a = app();
    type_text(&mut a, "keep me");
    let id = enter(&mut a);
    settle(&mut a, id.clone(), Err("timed out".into()));
    assert_eq!(a.draft.text(), "keep me");
    let notice = a.notice.clone().unwrap();
    assert_eq!(notice.level, Level::Error);
    assert!(notice.text.contains("timed out"), "{notice:?}");
    let retry = enter(&mut a);
    assert_eq!(retry, id);
    // Edited text is a different tweet: a new id.
    settle(&mut a, retry, Err("again".into()));
    type_text(&mut a, "!");
    let edited = enter(&mut a);
    assert_ne!(edited, id);
}

#[test]
fn our_tweet_arriving_through_the_stream_settles_the_draft() {
    let mut a = app();
    type_text(&mut a, "late ack");
    let id = enter(&mut a);
    settle(&mut a, id.clone(), Err("timed out".into()));
    update(
        &mut a,
        delivered(1, event(EventKind::TweetCreated, &id, "me")),
    );
    assert_eq!(a.draft.text(), "");
}

#[test]
fn a_tweet_posted_offline_waits_and_goes_out_once_on_reconnect() {
    let mut a = app();
    update(&mut a, Msg::Connection(Connection::Disconnected));
    type_text(&mut a, "offline thought");
    assert!(
        update(&mut a, key(KeyCode::Enter)).is_empty(),
        "nothing is sent while away"
    );
    assert!(a.draft.is_waiting());
    let id = a.draft.attempt.clone().unwrap().id;
    let cmds = update(&mut a, Msg::Connection(Connection::Connected));
    let out = published(&cmds);
    assert_eq!(
        (out.msg_id.as_str(), out.event.message.as_str()),
        (id.as_str(), "offline thought")
    );
    assert!(!a.draft.is_waiting());
    assert!(
        update(&mut a, Msg::Connection(Connection::Connected)).is_empty(),
        "sent once"
    );
}

#[test]
fn a_publish_that_fails_while_away_waits_for_the_connection() {
    let mut a = app();
    type_text(&mut a, "in flight");
    let id = enter(&mut a);
    update(&mut a, Msg::Connection(Connection::Disconnected));
    settle(&mut a, id.clone(), Err("timed out".into()));
    assert!(a.draft.is_waiting());
    assert_eq!(
        published(&update(&mut a, Msg::Connection(Connection::Connected))).msg_id,
        id
    );
}

#[test]
fn editing_a_waiting_draft_stops_it_going_out() {
    let mut a = app();
    update(&mut a, Msg::Connection(Connection::Disconnected));
    type_text(&mut a, "first");
    update(&mut a, key(KeyCode::Enter));
    type_text(&mut a, " thoughts");
    assert!(!a.draft.is_waiting());
    assert!(update(&mut a, Msg::Connection(Connection::Connected)).is_empty());
}

#[test]
fn likes_made_offline_are_queued_and_sent_in_order_with_their_ids() {
    let mut a = with_tweets(2);
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, Msg::Connection(Connection::Disconnected));
    assert!(update(&mut a, key(KeyCode::Char('l'))).is_empty());
    update(&mut a, key(KeyCode::Char('j')));
    assert!(update(&mut a, key(KeyCode::Char('l'))).is_empty());
    assert!(a.like_pending("t2") && a.like_pending("t1"));
    let queued: Vec<String> = a.queued.iter().map(|o| o.msg_id.clone()).collect();
    let cmds = update(&mut a, Msg::Connection(Connection::Connected));
    let sent: Vec<String> = cmds
        .iter()
        .map(|c| match c {
            Cmd::Publish(o) => o.msg_id.clone(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(sent, queued);
    // A like that then fails while the connection is away again waits again.
    update(&mut a, Msg::Connection(Connection::Disconnected));
    settle(&mut a, sent[0].clone(), Err("gone".into()));
    assert_eq!(a.queued.len(), 1);
    assert_eq!(a.queued[0].msg_id, sent[0]);
}

#[test]
fn a_restored_draft_keeps_its_id_for_the_retry() {
    let mut a = app();
    update(
        &mut a,
        Msg::DraftRestored {
            text: "from last time".into(),
            id: Some("id-7".into()),
        },
    );
    assert_eq!(a.draft.text(), "from last time");
    assert_eq!(a.draft.editor.cursor(), 14);
    assert_eq!(
        published(&update(&mut a, key(KeyCode::Enter))).msg_id,
        "id-7"
    );
}

#[test]
fn older_history_is_asked_for_near_the_end_and_a_failure_waits_for_the_next_scroll() {
    let mut a = app();
    // A window of tweets 101..=105 of a longer stream.
    let batch = (101..=105)
        .map(|i| Delivery {
            seq: i,
            event: Ok(event(EventKind::TweetCreated, &format!("t{i}"), "ann")),
            ack: None,
            new: false,
        })
        .collect();
    update(
        &mut a,
        Msg::History {
            from: 101,
            to: 105,
            events: batch,
            at_start: false,
        },
    );
    assert_eq!(
        update(&mut a, Msg::HistoryLoaded),
        vec![Cmd::LoadOlder { before: 101 }]
    );
    assert!(a.loading_older);
    update(&mut a, key(KeyCode::Tab));
    assert!(
        update(&mut a, key(KeyCode::Char('j'))).is_empty(),
        "one request at a time"
    );
    assert!(
        update(&mut a, Msg::OlderFailed("server away".into())).is_empty(),
        "no retry storm"
    );
    assert!(!a.loading_older);
    assert!(a.notice.as_ref().unwrap().text.contains("server away"));
    assert_eq!(
        update(&mut a, key(KeyCode::Char('j'))),
        vec![Cmd::LoadOlder { before: 101 }]
    );
}

#[test]
fn info_notices_fade_and_errors_stay() {
    let mut a = app();
    type_text(&mut a, "hi");
    let id = enter(&mut a);
    settle(&mut a, id, Ok(1));
    assert_eq!(a.notice.as_ref().unwrap().text, "posted");
    update(
        &mut a,
        Msg::Tick(now() + chrono::Duration::seconds(NOTICE_SECS)),
    );
    assert_eq!(a.notice, None);
    type_text(&mut a, "x");
    let id = enter(&mut a);
    settle(&mut a, id, Err("down".into()));
    update(&mut a, Msg::Tick(now() + chrono::Duration::seconds(60)));
    assert_eq!(a.notice.as_ref().unwrap().level, Level::Error);
}

#[test]
fn empty_and_overlong_drafts_are_not_sent() {
    let mut a = app();
    type_text(&mut a, "   ");
    assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
    let long = "x".repeat(MAX_TWEET_CHARS + 1);
    update(&mut a, Msg::Paste(long.clone()));
    assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
    assert_eq!(a.draft.text().trim(), long, "nothing typed is lost");
    assert_eq!(a.notice.unwrap().level, Level::Error);
}

#[test]
fn pasted_control_characters_never_enter_the_draft() {
    let mut a = app();
    update(&mut a, Msg::Paste("a\u{1b}[2Jb\nc".into()));
    assert_eq!(a.draft.text(), "ab c");
}

#[test]
fn each_delivery_is_applied_then_acked_and_bad_ones_counted() {
    let mut a = with_tweets(1);
    let batch = vec![
        Delivery {
            seq: 2,
            event: Ok(event(EventKind::TweetLiked, "t1", "bob")),
            ack: Some(AckToken("a2".into())),
            new: false,
        },
        Delivery {
            seq: 3,
            event: Err(DecodeError::MissingId),
            ack: Some(AckToken("a3".into())),
            new: false,
        },
        Delivery {
            seq: 4,
            event: Ok(event(EventKind::TweetLiked, "nope", "bob")),
            ack: Some(AckToken("a4".into())),
            new: false,
        },
        Delivery {
            seq: 1,
            event: Ok(event(EventKind::TweetCreated, "t1", "ann")),
            ack: Some(AckToken("a1".into())),
            new: false,
        },
    ];
    let cmds = update(&mut a, Msg::Delivered(batch));
    let acks: Vec<_> = cmds
        .iter()
        .map(|c| match c {
            Cmd::Ack(t) => t.0.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(
        acks,
        ["a2", "a3", "a4", "a1"],
        "every delivery is acked, bad or replayed"
    );
    assert_eq!(a.skipped, 2, "a replay is not a bad event");
    assert_eq!(a.feed.get("t1").unwrap().likes(), 1);
}

#[test]
fn selection_starts_on_the_newest_and_follows_it() {
    let mut a = with_tweets(3);
    assert_eq!(a.selected_index(), Some(0));
    update(
        &mut a,
        delivered(4, event(EventKind::TweetCreated, "t4", "ann")),
    );
    assert_eq!(a.selected_tweet().unwrap().id, "t4");
}

#[test]
fn a_moved_selection_stays_on_its_tweet_when_new_ones_arrive() {
    let mut a = with_tweets(3);
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, key(KeyCode::Char('j')));
    assert_eq!(a.selected_tweet().unwrap().id, "t2");
    update(
        &mut a,
        delivered(4, event(EventKind::TweetCreated, "t4", "ann")),
    );
    assert_eq!(a.selected_tweet().unwrap().id, "t2");
}

#[test]
fn feed_keys_move_like_and_quit() {
    let mut a = with_tweets(5);
    update(&mut a, key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Feed);
    update(&mut a, key(KeyCode::Char('G')));
    assert_eq!(a.selected_index(), Some(4));
    update(&mut a, key(KeyCode::Down));
    assert_eq!(a.selected_index(), Some(4), "stops at the bottom");
    update(&mut a, key(KeyCode::Char('k')));
    update(&mut a, key(KeyCode::Up));
    assert_eq!(a.selected_index(), Some(2));
    update(&mut a, key(KeyCode::Char('g')));
    assert_eq!(a.selected_index(), Some(0));
    update(&mut a, key(KeyCode::Char('?')));
    assert!(a.show_help);
    update(&mut a, key(KeyCode::Char('x')));
    assert!(!a.show_help);
    assert!(update(&mut a, key(KeyCode::Char('q'))).is_empty());
    assert!(a.quit);
}

#[test]
fn ctrl_c_quits_from_the_input() {
    let mut a = app();
    update(&mut a, ctrl('c'));
    assert!(a.quit);
}

#[test]
fn l_likes_then_unlikes_the_selected_tweet() {
    let mut a = with_tweets(2);
    update(&mut a, key(KeyCode::Tab));
    let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
    assert_eq!(
        (
            like.event.kind,
            like.event.id.as_str(),
            like.event.author.as_str()
        ),
        (EventKind::TweetLiked, "t2", "me")
    );
    assert!(
        update(&mut a, key(KeyCode::Char('l'))).is_empty(),
        "one like in flight per tweet"
    );
    settle(&mut a, like.msg_id.clone(), Ok(3));
    update(&mut a, delivered(3, like.event));
    assert_eq!(a.feed.get("t2").unwrap().likes(), 1);
    let unlike = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
    assert_eq!(unlike.event.kind, EventKind::TweetUnliked);
    assert_ne!(unlike.msg_id, like.msg_id);
}

#[test]
fn a_failed_like_is_reported() {
    let mut a = with_tweets(1);
    update(&mut a, key(KeyCode::Tab));
    let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
    settle(&mut a, like.msg_id, Err("no responders".into()));
    assert!(a.notice.unwrap().text.contains("no responders"));
    assert!(a.pending_likes.is_empty());
}

#[test]
fn the_selection_is_kept_in_view_when_scrolling() {
    let mut a = with_tweets(50);
    update(&mut a, Msg::Resize(40, 12));
    update(&mut a, key(KeyCode::Tab));
    for _ in 0..20 {
        update(&mut a, key(KeyCode::Char('j')));
    }
    let (top, sel) = (a.top_index(), a.selected_index().unwrap());
    assert!(top <= sel && top > 0, "top {top} sel {sel}");
    assert!(geometry::is_visible(&a.feed, top, sel, a.size));
}

/// One step of a session, before it is made concrete: a settle refers to
/// whatever publish came last, so the recording depends on the commands.
#[derive(Debug, Clone)]
enum Step {
    Key(KeyCode, KeyModifiers),
    Paste(String),
    Wait(i64),
    Tweet {
        seq_gap: u64,
        id: u8,
        author: u8,
    },
    Like {
        seq_gap: u64,
        id: u8,
        author: u8,
        unlike: bool,
    },
    Online(bool),
    SettleLast(bool),
    Resize(u16, u16),
}

fn any_step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let code = prop_oneof![
        proptest::char::range('a', 'z').prop_map(KeyCode::Char),
        Just(KeyCode::Char('l')),
        Just(KeyCode::Char('j')),
        Just(KeyCode::Char(' ')),
        Just(KeyCode::Char('👋')),
        Just(KeyCode::Enter),
        Just(KeyCode::Tab),
        Just(KeyCode::Esc),
        Just(KeyCode::Backspace),
        Just(KeyCode::Left),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::PageDown),
        Just(KeyCode::End),
    ];
    let mods = prop_oneof![
        8 => Just(KeyModifiers::NONE),
        1 => Just(KeyModifiers::CONTROL),
    ];
    prop_oneof![
        6 => (code, mods).prop_map(|(c, m)| Step::Key(c, m)),
        1 => "\\PC{0,12}".prop_map(Step::Paste),
        1 => (0i64..10).prop_map(Step::Wait),
        3 => (1u64..3, 0u8..6, 0u8..3)
            .prop_map(|(seq_gap, id, author)| Step::Tweet { seq_gap, id, author }),
        3 => (1u64..3, 0u8..6, 0u8..4, any::<bool>())
            .prop_map(|(seq_gap, id, author, unlike)| Step::Like { seq_gap, id, author, unlike }),
        1 => any::<bool>().prop_map(Step::Online),
        2 => any::<bool>().prop_map(Step::SettleLast),
        1 => (20u16..120, 6u16..40).prop_map(|(w, h)| Step::Resize(w, h)),
    ]
}

/// Runs `steps` on a new app, returning the messages it was given (the
/// recording), every command it returned, and its final state.
fn record(steps: &[Step]) -> (Vec<Msg>, Vec<Cmd>, App) {
    let mut a = App::new(init());
    let (mut msgs, mut cmds) = (Vec::new(), Vec::new());
    let (mut seq, mut clock) = (0, now());
    let names = ["me", "ann", "bob", ""];
    for step in steps {
        let msg = match step.clone() {
            Step::Key(code, mods) => Msg::Key(KeyEvent::new(code, mods)),
            Step::Paste(s) => Msg::Paste(s),
            Step::Wait(s) => {
                clock += chrono::Duration::seconds(s);
                Msg::Tick(clock)
            }
            Step::Tweet {
                seq_gap,
                id,
                author,
            } => {
                seq += seq_gap;
                delivered(
                    seq,
                    event(
                        EventKind::TweetCreated,
                        &format!("t{id}"),
                        names[usize::from(author)],
                    ),
                )
            }
            Step::Like {
                seq_gap,
                id,
                author,
                unlike,
            } => {
                seq += seq_gap;
                let kind = if unlike {
                    EventKind::TweetUnliked
                } else {
                    EventKind::TweetLiked
                };
                delivered(
                    seq,
                    event(kind, &format!("t{id}"), names[usize::from(author)]),
                )
            }
            Step::Online(up) => Msg::Connection(if up {
                Connection::Connected
            } else {
                Connection::Disconnected
            }),
            Step::SettleLast(ok) => {
                let Some(msg_id) = cmds.iter().rev().find_map(|c| match c {
                    Cmd::Publish(o) => Some(o.msg_id.clone()),
                    _ => None,
                }) else {
                    continue;
                };
                let result = if ok {
                    Ok(seq + 1)
                } else {
                    Err("timed out".to_owned())
                };
                Msg::Published { msg_id, result }
            }
            Step::Resize(w, h) => Msg::Resize(w, h),
        };
        msgs.push(msg.clone());
        cmds.extend(update(&mut a, msg));
    }
    (msgs, cmds, a)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// The reducer reads no clock and draws no random number: a recorded
    /// session replays to the same state and the same commands.
    #[test]
    fn a_recorded_session_replays_exactly(steps in proptest::collection::vec(any_step(), 1..120)) {
        let (msgs, cmds, first) = record(&steps);
        let mut again = App::new(init());
        let replayed: Vec<Cmd> = msgs.into_iter().flat_map(|m| update(&mut again, m)).collect();
        proptest::prop_assert_eq!(&replayed, &cmds);
        proptest::prop_assert_eq!(again, first);
    }
}

#[test]
fn a_replay_covers_posts_and_likes() {
    // The property above is only worth something if sessions publish.
    let steps = [
        Step::Online(true),
        Step::Key(KeyCode::Char('h'), KeyModifiers::NONE),
        Step::Key(KeyCode::Enter, KeyModifiers::NONE),
        Step::Tweet {
            seq_gap: 1,
            id: 1,
            author: 1,
        },
        Step::Key(KeyCode::Tab, KeyModifiers::NONE),
        Step::Key(KeyCode::Char('l'), KeyModifiers::NONE),
    ];
    let (_, cmds, _) = record(&steps);
    let publishes = cmds.iter().filter(|c| matches!(c, Cmd::Publish(_))).count();
    assert_eq!(publishes, 2, "{cmds:?}");
}
