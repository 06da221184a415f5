//! The soak: several clients post, like and unlike at a steady rate while
//! the server is killed and restarted, paused, and has consumers deleted;
//! then the same on a three-node cluster whose nodes restart in turn. At
//! the end of each half every client's fold must equal a recount of the
//! stream, every event a client was told is stored must be in the stream
//! exactly once, and memory must not grow with time beyond what the folded
//! tweets themselves take.
//!
//! `cargo bench --bench soak -- [--minutes N] [--only one|cluster]` (default
//! 10 minutes, fractions too, both halves).
//!
//! Each client is what the terminal UI runs without its terminal: the
//! app's reducer and bus, driven by key presses (a draft typed and Enter,
//! `j`/`k` and `l` on the feed), so retries, queued likes and consumer
//! recovery are jetfeed's own.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::pull;
use crossterm::event::KeyCode;
use futures::StreamExt;
use jetfeed::app::App;
use jetfeed::bus::BusConfig;
use jetfeed::wire::{Event, EventKind};

use common::{Client, Cluster, NatsServer, bus_config};

const CLIENTS: usize = 4;
/// Actions a second, per client.
const RATE: u64 = 5;
/// Time between two faults.
const FAULT_EVERY: Duration = Duration::from_secs(6);
const STREAM: &str = "TWITTERCLONE";

/// `--minutes N` (default 10) and `--only one|cluster` (default both).
fn args() -> (f64, Option<String>) {
    let mut it = std::env::args().skip(1);
    let (mut m, mut only) = (10.0, None);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--minutes" => m = it.next().and_then(|v| v.parse().ok()).expect("--minutes N"),
            "--only" => only = it.next(),
            _ => {} // cargo passes --bench
        }
    }
    (m, only)
}

/// One client: the tests' headless client (the app's reducer and bus),
/// driven like a person at `RATE` actions a second.
struct Soaker {
    client: Client,
    rng: u64,
    posts: u64,
}

impl Soaker {
    async fn start(cfg: BusConfig, seed: u64) -> Soaker {
        let mut client = Client::start_with(cfg).await;
        client.key(KeyCode::Tab); // to the feed
        Soaker {
            client,
            rng: seed | 1,
            posts: 0,
        }
    }

    fn app(&self) -> &App {
        &self.client.app
    }

    fn key(&mut self, code: KeyCode) {
        self.client.key(code);
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// One action as a person would do it: a tweet, or a like or unlike of
    /// a tweet near the top of the feed.
    fn act(&mut self) {
        let r = self.next();
        if self.retry() {
            return;
        }
        if r % 10 < 3 || self.app().feed.is_empty() {
            if !self.app().draft.text().is_empty() {
                return; // the last tweet is still on its way
            }
            self.posts += 1;
            let text = format!("soak {} {}", self.app().user, self.posts);
            self.key(KeyCode::Tab);
            self.client.type_text(&text);
            self.key(KeyCode::Enter);
            self.key(KeyCode::Tab);
        } else {
            self.key(KeyCode::Char('g'));
            for _ in 0..(r >> 8) % 12 {
                self.key(KeyCode::Char('j'));
            }
            self.key(KeyCode::Char('l'));
        }
    }

    /// A post that failed (the server hung until the PubAck timed out)
    /// leaves the draft with "Enter retries": the user presses Enter again.
    /// Whether it did.
    fn retry(&mut self) -> bool {
        let d = &self.app().draft;
        if d.text().is_empty() || d.is_sending() || d.is_waiting() {
            return false;
        }
        self.key(KeyCode::Tab);
        self.key(KeyCode::Enter);
        self.key(KeyCode::Tab);
        true
    }

    /// Acts at `RATE` a second until `stop`, handling what arrives between.
    async fn run(mut self, stop: Arc<AtomicBool>) -> Soaker {
        while !stop.load(Ordering::Relaxed) {
            self.client.settle(Duration::from_millis(1000 / RATE)).await;
            self.act();
        }
        self
    }

    /// Every tweet's count as this client shows it on a trip from its
    /// newest tweet to the oldest (G, again as older ones load) and back
    /// (g): far tweets are let go from memory and read again when scrolled
    /// to.
    async fn counts_on_a_trip(&mut self) -> HashMap<String, u64> {
        let seen = std::cell::RefCell::new(HashMap::new());
        let note = |app: &App| {
            let mut seen = seen.borrow_mut();
            for t in (0..app.feed.len()).filter_map(|i| app.feed.newest(i)) {
                seen.insert(t.id.clone(), t.likes());
            }
        };
        note(self.app());
        self.client.go_to_oldest(note).await;
        self.client.go_to_newest(note).await;
        seen.into_inner()
    }

    /// Handles what arrives, retrying a failed post, until the draft and
    /// the likes queue are empty and the feed has folded the stream up to
    /// `last`.
    async fn settle(&mut self, last: u64, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        loop {
            let a = self.app();
            if a.feed.last_seq() >= last
                && a.draft.text().is_empty()
                && a.unsent_likes().next().is_none()
            {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.client.settle(Duration::from_millis(500)).await;
            self.retry();
        }
    }
}

/// A bare client on any of the servers in `urls` (comma-separated).
async fn connect(urls: &str) -> async_nats::jetstream::Context {
    let nodes: Vec<async_nats::ServerAddr> = urls.split(',').map(|u| u.parse().unwrap()).collect();
    async_nats::jetstream::new(async_nats::connect(nodes).await.unwrap())
}

/// The stream read whole by a bare client: every event and its message id.
async fn read_stream(url: &str) -> Vec<(u64, Option<String>, Event)> {
    let js = connect(url).await;
    let stream = js.get_stream(STREAM).await.unwrap();
    let last = stream.cached_info().state.last_sequence;
    let consumer = stream
        .create_consumer(pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    while out.last().is_none_or(|(seq, _, _)| *seq < last) {
        let m = messages.next().await.unwrap().unwrap();
        let seq = m.info().unwrap().stream_sequence;
        let id = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.to_string());
        let event =
            jetfeed::wire::decode(&m.subject, &m.payload).expect("jetfeed writes good events");
        out.push((seq, id, event));
    }
    out
}

/// Like counts by a plain replay of the log, apart from jetfeed's fold:
/// a tweet's named likers (each user's last word) and anonymous likes.
fn recount(events: &[(u64, Option<String>, Event)]) -> HashMap<String, u64> {
    let mut likers: HashMap<String, (HashSet<String>, u64)> = HashMap::new();
    for (_, _, e) in events {
        match e.kind {
            EventKind::TweetCreated => {
                likers.entry(e.id.clone()).or_default();
            }
            EventKind::TweetLiked | EventKind::TweetUnliked => {
                let Some((users, anonymous)) = likers.get_mut(&e.id) else {
                    continue;
                };
                match (e.kind, e.author.is_empty()) {
                    (EventKind::TweetLiked, true) => *anonymous += 1,
                    (EventKind::TweetLiked, false) => {
                        users.insert(e.author.clone());
                    }
                    (_, false) => {
                        users.remove(&e.author);
                    }
                    _ => {}
                }
            }
        }
    }
    likers
        .into_iter()
        .map(|(id, (users, anonymous))| (id, users.len() as u64 + anonymous))
        .collect()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// What is done to the servers, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fault {
    KillAndRestart,
    Pause,
    DeleteConsumer,
    RestartNode,
}

/// The servers one half of the soak runs on.
enum Servers {
    One(NatsServer),
    Three(Cluster),
}

impl Servers {
    fn url(&self) -> String {
        match self {
            Servers::One(s) => s.url(),
            Servers::Three(c) => c.urls(),
        }
    }

    fn faults(&self) -> &'static [Fault] {
        match self {
            Servers::One(_) => &[Fault::KillAndRestart, Fault::Pause, Fault::DeleteConsumer],
            Servers::Three(_) => &[Fault::RestartNode, Fault::Pause, Fault::DeleteConsumer],
        }
    }

    /// Does `fault` (the `n`th of the half) and waits until it is over.
    async fn inject(&mut self, fault: Fault, n: usize) {
        let url = self.url();
        match (self, fault) {
            (Servers::One(s), Fault::KillAndRestart) => {
                s.kill();
                tokio::time::sleep(Duration::from_secs(1)).await;
                s.restart();
            }
            (Servers::One(s), Fault::Pause) => {
                s.pause();
                tokio::time::sleep(Duration::from_secs(3)).await;
                s.resume();
            }
            (Servers::Three(c), Fault::RestartNode) => {
                let node = &mut c.nodes[n % 3];
                node.kill();
                tokio::time::sleep(Duration::from_secs(2)).await;
                node.restart_node();
            }
            (Servers::Three(c), Fault::Pause) => {
                let node = &c.nodes[n % 3];
                node.pause();
                tokio::time::sleep(Duration::from_secs(3)).await;
                node.resume();
            }
            (_, Fault::DeleteConsumer) => {
                let user = format!("soak{}", n % CLIENTS);
                let js = connect(&url).await;
                if let Ok(stream) = js.get_stream(STREAM).await {
                    let _ = stream
                        .delete_consumer(&jetfeed::bus::consumer_name(&user))
                        .await;
                }
            }
            _ => unreachable!("each half injects only its own faults"),
        }
    }
}

/// One half of the soak, `secs` long. Panics on the first broken promise.
async fn half(name: &str, mut servers: Servers, secs: f64) {
    let url = servers.url();
    let replicas = if matches!(servers, Servers::Three(_)) {
        3
    } else {
        1
    };
    let cfg = |user: &str| BusConfig {
        replicas,
        ..bus_config(&url, user)
    };
    // A cluster elects its leaders before the stream can be made.
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = jetfeed::bus::Session::open(&cfg("soak0"), None).await {
        assert!(Instant::now() < deadline, "{name}: no JetStream: {e}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        clients.push(Soaker::start(cfg(&format!("soak{i}")), 0x9e37_79b9 * (i as u64 + 1)).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(c.run(stop.clone())))
        .collect();
    let started = Instant::now();
    let mut done: HashMap<Fault, usize> = HashMap::new();
    let mut rss = Vec::new();
    let mut n = 0;
    while started.elapsed().as_secs_f64() < secs {
        tokio::time::sleep(FAULT_EVERY).await;
        let fault = servers.faults()[n % servers.faults().len()];
        servers.inject(fault, n).await;
        *done.entry(fault).or_default() += 1;
        n += 1;
        rss.push(rss_mib());
    }
    stop.store(true, Ordering::Relaxed);
    let mut clients = Vec::new();
    for t in tasks {
        clients.push(t.await.unwrap());
    }

    // Quiet: everything queued goes out, every client catches up.
    let mut last = 0;
    for _ in 0..10 {
        let now = connect(&url)
            .await
            .get_stream(STREAM)
            .await
            .unwrap()
            .cached_info()
            .state
            .last_sequence;
        for c in &mut clients {
            assert!(
                c.settle(now, Duration::from_secs(60)).await,
                "{name}: {} never caught up with event {now}: at {}, draft {:?}, {} likes queued",
                c.app().user,
                c.app().feed.last_seq(),
                c.app().draft.text(),
                c.app().unsent_likes().count()
            );
        }
        if now == last {
            break;
        }
        last = now;
    }

    let events = read_stream(&url).await;
    let counts = recount(&events);
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (_, id, _) in &events {
        *ids.entry(id.as_deref().unwrap_or("")).or_default() += 1;
    }
    let mut stored = 0;
    let gaps: u64 = clients.iter().map(|c| c.app().gaps_read).sum();
    for c in &mut clients {
        let shown = c.counts_on_a_trip().await;
        for id in &c.client.stored {
            let times = ids.get(id.as_str()).copied().unwrap_or(0);
            assert_eq!(
                times,
                1,
                "{name}: {} was told {id} is stored: in the stream {times} times",
                c.app().user
            );
            stored += 1;
        }
        assert_eq!(
            shown.len(),
            counts.len(),
            "{name}: {} folded another set of tweets",
            c.app().user
        );
        for (id, want) in &counts {
            let got = shown.get(id).copied();
            if got != Some(*want) {
                let log: Vec<String> = events
                    .iter()
                    .filter(|(_, _, e)| e.id == *id)
                    .map(|(seq, _, e)| format!("{seq} {} {:?}", e.kind, e.author))
                    .collect();
                let likers: Vec<&str> = c
                    .app()
                    .feed
                    .get(id)
                    .map(|t| t.likers().collect())
                    .unwrap_or_default();
                panic!(
                    "{name}: {}'s count of {id} is {got:?}, the stream's {want}: events {log:?}, likers {likers:?}, skipped {}",
                    c.app().user,
                    c.app().skipped
                );
            }
        }
    }
    let (tweets, likes) = events
        .iter()
        .fold((0, 0), |(t, l), (_, _, e)| match e.kind {
            EventKind::TweetCreated => (t + 1, l),
            _ => (t, l + 1),
        });
    let faults: Vec<String> = done.iter().map(|(f, n)| format!("{f:?} ×{n}")).collect();
    println!(
        "{name}: {:.1} min, {} events ({tweets} tweets, {likes} likes and unlikes), faults: {}",
        started.elapsed().as_secs_f64() / 60.0,
        events.len(),
        faults.join(", ")
    );
    println!(
        "{name}: {CLIENTS} clients' folds, read from the newest tweet to the oldest and back, equal the recount of all {} tweets; {stored} events they were told are stored are each in the stream once; live events skipped by delivery and read back: {gaps} times",
        counts.len()
    );
    if let (Some(first), Some(end)) = (rss.first(), rss.last()) {
        println!(
            "{name}: resident memory of the soak process after the first fault {first:.1} MiB, after the last {end:.1} MiB"
        );
    }
    for c in clients {
        c.client.shutdown().await;
    }
}

fn main() {
    let (minutes, only) = args();
    let runs = |half: &str| only.as_deref().is_none_or(|o| o == half);
    let halves = if only.is_some() { 1.0 } else { 2.0 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let secs = minutes * 60.0 / halves;
    println!(
        "soak: {minutes} minutes, {CLIENTS} clients, {RATE} actions/s each, a fault every {FAULT_EVERY:?}"
    );
    if runs("one") {
        rt.block_on(half("one server", Servers::One(NatsServer::start()), secs));
    }
    if runs("cluster") {
        rt.block_on(half(
            "three-node cluster",
            Servers::Three(Cluster::start(3)),
            secs,
        ));
    }
}
