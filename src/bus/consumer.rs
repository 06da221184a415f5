//! Reading the stream. History comes in chunks through short-lived pull
//! consumers (`read_from`: no acks, no one's place moved, resumed after the
//! last message read if the server goes away), each named as one of the
//! user's reader slots (`Readers`); live events through the user's durable
//! push
//! consumer, whose deliver subject every terminal of that user subscribes to,
//! so each terminal sees every event while the consumer keeps the user's
//! place in the stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull, push};
use async_nats::jetstream::stream::Stream;

type PullConsumer = async_nats::jetstream::consumer::Consumer<pull::Config>;
use async_nats::{Client, Message, Subscriber};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::BusError;
use crate::app::protocol::{AckToken, Delivery, Msg};
use crate::wire;

/// Deliveries sent to the app in one message, at most.
const BATCH: usize = 512;

/// The user's durable consumer, as found or created.
#[derive(Debug, Clone)]
pub struct Durable {
    pub name: String,
    /// Its configuration (the deliver subject it really has among it), to
    /// subscribe to and to put it back as it was if it is deleted.
    pub config: push::Config,
    /// The last stream sequence this user acknowledged: what came after it
    /// arrived while they were away.
    pub ack_floor: u64,
}

/// A token safe in a consumer name or subject: the user name itself when it
/// is plain, otherwise its plain characters and a hash of the whole name, so
/// two different names never share a consumer.
pub fn user_token(user: &str) -> String {
    let plain: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    if plain == user {
        return plain;
    }
    // FNV-1a: stable across versions and platforms, unlike std's hasher.
    let hash = user.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{plain}-{hash:016x}")
}

/// How many readers (history chunks, look-ups, `tail`) one user may have
/// open at once, across all their terminals. Each is a pull consumer with a
/// fixed name of that user's (`jetfeed_read<n>-<user>`), never a random one:
/// a server can then grant a user exactly their own consumers (see the
/// README's permissions), where a random name would need a wildcard that
/// reaches every other user's consumer too.
pub const READER_SLOTS: usize = 4;

/// A reader of a slot that is taken waits this long, at most, for one to
/// come free: longer than a crashed jetfeed's reader lingers
/// (`READER_INACTIVE`).
const SLOT_WAIT: Duration = Duration::from_secs(15);

/// A reader no one pulls from for this long is removed by the server.
const READER_INACTIVE: Duration = Duration::from_secs(10);

/// The name of `user`'s reader slot `n` (1-based). No durable name starts
/// with `jetfeed_`, so a slot is never someone's durable consumer.
pub fn reader_name(user: &str, n: usize) -> String {
    format!("jetfeed_read{n}-{}", user_token(user))
}

/// Makes a user's readers on a stream: each takes a free slot, and frees it
/// when done.
#[derive(Clone)]
pub struct Readers {
    pub stream: Stream,
    pub user: String,
    /// The mean size of an event in the last chunk read (0: none read yet),
    /// so that the next chunk asks for about `CHUNK_BYTES`, whatever the
    /// events weigh.
    event_bytes: Arc<AtomicU64>,
}

impl Readers {
    pub fn new(stream: Stream, user: &str) -> Readers {
        Readers {
            stream,
            user: user.to_owned(),
            event_bytes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many events the next chunk of history should ask for, at most
    /// `max`: about `CHUNK_BYTES` at the size of the events last read, and
    /// `FIRST_CHUNK_EVENTS` before any were.
    pub fn chunk_events(&self, max: u64) -> u64 {
        match self.event_bytes.load(Ordering::Relaxed) {
            0 => FIRST_CHUNK_EVENTS.min(max),
            mean => (CHUNK_BYTES / mean).clamp(MIN_CHUNK_EVENTS, max.max(MIN_CHUNK_EVENTS)),
        }
    }

    /// A reader in the first free slot: a pull consumer of the stream's
    /// messages from where `deliver` says, with no acks, in memory. A slot is taken when its consumer exists: servers from 2.10
    /// refuse a create with the same name, and 2.9, which would update it
    /// instead, refuses because `max_waiting` (which cannot be updated)
    /// differs, chosen at random for each reader.
    pub async fn create(&self, deliver: DeliverPolicy) -> Result<PullConsumer, BusError> {
        let config = pull::Config {
            deliver_policy: deliver,
            ack_policy: AckPolicy::None,
            memory_storage: true,
            num_replicas: 1,
            ..Default::default()
        };
        let deadline = tokio::time::Instant::now() + SLOT_WAIT;
        loop {
            let mut last = None;
            for n in 1..=READER_SLOTS {
                let name = reader_name(&self.user, n);
                let nonce = 1_000 + (uuid::Uuid::new_v4().as_u128() % 4_000) as i64;
                let config = pull::Config {
                    name: Some(name.clone()),
                    max_waiting: nonce,
                    inactive_threshold: READER_INACTIVE,
                    ..config.clone()
                };
                match self.stream.create_consumer_strict(config).await {
                    Ok(c) if c.cached_info().config.max_waiting == nonce => return Ok(c),
                    Ok(_) => last = Some(format!("{name} is another reader's")),
                    Err(e) => last = Some(format!("{name}: {e}")),
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(BusError::Consumer {
                    consumer: "reader".into(),
                    reason: format!(
                        "no free reader of {READER_SLOTS} for this user ({})",
                        last.unwrap_or_default()
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Frees a slot now rather than when the server notices it idle.
    pub async fn free(&self, name: &str) {
        let _ = self.stream.delete_consumer(name).await;
    }
}

impl Durable {
    pub fn name_for(user: &str) -> String {
        format!("jetfeed-{}", user_token(user))
    }

    pub fn config(stream: &str, user: &str) -> push::Config {
        let name = Self::name_for(user);
        push::Config {
            durable_name: Some(name.clone()),
            name: Some(name),
            deliver_subject: format!("jetfeed.deliver.{stream}.{}", user_token(user)),
            description: Some(format!("jetfeed feed of {}", crate::sanitize::line(user))),
            // A new user starts reading now; history is loaded separately.
            deliver_policy: DeliverPolicy::New,
            ack_policy: AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            max_ack_pending: 1_000,
            ..Default::default()
        }
    }

    /// Finds the user's consumer, or creates it. An existing one is used as
    /// it is, on whatever deliver subject it has.
    pub async fn ensure(
        stream: &Stream,
        stream_name: &str,
        user: &str,
    ) -> Result<Durable, BusError> {
        let name = Self::name_for(user);
        let err = |e: &dyn std::fmt::Display| BusError::Consumer {
            consumer: name.clone(),
            reason: e.to_string(),
        };
        let consumer = stream
            .get_or_create_consumer(&name, Self::config(stream_name, user))
            .await
            .map_err(|e| err(&e))?;
        let info = consumer.cached_info();
        let Some(deliver_subject) = info
            .config
            .deliver_subject
            .clone()
            .filter(|s| !s.is_empty())
        else {
            return Err(err(
                &"exists as a pull consumer; jetfeed needs a push consumer",
            ));
        };
        let config = push::Config {
            deliver_subject,
            ..Self::config(stream_name, user)
        };
        Ok(Durable {
            name: name.clone(),
            config,
            // A consumer that never had an ack reports a floor of 0; where
            // it started reading (its delivered mark) is then the user's place.
            ack_floor: if info.ack_floor.consumer_sequence == 0 {
                info.delivered.stream_sequence
            } else {
                info.ack_floor.stream_sequence
            },
        })
    }

    pub fn error(&self, reason: String) -> BusError {
        BusError::Consumer {
            consumer: self.name.clone(),
            reason,
        }
    }
}

/// Where a JetStream delivery sits, read from its ack subject:
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
/// or the newer form with a domain and account hash after `$JS.ACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckInfo {
    pub stream_seq: u64,
    pub pending: u64,
}

pub fn parse_ack_subject(reply: &str) -> Option<AckInfo> {
    // This runs for every message read: the dots are counted, then only
    // the two numbers wanted are read, from the end, where they are.
    let b = reply.as_bytes();
    let tokens = dots(b) + 1;
    if !matches!(tokens, 9 | 11 | 12) || !b.starts_with(b"$JS.ACK.") {
        return None;
    }
    // The token that ends at `end`, and where the one before it ends.
    let before = |end: usize| {
        let dot = b[..end].iter().rposition(|&c| c == b'.').unwrap_or(0);
        (&b[dot + 1..end], dot)
    };
    // The newer forms carry a domain and an account hash after `$JS.ACK`,
    // and the longest one a random token after the pending count.
    let mut end = b.len();
    if tokens == 12 {
        end = before(end).1;
    }
    let (pending, end) = before(end);
    let (_timestamp, end) = before(end);
    let (_consumer_seq, end) = before(end);
    let (stream_seq, _) = before(end);
    Some(AckInfo {
        stream_seq: decimal(stream_seq)?,
        pending: decimal(pending)?,
    })
}

/// How many dots `b` holds, eight bytes at a time: after an XOR with dots,
/// a byte is zero where a dot was, and `((x & 0x7f..) + 0x7f..) | x` sets
/// the top bit of exactly the bytes that are not zero (no carry crosses a
/// byte).
fn dots(b: &[u8]) -> usize {
    use crate::swar::splat;
    let (words, rest) = crate::swar::words(b);
    let whole: usize = words
        .map(|x| {
            let x = x ^ splat(b'.');
            let not_dots = (((x & splat(0x7f)) + splat(0x7f)) | x) & splat(0x80);
            8 - not_dots.count_ones() as usize
        })
        .sum();
    whole + rest.iter().filter(|&&c| c == b'.').count()
}

/// A `u64` written in decimal, as `str::parse` reads one (an optional `+`,
/// at least one digit, nothing else, no overflow).
fn decimal(digits: &[u8]) -> Option<u64> {
    let digits = digits.strip_prefix(b"+").unwrap_or(digits);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let d = d.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Turns one delivery into what the app consumes.
pub fn delivery(msg: &Message, ack: bool, new_after: u64) -> Option<Delivery> {
    let info = parse_ack_subject(msg.reply.as_ref()?)?;
    Some(delivery_at(msg, info, ack, new_after))
}

/// `delivery`, for a message whose place in the stream is already known.
pub fn delivery_at(msg: &Message, info: AckInfo, ack: bool, new_after: u64) -> Delivery {
    let event = wire::decode(&msg.subject, &msg.payload);
    if let Err(e) = &event {
        tracing::debug!(seq = info.stream_seq, "skipped event: {e}");
    }
    Delivery {
        seq: info.stream_seq,
        event,
        ack: ack
            .then(|| msg.reply.as_ref().map(|r| AckToken(r.to_string())))
            .flatten(),
        new: info.stream_seq > new_after,
    }
}

/// One log line for the bad events among `read`, however many (a flood of
/// them would otherwise fill the log).
fn log_skipped(read: &[Delivery]) {
    let mut bad = read
        .iter()
        .filter_map(|d| Some((d.seq, d.event.as_ref().err()?)));
    if let Some((seq, first)) = bad.next() {
        let more = bad.count();
        tracing::warn!("skipped event {seq}: {first} (and {more} more bad events after it)");
    }
}

/// What the reader task hands over at once: what it made of each message
/// (`read_between`'s `map`), with where the message sits.
type Batch<T> = Vec<(T, AckInfo)>;

/// Messages a reader asks the server for at once: large batches keep the
/// history flowing at the speed of the transport.
const READER_BATCH: usize = 2_048;

/// How often the server proves an idle reader is still alive; two missed
/// heartbeats and the reader starts over where it was.
const READER_HEARTBEAT: Duration = Duration::from_secs(1);

/// Reads the stream from sequence `from` on, in order, through short-lived
/// pull consumers in the user's reader slots that need no acks and move no one's place. When the server
/// goes away, restarts, or the consumer is deleted, a new one resumes after
/// the last message read: nothing is skipped or repeated. The reader stops
/// when the receiver is dropped.
pub fn read_from(readers: Readers, from: u64) -> Reader<Message> {
    read_between(readers, from, u64::MAX, |msg, _| msg)
}

/// `read_from`, stopping after the message at sequence `until`: a chunk of
/// history asks the server for no more than it holds. Each message is
/// turned into what the caller wants (`map`) by the reader's own task, as
/// it arrives: a message is moved and dropped where it was read.
pub fn read_between<T, F>(readers: Readers, from: u64, until: u64, map: F) -> Reader<T>
where
    T: Send + 'static,
    F: Fn(Message, AckInfo) -> T + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(async move {
        let mut next = from.max(1);
        let mut failures = 0u32;
        loop {
            match read_once(&readers, &mut next, until, &map, &tx).await {
                Ok(()) => return, // the receiver is gone, or `until` read
                Err(e) => {
                    tracing::debug!("reader restarts at {next}: {e}");
                    failures += 1;
                    let backoff = Duration::from_millis(50 * u64::from(failures.min(20)));
                    tokio::time::sleep(backoff).await;
                    if tx.is_closed() {
                        return;
                    }
                }
            }
        }
    });
    Reader {
        rx,
        task,
        buffered: std::collections::VecDeque::new(),
    }
}

/// A running reader: `recv` what it made of each message, `close` to stop
/// it and remove its consumer from the server.
pub struct Reader<T> {
    rx: mpsc::Receiver<Batch<T>>,
    task: tokio::task::JoinHandle<()>,
    buffered: std::collections::VecDeque<(T, AckInfo)>,
}

impl<T> Reader<T> {
    /// What the reader made of the next message, and where the message
    /// sits. Never an error: the reader recovers from those by itself;
    /// `None` only once it has stopped.
    pub async fn recv(&mut self) -> Option<(T, AckInfo)> {
        if self.buffered.is_empty() {
            self.buffered.extend(self.rx.recv().await?);
        }
        self.buffered.pop_front()
    }

    /// The messages read since the last call, in order, at least one:
    /// for a caller that handles them together (one wake-up and one
    /// deadline a batch, not one a message).
    async fn recv_batch(&mut self) -> Option<Batch<T>> {
        if self.buffered.is_empty() {
            return self.rx.recv().await;
        }
        Some(self.buffered.drain(..).collect())
    }

    /// Stops the reader. `false` if its task ended in a panic (in `map`,
    /// say): what it handed over may then stop short of what was there.
    pub async fn close(self) -> bool {
        drop(self.rx);
        !matches!(
            tokio::time::timeout(Duration::from_secs(1), self.task).await,
            Ok(Err(e)) if e.is_panic()
        )
    }
}

/// One consumer's life: reads until an error, which the caller recovers
/// from, or until the receiver is dropped or `until` is read (`Ok`).
async fn read_once<T>(
    readers: &Readers,
    next: &mut u64,
    until: u64,
    map: &impl Fn(Message, AckInfo) -> T,
    tx: &mpsc::Sender<Batch<T>>,
) -> Result<(), BusError> {
    let from = DeliverPolicy::ByStartSequence {
        start_sequence: *next,
    };
    let consumer = readers.create(from).await?;
    let name = consumer.cached_info().name.clone();
    let result = pull_into(&consumer, next, until, map, tx).await;
    // Ended or failed, the slot is freed for the next reader.
    readers.free(&name).await;
    result
}

async fn pull_into<T>(
    consumer: &PullConsumer,
    next: &mut u64,
    until: u64,
    map: &impl Fn(Message, AckInfo) -> T,
    tx: &mpsc::Sender<Batch<T>>,
) -> Result<(), BusError> {
    use futures::FutureExt;
    let err = |e: &dyn std::fmt::Display| BusError::Consumer {
        consumer: "reader".into(),
        reason: e.to_string(),
    };
    // Pulls no bigger than what is left to read.
    let left = until.saturating_sub(*next).saturating_add(1);
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(READER_BATCH.min(usize::try_from(left).unwrap_or(usize::MAX)))
        .heartbeat(READER_HEARTBEAT)
        .expires(READER_HEARTBEAT * 5)
        .messages()
        .await
        .map_err(|e| err(&e))?;
    // Hand messages over in batches, one wake-up per batch, not per
    // message: the first message, then those already waiting behind it.
    let mut missed = 0;
    loop {
        let mut item = tokio::select! {
            item = messages.next() => item,
            () = tx.closed() => return Ok(()),
        };
        let mut batch = Vec::new();
        let mut failed = None;
        loop {
            let msg = match item {
                Some(Ok(m)) => Some(m.message),
                Some(Err(e))
                    if e.kind() == pull::MessagesErrorKind::MissingHeartbeat && missed == 0 =>
                {
                    missed += 1;
                    None
                }
                Some(Err(e)) => {
                    failed = Some(err(&e));
                    break;
                }
                None => {
                    failed = Some(err(&"consumer ended"));
                    break;
                }
            };
            if let Some(msg) = msg {
                missed = 0;
                if let Some(info) = msg.reply.as_deref().and_then(parse_ack_subject) {
                    if info.stream_seq > until {
                        *next = info.stream_seq;
                        break;
                    }
                    if info.stream_seq >= *next {
                        *next = info.stream_seq + 1;
                        batch.push((map(msg, info), info));
                    }
                }
            }
            if batch.len() >= READER_BATCH {
                break;
            }
            match messages.next().now_or_never() {
                Some(waiting) => item = waiting,
                None => break,
            }
        }
        if !batch.is_empty() && tx.send(batch).await.is_err() {
            return Ok(());
        }
        if *next > until {
            return Ok(());
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
}

/// The next item of `stream`, then those already waiting behind it, `max`
/// at most: one wake-up for a burst. Unlike `ready_chunks`, which sets
/// aside room for `max` items each time (half a megabyte of messages for a
/// reader's batch), the buffer is as large as the burst.
async fn ready_batch<S: futures::Stream + Unpin>(
    stream: &mut S,
    max: usize,
) -> Option<Vec<S::Item>> {
    use futures::FutureExt;
    let mut batch = vec![stream.next().await?];
    while batch.len() < max {
        match stream.next().now_or_never() {
            Some(Some(item)) => batch.push(item),
            // Nothing more waiting; or the stream's end, which the next
            // call returns.
            Some(None) | None => break,
        }
    }
    Some(batch)
}

/// Loads the newest window of history, then forwards live deliveries from
/// the user's consumer. Each live delivery carries the token that acks it
/// once the app has applied it.
pub async fn run_feed(
    readers: Readers,
    history: Span,
    ack_floor: u64,
    mut live: Subscriber,
    last_seen: Arc<AtomicU64>,
    tx: mpsc::Sender<Msg>,
) {
    last_seen.fetch_max(history.last, Ordering::SeqCst);
    if history.last > 0 {
        match load_window(&readers, history.first, history.last, ack_floor, &tx).await {
            Ok(n) => tracing::info!("history: {n} events up to {}", history.last),
            Err(e) => tracing::error!("history not loaded: {e}"),
        }
    }
    if tx.send(Msg::HistoryLoaded).await.is_err() {
        return;
    }
    while let Some(chunk) = ready_batch(&mut live, BATCH).await {
        let batch: Vec<Delivery> = chunk
            .iter()
            .filter_map(|m| delivery(m, true, u64::MAX))
            .collect();
        if let Some(max) = batch.iter().map(|d| d.seq).max() {
            last_seen.fetch_max(max, Ordering::SeqCst);
        }
        log_skipped(&batch);
        if !batch.is_empty() && tx.send(Msg::Delivered(batch)).await.is_err() {
            return;
        }
    }
    tracing::info!("live subscription ended");
}

/// Events in one chunk of history, at most.
pub const CHUNK_EVENTS: u64 = 8_192;
/// Events in the first chunk, before anything says how much they weigh.
const FIRST_CHUNK_EVENTS: u64 = 1_024;
/// Events in a chunk, at least, however heavy they are.
const MIN_CHUNK_EVENTS: u64 = 64;
/// What a chunk of history should weigh, about: a stream of heavy events
/// (a flood of 10,000-character ids, say) is read in smaller chunks, so
/// that each arrives as soon as one of light events would.
const CHUNK_BYTES: u64 = 4 << 20;
/// A chunk whose events turn out to weigh more than this before its end is
/// asked again, smaller (`load_weighed`).
const HEAVY_CHUNK_BYTES: u64 = 4 * CHUNK_BYTES;
/// Times a chunk is asked again, smaller, before it is read whatever it weighs.
const HEAVY_RETRIES: usize = 4;
/// The first window stops once it has read this much even without a
/// window of tweets (a stream that ends in a flood of likes): the feed is
/// on screen at once, and older tweets load as they are scrolled to. It is
/// checked between chunks, so the window may go over it by one chunk
/// (`HEAVY_CHUNK_BYTES` at most, but for events heavier than that alone).
pub const WINDOW_BYTES: u64 = 16 << 20;
/// Events in one chunk of older history, loaded as the user scrolls: larger,
/// since whoever scrolls that far is likely to go on.
pub const OLDER_CHUNK_EVENTS: u64 = 32_768;
/// The first window holds at least this many tweets, when the stream has
/// them; older ones load as the user scrolls down to them.
pub const WINDOW_TWEETS: usize = 2_000;
/// A chunk whose next message takes longer than this is not loaded: the
/// server is away. Its range is never marked as read when it was not.
const CHUNK_STALL: Duration = Duration::from_secs(5);

/// Where the stream's history starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: u64,
    pub last: u64,
}

/// One chunk of history as read: every event from `from` to just before the
/// sequence asked for, and whether `from` is the stream's first message.
#[derive(Debug)]
pub struct Chunk {
    pub from: u64,
    pub to: u64,
    pub events: Vec<Delivery>,
    pub at_start: bool,
    /// The bytes of the events' subjects and payloads.
    pub bytes: u64,
}

impl Chunk {
    pub fn into_msg(self) -> Msg {
        Msg::History {
            from: self.from,
            to: self.to,
            events: self.events,
            at_start: self.at_start,
        }
    }
}

/// Reads the chunk of history of `size` events just before sequence `before`.
pub async fn load_chunk(
    readers: &Readers,
    span: Span,
    before: u64,
    size: u64,
    new_after: u64,
) -> Result<Chunk, BusError> {
    let chunk = read_chunk(readers, span, before, size, new_after, u64::MAX).await?;
    Ok(chunk.expect("a chunk without a weight limit is read whole"))
}

/// Reads a chunk of history just before sequence `before`, of about
/// `CHUNK_BYTES` and at most `max` events. Its size is a guess from the
/// events read last; a guess that turns out far too large (heavier events
/// than those) is given up after `HEAVY_CHUNK_BYTES` and asked again,
/// smaller, so no chunk holds much more than that in memory.
pub async fn load_weighed(
    readers: &Readers,
    span: Span,
    before: u64,
    max: u64,
    new_after: u64,
) -> Result<Chunk, BusError> {
    for _ in 0..HEAVY_RETRIES {
        let size = readers.chunk_events(max);
        let cap = if size > MIN_CHUNK_EVENTS {
            HEAVY_CHUNK_BYTES
        } else {
            u64::MAX
        };
        if let Some(chunk) = read_chunk(readers, span, before, size, new_after, cap).await? {
            return Ok(chunk);
        }
        tracing::debug!("history before {before}: {size} events too heavy, asking for fewer");
    }
    let size = readers.chunk_events(max);
    load_chunk(readers, span, before, size, new_after).await
}

/// `None` when the events read weigh over `cap` before the chunk's end;
/// what they weighed is noted for the next guess.
async fn read_chunk(
    readers: &Readers,
    span: Span,
    before: u64,
    size: u64,
    new_after: u64,
    cap: u64,
) -> Result<Option<Chunk>, BusError> {
    let from = before.saturating_sub(size).max(span.first).max(1);
    let to = before.saturating_sub(1);
    let at_start = from <= span.first.max(1);
    let mut events = Vec::with_capacity((to + 1).saturating_sub(from) as usize);
    if from > to {
        return Ok(Some(Chunk {
            from,
            to,
            events,
            at_start: true,
            bytes: 0,
        }));
    }
    let mut bytes = 0;
    // Each message is decoded by the reader's task as it arrives, and
    // weighed: its subject's and payload's bytes.
    let mut reader = read_between(readers.clone(), from, to, move |msg, info| {
        let bytes = (msg.subject.len() + msg.payload.len()) as u64;
        (delivery_at(&msg, info, false, new_after), bytes)
    });
    let result = 'read: loop {
        let batch = match tokio::time::timeout(CHUNK_STALL, reader.recv_batch()).await {
            Ok(Some(batch)) => batch,
            Ok(None) => break Ok(true),
            Err(_) => {
                break Err(BusError::Consumer {
                    consumer: "history".into(),
                    reason: format!("events {from} to {to}: nothing read for {CHUNK_STALL:?}"),
                });
            }
        };
        for ((delivery, weight), info) in batch {
            if info.stream_seq > to {
                break 'read Ok(true);
            }
            bytes += weight;
            events.push(delivery);
            if info.stream_seq >= to || info.pending == 0 {
                break 'read Ok(true);
            }
            if bytes > cap {
                break 'read Ok(false);
            }
        }
    };
    // A reader that died mid-chunk ends its messages early, which would
    // otherwise look like the chunk's end.
    let result = if reader.close().await {
        result
    } else {
        Err(BusError::Consumer {
            consumer: "history".into(),
            reason: format!("events {from} to {to}: the reader failed"),
        })
    };
    if let Some(mean) = bytes.checked_div(events.len() as u64) {
        readers.event_bytes.store(mean.max(1), Ordering::Relaxed);
    }
    let whole = result?;
    if !whole {
        return Ok(None);
    }
    log_skipped(&events);
    Ok(Some(Chunk {
        from,
        to,
        events,
        at_start,
        bytes,
    }))
}

/// The stream's first and last sequence now.
pub async fn span(stream: &Stream) -> Result<Span, BusError> {
    let info = stream
        .get_info()
        .await
        .map_err(|e| super::stream::error(&info_name(stream), e))?;
    Ok(Span {
        first: info.state.first_sequence,
        last: info.state.last_sequence,
    })
}

fn info_name(stream: &Stream) -> String {
    stream.cached_info().config.name.clone()
}

/// Loads the newest chunks of history, up to `end`, until they hold a
/// window of tweets, reach the stream's start or weigh `WINDOW_BYTES`.
async fn load_window(
    readers: &Readers,
    first: u64,
    end: u64,
    new_after: u64,
    tx: &mpsc::Sender<Msg>,
) -> Result<usize, BusError> {
    let span = Span { first, last: end };
    let mut before = end + 1;
    let (mut tweets, mut events, mut bytes) = (0, 0, 0);
    while before > first.max(1) && tweets < WINDOW_TWEETS && bytes < WINDOW_BYTES {
        let chunk = match load_weighed(readers, span, before, CHUNK_EVENTS, new_after).await {
            Ok(chunk) => chunk,
            Err(e) if !tx.is_closed() => {
                // The feed stays "loading" until the server is back.
                tracing::warn!("history: {e}; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        tweets += chunk
            .events
            .iter()
            .filter(|d| {
                d.event
                    .as_ref()
                    .is_ok_and(|e| e.kind == crate::wire::EventKind::TweetCreated)
            })
            .count();
        events += chunk.events.len();
        bytes += chunk.bytes;
        before = chunk.from;
        let at_start = chunk.at_start;
        if tx.send(chunk.into_msg()).await.is_err() || at_start {
            break;
        }
    }
    Ok(events)
}

/// Sends each ack the app asks for, in order.
pub(super) async fn ack_loop(client: Client, mut rx: mpsc::UnboundedReceiver<AckToken>) {
    while let Some(AckToken(reply)) = rx.recv().await {
        if let Err(e) = client.publish(reply, "+ACK".into()).await {
            tracing::warn!("ack not sent: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_ack_subject_forms() {
        let v1 = "$JS.ACK.TWITTERCLONE.jetfeed-ann.1.42.40.1700000000000000000.7";
        assert_eq!(
            parse_ack_subject(v1),
            Some(AckInfo {
                stream_seq: 42,
                pending: 7
            })
        );
        let v2 = "$JS.ACK.hub.ACCHASH.TWITTERCLONE.jetfeed-ann.1.43.41.1700000000000000000.0.rnd";
        assert_eq!(
            parse_ack_subject(v2),
            Some(AckInfo {
                stream_seq: 43,
                pending: 0
            })
        );
        assert_eq!(parse_ack_subject("_INBOX.abc"), None);
        assert_eq!(parse_ack_subject("$JS.ACK.S.C.x.y.z.t.p"), None);
    }

    /// The ack subject read the obvious way: split on dots, each number
    /// by `str::parse`.
    fn parse_ack_subject_by_split(reply: &str) -> Option<AckInfo> {
        let t: Vec<&str> = reply.split('.').collect();
        if !(9..=12).contains(&t.len()) || t[0] != "$JS" || t[1] != "ACK" {
            return None;
        }
        let base = if t.len() == 9 { 2 } else { 4 };
        Some(AckInfo {
            stream_seq: t.get(base + 3)?.parse().ok()?,
            pending: t.get(base + 6)?.parse().ok()?,
        })
    }

    proptest::proptest! {
        /// Any bytes, those that differ from a dot by one bit among them
        /// (0xAE has the dot's low bits).
        #[test]
        fn dots_are_counted_as_a_byte_at_a_time_count_counts_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![b'.', 0xae, b'/', b'-', b'.' ^ 0x01, 0x00, 0xff]),
                ],
                0..40,
            )
        ) {
            let by_byte = bytes.iter().filter(|&&c| c == b'.').count();
            proptest::prop_assert_eq!(dots(&bytes), by_byte);
        }

        #[test]
        fn the_ack_subject_is_read_as_splitting_it_would(
            tokens in proptest::collection::vec(
                proptest::sample::select(vec![
                    "$JS", "ACK", "TWITTERCLONE", "jetfeed-ann", "0", "7", "42",
                    "1700000000000000000", "18446744073709551615", "18446744073709551616",
                    "+5", "+", "-1", "", "x", "4a", "0007",
                ]),
                0..15,
            ),
            numbers in proptest::collection::vec(0u64..100, 7..=10),
            form in 0..3,
        ) {
            // Mostly subjects of the server's two forms (numbers where the
            // numbers go, an odd token now and then), sometimes any tokens.
            let mut tokens: Vec<String> = tokens.into_iter().map(str::to_owned).collect();
            if form > 0 {
                let mut ack: Vec<String> = ["$JS", "ACK"].map(str::to_owned).to_vec();
                ack.extend(numbers.iter().map(u64::to_string));
                for (at, odd) in tokens.iter().enumerate().take(2) {
                    let at = (at * 5 + numbers.len()) % ack.len();
                    ack[at] = odd.clone();
                }
                tokens = ack;
            }
            let reply = tokens.join(".");
            proptest::prop_assert_eq!(
                parse_ack_subject(&reply),
                parse_ack_subject_by_split(&reply),
                "{}", reply
            );
        }
    }

    /// A real server (the embedded one, on a free port, in a temporary
    /// directory) holding a stream of `n` messages.
    async fn stream_of(n: u64) -> (crate::server::Supervisor, tempfile::TempDir, Stream) {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = crate::server::Supervisor::start(crate::server::EmbeddedConfig {
            binary: None,
            data_dir: dir.path().to_owned(),
            port,
        })
        .unwrap();
        let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
        let stream = js
            .create_stream(async_nats::jetstream::stream::Config {
                name: "READS".into(),
                subjects: vec!["READS.*".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        for i in 1..=n {
            js.publish("READS.x", i.to_string().into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        (server, dir, stream)
    }

    /// What a reader hands over, until it stops, and whether it says it
    /// ended well.
    async fn read_all(mut reader: Reader<u64>) -> (Vec<u64>, bool) {
        let mut seqs = Vec::new();
        while let Ok(Some((seq, _))) =
            tokio::time::timeout(Duration::from_secs(10), reader.recv()).await
        {
            seqs.push(seq);
        }
        (seqs, reader.close().await)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_whose_map_panics_says_so_when_closed() {
        let (server, _dir, stream) = stream_of(5).await;
        let readers = Readers::new(stream, "ann");
        let whole = read_between(readers.clone(), 1, 5, |_, info| info.stream_seq);
        assert_eq!(read_all(whole).await, (vec![1, 2, 3, 4, 5], true));
        // Its messages stop short; without the panic reported, a chunk
        // would take them for all there was.
        let broken = read_between(readers, 1, 5, |_, info| {
            assert!(
                info.stream_seq != 3,
                "a map that fails on the third message"
            );
            info.stream_seq
        });
        let (seqs, ended_well) = read_all(broken).await;
        assert!(seqs.len() < 5, "{seqs:?}");
        assert!(!ended_well);
        server.stop();
    }

    #[test]
    fn user_tokens_are_safe_and_distinct() {
        assert_eq!(user_token("ann_b-1"), "ann_b-1");
        let dotted = user_token("ann.b");
        assert!(dotted.starts_with("ann_b-") && dotted != user_token("ann_b"));
        assert!(
            user_token("a b*>.\u{1b}")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        assert_ne!(user_token("名前"), user_token("名字"));
    }
}
