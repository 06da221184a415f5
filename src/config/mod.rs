//! Settings from files: jetfeed's own config file
//! (`$XDG_CONFIG_HOME/jetfeed/config.toml`) and natscli's contexts
//! (`context`). Flags beat the environment, which beats these files, which
//! beat the defaults; `main` applies them in that order.

pub mod context;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::app::keymap::{Action, Key, KeyMap, Scope};
use crate::app::{Focus, Theme, TimeFormat};

/// The config file, as written. Every field may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// NATS server URLs, as `--server` takes them.
    pub server: Option<String>,
    /// A natscli context, as `--context` takes it.
    pub context: Option<String>,
    pub user: Option<String>,
    pub stream: Option<String>,
    pub theme: Option<ThemeName>,
    pub mouse: Option<bool>,
    pub time: Option<TimeName>,
    #[serde(default)]
    keys: Keys,
    /// The key map in force: the defaults with `[keys.*]` in their place.
    #[serde(skip)]
    pub key_map: KeyMap,
    /// Where it was read from, for error lines.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    Dark,
    Light,
    Mono,
}

impl From<ThemeName> for Theme {
    fn from(t: ThemeName) -> Theme {
        match t {
            ThemeName::Dark => Theme::Dark,
            ThemeName::Light => Theme::Light,
            ThemeName::Mono => Theme::Mono,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TimeName {
    Relative,
    Absolute,
}

impl From<TimeName> for TimeFormat {
    fn from(t: TimeName) -> TimeFormat {
        match t {
            TimeName::Relative => TimeFormat::Relative,
            TimeName::Absolute => TimeFormat::Absolute,
        }
    }
}

/// `[keys.anywhere]`, `[keys.draft]`, `[keys.feed]`: action names bound
/// to a key or a list of keys, in place of their default keys there.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    #[serde(default)]
    anywhere: KeyTable,
    #[serde(default)]
    draft: KeyTable,
    #[serde(default)]
    feed: KeyTable,
    #[serde(default)]
    tweet: KeyTable,
    #[serde(default)]
    notifications: KeyTable,
    #[serde(default)]
    search: KeyTable,
}

/// One place's bindings: action names to keys, where each was written.
type KeyTable = BTreeMap<toml::Spanned<String>, toml::Spanned<OneOrMany>>;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The config file's path: `$XDG_CONFIG_HOME/jetfeed/config.toml`, or
/// `~/.config/jetfeed/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    config_home().map(|d| d.join("jetfeed/config.toml"))
}

/// `$XDG_CONFIG_HOME`, or `~/.config`; relative paths are ignored.
pub fn config_home() -> Option<PathBuf> {
    let set = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    set("XDG_CONFIG_HOME").or_else(|| set("HOME").map(|h| h.join(".config")))
}

/// Reads the config file at `path`. A missing file is no error unless it
/// was named (`required`); anything wrong in it is one line naming the
/// file, the line and the key.
pub fn load(path: &Path, required: bool) -> Result<Config, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config::default());
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(&text, path)
}

/// Parses a config file's text; errors name `path`.
pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
    let at = |span: Option<std::ops::Range<usize>>| {
        let start = span.map_or(0, |s| s.start.min(text.len()));
        let line = 1 + text.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        format!("{}:{line}", path.display())
    };
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("bad config")
            .to_owned();
        format!("{}: {message}", at(e.span()))
    })?;
    // Check the bindings now: a bad one is an error before anything starts.
    let bindings = config.keys.read(&|span| at(Some(span)))?;
    for (scope, action, keys, _) in &bindings {
        config.key_map.rebind(*scope, *action, keys);
    }
    // A key given to two things in one place would do only one of them;
    // a character bound anywhere could never be typed in a tweet.
    for (scope, action, keys, span) in &bindings {
        let typed = keys.iter().find(|k| k.is_typed());
        if let (Scope::Anywhere, Some(key)) = (scope, typed) {
            return Err(format!(
                "{}: keys.anywhere.{}: {} could then never be typed in a tweet; bind it in [keys.feed], or with Ctrl or Alt",
                at(Some(span.clone())),
                action.name().unwrap_or_default(),
                key.label(),
            ));
        }
    }
    for (scope, action, _, span) in bindings {
        if let Some((key, other)) = config.key_map.clash(scope, action) {
            return Err(format!(
                "{}: keys.{}.{}: {} already does \"{}\" ({}); bind that to another key too",
                at(Some(span)),
                scope.describe(),
                action.name().unwrap_or_default(),
                key.label(),
                other.action.describe_in(other.scope),
                other.scope.describe(),
            ));
        }
    }
    config.path = Some(path.to_owned());
    Ok(config)
}

impl Keys {
    fn scopes(&self) -> [(Scope, &'static str, &KeyTable); 6] {
        [
            (Scope::Anywhere, "anywhere", &self.anywhere),
            (Scope::In(Focus::Draft), "draft", &self.draft),
            (Scope::In(Focus::Feed), "feed", &self.feed),
            (Scope::In(Focus::Tweet), "tweet", &self.tweet),
            (
                Scope::In(Focus::Notifications),
                "notifications",
                &self.notifications,
            ),
            (Scope::In(Focus::Search), "search", &self.search),
        ]
    }

    /// Every binding, read: (scope, action, keys, where the keys are
    /// written), or an error line.
    #[allow(clippy::type_complexity)]
    fn read(
        &self,
        at: &dyn Fn(std::ops::Range<usize>) -> String,
    ) -> Result<Vec<(Scope, Action, Vec<Key>, std::ops::Range<usize>)>, String> {
        let mut out = Vec::new();
        for (scope, table, map) in self.scopes() {
            for (name, keys) in map {
                let span = keys.span();
                let action = Action::from_name(name.get_ref()).ok_or_else(|| {
                    format!(
                        "{}: keys.{table}.{}: no such action (one of: {})",
                        at(name.span()),
                        name.get_ref(),
                        Action::NAMED.map(|(n, _)| n).join(", ")
                    )
                })?;
                let list = match keys.get_ref() {
                    OneOrMany::One(k) => vec![k.clone()],
                    OneOrMany::Many(ks) => ks.clone(),
                };
                let keys = list
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        format!("{}: keys.{table}.{}: {e}", at(keys.span()), name.get_ref())
                    })?;
                out.push((scope, action, keys, span));
            }
        }
        Ok(out)
    }
}

/// Where the server comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerChoice {
    /// Servers named somewhere: their URLs, the credentials that came with
    /// them (a context's), and where they were named, as people say it.
    Named {
        urls: String,
        auth: Box<crate::bus::Auth>,
        origin: String,
    },
    /// None named: the embedded server.
    Embedded,
}

/// A setting as given: its value, and whether it came from the
/// environment rather than a flag.
pub type Given<'a> = Option<(&'a str, bool)>;

/// Picks the server, in this order: `--server`, `NATS_URL`, `--context`,
/// `NATS_CONTEXT`, the config file's `server`, then its `context`, then the
/// context natscli has selected; with none of these, the embedded server.
pub fn choose_server(
    server: Given<'_>,
    context: Given<'_>,
    config: &Config,
    nats_dir: Option<&Path>,
) -> Result<ServerChoice, String> {
    let named = |urls: &str, origin: &str| ServerChoice::Named {
        urls: urls.to_owned(),
        auth: Box::default(),
        origin: origin.to_owned(),
    };
    if let Some((urls, from_env)) = server {
        return Ok(named(urls, if from_env { "NATS_URL" } else { "--server" }));
    }
    let from_context = |name: &str, how: &str| -> Result<ServerChoice, String> {
        let dir = nats_dir.ok_or("no natscli directory: set HOME or XDG_CONFIG_HOME")?;
        let ctx = context::load(dir, name)?;
        let urls = if ctx.url.is_empty() {
            "nats://127.0.0.1:4222".to_owned()
        } else {
            ctx.url.clone()
        };
        Ok(ServerChoice::Named {
            urls,
            auth: Box::new(ctx.auth()),
            origin: format!("context {name}{how}"),
        })
    };
    if let Some((name, from_env)) = context {
        return from_context(name, if from_env { " (NATS_CONTEXT)" } else { "" });
    }
    if let Some(urls) = &config.server {
        return Ok(named(urls, "config file"));
    }
    if let Some(name) = &config.context {
        return from_context(name, " (config file)");
    }
    if let Some(name) = nats_dir.and_then(context::selected) {
        return from_context(&name, " (natscli's selected)");
    }
    Ok(ServerChoice::Embedded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_comes_from_the_first_place_that_names_one() {
        let dir = tempfile::tempdir().unwrap();
        let nats = dir.path();
        std::fs::create_dir(nats.join("context")).unwrap();
        for name in ["prod", "dev"] {
            std::fs::write(
                nats.join(format!("context/{name}.json")),
                format!(r#"{{"url":"nats://{name}:4222","token":"t-{name}"}}"#),
            )
            .unwrap();
        }
        let origin = |server, context, config: &Config, dir| match choose_server(
            server, context, config, dir,
        ) {
            Ok(ServerChoice::Named { urls, origin, .. }) => format!("{urls} {origin}"),
            Ok(ServerChoice::Embedded) => "embedded".to_owned(),
            Err(e) => e,
        };
        let none = Config::default();
        assert_eq!(origin(None, None, &none, Some(nats)), "embedded");
        std::fs::write(nats.join("context.txt"), "dev").unwrap();
        assert_eq!(
            origin(None, None, &none, Some(nats)),
            "nats://dev:4222 context dev (natscli's selected)"
        );
        let config = Config {
            context: Some("prod".into()),
            ..Config::default()
        };
        assert_eq!(
            origin(None, None, &config, Some(nats)),
            "nats://prod:4222 context prod (config file)"
        );
        let config = Config {
            server: Some("nats://cfg:4222".into()),
            ..config
        };
        assert_eq!(
            origin(None, None, &config, Some(nats)),
            "nats://cfg:4222 config file"
        );
        assert_eq!(
            origin(None, Some(("prod", true)), &config, Some(nats)),
            "nats://prod:4222 context prod (NATS_CONTEXT)"
        );
        assert_eq!(
            origin(
                Some(("nats://env:4222", true)),
                Some(("prod", false)),
                &config,
                Some(nats)
            ),
            "nats://env:4222 NATS_URL"
        );
        assert_eq!(
            origin(Some(("nats://flag:4222", false)), None, &none, Some(nats)),
            "nats://flag:4222 --server"
        );
        let missing = origin(None, Some(("nope", false)), &none, Some(nats));
        assert!(missing.starts_with("no NATS context \"nope\""), "{missing}");
        match choose_server(None, Some(("prod", false)), &none, Some(nats)).unwrap() {
            ServerChoice::Named { auth, .. } => assert_eq!(auth.token.as_deref(), Some("t-prod")),
            ServerChoice::Embedded => panic!("a context names a server"),
        }
    }

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("/home/ann/.config/jetfeed/config.toml")).unwrap_err()
    }

    #[test]
    fn a_whole_config_reads() {
        let c = parse(
            r#"
server = "nats://a:4222,nats://b:4222"
user = "ann"
stream = "TWEETS"
theme = "light"
mouse = false
time = "absolute"

[keys.feed]
like = ["f", "l"]
older = "Down"

[keys.draft]
newline = "Ctrl-J"
"#,
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.user.as_deref(), Some("ann"));
        assert_eq!(c.theme, Some(ThemeName::Light));
        assert_eq!(c.time, Some(TimeName::Absolute));
        assert_eq!(c.mouse, Some(false));
        let keys = &c.key_map;
        let press = |c| crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c));
        assert_eq!(
            keys.action(Focus::Feed, &press('f')),
            Some(Action::ToggleLike)
        );
        assert_eq!(
            keys.action(Focus::Feed, &press('j')),
            None,
            "older is ↓ only"
        );
    }

    #[test]
    fn a_mistake_is_one_line_naming_the_file_line_and_key() {
        let e = parse_err("user = \"ann\"\ncolour = \"red\"\n");
        assert!(
            e.starts_with("/home/ann/.config/jetfeed/config.toml:2: "),
            "{e}"
        );
        assert!(e.contains("colour"), "{e}");
        let e = parse_err("theme = \"pink\"\n");
        assert!(e.contains(":1: ") && e.contains("pink"), "{e}");
        let e = parse_err("\n\n[keys.feed]\nlike = \"Hyper-x\"\n");
        assert!(
            e.contains(":4: keys.feed.like: \"Hyper-x\" is no key"),
            "{e}"
        );
        let e = parse_err("[keys.feed]\nexplode = \"x\"\n");
        assert!(e.contains(":2: keys.feed.explode: no such action"), "{e}");
        // A key that something else in the same place (or anywhere) does.
        let e = parse_err("[keys.feed]\nlike = \"j\"\n");
        assert!(
            e.contains(":2: keys.feed.like: j already does \"select an older tweet\" (feed)"),
            "{e}"
        );
        let e = parse_err("[keys.anywhere]\nhelp = [\"F1\", \"Ctrl-L\"]\nquit = \"Ctrl-L\"\n");
        assert!(
            e.contains("keys.anywhere.") && e.contains("Ctrl-L already does"),
            "{e}"
        );
        // A character anywhere would never be typed in the draft.
        let e = parse_err("[keys.anywhere]\nnotifications = \"N\"\n");
        assert!(
            e.contains(":2: keys.anywhere.notifications: N could then never be typed"),
            "{e}"
        );
        // Moved away from the key as well, it is free.
        parse(
            "[keys.feed]\nlike = \"j\"\nolder = \"Down\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let e = parse_err("user = \n");
        assert!(e.contains(":1: "), "{e}");
        for e in [e, parse_err("[keys.nowhere]\nlike = \"x\"")] {
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn a_missing_file_is_the_defaults_unless_it_was_named() {
        let missing = Path::new("/nonexistent/jetfeed.toml");
        assert!(load(missing, false).unwrap().user.is_none());
        assert!(
            load(missing, true)
                .unwrap_err()
                .starts_with("/nonexistent/jetfeed.toml: ")
        );
    }
}
