//! Finding things in the stream without reading it whole: one tweet by id
//! (newest first, tweets only), and the first event stored since a time.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::stream::Stream;
use futures::StreamExt;

use super::BusError;
use super::consumer::{Span, parse_ack_subject};
use crate::wire::{self, Event, EventKind};

/// Events the first look-up reads; each one after reads four times more.
const FIRST_CHUNK: u64 = 4_096;
const LARGEST_CHUNK: u64 = 1 << 20;
/// Messages asked for at once.
const BATCH: usize = 1_024;

fn consumer_error(e: impl std::fmt::Display) -> BusError {
    BusError::Consumer {
        consumer: "look-up".into(),
        reason: e.to_string(),
    }
}

/// An ephemeral consumer of the messages on `subject` (all if `None`),
/// starting where `deliver` says, and how many messages it has to read
/// (`None`: nothing to read). It goes away by itself when unused.
async fn reader(
    stream: &Stream,
    subject: Option<String>,
    deliver: DeliverPolicy,
) -> Result<Option<pull::Stream>, BusError> {
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: deliver,
            filter_subject: subject.unwrap_or_default(),
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(10),
            memory_storage: true,
            num_replicas: 1,
            ..Default::default()
        })
        .await
        .map_err(consumer_error)?;
    if consumer.cached_info().num_pending == 0 {
        let name = consumer.cached_info().name.clone();
        let _ = stream.delete_consumer(&name).await;
        return Ok(None);
    }
    consumer
        .stream()
        .max_messages_per_batch(BATCH)
        .heartbeat(Duration::from_secs(1))
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .map(Some)
        .map_err(consumer_error)
}

/// How long a look-up waits for the next message before it gives up.
const STALL: Duration = Duration::from_secs(10);

/// The tweet `id` and its stream sequence, if the stream holds it. Reads
/// only the stream's `tweet_created` subject, newest chunk first: a recent
/// tweet costs one small read; one that is not there, reading every tweet
/// (never the likes).
pub async fn find_tweet(
    stream: &Stream,
    name: &str,
    span: Span,
    id: &str,
) -> Result<Option<(u64, Event)>, BusError> {
    let subject = format!("{name}.{}", EventKind::TweetCreated.as_str());
    let first = span.first.max(1);
    let mut to = span.last;
    let mut size = FIRST_CHUNK;
    while to >= first {
        let from = to.saturating_sub(size - 1).max(first);
        let messages = reader(
            stream,
            Some(subject.clone()),
            DeliverPolicy::ByStartSequence {
                start_sequence: from,
            },
        )
        .await?;
        let Some(mut messages) = messages else {
            // No tweet from here on: none in this chunk either.
            to = from - 1;
            size = (size * 4).min(LARGEST_CHUNK);
            continue;
        };
        let mut found = None;
        loop {
            let Some(item) = tokio::time::timeout(STALL, messages.next())
                .await
                .map_err(|_| consumer_error(format!("nothing read for {STALL:?}")))?
            else {
                break;
            };
            let msg = item.map_err(consumer_error)?;
            let Some(info) = msg.reply.as_deref().and_then(parse_ack_subject) else {
                continue;
            };
            if info.stream_seq > to {
                break;
            }
            if let Ok(e) = wire::decode(&msg.subject, &msg.payload)
                && e.kind == EventKind::TweetCreated
                && e.id == id
            {
                // The first one stored is the tweet; a copy is not.
                found.get_or_insert((info.stream_seq, e));
            }
            if info.pending == 0 || info.stream_seq >= to {
                break;
            }
        }
        if found.is_some() {
            return Ok(found);
        }
        to = from - 1;
        size = (size * 4).min(LARGEST_CHUNK);
    }
    Ok(None)
}

/// The sequence of the first event stored at or after `since`, if any.
pub async fn first_since(
    stream: &Stream,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<u64>, BusError> {
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(
        since.timestamp_nanos_opt().unwrap_or(0).into(),
    )
    .map_err(consumer_error)?;
    let Some(mut messages) =
        reader(stream, None, DeliverPolicy::ByStartTime { start_time }).await?
    else {
        return Ok(None);
    };
    match tokio::time::timeout(STALL, messages.next()).await {
        Ok(Some(Ok(msg))) => Ok(msg
            .reply
            .as_deref()
            .and_then(parse_ack_subject)
            .map(|i| i.stream_seq)),
        Ok(Some(Err(e))) => Err(consumer_error(e)),
        Ok(None) => Ok(None),
        Err(_) => Err(consumer_error(format!("nothing read for {STALL:?}"))),
    }
}
