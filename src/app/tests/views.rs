//! Reading: unread tweets, a tweet's page, notifications, search, the
//! mouse, notices, and the place kept across runs.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEventKind};

use super::*;
use crate::app::views::{NoteKind, rows};

fn feed_focused(n: usize) -> App {
    let mut a = with_tweets(n);
    update(&mut a, key(KeyCode::Tab));
    a
}

fn tweet_by(seq: u64, id: &str, author: &str, text: &str) -> Msg {
    let mut e = event(EventKind::TweetCreated, id, author);
    e.message = text.into();
    delivered(seq, e)
}

#[test]
fn tweets_arriving_while_scrolled_away_are_counted_until_passed_over() {
    let mut a = feed_focused(10);
    update(&mut a, key(KeyCode::Char('j')));
    update(&mut a, key(KeyCode::Char('j')));
    for seq in 11..=13 {
        update(&mut a, tweet_by(seq, &format!("n{seq}"), "bob", "new"));
    }
    assert_eq!(a.feed.new_count(), 3);
    assert_eq!(crate::ui::title(&a), "(3) jetfeed");
    assert_eq!(a.selected_tweet().unwrap().id, "t8", "the selection stays");
    // Going up passes over them: each read as it is passed.
    for _ in 0..3 {
        update(&mut a, key(KeyCode::Char('k')));
    }
    assert_eq!(a.feed.new_count(), 2, "t9 and t10 passed, n11 reached");
    update(&mut a, key(KeyCode::Char('g')));
    assert_eq!(a.feed.new_count(), 0);
    assert_eq!(crate::ui::title(&a), "jetfeed");
    // At the newest, arrivals are followed, not counted.
    update(&mut a, tweet_by(14, "n14", "bob", "followed"));
    assert_eq!(a.feed.new_count(), 0);
    assert_eq!(a.selected_tweet().unwrap().id, "n14");
    // One's own tweets are never unread.
    update(&mut a, key(KeyCode::Char('j')));
    update(&mut a, tweet_by(15, "mine", "me", "my own"));
    assert_eq!(a.feed.new_count(), 0);
}

#[test]
fn n_goes_to_the_oldest_unread_tweet() {
    let mut a = app();
    let events = (1..=6)
        .map(|seq| Delivery {
            seq,
            event: Ok(event(EventKind::TweetCreated, &format!("t{seq}"), "ann")),
            ack: None,
            new: seq >= 4,
        })
        .collect();
    update(
        &mut a,
        Msg::History {
            from: 1,
            to: 6,
            events,
            at_start: true,
        },
    );
    update(&mut a, Msg::HistoryLoaded);
    update(&mut a, key(KeyCode::Tab));
    assert_eq!(a.feed.new_count(), 3, "what came while away");
    update(&mut a, key(KeyCode::Char('n')));
    assert_eq!(a.selected_tweet().unwrap().id, "t4");
    assert_eq!(
        a.feed.new_count(),
        1,
        "t5 passed over, t4 reached; t6 where it started"
    );
}

#[test]
fn a_tweets_page_shows_it_whole_and_esc_goes_back_to_the_same_place() {
    let mut a = feed_focused(5);
    update(&mut a, key(KeyCode::Char('j')));
    let before = (a.selected, a.top);
    update(&mut a, key(KeyCode::Enter));
    assert_eq!(a.focus, Focus::Tweet);
    assert_eq!(a.page.as_ref().unwrap().id, "t4");
    let cmds = update(&mut a, key(KeyCode::Char('l')));
    assert_eq!(published(&cmds).event.id, "t4", "l likes the page's tweet");
    let cmds = update(&mut a, key(KeyCode::Char('y')));
    assert_eq!(cmds, [Cmd::Copy("t4".into())]);
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Feed);
    assert_eq!((a.selected, a.top), before);
}

#[test]
fn a_long_tweets_page_scrolls_to_its_end_and_no_further() {
    let mut a = feed_focused(1);
    update(&mut a, tweet_by(2, "long", "bob", &"line\n".repeat(100)));
    update(&mut a, key(KeyCode::Char('g')));
    update(&mut a, key(KeyCode::Enter));
    for _ in 0..500 {
        update(&mut a, key(KeyCode::Char('j')));
    }
    let end = a.page.as_ref().unwrap().scroll;
    assert!(end > 50, "{end}");
    update(&mut a, key(KeyCode::Char('k')));
    assert_eq!(a.page.as_ref().unwrap().scroll, end - 1);
}

#[test]
fn likes_of_my_tweets_and_mentions_are_notifications_grouped_by_tweet() {
    let mut a = feed_focused(1);
    update(&mut a, tweet_by(2, "mine", "me", "my tweet"));
    for (seq, who) in [(3, "bob"), (4, "carol"), (5, "dan"), (6, ""), (7, "eve")] {
        update(
            &mut a,
            delivered(seq, event(EventKind::TweetLiked, "mine", who)),
        );
    }
    update(
        &mut a,
        delivered(8, event(EventKind::TweetLiked, "t1", "bob")),
    );
    update(&mut a, tweet_by(9, "hi", "zed", "hello @me!"));
    update(
        &mut a,
        delivered(10, event(EventKind::TweetLiked, "mine", "me")),
    );
    assert_eq!(a.notifications.unread, 6, "five likes of mine, one mention");
    let listed = rows(&a.notifications);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].kind, NoteKind::Mentioned);
    assert_eq!(
        crate::ui::describe_note(&listed[1]),
        "eve, dan and 3 others liked your tweet \"my tweet\""
    );
    update(&mut a, key(KeyCode::Char('N')));
    assert_eq!(a.focus, Focus::Notifications);
    assert_eq!(a.notifications.unread, 0);
    assert_eq!(a.notifications.read_mark, Some(9));
    update(&mut a, key(KeyCode::Char('j')));
    update(&mut a, key(KeyCode::Enter));
    assert_eq!(a.page.as_ref().unwrap().id, "mine");
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Notifications);
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Feed);
    update(
        &mut a,
        delivered(11, event(EventKind::TweetUnliked, "mine", "bob")),
    );
    assert_eq!(a.notifications.unread, 1, "an unlike too");
    // What changes nothing tells nothing: a second like, an unlike by
    // someone who never liked it. Anonymous likes each count.
    for (seq, kind, who) in [
        (12, EventKind::TweetLiked, "carol"),
        (13, EventKind::TweetUnliked, "zed"),
        (14, EventKind::TweetUnliked, "bob"),
        (15, EventKind::TweetLiked, ""),
    ] {
        update(&mut a, delivered(seq, event(kind, "mine", who)));
    }
    assert_eq!(a.notifications.unread, 2, "one more anonymous like");
}

#[test]
fn likes_read_from_history_that_change_nothing_tell_nothing() {
    let mut a = app();
    let events: Vec<Delivery> = [
        event(EventKind::TweetCreated, "mine", "me"),
        event(EventKind::TweetLiked, "mine", "bob"),
        event(EventKind::TweetLiked, "mine", "bob"),
        event(EventKind::TweetUnliked, "mine", "carol"),
        event(EventKind::TweetUnliked, "mine", "bob"),
        event(EventKind::TweetLiked, "mine", ""),
        event(EventKind::TweetLiked, "mine", ""),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, e)| Delivery {
        seq: i as u64 + 1,
        event: Ok(e),
        ack: None,
        new: true,
    })
    .collect();
    update(
        &mut a,
        Msg::History {
            from: 1,
            to: 7,
            events,
            at_start: true,
        },
    );
    let seqs: Vec<u64> = a.notifications.items.iter().map(|n| n.seq).collect();
    assert_eq!(
        seqs,
        [7, 6, 5, 2],
        "bob's like and unlike, two anonymous likes"
    );
}

#[test]
fn a_read_mark_from_an_earlier_run_decides_what_is_unread() {
    let mut a = app();
    update(
        &mut a,
        Msg::PlaceRestored {
            seq: None,
            read_mark: Some(3),
            unread_from: None,
        },
    );
    let mut events: Vec<Delivery> = vec![Delivery {
        seq: 1,
        event: Ok(event(EventKind::TweetCreated, "mine", "me")),
        ack: None,
        new: false,
    }];
    for seq in 2..=5 {
        events.push(Delivery {
            seq,
            event: Ok(event(EventKind::TweetLiked, "mine", &format!("u{seq}"))),
            ack: None,
            new: false,
        });
    }
    update(
        &mut a,
        Msg::History {
            from: 1,
            to: 5,
            events,
            at_start: true,
        },
    );
    assert_eq!(
        a.notifications.unread, 2,
        "likes 4 and 5 came after the mark"
    );
    assert_eq!(a.notifications.mark_to_save(), Some(3));
}

#[test]
fn a_search_filters_the_feed_live_and_reads_older_history() {
    let mut a = app();
    update(&mut a, history(50, 100, false));
    let cmds = update(&mut a, Msg::HistoryLoaded);
    assert_eq!(cmds, [], "far from the oldest tweet: nothing older needed");
    update(&mut a, tweet_by(101, "hit", "bob", "NATS rocks"));
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, key(KeyCode::Char('/')));
    assert_eq!(a.focus, Focus::Search);
    let mut cmds = Vec::new();
    for c in "nats".chars() {
        cmds.extend(update(&mut a, key(KeyCode::Char(c))));
    }
    assert_eq!(a.selected_tweet().unwrap().id, "hit");
    assert!(
        cmds.contains(&Cmd::LoadOlder { before: 50 }),
        "the rest of the stream is searched: {cmds:?}"
    );
    update(&mut a, key(KeyCode::Enter));
    assert_eq!(a.focus, Focus::Feed, "Enter keeps the query");
    // Moving skips what does not match.
    update(&mut a, key(KeyCode::Char('j')));
    assert_eq!(a.selected_tweet().unwrap().id, "hit");
    // A live arrival that matches shows; one that does not, does not.
    update(&mut a, tweet_by(102, "other", "cy", "nothing here"));
    update(&mut a, tweet_by(103, "hit2", "cy", "more nats"));
    assert!(a.shows(a.feed.get("hit2").unwrap()));
    assert!(!a.shows(a.feed.get("other").unwrap()));
    // @name matches the author.
    update(&mut a, key(KeyCode::Char('/')));
    update(&mut a, ctrl('u'));
    type_text(&mut a, "@CY");
    assert!(a.shows(a.feed.get("other").unwrap()) && !a.shows(a.feed.get("hit").unwrap()));
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.search, None, "Esc clears it");
    assert!(a.shows(a.feed.get("t55").unwrap()));
}

#[test]
fn a_search_typed_while_the_window_loads_reads_on_once_it_has() {
    let mut a = app();
    // The newest chunk is on screen, the window still loading.
    update(&mut a, history(50, 100, false));
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, key(KeyCode::Char('/')));
    type_text(&mut a, "needle");
    assert!(!a.loading_older, "nothing read before the window is whole");
    assert_eq!(
        update(&mut a, Msg::HistoryLoaded),
        [Cmd::LoadOlder { before: 50 }],
        "the rest of the stream is searched"
    );
}

#[test]
fn a_search_keeps_what_it_finds_below_the_window_and_lets_the_rest_go() {
    let mut a = app();
    update(&mut a, history(91, 100, false));
    // Ten tweets: the selection is near the oldest, older ones are asked for.
    let cmds = update(&mut a, Msg::HistoryLoaded);
    assert_eq!(cmds, [Cmd::LoadOlder { before: 91 }]);
    update(&mut a, key(KeyCode::Tab));
    update(&mut a, key(KeyCode::Char('/')));
    type_text(&mut a, "t17");
    let cmds = update(&mut a, history(51, 90, false));
    assert_eq!(cmds, [Cmd::LoadOlder { before: 51 }]);
    assert_eq!(a.feed.len(), 10, "nothing below the window matched");
    update(&mut a, history(1, 50, true));
    assert_eq!(
        a.feed.len(),
        11,
        "the window and the one match: {:?}",
        ids(&a)
    );
    assert_eq!(a.selected_tweet().unwrap().id, "t17");
    assert!(a.feed.is_complete());

    // A new query reads the stream again; what the old one kept goes, and
    // a chunk it asked for that comes late is not folded in.
    let cmds = update(&mut a, key(KeyCode::Char('9')));
    assert_eq!(a.feed.len(), 10);
    assert_eq!(cmds, [Cmd::LoadOlder { before: 91 }]);
    update(&mut a, key(KeyCode::Backspace));
    let cmds = update(&mut a, history(1, 50, true));
    assert_eq!(a.feed.len(), 10, "not next to the window: {:?}", ids(&a));
    assert_eq!(cmds, [Cmd::LoadOlder { before: 91 }], "asked again");
    update(&mut a, history(51, 90, false));
    update(&mut a, history(1, 50, true));
    assert_eq!(a.selected_tweet().unwrap().id, "t17");

    // Esc on a match below the window reads it back with its neighbours.
    let cmds = update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.search, None);
    assert_eq!(a.feed.len(), 10);
    assert_eq!(cmds, [Cmd::LoadOlder { before: 91 }]);
    update(&mut a, history(51, 90, false));
    update(&mut a, history(1, 50, true));
    assert_eq!(a.feed.len(), 100);
    assert_eq!(a.selected_tweet().unwrap().id, "t17");
}

fn ids(a: &App) -> Vec<String> {
    (0..a.feed.len())
        .map(|i| a.feed.newest(i).unwrap().id.clone())
        .collect()
}

#[test]
fn the_wheel_scrolls_a_click_selects_and_a_click_on_the_heart_likes() {
    let mut a = with_tweets(10);
    assert_eq!(a.focus, Focus::Draft);
    update(&mut a, mouse(MouseEventKind::ScrollDown, 10, 5));
    assert_eq!(a.selected_tweet().unwrap().id, "t9");
    assert_eq!(
        a.focus,
        Focus::Draft,
        "the wheel leaves the keyboard where it is"
    );
    update(&mut a, mouse(MouseEventKind::ScrollUp, 10, 5));
    assert_eq!(a.selected_tweet().unwrap().id, "t10");
    // Each tweet is three rows from row 1: header, text, separator.
    update(
        &mut a,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 5),
    );
    assert_eq!(a.selected_tweet().unwrap().id, "t9");
    assert_eq!(a.focus, Focus::Feed);
    let cmds = update(
        &mut a,
        mouse(MouseEventKind::Down(MouseButton::Left), 77, 7),
    );
    assert_eq!(
        published(&cmds).event.id,
        "t8",
        "the heart of the third tweet"
    );
    assert_eq!(published(&cmds).event.kind, EventKind::TweetLiked);
    // The draft pane's rows: 20 and 21 on 24.
    update(
        &mut a,
        mouse(MouseEventKind::Down(MouseButton::Left), 5, 21),
    );
    assert_eq!(a.focus, Focus::Draft);
}

#[test]
fn a_notice_about_a_pane_goes_at_the_next_key_there() {
    let mut a = app();
    update(&mut a, key(KeyCode::Enter));
    assert_eq!(
        a.notice.as_ref().unwrap().level,
        Level::Warn,
        "nothing to post"
    );
    update(&mut a, key(KeyCode::Char('h')));
    assert_eq!(a.notice, None);
}

#[test]
fn a_question_mark_in_an_empty_draft_and_f1_open_the_help() {
    let mut a = app();
    update(&mut a, key(KeyCode::Char('?')));
    assert!(a.show_help && a.draft.text().is_empty());
    update(&mut a, key(KeyCode::Char('x')));
    type_text(&mut a, "why?");
    assert_eq!(a.draft.text(), "why?", "in a draft, ? is typed");
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)),
    );
    assert!(a.show_help);
}

#[test]
fn tweets_unread_when_jetfeed_last_quit_are_unread_again() {
    let mut a = app();
    update(
        &mut a,
        Msg::PlaceRestored {
            seq: Some(55),
            read_mark: None,
            unread_from: Some(57),
        },
    );
    let mut events = tweets(40, 60);
    events[19].event = Ok(event(EventKind::TweetCreated, "t59", "me"));
    update(
        &mut a,
        Msg::History {
            from: 40,
            to: 60,
            events,
            at_start: true,
        },
    );
    update(&mut a, Msg::HistoryLoaded);
    let new: Vec<u64> = (0..a.feed.len())
        .filter_map(|i| a.feed.newest(i).filter(|t| t.new).map(|t| t.seq))
        .collect();
    assert_eq!(new, [60, 58, 57], "from the mark on, but one's own");
    assert_eq!(a.unread_from, None, "read again later, they were read now");
}

#[test]
fn the_place_from_the_last_run_is_selected_once_loaded() {
    let mut a = app();
    update(
        &mut a,
        Msg::PlaceRestored {
            seq: Some(20),
            read_mark: None,
            unread_from: None,
        },
    );
    update(&mut a, history(40, 60, false));
    let cmds = update(&mut a, Msg::HistoryLoaded);
    assert_eq!(
        cmds,
        [Cmd::LoadOlder { before: 40 }],
        "not loaded yet: read on"
    );
    update(&mut a, history(10, 39, false));
    assert_eq!(a.selected_tweet().unwrap().id, "t20");
    assert_eq!(a.return_to, None);
}

#[test]
fn a_megabyte_tweets_page_scrolls_as_far_as_it_goes() {
    let mut a = feed_focused(1);
    let huge = "word ".repeat(200_000);
    update(&mut a, tweet_by(2, "huge", "bob", &huge));
    update(&mut a, key(KeyCode::Char('g')));
    update(&mut a, key(KeyCode::Enter));
    for _ in 0..30 {
        update(&mut a, key(KeyCode::PageDown));
    }
    let scroll = a.page.as_ref().unwrap().scroll;
    // Each page down went a page further: the page is not cut short.
    assert!(scroll > 30 * 10, "{scroll}");
    // Header and blank, the text's rows, then blank, likes, blank and id.
    let shown = crate::ui::page_lines(&a, "huge", 76, usize::from(scroll) + 20);
    assert_eq!(
        shown.len(),
        2 + usize::from(scroll) + 20 + 4,
        "laid out as far as shown"
    );
}

#[test]
fn likes_of_my_tweets_let_go_from_memory_are_still_notifications() {
    let mut a = my_liked_tweet_let_go();
    assert_eq!(a.notifications.unread, 1);
    let listed = rows(&a.notifications);
    assert_eq!(listed[0].snippet, "tweet mine");
    assert_eq!(listed[0].who, vec!["bob"]);
    // Enter on it reads the tweet back from where it is stored, then
    // opens it.
    let place = a.selected;
    update(&mut a, key(KeyCode::Char('N')));
    let first = a.feed.first_seq();
    let cmds = update(&mut a, key(KeyCode::Enter));
    assert_eq!(cmds, [Cmd::LoadOlder { before: first }]);
    assert_eq!(a.focus, Focus::Notifications, "still listed while it loads");
    update(&mut a, my_tweets_chunk(first));
    assert_eq!(a.focus, Focus::Tweet);
    assert_eq!(a.page.as_ref().map(|p| p.id.as_str()), Some("mine"));
    assert_eq!(
        a.feed.get("mine").map(|t| t.likes()),
        Some(1),
        "its like counted"
    );
    assert_eq!(a.selected, place, "the feed's selection stays");
    update(&mut a, key(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Notifications, "back where it was opened");
}

/// The oldest chunk of history, up to `first`: the user's tweet `mine`
/// (at sequence 2) among ann's.
fn my_tweets_chunk(first: u64) -> Msg {
    let mut events = tweets(1, first - 1);
    events[1].event = Ok(event(EventKind::TweetCreated, "mine", "me"));
    Msg::History {
        from: 1,
        to: first - 1,
        events,
        at_start: true,
    }
}

/// The user's tweet `mine`, liked by bob after enough newer tweets that it
/// was let go; the feed focused.
fn my_liked_tweet_let_go() -> App {
    let mut a = with_tweets(1);
    update(
        &mut a,
        delivered(2, event(EventKind::TweetCreated, "mine", "me")),
    );
    // Enough tweets after it that it is let go.
    let n = 2 * crate::app::KEEP_AROUND as u64 + 10;
    update(&mut a, Msg::Delivered(tweets(3, 2 + n)));
    assert!(a.feed.get("mine").is_none(), "let go");
    update(
        &mut a,
        delivered(3 + n, event(EventKind::TweetLiked, "mine", "bob")),
    );
    update(&mut a, key(KeyCode::Tab));
    a
}

#[test]
fn reading_a_notifications_tweet_back_ends_when_the_list_is_left_or_a_read_fails() {
    let mut a = my_liked_tweet_let_go();
    let place = a.selected;
    update(&mut a, key(KeyCode::Char('N')));
    let first = a.feed.first_seq();
    assert_eq!(
        update(&mut a, key(KeyCode::Enter)),
        [Cmd::LoadOlder { before: first }]
    );
    // Left before it loads: nothing opens, nothing is held back, the feed
    // stays where it was.
    update(&mut a, key(KeyCode::Esc));
    assert_eq!((a.return_to, a.open_on_return.as_deref()), (None, None));
    update(&mut a, my_tweets_chunk(first));
    assert_eq!((a.focus, a.selected), (Focus::Feed, place));

    // A read that fails gives it up, and says so.
    let mut b = my_liked_tweet_let_go();
    update(&mut b, key(KeyCode::Char('N')));
    update(&mut b, key(KeyCode::Enter));
    update(&mut b, Msg::OlderFailed("server away".into()));
    assert_eq!((b.return_to, b.open_on_return.as_deref()), (None, None));
    let said = &b.notice.as_ref().unwrap().text;
    assert!(said.contains("tweet not opened: server away"), "{said}");

    // Read back and not there (deleted from the stream): said so.
    let mut d = my_liked_tweet_let_go();
    update(&mut d, key(KeyCode::Char('N')));
    update(&mut d, key(KeyCode::Enter));
    let first = d.feed.first_seq();
    let mut events = tweets(1, first - 1);
    events[1].event = Ok(event(EventKind::TweetLiked, "t1", "cy"));
    update(
        &mut d,
        Msg::History {
            from: 1,
            to: first - 1,
            events,
            at_start: true,
        },
    );
    assert_eq!(d.focus, Focus::Notifications);
    let said = &d.notice.as_ref().unwrap().text;
    assert!(said.contains("no longer in the stream"), "{said}");

    // With a search standing it is not read back: a search keeps only its
    // matches of what it reads.
    let mut c = my_liked_tweet_let_go();
    update(&mut c, key(KeyCode::Char('/')));
    update(&mut c, key(KeyCode::Char('x')));
    update(&mut c, key(KeyCode::Enter));
    update(&mut c, key(KeyCode::Char('N')));
    assert_eq!(update(&mut c, key(KeyCode::Enter)), []);
    let said = &c.notice.as_ref().unwrap().text;
    assert!(said.contains("end the search"), "{said}");
}

#[test]
fn a_notifications_tweet_let_go_above_is_read_back_and_opened() {
    use crate::app::deliveries::KEEP_AROUND;
    // ann's tweets, then one of mine at the very end, liked by bob.
    let n = 3 * KEEP_AROUND as u64;
    let mut log: Vec<Event> = (1..n)
        .map(|k| event(EventKind::TweetCreated, &format!("t{k}"), "ann"))
        .collect();
    log.push(event(EventKind::TweetCreated, "mine", "me"));
    log.push(event(EventKind::TweetLiked, "mine", "bob"));
    let last = log.len() as u64;
    let chunk = |from: u64, to: u64| log_chunk(&log, from, to);
    let mut a = with_newest_of(&log);
    assert_eq!(rows(&a.notifications).len(), 1);
    // Far down, the newest tweets, mine among them, are let go.
    update(&mut a, key(KeyCode::Tab));
    read_to_oldest(&mut a, chunk, |_| {});
    assert!(a.feed.get("mine").is_none() && !a.feed.is_top_loaded());
    update(&mut a, key(KeyCode::Char('N')));
    let after = a.feed.loaded_to();
    let cmds = update(&mut a, key(KeyCode::Enter));
    assert_eq!(cmds, [Cmd::LoadNewer { after, to: last }]);
    update(
        &mut a,
        Msg::Newer {
            from: after + 1,
            to: last,
            events: chunk(after + 1, last),
        },
    );
    assert_eq!(a.page.as_ref().map(|p| p.id.as_str()), Some("mine"));
    assert_eq!(a.focus, Focus::Tweet);
    assert_eq!(a.feed.get("mine").map(|t| t.likes()), Some(1));
}

#[test]
fn the_users_tweets_let_go_are_remembered_up_to_a_bound() {
    use crate::app::views::{MAX_MINE_LET_GO, MineLetGo};
    let mut mine = MineLetGo::default();
    for i in 0..MAX_MINE_LET_GO {
        mine.remember(&format!("m{i}"), "text", i as u64);
    }
    // Remembered again as it goes again: nothing else is forgotten for it.
    mine.remember("m0", "text", 0);
    assert!(mine.snippet("m0").is_some() && mine.snippet("m1").is_some());
    // One more: the one that went longest ago is forgotten.
    mine.remember("last", "text", 99_999);
    assert_eq!(mine.snippet("m0"), None);
    assert_eq!(mine.snippet("m1"), Some("text"));
    assert_eq!(mine.snippet("last"), Some("text"));
}
