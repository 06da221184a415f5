//! Live events for browsers: a websocket as the Go service's listener
//! sends them (one JSON event a message) and the same as Server-Sent
//! Events. Each client reads from the fold's ring of recent events with its
//! own place in it: a client that falls a whole ring behind, or cannot take
//! a message within `SEND_PATIENCE`, is disconnected. Nobody waits for it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::AppState;
use super::api::ApiError;
use super::fold::LiveEvent;

/// How long one message may take to leave before its client is dropped.
const SEND_PATIENCE: Duration = Duration::from_secs(5);

/// Close codes: going away (shutdown), and policy (too slow).
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_TOO_SLOW: u16 = 1008;

/// `GET /listener/ws`.
pub async fn websocket(
    State(s): State<AppState>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(e) => return ApiError(e.status(), e.body_text()).into_response(),
    };
    // Subscribed before the upgrade: nothing folded after the request is missed.
    let events = s.fold.subscribe();
    let shutdown = s.shutdown.clone();
    upgrade.on_upgrade(move |socket| send_events(socket, events, shutdown))
}

async fn send_events(
    socket: WebSocket,
    mut events: broadcast::Receiver<LiveEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (mut out, mut incoming) = socket.split();
    let close = |code: u16, reason: String| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    let goodbye = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(e) => {
                    let sent = tokio::time::timeout(SEND_PATIENCE, out.send(Message::Text(e.json))).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        tracing::info!("websocket client dropped: it stopped reading");
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::info!("websocket client dropped: {n} events behind");
                    break close(CLOSE_TOO_SLOW, format!("too slow: {n} events missed"));
                }
                Err(RecvError::Closed) => break close(CLOSE_GOING_AWAY, "shutting down".into()),
            },
            msg = incoming.next() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {} // pings are answered by the socket itself
            },
            () = stopped(&mut shutdown) => {
                break close(CLOSE_GOING_AWAY, "shutting down".into());
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), out.send(goodbye)).await;
}

/// `GET /events`: each event as an SSE message, its stream sequence as id.
pub async fn server_sent(
    State(s): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let events = s.fold.subscribe();
    let stream = futures::stream::unfold(
        (events, s.shutdown.clone()),
        |(mut events, mut shutdown)| async move {
            let event = tokio::select! {
                event = events.recv() => event,
                () = stopped(&mut shutdown) => return None,
            };
            match event {
                Ok(e) => {
                    let sse = SseEvent::default()
                        .id(e.seq.to_string())
                        .data(e.json.as_str());
                    Some((Ok(sse), (events, shutdown)))
                }
                Err(RecvError::Lagged(n)) => {
                    // The browser reconnects by itself and reloads.
                    tracing::info!("event stream client dropped: {n} events behind");
                    None
                }
                Err(RecvError::Closed) => None,
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Resolves once the server is stopping.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
