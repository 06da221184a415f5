//! The end-to-end benchmark: jetfeed against a bare async-nats client doing
//! only the transport work, side by side, on one real nats-server.
//!
//! `cargo bench --bench e2e -- [--events N] [--json] [--quick] [--only PARTS]`
//!
//! `--quick` skips the million-tweet sizes (to keep the command working in CI).
//! `--only history,publish` runs only those parts (see `SECTIONS`).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use jetfeed::app::{App, Cmd, Ids, Msg, Outgoing, update};
use jetfeed::bus::{self, Session};
use jetfeed::tui::{self, RunOptions};
use jetfeed::wire::{Event, EventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use common::serve::Serve;
use common::{Hooked, NatsServer, bus_config, follow, load_history, new_app, publish_many};

/// Rounds of each side-by-side throughput measurement; medians are quoted.
const ROUNDS: usize = 3;
const STREAM: &str = "TWITTERCLONE";

struct Args {
    events: usize,
    json: bool,
    quick: bool,
    only: Option<Vec<String>>,
}

fn args() -> Args {
    let mut a = Args {
        events: 100_000,
        json: false,
        quick: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--events" => a.events = it.next().and_then(|n| n.parse().ok()).expect("--events N"),
            "--json" => a.json = true,
            "--quick" => a.quick = true,
            "--only" => {
                let parts: Vec<String> = it
                    .next()
                    .expect("--only SECTION[,SECTION...]")
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                for p in &parts {
                    assert!(
                        SECTIONS.contains(&p.as_str()),
                        "--only: {p}? one of {SECTIONS:?}"
                    );
                }
                a.only = Some(parts);
            }
            _ => {} // cargo passes --bench
        }
    }
    a
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// A deterministic mix: one tweet in four events, the rest likes of recent
/// tweets by 50 users, one in seven anonymous, now and then an unlike.
fn mix(n: usize, prefix: &str) -> Vec<Event> {
    let date: DateTime<Utc> = Utc::now();
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut tweets = 0usize;
    (0..n)
        .map(|i| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if i % 4 == 0 || tweets == 0 {
                tweets += 1;
                return Event {
                    kind: EventKind::TweetCreated,
                    id: format!("{prefix}{}", tweets - 1),
                    message: format!("tweet number {tweets}: a line of text about as long as people write, with a few words more"),
                    date: date.fixed_offset(),
                    author: format!("user{}", rng % 50),
                };
            }
            let target = tweets - 1 - (rng as usize >> 8) % tweets.min(200);
            let (kind, author) = match rng % 14 {
                0 | 1 => (EventKind::TweetLiked, String::new()),
                2 => (EventKind::TweetUnliked, format!("user{}", (rng >> 4) % 50)),
                _ => (EventKind::TweetLiked, format!("user{}", (rng >> 4) % 50)),
            };
            Event { kind, id: format!("{prefix}{target}"), message: String::new(), date: date.fixed_offset(), author }
        })
        .collect()
}

async fn stream_handle(url: &str) -> async_nats::jetstream::stream::Stream {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    js.get_stream(STREAM).await.unwrap()
}

// ---------------------------------------------------------------- history

/// Batch sizes the bare side is tried with; it runs with its fastest.
const BARE_BATCHES: &[usize] = &[256, 500, 1024, 2048, 4096];

/// Runs `run` once with each batch size (and 0, when `zero`): the fastest.
async fn best_batch<F, Fut>(zero: bool, mut run: F) -> usize
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    let mut best = (0.0, BARE_BATCHES[0]);
    let zero = zero.then_some(0);
    for &b in zero.iter().chain(BARE_BATCHES) {
        let eps = run(b).await;
        if eps > best.0 {
            best = (eps, b);
        }
    }
    best.1
}

/// Runs each side once, the side that goes first moving one place each
/// round: no side always reads a cache another has just warmed, nor always
/// runs after the others. With two sides, the bare one goes first in even
/// rounds and second in odd ones.
fn in_turn<const N: usize>(round: usize, sides: [&mut dyn FnMut() -> f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    for k in 0..N {
        let i = (round + k) % N;
        out[i] = sides[i]();
    }
    out
}

/// The CPU time this process and the server had used at one moment.
#[derive(Clone, Copy)]
struct CpuMark {
    server: i32,
    client: f64,
    srv: f64,
}

impl CpuMark {
    fn now(server: i32) -> CpuMark {
        CpuMark {
            server,
            client: cpu_seconds(std::process::id() as i32),
            srv: cpu_seconds(server),
        }
    }
}

/// CPU time spent per event while one side ran, in microseconds: by this
/// process (the side's client) and by the server. On a machine with few
/// cores the race is decided by their sum, not by either alone. Read from
/// `/proc` in clock ticks (10 ms): coarse for a side that runs for less
/// than a second or so (CI's small run shows whole ticks).
#[derive(Default)]
struct CpuPerEvent {
    client: Vec<f64>,
    server: Vec<f64>,
}

impl CpuPerEvent {
    /// Runs `side`, which handles `n` events, noting the CPU it and the
    /// server used.
    fn measure(&mut self, server: i32, n: usize, side: impl FnOnce() -> f64) -> f64 {
        let since = CpuMark::now(server);
        let result = side();
        self.note(since, n);
        result
    }

    /// Notes the CPU used since `since`, for `n` events.
    fn note(&mut self, since: CpuMark, n: usize) {
        let now = CpuMark::now(since.server);
        let per = |t0: f64, t1: f64| (t1 - t0) * 1e6 / n as f64;
        self.client.push(per(since.client, now.client));
        self.server.push(per(since.srv, now.srv));
    }

    /// The medians, as a JSON object.
    fn report(self) -> serde_json::Value {
        json!({ "client": median(self.client), "server": median(self.server) })
    }
}

/// An event as the Go service reads one: its five fields, by serde_json,
/// the date parsed (Go's `time.Time`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct GoEvent {
    message_type: String,
    id: String,
    message: String,
    date: DateTime<chrono::FixedOffset>,
    author: String,
}

/// Takes `n` messages from a consumer's stream, doing nothing with them,
/// or (`decode`) reading each payload as the Go service does.
async fn drain<E: std::fmt::Debug>(
    mut messages: impl futures::Stream<Item = Result<async_nats::jetstream::Message, E>> + Unpin,
    n: usize,
    decode: bool,
) {
    for _ in 0..n {
        let msg = messages.next().await.unwrap().unwrap();
        if decode {
            std::hint::black_box(serde_json::from_slice::<GoEvent>(&msg.payload).unwrap());
        }
    }
}

/// The bare ordered drain of the whole stream: with `batch` 0 through
/// async-nats's ordered consumer (its batch is fixed at 500), otherwise
/// through one pull consumer that needs no acks, `batch` messages a pull.
async fn raw_ordered(url: &str, n: usize, batch: usize) -> f64 {
    raw_drain(url, n, batch, false).await
}

/// `raw_ordered`, `decode` saying whether each message is read as the Go
/// service reads it.
async fn raw_drain(url: &str, n: usize, batch: usize, decode: bool) -> f64 {
    let stream = stream_handle(url).await;
    let t = Instant::now();
    if batch == 0 {
        let consumer = stream
            .create_consumer(pull::OrderedConfig::default())
            .await
            .unwrap();
        drain(consumer.messages().await.unwrap(), n, decode).await;
    } else {
        let consumer = stream
            .create_consumer(pull::Config {
                ack_policy: AckPolicy::None,
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .unwrap();
        let messages = consumer
            .stream()
            .max_messages_per_batch(batch)
            .messages()
            .await
            .unwrap();
        drain(messages, n, decode).await;
        let _ = stream.delete_consumer(&consumer.cached_info().name).await;
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// jetfeed's history path over the whole stream: chunks read newest first,
/// decoded and sanitized by the bus, folded by the reducer.
async fn jetfeed_history(url: &str, n: usize) -> f64 {
    let session = Session::open(&bus_config(url, "bench"), None)
        .await
        .unwrap();
    let t = Instant::now();
    let (tx, mut rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let span = session.span().await.unwrap();
        let mut before = span.last + 1;
        loop {
            // The first chunk as at start-up, then older ones as on scrolling.
            let size = if before > span.last {
                bus::CHUNK_EVENTS
            } else {
                bus::OLDER_CHUNK_EVENTS
            };
            let chunk = session.load_chunk(span, before, size).await.unwrap();
            let (from, done) = (chunk.from, chunk.at_start);
            tx.send(chunk.into_msg()).await.unwrap();
            if done {
                break;
            }
            before = from;
        }
    });
    let mut app = new_app("bench", "", STREAM);
    while let Some(msg) = rx.recv().await {
        update(&mut app, msg);
    }
    assert!(app.feed.is_complete() && app.feed.last_seq() >= n as u64);
    n as f64 / t.elapsed().as_secs_f64()
}

// ------------------------------------------------------------------- live

async fn raw_durable_ack(url: &str, n: usize, name: &str, batch: usize) -> f64 {
    let stream = stream_handle(url).await;
    let t = Instant::now();
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(name.to_owned()),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(batch)
        .messages()
        .await
        .unwrap();
    for _ in 0..n {
        let m = messages.next().await.unwrap().unwrap();
        m.ack().await.unwrap();
    }
    acked_up_to(url, STREAM, name, n as u64).await;
    n as f64 / t.elapsed().as_secs_f64()
}

/// Waits until the server has the acks of consumer `name` up to `seq`: the
/// end of a live run, for both sides alike.
async fn acked_up_to(url: &str, stream: &str, name: &str, seq: u64) {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let stream = js.get_stream(stream).await.unwrap();
    loop {
        if stream
            .consumer_info(name)
            .await
            .is_ok_and(|i| i.ack_floor.stream_sequence >= seq)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// jetfeed's live path: its durable push consumer (here reading from the
/// stream's start), each delivery decoded, folded by the reducer, acked.
async fn jetfeed_live(url: &str, n: usize, round: usize) -> f64 {
    let cfg = bus_config(url, &format!("live-{round}"));
    let session = Session::open(&cfg, None).await.unwrap();
    let t = Instant::now();
    let (tx, mut rx) = mpsc::channel(256);
    let bus = session.follow_from_start(tx).await.unwrap();
    let mut app = new_app(&cfg.user, "", STREAM);
    while app.feed.last_seq() < n as u64 {
        let msg = rx.recv().await.unwrap();
        for cmd in update(&mut app, msg) {
            bus.execute(cmd);
        }
    }
    acked_up_to(
        url,
        STREAM,
        &jetfeed::bus::consumer_name(&cfg.user),
        n as u64,
    )
    .await;
    let eps = n as f64 / t.elapsed().as_secs_f64();
    bus.shutdown().await;
    eps
}

// ---------------------------------------------------------------- publish

/// Publishes `n` events, `in_flight` PubAcks awaited at once; with `ids`,
/// each with a `Nats-Msg-Id` as jetfeed sends (the server then checks it
/// against its duplicate window). The CPU count in `cpu`, like the clock,
/// starts once connected with the events made, as jetfeed's does.
async fn raw_publish(
    url: &str,
    n: usize,
    in_flight: usize,
    ids: bool,
    cpu: Option<(&mut CpuPerEvent, i32)>,
) -> f64 {
    use async_nats::jetstream::message::PublishMessage;
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let events = mix(n, "rawpub");
    // Made as jetfeed makes its own: a seed drawn once, then a counter.
    let mut msg_ids = Ids::new(uuid::Uuid::new_v4().as_u128());
    let since = cpu.as_ref().map(|(_, server)| CpuMark::now(*server));
    let t = Instant::now();
    for window in events.chunks(in_flight) {
        let mut acks = Vec::with_capacity(window.len());
        for e in window {
            let mut m = PublishMessage::build().payload(e.encode().into());
            if ids {
                m = m.message_id(msg_ids.next_id());
            }
            acks.push(js.send_publish(e.subject(STREAM), m).await.unwrap());
        }
        for a in acks {
            a.await.unwrap();
        }
    }
    let eps = n as f64 / t.elapsed().as_secs_f64();
    if let (Some((cpu, _)), Some(since)) = (cpu, since) {
        cpu.note(since, n);
    }
    eps
}

/// jetfeed's publish path: events handed to the bus as the reducer's
/// `Cmd::Publish`, each with its `Nats-Msg-Id`, done when its
/// `Msg::Published` is back. A user posts once the feed is on screen, so
/// the clock (and the CPU count in `cpu`) starts after the start-up
/// history has loaded: that load is measured by `history` and `startup`.
/// The user's own consumer delivers the new events back meanwhile, as in
/// the app; nothing acks them here, so it stops at its `max_ack_pending`.
async fn jetfeed_publish(
    url: &str,
    n: usize,
    round: usize,
    cpu: &mut CpuPerEvent,
    server: i32,
) -> f64 {
    let (tx, mut rx) = mpsc::channel(1024);
    let bus = follow(&bus_config(url, &format!("pub-{round}")), tx).await;
    while !matches!(rx.recv().await.unwrap(), Msg::HistoryLoaded) {}
    let events = mix(n, &format!("pub{round}-"));
    let mut msg_ids = Ids::new(uuid::Uuid::new_v4().as_u128());
    let since = CpuMark::now(server);
    let t = Instant::now();
    for e in events {
        let msg_id = msg_ids.next_id();
        bus.execute(Cmd::Publish(Outgoing { msg_id, event: e }));
    }
    let mut done = 0;
    while done < n {
        if let Msg::Published(settled) = rx.recv().await.unwrap() {
            for s in settled {
                s.result.unwrap();
                done += 1;
            }
        }
    }
    let eps = n as f64 / t.elapsed().as_secs_f64();
    cpu.note(since, n);
    bus.shutdown().await;
    eps
}

// ---------------------------------------------------------------- serve

/// `POST /tweets` from `connections` concurrent clients, `n` in all, against
/// a running `jetfeed serve`: requests per second and the p99 latency (ms).
/// The clients are plain keep-alive HTTP/1.1 connections written by hand, so
/// that the load generator spends as little of the machine as it can.
async fn serve_post(base: &str, n: usize, connections: usize) -> (f64, f64) {
    let addr = base.trim_start_matches("http://").to_owned();
    load(&addr, n, connections, "200", |w| {
        let body =
            format!(r#"{{"message":"a small tweet from the load generator","author":"load{w}"}}"#);
        format!(
            "POST /tweets HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await
}

/// The same load on a path `serve` does not have: what HTTP alone costs on
/// this machine, with no NATS in it (requests per second).
async fn serve_http_only(base: &str, n: usize, connections: usize) -> f64 {
    let addr = base.trim_start_matches("http://").to_owned();
    load(&addr, n, connections, "404", |_| {
        format!("GET /no/such/path HTTP/1.1\r\nHost: {addr}\r\n\r\n")
    })
    .await
    .0
}

/// `n` requests from `connections` keep-alive connections, each request
/// made by `request(connection)` and answered with `status`.
async fn load(
    addr: &str,
    n: usize,
    connections: usize,
    status: &'static str,
    request: impl Fn(usize) -> String,
) -> (f64, f64) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|w| {
            let (addr, next, request) = (addr.to_owned(), next.clone(), request(w));
            tokio::spawn(async move {
                let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
                conn.set_nodelay(true).unwrap();
                let mut took = Vec::new();
                let mut buf = Vec::with_capacity(4096);
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                    let started = Instant::now();
                    conn.write_all(request.as_bytes()).await.unwrap();
                    read_response(&mut conn, &mut buf, status).await;
                    took.push(started.elapsed().as_secs_f64() * 1e3);
                }
                took
            })
        })
        .collect();
    let mut took = Vec::with_capacity(n);
    for w in workers {
        took.extend(w.await.unwrap());
    }
    let rps = n as f64 / t.elapsed().as_secs_f64();
    (rps, percentile(took, 0.99))
}

/// Reads one HTTP/1.1 response with a Content-Length and checks its status.
async fn read_response(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, status: &str) {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])
                .unwrap()
                .to_ascii_lowercase();
            assert!(head.starts_with(&format!("http/1.1 {status}")), "{head}");
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .expect("a Content-Length");
            while buf.len() < end + 4 + len {
                let got = conn.read(&mut chunk).await.unwrap();
                assert!(got > 0, "connection closed");
                buf.extend_from_slice(&chunk[..got]);
            }
            return;
        }
        let got = conn.read(&mut chunk).await.unwrap();
        assert!(got > 0, "connection closed");
        buf.extend_from_slice(&chunk[..got]);
    }
}

/// `GET /tweets` (50 newest, the default) one after another: the median (ms).
async fn serve_get(base: &str, samples: usize) -> f64 {
    let client = reqwest::Client::new();
    let url = format!("{base}/tweets");
    let mut took = Vec::with_capacity(samples);
    for i in 0..samples + 20 {
        let started = Instant::now();
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        if i >= 20 {
            took.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    median(took)
}

/// A page's live feed (`/events`) through a burst of `rate` likes a second
/// on one tweet for `secs` seconds: whether it got every event, and the
/// server's resident memory (MiB) after the first second and at the end.
async fn serve_burst(
    url: &str,
    base: &str,
    pid: i32,
    rate: usize,
    secs: usize,
) -> (bool, f64, f64) {
    let client = reqwest::Client::new();
    let tweet: serde_json::Value = client
        .post(format!("{base}/tweets"))
        .json(&json!({"message": "the burst's target", "author": "ann"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = tweet["id"].as_str().unwrap().to_owned();
    let mut events = client.get(format!("{base}/events")).send().await.unwrap();
    let total = rate * secs;
    let page = tokio::spawn(async move {
        let (mut got, mut buf) = (0, String::new());
        while got < total {
            let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await;
            let Ok(Ok(Some(chunk))) = chunk else { break };
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                got += usize::from(buf[..end].contains("data:"));
                buf.drain(..end + 2);
            }
        }
        got
    });
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let now = Utc::now().fixed_offset();
    let started = Instant::now();
    let mut warm = 0.0;
    for second in 0..secs {
        // Acks awaited a window at a time: async-nats holds only so many.
        for window in (0..rate)
            .collect::<Vec<_>>()
            .chunks(bus::MAX_PUBLISHES_IN_FLIGHT)
        {
            let mut acks = Vec::with_capacity(window.len());
            for i in window {
                let like = Event {
                    kind: EventKind::TweetLiked,
                    id: id.clone(),
                    message: String::new(),
                    date: now,
                    author: format!("fan{}", i % 50),
                };
                acks.push(
                    js.publish(like.subject(STREAM), like.encode().into())
                        .await
                        .unwrap(),
                );
            }
            for a in acks {
                a.await.unwrap();
            }
        }
        tokio::time::sleep_until((started + Duration::from_secs(second as u64 + 1)).into()).await;
        if second == 0 {
            warm = rss_mib(pid);
        }
    }
    let got = page.await.unwrap();
    (got == total, warm, rss_mib(pid))
}

/// A process's resident memory, from /proc.
fn rss_mib(pid: i32) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// The most resident memory a process has had, from /proc.
fn peak_rss_mib(pid: i32) -> f64 {
    status_mib(pid, "VmHWM:")
}

/// A figure of /proc/PID/status given in kB, in MiB.
fn status_mib(pid: i32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

// ---------------------------------------------------------------- latency

/// A test terminal that counts frames and notes when each `lat-N` tweet
/// first reaches one.
fn probe(
    seen: Arc<Mutex<HashMap<u32, Instant>>>,
    frames: Arc<std::sync::atomic::AtomicUsize>,
) -> Hooked<impl FnMut(&TestBackend) + Send + use<>> {
    Hooked {
        inner: TestBackend::new(120, 40),
        on_flush: move |backend: &TestBackend| {
            frames.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let now = Instant::now();
            let buf = backend.buffer();
            let area = buf.area;
            let mut seen = seen.lock().unwrap();
            for y in 0..area.height {
                let row: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
                for part in row.split("lat-").skip(1) {
                    let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                    if let Ok(k) = digits.parse() {
                        seen.entry(k).or_insert(now);
                    }
                }
            }
        },
    }
}

/// A viewer: jetfeed's real bus and run loop as `user`, drawing into a
/// probe. Send it `Msg::Quit` to end it; the task returns its final state.
async fn spawn_viewer(
    url: &str,
    user: &str,
    seen: Arc<Mutex<HashMap<u32, Instant>>>,
    frames: Arc<std::sync::atomic::AtomicUsize>,
) -> (mpsc::UnboundedSender<Msg>, tokio::task::JoinHandle<App>) {
    let (vtx, vrx) = mpsc::channel(256);
    let viewer = follow(&bus_config(url, user), vtx).await;
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let probe = probe(seen, frames);
    let user = user.to_owned();
    let task = tokio::spawn(async move {
        let mut terminal = Terminal::new(probe).unwrap();
        let mut app = new_app(&user, "", STREAM);
        update(&mut app, Msg::Resize(120, 40));
        tui::run(
            &mut terminal,
            &mut app,
            in_rx,
            vrx,
            &viewer,
            RunOptions::default(),
        )
        .await
        .unwrap();
        viewer.shutdown().await;
        app
    });
    (in_tx, task)
}

/// Tweets sent before the measured ones: the first publish of a connection
/// and the first frames of a viewer cost once what no later tweet does
/// (10.9 ms for the second tweet of a run at a million events, where the
/// rest took 1.4 ms at the median), and the percentiles are of the steady
/// state.
const LATENCY_WARM_UP: u32 = 10;

/// From a publish in one client to the tweet in the rendered frame of
/// another, with 1,000 likes a second of background traffic.
async fn latency(url: &str, samples: u32) -> (f64, f64) {
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let (in_tx, view_task) = spawn_viewer(url, "viewer", seen.clone(), Default::default()).await;
    // Background: likes at 1,000 a second.
    let bg_url = url.to_owned();
    let background = tokio::spawn(async move {
        let js = async_nats::jetstream::new(async_nats::connect(bg_url).await.unwrap());
        let like = Event {
            kind: EventKind::TweetLiked,
            id: "bench-0".into(),
            message: String::new(),
            date: Utc::now().fixed_offset(),
            author: String::new(),
        };
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        loop {
            tick.tick().await;
            let mut acks = Vec::new();
            for _ in 0..10 {
                acks.push(
                    js.publish(like.subject(STREAM), like.encode().into())
                        .await
                        .unwrap(),
                );
            }
            for a in acks {
                let _ = a.await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ptx, mut prx) = mpsc::channel(256);
    let poster = follow(&bus_config(url, "poster"), ptx).await;
    tokio::spawn(async move { while prx.recv().await.is_some() {} });
    let mut sent = HashMap::new();
    for k in 0..LATENCY_WARM_UP + samples {
        let event = Event {
            kind: EventKind::TweetCreated,
            id: uuid::Uuid::new_v4().to_string(),
            message: format!("lat-{k} measuring"),
            date: Utc::now().fixed_offset(),
            author: "poster".into(),
        };
        sent.insert(k, Instant::now());
        poster.execute(Cmd::Publish(Outgoing {
            msg_id: event.id.clone(),
            event,
        }));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    background.abort();
    let _ = in_tx.send(Msg::Quit);
    let _ = view_task.await;
    poster.shutdown().await;
    let seen = seen.lock().unwrap();
    assert!(
        (0..LATENCY_WARM_UP).all(|k| seen.contains_key(&k)),
        "every warm-up tweet reached the screen"
    );
    let lat: Vec<f64> = sent
        .iter()
        .filter(|(k, _)| **k >= LATENCY_WARM_UP)
        .filter_map(|(k, t0)| seen.get(k).map(|t| (*t - *t0).as_secs_f64() * 1e3))
        .collect();
    assert_eq!(
        lat.len(),
        samples as usize,
        "every tweet reached the screen"
    );
    (percentile(lat.clone(), 0.5), percentile(lat, 0.99))
}

// ------------------------------------------------------------- like burst

/// One tweet liked 10,000 times a second for two seconds while a viewer
/// watches it: how many likes it applied and how many frames it drew.
async fn like_burst(url: &str) -> (f64, f64) {
    let frames = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let poster = bus_config(url, "burster");
    let id = jetfeed::headless::post(&poster, "liked ten thousand times a second")
        .await
        .unwrap();
    let (in_tx, view_task) =
        spawn_viewer(url, "burst-viewer", Default::default(), frames.clone()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let start_frames = frames.load(std::sync::atomic::Ordering::Relaxed);
    let t = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0u64;
    while t.elapsed() < Duration::from_secs(2) {
        tick.tick().await;
        let mut acks = Vec::with_capacity(100);
        for _ in 0..100 {
            let like = Event {
                kind: EventKind::TweetLiked,
                id: id.clone(),
                message: String::new(),
                date: Utc::now().fixed_offset(),
                author: String::new(),
            };
            acks.push(
                js.publish(like.subject(STREAM), like.encode().into())
                    .await
                    .unwrap(),
            );
            sent += 1;
        }
        for a in acks {
            a.await.unwrap();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let drawn = frames.load(std::sync::atomic::Ordering::Relaxed) - start_frames;
    let _ = in_tx.send(Msg::Quit);
    let likes = view_task
        .await
        .unwrap()
        .feed
        .get(&id)
        .map_or(0, |t| t.likes());
    assert_eq!(likes, sent, "every like applied");
    (sent as f64 / secs, drawn as f64 / secs)
}

// ----------------------------------------------------------------- render

fn render_ms(tweets: usize) -> f64 {
    render_with(tweets, None)
}

/// `render_ms` with a search standing that one tweet in a hundred matches.
fn render_search_ms(tweets: usize) -> f64 {
    render_with(tweets, Some("x7"))
}

fn render_with(tweets: usize, query: Option<&str>) -> f64 {
    let mut app = new_app("me", "nats://127.0.0.1:4222", STREAM);
    update(&mut app, Msg::Resize(120, 40));
    let date = Utc::now().fixed_offset();
    let tweets = (0..tweets).map(|i| {
        Ok(Event {
            kind: EventKind::TweetCreated,
            id: format!("t{i}"),
            message: format!(
                "tweet {i}: some words to wrap across the width of the pane, as tweets do{}",
                if i % 100 == 7 { " x7" } else { "" }
            ),
            date,
            author: format!("user{}", i % 50),
        })
    });
    load_history(&mut app, 1, tweets, true);
    let press = |app: &mut App, code| {
        update(app, Msg::Key(crossterm::event::KeyEvent::from(code)));
    };
    press(&mut app, crossterm::event::KeyCode::Tab);
    if let Some(query) = query {
        press(&mut app, crossterm::event::KeyCode::Char('/'));
        for c in query.chars() {
            press(&mut app, crossterm::event::KeyCode::Char(c));
        }
        press(&mut app, crossterm::event::KeyCode::Enter);
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut times = Vec::new();
    for i in 0..105 {
        // Move the selection so every frame has something to draw.
        let key = if i % 2 == 0 { 'j' } else { 'k' };
        update(
            &mut app,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char(key),
            )),
        );
        let t = Instant::now();
        terminal.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
        if i >= 5 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    median(times)
}

// ----------------------------------------------------------------- search

/// From `/` to the result on screen: a search of a stream of `size` events
/// for a word found only in its oldest tweet, through the real bus (older
/// chunks read as the search needs them). Milliseconds.
async fn search_ms(url: &str, stream: &str) -> f64 {
    let cfg = jetfeed::bus::BusConfig {
        stream: stream.to_owned(),
        ..bus_config(url, "searcher")
    };
    let (tx, mut rx) = mpsc::channel(256);
    let bus = follow(&cfg, tx).await;
    let mut app = new_app("searcher", "", stream);
    update(&mut app, Msg::Resize(120, 40));
    let run = |app: &mut App, msg: Msg, bus: &jetfeed::bus::Bus| {
        for cmd in update(app, msg) {
            bus.execute(cmd);
        }
    };
    while app.loading {
        let msg = rx.recv().await.expect("bus open");
        run(&mut app, msg, &bus);
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let started = Instant::now();
    let key = |c| Msg::Key(crossterm::event::KeyEvent::from(c));
    run(&mut app, key(crossterm::event::KeyCode::Tab), &bus);
    run(&mut app, key(crossterm::event::KeyCode::Char('/')), &bus);
    for c in "needle".chars() {
        run(&mut app, key(crossterm::event::KeyCode::Char(c)), &bus);
    }
    let found = |app: &App| {
        app.selected_tweet()
            .is_some_and(|t| t.text.contains("needle"))
    };
    while !found(&app) {
        let msg = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("the search ends")
            .expect("bus open");
        run(&mut app, msg, &bus);
    }
    terminal.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
    let took = started.elapsed().as_secs_f64() * 1e3;
    let shown = format!("{:?}", terminal.backend().buffer());
    assert!(shown.contains("needle"), "the result is on screen");
    bus.shutdown().await;
    took
}

/// The real jetfeed on a pseudo-terminal searches the whole stream for the
/// needle: its peak resident memory (MiB) by the time the needle is shown.
fn search_peak_rss(url: &str, stream: &str) -> f64 {
    let data = tempfile::tempdir().unwrap();
    let mut pty = common::tui(data.path(), url, "bench", &["--stream", stream]);
    pty.wait_for("tweet number");
    pty.type_bytes(b"\t/needle");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !pty.screen().contains("the needle, stored first") {
        assert!(
            Instant::now() < deadline,
            "the search never found it:\n{}",
            pty.screen()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    peak_rss_mib(pty.pid())
}

// ---------------------------------------------------------------- hostile

/// A tweet of a megabyte ("word " 200,000 times) among short ones.
fn megabyte_tweet(id: &str) -> Event {
    Event::tweet(
        id.into(),
        "word ".repeat(200_000),
        "mallory".into(),
        Utc::now(),
    )
}

/// j and k over a feed whose selection passes a megabyte tweet: what one
/// key costs, reducer and frame (median, ms).
fn megabyte_key_ms() -> f64 {
    let mut app = new_app("me", "nats://127.0.0.1:4222", STREAM);
    update(&mut app, Msg::Resize(120, 40));
    let events = (0..20).map(|i| {
        Ok(if i == 10 {
            megabyte_tweet("big")
        } else {
            Event::tweet(
                format!("t{i}"),
                format!("tweet {i}"),
                "ann".into(),
                Utc::now(),
            )
        })
    });
    load_history(&mut app, 1, events, true);
    let press = |app: &mut App, c| {
        update(
            app,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char(c),
            )),
        );
    };
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Tab,
        )),
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut times = Vec::new();
    for i in 0..200 {
        // Down past the big tweet and back up, again and again.
        let key = if (i / 15) % 2 == 0 { 'j' } else { 'k' };
        let t = Instant::now();
        press(&mut app, key);
        terminal.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    median(times)
}

/// CPU time a process has used (utime + stime), in seconds.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends with ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// The real jetfeed left alone for 5 s with a megabyte tweet on screen:
/// its CPU use (% of one core).
fn megabyte_idle_cpu(url: &str, stream: &str) -> f64 {
    let data = tempfile::tempdir().unwrap();
    let pty = common::tui(data.path(), url, "bench", &["--stream", stream]);
    pty.wait_for("word word");
    std::thread::sleep(Duration::from_secs(2));
    let (cpu, wall) = (cpu_seconds(pty.pid()), Instant::now());
    std::thread::sleep(Duration::from_secs(5));
    (cpu_seconds(pty.pid()) - cpu) / wall.elapsed().as_secs_f64() * 100.0
}

/// A stream of `clean` ordinary events, then `fakes` likes of ids that were
/// never tweets and a tenth as many whose ids are 10,000 characters long.
fn flood(clean: usize, fakes: usize) -> Vec<Event> {
    let mut events = mix(clean, "f-");
    let like = |id: String, i: usize| Event {
        kind: EventKind::TweetLiked,
        id,
        message: String::new(),
        date: Utc::now().fixed_offset(),
        author: format!("bot{}", i % 50),
    };
    events.extend((0..fakes).map(|i| like(format!("fake-{i}"), i)));
    events.extend((0..fakes / 10).map(|i| like(format!("{i:0>10000}"), i)));
    events
}

// ---------------------------------------------------------------- startup

/// What one start-up of the real binary measured.
#[derive(Debug, Clone, Copy)]
struct Startup {
    /// Wall time until its first frame with a tweet (ms).
    tweet_ms: f64,
    /// When the loaded feed was first on screen, by its own log (ms).
    feed_ms: f64,
    /// Resident memory then, and the most it had been (MiB).
    rss_mib: f64,
    peak_rss_mib: f64,
}

/// Runs jetfeed on a pseudo-terminal until its first frame with a tweet.
fn startup(url: &str, stream: &str) -> Startup {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jetfeed"));
    cmd.args([
        "--server",
        url,
        "--stream",
        stream,
        "--user",
        "bench",
        "--exit-after-first-frame",
    ]);
    // A private data directory, gone when the measurement is.
    let data = tempfile::tempdir().unwrap();
    cmd.env("JETFEED_DATA_DIR", data.path());
    let (status, out, took) = common::run_in_pty(cmd, 120, 40);
    assert!(status.success(), "jetfeed failed: {status}");
    // The child's own count: rusage would include the pages it shared with
    // this process before exec.
    let out = String::from_utf8_lossy(&out).into_owned();
    let number = |text: &str, after: &str| -> f64 {
        text.split(after)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("jetfeed says {after:?}"))
    };
    let log = std::fs::read_to_string(data.path().join("jetfeed.log")).unwrap_or_default();
    Startup {
        tweet_ms: took.as_secs_f64() * 1e3,
        feed_ms: number(&log, "feed on screen "),
        rss_mib: number(&out, "resident memory ") / 1024.0,
        peak_rss_mib: number(&out, "peak ") / 1024.0,
    }
}

async fn create_stream(url: &str, name: &str) {
    let cfg = jetfeed::bus::BusConfig {
        stream: name.to_owned(),
        ..bus_config(url, "loader")
    };
    Session::open(&cfg, None).await.unwrap().close().await;
}

async fn load_named(url: &str, name: &str, events: &[Event]) {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    for window in events.chunks(1024) {
        let mut acks = Vec::with_capacity(window.len());
        for e in window {
            acks.push(
                js.publish(e.subject(name), e.encode().into())
                    .await
                    .unwrap(),
            );
        }
        for a in acks {
            a.await.unwrap();
        }
    }
}

// ----------------------------------------------------------------- growth

/// The real jetfeed, open on an empty stream while `n` tweets and `n`
/// likes arrive live: its resident memory (MiB) before and once its
/// consumer has acked the last of them.
fn rss_live(url: &str, stream: &str, n: usize) -> (f64, f64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(create_stream(url, stream));
    let data = tempfile::tempdir().unwrap();
    let pty = common::tui(data.path(), url, "bench", &["--stream", stream]);
    pty.wait_for("No tweets yet");
    let before = rss_mib(pty.pid());
    rt.block_on(async {
        let date = Utc::now().fixed_offset();
        // A tweet, then a like of it; loaded a slice at a time.
        let event = |i: usize| Event {
            kind: if i.is_multiple_of(2) {
                EventKind::TweetCreated
            } else {
                EventKind::TweetLiked
            },
            id: format!("g-{}", i / 2),
            message: if i.is_multiple_of(2) {
                format!("tweet number {i}: a line of text about as long as people write")
            } else {
                String::new()
            },
            date,
            author: format!("user{}", i % 50),
        };
        for start in (0..2 * n).step_by(65_536) {
            let slice: Vec<Event> = (start..(start + 65_536).min(2 * n)).map(event).collect();
            load_named(url, stream, &slice).await;
        }
        let durable = jetfeed::bus::consumer_name("bench");
        acked_up_to(url, stream, &durable, 2 * n as u64).await;
    });
    (before, rss_mib(pty.pid()))
}

// ----------------------------------------------------------------- scroll

/// What the real jetfeed's memory was (MiB) on a trip through a stream.
struct Trip {
    /// At the oldest tweet, at the newest again, and the most it had.
    oldest: f64,
    back: f64,
    peak: f64,
}

/// The real jetfeed on a stream of `n` events of `mix`: the user goes from
/// the newest tweet to the oldest (G, again as older ones load) and back
/// (g, once).
fn scroll_trip(url: &str, stream: &str, n: usize) -> Trip {
    let data = tempfile::tempdir().unwrap();
    let mut pty = common::tui(data.path(), url, "bench", &["--stream", stream]);
    let newest = format!("tweet number {}:", n.div_ceil(4));
    pty.wait_for(&newest);
    pty.type_bytes(b"\t");
    let deadline = Instant::now() + Duration::from_secs(600);
    let reach = |pty: &mut common::Pty, text: &str, key: Option<&[u8]>| {
        while !pty.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} never shown:\n{}",
                pty.screen()
            );
            if let Some(key) = key {
                pty.type_bytes(key);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    reach(&mut pty, "tweet number 1:", Some(b"G"));
    let oldest = rss_mib(pty.pid());
    pty.type_bytes(b"g");
    reach(&mut pty, &newest, None);
    Trip {
        oldest,
        back: rss_mib(pty.pid()),
        peak: peak_rss_mib(pty.pid()),
    }
}

// ------------------------------------------------------------------- main

/// The parts of the benchmark, in the order they run; `--only` picks some.
const SECTIONS: &[&str] = &[
    "history", "live", "publish", "serve", "latency", "burst", "render", "search", "startup",
    "growth", "scroll", "hostile",
];

fn main() {
    // The allocator as jetfeed's binary sets it, for both sides.
    jetfeed::memory::tune();
    let args = args();
    let n = args.events;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = NatsServer::start();
    let url = server.url();
    let say = |s: &str| {
        if !args.json {
            eprintln!("{s}");
        }
    };
    let runs = |section: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == section))
    };
    let mut report = serde_json::Map::new();
    report.insert("events".into(), json!(n));

    if runs("history") || runs("live") {
        say(&format!("loading {n} events…"));
        rt.block_on(publish_many(&url, &mix(n, "bench-")));
    } else {
        rt.block_on(create_stream(&url, STREAM));
    }
    if runs("history") {
        say("history: the bare reader's best batch…");
        let batch = rt.block_on(best_batch(true, |b| raw_ordered(&url, n, b)));
        let (mut raw, mut ours, mut decoding) = (Vec::new(), Vec::new(), Vec::new());
        let mut raw_cpu = CpuPerEvent::default();
        let mut our_cpu = CpuPerEvent::default();
        let mut decoding_cpu = CpuPerEvent::default();
        let server_pid = server.pid().expect("the server runs");
        for round in 0..ROUNDS {
            say(&format!("history, round {}…", round + 1));
            let [b, o, d] = in_turn(
                round,
                [
                    &mut || {
                        raw_cpu.measure(server_pid, n, || rt.block_on(raw_ordered(&url, n, batch)))
                    },
                    &mut || {
                        our_cpu.measure(server_pid, n, || rt.block_on(jetfeed_history(&url, n)))
                    },
                    // Beside the target's race: the bare drain reading each
                    // event as the Go service does, the least a client that
                    // uses the events does.
                    &mut || {
                        decoding_cpu.measure(server_pid, n, || {
                            rt.block_on(raw_drain(&url, n, batch, true))
                        })
                    },
                ],
            );
            raw.push(b);
            ours.push(o);
            decoding.push(d);
        }
        report.insert(
            "history_cpu_us".into(),
            json!({
                "bare": raw_cpu.report(),
                "jetfeed": our_cpu.report(),
                "bare_decoding": decoding_cpu.report(),
            }),
        );
        let (rh, h, rd) = (median(raw), median(ours), median(decoding));
        report.insert("raw_ordered_batch".into(), json!(batch));
        report.insert("raw_ordered_eps".into(), json!(rh.round()));
        report.insert("raw_decoding_eps".into(), json!(rd.round()));
        report.insert("history_eps".into(), json!(h.round()));
        report.insert("history_ratio".into(), json!(h / rh));
        report.insert("history_ratio_decoding".into(), json!(h / rd));
    }
    if runs("live") {
        say("live: the bare consumer's best batch…");
        let mut tries = 0;
        let batch = rt.block_on(best_batch(false, |b| {
            tries += 1;
            let url = url.clone();
            async move { raw_durable_ack(&url, n, &format!("try-{tries}"), b).await }
        }));
        let (mut raw, mut ours) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            say(&format!("live, round {}…", round + 1));
            let [b, o] = in_turn(
                round,
                [
                    &mut || rt.block_on(raw_durable_ack(&url, n, &format!("raw-{round}"), batch)),
                    &mut || rt.block_on(jetfeed_live(&url, n, round)),
                ],
            );
            raw.push(b);
            ours.push(o);
        }
        let (rl, l) = (median(raw), median(ours));
        report.insert("raw_durable_ack_batch".into(), json!(batch));
        report.insert("raw_durable_ack_eps".into(), json!(rl.round()));
        report.insert("live_eps".into(), json!(l.round()));
        report.insert("live_ratio".into(), json!(l / rl));
    }
    let n_pub = n.min(20_000);
    let mut raw_pub = Vec::new();
    if runs("publish") || runs("serve") {
        say("publish: the bare publisher's best window…");
        let window = rt.block_on(best_batch(false, |b| {
            raw_publish(&url, n_pub, b, false, None)
        }));
        let mut publ = Vec::new();
        let mut raw_ids = Vec::new();
        let (mut bare_cpu, mut ids_cpu, mut our_cpu) = (
            CpuPerEvent::default(),
            CpuPerEvent::default(),
            CpuPerEvent::default(),
        );
        let server_pid = server.pid().expect("the server runs");
        for round in 0..ROUNDS {
            say(&format!("publish, round {}…", round + 1));
            if runs("publish") {
                let [b, o, i] = in_turn(
                    round,
                    [
                        &mut || {
                            let cpu = Some((&mut bare_cpu, server_pid));
                            rt.block_on(raw_publish(&url, n_pub, window, false, cpu))
                        },
                        &mut || {
                            rt.block_on(jetfeed_publish(
                                &url,
                                n_pub,
                                round,
                                &mut our_cpu,
                                server_pid,
                            ))
                        },
                        &mut || {
                            let cpu = Some((&mut ids_cpu, server_pid));
                            rt.block_on(raw_publish(&url, n_pub, window, true, cpu))
                        },
                    ],
                );
                raw_pub.push(b);
                publ.push(o);
                raw_ids.push(i);
            } else {
                raw_pub.push(rt.block_on(raw_publish(&url, n_pub, window, false, None)));
            }
        }
        report.insert("raw_publish_window".into(), json!(window));
        report.insert(
            "raw_publish_eps".into(),
            json!(median(raw_pub.clone()).round()),
        );
        if runs("publish") {
            report.insert(
                "publish_cpu_us".into(),
                json!({
                    "bare": bare_cpu.report(),
                    "bare_with_ids": ids_cpu.report(),
                    "jetfeed": our_cpu.report(),
                }),
            );
            report.insert(
                "raw_publish_ids_eps".into(),
                json!(median(raw_ids.clone()).round()),
            );
            report.insert(
                "publish_ids_ratio".into(),
                json!(median(publ.clone()) / median(raw_ids)),
            );
            report.insert("publish_eps".into(), json!(median(publ.clone()).round()));
            report.insert(
                "publish_ratio".into(),
                json!(median(publ) / median(raw_pub.clone())),
            );
        }
    }
    if runs("serve") {
        say("serve: POST /tweets from 64 connections…");
        let serve = Serve::start(&url);
        let mut serve_rps = Vec::new();
        let mut serve_p99 = Vec::new();
        let mut http_only = Vec::new();
        for _ in 0..ROUNDS {
            let (rps, p99) = rt.block_on(serve_post(&serve.base, n_pub, 64));
            serve_rps.push(rps);
            serve_p99.push(p99);
            http_only.push(rt.block_on(serve_http_only(&serve.base, n_pub, 64)));
        }
        report.insert(
            "serve_http_only_rps".into(),
            json!(median(http_only.clone()).round()),
        );
        report.insert(
            "serve_http_only_ratio".into(),
            json!(median(http_only) / median(raw_pub.clone())),
        );
        say("serve: a page open through 10,000 likes a second…");
        let (burst_live, burst_rss_warm, burst_rss_end) =
            rt.block_on(serve_burst(&url, &serve.base, serve.pid(), 10_000, 5));
        drop(serve);
        report.insert(
            "serve_post_rps".into(),
            json!(median(serve_rps.clone()).round()),
        );
        report.insert("serve_post_p99_ms".into(), json!(median(serve_p99)));
        report.insert(
            "serve_post_ratio".into(),
            json!(median(serve_rps) / median(raw_pub.clone())),
        );
        report.insert(
            "serve_burst".into(),
            json!({"page_got_every_event": burst_live, "rss_mib_after_1s": burst_rss_warm, "rss_mib_after_5s": burst_rss_end}),
        );
    }
    if runs("latency") {
        say("latency…");
        let (p50, p99) = rt.block_on(latency(&url, 200));
        report.insert("latency_p50_ms".into(), json!(p50));
        report.insert("latency_p99_ms".into(), json!(p99));
    }
    if runs("burst") {
        say("like burst…");
        let (likes, frames) = rt.block_on(like_burst(&url));
        report.insert(
            "like_burst".into(),
            json!({"likes_per_s": likes.round(), "frames_per_s": frames.round()}),
        );
    }
    if runs("render") {
        say("render…");
        let sizes: &[usize] = if args.quick {
            &[100, 10_000]
        } else {
            &[100, 10_000, 1_000_000]
        };
        let render: serde_json::Map<String, serde_json::Value> = sizes
            .iter()
            .map(|&s| (s.to_string(), json!(render_ms(s))))
            .collect();
        let render_search: serde_json::Map<String, serde_json::Value> = sizes
            .iter()
            .map(|&s| (s.to_string(), json!(render_search_ms(s))))
            .collect();
        report.insert("render_ms".into(), render.into());
        report.insert("render_search_ms".into(), render_search.into());
    }
    if runs("search") {
        let size = if args.quick { 20_000 } else { 1_000_000 };
        say(&format!("search of {size} events…"));
        rt.block_on(create_stream(&url, "SEARCH"));
        let mut haystack = vec![Event::tweet(
            "needle-tweet".into(),
            "the needle, stored first".into(),
            "ann".into(),
            Utc::now(),
        )];
        haystack.extend(mix(size - 1, "hay-"));
        rt.block_on(load_named(&url, "SEARCH", &haystack));
        drop(haystack);
        let searches: Vec<f64> = (0..ROUNDS)
            .map(|_| rt.block_on(search_ms(&url, "SEARCH")))
            .collect();
        report.insert(
            "search_ms".into(),
            json!({size.to_string(): median(searches)}),
        );
        say("search in the real terminal UI, its peak memory…");
        report.insert(
            "search_peak_rss_mib".into(),
            json!({size.to_string(): search_peak_rss(&url, "SEARCH")}),
        );
    }
    if runs("startup") {
        let sizes: &[usize] = if args.quick {
            &[10_000]
        } else {
            &[10_000, 1_000_000]
        };
        let mut startup_ms = serde_json::Map::new();
        let mut rss = serde_json::Map::new();
        let mut peak_rss = serde_json::Map::new();
        let mut serve_get_ms = serde_json::Map::new();
        let mut serve_fold_ms = serde_json::Map::new();
        let mut serve_rss = serde_json::Map::new();
        for &size in sizes {
            let name = format!("START{size}");
            say(&format!("start-up with {size} events…"));
            rt.block_on(create_stream(&url, &name));
            rt.block_on(load_named(&url, &name, &mix(size, "s-")));
            let runs: Vec<Startup> = (0..ROUNDS).map(|_| startup(&url, &name)).collect();
            startup_ms.insert(
                size.to_string(),
                json!(median(runs.iter().map(|r| r.tweet_ms).collect())),
            );
            rss.insert(
                size.to_string(),
                json!(median(runs.iter().map(|r| r.rss_mib).collect())),
            );
            peak_rss.insert(
                size.to_string(),
                json!(median(runs.iter().map(|r| r.peak_rss_mib).collect())),
            );
            say(&format!("serve: GET /tweets with {size} events…"));
            let folding = Instant::now();
            let serve = Serve::start_with(&url, &["--stream", &name]);
            serve_fold_ms.insert(
                size.to_string(),
                json!(folding.elapsed().as_secs_f64() * 1e3),
            );
            serve_get_ms.insert(
                size.to_string(),
                json!(rt.block_on(serve_get(&serve.base, 500))),
            );
            serve_rss.insert(size.to_string(), json!(rss_mib(serve.pid())));
        }
        report.insert("startup_ms".into(), startup_ms.into());
        report.insert("rss_mib".into(), rss.into());
        report.insert("peak_rss_mib".into(), peak_rss.into());
        report.insert("serve_get_ms".into(), serve_get_ms.into());
        report.insert("serve_start_ms".into(), serve_fold_ms.into());
        report.insert("serve_rss_mib".into(), serve_rss.into());
    }

    if runs("growth") {
        let live = if args.quick { 10_000 } else { n };
        say(&format!(
            "growth: {live} tweets and {live} likes arrive live…"
        ));
        let (before, after) = rss_live(&url, "GROW", live);
        report.insert(
            "rss_live_mib".into(),
            json!({"tweets": live, "likes": live, "before": before, "after": after}),
        );
    }
    if runs("scroll") {
        let size = if args.quick { 20_000 } else { 1_000_000 };
        say(&format!(
            "scroll: from the newest tweet of {size} events to the oldest and back…"
        ));
        rt.block_on(create_stream(&url, "SCROLL"));
        rt.block_on(load_named(&url, "SCROLL", &mix(size, "s-")));
        let trip = scroll_trip(&url, "SCROLL", size);
        report.insert(
            "rss_after_scroll_mib".into(),
            json!({"events": size, "at_oldest": trip.oldest, "after": trip.back, "peak": trip.peak}),
        );
    }
    if runs("hostile") {
        say("a megabyte tweet: keys, then the real binary idle…");
        report.insert("megabyte_key_ms".into(), json!(megabyte_key_ms()));
        rt.block_on(create_stream(&url, "BIG"));
        let mut big = mix(100, "b-");
        big.push(megabyte_tweet("big"));
        rt.block_on(load_named(&url, "BIG", &big));
        report.insert(
            "megabyte_idle_cpu_pct".into(),
            json!(megabyte_idle_cpu(&url, "BIG")),
        );
        say("start-up: 10,000 events, clean and then flooded with likes of made-up ids…");
        rt.block_on(create_stream(&url, "CLEAN"));
        rt.block_on(load_named(&url, "CLEAN", &mix(10_000, "f-")));
        rt.block_on(create_stream(&url, "FLOOD"));
        // --quick (CI) floods a tenth as much.
        let fakes = if args.quick { 20_000 } else { 200_000 };
        rt.block_on(load_named(&url, "FLOOD", &flood(10_000, fakes)));
        let (mut clean, mut flooded) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            // Alternating which goes first.
            if round.is_multiple_of(2) {
                clean.push(startup(&url, "CLEAN"));
                flooded.push(startup(&url, "FLOOD"));
            } else {
                flooded.push(startup(&url, "FLOOD"));
                clean.push(startup(&url, "CLEAN"));
            }
        }
        let med = |v: &[Startup], f: fn(&Startup) -> f64| median(v.iter().map(f).collect());
        report.insert(
            "flood_startup".into(),
            json!({
                "clean_ms": med(&clean, |r| r.tweet_ms), "flooded_ms": med(&flooded, |r| r.tweet_ms),
                "clean_feed_ms": med(&clean, |r| r.feed_ms), "flooded_feed_ms": med(&flooded, |r| r.feed_ms),
                "clean_rss_mib": med(&clean, |r| r.rss_mib), "flooded_rss_mib": med(&flooded, |r| r.rss_mib),
                "clean_peak_rss_mib": med(&clean, |r| r.peak_rss_mib),
                "flooded_peak_rss_mib": med(&flooded, |r| r.peak_rss_mib),
            }),
        );
    }

    let report = serde_json::Value::Object(report);
    if args.json {
        println!("{report}");
    } else {
        print_table(&report);
    }
}

/// The report as a table; rows of parts not run are left out.
fn print_table(r: &serde_json::Value) {
    let f = |k: &str| r[k].as_f64();
    let row3 = |label: &str, bare: Option<f64>, ours: Option<f64>| {
        if let (Some(b), Some(o)) = (bare, ours) {
            println!("{label:<34} {b:>14.0} {o:>14.0} {:>8.2}", o / b);
        }
    };
    // Memory: what it is beside (a figure before, or nothing), then MiB.
    let mib_row = |label: &str, beside: &str, mib: f64| {
        println!("{label:<34} {beside:>14} {mib:>14.1}");
    };
    let each = |key: &str, line: &mut dyn FnMut(&str, f64)| {
        if let Some(m) = r[key].as_object() {
            for (k, v) in m {
                line(k, v.as_f64().unwrap());
            }
        }
    };
    println!(
        "jetfeed end-to-end benchmark: {} events, medians of {ROUNDS} rounds side by side",
        r["events"]
    );
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        "", "bare client", "jetfeed", "ratio"
    );
    // CPU per event of the measure above: the bare side's (under `bare`)
    // and jetfeed's, for the client and for the server.
    let cpu_rows = |key: &str, bare: &str| {
        let cpu = &r[key];
        for part in ["client", "server"] {
            if let (Some(b), Some(o)) = (cpu[bare][part].as_f64(), cpu["jetfeed"][part].as_f64()) {
                // Under a clock tick a side reads 0: no ratio then.
                let ratio = if b > 0.0 {
                    format!("{:.2}", o / b)
                } else {
                    String::new()
                };
                println!(
                    "{:<34} {b:>14.2} {o:>14.2} {ratio:>8}",
                    format!("  CPU µs per event, {part}"),
                );
            }
        }
    };
    row3("history (events/s)", f("raw_ordered_eps"), f("history_eps"));
    cpu_rows("history_cpu_us", "bare");
    row3(
        "the same, bare decoding as Go does",
        f("raw_decoding_eps"),
        f("history_eps"),
    );
    cpu_rows("history_cpu_us", "bare_decoding");
    row3(
        "live, acked (events/s)",
        f("raw_durable_ack_eps"),
        f("live_eps"),
    );
    row3(
        "publish with PubAck (events/s)",
        f("raw_publish_eps"),
        f("publish_eps"),
    );
    cpu_rows("publish_cpu_us", "bare");
    row3(
        "the same, bare with Nats-Msg-Ids",
        f("raw_publish_ids_eps"),
        f("publish_eps"),
    );
    cpu_rows("publish_cpu_us", "bare_with_ids");
    if let (Some(p50), Some(p99)) = (f("latency_p50_ms"), f("latency_p99_ms")) {
        println!(
            "{:<34} {p50:>14.2} {p99:>14.2}",
            "latency to frame p50 / p99 (ms)"
        );
    }
    if let Some(b) = r["like_burst"].as_object() {
        println!(
            "{:<34} {:>14} {:>14}",
            "like burst: likes/s, frames/s", b["likes_per_s"], b["frames_per_s"]
        );
    }
    each(
        "render_ms",
        &mut (|k, v| {
            println!(
                "{:<34} {v:>14.3}",
                format!("render 120x40, {k} tweets (ms)")
            );
        }),
    );
    each(
        "render_search_ms",
        &mut (|k, v| {
            println!(
                "{:<34} {v:>14.3}",
                format!("render, a search, {k} tweets (ms)")
            );
        }),
    );
    each(
        "search_ms",
        &mut (|k, v| {
            println!("{:<34} {v:>14.0}", format!("search {k} events (ms)"));
        }),
    );
    each(
        "search_peak_rss_mib",
        &mut (|k, v| {
            println!(
                "{:<34} {v:>14.1}",
                format!("search {k} events, peak RSS (MiB)")
            );
        }),
    );
    if let Some(ms) = f("megabyte_key_ms") {
        println!(
            "{:<34} {:>14} {ms:>14.3}",
            "a megabyte tweet: one j/k (ms)", ""
        );
    }
    if let Some(pct) = f("megabyte_idle_cpu_pct") {
        println!(
            "{:<34} {:>14} {pct:>14.2}",
            "a megabyte tweet: idle CPU (%)", ""
        );
    }
    if let Some(g) = r["rss_live_mib"].as_object() {
        let f = |k: &str| g[k].as_f64().unwrap_or(0.0);
        mib_row(
            &format!("RSS after {} tweets + likes live", f("tweets")),
            &format!("{:.1} before", f("before")),
            f("after"),
        );
    }
    if let Some(t) = r["rss_after_scroll_mib"].as_object() {
        let f = |k: &str| t[k].as_f64().unwrap_or(0.0);
        mib_row(
            &format!("RSS, {} events: oldest, back", f("events")),
            &format!("{:.1} oldest", f("at_oldest")),
            f("after"),
        );
        mib_row("the same: peak RSS (MiB)", "", f("peak"));
    }
    if let Some(fl) = r["flood_startup"].as_object() {
        let g = |k: &str| fl[k].as_f64().unwrap();
        println!(
            "{:<34} {:>14.0} {:>14.0} {:>8.2}",
            "feed on screen, clean / flooded (ms)",
            g("clean_feed_ms"),
            g("flooded_feed_ms"),
            g("flooded_feed_ms") / g("clean_feed_ms")
        );
        println!(
            "{:<34} {:>14.0} {:>14.0} {:>8.2}",
            "a tweet on screen, clean / flooded",
            g("clean_ms"),
            g("flooded_ms"),
            g("flooded_ms") / g("clean_ms")
        );
        println!(
            "{:<34} {:>14.1} {:>14.1} {:>8.2}",
            "RSS, clean / flooded (MiB)",
            g("clean_rss_mib"),
            g("flooded_rss_mib"),
            g("flooded_rss_mib") / g("clean_rss_mib")
        );
        println!(
            "{:<34} {:>14.1} {:>14.1} {:>8.2}",
            "peak RSS, clean / flooded (MiB)",
            g("clean_peak_rss_mib"),
            g("flooded_peak_rss_mib"),
            g("flooded_peak_rss_mib") / g("clean_peak_rss_mib")
        );
    }
    row3(
        "serve: POST /tweets, 64 conns (/s)",
        f("raw_publish_eps"),
        f("serve_post_rps"),
    );
    row3(
        "serve: a 404, 64 conns, no NATS (/s)",
        f("raw_publish_eps"),
        f("serve_http_only_rps"),
    );
    if let Some(p99) = f("serve_post_p99_ms") {
        println!(
            "{:<34} {:>14} {p99:>14.2}",
            "serve: POST /tweets p99 (ms)", ""
        );
    }
    if let Some(b) = r["serve_burst"].as_object() {
        let every = b["page_got_every_event"].as_bool() == Some(true);
        println!(
            "{:<34} {:>14} {:>14}",
            "serve: page live, 10k likes/s",
            "",
            if every {
                "every event"
            } else {
                "MISSED EVENTS"
            }
        );
        println!(
            "{:<34} {:>14} {:>14}",
            "serve: RSS after 1 s / 5 s (MiB)",
            "",
            format!(
                "{:.1} / {:.1}",
                b["rss_mib_after_1s"].as_f64().unwrap(),
                b["rss_mib_after_5s"].as_f64().unwrap()
            )
        );
    }
    each(
        "serve_get_ms",
        &mut (|k, v| {
            println!(
                "{:<34} {:>14} {v:>14.3}",
                format!("serve: GET /tweets p50, {k} ev (ms)"),
                ""
            );
            println!(
                "{:<34} {:>14.0} {:>14.1}",
                format!("serve: start (ms) / RSS (MiB), {k}"),
                r["serve_start_ms"][k].as_f64().unwrap(),
                r["serve_rss_mib"][k].as_f64().unwrap()
            );
        }),
    );
    each(
        "startup_ms",
        &mut (|k, v| {
            println!(
                "{:<34} {v:>14.0} {:>14}",
                format!("start-up (ms) / RSS, peak (MiB), {k}"),
                format!(
                    "{:.1}, {:.1}",
                    r["rss_mib"][k].as_f64().unwrap(),
                    r["peak_rss_mib"][k].as_f64().unwrap()
                )
            );
        }),
    );
}
