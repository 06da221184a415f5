//! A real headless browser: Debian's chromium driven through its
//! chromedriver (WebDriver). Both are required: a missing one fails the
//! test. The driver and every browser process it started are killed when
//! this is dropped.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        path.split(':')
            .chain(["/usr/bin", "/usr/lib/chromium"])
            .map(|dir| PathBuf::from(dir).join(name))
            .find(|p| p.is_file())
    })
}

pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// chromedriver in its own process group: the browser it starts is killed
/// with it, whatever happens to the test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

impl Browser {
    pub async fn start() -> Browser {
        let driver_bin = find(&["chromedriver"]).expect(
            "chromedriver is required by the browser tests: apt-get install chromium chromium-driver",
        );
        let chromium = find(&["chromium", "chromium-browser"]).expect(
            "chromium is required by the browser tests: apt-get install chromium chromium-driver",
        );
        let port = super::free_port();
        let driver = Driver(
            Command::new(driver_bin)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts"),
        );
        let profile = tempfile::tempdir().unwrap();
        super::wait_for_port(port, true);
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run",
                    "--window-size=1000,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver starts a headless chromium");
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap()
    }

    /// Polls `script` until it returns something truthy; fails after `patience`.
    pub async fn until(&self, what: &str, script: &str, patience: Duration) -> Value {
        let deadline = Instant::now() + patience;
        loop {
            let v = self.js(script, vec![]).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "page: {what}: not within {patience:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the browser session, then the driver.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
    }
}
