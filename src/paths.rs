//! Where jetfeed keeps its files, as the XDG base directory spec says.

use std::path::PathBuf;

/// The user's data directory for jetfeed: `$XDG_DATA_HOME/jetfeed`, or
/// `~/.local/share/jetfeed`. The store in it holds everything the user has
/// seen, so there is no fallback to a directory other users share: with
/// neither variable set, the user must name one.
pub fn data_dir() -> Result<PathBuf, String> {
    data_dir_from(|name| std::env::var_os(name))
}

fn data_dir_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    // Relative paths are ignored, as the spec says of XDG's: they would
    // put the store wherever jetfeed happened to start.
    let set = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = set("XDG_DATA_HOME")
        .or_else(|| set("HOME").map(|h| h.join(".local/share")))
        .ok_or("no data directory: set HOME or XDG_DATA_HOME, or pass --data-dir")?;
    Ok(base.join("jetfeed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn data_dir_follows_xdg_then_home_and_never_guesses() {
        assert_eq!(
            data_dir_from(env(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])),
            Ok(PathBuf::from("/x/jetfeed"))
        );
        assert_eq!(
            data_dir_from(env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")])),
            Ok(PathBuf::from("/h/.local/share/jetfeed")),
            "a relative XDG path is ignored, as the spec says"
        );
        assert_eq!(
            data_dir_from(env(&[("HOME", "/h")])),
            Ok(PathBuf::from("/h/.local/share/jetfeed"))
        );
        let none = data_dir_from(env(&[("HOME", "home")])).unwrap_err();
        assert!(none.contains("--data-dir"), "{none}");
    }
}
