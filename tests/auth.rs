//! Who gets in: servers that demand credentials, configured for each way
//! NATS users have them, with the right and the wrong ones. A refusal is one
//! clear line and an exit, never a retry loop; secrets never show.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{NatsServer, jetfeed};

fn post(server: &NatsServer, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let data = server.dir.path().join("jetfeed");
    let mut cmd = jetfeed();
    cmd.env_remove("NATS_URL")
        .env("JETFEED_DATA_DIR", &data)
        .env("JETFEED_LOG", "debug");
    for var in [
        "NATS_CREDS",
        "NATS_NKEY",
        "NATS_USER",
        "NATS_PASSWORD",
        "NATS_CA",
        "NATS_CERT",
        "NATS_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(envs.iter().copied());
    if !args
        .iter()
        .any(|a| a.starts_with("nats://") || a.starts_with("tls://"))
    {
        cmd.args(["--server", &server.url()]);
    }
    cmd.args(args).args(["post", "--user", "ann", "hello"]);
    cmd.output().unwrap()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim().len(),
        36,
        "a tweet id"
    );
}

/// Refused: exit 1, one line saying why, no secret in it or in the log.
fn assert_refused(out: &Output, why: &str, secrets: &[&str], data: &Path) {
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(why), "{err}");
    for s in secrets {
        assert!(!err.contains(s), "a secret in the error: {err}");
    }
    assert_not_logged(secrets, data);
}

/// jetfeed's debug log, which every command of these tests wrote, holds
/// none of `secrets`: right ones and wrong ones alike.
fn assert_not_logged(secrets: &[&str], data: &Path) {
    let path = data.join("jetfeed").join("jetfeed.log");
    let log = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no log at {}: {e}", path.display()));
    assert!(log.lines().count() > 1, "the log has lines: {log}");
    for s in secrets {
        assert!(!log.contains(s), "{s:?} in the log");
    }
}

#[test]
fn user_and_password_as_flags_environment_or_url() {
    let server = NatsServer::start_with(r#"authorization { user: bob, password: "s3cret-pw" }"#);
    assert_ok(&post(
        &server,
        &["--nats-user", "bob", "--nats-password", "s3cret-pw"],
        &[],
    ));
    assert_ok(&post(
        &server,
        &[],
        &[("NATS_USER", "bob"), ("NATS_PASSWORD", "s3cret-pw")],
    ));
    let url = format!("nats://bob:s3cret-pw@127.0.0.1:{}", server.port);
    assert_ok(&post(&server, &["--server", &url], &[]));

    let wrong = post(
        &server,
        &["--nats-user", "bob", "--nats-password", "wr0ng-pw"],
        &[],
    );
    assert_refused(&wrong, "not authorized", &["wr0ng-pw"], server.dir.path());
    let wrong_url = format!("nats://bob:wr0ng-pw@127.0.0.1:{}", server.port);
    assert_refused(
        &post(&server, &["--server", &wrong_url], &[]),
        "not authorized",
        &["wr0ng-pw"],
        server.dir.path(),
    );
    assert_refused(
        &post(&server, &[], &[]),
        "not authorized",
        &[],
        server.dir.path(),
    );
    assert_not_logged(&["s3cret-pw", "wr0ng-pw"], server.dir.path());
}

#[test]
fn a_token() {
    let server = NatsServer::start_with(r#"authorization { token: "t0ken-s3cret" }"#);
    assert_ok(&post(&server, &["--token", "t0ken-s3cret"], &[]));
    let in_url = format!("nats://t0ken-s3cret@127.0.0.1:{}", server.port);
    assert_ok(&post(&server, &["--server", &in_url], &[]));
    let wrong = post(&server, &["--token", "n0t-the-t0ken"], &[]);
    assert_refused(
        &wrong,
        "not authorized",
        &["n0t-the-t0ken"],
        server.dir.path(),
    );
    let missing = post(&server, &[], &[]);
    assert_refused(&missing, "not authorized", &[], server.dir.path());
    assert_not_logged(&["t0ken-s3cret", "n0t-the-t0ken"], server.dir.path());
}

#[test]
fn an_nkey_from_a_file_or_the_environment() {
    let user = nkeys::KeyPair::new_user();
    let server = NatsServer::start_with(&format!(
        r#"authorization {{ users: [ {{ nkey: "{}" }} ] }}"#,
        user.public_key()
    ));
    let seed_file = server.dir.path().join("user.nk");
    std::fs::write(&seed_file, user.seed().unwrap()).unwrap();
    let seed_path = seed_file.to_str().unwrap();
    assert_ok(&post(&server, &["--nkey", seed_path], &[]));
    assert_ok(&post(&server, &[], &[("NATS_NKEY", seed_path)]));

    let stranger = nkeys::KeyPair::new_user();
    let other = server.dir.path().join("other.nk");
    std::fs::write(&other, stranger.seed().unwrap()).unwrap();
    let seed = stranger.seed().unwrap();
    assert_refused(
        &post(&server, &["--nkey", other.to_str().unwrap()], &[]),
        "not authorized",
        &[&seed],
        server.dir.path(),
    );
    let missing = post(&server, &["--nkey", "/nonexistent/seed.nk"], &[]);
    assert_refused(
        &missing,
        "cannot read the nkey seed file",
        &[],
        server.dir.path(),
    );
    let none = post(&server, &[], &[]);
    assert_refused(&none, "not authorized", &[], server.dir.path());
    let right = user.seed().unwrap();
    assert_not_logged(&[&right, &seed], server.dir.path());
}

struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate.
fn pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_pem, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()]);
    let (client_pem, client_key) = leaf(vec!["client".into()]);
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    Pki {
        ca: write("ca.pem", &ca_cert.pem()),
        server_cert: write("server.pem", &server_pem),
        server_key: write("server-key.pem", &server_key),
        client_cert: write("client.pem", &client_pem),
        client_key: write("client-key.pem", &client_key),
    }
}

#[test]
fn tls_with_a_trusted_ca_and_not_without() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(dir.path());
    let server = NatsServer::start_with(&format!(
        r#"tls {{ cert_file: "{}", key_file: "{}" }}"#,
        p.server_cert.display(),
        p.server_key.display()
    ));
    assert_ok(&post(&server, &["--tls-ca", p.ca.to_str().unwrap()], &[]));
    assert_ok(&post(&server, &[], &[("NATS_CA", p.ca.to_str().unwrap())]));
    // The server's certificate is signed by no one this client trusts.
    let untrusted = post(&server, &[], &[]);
    assert_refused(&untrusted, "TLS failed", &[], server.dir.path());
}

#[test]
fn tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki(dir.path());
    let server = NatsServer::start_with(&format!(
        r#"tls {{ cert_file: "{}", key_file: "{}", ca_file: "{}", verify: true }}"#,
        p.server_cert.display(),
        p.server_key.display(),
        p.ca.display()
    ));
    let ca = p.ca.to_str().unwrap();
    let (cert, key) = (
        p.client_cert.to_str().unwrap(),
        p.client_key.to_str().unwrap(),
    );
    assert_ok(&post(
        &server,
        &["--tls-ca", ca, "--tls-cert", cert, "--tls-key", key],
        &[],
    ));
    assert_ok(&post(
        &server,
        &[],
        &[("NATS_CA", ca), ("NATS_CERT", cert), ("NATS_KEY", key)],
    ));
    // The server refuses a client without a certificate.
    let without = post(&server, &["--tls-ca", ca], &[]);
    assert_refused(&without, "TLS failed", &[], server.dir.path());
    let half = post(&server, &["--tls-ca", ca, "--tls-cert", cert], &[]);
    assert_refused(
        &half,
        "give both --tls-cert and --tls-key",
        &[],
        server.dir.path(),
    );
}

/// A NATS JWT: claims signed by `issuer`, as nsc writes them.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "jti": format!("JTI{iat}{name}").to_uppercase(),
        "iat": iat,
        "iss": issuer.public_key(),
        "sub": subject,
        "name": name,
        "nats": nats,
    });
    let payload = b64.encode(claims.to_string());
    let signature = issuer
        .sign(format!("{header}.{payload}").as_bytes())
        .unwrap();
    format!("{header}.{payload}.{}", b64.encode(signature))
}

#[test]
fn a_credentials_file() {
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let user = nkeys::KeyPair::new_user();
    let unlimited = serde_json::json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": true,
        "conn": -1, "leaf": -1, "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1,
    });
    let op_jwt = jwt(
        &operator,
        &operator.public_key(),
        "op",
        serde_json::json!({"type": "operator", "version": 2}),
    );
    let acc_jwt = jwt(
        &operator,
        &account.public_key(),
        "acc",
        serde_json::json!({"limits": unlimited, "type": "account", "version": 2}),
    );
    let user_jwt = jwt(
        &account,
        &user.public_key(),
        "ann",
        serde_json::json!({"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2}),
    );
    // JetStream in operator mode needs a system account.
    let system = nkeys::KeyPair::new_account();
    let sys_jwt = jwt(
        &operator,
        &system.public_key(),
        "SYS",
        serde_json::json!({"type": "account", "version": 2}),
    );
    let server = NatsServer::start_with(&format!(
        "operator: {op_jwt}\nsystem_account: {sys}\nresolver: MEMORY\nresolver_preload: {{ {acc}: {acc_jwt}, {sys}: {sys_jwt} }}\n",
        acc = account.public_key(),
        sys = system.public_key(),
    ));
    let creds = |seed: &str| {
        format!(
            "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
        )
    };
    let good = server.dir.path().join("ann.creds");
    std::fs::write(&good, creds(&user.seed().unwrap())).unwrap();
    assert_ok(&post(&server, &["--creds", good.to_str().unwrap()], &[]));
    assert_ok(&post(
        &server,
        &[],
        &[("NATS_CREDS", good.to_str().unwrap())],
    ));
    // The right JWT with someone else's seed: the signature does not match.
    let thief = nkeys::KeyPair::new_user().seed().unwrap();
    let stolen = server.dir.path().join("stolen.creds");
    std::fs::write(&stolen, creds(&thief)).unwrap();
    assert_refused(
        &post(&server, &["--creds", stolen.to_str().unwrap()], &[]),
        "not authorized",
        &[&thief],
        server.dir.path(),
    );
    assert_refused(
        &post(&server, &[], &[]),
        "not authorized",
        &[],
        server.dir.path(),
    );
}

/// The README's permissions example, as it stands there, with its
/// passwords given as the variables it names.
fn readme_permissions() -> String {
    let readme = include_str!("../README.md");
    let start = readme
        .find("```text\nauthorization {")
        .expect("the README's permissions example")
        + "```text\n".len();
    let len = readme[start..].find("```").unwrap();
    format!(
        "ADMIN_PASS: \"a-pass\"\nREADER_PASS: \"r-pass\"\nWRITER_PASS: \"w-pass\"\n{}",
        &readme[start..start + len]
    )
}

/// jetfeed's headless command `args`, as the NATS user `who` under the
/// same jetfeed user name.
fn as_user(server: &NatsServer, who: &str, pass: &str, args: &[&str]) -> Output {
    let mut cmd = jetfeed();
    cmd.env_remove("NATS_URL")
        .env("JETFEED_DATA_DIR", server.dir.path().join("jetfeed"))
        .args(["--server", &nats_url(server, who, pass), "--user", who])
        .args(args);
    cmd.output().unwrap()
}

fn nats_url(server: &NatsServer, who: &str, pass: &str) -> String {
    format!("nats://{who}:{pass}@127.0.0.1:{}", server.port)
}

/// A bare client, as anyone holding these credentials could write one, and
/// the errors the server sends it.
struct Raw {
    client: async_nats::Client,
    errors: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Raw {
    async fn connect(server: &NatsServer, who: &str, pass: &str) -> Raw {
        let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = errors.clone();
        let client = async_nats::ConnectOptions::new()
            .event_callback(move |event| {
                let seen = seen.clone();
                async move {
                    if let async_nats::Event::ServerError(e) = event {
                        seen.lock().unwrap().push(e.to_string());
                    }
                }
            })
            .user_and_password(who.into(), pass.into())
            .connect(server.url())
            .await
            .unwrap();
        Raw { client, errors }
    }

    /// Sends a request the server must refuse: the server says it was a
    /// permissions violation for that subject, and no answer comes.
    async fn refused(&self, subject: &str, body: &str) {
        use futures::StreamExt;
        let inbox = self.client.new_inbox();
        let mut answers = self.client.subscribe(inbox.clone()).await.unwrap();
        self.client
            .publish_with_reply(subject.to_owned(), inbox, body.to_owned().into())
            .await
            .unwrap();
        self.client.flush().await.unwrap();
        let want = format!("Permissions Violation for Publish to \"{subject}\"");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !self
            .errors
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.contains(&want))
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no permissions violation for {subject}: {:?}",
                self.errors.lock().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let answer =
            tokio::time::timeout(std::time::Duration::from_millis(200), answers.next()).await;
        if let Ok(Some(reply)) = answer {
            panic!(
                "{subject} was answered: {}",
                String::from_utf8_lossy(&reply.payload)
            );
        }
    }
}

/// Everything a reader or writer must not do, tried with a bare client.
/// Returns how many were tried.
async fn administration_is_refused(raw: &Raw) -> usize {
    let stream = r#"{"name":"TWITTERCLONE","subjects":["TWITTERCLONE.*","forged.>"]}"#;
    let bob = r#"{"stream_name":"TWITTERCLONE","config":{"name":"jetfeed-bob","durable_name":"jetfeed-bob","deliver_subject":"stolen","deliver_policy":"all","ack_policy":"none"}}"#;
    let attempts: &[(&str, &str)] = &[
        ("$JS.API.STREAM.PURGE.TWITTERCLONE", ""),
        ("$JS.API.STREAM.MSG.DELETE.TWITTERCLONE", r#"{"seq":1}"#),
        ("$JS.API.STREAM.UPDATE.TWITTERCLONE", stream),
        ("$JS.API.STREAM.DELETE.TWITTERCLONE", ""),
        (
            "$JS.API.STREAM.CREATE.OTHER",
            r#"{"name":"OTHER","subjects":["x"]}"#,
        ),
        ("$JS.API.CONSUMER.DELETE.TWITTERCLONE.jetfeed-bob", ""),
        ("$JS.API.CONSUMER.CREATE.TWITTERCLONE.jetfeed-bob", bob),
        // The unnamed create, which 2.9 lets rewrite a consumer by its name.
        ("$JS.API.CONSUMER.CREATE.TWITTERCLONE", bob),
        (
            "$JS.API.CONSUMER.DURABLE.CREATE.TWITTERCLONE.jetfeed-bob",
            bob,
        ),
        (
            "$JS.API.CONSUMER.MSG.NEXT.TWITTERCLONE.jetfeed-bob",
            r#"{"batch":1}"#,
        ),
        (
            "$JS.API.CONSUMER.MSG.NEXT.TWITTERCLONE.jetfeed_read1-bob",
            r#"{"batch":1}"#,
        ),
        ("$JS.API.CONSUMER.DELETE.TWITTERCLONE.jetfeed_read1-bob", ""),
        ("$JS.ACK.TWITTERCLONE.jetfeed-bob.1.1.1.0.0", "+ACK"),
        ("$JS.API.CONSUMER.LIST.TWITTERCLONE", ""),
    ];
    for (subject, body) in attempts {
        raw.refused(subject, body).await;
    }
    attempts.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_watch_writers_post_and_neither_administers_the_stream() {
    let server = NatsServer::start_with(&readme_permissions());
    let admin = nats_url(&server, "admin", "a-pass");
    // The admin makes the stream with a first tweet, and bob's consumer.
    let first = as_user(&server, "admin", "a-pass", &["post", "hello"]);
    assert_ok(&first);
    let first_id = String::from_utf8_lossy(&first.stdout).trim().to_owned();
    common::Client::start(&admin, "bob").await.shutdown().await;

    // The reader watches: history, then a live tweet.
    let reader_url = nats_url(&server, "reader", "r-pass");
    let mut reader = common::Client::start(&reader_url, "reader").await;
    assert_eq!(reader.app.feed.len(), 1, "the reader sees the history");
    let mut tail = {
        let mut cmd = jetfeed();
        cmd.env_remove("NATS_URL")
            .env("JETFEED_DATA_DIR", server.dir.path().join("jetfeed"))
            .args(["--server", &reader_url, "--user", "reader", "tail"]);
        common::Proc::spawn(cmd)
    };
    assert!(
        tail.line_matching(|l| l.contains("hello"))
            .contains(&first_id)
    );

    // The writer posts and likes, as jetfeed and as the headless commands.
    let writer_url = nats_url(&server, "writer", "w-pass");
    let mut writer = common::Client::start(&writer_url, "writer").await;
    writer.post("live").await;
    reader.until("the live tweet", |a| a.feed.len() == 2).await;
    tail.line_matching(|l| l.contains("live"));
    assert_ok(&as_user(
        &server,
        "writer",
        "w-pass",
        &["post", "also live"],
    ));
    let liked = as_user(&server, "writer", "w-pass", &["like", &first_id]);
    assert!(
        liked.status.success(),
        "{}",
        String::from_utf8_lossy(&liked.stderr)
    );
    reader
        .until("the writer's like", |a| {
            a.feed.len() == 3 && a.feed.newest(2).is_some_and(|t| t.likes() == 1)
        })
        .await;
    assert!(tail.interrupt().success(), "tail ends cleanly");
    writer.shutdown().await;

    // The reader cannot post or like, and is told so.
    reader.post_attempt("not allowed").await;
    assert_eq!(reader.app.draft.text(), "not allowed", "the draft is kept");
    assert_eq!(
        reader.app.notice.as_ref().unwrap().level,
        jetfeed::app::Level::Error
    );
    reader.key(crossterm::event::KeyCode::Tab);
    let likes_before = reader.app.feed.newest(0).unwrap().likes();
    reader.key(crossterm::event::KeyCode::Char('l'));
    reader
        .until("the like to be refused", |a| {
            a.notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with("like not sent"))
        })
        .await;
    assert_eq!(reader.app.feed.newest(0).unwrap().likes(), likes_before);
    assert!(reader.app.pending_likes.is_empty() && reader.app.queued.is_empty());
    reader.shutdown().await;

    // Nor can a bare client with the reader's or the writer's credentials
    // publish a tweet, or touch the stream or anyone else's consumer.
    let raw_reader = Raw::connect(&server, "reader", "r-pass").await;
    let forged = r#"{"messageType":"tweet_created","id":"f","message":"forged","author":"bob"}"#;
    raw_reader
        .refused("TWITTERCLONE.tweet_created", forged)
        .await;
    raw_reader.refused("TWITTERCLONE.tweet_liked", forged).await;
    let tried = 2 + administration_is_refused(&raw_reader).await;
    let raw_writer = Raw::connect(&server, "writer", "w-pass").await;
    let tried_writer = administration_is_refused(&raw_writer).await;

    // As the admin sees it: the stream and bob's consumer as they were.
    let js = async_nats::jetstream::new(
        async_nats::ConnectOptions::with_user_and_password("admin".into(), "a-pass".into())
            .connect(server.url())
            .await
            .unwrap(),
    );
    let mut stream = js.get_stream("TWITTERCLONE").await.unwrap();
    let info = stream.info().await.unwrap().clone();
    assert_eq!(
        info.state.messages, 4,
        "3 tweets and a like, nothing purged"
    );
    assert_eq!(info.config.subjects, ["TWITTERCLONE.*"]);
    let bob = stream.consumer_info("jetfeed-bob").await.unwrap();
    assert_eq!(
        bob.config.deliver_subject.as_deref(),
        Some("jetfeed.deliver.TWITTERCLONE.bob")
    );
    assert_eq!(bob.config.max_ack_pending, 1_000);

    let refused = as_user(&server, "reader", "r-pass", &["post", "hello"]);
    assert_refused(
        &refused,
        "not allowed to publish to TWITTERCLONE.tweet_created",
        &[],
        server.dir.path(),
    );
    assert_not_logged(&["w-pass", "r-pass", "a-pass"], server.dir.path());
    eprintln!(
        "reliability: permissions | the README's reader and writer | refused to the reader {tried} and to the writer {tried_writer} | stream messages after {} | bob's consumer unchanged",
        info.state.messages
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_url_never_reach_the_screen() {
    let server = NatsServer::start_with(r#"authorization { user: bob, password: "s3cret-pw" }"#);
    let with_password = format!("nats://bob:s3cret-pw@127.0.0.1:{}", server.port);
    let client = common::Client::start(&with_password, "ann").await;
    let screen = client.screen(120, 24);
    let plain = format!("nats://127.0.0.1:{}", server.port);
    assert!(screen.contains(&plain), "the server is shown: {screen}");
    for secret in ["s3cret-pw", "bob:"] {
        assert!(!screen.contains(secret), "{secret} on screen: {screen}");
    }
    client.shutdown().await;

    let server = NatsServer::start_with(r#"authorization { token: "t0ken-s3cret" }"#);
    let with_token = format!("nats://t0ken-s3cret@127.0.0.1:{}", server.port);
    let client = common::Client::start(&with_token, "ann").await;
    let screen = client.screen(120, 24);
    assert!(!screen.contains("t0ken-s3cret"), "{screen}");
    assert!(screen.contains(&format!("nats://127.0.0.1:{}", server.port)));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_publish_says_so_at_once() {
    let server = NatsServer::start_with(&readme_permissions());
    let first = as_user(&server, "admin", "a-pass", &["post", "hello"]);
    assert_ok(&first);
    let id = String::from_utf8_lossy(&first.stdout).trim().to_owned();
    let patience = ["--publish-timeout", "10"];
    let timed = |args: &[&str]| {
        let started = std::time::Instant::now();
        let out = as_user(&server, "reader", "r-pass", &[&patience[..], args].concat());
        (out, started.elapsed())
    };

    // The headless commands: one line, exit 1, long before the timeout.
    let (post, post_took) = timed(&["post", "refused"]);
    let why = "not allowed to publish to TWITTERCLONE.tweet_created";
    assert_refused(&post, why, &[], server.dir.path());
    let (like, like_took) = timed(&["like", &id]);
    let why_like = "not allowed to publish to TWITTERCLONE.tweet_liked";
    assert_refused(&like, why_like, &[], server.dir.path());

    // The terminal UI: the draft kept, the reason in the status bar.
    let mut cfg = common::bus_config(&nats_url(&server, "reader", "r-pass"), "reader");
    cfg.publish_timeout = std::time::Duration::from_secs(10);
    let mut reader = common::Client::start_with(cfg).await;
    let started = std::time::Instant::now();
    reader.post_attempt("refused").await;
    let tui_took = started.elapsed();
    assert_eq!(reader.app.draft.text(), "refused", "the draft is kept");
    let notice = reader.app.notice.clone().expect("a notice");
    assert_eq!(notice.level, jetfeed::app::Level::Error);
    assert!(notice.text.contains(why), "{}", notice.text);
    assert!(
        reader.screen(120, 24).contains(why),
        "shown in the status bar"
    );
    reader.shutdown().await;

    for (what, took) in [("post", post_took), ("like", like_took), ("tui", tui_took)] {
        assert!(
            took < std::time::Duration::from_secs(2),
            "{what} took {took:?} with a 10 s publish timeout"
        );
    }
    eprintln!(
        "reliability: refused publish | publish timeout 10 s | jetfeed post failed after {} ms, like {} ms, the terminal UI {:.1} ms | draft kept",
        post_took.as_millis(),
        like_took.as_millis(),
        tui_took.as_secs_f64() * 1000.0
    );
}
