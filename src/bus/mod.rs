//! The bus: the only code that talks to NATS. It turns JetStream deliveries
//! into `Msg`s for the reducer and carries out the `Cmd`s it returns.
//!
//! - `connect`: the NATS connection and its state changes
//! - `stream`: find or create the stream
//! - `consumer`: the user's durable consumer, history, live deliveries
//! - `publish`: events out, each awaited to its PubAck
//! - `watch`: the stream's count; a deleted consumer or stream put back

mod connect;
mod consumer;
mod lookup;
mod publish;
mod stream;
mod watch;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_nats::Client;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::{self, Context};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::app::protocol::{AckToken, Cmd, Delivery, Msg, Outgoing};
use crate::wire::Event;

pub use connect::{Auth, Servers, redact};
pub use consumer::{
    CHUNK_EVENTS, Chunk, OLDER_CHUNK_EVENTS, READER_SLOTS, Span, WINDOW_TWEETS, reader_name,
    user_token,
};
pub use watch::EVERY as WATCH_EVERY;

/// The name of `user`'s durable consumer.
pub fn consumer_name(user: &str) -> String {
    consumer::Durable::name_for(user)
}

/// Everything the bus needs to know to start.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub servers: Servers,
    pub stream: String,
    pub user: String,
    /// How long a publish waits for its PubAck.
    pub publish_timeout: Duration,
    /// Replicas for the stream, when jetfeed creates it.
    pub replicas: usize,
}

/// Why the bus could not start or do what was asked. Always one line.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cannot reach NATS at {servers}: {reason}")]
    Unreachable { servers: String, reason: String },
    #[error("bad server address {0:?}: expected nats://host:port")]
    BadUrl(String),
    #[error("JetStream is not enabled on {0}: start nats-server with -js")]
    NoJetStream(String),
    #[error("stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
    /// The stream does not exist, and was not to be made.
    #[error("stream {stream}: there is none on {servers}")]
    NoStream { stream: String, servers: String },
    #[error("consumer {consumer}: {reason}")]
    Consumer { consumer: String, reason: String },
    #[error("{0}")]
    Publish(String),
    #[error("{0}")]
    Auth(String),
}

/// How many publishes may wait for their PubAcks at once (in the benchmark
/// 1,024 published faster than 256). async-nats stalls when more than its
/// max_ack_inflight are held; that is set to twice this.
pub const MAX_PUBLISHES_IN_FLIGHT: usize = 1024;

/// A connection to NATS with the stream found or made: the one door every
/// mode goes through (the terminal UI and the headless commands). Publish
/// through it, read the stream through it, or `follow` it as the terminal
/// UI does.
pub struct Session {
    client: Client,
    refusals: connect::Refusals,
    js: Context,
    stream: jetstream::stream::Stream,
    made_stream: bool,
    cfg: BusConfig,
}

impl Session {
    /// Connects and finds or creates the stream. Connection changes go to
    /// `events` as `Msg::Connection`, when given. Fails with one line.
    pub async fn open(
        cfg: &BusConfig,
        events: Option<mpsc::Sender<Msg>>,
    ) -> Result<Session, BusError> {
        Self::connect(cfg, events, true).await
    }

    /// `open` for a command that only reads, or acts on what is stored: a
    /// stream that does not exist (a mistyped `--stream`) is an error, not
    /// made.
    pub async fn open_existing(cfg: &BusConfig) -> Result<Session, BusError> {
        Self::connect(cfg, None, false).await
    }

    async fn connect(
        cfg: &BusConfig,
        events: Option<mpsc::Sender<Msg>>,
        create: bool,
    ) -> Result<Session, BusError> {
        let (client, refusals) = connect::connect(&cfg.servers, events).await?;
        let js = jetstream::ContextBuilder::new()
            .timeout(cfg.publish_timeout)
            .max_ack_inflight(MAX_PUBLISHES_IN_FLIGHT * 2)
            .build(client.clone());
        let (stream, made_stream) =
            stream::ensure(&js, &cfg.stream, cfg.replicas, &cfg.servers, create).await?;
        Ok(Session {
            client,
            refusals,
            js,
            stream,
            made_stream,
            cfg: cfg.clone(),
        })
    }

    /// Whether opening made the stream: it was not there.
    pub fn made_stream(&self) -> bool {
        self.made_stream
    }

    /// Publishes one event and waits for its PubAck; returns the stream
    /// sequence it was stored at (the first one's, for a retry).
    pub async fn publish(&self, out: &Outgoing) -> Result<u64, BusError> {
        publish::publish(&self.js, &self.refusals, &self.cfg.stream, out).await
    }

    /// Every event from sequence `from` on, decoded, in order, then each new
    /// one as it is stored. Moves no one's place in the stream.
    pub fn read(&self, from: u64) -> Events {
        Events {
            reader: consumer::read_from(self.readers(), from),
        }
    }

    /// The tweet `id` and where it is stored, if the stream holds it. Reads
    /// the stream newest first, in growing chunks.
    pub async fn find_tweet(&self, id: &str) -> Result<Option<(u64, Event)>, BusError> {
        let span = self.span().await?;
        lookup::find_tweet(&self.readers(), span, id).await
    }

    /// The sequence of the first event stored at or after `since`.
    pub async fn first_since(&self, since: DateTime<Utc>) -> Result<Option<u64>, BusError> {
        lookup::first_since(&self.readers(), since).await
    }

    /// The stream's first and last sequence now.
    pub async fn span(&self) -> Result<Span, BusError> {
        consumer::span(&self.stream).await
    }

    /// Reads the chunk of history of `size` events just before `before`, as
    /// the terminal UI does when the user scrolls.
    pub async fn load_chunk(&self, span: Span, before: u64, size: u64) -> Result<Chunk, BusError> {
        consumer::load_chunk(&self.readers(), span, before, size, u64::MAX).await
    }

    fn readers(&self) -> consumer::Readers {
        consumer::Readers::new(self.stream.clone(), &self.cfg.user)
    }

    /// The name of the server this connection is on (one node of a cluster).
    pub fn server_name(&self) -> String {
        self.client.server_info().server_name
    }

    /// Whether the connection is up now. A publish made while it is down
    /// waits in the client's buffer and may be stored long after its
    /// caller gave up; callers that must not leave one behind ask first.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Sends what is buffered and closes the connection.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.client.flush()).await;
    }

    /// Follows the stream as the terminal UI does: finds or creates the
    /// user's durable consumer, loads the newest history, then goes on with
    /// live deliveries, acks, publishes and the watchdog in the background.
    pub async fn follow(self, tx: mpsc::Sender<Msg>) -> Result<Bus, BusError> {
        let durable =
            consumer::Durable::ensure(&self.stream, &self.cfg.stream, &self.cfg.user).await?;
        self.run(durable, true, tx).await
    }

    /// `follow`, with a new consumer reading from the stream's first event
    /// and no history loaded first: every stored event arrives as a live
    /// delivery. The benchmark measures the live path with it.
    #[doc(hidden)]
    pub async fn follow_from_start(self, tx: mpsc::Sender<Msg>) -> Result<Bus, BusError> {
        let mut config = consumer::Durable::config(&self.cfg.stream, &self.cfg.user);
        config.deliver_policy = DeliverPolicy::All;
        let durable = consumer::Durable {
            name: consumer::Durable::name_for(&self.cfg.user),
            config: config.clone(),
            ack_floor: 0,
        };
        self.stream
            .create_consumer(config)
            .await
            .map_err(|e| durable.error(e.to_string()))?;
        self.run(durable, false, tx).await
    }

    async fn run(
        self,
        durable: consumer::Durable,
        with_history: bool,
        tx: mpsc::Sender<Msg>,
    ) -> Result<Bus, BusError> {
        let Session {
            client,
            refusals,
            js,
            stream,
            cfg,
            ..
        } = self;
        // Subscribe before taking the history's end, so that every event
        // after that end is delivered live to this terminal.
        let live = client
            .subscribe(durable.config.deliver_subject.clone())
            .await
            .map_err(|e| durable.error(e.to_string()))?;
        let info = stream
            .get_info()
            .await
            .map_err(|e| stream::error(&cfg.stream, e))?;
        let _ = tx.send(Msg::StreamMessages(info.state.messages)).await;
        let history = if with_history {
            Span {
                first: info.state.first_sequence,
                last: info.state.last_sequence,
            }
        } else {
            Span { first: 1, last: 0 }
        };
        let ack_floor = durable.ack_floor;
        let last_seen = Arc::new(AtomicU64::new(0));
        let watch = watch::Watch {
            js: js.clone(),
            stream: cfg.stream.clone(),
            replicas: cfg.replicas,
            servers: cfg.servers.clone(),
            created: stream.cached_info().created.unix_timestamp_nanos(),
            durable: durable.config,
            last_seen: last_seen.clone(),
        };
        let (ack_tx, ack_rx) = mpsc::unbounded_channel();
        let (pub_tx, pub_rx) = mpsc::unbounded_channel();
        // One estimate of what events weigh, from the window on.
        let readers = consumer::Readers::new(stream, &cfg.user);
        let tasks = vec![
            tokio::spawn(consumer::run_feed(
                readers.clone(),
                history,
                ack_floor,
                live,
                last_seen,
                tx.clone(),
            )),
            tokio::spawn(watch.run(tx.clone())),
            tokio::spawn(consumer::ack_loop(client.clone(), ack_rx)),
            tokio::spawn(publish::publish_loop(
                js,
                refusals,
                cfg.stream.clone(),
                pub_rx,
                tx.clone(),
            )),
        ];
        Ok(Bus {
            client,
            readers,
            new_after: ack_floor,
            tx,
            acks: ack_tx,
            publishes: pub_tx,
            tasks,
        })
    }
}

/// Decoded events read from the stream, in order (`Session::read`).
pub struct Events {
    reader: consumer::Reader<async_nats::Message>,
}

impl Events {
    /// The next event, decoded or not, with its stream sequence. `None`
    /// only once the reader has stopped; it recovers from server restarts
    /// by itself.
    pub async fn next(&mut self) -> Option<Delivery> {
        let (msg, info) = self.reader.recv().await?;
        Some(consumer::delivery_at(&msg, info, false, u64::MAX))
    }

    /// `next`, with the payload exactly as stored.
    pub async fn next_stored(&mut self) -> Option<(Delivery, Vec<u8>)> {
        let (msg, info) = self.reader.recv().await?;
        let delivery = consumer::delivery_at(&msg, info, false, u64::MAX);
        Some((delivery, msg.payload.to_vec()))
    }

    /// Stops reading and removes the reader's consumer from the server.
    pub async fn close(self) {
        self.reader.close().await;
    }
}

/// A followed stream (`Session::follow`): deliveries flow to the `Msg`
/// channel it was started with; commands go in through `execute`.
pub struct Bus {
    client: Client,
    readers: consumer::Readers,
    /// The user's place in the stream when jetfeed started.
    new_after: u64,
    tx: mpsc::Sender<Msg>,
    acks: mpsc::UnboundedSender<AckToken>,
    publishes: mpsc::UnboundedSender<Outgoing>,
    tasks: Vec<JoinHandle<()>>,
}

impl Bus {
    /// Carries out one command of the reducer's. Never blocks.
    pub fn execute(&self, cmd: Cmd) {
        match cmd {
            Cmd::Ack(token) => {
                let _ = self.acks.send(token);
            }
            Cmd::Publish(out) => {
                let _ = self.publishes.send(out);
            }
            Cmd::LoadOlder { before } => {
                tracing::debug!("older history before {before}");
                let (readers, tx, new_after) =
                    (self.readers.clone(), self.tx.clone(), self.new_after);
                tokio::spawn(async move {
                    let chunk = match consumer::span(&readers.stream).await {
                        Ok(span) => {
                            consumer::load_weighed(
                                &readers,
                                span,
                                before,
                                consumer::OLDER_CHUNK_EVENTS,
                                new_after,
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    let msg = chunk.map(consumer::Chunk::into_msg).unwrap_or_else(|e| {
                        tracing::warn!("older history not loaded: {e}");
                        Msg::OlderFailed(e.to_string())
                    });
                    let _ = tx.send(msg).await;
                });
            }
            Cmd::LoadNewer { after, to } => {
                tracing::debug!("newer history after {after}, up to {to}");
                let (readers, tx, new_after) =
                    (self.readers.clone(), self.tx.clone(), self.new_after);
                tokio::spawn(async move {
                    let size = readers
                        .chunk_events(consumer::OLDER_CHUNK_EVENTS)
                        .min(to.saturating_sub(after).max(1));
                    let span = consumer::Span {
                        first: after + 1,
                        last: to,
                    };
                    let chunk =
                        consumer::load_chunk(&readers, span, after + 1 + size, size, new_after)
                            .await;
                    let msg = match chunk {
                        Ok(chunk) => Msg::Newer {
                            from: chunk.from,
                            to: chunk.to,
                            events: chunk.events,
                        },
                        Err(e) => {
                            tracing::warn!("newer history not loaded: {e}");
                            Msg::NewerFailed(e.to_string())
                        }
                    };
                    let _ = tx.send(msg).await;
                });
            }
            Cmd::FillGap { from, to } => {
                tracing::info!("live events {from} to {to} skipped by delivery: reading them");
                let (readers, tx, new_after) =
                    (self.readers.clone(), self.tx.clone(), self.new_after);
                tokio::spawn(async move {
                    let span = consumer::Span {
                        first: from,
                        last: to,
                    };
                    let chunk =
                        consumer::load_chunk(&readers, span, to + 1, to + 1 - from, new_after)
                            .await;
                    let msg = match chunk {
                        Ok(chunk) => Msg::GapFilled {
                            from,
                            to,
                            events: chunk.events,
                        },
                        Err(e) => {
                            tracing::warn!("live events {from} to {to} not read: {e}");
                            Msg::GapFailed { from, to }
                        }
                    };
                    let _ = tx.send(msg).await;
                });
            }
            // The terminal's business: the run loop hands it to the screen.
            Cmd::Copy(_) => {}
        }
    }

    /// The name of the server this connection is on (one node of a cluster).
    pub fn server_name(&self) -> String {
        self.client.server_info().server_name
    }

    /// Sends what is queued (acks above all) and closes the connection.
    pub async fn shutdown(self) {
        drop(self.acks);
        drop(self.publishes);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.client.flush()).await;
        for t in &self.tasks {
            t.abort();
        }
    }
}
