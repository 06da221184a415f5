//! Wiring only: read the command line, find or start the server, run the
//! chosen mode, and turn every expected failure into one line and exit 1.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use jetfeed::app::{App, Init, Msg, update};
use jetfeed::bus::{BusConfig, Servers, Session};
use jetfeed::cli::{Cli, Command, check_stream, resolve_user};
use jetfeed::server::{EmbeddedConfig, Supervisor};
use jetfeed::wire::EventKind;
use jetfeed::{drafts, headless, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("jetfeed: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let g = &cli.global;
    check_stream(&g.stream)?;
    let user = match cli.command {
        Some(Command::Tail { .. } | Command::Serve { .. }) => {
            resolve_user(g.user.as_deref()).unwrap_or_default()
        }
        _ => resolve_user(g.user.as_deref())?,
    };
    if !(g.publish_timeout > 0.0 && g.publish_timeout <= 3600.0) {
        return Err("--publish-timeout takes seconds, more than 0 and at most 3600".into());
    }
    // Needed for the embedded server; without it, a client of another
    // server keeps no log and saves no draft, and says so.
    let data_dir = g.data_dir.clone().map_or_else(jetfeed::paths::data_dir, Ok);
    if matches!(cli.command, Some(Command::Serve { .. })) {
        // A server in the foreground: its log, a line per request, on stderr.
        init_logging_to(io::stderr);
    } else if let Ok(dir) = &data_dir {
        init_logging(dir);
    }

    // Started on the main thread, which lives as long as the process: the
    // server is told to stop when the thread that started it ends.
    let (servers, supervisor) = match &g.server {
        Some(list) => (
            Servers::parse(list)
                .map_err(|e| e.to_string())?
                .with_auth(g.auth()),
            None,
        ),
        None => {
            let cfg = EmbeddedConfig {
                binary: g.nats_server.clone(),
                data_dir: data_dir.clone()?,
                port: g.embedded_port,
            };
            let sup = Supervisor::start(cfg).map_err(|e| e.to_string())?;
            (
                Servers::parse(sup.url()).map_err(|e| e.to_string())?,
                Some(sup),
            )
        }
    };
    let cfg = BusConfig {
        servers,
        stream: g.stream.clone(),
        user,
        publish_timeout: Duration::from_secs_f64(g.publish_timeout),
        replicas: g.replicas,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let result = runtime.block_on(async {
        match cli.command {
            None => run_tui(&cfg, data_dir.as_deref().ok(), g.exit_after_first_frame).await,
            Some(Command::Post { text }) => {
                let text = jetfeed::app::tweet_text(&text.join(" "))?;
                let id = headless::send(&cfg, EventKind::TweetCreated, None, &text)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("{id}");
                Ok(())
            }
            Some(Command::Like { id }) => like(&cfg, EventKind::TweetLiked, &id).await,
            Some(Command::Unlike { id }) => like(&cfg, EventKind::TweetUnliked, &id).await,
            Some(Command::Tail { json }) => {
                headless::tail(&cfg, json).await.map_err(|e| e.to_string())
            }
            Some(Command::Serve {
                listen,
                static_dir,
                allow_origin,
            }) => {
                let opts = jetfeed::serve::Options {
                    listen,
                    static_dir,
                    allow_origin,
                };
                jetfeed::serve::run(&cfg, opts).await
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some(s) = supervisor {
        s.stop();
    }
    result
}

async fn like(cfg: &BusConfig, kind: EventKind, id: &str) -> Result<(), String> {
    let id = id.trim();
    if id.is_empty() || !jetfeed::sanitize::is_clean(id) {
        return Err("bad tweet id".into());
    }
    headless::send(cfg, kind, Some(id), "")
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn run_tui(
    cfg: &BusConfig,
    data_dir: Option<&Path>,
    exit_after_first_frame: bool,
) -> Result<(), String> {
    let (bus_tx, bus_rx) = mpsc::channel(256);
    // Connect before taking over the screen, so a failure is one plain line.
    let bus = async {
        Session::open(cfg, Some(bus_tx.clone()))
            .await?
            .follow(bus_tx)
            .await
    }
    .await
    .map_err(|e| e.to_string())?;
    // The connection's state arrives from the bus like every other change.
    let mut app = App::new(Init {
        user: cfg.user.clone(),
        server: cfg.servers.to_string(),
        stream: cfg.stream.clone(),
        // The one random draw of the session: every id it makes follows.
        seed: uuid::Uuid::new_v4().as_u128(),
        now: Utc::now(),
    });
    if let Some(saved) = data_dir.and_then(|dir| drafts::take(dir, &cfg.user)) {
        update(
            &mut app,
            Msg::DraftRestored {
                text: saved.text,
                id: saved.id,
            },
        );
    }
    tui::enter().map_err(|e| format!("cannot use the terminal: {e}"))?;
    let (mut saved, mut responsive) = (None, true);
    let result = async {
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        let size = terminal.size()?;
        update(&mut app, Msg::Resize(size.width, size.height));
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        tui::spawn_input(in_tx.clone());
        spawn_signals(in_tx);
        let options = tui::RunOptions {
            exit_after_first_frame,
        };
        let mut painter = tui::Painter::new(terminal)?;
        let result = tui::run(&mut painter, &mut app, in_rx, bus_rx, &bus, options).await;
        // Nothing typed is lost, even if the terminal is stuck: the draft
        // is saved before the last frame is waited for.
        saved = save_draft(&app, cfg, data_dir);
        responsive = painter.stop_within(Duration::from_secs(1));
        result
    }
    .await;
    // Also when the terminal could not be set up at all.
    let saved = saved.or_else(|| save_draft(&app, cfg, data_dir));
    if !responsive {
        // A terminal that takes no output cannot be given back, nor told
        // anything: writing to it would block for ever.
        bus.shutdown().await;
        return result.map_err(|e| format!("terminal: {e}"));
    }
    tui::leave();
    if exit_after_first_frame {
        // Start-up measurements read this: the memory the first frame took.
        eprintln!(
            "jetfeed: first frame drawn, resident memory {} KiB",
            resident_kib().unwrap_or(0)
        );
    }
    bus.shutdown().await;
    match saved {
        Some(true) => eprintln!("jetfeed: unsent draft saved; it will be back next time"),
        Some(false) => eprintln!("jetfeed: unsent draft: {}", app.draft.text()),
        None => {}
    }
    result.map_err(|e| format!("terminal: {e}"))
}

/// Saves an unsent draft so that it comes back next time. `None`: there
/// was none; `Some(false)`: it could not be saved.
fn save_draft(app: &App, cfg: &BusConfig, data_dir: Option<&Path>) -> Option<bool> {
    if app.draft.text().trim().is_empty() {
        return None;
    }
    let saved = drafts::SavedDraft {
        text: app.draft.text().to_owned(),
        id: app.draft.retry_id().map(str::to_owned),
    };
    Some(data_dir.is_some_and(|dir| drafts::save(dir, &cfg.user, &saved).is_ok()))
}

/// This process's resident memory, from /proc.
fn resident_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A closed terminal or a `kill` quits like `q` does: the screen is restored,
/// the draft kept and the embedded server handed over.
fn spawn_signals(tx: mpsc::UnboundedSender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        let _ = tx.send(Msg::Quit);
    });
}

/// Logs go to a file in the data directory, never to the screen.
fn init_logging(data_dir: &Path) {
    if fs::create_dir_all(data_dir).is_err() {
        return;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("jetfeed.log"))
    else {
        return;
    };
    init_logging_to(Mutex::new(file));
}

fn init_logging_to<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = tracing_subscriber::EnvFilter::try_from_env("JETFEED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
}
