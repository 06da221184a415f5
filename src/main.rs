//! Wiring only: read the command line, find or start the server, run the
//! chosen mode, and turn every expected failure into one line and exit 1.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use clap::{CommandFactory, FromArgMatches};
use futures::FutureExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use jetfeed::app::{App, Init, Msg, Theme, TimeFormat, update};
use jetfeed::bus::{BusConfig, Servers, Session};
use jetfeed::cli::{Cli, Command, check_stream, resolve_user};
use jetfeed::server::{EmbeddedConfig, Supervisor};
use jetfeed::wire::EventKind;
use jetfeed::{config, drafts, headless, tui};

/// When jetfeed started, for the log's start-up times.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    jetfeed::memory::tune();
    // The help says where the config file is and where the server would
    // come from, as things stand.
    let matches = Cli::command().after_help(where_from()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let from_env =
        |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::EnvVariable);
    let sources = Sources {
        server_from_env: from_env("server"),
        context_from_env: from_env("context"),
    };
    match run(cli, sources) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("jetfeed: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Which settings came from the environment rather than a flag.
struct Sources {
    server_from_env: bool,
    context_from_env: bool,
}

/// The help's last lines: the config file, and where the server comes
/// from without `--server`.
fn where_from() -> String {
    let path = config::default_path();
    let config = path
        .as_deref()
        .map(|p| config::load(p, false).unwrap_or_default())
        .unwrap_or_default();
    let server = std::env::var("NATS_URL").ok().filter(|s| !s.is_empty());
    let context = std::env::var("NATS_CONTEXT").ok().filter(|s| !s.is_empty());
    let nats_dir = config::context::nats_dir();
    let server = match config::choose_server(
        server.as_deref().map(|s| (s, true)),
        context.as_deref().map(|c| (c, true)),
        &config,
        nats_dir.as_deref(),
    ) {
        Ok(config::ServerChoice::Named { urls, origin, .. }) => {
            format!("{} (from {origin})", jetfeed::bus::redact(&urls))
        }
        Ok(config::ServerChoice::Embedded) => {
            format!(
                "the embedded server on 127.0.0.1:{} (none named)",
                embedded_port_given().unwrap_or(4222)
            )
        }
        Err(e) => e,
    };
    let file = path.map_or("none (set HOME or XDG_CONFIG_HOME)".to_owned(), |p| {
        let found = if p.exists() { "" } else { ", not there" };
        format!("{}{found}", p.display())
    });
    format!(
        "Config file: {file}\nServer without --server: {server}\n\
         A text starting with '-' goes after '--': jetfeed post -- -1 for that"
    )
}

/// `--embedded-port`, as the command line gives it: the help is made
/// before the command line is read.
fn embedded_port_given() -> Option<u16> {
    let args: Vec<String> = std::env::args().collect();
    let at = args
        .iter()
        .rposition(|a| a == "--embedded-port" || a.starts_with("--embedded-port="))?;
    let value = match args[at].strip_prefix("--embedded-port=") {
        Some(v) => v,
        None => args.get(at + 1)?,
    };
    value.parse().ok()
}

fn run(cli: Cli, sources: Sources) -> Result<(), String> {
    let g = &cli.global;
    match &cli.command {
        Some(Command::Completions { shell }) => return completions(*shell),
        Some(Command::Man) => {
            return clap_mangen::Man::new(Cli::command())
                .render(&mut io::stdout())
                .map_err(|e| e.to_string());
        }
        _ => {}
    }
    let config = match &g.config {
        Some(path) => config::load(path, true)?,
        None => config::default_path()
            .map(|p| config::load(&p, false))
            .transpose()?
            .unwrap_or_default(),
    };
    let stream = g
        .stream
        .clone()
        .or_else(|| config.stream.clone())
        .unwrap_or_else(|| "TWITTERCLONE".to_owned());
    check_stream(&stream)?;
    // Only what is published needs an author.
    let user = g.user.as_deref().or(config.user.as_deref());
    let user = match cli.command {
        Some(Command::Tail { .. } | Command::Show { .. } | Command::Serve { .. }) => {
            resolve_user(user).unwrap_or_default()
        }
        _ => resolve_user(user)?,
    };
    // Read before anything starts: a wrong `post -` is one line, no server.
    let post_text = match &cli.command {
        Some(Command::Post { text }) if text.len() == 1 && text[0] == "-" => {
            let mut s = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut s)
                .map_err(|e| format!("cannot read the tweet from standard input: {e}"))?;
            Some(jetfeed::app::tweet_text(&s)?)
        }
        Some(Command::Post { text }) => Some(jetfeed::app::tweet_text(&text.join(" "))?),
        _ => None,
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
    let choice = config::choose_server(
        g.server.as_deref().map(|s| (s, sources.server_from_env)),
        g.context.as_deref().map(|c| (c, sources.context_from_env)),
        &config,
        config::context::nats_dir().as_deref(),
    )?;
    let (servers, supervisor, origin) = match choice {
        config::ServerChoice::Named { urls, auth, origin } => (
            Servers::parse(&urls)
                .map_err(|e| e.to_string())?
                .with_auth(g.auth().or(*auth)),
            None,
            origin,
        ),
        config::ServerChoice::Embedded => {
            let cfg = EmbeddedConfig {
                binary: g.nats_server.clone(),
                data_dir: data_dir.clone()?,
                port: g.embedded_port,
            };
            let sup = Supervisor::start(cfg).map_err(|e| e.to_string())?;
            (
                Servers::parse(sup.url()).map_err(|e| e.to_string())?,
                Some(sup),
                "embedded".to_owned(),
            )
        }
    };
    let cfg = BusConfig {
        servers,
        stream,
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
            None => {
                let look = Look {
                    theme: if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                        Theme::Mono
                    } else {
                        g.theme.or(config.theme).map_or(Theme::Dark, Theme::from)
                    },
                    time: config.time.map_or(TimeFormat::Relative, TimeFormat::from),
                    keys: &config.key_map,
                    origin: &origin,
                    mouse: !g.no_mouse && config.mouse.unwrap_or(true),
                };
                run_tui(
                    &cfg,
                    data_dir.as_deref().ok(),
                    look,
                    g.exit_after_first_frame,
                )
                .await
            }
            Some(Command::Post { .. }) => {
                let text = post_text.unwrap_or_default();
                let id = headless::post(&cfg, &text)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("{id}");
                Ok(())
            }
            Some(Command::Like { id }) => like(&cfg, EventKind::TweetLiked, &id).await,
            Some(Command::Unlike { id }) => like(&cfg, EventKind::TweetUnliked, &id).await,
            Some(Command::Show { id, json }) => {
                let (seq, tweet) = headless::show(&cfg, tweet_id(&id)?)
                    .await
                    .map_err(|e| e.to_string())?;
                if json {
                    println!("{}", headless::show_json(seq, &tweet));
                } else {
                    println!("{}", headless::show_text(seq, &tweet));
                }
                Ok(())
            }
            Some(Command::Tail {
                json,
                last,
                since,
                no_follow,
            }) => {
                let since = since
                    .map(|d| chrono::Duration::from_std(d).map(|d| Utc::now() - d))
                    .transpose()
                    .map_err(|_| "--since is too long".to_owned())?;
                let opts = headless::TailOptions {
                    json,
                    last,
                    since,
                    no_follow,
                };
                headless::tail(&cfg, opts).await.map_err(|e| e.to_string())
            }
            Some(Command::Completions { .. } | Command::Man) => Ok(()),
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

/// A tweet id as given on the command line: one printable word.
fn tweet_id(id: &str) -> Result<&str, String> {
    let id = id.trim();
    if id.is_empty() || !jetfeed::sanitize::is_one_line(id) {
        return Err("bad tweet id".into());
    }
    Ok(id)
}

async fn like(cfg: &BusConfig, kind: EventKind, id: &str) -> Result<(), String> {
    let id = tweet_id(id)?;
    let tweet = headless::like(cfg, kind, id)
        .await
        .map_err(|e| e.to_string())?;
    let done = if kind == EventKind::TweetLiked {
        "liked"
    } else {
        "unliked"
    };
    let text = jetfeed::app::geometry::ellipsize(&jetfeed::sanitize::line(&tweet.message), 60);
    println!(
        "{done} {id} by @{}: {}",
        jetfeed::app::glyphs::display(&tweet.author),
        jetfeed::app::glyphs::display(&text)
    );
    Ok(())
}

fn completions(shell: jetfeed::cli::Shell) -> Result<(), String> {
    use clap_complete::Shell as S;
    let shell = match shell {
        jetfeed::cli::Shell::Bash => S::Bash,
        jetfeed::cli::Shell::Zsh => S::Zsh,
        jetfeed::cli::Shell::Fish => S::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "jetfeed", &mut io::stdout());
    Ok(())
}

/// How the terminal UI looks and answers, from flags and the config file.
struct Look<'a> {
    theme: Theme,
    time: TimeFormat,
    keys: &'a jetfeed::app::KeyMap,
    /// Where the server came from, for the status bar.
    origin: &'a str,
    mouse: bool,
}

async fn run_tui(
    cfg: &BusConfig,
    data_dir: Option<&Path>,
    look: Look<'_>,
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
        server: format!("{} · {}", cfg.servers, look.origin),
        stream: cfg.stream.clone(),
        // The one random draw of the session: every id it makes follows.
        seed: uuid::Uuid::new_v4().as_u128(),
        now: Utc::now(),
    });
    app.theme = look.theme;
    app.time = look.time;
    app.keys = look.keys.clone();
    if let Some(dir) = data_dir {
        restore_saved(&mut app, cfg, dir);
    }
    tui::enter(look.mouse).map_err(|e| format!("cannot use the terminal: {e}"))?;
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
            started: STARTED.get().copied(),
            // For the test of a panic in the run loop only.
            panic_after_frames: std::env::var("JETFEED_PANIC_AFTER_FRAMES")
                .ok()
                .and_then(|n| n.parse().ok()),
        };
        let mut painter = tui::Painter::new(terminal, Some(Box::new(io::stdout())))?;
        // A panic in the loop ends it like a quit, with an error: the
        // draft is saved and the server stopped below. (The panic hook has
        // already given the terminal back and printed the panic.)
        let run = tui::run(&mut painter, &mut app, in_rx, bus_rx, &bus, options);
        let result = std::panic::AssertUnwindSafe(run)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(io::Error::other("jetfeed panicked")));
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
            "jetfeed: first frame drawn, resident memory {} KiB, peak {} KiB",
            status_kib("VmRSS:").unwrap_or(0),
            status_kib("VmHWM:").unwrap_or(0)
        );
    }
    bus.shutdown().await;
    let likes = app.unsent_likes().count();
    if likes > 0 && data_dir.is_some() {
        eprintln!("jetfeed: {likes} unsent like(s) saved; they go out next time");
    }
    match saved {
        Some(true) => eprintln!("jetfeed: unsent draft saved; it will be back next time"),
        Some(false) => eprintln!("jetfeed: unsent draft: {}", app.draft.text()),
        None => {}
    }
    result.map_err(|e| format!("terminal: {e}"))
}

/// What the last run left in the data directory: where the user was, the
/// likes it could not send, the draft it could not post.
fn restore_saved(app: &mut App, cfg: &BusConfig, dir: &Path) {
    if let Some(place) = drafts::place(dir, &cfg.user, &cfg.stream) {
        update(
            app,
            Msg::PlaceRestored {
                seq: place.selected,
                read_mark: place.read_mark,
                unread_from: place.unread_from,
            },
        );
    }
    let likes: Vec<jetfeed::app::Outgoing> = drafts::take_likes(dir, &cfg.user, &cfg.stream)
        .into_iter()
        .filter_map(|l| {
            let event = jetfeed::wire::decode(&l.subject, l.payload.as_bytes()).ok()?;
            Some(jetfeed::app::Outgoing {
                msg_id: l.msg_id,
                event,
            })
        })
        .collect();
    if !likes.is_empty() {
        update(app, Msg::LikesRestored(likes));
    }
    if let Some(saved) = drafts::take(dir, &cfg.user) {
        update(
            app,
            Msg::DraftRestored {
                text: saved.text,
                id: saved.id,
                more: drafts::waiting(dir, &cfg.user),
            },
        );
    }
}

/// Saves what the next run restores: where the user was, the likes not yet
/// sent, and an unsent draft. Says how the draft went: `None`: there was
/// none; `Some(false)`: it could not be saved.
fn save_draft(app: &App, cfg: &BusConfig, data_dir: Option<&Path>) -> Option<bool> {
    if let Some(dir) = data_dir {
        let place = drafts::Place {
            selected: app.selected,
            read_mark: app.notifications.mark_to_save(),
            unread_from: app.feed.oldest_new().and_then(|i| app.feed.seq_at(i)),
        };
        let _ = drafts::save_place(dir, &cfg.user, &cfg.stream, &place);
        let likes: Vec<drafts::SavedLike> = app
            .unsent_likes()
            .map(|out| drafts::SavedLike {
                msg_id: out.msg_id.clone(),
                subject: out.event.subject(&cfg.stream),
                payload: String::from_utf8_lossy(&out.event.encode()).into_owned(),
            })
            .collect();
        let _ = drafts::save_likes(dir, &cfg.user, &cfg.stream, &likes);
    }
    if app.draft.text().trim().is_empty() {
        return None;
    }
    let saved = drafts::SavedDraft {
        text: app.draft.text().to_owned(),
        id: app.draft.retry_id().map(str::to_owned),
    };
    Some(data_dir.is_some_and(|dir| drafts::save(dir, &cfg.user, &saved).is_ok()))
}

/// One of this process's memory figures from /proc, in KiB: `VmRSS:`
/// (resident now) or `VmHWM:` (the most it has been resident).
fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
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
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    // The log and the drafts beside it are this user's alone, in every mode.
    if fs::create_dir_all(data_dir).is_err()
        || fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700)).is_err()
    {
        return;
    }
    let path = data_dir.join("jetfeed.log");
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
    else {
        return;
    };
    let _ = file.set_permissions(fs::Permissions::from_mode(0o600));
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
