//! A recorded session replays to the same state and the same commands.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::*;
use crate::wire::EventKind;

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
    /// History: `tweets` tweets stored before the first live one.
    History {
        tweets: u8,
        at_start: bool,
    },
    HistoryLoaded,
    OlderFailed,
    /// The last gap asked for is read (it held nothing: deleted events).
    GapFilled,
    Reset,
    DraftRestored {
        with_id: bool,
    },
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
        1 => (0u8..40, any::<bool>()).prop_map(|(tweets, at_start)| Step::History { tweets, at_start }),
        1 => Just(Step::HistoryLoaded),
        1 => Just(Step::OlderFailed),
        1 => Just(Step::GapFilled),
        1 => Just(Step::Reset),
        1 => any::<bool>().prop_map(|with_id| Step::DraftRestored { with_id }),
    ]
}

/// Runs `steps` on a new app, returning the messages it was given (the
/// recording), every command it returned, and its final state.
fn record(steps: &[Step]) -> (Vec<Msg>, Vec<Cmd>, App) {
    let mut a = App::new(init());
    let (mut msgs, mut cmds) = (Vec::new(), Vec::new());
    // Live events come after the stream's first million; history chunks
    // come newest first below them.
    let (mut seq, mut clock, mut oldest) = (1_000_000, now(), 1_000_000);
    let names = ["me", "ann", "bob", ""];
    // The newest window: it ends where live delivery begins.
    let window = Msg::History {
        from: seq,
        to: seq,
        events: vec![],
        at_start: false,
    };
    msgs.push(window.clone());
    cmds.extend(update(&mut a, window));
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
                Msg::Published(vec![Settled { msg_id, result }])
            }
            Step::Resize(w, h) => Msg::Resize(w, h),
            Step::History { tweets, at_start } => {
                let to = oldest - 1;
                let from = oldest - u64::from(tweets);
                oldest = from;
                let events = (from..=to)
                    .map(|s| Delivery {
                        seq: s,
                        event: Ok(event(EventKind::TweetCreated, &format!("h{s}"), "ann")),
                        ack: None,
                        new: s % 2 == 0,
                    })
                    .collect();
                Msg::History {
                    from,
                    to,
                    events,
                    at_start,
                }
            }
            Step::HistoryLoaded => Msg::HistoryLoaded,
            Step::GapFilled => {
                let Some((from, to)) = cmds.iter().rev().find_map(|c| match c {
                    Cmd::FillGap { from, to } => Some((*from, *to)),
                    _ => None,
                }) else {
                    continue;
                };
                Msg::GapFilled {
                    from,
                    to,
                    events: vec![],
                }
            }
            Step::OlderFailed => Msg::OlderFailed("server away".into()),
            Step::Reset => Msg::Reset,
            Step::DraftRestored { with_id } => Msg::DraftRestored {
                text: "from last time 👋🏽".into(),
                id: with_id.then(|| "restored-id".into()),
                more: 0,
            },
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
