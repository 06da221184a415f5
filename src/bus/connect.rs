//! The NATS connection: server list, reconnect policy, and connection state
//! reported to the app as `Msg::Connection`.

use std::fmt;
use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event, ServerAddr};
use tokio::sync::mpsc;

use super::BusError;
use crate::app::{Connection, Msg};

/// The servers to try, in order; several for a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers(Vec<String>);

impl Servers {
    /// Parses a comma-separated list; `host:port` means `nats://host:port`.
    pub fn parse(list: &str) -> Result<Servers, BusError> {
        let urls: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.contains("://") {
                    s.to_owned()
                } else {
                    format!("nats://{s}")
                }
            })
            .collect();
        if urls.is_empty() {
            return Err(BusError::BadUrl(list.to_owned()));
        }
        for u in &urls {
            u.parse::<ServerAddr>()
                .map_err(|_| BusError::BadUrl(redact(u)))?;
        }
        Ok(Servers(urls))
    }

    pub fn urls(&self) -> &[String] {
        &self.0
    }

    fn addrs(&self) -> Vec<ServerAddr> {
        self.0.iter().filter_map(|u| u.parse().ok()).collect()
    }
}

/// The list as it may be shown: no passwords or tokens.
impl fmt::Display for Servers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(|u| redact(u)).collect();
        f.write_str(&shown.join(","))
    }
}

/// Drops any user:password@ or token@ part of a URL.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("nats", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{host}")
}

/// Reconnects quickly at first, then every two seconds, forever: a server
/// that restarts (or is taken over by another jetfeed) is back within one try.
fn reconnect_delay(attempts: usize) -> Duration {
    Duration::from_millis((100 * attempts.max(1) as u64).min(2_000))
}

/// Connects to the first server that answers. The initial connection is not
/// retried: a wrong address fails at once, with one line.
pub async fn connect(
    servers: &Servers,
    events: Option<mpsc::Sender<Msg>>,
) -> Result<Client, BusError> {
    let mut opts = ConnectOptions::new()
        .name("jetfeed")
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None)
        .reconnect_delay_callback(reconnect_delay);
    if let Some(tx) = events {
        opts = opts.event_callback(move |event| {
            let tx = tx.clone();
            async move {
                let state = match event {
                    Event::Connected => Connection::Connected,
                    Event::Disconnected => Connection::Disconnected,
                    Event::Closed => Connection::Failed("connection closed".into()),
                    other => {
                        tracing::info!("nats: {other}");
                        return;
                    }
                };
                tracing::info!("nats: {state:?}");
                let _ = tx.send(Msg::Connection(state)).await;
            }
        });
    }
    opts.connect(servers.addrs())
        .await
        .map_err(|e| BusError::Unreachable {
            servers: servers.to_string(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_bare_host_ports() {
        let s = Servers::parse("a:4222, nats://b:4223,,").unwrap();
        assert_eq!(s.urls(), ["nats://a:4222", "nats://b:4223"]);
        assert!(Servers::parse(" , ").is_err());
    }

    #[test]
    fn never_shows_credentials() {
        let s = Servers::parse("nats://bob:s3cret@h:4222,nats://tok3n@g:1").unwrap();
        assert_eq!(s.to_string(), "nats://h:4222,nats://g:1");
        assert_eq!(redact("h:1"), "nats://h:1");
    }
}
