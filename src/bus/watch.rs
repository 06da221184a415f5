//! The watchdog: reports the stream's message count and how far the user's
//! consumer has delivered, and puts back what an operator removed while
//! jetfeed runs. A deleted durable consumer is made again from just after
//! the last event delivered (on the same deliver subject, so the live
//! subscription simply resumes); a deleted or recreated stream is made
//! again if missing, the consumer with it, and the feed is rebuilt from the
//! new stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::Context;
use async_nats::jetstream::consumer::{DeliverPolicy, push};
use async_nats::jetstream::context::ConsumerInfoErrorKind;
use async_nats::jetstream::stream::Stream;
use tokio::sync::mpsc;

use super::{Servers, stream};
use crate::app::protocol::Msg;

/// How often the stream and consumer are looked at.
pub const EVERY: Duration = Duration::from_secs(2);

pub struct Watch {
    pub js: Context,
    pub stream: String,
    pub replicas: usize,
    pub servers: Servers,
    /// When the stream jetfeed started on was created (Unix nanoseconds):
    /// another time means another stream.
    pub created: i128,
    /// The user's consumer, as it is to be put back.
    pub durable: push::Config,
    /// The highest stream sequence delivered live.
    pub last_seen: Arc<AtomicU64>,
}

impl Watch {
    pub async fn run(mut self, tx: mpsc::Sender<Msg>) {
        let mut every = tokio::time::interval(EVERY);
        // Reports stay a period apart, even after a slow one: the app reads
        // a tail the consumer still says it delivered a report later.
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if tx.is_closed() {
                return;
            }
            // Made again if it was deleted; an error means the server is
            // away, and the connection comes back by itself.
            let Ok((s, _)) =
                stream::ensure(&self.js, &self.stream, self.replicas, &self.servers, true).await
            else {
                continue;
            };
            let info = s.cached_info();
            let created = info.created.unix_timestamp_nanos();
            if created != self.created {
                tracing::warn!(
                    "stream {} was deleted or recreated: rebuilding the feed",
                    self.stream
                );
                self.created = created;
                self.restart_feed(&s, &tx).await;
            }
            if tx
                .send(Msg::StreamMessages(info.state.messages))
                .await
                .is_err()
            {
                return;
            }
            let name = self.durable.durable_name.clone().unwrap_or_default();
            let consumer = s.consumer_info(&name).await;
            if let Ok(info) = &consumer
                && tx
                    .send(Msg::ConsumerDelivered(info.delivered.stream_sequence))
                    .await
                    .is_err()
            {
                return;
            }
            let missing = matches!(consumer, Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound);
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

    /// A new stream: the feed anew, then the consumer again from its start.
    /// The reset is queued before the consumer can deliver anything, so no
    /// event of the new stream is applied to the old feed and then wiped.
    async fn restart_feed(&self, s: &Stream, tx: &mpsc::Sender<Msg>) {
        self.last_seen.store(0, Ordering::SeqCst);
        let _ = tx.send(Msg::Reset).await;
        let name = self.durable.durable_name.clone().unwrap_or_default();
        let _ = s.delete_consumer(&name).await;
        let config = push::Config {
            deliver_policy: DeliverPolicy::All,
            ..self.durable.clone()
        };
        if let Err(e) = s.create_consumer(config).await {
            tracing::warn!("consumer {name} not recreated: {e}");
        }
    }
}
