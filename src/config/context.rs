//! natscli's contexts: a server and credentials saved under a name, in
//! `$XDG_CONFIG_HOME/nats/context/NAME.json`, with the selected one named
//! in `$XDG_CONFIG_HOME/nats/context.txt`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bus::Auth;

/// One context, as natscli writes it (fields jetfeed has no use for, such
/// as a JetStream domain or an inbox prefix, are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub creds: String,
    #[serde(default)]
    pub nkey: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub cert: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub ca: String,
    /// Its name, and the file it was read from.
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
}

/// natscli's directory: `$XDG_CONFIG_HOME/nats`, or `~/.config/nats`.
pub fn nats_dir() -> Option<PathBuf> {
    super::config_home().map(|d| d.join("nats"))
}

/// The context natscli has selected, if any.
pub fn selected(dir: &Path) -> Option<String> {
    let name = std::fs::read_to_string(dir.join("context.txt")).ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Reads the context `name` from `dir`; a missing or bad one is one line.
pub fn load(dir: &Path, name: &str) -> Result<Context, String> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("bad NATS context name {name:?}"));
    }
    let path = dir.join("context").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "no NATS context {name:?}: {} does not exist",
                path.display()
            )
        } else {
            format!("{}: {e}", path.display())
        }
    })?;
    let mut ctx: Context = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a NATS context: {e}", path.display()))?;
    ctx.name = name.to_owned();
    ctx.path = path;
    Ok(ctx)
}

/// `~/x` as natscli reads it: in the home directory.
fn expand(path: &str) -> Option<PathBuf> {
    if path.is_empty() {
        return None;
    }
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest)),
        None => Some(PathBuf::from(path)),
    }
}

fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

impl Context {
    /// The context's credentials.
    pub fn auth(&self) -> Auth {
        Auth {
            creds: expand(&self.creds),
            nkey: expand(&self.nkey),
            user: text(&self.user),
            password: text(&self.password),
            token: text(&self.token),
            tls_ca: expand(&self.ca),
            tls_cert: expand(&self.cert),
            tls_key: expand(&self.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_natscli_context_reads_with_its_credentials() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("context")).unwrap();
        std::fs::write(
            dir.path().join("context/prod.json"),
            r#"{"description":"","url":"nats://a:4222,nats://b:4222","token":"","user":"ann","password":"s3cret","creds":"~/prod.creds","nkey":"","cert":"","key":"","ca":"/etc/ca.pem","nsc":"","jetstream_domain":"","jetstream_api_prefix":"","jetstream_event_prefix":"","inbox_prefix":"","user_jwt":""}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("context.txt"), "prod\n").unwrap();
        assert_eq!(selected(dir.path()).as_deref(), Some("prod"));
        let ctx = load(dir.path(), "prod").unwrap();
        assert_eq!(ctx.url, "nats://a:4222,nats://b:4222");
        let auth = ctx.auth();
        assert_eq!(auth.user.as_deref(), Some("ann"));
        assert_eq!(auth.password.as_deref(), Some("s3cret"));
        assert_eq!(auth.tls_ca, Some(PathBuf::from("/etc/ca.pem")));
        assert!(auth.creds.unwrap().ends_with("prod.creds"));
        assert_eq!(auth.token, None);
        let e = load(dir.path(), "staging").unwrap_err();
        assert!(e.starts_with("no NATS context \"staging\""), "{e}");
        assert!(load(dir.path(), "../x").is_err());
    }
}
