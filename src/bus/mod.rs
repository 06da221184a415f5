//! The bus: the only code that talks to NATS. It turns JetStream deliveries
//! into `Msg`s for the reducer and carries out the `Cmd`s it returns.
//!
//! - `connect`: the NATS connection and its state changes
//! - `stream`: find or create the stream
//! - `consumer`: the user's durable consumer, history, live deliveries
//! - `publish`: events out, each awaited to its PubAck
//! - `watch`: the stream's count; a deleted consumer or stream put back

pub mod connect;
pub mod consumer;
pub mod publish;
pub mod stream;
pub mod watch;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_nats::Client;
use async_nats::jetstream::{self, Context};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::app::{AckToken, Cmd, Msg, Outgoing};

pub use connect::{Auth, Servers};

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
    #[error("consumer {consumer}: {reason}")]
    Consumer { consumer: String, reason: String },
    #[error("{0}")]
    Publish(String),
    #[error("{0}")]
    Auth(String),
}

/// How many publishes may wait for their PubAcks at once. async-nats stalls
/// when more than its max_ack_inflight are held; this stays well below.
pub const MAX_PUBLISHES_IN_FLIGHT: usize = 256;

/// A running bus: deliveries flow to the `Msg` channel given to `start`;
/// commands go in through `execute`.
pub struct Bus {
    client: Client,
    stream: jetstream::stream::Stream,
    /// The user's place in the stream when jetfeed started.
    new_after: u64,
    tx: mpsc::Sender<Msg>,
    acks: mpsc::UnboundedSender<AckToken>,
    publishes: mpsc::UnboundedSender<Outgoing>,
    tasks: Vec<JoinHandle<()>>,
}

/// What a running bus is made of: the connection, the stream, and the
/// user's live subscription with where the history ends.
pub struct Parts {
    pub client: Client,
    pub js: Context,
    pub stream: jetstream::stream::Stream,
    /// The user's place in the stream: what came after it is new.
    pub ack_floor: u64,
    /// The subscription to the user's durable consumer's deliver subject.
    pub live: async_nats::Subscriber,
    /// The history to load before going live.
    pub history: consumer::Span,
    /// The user's consumer, as it is to be put back if an operator removes it.
    pub durable: async_nats::jetstream::consumer::push::Config,
}

impl Bus {
    /// Connects, finds or creates the stream and the user's durable consumer,
    /// then loads the newest history and goes on with live deliveries in the
    /// background. Fails with one line when any of that is impossible.
    pub async fn start(cfg: &BusConfig, tx: mpsc::Sender<Msg>) -> Result<Bus, BusError> {
        let parts = Self::open(cfg, &tx).await?;
        Ok(Self::run(cfg, parts, tx))
    }

    /// Everything `start` does before it starts the background tasks.
    pub async fn open(cfg: &BusConfig, tx: &mpsc::Sender<Msg>) -> Result<Parts, BusError> {
        let client = connect::connect(&cfg.servers, Some(tx.clone())).await?;
        let js = context(&client, cfg.publish_timeout);
        let stream = stream::ensure(&js, &cfg.stream, cfg.replicas, &cfg.servers).await?;
        let durable = consumer::Durable::ensure(&stream, &cfg.stream, &cfg.user).await?;
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
        let history = consumer::Span {
            first: info.state.first_sequence,
            last: info.state.last_sequence,
        };
        Ok(Parts {
            client,
            js,
            stream,
            ack_floor: durable.ack_floor,
            live,
            history,
            durable: durable.config,
        })
    }

    /// Starts the background tasks: history then live deliveries, the
    /// stream's count, acks, publishes.
    pub fn run(cfg: &BusConfig, parts: Parts, tx: mpsc::Sender<Msg>) -> Bus {
        let Parts {
            client,
            js,
            stream,
            ack_floor,
            live,
            history,
            durable,
        } = parts;
        let last_seen = Arc::new(AtomicU64::new(0));
        let watch = watch::Watch {
            js: js.clone(),
            stream: cfg.stream.clone(),
            replicas: cfg.replicas,
            servers: cfg.servers.clone(),
            created: stream.cached_info().created.unix_timestamp_nanos(),
            durable,
            last_seen: last_seen.clone(),
        };
        let (ack_tx, ack_rx) = mpsc::unbounded_channel();
        let (pub_tx, pub_rx) = mpsc::unbounded_channel();
        let tasks = vec![
            tokio::spawn(consumer::run_feed(
                stream.clone(),
                history,
                ack_floor,
                live,
                last_seen,
                tx.clone(),
            )),
            tokio::spawn(watch.run(tx.clone())),
            tokio::spawn(ack_loop(client.clone(), ack_rx)),
            tokio::spawn(publish_loop(js, cfg.stream.clone(), pub_rx, tx.clone())),
        ];
        Bus {
            client,
            stream,
            new_after: ack_floor,
            tx,
            acks: ack_tx,
            publishes: pub_tx,
            tasks,
        }
    }

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
                let (stream, tx, new_after) =
                    (self.stream.clone(), self.tx.clone(), self.new_after);
                tokio::spawn(async move {
                    let chunk = match consumer::span(&stream).await {
                        Ok(span) => {
                            consumer::load_chunk(
                                &stream,
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

/// A JetStream context whose API requests and PubAcks wait `timeout`.
pub fn context(client: &Client, timeout: Duration) -> Context {
    jetstream::ContextBuilder::new()
        .timeout(timeout)
        .max_ack_inflight(MAX_PUBLISHES_IN_FLIGHT * 2)
        .build(client.clone())
}

async fn ack_loop(client: Client, mut rx: mpsc::UnboundedReceiver<AckToken>) {
    while let Some(AckToken(reply)) = rx.recv().await {
        if let Err(e) = client.publish(reply, "+ACK".into()).await {
            tracing::warn!("ack not sent: {e}");
        }
    }
}

/// Publishes what the app sends, in order, with up to
/// `MAX_PUBLISHES_IN_FLIGHT` PubAcks awaited at once; each outcome goes back
/// to the app as `Msg::Published`.
async fn publish_loop(
    js: Context,
    stream: String,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    tx: mpsc::Sender<Msg>,
) {
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    loop {
        tokio::select! {
            out = rx.recv(), if open && in_flight.len() < MAX_PUBLISHES_IN_FLIGHT => match out {
                Some(out) => {
                    let sent = publish::send(&js, &stream, &out).await;
                    in_flight.push(async move {
                        let result = match sent {
                            Ok(ack) => publish::acked(ack).await,
                            Err(e) => Err(e),
                        };
                        (out.msg_id, result.map_err(|e| e.to_string()))
                    });
                }
                None => open = false,
            },
            Some((msg_id, result)) = in_flight.next(), if !in_flight.is_empty() => {
                if let Err(e) = &result {
                    tracing::warn!(%msg_id, "publish failed: {e}");
                }
                if tx.send(Msg::Published { msg_id, result }).await.is_err() {
                    return;
                }
            },
            else => return,
        }
    }
}
