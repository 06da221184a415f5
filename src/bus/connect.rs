//! The NATS connection: server list, reconnect policy, and connection state
//! reported to the app as `Msg::Connection`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event, ServerAddr, ServerError};
use tokio::sync::mpsc;

use super::BusError;
use crate::app::protocol::{Connection, Msg};

/// The servers to try, in order (several for a cluster), and how to prove
/// who we are to them.
#[derive(Clone, PartialEq, Eq)]
pub struct Servers {
    urls: Vec<String>,
    auth: Auth,
}

/// Credentials, the ways NATS users already have them. Secrets are never
/// shown: `Debug` and every error leave them out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// A `.creds` file: user JWT and nkey seed.
    pub creds: Option<PathBuf>,
    /// A file holding an nkey seed.
    pub nkey: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// CA certificate(s) to trust the server by; TLS is then required.
    pub tls_ca: Option<PathBuf>,
    /// A client certificate and its key, for servers that verify clients.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl Auth {
    /// These credentials, with `fallback`'s where these have none: a flag
    /// wins over a context.
    pub fn or(self, fallback: Auth) -> Auth {
        Auth {
            creds: self.creds.or(fallback.creds),
            nkey: self.nkey.or(fallback.nkey),
            user: self.user.or(fallback.user),
            password: self.password.or(fallback.password),
            token: self.token.or(fallback.token),
            tls_ca: self.tls_ca.or(fallback.tls_ca),
            tls_cert: self.tls_cert.or(fallback.tls_cert),
            tls_key: self.tls_key.or(fallback.tls_key),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |o: bool| if o { "set" } else { "-" };
        f.debug_struct("Auth")
            .field("creds", &self.creds)
            .field("nkey", &self.nkey)
            .field("user", &self.user)
            .field("password", &set(self.password.is_some()))
            .field("token", &set(self.token.is_some()))
            .field("tls_ca", &self.tls_ca)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .finish()
    }
}

impl fmt::Debug for Servers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Servers")
            .field("urls", &self.to_string())
            .field("auth", &self.auth)
            .finish()
    }
}

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
        // Credentials in a URL (`nats://user:pass@host`, `nats://token@host`)
        // are taken out of it: they are used, never shown.
        let mut auth = Auth::default();
        for u in &urls {
            let addr = u
                .parse::<ServerAddr>()
                .map_err(|_| BusError::BadUrl(redact(u)))?;
            if auth.user.is_none() && auth.token.is_none() {
                match (addr.username(), addr.password()) {
                    (Some(user), Some(pass)) => {
                        auth.user = Some(decode_userinfo(user));
                        auth.password = Some(decode_userinfo(pass));
                    }
                    (Some(token), None) => auth.token = Some(decode_userinfo(token)),
                    _ => {}
                }
            }
        }
        Ok(Servers {
            urls: urls.iter().map(|u| redact(u)).collect(),
            auth,
        })
    }

    /// The same servers, reached with these credentials; those given here
    /// take the place of any found in the URLs.
    pub fn with_auth(self, given: Auth) -> Servers {
        let url = self.auth;
        let login_given = given.user.is_some()
            || given.token.is_some()
            || given.nkey.is_some()
            || given.creds.is_some();
        let auth = Auth {
            user: if login_given { given.user } else { url.user },
            password: if login_given {
                given.password
            } else {
                url.password
            },
            token: if login_given { given.token } else { url.token },
            ..given
        };
        Servers { auth, ..self }
    }

    #[cfg(test)]
    fn urls(&self) -> &[String] {
        &self.urls
    }

    fn addrs(&self) -> Vec<ServerAddr> {
        self.urls.iter().filter_map(|u| u.parse().ok()).collect()
    }
}

/// The list as it may be shown: no passwords or tokens.
impl fmt::Display for Servers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URLs were stored without their credentials.
        f.write_str(&self.urls.join(","))
    }
}

/// Undoes the percent-encoding a URL's user part may carry.
fn decode_userinfo(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

/// Subjects the server refused this connection a publish to, as it says
/// them (asynchronously, in an `-ERR`): a publish waiting for its PubAck on
/// one of them fails at once instead of timing out.
pub type Refusals = tokio::sync::broadcast::Sender<String>;

/// The subject of a `Permissions Violation for Publish to "<subject>"`.
fn refused_subject(error: &str) -> Option<String> {
    let rest = error.strip_prefix("Permissions Violation for Publish to ")?;
    Some(
        rest.trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_owned(),
    )
}

/// Connects to the first server that answers. The initial connection is not
/// retried: a wrong address fails at once, with one line.
pub async fn connect(
    servers: &Servers,
    events: Option<mpsc::Sender<Msg>>,
) -> Result<(Client, Refusals), BusError> {
    let refusals = Refusals::new(64);
    let refused = refusals.clone();
    let mut opts = ConnectOptions::new()
        .name("jetfeed")
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None)
        .reconnect_delay_callback(reconnect_delay)
        .event_callback(move |event| {
            let tx = events.clone();
            let refused = refused.clone();
            async move {
                let state = match event {
                    Event::Connected => Connection::Connected,
                    Event::Disconnected => Connection::Disconnected,
                    Event::Closed => Connection::Failed("connection closed".into()),
                    Event::ServerError(ServerError::Other(e)) if refused_subject(&e).is_some() => {
                        tracing::warn!("nats: {e}");
                        let _ = refused.send(refused_subject(&e).unwrap_or_default());
                        return;
                    }
                    other => {
                        tracing::info!("nats: {other}");
                        return;
                    }
                };
                tracing::info!("nats: {state:?}");
                if let Some(tx) = tx {
                    let _ = tx.send(Msg::Connection(state)).await;
                }
            }
        });
    opts = with_auth(opts, &servers.auth).await?;
    let client = opts.connect(servers.addrs()).await.map_err(|e| {
        let reason = match e.kind() {
            ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
                "not authorized: check the credentials".to_owned()
            }
            _ if e.kind() == ConnectErrorKind::Tls || is_tls_refusal(&e) => {
                format!("TLS failed ({e}): check --tls-ca, --tls-cert and --tls-key")
            }
            _ => e.to_string(),
        };
        BusError::Unreachable {
            servers: servers.to_string(),
            reason: scrub(&reason, &servers.auth),
        }
    })?;
    Ok((client, refusals))
}

/// Whether a connection failed in the TLS handshake (an untrusted or
/// refused certificate), which async-nats reports as an I/O error.
fn is_tls_refusal(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(e.source(), |s| s.source()).any(|s| {
        s.is::<async_nats::rustls::Error>()
            || s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<async_nats::rustls::Error>())
    })
}

/// Removes any secret from a message before it is shown.
fn scrub(text: &str, auth: &Auth) -> String {
    let mut out = text.to_owned();
    for secret in [&auth.password, &auth.token]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
    {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

async fn with_auth(mut opts: ConnectOptions, auth: &Auth) -> Result<ConnectOptions, BusError> {
    let unreadable = |what: &str, path: &std::path::Path, e: std::io::Error| {
        BusError::Auth(format!("cannot read the {what} {}: {e}", path.display()))
    };
    if let Some(path) = &auth.creds {
        opts = opts
            .credentials_file(path)
            .await
            .map_err(|e| unreadable("credentials file", path, e))?;
    }
    if let Some(path) = &auth.nkey {
        let seed =
            std::fs::read_to_string(path).map_err(|e| unreadable("nkey seed file", path, e))?;
        let seed = seed
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with('S'))
            .unwrap_or_default()
            .to_owned();
        if seed.is_empty() {
            return Err(BusError::Auth(format!(
                "no nkey seed in {}",
                path.display()
            )));
        }
        opts = opts.nkey(seed);
    }
    match (&auth.user, &auth.password) {
        (Some(u), Some(p)) => opts = opts.user_and_password(u.clone(), p.clone()),
        (Some(_), None) | (None, Some(_)) => {
            return Err(BusError::Auth(
                "give both --nats-user and --nats-password".into(),
            ));
        }
        (None, None) => {}
    }
    if let Some(t) = &auth.token {
        opts = opts.token(t.clone());
    }
    if let Some(ca) = &auth.tls_ca {
        std::fs::metadata(ca).map_err(|e| unreadable("CA file", ca, e))?;
        opts = opts.add_root_certificates(ca.clone()).require_tls(true);
    }
    match (&auth.tls_cert, &auth.tls_key) {
        (Some(c), Some(k)) => {
            std::fs::metadata(c).map_err(|e| unreadable("certificate", c, e))?;
            std::fs::metadata(k).map_err(|e| unreadable("key", k, e))?;
            opts = opts
                .add_client_certificate(c.clone(), k.clone())
                .require_tls(true);
        }
        (None, None) => {}
        _ => return Err(BusError::Auth("give both --tls-cert and --tls-key".into())),
    }
    Ok(opts)
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
    fn reads_the_subject_of_a_refused_publish() {
        let e = r#"Permissions Violation for Publish to "TWITTERCLONE.tweet_created""#;
        assert_eq!(
            refused_subject(e).as_deref(),
            Some("TWITTERCLONE.tweet_created")
        );
        let sub = r#"Permissions Violation for Subscription to "x""#;
        assert_eq!(refused_subject(sub), None);
    }

    #[test]
    fn never_shows_credentials() {
        let s = Servers::parse("nats://bob:s3cret@h:4222,nats://tok3n@g:1").unwrap();
        assert_eq!(s.to_string(), "nats://h:4222,nats://g:1");
        assert_eq!(redact("h:1"), "nats://h:1");
    }
}
