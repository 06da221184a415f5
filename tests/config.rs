//! Settings people bring: natscli contexts (with their credentials) and
//! jetfeed's config file, against real nats-server processes.

mod common;

use std::path::Path;
use std::process::Command;

use common::{NatsServer, Pty, jetfeed};

/// A server that lets in only `ann` with her password, or `tok` by token.
fn guarded_server() -> NatsServer {
    NatsServer::start_with(
        r#"authorization {
  users: [
    { user: ann, password: "ann-secret" }
  ]
}"#,
    )
}

/// natscli's files under `config_home`: contexts by name, and which is
/// selected.
fn write_contexts(config_home: &Path, contexts: &[(&str, String)], selected: Option<&str>) {
    let dir = config_home.join("nats/context");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, json) in contexts {
        std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
    }
    if let Some(name) = selected {
        std::fs::write(config_home.join("nats/context.txt"), format!("{name}\n")).unwrap();
    }
}

fn context_json(port: u16, user: &str, password: &str) -> String {
    serde_json::json!({
        "description": "", "url": format!("nats://127.0.0.1:{port}"),
        "token": "", "user": user, "password": password, "creds": "", "nkey": "",
        "cert": "", "key": "", "ca": "", "nsc": "", "jetstream_domain": "",
        "jetstream_api_prefix": "", "jetstream_event_prefix": "", "inbox_prefix": "",
        "user_jwt": ""
    })
    .to_string()
}

fn jetfeed_with(config_home: &Path, data: &Path) -> Command {
    let mut cmd = jetfeed();
    cmd.env("XDG_CONFIG_HOME", config_home)
        .env("JETFEED_DATA_DIR", data)
        .env_remove("NATS_URL");
    cmd
}

fn output(mut cmd: Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn natscli_contexts_bring_the_server_and_its_credentials() {
    let server = guarded_server();
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_contexts(
        home.path(),
        &[
            ("work", context_json(server.port, "ann", "ann-secret")),
            ("wrong", context_json(server.port, "ann", "guess")),
        ],
        Some("work"),
    );
    // The selected context, with nothing named.
    let mut post = jetfeed_with(home.path(), data.path());
    post.args(["--user", "ann", "post", "via the selected context"]);
    let (code, id, err) = output(post);
    assert_eq!(code, Some(0), "{err}");
    // A context named by flag or by NATS_CONTEXT wins over the selected.
    let mut named = jetfeed_with(home.path(), data.path());
    named.args(["--context", "wrong", "--user", "ann", "post", "x"]);
    let (code, _, err) = output(named);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("uthoriz"),
        "the wrong password was used: {err}"
    );
    let mut env = jetfeed_with(home.path(), data.path());
    env.env("NATS_CONTEXT", "wrong")
        .args(["--user", "ann", "post", "x"]);
    assert_eq!(output(env).0, Some(1));
    // A flag's credentials win over the context's.
    let mut flags = jetfeed_with(home.path(), data.path());
    flags.args([
        "--context",
        "wrong",
        "--nats-user",
        "ann",
        "--nats-password",
        "ann-secret",
        "--user",
        "ann",
        "tail",
        "--json",
        "--no-follow",
    ]);
    let (code, out, err) = output(flags);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(id.trim()) && out.contains("via the selected context"),
        "{out}"
    );
    // A context that is not there is one line.
    let mut missing = jetfeed_with(home.path(), data.path());
    missing.args(["--context", "nowhere", "tail"]);
    let (code, _, err) = output(missing);
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no NATS context \"nowhere\""), "{err}");
}

#[test]
fn the_config_file_sets_what_flags_do_not() {
    let server = NatsServer::start();
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = home.path().join("jetfeed");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "server = \"{}\"\nuser = \"from-config\"\nstream = \"CONFIGURED\"\n",
            server.url()
        ),
    )
    .unwrap();
    let mut post = jetfeed_with(home.path(), data.path());
    post.args(["post", "configured"]);
    let (code, _, err) = output(post);
    assert_eq!(code, Some(0), "{err}");
    let mut tail = jetfeed_with(home.path(), data.path());
    tail.args(["--user", "flag-user", "tail", "--json", "--no-follow"]);
    let (_, out, _) = output(tail);
    assert!(
        out.contains("\"author\":\"from-config\""),
        "the config's user: {out}"
    );
    // A flag beats the config file: the default stream is not there.
    let mut other = jetfeed_with(home.path(), data.path());
    other.args(["--stream", "TWITTERCLONE", "tail", "--json", "--no-follow"]);
    let (code, out, err) = output(other);
    assert_eq!((code, out.as_str()), (Some(1), ""), "{err}");
    assert!(err.contains("stream TWITTERCLONE: there is none"), "{err}");
    // --help names the file and where the server comes from.
    let mut help = jetfeed_with(home.path(), data.path());
    help.arg("--help");
    let (_, out, _) = output(help);
    assert!(
        out.contains(&format!(
            "Config file: {}",
            dir.join("config.toml").display()
        )),
        "{out}"
    );
    assert!(out.contains("(from config file)"), "{out}");
    // Without a server named anywhere, the embedded one, on the port given.
    let empty = tempfile::tempdir().unwrap();
    for port in [
        &["--embedded-port", "14222"][..],
        &["--embedded-port=14222"],
    ] {
        let mut help = jetfeed_with(empty.path(), data.path());
        help.env("HOME", empty.path())
            .env_remove("NATS_CONTEXT")
            .args(port)
            .arg("--help");
        let (_, out, _) = output(help);
        assert!(
            out.contains("Server without --server: the embedded server on 127.0.0.1:14222"),
            "{out}"
        );
    }
}

#[test]
fn a_bad_config_file_is_one_line_naming_file_line_and_key() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let file = home.path().join("mine.toml");
    for (text, line, key) in [
        ("user = \"ann\"\nthem = \"dark\"\n", 2, "them"),
        ("theme = \"sepia\"\n", 1, "sepia"),
        ("\n[keys.feed]\nlike = \"Super-L\"\n", 3, "keys.feed.like"),
        ("[keys.feed]\nboost = \"b\"\n", 2, "keys.feed.boost"),
    ] {
        std::fs::write(&file, text).unwrap();
        let mut cmd = jetfeed_with(home.path(), data.path());
        cmd.args(["--config", file.to_str().unwrap(), "tail"]);
        let (code, _, err) = output(cmd);
        assert_eq!(code, Some(1), "{text}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("{}:{line}: ", file.display())) && err.contains(key),
            "{text:?}: {err}"
        );
    }
    let mut cmd = jetfeed_with(home.path(), data.path());
    cmd.args(["--config", "/nonexistent/jetfeed.toml", "tail"]);
    let (code, _, err) = output(cmd);
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/jetfeed.toml"), "{err}");
}

#[test]
fn the_terminal_ui_takes_its_keys_theme_and_server_from_settings() {
    let server = NatsServer::start();
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_contexts(
        home.path(),
        &[("local", context_json(server.port, "", ""))],
        Some("local"),
    );
    let dir = home.path().join("jetfeed");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[keys.feed]\nlike = \"f\"\n").unwrap();
    let mut post = jetfeed_with(home.path(), data.path());
    post.args(["--user", "bob", "post", "like me with f"]);
    assert_eq!(output(post).0, Some(0));

    let mut cmd = jetfeed_with(home.path(), data.path());
    cmd.env("NO_COLOR", "1")
        .env("TERM", "xterm-256color")
        .args(["--user", "ann"]);
    let mut pty = Pty::spawn(cmd, 100, 40);
    pty.wait_for("like me with f");
    pty.wait_for("· context local (natscli's selected)");
    pty.type_bytes(b"\t");
    pty.type_bytes(b"l");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        pty.screen().contains("♡ 0"),
        "l no longer likes:\n{}",
        pty.screen()
    );
    pty.type_bytes(b"f");
    pty.wait_for("♥ 1");
    pty.type_bytes(b"?");
    pty.wait_for("like or unlike");
    let help = pty.screen();
    let row = help.lines().find(|l| l.contains("like or unlike")).unwrap();
    assert!(
        row.contains(" f "),
        "the help shows the key in force: {row}"
    );
    pty.type_bytes(b"x");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let drawn = pty.output();
    pty.type_bytes(b"q");
    assert!(pty.wait().success());
    // NO_COLOR: not one cell of the screen as drawn has a colour.
    let size = |n| std::num::NonZeroU16::new(n).unwrap();
    let mut term = vt100::Parser::new(size(40), size(100), 0);
    term.process(&drawn);
    assert!(term.screen().alternate_screen() && term.screen().contents().contains("like me"));
    // Without colour, the focused pane (the feed) is told by its shape.
    let rows: Vec<String> = term.screen().rows(0, 100).collect();
    assert!(
        rows[0].starts_with('┏'),
        "the feed has the focus: {}",
        rows[0]
    );
    let draft_top = rows.iter().find(|r| r.contains("Draft")).unwrap();
    assert!(draft_top.starts_with('╭'), "the draft has not: {draft_top}");
    let colours = (0..40u16)
        .flat_map(|r| (0..100u16).map(move |c| (r, c)))
        .filter_map(|(r, c)| {
            term.screen()
                .cell(r, c)
                .map(|cell| (cell.fgcolor(), cell.bgcolor()))
        })
        .filter(|&(fg, bg)| fg != vt100::Color::Default || bg != vt100::Color::Default)
        .count();
    assert_eq!(colours, 0);
}
