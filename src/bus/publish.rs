//! Publishing: every event carries its Nats-Msg-Id and is done only when its
//! PubAck arrives.

use async_nats::Subject;
use async_nats::jetstream::Context;
use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;

use super::connect::Refusals;
use super::{BusError, MAX_PUBLISHES_IN_FLIGHT};
use crate::app::protocol::{Msg, Outgoing, Settled};
use crate::wire::EventKind;

/// The subjects events are published on in one stream, one per kind, made
/// once: each publish then shares its kind's instead of formatting and
/// copying its own.
struct Subjects {
    created: Subject,
    liked: Subject,
    unliked: Subject,
}

impl Subjects {
    fn new(stream: &str) -> Subjects {
        let subject = |kind: EventKind| Subject::from(kind.subject(stream));
        Subjects {
            created: subject(EventKind::TweetCreated),
            liked: subject(EventKind::TweetLiked),
            unliked: subject(EventKind::TweetUnliked),
        }
    }

    fn of(&self, kind: EventKind) -> Subject {
        match kind {
            EventKind::TweetCreated => &self.created,
            EventKind::TweetLiked => &self.liked,
            EventKind::TweetUnliked => &self.unliked,
        }
        .clone()
    }
}

/// Publishes one event and waits for its PubAck; returns its stream
/// sequence. A publish the server refuses fails as soon as it says so.
pub async fn publish(
    js: &Context,
    refusals: &Refusals,
    stream: &str,
    out: &Outgoing,
) -> Result<u64, BusError> {
    let refused = refusals.subscribe();
    let subject = Subject::from(out.event.subject(stream));
    let ack = send(js, &subject, out).await;
    settled(ack, refused, subject).await
}

/// The PubAck of a sent event, or the server's refusal of its subject,
/// whichever comes first.
async fn settled(
    ack: Result<PublishAckFuture, BusError>,
    mut refused: tokio::sync::broadcast::Receiver<String>,
    subject: Subject,
) -> Result<u64, BusError> {
    let ack = ack?;
    let refusal = async {
        loop {
            match refused.recv().await {
                Ok(s) if s == subject.as_str() => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    std::future::pending::<()>().await
                }
            }
        }
    };
    tokio::select! {
        result = acked(ack) => result,
        () = refusal => Err(BusError::Publish(format!("not allowed to publish to {subject}"))),
    }
}

/// Sends one event on `subject` (its kind's, in the stream); the returned
/// future resolves with its PubAck. Sending only queues the message on the
/// connection, so many PubAcks can be awaited together.
async fn send(
    js: &Context,
    subject: &Subject,
    out: &Outgoing,
) -> Result<PublishAckFuture, BusError> {
    let msg = PublishMessage::build()
        .message_id(&out.msg_id)
        .payload(out.event.encode().into());
    js.send_publish(subject.clone(), msg)
        .await
        .map_err(describe)
}

/// Waits for a PubAck; returns the stream sequence it stored the event at.
pub async fn acked(ack: PublishAckFuture) -> Result<u64, BusError> {
    Ok(ack.await.map_err(describe)?.sequence)
}

fn describe(e: async_nats::jetstream::context::PublishError) -> BusError {
    BusError::Publish(match e.kind() {
        PublishErrorKind::TimedOut => {
            "no PubAck in time: server unreachable, or no permission to publish".to_owned()
        }
        PublishErrorKind::StreamNotFound => "no stream takes this subject".to_owned(),
        PublishErrorKind::BrokenPipe => "connection lost".to_owned(),
        _ => e.to_string(),
    })
}

/// Publishes what the app sends, in order, with up to
/// `MAX_PUBLISHES_IN_FLIGHT` PubAcks awaited at once; the outcomes go back
/// to the app in `Msg::Published`, as many at once as have settled.
pub(super) async fn publish_loop(
    js: Context,
    refusals: Refusals,
    stream: String,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    tx: mpsc::Sender<Msg>,
) {
    let subjects = Subjects::new(&stream);
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    loop {
        tokio::select! {
            out = rx.recv(), if open && in_flight.len() < MAX_PUBLISHES_IN_FLIGHT => match out {
                Some(out) => {
                    let refused = refusals.subscribe();
                    let subject = subjects.of(out.event.kind);
                    let sent = send(&js, &subject, &out).await;
                    in_flight.push(async move {
                        let result = settled(sent, refused, subject).await;
                        Settled {
                            msg_id: out.msg_id,
                            result: result.map_err(|e| e.to_string()),
                        }
                    });
                }
                None => open = false,
            },
            Some(first) = in_flight.next(), if !in_flight.is_empty() => {
                // Every other publish settled by now goes in the same message:
                // one wake-up of the app for a burst of PubAcks.
                let mut batch = vec![first];
                while let Some(Some(next)) = in_flight.next().now_or_never() {
                    batch.push(next);
                }
                for s in &batch {
                    if let Err(e) = &s.result {
                        tracing::warn!(msg_id = %s.msg_id, "publish failed: {e}");
                    }
                }
                if tx.send(Msg::Published(batch)).await.is_err() {
                    return;
                }
            },
            else => return,
        }
    }
}
