//! `jetfeed serve` end to end: the real binary against a real nats-server,
//! called over HTTP, websocket and SSE as the Go example's page and curl
//! scripts would, and its own page in a real headless chromium.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::{Value, json};

use common::serve::{Serve, http, keys_in_order};
use common::{NatsServer, bus_config, jetfeed_in, publish_many, publish_raw};
use jetfeed::bus::Session;
use jetfeed::wire::{Event, EventKind};

const GO_TWEET_KEYS: [&str; 6] = ["id", "message", "created_at", "date", "author", "likes"];

async fn post_tweet(s: &Serve, message: &str, author: &str) -> Value {
    let res = http()
        .post(s.url("/tweets"))
        .json(&json!({"message": message, "author": author}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "POST /tweets");
    res.json().await.unwrap()
}

async fn get_json(s: &Serve, path: &str) -> (u16, Value) {
    let res = http().get(s.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// The stream's last sequence: how many events were stored.
async fn last_seq(url: &str) -> u64 {
    let session = Session::open(&bus_config(url, "probe"), None)
        .await
        .unwrap();
    let last = session.span().await.unwrap().last;
    session.close().await;
    last
}

/// The payload stored at `seq`, as the stream holds it.
async fn stored(url: &str, seq: u64) -> String {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let stream = js.get_stream("TWITTERCLONE").await.unwrap();
    let msg = stream.get_raw_message(seq).await.unwrap();
    String::from_utf8(msg.payload.to_vec()).unwrap()
}

fn cli_post(url: &str, dir: &std::path::Path, user: &str, text: &str) -> String {
    let out = jetfeed_in(dir)
        .args(["--server", url, "--user", user, "post", text])
        .output()
        .unwrap();
    assert!(out.status.success(), "jetfeed post: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tweets_and_likes_round_trip_in_the_go_services_shapes() {
    let nats = NatsServer::start();
    let s = Serve::start(&nats.url());
    let client = http();

    // POST /tweets answers with the new tweet, in the Go service's shape.
    let res = client
        .post(s.url("/tweets"))
        .json(&json!({"message": "  hello\u{7} from curl  ", "author": "ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = res.text().await.unwrap();
    assert_eq!(keys_in_order(&text), GO_TWEET_KEYS);
    let tweet: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(tweet["message"], "hello from curl", "stored minus controls");
    assert_eq!(tweet["author"], "ann");
    assert_eq!(tweet["likes"], 0);
    assert_eq!(tweet["created_at"], tweet["date"]);
    let created = chrono::DateTime::parse_from_rfc3339(tweet["created_at"].as_str().unwrap())
        .expect("created_at is RFC 3339");
    assert!((Utc::now() - created.to_utc()).num_seconds().abs() < 60);
    let id = tweet["id"].as_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&id).expect("a UUID, as the Go service makes");

    // It is in the stream, in the wire format, under its own id.
    let seq = last_seq(&nats.url()).await;
    let wire: Value = serde_json::from_str(&stored(&nats.url(), seq).await).unwrap();
    assert_eq!(wire["messageType"], "tweet_created");
    assert_eq!(wire["id"], id.as_str());

    // Read back at once, newest first.
    let second = post_tweet(&s, "second", "bob").await;
    let (status, list) = get_json(&s, "/tweets").await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second["id"]);
    assert_eq!(list[1], tweet);
    let raw = client
        .get(s.url("/tweets"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first_obj = &raw[1..raw.find('}').unwrap() + 1];
    assert_eq!(keys_in_order(first_obj), GO_TWEET_KEYS);

    // Likes: the Go page's anonymous like (JSON type, empty body), a named
    // one by body, the same user again by query (counted once), an unlike.
    let likes = s.url(&format!("/tweets/{id}/likes"));
    let res = client
        .post(&likes)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let wire: Value = serde_json::from_str(&stored(&nats.url(), seq + 2).await).unwrap();
    assert_eq!(wire["messageType"], "tweet_liked");
    assert_eq!(wire["author"], "", "anonymous, as the Go service sends");
    for req in [
        client.post(&likes).json(&json!({"author": "carol"})),
        client.post(format!("{likes}?user=carol")),
        client.post(format!("{likes}?user=dave")),
    ] {
        assert_eq!(req.send().await.unwrap().status(), 204);
    }
    let (status, one) = get_json(&s, &format!("/tweets/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["likes"], 3, "anonymous + carol once + dave");
    assert_eq!(one["likers"], json!(["carol", "dave"]));
    let res = client
        .delete(&likes)
        .json(&json!({"author": "carol"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let wire: Value =
        serde_json::from_str(&stored(&nats.url(), last_seq(&nats.url()).await).await).unwrap();
    assert_eq!(wire["messageType"], "tweet_unliked");
    let (_, one) = get_json(&s, &format!("/tweets/{id}")).await;
    assert_eq!(one["likes"], 2);
    assert_eq!(one["likers"], json!(["dave"]));
    let (_, list) = get_json(&s, "/tweets").await;
    assert_eq!(list[1]["likes"], 2);

    // An unknown tweet: 404, and nothing published.
    let before = last_seq(&nats.url()).await;
    for req in [
        client.post(s.url("/tweets/no-such-tweet/likes")),
        client.delete(s.url("/tweets/no-such-tweet/likes?user=ann")),
        client.get(s.url("/tweets/no-such-tweet")),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("no-such-tweet"));
    }
    assert_eq!(last_seq(&nats.url()).await, before, "nothing published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_it_cannot_serve_get_json_errors_with_the_right_status() {
    let nats = NatsServer::start();
    let s = Serve::start_logging_requests(&nats.url());
    let client = http();
    let id = post_tweet(&s, "target", "ann").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored_before = last_seq(&nats.url()).await;

    let exactly_280: String = "🦀".repeat(280);
    assert_eq!(
        post_tweet(&s, &exactly_280, "ann").await["message"],
        exactly_280.as_str(),
        "280 characters, whatever their bytes"
    );
    let stored_before = stored_before + 1;

    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            client
                .post(s.url("/tweets"))
                .json(&json!({"message": "", "author": "ann"})),
            400,
            "empty",
        ),
        (
            client
                .post(s.url("/tweets"))
                .json(&json!({"message": " \u{1b}[2J\u{7} ", "author": "ann"})),
            400,
            "only controls",
        ),
        (
            client
                .post(s.url("/tweets"))
                .json(&json!({"message": "x".repeat(281), "author": "ann"})),
            400,
            "281 characters",
        ),
        (
            client
                .post(s.url("/tweets"))
                .json(&json!({"message": "hi"})),
            400,
            "no author",
        ),
        (
            client
                .post(s.url("/tweets"))
                .json(&json!({"message": "hi", "author": "  "})),
            400,
            "blank author",
        ),
        (
            client.post(s.url("/tweets")).body("{not json"),
            400,
            "bad JSON",
        ),
        (
            client.post(s.url("/tweets")).body("[1,2]"),
            400,
            "not an object",
        ),
        (
            client.post(s.url("/tweets")).body(format!(
                r#"{{"message":"{}","author":"ann"}}"#,
                "x".repeat(64 * 1024)
            )),
            413,
            "over 64 KiB",
        ),
        (
            client.delete(s.url(&format!("/tweets/{id}/likes"))),
            400,
            "unlike without a user",
        ),
        (
            client
                .post(s.url(&format!("/tweets/{id}/likes")))
                .body("{oops"),
            400,
            "like with bad JSON",
        ),
        (client.get(s.url("/tweets?limit=0")), 400, "limit 0"),
        (client.get(s.url("/tweets?limit=many")), 400, "limit NaN"),
        (
            client.get(s.url("/tweets?before=no-such-tweet")),
            404,
            "before unknown",
        ),
        (client.get(s.url("/no/such/path")), 404, "unknown path"),
        (client.put(s.url("/tweets")), 405, "wrong method"),
        (client.get(s.url("/tweets/%FF")), 400, "an id not UTF-8"),
        (
            client.post(s.url("/tweets/%FF/likes")),
            400,
            "a like of an id not UTF-8",
        ),
        (client.get(s.url("/listener/ws")), 400, "ws without upgrade"),
    ];
    for (req, status, what) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{what}");
        let body: Value = res
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        let error = body["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{what}: {body}");
    }
    assert_eq!(
        last_seq(&nats.url()).await,
        stored_before,
        "no bad request published anything"
    );

    // One log line per request, each with its path and status.
    let log = s.log();
    assert!(log.contains("POST /tweets 413"), "{log}");
    assert!(log.contains("PUT /tweets 405"));
    assert!(log.contains("GET /no/such/path 404"));
    let requests = log
        .lines()
        .filter(|l| l.contains("jetfeed::serve: 127.0.0.1:"))
        .count();
    assert_eq!(requests, 2 + 18, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_walks_back_through_the_whole_stream() {
    let nats = NatsServer::start();
    let now = Utc::now();
    let mut events: Vec<Event> = (0..1_100)
        .map(|i| Event::tweet(format!("t{i}"), format!("tweet {i}"), "ann".into(), now))
        .collect();
    events.push(Event::like(
        EventKind::TweetLiked,
        "t3".into(),
        "bob".into(),
        now,
    ));
    publish_many(&nats.url(), &events).await;
    let s = Serve::start(&nats.url());

    let (_, default) = get_json(&s, "/tweets").await;
    assert_eq!(default.as_array().unwrap().len(), 50, "50 by default");
    assert_eq!(default[0]["id"], "t1099", "newest first");
    let (_, capped) = get_json(&s, "/tweets?limit=5000").await;
    assert_eq!(capped.as_array().unwrap().len(), 1000, "at most 1000");

    let mut seen = Vec::new();
    let mut path = "/tweets?limit=300".to_owned();
    loop {
        let (status, page) = get_json(&s, &path).await;
        assert_eq!(status, 200);
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap()["id"].as_str().unwrap().to_owned();
        seen.extend(page);
        path = format!("/tweets?limit=300&before={last}");
    }
    let ids: Vec<&str> = seen.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let want: Vec<String> = (0..1_100).rev().map(|i| format!("t{i}")).collect();
    assert_eq!(ids, want, "every tweet once, newest first");
    assert_eq!(seen[1_096]["likes"], 1, "t3's like, folded from history");
    // A line per request only at debug level: it costs the POST rate.
    let log = s.log();
    assert!(log.contains("serving http://"), "{log}");
    assert!(!log.contains("jetfeed::serve: 127.0.0.1:"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serves_on_one_stream_agree_on_every_list_and_count() {
    let nats = NatsServer::start();
    let a = Serve::start(&nats.url());
    let b = Serve::start(&nats.url());
    let client = http();
    let dir = tempfile::tempdir().unwrap();

    // Tweets through each server and the CLI; likes through the other one,
    // right away: each must find tweets stored through the other.
    let mut ids = Vec::new();
    for i in 0..6 {
        let (here, there) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = post_tweet(here, &format!("tweet {i}"), "ann").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = client
            .post(there.url(&format!("/tweets/{id}/likes?user=u{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "a like through the other server");
        ids.push(id);
    }
    let from_cli = cli_post(&nats.url(), dir.path(), "zed", "from the command line");
    let res = client
        .post(b.url(&format!("/tweets/{from_cli}/likes")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for id in &ids[..3] {
        let res = client
            .post(a.url(&format!("/tweets/{id}/likes")))
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    let res = client
        .delete(b.url(&format!("/tweets/{}/likes?user=u0", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, la) = get_json(&a, "/tweets").await;
        let (_, lb) = get_json(&b, "/tweets").await;
        if la == lb {
            let counts: Vec<u64> = la
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["likes"].as_u64().unwrap())
                .collect();
            assert_eq!(counts, [1, 1, 1, 1, 2, 2, 1], "newest first: cli, 5..0");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the two servers disagree:\n{la}\n{lb}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &ids {
        let (_, one_a) = get_json(&a, &format!("/tweets/{id}")).await;
        let (_, one_b) = get_json(&b, &format!("/tweets/{id}")).await;
        assert_eq!(one_a, one_b);
    }

    // A tweet stored a moment ago, behind a burst another server is still
    // folding: a like through it waits for the fold instead of a 404.
    let now = Utc::now();
    let nc = async_nats::connect(nats.url()).await.unwrap();
    for i in 0..30_000 {
        let like = Event::like(
            EventKind::TweetLiked,
            ids[0].clone(),
            format!("fan{i}"),
            now,
        );
        // Plain publishes, not awaited: the server takes them faster than
        // a fold can read them back.
        nc.publish(like.subject("TWITTERCLONE"), like.encode().into())
            .await
            .unwrap();
    }
    let tweet = Event::tweet("just-stored".into(), "hi".into(), "ann".into(), now);
    let js = async_nats::jetstream::new(nc);
    js.publish(tweet.subject("TWITTERCLONE"), tweet.encode().into())
        .await
        .unwrap()
        .await
        .unwrap();
    let res = client
        .post(b.url("/tweets/just-stored/likes?user=ann"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "a tweet just stored is found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_nats_a_post_is_503_and_reads_still_work() {
    let mut nats = NatsServer::start();
    let s = Serve::start_with(&nats.url(), &["--publish-timeout", "1"]);
    let id = post_tweet(&s, "before the outage", "ann").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    nats.kill();
    let client = http();
    for req in [
        client
            .post(s.url("/tweets"))
            .json(&json!({"message": "lost?", "author": "ann"})),
        client.post(s.url(&format!("/tweets/{id}/likes?user=bob"))),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("not stored"));
    }
    let (status, list) = get_json(&s, "/tweets").await;
    assert_eq!(status, 200, "reads come from the fold");
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Back, it serves writes again (and the failed tweet never appears).
    nats.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let res = client
            .post(s.url("/tweets"))
            .json(&json!({"message": "after", "author": "ann"}))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no write after the server came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The fold's reader is back by itself (it may still be on its way).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = get_json(&s, "/tweets").await;
        let texts: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["message"].as_str().unwrap().to_owned())
            .collect();
        if texts.len() >= 2 {
            assert_eq!(texts, ["after", "before the outage"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the fold never resumed: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing left buffered comes in late.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, list) = get_json(&s, "/tweets").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(s: &Serve) -> Ws {
    let url = format!("ws://127.0.0.1:{}/listener/ws", s.port);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn ws_next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a websocket message within 10 s")
            .expect("the websocket is open")
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return t.to_string();
        }
    }
}

/// An SSE reader: `data:` lines, one event each.
struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(s: &Serve) -> Sse {
        let res = http()
            .get(s.url("/events"))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Sse {
            res,
            buf: String::new(),
        }
    }

    /// The next event's data, or `None` when the stream ended.
    async fn next(&mut self) -> Option<String> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                if !data.is_empty() {
                    return Some(data.join("\n"));
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.res.chunk())
                .await
                .expect("an SSE event within 10 s")
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_and_sse_send_each_event_as_stored() {
    let nats = NatsServer::start();
    let s = Serve::start(&nats.url());
    let mut ws = ws_connect(&s).await;
    let mut sse = Sse::open(&s).await;
    // The Go service's own events, as it publishes them.
    let go_tweet = r#"{"messageType":"tweet_created","id":"6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e","message":"hello from go","date":"2024-03-05T14:07:09.123456789+01:00","author":"gopher"}"#;
    let go_like = r#"{"messageType":"tweet_liked","id":"6f1c7f4e-3c55-4a43-9a8e-0b1d2f3c4d5e","message":"","date":"2024-03-05T13:08:00.5Z","author":""}"#;
    let s1 = publish_raw(
        &nats.url(),
        "TWITTERCLONE.tweet_created",
        go_tweet.as_bytes(),
    )
    .await;
    let s2 = publish_raw(&nats.url(), "TWITTERCLONE.tweet_liked", go_like.as_bytes()).await;
    // jetfeed's own, from the CLI and the API.
    let dir = tempfile::tempdir().unwrap();
    let id = cli_post(&nats.url(), dir.path(), "ann", "from the CLI");
    let s3 = last_seq(&nats.url()).await;
    let res = http()
        .post(s.url(&format!("/tweets/{id}/likes?user=bob")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let s4 = last_seq(&nats.url()).await;
    // Not an event: nobody is sent it.
    publish_raw(&nats.url(), "TWITTERCLONE.tweet_created", b"not json").await;
    let marker = post_tweet(&s, "marker", "ann").await;
    let s5 = last_seq(&nats.url()).await;

    for seq in [s1, s2, s3, s4, s5] {
        let want = stored(&nats.url(), seq).await;
        assert_eq!(ws_next_text(&mut ws).await, want, "websocket, event {seq}");
        assert_eq!(sse.next().await.unwrap(), want, "SSE, event {seq}");
    }
    let last: Value = serde_json::from_str(&stored(&nats.url(), s5).await).unwrap();
    assert_eq!(last["id"], marker["id"]);
    for key in ["messageType", "id", "message", "date", "author"] {
        assert!(last.get(key).is_some(), "{key} in every event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_holds_up_nobody() {
    use tokio::io::AsyncWriteExt;
    let nats = NatsServer::start();
    let s = Serve::start(&nats.url());
    // Two clients that ask for the live feed, then never read a byte.
    let mut stalled = Vec::new();
    for request in [
        "GET /listener/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        "GET /events HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut conn = socket
            .connect(format!("127.0.0.1:{}", s.port).parse().unwrap())
            .await
            .unwrap();
        conn.write_all(request.as_bytes()).await.unwrap();
        stalled.push(conn);
    }
    let mut ws = ws_connect(&s).await;
    let mut sse = Sse::open(&s).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Far more than fits in any socket buffer, and more than the ring holds.
    let now = Utc::now();
    let n = jetfeed::serve::LIVE_BUFFER + 4_000;
    let long = "x".repeat(270);
    let events: Vec<Event> = (0..n)
        .map(|i| Event::tweet(format!("b{i}"), format!("{i} {long}"), "ann".into(), now))
        .collect();
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while got < n {
            let text = ws_next_text(&mut ws).await;
            got += 1;
            if got == n {
                return text;
            }
        }
        unreachable!()
    });
    let sse_reader = tokio::spawn(async move {
        let mut last = String::new();
        for _ in 0..n {
            last = sse
                .next()
                .await
                .expect("the reading SSE client stays connected");
        }
        last
    });
    // At 10,000 events a second, a burst the readers can keep up with.
    let started = Instant::now();
    for (i, burst) in events.chunks(1_000).enumerate() {
        publish_many(&nats.url(), burst).await;
        let due = started + Duration::from_millis(100 * (i as u64 + 1));
        tokio::time::sleep_until(due.into()).await;
    }
    let last_ws: Value = serde_json::from_str(
        &tokio::time::timeout(Duration::from_secs(60), reader)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let last_sse: Value = serde_json::from_str(
        &tokio::time::timeout(Duration::from_secs(60), sse_reader)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let want = format!("b{}", n - 1);
    assert_eq!(last_ws["id"], want.as_str());
    assert_eq!(last_sse["id"], want.as_str());
    let (_, list) = get_json(&s, "/tweets?limit=1").await;
    assert_eq!(list[0]["id"], want.as_str(), "the fold kept up");
    eprintln!(
        "{n} events to readers beside two stalled clients in {:?}",
        started.elapsed()
    );
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_ctrl_c_stop_it_cleanly_with_exit_0() {
    let nats = NatsServer::start();
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut s = Serve::start(&nats.url());
        let mut sse = Sse::open(&s).await;
        let mut ws = ws_connect(&s).await;
        post_tweet(&s, "hello", "ann").await;
        sse.next().await.unwrap();
        ws_next_text(&mut ws).await;
        let started = Instant::now();
        let status = s.stop_with(signal);
        assert_eq!(status.code(), Some(0), "signal {signal}: {}", s.log());
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "live clients do not hold it up"
        );
        assert_eq!(sse.next().await, None, "the event stream ends");
        assert!(s.log().contains("stopped"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_an_origin_is_allowed() {
    let nats = NatsServer::start();
    let closed = Serve::start(&nats.url());
    let open = Serve::start_with(&nats.url(), &["--allow-origin", "http://app.example:3000"]);
    let client = http();
    let res = client
        .get(closed.url("/tweets"))
        .header("Origin", "http://app.example:3000")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = client
        .get(open.url("/tweets"))
        .header("Origin", "http://app.example:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://app.example:3000"
    );
    let res = client
        .get(open.url("/tweets"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let preflight = client
        .request(reqwest::Method::OPTIONS, open.url("/tweets"))
        .header("Origin", "http://app.example:3000")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_address_is_allowed_and_logged() {
    let nats = NatsServer::start();
    let s = Serve::start_on(&nats.url(), "0.0.0.0:0", &[]);
    let (status, _) = get_json(&s, "/tweets").await;
    assert_eq!(status, 200);
    assert!(
        s.log().contains("reachable from other machines"),
        "{}",
        s.log()
    );
    let quiet = Serve::start(&nats.url());
    assert!(!quiet.log().contains("reachable from other machines"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_built_in_and_sends_a_strict_policy() {
    let nats = NatsServer::start();
    let s = Serve::start(&nats.url());
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/web");
    for (path, file, kind) in [
        ("/", "index.html", "text/html"),
        ("/app.js", "app.js", "text/javascript"),
        ("/app.css", "app.css", "text/css"),
    ] {
        let res = http().get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        assert!(h["content-type"].to_str().unwrap().starts_with(kind));
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let body = res.text().await.unwrap();
        assert_eq!(body, std::fs::read_to_string(assets.join(file)).unwrap());
        // Works offline: nothing fetched from elsewhere.
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{file}"
        );
    }
}

/// Tweets that would run script or add markup if shown as HTML.
const HTML_ATTACKS: [(&str, &str); 5] = [
    (
        "html-img",
        r#"<img src=x onerror="window.PWNED='img'"> IMG-MARK"#,
    ),
    (
        "html-script",
        "<script>window.PWNED='script'</script> SCRIPT-MARK",
    ),
    (
        "html-svg",
        r#""><svg onload="window.PWNED='svg'"></svg> SVG-MARK"#,
    ),
    (
        "html-link",
        r#"<a href="javascript:window.PWNED='a'">LINK-MARK</a>"#,
    ),
    ("html-entity", "&lt;b&gt;ENTITY-MARK&lt;/b&gt; &amp;"),
];

async fn publish_hostile(url: &str, author: &str, suffix: &str) {
    for (id, message) in HTML_ATTACKS {
        let payload = json!({"messageType": "tweet_created", "id": format!("{id}{suffix}"),
            "message": message, "date": "2024-06-01T12:00:00Z", "author": author});
        publish_raw(
            url,
            "TWITTERCLONE.tweet_created",
            payload.to_string().as_bytes(),
        )
        .await;
    }
}

/// Checks the page shows every hostile tweet as its literal text, with no
/// element made from it and no script run.
async fn assert_shown_as_text(page: &common::browser::Browser, suffix: &str) {
    for (id, message) in HTML_ATTACKS {
        let id = format!("{id}{suffix}");
        let find = format!(
            "const li = [...document.querySelectorAll('#feed li')].find(l => l.dataset.id === {});",
            json!(id)
        );
        page.until(
            &format!("tweet {id} shown"),
            &format!("{find} return !!li;"),
            Duration::from_secs(10),
        )
        .await;
        let shown = page
            .js(
                &format!("{find} const t = li.querySelector('.text'); return [t.textContent, t.childElementCount];"),
                vec![],
            )
            .await;
        assert_eq!(shown[0], message, "{id}: the text as written");
        assert_eq!(shown[1], 0, "{id}: no element from tweet text");
    }
    let pwned = page
        .js(
            "return window.PWNED === undefined ? null : String(window.PWNED);",
            vec![],
        )
        .await;
    assert_eq!(pwned, Value::Null, "script from a tweet ran");
    let made = page
        .js(
            "return document.querySelectorAll('#feed img, #feed script, #feed svg, #feed a, #feed iframe').length;",
            vec![],
        )
        .await;
    assert_eq!(made, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_a_real_browser_is_live_likes_and_keeps_hostile_text_as_text() {
    let nats = NatsServer::start();
    let url = nats.url();
    // History with the repository's hostile corpus and markup attacks.
    Session::open(&bus_config(&url, "setup"), None)
        .await
        .unwrap()
        .close()
        .await;
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut expected = Vec::new();
    for entry in std::fs::read_dir(corpus).unwrap() {
        let payload = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(e) = jetfeed::wire::decode("TWITTERCLONE.tweet_created", &payload)
            && e.kind == EventKind::TweetCreated
        {
            expected.push((e.id, e.message));
        }
        publish_raw(&url, "TWITTERCLONE.tweet_created", &payload).await;
    }
    assert!(expected.len() > 15, "{expected:?}");
    publish_hostile(&url, "<b>mallory</b>", "").await;

    let s = Serve::start(&url);
    let mut tui = common::Client::start(&url, "tui").await;
    let page = common::browser::Browser::start().await;
    page.client.goto(&s.base).await.unwrap();
    page.until(
        "live",
        "return document.getElementById('status').textContent === 'live';",
        Duration::from_secs(15),
    )
    .await;
    assert_shown_as_text(&page, "").await;
    let author = page
        .js("return [...document.querySelectorAll('#feed .author')].map(a => a.textContent).includes('<b>mallory</b>');", vec![])
        .await;
    assert_eq!(author, true, "the author's name as text");
    // Each tweet of the corpus shows exactly the text served for it.
    let shown = page
        .js(
            "return [...document.querySelectorAll('#feed li')].map(l => [l.dataset.id, l.querySelector('.text').textContent]);",
            vec![],
        )
        .await;
    let shown: Vec<(String, String)> = serde_json::from_value(shown).unwrap();
    for (id, message) in &expected {
        let on_page = shown.iter().find(|(i, _)| i == id).map(|(_, t)| t);
        assert_eq!(on_page, Some(message), "corpus tweet {id:?}");
    }

    // Live: hostile tweets stored now, and a tweet from the CLI.
    publish_hostile(&url, "mallory", "-live").await;
    assert_shown_as_text(&page, "-live").await;
    let dir = tempfile::tempdir().unwrap();
    let id = cli_post(&url, dir.path(), "ann", "live from the CLI\nsecond line");
    let newest = page
        .until(
            "the CLI's tweet at the top",
            "const li = document.querySelector('#feed li'); return li && li.dataset.id;",
            Duration::from_secs(10),
        )
        .await;
    let newest = if newest == json!(id) {
        newest
    } else {
        page.until(
            "the CLI's tweet at the top",
            &format!("const li = document.querySelector('#feed li'); return li && li.dataset.id === '{id}' && li.dataset.id;"),
            Duration::from_secs(10),
        )
        .await
    };
    assert_eq!(newest, json!(id));

    // The like button: anonymous, then as a named user, then taken back;
    // the count changes on the page and in a terminal's feed alike.
    let like_count = format!(
        "[...document.querySelectorAll('#feed li')].find(l => l.dataset.id === '{id}').querySelector('.like').dataset.likes"
    );
    let click = format!(
        "[...document.querySelectorAll('#feed li')].find(l => l.dataset.id === '{id}').querySelector('.like').click();"
    );
    assert_eq!(page.js(&format!("return {like_count};"), vec![]).await, "0");
    for (name, want) in [("", 1), ("carol", 2), ("carol", 1)] {
        page.js(
            "document.getElementById('author').value = arguments[0];",
            vec![json!(name)],
        )
        .await;
        page.js(&click, vec![]).await;
        page.until(
            &format!("{want} likes on the page"),
            &format!("return ({like_count}) === '{want}';"),
            Duration::from_secs(10),
        )
        .await;
        let id = id.clone();
        tui.until(&format!("{want} likes in the terminal"), move |app| {
            app.feed.get(&id).map(|t| t.likes()) == Some(want)
        })
        .await;
    }

    // The compose box posts; the terminal sees the tweet.
    page.js(
        "document.getElementById('author').value = 'dora';\
         document.getElementById('message').value = 'typed in the browser';\
         document.getElementById('post').click();",
        vec![],
    )
    .await;
    page.until(
        "the page's own tweet shown",
        "return document.querySelector('#feed li .text').textContent === 'typed in the browser';",
        Duration::from_secs(10),
    )
    .await;
    tui.until("the browser's tweet in the terminal", |app| {
        app.feed
            .newest(0)
            .is_some_and(|t| t.text == "typed in the browser" && t.author == "dora")
    })
    .await;
    // A rejected post shows the server's reason, as text.
    page.js(
        "document.getElementById('message').value = 'x'.repeat(281);\
         document.getElementById('post').click();",
        vec![],
    )
    .await;
    page.until(
        "the error shown",
        "return document.getElementById('error').textContent.includes('281');",
        Duration::from_secs(10),
    )
    .await;
    // The longest name there may be, unbroken, stays inside its card.
    let long = "W".repeat(64);
    cli_post(&url, dir.path(), &long, "a tweet by a long name");
    page.until(
        "the long name shown",
        &format!("return document.querySelector('#feed li .author').textContent === '{long}';"),
        Duration::from_secs(10),
    )
    .await;
    let overflow = page
        .js(
            "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];",
            vec![],
        )
        .await;
    assert!(
        overflow[0].as_u64() <= overflow[1].as_u64(),
        "the page scrolls sideways: {overflow}"
    );
    page.close().await;
    tui.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_written_for_the_go_service_works_unchanged_from_static() {
    let nats = NatsServer::start();
    let url = nats.url();
    // The page names localhost:8080; it is served on a free port instead,
    // the only change made to it.
    let port = common::free_port();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-page");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("public/js")).unwrap();
    for file in ["index.html", "public/js/app.js"] {
        let text = std::fs::read_to_string(fixture.join(file))
            .unwrap()
            .replace("localhost:8080", &format!("localhost:{port}"));
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let s = Serve::start_on(
        &url,
        &format!("127.0.0.1:{port}"),
        &["--static", dir.path().to_str().unwrap()],
    );
    let client = http();
    let res = client.get(s.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Twitter clone"));
    let res = client.get(s.url("/public/js/app.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .get(s.url("/public/js/none.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    let res = client.get(s.url("/../Cargo.toml")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let old = post_tweet(&s, "posted before the page opened", "ann").await;

    let page = common::browser::Browser::start().await;
    page.client
        .goto(&format!("http://localhost:{port}/"))
        .await
        .unwrap();
    page.until(
        "the existing tweet listed",
        &format!(
            "return !!document.getElementById('tweet-{}');",
            old["id"].as_str().unwrap()
        ),
        Duration::from_secs(15),
    )
    .await;
    // Its websocket is open once an event arrives through it.
    let dir2 = tempfile::tempdir().unwrap();
    let id = cli_post(&url, dir2.path(), "bob", "from the CLI to the Go page");
    page.until(
        "the CLI's tweet arrives over the websocket",
        &format!("return !!document.getElementById('tweet-{id}');"),
        Duration::from_secs(15),
    )
    .await;
    let event = page.js("return window.events[0];", vec![]).await;
    assert_eq!(event["messageType"], "tweet_created");
    assert_eq!(event["author"], "bob");
    // Its like button: POST with a JSON type and no body, then the count
    // moves with the event it brings back.
    page.js(
        &format!("document.querySelector('#tweet-{id} .like').click();"),
        vec![],
    )
    .await;
    page.until(
        "the like counted",
        &format!("return document.querySelector('#tweet-{id} .likes').textContent === '1';"),
        Duration::from_secs(15),
    )
    .await;
    let (_, one) = get_json(&s, &format!("/tweets/{id}")).await;
    assert_eq!(one["likes"], 1);
    // Its form posts, and reads the returned object.
    page.js(
        "document.getElementById('author').value = 'gopher';\
         document.getElementById('message').value = 'from the Go page';\
         document.querySelector('#new-tweet button').click();",
        vec![],
    )
    .await;
    let posted = page
        .until(
            "the post answered",
            "return window.lastPosted;",
            Duration::from_secs(15),
        )
        .await;
    let (status, one) = get_json(&s, &format!("/tweets/{}", posted.as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(one["message"], "from the Go page");
    page.close().await;
}
