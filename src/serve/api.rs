//! The HTTP API, in the Go service's shapes: tweets listed newest first,
//! posted, liked and unliked. Reads come from the fold; writes go to the
//! stream and are answered once stored (and folded here, so a read that
//! follows sees them).

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use crate::app::{Outgoing, tweet_text};
use crate::sanitize;
use crate::wire::{self, Event, EventKind};

/// Largest request body taken.
pub const MAX_BODY: usize = 64 * 1024;
/// Tweets listed when no limit is asked for, and the most listed at once.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;
/// Longest author name, as for `--user`.
const MAX_AUTHOR_CHARS: usize = 64;
/// How long a write waits for its own event to be folded before answering
/// anyway (it is stored: the fold will get there).
const FOLD_PATIENCE: Duration = Duration::from_secs(2);
/// How long a request for a tweet this server has not folded waits for the
/// fold to reach the stream's end before the answer is 404.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(5);

/// A request jetfeed could not serve: `{"error": ...}` with its status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, msg.into())
    }

    fn no_tweet(id: &str) -> Self {
        Self(
            StatusCode::NOT_FOUND,
            format!("no tweet with id {:?}", sanitize::line(id)),
        )
    }

    fn body(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {} KiB", MAX_BODY / 1024),
            )
        } else {
            Self(rejection.status(), rejection.body_text())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// A tweet as the Go service returns it; `date` repeats `created_at` for
/// the example's page, which reads that name. `likers` only for one tweet.
#[derive(Serialize)]
struct TweetJson<'a> {
    id: &'a str,
    message: &'a str,
    created_at: &'a str,
    date: &'a str,
    author: &'a str,
    likes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    likers: Option<Vec<&'a str>>,
}

/// A JSON response with its fields in the order written (a `Value` would
/// sort them).
fn json_body(value: &impl Serialize) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(value).unwrap_or_default(),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    before: Option<String>,
}

/// `GET /tweets[?limit=N][&before=ID]`: newest first.
pub async fn list(
    State(s): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(n) => match n.trim().parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_LIMIT),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit takes a number from 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    let feed = s.fold.feed();
    let start = match q.before.as_deref() {
        None => 0,
        Some(id) => {
            let t = feed.get(id).ok_or_else(|| ApiError::no_tweet(id))?;
            feed.index_of_seq(t.seq).map_or(usize::MAX, |i| i + 1)
        }
    };
    let mut body = Vec::with_capacity(limit.min(feed.len()) * 256);
    body.push(b'[');
    for (n, t) in (start..start.saturating_add(limit))
        .map_while(|i| feed.newest(i))
        .enumerate()
    {
        if n > 0 {
            body.push(b',');
        }
        let date = wire::format_date(&t.date);
        let _ = serde_json::to_writer(
            &mut body,
            &TweetJson {
                id: &t.id,
                message: &t.text,
                created_at: &date,
                date: &date,
                author: &t.author,
                likes: t.likes(),
                likers: None,
            },
        );
    }
    drop(feed);
    body.push(b']');
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `GET /tweets/:id`: the tweet with the names of those who like it.
pub async fn one(
    State(s): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = tweet_id(id)?;
    known(&s, &id).await?;
    let feed = s.fold.feed();
    let t = feed.get(&id).ok_or_else(|| ApiError::no_tweet(&id))?;
    let date = wire::format_date(&t.date);
    let mut likers: Vec<&str> = t.likers().collect();
    likers.sort_unstable();
    Ok(json_body(&TweetJson {
        id: &t.id,
        message: &t.text,
        created_at: &date,
        date: &date,
        author: &t.author,
        likes: t.likes(),
        likers: Some(likers),
    }))
}

/// The fields a client may send; anything else is ignored.
#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    author: Option<String>,
}

/// Reads a JSON object body. An empty body is an empty object.
fn parse_body(body: &Bytes) -> Result<Body, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::default());
    }
    serde_json::from_slice::<Body>(body).map_err(|e| {
        ApiError::bad_request(format!(
            "bad JSON: {}",
            sanitize::line(&e.to_string())
                .chars()
                .take(120)
                .collect::<String>()
        ))
    })
}

/// An author name as stored: control characters removed, trimmed, checked.
fn author_name(raw: &str) -> Result<String, ApiError> {
    let name = sanitize::line(raw).trim().to_owned();
    if name.chars().count() > MAX_AUTHOR_CHARS {
        return Err(ApiError::bad_request(format!(
            "author: at most {MAX_AUTHOR_CHARS} characters"
        )));
    }
    Ok(name)
}

/// `POST /tweets` with `{"message", "author"}`: answered once stored.
pub async fn create(
    State(s): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = parse_body(&body.map_err(ApiError::body)?)?;
    let message = body
        .message
        .ok_or_else(|| ApiError::bad_request("message is missing"))?;
    let text = tweet_text(&message).map_err(|e| ApiError::bad_request(format!("message: {e}")))?;
    let author = author_name(body.author.as_deref().unwrap_or_default())?;
    if author.is_empty() {
        return Err(ApiError::bad_request("author is missing or empty"));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let event = Event::tweet(id.clone(), text, author, Utc::now());
    let out = Outgoing { msg_id: id, event };
    let seq = publish(&s, &out).await?;
    s.fold.wait_folded(seq, FOLD_PATIENCE).await;
    let e = &out.event;
    let date = wire::format_date(&e.date);
    Ok(json_body(&TweetJson {
        id: &e.id,
        message: &e.message,
        created_at: &date,
        date: &date,
        author: &e.author,
        likes: 0,
        likers: None,
    }))
}

#[derive(Deserialize)]
pub struct LikeQuery {
    user: Option<String>,
}

/// `POST /tweets/:id/likes`: by `{"author"}` or `?user=`, else anonymous.
pub async fn like(
    State(s): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<LikeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let id = tweet_id(id)?;
    let user = liker(query, body)?;
    send_like(&s, EventKind::TweetLiked, &id, user).await
}

/// `DELETE /tweets/:id/likes`: a named user takes their like back.
pub async fn unlike(
    State(s): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<LikeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let id = tweet_id(id)?;
    let user = liker(query, body)?;
    if user.is_empty() {
        return Err(ApiError::bad_request(
            "an unlike needs a user: {\"author\": NAME} or ?user=NAME",
        ));
    }
    send_like(&s, EventKind::TweetUnliked, &id, user).await
}

/// The tweet id in the path; one that is not UTF-8 is a 400 like any other.
fn tweet_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id)
        .map_err(|e| ApiError(e.status(), e.body_text()))
}

/// Who likes: `{"author"}` in the body, else `?user=`, else nobody.
fn liker(
    query: Result<Query<LikeQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<String, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let body = parse_body(&body.map_err(ApiError::body)?)?;
    author_name(body.author.or(q.user).as_deref().unwrap_or_default())
}

async fn send_like(
    s: &AppState,
    kind: EventKind,
    id: &str,
    user: String,
) -> Result<StatusCode, ApiError> {
    known(s, id).await?;
    let event = Event::like(kind, id.to_owned(), user, Utc::now());
    let out = Outgoing {
        msg_id: uuid::Uuid::new_v4().to_string(),
        event,
    };
    let seq = publish(s, &out).await?;
    s.fold.wait_folded(seq, FOLD_PATIENCE).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Fails with 404 unless the tweet exists. A tweet this fold has not seen
/// may have just been stored through another server: the fold is given
/// the time to reach the stream's end before the answer is no.
async fn known(s: &AppState, id: &str) -> Result<(), ApiError> {
    if s.fold.feed().get(id).is_some() {
        return Ok(());
    }
    let last = s
        .session
        .span()
        .await
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?
        .last;
    if s.fold.folded() < last {
        s.fold.wait_folded(last, CATCH_UP_PATIENCE).await;
    }
    if s.fold.feed().get(id).is_some() {
        Ok(())
    } else {
        Err(ApiError::no_tweet(id))
    }
}

async fn publish(s: &AppState, out: &Outgoing) -> Result<u64, ApiError> {
    // Published while disconnected, an event would wait in the client's
    // buffer and could be stored after the caller was told it was not.
    if !s.session.is_connected() {
        return Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "not stored: NATS is unreachable".into(),
        ));
    }
    s.session.publish(out).await.map_err(|e| {
        tracing::warn!("publish failed: {e}");
        ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("not stored: {e}"))
    })
}

/// Any path jetfeed does not serve.
pub async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such path".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed here".into(),
    )
}
