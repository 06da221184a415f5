//! The jetfeed binary: headless commands, error lines, and the embedded
//! server's start, hand-over and stop, each against real nats-server
//! processes.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{
    NatsServer, Proc, alive, free_port, jetfeed, jetfeed_in, parent_of, port_open, wait_for_port,
};

fn run_ok(args: &[&str]) -> String {
    let out = jetfeed()
        .args(args)
        .env_remove("NATS_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "jetfeed {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

#[test]
fn post_like_unlike_and_tail_json() {
    let server = NatsServer::start();
    let url = server.url();
    let id = run_ok(&[
        "--server", &url, "post", "--user", "ann", "hello", "from", "a", "script",
    ]);
    assert_eq!(id.len(), 36, "a UUID: {id}");
    run_ok(&["--server", &url, "like", "--user", "bob", &id]);
    run_ok(&["--server", &url, "like", "--user", "cy", &id]);
    run_ok(&["--server", &url, "unlike", "--user", "bob", &id]);

    let mut cmd = jetfeed();
    cmd.args(["--server", &url, "tail", "--json"]);
    let mut tail = Proc::spawn(cmd);
    let first = json(&tail.line_matching(|_| true));
    assert_eq!(first["messageType"], "tweet_created");
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["message"], "hello from a script");
    assert_eq!(first["author"], "ann");
    assert_eq!(first["likes"], 0);
    let counts: Vec<_> = (0..3)
        .map(|_| json(&tail.line_matching(|_| true))["likes"].clone())
        .collect();
    assert_eq!(counts, [1, 2, 1], "each event with the count after it");

    // Then live: a new like arrives while tailing.
    run_ok(&["--server", &url, "like", "--user", "dee", &id]);
    let live = json(&tail.line_matching(|_| true));
    assert_eq!(
        (live["author"].as_str(), live["likes"].as_i64()),
        (Some("dee"), Some(2))
    );
    assert!(tail.interrupt().success(), "Ctrl-C ends tail cleanly");
}

#[test]
fn tail_moves_no_users_consumer() {
    let server = NatsServer::start();
    let url = server.url();
    run_ok(&["--server", &url, "post", "--user", "ann", "x"]);
    let mut cmd = jetfeed();
    cmd.args(["--server", &url, "tail"]);
    let mut tail = Proc::spawn(cmd);
    let line = tail.line_matching(|_| true);
    assert!(
        line.contains("tweet_created") && line.contains("@ann") && line.contains("♥0"),
        "{line}"
    );
    tail.interrupt();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let consumers = rt.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        let stream = js.get_stream("TWITTERCLONE").await.unwrap();
        stream.get_info().await.unwrap().state.consumer_count
    });
    assert_eq!(
        consumers, 0,
        "tail reads through ephemeral consumers, gone after it"
    );
}

#[test]
fn an_unreachable_server_is_one_line_and_exit_1() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    for args in [
        vec!["post", "--user", "ann", "hi"],
        vec!["tail"],
        vec!["like", "--user", "a", "x"],
        vec![],
    ] {
        let out = jetfeed()
            .arg("--server")
            .arg(&url)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("jetfeed: cannot reach NATS at nats://127.0.0.1:"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn credentials_in_a_url_are_never_printed() {
    let url = format!("nats://bob:hunter2@127.0.0.1:{}", free_port());
    let out = jetfeed().args(["--server", &url, "tail"]).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains("hunter2") && err.contains("127.0.0.1"),
        "{err}"
    );
}

#[test]
fn bad_arguments_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--stream", "A.B", "tail"], "bad stream name"),
        (
            &[
                "--nats-server",
                "/nonexistent/nats-server",
                "--embedded-port",
                "1",
                "tail",
            ],
            "not executable",
        ),
        (
            &[
                "--server",
                "nats://127.0.0.1:1",
                "post",
                "--user",
                "\u{1b}[2J",
                "hi",
            ],
            "bad user name",
        ),
    ];
    for (args, want) in cases {
        let out = jetfeed_in(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
}

fn server_pid(data_dir: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(data_dir.join("nats-server.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_embedded_server_starts_hands_over_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("jetfeed");
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let tail_cmd = || {
        let mut c = jetfeed_in(&data);
        c.args(["--embedded-port", &port.to_string(), "tail", "--json"]);
        c
    };

    // The first jetfeed starts a server, private to the user.
    let mut first = Proc::spawn(tail_cmd());
    wait_for_port(port, true);
    wait_until("the pid file", || server_pid(&data).is_some());
    let s1 = server_pid(&data).unwrap();
    assert_eq!(
        parent_of(s1),
        Some(first.pid()),
        "started by the first jetfeed"
    );
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let listen = std::fs::read_to_string(format!("/proc/{s1}/cmdline"))
        .unwrap()
        .replace('\0', " ");
    assert!(listen.contains("-a 127.0.0.1"), "loopback only: {listen}");

    // A second one joins it.
    let mut second = Proc::spawn(tail_cmd());
    let before = run_ok(&[
        "--server",
        &url,
        "post",
        "--user",
        "ann",
        "before the hand-over",
    ]);
    first.line_matching(|l| l.contains(&before));
    second.line_matching(|l| l.contains(&before));
    assert_eq!(server_pid(&data), Some(s1), "one server for both");

    // The first quits: its server stops, the second takes over on the store.
    assert!(first.interrupt().success());
    assert!(!alive(s1), "the first jetfeed's server stopped with it");
    wait_until("a new server", || {
        server_pid(&data).is_some_and(|p| p != s1 && alive(p)) && port_open(port)
    });
    let s2 = server_pid(&data).unwrap();
    assert_eq!(
        parent_of(s2),
        Some(second.pid()),
        "taken over by the second jetfeed"
    );
    let after = run_ok(&[
        "--server",
        &url,
        "post",
        "--user",
        "ann",
        "after the hand-over",
    ]);
    // A last tweet marks the end: whatever was going to be doubled has
    // been printed before it.
    let end = run_ok(&["--server", &url, "post", "--user", "ann", "the end"]);
    second.line_matching(|l| l.contains(&end));
    for (what, id) in [("before", &before), ("after", &after), ("end", &end)] {
        assert_eq!(
            second.count(id),
            1,
            "{what} printed once: {:?}",
            second.all_lines()
        );
    }

    // Nothing was lost: a fresh reader finds both.
    let mut cmd = jetfeed();
    cmd.args(["--server", &url, "tail", "--json"]);
    let mut check = Proc::spawn(cmd);
    check.line_matching(|l| l.contains(&before));
    check.line_matching(|l| l.contains(&after));
    check.interrupt();

    // The last one quits: no server is left.
    assert!(second.interrupt().success());
    assert!(!alive(s2));
    wait_for_port(port, false);
    assert_eq!(server_pid(&data), None);
}

#[test]
fn an_embedded_server_dies_with_a_killed_jetfeed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = jetfeed_in(dir.path());
    cmd.args(["--embedded-port", &port.to_string(), "tail"]);
    let mut p = Proc::spawn(cmd);
    wait_for_port(port, true);
    wait_until("the pid file", || server_pid(dir.path()).is_some());
    let s = server_pid(dir.path()).unwrap();
    unsafe { libc::kill(p.pid(), libc::SIGKILL) };
    p.wait_exit();
    wait_until("the orphaned server to stop", || !alive(s));
    wait_for_port(port, false);
}

#[test]
fn a_server_without_jetstream_on_the_default_port_is_stepped_over() {
    // Debian's package starts such a server on 127.0.0.1:4222.
    let port = common::free_port_pair();
    let _plain = common::PlainServer::start(port);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = jetfeed_in(dir.path());
    cmd.args(["--embedded-port", &port.to_string(), "tail", "--json"]);
    let mut tail = Proc::spawn(cmd);
    let next = format!("nats://127.0.0.1:{}", port + 1);
    wait_for_port(port + 1, true);
    let id = run_ok(&[
        "--server",
        &next,
        "post",
        "--user",
        "ann",
        "on the embedded server",
    ]);
    tail.line_matching(|l| l.contains(&id));
    assert!(tail.interrupt().success());
}

#[test]
fn post_follows_the_draft_rules() {
    let server = NatsServer::start();
    let url = server.url();
    for (text, why) in [
        ("x".repeat(281), "too long: 281/280"),
        ("   ".to_owned(), "nothing to post"),
    ] {
        let out = jetfeed()
            .args(["--server", &url, "post", "--user", "ann", &text])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{err}");
    }
    let id = run_ok(&[
        "--server",
        &url,
        "post",
        "--user",
        "ann",
        "  \u{1b}[2Jclean\u{7} ",
    ]);
    let mut cmd = jetfeed();
    cmd.args(["--server", &url, "tail", "--json"]);
    let mut tail = Proc::spawn(cmd);
    let line = json(&tail.line_matching(|l| l.contains(&id)));
    assert_eq!(
        line["message"], "clean",
        "sent as the terminal UI would send it"
    );
    tail.interrupt();
}

/// `jetfeed post` against `url`: its exit code and what it printed on stderr.
fn post_to(url: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = jetfeed()
        .args(["--server", url])
        .args(extra)
        .args(["post", "--user", "ann", "hi"])
        .env_remove("NATS_URL")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_server_or_account_without_jetstream_is_named_in_one_line() {
    // A server started without -js: nobody answers JetStream's API.
    let port = free_port();
    let plain = common::PlainServer::start(port);
    let (code, err) = post_to(&format!("nats://127.0.0.1:{port}"), &[]);
    drop(plain);
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("JetStream is not enabled"), "{err}");

    // JetStream on, but not for this user's account.
    let server =
        NatsServer::start_with(r#"accounts { NOJS: { users: [{ user: ann, password: pw }] } }"#);
    let url = format!("nats://ann:pw@127.0.0.1:{}", server.port);
    let (code, err) = post_to(&url, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("JetStream is not enabled"), "{err}");
}

#[test]
fn the_line_counter_sees_a_doubled_line() {
    // The hand-over test's "printed once" would fail on this output.
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "echo before; echo before; echo after"]);
    let p = Proc::spawn(cmd);
    p.line_matching(|l| l == "after");
    assert_eq!(p.count("before"), 2);
    assert_eq!(p.count("after"), 1);
}

#[test]
fn tail_reports_unusable_events_on_stderr_and_goes_on() {
    let server = NatsServer::start();
    let url = server.url();
    run_ok(&["--server", &url, "post", "--user", "ann", "first"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        common::publish_raw(&url, "TWITTERCLONE.tweet_created", b"not json").await;
        common::publish_raw(
            &url,
            "TWITTERCLONE.tweet_liked",
            br#"{"id":"nope","date":"2024-01-01T00:00:00Z"}"#,
        )
        .await;
    });
    let last = run_ok(&["--server", &url, "post", "--user", "ann", "last"]);
    let dir = tempfile::tempdir().unwrap();
    let errors = dir.path().join("stderr");
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        &format!(
            "exec {} --server {url} tail 2>{}",
            env!("CARGO_BIN_EXE_jetfeed"),
            errors.display()
        ),
    ]);
    let mut tail = Proc::spawn(cmd);
    tail.line_matching(|l| l.contains(&last));
    assert!(tail.interrupt().success());
    let lines = tail.all_lines();
    assert_eq!(lines.len(), 2, "the two tweets, nothing else: {lines:?}");
    let err = std::fs::read_to_string(&errors).unwrap();
    let reported: Vec<&str> = err.lines().collect();
    assert_eq!(reported.len(), 2, "{err}");
    assert!(
        reported[0].starts_with("skipped event 2: not a JSON event"),
        "{err}"
    );
    assert!(reported[1].starts_with("skipped event 3: "), "{err}");
}

/// The nats-server processes running on `store`, by pid.
fn servers_on(store: &std::path::Path) -> Vec<i32> {
    let store = store.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c).replace('\0', " ");
                c.contains("nats-server") && c.contains(&store)
            })
        })
        .collect()
}

#[test]
fn three_racing_jetfeeds_run_one_server_and_a_killed_owner_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("jetfeed");
    let store = data.join("nats");
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    // Watch the store the whole time: never two servers on it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (stop, store) = (stop.clone(), store.clone());
        std::thread::spawn(move || {
            let (mut most, mut samples) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                most = most.max(servers_on(&store).len());
                samples += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            (most, samples)
        })
    };
    let tails: Vec<Proc> = (0..3)
        .map(|_| {
            let mut c = jetfeed_in(&data);
            c.args(["--embedded-port", &port.to_string(), "tail", "--json"]);
            Proc::spawn(c)
        })
        .collect();
    wait_for_port(port, true);
    wait_until("the pid file", || server_pid(&data).is_some());
    let first = server_pid(&data).unwrap();
    let owner = parent_of(first).unwrap();
    let mut tails = tails;
    let at = tails
        .iter()
        .position(|t| t.pid() == owner)
        .expect("a jetfeed owns it");
    let mut killed = tails.remove(at);

    // The owner is killed outright: no goodbye, no hand-over.
    let started = Instant::now();
    unsafe { libc::kill(killed.pid(), libc::SIGKILL) };
    killed.wait_exit();
    wait_until("a survivor's server", || {
        server_pid(&data).is_some_and(|p| p != first && alive(p)) && port_open(port)
    });
    let took = started.elapsed();
    // The README promises "within about a second".
    assert!(took < Duration::from_secs(2), "taken over in {took:?}");
    let second = server_pid(&data).unwrap();
    assert!(
        tails.iter().any(|t| Some(t.pid()) == parent_of(second)),
        "taken over by a survivor"
    );
    let id = run_ok(&["--server", &url, "post", "--user", "ann", "after the kill"]);
    for t in &tails {
        t.line_matching(|l| l.contains(&id));
    }
    for mut t in tails {
        assert!(t.interrupt().success());
    }
    wait_for_port(port, false);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (most, samples) = sampler.join().unwrap();
    eprintln!(
        "reliability: owner killed | jetfeeds racing 3 | servers on the store at once, at most {most} of {samples} looks | taken over in {} ms",
        took.as_millis()
    );
    assert_eq!(most, 1, "two servers on one store");
    assert!(samples > 10, "the store was watched");
}

#[test]
fn an_unsent_draft_comes_back_on_the_next_run_of_the_real_binary() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = jetfeed_in(dir.path());
        cmd.args(["--server", &server.url(), "--user", "ann"])
            .args(extra);
        cmd
    };
    let mut first = common::Pty::spawn(run(&[]), 100, 30);
    first.wait_for("connected");
    first.type_bytes("half a thought 👋🏽".as_bytes());
    // The draft pane shows 👋🏽 in its display form, 👋; the text keeps it.
    first.wait_for("half a thought 👋");
    first.wait_for("17/280");
    // A closed terminal or a kill quits as q does.
    unsafe { libc::kill(first.pid(), libc::SIGTERM) };
    assert!(first.wait().success());
    let said = String::from_utf8_lossy(&first.output()).into_owned();
    assert!(said.contains("unsent draft saved"), "{said}");
    let saved = jetfeed::drafts::path(dir.path(), "ann");
    let saved = std::fs::read_to_string(&saved).unwrap();
    assert!(
        saved.contains("half a thought 👋🏽"),
        "saved as typed: {saved}"
    );
    // Another terminal of ann's quit with a draft too: saved beside it.
    let other = jetfeed::drafts::SavedDraft {
        text: "from another terminal".into(),
        id: None,
    };
    jetfeed::drafts::save(dir.path(), "ann", &other).unwrap();

    let start = || {
        let (status, out, _) = common::run_in_pty(run(&["--exit-after-first-frame"]), 100, 30);
        assert!(status.success());
        common::terminal::rows(&common::terminal::emulate(&out, 100, 30))
    };
    let rows = start();
    let draft = rows.iter().find(|r| r.contains("half a thought"));
    assert!(
        draft.is_some_and(|r| r.contains("half a thought 👋") && r.starts_with('│')),
        "the draft is back in its pane: {rows:#?}"
    );
    assert!(
        rows.last()
            .unwrap()
            .contains("your unsent draft is back (1 more saved)"),
        "{rows:#?}"
    );
    // Saved again unsent, it waits behind the other, which comes next.
    let rows = start();
    assert!(
        rows.iter().any(|r| r.contains("from another terminal")),
        "{rows:#?}"
    );
}

#[test]
fn a_stalled_terminal_does_not_keep_jetfeed_from_quitting_and_the_draft_is_kept() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = jetfeed_in(dir.path());
    cmd.args(["--server", &server.url(), "--user", "ann"]);
    let mut pty = common::Pty::spawn(cmd, 100, 30);
    pty.wait_for("connected");
    // The connection stalls: output piles up until jetfeed's writes block.
    pty.stall();
    for i in 0..40 {
        pty.resize(100 + i % 2, 30);
        std::thread::sleep(Duration::from_millis(10));
    }
    pty.type_bytes(b"typed into a stalled terminal");
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    unsafe { libc::kill(pty.pid(), libc::SIGTERM) };
    let status = pty.wait();
    let took = asked.elapsed();
    eprintln!(
        "reliability: stalled terminal | quit after SIGTERM in {} ms | exit {status}",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(10), "quitting took {took:?}");
    let saved = std::fs::read_to_string(jetfeed::drafts::path(dir.path(), "ann")).unwrap();
    assert!(saved.contains("typed into a stalled terminal"), "{saved}");
}

#[test]
fn without_home_a_client_of_a_server_works_and_the_embedded_server_asks_for_a_data_dir() {
    let server = NatsServer::start();
    let bare = |args: &[&str]| {
        let mut cmd = jetfeed();
        cmd.env_remove("HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("JETFEED_DATA_DIR")
            .env_remove("NATS_URL")
            .args(args);
        cmd.output().unwrap()
    };
    let url = server.url();
    let out = bare(&["--server", &url, "post", "--user", "dee", "no home"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bare(&[
        "--embedded-port",
        &free_port().to_string(),
        "post",
        "--user",
        "dee",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--data-dir"), "{err}");
}
