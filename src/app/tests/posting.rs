//! Writing: the draft, posting, likes, the offline queue, notices.

use crossterm::event::KeyCode;

use super::*;
use crate::app::*;
use crate::wire::EventKind;

#[test]
fn focus_starts_in_the_input_and_typing_edits_the_draft() {
    let mut a = app();
    assert_eq!(a.focus, Focus::Draft);
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
            more: 0,
        },
    );
    assert_eq!(a.draft.text(), "from last time");
    assert_eq!(a.draft.editor().cursor(), 14);
    assert_eq!(
        published(&update(&mut a, key(KeyCode::Enter))).msg_id,
        "id-7"
    );
    // Others saved by other terminals of the user wait their turn.
    update(
        &mut a,
        Msg::DraftRestored {
            text: "another".into(),
            id: None,
            more: 2,
        },
    );
    let said = &a.notice.as_ref().unwrap().text;
    assert!(said.contains("(2 more saved)"), "{said}");
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
    let notice = a.notice.clone().unwrap();
    assert_eq!(notice.level, Level::Warn);
    assert!(notice.text.starts_with("too long"), "{notice:?}");
    // A mistake of the user's own fades, as info does; errors stay.
    update(
        &mut a,
        Msg::Tick(now() + chrono::Duration::seconds(NOTICE_SECS)),
    );
    assert_eq!(a.notice, None);
}

#[test]
fn a_paste_keeps_its_lines_and_loses_its_controls() {
    let mut a = app();
    update(&mut a, Msg::Paste("a\u{1b}[2Jb\r\nc\td".into()));
    assert_eq!(a.draft.text(), "ab\nc\td");
    // Terminals paste lines ended by a lone carriage return.
    update(&mut a, Msg::Paste("\rcode:\r    indented\r".into()));
    assert_eq!(a.draft.text(), "ab\nc\td\ncode:\n    indented\n");
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
fn publishes_settled_together_are_each_taken_in_turn() {
    let mut a = with_tweets(1);
    update(&mut a, key(KeyCode::Tab));
    let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
    update(&mut a, key(KeyCode::Tab));
    type_text(&mut a, "posted with the like");
    let tweet = published(&update(&mut a, key(KeyCode::Enter))).clone();
    assert!(a.draft.is_sending());
    update(
        &mut a,
        Msg::Published(vec![
            Settled {
                msg_id: like.msg_id,
                result: Err("no responders".into()),
            },
            Settled {
                msg_id: tweet.msg_id,
                result: Ok(7),
            },
        ]),
    );
    assert!(a.pending_likes.is_empty(), "the like's failure was taken");
    assert!(!a.draft.is_sending(), "the tweet's PubAck was taken");
    assert_eq!(a.draft.text(), "", "and its draft cleared");
}

#[test]
fn a_paste_into_a_waiting_draft_makes_it_a_new_tweet() {
    let mut a = app();
    update(&mut a, Msg::Connection(Connection::Disconnected));
    type_text(&mut a, "first");
    update(&mut a, key(KeyCode::Enter));
    assert!(a.draft.is_waiting());
    update(&mut a, Msg::Paste(" and more".into()));
    assert!(!a.draft.is_waiting(), "edited: waits for Enter again");
    assert!(update(&mut a, Msg::Connection(Connection::Connected)).is_empty());
}

#[test]
fn every_draft_key_in_the_readme_does_what_it_says() {
    let mut a = app();
    type_text(&mut a, "one two three");
    update(&mut a, ctrl('a'));
    update(&mut a, key(KeyCode::Delete));
    assert_eq!(a.draft.text(), "ne two three", "Ctrl-A, then Delete");
    update(&mut a, ctrl('e'));
    update(&mut a, key(KeyCode::Backspace));
    assert_eq!(a.draft.text(), "ne two thre", "Ctrl-E, then Backspace");
    update(&mut a, key(KeyCode::Home));
    update(&mut a, key(KeyCode::Right));
    update(&mut a, key(KeyCode::Right));
    type_text(&mut a, "X");
    assert_eq!(a.draft.text(), "neX two thre", "Home, →, → then typing");
    update(&mut a, key(KeyCode::End));
    update(&mut a, key(KeyCode::Left));
    update(&mut a, ctrl('u'));
    assert_eq!(a.draft.text(), "e", "End, ←, Ctrl-U: all before the cursor");
    type_text(&mut a, "a b ");
    update(&mut a, ctrl('w'));
    assert_eq!(
        a.draft.text(),
        "a e",
        "Ctrl-W: the word before, and its space"
    );
}

#[test]
fn a_like_reported_failed_but_stored_after_all_clears_its_error() {
    let mut a = with_tweets(2);
    update(&mut a, key(KeyCode::Tab));
    let like = published(&update(&mut a, key(KeyCode::Char('l')))).clone();
    // The PubAck was lost (a paused server), though the like was stored.
    settle(&mut a, like.msg_id.clone(), Err("no PubAck in time".into()));
    assert!(a.notice.as_ref().unwrap().text.starts_with("like not sent"));
    // Another user's like of it changes nothing.
    update(
        &mut a,
        delivered(3, event(EventKind::TweetLiked, "t2", "bob")),
    );
    assert!(a.notice.is_some());
    update(&mut a, delivered(4, like.event));
    assert_eq!(a.notice, None, "stored after all: the error goes");
    assert_eq!(a.feed.get("t2").unwrap().likes(), 2);
}
