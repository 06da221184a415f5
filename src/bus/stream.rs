//! The stream: used as it is when it exists, created when it does not
//! (by the commands that write to it).

use std::time::Duration;

use async_nats::jetstream::context::{
    CreateStreamErrorKind, GetStreamErrorKind, RequestError, RequestErrorKind,
};
use async_nats::jetstream::stream::{Config, StorageType, Stream};
use async_nats::jetstream::{Context, ErrorCode};

use super::{BusError, Servers};

/// The duplicate window the stream is created with: a retried publish within
/// it is stored once.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub fn config(name: &str, replicas: usize) -> Config {
    Config {
        name: name.to_owned(),
        subjects: vec![format!("{name}.*")],
        storage: StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        num_replicas: replicas.max(1),
        ..Default::default()
    }
}

pub fn error(stream: &str, e: impl std::fmt::Display) -> BusError {
    BusError::Stream {
        stream: stream.to_owned(),
        reason: e.to_string(),
    }
}

/// Finds the stream, or creates it (`create`; otherwise a missing stream
/// is an error), and says whether it made it. An existing stream is never
/// changed.
pub async fn ensure(
    js: &Context,
    name: &str,
    replicas: usize,
    servers: &Servers,
    create: bool,
) -> Result<(Stream, bool), BusError> {
    let no_jetstream = || BusError::NoJetStream(servers.to_string());
    for _ in 0..3 {
        match js.get_stream(name).await {
            Ok(s) => return Ok((s, false)),
            Err(e) => match e.kind() {
                GetStreamErrorKind::JetStream(j)
                    if j.error_code() == ErrorCode::STREAM_NOT_FOUND && !create =>
                {
                    return Err(BusError::NoStream {
                        stream: name.to_owned(),
                        servers: servers.to_string(),
                    });
                }
                GetStreamErrorKind::JetStream(j)
                    if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {}
                GetStreamErrorKind::JetStream(j) if not_enabled(j.error_code()) => {
                    return Err(no_jetstream());
                }
                // Nobody answers JetStream's API: a server without it.
                GetStreamErrorKind::Request if no_responders(&e) => return Err(no_jetstream()),
                _ => return Err(error(name, e)),
            },
        }
        match js.create_stream(config(name, replicas)).await {
            Ok(s) => {
                tracing::info!("created stream {name}");
                return Ok((s, true));
            }
            Err(e) => match e.kind() {
                // Another client created it first: use theirs.
                CreateStreamErrorKind::JetStream(j)
                    if j.error_code() == ErrorCode::STREAM_NAME_EXIST => {}
                CreateStreamErrorKind::JetStream(j) if not_enabled(j.error_code()) => {
                    return Err(no_jetstream());
                }
                CreateStreamErrorKind::JetStreamUnavailable => return Err(no_jetstream()),
                _ => return Err(error(name, e)),
            },
        }
    }
    Err(error(name, "could not be found or created"))
}

fn not_enabled(code: ErrorCode) -> bool {
    code == ErrorCode::JETSTREAM_NOT_ENABLED || code == ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT
}

/// Whether a request failed because no one listens on its subject.
fn no_responders(e: &(dyn std::error::Error + 'static)) -> bool {
    e.source()
        .and_then(|s| s.downcast_ref::<RequestError>())
        .is_some_and(|r| r.kind() == RequestErrorKind::NoResponders)
}
