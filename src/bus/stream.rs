//! The stream: used as it is when it exists, created when it does not.

use std::time::Duration;

use async_nats::jetstream::context::GetStreamErrorKind;
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

/// Finds the stream, or creates it. An existing stream is never changed.
pub async fn ensure(
    js: &Context,
    name: &str,
    replicas: usize,
    servers: &Servers,
) -> Result<Stream, BusError> {
    for _ in 0..3 {
        match js.get_stream(name).await {
            Ok(s) => return Ok(s),
            Err(e) => match e.kind() {
                GetStreamErrorKind::JetStream(j)
                    if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {}
                _ => return Err(classify(name, e.to_string(), servers)),
            },
        }
        match js.create_stream(config(name, replicas)).await {
            Ok(s) => {
                tracing::info!("created stream {name}");
                return Ok(s);
            }
            // Another client created it first: use theirs.
            Err(e) if e.to_string().contains("already in use") => continue,
            Err(e) => return Err(classify(name, e.to_string(), servers)),
        }
    }
    Err(error(name, "could not be found or created"))
}

fn classify(name: &str, text: String, servers: &Servers) -> BusError {
    if text.contains("no responders") || text.contains("not enabled") {
        BusError::NoJetStream(servers.to_string())
    } else {
        error(name, text)
    }
}
