//! The headless commands as a script uses them: text stored as written,
//! `post -`, refused likes, `show`, `tail`'s start points, completions and
//! the manual page, each against a real nats-server.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Output, Stdio};

use common::{NatsServer, Proc, jetfeed, jetfeed_in, publish_raw};

fn run(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = jetfeed();
    cmd.args(["--server", url])
        .args(args)
        .env_remove("NATS_URL")
        .env(
            "JETFEED_DATA_DIR",
            std::env::temp_dir().join("jetfeed-commands-test"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn run_ok(url: &str, args: &[&str]) -> String {
    let out = run(url, args, None);
    assert!(
        out.status.success(),
        "jetfeed {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The emoji sequences terminals disagree on, a line break, a tab.
const AS_WRITTEN: &str = "I \u{2764}\u{FE0F} NATS \u{270C}\u{FE0F}\nrainbow \u{1F3F3}\u{FE0F}\u{200D}\u{1F308} flag\n\n\twave \u{1F44B}\u{1F3FD}";

#[test]
fn post_from_standard_input_is_stored_as_written() {
    let server = NatsServer::start();
    let url = server.url();
    let out = run(
        &url,
        &["--user", "ann", "post", "-"],
        Some(&format!("{AS_WRITTEN}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(id.len(), 36, "post prints the new id: {id}");
    let events = json_lines(&run_ok(&url, &["tail", "--json", "--no-follow"]));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], id.as_str());
    assert_eq!(
        events[0]["message"], AS_WRITTEN,
        "only the final line break goes"
    );

    // The human format keeps one event a line, whatever the text holds.
    let human = run_ok(&url, &["tail", "--no-follow"]);
    assert_eq!(human.lines().count(), 1, "{human:?}");
    assert!(
        !human
            .trim_end()
            .contains(['\u{1b}', '\u{FE0F}', '\u{200D}'])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_json_prints_each_field_exactly_as_stored() {
    let server = NatsServer::start();
    let url = server.url();
    run_ok(&url, &["--user", "ann", "post", "first"]);
    let raw = serde_json::json!({
        "messageType": "tweet_created",
        "id": "raw-1",
        "message": "esc \u{1b}[31mred\u{1b}[0m and \u{202E}bidi",
        "date": "2024-03-05T14:07:09.123+01:00",
        "author": "mallory\u{7}",
    });
    publish_raw(
        &url,
        "TWITTERCLONE.tweet_created",
        &serde_json::to_vec(&raw).unwrap(),
    )
    .await;
    let url2 = url.clone();
    let stdout =
        tokio::task::spawn_blocking(move || run_ok(&url2, &["tail", "--json", "--no-follow"]))
            .await
            .unwrap();
    let events = json_lines(&stdout);
    assert_eq!(events.len(), 2);
    for field in ["id", "message", "date", "author", "messageType"] {
        assert_eq!(events[1][field], raw[field], "{field}");
    }
    // The human format shows it without a control character.
    let human = tokio::task::spawn_blocking(move || run_ok(&url, &["tail", "--no-follow"]))
        .await
        .unwrap();
    assert!(
        !human
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202E}'),
        "{human:?}"
    );
}

#[test]
fn like_refuses_an_id_that_is_no_tweet_and_says_what_it_did() {
    let server = NatsServer::start();
    let url = server.url();
    let id = run_ok(&url, &["--user", "ann", "post", "likeable"]);
    let id = id.trim();
    let out = run(&url, &["--user", "bob", "like", "no-such-tweet"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no tweet no-such-tweet") && err.contains("nothing was sent"),
        "{err}"
    );
    let unlike = run(&url, &["--user", "bob", "unlike", "no-such-tweet"], None);
    assert_eq!(unlike.status.code(), Some(1));

    let said = run_ok(&url, &["--user", "bob", "like", id]);
    assert!(said.starts_with(&format!("liked {id} by @ann")), "{said}");
    let said = run_ok(&url, &["--user", "bob", "unlike", id]);
    assert!(said.starts_with(&format!("unliked {id}")), "{said}");
    let events = json_lines(&run_ok(&url, &["tail", "--json", "--no-follow"]));
    assert_eq!(
        events.len(),
        3,
        "the tweet, a like, an unlike: nothing for the wrong id"
    );
}

#[test]
fn commands_that_only_read_or_like_make_no_stream() {
    let server = NatsServer::start();
    let url = server.url();
    let id = run_ok(&url, &["--user", "ann", "post", "in the real stream"]);
    let id = id.trim();
    // A mistyped stream: one line naming it, and no stream made.
    for args in [
        vec!["show", id],
        vec!["like", id],
        vec!["unlike", id],
        vec!["tail", "--no-follow"],
    ] {
        let mut all = vec!["--stream", "TWITERCLONE"];
        all.extend(&args);
        let out = run(&url, &all, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("stream TWITERCLONE: there is none"), "{err}");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let streams = rt.block_on(async {
        use futures::TryStreamExt;
        let js = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
        js.stream_names()
            .try_collect::<Vec<String>>()
            .await
            .unwrap()
    });
    assert_eq!(streams, ["TWITTERCLONE"]);
    // A following `tail` makes the stream it waits on, and says so.
    let dir = tempfile::tempdir().unwrap();
    let mut follow = jetfeed_in(dir.path());
    follow.args(["--server", &url, "--stream", "TWITERCLONE", "tail"]);
    let follow = Proc::spawn_stderr(follow);
    let said = follow.line_matching(|l| l.contains("TWITERCLONE"));
    assert!(
        said.contains("no stream TWITERCLONE on") && said.contains("made it"),
        "{said}"
    );
    drop(follow);
    let out = run(&url, &["show", "no-such-tweet"], None);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no tweet no-such-tweet") && !err.contains("sent"),
        "{err}"
    );
}

#[test]
fn a_tweet_is_found_among_many_newer_events() {
    let server = NatsServer::start();
    let url = server.url();
    let old = run_ok(&url, &["--user", "ann", "post", "the oldest"]);
    let old = old.trim();
    // More newer events than the first look-up reads: it reads further back.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let events: Vec<_> = (0..5_000)
            .map(|i| {
                jetfeed::wire::Event::tweet(
                    format!("filler-{i}"),
                    format!("filler {i}"),
                    "bulk".into(),
                    chrono::Utc::now(),
                )
            })
            .collect();
        common::publish_many(&url, &events).await;
    });
    let said = run_ok(&url, &["--user", "bob", "like", old]);
    assert!(said.starts_with("liked"), "{said}");
    let shown = json_lines(&run_ok(&url, &["show", "--json", old]));
    assert_eq!(shown[0]["likes"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_counts_every_like_and_names_the_likers() {
    let server = NatsServer::start();
    let url = server.url();
    let u = url.clone();
    let id = tokio::task::spawn_blocking(move || {
        let id = run_ok(&u, &["--user", "ann", "post", "two", "words"])
            .trim()
            .to_owned();
        for (user, verb) in [
            ("bob", "like"),
            ("cy", "like"),
            ("dee", "like"),
            ("cy", "unlike"),
        ] {
            run_ok(&u, &["--user", user, verb, &id]);
        }
        id
    })
    .await
    .unwrap();
    // An anonymous like, as the Go service sends it.
    let like = format!(
        r#"{{"messageType":"tweet_liked","id":"{id}","message":"","date":"2024-03-05T13:08:00.5Z","author":""}}"#
    );
    publish_raw(&url, "TWITTERCLONE.tweet_liked", like.as_bytes()).await;
    let (u, i) = (url.clone(), id.clone());
    let shown = tokio::task::spawn_blocking(move || run_ok(&u, &["show", "--json", &i]))
        .await
        .unwrap();
    let shown = &json_lines(&shown)[0];
    assert_eq!(shown["likes"], 3);
    assert_eq!(shown["liked_by"], serde_json::json!(["bob", "dee"]));
    assert_eq!(shown["anonymous_likes"], 1);
    assert_eq!(shown["message"], "two words");
    assert_eq!(shown["created_at"], shown["date"]);
    let (u, i) = (url.clone(), id.clone());
    let text = tokio::task::spawn_blocking(move || run_ok(&u, &["show", &i]))
        .await
        .unwrap();
    assert!(text.contains("♥ 3: bob, dee, 1 anonymous"), "{text}");
    let out = tokio::task::spawn_blocking(move || run(&url, &["show", "nope"], None))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn tail_starts_where_it_is_told_and_stops_at_the_end_when_asked() {
    let server = NatsServer::start();
    let url = server.url();
    for i in 0..3 {
        run_ok(&url, &["--user", "ann", "post", &format!("early {i}")]);
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    for i in 0..2 {
        run_ok(&url, &["--user", "ann", "post", &format!("late {i}")]);
    }
    let messages = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["tail", "--json", "--no-follow"];
        all.extend(args);
        json_lines(&run_ok(&url, &all))
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(messages(&[]).len(), 5);
    assert_eq!(messages(&["--last", "2"]), ["late 0", "late 1"]);
    assert_eq!(messages(&["--last", "99"]).len(), 5);
    assert_eq!(messages(&["--since", "2s"]), ["late 0", "late 1"]);
    assert_eq!(messages(&["--since", "1h"]).len(), 5);
    // Counts start where printing does: likes of an older tweet count
    // from the first one printed.
    let early = &json_lines(&run_ok(&url, &["tail", "--json", "--no-follow"]))[0];
    let early = early["id"].as_str().unwrap();
    run_ok(&url, &["--user", "bob", "like", early]);
    run_ok(&url, &["--user", "cy", "like", early]);
    let likes: Vec<u64> = json_lines(&run_ok(
        &url,
        &["tail", "--json", "--no-follow", "--last", "2"],
    ))
    .iter()
    .map(|e| e["likes"].as_u64().unwrap())
    .collect();
    assert_eq!(likes, [1, 2]);
    let bad = run(&url, &["tail", "--since", "soon"], None);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
}

#[test]
fn completions_and_the_manual_come_from_the_command_line_definitions() {
    let out = |args: &[&str]| {
        let o = jetfeed().args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    let bash = out(&["completions", "bash"]);
    assert!(
        bash.contains("complete -F") && bash.contains("--no-follow"),
        "bash"
    );
    assert!(out(&["completions", "zsh"]).starts_with("#compdef jetfeed"));
    assert!(out(&["completions", "fish"]).contains("complete -c jetfeed"));
    let man = out(&["man"]);
    assert!(man.contains(".TH jetfeed") && man.contains("tail"), "{man}");
}

#[test]
fn the_data_directory_and_log_are_private_for_a_client_of_any_server() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = jetfeed()
        .args([
            "--server",
            &server.url(),
            "--user",
            "ann",
            "post",
            "private",
        ])
        .env("JETFEED_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("jetfeed.log")), 0o600);
}
