//! `jetfeed serve` under test: the real binary on a free port, its log in a
//! file, killed when dropped; and an HTTP client for it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `jetfeed serve`.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    /// Serves the stream on `nats_url` on a free loopback port.
    pub fn start(nats_url: &str) -> Serve {
        Self::start_with(nats_url, &[])
    }

    /// `start`, with more arguments after `serve`.
    pub fn start_with(nats_url: &str, args: &[&str]) -> Serve {
        Self::start_on(nats_url, "127.0.0.1:0", args)
    }

    /// `start`, logging a line per request (`JETFEED_LOG` at debug for
    /// `jetfeed::serve`).
    pub fn start_logging_requests(nats_url: &str) -> Serve {
        Self::spawn(
            nats_url,
            "127.0.0.1:0",
            &[],
            Some("info,jetfeed::serve=debug"),
        )
    }

    pub fn start_on(nats_url: &str, listen: &str, args: &[&str]) -> Serve {
        Self::spawn(nats_url, listen, args, None)
    }

    fn spawn(nats_url: &str, listen: &str, args: &[&str], level: Option<&str>) -> Serve {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jetfeed"));
        match level {
            Some(level) => cmd.env("JETFEED_LOG", level),
            None => cmd.env_remove("JETFEED_LOG"),
        };
        let mut child = cmd
            .args(["--server", nats_url, "serve", "--listen", listen])
            .args(args)
            .env("JETFEED_DATA_DIR", dir.path())
            .env_remove("NATS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("jetfeed serve starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "jetfeed serve did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let base = line
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let port = base.rsplit(':').next().unwrap().parse().unwrap();
        Serve {
            child,
            base,
            port,
            log,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `signal` and waits for the exit status, at most 20 s.
    pub fn stop_with(&mut self, signal: i32) -> std::process::ExitStatus {
        unsafe { libc::kill(self.pid(), signal) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "jetfeed serve did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that never follows redirects or retries.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The keys of a JSON object, in the order they are written.
pub fn keys_in_order(json: &str) -> Vec<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some((k, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                keys.push(k);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(json)
        .deserialize_map(Keys)
        .unwrap()
}
