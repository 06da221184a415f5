//! Test harness: real nats-server processes on free ports with temporary
//! stores, killed when the test ends, and a headless jetfeed client that runs
//! the app's own reducer and bus against them.
#![allow(dead_code)]

pub mod browser;
pub mod serve;
pub mod terminal;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jetfeed::app::{App, Delivery, Init, Msg, update};
pub use jetfeed::bus::Session;
use jetfeed::bus::{Bus, BusConfig, Servers};
use jetfeed::wire::{DecodeError, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

/// The nats-server binary. Its absence fails the test: never a skip.
pub fn nats_server_binary() -> PathBuf {
    jetfeed::server::find_binary(None)
        .expect("nats-server is required by the tests: sudo apt-get install nats-server")
}

/// A nats-server without JetStream on `port` (as Debian's service runs one
/// on 4222), stopped when dropped.
pub struct PlainServer(Child);

impl PlainServer {
    pub fn start(port: u16) -> PlainServer {
        let child = Command::new(nats_server_binary())
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, true);
        PlainServer(child)
    }
}

impl Drop for PlainServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port `p` such that nothing listens on `p` or `p + 1` now: for the
/// embedded server stepping over a port that is taken.
pub fn free_port_pair() -> u16 {
    (0..100)
        .find_map(|_| {
            let first = TcpListener::bind("127.0.0.1:0").ok()?;
            let port = first.local_addr().ok()?.port();
            TcpListener::bind(("127.0.0.1", port.checked_add(1)?)).ok()?;
            Some(port)
        })
        .expect("two free ports in a row")
}

/// A port nothing listens on now, for jetfeed's own embedded server (whose
/// port must be chosen before it starts). Test servers choose their own.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A nats-server with JetStream on a free loopback port and its own store.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    pub store: PathBuf,
    config: Option<PathBuf>,
    pub dir: tempfile::TempDir,
}

impl NatsServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let mut s = NatsServer {
            child: None,
            port: 0,
            store,
            config: None,
            dir,
        };
        s.restart();
        s
    }

    /// A server with this configuration (authorization, TLS ...) besides
    /// its port and store.
    pub fn start_with(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let file = dir.path().join("server.conf");
        std::fs::write(&file, config).unwrap();
        let mut s = NatsServer {
            child: None,
            port: 0,
            store,
            config: Some(file),
            dir,
        };
        s.restart();
        s
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<i32> {
        self.child.as_ref().map(|c| c.id() as i32)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on the same port and store. The first start
    /// lets the server choose a free port (`-p -1`) and reads it from the
    /// server's log, so no two tests race for one.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut cmd = Command::new(nats_server_binary());
        if let Some(config) = &self.config {
            cmd.arg("-c").arg(config);
        }
        let port = if self.port == 0 {
            "-1".to_owned()
        } else {
            self.port.to_string()
        };
        let child = cmd
            .args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .expect("nats-server did not start");
        self.child = Some(child);
        self.wait_ready();
    }

    fn log_file(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The port the server's log says it last listened on for `what`
    /// ("client" or "route") connections.
    fn logged_port(&self, what: &str) -> Option<u16> {
        let needle = format!("Listening for {what} connections on ");
        let log = self.log();
        let line = log.lines().rev().find(|l| l.contains(&needle))?;
        line.rsplit(':').next()?.trim().parse().ok()
    }

    /// Waits until the server says where it listens and answers there, or
    /// fails with what it said.
    fn wait_ready(&mut self) {
        if let Err(log) = self.try_ready() {
            panic!("nats-server did not start: {log}");
        }
    }

    fn try_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let said_before = self
            .log()
            .matches("Listening for client connections")
            .count();
        loop {
            let said = self
                .log()
                .matches("Listening for client connections")
                .count();
            if said > said_before
                && let Some(port) = self.logged_port("client")
            {
                self.port = port;
                if port_open(port) {
                    return Ok(());
                }
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                if let Some(mut child) = self.child.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no flush, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGSTOP: the server hangs with its connections open.
    pub fn pause(&self) {
        if let Some(c) = &self.child {
            unsafe { libc::kill(c.id() as i32, libc::SIGSTOP) };
        }
    }

    /// SIGCONT: a paused server goes on.
    pub fn resume(&self) {
        if let Some(c) = &self.child {
            unsafe { libc::kill(c.id() as i32, libc::SIGCONT) };
        }
    }

    /// SIGTERM and wait: a clean shutdown.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

pub fn wait_for_port(port: u16, open: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while port_open(port) != open {
        assert!(
            Instant::now() < deadline,
            "port {port} never became {}",
            if open { "open" } else { "closed" }
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A new app as `main` makes one: a random id seed, so that two test
/// terminals never make the same message id.
pub fn new_app(user: &str, server: &str, stream: &str) -> App {
    App::new(Init {
        user: user.into(),
        server: server.into(),
        stream: stream.into(),
        seed: uuid::Uuid::new_v4().as_u128(),
        now: Utc::now(),
    })
}

/// Hands `app` one chunk of history, as the bus would after reading it:
/// `events` stored at sequences `from`, `from + 1`, … (`at_start`: `from`
/// is the stream's first), then the end of the load.
pub fn load_history(
    app: &mut App,
    from: u64,
    events: impl IntoIterator<Item = Result<Event, DecodeError>>,
    at_start: bool,
) {
    let events: Vec<Delivery> = (from..)
        .zip(events)
        .map(|(seq, event)| Delivery {
            seq,
            event,
            ack: None,
            new: false,
        })
        .collect();
    let to = from + events.len() as u64 - 1;
    update(
        app,
        Msg::History {
            from,
            to,
            events,
            at_start,
        },
    );
    update(app, Msg::HistoryLoaded);
}

/// A session that follows the stream as the terminal UI does.
pub async fn follow(cfg: &BusConfig, tx: mpsc::Sender<Msg>) -> Bus {
    Session::open(cfg, Some(tx.clone()))
        .await
        .expect("session opens")
        .follow(tx)
        .await
        .expect("bus starts")
}

pub fn bus_config(url: &str, user: &str) -> BusConfig {
    BusConfig {
        servers: Servers::parse(url).unwrap(),
        stream: "TWITTERCLONE".into(),
        user: user.into(),
        publish_timeout: Duration::from_secs(2),
        replicas: 1,
    }
}

/// One jetfeed terminal without a terminal: the real bus and reducer, with
/// the screen drawn into a TestBackend on demand.
pub struct Client {
    pub app: App,
    bus: Bus,
    rx: mpsc::Receiver<Msg>,
    /// Every connection state the app was told of, in order.
    pub connection_log: Vec<jetfeed::app::Connection>,
    /// The message ids of the events the app was told are stored (PubAck).
    pub stored: Vec<String>,
    /// Each chunk of history handed to the app: how many events, and the
    /// bytes of their tweets' texts.
    pub chunks: Vec<(usize, usize)>,
    /// Live deliveries still to be dropped before the app sees them, as
    /// when they are lost in transit (`lose_next_deliveries`).
    lose: usize,
}

impl Client {
    pub async fn start(url: &str, user: &str) -> Self {
        Self::start_with(bus_config(url, user)).await
    }

    pub async fn start_with(cfg: BusConfig) -> Self {
        let (tx, rx) = mpsc::channel(256);
        let bus = follow(&cfg, tx).await;
        let mut app = new_app(&cfg.user, &cfg.servers.to_string(), &cfg.stream);
        update(&mut app, Msg::Resize(80, 24));
        let mut c = Client {
            app,
            bus,
            rx,
            connection_log: Vec::new(),
            stored: Vec::new(),
            chunks: Vec::new(),
            lose: 0,
        };
        c.until("history loaded", |a| !a.loading).await;
        c
    }

    /// The next `n` live deliveries never reach the app, as when a node
    /// dies with them on their way: unacked, they come again only after
    /// the consumer's ack wait.
    pub fn lose_next_deliveries(&mut self, n: usize) {
        self.lose = n;
    }

    fn handle(&mut self, mut msg: Msg) {
        if let Msg::Delivered(batch) = &mut msg {
            let lost = self.lose.min(batch.len());
            batch.drain(..lost);
            self.lose -= lost;
            if batch.is_empty() {
                return;
            }
        }
        match &msg {
            Msg::Connection(c) => self.connection_log.push(c.clone()),
            Msg::Published(settled) => self.stored.extend(
                settled
                    .iter()
                    .filter(|s| s.result.is_ok())
                    .map(|s| s.msg_id.clone()),
            ),
            Msg::History { events, .. } => {
                let text = events
                    .iter()
                    .filter_map(|d| d.event.as_ref().ok())
                    .map(|e| e.message.len())
                    .sum();
                self.chunks.push((events.len(), text));
            }
            _ => {}
        }
        update(&mut self.app, Msg::Tick(Utc::now()));
        for cmd in update(&mut self.app, msg) {
            self.bus.execute(cmd);
        }
    }

    /// Handles bus messages until `done` holds; fails the test after 10 s.
    pub async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        self.until_within(Duration::from_secs(10), what, done).await;
    }

    /// `until`, with its own deadline.
    pub async fn until_within(
        &mut self,
        patience: Duration,
        what: &str,
        done: impl Fn(&App) -> bool,
    ) {
        if let Err(state) = self.try_until_within(patience, &done).await {
            panic!("timed out waiting for {what}; state: {state}");
        }
    }

    /// `until_within` that returns what the app held if it times out,
    /// so that the caller can say more before it fails.
    pub async fn try_until_within(
        &mut self,
        patience: Duration,
        done: impl Fn(&App) -> bool,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + patience;
        while !done(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => self.handle(msg),
                Ok(None) => return Err("bus closed".into()),
                Err(_) => {
                    return Err(format!(
                        "notice {:?}, {} tweets, events up to {}, connection {:?}",
                        self.app.notice,
                        self.app.feed.len(),
                        self.app.feed.last_seq(),
                        self.app.connection
                    ));
                }
            }
        }
        Ok(())
    }

    /// Handles whatever arrives within `d`.
    pub async fn settle(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.handle(msg);
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.handle(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Goes to the oldest tweet, with the feed focused: G, again as older
    /// ones load, until the stream's start is loaded. `seen` is called
    /// after every message handled on the way.
    pub async fn go_to_oldest(&mut self, seen: impl Fn(&App)) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.app.feed.is_complete() {
            assert!(Instant::now() < deadline, "never reached the oldest tweet");
            self.key(KeyCode::Char('G'));
            self.until_within(Duration::from_secs(60), "older tweets", |a| {
                seen(a);
                !a.loading_older
            })
            .await;
        }
    }

    /// Back to the newest tweet: g once, which reads on until the newest
    /// tweets, let go on the way down, are loaded again. `seen` is called
    /// after every message handled on the way.
    pub async fn go_to_newest(&mut self, seen: impl Fn(&App)) {
        self.key(KeyCode::Char('g'));
        self.until_within(Duration::from_secs(60), "the newest tweets again", |a| {
            seen(a);
            a.feed.is_top_loaded() && !a.loading_newer
        })
        .await;
    }

    pub fn type_text(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Types and posts a tweet, waiting until it is in this client's feed.
    pub async fn post(&mut self, text: &str) {
        self.post_attempt(text).await;
        let text = text.to_owned();
        self.until("the tweet in the own feed", move |a| {
            (0..a.feed.len())
                .filter_map(|i| a.feed.newest(i))
                .any(|t| t.text == text)
        })
        .await;
    }

    /// Types and posts a tweet and waits for the outcome, whatever it is.
    pub async fn post_attempt(&mut self, text: &str) {
        if self.app.focus != jetfeed::app::Focus::Draft {
            self.key(KeyCode::Tab);
        }
        self.type_text(text);
        self.key(KeyCode::Enter);
        self.until("the post to settle", |a| !a.draft.is_sending())
            .await;
    }

    /// The screen as text, one line a row.
    pub fn screen(&self, w: u16, h: u16) -> String {
        let mut app = self.app.clone();
        update(&mut app, Msg::Resize(w, h));
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| jetfeed::ui::view(&app, f)).unwrap();
        let buf = t.backend().buffer();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub async fn shutdown(self) {
        self.bus.shutdown().await;
    }

    /// The server (cluster node) this client is connected to.
    pub fn server_name(&self) -> String {
        self.bus.server_name()
    }
}

/// Publishes raw bytes on a subject and waits for the PubAck, as another
/// producer (the Go service, or a hostile one) would.
pub async fn publish_raw(url: &str, subject: &str, payload: &[u8]) -> u64 {
    let client = async_nats::connect(url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.publish(subject.to_owned(), payload.to_vec().into())
        .await
        .unwrap()
        .await
        .unwrap()
        .sequence
}

/// The jetfeed binary under test, blind to the settings of whoever runs
/// the tests: no config file, no natscli context.
pub fn jetfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jetfeed"));
    let empty = std::env::temp_dir().join(format!("jetfeed-test-config-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&empty);
    cmd.env("XDG_CONFIG_HOME", empty)
        .env_remove("NATS_CONTEXT")
        .env_remove("JETFEED_CONFIG")
        .env_remove("NO_COLOR");
    cmd
}

pub fn jetfeed_in(data_dir: &Path) -> Command {
    let mut c = jetfeed();
    c.env("JETFEED_DATA_DIR", data_dir).env_remove("NATS_URL");
    c
}

/// The real terminal UI as `user` on the server at `url`, its files in
/// `data`, on an 80×24 pseudo-terminal, with `extra` flags.
pub fn tui(data: &Path, url: &str, user: &str, extra: &[&str]) -> Pty {
    let mut cmd = jetfeed_in(data);
    cmd.args(["--server", url, "--user", user]).args(extra);
    Pty::spawn(cmd, 80, 24)
}

/// A running jetfeed process whose stdout (or stderr) is read line by
/// line.
pub struct Proc {
    pub child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line received so far, matching or not.
    seen: std::cell::RefCell<Vec<String>>,
}

impl Proc {
    pub fn spawn(cmd: Command) -> Self {
        Self::spawn_reading(cmd, false)
    }

    /// `spawn`, reading its stderr instead of its stdout.
    pub fn spawn_stderr(cmd: Command) -> Self {
        Self::spawn_reading(cmd, true)
    }

    fn spawn_reading(mut cmd: Command, stderr: bool) -> Self {
        use std::io::BufRead;
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let out: Box<dyn std::io::Read + Send> = if stderr {
            Box::new(child.stderr.take().unwrap())
        } else {
            Box::new(child.stdout.take().unwrap())
        };
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Proc {
            child,
            lines,
            seen: Default::default(),
        }
    }

    /// The next line that satisfies `want`, within 15 s.
    pub fn line_matching(&self, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.borrow_mut().push(l.clone());
                    if want(&l) {
                        return l;
                    }
                }
                Err(e) => panic!("no matching line: {e}"),
            }
        }
    }

    /// Every line printed so far, from the first, those already matched
    /// included.
    pub fn all_lines(&self) -> Vec<String> {
        self.seen.borrow_mut().extend(self.lines.try_iter());
        self.seen.borrow().clone()
    }

    /// How many lines printed so far contain `text`.
    pub fn count(&self, text: &str) -> usize {
        self.all_lines().iter().filter(|l| l.contains(text)).count()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit status.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        unsafe { libc::kill(self.pid(), libc::SIGINT) };
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "jetfeed did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a process is alive (and not a zombie).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// The parent pid of a process.
pub fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `user`'s consumer's ack floor and how many deliveries await an ack.
pub async fn consumer_state(url: &str, user: &str) -> (u64, usize) {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let stream = js.get_stream("TWITTERCLONE").await.unwrap();
    let info = stream
        .consumer_info(jetfeed::bus::consumer_name(user))
        .await
        .unwrap();
    (info.ack_floor.stream_sequence, info.num_ack_pending)
}

/// Waits until `user`'s consumer has every event up to `floor` acked and
/// none pending (the acks are on their way once the app has applied the
/// events), or fails with where it is after `patience`.
pub async fn until_acked(url: &str, user: &str, floor: u64, patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let state = consumer_state(url, user).await;
        if state == (floor, 0) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{user}'s consumer at {state:?}, not ({floor}, 0)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Publishes many events quickly, awaiting PubAcks in windows of 512.
pub async fn publish_many(url: &str, events: &[jetfeed::wire::Event]) {
    // The stream as jetfeed makes it, then a bare client to fill it.
    Session::open(&bus_config(url, "loader"), None)
        .await
        .unwrap()
        .close()
        .await;
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    for window in events.chunks(512) {
        let mut acks = Vec::with_capacity(window.len());
        for e in window {
            acks.push(
                js.publish(e.subject("TWITTERCLONE"), e.encode().into())
                    .await
                    .unwrap(),
            );
        }
        for ack in acks {
            ack.await.unwrap();
        }
    }
}

/// Runs a command on a new pseudo-terminal of `cols`×`rows` until it exits;
/// returns its exit status, every byte it wrote to the terminal, and how
/// long it ran.
pub fn run_in_pty(
    cmd: Command,
    cols: u16,
    rows: u16,
) -> (std::process::ExitStatus, Vec<u8>, Duration) {
    let started = Instant::now();
    let mut pty = Pty::spawn(cmd, cols, rows);
    let status = pty.wait();
    let took = started.elapsed();
    (status, pty.output(), took)
}

/// A program on a pseudo-terminal: what it writes is collected, and keys
/// can be typed into it.
pub struct Pty {
    child: Child,
    /// Set: the terminal stops taking output, as a stalled connection does.
    stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    size: (u16, u16),
    input: std::fs::File,
    output: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Pty {
    pub fn spawn(mut cmd: Command, cols: u16, rows: u16) -> Pty {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        use std::os::unix::process::CommandExt;
        let (mut master, mut slave) = (-1, -1);
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two descriptors that are then owned here.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty");
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only setsid and ioctl between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd);
        let input = std::fs::File::from(master.try_clone().unwrap());
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let collected = output.clone();
        let stalled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stall = stalled.clone();
        let reader = std::thread::spawn(move || {
            let mut f = std::fs::File::from(master);
            let mut buf = [0u8; 65536];
            loop {
                if stall.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                let Ok(n) = f.read(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                collected.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            child,
            stalled,
            size: (cols, rows),
            input,
            output,
            reader: Some(reader),
        }
    }

    /// Every byte written to the terminal so far.
    pub fn output(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// The terminal's screen now, as text.
    pub fn screen(&self) -> String {
        let (cols, rows) = self.size;
        terminal::rows(&terminal::emulate(&self.output(), cols, rows)).join("\n")
    }

    /// Waits until the screen shows `text` (within 15 s).
    /// Waits until the program has written `bytes` to the terminal (what
    /// the screen does not show: a title, the clipboard).
    pub fn wait_for_bytes(&self, bytes: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.output().windows(bytes.len()).any(|w| w == bytes) {
            assert!(
                Instant::now() < deadline,
                "{:?} never written",
                String::from_utf8_lossy(bytes)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.screen().contains(text) {
            assert!(Instant::now() < deadline, "{text:?} never shown");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal stops taking output: what the program writes piles up
    /// until its writes block.
    pub fn stall(&self) {
        self.stalled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) {
        use std::os::fd::AsRawFd;
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ on the pty master this struct owns.
        unsafe { libc::ioctl(self.input.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    }

    /// Types bytes, as keys pressed in the terminal.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.input.write_all(bytes).unwrap();
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Whether the terminal is in raw mode now: no line editing, no echo.
    pub fn raw_mode(&self) -> bool {
        use std::os::fd::AsRawFd;
        // SAFETY: tcgetattr on the pty master this struct owns, which reads
        // the terminal's (the slave's) settings.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(self.input.as_raw_fd(), &mut t) },
            0
        );
        t.c_lflag & (libc::ICANON | libc::ECHO) == 0
    }

    /// Waits for the program to exit (within 30 s), and for the last of
    /// its output.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("did not exit within 30 s: {}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.stalled
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        status
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A JetStream cluster of nats-server nodes on loopback, each with its own
/// store, killed when the test ends.
pub struct Cluster {
    pub nodes: Vec<NatsServer>,
}

impl Cluster {
    /// `n` JetStream nodes. Clients' ports are chosen by the servers; the
    /// route ports must be known to every node before it starts, so they
    /// are found free together and, should another process take one first,
    /// the cluster is started again on new ones (three tries). Then each
    /// node's config is written with its client port, so any node restarts
    /// into the same place.
    pub fn start(n: usize) -> Cluster {
        let config = |i: usize, client: &str, route: u16, routes: &[String]| {
            format!(
                "server_name: n{i}\nlisten: 127.0.0.1:{client}\njetstream {{ store_dir: \"STORE\" }}\ncluster {{ name: jetfeed, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
                routes.join(", ")
            )
        };
        let mut last_log = String::new();
        for _ in 0..3 {
            let held: Vec<TcpListener> = (0..n)
                .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
                .collect();
            let ports: Vec<u16> = held
                .iter()
                .map(|l| l.local_addr().unwrap().port())
                .collect();
            drop(held);
            let routes: Vec<String> = ports
                .iter()
                .map(|p| format!("nats-route://127.0.0.1:{p}"))
                .collect();
            let mut nodes = Vec::new();
            for (i, route) in ports.iter().enumerate() {
                match NatsServer::try_start_node(&config(i, "-1", *route, &routes)) {
                    Ok(node) => nodes.push(node),
                    Err(log) => {
                        last_log = log;
                        break;
                    }
                }
            }
            if nodes.len() < n {
                assert!(
                    last_log.contains("address already in use"),
                    "a cluster node did not start: {last_log}"
                );
                continue;
            }
            for (i, node) in nodes.iter().enumerate() {
                node.write_config(&config(i, &node.port.to_string(), ports[i], &routes));
            }
            return Cluster { nodes };
        }
        panic!("no free route ports in three tries: {last_log}");
    }

    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn node(&mut self, name: &str) -> &mut NatsServer {
        let i: usize = name.trim_start_matches('n').parse().unwrap();
        &mut self.nodes[i]
    }
}

impl NatsServer {
    /// A cluster node: its config names its ports, store and routes.
    fn try_start_node(config: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let file = dir.path().join("server.conf");
        let mut s = NatsServer {
            child: None,
            port: 0,
            store,
            config: Some(file),
            dir,
        };
        s.write_config(config);
        s.spawn_node();
        s.try_ready()?;
        Ok(s)
    }

    fn write_config(&self, config: &str) {
        let config = config.replace("STORE", self.store.to_str().unwrap());
        std::fs::write(self.config.as_ref().unwrap(), config).unwrap();
    }

    /// Restarts a cluster node from its config alone.
    pub fn restart_node(&mut self) {
        self.spawn_node();
        self.wait_ready();
    }

    fn spawn_node(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(nats_server_binary())
            .arg("-c")
            .arg(self.config.as_ref().unwrap())
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .expect("nats-server did not start");
        self.child = Some(child);
    }
}

/// A TestBackend that calls `on_flush` with each frame as it is flushed: to
/// count frames, look into them, or hang like a stuck terminal.
pub struct Hooked<F: FnMut(&TestBackend) + Send> {
    pub inner: TestBackend,
    pub on_flush: F,
}

impl<F: FnMut(&TestBackend) + Send> ratatui::backend::Backend for Hooked<F> {
    type Error = std::convert::Infallible;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        p: P,
    ) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        (self.on_flush)(&self.inner);
        Ok(())
    }
}

/// Publishes through jetfeed's publisher, retrying with the same
/// Nats-Msg-Id until the PubAck comes (at most `tries` times, 100 ms apart).
pub async fn publish_until_acked(
    session: &Session,
    out: &jetfeed::app::Outgoing,
    tries: usize,
) -> bool {
    for _ in 0..tries {
        if session.publish(out).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
