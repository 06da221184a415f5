//! Publishing: every event carries its Nats-Msg-Id and is done only when its
//! PubAck arrives.

use async_nats::jetstream::Context;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;

use super::BusError;
use crate::app::Outgoing;

/// Publishes one event and waits for its PubAck; returns its stream sequence.
pub async fn publish(js: &Context, stream: &str, out: &Outgoing) -> Result<u64, BusError> {
    let subject = out.event.subject(stream);
    let msg = PublishMessage::build()
        .message_id(&out.msg_id)
        .payload(out.event.encode().into());
    let ack = js.send_publish(subject, msg).await.map_err(describe)?;
    let ack = ack.await.map_err(describe)?;
    Ok(ack.sequence)
}

fn describe(e: async_nats::jetstream::context::PublishError) -> BusError {
    BusError::Publish(match e.kind() {
        PublishErrorKind::TimedOut => "no PubAck in time: server unreachable".to_owned(),
        PublishErrorKind::StreamNotFound => "no stream takes this subject".to_owned(),
        PublishErrorKind::BrokenPipe => "connection lost".to_owned(),
        _ => e.to_string(),
    })
}
