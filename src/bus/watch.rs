//! The watchdog: reports the stream's message count, and puts back what an
//! operator removed while jetfeed runs. A deleted durable consumer is made
//! again from just after the last event delivered (on the same deliver
//! subject, so the live subscription simply resumes); a deleted or
//! recreated stream is made again if missing, the consumer with it, and the
//! feed is rebuilt from the new stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, push};
use async_nats::jetstream::context::{ConsumerInfoErrorKind, GetStreamErrorKind};
use async_nats::jetstream::{Context, ErrorCode};
use tokio::sync::mpsc;

use super::stream;
use crate::app::Msg;

/// How often the stream and consumer are looked at.
pub const EVERY: Duration = Duration::from_secs(2);

pub struct Watch {
    pub js: Context,
    pub stream: String,
    pub replicas: usize,
    /// The user's consumer, as it is to be put back.
    pub durable: push::Config,
    /// The highest stream sequence delivered live.
    pub last_seen: Arc<AtomicU64>,
}

impl Watch {
    pub async fn run(self, tx: mpsc::Sender<Msg>) {
        let mut created = None;
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            if tx.is_closed() {
                return;
            }
            let mut s = match self.js.get_stream(&self.stream).await {
                Ok(s) => s,
                Err(e) => {
                    let gone = matches!(e.kind(),
                        GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND);
                    // Otherwise the server is away: the connection returns by itself.
                    if gone {
                        match self
                            .js
                            .create_stream(stream::config(&self.stream, self.replicas))
                            .await
                        {
                            Ok(s) => {
                                tracing::warn!(
                                    "stream {} was deleted: created it again",
                                    self.stream
                                );
                                created = Some(s.cached_info().created);
                                self.restart_feed(&s, &tx).await;
                            }
                            Err(e) => tracing::debug!("stream {} not recreated: {e}", self.stream),
                        }
                    }
                    continue;
                }
            };
            let Ok(info) = s.info().await.cloned() else {
                continue;
            };
            if created.is_some_and(|c| c != info.created) {
                tracing::warn!("stream {} was recreated: rebuilding the feed", self.stream);
                self.restart_feed(&s, &tx).await;
            }
            created = Some(info.created);
            if tx
                .send(Msg::StreamMessages(info.state.messages))
                .await
                .is_err()
            {
                return;
            }
            let name = self.durable.durable_name.clone().unwrap_or_default();
            let missing = matches!(s.consumer_info(&name).await,
                Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound);
            if missing {
                let from = self.last_seen.load(Ordering::SeqCst) + 1;
                let config = push::Config {
                    deliver_policy: DeliverPolicy::ByStartSequence {
                        start_sequence: from,
                    },
                    ..self.durable.clone()
                };
                match s.create_consumer(config).await {
                    Ok(_) => {
                        tracing::warn!("consumer {name} was deleted: created it again from {from}")
                    }
                    Err(e) => tracing::debug!("consumer {name} not recreated: {e}"),
                }
            }
        }
    }

    /// A new stream: the consumer again from its start, and the feed anew.
    async fn restart_feed(
        &self,
        s: &async_nats::jetstream::stream::Stream,
        tx: &mpsc::Sender<Msg>,
    ) {
        let name = self.durable.durable_name.clone().unwrap_or_default();
        let _ = s.delete_consumer(&name).await;
        let config = push::Config {
            deliver_policy: DeliverPolicy::All,
            ..self.durable.clone()
        };
        if let Err(e) = s.create_consumer(config).await {
            tracing::warn!("consumer {name} not recreated: {e}");
        }
        self.last_seen.store(0, Ordering::SeqCst);
        let _ = tx.send(Msg::Reset).await;
    }
}
