//! Finding things in the stream without reading it whole: one tweet by id
//! (newest first), and the first event stored since a time.

use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;

use super::BusError;
use super::consumer::{Readers, Span, parse_ack_subject};
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

/// A reader of the stream's messages, starting where `deliver` says, in
/// one of the user's reader slots (`None`: nothing to read). Its slot is
/// freed with `Readers::free` under the name returned.
async fn reader(
    readers: &Readers,
    deliver: DeliverPolicy,
) -> Result<(String, Option<pull::Stream>), BusError> {
    let consumer = readers.create(deliver).await?;
    let name = consumer.cached_info().name.clone();
    if consumer.cached_info().num_pending == 0 {
        return Ok((name, None));
    }
    let messages = consumer
        .stream()
        .max_messages_per_batch(BATCH)
        .heartbeat(Duration::from_secs(1))
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .map_err(consumer_error);
    Ok((name, Some(messages?)))
}

/// How long a look-up waits for the next message before it gives up.
const STALL: Duration = Duration::from_secs(10);

/// The tweet `id` and its stream sequence, if the stream holds it. Reads
/// the stream newest chunk first: a recent tweet costs one small read; one
/// that is not there, reading the whole stream. Every event is read, likes
/// too, and the tweets picked out here: a server delivers a consumer
/// filtered on `tweet_created` far more slowly than one reading
/// everything (see the README: on a 300,000-event stream, seconds against
/// a fifth of one).
pub async fn find_tweet(
    readers: &Readers,
    span: Span,
    id: &str,
) -> Result<Option<(u64, Event)>, BusError> {
    let first = span.first.max(1);
    let mut to = span.last;
    let mut size = FIRST_CHUNK;
    while to >= first {
        let from = to.saturating_sub(size - 1).max(first);
        let (slot, messages) = reader(
            readers,
            DeliverPolicy::ByStartSequence {
                start_sequence: from,
            },
        )
        .await?;
        let found = match messages {
            Some(messages) => read_chunk(messages, to, id).await,
            None => Ok(None),
        };
        readers.free(&slot).await;
        if let Some(found) = found? {
            return Ok(Some(found));
        }
        // No tweet from here on: none in this chunk either.
        to = from - 1;
        size = (size * 4).min(LARGEST_CHUNK);
    }
    Ok(None)
}

/// The first tweet `id` stored up to sequence `to` that `messages` holds.
async fn read_chunk(
    mut messages: pull::Stream,
    to: u64,
    id: &str,
) -> Result<Option<(u64, Event)>, BusError> {
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
    Ok(found)
}

/// The sequence of the first event stored at or after `since`, if any.
pub async fn first_since(
    readers: &Readers,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<u64>, BusError> {
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(
        since.timestamp_nanos_opt().unwrap_or(0).into(),
    )
    .map_err(consumer_error)?;
    let (slot, messages) = reader(readers, DeliverPolicy::ByStartTime { start_time }).await?;
    let Some(mut messages) = messages else {
        readers.free(&slot).await;
        return Ok(None);
    };
    let first = tokio::time::timeout(STALL, messages.next()).await;
    readers.free(&slot).await;
    match first {
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
