//! The embedded nats-server: find the binary, start it on loopback with
//! JetStream, hold the store's lock while it runs, hand over, stop.
//!
//! Every jetfeed that was not pointed at a server runs a `Supervisor`. Only
//! the one holding the store's lock runs nats-server; the others connect to
//! it. When that one quits, its server stops, the lock frees, and another
//! supervisor takes the lock and starts a server on the same store. The lock
//! file descriptor is inherited by nats-server itself, so the lock is held
//! until the server process is really gone: two servers never share a store.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often a waiting supervisor tries to take the server over.
const POLL: Duration = Duration::from_millis(250);
/// How long a new server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping server may take to flush its store.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "nats-server not found: install it (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server) or pass --nats-server PATH"
    )]
    NotFound,
    #[error("nats-server at {0} is not executable")]
    NotExecutable(PathBuf),
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, io::Error),
    #[error("nats-server did not start: {0}")]
    Start(String),
    #[error("port {0} on 127.0.0.1 is taken by something that is not a NATS server")]
    PortTaken(u16),
}

#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// `--nats-server`, when given.
    pub binary: Option<PathBuf>,
    /// Where the store, lock, pid file and server log live.
    pub data_dir: PathBuf,
    pub port: u16,
}

impl EmbeddedConfig {
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("nats")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.data_dir.join("nats.lock")
    }
    pub fn pid_path(&self) -> PathBuf {
        self.data_dir.join("nats-server.pid")
    }
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("nats-server.log")
    }
}

/// Finds nats-server: the given path, then PATH, then /usr/sbin (where
/// Debian's package puts it, off most users' PATH).
pub fn find_binary(explicit: Option<&Path>) -> Result<PathBuf, ServerError> {
    if let Some(p) = explicit {
        return if is_executable(p) {
            Ok(p.to_owned())
        } else {
            Err(ServerError::NotExecutable(p.to_owned()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("nats-server"))
        .find(|p| is_executable(p))
        .ok_or(ServerError::NotFound)
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What answers on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Nothing,
    NotNats,
    Nats { jetstream: bool },
}

/// Looks at what listens on `addr`: a NATS server speaks first, with `INFO`,
/// which says whether JetStream is on.
pub fn probe(addr: SocketAddr) -> Listener {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
        return Listener::Nothing;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(1_000)));
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    let Some(info) = line.strip_prefix("INFO") else {
        return Listener::NotNats;
    };
    let jetstream = serde_json::from_str::<serde_json::Value>(info.trim())
        .ok()
        .and_then(|v| v.get("jetstream").and_then(serde_json::Value::as_bool))
        .unwrap_or(false);
    Listener::Nats { jetstream }
}

/// Whether a NATS server answers on `addr` (`None`: nothing listens).
pub fn nats_listening(addr: SocketAddr) -> Option<bool> {
    match probe(addr) {
        Listener::Nothing => None,
        Listener::NotNats => Some(false),
        Listener::Nats { .. } => Some(true),
    }
}

/// Ports after the default one tried when a NATS server without JetStream
/// holds it (Debian's package starts one on 127.0.0.1:4222).
const SPARE_PORTS: u16 = 3;

/// Runs the embedded server whenever no other jetfeed does.
pub struct Supervisor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    url: String,
}

impl Supervisor {
    /// Makes sure a server answers on the embedded port (this jetfeed's or
    /// another's) and keeps watching, to take over when the owner quits.
    pub fn start(mut cfg: EmbeddedConfig) -> Result<Supervisor, ServerError> {
        for _ in 0..SPARE_PORTS {
            if probe(cfg.addr()) != (Listener::Nats { jetstream: false }) {
                break;
            }
            tracing::warn!(
                "a NATS server without JetStream holds port {}: using {}",
                cfg.port,
                cfg.port + 1
            );
            cfg.port += 1;
        }
        let url = cfg.url();
        // A server the user runs on the port needs no binary; taking over
        // from it later does, so a missing binary only fails when needed.
        let binary = match find_binary(cfg.binary.as_deref()) {
            Ok(b) => Some(b),
            Err(e) if nats_listening(cfg.addr()) == Some(true) => {
                tracing::warn!("{e}");
                None
            }
            Err(e) => return Err(e),
        };
        prepare_data_dir(&cfg.data_dir)?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut runner = Runner {
            cfg,
            binary,
            child: None,
            lock: None,
        };
        // The first start is synchronous so its errors reach the user.
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match nats_listening(runner.cfg.addr()) {
                Some(true) => break,
                Some(false) => return Err(ServerError::PortTaken(runner.cfg.port)),
                None => {}
            }
            if runner.try_take_over()? {
                break;
            }
            if Instant::now() > deadline {
                return Err(ServerError::Start(
                    "another jetfeed holds the store but no server answers".into(),
                ));
            }
            thread::sleep(POLL);
        }
        // The thread that spawns nats-server must outlive it: the child is
        // told to stop when its parent thread dies (PR_SET_PDEATHSIG).
        let thread = {
            let stop = stop.clone();
            thread::Builder::new()
                .name("nats-supervisor".into())
                .spawn(move || runner.watch(&stop))
                .map_err(|e| ServerError::Start(e.to_string()))?
        };
        Ok(Supervisor {
            stop,
            thread: Some(thread),
            url,
        })
    }

    /// Where the embedded server answers: the default port, or the next
    /// free one when a server without JetStream holds the default.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops this jetfeed's server, if it runs one, and waits until it is gone.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn prepare_data_dir(dir: &Path) -> Result<(), ServerError> {
    let err = |e| ServerError::DataDir(dir.to_owned(), e);
    fs::create_dir_all(dir).map_err(err)?;
    // The store holds everyone's tweets as this user saw them: theirs alone.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(err)?;
    Ok(())
}

struct Runner {
    cfg: EmbeddedConfig,
    binary: Option<PathBuf>,
    child: Option<Child>,
    lock: Option<File>,
}

impl Runner {
    fn watch(&mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) {
            if let Some(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    tracing::warn!("embedded nats-server exited: {status}");
                    self.child = None;
                    self.lock = None;
                }
            } else {
                match self.try_take_over() {
                    Ok(true) => tracing::info!("took over the embedded nats-server"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!("embedded nats-server: {e}"),
                }
            }
            thread::sleep(POLL);
        }
        self.stop_child();
    }

    /// Starts a server if this jetfeed can take the store's lock and no
    /// server answers. Returns whether it now runs one.
    fn try_take_over(&mut self) -> Result<bool, ServerError> {
        if self.binary.is_none() {
            return Ok(false);
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.cfg.lock_path())
            .map_err(|e| ServerError::DataDir(self.cfg.lock_path(), e))?;
        if lock.try_lock().is_err() {
            // Another jetfeed's server holds the store.
            return Ok(false);
        }
        if nats_listening(self.cfg.addr()).is_some() {
            // Someone else serves this port (a server the user started).
            return Ok(false);
        }
        let child = self.spawn(&lock)?;
        self.child = Some(child);
        self.lock = Some(lock);
        if let Err(e) = self.wait_ready() {
            self.stop_child();
            return Err(e);
        }
        Ok(true)
    }

    fn spawn(&self, lock: &File) -> Result<Child, ServerError> {
        let store = self.cfg.store_dir();
        let _ = fs::remove_file(self.cfg.log_path());
        let binary = self.binary.as_deref().ok_or(ServerError::NotFound)?;
        let mut cmd = Command::new(binary);
        cmd.args([
            "-a",
            "127.0.0.1",
            "-p",
            &self.cfg.port.to_string(),
            "-js",
            "-n",
            "jetfeed-embedded",
        ])
        .arg("-sd")
        .arg(&store)
        .arg("-P")
        .arg(self.cfg.pid_path())
        .arg("-l")
        .arg(self.cfg.log_path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C meant for jetfeed does not kill
        // the store's server mid-write; jetfeed stops it cleanly.
        .process_group(0);
        let lock_fd = lock.as_raw_fd();
        #[cfg(target_os = "linux")]
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Stop with the parent, however the parent ends. Linux only;
                // elsewhere a killed jetfeed leaves its server to the next
                // one, which finds it answering on the port and uses it.
                #[cfg(target_os = "linux")]
                {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    if libc::getppid() != parent {
                        libc::_exit(1);
                    }
                }
                // Keep the store's lock for as long as the server lives.
                let flags = libc::fcntl(lock_fd, libc::F_GETFD);
                libc::fcntl(lock_fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| ServerError::Start(format!("{}: {e}", binary.display())))?;
        tracing::info!(
            pid = child.id(),
            "started nats-server on {}",
            self.cfg.url()
        );
        Ok(child)
    }

    fn wait_ready(&mut self) -> Result<(), ServerError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(ServerError::Start(format!(
                    "{status}: {}",
                    last_log_line(&self.cfg.log_path())
                )));
            }
            if nats_listening(self.cfg.addr()) == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ServerError::Start(format!(
                    "not ready after {READY_TIMEOUT:?}"
                )));
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGTERM, so the server flushes its store, then wait; SIGKILL only if
    /// it hangs.
    fn stop_child(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: signalling our own child by pid.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + STOP_TIMEOUT;
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => thread::sleep(Duration::from_millis(20)),
                }
            }
            let _ = fs::remove_file(self.cfg.pid_path());
            tracing::info!("stopped the embedded nats-server");
        }
        self.lock = None;
    }
}

fn last_log_line(path: &Path) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_owned)
        })
        .map(|l| crate::sanitize::line(&l).into_owned())
        .unwrap_or_else(|| "no log".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_one_line_with_install_commands() {
        let e = find_binary(Some(Path::new("/nonexistent/nats-server"))).unwrap_err();
        assert!(matches!(e, ServerError::NotExecutable(_)));
        let msg = ServerError::NotFound.to_string();
        assert!(!msg.contains('\n'));
        assert!(
            msg.contains("apt-get install nats-server") && msg.contains("brew install nats-server")
        );
    }
}
