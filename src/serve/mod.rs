//! `jetfeed serve`: the stream's fold over HTTP, in the shapes of the Go
//! example service, with a live web page. NATS is reached only through the
//! bus's `Session`; the served state is a fold of the stream (`fold`), so
//! several servers on one stream agree on every list and count.
//!
//! - `fold`: the whole stream folded into a `Feed`, and its live events
//! - `api`: `/tweets` and its likes
//! - `live`: `/listener/ws` and `/events`
//! - `page`: jetfeed's own page, built in

mod api;
mod fold;
mod live;
mod page;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::bus::{BusConfig, Session};
use fold::Fold;

pub use api::{DEFAULT_LIMIT, MAX_BODY, MAX_LIMIT};
pub use fold::LIVE_BUFFER;
pub use page::CSP;

/// How long requests in flight may take to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(5);

/// What `jetfeed serve` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to listen on, `host:port`.
    pub listen: String,
    /// Serve this directory at `/` instead of jetfeed's own page.
    pub static_dir: Option<PathBuf>,
    /// The one origin allowed to call the API from another site's page.
    pub allow_origin: Option<String>,
}

#[derive(Clone)]
pub(crate) struct AppState {
    session: Arc<Session>,
    fold: Arc<Fold>,
    shutdown: watch::Receiver<bool>,
}

/// Opens the session, folds the stream, then serves until SIGTERM or
/// Ctrl-C. Prints `serving http://ADDR` on stdout once it takes requests.
pub async fn run(cfg: &BusConfig, opts: Options) -> Result<(), String> {
    let cors = match &opts.allow_origin {
        Some(origin) => Some(cors(origin)?),
        None => None,
    };
    if let Some(dir) = &opts.static_dir
        && !dir.is_dir()
    {
        return Err(format!("--static {}: not a directory", dir.display()));
    }
    let session = Arc::new(Session::open(cfg, None).await.map_err(|e| e.to_string())?);
    let fold = Fold::start(&session).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    if !addr.ip().is_loopback() {
        tracing::warn!("listening on {addr}: reachable from other machines");
        eprintln!("jetfeed: listening on {addr}: reachable from other machines");
    }
    let (stop, shutdown) = watch::channel(false);
    let state = AppState {
        session,
        fold,
        shutdown: shutdown.clone(),
    };
    let app = router(state, opts.static_dir.clone(), cors);
    tracing::info!("serving http://{addr}");
    println!("serving http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    // Small answers go out at once, not after the client's delayed ack.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stop_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        let _ = stop.send(true);
    });
    let mut stopped = shutdown;
    tokio::select! {
        result = server => result.map_err(|e| format!("server: {e}"))?,
        () = async {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(GRACE).await;
        } => tracing::warn!("stopped with requests still open after {GRACE:?}"),
    }
    tracing::info!("stopped");
    Ok(())
}

fn router(state: AppState, static_dir: Option<PathBuf>, cors: Option<CorsLayer>) -> Router {
    let api = Router::new()
        .route("/tweets", get(api::list).post(api::create))
        .route("/tweets/{id}", get(api::one))
        .route("/tweets/{id}/likes", post(api::like).delete(api::unlike))
        .route("/listener/ws", get(live::websocket))
        .route("/events", get(live::server_sent));
    let app = match static_dir {
        Some(dir) => api.fallback_service(
            ServeDir::new(dir)
                .call_fallback_on_method_not_allowed(true)
                .fallback(axum::handler::HandlerWithoutStateExt::into_service(
                    api::not_found,
                )),
        ),
        None => api
            .route("/", get(page::index))
            .route("/app.js", get(page::script))
            .route("/app.css", get(page::style))
            .fallback(api::not_found),
    };
    let mut app = app
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY));
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    app.layer(middleware::from_fn(log_request))
        .with_state(state)
}

fn cors(origin: &str) -> Result<CorsLayer, String> {
    let value = HeaderValue::from_str(origin.trim_end_matches('/'))
        .ok()
        .filter(|_| origin.starts_with("http://") || origin.starts_with("https://"))
        .ok_or_else(|| format!("--allow-origin {origin:?}: expected http(s)://host[:port]"))?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list([value]))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE]))
}

/// One log line per request (who, what, the status, how long), at debug
/// level: `JETFEED_LOG=jetfeed::serve=debug`. Off, it costs nothing: a line
/// per request took an eighth of the POST rate.
async fn log_request(req: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "jetfeed::serve", tracing::Level::DEBUG) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let res = next.run(req).await;
    tracing::debug!(
        target: "jetfeed::serve",
        "{peer} {method} {path} {} {:.1}ms",
        res.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3
    );
    res
}

/// SIGTERM or Ctrl-C (SIGINT).
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
