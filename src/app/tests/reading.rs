//! Reading: deliveries and history, the selection, scrolling, feed keys.

use crossterm::event::KeyCode;

use super::*;
use crate::app::*;
use crate::wire::{DecodeError, EventKind};

#[test]
fn older_history_is_asked_for_near_the_end_and_a_failure_waits_for_the_next_scroll() {
    let mut a = app();
    // A window of tweets 101..=105 of a longer stream.
    update(&mut a, history(101, 105, false));
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
fn the_selection_is_kept_in_view_when_scrolling() {
    let mut a = with_tweets(50);
    update(&mut a, Msg::Resize(40, 12));
    update(&mut a, key(KeyCode::Tab));
    for _ in 0..20 {
        update(&mut a, key(KeyCode::Char('j')));
    }
    let (top, sel) = (a.top_index(), a.selected_index().unwrap());
    assert!(top <= sel && top > 0, "top {top} sel {sel}");
    assert!(geometry::is_visible(
        &a.feed,
        top,
        sel,
        a.screen(),
        &|i, _| { Some(i).filter(|&i| i < a.feed.len()) }
    ));
}

#[test]
fn every_feed_key_in_the_readme_does_what_it_says() {
    let mut a = with_tweets(60);
    update(&mut a, key(KeyCode::Tab));
    let page = {
        update(&mut a, key(KeyCode::PageDown));
        a.selected_index().unwrap()
    };
    assert!(page > 1, "a page is more than one tweet: {page}");
    update(&mut a, key(KeyCode::Char(' ')));
    assert_eq!(a.selected_index(), Some(2 * page), "Space is a page down");
    update(&mut a, key(KeyCode::PageUp));
    assert_eq!(a.selected_index(), Some(page));
    update(&mut a, key(KeyCode::End));
    assert_eq!(a.selected_index(), Some(59), "End: the oldest");
    update(&mut a, key(KeyCode::Home));
    assert_eq!(a.selected_index(), Some(0), "Home: the newest");
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Draft, "Esc in the feed: back to the draft");
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Feed, "Esc in the draft: to the feed");
    update(&mut a, key(KeyCode::Char('i')));
    assert_eq!(a.focus, Focus::Draft, "i: back to the draft");
}

fn acks(cmds: &[Cmd]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Ack(AckToken(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_event_live_delivery_skipped_is_read_and_folded_before_those_after_it() {
    let mut a = with_tweets(3);
    update(
        &mut a,
        delivered(4, event(EventKind::TweetCreated, "a", "ann")),
    );
    // Event 5 was pushed while the connection was away; 6 comes first.
    let cmds = update(
        &mut a,
        delivered(6, event(EventKind::TweetLiked, "a", "bob")),
    );
    assert_eq!(cmds, [Cmd::FillGap { from: 5, to: 5 }]);
    assert_eq!(a.feed.get("a").unwrap().likes(), 0, "6 waits for 5");
    let cmds = update(
        &mut a,
        delivered(7, event(EventKind::TweetUnliked, "a", "bob")),
    );
    assert_eq!(cmds, [], "so does 7");
    let five = Delivery {
        seq: 5,
        event: Ok(event(EventKind::TweetLiked, "a", "cy")),
        ack: None,
        new: false,
    };
    let cmds = update(
        &mut a,
        Msg::GapFilled {
            from: 5,
            to: 5,
            events: vec![five],
        },
    );
    assert_eq!(
        acks(&cmds),
        ["ack.6", "ack.7"],
        "acked once folded, in order"
    );
    let t = a.feed.get("a").unwrap();
    assert!(t.liked_by("cy") && !t.liked_by("bob"));
    assert_eq!(t.likes(), 1);
    // Its redelivery, after the ack wait, is a replay: acked, not counted.
    let cmds = update(
        &mut a,
        delivered(5, event(EventKind::TweetLiked, "a", "cy")),
    );
    assert_eq!(acks(&cmds), ["ack.5"]);
    assert_eq!(a.feed.get("a").unwrap().likes(), 1);
}

#[test]
fn newest_events_the_consumer_delivered_but_that_never_came_are_read_from_the_stream() {
    let mut a = with_tweets(3);
    // Events 4 and 5 were the newest and were pushed while the connection
    // moved to another server: no later delivery shows the hole.
    let cmds = update(&mut a, Msg::ConsumerDelivered(5));
    assert_eq!(cmds, [], "they may still be on their way");
    let cmds = update(&mut a, Msg::ConsumerDelivered(5));
    assert_eq!(cmds, [Cmd::FillGap { from: 4, to: 5 }]);
    assert_eq!(
        update(&mut a, Msg::ConsumerDelivered(5)),
        [],
        "asked once while it is read"
    );
    let read = |seq, e| Delivery {
        seq,
        event: Ok(e),
        ack: None,
        new: false,
    };
    update(
        &mut a,
        Msg::GapFilled {
            from: 4,
            to: 5,
            events: vec![
                read(4, event(EventKind::TweetCreated, "b", "ann")),
                read(5, event(EventKind::TweetLiked, "b", "cy")),
            ],
        },
    );
    assert_eq!(a.feed.last_seq(), 5);
    assert_eq!(a.feed.get("b").unwrap().likes(), 1);
    // Their redelivery, after the ack wait, is a replay: acked, not counted.
    let cmds = update(
        &mut a,
        delivered(5, event(EventKind::TweetLiked, "b", "cy")),
    );
    assert_eq!(acks(&cmds), ["ack.5"]);
    assert_eq!(a.feed.get("b").unwrap().likes(), 1);
    // A mark that moves is deliveries on their way: nothing is read twice.
    update(&mut a, Msg::ConsumerDelivered(6));
    assert_eq!(update(&mut a, Msg::ConsumerDelivered(7)), []);
    // They come before the next report: nothing to read then either.
    update(
        &mut a,
        delivered(6, event(EventKind::TweetCreated, "c", "ann")),
    );
    update(
        &mut a,
        delivered(7, event(EventKind::TweetLiked, "c", "bob")),
    );
    assert_eq!(update(&mut a, Msg::ConsumerDelivered(7)), []);
    assert_eq!(a.gap, None);
    assert_eq!(a.feed.last_seq(), 7);
}

#[test]
fn the_old_streams_delivered_mark_asks_for_nothing_in_a_new_stream() {
    let mut a = with_tweets(3);
    update(&mut a, Msg::ConsumerDelivered(500));
    update(&mut a, Msg::Reset);
    // The new stream's consumer: its first event is on its way.
    assert_eq!(update(&mut a, Msg::ConsumerDelivered(1)), []);
    assert_eq!(a.gap, None);
}

#[test]
fn the_consumers_delivered_mark_asks_for_nothing_while_history_loads() {
    let mut a = app();
    update(&mut a, Msg::ConsumerDelivered(500));
    assert_eq!(update(&mut a, Msg::ConsumerDelivered(500)), []);
    // Nor just after: the mark read while it loaded is not one report ago.
    update(&mut a, history(1, 3, true));
    update(&mut a, Msg::HistoryLoaded);
    assert_eq!(update(&mut a, Msg::ConsumerDelivered(500)), []);
}

#[test]
fn a_gap_that_cannot_be_read_is_asked_for_again_and_deleted_events_are_not_waited_for() {
    let mut a = with_tweets(3);
    let cmds = update(
        &mut a,
        delivered(6, event(EventKind::TweetCreated, "b", "ann")),
    );
    assert_eq!(cmds, [Cmd::FillGap { from: 4, to: 5 }]);
    update(&mut a, Msg::GapFailed { from: 4, to: 5 });
    let cmds = update(&mut a, Msg::Tick(now()));
    assert_eq!(cmds, [Cmd::FillGap { from: 4, to: 5 }]);
    assert_eq!(
        update(&mut a, Msg::Tick(now())),
        [],
        "asked once per failure"
    );
    // Read at last: nothing there (deleted from the stream).
    let cmds = update(
        &mut a,
        Msg::GapFilled {
            from: 4,
            to: 5,
            events: vec![],
        },
    );
    assert_eq!(acks(&cmds), ["ack.6"]);
    assert!(a.feed.get("b").is_some());
    assert_eq!(a.gap, None);
}

#[test]
fn a_feed_open_for_long_lets_far_tweets_go_and_reads_them_again_with_their_counts() {
    use crate::app::deliveries::KEEP_AROUND;
    // Tweet t1, then for each k in 2..=n: tweet tk, which ann likes; bob
    // likes t1 early, cy late, when t1 has long gone from memory.
    let n = 3 * KEEP_AROUND as u64 + 7;
    let mut log = vec![event(EventKind::TweetCreated, "t1", "ann")];
    for k in 2..=n {
        log.push(event(EventKind::TweetCreated, &format!("t{k}"), "ann"));
        log.push(event(EventKind::TweetLiked, &format!("t{k}"), "ann"));
        if k == 3 {
            log.push(event(EventKind::TweetLiked, "t1", "bob"));
        }
    }
    log.push(event(EventKind::TweetLiked, "t1", "cy"));
    // One event that cannot be decoded, early on: read live, then again.
    let broken = 3; // ann's like of t2
    let deliveries = |from: u64, to: u64, ack: bool| -> Vec<Delivery> {
        (from..=to)
            .map(|seq| Delivery {
                seq,
                event: if seq == broken {
                    Err(DecodeError::MissingId)
                } else {
                    Ok(log[seq as usize - 1].clone())
                },
                ack: ack.then(|| AckToken(format!("ack.{seq}"))),
                new: false,
            })
            .collect()
    };
    let last = log.len() as u64;
    let mut a = app();
    update(
        &mut a,
        Msg::History {
            from: 1,
            to: 1,
            events: deliveries(1, 1, false),
            at_start: true,
        },
    );
    update(&mut a, Msg::HistoryLoaded);
    for from in (2..=last).step_by(100) {
        update(
            &mut a,
            Msg::Delivered(deliveries(from, (from + 99).min(last), true)),
        );
    }
    assert!(
        a.feed.len() < 2 * KEEP_AROUND,
        "{} of {n} tweets loaded",
        a.feed.len()
    );
    assert!(a.feed.get("t1").is_none() && !a.feed.is_complete());
    // The user goes to the oldest tweet, again and again, as they load.
    update(&mut a, key(KeyCode::Tab));
    read_to_oldest(&mut a, |from, to| deliveries(from, to, false), |_| {});
    assert!(a.feed.is_complete());
    let t1 = a.feed.get("t1").unwrap();
    assert_eq!(t1.likes(), 2, "bob's like (left behind) and cy's (waited)");
    assert!(t1.liked_by("bob") && t1.liked_by("cy"));
    assert!(a.feed.len() > 1_000, "tweets near the oldest are loaded");
    for t in (0..a.feed.len() - 1).filter_map(|i| a.feed.newest(i)) {
        let liked = if t.id == "t2" { 0 } else { 1 };
        assert_eq!(t.likes(), liked, "{}", t.id);
    }
    assert_eq!(a.skipped, 1, "the broken event counts once, read twice");
}

#[test]
fn scrolled_from_the_newest_tweet_to_the_oldest_and_back_the_feed_holds_a_few_thousand() {
    use crate::app::deliveries::KEEP_AROUND;
    // n tweets, each liked by ann as it comes; bob likes t1 near the end.
    let n = 5 * KEEP_AROUND as u64;
    let mut log = Vec::new();
    for k in 1..=n {
        log.push(event(EventKind::TweetCreated, &format!("t{k}"), "ann"));
        log.push(event(EventKind::TweetLiked, &format!("t{k}"), "ann"));
    }
    log.push(event(EventKind::TweetLiked, "t1", "bob"));
    let last = log.len() as u64;
    let chunk = |from: u64, to: u64| log_chunk(&log, from, to);
    // The window: the newest 1,000 events.
    let mut a = with_newest_of(&log);
    update(&mut a, key(KeyCode::Tab));
    let mut most = 0;
    read_to_oldest(&mut a, chunk, |a| most = most.max(a.feed.len()));
    assert_eq!(a.selected_tweet().unwrap().id, "t1");
    assert!(!a.feed.is_top_loaded(), "the newest were let go");
    assert_eq!(a.feed.newest(0).unwrap().likes(), 1);
    assert_eq!(a.selected_tweet().unwrap().likes(), 2, "ann's and bob's");
    // And back: g once reads on until the newest is loaded.
    let mut cmds = update(&mut a, key(KeyCode::Char('g')));
    let mut reads = 0;
    while let [Cmd::LoadNewer { after, to }] = cmds[..] {
        reads += 1;
        assert!(reads < 100, "reads for ever");
        assert_eq!(to, last);
        let upto = (after + 1_000).min(to);
        cmds = update(
            &mut a,
            Msg::Newer {
                from: after + 1,
                to: upto,
                events: chunk(after + 1, upto),
            },
        );
        most = most.max(a.feed.len());
    }
    assert!(a.feed.is_top_loaded() && !a.to_newest);
    assert_eq!(a.selected_tweet().unwrap().id, format!("t{n}"));
    assert!(
        most < 4 * KEEP_AROUND,
        "{most} of {n} tweets loaded at most"
    );
    for i in 0..a.feed.len() {
        let t = a.feed.newest(i).unwrap();
        assert_eq!(t.likes(), 1, "{}", t.id);
    }
    // Live tweets follow again.
    let next = event(EventKind::TweetCreated, "live", "cy");
    update(&mut a, delivered(last + 1, next));
    assert_eq!(a.selected_tweet().unwrap().id, "live");
    assert_eq!(a.skipped, 0);
}

/// A feed of 6,000 tweets read to its oldest, where a live tweet then
/// arrived: the newest, far above the selection, are let go.
fn far_below_the_newest() -> (App, u64) {
    use crate::app::deliveries::KEEP_AROUND;
    let n = 3 * KEEP_AROUND as u64;
    let mut a = with_tweets(n as usize);
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, key(KeyCode::Char('G')));
    update(
        &mut a,
        delivered(n + 1, event(EventKind::TweetCreated, "live", "bob")),
    );
    assert!(!a.feed.is_top_loaded());
    assert!(a.feed.get("live").is_none() && a.feed.get("t1").is_some());
    (a, n + 1)
}

#[test]
fn a_search_far_below_the_newest_reads_them_back_first() {
    let (mut a, last) = far_below_the_newest();
    update(&mut a, key(KeyCode::Char('/')));
    let cmds = update(&mut a, key(KeyCode::Char('x')));
    let after = a.feed.loaded_to();
    assert_eq!(
        cmds,
        vec![Cmd::LoadNewer { after, to: last }],
        "the newest first: they are what a search shows first"
    );
}

#[test]
fn a_click_near_the_top_of_what_is_loaded_asks_for_newer_tweets() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let (mut a, _) = far_below_the_newest();
    // g goes to the newest loaded and asks for newer ones, which fail.
    let cmds = update(&mut a, key(KeyCode::Char('g')));
    assert!(matches!(cmds[..], [Cmd::LoadNewer { .. }]), "{cmds:?}");
    update(&mut a, Msg::NewerFailed("server away".into()));
    // A click on the tweet at the top of the feed pane asks again.
    let (w, h) = a.size;
    let [feed, _, _] = a.screen().panes(ratatui::layout::Rect::new(0, 0, w, h));
    let click = mouse(
        MouseEventKind::Down(MouseButton::Left),
        feed.x + 2,
        feed.y + 1,
    );
    let cmds = update(&mut a, click);
    let after = a.feed.loaded_to();
    assert!(
        matches!(cmds[..], [Cmd::LoadNewer { after: a, .. }] if a == after),
        "{cmds:?}"
    );
}

#[test]
fn g_reads_on_to_the_newest_and_a_tweet_page_opened_meanwhile_keeps_its_place() {
    let (mut a, last) = far_below_the_newest();
    let chunk = |a: &App| {
        let from = a.feed.loaded_to() + 1;
        let to = (from + 999).min(last);
        let mut events = tweets(from, to);
        if to == last {
            events.pop();
            events.push(Delivery {
                seq: last,
                event: Ok(event(EventKind::TweetCreated, "live", "bob")),
                ack: None,
                new: false,
            });
        }
        Msg::Newer { from, to, events }
    };
    let cmds = update(&mut a, key(KeyCode::Char('g')));
    assert!(matches!(cmds[..], [Cmd::LoadNewer { .. }]), "{cmds:?}");
    // A chunk arrives: the selection goes to the newest loaded, and g reads on.
    let next = chunk(&a);
    let cmds = update(&mut a, next);
    assert_eq!(a.selected_index(), Some(0));
    assert!(matches!(cmds[..], [Cmd::LoadNewer { .. }]), "{cmds:?}");
    // The user opens that tweet's page; the next chunk leaves it be.
    update(&mut a, key(KeyCode::Enter));
    assert_eq!(a.focus, Focus::Tweet);
    let reading = a.selected;
    let next = chunk(&a);
    update(&mut a, next);
    assert_eq!(a.selected, reading, "the page's tweet stays selected");
}
