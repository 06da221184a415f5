//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "jetfeed",
    version,
    about = "A live tweet feed in your terminal, carried by NATS JetStream"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args)]
pub struct Global {
    /// NATS server URLs, comma-separated (several for a cluster). Without
    /// it (or a context, or a server in the config file), jetfeed uses its
    /// embedded server on 127.0.0.1 (port 4222, or --embedded-port),
    /// starting it when none runs.
    #[arg(long, env = "NATS_URL", global = true, value_name = "URLS")]
    pub server: Option<String>,

    /// A natscli context: its server and credentials [default: natscli's
    /// selected context, when no server is named]
    #[arg(long, env = "NATS_CONTEXT", global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// The JetStream stream carrying the events [default: TWITTERCLONE]
    #[arg(long, global = true, value_name = "NAME")]
    pub stream: Option<String>,

    /// The config file [default: $XDG_CONFIG_HOME/jetfeed/config.toml]
    #[arg(long, env = "JETFEED_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Leave the mouse to the terminal (text selection as usual) instead of
    /// clicks and the wheel in jetfeed.
    #[arg(long, global = true)]
    pub no_mouse: bool,

    /// Colours: dark, light or mono (NO_COLOR always means mono).
    #[arg(long, global = true, value_name = "THEME")]
    pub theme: Option<crate::config::ThemeName>,

    /// Who you are: the author of your tweets and likes [default: $USER]
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// A NATS credentials file (user JWT and nkey seed).
    #[arg(
        long,
        env = "NATS_CREDS",
        global = true,
        value_name = "FILE",
        help_heading = "Authentication"
    )]
    pub creds: Option<PathBuf>,

    /// A file holding an nkey seed.
    #[arg(
        long,
        env = "NATS_NKEY",
        global = true,
        value_name = "FILE",
        help_heading = "Authentication"
    )]
    pub nkey: Option<PathBuf>,

    /// The NATS user name (not your jetfeed name: that is --user).
    #[arg(
        long,
        env = "NATS_USER",
        global = true,
        value_name = "NAME",
        help_heading = "Authentication"
    )]
    pub nats_user: Option<String>,

    /// The NATS password; prefer NATS_PASSWORD, which other users cannot see.
    #[arg(
        long,
        env = "NATS_PASSWORD",
        hide_env_values = true,
        global = true,
        value_name = "PASSWORD",
        help_heading = "Authentication"
    )]
    pub nats_password: Option<String>,

    /// A NATS token.
    #[arg(
        long,
        global = true,
        value_name = "TOKEN",
        help_heading = "Authentication"
    )]
    pub token: Option<String>,

    /// CA certificate to trust the server by; TLS is then required.
    #[arg(
        long,
        env = "NATS_CA",
        global = true,
        value_name = "FILE",
        help_heading = "Authentication"
    )]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate, for servers that verify clients.
    #[arg(
        long,
        env = "NATS_CERT",
        global = true,
        value_name = "FILE",
        help_heading = "Authentication"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The client certificate's key.
    #[arg(
        long,
        env = "NATS_KEY",
        global = true,
        value_name = "FILE",
        help_heading = "Authentication"
    )]
    pub tls_key: Option<PathBuf>,

    /// The nats-server binary for the embedded server [default: from PATH or /usr/sbin]
    #[arg(long, global = true, value_name = "PATH")]
    pub nats_server: Option<PathBuf>,

    /// Where the embedded server keeps its store, and jetfeed its log
    /// [default: $XDG_DATA_HOME/jetfeed]
    #[arg(long, env = "JETFEED_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The loopback port of the embedded server.
    #[arg(long, default_value_t = 4222, global = true, value_name = "PORT")]
    pub embedded_port: u16,

    /// Seconds a publish waits for the server's PubAck.
    #[arg(long, default_value_t = 5.0, global = true, value_name = "SECS")]
    pub publish_timeout: f64,

    /// Quit once a tweet of the loaded feed is on screen, or all there is
    /// to read (for measuring start-up).
    #[arg(long, hide = true, global = true)]
    pub exit_after_first_frame: bool,

    /// Replicas of the stream, when jetfeed creates it (3 on a cluster).
    #[arg(long, default_value_t = 1, global = true, value_name = "N")]
    pub replicas: usize,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish a tweet and print its id.
    #[command(
        after_help = "A text that starts with '-' goes after '--': jetfeed post -- -1 for that"
    )]
    Post {
        /// The tweet's text: words are joined with spaces; '-' reads it
        /// from standard input, line breaks kept.
        #[arg(required = true, num_args = 1.., value_name = "TEXT")]
        text: Vec<String>,
    },
    /// Like a tweet (refused, with nothing sent, if the id is no tweet).
    Like {
        /// The tweet's id, as `tail` and `show` print it.
        id: String,
    },
    /// Take a like back (refused, with nothing sent, if the id is no tweet).
    Unlike {
        /// The tweet's id, as `tail` and `show` print it.
        id: String,
    },
    /// Print one tweet with its like count and who liked it.
    Show {
        /// The tweet's id.
        id: String,
        /// One JSON object, in the Go service's shape plus its likers.
        #[arg(long)]
        json: bool,
    },
    /// Serve the feed over HTTP (the Go example's API) with a live web page.
    Serve {
        /// Address to listen on; other than loopback, the feed is open to the network.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: String,
        /// Serve this directory at / instead of jetfeed's own page.
        #[arg(long = "static", value_name = "DIR")]
        static_dir: Option<PathBuf>,
        /// Let pages from this origin call the API (CORS); off without it.
        #[arg(long, value_name = "ORIGIN")]
        allow_origin: Option<String>,
    },
    /// Print the history, then each event as it arrives, with like counts.
    Tail {
        /// One JSON object a line, each wire field exactly as stored.
        #[arg(long)]
        json: bool,
        /// Start with the last N events stored.
        #[arg(long, value_name = "N")]
        last: Option<u64>,
        /// Start with the events stored in the last DURATION (30s, 10m, 2h, 1d).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        since: Option<std::time::Duration>,
        /// Stop at the end of what is stored instead of waiting for more.
        #[arg(long)]
        no_follow: bool,
    },
    /// Print a completion script for a shell.
    Completions {
        /// bash, zsh or fish.
        shell: Shell,
    },
    /// Print jetfeed's manual page (roff), for `man -l -`.
    Man,
}

/// The shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `30s`, `10m`, `2h`, `1d`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is no duration: try 30s, 10m, 2h or 1d"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("{s:?} is no duration: try 30s, 10m, 2h or 1d")),
    };
    n.checked_mul(secs)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long"))
}

impl Global {
    /// The credentials given on the command line or in the environment.
    pub fn auth(&self) -> crate::bus::Auth {
        crate::bus::Auth {
            creds: self.creds.clone(),
            nkey: self.nkey.clone(),
            user: self.nats_user.clone(),
            password: self.nats_password.clone(),
            token: self.token.clone(),
            tls_ca: self.tls_ca.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
        }
    }
}

/// A stream name NATS accepts: no dots, wildcards or spaces.
pub fn check_stream(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.chars().any(|c| {
            matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control()
        })
    {
        return Err(format!(
            "bad stream name {:?}: no dots, wildcards or spaces",
            crate::sanitize::line(name)
        ));
    }
    Ok(())
}

/// The user name: `--user`, else `$USER`, `$LOGNAME`, or the login name of
/// the process's user; printable and not empty.
pub fn resolve_user(flag: Option<&str>) -> Result<String, String> {
    let user = flag
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|u| !u.is_empty()))
        .or_else(login_name)
        .unwrap_or_default();
    let user = user.trim().to_owned();
    if user.is_empty() {
        return Err("no user name: pass --user NAME (or set $USER)".into());
    }
    if !crate::sanitize::is_one_line(&user) || user.chars().count() > 64 {
        return Err("bad user name: use at most 64 printable characters".into());
    }
    Ok(user)
}

fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; the
    // name is copied out before any other call could overwrite it.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_str()
            .ok()
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "jetfeed", "post", "--user", "bob", "hello", "world", "--stream", "S",
        ])
        .unwrap();
        assert_eq!(cli.global.user.as_deref(), Some("bob"));
        assert_eq!(cli.global.stream.as_deref(), Some("S"));
        assert!(matches!(cli.command, Some(Command::Post { text }) if text == ["hello", "world"]));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("10m").unwrap().as_secs(), 600);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7_200);
        assert_eq!(parse_duration("1d").unwrap().as_secs(), 86_400);
        for bad in ["", "m", "10x", "-5m", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_text_starting_with_a_dash_goes_after_two_dashes() {
        let cli = Cli::try_parse_from(["jetfeed", "post", "--", "-1", "for that"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Post { text }) if text == ["-1", "for that"]));
    }

    #[test]
    fn every_argument_has_help() {
        fn check(cmd: &clap::Command) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{} {id} has no help",
                    cmd.get_name()
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub);
            }
        }
        check(&Cli::command());
    }

    #[test]
    fn names_are_checked() {
        assert!(check_stream("TWITTERCLONE").is_ok());
        assert!(check_stream("A.B").is_err());
        assert!(check_stream("").is_err());
        assert_eq!(resolve_user(Some(" ann ")).unwrap(), "ann");
        assert!(resolve_user(Some("a\u{1b}[2J")).is_err());
        assert!(resolve_user(Some("  ")).is_err());
    }
}
